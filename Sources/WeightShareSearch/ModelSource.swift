import COpenSSLCrypto
import Foundation
import WeightShareContainer
import WeightShareCore
import WeightShareEvaluate
import WeightShareGraph
import WeightShareImport

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

    public static func load(_ url: URL, inputShapes: [String: [Int]], inputValues: [String: [Float]] = [:],
                            options: LoweringOptions = LoweringOptions()) throws -> ModelSource {
        let graph = try ONNXImporter.load(url: url)
        let lowered = try Lowering.lower(graph, inputShapes: inputShapes, inputValues: inputValues, options: options)
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
