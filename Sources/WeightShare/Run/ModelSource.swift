import COpenSSLCrypto
import Foundation

/// A source model imported, lowered and prepared for packing, with the facts reports need about its file.
public struct ModelSource: Sendable {
    public let url: URL
    /// Size of the .onnx file in bytes (external data not included).
    public let fileBytes: Int
    /// Hex SHA-256 of the .onnx file.
    public let sha256: String
    public let graph: Graph
    public let prepared: PreparedModel

    public var lowered: LoweredModel { prepared.lowered }

    public static func load(_ url: URL, inputShapes: [String: [Int]],
                            options: LoweringOptions = LoweringOptions()) throws -> ModelSource {
        let graph = try ONNXImporter.load(url: url)
        let lowered = try Lowering.lower(graph, inputShapes: inputShapes, options: options)
        let data = try Data(contentsOf: url)
        return ModelSource(url: url, fileBytes: data.count, sha256: sha256Hex(data), graph: graph,
                           prepared: PreparedModel(lowered: lowered))
    }

    /// Input shapes as the lowered model pinned them, by input name.
    public var pinnedInputShapes: [String: [Int]] {
        Dictionary(uniqueKeysWithValues: lowered.inputs.map { (lowered.tensors[$0].name, lowered.tensors[$0].shape) })
    }
}

/// Hex SHA-256 of `data` (OpenSSL's libcrypto).
public func sha256Hex(_ data: Data) -> String {
    var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
    data.withUnsafeBytes { raw in
        _ = SHA256(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &digest)
    }
    return digest.map { String(format: "%02x", $0) }.joined()
}

extension SampleSet {
    /// Loads `x` (and, with `labels`, `y` when present) from a .npz and checks the samples against the model's
    /// single input. Metrics without labels skip `y`, which then may hold anything (e.g. reference outputs).
    public static func load(_ url: URL, for model: LoweredModel, limit: Int? = nil, labels: Bool = true) throws -> SampleSet {
        let dataset = try Dataset.load(url: url, readLabels: labels)
        guard let inputIndex = model.inputs.first, model.inputs.count == 1 else {
            throw EvaluationError.sampleShape(input: "(\(model.inputs.count) inputs)", expected: [], got: dataset.sampleShape)
        }
        let input = model.tensors[inputIndex]
        // A sample fills the whole input; a leading batch dimension of 1 in the model is implied.
        guard dataset.sampleShape.reduce(1, *) == input.elementCount else {
            throw EvaluationError.sampleShape(input: input.name, expected: input.shape, got: dataset.sampleShape)
        }
        let set = SampleSet(values: dataset.samples, sampleSize: input.elementCount, labels: dataset.labels?.map { Int($0) })
        return limit.map { set.prefix($0) } ?? set
    }
}
