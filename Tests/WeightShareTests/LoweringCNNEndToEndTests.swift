import Foundation
import Testing
import WeightShareReader
import WeightShare

/// The per-operator models of `Tests/Fixtures/ops/` (made by `scripts/make_cnn_op_fixtures.py`): each is
/// imported, lowered, written with raw weights and run by the C runtime, against onnxruntime's output.
enum CNNOpFixtures {
    struct Case: Decodable, CustomTestStringConvertible {
        let name: String
        let opset: Int
        let inputShape: [Int]
        let outputShape: [Int]
        let ops: [String]

        enum CodingKeys: String, CodingKey {
            case name, opset, ops
            case inputShape = "input_shape"
            case outputShape = "output_shape"
        }

        var testDescription: String { name }
    }

    struct Manifest: Decodable {
        let cases: [Case]
    }

    static func url(_ file: String) -> URL { FixturePaths.url("ops/" + file) }

    static let cases: [Case] = {
        guard let data = try? Data(contentsOf: url("cases.json")),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return manifest.cases
    }()

    static func load(_ c: Case, options: LoweringOptions = LoweringOptions()) throws -> LoweredModel {
        let graph = try ONNXImporter.load(url: url("\(c.name).onnx"))
        return try Lowering.lower(graph, inputShapes: ["x": c.inputShape], options: options)
    }

    /// `x` and onnxruntime's `y`.
    static func io(_ c: Case) throws -> (x: [Float], y: [Float]) {
        let arrays = try NumPy.readNPZ(url: url("\(c.name).npz"))
        let x = try #require(arrays.first { $0.name == "x" })
        let y = try #require(arrays.first { $0.name == "y" })
        return (x.floats, y.floats)
    }

    /// Largest |a − b| / max(1, |b|).
    static func worstError(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).map { Double(abs($0 - $1)) / max(1, Double(abs($1))) }.max() ?? 0
    }
}

@Suite("CNN operators end to end: import → lower → .wsm → C runtime vs onnxruntime")
struct LoweringCNNEndToEndTests {
    @Test("the manifest lists the generated cases")
    func manifest() {
        #expect(CNNOpFixtures.cases.count >= 50)
    }

    @Test("lowered output shape equals onnxruntime's", arguments: CNNOpFixtures.cases)
    func shapes(_ c: CNNOpFixtures.Case) throws {
        let model = try CNNOpFixtures.load(c)
        #expect(model.tensors[model.outputs[0]].shape == c.outputShape)
        #expect(MemoryPlanner.conflicts(in: MemoryPlanner.plan(model), model: model).isEmpty)
    }

    @Test("the C runtime matches onnxruntime within 1e-4", arguments: CNNOpFixtures.cases)
    func numeric(_ c: CNNOpFixtures.Case) throws {
        try Self.check(c, options: LoweringOptions())
    }

    /// The search's fast evaluator (host kernels: im2col + sgemm, depthwise, ConvTranspose as a product, stacked
    /// Gemm/MatMul, MaxPool) on two copies of each sample, against onnxruntime.
    @Test("the fast evaluator matches onnxruntime within 1e-4", arguments: CNNOpFixtures.cases)
    func fastKernels(_ c: CNNOpFixtures.Case) throws {
        let prepared = PreparedModel(lowered: try CNNOpFixtures.load(c))
        let (x, y) = try CNNOpFixtures.io(c)
        let samples = SampleSet(values: x + x, sampleSize: x.count, labels: nil)
        let fast = try RuntimeEvaluator(model: prepared, samples: samples, metric: .cosine, workers: 2, kernels: .fast)
        try #require(fast.floatOutputs.count == 2 * y.count)
        for half in [fast.floatOutputs[..<y.count], fast.floatOutputs[y.count...]] {
            let worst = CNNOpFixtures.worstError(Array(half), y)
            #expect(worst <= 1e-4, "\(c.name): largest error \(worst)")
        }
    }

