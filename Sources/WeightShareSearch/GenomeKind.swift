import WeightShareCompress
import WeightShareNSGA2
/// Which genes the search varies. `k` is the paper's search (K alone, raw weights, [min, max] range); `full` adds
/// the scale mode and statistic, the clip quantiles of the binning range and the outlier budget, and always refits
/// the scales, assigns the indices with error compensation and corrects the biases. These cost no bytes and help at
/// almost every K; left free, they are more dimensions for a small search budget to explore. They are fixed genes
/// (1…1), so pareto.json names them.
public enum GenomeKind: String, Sendable, Hashable, Codable, CaseIterable {
    case full
    case k

    /// Largest clip off each end of the normalised vector (‰: 2 %), and largest outlier budget (in 1/10,000 of N:
    /// 1 %).
    public static let maximumClipPermille = 20
    public static let maximumOutliersPer10k = 100

    /// The gene space over `kRange` (names as in ``EncodingGenes/names``; categorical genes index
    /// `ScaleMode.allCases` and `ScaleStatistic.allCases`).
    public func geneSpace(kRange: ClosedRange<Int>) -> GeneSpace {
        let n = EncodingGenes.names
        switch self {
        case .k:
            return GeneSpace([.integer(n.k, kRange)])
        case .full:
            // K on a logarithmic scale: the bit width is log2 K, and with scales the useful K are small; a
            // uniform K over 2…1024 would put 15 of 16 draws at 7 bits or more.
            return GeneSpace([.logarithmicInteger(n.k, kRange),
                              .integer(n.scaleMode, 0...(ScaleMode.allCases.count - 1)),
                              .integer(n.scaleStatistic, 0...(ScaleStatistic.allCases.count - 1)),
                              .integer(n.clipLow, 0...Self.maximumClipPermille),
                              .integer(n.clipHigh, 0...Self.maximumClipPermille),
                              .integer(n.outliers, 0...Self.maximumOutliersPer10k),
                              .integer(n.scaleRefit, 1...1),
                              .integer(n.errorCompensation, 1...1),
                              .integer(n.biasCorrection, 1...1)])
        }
    }
}
