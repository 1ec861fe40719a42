import WeightShareBoards
import Foundation
import WeightShareContainer
import WeightShareCore
import WeightShareEvaluate
import WeightShareImport

/// Which solution of a run `wsc compile` packs, and which other one to suggest when it does not fit the board.
public enum SolutionChoice {
    /// The solution `id` when given; otherwise the smallest solution (fewest packed weight bytes, then lowest id)
    /// whose loss is at most `maxLossPoints` points (1 point = 0.01 of the score).
    public static func choose(from report: ParetoReport, id: Int?, maxLossPoints: Double) throws -> Solution {
        if let id {
            guard report.solutions.indices.contains(id) else {
                throw RunError.noSuchSolution(id: id, count: report.solutions.count)
            }
            return report.solutions[id]
        }
        guard let smallest = report.smallest(withinLoss: maxLossPoints / 100) else {
            throw RunError.noSolutionWithinLoss(maxLoss: maxLossPoints / 100,
                                                best: report.solutions.map(\.result.loss).min() ?? .nan)
        }
        return smallest
    }

    /// How a solution was chosen with a confidence bound (`wsc compile` without --solution).
    public struct BoundedChoice: Sendable, Equatable, Codable {
        public var solution: Int
        /// What the bounds were measured on ("selection split …", a held-out file, or "search data").
        public var evidence: String
        public var samples: Int
        public var confidence: Double
        /// The tolerance asked for and the bound threshold applied (score units): the threshold is the data's
        /// resolution when that is above the tolerance.
        public var maxLoss: Double
        public var threshold: Double
        /// ``LossBound/resolution(metric:float:confidence:)`` of the evidence.
        public var resolution: Double
        /// The chosen solution's loss and upper bound there (score units).
        public var loss: Double
        public var lossUpper: Double
        public var floatScore: Double
        public var score: Double
        /// Why the tolerance cannot be shown on this data, when it cannot.
        public var warning: String?
    }

    /// Solutions at most this much larger than the smallest qualifying one count as the same size for the choice.
    public static let nearSizeFraction = 0.01

    /// The rule of `wsc compile --max-loss L`: the smallest solution (fewest packed weight bytes, then lowest id)
    /// whose one-sided upper loss bound at the evidence's confidence is at most L — or, of the qualifying solutions
    /// within ``nearSizeFraction`` of its size, the one with the tightest bound. When even a solution identical to
    /// the float model could not be shown within L on this data (its bound, the resolution, exceeds L), the
    /// threshold becomes the resolution, with a warning: then only solutions the data cannot tell from the float
    /// model (or better) qualify. (The count bound's case: the transfer bound's resolution is 0, and on fewer than
    /// 30 samples it warns that its bootstrap is unreliable.) A solution whose loss on the search data exceeds the
    /// threshold never qualifies: the front was selected on the search data, which can only flatter it. `metric`
    /// decides how the warning counts samples.
    ///
    /// When no solution qualifies: with `strict` (the tolerance was asked for explicitly) an error naming the
    /// tightest bound; otherwise (compile's default) the solution with the tightest bound (then the smallest),
    /// with a warning.
    public static func choose(from solutions: [Solution], assessments: [Solution.Assessment], metric: Metric,
                              floatScore: Double, resolution: Double, maxLoss: Double, evidence: String,
                              strict: Bool = true) throws -> BoundedChoice {
        precondition(solutions.count == assessments.count, "one assessment per solution")
        guard let first = assessments.first else { throw RunError.noSuchSolution(id: 0, count: 0) }
        let n = first.samples, confidence = first.confidence
        var warning: String?
        var threshold = maxLoss
        if resolution > maxLoss + 1e-12 {
            threshold = resolution
            let sample = metric == .cosine ? "" : String(format: "1 sample = %@ point; ", Self.points(1 / Double(n)))
            warning = sample + "max-loss \(Self.points(maxLoss)) cannot be resolved with \(Self.percent(confidence)) % "
                + "confidence on \(n) samples (a solution that matches the float model on every sample is bounded at "
                + "\(Self.points(resolution)) points); choosing with that resolution instead: only solutions these "
                + "samples cannot tell from the float model qualify (more data, or a larger --max-loss, resolves more)"
        } else if metric != .cosine && assessments.contains(where: { $0.method == "transfer-bootstrap" }) && n < 30 {
            warning = String(format: "1 sample = %@ point; ", Self.points(1 / Double(n))) + "the transfer bound on \(n) "
                + "samples pairs too few margins and perturbations for its bootstrap to be reliable; use 30 or more "
                + "samples (or --bound count, which cannot resolve max-loss \(Self.points(maxLoss)) on so few)"
        } else if metric == .cosine && n < 30 {
            warning = "the bootstrap bound on \(n) samples is unreliable; use 30 or more samples"
        }
        // The search data can only flatter a front solution (the front was selected on it), so a solution whose
        // loss there already exceeds the threshold is not taken, however lucky it was on the evidence.
        let searchAgrees = { (s: Solution) in s.result.loss <= threshold + 1e-12 }
        let passing = zip(solutions, assessments).filter { $0.1.lossUpper <= threshold + 1e-12 && searchAgrees($0.0) }
        var chosen: (Solution, Solution.Assessment)
        if let smallest = passing.min(by: { ($0.0.result.packedWeightBytes, $0.0.id) < ($1.0.result.packedWeightBytes, $1.0.id) }) {
            // A solution barely larger but with a tighter bound is the better buy: among those within
            // `nearSizeFraction` of the smallest's bytes, the tightest bound (then the smallest, then the lowest id).
            let limit = Double(smallest.0.result.packedWeightBytes) * (1 + nearSizeFraction)
            chosen = passing.filter { Double($0.0.result.packedWeightBytes) <= limit }.min {
                ($0.1.lossUpper, $0.0.result.packedWeightBytes, $0.0.id) < ($1.1.lossUpper, $1.0.result.packedWeightBytes, $1.0.id)
            }!
        } else {
            let plausible = zip(solutions, assessments).filter { searchAgrees($0.0) }
            let best = (plausible.isEmpty ? Array(zip(solutions, assessments)) : plausible).min {
                ($0.1.lossUpper, $0.0.result.packedWeightBytes, $0.0.id) < ($1.1.lossUpper, $1.0.result.packedWeightBytes, $1.0.id)
            }!
            if strict {
                throw RunError.noSolutionWithinBound(maxLoss: threshold, confidence: confidence, samples: n,
                                                     evidence: evidence, bestID: best.0.id, bestUpper: best.1.lossUpper)
            }
            chosen = best
            warning = (warning.map { $0 + "; " } ?? "") + "no solution's loss is within \(Self.points(threshold)) points "
                + "with \(Self.percent(confidence)) % confidence on these samples: taking the one with the tightest bound, "
                + "solution \(best.0.id) (\(Self.points(best.1.lossUpper)) points); search longer or with more data, or "
                + "give --max-loss to refuse instead"
        }
        return BoundedChoice(solution: chosen.0.id, evidence: evidence, samples: n, confidence: confidence,
                             maxLoss: maxLoss, threshold: threshold, resolution: resolution, loss: chosen.1.loss,
                             lossUpper: chosen.1.lossUpper, floatScore: floatScore, score: chosen.1.score,
                             warning: warning)
    }

