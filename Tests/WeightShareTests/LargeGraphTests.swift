import Foundation
import Testing
import WeightShare
import WeightShareImport
import WeightShareReader

/// A 100,000-node ONNX chain goes through every compile stage and the runtime's load (correctness only: the
/// timings are bench/chain_scaling.sh's; a pass that turned quadratic again would make this test take minutes).
@Suite struct LargeGraphTests {
    @Test("100k-node chain: imported, lowered, planned in a few buffers, written and verified by the runtime")
    func chain() throws {
        let nodes = 100_000
        let graph = try ONNXImporter.load(serializedData: try ChainScalingBench.chainONNX(nodes: nodes),
                                          modelDirectory: nil, displayName: "chain")
        #expect(graph.nodes.count == nodes)
        let prepared = PreparedModel(lowered: try Lowering.lower(graph))
        #expect(prepared.lowered.operations.count == nodes)
        // Relu runs in place over the Transpose before it, so the arena holds a handful of [1, 4] buffers.
        #expect(prepared.plan.arenaBytes <= 4 * 16)
        let model = try WSMModel(bytes: try prepared.container(quantization: nil))
        #expect(model.operators.count == nodes)
        let outputs = try InferenceSession(model: model).run([[-2, -1, 0.5, 3]])
        #expect(outputs == [[0, 0, 0.5, 3]])
    }
}
