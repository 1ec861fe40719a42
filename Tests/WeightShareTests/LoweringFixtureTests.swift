import Foundation
import Testing
import WeightShare
import WeightShareRuntime

/// Lowering of the committed fixture models.
@Suite struct LoweringFixtureTests {
    func load(_ file: String) throws -> Graph {
        try ONNXImporter.load(url: FixturePaths.url(file))
    }

    func shapesByName(_ model: LoweredModel) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: model.tensors.map { ($0.name, $0.shape) })
    }

    @Test func digitsMLP() throws {
        let graph = try load("digits_mlp.onnx")
        let model = try Lowering.lower(graph, inputShapes: ["input": [1, 64]])
        #expect(model.operations.map(\.name) == ["fc1", "relu1", "fc2", "relu2", "fc3", "softmax"])
        #expect(model.operations.map(\.kind) == [
            .gemm(alpha: 1, beta: 1, transA: false, transB: true), .pointwise(WS_OP_RELU),
            .gemm(alpha: 1, beta: 1, transA: false, transB: true), .pointwise(WS_OP_RELU),
            .gemm(alpha: 1, beta: 1, transA: false, transB: true), .softmax(axis: 1, coerce2D: false),
        ])
        // [1,64] → [1,128] → [1,128] → [1,64] → [1,64] → [1,10] → [1,10]
        let flow = [model.tensors[model.inputs[0]].shape]
            + model.operations.map { model.tensors[$0.outputs[0]].shape }
        #expect(flow == [[1, 64], [1, 128], [1, 128], [1, 64], [1, 64], [1, 10], [1, 10]])
        #expect(model.inputs.map { model.tensors[$0].name } == ["input"])
        #expect(model.outputs.map { model.tensors[$0].name } == ["probabilities"])
        #expect(model.tensors[model.outputs[0]].constant == nil)

        // Six constants (3 weights, 3 biases), values as imported.
        let constants = model.tensors.filter(\.isConstant)
        #expect(constants.map(\.name) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
        #expect(constants.map(\.shape) == [[128, 64], [128], [64, 128], [64], [10, 64], [10]])
        for tensor in constants {
            #expect(tensor.constant == graph.initializers[tensor.name]?.floats)
        }
        // Gemm reads A, B, C; B is the weight to share.
        let fc1 = model.operations[0]
        #expect(fc1.inputs.count == 3)
        #expect(fc1.inputs.map { $0.map { model.tensors[$0].name } } == ["input", "fc1.weight", "fc1.bias"])
        var sharedCount = 0
        for op in model.operations {
            for slot in op.kind.weightInputSlots {
                guard let index = op.inputs[slot], model.tensors[index].isConstant else { continue }
                sharedCount += model.tensors[index].elementCount
            }
        }
        #expect(sharedCount == 17_024)  // 64·128 + 128·64 + 64·10
    }

    @Test func digitsMLPWithABatchOf32() throws {
        let model = try Lowering.lower(try load("digits_mlp.onnx"), inputShapes: ["input": [32, 64]])
        #expect(model.tensors[model.outputs[0]].shape == [32, 10])
    }

    @Test func unpinnedDynamicBatch() throws {
        let error = #expect(throws: LoweringError.self) {
            try Lowering.lower(try load("digits_mlp.onnx"), inputShapes: [:])
        }
        // The suggestion is a shape the model lowers with: a batch of 1.
        let suggestion = InputShapeSuggestion(
            shapes: [PinnedInputShape(input: "input", shape: [1, 64])],
            dimensions: [DynamicDimension(input: "input", axis: 0, symbol: "batch")], triedSizes: [1])
        #expect(error == .unpinnedInputShape(input: "input", declared: [.symbolic("batch"), .fixed(64)],
                                             suggestion: suggestion))
        #expect(error?.description == "input 'input' has dynamic shape [batch, 64]; pin it with "
            + "--input-shape input=1,64 (a batch of 1: search and verify run one sample at a time)")
    }

    @Test func pinnedShapeContradictingFixedDims() throws {
        let graph = try load("digits_mlp.onnx")
        let error = #expect(throws: LoweringError.self) {
            try Lowering.lower(graph, inputShapes: ["input": [1, 32]])
        }
        guard case .inputShapeMismatch(let input, _, let pinned, let reason)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(input == "input")
        #expect(pinned == [1, 32])
        #expect(reason.contains("fixed to 64"))
        #expect(throws: LoweringError.self) { try Lowering.lower(graph, inputShapes: ["input": [1, 1, 64]]) }
        #expect(throws: LoweringError.self) { try Lowering.lower(graph, inputShapes: ["input": [0, 64]]) }
    }

    @Test func unknownInputName() throws {
        let error = #expect(throws: LoweringError.self) {
            try Lowering.lower(try load("digits_mlp.onnx"), inputShapes: ["input": [1, 64], "images": [1, 3]])
        }
        #expect(error == .unknownInput(name: "images", inputs: ["input"]))
        #expect(error?.description.contains("'images'") == true)
    }

    @Test func constantNodesModel() throws {
        let facts = try FixturePaths.facts().model("constant_nodes.onnx")
        let model = try Lowering.lower(try load("constant_nodes.onnx"))
        // Identity, Dropout and the dead Relu → Sin branch are gone; the output keeps its name "y".
        #expect(model.operations.map(\.name) == facts.loweredOperations)
        let shapes = shapesByName(model)
        for (name, shape) in facts.loweredShapes ?? [:] {
            #expect(shapes[name] == shape, "\(name)")
        }
        #expect(model.outputs.map { model.tensors[$0].name } == ["y"])
        #expect(model.operations.last?.kind == .softmax(axis: 1, coerce2D: false))
        #expect(model.tensors[model.operations.last!.outputs[0]].name == "y")
        #expect(shapes["softmax_out"] == nil)
        #expect(shapes["dead_1"] == nil && shapes["dead_2"] == nil)
        #expect(shapes["h1_drop"] == nil && shapes["w1"] == nil)

        // The MatMul reads the Constant-node weight behind the Identity directly.
        let matMul = model.operations[0]
        #expect(matMul.kind == .matMul)
        #expect(matMul.inputs.map { $0.map { model.tensors[$0].name } } == ["x", "w1_raw"])
        let gemm = try #require(model.operations.first { $0.name == "gemm_1" })
        #expect(gemm.kind == .gemm(alpha: 0.5, beta: 2, transA: false, transB: true))
        // The int64 shape constant is consumed; the reshape and flatten read data only.
        #expect(!model.tensors.contains { $0.name == "shape_1" })
        for op in model.operations where op.kind == .reshape { #expect(op.inputs.count == 1) }
        #expect(model.tensors.filter(\.isConstant).map(\.name).sorted() == ["b1", "c2", "offset", "w1_raw", "w2"])
        #expect(model.tensors.first { $0.name == "offset" }?.shape == [])
    }

    @Test func externalDataModel() throws {
        let model = try Lowering.lower(try load("external_data.onnx"))
        #expect(model.operations.map(\.kind) == [.gemm(alpha: 1, beta: 1, transA: false, transB: true), .pointwise(WS_OP_RELU)])
        #expect(model.tensors[model.outputs[0]].shape == [1, 3])
        #expect(model.tensors.first { $0.name == "W" }?.constant?.count == 12)
    }

    @Test func softmaxOpset11CoercesTo2D() throws {
        let model = try Lowering.lower(try load("softmax_opset11.onnx"))
        #expect(model.operations.map(\.kind) == [.matMul, .softmax(axis: 1, coerce2D: true)])
        #expect(model.operations.map { model.tensors[$0.outputs[0]].shape } == [[2, 3, 4], [2, 3, 4]])
    }

    @Test func unsupportedOperator() throws {
        let error = #expect(throws: LoweringError.self) { try Lowering.lower(try load("unsupported_op.onnx")) }
        #expect(error == .unsupportedOperators([UnsupportedOperator(opType: "Sin", domain: "", count: 1, firstNode: "sin_1")]))
        let text = error?.description ?? ""
        #expect(text.contains("Sin (node 'sin_1')"))
        // The core list, sorted (new operators join it: only its start and members are checked).
        #expect(text.contains("supported: Add, Dropout, Flatten, Gemm, Identity, "))
        #expect(["MatMul", "Relu", "Reshape", "Softmax"].allSatisfy { text.contains(", \($0)") })
        #expect(text.contains("wsc check"))
    }

    @Test func inputWithoutShape() throws {
        let graph = try load("no_shape_input.onnx")
        let error = #expect(throws: LoweringError.self) { try Lowering.lower(graph) }
        #expect(error == .unpinnedInputShape(input: "x", declared: nil))
        #expect(error?.description.contains("--input-shape x=") == true)
        let model = try Lowering.lower(graph, inputShapes: ["x": [2, 3]])
        #expect(model.tensors.map(\.shape) == [[2, 3], [2, 3]])
    }

    @Test func symbolicFeatureDimension() throws {
        let graph = try load("symbolic_dims.onnx")
        let error = #expect(throws: LoweringError.self) { try Lowering.lower(graph) }
        #expect(error?.description.contains("[batch, features]") == true)
        // The suggestion lowers: the feature size comes from the weights' sizes tried (not 1, which the Gemm refuses).
        #expect(error?.description.contains("--input-shape x=1,4 (the smallest size tried") == true)
        let model = try Lowering.lower(graph, inputShapes: ["x": [1, 4]])
        #expect(model.tensors[model.outputs[0]].shape == [1, 3])
        // A pin that fits the declared shape but not the weights fails in shape inference, naming the node.
        let mismatch = #expect(throws: LoweringError.self) { try Lowering.lower(graph, inputShapes: ["x": [1, 5]]) }
        guard case .invalidNode(let node, let op, _)? = mismatch else {
            Issue.record("unexpected \(String(describing: mismatch))")
            return
        }
        #expect(node == "matmul_1" && op == "MatMul")
    }
}
