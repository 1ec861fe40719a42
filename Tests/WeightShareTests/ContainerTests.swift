import Foundation
import Testing
import WSMFlatBuffers
import WeightShareReader
import WeightShareRuntime
import WeightShare

/// A hand-built MLP (Gemm transB=1 → Relu → MatMul → Add → Softmax) and an independent Swift forward pass.
enum TinyMLP {
    static func random(_ n: Int, seed: UInt64, scale: Float = 0.5) -> [Float] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) - 0.5) * 2 * scale
        }
    }

    static let w1 = random(6 * 5, seed: 1)   // Gemm B, [out=6, in=5], transB
    static let b1 = random(6, seed: 2)
    static let w2 = random(6 * 4, seed: 3)   // MatMul B, [6, 4]
    static let b2 = random(4, seed: 4)

    static func model() -> LoweredModel {
        let tensors: [LoweredModel.Tensor] = [
            .init(name: "x", shape: [1, 5]),
            .init(name: "w1", shape: [6, 5], constant: w1),
            .init(name: "b1", shape: [6], constant: b1),
            .init(name: "h", shape: [1, 6]),
            .init(name: "r", shape: [1, 6]),
            .init(name: "w2", shape: [6, 4], constant: w2),
            .init(name: "m", shape: [1, 4]),
            .init(name: "b2", shape: [4], constant: b2),
            .init(name: "s", shape: [1, 4]),
            .init(name: "y", shape: [1, 4]),
        ]
        let operations: [LoweredModel.Operation] = [
            .init(name: "gemm", kind: .gemm(alpha: 1, beta: 1, transA: false, transB: true), inputs: [0, 1, 2], outputs: [3]),
            .init(name: "relu", kind: .pointwise(WS_OP_RELU), inputs: [3], outputs: [4]),
            .init(name: "matmul", kind: .matMul, inputs: [4, 5], outputs: [6]),
            .init(name: "add", kind: .add, inputs: [6, 7], outputs: [8]),
            .init(name: "softmax", kind: .softmax(axis: 1, coerce2D: false), inputs: [8], outputs: [9]),
        ]
        return LoweredModel(tensors: tensors, operations: operations, inputs: [0], outputs: [9])
    }

    /// Forward pass in Double with the given weights.
    static func forward(_ x: [Float], w1: [Float], w2: [Float]) -> [Float] {
        let h = (0..<6).map { o in max(0, (0..<5).reduce(Double(b1[o])) { $0 + Double(x[$1]) * Double(w1[o * 5 + $1]) }) }
        let z = (0..<4).map { n in (0..<6).reduce(Double(b2[n])) { $0 + h[$1] * Double(w2[$1 * 4 + n]) } }
        let top = z.max()!
        let e = z.map { Foundation.exp($0 - top) }
        return e.map { Float($0 / e.reduce(0, +)) }
    }
}

@Suite("Container write → runtime read")
struct ContainerTests {
    let prepared = PreparedModel(lowered: TinyMLP.model())

    @Test("shared weights are the Gemm and MatMul weights, biases stay raw")
    func sharedVector() {
        #expect(prepared.shared.slices.map(\.name) == ["w1", "w2"])
        #expect(prepared.shared.values == TinyMLP.w1 + TinyMLP.w2)
        #expect(prepared.shared.slices.map(\.offset) == [0, 30])
    }

    @Test("raw container runs like the reference forward pass")
    func rawModel() throws {
        let model = try WSMModel(bytes: try prepared.container(quantization: nil))
        #expect(model.codebook.isEmpty)
        #expect(model.stream.bitWidth == 0)
        let x = TinyMLP.random(5, seed: 9, scale: 1)
        let y = try model.run([x])[0]
        let expected = TinyMLP.forward(x, w1: TinyMLP.w1, w2: TinyMLP.w2)
        for (a, b) in zip(y, expected) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b))) }
    }

    @Test("quantized container: codebook, indices, decoded tensors and outputs", arguments: [2, 5, 16, 300])
    func quantizedModel(k: Int) throws {
        let q = Quantization(binning: UniformBinning(values: prepared.shared.values, k: k))
        let bytes = try prepared.container(quantization: q, metadata: ContainerMetadata(sourceName: "tiny", metric: "accuracy", seed: 7))
        #expect(wsm_flatbuffers_verify(bytes, bytes.count) == 1)
        let model = try WSMModel(bytes: bytes)
        #expect(model.codebook == q.codebook)
        #expect(model.stream.bitWidth == q.bitWidth)
        #expect(model.indices() == q.indices)
        #expect(model.metadata.k == k)
        #expect(model.metadata.m == q.codebookSize)
        #expect(model.metadata.seed == 7)
        #expect(model.metadata.toolVersion == WeightShareVersion.string)
        let dequantized = q.values
        #expect(try model.decode(tensorNamed: "w1") == Array(dequantized[0..<30]))
        #expect(try model.decode(tensorNamed: "w2") == Array(dequantized[30...]))
        #expect(try model.decode(tensorNamed: "b1") == TinyMLP.b1)
        #expect(model.tensors.filter { $0.kind == .shared }.map(\.name) == ["w1", "w2"])

        let x = TinyMLP.random(5, seed: 11, scale: 1)
        let y = try model.run([x])[0]
        let expected = TinyMLP.forward(x, w1: Array(dequantized[0..<30]), w2: Array(dequantized[30...]))
        for (a, b) in zip(y, expected) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b))) }
    }

    @Test("same inputs write the same bytes")
    func deterministic() throws {
        let q = Quantization(binning: UniformBinning(values: prepared.shared.values, k: 9))
        let meta = ContainerMetadata(sourceSHA256: "ab", sourceName: "tiny", metric: "cosine", seed: 3, score: 0.5)
        let a = try prepared.container(quantization: q, metadata: meta)
        let b = try PreparedModel(lowered: TinyMLP.model()).container(quantization: q, metadata: meta)
        #expect(a == b)
    }

    @Test("every truncation and every corrupted byte is rejected")
    func rejectsDamage() throws {
        let q = Quantization(binning: UniformBinning(values: prepared.shared.values, k: 9))
        let bytes = try prepared.container(quantization: q)
        for length in 0..<bytes.count {
            #expect(throws: WSMError.self) { try WSMModel(bytes: Array(bytes[0..<length])) }
        }
        for position in stride(from: 0, to: bytes.count, by: 1) {
            var damaged = bytes
            damaged[position] ^= 0x5A
            #expect(throws: WSMError.self) { try WSMModel(bytes: damaged) }
        }
    }

    @Test("memory plan: in-place element-wise ops, no conflicts")
    func memoryPlan() {
        let plan = prepared.plan
        #expect(MemoryPlanner.conflicts(in: plan, model: prepared.lowered).isEmpty)
        #expect(plan.inPlace[4] == 3)       // relu on the gemm output
        #expect(plan.arenaBytes < plan.naiveBytes)
        #expect(plan.offsets.values.allSatisfy { $0 % MemoryPlanner.alignment == 0 })
    }
}
