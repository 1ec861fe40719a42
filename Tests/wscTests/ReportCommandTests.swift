import Foundation
import Testing

/// `wsc report` through the real command line, on the digits MLP compiled with the paper's genome at fixed K.
@Suite("wsc report", .serialized)
struct ReportCommandTests {
    /// Searches with --genome k and K fixed (--k-min = --k-max = k), compiles, returns (out folder, compile JSON).
    static func compiled(k: Int, in root: URL) throws -> (out: String, compile: [String: Any]) {
        let run = root.appendingPathComponent("run-\(k)").path, out = root.appendingPathComponent("out-\(k)").path
        let search = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                  "--out", run, "--input-shape", "input=1,64", "--genome", "k", "--k-min", String(k),
                                  "--k-max", String(k), "--population", "4", "--generations", "1", "--no-merge",
                                  "--limit", "100"])
        #expect(search.status == 0, "\(search.stderr)")
        let compile = try WSC.run(["compile", run, "--max-loss", "100", "-o", out, "--json"])
        #expect(compile.status == 0, "\(compile.stderr)")
        return (out, try WSC.json(compile.stdout))
    }

    static func report(_ arguments: [String]) throws -> [String: Any] {
        let r = try WSC.run(["report"] + arguments + ["--json"])
        #expect(r.status == 0, "\(r.stderr)")
        return try WSC.json(r.stdout)
    }

    @Test("totals equal compile --json's bytes and arena; rows add up to them; MACs are the MLP's 64·128 + 128·64 + 64·10")
    func totals() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (out, compile) = try Self.compiled(k: 16, in: root)
        let report = try Self.report([out + "/model.wsm"])
        let totals = report["totals"] as? [String: Any] ?? [:]
        #expect(totals["wsmBytes"] as? Int == compile["wsmBytes"] as? Int)
        #expect(totals["packedWeightBytes"] as? Int == compile["packedWeightBytes"] as? Int)
        #expect(totals["arenaBytes"] as? Int == compile["arenaBytes"] as? Int)
        #expect(totals["sharedWeights"] as? Int == compile["sharedWeights"] as? Int)
        let wsmSize = try FileManager.default.attributesOfItem(atPath: out + "/model.wsm")[.size] as? Int
        #expect(totals["wsmBytes"] as? Int == wsmSize)

        let ops = report["operators"] as? [[String: Any]] ?? []
        #expect(ops.map { $0["opcode"] as? String ?? "" } == ["Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"])
        func sum(_ key: String) -> Double { ops.reduce(0) { $0 + (($1[key] as? NSNumber)?.doubleValue ?? 0) } }
        let mlpWeights: Int = 8192 + 8192 + 640 // 64·128 + 128·64 + 64·10
        #expect(sum("sharedWeights") == Double(mlpWeights))
        #expect(sum("macs") == Double(mlpWeights))
        #expect(totals["macs"] as? Int == mlpWeights)
        // Biases: 128 + 64 + 10 float32.
        #expect(sum("rawBytes") == Double(4 * (128 + 64 + 10)))
        let m = compile["m"] as? Int ?? 0, bits = compile["bitWidth"] as? Int ?? 0
        #expect(abs(sum("codebookBytes") - Double(4 * m)) < 1e-6)
        // The index bits the file stores per tensor (compile's indexCoding: fixed width, or Huffman codes where
        // `--index-coding auto` found them smaller); fixed width would be 17024 × bits.
        let coded = (compile["indexCoding"] as? [String: Any])?["tensors"] as? [[String: Any]] ?? []
        let storedBits = coded.reduce(0) { $0 + ($1["bits"] as? Int ?? 0) }
        #expect(coded.count == 3 && storedBits > 0 && storedBits <= 17024 * bits)
        #expect(abs(sum("indexBytes") - Double(storedBits) / 8) < 1e-6)
        // Every byte of the file is in exactly one total.
        let parts = ["packedWeightBytes", "rawBytes", "containerBytes"].map { totals[$0] as? Int ?? -1 }
        #expect(parts.reduce(0, +) == totals["wsmBytes"] as? Int)
        #expect(parts.allSatisfy { $0 > 0 })
        // The arena's high-water mark is reached by some operator and never exceeded.
        let peaks = ops.map { $0["arenaPeakBytes"] as? Int ?? 0 }
        #expect(peaks.max() == totals["arenaBytes"] as? Int)
        // fc1 reads the 64-float input and writes 128: both live.
        #expect(ops[0]["liveActivationBytes"] as? Int == 4 * (64 + 128))
    }

    @Test("full genome (folded ResNet): scales and outliers per operator add up to compile's counts; totals equal")
    func normalisedTotals() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run").path
        let search = try WSC.run(["search", WSC.fixture("folded/resnet_folded.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                  "--out", run, "--input-shape", "input=1,1,8,8", "--population", "12",
                                  "--generations", "2", "--k-max", "64", "--limit", "60", "--no-merge", "--json"])
        #expect(search.status == 0, "\(search.stderr)")
        let front = try WSC.json(search.stdout)["solutions"] as? [[String: Any]] ?? []
        let scaled = front.filter { (($0["genes"] as? [String: Any])?["scale_mode"] as? Double ?? 0) > 0 }
        #expect(!scaled.isEmpty)
        for solution in scaled {
            let id = solution["id"] as? Int ?? -1
            let out = root.appendingPathComponent("out-\(id)").path
            let c = try WSC.run(["compile", run, "--solution", String(id), "-o", out, "--json"])
            #expect(c.status == 0, "\(c.stderr)")
            let compile = try WSC.json(c.stdout)
            let report = try Self.report([out + "/model.wsm"])
            let totals = report["totals"] as? [String: Any] ?? [:]
            for key in ["wsmBytes", "packedWeightBytes", "arenaBytes", "scales", "outliers"] {
                #expect(totals[key] as? Int == compile[key] as? Int, "solution \(id): \(key)")
            }
            let ops = report["operators"] as? [[String: Any]] ?? []
            let scales = ops.reduce(0) { $0 + ($1["scales"] as? Int ?? 0) }
            let outliers = ops.reduce(0) { $0 + ($1["outliers"] as? Int ?? 0) }
            #expect(scales + (totals["unattributedScales"] as? Int ?? -1) == compile["scales"] as? Int)
            #expect(outliers == compile["outliers"] as? Int)
            #expect((totals["containerBytes"] as? Int ?? 0) > 0)
        }
    }

    @Test("per-operator SQNR rises with K (4 < 16 < 64) on every operator; cosine too")
    func sqnrMonotoneInK() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        var sqnr: [[Double]] = [], cosine: [[Double]] = []
        for k in [4, 16, 64] {
            let (out, _) = try Self.compiled(k: k, in: root)
            let report = try Self.report([out + "/model.wsm", "--model", WSC.fixture("digits_mlp.onnx"),
                                          "--data", WSC.fixture("digits_test.npz"), "--limit", "60"])
            #expect(report["k"] as? Int == k)
            let source = report["errorSource"] as? [String: Any]
            #expect(source?["samples"] as? Int == 60)
            let ops = report["operators"] as? [[String: Any]] ?? []
            let errors = ops.map { $0["error"] as? [String: Any] ?? [:] }
            #expect(errors.map { $0["tensor"] as? String ?? "" }.count == 6)
            sqnr.append(errors.map { ($0["sqnrDB"] as? NSNumber)?.doubleValue ?? .nan })
            cosine.append(errors.map { ($0["meanCosine"] as? NSNumber)?.doubleValue ?? .nan })
        }
        for o in 0..<6 {
            #expect(sqnr[0][o] < sqnr[1][o] && sqnr[1][o] < sqnr[2][o], "operator \(o): \(sqnr.map { $0[o] })")
            #expect(cosine[0][o] <= cosine[1][o] && cosine[1][o] <= cosine[2][o] && cosine[2][o] <= 1.000001)
        }
    }

    @Test("--html writes one self-contained page with bar charts of bytes and error per operator")
    func html() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (out, _) = try Self.compiled(k: 16, in: root)
        let page = root.appendingPathComponent("report.html").path
        let r = try WSC.run(["report", out + "/model.wsm", "--model", WSC.fixture("digits_mlp.onnx"),
                             "--data", WSC.fixture("digits_test.npz"), "--limit", "20", "--html", page])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Gemm") && r.stdout.contains("SQNR dB"))
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        // Nothing fetched: no scripts, stylesheets or images by address (the SVG namespace is not a fetch).
        for fetch in ["<script", "src=", "<link", "url(", "@import"] { #expect(!html.contains(fetch), "\(fetch)") }
        // Byte bars for the three Gemms (codebook share, indices, raw), an SQNR bar for every operator.
        #expect(html.components(separatedBy: "fill=\"#76b7b2\"").count - 1 == 6)
        #expect(html.components(separatedBy: "fill=\"#4e79a7\"").count - 1 == 3)

        let both = try WSC.run(["report", out + "/model.wsm", "--json", "--html", page])
        #expect(both.status != 0 && both.stderr.contains("--json and --html contradict"), "\(both.stderr)")
        let noData = try WSC.run(["report", out + "/model.wsm", "--model", WSC.fixture("digits_mlp.onnx")])
        #expect(noData.status != 0 && noData.stderr.contains("--model needs --data"))
    }

    @Test("against another model: refused, naming both SHA-256s")
    func otherModel() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (out, _) = try Self.compiled(k: 16, in: root)
        let r = try WSC.run(["report", out + "/model.wsm", "--model", WSC.fixture("cnn/lenet.onnx"),
                             "--data", WSC.fixture("digits_test.npz")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("this .wsm was compiled from another model"), "\(r.stderr)")
        #expect(r.stderr.contains(try sha256(WSC.fixture("cnn/lenet.onnx"))))
        #expect(r.stderr.contains(try sha256(WSC.fixture("digits_mlp.onnx"))))
    }

    @Test("compile --strip-names: a smaller file that verify accepts with the same figures; per-layer errors refused, naming the option")
    func strippedNames() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (out, compile) = try Self.compiled(k: 16, in: root)
        let stripped = root.appendingPathComponent("stripped").path
        let c = try WSC.run(["compile", root.appendingPathComponent("run-16").path, "--max-loss", "100", "-o", stripped,
                             "--strip-names", "--json"])
        #expect(c.status == 0, "\(c.stderr)")
        let small = try WSC.json(c.stdout)
        #expect((small["wsmBytes"] as? Int ?? .max) < (compile["wsmBytes"] as? Int ?? 0))
        #expect(small["packedWeightBytes"] as? Int == compile["packedWeightBytes"] as? Int)
        func verify(_ folder: String) throws -> [String: Any] {
            let v = try WSC.run(["verify", folder + "/model.wsm", "--model", WSC.fixture("digits_mlp.onnx"),
                                 "--data", WSC.fixture("digits_test.npz"), "--json"])
            #expect(v.status == 0, "\(v.stderr)")
            return try WSC.json(v.stdout)
        }
        let a = try verify(out), b = try verify(stripped)
        for key in ["agreement", "compressedAccuracy", "floatAccuracy", "meanCosine", "maxAbsDiff"] {
            #expect(a[key] as? NSNumber == b[key] as? NSNumber, "\(key)")
        }
        let r = try WSC.run(["report", stripped + "/model.wsm", "--model", WSC.fixture("digits_mlp.onnx"),
                             "--data", WSC.fixture("digits_test.npz")])
        #expect(r.status != 0 && r.stderr.contains("--strip-names"), "\(r.stderr)")
        // Without the errors the report works, totals as compile counted them.
        let totals = try Self.report([stripped + "/model.wsm"])["totals"] as? [String: Any] ?? [:]
        #expect(totals["wsmBytes"] as? Int == small["wsmBytes"] as? Int)
    }

    @Test("--board: instructions per operator measured on QEMU add up to the whole inference that wsc run measures")
    func boardTiming() throws {
        guard ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").contains(where: {
            FileManager.default.isExecutableFile(atPath: "\($0)/qemu-system-arm")
                && FileManager.default.isExecutableFile(atPath: "\($0)/arm-none-eabi-gcc")
        }) == true else { return }
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (out, _) = try Self.compiled(k: 16, in: root)
        let report = try Self.report([out + "/model.wsm", "--data", WSC.fixture("digits_test.npz"),
                                      "--board", "qemu-mps2-an386", "--work-dir", root.appendingPathComponent("fw").path])
        let timing = report["timing"] as? [String: Any] ?? [:]
        let ops = report["operators"] as? [[String: Any]] ?? []
        let instructions = ops.map { ($0["instructions"] as? NSNumber)?.intValue ?? -1 }
        let overhead = timing["overheadInstructions"] as? Int ?? -1
        let total = timing["inferenceInstructions"] as? Int ?? -1
        #expect(instructions.allSatisfy { $0 >= 0 } && overhead >= 0)
        #expect(instructions.reduce(overhead, +) == total)
        // The Gemms hold the MACs: each costs more than every element-wise operator.
        #expect(min(instructions[0], instructions[2], instructions[4]) > max(instructions[1], instructions[3], instructions[5]))
        // fc1 has 12.8× fc3's MACs; fc3's fixed costs per call (nibble tables built for only 10 rows, or a coded
        // span per row) keep the measured ratio below that (7.5 at K=16, every Gemm Huffman-coded).
        #expect(instructions[0] > 5 * instructions[4])
        #expect((timing["method"] as? String ?? "").contains("measured, not apportioned"))
        #expect(timing["clockHz"] as? Int == 25_000_000)
        let cycles = ops.map { ($0["estimatedCycles"] as? NSNumber)?.intValue ?? -1 }
        #expect(cycles == instructions)
        let us = (ops[0]["estimatedMicroseconds"] as? NSNumber)?.doubleValue ?? 0
        #expect(abs(us - Double(instructions[0]) / 25) < 1e-6)

        // wsc run times ws_invoke on the same first sample: the same instructions, to two SysTick ticks (40 each).
        let run = try WSC.run(["run", out, "--board", "qemu-mps2-an386", "--data", WSC.fixture("digits_test.npz"),
                               "--limit", "1", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let runReport = try WSC.json(run.stdout)
        let measured = (runReport["instructionsPerInference"] as? [Int])?.first ?? -1
        #expect(abs(measured - total) <= 80, "report \(total), run \(measured)")
        let estimate = runReport["timeEstimate"] as? [String: Any] ?? [:]
        #expect((estimate["cyclesPerInference"] as? [Int])?.first == measured)
        let ms = ((estimate["millisecondsPerInference"] as? [NSNumber])?.first)?.doubleValue ?? 0
        #expect(abs(ms - Double(measured) / 25_000) < 1e-9)
        #expect((estimate["method"] as? String ?? "").contains("1 per instruction"))

        let real = try WSC.run(["report", out + "/model.wsm", "--board", "nucleo-f746zg"])
        #expect(real.status != 0 && real.stderr.contains("TIMING=dwt TIME_OPS=1"), "\(real.stderr)")
    }
}

/// Hex SHA-256 of a file, by sha256sum (an implementation independent of wsc's).
func sha256(_ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: data, as: UTF8.self).prefix(64))
}
