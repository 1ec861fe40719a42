/// A partition of a binning's non-empty bins into runs of neighbours; each run becomes one codebook entry.
/// The identity grouping (every non-empty bin alone) is the paper's plain binning; merging removes a
/// boundary between two neighbouring runs.
public struct BinGrouping: Sendable, Hashable, Codable {
    /// Number of non-empty bins in each run, left to right; the sum is the number of non-empty bins.
    public var runLengths: [Int]

    public init(runLengths: [Int]) { self.runLengths = runLengths }

    /// Every non-empty bin on its own.
    public static func identity(nonEmptyBins: Int) -> BinGrouping {
        BinGrouping(runLengths: [Int](repeating: 1, count: nonEmptyBins))
    }

    /// Number of groups (M, the codebook size).
    public var groupCount: Int { runLengths.count }

    /// The grouping with runs `boundary` and `boundary + 1` joined.
    public func merging(boundary: Int) -> BinGrouping {
        precondition(boundary >= 0 && boundary + 1 < runLengths.count, "no boundary \(boundary)")
        var runs = runLengths
        runs[boundary] += runs[boundary + 1]
        runs.remove(at: boundary + 1)
        return BinGrouping(runLengths: runs)
    }
}
