import Foundation
import Testing
import WeightShare
import WeightShareReader

/// Biases and epilogue scales stored as IEEE binary16 (`ConstantPrecision.half`, feature HALF_RAW).
@Suite("binary16 biases and scales")
struct HalfConstantsTests {
    @Test("which vectors qualify: the largest magnitude a normal binary16 number, or all zeros; no NaN or infinity")
    func rule() {
        #expect(HalfValues.qualifies([0, 0, 0]))
        #expect(HalfValues.qualifies([0.25, -3, 1e-9])) // a tiny value next to larger ones: off by ≤ 2^-25
        #expect(HalfValues.qualifies([65504, -1]))
        #expect(HalfValues.qualifies([Float(Float16.leastNormalMagnitude)]))
        #expect(!HalfValues.qualifies([Float(Float16.leastNormalMagnitude) / 2])) // all subnormal: too coarse
        #expect(!HalfValues.qualifies([65520])) // rounds to infinity
        #expect(!HalfValues.qualifies([1, .nan]))
        #expect(!HalfValues.qualifies([.infinity]))
        // Round to nearest, ties to even: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10.
        #expect(HalfValues.bitPatterns([1, 1 + 0x1p-11, -2, 0.1]) == [0x3C00, 0x3C00, 0xC000, 0x2E66])
        #expect(HalfValues.rounded([0.1]) == [0.0999755859375]) // 0x2E66: 2^(11 - 15) · (1 + 614/1024)
    }

    @Test("only biases and epilogue scales of Gemm, Conv and ConvTranspose, read nowhere else")
    func slots() {
        let tiny = TinyMLP.model() // Gemm(x, w1, b1) → Relu → MatMul(·, w2) → Add(·, b2) → Softmax
        #expect(ConstantPrecision.half.halfTensors(tiny) == [2])
        #expect(ConstantPrecision.float.halfTensors(tiny).isEmpty)
        var shared = tiny // b1 also read by the Add: stays float32 (shapes do not matter here)
        shared.operations[3].inputs = [6, 2]
        #expect(ConstantPrecision.half.halfTensors(shared).isEmpty)
        var large = tiny
        large.tensors[2].constant = [Float](repeating: 70000, count: 6)
        #expect(ConstantPrecision.half.halfTensors(large).isEmpty)
    }

    @Test("LeNet with per-channel scales: the binary16 file computes bit for bit what a float32 file of the rounded values computes, and is smaller by the halves",
          arguments: [IndexCoding.fixed, .auto])
    func lenet(coding: IndexCoding) throws {
        let source = try ModelSource.load(FixturePaths.url("cnn/lenet.onnx"), inputShapes: ["input": [1, 1, 8, 8]])
        let genes = EncodingGenes(k: 6, normalization: WeightNormalization(mode: .channel))
        let floatEncoder = WeightEncoder(base: source.prepared)
        let halfEncoder = WeightEncoder(base: source.prepared.with(constants: .half))
        let encoding = floatEncoder.encode(genes)
        let floatBytes = try floatEncoder.container(encoding, coding: coding)
        let halfBytes = try halfEncoder.container(halfEncoder.encode(genes), coding: coding)

        let variant = halfEncoder.variant(encoding.normalization).prepared
        let halves = ConstantPrecision.half.halfTensors(variant.lowered)
        let halfModel = try WSMModel(bytes: halfBytes), floatModel = try WSMModel(bytes: floatBytes)
        // The bias and the per-channel scale S of both Convs and of the Gemm.
        #expect(halves.count == 6)
        #expect(halfModel.metadata.requiredFeatureNames.contains("half-raw"))
        #expect(!floatModel.metadata.requiredFeatureNames.contains("half-raw"))
        for t in halfModel.tensors where t.kind == .raw {
            #expect(t.rawPrecision == (halves.contains(t.index) ? "binary16" : "float32"), "tensor \(t.index)")
            let exact = variant.lowered.tensors[t.index].constant ?? []
            let expected = halves.contains(t.index) ? HalfValues.rounded(exact) : exact
            #expect(try halfModel.decode(t) == expected)
        }
        let halfElements = halves.reduce(0) { $0 + variant.lowered.tensors[$1].elementCount }
        #expect(floatBytes.count - halfBytes.count >= 2 * halfElements - 2 * halves.count,
                "\(floatBytes.count) → \(halfBytes.count) B for \(halfElements) values")

        // The float32 file of the rounded values: the same computation.
        var rounded = variant.lowered
        for t in halves { rounded.tensors[t].constant = HalfValues.rounded(rounded.tensors[t].constant ?? []) }
        let reference = try ContainerWriter.write(model: rounded, plan: variant.plan,
                                                  sharing: (variant.shared, encoding.writtenQuantization),
                                                  outliers: encoding.outliers, coding: coding)
        let referenceModel = try WSMModel(bytes: reference)
        let x = try #require(try NumPy.readNPZ(url: FixturePaths.url("digits_test.npz")).first { $0.name == "x" }).floats
        var changed = 0
        for sample in 0..<60 {
            let input = Array(x[(sample * 64)..<((sample + 1) * 64)])
            let a = try halfModel.run([input]), b = try referenceModel.run([input]), c = try floatModel.run([input])
            #expect(a.map { $0.map(\.bitPattern) } == b.map { $0.map(\.bitPattern) }, "sample \(sample)")
            if a != c { changed += 1 }
        }
        #expect(changed > 0, "rounding the constants must show in the outputs, or this test compares nothing")
    }
}
