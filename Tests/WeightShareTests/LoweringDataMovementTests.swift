import Foundation
import Testing
import WeightShareReader
import WeightShare
import WeightShareRuntime
@testable import WeightShareGraph

/// The data-movement models of `Tests/Fixtures/datamove/` (made by `scripts/make_data_movement_fixtures.py`):
/// Split, Slice, Gather, Expand, Tile, DepthToSpace, SpaceToDepth, Squeeze/Unsqueeze/Flatten and Cast on run-time
/// tensors, a YOLOv8 C2f block and multi-head attention, each imported, lowered, written and run by the C runtime
/// against onnxruntime's output.
enum DataMovementFixtures {
    static func url(_ file: String) -> URL { FixturePaths.url("datamove/" + file) }

    static let cases: [CNNOpFixtures.Case] = {
        guard let data = try? Data(contentsOf: url("cases.json")),
              let manifest = try? JSONDecoder().decode(CNNOpFixtures.Manifest.self, from: data) else { return [] }
        return manifest.cases
    }()

    static func load(_ name: String) throws -> (LoweredModel, x: [Float], y: [Float]) {
        let c = try #require(cases.first { $0.name == name })
        let graph = try ONNXImporter.load(url: url("\(name).onnx"))
        let model = try Lowering.lower(graph, inputShapes: ["x": c.inputShape])
        let arrays = try NumPy.readNPZ(url: url("\(name).npz"))
        let x = try #require(arrays.first { $0.name == "x" }), y = try #require(arrays.first { $0.name == "y" })
        return (model, x.floats, y.floats)
    }
}

@Suite("Data movement on run-time tensors: import → lower → .wsm → C runtime vs onnxruntime")
struct LoweringDataMovementTests {
    @Test("the manifest lists the generated cases")
    func manifest() {
        #expect(DataMovementFixtures.cases.count == 16)
    }

    @Test("the C runtime matches onnxruntime within 1e-4, shapes and memory plan agree",
          arguments: DataMovementFixtures.cases)
    func numeric(_ c: CNNOpFixtures.Case) throws {
        let (model, x, y) = try DataMovementFixtures.load(c.name)
        #expect(model.tensors[model.outputs[0]].shape == c.outputShape)
        #expect(MemoryPlanner.conflicts(in: MemoryPlanner.plan(model), model: model).isEmpty)
        let runtime = try WSMModel(bytes: try PreparedModel(lowered: model).container(quantization: nil))
        let outputs = try runtime.run([x])
        #expect(outputs.count == 1 && outputs[0].count == y.count)
        let worst = CNNOpFixtures.worstError(outputs[0], y)
        #expect(worst <= 1e-4, "\(c.name): largest error \(worst)")
    }

    /// What each case becomes in the runtime (as the reader names the opcodes).
    @Test("each operator lowers to the runtime operators it should, and no more")
    func opcodes() throws {
        let expected: [String: [String]] = [
            // The unread middle output of the Split makes no operator.
            "split_attribute_opset11": ["Slice", "Slice", "Concat"],
            "split_equal_opset13": ["Slice", "Slice", "Sub"],
            "split_num_outputs_opset18": ["Slice", "Slice", "Slice", "Concat"],
            "slice_negative_steps": ["Slice"],
            "slice_attributes_opset9": ["Relu", "Slice", "Reshape"],
            // A scalar index: a Slice of one element along the axis, then the reshape that drops it.
            "gather_scalar_index": ["Slice", "Reshape"],
            "gather_2d_indices": ["Gather", "Reshape"],
            // 6, 4, 2, 0: a Slice with step -2.
            "gather_evenly_spaced": ["Slice"],
            "expand_tile": ["Tile", "Tile"],
            "depth_to_space_dcr": ["Relu", "Reshape", "Transpose", "Reshape"],
            "squeeze_unsqueeze_flatten": ["Tanh", "Reshape", "Reshape", "Reshape"],
        ]
        for (name, opcodes) in expected {
            let (model, _, _) = try DataMovementFixtures.load(name)
            let runtime = try WSMModel(bytes: try PreparedModel(lowered: model).container(quantization: nil))
            #expect(runtime.operators.map(\.opcode) == opcodes, "\(name)")
        }
        let (slices, _, _) = try DataMovementFixtures.load("slice_negative_steps")
        // x [5, 6, 7]: axis 0 from 4 down by 2 (4, 2, 0), axis 1 from 5 down by 1 to the start, axis 2 from 1 by 3.
        #expect(slices.operations.map(\.kind) == [.slice(starts: [4, 5, 1], steps: [-2, -1, 3])])
        #expect(slices.tensors[slices.outputs[0]].shape == [3, 6, 2])
        let (gather, _, _) = try DataMovementFixtures.load("gather_2d_indices")
        #expect(gather.operations.first?.kind == .gather(axis: 1, indices: [0, 5, 3, 3]))
    }

