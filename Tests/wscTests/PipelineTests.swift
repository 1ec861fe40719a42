import Foundation
import Testing

/// The whole chain through the real command line, on a short search.
@Suite("wsc search → pareto → merge → compile → verify → inspect", .serialized)
struct PipelineTests {
    @Test("digits MLP")
    func pipeline() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run").path
        let out = root.appendingPathComponent("out").path

        let search = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                  "--out", run, "--input-shape", "input=1,64", "--population", "10",
                                  "--generations", "3", "--k-max", "128", "--limit", "150", "--json"])
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stderr.contains("gen   3/3"))
        let front = try WSC.json(search.stdout)
        let solutions = front["solutions"] as? [[String: Any]] ?? []
        #expect(!solutions.isEmpty)
        for name in ["pareto.json", "pareto.csv", "pareto.svg", "run.json", "checkpoint.json"] {
            #expect(FileManager.default.fileExists(atPath: run + "/" + name), "\(name)")
        }
        let csv = try String(contentsOfFile: run + "/pareto.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == solutions.count + 1)

        let pareto = try WSC.run(["pareto", run])
        #expect(pareto.status == 0)
        #expect(pareto.stdout.contains("CR fixed"))

        let merge = try WSC.run(["merge", run, "--solution", "0", "--json"])
        #expect(merge.status == 0, "\(merge.stderr)")
        let merged = try WSC.json(merge.stdout)
        #expect(merged["merged"] as? Bool == true)
        let bad = try WSC.run(["merge", run, "--solution", "999"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("no solution 999"))

        let compile = try WSC.run(["compile", run, "--max-loss", "100", "-o", out, "--json"])
        #expect(compile.status == 0, "\(compile.stderr)")
        let compiled = try WSC.json(compile.stdout)
        for key in ["k", "m", "bitWidth", "compressionRatioFixed", "compressionRatioHuffman", "wsmBytes", "onnxBytes",
                    "arenaBytes", "naiveArenaBytes", "packedWeightBytes", "lossPoints"] {
            #expect(compiled[key] != nil, "compile --json lacks \(key)")
        }
        let wsmBytes = try Data(contentsOf: URL(fileURLWithPath: out + "/model.wsm"))
        #expect(compiled["wsmBytes"] as? Int == wsmBytes.count)
        let source = try String(contentsOfFile: out + "/model_data.c", encoding: .utf8)
        #expect(source.contains("const unsigned char ws_model_data[\(wsmBytes.count)]"))

        let verify = try WSC.run(["verify", out + "/model.wsm", "--model", WSC.fixture("digits_mlp.onnx"),
                                  "--data", WSC.fixture("digits_test.npz"), "--json"])
        #expect(verify.status == 0, "\(verify.stderr)")
        let report = try WSC.json(verify.stdout)
        #expect(report["samples"] as? Int == 360)
        #expect(report["sourceMatches"] as? Bool == true)
        #expect((report["floatAccuracy"] as? Double ?? 0) > 0.9)
        #expect(report["m"] as? Int == compiled["m"] as? Int)
        // Whatever the index coding (auto by default), verify reads every shared index: the same N and ratios.
        #expect(report["sharedWeights"] as? Int == compiled["sharedWeights"] as? Int)
        for key in ["compressionRatioFixed", "compressionRatioHuffman"] {
            let a = report[key] as? Double ?? 0, b = compiled[key] as? Double ?? -1
            #expect(abs(a - b) < 1e-9 * max(1, b), "\(key): verify \(a), compile \(b)")
        }
        for key in ["compressedAccuracy", "agreement", "maxAbsDiff", "compressionRatioFixed", "compressionRatioHuffman",
                    "wsmBytes", "onnxBytes", "arenaBytes", "meanCosine"] {
            #expect(report[key] != nil, "verify --json lacks \(key)")
        }

        let inspect = try WSC.run(["inspect", out + "/model.wsm", "--json"])
        #expect(inspect.status == 0)
        let info = try WSC.json(inspect.stdout)
        #expect(info["m"] as? Int == compiled["m"] as? Int)
        #expect((info["tensors"] as? [Any])?.isEmpty == false)
        #expect(info["formatVersion"] as? Int == 1)
    }
}
