import Foundation
import Testing
import WeightShareReader
import WeightShare
@testable import WeightShareGraph
import WeightShareRuntime

/// Issue 12's element-wise operators in lowering (Pow, Min/Max, Where, Gelu, masks) and the SiLU/GELU fusion,
/// run through the C runtime where the values matter.
@Suite struct LoweringElementwiseTests {
    /// A graph of `nodes` with one float input `x` of `shape` and one output `y`.
    static func graph(_ nodes: [Node], shape: [Int] = [2, 3], inputs extra: [String: [Int]] = [:],
                      constants: [String: ConstantTensor] = [:]) -> Graph {
        var inputs = [ValueInfo(name: "x", elementType: .float32, shape: shape.map { .fixed($0) })]
        for (name, s) in extra.sorted(by: { $0.key < $1.key }) {
            inputs.append(ValueInfo(name: name, elementType: .float32, shape: s.map { .fixed($0) }))
        }
        return Graph(name: "g", opsetVersion: 20, inputs: inputs,
                     outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)], nodes: nodes,
                     initializers: constants)
    }

    static func scalar(_ v: Float) -> ConstantTensor { ConstantTensor(shape: [], floats: [v]) }

    /// Runs a one-input model through the C runtime.
    static func run(_ model: LoweredModel, _ x: [Float]) throws -> [Float] {
        let wsm = try WSMModel(bytes: try PreparedModel(lowered: model).container(quantization: nil))
        return try wsm.run([x])[0]
    }

    @Test("Pow: a constant one-element exponent is PowScalar, a run-time or larger one the broadcasting Pow")
    func pow() throws {
        let node = Node(name: "p", opType: "Pow", inputs: ["x", "e"], outputs: ["y"])
        var model = try Lowering.lower(Self.graph([node], constants: ["e": Self.scalar(2)]))
        #expect(model.operations.map(\.kind) == [.powScalar(exponent: 2)])
        #expect(try Self.run(model, [-3, -1, 0, 0.5, 2, 4]) == [9, 1, 0, 0.25, 4, 16])
        model = try Lowering.lower(Self.graph([node], constants: ["e": ConstantTensor(shape: [1, 1], floats: [0.5])]))
        #expect(model.operations.map(\.kind) == [.powScalar(exponent: 0.5)])
        // An exponent of shape [1, 1, 1] would grow a [2, 3] input: the broadcasting op keeps ONNX's shape.
        model = try Lowering.lower(Self.graph([node], constants: ["e": ConstantTensor(shape: [1, 1, 1], floats: [2])]))
        #expect(model.operations.map(\.kind) == [.elementwise(WS_OP_POW)])
        #expect(model.tensors[model.outputs[0]].shape == [1, 2, 3])
        model = try Lowering.lower(Self.graph([node], constants: ["e": ConstantTensor(shape: [3], floats: [1, 2, 3])]))
        #expect(model.operations.map(\.kind) == [.elementwise(WS_OP_POW)])
        #expect(try Self.run(model, [2, 2, 2, 3, 3, 3]) == [2, 4, 8, 3, 9, 27])
        // A NaN exponent is refused.
        #expect(throws: LoweringError.self) {
            try Lowering.lower(Self.graph([node], constants: ["e": Self.scalar(.nan)]))
        }
    }

    @Test("Min/Max of n inputs: a copy for one, one op for two, a chain for more")
    func minMaxChains() throws {
        let three = Node(name: "m", opType: "Max", inputs: ["x", "a", "b"], outputs: ["y"])
        let model = try Lowering.lower(Self.graph([three], constants: [
            "a": ConstantTensor(shape: [3], floats: [0, 5, 0]), "b": ConstantTensor(shape: [2, 1], floats: [1, -9])]))
        #expect(model.operations.map(\.kind) == [.elementwise(WS_OP_MAX), .elementwise(WS_OP_MAX)])
        #expect(model.tensors[model.outputs[0]].name == "y")
        #expect(try Self.run(model, [-1, 2, 3, -4, -5, 6]) == [1, 5, 3, 0, 5, 6])
        let one = Node(name: "m", opType: "Min", inputs: ["x"], outputs: ["y"])
        #expect(try Lowering.lower(Self.graph([one])).operations.map(\.kind) == [.reshape])
        let min = Node(name: "m", opType: "Min", inputs: ["x", "a"], outputs: ["y"])
        let lowered = try Lowering.lower(Self.graph([min], constants: ["a": Self.scalar(0)]))
        #expect(try Self.run(lowered, [-1, 2, .nan, -4, 0, 6]).map { $0.isNaN ? 99 : $0 } == [-1, 0, 99, -4, 0, 0])
    }

    @Test("comparisons give 0/1 masks that Not/And and Where read")
    func masksAndWhere() throws {
        let nodes = [Node(name: "g", opType: "Greater", inputs: ["x", "zero"], outputs: ["pos"]),
                     Node(name: "l", opType: "Less", inputs: ["x", "ten"], outputs: ["small"]),
                     Node(name: "a", opType: "And", inputs: ["pos", "small"], outputs: ["inside"]),
                     Node(name: "n", opType: "Not", inputs: ["inside"], outputs: ["outside"]),
                     Node(name: "w", opType: "Where", inputs: ["outside", "minus", "x"], outputs: ["y"])]
        let model = try Lowering.lower(Self.graph(nodes, constants: [
            "zero": Self.scalar(0), "ten": Self.scalar(10), "minus": ConstantTensor(shape: [1, 1], floats: [-1])]))
        #expect(model.operations.last?.kind == .select)
        #expect(try Self.run(model, [-2, 0, 3, 9.5, 10, 11]) == [-1, -1, 3, 9.5, -1, -1])
        // Where's three shapes broadcast together.
        let w = Node(name: "w", opType: "Where", inputs: ["c", "x", "b"], outputs: ["y"])
        let broadcast = try Lowering.lower(Self.graph([w], shape: [3], constants: [
            "c": ConstantTensor(shape: [2, 1], floats: [1, 0]), "b": Self.scalar(7)]))
        #expect(broadcast.tensors[broadcast.outputs[0]].shape == [2, 3])
        #expect(try Self.run(broadcast, [1, 2, 3]) == [1, 2, 3, 7, 7, 7])
        let bad = Node(name: "w", opType: "Where", inputs: ["c", "x", "x"], outputs: ["y"])
        #expect(throws: LoweringError.self) {
            try Lowering.lower(Self.graph([bad], shape: [3], constants: ["c": ConstantTensor(shape: [2], floats: [1, 0])]))
        }
    }

    @Test("Gelu: approximate none and tanh, anything else refused")
    func gelu() throws {
        for (mode, opcode) in [("none", WS_OP_GELU), ("tanh", WS_OP_GELU_TANH)] {
            let node = Node(name: "g", opType: "Gelu", inputs: ["x"], outputs: ["y"],
                            attributes: ["approximate": .string(mode)])
            #expect(try Lowering.lower(Self.graph([node])).operations.map(\.kind) == [.pointwise(opcode)])
        }
        let bad = Node(name: "g", opType: "Gelu", inputs: ["x"], outputs: ["y"], attributes: ["approximate": .string("fast")])
        #expect(throws: LoweringError.self) { try Lowering.lower(Self.graph([bad])) }
    }

    @Test("x * Sigmoid(x) in either order becomes one Silu; not when the sigmoid is read elsewhere")
    func siluFusion() throws {
        for inputs in [["x", "s"], ["s", "x"]] {
            let nodes = [Node(name: "sig", opType: "Sigmoid", inputs: ["x"], outputs: ["s"]),
                         Node(name: "mul", opType: "Mul", inputs: inputs, outputs: ["y"])]
            let model = try Lowering.lower(Self.graph(nodes))
            #expect(model.operations.map(\.kind) == [.pointwise(WS_OP_SILU)])
            #expect(model.operations[0].name == "mul")
            let x: [Float] = [-3, -1, 0, 0.5, 2, 8]
            let y = try Self.run(model, x)
            for (a, v) in zip(y, x) { #expect(abs(a - v / (1 + exp(-v))) <= 1e-6) }
        }
        // The sigmoid is also a graph output: nothing is fused.
        var g = Self.graph([Node(name: "sig", opType: "Sigmoid", inputs: ["x"], outputs: ["s"]),
                            Node(name: "mul", opType: "Mul", inputs: ["x", "s"], outputs: ["y"])])
        g.outputs.append(ValueInfo(name: "s", elementType: .float32, shape: nil))
        #expect(try Lowering.lower(g).operations.map(\.kind) == [.pointwise(WS_OP_SIGMOID), .mul])
        // Sigmoid of another value: not SiLU.
        let other = Self.graph([Node(name: "sig", opType: "Sigmoid", inputs: ["z"], outputs: ["s"]),
                                Node(name: "mul", opType: "Mul", inputs: ["x", "s"], outputs: ["y"])],
                               inputs: ["z": [2, 3]])
        #expect(try Lowering.lower(other).operations.map(\.kind) == [.pointwise(WS_OP_SIGMOID), .mul])
    }

    /// GELU written out: erf(x / √2) (or x · 1/√2), plus 1 (either side), times x and 0.5 grouped as `grouping`.
    static func writtenGelu(grouping: Int, multiply: Bool, half: Float = 0.5) -> Graph {
        var nodes = [multiply ? Node(name: "div", opType: "Mul", inputs: ["r", "x"], outputs: ["d"])
                              : Node(name: "div", opType: "Div", inputs: ["x", "s2"], outputs: ["d"]),
                     Node(name: "erf", opType: "Erf", inputs: ["d"], outputs: ["e"]),
                     Node(name: "add", opType: "Add", inputs: grouping == 1 ? ["one", "e"] : ["e", "one"],
                          outputs: ["a"])]
        switch grouping {
        case 0: // torch: (x * (1 + erf)) * 0.5
            nodes += [Node(name: "m1", opType: "Mul", inputs: ["x", "a"], outputs: ["m"]),
                      Node(name: "m2", opType: "Mul", inputs: ["m", "h"], outputs: ["y"])]
        case 1: // (x * 0.5) * (1 + erf)
            nodes += [Node(name: "m1", opType: "Mul", inputs: ["h", "x"], outputs: ["m"]),
                      Node(name: "m2", opType: "Mul", inputs: ["a", "m"], outputs: ["y"])]
        default: // x * ((1 + erf) * 0.5)
            nodes += [Node(name: "m1", opType: "Mul", inputs: ["a", "h"], outputs: ["m"]),
                      Node(name: "m2", opType: "Mul", inputs: ["x", "m"], outputs: ["y"])]
        }
        return graph(nodes, constants: ["s2": scalar(1.4142135), "r": ConstantTensor(shape: [1], floats: [0.70710677]),
                                        "one": scalar(1), "h": scalar(half)])
    }

    @Test("0.5·x·(1 + Erf(x/√2)) in any grouping and operand order becomes one Gelu, with erf's values")
    func geluFusion() throws {
        let x: [Float] = [-3, -1, 0, 0.5, 2, 8]
        for grouping in 0..<3 {
            for multiply in [false, true] {
                let model = try Lowering.lower(Self.writtenGelu(grouping: grouping, multiply: multiply))
                #expect(model.operations.map(\.kind) == [.pointwise(WS_OP_GELU)], "grouping \(grouping)")
                #expect(model.tensors[model.outputs[0]].name == "y")
                let y = try Self.run(model, x)
                for (a, v) in zip(y, x) {
                    let e = 0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot()))
                    #expect(abs(Double(a) - e) <= 1e-6)
                }
            }
        }
        // Another constant than 0.5: the pattern stays as written (and still computes).
        let other = try Lowering.lower(Self.writtenGelu(grouping: 0, multiply: false, half: 0.6))
        #expect(other.operations.count == 5)
        #expect(!other.operations.contains { $0.kind == .pointwise(WS_OP_GELU) })
    }
}
