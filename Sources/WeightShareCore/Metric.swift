/// How a candidate's outputs are scored (higher is better, at most 1).
public enum Metric: String, Sendable, Codable, CaseIterable {
    /// Top-1 accuracy against the labels.
    case accuracy
    /// Top-1 agreement with the float model; needs no labels.
    case agreement
    /// Mean cosine similarity of each sample's output with the float model's; fits any task.
    case cosine

    public var needsLabels: Bool { self == .accuracy }

    /// The score of a candidate that failed (an output that is NaN or infinite): below every metric's range
    /// ([0, 1] for accuracy and agreement, [−1, 1] for cosine), so it ranks behind every candidate that works.
    public static let failedScore = -2.0

    /// Whether every value is a finite number.
    public static func allFinite<C: Collection>(_ values: C) -> Bool where C.Element == Float {
        values.allSatisfy(\.isFinite)
    }

    /// Score of `outputs` (n rows of `width`) against labels or the float model's outputs. Always a finite number:
    /// a row holding NaN or ±Inf (in `outputs` or in `reference`) counts as wrong (0 for accuracy and agreement)
    /// and, for cosine, as −1, the worst.
    public func score(outputs: [Float], width: Int, labels: [Int]?, reference: [Float]) -> Double {
        let n = width == 0 ? 0 : outputs.count / width
        guard n > 0 else { return 0 }
        var total = 0.0
        for i in 0..<n {
            let row = outputs[(i * width)..<((i + 1) * width)]
            let ref = reference.isEmpty ? row : reference[(i * width)..<((i + 1) * width)]
            guard Metric.allFinite(row), Metric.allFinite(ref) else {
                total += self == .cosine ? -1 : 0
                continue
            }
            switch self {
            case .accuracy: total += Metric.argmax(row) == labels![i] ? 1 : 0
            case .agreement: total += Metric.argmax(row) == Metric.argmax(ref) ? 1 : 0
            case .cosine: total += Metric.cosine(row, ref)
            }
        }
        return total / Double(n)
    }

    /// Each sample's score (``score(outputs:width:labels:reference:)`` is their mean): 1 or 0 for accuracy and
    /// agreement, the cosine for cosine; a row holding NaN or ±Inf scores 0 (−1 for cosine).
    public func rowScores(outputs: [Float], width: Int, labels: [Int]?, reference: [Float]) -> [Double] {
        let n = width == 0 ? 0 : outputs.count / width
        return (0..<n).map { i in
            let row = outputs[(i * width)..<((i + 1) * width)]
            let ref = reference.isEmpty ? row : reference[(i * width)..<((i + 1) * width)]
            guard Metric.allFinite(row), Metric.allFinite(ref) else { return self == .cosine ? -1 : 0 }
            switch self {
            case .accuracy: return Metric.argmax(row) == labels![i] ? 1 : 0
            case .agreement: return Metric.argmax(row) == Metric.argmax(ref) ? 1 : 0
            case .cosine: return Metric.cosine(row, ref)
            }
        }
    }

    /// Index of the largest value (the first one on ties), as onnxruntime's ArgMax.
    public static func argmax<C: Collection>(_ row: C) -> Int where C.Element == Float, C.Index == Int {
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        return best - row.startIndex
    }

    /// Cosine similarity; two zero vectors count as identical.
    public static func cosine<C: Collection>(_ a: C, _ b: C) -> Double where C.Element == Float {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        if na == 0 && nb == 0 { return 1 }
        if na == 0 || nb == 0 { return 0 }
        return dot / (na.squareRoot() * nb.squareRoot())
    }
}