    /// The in-place reshapes around DepthToSpace's Transpose cost no copy: the Transpose reads the input's buffer
    /// and the output reshape lies on the Transpose's.
    @Test("DepthToSpace moves the data once")
    func depthToSpaceInPlace() throws {
        let (model, _, _) = try DataMovementFixtures.load("depth_to_space_dcr")
        let plan = MemoryPlanner.plan(model)
        let ops = model.operations
        #expect(ops.map(\.kind).count == 4)
        #expect(plan.offsets[ops[1].outputs[0]] == plan.offsets[ops[0].outputs[0]])  // view of the Relu output
        #expect(ops[2].kind == .transpose(perm: [0, 3, 4, 1, 5, 2]))
        #expect(model.tensors[ops[2].outputs[0]].shape == [1, 2, 2, 2, 3, 2])
    }

    /// Attention: Q·Kᵀ and P·V multiply two activations. Only the four constant projections are shared weights; the
    /// head split (Shape → Gather → Unsqueeze → Concat → Reshape) folds to constants, and a quantized container
    /// (activations never shared) matches a raw one holding the decoded weights.
    @Test("attention: activation × activation MatMuls, only constant operands shared, shape chains folded")
    func attention() throws {
        let (model, x, y) = try DataMovementFixtures.load("attention")
        let kinds = model.operations.map(\.kind)
        #expect(kinds.filter { $0 == .matMul }.count == 6)
        #expect(!kinds.contains { if case .slice = $0 { true } else if case .gather = $0 { true } else { false } })
        let prepared = PreparedModel(lowered: model)
        #expect(prepared.shared.slices.count == 4)
        #expect(prepared.shared.slices.allSatisfy { model.tensors[$0.tensor].isConstant })
        #expect(prepared.shared.count == 4 * 8 * 8)
        // Q·Kᵀ and P·V: both inputs are activations.
        let activationMatMuls = model.operations.filter {
            $0.kind == .matMul && $0.inputs.allSatisfy { !model.tensors[$0!].isConstant }
        }
        #expect(activationMatMuls.count == 2)
        #expect(activationMatMuls.map { model.tensors[$0.outputs[0]].shape } == [[1, 2, 5, 5], [1, 2, 5, 4]])

        let q = Quantization(binning: UniformBinning(values: prepared.shared.values, k: 64))
        let shared = try WSMModel(bytes: try prepared.container(quantization: q))
        var decoded = model
        for slice in prepared.shared.slices {
            decoded.tensors[slice.tensor].constant = try shared.decode(try shared.tensor(at: slice.tensor))
        }
        let raw = try WSMModel(bytes: try PreparedModel(lowered: decoded).container(quantization: nil))
        #expect(CNNOpFixtures.worstError(try shared.run([x])[0], try raw.run([x])[0]) <= 1e-6)
        // And the unquantized model is onnxruntime's attention.
        let exact = try WSMModel(bytes: try prepared.container(quantization: nil))
        #expect(CNNOpFixtures.worstError(try exact.run([x])[0], y) <= 1e-4)
    }

    /// The C2f block's Split feeds a Concat and a bottleneck; the shared weights are the four convolutions'.
    @Test("C2f: the Split halves are two Slices; conv weights only are shared")
    func c2f() throws {
        let (model, _, _) = try DataMovementFixtures.load("c2f_split")
        let slices = model.operations.compactMap { op -> [Int]? in
            if case .slice(let starts, let steps) = op.kind, steps == [1, 1, 1, 1] { return starts }
            return nil
        }
        #expect(slices == [[0, 0, 0, 0], [0, 4, 0, 0]])
        #expect(PreparedModel(lowered: model).shared.slices.count == 4)
    }
}

