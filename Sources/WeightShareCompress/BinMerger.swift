import WeightShareCore
/// Iterative merge of neighbouring bins (Khosrowshahli et al. 2025): remove one boundary between two
/// neighbouring groups (their shared value becomes the mean of all their members) and keep the merge when
/// the score has not dropped more than `tolerance` below the starting score — or, given a `reference` (the float
/// model's score) below the start, below the reference: a start above the float model is luck on the search
/// data, and merges may spend it. Passes repeat until one full pass merges nothing. Two visiting orders, as in
/// the paper: left to right, and from the centre to the ends; and a third that visits the cheapest merge first
/// by the weight error it adds (``BinGrouping/mergeErrors(binning:)``) and gives up a pass after `patience`
/// rejections in a row, so that a model whose every score is a long run is not scored once per boundary per pass.
public struct BinMerger {
    public enum Order: String, Sendable, Codable, CaseIterable {
        case leftToRight = "left-to-right"
        case centreToEnds = "centre-to-ends"
        /// The boundaries in ascending order of the squared weight error their merge adds, ranked at the start of
        /// each pass; a pass ends after `patience` rejections in a row (what follows adds more error still).
        case weightError = "weight-error"

        /// The paper's two orders (``BinMerger/mergeBest(binning:grouping:score:tried:orders:maxEvaluations:progress:)``'s default).
        public static let paper: [Order] = [.leftToRight, .centreToEnds]
    }

    public struct Result: Sendable, Equatable {
        public var grouping: BinGrouping
        public var quantization: Quantization
        public var score: Double
        public var order: Order
        /// Merges tried (each one an evaluation unless cached) and kept.
        public var tried: Int
        public var kept: Int
        /// The merge stopped because it needed one more evaluation than `maxEvaluations` allowed; the grouping is
        /// the one reached then (every kept merge passed the floor).
        public var stoppedAtCap: Bool = false
    }

    /// Where a running merge stands; reported after every boundary visited (cached or scored).
    public struct Progress: Sendable, Equatable {
        public var order: Order
        /// 1-based pass number.
        public var pass: Int
        /// Boundaries visited in this pass, of those at its start (a weight-error pass may end before the last).
        public var boundary: Int
        public var boundaries: Int
        /// Codebook entries now (M).
        public var groupCount: Int
        /// Scorings so far (cache misses; with ``BinMerger/mergeBest(binning:grouping:score:tried:orders:maxEvaluations:progress:)``
        /// over all its orders) and the cap, if any.
        public var evaluations: Int
        public var maxEvaluations: Int?
        public var kept: Int

        public init(order: Order, pass: Int, boundary: Int, boundaries: Int, groupCount: Int, evaluations: Int,
                    maxEvaluations: Int?, kept: Int) {
            self.order = order
            self.pass = pass
            self.boundary = boundary
            self.boundaries = boundaries
            self.groupCount = groupCount
            self.evaluations = evaluations
            self.maxEvaluations = maxEvaluations
            self.kept = kept
        }
    }

    /// Scores a merged quantization (in the candidate's context: its normalisation and outliers).
    public let score: (Quantization) throws -> Double
    /// Largest score drop accepted, in score units (0.01 = one accuracy point).
    public let tolerance: Double
    /// The float model's score; nil: the start is the only reference.
    public let reference: Double?
    /// Rejections in a row that end a weight-error pass.
    public let patience: Int

    /// Rejections in a row that end a weight-error pass by default: 4 left LeNet's wide codebooks with a third
    /// more entries than the paper's orders, 8 with a tenth; 16 and unlimited did no better (bench/README.md).
    public static let defaultPatience = 8

    public init(tolerance: Double = 0, reference: Double? = nil, patience: Int = BinMerger.defaultPatience,
                score: @escaping (Quantization) throws -> Double) {
        precondition(patience >= 1, "patience must be at least 1")
        self.score = score
        self.tolerance = tolerance
        self.reference = reference
        self.patience = patience
    }

    /// The paper's setting: plain quantizations (no scales, no outliers) scored by `evaluator`.
    public init(evaluator: any Evaluator, tolerance: Double = 0) {
        self.init(tolerance: tolerance) { try evaluator.score($0) }
    }

