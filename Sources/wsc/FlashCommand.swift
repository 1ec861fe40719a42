import ArgumentParser
import Foundation
import WeightShare

struct FlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flash",
        abstract: "Write the model image made by 'wsc compile --board' to the board's model region with its flasher.",
        discussion: "The command comes from the board file (openocd, st-flash, pyocd, picotool, nrfjprog, …).")

    @Argument(help: "Output folder of 'wsc compile --board' (or its model.wsm).") var directory: String
    @OptionGroup var boardOptions: BoardOptions
    @Flag(name: .customLong("dry-run"), help: "Print the exact command instead of running it.") var dryRun = false
    @OptionGroup var output: OutputOptions

    struct Report: Codable {
        var board: String
        var tool: String
        var image: String
        var address: String
        var command: [String]
        var shell: String
        var ran: Bool
        var status: Int32?
    }

    func run() throws {
        let board = try boardOptions.load()
        var folder = URL(fileURLWithPath: directory)
        if folder.pathExtension == "wsm" { folder.deleteLastPathComponent() }
        let (argv, image) = try FlasherInvocation.arguments(board: board, directory: folder)
        let flasher = board.flasher!
        var report = Report(board: board.name, tool: flasher.tool, image: image.path,
                            address: String(format: "0x%08llX", board.modelRegion!.address), command: argv,
                            shell: FlasherInvocation.shellLine(argv), ran: false, status: nil)
        if dryRun {
            if output.json { try Console.printJSON(report) } else { print(report.shell) }
            return
        }
        guard ExternalTool.find(flasher.tool) != nil else {
            throw BoardError.flasherMissing(tool: flasher.tool, board: board.name, install: flasher.install)
        }
        Console.progress("flashing \(image.lastPathComponent) to \(report.address) on \(board.name): \(report.shell)")
        let result = try ExternalTool.run(argv, timeout: 600, passthrough: true)
        report.ran = true
        report.status = result.status
        if output.json { try Console.printJSON(report) }
        guard result.status == 0 else { throw ExitCode(result.status == 0 ? 1 : result.status) }
    }
}
