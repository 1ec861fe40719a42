import Testing
import WeightShare
import WeightShareRuntime

/// Lowering of small graphs built by hand: ordering, dead nodes, Identity/Dropout, and each operator's shape rules.
@Suite struct LoweringGraphTests {
    static func input(_ name: String, _ shape: [Int], type: ElementType = .float32) -> ValueInfo {
        ValueInfo(name: name, elementType: type, shape: shape.map { .fixed($0) })
    }

    static func output(_ name: String) -> ValueInfo {
        ValueInfo(name: name, elementType: .float32, shape: nil)
    }

    static func graph(_ nodes: [Node], inputs: [ValueInfo], outputs: [String],
                      constants: [String: ConstantTensor] = [:], opset: Int = 13) -> Graph {
        Graph(name: "g", opsetVersion: opset, inputs: inputs, outputs: outputs.map(output), nodes: nodes,
              initializers: constants)
    }

    static func weights(_ shape: [Int]) -> ConstantTensor {
        ConstantTensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { Float($0) })
    }

    func shape(_ model: LoweredModel, _ name: String) -> [Int]? {
        model.tensors.first { $0.name == name }?.shape
    }

    /// Lowers a one-node graph and returns the output's shape and the operation.
    func single(_ node: Node, inputs: [ValueInfo], constants: [String: ConstantTensor] = [:],
                opset: Int = 13) throws -> (shape: [Int], operation: LoweredModel.Operation) {
        let model = try Lowering.lower(Self.graph([node], inputs: inputs, outputs: node.outputs, constants: constants,
                                                  opset: opset))
        let op = try #require(model.operations.first)
        return (model.tensors[op.outputs[0]].shape, op)
    }

    func error(_ body: () throws -> Any) -> LoweringError? {
        do {
            _ = try body()
            Issue.record("expected a LoweringError")
            return nil
        } catch let error as LoweringError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    // MARK: Order, dead nodes, Identity/Dropout

    @Test func sortsTopologicallyAndStably() throws {
        // File order: c (needs b), b (needs a), a, then two independent nodes d and e reading x.
        let nodes = [
            Node(name: "c", opType: "Relu", inputs: ["b_out"], outputs: ["c_out"]),
            Node(name: "b", opType: "Relu", inputs: ["a_out"], outputs: ["b_out"]),
            Node(name: "e", opType: "Relu", inputs: ["x"], outputs: ["e_out"]),
            Node(name: "a", opType: "Relu", inputs: ["x"], outputs: ["a_out"]),
            Node(name: "d", opType: "Add", inputs: ["c_out", "e_out"], outputs: ["d_out"]),
        ]
        let model = try Lowering.lower(Self.graph(nodes, inputs: [Self.input("x", [1, 4])], outputs: ["d_out"]))
        // Ready first: e (index 2) before a (index 3); then b, c, d.
        #expect(model.operations.map(\.name) == ["e", "a", "b", "c", "d"])
    }

    @Test func cycleIsAnError() throws {
        let nodes = [
            Node(name: "p", opType: "Add", inputs: ["x", "q_out"], outputs: ["p_out"]),
            Node(name: "q", opType: "Relu", inputs: ["p_out"], outputs: ["q_out"]),
        ]
        let e = error { try Lowering.lower(Self.graph(nodes, inputs: [Self.input("x", [2])], outputs: ["q_out"])) }
        #expect(e == .cycle(nodes: ["p", "q"]))
    }

    @Test func undefinedValue() throws {
        let nodes = [Node(name: "r", opType: "Relu", inputs: ["ghost"], outputs: ["y"])]
        let e = error { try Lowering.lower(Self.graph(nodes, inputs: [Self.input("x", [2])], outputs: ["y"])) }
        #expect(e == .undefinedValue(node: "r", value: "ghost"))
        let e2 = error { try Lowering.lower(Self.graph([], inputs: [Self.input("x", [2])], outputs: ["nowhere"])) }
        #expect(e2 == .undefinedValue(node: "graph output", value: "nowhere"))
    }

    @Test func duplicateDefinition() throws {
        let nodes = [
            Node(name: "r1", opType: "Relu", inputs: ["x"], outputs: ["y"]),
            Node(name: "r2", opType: "Relu", inputs: ["x"], outputs: ["y"]),
        ]
        let e = error { try Lowering.lower(Self.graph(nodes, inputs: [Self.input("x", [2])], outputs: ["y"])) }
        #expect(e == .duplicateValue(value: "y"))
    }

    @Test func deadNodesAreRemovedEvenIfUnsupported() throws {
        let nodes = [
            Node(name: "dead_sin", opType: "Sin", inputs: ["x"], outputs: ["s"]),
            Node(name: "live", opType: "Relu", inputs: ["x"], outputs: ["y"]),
            Node(name: "dead_relu", opType: "Relu", inputs: ["s"], outputs: ["t"]),
        ]
        let model = try Lowering.lower(Self.graph(nodes, inputs: [Self.input("x", [3])], outputs: ["y"]),
                                       inputShapes: [:])
        #expect(model.operations.map(\.name) == ["live"])
        #expect(model.tensors.map(\.name) == ["x", "y"])
    }

    @Test func identityAndDropoutChainsToAnOutput() throws {
        let nodes = [
            Node(name: "mm", opType: "MatMul", inputs: ["x", "w_src"], outputs: ["h"]),
            Node(name: "w_id", opType: "Identity", inputs: ["w"], outputs: ["w_src"]),
            Node(name: "drop", opType: "Dropout", inputs: ["h", "", ""], outputs: ["h_drop", ""]),
            Node(name: "relu", opType: "Relu", inputs: ["h_drop"], outputs: ["r"]),
            Node(name: "id1", opType: "Identity", inputs: ["r"], outputs: ["r1"]),
            Node(name: "id2", opType: "Identity", inputs: ["r1"], outputs: ["out"]),
        ]
        let model = try Lowering.lower(Self.graph(nodes, inputs: [Self.input("x", [1, 2])], outputs: ["out"],
                                                  constants: ["w": Self.weights([2, 3])]))
        #expect(model.operations.map(\.name) == ["mm", "relu"])
        #expect(model.operations.map(\.kind) == [.matMul, .pointwise(WS_OP_RELU)])
        #expect(model.tensors.map(\.name) == ["x", "w", "h", "out"])
        #expect(model.outputs == [3])
        #expect(model.tensors[3].shape == [1, 3])
    }

    @Test func identityOfAnInputToAnOutputStaysAsACopy() throws {
        let nodes = [
            Node(name: "relu", opType: "Relu", inputs: ["x"], outputs: ["y"]),
            Node(name: "copy_x", opType: "Identity", inputs: ["x"], outputs: ["x_out"]),
            Node(name: "copy_y", opType: "Identity", inputs: ["y"], outputs: ["y2"]),
        ]
        let model = try Lowering.lower(Self.graph(nodes, inputs: [Self.input("x", [2, 2])],
                                                  outputs: ["y", "x_out", "y2"]))
        // x_out copies a graph input, y2 copies another graph output: both stay as copies.
        #expect(model.operations.map(\.name) == ["relu", "copy_x", "copy_y"])
        #expect(model.operations.map(\.kind) == [.pointwise(WS_OP_RELU), .reshape, .reshape])
        #expect(model.outputs.map { model.tensors[$0].name } == ["y", "x_out", "y2"])
        #expect(model.outputs.map { model.tensors[$0].shape } == [[2, 2], [2, 2], [2, 2]])
    }

    @Test func dropoutMaskInUseIsAnError() throws {
        let nodes = [
            Node(name: "drop", opType: "Dropout", inputs: ["x"], outputs: ["y", "mask"]),
            Node(name: "use_mask", opType: "Add", inputs: ["y", "mask"], outputs: ["z"]),
        ]
        let e = error { try Lowering.lower(Self.graph(nodes, inputs: [Self.input("x", [2])], outputs: ["z"])) }
        guard case .invalidNode(let node, let op, let reason)? = e else {
            Issue.record("unexpected \(String(describing: e))")
            return
        }
        #expect(node == "drop" && op == "Dropout" && reason.contains("mask"))
    }

    @Test func constantNodesLeftInTheGraphAreFolded() throws {
        let nodes = [
            Node(name: "c", opType: "Constant", inputs: [], outputs: ["k"],
                 attributes: ["value": .tensor(ConstantTensor(shape: [2], floats: [1, 2]))]),
            Node(name: "s", opType: "Constant", inputs: [], outputs: ["shape"], attributes: ["value_ints": .ints([-1])]),
            Node(name: "add", opType: "Add", inputs: ["x", "k"], outputs: ["a"]),
            Node(name: "flat", opType: "Reshape", inputs: ["a", "shape"], outputs: ["y"]),
        ]
        let model = try Lowering.lower(Self.graph(nodes, inputs: [Self.input("x", [3, 2])], outputs: ["y"]))
        #expect(model.operations.map(\.kind) == [.add, .reshape])
        #expect(model.tensors.first { $0.name == "k" }?.constant == [1, 2])
        #expect(shape(model, "y") == [6])
    }

    @Test func inputMustBeFloat() throws {
        let nodes = [Node(name: "r", opType: "Relu", inputs: ["ids"], outputs: ["y"])]
        let e = error {
            try Lowering.lower(Self.graph(nodes, inputs: [Self.input("ids", [4], type: .int64)], outputs: ["y"]))
        }
        #expect(e == .unsupportedInputType(input: "ids", elementType: .int64))
    }

    @Test func customDomainIsUnsupported() throws {
        let nodes = [Node(name: "fused", opType: "Relu", domain: "com.microsoft", inputs: ["x"], outputs: ["y"])]
        let e = error { try Lowering.lower(Self.graph(nodes, inputs: [Self.input("x", [4])], outputs: ["y"])) }
        #expect(e == .unsupportedOperators([UnsupportedOperator(opType: "Relu", domain: "com.microsoft", count: 1,
                                                                firstNode: "fused")]))
        #expect(e?.description.contains("com.microsoft.Relu") == true)
    }

    @Test func unnamedNodesAreNamedByTheirOutput() throws {
        let nodes = [Node(name: "", opType: "Cos", inputs: ["x"], outputs: ["cos_out"])]
        let e = error { try Lowering.lower(Self.graph(nodes, inputs: [Self.input("x", [4])], outputs: ["cos_out"])) }
        #expect(e == .unsupportedOperators([UnsupportedOperator(opType: "Cos", domain: "", count: 1, firstNode: "cos_out")]))
    }

    // MARK: Shape rules

    @Test func gemmTransposesAndBroadcastsC() throws {
        let node = Node(name: "g", opType: "Gemm", inputs: ["a", "b", "c"], outputs: ["y"],
                        attributes: ["transA": .int(1), "alpha": .float(0.5), "beta": .int(3)])
        let (shape, op) = try single(node, inputs: [Self.input("a", [4, 2])],
                                     constants: ["b": Self.weights([4, 5]), "c": Self.weights([5])])
        #expect(shape == [2, 5])
        #expect(op.kind == .gemm(alpha: 0.5, beta: 3, transA: true, transB: false))
        #expect(op.inputs.count == 3)

        // Without C.
        let noC = Node(name: "g", opType: "Gemm", inputs: ["a", "b"], outputs: ["y"], attributes: ["transB": .int(1)])
        let (shape2, op2) = try single(noC, inputs: [Self.input("a", [3, 4])], constants: ["b": Self.weights([6, 4])])
        #expect(shape2 == [3, 6])
        #expect(op2.inputs.count == 3 && op2.inputs[2] == nil)

        // C [3, 1] broadcasts to [3, 6]; C [2, 6] does not.
        let withC = Node(name: "g", opType: "Gemm", inputs: ["a", "b", "c"], outputs: ["y"],
                         attributes: ["transB": .int(1)])
        #expect(try single(withC, inputs: [Self.input("a", [3, 4])],
                           constants: ["b": Self.weights([6, 4]), "c": Self.weights([3, 1])]).shape == [3, 6])
        let e = error {
            try single(withC, inputs: [Self.input("a", [3, 4])],
                       constants: ["b": Self.weights([6, 4]), "c": Self.weights([2, 6])])
        }
        #expect(e?.description.contains("C [2, 6] does not broadcast to the output [3, 6]") == true)

        // Inner dimensions must agree.
        let k = error { try single(noC, inputs: [Self.input("a", [3, 5])], constants: ["b": Self.weights([6, 4])]) }
        #expect(k?.description.contains("inner dimensions differ") == true)
    }

    @Test func matMulWithBatchedA() throws {
        let node = Node(name: "mm", opType: "MatMul", inputs: ["a", "b"], outputs: ["y"])
        #expect(try single(node, inputs: [Self.input("a", [2, 3, 4])], constants: ["b": Self.weights([4, 7])]).shape
            == [2, 3, 7])
        #expect(try single(node, inputs: [Self.input("a", [4])], constants: ["b": Self.weights([4, 7])]).shape == [7])
    }

    /// NumPy matmul: batched B, batch dims broadcast both ways, rank-1 operands lose their dimension in Y.
    @Test func matMulWithBatchedB() throws {
        let node = Node(name: "mm", opType: "MatMul", inputs: ["a", "b"], outputs: ["y"])
        func shape(_ a: [Int], _ b: [Int]) throws -> [Int] {
            try single(node, inputs: [Self.input("a", a)], constants: ["b": Self.weights(b)]).shape
        }
        #expect(try shape([2, 3, 4], [2, 4, 7]) == [2, 3, 7])
        #expect(try shape([2, 1, 3, 4], [5, 4, 7]) == [2, 5, 3, 7])
        #expect(try shape([3, 4], [2, 2, 4, 7]) == [2, 2, 3, 7])
        #expect(try shape([4], [2, 4, 7]) == [2, 7])
        #expect(try shape([2, 3, 4], [4]) == [2, 3])
        #expect(try shape([4], [4]) == [])
        let batch = error { try shape([2, 3, 4], [3, 4, 7]) }
        #expect(batch == .invalidNode(node: "mm", opType: "MatMul",
                                      reason: "the batch dimensions of A [2, 3, 4] and B [3, 4, 7] do not broadcast"))
        let k = error { try shape([2, 3, 4], [2, 5, 7]) }
        #expect(k?.description.contains("inner dimensions differ: A [2, 3, 4] has K=4, B [2, 5, 7] has K=5") == true)
        let scalar = error { try shape([2, 3, 4], []) }
        #expect(scalar?.description.contains("B 'b' is a scalar") == true)
    }

    @Test func addBroadcasts() throws {
        let node = Node(name: "add", opType: "Add", inputs: ["a", "b"], outputs: ["y"])
        #expect(try single(node, inputs: [Self.input("a", [2, 1, 4]), Self.input("b", [3, 1])]).shape == [2, 3, 4])
        #expect(try single(node, inputs: [Self.input("a", [2, 4])], constants: ["b": Self.weights([])]).shape == [2, 4])
        let e = error { try single(node, inputs: [Self.input("a", [2, 4]), Self.input("b", [3])]) }
        #expect(e?.description.contains("do not broadcast") == true)
        // Two constants may be added; the Add stays.
        let both = try Lowering.lower(Self.graph([node], inputs: [], outputs: ["y"],
                                                 constants: ["a": Self.weights([2]), "b": Self.weights([2])]))
        #expect(both.operations.map(\.kind) == [.add])
        #expect(both.tensors.filter(\.isConstant).count == 2)
    }

    @Test func int64ConstantAsDataIsAnError() throws {
        let node = Node(name: "add", opType: "Add", inputs: ["a", "k"], outputs: ["y"])
        let e = error {
            try single(node, inputs: [Self.input("a", [2])], constants: ["k": ConstantTensor(shape: [2], int64s: [1, 2])])
        }
        guard case .invalidConstant(let name, let reason)? = e else {
            Issue.record("unexpected \(String(describing: e))")
            return
        }
        #expect(name == "k" && reason.contains("int64"))
    }

    @Test func softmaxAxes() throws {
        let node = Node(name: "sm", opType: "Softmax", inputs: ["x"], outputs: ["y"])
        #expect(try single(node, inputs: [Self.input("x", [2, 3, 4])]).operation.kind
            == .softmax(axis: 2, coerce2D: false))
        #expect(try single(node, inputs: [Self.input("x", [2, 3, 4])], opset: 11).operation.kind
            == .softmax(axis: 1, coerce2D: true))
        let negative = Node(name: "sm", opType: "Softmax", inputs: ["x"], outputs: ["y"], attributes: ["axis": .int(-2)])
        #expect(try single(negative, inputs: [Self.input("x", [2, 3, 4])]).operation.kind
            == .softmax(axis: 1, coerce2D: false))
        let outOfRange = Node(name: "sm", opType: "Softmax", inputs: ["x"], outputs: ["y"], attributes: ["axis": .int(3)])
        #expect(error { try single(outOfRange, inputs: [Self.input("x", [2, 3, 4])]) } != nil)
    }

    @Test func flattenAxes() throws {
        func flatten(_ axis: Int, _ shape: [Int]) throws -> [Int] {
            let node = Node(name: "f", opType: "Flatten", inputs: ["x"], outputs: ["y"], attributes: ["axis": .int(axis)])
            let (out, op) = try single(node, inputs: [Self.input("x", shape)])
            #expect(op.kind == .reshape)
            return out
        }
        #expect(try flatten(1, [2, 3, 4]) == [2, 12])
        #expect(try flatten(0, [2, 3, 4]) == [1, 24])
        #expect(try flatten(3, [2, 3, 4]) == [24, 1])
        #expect(try flatten(-1, [2, 3, 4]) == [6, 4])
        #expect(error { try flatten(4, [2, 3, 4]) } != nil)
    }

    @Test func reshapeRules() throws {
        func reshape(_ shape: [Int64], _ input: [Int], allowZero: Int? = nil) throws -> [Int] {
            let attributes: [String: AttributeValue] = allowZero.map { ["allowzero": .int($0)] } ?? [:]
            let node = Node(name: "r", opType: "Reshape", inputs: ["x", "s"], outputs: ["y"], attributes: attributes)
            let (out, op) = try single(node, inputs: [Self.input("x", input)],
                                       constants: ["s": ConstantTensor(shape: [shape.count], int64s: shape)])
            #expect(op.kind == .reshape && op.inputs.count == 1)
            return out
        }
        #expect(try reshape([0, 4, -1], [2, 16]) == [2, 4, 4])
        #expect(try reshape([-1], [2, 3, 4]) == [24])
        #expect(try reshape([0, 0, -1], [3, 3, 4], allowZero: 0) == [3, 3, 4])
        #expect(error { try reshape([3, 0], [2, 5]) }?.description.contains("cannot reshape") == true)
        #expect(try reshape([6, 2], [3, 4], allowZero: 1) == [6, 2])
        #expect(error { try reshape([-1, -1], [2, 2]) }?.description.contains("more than one -1") == true)
        #expect(error { try reshape([5, -1], [2, 3]) }?.description.contains("cannot reshape") == true)
        #expect(error { try reshape([0, 0, 0], [2, 3]) }?.description.contains("copies dimension 2") == true)
        #expect(error { try reshape([0, 6], [1, 6], allowZero: 1) } != nil)
        #expect(error { try reshape([-2, 3], [2, 3]) } != nil)
    }

    @Test func reshapeShapeMustBeAnInt64Constant() throws {
        let node = Node(name: "r", opType: "Reshape", inputs: ["x", "s"], outputs: ["y"])
        let dynamic = error { try single(node, inputs: [Self.input("x", [2, 3]), Self.input("s", [2])]) }
        #expect(dynamic?.description.contains("must be a constant") == true)
        let float = error {
            try single(node, inputs: [Self.input("x", [2, 3])], constants: ["s": ConstantTensor(shape: [2], floats: [3, 2])])
        }
        #expect(float == .invalidConstant(name: "s", reason: "Reshape's shape must be an int64 tensor, it holds floats"))
    }

    @Test func wrongInputCount() throws {
        let node = Node(name: "relu", opType: "Relu", inputs: ["x", "x"], outputs: ["y"])
        let e = error { try single(node, inputs: [Self.input("x", [2])]) }
        #expect(e == .invalidNode(node: "relu", opType: "Relu", reason: "it has 2 inputs, expected 1"))
    }
}
