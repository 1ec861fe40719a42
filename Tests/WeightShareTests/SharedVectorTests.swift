import Foundation
import Testing
import WSMFlatBuffers
import WeightShare
import WeightShareReader
import WeightShareRuntime

/// The writer stores equal vectors and option tables once (wsm_builder.cpp): every table that holds them points at
/// the same bytes. Files are smaller, read the same, and files written before still load.
@Suite("Equal vectors and options written once")
struct SharedVectorTests {
    /// How many times `pattern` occurs in `bytes`.
    static func occurrences(of pattern: [UInt8], in bytes: [UInt8]) -> Int {
        guard bytes.count >= pattern.count else { return 0 }
        return (0...(bytes.count - pattern.count)).filter { Array(bytes[$0..<($0 + pattern.count)]) == pattern }.count
    }

    /// A FlatBuffers [uint] vector: its length, then the values, little-endian.
    static func vectorBytes(_ values: [UInt32]) -> [UInt8] {
        ([UInt32(values.count)] + values).flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    }

    @Test("three activations of one shape and two Convs with the same options: one shape vector, one ConvOptions; the official Verifier and the reader accept the file")
    func oneCopy() throws {
        let b = try #require(wsm_builder_create())
        defer { wsm_builder_destroy(b) }
        let act: [UInt32] = [1, 3, 5, 7], weight: [UInt32] = [3, 3, 3, 3], bias: [UInt32] = [3]
        let x = wsm_builder_add_activation(b, "x", act, 4, 0)
        let w1 = wsm_builder_add_raw(b, nil, weight, 4, [Float](repeating: 0.5, count: 81), 81)
        let w2 = wsm_builder_add_raw(b, nil, weight, 4, [Float](repeating: 0.25, count: 81), 81)
        let c = wsm_builder_add_raw(b, nil, bias, 1, [0.125, 0.25, 0.375], 3)
        let y = wsm_builder_add_activation(b, nil, act, 4, 448)
        let z = wsm_builder_add_activation(b, "z", act, 4, 896)
        let strides: [UInt32] = [1, 1], dilations: [UInt32] = [1, 1], pads: [UInt32] = [1, 1, 1, 1]
        for (input, w, output) in [(x, w1, y), (y, w2, z)] {
            #expect(wsm_builder_add_conv(b, UInt8(WS_OP_CONV.rawValue), nil, [input, w, c], 3, [output], 1, 1,
                                         strides, dilations, pads, nil, 2) == 0)
        }
        #expect(wsm_builder_set_graph_io(b, [x], 1, [z], 1) == 0)
        wsm_builder_set_arena_bytes(b, 1344)
        #expect(wsm_builder_finish(b, 1, 0) == 0)
        var length = 0
        let data = try #require(wsm_builder_data(b, &length))
        let bytes = Array(UnsafeBufferPointer(start: data, count: length))

        #expect(Self.occurrences(of: Self.vectorBytes(act), in: bytes) == 1)
        #expect(Self.occurrences(of: Self.vectorBytes(weight), in: bytes) == 1)
        #expect(Self.occurrences(of: Self.vectorBytes(pads), in: bytes) == 1)
        // strides and dilations are the same [1, 1]: one vector serves both options of both Convs.
        #expect(Self.occurrences(of: Self.vectorBytes(strides), in: bytes) == 1)
        // The two raw weights differ: each keeps its values.
        #expect(Self.occurrences(of: Array(repeating: Float(0.5), count: 81).flatMap(Self.floatBytes), in: bytes) == 1)
        #expect(Self.occurrences(of: Array(repeating: Float(0.25), count: 81).flatMap(Self.floatBytes), in: bytes) == 1)

        #expect(wsm_flatbuffers_verify(bytes, bytes.count) == 1)
        let model = try WSMModel(bytes: bytes)
        #expect(model.tensors.map(\.shape) == [act, weight, weight, bias, act, act].map { $0.map(Int.init) })
        #expect(model.operators.map(\.opcode) == ["Conv", "Conv"])
        // The runtime reads both Convs' options through the one table. Hand-computed for an input of ones: the
        // first Conv's pixels away from the border sum 3 channels × 9 taps × 0.5, plus their channel's bias; the
        // second Conv's pixel (2, 3) of channel 0 sees only such pixels: 9 × 0.25 × each channel's value, plus 0.125.
        let out = try model.run([[Float](repeating: 1, count: 105)])[0]
        let biases: [Double] = [0.125, 0.25, 0.375]
        let expected = biases.reduce(0) { $0 + 9 * 0.25 * (27 * 0.5 + $1) } + 0.125
        #expect(abs(Double(out[2 * 7 + 3]) - expected) <= 1e-5 * expected, "\(out[2 * 7 + 3]) vs \(expected)")
    }

    static func floatBytes(_ v: Float) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) }
    }

    @Test("files the writer wrote before (every vector stored per table) load and compute bit for bit what the same solution written with shared vectors computes; those files are smaller",
          arguments: [("digits_mlp", [1, 64]), ("mobilenet", [1, 1, 8, 8])])
    func earlierFiles(name: String, shape: [Int]) throws {
        let before = try WSMModel(contentsOf: FixturePaths.url("compat/\(name)_unshared.wsm"))
        let now = try WSMModel(contentsOf: FixturePaths.url("compat/\(name)_shared.wsm"))
        let beforeBytes = try Data(contentsOf: FixturePaths.url("compat/\(name)_unshared.wsm"))
        let nowBytes = try Data(contentsOf: FixturePaths.url("compat/\(name)_shared.wsm"))
        #expect(nowBytes.count < beforeBytes.count, "\(beforeBytes.count) → \(nowBytes.count)")
        #expect(before.codebook == now.codebook && before.indices() == now.indices())
        #expect(before.inputs.map(\.shape) == [shape] && now.inputs.map(\.shape) == [shape])
        let x = try #require(try NumPy.readNPZ(url: FixturePaths.url("digits_test.npz")).first { $0.name == "x" }).floats
        for sample in 0..<40 {
            let input = Array(x[(sample * 64)..<((sample + 1) * 64)])
            let a = try before.run([input]), b = try now.run([input])
            #expect(a.map { $0.map(\.bitPattern) } == b.map { $0.map(\.bitPattern) }, "sample \(sample)")
        }
    }
}
