import WeightShareBoards

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

    /// ``bestFitting(_:other:fit:)`` with the fit of the exact container `compile` would write for each solution.
    public static func bestFitting(session: SearchSession, report: ParetoReport, other chosen: Solution,
                                   board: Board) throws -> Fitting? {
        try bestFitting(report.solutions, other: chosen) { try ModelCompiler.fit(session: session, solution: $0, board: board) }
    }
}
