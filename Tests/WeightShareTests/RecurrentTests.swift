import Foundation
import Testing
import WeightShareReader
import WeightShare
@testable import WeightShareCore
@testable import WeightShareImport
@testable import WeightShareGraph
@testable import WeightShareCompress
@testable import WeightShareContainer
@testable import WeightShareSearch

/// The torch-exported recurrent models of `Tests/Fixtures/rnn/` (`scripts/make_rnn_fixtures.py`) with
/// onnxruntime's outputs, and ONNX LSTM/GRU/RNN nodes built here for what lowering must refuse.
enum RNNFixtures {
    static func url(_ file: String) -> URL { FixturePaths.url("rnn/" + file) }

    /// The model, its inputs (graph input order) and onnxruntime's outputs (graph output order).
    static func load(_ name: String) throws -> (graph: Graph, inputs: [[Float]], shapes: [String: [Int]],
                                                 outputs: [NumPyArray]) {
        let graph = try ONNXImporter.load(url: url(name + ".onnx"))
        let arrays = try NumPy.readNPZ(url: url(name + ".npz"))
        var inputs: [[Float]] = [], shapes: [String: [Int]] = [:]
        for input in graph.inputs {
            let a = try #require(arrays.first { $0.name == input.name })
            inputs.append(a.floats)
            shapes[input.name] = a.shape
        }
        let outputs = try graph.outputs.map { o in try #require(arrays.first { $0.name == o.name }) }
        return (graph, inputs, shapes, outputs)
    }

    /// Largest |a − b| / max(1, |b|).
    static func worstError(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).map { Double(abs($0 - $1)) / max(1, Double(abs($1))) }.max() ?? 0
    }

    /// One recurrent node over X [2, 1, 3] with hidden size 2 and random constant W, R, B.
    static func node(_ op: String, inputs extra: [String] = [], attributes: [String: AttributeValue] = [:],
                     lengths: ConstantTensor? = nil) -> Graph {
        let gates = op == "LSTM" ? 4 : op == "GRU" ? 3 : 1
        var g = RNNTestGenerator(seed: 7)
        func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float.random(in: -1...1, using: &g) } }
        var initializers: [String: ConstantTensor] = [
            "W": ConstantTensor(shape: [1, gates * 2, 3], floats: values(gates * 6)),
            "R": ConstantTensor(shape: [1, gates * 2, 2], floats: values(gates * 4)),
            "B": ConstantTensor(shape: [1, gates * 4], floats: values(gates * 4)),
        ]
        if let lengths { initializers["L"] = lengths }
        let node = Node(name: "rnn0", opType: op, inputs: ["X", "W", "R", "B"] + extra, outputs: ["", "Y_h"],
                        attributes: attributes)
        return Graph(name: "g", opsetVersion: 14,
                     inputs: [ValueInfo(name: "X", elementType: .float32, shape: [.fixed(2), .fixed(1), .fixed(3)])],
                     outputs: [ValueInfo(name: "Y_h", elementType: .float32, shape: nil)], nodes: [node],
                     initializers: initializers)
    }
}

/// A small deterministic generator for test weights.
struct RNNTestGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("LSTM, GRU and RNN: lowering, multi-output operators, shared W and R, the C runtime against onnxruntime")
struct RecurrentTests {
    @Test("torch models (bidirectional LSTM with its state as graph inputs and outputs, batch-first bidirectional GRU, an LSTM classifier) match onnxruntime within 1e-4",
          arguments: ["lstm_stream", "gru_bidir", "lstm_classifier"])
    func endToEnd(_ name: String) throws {
        let (graph, inputs, shapes, expected) = try RNNFixtures.load(name)
        let lowered = try Lowering.lower(graph, inputShapes: shapes)
        let prepared = PreparedModel(lowered: lowered)
        #expect(MemoryPlanner.conflicts(in: prepared.plan, model: lowered).isEmpty)
        let model = try WSMModel(bytes: try prepared.container(quantization: nil))
        let outputs = try model.run(inputs)
        #expect(outputs.count == expected.count)
        for (o, (actual, reference)) in zip(outputs, expected).enumerated() {
            #expect(lowered.tensors[lowered.outputs[o]].shape == reference.shape)
            #expect(actual.count == reference.floats.count)
            let worst = RNNFixtures.worstError(actual, reference.floats)
            #expect(worst <= 1e-4, "\(name) output \(o): largest error \(worst)")
        }
    }

