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
    /// Where a generation's uncached candidates are scored (default: this process, with `evaluator`).
    public var executor: any CandidateExecutor

    private let lock = NSLock()
    private var scores: [WeightEncoding: Double] = [:]
    /// Evaluations actually run (cache misses).
    public private(set) var evaluations = 0

    public init(evaluator: any Evaluator, encoder: WeightEncoder, kRange: ClosedRange<Int>,
                genome: GenomeKind = .k) {
        self.evaluator = evaluator
        self.encoder = encoder
        geneSpace = genome.geneSpace(kRange: kRange)
        executor = LocalExecutor(evaluator: evaluator)
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

    /// Score of an encoding, from the cache when it was seen before.
    public func score(_ encoding: WeightEncoding) throws -> Double {
        if let cached = lock.withLock({ scores[encoding] }) { return cached }
        let value = try evaluator.score(encoding)
        lock.withLock {
            scores[encoding] = value
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
        let candidates = genomes.map { genome in
            let genes = genes(of: genome)
            return Candidate(genes: genes, encoding: encoder.encode(genes))
        }
        // A solution that cannot fit the board is never scored: its first objective lies beyond every
        // feasible loss and grows with the excess, so the search is pulled towards the budget.
        let penalties: [[Double]?] = try candidates.map { candidate in
            guard let flashExcess, case let excess = try flashExcess(candidate.encoding), excess > 0 else { return nil }
            return [Self.infeasibleLoss + Double(excess) / Double(max(1, 4 * encoder.base.shared.count)),
                    Double(SizeReport.packedWeightBytes(candidate.encoding))]
        }
        try scoreUncached(zip(candidates, penalties).filter { $0.1 == nil }.map(\.0))
        return try zip(candidates, penalties).map { candidate, penalty in
            try penalty ?? objectives(score: score(candidate.encoding), encoding: candidate.encoding)
        }
    }

    /// Scores, in one batch through ``executor``, the candidates whose encoding is not cached yet (each encoding
    /// once), and caches the scores.
    func scoreUncached(_ candidates: [Candidate]) throws {
        var batch: [Candidate] = []
        var queued = Set<WeightEncoding>()
        lock.withLock {
            for candidate in candidates where scores[candidate.encoding] == nil
                && queued.insert(candidate.encoding).inserted {
                batch.append(candidate)
            }
        }
        guard !batch.isEmpty else { return }
        let values = try executor.scores(batch)
        guard values.count == batch.count else {
            throw SearchError.evaluationCountMismatch(expected: batch.count, got: values.count)
        }
        lock.withLock {
            for (candidate, value) in zip(batch, values) { scores[candidate.encoding] = value }
            evaluations += batch.count
        }
    }
}