/// Lowering errors and edge cases of the data-movement operators, on graphs built by hand.
@Suite struct LoweringDataMovementErrorTests {
    static func graph(_ nodes: [Node], input: [Int], outputs: [String] = ["y"],
                      constants: [String: ConstantTensor] = [:], opset: Int = 13) -> Graph {
        Graph(name: "g", opsetVersion: opset,
              inputs: [ValueInfo(name: "x", elementType: .float32, shape: input.map { .fixed($0) })],
              outputs: outputs.map { ValueInfo(name: $0, elementType: .float32, shape: nil) }, nodes: nodes,
              initializers: constants)
    }

    static func ints(_ v: [Int64]) -> ConstantTensor { ConstantTensor(shape: [v.count], int64s: v) }

    func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            Issue.record("expected a LoweringError")
        } catch let error as LoweringError {
            return error.description
        } catch {
            Issue.record("unexpected \(error)")
        }
        return ""
    }

    @Test("Gather with indices computed at run time is refused, naming the node and the indices")
    func gatherRunTimeIndices() {
        let nodes = [Node(name: "idx", opType: "Relu", inputs: ["x"], outputs: ["i"]),
                     Node(name: "g", opType: "Gather", inputs: ["x", "i"], outputs: ["y"])]
        let text = message { try Lowering.lower(Self.graph(nodes, input: [4])) }
        #expect(text.contains("node 'g' (Gather)") && text.contains("indices 'i' are computed at run time"))
        let outOfRange = message {
            try Lowering.lower(Self.graph([Node(name: "g", opType: "Gather", inputs: ["x", "i"], outputs: ["y"])],
                                          input: [4], constants: ["i": Self.ints([1, -5])]))
        }
        #expect(outOfRange.contains("index -5 is out of range for axis 0"))
    }

    @Test("Split sizes that do not add up, an empty part, and Slice steps of 0 or empty results are refused")
    func splitAndSliceErrors() {
        let split = { (sizes: [Int64], outputs: [String]) in
            try Lowering.lower(Self.graph([Node(name: "s", opType: "Split", inputs: ["x", "sz"], outputs: outputs,
                                                attributes: ["axis": .int(1)])],
                                          input: [2, 6], outputs: outputs, constants: ["sz": Self.ints(sizes)]))
        }
        #expect(message { try split([2, 3], ["a", "b"]) }.contains("add up to axis 1"))
        #expect(message { try split([6, 0], ["a", "b"]) }.contains("output 1 ('b') is empty"))
        #expect(message { try split([1, 2, 3], ["a", "b"]) }.contains("3 sizes for 2 outputs"))
        let unequal = message {
            try Lowering.lower(Self.graph([Node(name: "s", opType: "Split", inputs: ["x"], outputs: ["a", "b"])],
                                          input: [3, 2], outputs: ["a", "b"]))
        }
        #expect(unequal.contains("does not split into 2 equal parts"))
        let slice = { (starts: [Int64], ends: [Int64], steps: [Int64]) in
            try Lowering.lower(Self.graph([Node(name: "s", opType: "Slice", inputs: ["x", "b", "e", "a", "st"],
                                                outputs: ["y"])],
                                          input: [6], constants: ["b": Self.ints(starts), "e": Self.ints(ends),
                                                                  "a": Self.ints([0]), "st": Self.ints(steps)]))
        }
        #expect(message { try slice([0], [6], [0]) }.contains("the step of axis 0 is 0"))
        #expect(message { try slice([4], [2], [1]) }.contains("empty along axis 0"))
        let runTimeStarts = message {
            try Lowering.lower(Self.graph([Node(name: "r", opType: "Relu", inputs: ["x"], outputs: ["r"]),
                                           Node(name: "s", opType: "Slice", inputs: ["x", "r", "e"], outputs: ["y"])],
                                          input: [6], constants: ["e": Self.ints([3])]))
        }
        #expect(runTimeStarts.contains("starts 'r' must be a constant"))
    }

    /// Split outputs of a one-row input: a Split of one output lowers through the table row, a Split of a constant
    /// folds (and the graph output that reads a folded part is a copy of the constant).
    @Test("Split of one output, and Split of a constant, lower")
    func splitEdges() throws {
        let one = try Lowering.lower(Self.graph([Node(name: "s", opType: "Split", inputs: ["x"], outputs: ["y"])],
                                                input: [2, 3]))
        #expect(one.operations.map(\.kind) == [.reshape])
        let folded = try Lowering.lower(Self.graph(
            [Node(name: "s", opType: "Split", inputs: ["c"], outputs: ["p", "q"], attributes: ["split": .ints([1, 2])]),
             Node(name: "a", opType: "Add", inputs: ["x", "q"], outputs: ["y"])],
            input: [2], constants: ["c": ConstantTensor(shape: [3], floats: [5, 6, 7])], opset: 11))
        #expect(folded.operations.map(\.kind) == [.add])
        let q = try #require(folded.operations[0].inputs[1])
        #expect(folded.tensors[q].constant == [6, 7])
    }

    @Test("Tile and Expand refuse what they cannot do; DepthToSpace and SpaceToDepth check the block size")
    func tileExpandDepthErrors() {
        func one(_ op: String, _ input: [Int], _ constants: [String: ConstantTensor] = [:],
                 _ attributes: [String: AttributeValue] = [:]) throws -> LoweredModel {
            try Lowering.lower(Self.graph([Node(name: "n", opType: op, inputs: ["x"] + constants.keys.sorted(),
                                                outputs: ["y"], attributes: attributes)],
                                          input: input, constants: constants))
        }
        #expect(message { try one("Tile", [2, 3], ["r": Self.ints([2])]) }.contains("one entry per dim"))
        #expect(message { try one("Tile", [2, 3], ["r": Self.ints([2, 0])]) }.contains("at least 1"))
        #expect(message { try one("Expand", [2, 3], ["s": Self.ints([4, 3])]) }.contains("does not broadcast"))
        #expect(message { try one("DepthToSpace", [1, 6, 2, 2], [:], ["blocksize": .int(2)]) }
            .contains("square dividing the 6 channels"))
        #expect(message { try one("DepthToSpace", [1, 4, 2, 2], [:], ["blocksize": .int(2), "mode": .string("X")]) }
            .contains("mode 'X'"))
        #expect(message { try one("SpaceToDepth", [1, 1, 3, 4], [:], ["blocksize": .int(2)]) }
            .contains("divide the height 3"))
    }

    @Test("Cast of run-time float data to an integer or float16 is refused with the reason")
    func castErrors() throws {
        func cast(_ to: Int) throws -> LoweredModel {
            try Lowering.lower(Self.graph([Node(name: "c", opType: "Cast", inputs: ["x"], outputs: ["y"],
                                                attributes: ["to": .int(to)])], input: [3]))
        }
        #expect(message { try cast(7) }.contains("to ONNX type 7; the runtime computes in float32"))
        #expect(message { try cast(10) }.contains("to ONNX type 10"))
        #expect(try cast(11).operations.map(\.kind) == [.reshape])
        #expect(try cast(9).operations.map(\.kind) == [.select])
    }

    /// A Shape of a run-time tensor folds, and so does the chain that turns it into a Reshape target: the model
    /// has no operator for it.
    @Test("Shape → Gather → Unsqueeze → Concat → Reshape folds to one reshape")
    func shapeChainFolds() throws {
        let nodes = [
            Node(name: "shape", opType: "Shape", inputs: ["x"], outputs: ["s"]),
            Node(name: "g", opType: "Gather", inputs: ["s", "zero"], outputs: ["n"], attributes: ["axis": .int(0)]),
            Node(name: "u", opType: "Unsqueeze", inputs: ["n", "axes"], outputs: ["n1"]),
            Node(name: "c", opType: "Concat", inputs: ["n1", "minus1"], outputs: ["target"],
                 attributes: ["axis": .int(0)]),
            Node(name: "r", opType: "Reshape", inputs: ["x", "target"], outputs: ["y"]),
        ]
        let model = try Lowering.lower(Self.graph(
            nodes, input: [2, 3, 4],
            constants: ["zero": ConstantTensor(shape: [], int64s: [0]), "axes": Self.ints([0]),
                        "minus1": Self.ints([-1])]))
        #expect(model.operations.map(\.kind) == [.reshape])
        #expect(model.tensors[model.outputs[0]].shape == [2, 12])
    }
}
