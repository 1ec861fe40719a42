import Foundation
import Testing
import WeightShare
@testable import WeightShareGraph
import WeightShareRuntime

/// The compiler's operator table against what derives from it and against the runtime's table.
@Suite struct OperatorTableTests {
    @Test("one row per ONNX operator; the supported list and the groups are the rows")
    func rowsAreTheSupportedList() {
        let names = OperatorTable.rows.map(\.onnx)
        #expect(Set(names).count == names.count, "an operator has two rows")
        // The operators the README promises (written out here, independently of the table), and one it does not.
        let promised = ["Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Conv", "ConvTranspose",
                        "Div", "Dropout", "Erf", "Exp", "Flatten", "Gelu", "Gemm", "GlobalAveragePool", "HardSigmoid",
                        "HardSwish", "Identity", "LayerNormalization", "LeakyRelu", "Log", "LogSoftmax", "MatMul",
                        "Max", "MaxPool", "Min", "Mul", "PRelu", "Pad", "Pow", "ReduceMean", "Relu", "Reshape",
                        "Resize", "Sigmoid", "Softmax", "Sqrt", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze",
                        "Where"]
        #expect(promised.filter { !Lowering.supportedOperators.contains($0) } == [])
        #expect(!Lowering.supportedOperators.contains("LRN"))
        // Each operator is in exactly one group of the message.
        let grouped = Lowering.coreOperators + Lowering.convolutionalOperators + Lowering.elementwiseOperators
            + Lowering.dataMovementOperators + Lowering.shapeArithmeticOperators
        #expect(Set(grouped).count == grouped.count)
        #expect(Lowering.shapeArithmeticOperators == ["Cast", "ConstantOfShape", "Range", "Shape", "Size"])
        #expect(Lowering.dataMovementOperators
            == ["DepthToSpace", "Expand", "Gather", "Slice", "SpaceToDepth", "Split", "Tile"])
    }

    @Test("every pointwise row lowers a node to its runtime opcode, whose runtime name is the ONNX name")
    func pointwiseRows() throws {
        var checked = 0
        for row in OperatorTable.rows {
            guard case .pointwise(let opcode) = row.treatment else { continue }
            #expect(String(cString: ws_opcode_name(opcode)) == row.onnx)
            // x → op → h → op → y: the second runs in place over h (graph inputs and outputs are never overwritten).
            let nodes = [Node(name: "a", opType: row.onnx, inputs: ["x"], outputs: ["h"]),
                         Node(name: "b", opType: row.onnx, inputs: ["h"], outputs: ["i"]),
                         Node(name: "c", opType: row.onnx, inputs: ["i"], outputs: ["y"])]
            let graph = Graph(name: "g", opsetVersion: 17,
                              inputs: [ValueInfo(name: "x", elementType: .float32, shape: [.fixed(2), .fixed(3)])],
                              outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)], nodes: nodes,
                              initializers: [:])
            let model = try Lowering.lower(graph)
            #expect(model.operations.map(\.kind) == Array(repeating: .pointwise(opcode), count: 3), "\(row.onnx)")
            #expect(model.tensors[model.outputs[0]].shape == [2, 3])
            let plan = MemoryPlanner.plan(model)
            let h = model.operations[0].outputs[0], i = model.operations[1].outputs[0]
            #expect(plan.offsets[i] == plan.offsets[h], "\(row.onnx) does not run in place")
            checked += 1
        }
        #expect(checked >= 4)
    }

    @Test("an operator outside the table is refused with the table's groups in the message")
    func unsupported() throws {
        let node = Node(name: "n", opType: "NoSuchOp", inputs: ["x"], outputs: ["y"])
        let graph = Graph(name: "g", opsetVersion: 17,
                          inputs: [ValueInfo(name: "x", elementType: .float32, shape: [.fixed(2)])],
                          outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)], nodes: [node],
                          initializers: [:])
        do {
            _ = try Lowering.lower(graph)
            Issue.record("NoSuchOp lowered")
        } catch let error as LoweringError {
            let text = error.description
            #expect(text.contains("cannot compile (1 node): NoSuchOp (node 'n')"))
            #expect(text.contains("Relu") && text.contains("convolutional: ") && text.contains("Slice"))
        }
    }
}
