import Foundation
import Testing
import WeightShare
import WeightShareReader

/// `compile --strip-names` (ContainerNames.interface): the file keeps only the names tools address, computes exactly
/// what the fully named file computes, and is smaller by at least the dropped names' string bytes.
@Suite("Stripped names")
struct StripNamesTests {
    @Test("LeNet with per-tensor scales: interface and scale names kept, the rest dropped; same outputs, bit for bit; smaller by the names' bytes",
          arguments: [IndexCoding.fixed, .auto])
    func interfaceNames(coding: IndexCoding) throws {
        let source = try ModelSource.load(FixturePaths.url("cnn/lenet.onnx"), inputShapes: ["input": [1, 1, 8, 8]])
        let encoder = WeightEncoder(base: source.prepared)
        let encoding = encoder.encode(EncodingGenes(k: 12, normalization: WeightNormalization(mode: .tensor),
                                                    clipLow: 0.01, clipHigh: 0.01, outlierFraction: 0.002))
        let metadata = ContainerMetadata(sourceSHA256: "ab", sourceName: "lenet.onnx", solutionJSON: "{}")
        var stripped = metadata
        stripped.names = .interface
        let fullBytes = try encoder.container(encoding, metadata: metadata, coding: coding)
        let strippedBytes = try encoder.container(encoding, metadata: stripped, coding: coding)
        let full = try WSMModel(bytes: fullBytes), small = try WSMModel(bytes: strippedBytes)

        #expect(full.tensors.count == small.tensors.count && full.operators.count == small.operators.count)
        let interface = Set((full.inputs + full.outputs).map(\.index))
        var dropped = 0, scales = 0
        for (a, b) in zip(full.tensors, small.tensors) {
            #expect(!a.name.isEmpty)
            if interface.contains(a.index) {
                #expect(b.name == a.name)
            } else if a.name.hasSuffix(".weight_scale") {
                #expect(b.name == ".weight_scale") // the suffix reports count scales by, stored once
                scales += 1
                dropped += a.name.utf8.count - ".weight_scale".utf8.count
            } else {
                #expect(b.name.isEmpty, "tensor \(a.index) \(a.name)")
                dropped += 4 + a.name.utf8.count + 1 // a FlatBuffers string: length, bytes, NUL
            }
            #expect(a.shape == b.shape && a.kind == b.kind)
        }
        #expect(scales == 2, "LeNet's two Convs take a per-tensor scale tensor (its Gemm takes the scale in alpha)")
        for (a, b) in zip(full.operators, small.operators) {
            #expect(!a.name.isEmpty && b.name.isEmpty)
            #expect(a.opcode == b.opcode && a.inputs == b.inputs && a.outputs == b.outputs)
            dropped += 4 + a.name.utf8.count + 1
        }
        #expect(fullBytes.count - strippedBytes.count >= dropped, "\(fullBytes.count) → \(strippedBytes.count)")
        #expect(full.storedWeightBytes(scales: encoding.scaleCount) == small.storedWeightBytes(scales: encoding.scaleCount))

        // The same computation: 16 inputs, outputs identical bit for bit.
        var state: UInt32 = 12345
        let inputs: [[Float]] = (0..<16).map { _ in
            (0..<64).map { _ in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(state >> 8) / Float(1 << 24) * 16
            }
        }
        for x in inputs {
            let a = try InferenceSession(model: full).run([x]), b = try InferenceSession(model: small).run([x])
            #expect(a.map { $0.map(\.bitPattern) } == b.map { $0.map(\.bitPattern) })
        }
    }
}
