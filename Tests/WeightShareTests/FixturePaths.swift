import Foundation
import WeightShare

/// Locates the committed fixtures in `Tests/Fixtures/` (made by `scripts/make_fixtures.py`) relative to this
/// source file, so tests need no bundle resources.
enum FixturePaths {
    /// `Tests/Fixtures/`.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // WeightShareTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures", isDirectory: true)

    /// The fixture file `name` (e.g. `digits_mlp.onnx`).
    static func url(_ name: String) -> URL {
        directory.appendingPathComponent(name)
    }

    /// A new, empty folder under the system's temporary directory (the caller removes it).
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ws-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The folded ResNet (`folded/resnet_folded.onnx`, input pinned to [1, 1, 8, 8]), its validation samples
    /// (the first `limit`), and an encoder calibrated on them with an evaluator scoring `metric` on them.
    static func calibratedFoldedResNet(metric: Metric, limit: Int? = nil) throws
        -> (source: ModelSource, samples: SampleSet, encoder: WeightEncoder, evaluator: RuntimeEvaluator) {
        let source = try ModelSource.load(url("folded/resnet_folded.onnx"), inputShapes: ["input": [1, 1, 8, 8]])
        let samples = try SampleSet.load(url("digits_val.npz"), for: source.lowered, limit: limit)
        let encoder = WeightEncoder(base: source.prepared, calibration: Calibration(samples: samples))
        return (source, samples, encoder, try RuntimeEvaluator(encoder: encoder, samples: samples, metric: metric))
    }

    /// Conv and Gemm operations of `model` (the layers of the folded fixtures that have a weight and a bias).
    static func convAndGemmCount(_ model: LoweredModel) -> Int {
        model.operations.filter {
            if case .conv = $0.kind { return true }
            if case .gemm = $0.kind { return true }
            return false
        }.count
    }

    /// `fixtures.json`: facts the fixture script recorded (sizes, accuracies, weight values to check against).
    static func facts() throws -> FixtureFacts {
        let data = try Data(contentsOf: url("fixtures.json"))
        // No key strategy: it would rewrite dictionary keys (tensor names) too.
        return try JSONDecoder().decode(FixtureFacts.self, from: data)
    }
}

/// The parts of `Tests/Fixtures/fixtures.json` that tests check against.
struct FixtureFacts: Decodable {
    /// A dimension as the script wrote it: a number or a symbolic name.
    enum Dim: Decodable, Equatable {
        case fixed(Int)
        case symbolic(String)

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let n = try? container.decode(Int.self) { self = .fixed(n) } else {
                self = .symbolic(try container.decode(String.self))
            }
        }
    }

    struct Tensor: Decodable {
        let shape: [Int]
        /// The first (up to) three values, and the last one; exact float32 (or int64) values.
        let first: [Double]
        let last: Double
    }

    struct Model: Decodable {
        let file: String
        let opset: Int
        let inputs: [String: [Dim]?]
        let outputs: [String: [Dim]?]
        let nodeCount: Int
        let initializers: [String: Tensor]
        let floatAccuracy: [String: Double]?
        let loweredOperations: [String]?
        let loweredShapes: [String: [Int]]?
        let testRefFirstRow: [Double]?

        enum CodingKeys: String, CodingKey {
            case file, opset, inputs, outputs, initializers
            case nodeCount = "node_count"
            case floatAccuracy = "float_accuracy"
            case loweredOperations = "lowered_operations"
            case loweredShapes = "lowered_shapes"
            case testRefFirstRow = "test_ref_first_row"
        }
    }

    struct Digits: Decodable {
        let total: Int
        let train: Int
        let val: Int
        let test: Int
        let features: Int
        let classes: Int
        let testFirstLabels: [Int64]

        enum CodingKeys: String, CodingKey {
            case total, train, val, test, features, classes
            case testFirstLabels = "test_first_labels"
        }
    }

    let digits: Digits
    let models: [String: Model]

    func model(_ file: String) throws -> Model {
        guard let model = models[file] else { throw FixtureMissing(name: file) }
        return model
    }

    struct FixtureMissing: Error {
        let name: String
    }
}
