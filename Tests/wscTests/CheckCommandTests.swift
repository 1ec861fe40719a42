import Foundation
import Testing

/// `wsc check`: the whole listing, exit status 0 only when the model can be compiled as pinned; `search` prints
/// the same complete list of unsupported operators.
@Suite("wsc check")
struct CheckCommandTests {
    /// Sin, Cos, Sin before a Gemm: two unsupported operator types, three nodes.
    static func severalUnsupported() -> Data {
        ONNXBytes.model(nodes: [
            ONNXBytes.node("Sin", inputs: ["x"], output: "a", name: "sin_a"),
            ONNXBytes.node("Cos", inputs: ["a"], output: "b", name: "cos_b"),
            ONNXBytes.node("Sin", inputs: ["b"], output: "c", name: "sin_c"),
            ONNXBytes.node("Gemm", inputs: ["c", "W"], output: "y", name: "fc"),
        ], initializers: [ONNXBytes.tensor("W", dims: [64, 10], values: ONNXBytes.gemmWeights)],
        input: [1, 64], output: [1, 10])
    }

    @Test("a model that compiles: exit 0, shared weights and operators")
    func pinnedModel() throws {
        let result = try WSC.run(["check", WSC.fixture("digits_mlp.onnx"), "--input-shape", "input=1,64"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("shared weights: N = 17024 in 3 tensors"), "\(result.stdout)")
        #expect(result.stdout.contains("ok: the model can be searched and compiled as pinned"))

        let json = try WSC.run(["check", WSC.fixture("digits_mlp.onnx"), "--input-shape", "input=1,64", "--json"])
        #expect(json.status == 0)
        let report = try WSC.json(json.stdout)
        #expect(report["compilable"] as? Bool == true)
        #expect(report["sharedWeightCount"] as? Int == 17_024)
        #expect(report["error"] is NSNull)
        #expect((report["sharedWeights"] as? [[String: Any]])?.first?.keys.sorted() == ["elements", "shape", "tensor"])
    }

    @Test("a dynamic batch: exit 1 with the dimension and a shape that lowers")
    func dynamicModel() throws {
        let result = try WSC.run(["check", WSC.fixture("digits_mlp.onnx")])
        #expect(result.status == 1)
        #expect(result.stdout.contains("dynamic input dimensions to pin:"), "\(result.stdout)")
        #expect(result.stdout.contains("--input-shape input=1,64"))
        let json = try WSC.json(try WSC.run(["check", WSC.fixture("digits_mlp.onnx"), "--json"]).stdout)
        #expect(json["compilable"] as? Bool == false)
        let shapes = json["suggestedInputShapes"] as? [[String: Any]]
        #expect(shapes?.first?["input"] as? String == "input")
        #expect(shapes?.first?["shape"] as? [Int] == [1, 64])
        let dims = json["dynamicDimensions"] as? [[String: Any]]
        #expect(dims?.first?["axis"] as? Int == 0 && dims?.first?["symbol"] as? String == "batch")
    }

    @Test("every unsupported operator is listed, by check and by search")
    func unsupportedOperators() throws {
        let folder = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try ONNXBytes.write(Self.severalUnsupported(), name: "ops.onnx", in: folder)
        let check = try WSC.run(["check", model])
        #expect(check.status == 1)
        #expect(check.stdout.contains("unsupported operators (2, 3 nodes):"), "\(check.stdout)")
        for text in ["Sin", "sin_a", "Cos", "cos_b"] { #expect(check.stdout.contains(text)) }
        let json = try WSC.json(try WSC.run(["check", model, "--json"]).stdout)
        let ops = json["unsupportedOperators"] as? [[String: Any]] ?? []
        #expect(ops.map { $0["opType"] as? String } == ["Sin", "Cos"])
        #expect(ops.map { $0["count"] as? Int } == [2, 1])
        #expect(ops.first?.keys.sorted() == ["count", "domain", "firstNode", "opType"])

        let run = folder.appendingPathComponent("run").path
        let search = try WSC.run(["search", model, "--data", WSC.fixture("digits_val.npz"), "--out", run,
                                  "--generations", "1", "--population", "4"])
        #expect(search.status != 0)
        #expect(search.stderr.contains("2 operators WeightShare cannot compile (3 nodes): Sin (2 nodes, first "
            + "'sin_a'), Cos (node 'cos_b')"), "\(search.stderr)")
        #expect(search.stderr.contains("wsc check"))
    }
}
