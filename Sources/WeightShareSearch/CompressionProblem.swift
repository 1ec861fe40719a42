import Foundation
import WeightShareCompress
import WeightShareContainer
import WeightShareCore
import WeightShareEvaluate
import WeightShareNSGA2

/// The search problem for NSGA-II: a genome decodes to ``EncodingGenes`` (the paper's K, and with the full genome
/// the scale mode, clip quantiles and outlier budget), those to a ``WeightEncoding``; objectives are the score loss
/// against the float model and every byte of the encoding (codebook, indices as ``sizeCoding`` stores them, scales,
/// outliers).
/// Scores are cached by the resulting encoding, so genomes that encode identically cost one evaluation.
public final class CompressionProblem: MultiObjectiveProblem, @unchecked Sendable {
    public let evaluator: any Evaluator
    public let encoder: WeightEncoder
    public let geneSpace: GeneSpace
    public var objectiveCount: Int { 2 }
    /// Where a generation's uncached candidates are scored (default: this process, with `evaluator`).
    public var executor: any CandidateExecutor

    private let lock = NSLock()
    private var scores: [CacheKey: Double] = [:]
    /// Evaluations actually run (cache misses).
    public private(set) var evaluations = 0
    /// With racing (``RuntimeEvaluator/race(_:below:)``): each candidate scored on a growing prefix of the samples
    /// and stopped once it cannot beat a fully scored candidate of at most its size.
    public var racing: RuntimeEvaluator?
    /// Sample runs racing saved (samples × candidates never run), and the candidates it stopped.
    public private(set) var racingSavedSampleRuns = 0
    public private(set) var racingRejected = 0
    /// Fully scored candidates (bytes, score), for racing's thresholds; the bounds rejected candidates stopped at
    /// (never taken for a score: ``score(_:)`` runs such a candidate whole if it is asked for).
    private var scored: [(bytes: Int, score: Double)] = []
    private var bounds: [CacheKey: Double] = [:]

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

    /// An encoding hashed once: its index arrays run to millions of values on real models, and a dictionary
    /// hashes its keys again on every lookup and every resize (``WeightEncoding/hash(into:)``).
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
        try score(CacheKey(encoding))
    }

    private func score(_ key: CacheKey) throws -> Double {
        if let cached = lock.withLock({ scores[key] }) { return cached }
        let value = try evaluator.score(key.encoding)
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
                Double(packedWeightBytes(encoding))]
    }

    /// How the size objective counts the indices (``WeightEncoder/packedWeightBytes(_:coding:)``).
    public var sizeCoding: IndexCoding = .fixed

    /// The size objective of `encoding`: every byte of its packed weights, the indices coded as ``sizeCoding`` says.
    public func packedWeightBytes(_ encoding: WeightEncoding) -> Int {
        encoder.packedWeightBytes(encoding, coding: sizeCoding)
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
        let keys = candidates.map { CacheKey($0.encoding) }          // each candidate's encoding hashed once
        // A solution that cannot fit the board is never scored: its first objective lies beyond every
        // feasible loss and grows with the excess, so the search is pulled towards the budget.
        let penalties: [[Double]?] = try candidates.map { candidate in
            guard let flashExcess, case let excess = try flashExcess(candidate.encoding), excess > 0 else { return nil }
            return [Self.infeasibleLoss + Double(excess) / Double(max(1, 4 * encoder.base.shared.count)),
                    Double(packedWeightBytes(candidate.encoding))]
        }
        let scored = candidates.indices.filter { penalties[$0] == nil }
        if racing != nil && executor is LocalExecutor {
            // Racing needs each candidate's threshold from those scored before it: one after another, here.
            for i in scored { _ = try racingScore(keys[i]) }
        } else {
            try scoreUncached(scored.map { (candidates[$0], keys[$0]) })
        }
        return try candidates.indices.map { i in
            if let penalty = penalties[i] { return penalty }
            let (candidate, key) = (candidates[i], keys[i])
            let known = lock.withLock { bounds[key] }
            return objectives(score: try known ?? score(key), encoding: candidate.encoding)
        }
    }

    /// Scores, in one batch through ``executor``, the candidates whose encoding is not cached yet (each encoding
    /// once), and caches the scores.
    func scoreUncached(_ candidates: [(Candidate, CacheKey)]) throws {
        var batch: [Candidate] = []
        var batchKeys: [CacheKey] = []
        var queued = Set<CacheKey>()
        lock.withLock {
            for (candidate, key) in candidates where scores[key] == nil && queued.insert(key).inserted {
                batch.append(candidate)
                batchKeys.append(key)
            }
        }
        guard !batch.isEmpty else { return }
        let values = try executor.scores(batch)
        guard values.count == batch.count else {
            throw SearchError.evaluationCountMismatch(expected: batch.count, got: values.count)
        }
        lock.withLock {
            for (key, value) in zip(batchKeys, values) { scores[key] = value }
            evaluations += batch.count
        }
    }

    /// The score NSGA-II ranks `encoding` by: its full score, or with ``racing`` the bound at which it was
    /// stopped (it is then dominated by a fully scored candidate whatever its remaining samples give).
    func racingScore(_ key: CacheKey) throws -> Double {
        guard let racing else { return try score(key) }
        let encoding = key.encoding
        if let cached = lock.withLock({ scores[key] ?? bounds[key] }) { return cached }
        let bytes = packedWeightBytes(encoding)
        // To enter the front it must beat every fully scored candidate that is no larger.
        let threshold = scored.filter { $0.bytes <= bytes }.map(\.score).max() ?? Metric.failedScore
        let outcome = try racing.race(encoding, below: threshold)
        lock.withLock {
            evaluations += 1
            if outcome.rejected {
                bounds[key] = outcome.score
                racingRejected += 1
                racingSavedSampleRuns += racing.samples.count - outcome.samplesRun
            } else {
                scores[key] = outcome.score
                if outcome.score > Metric.failedScore { scored.append((bytes, outcome.score)) }
            }
        }
        return outcome.score
    }
}
