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

/// Scores a front on data the search did not see, with a one-sided upper bound on every solution's loss: the
/// evidence `compile` chooses on (the selection split, or the user's held-out data).
public enum SelectionScoring {
    public struct Result: Sendable, Equatable {
        public var floatScore: Double
        /// ``LossBound/resolution(metric:float:confidence:)`` on these samples.
        public var resolution: Double
        public var samples: Int
        /// One per solution, in the given order.
        public var assessments: [Solution.Assessment]
    }

    /// Each solution's final (merged) encoding scored on `samples` with the run's metric; bounds at `confidence`,
    /// the bootstrap seeded with the run's seed.
    public static func assess(session: SearchSession, solutions: [Solution], samples: SampleSet,
                              confidence: Double) throws -> Result {
        let evaluator = try RuntimeEvaluator(encoder: session.evaluator.encoder, samples: samples,
                                             metric: session.settings.metric, output: session.settings.output)
        let float = evaluator.floatRowScores
        let assessments = try solutions.map { solution -> Solution.Assessment in
            guard let rows = try evaluator.rowScores(try solution.encoding(encoder: session.evaluator.encoder)) else {
                let loss = evaluator.floatScore - Metric.failedScore
                return Solution.Assessment(score: Metric.failedScore,
                                           bound: LossBound(loss: loss, upper: loss, confidence: confidence,
                                                            samples: samples.count, method: "failed"))
            }
            let bound = LossBound.measure(metric: evaluator.metric, float: float, candidate: rows,
                                          confidence: confidence, seed: session.settings.seed)
            return Solution.Assessment(score: rows.reduce(0, +) / Double(max(rows.count, 1)), bound: bound)
        }
        return Result(floatScore: evaluator.floatScore,
                      resolution: LossBound.resolution(metric: evaluator.metric, float: float, confidence: confidence),
                      samples: samples.count, assessments: assessments)
    }

    /// Loads `data` as the run's data is read (its metric, output, limits) for scoring a front on it.
    public static func load(_ data: URL, session: SearchSession, limit: Int? = nil, dropNonFinite: Bool = false,
                            maxDataBytes: Int = NumPy.defaultMaxDataBytes) throws -> SampleSet {
        let lowered = session.source.lowered
        return try SampleSet.load(
            data, for: lowered, limit: limit, metric: session.settings.metric, dropNonFinite: dropNonFinite,
            maxBytes: maxDataBytes,
            classOutput: try OutputSelection.classOutput(outputs: lowered.outputs.map { lowered.tensors[$0].name },
                                                         name: session.settings.output))
    }
}
