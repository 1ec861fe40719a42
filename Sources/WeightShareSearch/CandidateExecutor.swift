import WeightShareCompress
import WeightShareEvaluate

/// One candidate a generation needs scored: its genes (what a remote worker rebuilds the encoding from) and the
/// encoding they give here (what the local evaluator scores, and the score cache's key).
public struct Candidate: Sendable {
    public let genes: EncodingGenes
    public let encoding: WeightEncoding

    public init(genes: EncodingGenes, encoding: WeightEncoding) {
        self.genes = genes
        self.encoding = encoding
    }
}

/// Where a generation's candidates are scored: in this process (``LocalExecutor``) or on a cluster
/// (``RayExecutor``). Every executor must give each candidate exactly the score ``RuntimeEvaluator/score(_:)`` of
/// the run's evaluator gives its encoding, so the search's front does not depend on where it ran.
public protocol CandidateExecutor: AnyObject {
    /// The scores of `candidates`, in the same order.
    func scores(_ candidates: [Candidate]) throws -> [Double]
}

/// Scores in this process with the run's evaluator, one candidate after another (each evaluation already runs
/// its samples on every core).
public final class LocalExecutor: CandidateExecutor {
    public let evaluator: any Evaluator

    public init(evaluator: any Evaluator) { self.evaluator = evaluator }

    public func scores(_ candidates: [Candidate]) throws -> [Double] {
        try candidates.map { try evaluator.score($0.encoding) }
    }
}
