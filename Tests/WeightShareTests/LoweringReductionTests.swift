import Foundation
import Testing
import WeightShareReader
import WeightShare
@testable import WeightShareCore
@testable import WeightShareGraph
@testable import WeightShareContainer

/// Lowering of the reductions (Reduce*), LogSoftmax and LayerNormalization, and the fusion of the written-out
/// LayerNorm into one LayerNormalization, checked against a reference computed here through the C runtime.
@Suite struct LoweringReductionTests {
    typealias G = LoweringCNNTests

    func lower(_ op: String, _ input: [Int], inputs: [(String, ConstantTensor)] = [], opset: Int = 13,
               _ attributes: [String: AttributeValue] = [:]) throws -> LoweredModel {
        let node = Node(name: "n", opType: op, inputs: ["x"] + inputs.map(\.0), outputs: ["y"], attributes: attributes)
        var constants: [String: ConstantTensor] = [:]
        for (name, value) in inputs where !name.isEmpty { constants[name] = value }
        return try Lowering.lower(G.graph([node], input: input, constants: constants, opset: opset))
    }

    func kinds(_ model: LoweredModel) -> [OperatorKind] { model.operations.map(\.kind) }

    /// Runs `model` through the C runtime.
    static func run(_ model: LoweredModel, _ x: [Float]) throws -> [Float] {
        let bytes = try PreparedModel(lowered: model).container(quantization: nil)
        return try WSMModel(bytes: bytes).run([x])[0]
    }

    @Test func reduceAxesAttributeAndInput() throws {
        // opset 13: axes attribute (negative, unsorted), keepdims default 1.
        var m = try lower("ReduceMean", [2, 3, 4], opset: 13, ["axes": .ints([-1, 0])])
        #expect(kinds(m) == [.reduce(mode: .mean, axes: [0, 2], keepDims: true)])
        #expect(m.tensors[m.outputs[0]].shape == [1, 3, 1])
        // opset 18: axes input, keepdims 0.
        m = try lower("ReduceMax", [2, 3, 4], inputs: [("axes", G.ints([1]))], opset: 18, ["keepdims": .int(0)])
        #expect(kinds(m) == [.reduce(mode: .max, axes: [1], keepDims: false)])
        #expect(m.tensors[m.outputs[0]].shape == [2, 4])
        // ReduceSum takes axes as input from opset 13.
        m = try lower("ReduceSum", [2, 3], inputs: [("axes", G.ints([0]))], opset: 13)
        #expect(kinds(m) == [.reduce(mode: .sum, axes: [0], keepDims: true)])
        // No axes: every axis; with noop_with_empty_axes: a copy.
        m = try lower("ReduceL2", [2, 3], opset: 13)
        #expect(kinds(m) == [.reduce(mode: .l2, axes: [0, 1], keepDims: true)])
        m = try lower("ReduceSum", [2, 3], inputs: [("axes", G.ints([]))], opset: 13, ["noop_with_empty_axes": .int(1)])
        #expect(kinds(m) == [.reshape])
        m = try lower("ReduceSum", [2, 3], opset: 13, ["noop_with_empty_axes": .int(1)])
        #expect(kinds(m) == [.reshape])
        #expect(try Self.run(m, [1, 2, 3, 4, 5, 6]) == [1, 2, 3, 4, 5, 6])
        m = try lower("ReduceMin", [2, 3], opset: 18, ["keepdims": .int(0)])
        #expect(kinds(m) == [.reduce(mode: .min, axes: [0, 1], keepDims: false)])
        #expect(m.tensors[m.outputs[0]].shape == [])
        #expect(try Self.run(m, [3, 2, 5, -1, 4, 0]) == [-1])
    }

    @Test func reduceErrors() throws {
        #expect(throws: LoweringError.self) { try lower("ReduceMean", [2, 3], opset: 13, ["axes": .ints([2])]) }
        #expect(throws: LoweringError.self) { try lower("ReduceMean", [2, 3], opset: 13, ["axes": .ints([1, -1])]) }
        #expect(throws: LoweringError.self) { try lower("ReduceMean", [2, 3], opset: 13, ["keepdims": .int(2)]) }
        // opset 18: the axes must be a constant.
        let node = Node(name: "n", opType: "ReduceMean", inputs: ["x", "x"], outputs: ["y"])
        #expect(throws: LoweringError.self) { try Lowering.lower(G.graph([node], input: [2], opset: 18)) }
    }

