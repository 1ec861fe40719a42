import Foundation
import WeightShareCompress
import WeightShareContainer
import WeightShareCore
import WeightShareNSGA2

/// The search problem for NSGA-II: a genome decodes to ``EncodingGenes`` (the paper's K, and with the full genome
/// the scale mode, clip quantiles and outlier budget), those to a ``WeightEncoding``; objectives are the score loss
/// against the float model and every byte of the encoding (codebook, fixed-width indices, scales, outliers).
/// Scores are cached by the resulting encoding, so genomes that encode identically cost one evaluation.
public final class CompressionProblem: MultiObjectiveProblem, @unchecked Sendable {
    public let evaluator: any Evaluator
    public let encoder: WeightEncoder
    public let geneSpace: GeneSpace
    public var objectiveCount: Int { 2 }

    private let lock = NSLock()
    private var scores: [CacheKey: Double] = [:]
    /// Evaluations actually run (cache misses).
    public private(set) var evaluations = 0

    public init(evaluator: any Evaluator, encoder: WeightEncoder, kRange: ClosedRange<Int>,
                genome: GenomeKind = .k) {
        self.evaluator = evaluator
        self.encoder = encoder
        geneSpace = genome.geneSpace(kRange: kRange)
    }

    /// The decoded genes of `genome`.
    public func genes(of genome: Genome) -> EncodingGenes {
        EncodingGenes(named: genome.named(in: geneSpace))
    }

    /// K from a genome.
    public func k(of genome: Genome) -> Int { genes(of: genome).k }

    public func encoding(for genome: Genome) -> WeightEncoding {
        encoder.encode(genes(of: genome))
    }

    /// An encoding hashed once: its index arrays run to millions of values on real models, and a dictionary
    /// hashes its keys again on every lookup and every resize.
    struct CacheKey: Hashable {
        let encoding: WeightEncoding
        let digest: Int
        init(_ encoding: WeightEncoding) {
            self.encoding = encoding
            digest = encoding.hashValue
        }
        func hash(into hasher: inout Hasher) { hasher.combine(digest) }
        static func == (a: CacheKey, b: CacheKey) -> Bool { a.digest == b.digest && a.encoding == b.encoding }
    }

    /// Score of an encoding, from the cache when it was seen before.
    public func score(_ encoding: WeightEncoding) throws -> Double {
        let key = CacheKey(encoding)
        if let cached = lock.withLock({ scores[key] }) { return cached }
        let value = try evaluator.score(encoding)
        lock.withLock {
            scores[key] = value
            evaluations += 1
        }
        return value
    }

    /// A failed candidate (``Metric/failedScore`` or below, or a score that is not a number: non-finite outputs)
    /// gets ``infeasibleLoss``, beyond every usable loss, so it never reaches the reported front.
    public func objectives(score: Double, encoding: WeightEncoding) -> [Double] {
        let failed = !score.isFinite || score <= Metric.failedScore
        return [failed ? Self.infeasibleLoss : evaluator.floatScore - score,
                Double(SizeReport.packedWeightBytes(encoding))]
    }

    /// Flash the model would still need beyond the board's budget, in bytes (0 = fits); nil = no board.
    public var flashExcess: ((WeightEncoding) throws -> Int)?

    /// First objective of a candidate that does not fit the board: beyond every feasible loss (at most 1).
    public static let infeasibleLoss = 2.0

    public func evaluate(_ genomes: [Genome]) throws -> [[Double]] {
        try genomes.map { genome in
            let encoding = encoding(for: genome)
            // A solution that cannot fit the board is never scored: its first objective lies beyond every
            // feasible loss and grows with the excess, so the search is pulled towards the budget.
            if let flashExcess, case let excess = try flashExcess(encoding), excess > 0 {
                return [Self.infeasibleLoss + Double(excess) / Double(max(1, 4 * encoder.base.shared.count)),
                        Double(SizeReport.packedWeightBytes(encoding))]
            }
            return objectives(score: try score(encoding), encoding: encoding)
        }
    }
}
