import Foundation
import Testing
import WeightShareReader
import WeightShare

/// The CNN fixtures of `Tests/Fixtures/cnn/` (made by `scripts/make_cnn_fixtures.py`).
enum CNNFixtures {
    static let names = ["lenet", "resnet", "mobilenet"]
    /// Nets whose planned arena must be strictly smaller than the naive sum (residual branches keep two
    /// activations alive, but most die early).
    static let planned = ["resnet", "mobilenet"]
    static let inputShape = [1, 1, 8, 8]

    static func url(_ file: String) -> URL { FixturePaths.url("cnn/" + file) }

    static func load(_ name: String) throws -> ModelSource {
        try ModelSource.load(url("\(name).onnx"), inputShapes: ["input": inputShape])
    }

    /// onnxruntime's logits on the test split, [360 × 10].
    static func reference(_ name: String) throws -> [Float] {
        let arrays = try NumPy.readNPZ(url: url("\(name)_test_ref.npz"))
        guard let y = arrays.first(where: { $0.name == "y" }) else { throw FixtureFacts.FixtureMissing(name: "y") }
        return y.floats
    }

    /// `float_accuracy.test` of a net in `cnn/fixtures.json`.
    static func floatTestAccuracy(_ name: String) throws -> Double {
        let data = try Data(contentsOf: url("fixtures.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let models = json?["models"] as? [String: Any]
        let model = models?["\(name).onnx"] as? [String: Any]
        guard let accuracy = (model?["float_accuracy"] as? [String: Any])?["test"] as? Double else {
            throw FixtureFacts.FixtureMissing(name: "\(name).onnx float_accuracy.test")
        }
        return accuracy
    }
}

@Suite("CNN fixtures (LeNet, ResNet, MobileNet) through the C runtime")
struct CNNFixtureTests {
    @Test("unshared weights: top-1 equals onnxruntime's on every test sample, logits within 1e-4",
          arguments: CNNFixtures.names)
    func matchesOnnxruntime(name: String) throws {
        let source = try CNNFixtures.load(name)
        let test = try SampleSet.load(FixturePaths.url("digits_test.npz"), for: source.lowered)
        let model = try WSMModel(bytes: try source.prepared.container(quantization: nil))
        let outputs = try BatchRunner.run(model, samples: test)
        let expected = try CNNFixtures.reference(name)
        try #require(outputs.count == expected.count)
        try #require(outputs.count == test.count * 10)

        var worst = 0.0
        var mismatches: [Int] = []
        var correct = 0
        for i in 0..<test.count {
            let a = outputs[(i * 10)..<((i + 1) * 10)]
            let b = expected[(i * 10)..<((i + 1) * 10)]
            for (x, y) in zip(a, b) { worst = max(worst, Double(abs(x - y))) }
            let predicted = Metric.argmax(a)
            if predicted != Metric.argmax(b) { mismatches.append(i) }
            if let labels = test.labels, predicted == labels[i] { correct += 1 }
        }
        #expect(mismatches.isEmpty, "\(name): top-1 differs from onnxruntime on samples \(mismatches.prefix(20))")
        #expect(worst <= 1e-4, "\(name): largest absolute logit difference \(worst)")
        let accuracy = Double(correct) / Double(test.count)
        #expect(abs(accuracy - (try CNNFixtures.floatTestAccuracy(name))) < 1e-9,
                "\(name): runtime accuracy \(accuracy) differs from the fixture's float accuracy")
    }

    @Test("memory plan: no two live activations overlap", arguments: CNNFixtures.names)
    func planHasNoConflicts(name: String) throws {
        let source = try CNNFixtures.load(name)
        let plan = source.prepared.plan
        let conflicts = MemoryPlanner.conflicts(in: plan, model: source.lowered)
        #expect(conflicts.isEmpty, "\(name): overlapping live tensors \(conflicts.map { pair in (source.lowered.tensors[pair.0].name, source.lowered.tensors[pair.1].name) })")
        #expect(plan.arenaBytes <= plan.naiveBytes)
        let model = try WSMModel(bytes: try source.prepared.container(quantization: nil))
        #expect(model.arenaBytes >= plan.arenaBytes, "\(name): the container's arena is smaller than the plan")
    }

    @Test("memory plan: the arena is strictly smaller than the naive sum", arguments: CNNFixtures.planned)
    func arenaSmallerThanNaive(name: String) throws {
        let plan = try CNNFixtures.load(name).prepared.plan
        #expect(plan.arenaBytes < plan.naiveBytes, "\(name): arena \(plan.arenaBytes) B, naive \(plan.naiveBytes) B")
    }

    @Test("BatchNormalization after a Conv is fused (no separate BatchNorm op remains)",
          arguments: CNNFixtures.planned)
    func batchNormIsFused(name: String) throws {
        let source = try CNNFixtures.load(name)
        #expect(source.graph.nodes.contains { $0.opType == "BatchNormalization" })
        let affine = source.lowered.operations.filter { if case .channelAffine = $0.kind { true } else { false } }
        #expect(affine.isEmpty, "\(name): BatchNormalization kept as ops \(affine.map(\.name))")
        // Conv weights stay shared; only Conv/Gemm weights are in the shared vector.
        let convs = source.lowered.operations.filter { if case .conv = $0.kind { true } else { false } }
        #expect(convs.count == (name == "resnet" ? 5 : 7))
    }
}
