import ArgumentParser
import Foundation
import WeightShare

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge neighbouring bins of one solution while the score holds (left-to-right and centre-to-ends; the better one is kept).",
        discussion: "Updates the solution in pareto.json/.csv/.svg.")

    @Argument(help: "Run directory made by 'wsc search'.") var runDirectory: String
    @Option(help: "Solution id (see 'wsc pareto').") var solution: Int
    @Option(help: "Score drop a merge may cause, in points.") var tolerance: Double?
    @OptionGroup var output: OutputOptions

    func run() throws {
        let directory = RunDirectory(URL(fileURLWithPath: runDirectory))
        var report = try directory.readReport()
        guard report.solutions.indices.contains(solution) else {
            throw RunError.noSuchSolution(id: solution, count: report.solutions.count)
        }
        if let tolerance, tolerance < 0 { throw ValidationError("--tolerance must be ≥ 0") }
        let session = try SearchSession.reopen(directory)
        let merged = try session.merge(report.solutions[solution], tolerance: tolerance.map { $0 / 100 },
                                       log: Console.progress)
        report.solutions[solution] = merged
        try directory.write(report)
        if output.json { try Console.printJSON(merged) } else { print(ParetoCommand.render(report)) }
    }
}
