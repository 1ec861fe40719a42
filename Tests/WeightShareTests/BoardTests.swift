import Foundation
import Testing
import WeightShare
@testable import WeightShareBoards

/// The committed board files, validation errors, the fit check and the flasher commands.
@Suite("Boards: files, validation, fit check, flasher commands")
struct BoardTests {
    static let boardsDirectory = FixturePaths.directory.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("boards")
    static var catalog: BoardCatalog { BoardCatalog(directory: boardsDirectory) }

    /// A valid board file to mutate.
    static func baseJSON() throws -> [String: Any] {
        let data = try Data(contentsOf: boardsDirectory.appendingPathComponent("qemu-mps2-an386.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func parse(_ object: [String: Any]) throws -> Board {
        try Board.parse(try JSONSerialization.data(withJSONObject: object), path: "test.json")
    }

    static func error(_ object: [String: Any]) -> String {
        do { _ = try parse(object); return "" } catch { return "\(error)" }
    }

    @Test("every committed board loads and the required ones exist")
    func committedBoards() throws {
        let boards = try Self.catalog.all()
        let names = Set(boards.map(\.name))
        for required in ["qemu-mps2-an386", "qemu-mps2-an500", "qemu-netduinoplus2", "nucleo-f746zg", "stm32f4-discovery",
                         "nrf52840-dk", "rp2040-pico", "host"] {
            #expect(names.contains(required), "missing board \(required)")
        }
        let pico = try Self.catalog.board(named: "rp2040-pico")
        #expect(pico.fpu == "none" && pico.imageFormats.contains("uf2") && pico.uf2FamilyID == 0xE48B_FF56)
        #expect(!pico.compilerFlags.contains { $0.hasPrefix("-mfpu") })
        let nd = try Self.catalog.board(named: "qemu-netduinoplus2")
        #expect(nd.flash == Board.Region(origin: 0x0800_0000, size: 1 << 20))
        #expect(nd.ram?.size == 128 * 1024)
        #expect(nd.qemu?.machine == "netduinoplus2")
        #expect(try Self.catalog.board(named: "host").isHost)
        for b in boards where !b.isHost {
            #expect(b.flasher != nil || b.qemu != nil, "\(b.name) has neither a flasher nor a QEMU machine")
        }
    }

    @Test("unknown board names list the known ones")
    func unknownBoard() {
        #expect(throws: BoardError.self) { try Self.catalog.board(named: "nucleo-xyz") }
        do { _ = try Self.catalog.board(named: "nucleo-xyz") } catch {
            #expect("\(error)".contains("unknown board 'nucleo-xyz'") && "\(error)".contains("rp2040-pico"))
        }
    }

    @Test("missing, mistyped, unknown and inconsistent fields get clear errors")
    func validation() throws {
        var o = try Self.baseJSON()
        o.removeValue(forKey: "ram")
        #expect(Self.error(o).contains("required field 'ram' is missing"))

        o = try Self.baseJSON()
        var m = o["modelRegion"] as! [String: Any]
        m.removeValue(forKey: "alignment")
        o["modelRegion"] = m
        #expect(Self.error(o).contains("'modelRegion.alignment' is missing"))

        o = try Self.baseJSON()
        o["flsh"] = 1
        #expect(Self.error(o).contains("unknown field 'flsh'"))

        o = try Self.baseJSON()
        o["flash"] = ["origin": "zero", "size": "4M"]
        #expect(Self.error(o).contains("'flash.origin' must be a non-negative integer"))

        o = try Self.baseJSON()
        o["compilerFlags"] = "-mcpu=cortex-m4"
        #expect(Self.error(o).contains("'compilerFlags' must be an array of strings"))

        o = try Self.baseJSON()
        m = o["modelRegion"] as! [String: Any]
        m["alignment"] = 24
        o["modelRegion"] = m
        #expect(Self.error(o).contains("must be a power of two"))

        o = try Self.baseJSON()
        m = o["modelRegion"] as! [String: Any]
        m["address"] = "0x00300000"
        o["modelRegion"] = m
        #expect(Self.error(o).contains("lies outside flash"))

        o = try Self.baseJSON()
        o["imageFormats"] = ["bin", "uf2"]
        #expect(Self.error(o).contains("'uf2FamilyID' is missing"))

        o = try Self.baseJSON()
        o["imageFormats"] = ["elf"]
        #expect(Self.error(o).contains("contains 'elf'"))

        o = try Self.baseJSON()
        o["fpu"] = "none"
        #expect(Self.error(o).contains("'fpu' is none"))

        o = try Self.baseJSON()
        o["flasher"] = ["tool": "st-flash", "image": "bin", "command": ["st-flash", "write", "{image}", "{img}"], "install": "x"]
        #expect(Self.error(o).contains("unknown placeholder {img}"))

        o = try Self.baseJSON()
        o["ramReserve"] = ["stack": "4M", "runtime": 0]
        #expect(Self.error(o).contains("'ramReserve' (stack 4194304 + runtime 0 bytes) is not smaller than the RAM (4194304 bytes)"))

        #expect(throws: BoardError.self) { try Board.parse(Data("{".utf8), path: "x.json") }
        let parsed = try Self.parse(try Self.baseJSON())
        #expect(parsed.modelRegion?.address == 0x0020_0000 && parsed.modelRegion?.size == 2 << 20)
    }

    @Test("uart field: the QEMU boards have one, bad ones get clear errors, board.mk carries it")
    func uart() throws {
        let an386 = try Self.catalog.board(named: "qemu-mps2-an386")
        #expect(an386.uart == Board.UART(kind: "cmsdk-apb-uart", base: 0x4000_4000, clockHz: 25_000_000))
        #expect(try Self.catalog.board(named: "qemu-mps2-an500").uart?.kind == "cmsdk-apb-uart")
        #expect(try Self.catalog.board(named: "qemu-netduinoplus2").uart == Board.UART(kind: "stm32-usart", base: 0x4001_1000, clockHz: 16_000_000))
        let mk = Firmware.boardMakefile(an386)
        #expect(mk.contains("UART_KIND     = cmsdk-apb-uart\n") && mk.contains("UART_BASE     = 0x40004000\n")
                && mk.contains("UART_CLOCK_HZ = 25000000\n"), "\(mk)")
        #expect(!Firmware.boardMakefile(try Self.catalog.board(named: "rp2040-pico")).contains("UART_"))

        var o = try Self.baseJSON()
        o["uart"] = ["kind": "pl011", "base": "0x40034000", "clockHz": 1]
        #expect(Self.error(o).contains("'uart.kind' is 'pl011'; known kinds: cmsdk-apb-uart, stm32-usart"))
        o["uart"] = ["kind": "stm32-usart", "base": "0x40011002", "clockHz": 16_000_000]
        #expect(Self.error(o).contains("'uart.base' 0x40011002 must be a 4-byte aligned 32-bit address"))
        o["uart"] = ["kind": "stm32-usart", "base": "0x40011000"]
        #expect(Self.error(o).contains("required field 'uart.clockHz' is missing"))
        o["uart"] = ["kind": "stm32-usart", "base": "0x40011000", "clockHz": 0]
        #expect(Self.error(o).contains("'uart.clockHz' must be > 0"))
        o["uart"] = ["kind": "stm32-usart", "base": "0x40011000", "clockHz": 1, "baud": 9600]
        #expect(Self.error(o).contains("unknown field 'uart.baud'"))
        o["uart"] = "0x40004000"
        #expect(Self.error(o).contains("'uart' must be an object"))
    }

    @Test("UART runs: QEMU arguments without semihosting, exit status from the 'exit' line")
    func uartRunner() {
        let elf = URL(fileURLWithPath: "/tmp/fw.elf")
        let uart = QEMURunner.arguments(machine: "mps2-an386", elf: elf, io: .uart)
        #expect(uart.contains("-no-reboot") && !uart.contains("-semihosting-config"))
        #expect(uart.firstIndex(of: "-serial").map { uart[$0 + 1] } == "stdio")
        let semi = QEMURunner.arguments(machine: "mps2-an386", elf: elf)
        #expect(semi.contains("-semihosting-config") && !semi.contains("-no-reboot"))
        #expect(QEMURunner.exitStatus("ws-firmware x\nresult ok samples=1 mismatches=0\nexit 0\n") == 0)
        #expect(QEMURunner.exitStatus("result mismatch samples=1 mismatches=1\nexit 1\n") == 1)
        #expect(QEMURunner.exitStatus("sample 0 ticks=1\n") == nil)
    }

    @Test("fit check: numbers for flash and RAM")
    func fit() throws {
        let pico = try Self.catalog.board(named: "rp2040-pico")
        let ok = FitCheck.check(board: pico, wsmBytes: 9000, arenaBytes: 768)
        #expect(ok.fits && ok.flashNeeded == 9216)  // rounded up to 256
        let big = FitCheck.check(board: pico, wsmBytes: 2 << 20, arenaBytes: 768)
        #expect(!big.fitsFlash && big.fitsRAM)
        #expect(big.problems[0].contains("\(2 << 20) bytes of flash") && big.problems[0].contains("has \(1 << 20)"))
        let ram = FitCheck.check(board: pico, wsmBytes: 100, arenaBytes: 300 * 1024)
        #expect(!ram.fitsRAM)
        #expect(ram.ramNeeded == 300 * 1024 + FitCheck.runtimeStateBytes + 16 * 1024 && ram.ramBytes == 264 * 1024)
        #expect(ram.problems[0].contains("\(ram.ramNeeded) bytes needed"))
        #expect(FitCheck.check(board: try Self.catalog.board(named: "host"), wsmBytes: 1 << 30, arenaBytes: 1 << 30).fits)
    }

    @Test("flasher commands for every board with a flasher; clear errors for the others")
    func flasherCommands() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ws-flash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["bin", "hex", "uf2"] { try Data([1, 2, 3, 4]).write(to: dir.appendingPathComponent("model.\(name)")) }
        let expected: [String: String] = [
            "nucleo-f746zg": "st-flash --reset write \(dir.path)/model.bin 0x08040000",
            "stm32f4-discovery": "openocd -f board/stm32f4discovery.cfg -c 'program \(dir.path)/model.bin 0x08020000 verify reset exit'",
            "nrf52840-dk": "nrfjprog -f NRF52 --program \(dir.path)/model.hex --sectorerase --verify --reset",
            "rp2040-pico": "picotool load -v -t uf2 \(dir.path)/model.uf2",
        ]
        for (board, line) in expected {
            // Images at the board's model region (the flasher checks where they start and that they fit).
            let b = try Self.catalog.board(named: board)
            let address = b.modelRegion!.address
            try Data(try FlashImage.intelHex([1, 2, 3, 4], address: address).utf8).write(to: dir.appendingPathComponent("model.hex"))
            try Data(try FlashImage.uf2([1, 2, 3, 4], address: address, familyID: b.uf2FamilyID ?? 0))
                .write(to: dir.appendingPathComponent("model.uf2"))
            let (argv, _) = try FlasherInvocation.arguments(board: b, directory: dir)
            #expect(FlasherInvocation.shellLine(argv) == line)
        }
        for board in ["qemu-mps2-an386", "host"] {
            do { _ = try FlasherInvocation.arguments(board: try Self.catalog.board(named: board), directory: dir); Issue.record("no error") }
            catch { #expect("\(error)".contains("has no flasher")) }
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model.bin"))
        do { _ = try FlasherInvocation.arguments(board: try Self.catalog.board(named: "nucleo-f746zg"), directory: dir) }
        catch { #expect("\(error)".contains("model.bin does not exist")) }
    }

    @Test("boards folder lookup: explicit, environment, next to the executable")
    func locate() throws {
        let c = try BoardCatalog.locate(explicit: Self.boardsDirectory.path)
        #expect(c.names().contains("rp2040-pico"))
        let env = try BoardCatalog.locate(environment: [BoardCatalog.environmentVariable: Self.boardsDirectory.path])
        #expect(env.directory.path == c.directory.path)
        let exe = Self.boardsDirectory.deletingLastPathComponent().appendingPathComponent(".build/debug/wsc")
        #expect(try BoardCatalog.locate(executable: exe, environment: [:]).directory.path == c.directory.path)
        #expect(throws: BoardError.self) { try BoardCatalog.locate(explicit: "/nonexistent/boards") }
        #expect(FileManager.default.fileExists(atPath: c.firmwareDirectory.appendingPathComponent("Makefile").path))
        #expect(FileManager.default.fileExists(atPath: c.runtimeDirectory.appendingPathComponent("include/ws_runtime.h").path))
    }
}
