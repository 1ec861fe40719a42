/// Hypervolume (S-metric) indicators for **minimisation**.
///
/// Only the two-objective case is implemented (exact, O(N log N)); the search's objectives today are two
/// (score loss, packed weight bytes). A general m-objective algorithm is not provided.
public enum Hypervolume {
    /// The exact area dominated by `points` and bounded by `reference`, for two objectives.
    ///
    /// Only points that strictly dominate the reference in both objectives (`p[0] < r[0]` and `p[1] < r[1]`)
    /// count; points on or beyond the reference, points containing NaN, duplicates and dominated points add
    /// nothing. The points need not be non-dominated or sorted.
    ///
    /// The sweep sorts by the first objective and adds, for each point that lowers the best second objective
    /// so far, the strip `(r0 − p0) · (best1 − p1)`.
    ///
    /// ```swift
    /// Hypervolume.twoDimensional([[1, 3], [2, 2], [3, 1]], reference: [4, 4])   // 6
    /// ```
    ///
    /// - Precondition: `reference` and every point have exactly two coordinates.
    public static func twoDimensional(_ points: [[Double]], reference: [Double]) -> Double {
        precondition(reference.count == 2, "twoDimensional needs a 2-D reference point, got \(reference.count)-D")
        precondition(points.allSatisfy { $0.count == 2 }, "twoDimensional needs 2-D points")
        let inside = points
            .filter { $0[0] < reference[0] && $0[1] < reference[1] }
            .sorted { $0[0] < $1[0] || ($0[0] == $1[0] && $0[1] < $1[1]) }
        var volume = 0.0
        var best = reference[1]
        for point in inside where point[1] < best {
            volume += (reference[0] - point[0]) * (best - point[1])
            best = point[1]
        }
        return volume
    }
}
