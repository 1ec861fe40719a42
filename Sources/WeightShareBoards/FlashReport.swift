import Foundation

/// What `wsc flash` does or did: the board's flasher command for the model image. Keys are stable.
public struct FlashReport: Sendable, Equatable, Codable {
    public var board: String
    public var tool: String
    /// The image file flashed (model.bin / .hex / .uf2).
    public var image: String
    /// The model region's address, `0x` and 8 hex digits.
    public var address: String
    public var command: [String]
    /// ``command`` as one shell-quoted line.
    public var shell: String
    public var ran: Bool
    /// The flasher's exit status, once it ran.
    public var status: Int32?
}

extension FlasherInvocation {
    /// The command that flashes the images in `directory` (made by `wsc compile --board`) to `board`; nothing runs.
    public static func plan(board: Board, directory: URL) throws -> FlashReport {
        let (argv, image) = try arguments(board: board, directory: directory)
        // arguments(board:directory:) has checked that the board has a flasher and a model region.
        let flasher = board.flasher!
        return FlashReport(board: board.name, tool: flasher.tool, image: image.path,
                           address: String(format: "0x%08llX", board.modelRegion!.address), command: argv,
                           shell: shellLine(argv), ran: false, status: nil)
    }

    /// Runs a planned flash with the flasher's output on the terminal; the report carries its exit status. Throws
    /// when the flasher is not installed (naming how to install it).
    public static func flash(_ plan: FlashReport, board: Board, timeout: Double = 600,
                             log: (String) -> Void) throws -> FlashReport {
        guard let flasher = board.flasher else { throw BoardError.noFlasher(board: board.name, reason: "its board file has no 'flasher' object") }
        guard ExternalTool.find(flasher.tool) != nil else {
            throw BoardError.flasherMissing(tool: flasher.tool, board: board.name, install: flasher.install)
        }
        log("flashing \(URL(fileURLWithPath: plan.image).lastPathComponent) to \(plan.address) on \(board.name): \(plan.shell)")
        let result = try ExternalTool.run(plan.command, timeout: timeout, passthrough: true)
        var report = plan
        report.ran = true
        report.status = result.status
        return report
    }
}
