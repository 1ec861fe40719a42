import Foundation
import Testing
import WeightShare
import WeightShareBoards

/// Issue 17: data checked against the input's shape, firmware timing lines, time estimates, the report's MACs.
@Suite("Ergonomics")
struct ErgonomicsTests {
    /// NumPy's `x.transpose(axes)` of a row-major array, written out independently of the code under test.
    static func transpose(_ values: [Float], shape: [Int], axes: [Int]) -> (values: [Float], shape: [Int]) {
        let outShape = axes.map { shape[$0] }
        var strides = [Int](repeating: 1, count: shape.count)
        for i in stride(from: shape.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        var out = [Float]()
        var index = [Int](repeating: 0, count: outShape.count)
        for _ in 0..<values.count {
            out.append(values[zip(axes, index).reduce(0) { $0 + strides[$1.0] * $1.1 }])
            var d = outShape.count - 1
            while d >= 0 { index[d] += 1; if index[d] < outShape[d] { break }; index[d] = 0; d -= 1 }
        }
        return (out, outShape)
    }

    @Test("a sample has the input's shape, it without leading 1s, or is flat")
    func acceptedShapes() throws {
        for got in [[1, 1, 8, 8], [1, 8, 8], [8, 8], [64], [1, 1, 1, 8, 8]] {
            try SampleShape.check(input: "input", expected: [1, 1, 8, 8], got: got)
        }
        try SampleShape.check(input: "x", expected: [1, 64], got: [64])
        #expect(SampleShape.acceptedShapes([1, 1, 8, 8]) == [[1, 1, 8, 8], [1, 8, 8], [8, 8], [64]])
        #expect(throws: EvaluationError.sampleShape(input: "input", expected: [1, 1, 8, 8], got: [2, 32], array: "x")) {
            try SampleShape.check(input: "input", expected: [1, 1, 8, 8], got: [2, 32], array: "x")
        }
        #expect(throws: EvaluationError.sampleShape(input: "input", expected: [1, 1, 8, 8], got: [63], array: nil)) {
            try SampleShape.check(input: "input", expected: [1, 1, 8, 8], got: [63])
        }
        let message = "\(EvaluationError.sampleShape(input: "input", expected: [1, 1, 8, 8], got: [2, 32], array: "x"))"
        #expect(message.contains("[1, 1, 8, 8], [1, 8, 8], [8, 8], [64]"), "\(message)")
    }

    @Test("NHWC data for an NCHW input is refused naming the layout; the transpose it gives restores the input's order")
    func layoutMixUp() throws {
        // Three channels: an image [3, 4, 5] stored channels-last [4, 5, 3].
        let n = 2, nchw = [n, 3, 4, 5]
        let original = (0..<(3 * 4 * 5 * n)).map(Float.init)
        let nhwc = Self.transpose(original, shape: nchw, axes: [0, 2, 3, 1])
        #expect(nhwc.shape == [n, 4, 5, 3])
        do {
            try SampleShape.check(input: "images", expected: [1, 3, 4, 5], got: Array(nhwc.shape.dropFirst()), array: "x")
            Issue.record("accepted a permuted shape")
        } catch let error as SampleShapeError {
            guard case let .permuted(_, _, _, _, layout, axes) = error else { return }
            #expect(layout == "channels-last (NHWC) data for a channels-first (NCHW) input")
            #expect(axes == [0, 3, 1, 2])
            let back = Self.transpose(nhwc.values, shape: nhwc.shape, axes: axes)
            #expect(back.values == original && back.shape == nchw)
            #expect("\(error)".contains("x = x.transpose(0, 3, 1, 2)"), "\(error)")
        }
        // The other way round: an NHWC model fed NCHW data.
        #expect(throws: SampleShapeError.permuted(input: "in", expected: [1, 4, 5, 3], got: [1, 3, 4, 5], array: nil,
                                                  layout: "channels-first (NCHW) data for a channels-last (NHWC) input",
                                                  axes: [0, 1, 3, 4, 2])) {
            try SampleShape.check(input: "in", expected: [1, 4, 5, 3], got: [1, 3, 4, 5])
        }
        // Neither layout: named as another order.
        #expect(throws: SampleShapeError.permuted(input: "t", expected: [1, 6, 7], got: [7, 6], array: nil,
                                                  layout: "the same dimensions in another order", axes: [0, 2, 1])) {
            try SampleShape.check(input: "t", expected: [1, 6, 7], got: [7, 6])
        }
    }

    @Test("SampleSet.load checks a .npz against a CNN's [1, 1, 8, 8] input: flat and exact accepted, NHWC and [n, 2, 32] refused")
    func sampleSetShapes() throws {
        let root = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let source = try ModelSource.load(FixturePaths.url("cnn/lenet.onnx"), inputShapes: ["input": [1, 1, 8, 8]])
        let values = (0..<(4 * 64)).map { Float($0 % 17) }
        func load(_ shape: [Int]) throws -> SampleSet {
            let url = root.appendingPathComponent("x\(shape.map(String.init).joined(separator: "_")).npz")
            try NumPy.writeNPZ([NumPyArray(name: "x", shape: shape, floats: values)], to: url)
            return try SampleSet.load(url, for: source.lowered, labels: false)
        }
        for shape in [[4, 64], [4, 1, 1, 8, 8], [4, 1, 8, 8], [4, 8, 8]] {
            let set = try load(shape)
            #expect(set.count == 4 && set.values == values)
        }
        #expect(throws: SampleShapeError.self) { try load([4, 8, 8, 1]) }
        #expect(throws: EvaluationError.self) { try load([4, 2, 32]) }
    }

    @Test("firmware output: 'cycles=' (TIMING=dwt) and 'ticks=' samples, and 'ops <k>' lines, are parsed; malformed ones refused")
    func firmwareLines() throws {
        let text = """
        ws-firmware nucleo-f746zg model=8824 arena=768 timing=dwt
        sample 0 cycles=912345 top1=7 expected=7 out=3f800000,00000000
        sample 1 cycles=912301 top1=0 expected=0 out=00000000,3f800000
        ops 0 cycles=52
        ops 1 cycles=400052
        ops 2 cycles=912345
        result ok samples=2 mismatches=0
        """
        let samples = try QEMURunner.parse(text)
        #expect(samples.map(\.cycles) == [912_345, 912_301] && samples.allSatisfy { $0.ticks == nil })
        #expect(samples[0].outputs == [1, 0])
        let ops = try QEMURunner.parseOperators(text)
        #expect(ops.map(\.cycles) == [52, 400_052, 912_345] && ops.allSatisfy { $0.ticks == nil })
        let perOp = OperatorTiming.perOperator(cumulative: ops.compactMap(\.cycles))
        #expect(perOp.overhead == 52 && perOp.operators == [400_000, 512_293])
        // Quantised counts may go backwards by a tick: clamped to 0, not wrapped.
        #expect(OperatorTiming.perOperator(cumulative: [40, 40, 0]).operators == [0, 0])
        let systick = try QEMURunner.parse("sample 0 ticks=25 top1=0 expected=0 out=3f800000")
        #expect(systick[0].ticks == 25 && systick[0].cycles == nil)
        #expect(throws: BoardError.self) { try QEMURunner.parse("sample 0 ticks=1 cycles=2 top1=0 expected=0 out=0") }
        #expect(throws: BoardError.self) { try QEMURunner.parse("sample 0 top1=0 expected=0 out=0") }
        #expect(throws: BoardError.self) { try QEMURunner.parseOperators("ops 1 ticks=5") }
        #expect(throws: BoardError.self) { try QEMURunner.parseOperators("ops 0 instr=5") }
    }

    @Test("time estimate: 1 cycle per instruction at the board's clock, and it says so")
    func timeEstimate() throws {
        let e = try #require(FirmwareTiming.estimate(instructions: [25_000_000, 12_500_000], clockHz: 25_000_000))
        #expect(e.cyclesPerInference == [25_000_000, 12_500_000])
        #expect(e.millisecondsPerInference == [1000, 500] && e.meanMilliseconds == 750 && e.meanCycles == 18_750_000)
        #expect(e.method.contains("1 per instruction") && e.method.contains("TIMING=dwt"))
        #expect(FirmwareTiming.estimate(instructions: [1], clockHz: nil) == nil)
    }

    @Test("MACs from shapes: Conv, ConvTranspose, Gemm, MatMul, LSTM; element-wise ops none")
    func macs() {
        // Conv 3→8 channels, 3×3 kernel, 16×16 output: 8·16·16 outputs × 3·3·3 products.
        #expect(LayerReport.macs(opcode: "Conv", inputs: [[1, 3, 16, 16], [8, 3, 3, 3], [8]], outputs: [[1, 8, 16, 16]])
                == 8 * 16 * 16 * 27)
        // Depthwise (groups 8): W [8, 1, 3, 3].
        #expect(LayerReport.macs(opcode: "Conv", inputs: [[1, 8, 16, 16], [8, 1, 3, 3]], outputs: [[1, 8, 16, 16]])
                == 8 * 16 * 16 * 9)
        // ConvTranspose 4→2 channels, 2×2 kernel, stride 2 on 3×3: every input element × 2·2·2.
        #expect(LayerReport.macs(opcode: "ConvTranspose", inputs: [[1, 4, 3, 3], [4, 2, 2, 2]], outputs: [[1, 2, 6, 6]])
                == 36 * 8)
        // Gemm [1, 64]·[128, 64]ᵀ and [1, 64]·[64, 128].
        #expect(LayerReport.macs(opcode: "Gemm", inputs: [[1, 64], [128, 64], [128]], outputs: [[1, 128]]) == 8192)
        #expect(LayerReport.macs(opcode: "Gemm", inputs: [[1, 64], [64, 128]], outputs: [[1, 128]]) == 8192)
        // Batched MatMul [2, 5, 8]·[8, 3].
        #expect(LayerReport.macs(opcode: "MatMul", inputs: [[2, 5, 8], [8, 3]], outputs: [[2, 5, 3]]) == 2 * 5 * 3 * 8)
        // LSTM T=6, B=1, I=4, H=5: per step 4H·I + 4H·H.
        #expect(LayerReport.macs(opcode: "Lstm", inputs: [[6, 1, 4], [1, 20, 4], [1, 20, 5]], outputs: [[1, 1, 5]])
                == 6 * (80 + 100))
        #expect(LayerReport.macs(opcode: "Relu", inputs: [[1, 64]], outputs: [[1, 64]]) == 0)
    }
}
