/// A quantized shared-weight vector: one codebook (ascending) and one index per weight. This is what a
/// candidate solution is, what the evaluator scores and what the container stores.
public struct Quantization: Sendable, Equatable, Hashable {
    /// Shared values, ascending (M entries).
    public let codebook: [Float]
    /// Codebook index of every shared weight (< M).
    public let indices: [UInt32]
    /// Uniform bins the solution started from (K).
    public let k: Int

    public init(codebook: [Float], indices: [UInt32], k: Int) {
        self.codebook = codebook
        self.indices = indices
        self.k = k
    }

    /// Groups the binning's non-empty bins as `grouping` says; each group's value is the mean of all its members.
    public init(binning: UniformBinning, grouping: BinGrouping? = nil) {
        let nonEmpty = binning.nonEmptyBins
        let grouping = grouping ?? .identity(nonEmptyBins: nonEmpty.count)
        precondition(grouping.runLengths.reduce(0, +) == nonEmpty.count, "grouping does not match the binning")
        var groupOfBin = [UInt32](repeating: 0, count: binning.k)
        var codebook: [Float] = []
        var position = 0
        for (group, length) in grouping.runLengths.enumerated() {
            var sum = 0.0
            var count = 0
            for bin in nonEmpty[position..<(position + length)] {
                groupOfBin[bin] = UInt32(group)
                sum += binning.sums[bin]
                count += binning.counts[bin]
            }
            codebook.append(Float(sum / Double(count)))
            position += length
        }
        self.codebook = codebook
        self.indices = binning.binOfWeight.map { groupOfBin[Int($0)] }
        self.k = binning.k
    }

    /// M, the number of non-empty bins kept.
    public var codebookSize: Int { codebook.count }

    /// Bits per index with fixed-width packing: ⌈log2 M⌉, at least 1.
    public var bitWidth: Int { Self.bitWidth(forCodebookSize: codebook.count) }

    public static func bitWidth(forCodebookSize m: Int) -> Int {
        var bits = 1
        while (1 << bits) < m { bits += 1 }
        return bits
    }

    /// How often each codebook entry is used.
    public var histogram: [Int] {
        var counts = [Int](repeating: 0, count: codebook.count)
        for i in indices { counts[Int(i)] += 1 }
        return counts
    }

    /// The dequantized weights.
    public var values: [Float] { indices.map { codebook[Int($0)] } }
}