    @Test func logSoftmaxAnyAxis() throws {
        var m = try lower("LogSoftmax", [2, 3, 4], opset: 13, ["axis": .int(-2)])
        #expect(kinds(m) == [.logSoftmax(axis: 1, coerce2D: false)])
        m = try lower("LogSoftmax", [2, 3, 4], opset: 11)
        #expect(kinds(m) == [.logSoftmax(axis: 1, coerce2D: true)])
        m = try lower("Softmax", [2, 3, 4], opset: 13, ["axis": .int(-3)])
        #expect(kinds(m) == [.softmax(axis: 0, coerce2D: false)])
        m = try lower("LogSoftmax", [1, 3], opset: 13)
        let y = try Self.run(m, [-1, 0, 1])
        for (a, b) in zip(y, [-2.40760596, -1.40760596, -0.40760596] as [Float]) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func layerNormalizationNode() throws {
        let scale = ConstantTensor(shape: [4], floats: [1, 1, 2, 2])
        var m = try lower("LayerNormalization", [2, 4], inputs: [("s", scale)], opset: 17, ["epsilon": .float(0)])
        #expect(kinds(m) == [.layerNormalization(axis: 1, epsilon: 0)])
        #expect(m.operations[0].inputs.count == 3 && m.operations[0].inputs[2] == nil)
        let y = try Self.run(m, [1, 2, 3, 4, 0, 0, 4, 4])
        let expected: [Float] = [-1.34164079, -0.447213595, 0.894427191, 2.68328157, -1, -1, 2, 2]
        for (a, b) in zip(y, expected) { #expect(abs(a - b) < 1e-5) }
        // A scalar bias is expanded to the normalised dims; scale and bias are raw, not shared.
        m = try lower("LayerNormalization", [2, 3, 4], inputs: [("s", G.values([3, 4])), ("b", G.values([1]))],
                      opset: 17, ["axis": .int(1)])
        #expect(kinds(m) == [.layerNormalization(axis: 1, epsilon: 1e-5)])
        #expect(m.operations[0].inputs.compactMap { $0 }.map { m.tensors[$0].shape } == [[2, 3, 4], [3, 4], [3, 4]])
        #expect(m.operations[0].kind.weightInputSlots.isEmpty)
        // Errors: a scale that does not fit, a used Mean output.
        #expect(throws: LoweringError.self) {
            try lower("LayerNormalization", [2, 4], inputs: [("s", G.values([3]))], opset: 17)
        }
        let node = Node(name: "ln", opType: "LayerNormalization", inputs: ["x", "s"], outputs: ["y", "mean"])
        #expect(throws: LoweringError.self) {
            try Lowering.lower(G.graph([node], input: [2, 4], outputs: ["y", "mean"], constants: ["s": scale], opset: 17))
        }
        // An unused Mean output is dropped.
        m = try Lowering.lower(G.graph([node], input: [2, 4], constants: ["s": scale], opset: 17))
        #expect(kinds(m) == [.layerNormalization(axis: 1, epsilon: 1e-5)])
    }

    /// The written-out LayerNorm as torch exports it: ReduceMean → Sub → Pow(2) → ReduceMean → Add(ε) → Sqrt →
    /// Div [→ Mul(γ) → Add(β)].
    static func writtenOut(affine: Bool, square: String = "Pow", axesInput: Bool = false, extraUse: Bool = false,
                           axes: [Int] = [-1]) -> Graph {
        func reduceMean(_ name: String, _ input: String, _ output: String) -> Node {
            axesInput ? Node(name: name, opType: "ReduceMean", inputs: [input, "axes"], outputs: [output])
                      : Node(name: name, opType: "ReduceMean", inputs: [input], outputs: [output],
                             attributes: ["axes": .ints(axes)])
        }
        var nodes = [
            reduceMean("/ln/ReduceMean", "x", "mean"),
            Node(name: "/ln/Sub", opType: "Sub", inputs: ["x", "mean"], outputs: ["d"]),
            square == "Pow" ? Node(name: "/ln/Pow", opType: "Pow", inputs: ["d", "two"], outputs: ["d2"])
                            : Node(name: "/ln/Mul_sq", opType: "Mul", inputs: ["d", "d"], outputs: ["d2"]),
            reduceMean("/ln/ReduceMean_1", "d2", "var"),
            Node(name: "/ln/Add", opType: "Add", inputs: ["var", "eps"], outputs: ["ve"]),
            Node(name: "/ln/Sqrt", opType: "Sqrt", inputs: ["ve"], outputs: ["std"]),
            Node(name: "/ln/Div", opType: "Div", inputs: ["d", "std"], outputs: [affine ? "n" : "y"]),
        ]
        if affine {
            nodes += [Node(name: "/ln/Mul", opType: "Mul", inputs: ["n", "gamma"], outputs: ["g"]),
                      Node(name: "/ln/Add_1", opType: "Add", inputs: ["g", "beta"], outputs: ["y"])]
        }
        var outputs = ["y"]
        if extraUse {
            nodes.append(Node(name: "other", opType: "Relu", inputs: ["var"], outputs: ["z"]))
            outputs.append("z")
        }
        return G.graph(nodes, input: [2, 3, 4], outputs: outputs, constants: [
            "two": ConstantTensor(shape: [], floats: [2]), "eps": ConstantTensor(shape: [], floats: [1e-5]),
            "gamma": ConstantTensor(shape: [4], floats: [1, 0.5, -2, 3]),
            "beta": ConstantTensor(shape: [4], floats: [0, 1, -1, 0.25]),
            "axes": G.ints(axes.map(Int64.init)),
        ], opset: axesInput ? 18 : 17)
    }

