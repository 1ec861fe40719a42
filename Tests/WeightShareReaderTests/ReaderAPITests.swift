import Foundation
import Testing
import WeightShare
import WeightShareReader
import WeightShareRuntime

/// The reader's API over the C runtime: every operator input, checked tensor and stream indices, opcode names from
/// the runtime's table, descriptions read once, and load errors that say where.
@Suite("WeightShareReader API")
struct ReaderAPITests {
    /// y = W x + b, x [1, 2], W [3, 2] (shared, K = 16), b [3] (raw); tensors x 0, W 1, b 2, y 3.
    static func gemm() throws -> [UInt8] {
        let lowered = LoweredModel(
            tensors: [
                .init(name: "x", shape: [1, 2]),
                .init(name: "W", shape: [3, 2], constant: [1, -2, 3, 4, -1, 0.5]),
                .init(name: "b", shape: [3], constant: [0.5, -20, 0]),
                .init(name: "y", shape: [1, 3]),
            ],
            operations: [
                .init(name: "fc", kind: .gemm(alpha: 1, beta: 1, transA: false, transB: true), inputs: [0, 1, 2],
                      outputs: [3]),
            ],
            inputs: [0], outputs: [3])
        let prepared = PreparedModel(lowered: lowered)
        let q = Quantization(binning: UniformBinning(values: prepared.shared.values, k: 16))
        return try prepared.container(quantization: q, metadata: ContainerMetadata(sourceName: "gemm.onnx"))
    }

    /// Concat of `n` inputs [1, 1] along axis 1 -> y [1, n].
    static func concat(_ n: Int) throws -> [UInt8] {
        let tensors = (0..<n).map { LoweredModel.Tensor(name: "x\($0)", shape: [1, 1]) }
            + [LoweredModel.Tensor(name: "y", shape: [1, n])]
        let lowered = LoweredModel(
            tensors: tensors,
            operations: [.init(name: "join", kind: .concat(axis: 1), inputs: (0..<n).map { $0 }, outputs: [n])],
            inputs: Array(0..<n), outputs: [n])
        return try PreparedModel(lowered: lowered).container(quantization: nil, metadata: ContainerMetadata())
    }

    @Test("an operator lists every input, not only the first WS_OPERATOR_INFO_INPUTS")
    func everyInput() throws {
        let n = Int(WS_OPERATOR_INFO_INPUTS) + 3
        let model = try WSMModel(bytes: try Self.concat(n))
        #expect(model.operators.count == 1)
        #expect(model.operators[0].inputs == (0..<n).map { Optional($0) })
        #expect(model.operators[0].outputs == [n])
        let values = (0..<n).map { [Float($0)] }
        #expect(try model.run(values) == [(0..<n).map(Float.init)])
    }

    @Test("opcode names come from the runtime's operator table")
    func opcodeNames() throws {
        let model = try WSMModel(bytes: try Self.concat(2))
        #expect(model.operators.map(\.opcode) == ["Concat"])
        #expect(model.operators.map(\.code) == [Int(WS_OP_CONCAT.rawValue)])
        #expect(try WSMModel(bytes: try Self.gemm()).operators.map(\.opcode) == ["Gemm"])
        // Every code the runtime knows has its schema name; the first one past the table is "unknown".
        #expect(String(cString: ws_opcode_name(WS_OP_CHANNEL_AFFINE)) == "ChannelAffine")
        #expect(String(cString: ws_opcode_name(WS_OP_SQRT)) == "Sqrt")
        #expect(String(cString: ws_opcode_name(ws_opcode(rawValue: numericCast(WS_OP_COUNT)))) == "unknown")
    }

