import ArgumentParser
import Foundation
import WeightShare

struct FlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flash",
        abstract: "Write the model image made by 'wsc compile --board' to the board's model region with its flasher.",
        discussion: "The command comes from the board file (openocd, st-flash, pyocd, picotool, nrfjprog, …).")

    @Argument(help: "Output folder of 'wsc compile --board' (or its model.wsm).", completion: Completion.compiled)
    var directory: String
    @OptionGroup var boardOptions: BoardOptions
    @Flag(name: .customLong("dry-run"), help: "Print the exact command instead of running it.") var dryRun = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        let board = try boardOptions.load()
        let plan = try FlasherInvocation.plan(board: board, directory: compiledFolder(directory))
        if dryRun {
            if output.json { try Console.printJSON(plan) } else { print(plan.shell) }
            return
        }
        let report = try FlasherInvocation.flash(plan, board: board, log: Console.progress)
        if output.json { try Console.printJSON(report) }
        guard report.status == 0 else { throw ExitCode(report.status ?? 1) }
    }
}
