import Foundation
import Testing
import WeightShareReader
@testable import WeightShareCore
@testable import WeightShareImport
@testable import WeightShareGraph
@testable import WeightShareContainer
@testable import WeightShareCompress
@testable import WeightShareEvaluate
@testable import WeightShareSearch

/// The real-model families of `Tests/Fixtures/families` (scripts/make_family_fixtures.py: torch exports of a
/// YOLOv8-style detector, a ViT/SVTR-style recogniser, an LSTM VAD with state in and out, a GRU keyword spotter),
/// lowered and run raw (unshared weights) by the C runtime against onnxruntime's outputs on the test split.
@Suite("Real-model families: lowered and run raw against onnxruntime")
struct FamilyFixtureTests {
    static func url(_ name: String) -> URL { FixturePaths.url("families/" + name) }

    static func arrays(_ file: String) throws -> [String: NumPyArray] {
        Dictionary(uniqueKeysWithValues: try NumPy.readNPZ(url: url(file)).map { ($0.name, $0) })
    }

    /// Largest |a − b| / (1 + |b|).
    static func worst(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? .infinity
    }

    /// The raw model and the test samples.
    static func raw(_ model: String) throws -> (WSMModel, SampleSet, LoweredModel) {
        let source = try ModelSource.load(url(model + ".onnx"), inputShapes: [:])
        let samples = try SampleSet.load(url(model + "_test.npz"), for: source.lowered, labels: false)
        return (try WSMModel(bytes: try source.prepared.container(quantization: nil)), samples, source.lowered)
    }

    @Test("every output of every family within 1e-4 relative of onnxruntime, sample by sample",
          arguments: ["yolo_tiny", "vit_tiny", "lstm_vad", "gru_kws"])
    func rawMatchesOnnxRuntime(model: String) throws {
        let (wsm, samples, _) = try Self.raw(model)
        let reference = try Self.arrays(model + "_ref.npz")
        for (o, output) in wsm.outputs.enumerated() {
            let expected = try #require(reference[output.name], "no reference for output \(output.name)")
            #expect(expected.shape.reduce(1, *) == samples.count * output.elementCount)
            let got = try BatchRunner.run(wsm, samples: samples, outputs: [o], workers: 2)
            let worst = Self.worst(got, expected.floats)
            #expect(worst <= 1e-4, "\(model) output \(output.name): relative difference \(worst)")
        }
    }

    @Test("the LSTM VAD free-running (state fed back) is onnxruntime's free-running stream, and classifies it")
    func vadFreeRunning() throws {
        let (wsm, samples, _) = try Self.raw("lstm_vad")
        #expect(wsm.inputs.map(\.name) == ["audio", "h", "c"] && wsm.outputs.map(\.name) == ["prob", "hn", "cn"])
        let pairs = try OutputSelection.feedback([("h", "hn"), ("c", "cn")], model: wsm)
        let prob = try BatchRunner.runFreeRunning(wsm, samples: samples, outputs: [0], feedback: pairs)
        let reference = try Self.arrays("lstm_vad_ref.npz")
        #expect(Self.worst(prob, reference["prob_free"]!.floats) <= 1e-4)
        let labels = try Self.arrays("lstm_vad_test.npz")["y"]!.int64s!
        let correct = zip(prob, labels).filter { ($0 > 0.5) == ($1 == 1) }.count
        #expect(correct == labels.count, "\(correct) of \(labels.count) chunks")
    }

    @Test("the families lower to the runtime operators their exports need")
    func loweredOperators() throws {
        func kinds(_ model: String) throws -> Set<String> {
            let lowered = try Self.raw(model).2
            return Set(lowered.operations.map { ImportCheck.kindName($0.kind) })
        }
        // C2f's Split and the DFL head's Softmax; the ViT's attention (MatMul of activations) and LayerNorm; the
        // VAD's STFT magnitude and its LSTM; the keyword spotter's GRU.
        #expect(try kinds("yolo_tiny").isSuperset(of: ["slice", "concat", "Silu", "resize", "softmax", "maxPool"]))
        #expect(try kinds("vit_tiny").isSuperset(of: ["matMul", "layerNormalization", "Gelu", "softmax"]))
        #expect(try kinds("lstm_vad").isSuperset(of: ["recurrent", "powScalar", "Sqrt", "Log"]))
        #expect(try kinds("gru_kws").contains("recurrent"))
        // Attention: the activation × activation MatMuls share nothing; only constant weights are shared.
        let (_, _, vit) = try Self.raw("vit_tiny")
        // Shared: the patch Conv, per block qkv/proj/fc1/fc2, the head — 1536 + 2·(32·96 + 32·32 + 32·64 + 64·32)
        // + 32·11 weights in 10 tensors; no activation operand of an attention MatMul among them.
        let shared = SharedWeights(model: vit)
        #expect(shared.slices.count == 10 && shared.count == 1536 + 2 * (3072 + 1024 + 2048 + 2048) + 352)
        #expect(vit.operations.contains { op in
            if case .matMul = op.kind { return op.inputs.allSatisfy { $0.map { !vit.tensors[$0].isConstant } ?? true } }
            return false
        })
    }
}