    @Test("BatchNormalization folded into the weights matches onnxruntime too",
          arguments: CNNOpFixtures.cases.filter { $0.name.hasPrefix("bn_") })
    func numericWeightFolding(_ c: CNNOpFixtures.Case) throws {
        try Self.check(c, options: LoweringOptions(batchNormFolding: .weights))
    }

    static func check(_ c: CNNOpFixtures.Case, options: LoweringOptions) throws {
        let prepared = PreparedModel(lowered: try CNNOpFixtures.load(c, options: options))
        let model = try WSMModel(bytes: try prepared.container(quantization: nil))
        let (x, y) = try CNNOpFixtures.io(c)
        let outputs = try model.run([x])
        #expect(outputs.count == 1)
        #expect(outputs[0].count == y.count)
        let worst = CNNOpFixtures.worstError(outputs[0], y)
        #expect(worst <= 1e-4, "\(c.name): largest error \(worst)")
    }

    @Test("the container names every new opcode as the reader sees it")
    func opcodeNames() throws {
        let expected: [String: [String]] = [
            "conv1d": ["Reshape", "Conv", "Reshape"], "bn_alone": ["Relu", "ChannelAffine"],
            "conv_transpose": ["ConvTranspose"], "avgpool2d_exclude_pad": ["AveragePool"],
            "global_avgpool": ["GlobalAveragePool"], "sub_mul_div_broadcast": ["Sub", "Mul", "Div"],
            "clip_relu6": ["Clip"], "prelu": ["PRelu"], "hard_swish": ["HardSwish"], "concat_axis1": ["Relu", "Concat"],
            "transpose_nhwc": ["Transpose"], "pad_reflect": ["Pad"], "resize_linear_half_pixel": ["Resize"],
            "maxpool2d": ["MaxPool"], "leaky_relu": ["LeakyRelu"], "sigmoid": ["Sigmoid"], "tanh": ["Tanh"],
            "hard_sigmoid": ["HardSigmoid"], "matmul_batched_b": ["MatMul"],
            "matmul_activation_b": ["Transpose", "MatMul"],
        ]
        for c in CNNOpFixtures.cases where expected[c.name] != nil {
            let prepared = PreparedModel(lowered: try CNNOpFixtures.load(c))
            let model = try WSMModel(bytes: try prepared.container(quantization: nil))
            #expect(model.operators.map(\.opcode) == expected[c.name], "\(c.name)")
        }
    }

    /// Shared Conv/ConvTranspose weights and batched MatMul Bs are decoded on the fly: the quantized container gives
    /// exactly what a raw container holding the decoded weights gives, and the epilogue scale and bias stay raw.
    @Test("shared conv weights (BatchNorm epilogue) and batched MatMul Bs decode like raw weights",
          arguments: ["bn_after_conv", "bn_after_conv_transpose", "conv2d_depthwise", "conv1d", "matmul_batched_b",
                      "matmul_broadcast_4d"])
    func sharedConvWeights(_ name: String) throws {
        let c = try #require(CNNOpFixtures.cases.first { $0.name == name })
        let prepared = PreparedModel(lowered: try CNNOpFixtures.load(c))
        #expect(!prepared.shared.slices.isEmpty)
        let q = Quantization(binning: UniformBinning(values: prepared.shared.values, k: 16))
        let shared = try WSMModel(bytes: try prepared.container(quantization: q))
        var decoded = prepared.lowered
        for slice in prepared.shared.slices {
            let info = try shared.tensor(at: slice.tensor)
            #expect(info.kind == .shared)
            decoded.tensors[slice.tensor].constant = try shared.decode(info)
        }
        for (t, tensor) in prepared.lowered.tensors.enumerated() where tensor.isConstant
            && prepared.shared.slice(ofTensor: t) == nil {
            #expect(try shared.tensor(at: t).kind == .raw)
        }
        let raw = try WSMModel(bytes: try PreparedModel(lowered: decoded).container(quantization: nil))
        let (x, _) = try CNNOpFixtures.io(c)
        let a = try shared.run([x])[0], b = try raw.run([x])[0]
        #expect(CNNOpFixtures.worstError(a, b) <= 1e-6)
    }
}

