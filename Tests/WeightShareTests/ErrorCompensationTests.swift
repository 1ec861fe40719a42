import Foundation
import Testing
import WeightShareReader
import WeightShare
@testable import WeightShareCompress
@testable import WeightShareContainer
@testable import WeightShareEvaluate
@testable import WeightShareSearch

@Suite("Error compensation", .serialized)
struct ErrorCompensationTests {
    /// Σ over vectors of ((w − q)·x)²: the output error of one row.
    private static func outputError(_ w: [Double], _ q: [Double], vectors: [[Double]]) -> Double {
        vectors.reduce(0) { acc, x in
            let e = zip(zip(w, q), x).reduce(0.0) { $0 + ($1.0.0 - $1.0.1) * $1.1 }
            return acc + e * e
        }
    }

    @Test("factor: UᵀU is the inverse of H with 1 % of its mean diagonal added, by hand (2 × 2)")
    func factor() throws {
        let h: [Double] = [4, 2, 2, 3]
        let factor = try #require(CompensationFactor(gram: h, width: 2))
        let damp = 0.01 * 3.5
        let (a, b, d) = (4 + damp, 2.0, 3 + damp)
        let det = a * d - b * b
        let inverse = [d / det, -b / det, -b / det, a / det]
        let u = factor.upper
        #expect(u[2] == 0)
        let utu = [u[0] * u[0], u[0] * u[1], u[1] * u[0], u[1] * u[1] + u[3] * u[3]]
        for i in 0..<4 { #expect(abs(utu[i] - inverse[i]) < 1e-12, "element \(i)") }
    }

    @Test("many rows at once (C, column blocks through dgemm, split over the cores) give each row's own sweep's indices")
    func rowsAtOnce() throws {
        var generator = SplitMix64(seed: 7)
        func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) * 2 - 1 }
        let d = 150, rows = 75 // three column blocks: the later columns take their errors through dgemm
        // H = Σ x xᵀ over random vectors: positive definite.
        var h = [Double](repeating: 0, count: d * d)
        for _ in 0..<60 {
            let x = (0..<d).map { _ in uniform() }
            for i in 0..<d { for j in 0..<d { h[i * d + j] += x[i] * x[j] } }
        }
        let factor = try #require(CompensationFactor(gram: h, width: d))
        let codebook: [Float] = [-0.9, -0.5, -0.2, -0.05, 0, 0.1, 0.3, 0.7]
        var targets = [Double](repeating: 0, count: d * rows), fixed = [UInt8](repeating: 0, count: d * rows)
        var fixedValues = [Float](repeating: 0, count: d * rows), indices = [UInt32](repeating: 0, count: d * rows)
        var expected: [[UInt32]] = []
        for r in 0..<rows {
            let row = (0..<d).map { _ in uniform() }
            var exact: [Int: Float] = [:]
            if r % 3 == 0 { exact[(r * 5) % d] = 0.123 }
            let fallback = (0..<d).map { UInt32(($0 + r) % codebook.count) }
            expected.append(factor.assign(row: row, codebook: codebook, fixed: exact, fallback: fallback))
            for j in 0..<d {
                targets[j * rows + r] = row[j]
                indices[j * rows + r] = fallback[j]
                if let v = exact[j] { fixed[j * rows + r] = 1; fixedValues[j * rows + r] = v }
            }
        }
        let original = targets
        factor.assign(rows: rows, targets: &targets, codebook: codebook, fixed: fixed, fixedValues: fixedValues,
                      indices: &indices)
        for r in 0..<rows {
            #expect((0..<d).map { indices[$0 * rows + r] } == expected[r], "row \(r)")
        }
        // The sweep moved later columns: some weights do not get their own nearest value (else the check is empty).
        let moved = (0..<(d * rows)).count { fixed[$0] == 0
            && indices[$0] != UInt32(CompensationFactor.nearest(original[$0], in: codebook)) }
        #expect(moved > 0)
    }

    @Test("factor: an input that is zero on every sample is decoupled; a non-finite H has no factor")
    func deadInput() throws {
        let factor = try #require(CompensationFactor(gram: [2, 0, 0, 0], width: 2))
        #expect(factor.upper[1] == 0)
        #expect(CompensationFactor(gram: [.nan, 0, 0, 1], width: 2) == nil)
    }

    /// Inputs (1, 1), (1, 0.9), (0.9, 1): the two columns see almost the same input. w = (0.4, 0.4) with codebook
    /// {0, 1}: nearest values give (0, 0), an output error of 0.16·Σ(x1 + x2)² = 1.795; compensation carries the
    /// first column's error into the second, which becomes 0.79 → 1: error 0.1172, the best of the 4 assignments.
    @Test("assign: correlated inputs — the second weight takes up the first one's error (hand example)")
    func correlatedInputs() throws {
        let vectors: [[Double]] = [[1, 1], [1, 0.9], [0.9, 1]]
        var h = [Double](repeating: 0, count: 4)
        for x in vectors { for i in 0..<2 { for j in 0..<2 { h[i * 2 + j] += x[i] * x[j] } } }
        let factor = try #require(CompensationFactor(gram: h, width: 2))
        let w: [Double] = [0.4, 0.4]
        let indices = factor.assign(row: w, codebook: [0, 1], fixed: [:], fallback: [0, 0])
        #expect(indices == [0, 1])
        let compensated = Self.outputError(w, indices.map { Double($0) }, vectors: vectors)
        let nearest = Self.outputError(w, [0, 0], vectors: vectors)
        #expect(abs(nearest - 1.7952) < 1e-9 && abs(compensated - 0.1172) < 1e-9)
        let best = [[0.0, 0], [0, 1], [1, 0], [1, 1]].map { Self.outputError(w, $0, vectors: vectors) }.min()!
        #expect(compensated == best)

        // An exact outlier in the first column: no error to carry, its index stays the fallback.
        let pinned = factor.assign(row: w, codebook: [0, 1], fixed: [0: 0.4], fallback: [7, 7])
        #expect(pinned == [7, 0])
    }

    @Test("nearest codebook value: ends, midpoints (ties go down), exact hits")
    func nearest() {
        let codebook: [Float] = [-1, 0, 0.5]
        #expect([-3, -0.5, -0.4, 0.25, 0.3, 0.5, 9].map { CompensationFactor.nearest($0, in: codebook) }
                == [0, 0, 1, 1, 2, 2, 2])
    }

    /// x = [[1, 2], [3, 4]], a 3 × 3 kernel with padding 1: 4 patches of 9 taps (row-major taps).
    @Test("conv Gram matrix: padded 3 × 3 patches and grouped 1 × 1 inputs, by hand")
    func convGram() {
        let padded = CompensationLayer(operation: 0, name: "conv", input: 0, weight: 1,
                                       geometry: .conv(input: [1, 1, 2, 2], output: [1, 1, 2, 2], group: 1,
                                                       kernel: [3, 3], strides: [1, 1], dilations: [1, 1],
                                                       pads: [1, 1, 1, 1]))
        var gram = [[Double](repeating: 0, count: 81)]
        [Float(1), 2, 3, 4].withUnsafeBufferPointer { padded.accumulate($0, into: &gram) }
        let h = padded.symmetrised(gram[0])
        #expect(h[4 * 9 + 4] == 30)  // centre tap: every pixel once, 1 + 4 + 9 + 16
        #expect(h[0] == 1)           // top-left tap: inside only for the bottom-right output, x00
        #expect(h[0 * 9 + 4] == 4)   // top-left · centre at that output: x00 · x11
        #expect(h[8 * 9 + 4] == 4)   // bottom-right · centre at the top-left output (lower triangle, mirrored)
        #expect(h[1 * 9 + 4] == 11)  // top-middle · centre: bottom row outputs, 1·3 + 2·4

        let grouped = CompensationLayer(operation: 0, name: "dw", input: 0, weight: 1,
                                        geometry: .conv(input: [1, 2, 2, 2], output: [1, 2, 2, 2], group: 2,
                                                        kernel: [1, 1], strides: [1, 1], dilations: [1, 1],
                                                        pads: [0, 0, 0, 0]))
        var sums = [[0.0], [0.0]]
        [Float(1), 2, 3, 4, 5, 6, 7, 8].withUnsafeBufferPointer { grouped.accumulate($0, into: &sums) }
        #expect(sums == [[30], [174]])
        #expect(grouped.width == 1 && grouped.groups == 2 && grouped.rowCount == 2)
    }

    @Test("rows geometry: weight elements for B and Bᵀ, and a transposed A read by columns")
    func rowsGeometry() {
        let plain = CompensationLayer(operation: 0, name: "g", input: 0, weight: 1,
                                      geometry: .rows(vectors: 1, k: 3, n: 4, transposedInput: false,
                                                      transposedWeight: false))
        let transposed = CompensationLayer(operation: 0, name: "g", input: 0, weight: 1,
                                           geometry: .rows(vectors: 2, k: 3, n: 4, transposedInput: true,
                                                           transposedWeight: true))
        #expect(plain.element(row: 1, column: 2) == 9)       // B [3, 4]: k·N + n
        #expect(transposed.element(row: 1, column: 2) == 5)  // Bᵀ [4, 3]: n·K + k
        // A [3, 2] transposed: the vectors are its columns (1, 3, 5) and (2, 4, 6).
        var gram = [[Double](repeating: 0, count: 9)]
        [Float(1), 2, 3, 4, 5, 6].withUnsafeBufferPointer { transposed.accumulate($0, into: &gram) }
        #expect(gram[0][0] == 5 && gram[0][1] == 11 && gram[0][5] == 39 && gram[0][3] == 0)
    }

    @Test("layers: both Gemms and the MatMul of the hand model, every Conv and the Gemm of the folded ResNet")
    func layers() throws {
        let hand = PreparedModel(lowered: BiasCorrectionTests.twoLayerModel())
        let found = CompensationLayer.layers(in: hand.lowered, shared: hand.shared)
        #expect(found.map(\.operation) == [0, 2, 3])
        #expect(found.map(\.width) == [3, 2, 2] && found.map(\.rowCount) == [2, 2, 2])

        let source = try ModelSource.load(FixturePaths.url("folded/resnet_folded.onnx"),
                                          inputShapes: ["input": [1, 1, 8, 8]])
        let layers = CompensationLayer.layers(in: source.lowered, shared: source.prepared.shared)
        #expect(layers.count == FixturePaths.convAndGemmCount(source.lowered) && layers.count == 6)
        #expect(layers.map(\.width) == [9, 144, 144, 144, 144, 16])
    }

    @Test("no calibration samples: a compensated container is refused with a named error")
    func needsCalibration() throws {
        let encoder = WeightEncoder(base: PreparedModel(lowered: BiasCorrectionTests.twoLayerModel()))
        let encoding = encoder.encode(EncodingGenes(k: 3, errorCompensation: true))
        #expect(throws: CalibrationError.noCalibration(step: "error compensation")) { try encoder.container(encoding) }
    }

    @Test("Gram matrices do not depend on the number of workers")
    func workerIndependent() throws {
        let source = try ModelSource.load(FixturePaths.url("folded/resnet_folded.onnx"),
                                          inputShapes: ["input": [1, 1, 8, 8]])
        let samples = try SampleSet.load(FixturePaths.url("digits_val.npz"), for: source.lowered, limit: 50)
        let float = try source.prepared.container(quantization: nil)
        let layer = CompensationLayer.layers(in: source.lowered, shared: source.prepared.shared)[2]
        func grams(workers: Int) throws -> [[Double]] {
            let run = try LayerwiseRun(bytes: float, samples: samples, workers: workers)
            try run.run(to: layer.operation, kernels: .reference)
            return run.grams(layer)
        }
        let one = try grams(workers: 1), three = try grams(workers: 3)
        #expect(one == three)
        #expect(one[0][0] > 0)
    }

    /// The folded ResNet at K=4 (2-bit indices), per-channel max-abs scales, clip 0.5 % each side, refit and
    /// bias-corrected: the C runtime's agreement with the float model on the validation split, with and without
    /// compensation. Nearest values lose more than 3 points; compensation must win back more than 1.5.
    @Test("folded ResNet at 2 bits: compensation keeps the codebook and the bytes, and recovers agreement")
    func foldedResNet() throws {
        let (_, _, encoder, evaluator) = try FixturePaths.calibratedFoldedResNet(metric: .agreement)
        var genes = EncodingGenes(k: 4, normalization: WeightNormalization(mode: .channel), clipLow: 0.005,
                                  clipHigh: 0.005, scaleRefit: true, biasCorrection: true)
        let plain = encoder.encode(genes)
        genes.errorCompensation = true
        let compensated = encoder.encode(genes)
        #expect(compensated.quantization == plain.quantization) // the compensated indices come with the file

        let indices = try encoder.calibration!.compensatedIndices(
            for: compensated, model: encoder.variant(compensated.normalization).prepared)
        let changed = zip(indices, plain.quantization.indices).filter { $0 != $1 }.count
        #expect(changed > 100, "\(changed) indices changed")
        #expect(indices.allSatisfy { Int($0) < plain.quantization.codebookSize })

        let lossPlain = evaluator.floatScore - (try evaluator.score(plain))
        let lossCompensated = evaluator.floatScore - (try evaluator.score(compensated))
        #expect(lossPlain > 0.03, "nearest-value loss \(lossPlain)")
        #expect(lossCompensated < lossPlain - 0.015, "compensated loss \(lossCompensated) vs \(lossPlain)")

        let bytes = try encoder.container(compensated)
        #expect(bytes.count == (try encoder.container(plain)).count)
        let model = try WSMModel(bytes: bytes)
        #expect(model.codebook == plain.quantization.codebook && model.indices() == indices)
    }
}
