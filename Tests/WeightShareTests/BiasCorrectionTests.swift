import Foundation
import Testing
import WeightShareReader
import WeightShare
import WeightShareRuntime

/// Per-channel means of `outputs` (`width` values per sample).
private func columnMeans(_ outputs: [Float], width: Int) -> [Double] {
    var sums = [Double](repeating: 0, count: width)
    for (i, v) in outputs.enumerated() { sums[i % width] += Double(v) }
    return sums.map { $0 / Double(outputs.count / width) }
}

@Suite("Bias correction", .serialized)
struct BiasCorrectionTests {
    /// h = relu(x·B1 + c1) with B1 [3, 2]; y = h·B2ᵀ + 0.5·c2 with B2 [2, 2] (transB, beta 0.5); then a MatMul
    /// by D [2, 2], which has no bias to correct. Outputs y (first: what the evaluator reads) and z.
    static func twoLayerModel() -> LoweredModel {
        LoweredModel(
            tensors: [
                .init(name: "x", shape: [1, 3]),
                .init(name: "b1", shape: [3, 2], constant: [0.9, -0.4, 0.3, 0.75, -0.6, 0.2]),
                .init(name: "c1", shape: [2], constant: [0.1, -0.2]),
                .init(name: "pre", shape: [1, 2]),
                .init(name: "h", shape: [1, 2]),
                .init(name: "b2", shape: [2, 2], constant: [0.55, -0.35, 0.8, 0.15]),
                .init(name: "c2", shape: [1, 2], constant: [0.3, 0.05]),
                .init(name: "y", shape: [1, 2]),
                .init(name: "d", shape: [2, 2], constant: [1, 0.5, -0.25, 1]),
                .init(name: "z", shape: [1, 2]),
            ],
            operations: [
                .init(name: "gemm1", kind: .gemm(alpha: 1, beta: 1, transA: false, transB: false), inputs: [0, 1, 2],
                      outputs: [3]),
                .init(name: "relu", kind: .pointwise(WS_OP_RELU), inputs: [3], outputs: [4]),
                .init(name: "gemm2", kind: .gemm(alpha: 1, beta: 0.5, transA: false, transB: true), inputs: [4, 5, 6],
                      outputs: [7]),
                .init(name: "matmul", kind: .matMul, inputs: [7, 8], outputs: [9]),
            ],
            inputs: [0], outputs: [7, 9])
    }

    static func samples() -> SampleSet {
        // 40 rows of a fixed, non-symmetric pattern (positive means, so a weight error shifts the outputs).
        let values: [Float] = (0..<120).map { (i: Int) -> Float in
            let pattern = Float((i * 37) % 23) / 11
            return pattern - 0.4 + Float(i % 3) * 0.3
        }
        return SampleSet(values: values, sampleSize: 3, labels: nil)
    }

    @Test("sites: the two Gemms with a bias, not the MatMul; output channels and beta")
    func sites() {
        let model = PreparedModel(lowered: Self.twoLayerModel())
        let sites = BiasCorrectionSite.sites(in: model.lowered, shared: model.shared)
        #expect(sites.map(\.operation) == [0, 2])
        #expect(sites.map(\.bias) == [2, 6])
        #expect(sites.map(\.channels) == [2, 2] && sites.map(\.inner) == [1, 1])
        #expect(sites.map(\.biasGain) == [1, 0.5])
    }

    @Test("first layer: offset = −mean(x)·(B1q − B1), by hand; last layer: output means back on the float model's")
    func handOffsets() throws {
        let lowered = Self.twoLayerModel()
        let samples = Self.samples()
        let encoder = WeightEncoder(base: PreparedModel(lowered: lowered),
                                    calibration: Calibration(samples: samples, workers: 2))
        let encoding = encoder.encode(EncodingGenes(k: 3, biasCorrection: true))
        let model = encoder.variant(.none).prepared
        let offsets = try encoder.calibration!.offsets(for: encoding, model: model)

        // Shared vector order: b1, b2, d (execution order).
        let q = encoding.values
        let b1 = lowered.tensors[1].constant!
        var meanX = [Double](repeating: 0, count: 3)
        for (i, v) in samples.values.enumerated() { meanX[i % 3] += Double(v) / Double(samples.count) }
        for column in 0..<2 {
            let shift = (0..<3).reduce(0.0) { $0 + meanX[$1] * Double(q[$1 * 2 + column] - b1[$1 * 2 + column]) }
            #expect(abs(Double(offsets.added[2]![column]) + shift) < 1e-5, "column \(column)")
        }

        // y is measured after gemm1 is corrected: its means are the float model's.
        // Cosine reads every output by default; the means are those of the first, y.
        let evaluator = try RuntimeEvaluator(encoder: encoder, samples: samples, metric: .cosine,
                                             output: lowered.tensors[7].name, workers: 2)
        let floatMeans = columnMeans(evaluator.floatOutputs, width: 2)
        let corrected = columnMeans(try evaluator.outputs(encoding), width: 2)
        var plain = encoding
        plain.biasCorrection = false
        let uncorrected = columnMeans(try evaluator.outputs(plain), width: 2)
        for c in 0..<2 {
            #expect(abs(corrected[c] - floatMeans[c]) < 1e-5, "channel \(c)")
        }
        #expect(zip(uncorrected, floatMeans).contains { abs($0 - $1) > 1e-3 }, "K=3 must shift some mean")
        // The container stores the corrected biases: c2 moves by the offset, scaled back through beta.
        let wsm = try WSMModel(bytes: try encoder.container(encoding))
        let c2 = try wsm.decode(tensorNamed: "c2")
        #expect(c2 == zip(lowered.tensors[6].constant!, offsets.added[6]!).map(+))
    }

