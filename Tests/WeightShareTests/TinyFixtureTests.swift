import Foundation
import Testing
import WeightShareReader
import WeightShare

/// The MLPerf Tiny fixtures of `Tests/Fixtures/tiny/` (scripts/make_tiny_fixtures.py), unshared: the C runtime
/// against onnxruntime's outputs on the test split. (The compressed path, search to QEMU, is in wscTests.)
@Suite("MLPerf Tiny fixtures, raw weights, through the C runtime")
struct TinyFixtureTests {
    static let fixtures: [(name: String, shape: [Int], outputs: Int)] = [
        ("kws_dscnn", [1, 1, 49, 10], 12), ("ic_resnet8", [1, 3, 32, 32], 10), ("ad_autoencoder", [1, 640], 640),
        ("vww_mobilenet", [1, 3, 96, 96], 2),
    ]

    @Test("raw container: outputs within 1e-4 relative of onnxruntime's, same top-1",
          arguments: fixtures.map(\.name))
    func matchesOnnxruntime(name: String) throws {
        let fixture = Self.fixtures.first { $0.name == name }!
        let url = { (file: String) in FixturePaths.url("tiny/" + file) }
        let source = try ModelSource.load(url("\(name).onnx"), inputShapes: ["input": fixture.shape])
        #expect(!source.lowered.operations.contains { if case .channelAffine = $0.kind { true } else { false } },
                "\(name): a BatchNormalization was not folded")
        let test = try SampleSet.load(url("\(name)_test.npz"), for: source.lowered)
        let model = try WSMModel(bytes: try source.prepared.container(quantization: nil))
        let outputs = try BatchRunner.run(model, samples: test)
        let arrays = try NumPy.readNPZ(url: url("\(name)_test_ref.npz"))
        let expected = try #require(arrays.first { $0.name == "y" }).floats
        try #require(outputs.count == expected.count && outputs.count == test.count * fixture.outputs)

        var worst = 0.0, mismatches = 0
        for i in 0..<test.count {
            let a = outputs[(i * fixture.outputs)..<((i + 1) * fixture.outputs)]
            let b = expected[(i * fixture.outputs)..<((i + 1) * fixture.outputs)]
            let scale = max(1.0, Double(b.map(abs).max() ?? 0))
            for (x, y) in zip(a, b) { worst = max(worst, Double(abs(x - y)) / scale) }
            if fixture.outputs <= 12 && Metric.argmax(a) != Metric.argmax(b) { mismatches += 1 }
        }
        #expect(worst <= 1e-4, "\(name): largest difference relative to the sample's largest output \(worst)")
        #expect(mismatches == 0, "\(name): top-1 differs from onnxruntime on \(mismatches) samples")
    }
}
