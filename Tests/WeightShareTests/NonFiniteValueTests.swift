import Foundation
import Testing
import WeightShare
@testable import WeightShareImport
import WeightShareReader

/// NaN, ±Inf and nonsense values in models and in evaluation (issue 15): refused with a named error where they
/// cannot mean anything, never a trap, never a non-finite value written into a model or into JSON.
@Suite("Non-finite values", .serialized)
struct NonFiniteValueTests {
    // MARK: Lowering

    static func input(_ name: String, _ shape: [Int]) -> ValueInfo {
        ValueInfo(name: name, elementType: .float32, shape: shape.map { .fixed($0) })
    }

    static func graph(_ nodes: [Node], input: [Int], constants: [String: ConstantTensor], opset: Int = 13) -> Graph {
        Graph(name: "g", opsetVersion: opset, inputs: [Self.input("x", input)],
              outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)], nodes: nodes,
              initializers: constants)
    }

    /// y = Gemm(x [1, 4], W [4, 3], b [3]).
    static func gemm(w: [Float]? = nil, b: [Float] = [0.1, 0.2, 0.3],
                     attributes: [String: AttributeValue] = [:]) -> Graph {
        let weights = w ?? (0..<12).map { Float($0) / 10 - 0.5 }
        return graph([Node(name: "fc", opType: "Gemm", inputs: ["x", "W", "b"], outputs: ["y"], attributes: attributes)],
                     input: [1, 4], constants: ["W": ConstantTensor(shape: [4, 3], floats: weights),
                                                "b": ConstantTensor(shape: [3], floats: b)])
    }

    /// The non-finite constant error of lowering `graph`, or nil (recorded) when it lowers or fails otherwise.
    func nonFinite(_ graph: Graph) -> (name: String, node: String, element: Int, index: [Int], value: Float)? {
        do {
            _ = try Lowering.lower(graph)
            Issue.record("expected a non-finite constant error")
        } catch let LoweringError.nonFiniteConstant(name, node, element, index, _, value) {
            return (name, node, element, index, value)
        } catch {
            Issue.record("unexpected \(error)")
        }
        return nil
    }

    func invalidNode(_ graph: Graph) -> (node: String, opType: String, reason: String)? {
        do {
            _ = try Lowering.lower(graph)
            Issue.record("expected an invalid node error")
        } catch let LoweringError.invalidNode(node, opType, reason) {
            return (node, opType, reason)
        } catch let LoweringError.invalidOption(node, opType, reason) {
            return (node, opType, reason)
        } catch {
            Issue.record("unexpected \(error)")
        }
        return nil
    }

    @Test("a NaN or ±Inf shared weight is refused, naming the tensor, the node and the element")
    func nonFiniteWeights() throws {
        var w = (0..<12).map { Float($0) / 10 }
        w[5] = .nan
        let nan = try #require(nonFinite(Self.gemm(w: w)))
        #expect(nan.name == "W" && nan.node == "fc" && nan.element == 5 && nan.index == [1, 2] && nan.value.isNaN)
        let message = "\(LoweringError.nonFiniteConstant(name: "W", node: "fc", element: 5, index: [1, 2], shape: [4, 3], value: .nan))"
        #expect(message.contains("constant 'W'") && message.contains("node 'fc'") && message.contains("element 5")
                && message.contains("[1, 2]") && message.contains("nan"), "\(message)")
        w[5] = 1
        w[9] = -.infinity
        let inf = try #require(nonFinite(Self.gemm(w: w)))
        #expect(inf.element == 9 && inf.index == [3, 0] && inf.value == -.infinity)
    }

    @Test("a Conv weight of +Inf and a Gemm bias of NaN or Inf are refused; biases are a layer's operands")
    func layerOperands() throws {
        var w = [Float](repeating: 0.5, count: 8)
        w[3] = .infinity
        let conv = Self.graph([Node(name: "conv", opType: "Conv", inputs: ["x", "K"], outputs: ["y"])],
                              input: [1, 2, 4, 4], constants: ["K": ConstantTensor(shape: [4, 2, 1, 1], floats: w)])
        let e = try #require(nonFinite(conv))
        #expect(e.name == "K" && e.element == 3 && e.index == [1, 1, 0, 0])
        #expect(nonFinite(Self.gemm(b: [0, .nan, 0]))?.name == "b")
        #expect(nonFinite(Self.gemm(b: [0, 0, .infinity]))?.element == 2)
    }

    @Test("−Inf in another constant (an attention mask) lowers; NaN there does not")
    func masks() throws {
        func masked(_ mask: [Float]) -> Graph {
            Self.graph([Node(name: "mask", opType: "Add", inputs: ["x", "m"], outputs: ["y"])], input: [1, 3],
                       constants: ["m": ConstantTensor(shape: [1, 3], floats: mask)])
        }
        let model = try Lowering.lower(masked([0, -.infinity, 0]))
        #expect(model.tensors.contains { $0.constant == [0, -.infinity, 0] })
        #expect(nonFinite(masked([0, .nan, 0]))?.name == "m")
    }

    @Test("BatchNormalization with a negative variance folds into NaN weights: refused, not searched")
    func batchNormNaN() throws {
        let conv = Node(name: "conv", opType: "Conv", inputs: ["x", "K"], outputs: ["c"])
        let bn = Node(name: "bn", opType: "BatchNormalization", inputs: ["c", "s", "o", "mu", "var"], outputs: ["y"])
        for folding in LoweringOptions.BatchNormFolding.allCases {
            let graph = Self.graph([conv, bn], input: [1, 1, 2, 2], constants: [
                "K": ConstantTensor(shape: [2, 1, 1, 1], floats: [0.5, -0.5]),
                "s": ConstantTensor(shape: [2], floats: [1, 1]), "o": ConstantTensor(shape: [2], floats: [0, 0]),
                "mu": ConstantTensor(shape: [2], floats: [0, 0]), "var": ConstantTensor(shape: [2], floats: [-1, 1]),
            ])
            #expect(throws: LoweringError.self, "\(folding)") {
                try Lowering.lower(graph, options: LoweringOptions(batchNormFolding: folding))
            }
        }
    }

    @Test("a NaN option with a dynamic input: the --input-shape suggestion stops at once and names the option")
    func nanOptionBlocksTheSuggestion() throws {
        let node = Node(name: "fc", opType: "Gemm", inputs: ["x", "W"], outputs: ["y"], attributes: ["alpha": .float(.nan)])
        let graph = Graph(name: "g", opsetVersion: 13,
                          inputs: [ValueInfo(name: "x", elementType: .float32, shape: [.symbolic("N"), .symbolic("F")])],
                          outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)], nodes: [node],
                          initializers: ["W": ConstantTensor(shape: [4, 3], floats: (0..<12).map { Float($0) })])
        do {
            _ = try Lowering.lower(graph)
            Issue.record("lowered")
        } catch let LoweringError.unpinnedInputShape(_, _, suggestion) {
            let suggestion = try #require(suggestion)
            #expect(suggestion.shapes.isEmpty && suggestion.triedSizes.isEmpty)
            #expect(suggestion.blockedBy?.contains("alpha") == true, "\(suggestion)")
        }
    }

    @Test("options: Gemm alpha/beta Inf, Clip bound NaN, LeakyRelu alpha NaN are refused; Clip ±Inf is no bound")
    func options() throws {
        let alpha = try #require(invalidNode(Self.gemm(attributes: ["alpha": .float(.infinity)])))
        #expect(alpha.node == "fc" && alpha.opType == "Gemm" && alpha.reason.contains("alpha"))
        #expect(invalidNode(Self.gemm(attributes: ["beta": .float(.nan)]))?.opType == "Gemm")

        func clip(_ low: Float) -> Graph {
            Self.graph([Node(name: "clip", opType: "Clip", inputs: ["x", "lo"], outputs: ["y"])], input: [1, 3],
                       constants: ["lo": ConstantTensor(shape: [], floats: [low])])
        }
        #expect(invalidNode(clip(.nan))?.opType == "Clip")
        let open = try Lowering.lower(clip(-.infinity))
        #expect(open.operations.contains { $0.kind == .clip(min: -.infinity, max: .infinity) })

        let leaky = Self.graph([Node(name: "lr", opType: "LeakyRelu", inputs: ["x"], outputs: ["y"],
                                     attributes: ["alpha": .float(.nan)])], input: [1, 3], constants: [:])
        #expect(invalidNode(leaky)?.opType == "LeakyRelu")
    }

    @Test("a Resize scale too large for a size is an error, not a trap")
    func resizeScale() throws {
        let graph = Self.graph([Node(name: "up", opType: "Resize", inputs: ["x", "", "scales"], outputs: ["y"])],
                               input: [1, 1, 2, 2],
                               constants: ["scales": ConstantTensor(shape: [4], floats: [1, 1, 1e38, 1])])
        #expect(invalidNode(graph)?.reason.contains("too large") == true)
    }

    // MARK: ONNX opsets

    func onnx(opsets: [(String, Int64)]) -> Data {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        model.opsetImport = opsets.map { domain, version in
            var o = Onnx_OperatorSetIdProto()
            o.domain = domain
            o.version = version
            return o
        }
        var graph = Onnx_GraphProto()
        graph.name = "g"
        model.graph = graph
        return try! model.serializedBytes()
    }

    @Test("opsets outside 1...64 are refused, naming the import; a contradictory second import too")
    func opsets() throws {
        for version: Int64 in [2_147_483_647, 0, -1, 65, .max, .min] {
            let error = #expect(throws: ImportError.self) {
                try ONNXImporter.load(serializedData: onnx(opsets: [("", version)]), modelDirectory: nil,
                                      displayName: "m")
            }
            #expect(error == .unsupportedOpset(domain: "", version: version, supported: 1...64))
            #expect(error.map { "\($0)" }?.contains("version \(version)") == true)
        }
        for version: Int64 in [1, 13, 25, 64] {
            let graph = try ONNXImporter.load(serializedData: onnx(opsets: [("ai.onnx", version), ("ai.onnx.ml", 99)]),
                                              modelDirectory: nil, displayName: "m")
            #expect(graph.opsetVersion == Int(version))
        }
        #expect(try ONNXImporter.load(serializedData: onnx(opsets: []), modelDirectory: nil, displayName: "m")
            .opsetVersion == 1)
        let twice = #expect(throws: ImportError.self) {
            try ONNXImporter.load(serializedData: onnx(opsets: [("", 13), ("ai.onnx", 11)]), modelDirectory: nil,
                                  displayName: "m")
        }
        if case .invalidOpsetImport(let reason)? = twice {
            #expect(reason.contains("13") && reason.contains("11"))
        } else {
            Issue.record("expected invalidOpsetImport, got \(String(describing: twice))")
        }
    }

    // MARK: Binning

    @Test("binning never traps: NaN goes to bin 0 uncounted, ±Inf to the end bins at the bounds")
    func binning() {
        let b = UniformBinning(values: [1, .nan, -.infinity, .infinity, 2, 3], k: 4)
        #expect(b.minimum == 1 && b.maximum == 3)
        #expect(b.binOfWeight == [0, 0, 0, 3, 2, 3])
        #expect(b.counts == [2, 0, 1, 2])
        #expect(b.sums == [2, 0, 2, 6])
        let open = UniformBinning(values: [1, 2, 3], k: 2, range: -.infinity ... .infinity)
        #expect(open.minimum == 1 && open.maximum == 3 && open.counts == [1, 2])
        let nothing = UniformBinning(values: [.nan, .nan], k: 3, range: nil, excluded: [1])
        #expect(nothing.minimum == 0 && nothing.maximum == 0 && nothing.counts == [0, 0, 0])
    }

    // MARK: Metrics and the evaluator

    @Test("metrics are finite: a non-finite row is wrong (cosine −1); failedScore is below every metric")
    func metrics() {
        let outputs: [Float] = [1, 0, .nan, 1, 0, .infinity]
        let reference: [Float] = [1, 0, 0, 1, 0, 1]
        #expect(Metric.accuracy.score(outputs: outputs, width: 2, labels: [0, 1, 1], reference: []) == 1.0 / 3)
        #expect(Metric.agreement.score(outputs: outputs, width: 2, labels: nil, reference: reference) == 1.0 / 3)
        #expect(Metric.cosine.score(outputs: outputs, width: 2, labels: nil, reference: reference) == -1.0 / 3)
        #expect(Metric.agreement.score(outputs: reference, width: 2, labels: nil, reference: outputs) == 1.0 / 3)
        #expect(Metric.failedScore < -1)
    }

    /// h = x·W1 (W1 [2, 1] = [1, −2]), y = h·W2 (W2 [1, 1] = 3e38), or y = Gemm(h, W2, c) with a bias. On x = [2, 1]
    /// the float model gives h = 0 and y finite; with K = 2 (bins over [−2, 3e38]) W1 becomes [−0.5, −0.5], h = −1.5
    /// and y overflows to −Inf.
    static func overflowModel(bias: Bool = false) -> LoweredModel {
        var tensors: [LoweredModel.Tensor] = [
            .init(name: "x", shape: [1, 2]),
            .init(name: "W1", shape: [2, 1], constant: [1, -2]),
            .init(name: "h", shape: [1, 1]),
            .init(name: "W2", shape: [1, 1], constant: [3e38]),
            .init(name: "y", shape: [1, 1]),
        ]
        var second = LoweredModel.Operation(name: "mm2", kind: .matMul, inputs: [2, 3], outputs: [4])
        if bias {
            tensors.append(.init(name: "c", shape: [1], constant: [0.25]))
            second = .init(name: "gemm", kind: .gemm(alpha: 1, beta: 1, transA: false, transB: false),
                           inputs: [2, 3, 5], outputs: [4])
        }
        return LoweredModel(tensors: tensors,
                            operations: [.init(name: "mm1", kind: .matMul, inputs: [0, 1], outputs: [2]), second],
                            inputs: [0], outputs: [4])
    }

    static let overflowSamples = SampleSet(values: [2, 1, 4, 2], sampleSize: 2, labels: nil)

    @Test("a candidate with a non-finite output scores failedScore and gets a loss beyond every usable one")
    func failedCandidate() throws {
        let prepared = PreparedModel(lowered: Self.overflowModel())
        let evaluator = try RuntimeEvaluator(model: prepared, samples: Self.overflowSamples, metric: .cosine, workers: 1)
        #expect(evaluator.floatOutputs == [0, 0] && evaluator.floatScore == 1)
        let q = Quantization(binning: UniformBinning(values: prepared.shared.values, k: 2))
        #expect(try evaluator.outputs(q).allSatisfy { $0 == -.infinity })
        #expect(try evaluator.score(q) == Metric.failedScore)
        let encoder = WeightEncoder(base: prepared)
        let problem = CompressionProblem(evaluator: evaluator, encoder: encoder, kRange: 2...8)
        let encoding = WeightEncoding(quantization: q)
        let bytes = Double(SizeReport.packedWeightBytes(encoding))
        #expect(problem.objectives(score: Metric.failedScore, encoding: encoding) == [CompressionProblem.infeasibleLoss, bytes])
        #expect(problem.objectives(score: .nan, encoding: encoding) == [CompressionProblem.infeasibleLoss, bytes])
        #expect(problem.objectives(score: 0.5, encoding: encoding) == [0.5, bytes])
    }

    @Test("the float model giving non-finite outputs is refused by name")
    func floatModelNonFinite() throws {
        let prepared = PreparedModel(lowered: Self.overflowModel())
        let samples = SampleSet(values: [1e30, 0, 2, 1], sampleSize: 2, labels: nil)
        #expect(throws: EvaluationError.nonFiniteFloatOutputs(sample: 0, count: 1)) {
            try RuntimeEvaluator(model: prepared, samples: samples, metric: .agreement, workers: 1)
        }
    }

    @Test("bias correction never writes a non-finite bias: the candidate fails, the container is refused")
    func biasCorrection() throws {
        let prepared = PreparedModel(lowered: Self.overflowModel(bias: true))
        let calibration = Calibration(samples: Self.overflowSamples, workers: 1)
        let encoder = WeightEncoder(base: prepared, calibration: calibration)
        let encoding = encoder.encode(EncodingGenes(k: 2, biasCorrection: true))
        #expect(throws: CalibrationError.nonFiniteBias(bias: "c", layer: "gemm", channel: 0,
                                                       candidateMean: -.infinity)) {
            try calibration.offsets(for: encoding, model: prepared)
        }
        #expect(throws: CalibrationError.self) { try encoder.container(encoding) }
        let evaluator = try RuntimeEvaluator(encoder: encoder, samples: Self.overflowSamples, metric: .cosine,
                                             workers: 1)
        #expect(try evaluator.score(encoding) == Metric.failedScore)
        // Where the float model's own activations are not finite, correction is refused by layer.
        let huge = Calibration(samples: SampleSet(values: [1e30, 0], sampleSize: 2, labels: nil), workers: 1)
        #expect(throws: CalibrationError.nonFiniteFloatActivations(layer: "gemm", channel: 0, mean: .infinity)) {
            try huge.offsets(for: encoding, model: prepared)
        }
    }

    // MARK: verify

    @Test("verify counts non-finite outputs, max abs diff is null, and the JSON encodes")
    func verifyNonFinite() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ws-nonfinite-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The overflow model as ONNX (two MatMuls).
        func tensor(_ name: String, _ dims: [Int64], _ values: [Float]) -> Onnx_TensorProto {
            var t = Onnx_TensorProto()
            t.name = name
            t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            t.dims = dims
            t.floatData = values
            return t
        }
        func value(_ name: String, _ dims: [Int64]) -> Onnx_ValueInfoProto {
            var v = Onnx_ValueInfoProto()
            v.name = name
            v.type.tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            v.type.tensorType.shape.dim = dims.map { d in
                var dim = Onnx_TensorShapeProto.Dimension()
                dim.dimValue = d
                return dim
            }
            return v
        }
        func node(_ name: String, _ inputs: [String], _ output: String) -> Onnx_NodeProto {
            var n = Onnx_NodeProto()
            n.name = name
            n.opType = "MatMul"
            n.input = inputs
            n.output = [output]
            return n
        }
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 13
        model.opsetImport = [opset]
        model.graph.name = "overflow"
        model.graph.node = [node("mm1", ["x", "W1"], "h"), node("mm2", ["h", "W2"], "y")]
        model.graph.initializer = [tensor("W1", [2, 1], [1, -2]), tensor("W2", [1, 1], [3e38])]
        model.graph.input = [value("x", [1, 2])]
        model.graph.output = [value("y", [1, 1])]
        let onnxURL = folder.appendingPathComponent("overflow.onnx")
        try (try model.serializedBytes() as Data).write(to: onnxURL)

        let source = try ModelSource.load(onnxURL, inputShapes: [:])
        let q = Quantization(binning: UniformBinning(values: source.prepared.shared.values, k: 2))
        let wsmURL = folder.appendingPathComponent("model.wsm")
        try Data(try source.prepared.container(quantization: q)).write(to: wsmURL)
        let dataURL = folder.appendingPathComponent("data.npz")
        try NumPy.writeNPZ([NumPyArray(name: "x", shape: [2, 2], floats: [2, 1, 4, 2])], to: dataURL)

        let report = try Verification.verify(wsm: wsmURL, model: onnxURL, data: dataURL)
        #expect(report.samples == 2)
        #expect(report.nonFiniteOutputs == 2 && report.floatNonFiniteOutputs == 0)
        #expect(report.maxAbsDiff == nil)
        #expect(report.meanCosine == -1 && report.agreement == 0)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try #require(try JSONSerialization.jsonObject(with: try encoder.encode(report)) as? [String: Any])
        #expect(json["maxAbsDiff"] is NSNull)
        #expect(json["nonFiniteOutputs"] as? Int == 2 && json["floatNonFiniteOutputs"] as? Int == 0)
        #expect(json["floatAccuracy"] is NSNull && json["compressedAccuracy"] is NSNull)
        // Whatever a report holds, its JSON never fails: NaN and Inf become null.
        var broken = report
        broken.meanCosine = .nan
        broken.compressionRatioHuffman = .infinity
        let again = try #require(try JSONSerialization.jsonObject(with: try encoder.encode(broken)) as? [String: Any])
        #expect(again["meanCosine"] is NSNull && again["compressionRatioHuffman"] is NSNull)

        // Differences: equal infinities match, NaN or a lone infinity make it null.
        #expect(VerificationReport.maxAbsDifference([1, .infinity], [0.5, .infinity]) == 0.5)
        #expect(VerificationReport.maxAbsDifference([1, .nan], [1, .nan]) == nil)
        #expect(VerificationReport.maxAbsDifference([.infinity], [1]) == nil)
        #expect(VerificationReport.maxAbsDifference([3e38], [-3e38]) == 2 * Double(Float(3e38)))
    }
}

