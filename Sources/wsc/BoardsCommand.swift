import ArgumentParser
import Foundation
import WeightShare

/// `--board NAME`, `--board-file PATH`, `--boards-dir DIR`: how a command finds its board.
struct BoardOptions: ParsableArguments {
    @Option(help: "Target board: a file name in the boards folder without .json (see 'wsc boards').",
            completion: Completion.boards)
    var board: String?
    @Option(name: .customLong("board-file"), help: "A board description file (JSON, boards/README.md) instead of --board.",
            completion: Completion.json)
    var boardFile: String?
    @Option(name: .customLong("boards-dir"),
            help: "The boards folder (default: $WSC_BOARDS_DIR, or boards/ next to wsc or in a parent folder).",
            completion: Completion.folder)
    var boardsDir: String?

    func validate() throws {
        if board != nil && boardFile != nil { throw ValidationError("pass either --board or --board-file, not both") }
    }

    var isGiven: Bool { board != nil || boardFile != nil }

    func catalog() throws -> BoardCatalog { try BoardCatalog.locate(explicit: boardsDir) }

    /// The board (`host` when neither option is given and `defaultHost`).
    func load(defaultHost: Bool = false) throws -> Board {
        if let boardFile { return try Board.load(url: URL(fileURLWithPath: boardFile)) }
        guard let name = board ?? (defaultHost ? "host" : nil) else {
            throw ValidationError("--board (or --board-file) is required; 'wsc boards' lists the boards")
        }
        return try catalog().board(named: name)
    }

    /// Where firmware sources live: the boards folder found as usual (also when --board-file names the board).
    func firmwareCatalog() throws -> BoardCatalog { try catalog() }
}

struct BoardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boards",
        abstract: "List the boards (flash/RAM map, model region, flasher, QEMU machine, UART); validates every board file.")

    @Option(name: .customLong("boards-dir"), help: "The boards folder.", completion: Completion.folder)
    var boardsDir: String?
    @Option(name: .customLong("board-file"), help: "Validate and show one board file.", completion: Completion.json)
    var boardFile: String?
    @OptionGroup var output: OutputOptions

    func run() throws {
        let boards: [Board]
        if let boardFile { boards = [try Board.load(url: URL(fileURLWithPath: boardFile))] } else {
            boards = try BoardCatalog.locate(explicit: boardsDir).all()
        }
        if output.json { try Console.printJSON(boards); return }
        func kib(_ v: UInt64?) -> String { v.map { $0 % 1024 == 0 ? "\($0 / 1024) KiB" : "\($0) B" } ?? "-" }
        func hex(_ v: UInt64?) -> String { v.map { String(format: "0x%08llX", $0) } ?? "-" }
        print(Console.table(["board", "cpu", "fpu", "flash", "RAM", "model region", "images", "flasher", "qemu", "uart"], boards.map { b in
            [b.name, b.cpu, b.fpu, kib(b.flash?.size), kib(b.ram?.size),
             b.modelRegion.map { "\(hex($0.address)) \(kib($0.size))" } ?? "-",
             b.imageFormats.isEmpty ? "-" : b.imageFormats.joined(separator: ","), b.flasher?.tool ?? "-",
             b.qemu?.machine ?? "-", b.uart.map { "\($0.kind) \(hex($0.base))" } ?? "-"]
        }))
    }
}
