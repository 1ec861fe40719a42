import WeightShareCore
/// Iterative merge of neighbouring bins (Khosrowshahli et al. 2025): remove one boundary between two
/// neighbouring groups (their shared value becomes the mean of all their members) and keep the merge when
/// the score has not dropped more than `tolerance` below the starting score — or, given a `reference` (the float
/// model's score) below the start, below the reference: a start above the float model is luck on the search
/// data, and merges may spend it. Passes repeat until one full pass merges nothing. Two visiting orders, as in
/// the paper: left to right, and from the centre to the ends.
public struct BinMerger {
    public enum Order: String, Sendable, Codable, CaseIterable {
        case leftToRight = "left-to-right"
        case centreToEnds = "centre-to-ends"
    }

    public struct Result: Sendable, Equatable {
        public var grouping: BinGrouping
        public var quantization: Quantization
        public var score: Double
        public var order: Order
        /// Merges tried (each one an evaluation unless cached) and kept.
        public var tried: Int
        public var kept: Int
    }

    /// Scores a merged quantization (in the candidate's context: its normalisation and outliers).
    public let score: (Quantization) throws -> Double
    /// Largest score drop accepted, in score units (0.01 = one accuracy point).
    public let tolerance: Double
    /// The float model's score; nil: the start is the only reference.
    public let reference: Double?

    public init(tolerance: Double = 0, reference: Double? = nil, score: @escaping (Quantization) throws -> Double) {
        self.score = score
        self.tolerance = tolerance
        self.reference = reference
    }

    /// The paper's setting: plain quantizations (no scales, no outliers) scored by `evaluator`.
    public init(evaluator: any Evaluator, tolerance: Double = 0) {
        self.init(tolerance: tolerance) { try evaluator.score($0) }
    }

    /// Merges in one order, starting from `grouping` whose score is `score`.
    public func merge(binning: UniformBinning, grouping start: BinGrouping, score startScore: Double,
                      order: Order, progress: ((Result) -> Void)? = nil) throws -> Result {
        let floor = Swift.min(startScore, reference ?? startScore) - tolerance
        var current = Result(grouping: start, quantization: Quantization(binning: binning, grouping: start),
                             score: startScore, order: order, tried: 0, kept: 0)
        var cache: [BinGrouping: Double] = [start: startScore]
        var merged = true
        while merged && current.grouping.groupCount > 1 {
            merged = false
            // A boundary is named by the first non-empty bin right of it, which survives other merges.
            for position in boundaryOrder(current.grouping, order) {
                guard let boundary = boundaryIndex(of: position, in: current.grouping) else { continue }
                let candidate = current.grouping.merging(boundary: boundary)
                let quantization = Quantization(binning: binning, grouping: candidate)
                let score: Double
                if let cached = cache[candidate] {
                    score = cached
                } else {
                    score = try self.score(quantization)
                    cache[candidate] = score
                    current.tried += 1
                }
                // A failed candidate (non-finite outputs) is never kept, whatever the tolerance.
                if score >= floor && score > Metric.failedScore {
                    current.grouping = candidate
                    current.quantization = quantization
                    current.score = score
                    current.kept += 1
                    merged = true
                    progress?(current)
                }
            }
        }
        return current
    }

    /// Runs both orders and returns the better result: fewer codebook entries, then the higher score.
    /// `tried` grows by the merges scored in both orders.
    public func mergeBest(binning: UniformBinning, grouping: BinGrouping, score: Double, tried: inout Int,
                          progress: ((Result) -> Void)? = nil) throws -> Result {
        let results = try Order.allCases.map {
            try merge(binning: binning, grouping: grouping, score: score, order: $0, progress: progress)
        }
        tried += results.reduce(0) { $0 + $1.tried }
        return results.min { a, b in
            a.grouping.groupCount != b.grouping.groupCount
                ? a.grouping.groupCount < b.grouping.groupCount : a.score > b.score
        }!
    }

    /// Positions (first bin right of each boundary, counted in non-empty bins) in visiting order.
    func boundaryOrder(_ grouping: BinGrouping, _ order: Order) -> [Int] {
        var positions: [Int] = []
        var position = 0
        for length in grouping.runLengths.dropLast() {
            position += length
            positions.append(position)
        }
        switch order {
        case .leftToRight:
            return positions
        case .centreToEnds:
            let centre = Double(positions.count - 1) / 2
            return positions.enumerated().sorted { a, b in
                let da = abs(Double(a.offset) - centre), db = abs(Double(b.offset) - centre)
                return da != db ? da < db : a.offset < b.offset
            }.map(\.element)
        }
    }

    func boundaryIndex(of position: Int, in grouping: BinGrouping) -> Int? {
        var edge = 0
        for (i, length) in grouping.runLengths.dropLast().enumerated() {
            edge += length
            if edge == position { return i }
            if edge > position { return nil }
        }
        return nil
    }
}