    @Test("tensor(at:) and index(at:) refuse an index out of range")
    func checkedIndices() throws {
        let model = try WSMModel(bytes: try Self.gemm())
        #expect(try model.tensor(at: 1).name == "W")
        #expect(try model.tensor(at: 3) == model.outputs[0])
        #expect(throws: WSMError.tensorIndexOutOfRange(index: 4, count: 4)) { try model.tensor(at: 4) }
        #expect(throws: WSMError.tensorIndexOutOfRange(index: -1, count: 4)) { try model.tensor(at: -1) }
        let all = model.indices()
        #expect(all.count == model.stream.count)
        #expect(try (0..<all.count).map { try model.index(at: $0) } == all)
        #expect(throws: WSMError.streamIndexOutOfRange(index: all.count, count: all.count)) {
            try model.index(at: all.count)
        }
        #expect(throws: WSMError.streamIndexOutOfRange(index: -1, count: all.count)) { try model.index(at: -1) }
    }

    @Test("descriptions are read once at load and stay equal")
    func storedDescriptions() throws {
        let model = try WSMModel(bytes: try Self.gemm())
        #expect(model.tensors.map(\.name) == ["x", "W", "b", "y"])
        #expect(model.inputs == [model.tensors[0]] && model.outputs == [model.tensors[3]])
        let again = try WSMModel(bytes: try Self.gemm())
        #expect(model.operators == again.operators && model.tensors == again.tensors)
        #expect(model.operators.map(\.opcode) == ["Gemm"])
        #expect(model.codebook == [-2, -1, 0.5, 1, 3, 4])
    }

    // ---- load errors with a location ------------------------------------------------------------------------

    private static func u16(_ b: [UInt8], _ p: Int) -> Int { Int(b[p]) | Int(b[p + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ p: Int) -> Int { u16(b, p) | u16(b, p + 2) << 16 }

    /// Replaces the only occurrence of `old` (little-endian uint32s) with `new`, then rewrites the CRC-32 so that
    /// the file fails on its content, not on corruption.
    static func patched(_ bytes: [UInt8], _ old: [UInt32], _ new: [UInt32]) throws -> [UInt8] {
        func le(_ words: [UInt32]) -> [UInt8] { words.flatMap { w in (0..<4).map { UInt8((w >> (8 * $0)) & 0xFF) } } }
        let pattern = le(old)
        let hits = (0...(bytes.count - pattern.count)).filter { Array(bytes[$0..<($0 + pattern.count)]) == pattern }
        try #require(hits.count == 1, "pattern \(old) found \(hits.count) times")
        var b = bytes
        b.replaceSubrange(hits[0]..<(hits[0] + pattern.count), with: le(new))
        // Model.crc32 is field 10: vtable offset 24. Its four bytes count as zero in the CRC.
        let root = u32(b, 0)
        let vtable = root - Int(Int32(bitPattern: UInt32(u32(b, root))))
        try #require(u16(b, vtable) > 24)
        let crcAt = root + u16(b, vtable + 24)
        b.replaceSubrange(crcAt..<(crcAt + 4), with: [0, 0, 0, 0])
        let crc = b.withUnsafeBytes { ws_crc32(0, $0.baseAddress, $0.count) }
        b.replaceSubrange(crcAt..<(crcAt + 4), with: le([crc]))
        return b
    }

    @Test("a rejected file names the operator and tensor where verification failed")
    func loadErrorLocation() throws {
        let bytes = try Self.gemm()
        // W's shape vector [3, 2] -> [3, 3]: more elements than the stream holds for it (tensor 1, no operator).
        do {
            _ = try WSMModel(bytes: try Self.patched(bytes, [2, 3, 2], [2, 3, 3]))
            Issue.record("a malformed file loaded")
        } catch let WSMError.invalidModel(code, _, location) {
            #expect(code == WS_ERR_TENSOR.rawValue)
            #expect(location == LoadErrorLocation(tensorIndex: 1, tensorName: "W"))
            #expect(WSMError.invalidModel(code: code, message: "m", location: location).description
                .contains("at tensor 1 \"W\""))
        }
        // x's shape [1, 2] -> [1, 3]: Gemm's K no longer agrees (operator 0 "fc"; a shape rule names no tensor).
        do {
            _ = try WSMModel(bytes: try Self.patched(bytes, [2, 1, 2], [2, 1, 3]))
            Issue.record("a malformed file loaded")
        } catch let WSMError.invalidModel(code, _, location) {
            #expect(code == WS_ERR_SHAPE.rawValue)
            #expect(location.operatorIndex == 0 && location.operatorName == "fc")
            #expect(location.tensorIndex == nil && location.inputSlot == nil)
            #expect(location.description == "operator 0 \"fc\"")
        }
        // A corrupted byte: file-level, no location.
        var corrupted = bytes
        corrupted[corrupted.count / 2] ^= 1
        #expect(throws: WSMError.invalidModel(code: WS_ERR_CRC.rawValue, message: String(cString: ws_status_string(WS_ERR_CRC)))) {
            try WSMModel(bytes: corrupted)
        }
    }
}
