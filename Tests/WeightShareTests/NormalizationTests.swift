import Foundation
import Testing
import WeightShareReader
import WeightShare
@testable import WeightShareCore
@testable import WeightShareGraph
@testable import WeightShareCompress
@testable import WeightShareContainer
@testable import WeightShareEvaluate
@testable import WeightShareSearch
@testable import WeightShareVerify

/// Every normalisation of the full genome: each mode with each statistic.
private let normalizations: [WeightNormalization] = [.none] + [ScaleMode.tensor, .channel].flatMap { mode in
    ScaleStatistic.allCases.map { WeightNormalization(mode: mode, statistic: $0) }
}

/// Outputs of `model` written with every weight raw, on `samples`.
private func rawOutputs(_ model: LoweredModel, _ samples: SampleSet) throws -> [Float] {
    try BatchRunner.run(try WSMModel(bytes: try PreparedModel(lowered: model).container(quantization: nil)),
                        samples: samples)
}

private func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0.0) { max($0, Double(abs($1.0 - $1.1))) }
}

@Suite("Weight normalisation: scales moved into the epilogue")
struct NormalizationTests {
    @Test("normalising changes no output: every fixture, mode and statistic, raw weights",
          arguments: ["digits_mlp.onnx", "cnn/lenet.onnx", "cnn/resnet.onnx", "cnn/mobilenet.onnx"])
    func functionPreserved(file: String) throws {
        let shape = file.hasPrefix("cnn/") ? [1, 1, 8, 8] : [1, 64]
        let source = try ModelSource.load(FixturePaths.url(file), inputShapes: ["input": shape])
        let samples = try SampleSet.load(FixturePaths.url("digits_test.npz"), for: source.lowered, limit: 40)
        let reference = try rawOutputs(source.lowered, samples)
        for normalization in normalizations {
            let (model, scales) = normalization.apply(to: source.lowered)
            if normalization.mode == .none { #expect(scales == 0) }
            let outputs = try rawOutputs(model, samples)
            #expect(maxAbsDifference(outputs, reference) <= 1e-4, "\(file) \(normalization)")
        }
    }

    @Test("scales multiplied into a folded BatchNorm's S add no bytes: on the ResNet only the final Gemm's 10 count")
    func scalesIntoExistingEpilogue() throws {
        let source = try CNNFixtures.load("resnet")  // every conv is followed by a BatchNormalization
        let (_, scales) = WeightNormalization(mode: .channel).apply(to: source.lowered)
        #expect(scales == 10)
        let folded = try ModelSource.load(FixturePaths.url("folded/resnet_folded.onnx"), inputShapes: ["input": [1, 1, 8, 8]])
        let (_, foldedScales) = WeightNormalization(mode: .channel).apply(to: folded.lowered)
        #expect(foldedScales > 10)  // no BatchNorm left: every conv's channel scales are new
    }

    @Test("channel max-abs: every output channel of every conv peaks at exactly 1")
    func channelPeaks() throws {
        let source = try CNNFixtures.load("resnet")
        let (model, _) = WeightNormalization(mode: .channel).apply(to: source.lowered)
        let shared = SharedWeights(model: model)
        #expect(shared.values.allSatisfy { abs($0) <= 1 })
        for slice in shared.slices where model.tensors[slice.tensor].shape.count == 4 {
            let shape = model.tensors[slice.tensor].shape
            let perChannel = shape.dropFirst().reduce(1, *)
            let values = model.tensors[slice.tensor].constant!
            for m in 0..<shape[0] {
                let peak = values[(m * perChannel)..<((m + 1) * perChannel)].map { abs($0) }.max()!
                #expect(peak == 1, "\(slice.name) channel \(m)")
            }
        }
    }

    /// Gemm X·B (B [3, 2], not transposed) then MatMul by C [2, 2]: hand-computed scales and graph changes.
    static func handModel() -> LoweredModel {
        LoweredModel(
            tensors: [
                .init(name: "x", shape: [1, 3]),
                .init(name: "b", shape: [3, 2], constant: [1, -8, -2, 4, 0.5, 2]),
                .init(name: "h", shape: [1, 2]),
                .init(name: "c", shape: [2, 2], constant: [3, 0.25, -6, 0.5]),
                .init(name: "y", shape: [1, 2]),
            ],
            operations: [
                .init(name: "gemm", kind: .gemm(alpha: 1, beta: 1, transA: false, transB: false), inputs: [0, 1],
                      outputs: [2]),
                .init(name: "matmul", kind: .matMul, inputs: [2, 3], outputs: [4]),
            ],
            inputs: [0], outputs: [4])
    }

    @Test("hand model, channel max-abs: column scales in Gemm's S and in a Mul after MatMul")
    func handChannelScales() throws {
        let (model, scales) = WeightNormalization(mode: .channel).apply(to: Self.handModel())
        #expect(scales == 4)
        // B's columns peak at 2 and 8; C's at 6 and 0.5.
        #expect(model.tensors[1].constant == [0.5, -1, -1, 0.5, 0.25, 0.25])
        #expect(model.tensors[3].constant == [0.5, 0.5, -1, 1])
        let gemm = model.operations[0]
        #expect(gemm.inputs.count == 4 && gemm.inputs[2] == nil)
        #expect(model.tensors[gemm.inputs[3]!].constant == [2, 8])
        #expect(model.operations.map(\.kind) == [.gemm(alpha: 1, beta: 1, transA: false, transB: false), .matMul, .mul])
        #expect(model.operations[2].outputs == [4])
        #expect(model.tensors[model.operations[2].inputs[1]!].constant == [6, 0.5])
        #expect(model.operations[1].outputs == [model.operations[2].inputs[0]!])
    }

    @Test("hand model, tensor rms: Gemm's scale goes into alpha, MatMul's into a one-element Mul")
    func handTensorScales() throws {
        let (model, scales) = WeightNormalization(mode: .tensor, statistic: .rms).apply(to: Self.handModel())
        #expect(scales == 1)  // alpha is stored anyway; the Mul's [1] constant is new
        let squares: Double = 1 + 64 + 4 + 16 + 0.25 + 4  // B's values squared
        let rmsB = Float((squares / 6).squareRoot())
        guard case let .gemm(alpha, _, _, _) = model.operations[0].kind else { Issue.record("not a gemm"); return }
        #expect(abs(alpha - rmsB) < 1e-6)
        #expect(model.tensors[model.operations[2].inputs[1]!].shape == [1])
    }

    /// A batched B has no channel layout: channel mode falls back to one scale, a Mul by a [1] constant after the
    /// MatMul, and the normalised model still matches onnxruntime (raw and with the weights shared).
    @Test("batched MatMul B, channel mode: one per-tensor scale in a Mul after the MatMul",
          arguments: ["matmul_batched_b", "matmul_broadcast_4d"])
    func batchedMatMulB(_ name: String) throws {
        let c = try #require(CNNOpFixtures.cases.first { $0.name == name })
        let source = try CNNOpFixtures.load(c)
        let (model, scales) = WeightNormalization(mode: .channel).apply(to: source)
        #expect(scales == 1)
        #expect(model.operations.map(\.kind) == [.matMul, .mul])
        let scale = try #require(model.operations[1].inputs[1])
        #expect(model.tensors[scale].shape == [1])
        let weight = try #require(model.operations[0].inputs[1])
        #expect(model.tensors[weight].constant?.map { abs($0) }.max() == 1)
        let prepared = PreparedModel(lowered: model)
        let (x, y) = try CNNOpFixtures.io(c)
        let raw = try WSMModel(bytes: try prepared.container(quantization: nil)).run([x])[0]
        #expect(CNNOpFixtures.worstError(raw, y) <= 1e-4)
        let q = Quantization(binning: UniformBinning(values: prepared.shared.values, k: 256))
        let shared = try WSMModel(bytes: try prepared.container(quantization: q)).run([x])[0]
        #expect(CNNOpFixtures.worstError(shared, y) <= 0.1)
    }

    /// A dot product (A [K], B [K]: Y is a scalar): the scale constant is a scalar too, so the Mul keeps Y's shape.
    @Test("rank-1 MatMul B: a scalar Y gets a scalar scale")
    func dotProductScale() throws {
        let source = LoweredModel(
            tensors: [
                .init(name: "x", shape: [3]),
                .init(name: "b", shape: [3], constant: [2, -4, 1]),
                .init(name: "y", shape: []),
            ],
            operations: [.init(name: "dot", kind: .matMul, inputs: [0, 1], outputs: [2])],
            inputs: [0], outputs: [2])
        let (model, scales) = WeightNormalization(mode: .channel).apply(to: source)
        #expect(scales == 1)
        #expect(model.operations.map(\.kind) == [.matMul, .mul])
        #expect(model.tensors[model.operations[1].inputs[1]!].shape == [])
        #expect(model.tensors[model.operations[1].inputs[1]!].constant == [4])
        let y = try WSMModel(bytes: try PreparedModel(lowered: model).container(quantization: nil)).run([[1, 0.5, 3]])
        #expect(y == [[3]])  // 2 - 2 + 3
    }

    @Test("ConvTranspose with groups: output channel of each weight")
    func convTransposeChannels() throws {
        // W [C=4, M/g=3, 1, 2] with group 2: input channels 0-1 feed outputs 0-2, channels 2-3 outputs 3-5.
        let op = LoweredModel.Operation(name: "ct", kind: .convTranspose(group: 2, strides: [1, 1], dilations: [1, 1],
                                                                         pads: [0, 0, 0, 0], outputPadding: [0, 0]),
                                        inputs: [0, 1], outputs: [2])
        let layout = try #require(ChannelLayout(operation: op, slot: 1, shape: [4, 3, 1, 2]))
        #expect(layout.channels == 6)
        let channels = (0..<24).map { layout.channel(ofElement: $0) }
        #expect(channels == [0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 3, 3, 4, 4, 5, 5])
    }

    @Test("p99 statistic: linear interpolation between the two largest of a small group")
    func percentile() {
        let group: [Float] = (1...11).map { Float($0) }  // |w| sorted 1...11: rank 0.99 · 10 = 9.9
        #expect(abs(ScaleStatistic.percentile99.value(of: group) - 10.9) < 1e-5)
        #expect(ScaleStatistic.maxAbs.value(of: [-3, 2]) == 3)
    }
}

@Suite("Clipping and exact outliers")
struct ClipOutlierTests {
    @Test("clip quantiles set the binning range; the farthest values outside become outliers")
    func clipAndOutliers() throws {
        // 0...99 and one weight at 1000.
        let values = (0..<100).map { Float($0) } + [1000]
        let sorted = values.sorted()
        #expect(Quantile.linear(sorted, 0) == 0)
        #expect(Quantile.linear(sorted, 1) == 1000)
        #expect(abs(Quantile.linear(sorted, 0.99) - 99) < 1e-4)  // rank 99: the 100th value
        let table = WeightEncoder.outliers(values, range: 0...99, budget: 5)
        #expect(table.positions == [100] && table.values == [1000])
        let two = WeightEncoder.outliers(values, range: 10...90, budget: 2)
        #expect(two.positions == [0, 100])  // 1000 is 910 above, 0 is 10 below; 99 only 9 above

        let binning = UniformBinning(values: values, k: 10, range: 0...99, excluded: [100])
        #expect(binning.counts.reduce(0, +) == 100)
        #expect(binning.binOfWeight[100] == 9)  // clamped into the last bin, but not counted
        #expect(abs(binning.sums[9] / Double(binning.counts[9]) - 94.5) < 1e-9)
    }

