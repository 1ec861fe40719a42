import Foundation
import Testing

/// Non-finite and nonsense values in models reach `wsc search` as one clear error, before anything is written:
/// never a trap, never a search that fails at its end.
@Suite("wsc: non-finite weights, nothing to share, opsets")
struct NonFiniteCommandTests {
    /// `wsc search` on `model` fails with exit status 1 (an error, not a signal), stderr mentioning every text of
    /// `expected`, and no run folder.
    func searchRefuses(_ model: Data, mentions expected: [String]) throws {
        let folder = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try ONNXBytes.write(model, name: "model.onnx", in: folder)
        let run = folder.appendingPathComponent("run")
        let result = try WSC.run(["search", path, "--data", WSC.fixture("digits_val.npz"), "--out", run.path,
                                  "--generations", "1", "--population", "4"])
        #expect(result.status == 1, "status \(result.status), stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "stderr: \(result.stderr)")
        for text in expected { #expect(result.stderr.contains(text), "stderr: \(result.stderr)") }
        #expect(!FileManager.default.fileExists(atPath: run.path), "nothing may be written")
    }

    @Test("a NaN weight is refused at once, naming the tensor and the element (it trapped in binning)")
    func nanWeight() throws {
        var w = ONNXBytes.gemmWeights
        w[25] = .nan
        try searchRefuses(ONNXBytes.gemm(weights: w), mentions: ["'W'", "element 25", "[2, 5]", "nan", "finite"])
    }

    @Test("±Inf weights and a NaN bias are refused too")
    func infWeightAndNaNBias() throws {
        var w = ONNXBytes.gemmWeights
        w[639] = .infinity
        try searchRefuses(ONNXBytes.gemm(weights: w), mentions: ["'W'", "element 639", "[63, 9]", "inf"])
        w[639] = 1
        w[0] = -.infinity
        try searchRefuses(ONNXBytes.gemm(weights: w), mentions: ["'W'", "element 0", "-inf"])
        var b = [Float](repeating: 0, count: 10)
        b[1] = .nan
        try searchRefuses(ONNXBytes.gemm(bias: b), mentions: ["'b'", "element 1", "nan"])
    }

    @Test("a model without shareable weights is refused before the search, with no run folder")
    func nothingToShare() throws {
        try searchRefuses(ONNXBytes.reluOnly(), mentions: ["no weights to share", "Conv", "Gemm", "MatMul"])
    }

    @Test("opsets outside 1...64 are refused, naming the opset import")
    func opsets() throws {
        for opset: Int64 in [2_147_483_647, 0, -1, 65, Int64.max] {
            try searchRefuses(ONNXBytes.gemm(opset: opset),
                              mentions: ["opset import", "version \(opset)", "1...64"])
        }
    }
}

@Suite("wsc: non-finite option values")
struct NonFiniteOptionTests {
    @Test("--tolerance inf (search, merge) and --max-loss inf (compile) are usage errors, not an EncodingError")
    func infiniteOptions() throws {
        let folder = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        let search = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                  "--out", run.path, "--input-shape", "input=1,64", "--tolerance", "inf"])
        #expect(search.status != 0 && search.stderr.contains("--tolerance must be a finite number"), "\(search.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run.path))
        let merge = try WSC.run(["merge", run.path, "--solution", "0", "--tolerance", "inf"])
        #expect(merge.status != 0 && merge.stderr.contains("--tolerance must be a finite number"), "\(merge.stderr)")
        let compile = try WSC.run(["compile", run.path, "--max-loss", "inf", "-o", folder.appendingPathComponent("out").path])
        #expect(compile.status != 0 && compile.stderr.contains("--max-loss must be a finite number"), "\(compile.stderr)")
    }
}