    @Test("the lowered operators: W and R shared, B and states raw, Y dropped when nothing reads it, a workspace in the arena")
    func loweredStructure() throws {
        let (graph, _, shapes, _) = try RNNFixtures.load("lstm_classifier")
        let lowered = try Lowering.lower(graph, inputShapes: shapes)
        let recurrent = try #require(lowered.operations.first {
            if case .recurrent = $0.kind { return true } else { return false }
        })
        #expect(recurrent.kind == .recurrent(cell: .lstm, direction: .forward, layout: 0, linearBeforeReset: false))
        // Y_h, Y_c, workspace; the node's Y output is named but read by nothing, so it is not written.
        #expect(recurrent.outputs.count == 3)
        #expect(lowered.tensors[recurrent.outputs[2]].shape == [1, 32])
        let shared = SharedWeights(model: lowered)
        let sharedNames = Set(shared.slices.map(\.tensor))
        #expect(sharedNames.contains(recurrent.inputs[1]!) && sharedNames.contains(recurrent.inputs[2]!))
        #expect(!sharedNames.contains(recurrent.inputs[3]!))

        let (stream, _, streamShapes, _) = try RNNFixtures.load("lstm_stream")
        let streaming = try Lowering.lower(stream, inputShapes: streamShapes)
        let op = try #require(streaming.operations.first)
        #expect(op.kind == .recurrent(cell: .lstm, direction: .bidirectional, layout: 0, linearBeforeReset: false))
        // initial_h and initial_c are the graph inputs h0 and c0; Y_h and Y_c are graph outputs hn and cn.
        #expect(op.inputs.count == 6 && op.inputs[4] == streaming.inputs[1] && op.inputs[5] == streaming.inputs[2])
        #expect(streaming.outputs[1] == op.outputs[0] && streaming.outputs[2] == op.outputs[1])
        #expect(op.outputs.count == 4) // Y is read by the head

        let (gru, _, gruShapes, _) = try RNNFixtures.load("gru_bidir")
        let gruOp = try #require(try Lowering.lower(gru, inputShapes: gruShapes).operations.first {
            if case .recurrent = $0.kind { return true } else { return false }
        })
        #expect(gruOp.kind == .recurrent(cell: .gru, direction: .bidirectional, layout: 0, linearBeforeReset: true))
    }

    /// Shared W and R are decoded on the fly: the quantized container gives what a raw container holding the
    /// decoded weights gives.
    @Test("shared W and R decode like raw weights", arguments: ["lstm_stream", "gru_bidir", "lstm_classifier"])
    func sharedWeights(_ name: String) throws {
        let (graph, inputs, shapes, _) = try RNNFixtures.load(name)
        let prepared = PreparedModel(lowered: try Lowering.lower(graph, inputShapes: shapes))
        let q = Quantization(binning: UniformBinning(values: prepared.shared.values, k: 16))
        let shared = try WSMModel(bytes: try prepared.container(quantization: q))
        var decoded = prepared.lowered
        for slice in prepared.shared.slices {
            let info = try shared.tensor(at: slice.tensor)
            #expect(info.kind == .shared)
            decoded.tensors[slice.tensor].constant = try shared.decode(info)
        }
        let raw = try WSMModel(bytes: try PreparedModel(lowered: decoded).container(quantization: nil))
        let a = try shared.run(inputs), b = try raw.run(inputs)
        for (x, y) in zip(a, b) { #expect(RNNFixtures.worstError(x, y) <= 1e-6) }
    }

    @Test("per-channel weight normalisation leaves recurrent weights unscaled and the outputs unchanged")
    func normalisation() throws {
        let (graph, inputs, shapes, _) = try RNNFixtures.load("lstm_stream")
        let lowered = try Lowering.lower(graph, inputShapes: shapes)
        let (normalised, _) = WeightNormalization(mode: .channel).apply(to: lowered)
        let op = try #require(lowered.operations.first)
        for slot in [1, 2] {
            let t = op.inputs[slot]!
            #expect(normalised.tensors[t].constant == lowered.tensors[t].constant)
        }
        // The Gemm head's weight was scaled (its epilogue takes the scales).
        #expect(normalised.tensors.count > lowered.tensors.count)
        let a = try WSMModel(bytes: try PreparedModel(lowered: normalised).container(quantization: nil)).run(inputs)
        let b = try WSMModel(bytes: try PreparedModel(lowered: lowered).container(quantization: nil)).run(inputs)
        for (x, y) in zip(a, b) { #expect(RNNFixtures.worstError(x, y) <= 1e-5) }
    }

    @Test("a search with the full genome runs on an LSTM model and its chosen solution compiles")
    func searchFullGenome() throws {
        let root = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let settings = SearchSettings(model: RNNFixtures.url("lstm_classifier.onnx").path,
                                      data: RNNFixtures.url("lstm_classifier_val.npz").path,
                                      population: 6, generations: 2, kMax: 64, merge: false, genome: .full)
        let session = try SearchSession(settings: settings, directory: RunDirectory(root.appendingPathComponent("run")))
        let report = try session.run(resume: false) { _ in }
        #expect(!report.solutions.isEmpty)
        let solution = try #require(report.solutions.first)
        let compiled = try ModelCompiler.compile(session: session, solution: solution)
        let model = try WSMModel(bytes: compiled.wsm)
        let lowered = try Lowering.lower(try ONNXImporter.load(url: RNNFixtures.url("lstm_classifier.onnx")))
        let recurrent = try #require(lowered.operations.first)
        for slot in [1, 2] { #expect(try model.tensor(at: recurrent.inputs[slot]!).kind == .shared) }
    }

    @Test("what the runtime cannot compute is refused naming the node and the attribute")
    func refusals() throws {
        func message(_ graph: Graph) -> String {
            do {
                _ = try Lowering.lower(graph)
                return "lowered"
            } catch {
                return "\(error)"
            }
        }
        let cases: [(Graph, String)] = [
            (RNNFixtures.node("LSTM", attributes: ["activations": .strings(["Relu", "Tanh", "Tanh"])]), "'activations'"),
            (RNNFixtures.node("GRU", attributes: ["clip": .float(3)]), "'clip'"),
            (RNNFixtures.node("LSTM", attributes: ["input_forget": .int(1)]), "'input_forget'"),
            (RNNFixtures.node("RNN", attributes: ["direction": .string("sideways")]), "'direction'"),
            (RNNFixtures.node("GRU", attributes: ["hidden_size": .int(3)]), "'hidden_size'"),
            (RNNFixtures.node("LSTM", inputs: ["L"], lengths: ConstantTensor(shape: [1], int64s: [1])), "sequence_lens"),
            (RNNFixtures.node("LSTM", inputs: ["X"]), "sequence_lens"),
        ]
        for (graph, attribute) in cases {
            let text = message(graph)
            #expect(text.contains("node 'rnn0'") && text.contains(attribute), "\(text)")
        }
        // Defaults spelled out, and a constant full-length sequence_lens, are accepted.
        #expect(message(RNNFixtures.node("LSTM", attributes: ["activations": .strings(["Sigmoid", "Tanh", "Tanh"])]))
                == "lowered")
        #expect(message(RNNFixtures.node("GRU", inputs: ["L"], lengths: ConstantTensor(shape: [1], int64s: [2])))
                == "lowered")
    }
}
