import WeightShareCompress
import WeightShareContainer
import WeightShareCore
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
        /// Scale values and exact outliers the encoding adds (absent in files written before they existed).
        public var scales: Int?
        public var outliers: Int?
    }

    public var id: Int
    /// Decoded genes by name (``EncodingGenes/names``; only "k" with the paper's genome).
    public var genes: [String: Double]
    public var k: Int
    /// Run lengths over the non-empty uniform bins (see BinGrouping); all ones before merging.
    public var grouping: [Int]
    /// Final figures (after merging, when it ran).
    public var result: Measurement
    /// Figures of the plain binning, before merging.
    public var searched: Measurement
    public var merged: Bool
    /// Order that won the merge ("left-to-right" / "centre-to-ends" / "weight-error"), when merged.
    public var mergeOrder: String?
    /// Merges scored (every order run, cache misses), when merged.
    public var mergeEvaluations: Int?
    /// true when the merge stopped at its evaluation cap (``SearchSettings/mergeEvaluationCap``) before it had
    /// tried everything; absent otherwise (and in files written before the cap existed).
    public var mergeStoppedAtCap: Bool?
    /// Score and loss bound on the selection split (absent without one, and in files written before it existed).
    public var selection: Assessment?

    /// A solution's score on data the search did not see, with a one-sided upper bound on its loss against the
    /// float model on the same data (``LossBound``).
    public struct Assessment: Sendable, Equatable, Codable {
        public var score: Double
        /// The bound's point estimate of the loss (score units): float score minus `score`, except for the transfer
        /// bound (its estimate over every pair of samples).
        public var loss: Double
        /// One-sided upper bound on the loss at `confidence` (score units).
        public var lossUpper: Double
        public var confidence: Double
        public var samples: Int
        /// "transfer-bootstrap" (accuracy and agreement by default, ``TransferBound``; `loss` is then its estimate),
        /// "newcombe-wilson" (accuracy), "wilson" (agreement), "bootstrap" (cosine), "failed" (non-finite outputs).
        public var method: String

        public init(score: Double, bound: LossBound) {
            self.score = score
            loss = bound.loss
            lossUpper = bound.upper
            confidence = bound.confidence
            samples = bound.samples
            method = bound.method
        }
    }

    /// `packedWeightBytes`: the search's size of `encoding` (``SearchSession/packedWeightBytes(_:)``: coded as the
    /// run's `--index-coding` says); nil: fixed width.
    public static func measure(_ encoding: WeightEncoding, score: Double, floatScore: Double,
                               packedWeightBytes: Int? = nil) -> Measurement {
        let size = SizeReport(encoding: encoding)
        let q = encoding.quantization
        return Measurement(m: q.codebookSize, bitWidth: q.bitWidth, score: score, loss: floatScore - score,
                           packedWeightBytes: packedWeightBytes ?? size.packedWeightBytes,
                           compressionRatioFixed: size.compressionRatioFixed,
                           compressionRatioHuffman: size.compressionRatioHuffman,
                           scales: size.scales, outliers: size.outliers)
    }

    /// The decoded genes (the paper's defaults for genes the run did not search).
    public var encodingGenes: EncodingGenes {
        var named = genes
        named[EncodingGenes.names.k] = Double(k)
        return EncodingGenes(named: named)
    }

    /// The binning the solution starts from and its exact outliers on the model of `encoder`, checked against the
    /// solution's grouping.
    public func binning(encoder: WeightEncoder) throws -> (binning: UniformBinning, outliers: OutlierTable) {
        let result = encoder.binning(encodingGenes)
        guard grouping.reduce(0, +) == result.binning.nonEmptyBins.count, grouping.allSatisfy({ $0 > 0 }) else {
            throw RunError.corrupt(file: "pareto.json",
                                   reason: "solution \(id): grouping does not match K=\(k) on this model")
        }
        return result
    }

    /// Rebuilds the encoding (normalisation, binning, outliers, merged groups) on the model of `encoder`.
    public func encoding(encoder: WeightEncoder) throws -> WeightEncoding {
        let (binning, outliers) = try binning(encoder: encoder)
        return encoder.encoding(encodingGenes,
                                Quantization(binning: binning, grouping: BinGrouping(runLengths: grouping)),
                                outliers: outliers)
    }

    /// The encoding as the search found it, before merging (every non-empty bin alone).
    public func searchedEncoding(encoder: WeightEncoder) throws -> WeightEncoding {
        let (binning, outliers) = try binning(encoder: encoder)
        return encoder.encoding(encodingGenes, Quantization(binning: binning, grouping: nil), outliers: outliers)
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
    /// Distinct genomes NSGA-II scored plus the merges scored: what the run cost, in evaluations.
    public var evaluations: Int
    /// Of those, the ones that ran the model on the data (genomes that encode alike share one run); counted in
    /// the process that finished the run (absent in files written before it existed).
    public var runtimeEvaluations: Int?
    /// Sorted by packed weight bytes (smallest first) before merging; ids are positions.
    public var solutions: [Solution]
    /// The data the solutions' ``Solution/selection`` scores were measured on (absent without a selection split).
    public var selection: SelectionFacts?
    /// With racing (`--racing`): candidates stopped early, and the sample runs that saved (absent without racing).
    public var racing: RacingFacts?

    public struct RacingFacts: Sendable, Equatable, Codable {
        public var rejected: Int
        public var savedSampleRuns: Int
        /// Sample runs a search without racing would have made (evaluations × samples).
        public var fullSampleRuns: Int
        public init(rejected: Int, savedSampleRuns: Int, fullSampleRuns: Int) {
            self.rejected = rejected
            self.savedSampleRuns = savedSampleRuns
            self.fullSampleRuns = fullSampleRuns
        }
    }

    /// What the selection scores of a front were measured on.
    public struct SelectionFacts: Sendable, Equatable, Codable {
        /// "split 30 % of <data>" or the --select-data file.
        public var source: String
        public var samples: Int
        public var floatScore: Double
        public var confidence: Double
        /// The loss bound of a candidate identical to the float model on these samples (score units): no
        /// tolerance below it can be shown with this confidence.
        public var resolution: Double
        public init(source: String, samples: Int, floatScore: Double, confidence: Double, resolution: Double) {
            self.source = source
            self.samples = samples
            self.floatScore = floatScore
            self.confidence = confidence
            self.resolution = resolution
        }
    }

    /// The smallest solution whose loss is at most `maxLoss` (score units), if any.
    public func smallest(withinLoss maxLoss: Double) -> Solution? {
        solutions.filter { $0.result.loss <= maxLoss + 1e-12 }
            .min { ($0.result.packedWeightBytes, $0.id) < ($1.result.packedWeightBytes, $1.id) }
    }
}