    /// Merges in one order, starting from `grouping` whose score is `score`. At most `maxEvaluations` merges are
    /// scored (nil: no cap); when the merge needs one more, it stops with ``Result/stoppedAtCap`` set.
    public func merge(binning: UniformBinning, grouping start: BinGrouping, score startScore: Double,
                      order: Order, maxEvaluations: Int? = nil,
                      progress: (Progress) -> Void = { _ in }) throws -> Result {
        let floor = Swift.min(startScore, reference ?? startScore) - tolerance
        var current = Result(grouping: start, quantization: Quantization(binning: binning, grouping: start),
                             score: startScore, order: order, tried: 0, kept: 0)
        var cache: [BinGrouping: Double] = [start: startScore]
        var pass = 0

        /// Tries the merge at `boundary` and keeps it if it holds; nil when scoring it would pass the cap.
        func attempt(_ boundary: Int) throws -> Bool? {
            let candidate = current.grouping.merging(boundary: boundary)
            let quantization = Quantization(binning: binning, grouping: candidate)
            let score: Double
            if let cached = cache[candidate] {
                score = cached
            } else {
                if let maxEvaluations, current.tried >= maxEvaluations { return nil }
                score = try self.score(quantization)
                cache[candidate] = score
                current.tried += 1
            }
            // A failed candidate (non-finite outputs) is never kept, whatever the tolerance.
            guard score >= floor && score > Metric.failedScore else { return false }
            current.grouping = candidate
            current.quantization = quantization
            current.score = score
            current.kept += 1
            return true
        }
        func report(_ visited: Int, of boundaries: Int) {
            progress(Progress(order: order, pass: pass, boundary: visited, boundaries: boundaries,
                               groupCount: current.grouping.groupCount, evaluations: current.tried,
                               maxEvaluations: maxEvaluations, kept: current.kept))
        }

        var merged = true
        while merged && current.grouping.groupCount > 1 {
            merged = false
            pass += 1
            // A boundary is named by the first non-empty bin right of it, which survives other merges. The order is
            // fixed for the pass: re-ranking weight-error after every kept merge (tried) merged less on the digits
            // fixtures, as the boundaries next to a new group lose their place just when they are worth a try.
            let positions = boundaryOrder(current.grouping, order, binning: binning)
            var rejectedInARow = 0
            for (visited, position) in positions.enumerated() {
                guard let boundary = boundaryIndex(of: position, in: current.grouping) else { continue }
                guard let kept = try attempt(boundary) else {
                    current.stoppedAtCap = true
                    return current
                }
                merged = merged || kept
                rejectedInARow = kept ? 0 : rejectedInARow + 1
                report(visited + 1, of: positions.count)
                // Later boundaries add more error than the ones just refused.
                if order == .weightError && rejectedInARow >= patience { break }
            }
        }
        return current
    }

    /// Runs `orders` one after the other and returns the best result: fewer codebook entries, then the higher
    /// score (the first order on a tie). `tried` grows by the merges scored in all orders, which share
    /// `maxEvaluations`: an order that starts with the cap spent stops at once, unchanged.
    public func mergeBest(binning: UniformBinning, grouping: BinGrouping, score: Double, tried: inout Int,
                          orders: [Order] = Order.paper, maxEvaluations: Int? = nil,
                          progress: (Progress) -> Void = { _ in }) throws -> Result {
        precondition(!orders.isEmpty, "no merge order")
        var results: [Result] = []
        var spent = 0
        for order in orders {
            let before = spent
            let result = try merge(binning: binning, grouping: grouping, score: score, order: order,
                                   maxEvaluations: maxEvaluations.map { $0 - before }) { step in
                var overall = step
                overall.evaluations += before
                overall.maxEvaluations = maxEvaluations
                progress(overall)
            }
            spent += result.tried
            results.append(result)
        }
        tried += spent
        var best = results.min { a, b in
            a.grouping.groupCount != b.grouping.groupCount
                ? a.grouping.groupCount < b.grouping.groupCount : a.score > b.score
        }!
        // The cap cut the search short whichever order won.
        best.stoppedAtCap = results.contains { $0.stoppedAtCap }
        return best
    }

    /// Positions (first bin right of each boundary, counted in non-empty bins) in visiting order.
    func boundaryOrder(_ grouping: BinGrouping, _ order: Order, binning: UniformBinning) -> [Int] {
        let positions = Array(groupStarts(grouping).dropFirst())
        switch order {
        case .leftToRight:
            return positions
        case .centreToEnds:
            let centre = Double(positions.count - 1) / 2
            return positions.enumerated().sorted { a, b in
                let da = abs(Double(a.offset) - centre), db = abs(Double(b.offset) - centre)
                return da != db ? da < db : a.offset < b.offset
            }.map(\.element)
        case .weightError:
            let errors = grouping.mergeErrors(binning: binning)
            return positions.indices.sorted { a, b in
                errors[a] != errors[b] ? errors[a] < errors[b] : a < b
            }.map { positions[$0] }
        }
    }

    /// Position (in non-empty bins) where each group starts; the first is 0 (not a boundary).
    func groupStarts(_ grouping: BinGrouping) -> [Int] {
        var starts: [Int] = []
        starts.reserveCapacity(grouping.runLengths.count)
        var position = 0
        for length in grouping.runLengths {
            starts.append(position)
            position += length
        }
        return starts
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
