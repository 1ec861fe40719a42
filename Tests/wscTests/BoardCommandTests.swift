import Foundation
import Testing

/// `wsc boards`, `wsc compile --board`, `wsc flash --dry-run` and `wsc run` on the emulated boards.
@Suite("wsc boards / compile --board / flash / run", .serialized)
struct BoardCommandTests {
    /// One short search shared by the tests (made once).
    static let runDirectory: Result<String, Error> = Result {
        let root = try WSC.temporaryDirectory()
        let run = root.appendingPathComponent("run").path
        let search = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                  "--out", run, "--input-shape", "input=1,64", "--population", "8",
                                  "--generations", "2", "--limit", "100"])
        guard search.status == 0 else { throw SearchFailed(stderr: search.stderr) }
        return run
    }

    struct SearchFailed: Error { var stderr: String }

    static func tool(_ name: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    static let qemu = tool("qemu-system-arm") && tool("arm-none-eabi-gcc")

    func compile(_ board: String, _ out: String, extra: [String] = []) throws -> CommandResult {
        try WSC.run(["compile", try Self.runDirectory.get(), "--max-loss", "100", "--board", board, "-o", out, "--json"] + extra)
    }

    @Test("wsc boards lists and validates every board")
    func boards() throws {
        let r = try WSC.run(["boards"])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["qemu-mps2-an386", "qemu-mps2-an500", "qemu-netduinoplus2", "nucleo-f746zg", "stm32f4-discovery",
                     "nrf52840-dk", "rp2040-pico", "host"] {
            #expect(r.stdout.contains(name))
        }
        #expect(r.stdout.contains("cmsdk-apb-uart 0x40004000") && r.stdout.contains("stm32-usart 0x40011000"))
        let json = try WSC.run(["boards", "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(list.count >= 8)
        let dir = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.json")
        try Data(#"{"schema": 1, "name": "bad", "kind": "mcu", "cpu": "cortex-m4"}"#.utf8).write(to: bad)
        let r2 = try WSC.run(["boards", "--board-file", bad.path])
        #expect(r2.status != 0)
        #expect(r2.stderr.contains("required field 'fpu' is missing"), "\(r2.stderr)")
        let r3 = try WSC.run(["compile", "/nonexistent", "--board", "nucleo-xyz", "-o", dir.path])
        #expect(r3.status != 0)
    }

    @Test("compile --board: images are byte-exact, C array placed and aligned, sizes reported")
    func compileImages() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("pico").path
        let r = try compile("rp2040-pico", out)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try WSC.json(r.stdout)
        let fit = report["fit"] as? [String: Any] ?? [:]
        #expect(fit["fitsFlash"] as? Bool == true && fit["fitsRAM"] as? Bool == true)
        #expect(report["modelAddress"] as? Int == 0x1010_0000)
        let wsm = try Data(contentsOf: URL(fileURLWithPath: out + "/model.wsm"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/model.bin")) == wsm)
        let uf2 = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out + "/model.uf2")))
        #expect(uf2.count == (wsm.count + 255) / 256 * 512)
        // Block 0: magics, address, family; payload is the .wsm's first 256 bytes.
        #expect(Array(uf2[0..<8]) == [0x55, 0x46, 0x32, 0x0A, 0x57, 0x51, 0x5D, 0x9E])
        #expect(Array(uf2[12..<16]) == [0x00, 0x00, 0x10, 0x10] && Array(uf2[28..<32]) == [0x56, 0xFF, 0x8B, 0xE4])
        #expect(Array(uf2[32..<288]) == Array(wsm.prefix(256)))
        let source = try String(contentsOfFile: out + "/model_data.c", encoding: .utf8)
        #expect(source.contains(#"aligned(256), section(".ws_model")"#))
        if Self.tool("srec_cat") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "srec_cat '\(out)/model.hex' -intel -offset -0x10100000 -o '\(out)/from_hex.bin' -binary"]
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/from_hex.bin")) == wsm)
        }
        if Self.tool("arm-none-eabi-gcc") {
            let size = report["runtimeSize"] as? [String: Any] ?? [:]
            #expect((size["text"] as? Int ?? 0) > 1000, "runtime size missing: \(r.stderr)")
            #expect(size["cpu"] as? String == "cortex-m0plus")
        }
    }

    @Test("a model that does not fit is refused with the numbers; nothing is written")
    func refusal() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // A tight board: rp2040-pico with a 2 KiB model region and 20 KiB of RAM.
        var board = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("boards/rp2040-pico.json"))) as! [String: Any]
        board["name"] = "tiny-pico"
        board["modelRegion"] = ["address": "0x10100000", "size": "2K", "alignment": 256, "section": ".ws_model"]
        board["ram"] = ["origin": "0x20000000", "size": "16500"]
        let file = root.appendingPathComponent("tiny.json")
        try JSONSerialization.data(withJSONObject: board).write(to: file)
        let out = root.appendingPathComponent("out").path
        let r = try WSC.run(["compile", try Self.runDirectory.get(), "--max-loss", "100", "--board-file", file.path, "-o", out])
        #expect(r.status != 0)
        #expect(r.stderr.contains("bytes of flash but the model region of 'tiny-pico' has 2048"), "\(r.stderr)")
        #expect(r.stderr.contains("bytes needed but 'tiny-pico' has 16500"), "\(r.stderr)")
        #expect(r.stderr.contains("no solution of this run fits") || r.stderr.contains("of this run fits"))
        #expect(!FileManager.default.fileExists(atPath: out + "/model.wsm"))
    }

    @Test("search --board-file: fit is a constraint; every solution on the front fits the model region")
    func constrainedSearch() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // rp2040-pico with a 7 KiB model region: the 3-bit digits MLP (≈ 8.8 KB) does not fit, 2-bit ones do.
        var board = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("boards/rp2040-pico.json"))) as! [String: Any]
        board["name"] = "small-pico"
        board["modelRegion"] = ["address": "0x10100000", "size": "7K", "alignment": 256, "section": ".ws_model"]
        let file = root.appendingPathComponent("small.json")
        try JSONSerialization.data(withJSONObject: board).write(to: file)
        let run = root.appendingPathComponent("run").path
        let search = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                  "--out", run, "--input-shape", "input=1,64", "--population", "8",
                                  "--generations", "4", "--k-max", "16", "--limit", "100", "--board-file", file.path,
                                  "--json"])
        #expect(search.status == 0, "\(search.stderr)")
        let solutions = (try WSC.json(search.stdout)["solutions"] as? [[String: Any]]) ?? []
        #expect(!solutions.isEmpty)
        for id in solutions.indices {
            let out = root.appendingPathComponent("out\(id)").path
            let c = try WSC.run(["compile", run, "--solution", String(id), "--board-file", file.path, "-o", out,
                                 "--no-runtime-size", "--json"])
            #expect(c.status == 0, "solution \(id): \(c.stderr)")
            let fit = (try WSC.json(c.stdout)["fit"] as? [String: Any]) ?? [:]
            #expect(fit["fitsFlash"] as? Bool == true)
        }
        // A RAM budget below arena + runtime state + reserve (768 + 96 + 1,280 bytes) is refused before any search.
        board["ramReserve"] = ["stack": "1024", "runtime": "256"]
        board["ram"] = ["origin": "0x20000000", "size": "2K"]
        try JSONSerialization.data(withJSONObject: board).write(to: file)
        let refused = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                   "--out", root.appendingPathComponent("run2").path, "--input-shape", "input=1,64",
                                   "--population", "8", "--generations", "1", "--board-file", file.path])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("cannot fit small-pico"), "\(refused.stderr)")
    }

    @Test("flash --dry-run prints the command; emulated boards and missing images are clear errors")
    func flashDryRun() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let expected = [
            "nucleo-f746zg": "st-flash --reset write {out}/model.bin 0x08040000",
            "stm32f4-discovery": "openocd -f board/stm32f4discovery.cfg -c 'program {out}/model.bin 0x08020000 verify reset exit'",
            "nrf52840-dk": "nrfjprog -f NRF52 --program {out}/model.hex --sectorerase --verify --reset",
            "rp2040-pico": "picotool load -v -t uf2 {out}/model.uf2",
        ]
        for (board, line) in expected.sorted(by: { $0.key < $1.key }) {
            let out = root.appendingPathComponent(board).path
            let missing = try WSC.run(["flash", out, "--board", board, "--dry-run"])
            #expect(missing.status != 0 && missing.stderr.contains("does not exist"), "\(missing.stderr)")
            #expect(try compile(board, out, extra: ["--no-runtime-size"]).status == 0)
            let r = try WSC.run(["flash", out, "--board", board, "--dry-run"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == line.replacingOccurrences(of: "{out}", with: out))
        }
        let emulated = try WSC.run(["flash", root.path, "--board", "qemu-mps2-an386", "--dry-run"])
        #expect(emulated.status != 0 && emulated.stderr.contains("emulated by QEMU"))
        // A real flash without the tool installed (picotool is not on CI machines) names how to install it.
        if !Self.tool("picotool") {
            let r = try WSC.run(["flash", root.appendingPathComponent("rp2040-pico").path, "--board", "rp2040-pico"])
            #expect(r.status != 0 && r.stderr.contains("not installed") && r.stderr.contains("picotool"), "\(r.stderr)")
        }
    }

    /// The text of a committed board file with `"field": value` replaced (value as a JSON literal).
    static func boardText(_ name: String, replacing field: String, in object: String? = nil, with literal: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("boards/\(name).json")
        var board = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        if let object {
            var inner = board[object] as! [String: Any]
            inner[field] = "__VALUE__"
            board[object] = inner
        } else {
            board[field] = "__VALUE__"
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: board), as: UTF8.self)
            .replacingOccurrences(of: "\"__VALUE__\"", with: literal)
    }

    @Test("board files that crashed compile and search (issue 15) are refused with the file and the field")
    func crashingBoardFiles() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let cases: [(String, String, String)] = [
            ("modelRegion", "alignment", "9223372036854775808"), ("modelRegion", "alignment", "18446744073709551615"),
            ("flash", "origin", "18446744073709551615"), ("flash", "size", "18446744073709551615"),
            ("ram", "size", "\"17592186044415M\""), ("modelRegion", "address", "\"0xFFFFFFFFFFFFF000\""),
            ("ramReserve", "stack", "18446744073709551615"), ("ram", "size", "true"),
        ]
        for (n, (object, field, literal)) in cases.enumerated() {
            let file = root.appendingPathComponent("bad\(n).json")
            try Data(try Self.boardText("rp2040-pico", replacing: field, in: object, with: literal).utf8).write(to: file)
            for command in [["boards", "--board-file", file.path],
                            ["compile", try Self.runDirectory.get(), "--board-file", file.path, "-o", root.appendingPathComponent("o").path]] {
                let r = try WSC.run(command)
                #expect(r.status == 1 || r.status == 64, "\(command[0]) \(object).\(field)=\(literal): status \(r.status)")
                #expect(r.stderr.contains("board file \(file.path): field '\(object).\(field)'"), "\(r.stderr)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("o/model.wsm").path))
    }

    @Test("flash: an image larger than the model region is refused with the numbers, dry run or not")
    func flashTooLarge() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("my out $x [y] {z}").path
        #expect(try compile("nucleo-f746zg", out, extra: ["--no-runtime-size"]).status == 0)
        let ok = try WSC.run(["flash", out, "--board", "nucleo-f746zg", "--dry-run", "--json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect((try WSC.json(ok.stdout)["command"] as? [String] ?? []).contains(out + "/model.bin"))
        // The same board with a model region smaller than the image.
        let size = try Data(contentsOf: URL(fileURLWithPath: out + "/model.bin")).count
        let small = root.appendingPathComponent("small.json")
        try Data(try Self.boardText("nucleo-f746zg", replacing: "size", in: "modelRegion", with: "\(size / 64 * 32)").utf8)
            .write(to: small)
        for dry in [["--dry-run"], []] {
            let r = try WSC.run(["flash", out, "--board-file", small.path] + dry)
            #expect(r.status != 0)
            #expect(r.stderr.contains("does not fit the model region of 'nucleo-f746zg'") && r.stderr.contains("the model is \(size) bytes"),
                    "\(r.stderr)")
        }
    }

    @Test("run on the emulated boards: identical to the host runtime; a corrupted expectation fails",
          .enabled(if: qemu, "qemu-system-arm or arm-none-eabi-gcc not installed (scripts/install-deps.sh installs them)"))
    func runEmulated() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        for board in ["qemu-mps2-an386", "qemu-mps2-an500", "qemu-netduinoplus2"] {
            let out = root.appendingPathComponent(board).path
            #expect(try compile(board, out, extra: ["--no-runtime-size"]).status == 0)
            let r = try WSC.run(["run", out, "--board", board, "--data", WSC.fixture("digits_test.npz"), "--limit", "5",
                                 "--timeout", "60", "--json"])
            #expect(r.status == 0, "\(board): \(r.stderr)")
            let report = try WSC.json(r.stdout)
            #expect(report["samples"] as? Int == 5 && report["top1Identical"] as? Int == 5, "\(board)")
            #expect((report["maxAbsDiff"] as? Double ?? 1) <= 1e-5, "\(board)")
            #expect((report["maxToleranceRatio"] as? Double ?? 2) <= 1, "\(board)")
            #expect(report["relativeTolerance"] as? Double != nil && report["absoluteTolerance"] as? Double != nil)
            #expect(report["firmwareExitStatus"] as? Int == 0)
            let instructions = report["instructionsPerInference"] as? [Int] ?? []
            #expect(instructions.count == 5 && instructions.allSatisfy { $0 > 1000 }, "\(board)")
        }
        // The firmware exits non-zero when an embedded expected value is wrong.
        let out = root.appendingPathComponent("qemu-mps2-an386").path
        let bad = try WSC.run(["run", out, "--board", "qemu-mps2-an386", "--data", WSC.fixture("digits_test.npz"),
                               "--limit", "2", "--corrupt-expected", "--json"])
        #expect(bad.status != 0)
        let report = try WSC.json(bad.stdout)
        #expect(report["firmwareExitStatus"] as? Int == 1)
        #expect((report["firmwareResult"] as? String ?? "").hasPrefix("result mismatch"))
        #expect(bad.stderr.contains("does not match"))
        // Boards without QEMU are refused.
        let real = try WSC.run(["run", out, "--board", "nucleo-f746zg", "--data", WSC.fixture("digits_test.npz")])
        #expect(real.status != 0 && real.stderr.contains("has no QEMU machine"))
    }

    @Test("run --io uart: the UART build (no semihosting) matches the host; a corrupted expectation fails",
          .enabled(if: qemu, "qemu-system-arm or arm-none-eabi-gcc not installed (scripts/install-deps.sh installs them)"))
    func runUART() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        for board in ["qemu-mps2-an386", "qemu-netduinoplus2"] {
            let out = root.appendingPathComponent(board).path
            #expect(try compile(board, out, extra: ["--no-runtime-size"]).status == 0)
            let r = try WSC.run(["run", out, "--board", board, "--io", "uart", "--data", WSC.fixture("digits_test.npz"),
                                 "--limit", "3", "--timeout", "60", "--json"])
            #expect(r.status == 0, "\(board): \(r.stderr)")
            let report = try WSC.json(r.stdout)
            #expect(report["io"] as? String == "uart")
            #expect(report["samples"] as? Int == 3 && report["top1Identical"] as? Int == 3, "\(board)")
            #expect((report["maxAbsDiff"] as? Double ?? 1) <= 1e-5, "\(board)")
            #expect(report["firmwareExitStatus"] as? Int == 0)
            #expect(!(report["qemuCommand"] as? String ?? "").contains("semihosting"))
            // The UART firmware links no semihosting code.
            let map = try String(contentsOfFile: out + "/firmware-\(board)/build-uart/firmware.map", encoding: .utf8)
            #expect(!map.contains("librdimon") && !map.contains("initialise_monitor_handles"))
        }
        let out = root.appendingPathComponent("qemu-mps2-an386").path
        let bad = try WSC.run(["run", out, "--board", "qemu-mps2-an386", "--io", "uart", "--data",
                               WSC.fixture("digits_test.npz"), "--limit", "2", "--corrupt-expected", "--json"])
        #expect(bad.status != 0)
        let report = try WSC.json(bad.stdout)
        #expect(report["firmwareExitStatus"] as? Int == 1)
        #expect((report["firmwareResult"] as? String ?? "").hasPrefix("result mismatch"))
        // A board without a 'uart' field is refused with the reason.
        let dir = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var board = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("boards/qemu-mps2-an386.json"))) as! [String: Any]
        board.removeValue(forKey: "uart")
        let file = dir.appendingPathComponent("no-uart.json")
        try JSONSerialization.data(withJSONObject: board).write(to: file)
        let none = try WSC.run(["run", out, "--board-file", file.path, "--io", "uart", "--data", WSC.fixture("digits_test.npz")])
        #expect(none.status != 0 && none.stderr.contains("has no 'uart' field"), "\(none.stderr)")
    }
}
