import Foundation
import Testing

/// The MLPerf Tiny reference architectures of `Tests/Fixtures/tiny/` (scripts/make_tiny_fixtures.py) through the
/// real command line: a short `wsc search` → `wsc compile --board qemu-mps2-an386` → `wsc verify` on the held-out
/// test split (against the float model; the float accuracy against onnxruntime's, recorded in fixtures.json) →
/// `wsc run` bare-metal under QEMU against the host runtime. The firmware is built for the model's op set only.
@Suite("MLPerf Tiny fixtures: search → compile → verify → run on QEMU", .serialized)
struct TinyModelTests {
    struct Fixture: CustomStringConvertible, @unchecked Sendable {
        var name: String
        var inputShape: [Int]
        /// The runtime operators the architecture lowers to (BatchNorm folded, Flatten a Reshape).
        var ops: [String]
        var classifier: Bool
        /// Largest accuracy loss (points) the short search's smallest-loss solution may show on the test split.
        var maxLossPoints: Double
        /// The K range searched, and what its most accurate solution must keep: weight CR (fixed-width indices) and
        /// mean cosine of the outputs against the float model's on the test split.
        var kRange: (Int, Int)
        var minCR: Double
        var minCosine: Double
        var runSamples: Int
        var description: String { name }
    }

    static let fixtures: [Fixture] = [
        Fixture(name: "kws_dscnn", inputShape: [1, 1, 49, 10], ops: ["GEMM", "RELU", "RESHAPE", "CONV", "AVERAGE_POOL"],
                classifier: true, maxLossPoints: 3, kRange: (16, 64), minCR: 5, minCosine: 0.95, runSamples: 8),
        Fixture(name: "ic_resnet8", inputShape: [1, 3, 32, 32],
                ops: ["GEMM", "ADD", "RELU", "RESHAPE", "CONV", "AVERAGE_POOL"], classifier: true, maxLossPoints: 5,
                kRange: (16, 64), minCR: 5, minCosine: 0.95, runSamples: 4),
        Fixture(name: "ad_autoencoder", inputShape: [1, 640], ops: ["GEMM", "RELU"], classifier: false,
                maxLossPoints: 0, kRange: (16, 64), minCR: 5, minCosine: 0.97, runSamples: 8),
        Fixture(name: "vww_mobilenet", inputShape: [1, 3, 96, 96], ops: ["GEMM", "RELU", "RESHAPE", "CONV", "AVERAGE_POOL"],
                classifier: true, maxLossPoints: 5, kRange: (128, 256), minCR: 3.5, minCosine: 0.85, runSamples: 2),
    ]

    static let qemu = BoardCommandTests.tool("qemu-system-arm") && BoardCommandTests.tool("arm-none-eabi-gcc")
    static let repository = WSC.fixtures.deletingLastPathComponent().deletingLastPathComponent()

    static func file(_ name: String) -> String { WSC.fixture("tiny/" + name) }

