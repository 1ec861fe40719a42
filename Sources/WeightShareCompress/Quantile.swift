/// Quantiles of weight values (clip ranges, the 99th-percentile scale statistic).
public enum Quantile {
    /// NumPy's default (linear) quantile of ascending, non-empty `sorted` at `q` in [0, 1].
    public static func linear(_ sorted: [Float], _ q: Double) -> Float {
        let rank = Swift.min(Swift.max(q, 0), 1) * Double(sorted.count - 1)
        let below = Int(rank.rounded(.down)), above = Swift.min(below + 1, sorted.count - 1)
        return Float(Double(sorted[below]) + (Double(sorted[above]) - Double(sorted[below])) * (rank - Double(below)))
    }
}