@Suite("Degenerate weights")
struct DegenerateWeightTests {
    @Test("weights that are all equal: one bin for every K; evaluating and writing still work")
    func constantWeights() throws {
        let lowered = LoweredModel(
            tensors: [.init(name: "x", shape: [1, 4]), .init(name: "W", shape: [4, 3], constant: [Float](repeating: 0.5, count: 12)),
                      .init(name: "y", shape: [1, 3])],
            operations: [.init(name: "fc", kind: .gemm(alpha: 1, beta: 1, transA: false, transB: false),
                               inputs: [0, 1, nil], outputs: [2])],
            inputs: [0], outputs: [2])
        let prepared = PreparedModel(lowered: lowered)
        let samples = SampleSet(values: [1, 2, 3, 4, -1, 0, 1, 2], sampleSize: 4, labels: nil)
        let evaluator = try RuntimeEvaluator(model: prepared, samples: samples, metric: .cosine, workers: 1)
        for k in [2, 7, 1024] {
            let q = Quantization(binning: UniformBinning(values: prepared.shared.values, k: k))
            #expect(q.codebook == [0.5])
            #expect(try evaluator.score(q) == 1)
            let wsm = try WSMModel(bytes: try prepared.container(quantization: q))
            #expect(wsm.codebook == [0.5])
        }
    }
}

