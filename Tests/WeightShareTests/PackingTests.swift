import Testing
import WeightShare

@Suite("Index packing")
struct PackingTests {
    /// Deterministic pseudo-random indices (an LCG keeps the test independent of the library's RNG).
    static func indices(count: Int, bitWidth: Int, seed: UInt64) -> [UInt32] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt32(truncatingIfNeeded: state >> 33) & UInt32((1 << bitWidth) - 1)
        }
    }

    @Test("round trip for every width 1...16 and odd lengths", arguments: 1...16)
    func roundTrip(bitWidth: Int) {
        for count in [0, 1, 3, 7, 33, 1001] {
            let values = Self.indices(count: count, bitWidth: bitWidth, seed: UInt64(31 * bitWidth + count))
            let packed = IndexPacking.pack(values, bitWidth: bitWidth)
            #expect(packed.count == (count * bitWidth + 7) / 8 + IndexPacking.padding)
            #expect(packed.suffix(IndexPacking.padding).allSatisfy { $0 == 0 })
            #expect(IndexPacking.unpack(packed, count: count, bitWidth: bitWidth) == values)
        }
    }

    @Test("bit order is LSB-first as DESIGN.md fixes it")
    func handPackedBytes() {
        // 3-bit indices 1,2,3,4 → bits (LSB first) 100 010 110 001 → byte0 = 0b11_010_001, byte1 = 0b0000_1000.
        #expect(IndexPacking.pack([1, 2, 3, 4], bitWidth: 3) == [0xD1, 0x08, 0, 0, 0, 0])
        // 16-bit indices are little-endian halfwords.
        #expect(IndexPacking.pack([0x1234, 0xBEEF], bitWidth: 16) == [0x34, 0x12, 0xEF, 0xBE, 0, 0, 0, 0])
        // 1-bit: element i is bit i.
        #expect(IndexPacking.pack([1, 0, 0, 0, 0, 0, 0, 1, 1], bitWidth: 1) == [0x81, 0x01, 0, 0, 0, 0])
    }
}

@Suite("Huffman lengths")
struct HuffmanTests {
    @Test("textbook example")
    func textbook() {
        // CLRS's example: f:45 e:16 d:13 c:12 b:9 a:5 → lengths 1,3,3,3,4,4 and 224 bits.
        let frequencies = [5, 9, 12, 13, 16, 45]
        #expect(HuffmanLengths.lengths(frequencies: frequencies) == [4, 4, 3, 3, 3, 1])
        #expect(HuffmanLengths.totalBits(frequencies: frequencies) == 224)
    }

    @Test("length limit keeps Kraft's inequality")
    func limited() {
        var fib = [1, 1]
        while fib.count < 24 { fib.append(fib[fib.count - 1] + fib[fib.count - 2]) }
        let lengths = HuffmanLengths.lengths(frequencies: fib, limit: 8)
        #expect(lengths.max() == 8)
        #expect(lengths.reduce(0.0) { $0 + 1 / Double(1 << $1) } <= 1.0)
        let unlimited = HuffmanLengths.lengths(frequencies: fib, limit: 30)
        #expect(unlimited.max()! > 8)
    }

    @Test("unused symbols get no code; one symbol gets one bit")
    func edgeCases() {
        #expect(HuffmanLengths.lengths(frequencies: [0, 7, 0]) == [0, 1, 0])
        #expect(HuffmanLengths.lengths(frequencies: [3, 0, 3]) == [1, 0, 1])
        #expect(HuffmanLengths.totalBits(frequencies: []) == 0)
    }
}

@Suite("Size accounting")
struct SizeReportTests {
    @Test("the paper's CR formula, by hand")
    func compressionRatio() {
        // N = 17,024 (the digits MLP), M = 8 → 3-bit indices: 32·N / (32·8 + 3·N) = 544,768 / 51,328.
        let n = 17_024
        let q = Quantization(codebook: (0..<8).map(Float.init), indices: (0..<n).map { UInt32($0 % 8) }, k: 20)
        let report = SizeReport(quantization: q)
        #expect(report.bitWidth == 3)
        #expect(report.fixedIndexBits == 3 * n)
        #expect(abs(report.compressionRatioFixed - 544_768.0 / 51_328.0) < 1e-12)
        // Uniform use of 8 symbols: Huffman cannot beat 3 bits.
        #expect(report.huffmanIndexBits == 3 * n)
        #expect(report.packedWeightBytes == 32 + (3 * n + 7) / 8)
        #expect(report.floatWeightBytes == 4 * n)
    }

    @Test("bit width is ⌈log2 M⌉, at least 1")
    func bitWidths() {
        #expect([1, 2, 3, 4, 5, 8, 9, 16, 17, 1024, 1025].map(Quantization.bitWidth(forCodebookSize:))
            == [1, 1, 2, 2, 3, 3, 4, 4, 5, 10, 11])
    }
}
