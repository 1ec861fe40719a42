import Foundation
import Testing
import WeightShare
import WeightShareHostKernels
import WeightShareReader

/// The fast evaluator (``EvaluatorKernels/fast``: layer-wise over all samples, Conv/Gemm/MatMul on BLAS) against
/// the reference (the C runtime's kernels, sample by sample) on every fixture family: the float model and
/// candidates of the paper's genome and of the full genome (scales, clipping, outliers, refit, error compensation,
/// bias correction measured inside the scoring pass). The independent expectation is the reference runtime,
/// itself checked against onnxruntime by the fixture suites.
@Suite("Fast evaluator agrees with the reference runtime")
struct FastEvaluatorAgreementTests {
    struct Case: Sendable, CustomStringConvertible {
        let model: String
        let data: String
        var shape: [Int]? = nil
        var limit: Int? = nil
        /// Width of a class-score output whose top-1 is compared (nil: not a classifier).
        var classes: Int? = nil
        var description: String { model }
    }

    static let cases: [Case] = [
        Case(model: "digits_mlp.onnx", data: "digits_val.npz", shape: [1, 64], classes: 10),
        Case(model: "cnn/lenet.onnx", data: "digits_val.npz", shape: [1, 1, 8, 8], limit: 120, classes: 10),
        Case(model: "cnn/mobilenet.onnx", data: "digits_val.npz", shape: [1, 1, 8, 8], limit: 120, classes: 10),
        Case(model: "folded/resnet_folded.onnx", data: "digits_val.npz", shape: [1, 1, 8, 8], limit: 120, classes: 10),
        Case(model: "folded/repvgg.onnx", data: "digits_val.npz", shape: [1, 1, 8, 8], limit: 120, classes: 10),
        Case(model: "tiny/kws_dscnn.onnx", data: "tiny/kws_dscnn_search.npz", shape: [1, 1, 49, 10], limit: 48,
             classes: 12),
        Case(model: "tiny/ic_resnet8.onnx", data: "tiny/ic_resnet8_search.npz", shape: [1, 3, 32, 32], limit: 48,
             classes: 10),
        Case(model: "tiny/ad_autoencoder.onnx", data: "tiny/ad_autoencoder_search.npz", shape: [1, 640], limit: 48),
        Case(model: "families/yolo_tiny.onnx", data: "families/yolo_tiny_test.npz", limit: 8),
        Case(model: "families/vit_tiny.onnx", data: "families/vit_tiny_test.npz", limit: 16),
        Case(model: "families/gru_kws.onnx", data: "families/gru_kws_test.npz", limit: 16),
        Case(model: "families/lstm_vad.onnx", data: "families/lstm_vad_test.npz", limit: 16),
        Case(model: "datamove/attention.onnx", data: "datamove/attention.npz"),
        Case(model: "datamove/c2f_split.onnx", data: "datamove/c2f_split.npz"),
    ]

    static let fullGenome = EncodingGenes(k: 24, normalization: WeightNormalization(mode: .channel), clipLow: 0.001,
                                          clipHigh: 0.001, outlierFraction: 0.0005, scaleRefit: true,
                                          errorCompensation: true, biasCorrection: true)

    @Test("outputs within 1e-5 of the largest, same top-1, cosine within 1e-6", arguments: cases)
    func agrees(_ fixture: Case) throws {
        let source = try ModelSource.load(FixturePaths.url(fixture.model),
                                          inputShapes: fixture.shape.map { ["input": $0] } ?? [:])
        let samples = try SampleSet.load(FixturePaths.url(fixture.data), for: source.lowered, limit: fixture.limit,
                                         labels: false)
        let encoder = WeightEncoder(base: source.prepared, calibration: Calibration(samples: samples))
        let reference = try RuntimeEvaluator(encoder: encoder, samples: samples, metric: .cosine)
        let fast = try RuntimeEvaluator(encoder: encoder, samples: samples, metric: .cosine, kernels: .fast)
        let width = reference.outputWidth
        let encodings: [(String, WeightEncoding?)] = [
            ("float", nil), ("K=16", encoder.encode(EncodingGenes(k: 16))), ("full genome", encoder.encode(Self.fullGenome)),
        ]
        for (name, encoding) in encodings {
            let a = try reference.outputs(encoding), b = try fast.outputs(encoding)
            try #require(a.count == b.count && a.count == samples.count * width)
            var worst = 0.0, flips = 0
            for i in 0..<samples.count {
                let x = a[(i * width)..<((i + 1) * width)], y = b[(i * width)..<((i + 1) * width)]
                let scale = max(1.0, Double(x.map(abs).max() ?? 0))
                for (u, v) in zip(x, y) { worst = max(worst, Double(abs(u - v)) / scale) }
                if let classes = fixture.classes, classes == width, Metric.argmax(x) != Metric.argmax(y) { flips += 1 }
            }
            let scores = (try reference.score(encoding ?? encoder.encode(EncodingGenes(k: 4096))),
                          try fast.score(encoding ?? encoder.encode(EncodingGenes(k: 4096))))
            // Measured: at most 1.1e-6 of the sample's largest output, cosine within 1.5e-8.
            #expect(worst <= 1e-5, "\(fixture.model) \(name): largest difference relative to the sample's largest output \(worst)")
            #expect(flips == 0, "\(fixture.model) \(name): top-1 differs on \(flips) samples")
            #expect(abs(scores.0 - scores.1) <= 1e-6, "\(fixture.model) \(name): cosine \(scores.0) vs \(scores.1)")
        }
    }
}