@Suite("Genes read back from files")
struct DamagedGeneTests {
    @Test("non-finite or absurd genes (a damaged pareto.json or checkpoint) are clamped, never a trap")
    func clamped() throws {
        let n = EncodingGenes.names
        let genes = EncodingGenes(named: [n.k: .nan, n.scaleMode: .infinity, n.scaleStatistic: -1e300,
                                          n.clipLow: .nan, n.clipHigh: 1e300, n.outliers: .infinity])
        #expect(genes.k == 2 && genes.normalization == .none)
        #expect(genes.clipLow == 0 && genes.clipHigh == 1 && genes.outlierFraction == 0)
        #expect(EncodingGenes(named: [n.k: 1e300]).k == UniformBinning.maximumK)
        #expect(EncodingGenes(named: [n.k: -5]).k == 1)
        // In-range genes decode as before.
        let plain = EncodingGenes(named: [n.k: 7.6, n.scaleMode: 1, n.clipLow: 3, n.outliers: 20])
        #expect(plain.k == 7 && plain.normalization.mode == .tensor && plain.clipLow == 0.003
                && plain.outlierFraction == 0.002)
        // And an encoding can be made from the clamped genes.
        let lowered = LoweredModel(
            tensors: [.init(name: "x", shape: [1, 2]), .init(name: "W", shape: [2, 2], constant: [0.5, -1, 2, 0.25]),
                      .init(name: "y", shape: [1, 2])],
            operations: [.init(name: "mm", kind: .matMul, inputs: [0, 1], outputs: [2])], inputs: [0], outputs: [2])
        let encoder = WeightEncoder(base: PreparedModel(lowered: lowered))
        _ = try encoder.container(encoder.encode(genes))
    }
}

@Suite("Merging into a failed candidate")
struct FailedMergeTests {
    @Test("no tolerance keeps a merge whose candidate failed (non-finite outputs)")
    func infiniteTolerance() throws {
        let binning = UniformBinning(values: (0..<40).map { Float($0) / 10 }, k: 8)
        let merger = BinMerger(tolerance: .infinity) { _ in Metric.failedScore }
        var tried = 0
        let result = try merger.mergeBest(binning: binning, grouping: .identity(nonEmptyBins: binning.nonEmptyBins.count),
                                          score: 0.9, tried: &tried)
        #expect(result.kept == 0 && result.grouping.groupCount == 8 && result.score == 0.9)
        #expect(tried > 0)
    }
}