    @Test("offsets do not depend on the number of workers (sums are added in sample order)")
    func workerIndependent() throws {
        let source = try ModelSource.load(FixturePaths.url("folded/resnet_folded.onnx"),
                                          inputShapes: ["input": [1, 1, 8, 8]])
        let samples = try SampleSet.load(FixturePaths.url("digits_val.npz"), for: source.lowered, limit: 50)
        let encoder = WeightEncoder(base: source.prepared)
        let encoding = encoder.encode(EncodingGenes(k: 6, normalization: WeightNormalization(mode: .channel),
                                                    biasCorrection: true))
        let model = encoder.variant(encoding.normalization).prepared
        let one = try Calibration(samples: samples, workers: 1).offsets(for: encoding, model: model)
        let three = try Calibration(samples: samples, workers: 3).offsets(for: encoding, model: model)
        #expect(one == three)
        #expect(one.added.count == BiasCorrectionSite.sites(in: model.lowered, shared: model.shared).count)
    }

    @Test("no calibration samples: a bias-corrected container is refused with a named error")
    func needsCalibration() throws {
        let encoder = WeightEncoder(base: PreparedModel(lowered: Self.twoLayerModel()))
        let encoding = encoder.encode(EncodingGenes(k: 3, biasCorrection: true))
        #expect(throws: CalibrationError.noCalibration(step: "bias correction")) { try encoder.container(encoding) }
        #expect("\(CalibrationError.noCalibration(step: "bias correction"))"
            .contains("asks for bias correction, but no calibration samples"))
    }

    /// The folded ResNet at K=8 with per-channel max-abs scales loses 21 points on test without correction
    /// (`scripts/probe_scales.py --k 8`: 98.33 → 77.22 %); here the C runtime's validation score, with and without.
    @Test("folded ResNet, K=8, channel max-abs: bias correction recovers the accuracy sharing loses")
    func foldedResNet() throws {
        let (source, _, encoder, evaluator) = try FixturePaths.calibratedFoldedResNet(metric: .accuracy)
        let sites = BiasCorrectionSite.sites(in: source.lowered, shared: source.prepared.shared)
        #expect(sites.count == FixturePaths.convAndGemmCount(source.lowered))
        let genes = EncodingGenes(k: 8, normalization: WeightNormalization(mode: .channel))
        var corrected = genes
        corrected.biasCorrection = true
        let plain = try evaluator.score(encoder.encode(genes))
        let fixed = try evaluator.score(encoder.encode(corrected))
        #expect(evaluator.floatScore - plain > 0.10, "plain loss \(evaluator.floatScore - plain)")
        #expect(evaluator.floatScore - fixed < 0.02, "corrected loss \(evaluator.floatScore - fixed)")
        // Same bytes: the offsets go into biases the file stores anyway.
        #expect(try encoder.container(encoder.encode(corrected)).count == (try encoder.container(encoder.encode(genes)).count))
    }

    @Test("scale refit: Gemm's S becomes s·⟨w, q⟩/⟨q, q⟩ per column, by hand; the MatMul's scale stays; no bytes")
    func scaleRefit() throws {
        let lowered = Self.twoLayerModel()
        let encoder = WeightEncoder(base: PreparedModel(lowered: lowered))
        let normalization = WeightNormalization(mode: .channel)
        var genes = EncodingGenes(k: 3, normalization: normalization)
        let plain = encoder.encode(genes)
        genes.scaleRefit = true
        let refit = encoder.encode(genes)
        let variant = encoder.variant(normalization).prepared
        let model = normalization.refitScales(variant.lowered, weights: variant.shared, shared: refit.values)

        // gemm1 reads b1 [3, 2] (not transposed): column c holds elements c, c + 2, c + 4.
        let w = variant.shared.values, q = refit.values
        let s1 = variant.lowered.tensors[variant.lowered.operations[0].inputs[3]!].constant!
        let refitS1 = model.tensors[model.operations[0].inputs[3]!].constant!
        for c in 0..<2 {
            let wq = [c, c + 2, c + 4].reduce(0.0) { $0 + Double(w[$1]) * Double(q[$1]) }
            let qq = [c, c + 2, c + 4].reduce(0.0) { $0 + Double(q[$1]) * Double(q[$1]) }
            #expect(abs(Double(refitS1[c]) - Double(s1[c]) * wq / qq) < 1e-6 * Double(s1[c]), "column \(c)")
        }
        // The MatMul's scales (a Mul after it) are left alone, and nothing is added to the file.
        let mul = variant.lowered.operations.firstIndex { $0.kind == .mul }!
        #expect(model.tensors[model.operations[mul].inputs[1]!].constant
                == variant.lowered.tensors[variant.lowered.operations[mul].inputs[1]!].constant)
        #expect(model.tensors.count == variant.lowered.tensors.count)
        #expect(try encoder.container(refit).count == (try encoder.container(plain).count))
        // The least-squares factor never moves the weights further from the float ones.
        func error(_ m: LoweredModel) -> Double {
            let sOld = m.tensors[m.operations[0].inputs[3]!].constant!
            return (0..<6).reduce(0.0) { acc, e in
                let original = Double(lowered.tensors[1].constant![e])
                let shared = Double(sOld[e % 2]) * Double(q[e])
                return acc + (original - shared) * (original - shared)
            }
        }
        #expect(error(model) <= error(variant.lowered) + 1e-12)
    }

    @Test("compile rebuilds a refit, compensated, bias-corrected solution exactly: same score as searched, same bytes after reopening; changed data is refused (float32 and binary16 biases)",
          arguments: [ConstantPrecision.float, .half])
    func compileReproduces(constants: ConstantPrecision) throws {
        let root = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("val.npz")
        try FileManager.default.copyItem(at: FixturePaths.url("digits_val.npz"), to: data)
        let settings = SearchSettings(model: FixturePaths.url("folded/resnet_folded.onnx").path, data: data.path,
                                      inputShapes: ["input": [1, 1, 8, 8]], population: 4, generations: 1,
                                      kMax: 64, merge: false, limit: 120, genome: .full, constants: constants)
        let directory = RunDirectory(root.appendingPathComponent("run"))
        let session = try SearchSession(settings: settings, directory: directory)
        let report = try session.run(resume: false) { _ in }

        var solution = try #require(report.solutions.first)
        let n = EncodingGenes.names
        solution.genes = [n.k: 8, n.scaleMode: 2, n.scaleStatistic: 0, n.clipLow: 0, n.clipHigh: 0, n.outliers: 0,
                          n.scaleRefit: 1, n.errorCompensation: 1, n.biasCorrection: 1]
        solution.k = 8
        solution.grouping = [Int](repeating: 1, count: session.evaluator.encoder.binning(solution.encodingGenes)
            .binning.nonEmptyBins.count)
        let encoding = try solution.encoding(encoder: session.evaluator.encoder)
        #expect(encoding.biasCorrection && encoding.scaleRefit && encoding.errorCompensation)
        let searched = try session.evaluator.score(encoding)

        let compiled = try ModelCompiler.compile(session: session, solution: solution)
        let model = try WSMModel(bytes: compiled.wsm)
        // The corrected biases are what the searched score ran with: rounded to binary16 in both when half.
        #expect(model.metadata.requiredFeatureNames.contains("half-raw") == (constants == .half))
        let outputs = try BatchRunner.run(model, samples: session.samples)
        let accuracy = Metric.accuracy.score(outputs: outputs, width: 10, labels: session.samples.labels,
                                             reference: outputs)
        #expect(accuracy == searched)

        let again = try ModelCompiler.compile(session: try SearchSession.reopen(directory), solution: solution)
        #expect(again.wsm == compiled.wsm)

        try FileManager.default.removeItem(at: data)
        try FileManager.default.copyItem(at: FixturePaths.url("digits_test.npz"), to: data)
        #expect { try SearchSession.reopen(directory) } throws: { error in
            "\(error)".contains("the data file's SHA-256")
        }
    }
}
