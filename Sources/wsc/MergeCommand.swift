import ArgumentParser
import Foundation
import WeightShare

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge neighbouring bins of one solution while the score holds (left-to-right and centre-to-ends; the better one is kept).",
        discussion: "Updates the solution in pareto.json/.csv/.svg.")

    @Argument(help: "Run directory made by 'wsc search'.", completion: Completion.folder) var runDirectory: String
    @Option(help: "Solution id (see 'wsc pareto').") var solution: Int
    @Option(help: "Score drop a merge may cause, in points (the run's --merge-rule bound: how far the loss bound may rise).") var tolerance: Double?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let tolerance, !(tolerance >= 0 && tolerance.isFinite) {
            throw ValidationError("--tolerance must be a finite number ≥ 0")
        }
    }

    func run() throws {
        let (report, merged) = try SearchSession.mergeSolution(
            solution, in: RunDirectory(URL(fileURLWithPath: runDirectory)), tolerance: tolerance.map { $0 / 100 },
            log: Console.progress)
        if output.json { try Console.printJSON(merged) } else { print(ParetoCommand.render(report)) }
    }
}
