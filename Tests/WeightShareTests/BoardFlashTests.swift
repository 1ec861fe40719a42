import Foundation
import Testing
@testable import WeightShareBoards

/// `wsc flash`: placeholders in each flasher's syntax (OpenOCD's Tcl, argv for the others) for paths with spaces,
/// braces, quotes, `$` and `[`; and the image checked against the model region before anything runs.
@Suite("Boards: flasher quoting and image fit")
struct BoardFlashTests {
    /// Folder names a careless user (or an attacker) might compile into.
    static let nastyNames = ["out dir", "a{b}c", "q\"uote's", "dollar $HOME", "bracket [exec rm -rf x]", "semi;colon #x",
                             "{size}", "tab\there", "all {[$\" ;]}"]

    /// A temporary folder `name` holding `model.bin` (and `.hex`/`.uf2`) of `bytes` for `board`.
    static func compiled(_ name: String, board: Board, bytes: Int) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ws-flash-\(UUID().uuidString)")
        let dir = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let wsm = [UInt8](repeating: 0x5A, count: bytes)
        try Data(wsm).write(to: dir.appendingPathComponent("model.bin"))
        let address = board.modelRegion!.address
        try Data(try FlashImage.intelHex(wsm, address: address).utf8).write(to: dir.appendingPathComponent("model.hex"))
        try Data(try FlashImage.uf2(wsm, address: address, familyID: board.uf2FamilyID ?? 0))
            .write(to: dir.appendingPathComponent("model.uf2"))
        return dir
    }

    static func board(_ name: String) throws -> Board { try BoardTests.catalog.board(named: name) }

    static let tclsh = ExternalTool.find("tclsh")

    /// What Tcl reads `script` as, run through tclsh with `program` defined as OpenOCD 0.12's does it: the file
    /// name is wrapped in braces and evaluated again with the address (`eval flash write_image erase $flash_args`).
    static func tclProgramSees(_ script: String) throws -> String {
        let tcl = """
        proc write_image {filename address} { puts -nonewline "$filename|$address" }
        proc program {filename args} {
            set address [lindex $args 0]
            set filename \\{$filename\\}
            set flash_args "$filename $address"
            eval write_image $flash_args
        }
        \(script)
        """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ws-tcl-\(UUID().uuidString).tcl")
        try Data(tcl.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try ExternalTool.run(["tclsh", file.path])
        return r.status == 0 ? r.stdout : "error: " + r.stderr
    }

    @Test("OpenOCD: the image path is one Tcl word that OpenOCD's program command reads back exactly",
          arguments: nastyNames)
    func openocdQuoting(name: String) throws {
        let board = try Self.board("stm32f4-discovery")
        let dir = try Self.compiled(name, board: board, bytes: 1000)
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let image = dir.appendingPathComponent("model.bin").path
        let (argv, _) = try FlasherInvocation.arguments(board: board, directory: dir)
        #expect(argv.count == 5 && argv[3] == "-c")
        // Braces quote everything here: the names pair their braces and have no backslash.
        #expect(argv[4] == "program {\(image)} 0x08020000 verify reset exit", "\(argv[4])")
        if Self.tclsh != nil {
            #expect(try Self.tclProgramSees(argv[4]) == "\(image)|0x08020000")
        }
        // The other flashers take the path as one argv element, unchanged.
        let nucleo = try Self.board("nucleo-f746zg")
        let st = try FlasherInvocation.arguments(board: nucleo, directory: dir).argv
        #expect(st == ["st-flash", "--reset", "write", image, "0x08040000"])
        let pico = try Self.board("rp2040-pico")
        let picoDir = try Self.compiled(name, board: pico, bytes: 1000)
        defer { try? FileManager.default.removeItem(at: picoDir.deletingLastPathComponent()) }
        #expect(try FlasherInvocation.arguments(board: pico, directory: picoDir).argv.last
            == picoDir.appendingPathComponent("model.uf2").path)
        // The dry run's shell line gives the same argv back to sh.
        let shell = FlasherInvocation.shellLine(argv)
        let r = try ExternalTool.run(["sh", "-c", "for a in " + shell + "; do printf '%s\\0' \"$a\"; done"])
        #expect(r.stdout.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init) == argv)
    }

    @Test("Tcl words: plain, braced, or backslash-escaped; tclsh reads each back exactly")
    func tclWords() throws {
        #expect(FlasherInvocation.tclWord("0x08020000") == "0x08020000")
        #expect(FlasherInvocation.tclWord("/tmp/out/model.bin") == "/tmp/out/model.bin")
        #expect(FlasherInvocation.tclWord("/tmp/my out/model.bin") == "{/tmp/my out/model.bin}")
        #expect(FlasherInvocation.tclWord("a$b[c]\"d") == "{a$b[c]\"d}")
        #expect(FlasherInvocation.tclWord("a}b") == "a\\}b")
        #expect(FlasherInvocation.tclWord("a\\b c") == "a\\\\b\\ c")
        #expect(FlasherInvocation.tclWord("") == "{}")
        #expect(FlasherInvocation.tclWord("x\ny") == "{x\ny}")
        let hard = ["}{", "a}b{c", "back\\slash", "{unclosed", "end\\", "$x [y] \"z\" ;#", "new\nline}", "}"]
        for text in hard + Self.nastyNames where Self.tclsh != nil {
            let script = "puts -nonewline [lindex [list \(FlasherInvocation.tclWord(text))] 0]"
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("ws-tcl-\(UUID().uuidString).tcl")
            try Data(script.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let r = try ExternalTool.run(["tclsh", file.path])
            #expect(r.status == 0 && r.stdout == text, "\(text) -> \(FlasherInvocation.tclWord(text)): \(r.stdout) \(r.stderr)")
        }
    }

    @Test("OpenOCD's program cannot take unpaired braces or a backslash: a clear error instead of a broken command")
    func openocdUnquotable() throws {
        let board = try Self.board("stm32f4-discovery")
        for name in ["a}b", "open{", "back\\slash"] {
            let dir = try Self.compiled(name, board: board, bytes: 100)
            defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
            do {
                _ = try FlasherInvocation.arguments(board: board, directory: dir)
                Issue.record("\(name): accepted")
            } catch {
                #expect("\(error)".contains("OpenOCD's 'program' command") && "\(error)".contains("move the compiled folder"), "\(error)")
            }
            // Not a problem for argv flashers.
            let st = try FlasherInvocation.arguments(board: try Self.board("nucleo-f746zg"), directory: dir).argv
            #expect(st[3] == dir.appendingPathComponent("model.bin").path)
        }
    }

    @Test("placeholders are filled in one pass: a path holding {size} or {address} keeps it")
    func onePass() {
        let values = ["image": "/x/{size}/{address}/m.bin", "size": "10", "address": "0x1", "dir": "/x/{image}"]
        #expect(FlasherInvocation.substitute("{image} {size} {dir} {other} {", values: values) { $0 }
            == "/x/{size}/{address}/m.bin 10 /x/{image} {other} {")
        #expect(FlasherInvocation.usesProgram("init; program {image} verify") && !FlasherInvocation.usesProgram("flash write_image {image}"))
    }

    @Test("the image must fit the model region and start at it, dry run or not", arguments: ["nucleo-f746zg", "nrf52840-dk", "rp2040-pico"])
    func imageFit(boardName: String) throws {
        // The board with a small model region (four alignment units), so that the images stay small.
        var board = try Self.board(boardName)
        board.modelRegion!.size = UInt64(board.modelRegion!.alignment) * 4
        let region = board.modelRegion!
        // Exactly the region fits.
        let full = try Self.compiled("full", board: board, bytes: Int(region.size))
        defer { try? FileManager.default.removeItem(at: full.deletingLastPathComponent()) }
        #expect(try FlasherInvocation.plan(board: board, directory: full).ran == false)
        // One byte more is refused with the numbers.
        let over = try Self.compiled("over", board: board, bytes: Int(region.size) + 1)
        defer { try? FileManager.default.removeItem(at: over.deletingLastPathComponent()) }
        do {
            _ = try FlasherInvocation.plan(board: board, directory: over)
            Issue.record("\(boardName): an image larger than the model region was accepted")
        } catch let error as BoardError {
            guard case let .imageTooLarge(_, name, bytes, needed, available) = error else {
                Issue.record("\(error)"); return
            }
            // UF2 pads its payload to 256-byte blocks, so its model reads as up to 255 bytes longer.
            #expect(name == boardName && (Int(region.size) + 1...Int(region.size) + 256).contains(bytes))
            #expect(available == Int(region.size))
            #expect(needed == Int(region.size) + region.alignment)
            #expect("\(error)".contains("does not fit the model region of '\(boardName)'") && "\(error)".contains("bytes too many"))
        }
        // An image made for another address is refused (hex and uf2 carry their address).
        if board.flasher!.image != "bin" {
            var other = board
            other.modelRegion!.address += UInt64(region.alignment)
            other.modelRegion!.size -= UInt64(region.alignment)
            #expect(throws: BoardError.self) { try FlasherInvocation.plan(board: other, directory: full) }
        }
        // An empty image is refused.
        try Data().write(to: full.appendingPathComponent("model." + board.flasher!.image))
        #expect(throws: BoardError.self) { try FlasherInvocation.plan(board: board, directory: full) }
    }
}
