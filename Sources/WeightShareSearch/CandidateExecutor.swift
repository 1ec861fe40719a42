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

/// Scores in this process with the run's evaluator (``Evaluator/scores(_:)``: a small model's candidates side by
/// side, a large model's one after another with its samples on every core).
public final class LocalExecutor: CandidateExecutor {
    public let evaluator: any Evaluator

    public init(evaluator: any Evaluator) { self.evaluator = evaluator }

    public func scores(_ candidates: [Candidate]) throws -> [Double] {
        try evaluator.scores(candidates.map(\.encoding))
    }
}
