import Foundation
import Testing

/// The real-model families (`Tests/Fixtures/families`) through the command line: a short search, compile, and
/// verify on the held-out split against the float model (the LSTM VAD free-running, its state fed back).
@Suite("wsc on the real-model families", .serialized)
struct FamilyModelTests {
    @Test("search → compile → verify: output cosine ≥ 0.99 on held-out data at ≥ 3× weight CR",
          arguments: ["yolo_tiny", "vit_tiny", "lstm_vad", "gru_kws"])
    func family(model: String) throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run").path, out = root.appendingPathComponent("out").path
        let onnx = WSC.fixture("families/\(model).onnx")
        let search = try WSC.run(["search", onnx, "--data", WSC.fixture("families/\(model)_data.npz"), "--out", run,
                                  "--metric", "cosine", "--genome", "k", "--population", "6", "--generations", "1",
                                  "--k-max", "64", "--no-merge", "--limit", "24", "--seed", "2"])
        #expect(search.status == 0, "\(search.stderr)")
        let compile = try WSC.run(["compile", run, "--max-loss", "0.5", "-o", out, "--json"])
        #expect(compile.status == 0, "\(compile.stderr)")
        let compiled = try WSC.json(compile.stdout)
        #expect((compiled["compressionRatioFixed"] as? Double ?? 0) >= 3, "\(compiled)")

        var verify = ["verify", out + "/model.wsm", "--model", onnx, "--data",
                      WSC.fixture("families/\(model)_test.npz"), "--json"]
        if model == "lstm_vad" { verify += ["--feedback", "h=hn", "--feedback", "c=cn"] }
        let result = try WSC.run(verify)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try WSC.json(result.stdout)
        #expect((report["meanCosine"] as? Double ?? 0) >= 0.99, "\(model): \(report)")
        #expect(report["sourceMatches"] as? Bool == true)
    }
}
