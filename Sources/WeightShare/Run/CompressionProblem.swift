import Foundation

/// The paper's search problem for NSGA-II: a genome decodes to a binning configuration (today only K), the
/// binning to a quantization; objectives are the score loss against the float model and the packed weight
/// bytes (codebook + fixed-width indices). Scores are cached by the resulting quantization, so genomes that
/// quantize identically cost one evaluation.
public final class CompressionProblem: MultiObjectiveProblem, @unchecked Sendable {
    public let evaluator: any Evaluator
    public let weights: SharedWeights
    public let geneSpace: GeneSpace
    public var objectiveCount: Int { 2 }

    private let lock = NSLock()
    private var scores: [Quantization: Double] = [:]
    /// Evaluations actually run (cache misses).
    public private(set) var evaluations = 0

    public init(evaluator: any Evaluator, weights: SharedWeights, kRange: ClosedRange<Int>) {
        self.evaluator = evaluator
        self.weights = weights
        geneSpace = GeneSpace([Gene(name: "k", lower: Double(kRange.lowerBound), upper: Double(kRange.upperBound),
                                    kind: .integer)])
    }

    /// K from a genome.
    public func k(of genome: Genome) -> Int { Int(genome.genes[0]) }

    public func quantization(for genome: Genome) -> Quantization {
        Quantization(binning: UniformBinning(values: weights.values, k: k(of: genome)))
    }

    /// Score of a quantization, from the cache when it was seen before.
    public func score(_ quantization: Quantization) throws -> Double {
        if let cached = lock.withLock({ scores[quantization] }) { return cached }
        let value = try evaluator.score(quantization)
        lock.withLock {
            scores[quantization] = value
            evaluations += 1
        }
        return value
    }

    public func objectives(score: Double, quantization: Quantization) -> [Double] {
        [evaluator.floatScore - score,
         Double(SizeReport.packedWeightBytes(n: quantization.indices.count, m: quantization.codebookSize))]
    }

    /// Flash the model would still need beyond the board's budget, in bytes (0 = fits); nil = no board.
    public var flashExcess: ((Quantization) throws -> Int)?

    /// First objective of a candidate that does not fit the board: beyond every feasible loss (at most 1).
    public static let infeasibleLoss = 2.0

    public func evaluate(_ genomes: [Genome]) throws -> [[Double]] {
        try genomes.map { genome in
            let q = quantization(for: genome)
            // A solution that cannot fit the board is never scored: its first objective lies beyond every
            // feasible loss and grows with the excess, so the search is pulled towards the budget.
            if let flashExcess, case let excess = try flashExcess(q), excess > 0 {
                return [Self.infeasibleLoss + Double(excess) / Double(max(1, 4 * weights.count)),
                        Double(SizeReport.packedWeightBytes(n: q.indices.count, m: q.codebookSize))]
            }
            return objectives(score: try score(q), quantization: q)
        }
    }
}