    static func layerNormReference(_ x: [Float], n: Int, gamma: [Float]?, beta: [Float]?, epsilon: Double) -> [Float] {
        var y: [Float] = []
        for r in stride(from: 0, to: x.count, by: n) {
            let row = x[r..<(r + n)].map(Double.init)
            let mean = row.reduce(0, +) / Double(n)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            for (j, v) in row.enumerated() {
                let normalized = (v - mean) / (variance + epsilon).squareRoot()
                y.append(Float(normalized * Double(gamma?[j] ?? 1) + Double(beta?[j] ?? 0)))
            }
        }
        return y
    }

    @Test(arguments: [(true, "Pow", false), (false, "Pow", false), (true, "Mul", false), (true, "Pow", true)])
    func fusesWrittenOutLayerNorm(affine: Bool, square: String, axesInput: Bool) throws {
        let m = try Lowering.lower(Self.writtenOut(affine: affine, square: square, axesInput: axesInput))
        #expect(kinds(m) == [.layerNormalization(axis: 2, epsilon: 1e-5)])
        let op = m.operations[0]
        #expect(op.inputs.compactMap { $0 }.count == (affine ? 3 : 2))
        #expect(op.kind.weightInputSlots.isEmpty)
        let x = (0..<24).map { Float(($0 * 7) % 11) / 3 - 1 }
        let y = try Self.run(m, x)
        let expected = Self.layerNormReference(x, n: 4, gamma: affine ? [1, 0.5, -2, 3] : nil,
                                               beta: affine ? [0, 1, -1, 0.25] : nil, epsilon: 1e-5)
        for (a, b) in zip(y, expected) { #expect(abs(a - b) <= 1e-4 * (1 + abs(b))) }
    }

    @Test func doesNotFuseOtherwise() throws {
        // An intermediate with another consumer, or axes given as non-negative numbers: no fusion.
        for graph in [Self.writtenOut(affine: true, extraUse: true), Self.writtenOut(affine: true, axes: [2])] {
            #expect(try !Lowering.prepareLayerNorms(graph).nodes.contains { $0.opType == "LayerNormalization" })
        }
        // Two trailing axes [-2, -1] fuse with axis -2.
        let fused = try Lowering.prepareLayerNorms(Self.writtenOut(affine: true, square: "Mul", axes: [-2, -1]))
        #expect(fused.nodes.map(\.opType) == ["LayerNormalization"])
        #expect(fused.nodes[0].attributes["axis"] == .int(-2))
        // Only Y used: the pattern with Mul(d, d) but the Mul's output also read elsewhere stays unfused.
        var g = Self.writtenOut(affine: false, square: "Mul")
        g.nodes.append(Node(name: "peek", opType: "Relu", inputs: ["d2"], outputs: ["z"]))
        g.outputs.append(ValueInfo(name: "z", elementType: .float32, shape: nil))
        #expect(try !Lowering.prepareLayerNorms(g).nodes.contains { $0.opType == "LayerNormalization" })
        // A Mul(d, d) graph left unfused still lowers (every op is supported).
        let m = try Lowering.lower(g)
        #expect(!m.operations.contains { if case .layerNormalization = $0.kind { true } else { false } })
    }
}
