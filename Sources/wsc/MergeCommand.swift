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
    @Option(help: "Visiting order (default: the run's --merge-order): paper, left-to-right, centre-to-ends or weight-error.")
    var order: SearchSettings.MergeOrder?
    @Option(name: .customLong("max-evaluations"),
            help: ArgumentHelp("Most merges scored (default: the run's --merge-max-evaluations); the merge stops there with what it has kept and says so.", valueName: "N"))
    var maxEvaluations: Int?
    @Option(name: .customLong("progress-interval"),
            help: ArgumentHelp("Seconds between progress lines while the merge runs.", valueName: "seconds"))
    var progressInterval: Double = ProgressTiming.defaultInterval
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let tolerance, !(tolerance >= 0 && tolerance.isFinite) {
            throw ValidationError("--tolerance must be a finite number ≥ 0")
        }
        if let maxEvaluations, maxEvaluations < 1 { throw ValidationError("--max-evaluations must be ≥ 1") }
        guard progressInterval >= 0, progressInterval.isFinite else {
            throw ValidationError("--progress-interval must be a finite number of seconds ≥ 0")
        }
    }

    func run() throws {
        let (report, merged) = try SearchSession.mergeSolution(
            solution, in: RunDirectory(URL(fileURLWithPath: runDirectory)), tolerance: tolerance.map { $0 / 100 },
            order: order, maxEvaluations: maxEvaluations, progressInterval: progressInterval, log: Console.progress)
        if output.json { try Console.printJSON(merged) } else { print(ParetoCommand.render(report)) }
    }
}
