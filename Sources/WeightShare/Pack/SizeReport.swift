/// Size accounting. The paper's weight compression ratio counts the shared weights only:
/// CR = 32·N / (32·M + index bits), with index bits N·⌈log2 M⌉ (fixed width) or the Huffman total.
/// Real file sizes are reported next to it and never mixed with it.
public struct SizeReport: Sendable, Equatable, Codable {
    /// Shared weights (N), uniform bins (K), codebook entries (M), bits per fixed-width index.
    public var sharedWeights: Int
    public var k: Int
    public var m: Int
    public var bitWidth: Int
    public var fixedIndexBits: Int
    public var huffmanIndexBits: Int
    public var compressionRatioFixed: Double
    public var compressionRatioHuffman: Double
    /// Codebook + packed fixed-width indices in bytes (the search's size objective).
    public var packedWeightBytes: Int
    /// The shared weights as float32.
    public var floatWeightBytes: Int

    public init(quantization q: Quantization) {
        let n = q.indices.count
        sharedWeights = n
        k = q.k
        m = q.codebookSize
        bitWidth = q.bitWidth
        fixedIndexBits = n * q.bitWidth
        huffmanIndexBits = HuffmanLengths.totalBits(frequencies: q.histogram)
        let floatBits = Double(32 * n)
        compressionRatioFixed = floatBits / Double(32 * m + fixedIndexBits)
        compressionRatioHuffman = floatBits / Double(32 * m + huffmanIndexBits)
        packedWeightBytes = Self.packedWeightBytes(n: n, m: m)
        floatWeightBytes = 4 * n
    }

    /// Codebook (float32) plus fixed-width indices, in bytes.
    public static func packedWeightBytes(n: Int, m: Int) -> Int {
        4 * m + IndexPacking.packedBytes(count: n, bitWidth: Quantization.bitWidth(forCodebookSize: m))
    }
}