    /// ``choose(from:assessments:metric:floatScore:resolution:maxLoss:evidence:)`` for a run, the bounds of
    /// accuracy and agreement by `method` (``BoundMethod``): they are measured on `data` when given (the user's
    /// held-out data), else on the run's selection split (or --select-data file), else — a run without one — on the
    /// search data, which the front was selected on, so the bounds there are optimistic (the evidence says so).
    public static func choose(session: SearchSession, report: ParetoReport, maxLoss: Double, confidence: Double,
                              method: BoundMethod = .transfer, strict: Bool = true, data: URL? = nil,
                              limit: Int? = nil, dropNonFinite: Bool = false,
                              maxDataBytes: Int = NumPy.defaultMaxDataBytes) throws -> BoundedChoice {
        let samples: SampleSet
        let evidence: String
        if let data {
            samples = try SelectionScoring.load(data, session: session, limit: limit, dropNonFinite: dropNonFinite,
                                                maxDataBytes: maxDataBytes)
            evidence = "held-out data \(data.lastPathComponent)"
        } else if let selection = session.selection {
            samples = selection
            evidence = "selection " + session.selectionSource
        } else {
            samples = session.samples
            evidence = "search data (the run has no selection split: the front was selected on these samples, so "
                + "the bounds are optimistic)"
        }
        let assessed = try SelectionScoring.assess(session: session, solutions: report.solutions, samples: samples,
                                                   confidence: confidence, method: method)
        return try choose(from: report.solutions, assessments: assessed.assessments, metric: session.settings.metric,
                          floatScore: assessed.floatScore, resolution: assessed.resolution, maxLoss: maxLoss,
                          evidence: evidence, strict: strict)
    }

    /// Score units as points with two decimals ("0.28").
    public static func points(_ x: Double) -> String { String(format: "%.2f", x * 100) }
    static func percent(_ x: Double) -> String { String(format: "%g", (x * 100 * 1000).rounded() / 1000) }

    /// A solution that fits a board, with the size of its `.wsm`.
    public struct Fitting: Sendable, Equatable {
        public var solution: Solution
        public var wsmBytes: Int
    }

    /// Of `solutions` other than `chosen` (by id), the most accurate one that fits according to `fit`: the lowest
    /// loss, then the smallest `.wsm`, then the first in the list. Nil when none fits.
    public static func bestFitting(_ solutions: [Solution], other chosen: Solution,
                                   fit: (Solution) throws -> FitReport) rethrows -> Fitting? {
        var fitting: [Fitting] = []
        for solution in solutions where solution.id != chosen.id {
            let report = try fit(solution)
            if report.fits { fitting.append(Fitting(solution: solution, wsmBytes: report.wsmBytes)) }
        }
        return fitting.min { ($0.solution.result.loss, $0.wsmBytes) < ($1.solution.result.loss, $1.wsmBytes) }
    }

    /// ``bestFitting(_:other:fit:)`` with the fit of the exact container `compile` would write for each solution,
    /// its indices stored as `coding` says and keeping `names`.
    public static func bestFitting(session: SearchSession, report: ParetoReport, other chosen: Solution,
                                   board: Board, coding: IndexCoding, names: ContainerNames = .all) throws -> Fitting? {
        try bestFitting(report.solutions, other: chosen) {
            try ModelCompiler.fit(session: session, solution: $0, board: board, coding: coding, names: names)
        }
    }
}
