import Testing
import WSMFlatBuffers
import WeightShareContainer

/// `model_data.h`'s facts about the index stream (ModelFacts), read from files written by hand.
@Suite("ModelFacts: the stream facts a firmware is built with")
struct ModelFactsTests {
    /// x [1, 8] -> Gemm(W shared [3, 8] from stream index `offset`, trans_b) -> y, indices of `width` bits.
    static func gemm(width: UInt8, offset: UInt64) throws -> [UInt8] {
        let b = try #require(wsm_builder_create())
        defer { wsm_builder_destroy(b) }
        let x = wsm_builder_add_activation(b, "x", [1, 8], 2, 0)
        let w = wsm_builder_add_shared(b, "w", [3, 8], 2, offset)
        var y = wsm_builder_add_activation(b, "y", [1, 3], 2, 32)
        #expect(wsm_builder_add_gemm(b, "fc", [x, w], 2, &y, 1, 1, 1, 0, 1) == 0)
        #expect(wsm_builder_set_codebook(b, [-0.25, 0.5], 2) == 0)
        let count = offset + 24, bytes = Int((count * UInt64(width) + 7) / 8) + 4
        #expect(wsm_builder_set_index_stream(b, 0, width, count, [UInt8](repeating: 0, count: bytes), bytes) == 0)
        #expect(wsm_builder_set_graph_io(b, [x], 1, [y], 1) == 0)
        wsm_builder_set_arena_bytes(b, 48)
        #expect(wsm_builder_finish(b, 1, 0) == 0)
        var length = 0
        let data = try #require(wsm_builder_data(b, &length))
        return Array(UnsafeBufferPointer(start: data, count: length))
    }

    @Test("a fixed-width tensor that starts inside a byte is reported (WS_MODEL_MID_BYTE_TENSORS 1); one on a byte is not",
          arguments: [(3, 0, false), (3, 8, false), (3, 3, true), (4, 2, false), (4, 1, true), (2, 4, false), (2, 6, true)]
            as [(UInt8, UInt64, Bool)])
    func midByte(width: UInt8, offset: UInt64, expected: Bool) throws {
        // By hand: the tensor's first bit is offset × width; inside a byte when that is no multiple of 8.
        let facts = try #require(ModelFacts(wsm: try Self.gemm(width: width, offset: offset)))
        #expect(facts.bitWidth == Int(width))
        #expect(facts.midByteTensors == expected)
        #expect(facts.cMacros.contains("#define WS_MODEL_MID_BYTE_TENSORS \(expected ? 1 : 0)\n"))
    }
}
