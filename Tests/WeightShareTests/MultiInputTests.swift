import Foundation
import Testing
import WeightShareReader
@testable import WeightShareCore
@testable import WeightShareImport
@testable import WeightShareGraph
@testable import WeightShareContainer
@testable import WeightShareEvaluate
@testable import WeightShareSearch

/// Models with several inputs and outputs, inputs pinned to values, `If` on a pinned input, and free-running
/// (fed-back) runs, against onnxruntime's outputs saved by `scripts/make_io_fixtures.py`.
@Suite("Several inputs and outputs, --input-value, If, feedback")
struct MultiInputTests {
    static let model = FixturePaths.url("io/stateful_cell.onnx")
    static let data = FixturePaths.url("io/stateful_cell_io.npz")

    /// Reference arrays of the fixture, flattened per sample.
    static func reference(_ name: String) throws -> [Float] {
        try array(name)
    }

    static func array(_ name: String) throws -> [Float] {
        guard let array = try NumPy.readNPZ(url: data).first(where: { $0.name == name }) else {
            throw ImportError.missingArray(path: data.path, key: name, available: [])
        }
        return array.floats
    }

    static func expectClose(_ got: [Float], _ expected: [Float], _ what: String) {
        #expect(got.count == expected.count, "\(what): \(got.count) values, expected \(expected.count)")
        let worst = zip(got, expected).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(what): relative difference \(worst)")
    }

    /// The raw (unshared) model with `sr` pinned, and its samples.
    static func raw(rate: Float) throws -> (WSMModel, SampleSet) {
        let source = try ModelSource.load(model, inputShapes: [:], inputValues: ["sr": [rate]])
        let samples = try SampleSet.load(data, for: source.lowered, labels: false)
        return (try WSMModel(bytes: try source.prepared.container(quantization: nil)), samples)
    }

    @Test("the pinned input chooses the If branch; every output matches onnxruntime")
    func branches() throws {
        for (rate, suffix) in [(Float(16000), "16k"), (8000, "8k")] {
            let (wsm, samples) = try Self.raw(rate: rate)
            #expect(wsm.inputs.map(\.name) == ["x", "state"])
            #expect(wsm.outputs.map(\.name) == ["logits", "state_out"])
            #expect(samples.inputSizes == [16, 8])
            let logits = try BatchRunner.run(wsm, samples: samples, outputs: [0], workers: 2)
            let state = try BatchRunner.run(wsm, samples: samples, outputs: [1], workers: 2)
            Self.expectClose(logits, try Self.reference("logits_\(suffix)"), "logits at \(rate)")
            Self.expectClose(state, try Self.reference("state_\(suffix)"), "state at \(rate)")
            // Every output concatenated per sample: logits then state.
            let both = try BatchRunner.run(wsm, samples: samples, workers: 1)
            #expect(Array(both[0..<3]) == Array(logits[0..<3]) && Array(both[3..<11]) == Array(state[0..<8]))
        }
    }

    @Test("free-running: each sample's state is the one before's state_out, as onnxruntime ran it")
    func freeRunning() throws {
        let (wsm, samples) = try Self.raw(rate: 16000)
        let pairs = try OutputSelection.feedback([("state", "state_out")], model: wsm)
        #expect(pairs.map(\.input) == [1] && pairs.map(\.output) == [1])
        let logits = try BatchRunner.runFreeRunning(wsm, samples: samples, outputs: [0], feedback: pairs)
        let state = try BatchRunner.runFreeRunning(wsm, samples: samples, outputs: [1], feedback: pairs)
        Self.expectClose(logits, try Self.reference("logits_free"), "free-running logits")
        Self.expectClose(state, try Self.reference("state_free"), "free-running state")
        // Not the per-sample result: the fed-back state differs from the data's after the first sample.
        #expect(logits != (try Self.reference("logits_16k")))
    }

