import Foundation
import WeightShareContainer
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

    /// Each solution's final (merged) encoding scored on `samples` with the run's metric; bounds at `confidence`
    /// by `method` (``BoundMethod``), the bootstraps seeded with the run's seed.
    public static func assess(session: SearchSession, solutions: [Solution], samples: SampleSet,
                              confidence: Double, method: BoundMethod = .transfer) throws -> Result {
        let evaluator = try RuntimeEvaluator(encoder: session.evaluator.encoder, samples: samples,
                                             metric: session.settings.metric, output: session.settings.output)
        let float = evaluator.floatRowScores
        let metric = evaluator.metric
        let transfer = method == .transfer && metric != .cosine
        let targets = classTargets(evaluator)
        // The float model's margins on the search data join the transfer bound's margin samples (the float model is
        // fixed, so the search cannot have flattered them; see ``TransferBound``); the candidates' perturbations come
        // from `samples` only. Not when `samples` are the search data (a run without a selection split).
        let search = session.evaluator
        let searchTargets = transfer && samples != search.samples && search.outputWidth == evaluator.outputWidth
            ? classTargets(search) : nil
        let moreFloat = searchTargets == nil ? [] : search.floatOutputs, moreTargets = searchTargets ?? []
        let assessments = try solutions.map { solution -> Solution.Assessment in
            let encoding = try solution.encoding(encoder: session.evaluator.encoder)
            let outputs: [Float]
            do {
                outputs = try evaluator.outputs(encoding)
            } catch CalibrationError.nonFiniteBias {
                outputs = []
            }
            guard !outputs.isEmpty, Metric.allFinite(outputs) else {
                let loss = evaluator.floatScore - Metric.failedScore
                return Solution.Assessment(score: Metric.failedScore,
                                           bound: LossBound(loss: loss, upper: loss, confidence: confidence,
                                                            samples: samples.count, method: "failed"))
            }
            let rows = metric.rowScores(outputs: outputs, width: evaluator.outputWidth, labels: samples.labels,
                                        reference: evaluator.floatOutputs)
            let score = rows.reduce(0, +) / Double(max(rows.count, 1))
            if transfer, let targets {
                return Solution.Assessment(score: score, bound: TransferBound.measure(
                    float: evaluator.floatOutputs, candidate: outputs, width: evaluator.outputWidth, targets: targets,
                    moreFloat: moreFloat, moreTargets: moreTargets, confidence: confidence, seed: session.settings.seed))
            }
            return Solution.Assessment(score: score, bound: LossBound.measure(
                metric: metric, float: float, candidate: rows, confidence: confidence, seed: session.settings.seed))
        }
        // A candidate equal to the float model has transfer loss and bound 0.
        return Result(floatScore: evaluator.floatScore,
                      resolution: transfer ? 0 : LossBound.resolution(metric: metric, float: float, confidence: confidence),
                      samples: samples.count, assessments: assessments)
    }

    /// The class each sample should keep: its label (accuracy) or the float model's class (agreement); nil for
    /// accuracy without labels.
    static func classTargets(_ evaluator: RuntimeEvaluator) -> [Int]? {
        let width = evaluator.outputWidth
        return evaluator.metric == .accuracy ? evaluator.samples.labels
            : (0..<evaluator.samples.count).map { Metric.argmax(evaluator.floatOutputs[($0 * width)..<(($0 + 1) * width)]) }
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
