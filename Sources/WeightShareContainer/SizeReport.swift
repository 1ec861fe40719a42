import WeightShareCompress
/// Size accounting. The paper's weight compression ratio counts the shared weights only:
/// CR = 32·N / (32·M + index bits), with index bits N·⌈log2 M⌉ (fixed width) or the Huffman total.
/// With normalisation and outliers every byte they add is counted too: CR = 32·N / (32·M + index bits +
/// 32·scales + 64·outliers) (scales: the float32 values the normalisation adds to the file — none where they are
/// multiplied into an existing epilogue vector or Gemm's alpha; an outlier is a 32-bit position and a float32
/// value, its index stays in the stream).
/// Real file sizes are reported next to it and never mixed with it.
public struct SizeReport: Sendable, Equatable, Codable {
    /// Shared weights (N), uniform bins (K), codebook entries (M), bits per fixed-width index.
    public var sharedWeights: Int
    public var k: Int
    public var m: Int
    public var bitWidth: Int
    public var fixedIndexBits: Int
    public var huffmanIndexBits: Int
    /// Scale values added by the normalisation, and exact outliers (0 in the paper's mode).
    public var scales: Int
    public var outliers: Int
    public var compressionRatioFixed: Double
    public var compressionRatioHuffman: Double
    /// Codebook + packed fixed-width indices + scales + outlier table, in bytes: the search's size objective by
    /// default (with `search --index-coding auto` it counts the indices as the file codes them:
    /// ``WeightEncoder/packedWeightBytes(_:coding:)``).
    public var packedWeightBytes: Int
    /// The shared weights as float32.
    public var floatWeightBytes: Int

    public init(quantization q: Quantization) {
        self.init(encoding: WeightEncoding(quantization: q))
    }

    public init(encoding: WeightEncoding) {
        let q = encoding.quantization
        let n = q.indices.count
        sharedWeights = n
        k = q.k
        m = q.codebookSize
        bitWidth = q.bitWidth
        scales = encoding.scaleCount
        outliers = encoding.outliers.count
        fixedIndexBits = n * q.bitWidth
        // The indices the file stores (compensated ones, once known) set the Huffman size; fixed width is the same.
        huffmanIndexBits = HuffmanLengths.totalBits(frequencies: encoding.writtenQuantization.histogram)
        let floatBits = Double(32 * n)
        let sideBits = 32 * scales + 64 * outliers
        compressionRatioFixed = floatBits / Double(32 * m + fixedIndexBits + sideBits)
        compressionRatioHuffman = floatBits / Double(32 * m + huffmanIndexBits + sideBits)
        packedWeightBytes = Self.packedWeightBytes(encoding)
        floatWeightBytes = 4 * n
    }

    /// Codebook (float32) plus fixed-width indices, in bytes.
    public static func packedWeightBytes(n: Int, m: Int) -> Int {
        4 * m + IndexPacking.packedBytes(count: n, bitWidth: Quantization.bitWidth(forCodebookSize: m))
    }

    /// Every byte of an encoding: codebook, fixed-width indices, scales (float32), outliers (position + value).
    public static func packedWeightBytes(_ encoding: WeightEncoding) -> Int {
        packedWeightBytes(n: encoding.quantization.indices.count, m: encoding.quantization.codebookSize)
            + 4 * encoding.scaleCount + 8 * encoding.outliers.count
    }
}
