/// Which genes the search varies. `k` is the paper's search (K alone, raw weights, [min, max] range); `full` adds
/// the scale mode and statistic, the clip quantiles of the binning range and the outlier budget.
public enum GenomeKind: String, Sendable, Hashable, Codable, CaseIterable {
    case k
    case full

    /// Largest fraction clipped off each end of the normalised vector, and largest outlier budget (of N).
    public static let maximumClip = 0.02
    public static let maximumOutliers = 0.01

    /// The gene space over `kRange` (names as in ``EncodingGenes/names``; categorical genes index
    /// `ScaleMode.allCases` and `ScaleStatistic.allCases`).
    public func geneSpace(kRange: ClosedRange<Int>) -> GeneSpace {
        let n = EncodingGenes.names
        let k = Gene.integer(n.k, kRange)
        switch self {
        case .k:
            return GeneSpace([k])
        case .full:
            return GeneSpace([k,
                              .integer(n.scaleMode, 0...(ScaleMode.allCases.count - 1)),
                              .integer(n.scaleStatistic, 0...(ScaleStatistic.allCases.count - 1)),
                              .real(n.clipLow, 0...Self.maximumClip),
                              .real(n.clipHigh, 0...Self.maximumClip),
                              .real(n.outliers, 0...Self.maximumOutliers)])
        }
    }
}
