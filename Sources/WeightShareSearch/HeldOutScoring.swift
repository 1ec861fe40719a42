import Foundation
import WeightShareCore
import WeightShareEvaluate
import WeightShareImport

/// A solution's score on data the search did not see. The front is selected on the search data, which a search
/// overfits (it picks what happens to score well there), so users check the front on a held-out split.
public struct HeldOutScore: Sendable, Equatable, Codable {
    public var id: Int
    public var score: Double
    /// Float score on the same data minus `score` (score units).
    public var loss: Double
    /// The same for the solution before merging (its `searched` encoding), when it was merged.
    public var searchedScore: Double?
    public var searchedLoss: Double?
}

public enum HeldOutScoring {
    /// Scores every solution of `report` (its final, merged encoding, and the one before merging when it was
    /// merged) on `data` with `metric` (default: the run's). Returns the float model's score there and one entry
    /// per solution, in the report's order.
    /// The data is read as ``SampleSet/load(_:for:limit:labels:metric:dropNonFinite:maxBytes:)`` reads it.
    public static func score(session: SearchSession, report: ParetoReport, data: URL, limit: Int? = nil,
                             metric: Metric? = nil, dropNonFinite: Bool = false,
                             maxDataBytes: Int = NumPy.defaultMaxDataBytes)
        throws -> (floatScore: Double, solutions: [HeldOutScore]) {
        let metric = metric ?? session.settings.metric
        let lowered = session.source.lowered
        let samples = try SampleSet.load(
            data, for: lowered, limit: limit, metric: metric, dropNonFinite: dropNonFinite, maxBytes: maxDataBytes,
            classOutput: try OutputSelection.classOutput(outputs: lowered.outputs.map { lowered.tensors[$0].name },
                                                         name: session.settings.output))
        let evaluator = try RuntimeEvaluator(encoder: session.evaluator.encoder, samples: samples, metric: metric,
                                             output: session.settings.output)
        let scores = try report.solutions.map { solution in
            let score = try evaluator.score(try solution.encoding(encoder: session.evaluator.encoder))
            var entry = HeldOutScore(id: solution.id, score: score, loss: evaluator.floatScore - score)
            if solution.merged {
                let searched = try evaluator.score(try solution.searchedEncoding(encoder: session.evaluator.encoder))
                entry.searchedScore = searched
                entry.searchedLoss = evaluator.floatScore - searched
            }
            return entry
        }
        return (evaluator.floatScore, scores)
    }
}