/// ``RuntimeEvaluator/scores(_:)`` scores a small model's candidates side by side, one thread each: every score must
/// be exactly the one the same evaluator gives the candidate alone, its samples over all workers (the front must not
/// depend on how a generation was spread), for both kernels, with and without calibration (bias correction inside
/// the scoring pass, compensation).
@Suite("Candidates scored side by side")
struct SideBySideScoringTests {
    @Test("scores equal each candidate scored alone, with 2 and 3 workers", arguments: [
        FastEvaluatorAgreementTests.cases[0], FastEvaluatorAgreementTests.cases[3], FastEvaluatorAgreementTests.cases[6],
    ])
    func sameScores(_ fixture: FastEvaluatorAgreementTests.Case) throws {
        let source = try ModelSource.load(FixturePaths.url(fixture.model),
                                          inputShapes: fixture.shape.map { ["input": $0] } ?? [:])
        let samples = try SampleSet.load(FixturePaths.url(fixture.data), for: source.lowered, limit: fixture.limit,
                                         labels: false)
        let encoder = WeightEncoder(base: source.prepared, calibration: Calibration(samples: samples))
        let encodings = [3, 5, 8, 16, 40, 256].map { encoder.encode(EncodingGenes(k: $0)) }
            + [encoder.encode(FastEvaluatorAgreementTests.fullGenome),
               encoder.encode(EncodingGenes(k: 12, normalization: WeightNormalization(mode: .channel)))]
        for kernels in EvaluatorKernels.allCases {
            for workers in [2, 3] {
                let evaluator = try RuntimeEvaluator(encoder: encoder, samples: samples, metric: .cosine,
                                                     workers: workers, kernels: kernels)
                let alone = try encodings.map { try evaluator.score($0) }
                #expect(Set(alone).count > 4, "\(fixture.model): the candidates should score differently")
                let together = try evaluator.scores(encodings)
                #expect(together == alone, "\(fixture.model) \(kernels) \(workers) workers: \(zip(together, alone).map { $0 - $1 })")
            }
        }
    }
}

/// Which operators the fast evaluator batches on the host, counted against the fixtures' ONNX graphs by hand (the
/// agreement tests above check the results; this checks that the kernels they exercise are the ones meant).
@Suite("Host kernel plans")
struct HostKernelPlanTests {
    @Test("depthwise Convs and one-group ConvTransposes take their host kernels, the other Convs im2col + sgemm",
          arguments: [
              ("tiny/kws_dscnn.onnx", "input", [1, 1, 49, 10], [WS_HOST_DEPTHWISE: 4, WS_HOST_CONV: 5, WS_HOST_GEMM: 1]),
              ("cnn/mobilenet.onnx", "input", [1, 1, 8, 8], [WS_HOST_DEPTHWISE: 2, WS_HOST_CONV: 5, WS_HOST_GEMM: 1]),
              ("ops/conv_transpose.onnx", "x", [1, 3, 4, 4], [WS_HOST_CONV_TRANSPOSE: 1]),
              ("ops/conv_transpose_output_shape.onnx", "x", [1, 4, 3, 3], [:]),   // two groups: the runtime's kernel
          ])
    func plans(_ file: String, _ input: String, _ shape: [Int], _ expected: [ws_host_kernel: Int]) throws {
        let source = try ModelSource.load(FixturePaths.url(file), inputShapes: [input: shape])
        let model = try WSMModel(bytes: try WeightEncoder(base: source.prepared).container(nil))
        var kernels: [ws_host_kernel: Int] = [:]
        for o in 0..<model.operators.count {
            var plan = ws_host_plan()
            if ws_host_plan_operator(model.model, UInt32(o), &plan) != 0 { kernels[plan.kernel, default: 0] += 1 }
        }
        #expect(kernels == expected, "\(file): \(kernels)")
    }
}

extension ws_host_kernel: @retroactive Hashable, @retroactive @unchecked Sendable {}
