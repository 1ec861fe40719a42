import Foundation
import Testing
import WSMFlatBuffers
import WeightShareReader
import WeightShareRuntime

/// `WSMModel` verifies through `ws_model_load_scratch` (linear time): a 40,000-operator chain loads, and the same
/// chain with a read before write or a double write near its end is refused at the right operator and tensor.
/// (Timings are in `bench/verify_scaling.sh`, not here.)
@Suite("WeightShareReader scaling")
struct ReaderScalingTests {
    enum Variant { case valid, readBeforeWrite, writeTwice }

    /// n operators over activations t0...tn [1, 4] (arena slot k % 3): operator k writes t(k+1), Relu(tk) for even
    /// k, Add(tk, t(k-1)) for odd k; input t0, output tn. As `chain_model` of the runtime's tests.
    static func chain(_ n: Int, _ variant: Variant) throws -> [UInt8] {
        let b = try #require(wsm_builder_create())
        defer { wsm_builder_destroy(b) }
        let shape: [UInt32] = [1, 4]
        for k in 0...n {
            #expect(wsm_builder_add_activation(b, "t\(k)", shape, 2, UInt32(k % 3) * 16) == Int32(k))
        }
        for k in 0..<n {
            var inputs: [Int32] = k % 2 == 1 ? [Int32(k), Int32(k - 1)] : [Int32(k)]
            var output = Int32(k + 1)
            if variant == .readBeforeWrite && k == n - 2 { inputs = [Int32(n)] }
            if variant == .writeTwice && k == n - 1 { output = Int32(n - 3) }
            let opcode = UInt8(inputs.count == 2 ? WS_OP_ADD.rawValue : WS_OP_RELU.rawValue)
            #expect(wsm_builder_add_operator(b, opcode, "op\(k)", inputs, UInt32(inputs.count), &output, 1) == 0)
        }
        var input: Int32 = 0, output = Int32(n)
        #expect(wsm_builder_set_graph_io(b, &input, 1, &output, 1) == 0)
        wsm_builder_set_arena_bytes(b, 48)
        #expect(wsm_builder_finish(b, WS_FORMAT_VERSION, 0) == 0)
        var length = 0
        let data = try #require(wsm_builder_data(b, &length))
        return Array(UnsafeBufferPointer(start: data, count: length))
    }

    @Test("a 40,000-operator chain loads; a read before write and a double write are located")
    func chains() throws {
        let n = 40_000
        let model = try WSMModel(bytes: try Self.chain(n, .valid))
        #expect(model.operators.count == n && model.tensors.count == n + 1)
        let cases: [(Variant, LoadErrorLocation)] = [
            (.readBeforeWrite, LoadErrorLocation(operatorIndex: n - 2, operatorName: "op\(n - 2)", tensorIndex: n,
                                                 tensorName: "t\(n)", inputSlot: 0)),
            (.writeTwice, LoadErrorLocation(operatorIndex: n - 1, operatorName: "op\(n - 1)", tensorIndex: n - 3,
                                            tensorName: "t\(n - 3)")),
        ]
        for (variant, location) in cases {
            do {
                _ = try WSMModel(bytes: try Self.chain(n, variant))
                Issue.record("\(variant) loaded")
            } catch let WSMError.invalidModel(code, _, where_) {
                #expect(code == WS_ERR_GRAPH.rawValue)
                #expect(where_ == location)
            }
        }
    }
}
