import Foundation
import Testing
import WeightShare

/// `wsc check`'s library side: every unsupported operator at once, dynamic dimensions with a shape that lowers,
/// the weights that would be shared; and the multi-input refusal of data loading.
@Suite struct ImportCheckTests {
    static func weights(_ shape: [Int]) -> ConstantTensor {
        let n = shape.reduce(1, *)
        return ConstantTensor(shape: shape, floats: (0..<n).map { Float(($0 * 7) % 11) / 11 - 0.5 })
    }

    /// x [N, 3, H, W] → Conv 3×3 (4 channels, no padding) → MaxPool 3×3 stride 2 → GlobalAveragePool → Flatten →
    /// Gemm [4 → 10]: lowers for H = W ≥ 7, not with the old suggestion 1,3,1,1. `fcIn` other than 4 puts a
    /// Flatten'd spatial size into the Gemm instead (only one size lowers then).
    static func imageGraph(globalPool: Bool = true, fcIn: Int = 4) -> Graph {
        var nodes = [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["c"],
                 attributes: ["kernel_shape": .ints([3, 3])]),
            Node(name: "pool", opType: "MaxPool", inputs: ["c"], outputs: ["p"],
                 attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2])]),
        ]
        if globalPool { nodes.append(Node(name: "gap", opType: "GlobalAveragePool", inputs: ["p"], outputs: ["q"])) }
        nodes.append(Node(name: "flat", opType: "Flatten", inputs: [globalPool ? "q" : "p"], outputs: ["f"]))
        nodes.append(Node(name: "fc", opType: "Gemm", inputs: ["f", "fw"], outputs: ["y"],
                          attributes: ["transB": .int(1)]))
        return Graph(name: "g", opsetVersion: 13,
                     inputs: [ValueInfo(name: "x", elementType: .float32,
                                        shape: [.symbolic("N"), .fixed(3), .symbolic("H"), .symbolic("W")])],
                     outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)], nodes: nodes,
                     initializers: ["w": weights([4, 3, 3, 3]), "fw": weights([10, fcIn])])
    }

    @Test func dynamicImageInputGetsAShapeThatLowers() throws {
        let graph = Self.imageGraph()
        // The old suggestion fails further down.
        #expect(throws: LoweringError.self) { try Lowering.lower(graph, inputShapes: ["x": [1, 3, 1, 1]]) }
        let error = #expect(throws: LoweringError.self) { try Lowering.lower(graph) }
        guard case .unpinnedInputShape("x", _, let suggestion?)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        // 1, 3, 4 (sizes of the weights) are too small for Conv 3×3 then MaxPool 3×3; 8 is the first that lowers.
        #expect(suggestion.shapes == [PinnedInputShape(input: "x", shape: [1, 3, 8, 8])])
        #expect(suggestion.triedSizes == [1, 3, 4, 8])
        #expect(suggestion.dimensions.map(\.axis) == [0, 2, 3])
        #expect(error?.description.contains("pin it with --input-shape x=1,3,8,8") == true)
        // The suggestion does lower.
        _ = try Lowering.lower(graph, inputShapes: ["x": [1, 3, 8, 8]])
    }

    @Test func noSizeLowersSaysWhichDimensionsToChoose() throws {
        // Flatten of [1, 4, h, h] into a Gemm of 4·5·5 = 100 inputs: only H = W = 13 lowers, never tried.
        let graph = Self.imageGraph(globalPool: false, fcIn: 100)
        let error = #expect(throws: LoweringError.self) { try Lowering.lower(graph) }
        guard case .unpinnedInputShape(_, _, let suggestion?)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(suggestion.shapes.isEmpty)
        #expect(suggestion.triedSizes.contains(512) && suggestion.triedSizes.contains(100))
        let text = error?.description ?? ""
        #expect(text.contains("choose the height and width (axes 2 H, 3 W) of 'x' (axis 0, the batch, is 1)"), "\(text)")
        #expect(text.contains("no size among 1, 3, 4, 8"), "\(text)")
        _ = try Lowering.lower(graph, inputShapes: ["x": [1, 3, 13, 13]])
    }

    @Test func everyUnsupportedOperatorIsListedBeforeShapes() throws {
        let nodes = [
            Node(name: "s1", opType: "Sin", inputs: ["x"], outputs: ["a"]),
            Node(name: "c1", opType: "Cos", inputs: ["a"], outputs: ["b"]),
            Node(name: "s2", opType: "Sin", inputs: ["b"], outputs: ["c"]),
            Node(name: "ms", opType: "FusedGemm", domain: "com.microsoft", inputs: ["c", "w"], outputs: ["d"]),
            Node(name: "fc", opType: "Gemm", inputs: ["d", "w"], outputs: ["y"]),
            Node(name: "dead", opType: "LRN", inputs: ["x"], outputs: ["unused"]),
        ]
        // The input is dynamic: the list does not need shapes.
        let graph = Graph(name: "g", opsetVersion: 13,
                          inputs: [ValueInfo(name: "x", elementType: .float32, shape: [.symbolic("N"), .fixed(4)])],
                          outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)], nodes: nodes,
                          initializers: ["w": Self.weights([4, 4])])
        let expected = [
            UnsupportedOperator(opType: "Sin", domain: "", count: 2, firstNode: "s1"),
            UnsupportedOperator(opType: "Cos", domain: "", count: 1, firstNode: "c1"),
            UnsupportedOperator(opType: "FusedGemm", domain: "com.microsoft", count: 1, firstNode: "ms"),
        ]
        #expect(Lowering.unsupportedOperators(in: graph) == expected)
        let error = #expect(throws: LoweringError.self) { try Lowering.lower(graph) }
        #expect(error == .unsupportedOperators(expected))
        let text = error?.description ?? ""
        #expect(text.contains("the model uses 3 operators WeightShare cannot compile (4 nodes): Sin (2 nodes, first "
            + "'s1'), Cos (node 'c1'), com.microsoft.FusedGemm (node 'ms'); supported: "), "\(text)")
        #expect(text.contains("convolutional: ") && text.contains("wsc check"))

        let check = ImportCheck(graph: graph, model: "m.onnx")
        #expect(!check.compilable)
        #expect(check.unsupportedOperators == expected)
        #expect(check.dynamicDimensions == [DynamicDimension(input: "x", axis: 0, symbol: "N")])
        #expect(check.operators.filter { !$0.supported }.map(\.opType) == ["Cos", "LRN", "Sin", "FusedGemm"])
        // A dead LRN is marked unsupported in the operator list, but is not among the operators that block lowering.
        #expect(!check.unsupportedOperators.contains { $0.opType == "LRN" })
        #expect(check.inputShapeAdvice?.contains("the batch (axis 0) of 'x'") == true)
        #expect(check.sharedWeights.isEmpty && check.sharedWeightCount == 0)
    }

    @Test func checkOfAModelThatLowers() throws {
        let graph = Self.imageGraph()
        let dynamic = ImportCheck(graph: graph, model: "m.onnx")
        #expect(!dynamic.compilable)
        #expect(dynamic.suggestedInputShapes == [PinnedInputShape(input: "x", shape: [1, 3, 8, 8])])
        #expect(dynamic.dynamicDimensions.map(\.symbol) == ["N", "H", "W"])
        #expect(dynamic.error?.contains("--input-shape x=1,3,8,8") == true)
        #expect(dynamic.inputs.first?.declaredShape == ["N", "3", "H", "W"])
        #expect(dynamic.inputs.first?.pinnedShape == nil)

        let check = ImportCheck(graph: graph, model: "m.onnx", inputShapes: ["x": [1, 3, 32, 32]])
        #expect(check.compilable && check.error == nil)
        #expect(check.dynamicDimensions.isEmpty && check.inputShapeAdvice == nil)
        #expect(check.inputs.first?.pinnedShape == [1, 3, 32, 32])
        #expect(check.outputs.first?.pinnedShape == [1, 10])
        #expect(check.sharedWeights.map(\.tensor) == ["w", "fw"])
        #expect(check.sharedWeights.map(\.shape) == [[4, 3, 3, 3], [10, 4]])
        #expect(check.sharedWeightCount == 108 + 40)
        #expect(check.loweredOperators.map(\.kind).prefix(3) == ["conv", "maxPool", "globalAveragePool"])

        // The JSON keys are stable and always present (null when absent).
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(dynamic)) as? [String: Any] ?? [:]
        #expect(Set(json.keys) == ["model", "opset", "nodes", "compilable", "inputs", "outputs", "operators",
                                   "unsupportedOperators", "dynamicDimensions", "suggestedInputShapes",
                                   "inputShapeAdvice", "error", "sharedWeights", "sharedWeightCount",
                                   "loweredOperators", "controlFlowError"])
        let input = (json["inputs"] as? [[String: Any]])?.first ?? [:]
        #expect(Set(input.keys) == ["name", "elementType", "declaredShape", "pinnedShape"])
        #expect(input["pinnedShape"] is NSNull)
        let dim = (json["dynamicDimensions"] as? [[String: Any]])?.first ?? [:]
        #expect(Set(dim.keys) == ["input", "axis", "symbol"])
    }

    @Test func dataForAModelWithSeveralInputsNamesTheArraysItNeeds() throws {
        let nodes = [Node(name: "add", opType: "Add", inputs: ["a", "b"], outputs: ["s"]),
                     Node(name: "fc", opType: "Gemm", inputs: ["s", "w"], outputs: ["y"])]
        let graph = Graph(name: "g", opsetVersion: 13,
                          inputs: [ValueInfo(name: "a", elementType: .float32, shape: [.fixed(1), .fixed(4)]),
                                   ValueInfo(name: "b", elementType: .float32, shape: [.fixed(1), .fixed(4)])],
                          outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)], nodes: nodes,
                          initializers: ["w": Self.weights([4, 3])])
        let model = try Lowering.lower(graph)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ws-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("d.npz")
        try NumPy.writeNPZ([NumPyArray(name: "a", shape: [2, 4], floats: [Float](repeating: 1, count: 8)),
                            NumPyArray(name: "x", shape: [2, 4], floats: [Float](repeating: 2, count: 8))], to: url)
        let error = #expect(throws: SampleSetError.self) { try SampleSet.load(url, for: model) }
        #expect(error?.description == "this model has 2 inputs, so \(url.path) needs one array per input, named "
            + "after it and with one row per sample: 'a' [n, 1, 4], 'b' [n, 1, 4]; missing: 'b' (arrays in the "
            + "file: 'a', 'x'; a leading 1 of an input's shape may be left out, or a sample may be flat)")
        try NumPy.writeNPZ([NumPyArray(name: "b", shape: [2, 1, 4], floats: [Float](repeating: 3, count: 8)),
                            NumPyArray(name: "a", shape: [2, 4], floats: [Float](repeating: 1, count: 8))], to: url)
        let samples = try SampleSet.load(url, for: model)
        #expect(samples.inputSizes == [4, 4] && samples.values == [1, 1, 1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 3, 3, 3, 3])
        let check = ImportCheck(graph: graph, model: "m.onnx")
        #expect(check.compilable && check.error == nil)
        #expect(check.inputs.map(\.pinnedShape) == [[1, 4], [1, 4]])
    }
}
