/// One point of the front as stored in pareto.json: how to rebuild it (genes, K, grouping of the non-empty
/// bins) and what it measured. Keys are stable; README documents them.
public struct Solution: Sendable, Equatable, Codable {
    public struct Measurement: Sendable, Equatable, Codable {
        /// Non-empty bins kept (codebook entries), bits per index.
        public var m: Int
        public var bitWidth: Int
        public var score: Double
        /// Float score minus this score (score units; ×100 for points).
        public var loss: Double
        public var packedWeightBytes: Int
        public var compressionRatioFixed: Double
        public var compressionRatioHuffman: Double
    }

    public var id: Int
    /// Decoded genes by name (today: "k").
    public var genes: [String: Double]
    public var k: Int
    /// Run lengths over the non-empty uniform bins (see BinGrouping); all ones before merging.
    public var grouping: [Int]
    /// Final figures (after merging, when it ran).
    public var result: Measurement
    /// Figures of the plain binning, before merging.
    public var searched: Measurement
    public var merged: Bool
    /// Order that won the merge ("left-to-right" / "centre-to-ends"), when merged.
    public var mergeOrder: String?

    public static func measure(_ q: Quantization, score: Double, floatScore: Double) -> Measurement {
        let size = SizeReport(quantization: q)
        return Measurement(m: q.codebookSize, bitWidth: q.bitWidth, score: score, loss: floatScore - score,
                           packedWeightBytes: size.packedWeightBytes,
                           compressionRatioFixed: size.compressionRatioFixed,
                           compressionRatioHuffman: size.compressionRatioHuffman)
    }

    /// Rebuilds the quantization from the shared weights.
    public func quantization(weights: SharedWeights) throws -> Quantization {
        let binning = UniformBinning(values: weights.values, k: k)
        guard grouping.reduce(0, +) == binning.nonEmptyBins.count, grouping.allSatisfy({ $0 > 0 }) else {
            throw RunError.corrupt(file: "pareto.json",
                                   reason: "solution \(id): grouping does not match K=\(k) on this model")
        }
        return Quantization(binning: binning, grouping: BinGrouping(runLengths: grouping))
    }
}

/// pareto.json: the run's front and the facts needed to read it.
public struct ParetoReport: Sendable, Equatable, Codable {
    public var toolVersion: String
    public var model: String
    public var modelSHA256: String
    public var metric: String
    public var seed: UInt64
    public var floatScore: Double
    /// Samples the scores were measured on.
    public var samples: Int
    public var sharedWeights: Int
    public var floatWeightBytes: Int
    public var onnxBytes: Int
    public var generations: Int
    public var evaluations: Int
    /// Sorted by packed weight bytes (smallest first) before merging; ids are positions.
    public var solutions: [Solution]

    /// The smallest solution whose loss is at most `maxLoss` (score units), if any.
    public func smallest(withinLoss maxLoss: Double) -> Solution? {
        solutions.filter { $0.result.loss <= maxLoss + 1e-12 }
            .min { ($0.result.packedWeightBytes, $0.id) < ($1.result.packedWeightBytes, $1.id) }
    }
}