    /// `float_accuracy.test` (onnxruntime, whole test split) of a fixture in tiny/fixtures.json.
    static func fixtureFacts(_ name: String) throws -> [String: Any] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file("fixtures.json"))))
        return ((json as? [String: Any])?["models"] as? [String: Any])?["\(name).onnx"] as? [String: Any] ?? [:]
    }

    @Test("search → compile → verify → run", .enabled(if: qemu, "qemu-system-arm or arm-none-eabi-gcc not installed"),
          arguments: fixtures)
    func endToEnd(fixture: Fixture) throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run").path, out = root.appendingPathComponent("out").path
        let shape = "input=" + fixture.inputShape.map(String.init).joined(separator: ",")
        let metric = fixture.classifier ? [] : ["--metric", "cosine"]
        let search = try WSC.run(["search", Self.file("\(fixture.name).onnx"), "--data",
                                  Self.file("\(fixture.name)_search.npz"), "--out", run, "--input-shape", shape,
                                  "--genome", "k", "--population", "6", "--generations", "1",
                                  "--k-min", String(fixture.kRange.0), "--k-max", String(fixture.kRange.1), "--limit", "24", "--no-merge", "--json"] + metric)
        try #require(search.status == 0, "\(search.stderr)")

        // The most accurate solution of the front (the loss of a short search on 24 samples).
        let compile = try WSC.run(["compile", run, "--max-loss", "100", "--board", "qemu-mps2-an386", "-o", out,
                                   "--no-runtime-size", "--json"])
        try #require(compile.status == 0, "\(compile.stderr)")
        let compiled = try WSC.json(compile.stdout)
        let cr = compiled["compressionRatioFixed"] as? Double ?? 0
        #expect(cr > fixture.minCR, "\(fixture.name): CR \(cr)")

        // model_data.h states the facts an application needs, and the op set the firmware is built with.
        let header = try String(contentsOfFile: out + "/model_data.h", encoding: .utf8)
        #expect(header.contains("#define WS_MODEL_ARENA_BYTES \(compiled["arenaBytes"] as? Int ?? -1)u\n"))
        #expect(header.contains("#define WS_MODEL_INPUT0_SHAPE {\(fixture.inputShape.map { "\($0)u" }.joined(separator: ", "))}\n"))
        #expect(header.contains("#define WS_MODEL_INPUT0_ELEMENTS \(fixture.inputShape.reduce(1, *))u\n"))
        let enabled = header.split(separator: "\n").filter { $0.hasPrefix("#define WS_OP_ENABLE_") }
            .map { $0.dropFirst("#define WS_OP_ENABLE_".count).split(separator: " ")[0] }.map(String.init)
        #expect(Set(enabled) == Set(fixture.ops), "\(fixture.name): op set \(enabled)")
        // The Huffman decoder is built in exactly when the file codes some tensor.
        let codedTensors = ((compiled["indexCoding"] as? [String: Any])?["tensors"] as? [[String: Any]] ?? [])
            .filter { $0["coding"] as? String == "huffman" }
        #expect(header.contains("#define WS_MODEL_HUFFMAN \(codedTensors.isEmpty ? 0 : 1)\n"), "\(fixture.name)")
        // ...and the dense fast paths for the file's one index width.
        #expect(header.contains("#define WS_MODEL_BIT_WIDTH \(compiled["bitWidth"] as? Int ?? -1)u\n"), "\(fixture.name)")
        // ...and whether some fixed-width tensor starts inside a byte (the shifting 3-bit loop), from inspect's
        // stream offsets.
        let inspect = try WSC.run(["inspect", out + "/model.wsm", "--json"])
        try #require(inspect.status == 0, "\(inspect.stderr)")
        let inspected = try WSC.json(inspect.stdout), width = inspected["bitWidth"] as? Int ?? 0
        let midByte = (inspected["tensors"] as? [[String: Any]] ?? []).contains {
            $0["kind"] as? String == "shared" && $0["indexCoding"] as? String == "fixed"
                && ((($0["indexOffset"] as? Int ?? 0) * width) % 8) != 0
        }
        #expect(header.contains("#define WS_MODEL_MID_BYTE_TENSORS \(midByte ? 1 : 0)\n"), "\(fixture.name)")

        let verify = try WSC.run(["verify", out + "/model.wsm", "--model", Self.file("\(fixture.name).onnx"),
                                  "--data", Self.file("\(fixture.name)_test.npz"), "--input-shape", shape, "--json"])
        try #require(verify.status == 0, "\(verify.stderr)")
        let report = try WSC.json(verify.stdout)
        let facts = try Self.fixtureFacts(fixture.name)
        if fixture.classifier {
            // The float model wsc lowers scores what onnxruntime scored when the fixture was made.
            let onnxruntime = (facts["float_accuracy"] as? [String: Any])?["test"] as? Double
            let float = report["floatAccuracy"] as? Double, compressed = report["compressedAccuracy"] as? Double ?? 0
            #expect(onnxruntime != nil && abs((float ?? -1) - onnxruntime!) < 1e-9, "\(fixture.name): float \(String(describing: float)) vs onnxruntime \(String(describing: onnxruntime))")
            #expect(compressed >= (float ?? 1) - fixture.maxLossPoints / 100,
                    "\(fixture.name): compressed \(compressed) vs float \(String(describing: float))")
        }
        #expect((report["meanCosine"] as? Double ?? 0) >= fixture.minCosine, "\(fixture.name): cosine \(String(describing: report["meanCosine"]))")

        // Bare metal: the firmware (this model's op set only) against the host runtime.
        let r = try WSC.run(["run", out, "--board", "qemu-mps2-an386", "--data", Self.file("\(fixture.name)_test.npz"),
                             "--limit", String(fixture.runSamples), "--timeout", "300", "--json"])
        #expect(r.status == 0, "\(fixture.name): \(r.stderr)")
        let board = try WSC.json(r.stdout)
        #expect(board["samples"] as? Int == fixture.runSamples && board["top1Identical"] as? Int == fixture.runSamples)
        #expect((board["maxToleranceRatio"] as? Double ?? 2) <= 1, "\(fixture.name)")
        #expect(board["firmwareExitStatus"] as? Int == 0)

        // The runtime's share of that firmware, from its map file: only the model's kernels are linked.
        let firmware = out + "/firmware-qemu-mps2-an386"
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        make.arguments = ["make", "-s", "-C", Self.repository.appendingPathComponent("boards/firmware").path,
                          "BOARD_MK=\(firmware)/board.mk", "APP_DIR=\(firmware)", "OUT=\(firmware)/build", "runtime-text"]
        let pipe = Pipe()
        make.standardOutput = pipe
        try make.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        make.waitUntilExit()
        let bytes = text.split(separator: " ").first { $0.hasPrefix("text=") }.flatMap { Int($0.dropFirst(5)) } ?? 0
        #expect(bytes > 1000 && bytes <= 16 * 1024, "\(fixture.name): runtime .text \(bytes) (\(text))")
        // A kernel no tiny model uses is not in the image (the map lists it only among the discarded sections).
        let map = try String(contentsOfFile: firmware + "/build/firmware.map", encoding: .utf8)
        let linked = map.components(separatedBy: "Linker script and memory map").last ?? ""
        #expect(linked.contains("ws_gemm_f32") && !linked.contains("ws_resize_f32"), "\(fixture.name)")
    }
}
