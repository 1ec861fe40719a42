import Foundation
import Testing
import WeightShare
import WeightShareRuntime
import WeightShareReader

@Suite("WeightShareReader")
struct ReaderTests {
    /// y = relu(x · Wᵀ + b) with W = [[1, -2], [3, 4], [-1, 0.5]] shared through a codebook.
    static func model(k: Int? = 16) throws -> [UInt8] {
        let lowered = LoweredModel(
            tensors: [
                .init(name: "x", shape: [1, 2]),
                .init(name: "W", shape: [3, 2], constant: [1, -2, 3, 4, -1, 0.5]),
                .init(name: "b", shape: [3], constant: [0.5, -20, 0]),
                .init(name: "h", shape: [1, 3]),
                .init(name: "y", shape: [1, 3]),
            ],
            operations: [
                .init(name: "fc", kind: .gemm(alpha: 1, beta: 1, transA: false, transB: true), inputs: [0, 1, 2], outputs: [3]),
                .init(name: "act", kind: .pointwise(WS_OP_RELU), inputs: [3], outputs: [4]),
            ],
            inputs: [0], outputs: [4])
        let prepared = PreparedModel(lowered: lowered)
        let q = k.map { Quantization(binning: UniformBinning(values: prepared.shared.values, k: $0)) }
        return try prepared.container(quantization: q, metadata: ContainerMetadata(sourceName: "hand.onnx", metric: "cosine", seed: 42))
    }

    @Test("load from Data and from a file, inspect, decode, run")
    func roundTrip() throws {
        let bytes = try Self.model(k: 16)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reader-\(UUID().uuidString).wsm")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        for model in [try WSMModel(data: Data(bytes)), try WSMModel(contentsOf: url)] {
            #expect(model.byteCount == bytes.count)
            // 16 bins over [-2, 4]: width 0.375; all six weights land in distinct bins, so they are their own means.
            #expect(model.codebook == [-2, -1, 0.5, 1, 3, 4])
            #expect(model.stream.bitWidth == 3)
            #expect(model.stream.count == 6)
            #expect(model.indices() == [3, 0, 4, 5, 1, 2])
            #expect(try model.decode(tensorNamed: "W") == [1, -2, 3, 4, -1, 0.5])
            #expect(model.inputs.map(\.name) == ["x"])
            #expect(model.outputs.map(\.shape) == [[1, 3]])
            #expect(model.operators.map(\.opcode) == ["Gemm", "Relu"])
            #expect(model.metadata.sourceName == "hand.onnx")
            #expect(model.metadata.seed == 42)
            #expect(model.metadata.formatVersion == 1)
            // x = (2, 1): W·x + b = (0 + 0.5, 10 − 20, −1.5 + 0) → relu → (0.5, 0, 0).
            #expect(try model.run([[2, 1]]) == [[0.5, 0, 0]])
        }
    }

    @Test("errors say what is wrong")
    func errors() throws {
        #expect(throws: WSMError.fileNotFound(path: "/nonexistent.wsm")) {
            try WSMModel(contentsOf: URL(fileURLWithPath: "/nonexistent.wsm"))
        }
        var bytes = try Self.model()
        bytes[bytes.count / 2] ^= 1
        do {
            _ = try WSMModel(bytes: bytes)
            Issue.record("a corrupted file loaded")
        } catch let error as WSMError {
            #expect(error.description.contains("CRC"))
        }
        let model = try WSMModel(bytes: try Self.model())
        #expect(throws: WSMError.wrongInputCount(expected: 1, got: 2)) { try model.run([[1, 2], [3, 4]]) }
        #expect(throws: WSMError.wrongInputSize(input: "x", expected: 2, got: 3)) { try model.run([[1, 2, 3]]) }
        #expect(throws: WSMError.notConstant(tensor: "h")) { try model.decode(tensorNamed: "h") }
        #expect(throws: WSMError.noSuchTensor("nope")) { try model.decode(tensorNamed: "nope") }
    }

    @Test("a model without shared weights has no codebook")
    func rawModel() throws {
        let model = try WSMModel(bytes: try Self.model(k: nil))
        #expect(model.codebook.isEmpty)
        #expect(model.stream.bitWidth == 0)
        #expect(try model.run([[2, 1]]) == [[0.5, 0, 0]])
    }
}