    @Test("an If on a run-time input is refused, naming the input and --input-value")
    func unresolvedIf() throws {
        let graph = try ONNXImporter.load(url: Self.model)
        #expect(throws: LoweringError.self) { _ = try Lowering.lower(graph) }
        do {
            _ = try Lowering.lower(graph)
        } catch {
            let text = "\(error)"
            #expect(text.contains("front_end") && text.contains("'sr'") && text.contains("--input-value sr=VALUE"),
                    "\(text)")
        }
        let check = ImportCheck(graph: graph, model: "m")
        #expect(!check.compilable)
        #expect(check.controlFlowError?.contains("--input-value sr=VALUE") == true)
        #expect(check.unsupportedOperators.isEmpty)
        let pinned = ImportCheck(graph: graph, model: "m", inputValues: ["sr": [16000]])
        #expect(pinned.compilable, "\(pinned.error ?? "")")
        #expect(pinned.inputs.map(\.name) == ["x", "state"])
    }

    @Test("an If on the static shape of an activation (Size of a layer output) takes the branch its shape selects")
    func ifOnActivationShape() throws {
        func branch(_ name: String, _ factor: Float) -> Graph {
            Graph(name: name, opsetVersion: 13, inputs: [],
                  outputs: [ValueInfo(name: "\(name)_y", elementType: .float32, shape: nil)],
                  nodes: [Node(name: "\(name)_mul", opType: "Mul", inputs: ["r", "\(name)_k"], outputs: ["\(name)_y"])],
                  initializers: ["\(name)_k": ConstantTensor(shape: [], floats: [factor])])
        }
        func lowered(width: Int) throws -> [Float] {
            let graph = Graph(
                name: "g", opsetVersion: 13,
                inputs: [ValueInfo(name: "x", elementType: .float32, shape: [.fixed(1), .symbolic("n")])],
                outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)],
                nodes: [Node(name: "relu", opType: "Relu", inputs: ["x"], outputs: ["r"]),
                        Node(name: "size", opType: "Size", inputs: ["r"], outputs: ["s"]),
                        Node(name: "long", opType: "Greater", inputs: ["s", "ten"], outputs: ["c"]),
                        Node(name: "choose", opType: "If", inputs: ["c"], outputs: ["y"],
                             attributes: ["then_branch": .graph(branch("then", 3)),
                                          "else_branch": .graph(branch("else", 2))])],
                initializers: ["ten": ConstantTensor(shape: [], int64s: [10])])
            let model = try Lowering.lower(graph, inputShapes: ["x": [1, width]])
            #expect(model.operations.map { ImportCheck.kindName($0.kind) } == ["Relu", "mul"])
            return model.tensors.compactMap { $0.constant }.flatMap { $0 }
        }
        // Size(relu) = 8 → not > 10 → the else branch (× 2); 16 → the then branch (× 3).
        #expect(try lowered(width: 8) == [2])
        #expect(try lowered(width: 16) == [3])
    }

    @Test("--input-value refuses what cannot be the input's value")
    func badInputValues() throws {
        let graph = try ONNXImporter.load(url: Self.model)
        func reason(_ values: [String: [Float]], shapes: [String: [Int]] = [:]) -> String {
            do {
                _ = try Lowering.lower(graph, inputShapes: shapes, inputValues: values)
                return "lowered"
            } catch { return "\(error)" }
        }
        #expect(reason(["rate": [1]]) == "--input-value names 'rate', which is not an input of the model; the "
            + "model's inputs are 'x', 'state', 'sr'")
        #expect(reason(["sr": [16000.5]]).contains("whole number"))
        #expect(reason(["sr": [16000, 8000]]).contains("takes 1 value(s), but 2 are given"))
        #expect(reason(["x": [Float](repeating: 0, count: 15)]).contains("takes 16 value(s), but 15"))
        // A float input pinned to values: the model then has one run-time input left.
        let lowered = try Lowering.lower(graph, inputValues: ["sr": [16000], "state": [Float](repeating: 0, count: 8)])
        #expect(lowered.inputs.map { lowered.tensors[$0].name } == ["x"])
        #expect(throws: InputValue.ParseError.badValue(text: "sr=1,x", position: 2, value: "x")) {
            _ = try InputValue(parsing: "sr=1,x")
        }
        #expect(throws: InputValue.ParseError.duplicate(name: "sr")) {
            _ = try InputValue.table([InputValue(name: "sr", values: [1]), InputValue(name: "sr", values: [2])])
        }
        #expect(throws: FeedbackPair.ParseError(text: "state")) { _ = try FeedbackPair(parsing: "state") }
    }

    @Test("data for several inputs: one array per input, named after it, with the same rows")
    func dataArrays() throws {
        let source = try ModelSource.load(Self.model, inputShapes: [:], inputValues: ["sr": [16000]])
        let samples = try SampleSet.load(Self.data, for: source.lowered)
        #expect(samples.count == 64 && samples.sampleSize == 24 && samples.labels?.count == 64)
        // Sample 1 is x[1] then state[1].
        let x = try Self.array("x"), state = try Self.array("state")
        #expect(Array(samples.values[24..<48]) == Array(x[16..<32]) + Array(state[8..<16]))

        let missing = FixturePaths.url("io/stateful_cell_missing_state.npz")
        #expect(throws: SampleSetError.self) { _ = try SampleSet.load(missing, for: source.lowered) }
        do { _ = try SampleSet.load(missing, for: source.lowered) } catch {
            let text = "\(error)"
            #expect(text.contains("missing: 'state'") && text.contains("'state' [n, 1, 8]") && text.contains("'x'"),
                    "\(text)")
        }
        let rows = FixturePaths.url("io/stateful_cell_rows_differ.npz")
        do {
            _ = try SampleSet.load(rows, for: source.lowered)
            Issue.record("rows that differ were accepted")
        } catch {
            #expect("\(error)".contains("'x' has 64 samples but 'state' has 10"), "\(error)")
        }
    }

    @Test("--feedback and --output refuse names and sizes that do not fit")
    func selection() throws {
        let (wsm, _) = try Self.raw(rate: 16000)
        #expect(throws: SelectionError.feedbackSize(input: "state", inputShape: [1, 8], output: "logits",
                                                    outputShape: [1, 3])) {
            _ = try OutputSelection.feedback([("state", "logits")], model: wsm)
        }
        #expect(throws: SelectionError.noSuchOutput("h", ["logits", "state_out"])) {
            _ = try OutputSelection.feedback([("state", "h")], model: wsm)
        }
        #expect(throws: SelectionError.noSuchInput("sr", ["x", "state"])) {
            _ = try OutputSelection.feedback([("sr", "state_out")], model: wsm)
        }
        #expect(try OutputSelection.scored(outputs: ["logits", "state_out"], metric: .cosine, name: nil) == [0, 1])
        #expect(try OutputSelection.scored(outputs: ["logits", "state_out"], metric: .agreement, name: nil) == [0])
        #expect(try OutputSelection.scored(outputs: ["logits", "state_out"], metric: .cosine,
                                           name: "state_out") == [1])
    }
}
