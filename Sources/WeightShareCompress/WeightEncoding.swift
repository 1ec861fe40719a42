/// Everything a search candidate decides about the shared weights, beyond the paper's K: the scale mode, the clip
/// range of the binning (as quantiles of the normalised vector), the outlier budget, the scale refit, error
/// compensation and bias correction.
public struct EncodingGenes: Sendable, Hashable, Codable {
    public var k: Int
    public var normalization: WeightNormalization
    /// Fractions of the normalised values cut off below and above the binning range (0 = the paper's min/max).
    public var clipLow: Double
    public var clipHigh: Double
    /// Largest fraction of all shared weights kept exactly (only values outside the clip range qualify).
    public var outlierFraction: Double
    /// Whether the scales are refit to the shared values (``WeightNormalization/refitScales(_:weights:shared:)``).
    public var scaleRefit: Bool
    /// Whether the indices are assigned with error compensation (``CompensationLayer``).
    public var errorCompensation: Bool
    /// Whether the layers' biases are corrected for the mean shift sharing causes (``BiasCorrectionSite``).
    public var biasCorrection: Bool

    public init(k: Int, normalization: WeightNormalization = .none, clipLow: Double = 0, clipHigh: Double = 0,
                outlierFraction: Double = 0, scaleRefit: Bool = false, errorCompensation: Bool = false,
                biasCorrection: Bool = false) {
        self.k = k
        self.normalization = normalization
        self.clipLow = clipLow
        self.clipHigh = clipHigh
        self.outlierFraction = outlierFraction
        // Without scales there is nothing to refit: one genome for one encoding.
        self.scaleRefit = scaleRefit && normalization.mode != .none
        self.errorCompensation = errorCompensation
        self.biasCorrection = biasCorrection
    }

    /// Gene names as stored in pareto.json (see ``GenomeKind``). Clip genes count tenths of a percent of the
    /// normalised values, the outlier gene hundredths of a percent of N: whole numbers, so that the paper's 0 is
    /// a value the search draws and equal settings are one genome.
    public static let names = (k: "k", scaleMode: "scale_mode", scaleStatistic: "scale_stat",
                               clipLow: "clip_low_permille", clipHigh: "clip_high_permille",
                               outliers: "outliers_per_10k", scaleRefit: "scale_refit",
                               errorCompensation: "error_compensation", biasCorrection: "bias_correction")

    /// From decoded genes by name; genes a genome does not have keep the paper's values (the K-only genome).
    /// Genes read back from a file are clamped to what an encoding can be (K in 1...``UniformBinning/maximumK``,
    /// fractions in [0, 1], a non-finite gene as if absent), so a damaged value never traps.
    public init(named genes: [String: Double]) {
        let n = Self.names
        func gene(_ name: String, _ absent: Double, _ range: ClosedRange<Double>) -> Double {
            guard let value = genes[name], value.isFinite else { return absent }
            return Swift.min(Swift.max(value, range.lowerBound), range.upperBound)
        }
        func choice<T: CaseIterable>(_ name: String, _: T.Type) -> T {
            let all = Array(T.allCases)
            return all[Int(gene(name, 0, 0...Double(all.count - 1)))]
        }
        self.init(k: Int(gene(n.k, 2, 1...Double(UniformBinning.maximumK))),
                  normalization: WeightNormalization(mode: choice(n.scaleMode, ScaleMode.self),
                                                     statistic: choice(n.scaleStatistic, ScaleStatistic.self)),
                  clipLow: gene(n.clipLow, 0, 0...1000) / 1000, clipHigh: gene(n.clipHigh, 0, 0...1000) / 1000,
                  outlierFraction: gene(n.outliers, 0, 0...10_000) / 10_000,
                  scaleRefit: (genes[n.scaleRefit] ?? 0) >= 1,
                  errorCompensation: (genes[n.errorCompensation] ?? 0) >= 1,
                  biasCorrection: (genes[n.biasCorrection] ?? 0) >= 1)
    }
}

/// Exact values of a few shared weights, by position in the shared vector (ascending), in the normalised domain
/// (an epilogue scale still applies to them).
public struct OutlierTable: Sendable, Hashable {
    public var positions: [Int]
    public var values: [Float]

    public init(positions: [Int] = [], values: [Float] = []) {
        self.positions = positions
        self.values = values
    }

    public var count: Int { positions.count }
}

/// A candidate's shared weights as the container stores them: which normalisation, the one codebook with its
/// indices over the normalised values, the exact outliers, whether the scales are refit to the shared values,
/// whether the indices are reassigned with error compensation, and whether the biases are corrected (compensated
/// indices and bias offsets are measured when the container is written: ``WeightEncoder/container(_:metadata:)``).
public struct WeightEncoding: Sendable, Hashable {
    public var normalization: WeightNormalization
    public var quantization: Quantization
    public var outliers: OutlierTable
    /// Scale values the normalisation adds to the model (counted in the size).
    public var scaleCount: Int
    public var scaleRefit: Bool
    public var errorCompensation: Bool
    /// The indices error compensation chose (set when the container is written); `quantization` keeps the
    /// nearest-bin indices the scale refit is measured on.
    public var compensatedIndices: [UInt32]?
    public var biasCorrection: Bool

    public init(normalization: WeightNormalization = .none, quantization: Quantization,
                outliers: OutlierTable = OutlierTable(), scaleCount: Int = 0, scaleRefit: Bool = false,
                errorCompensation: Bool = false, biasCorrection: Bool = false) {
        self.normalization = normalization
        self.quantization = quantization
        self.outliers = outliers
        self.scaleCount = scaleCount
        self.scaleRefit = scaleRefit
        self.errorCompensation = errorCompensation
        self.biasCorrection = biasCorrection
    }

    /// Hashes the arrays as raw bytes, one pass each (element by element, a real model's millions of indices made
    /// every dictionary lookup cost milliseconds); equality still compares every field.
    public func hash(into hasher: inout Hasher) {
        quantization.indices.withUnsafeBytes { hasher.combine(bytes: $0) }
        quantization.codebook.withUnsafeBytes { hasher.combine(bytes: $0) }
        outliers.positions.withUnsafeBytes { hasher.combine(bytes: $0) }
        outliers.values.withUnsafeBytes { hasher.combine(bytes: $0) }
        hasher.combine(compensatedIndices != nil)
        compensatedIndices?.withUnsafeBytes { hasher.combine(bytes: $0) }
        hasher.combine(quantization.k)
        hasher.combine(normalization)
        hasher.combine(scaleCount)
        hasher.combine(scaleRefit)
        hasher.combine(errorCompensation)
        hasher.combine(biasCorrection)
    }

    /// What the container stores: the codebook with the compensated indices when there are any.
    public var writtenQuantization: Quantization {
        guard let compensatedIndices else { return quantization }
        return Quantization(codebook: quantization.codebook, indices: compensatedIndices, k: quantization.k)
    }

    /// The dequantized (normalised) shared vector, outliers included.
    public var values: [Float] {
        var v = quantization.values
        for (p, x) in zip(outliers.positions, outliers.values) { v[p] = x }
        return v
    }
}