    @Test("without a range, the general binning equals the paper's")
    func paperBinningUnchanged() {
        let values: [Float] = (0..<500).map { Float(sin(Double($0)) * 3) }
        let a = UniformBinning(values: values, k: 17)
        let b = UniformBinning(values: values, k: 17, range: values.min()!...values.max()!)
        #expect(a == b)
    }
}

@Suite("Encodings through the container and the C runtime", .serialized)
struct EncodingRuntimeTests {
    /// The normalised model with its shared constants replaced by the encoding's values, every weight raw: what
    /// the runtime must compute from codebook, indices, outliers and scales.
    static func expectedModel(_ encoder: WeightEncoder, _ encoding: WeightEncoding) -> LoweredModel {
        let variant = encoder.variant(encoding.normalization).prepared
        var model = variant.lowered
        let values = encoding.values
        for slice in variant.shared.slices {
            model.tensors[slice.tensor].constant = Array(values[slice.offset..<(slice.offset + slice.count)])
        }
        return model
    }

    @Test("evaluator, verify and a raw-weights model agree on every sample for every scale mode",
          arguments: ["cnn/resnet.onnx", "digits_mlp.onnx"])
    func agreeAcrossModes(file: String) throws {
        let shape = file.hasPrefix("cnn/") ? [1, 1, 8, 8] : [1, 64]
        let source = try ModelSource.load(FixturePaths.url(file), inputShapes: ["input": shape])
        let data = FixturePaths.url("digits_test.npz")
        let samples = try SampleSet.load(data, for: source.lowered)
        let evaluator = try RuntimeEvaluator(model: source.prepared, samples: samples, metric: .accuracy)
        let directory = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for normalization in normalizations {
            let genes = EncodingGenes(k: 12, normalization: normalization, clipLow: 0.002, clipHigh: 0.004,
                                      outlierFraction: 0.003)
            let encoding = evaluator.encoder.encode(genes)
            // Channel max-abs puts a value at exactly ±1 in every channel: nothing lies outside the clip range then.
            #expect(encoding.outliers.count > 0 || normalization == WeightNormalization(mode: .channel))
            let outputs = try evaluator.outputs(encoding)
            let expected = try rawOutputs(Self.expectedModel(evaluator.encoder, encoding), samples)
            #expect(maxAbsDifference(outputs, expected) <= 1e-4, "\(file) \(normalization)")

            let wsm = directory.appendingPathComponent("model.wsm")
            try Data(try evaluator.encoder.container(encoding)).write(to: wsm)
            let report = try Verification.verify(wsm: wsm, model: FixturePaths.url(file), data: data)
            let predictions = (0..<samples.count).map { Metric.argmax(outputs[($0 * 10)..<(($0 + 1) * 10)]) }
            #expect(report.predictions == predictions, "\(file) \(normalization)")
            #expect(abs(report.compressedAccuracy! - (try evaluator.score(encoding))) < 1e-12)
        }
    }
}
