extension Pareto {
    /// Crowding distance of every point of one front (Deb et al. 2002): for each objective, the points are
    /// sorted by it, the two extreme points get `+infinity`, and every interior point adds the distance between
    /// its two neighbours divided by the objective's range over the front. Larger means less crowded.
    ///
    /// - An objective whose range is zero (all points equal in it) adds nothing, and gives no point an
    ///   infinite distance: it carries no information about spread.
    /// - A front of one or two points gets `+infinity` everywhere.
    /// - Ties within an objective are ordered by index, so the result is deterministic; when several points
    ///   share an extreme value, only the lowest-indexed one is a boundary point for that objective.
    ///
    /// - Parameter front: objective vectors of the points of one front (any order, all the same length).
    /// - Returns: one distance per point, in the order of `front`.
    public static func crowdingDistances(_ front: [[Double]]) -> [Double] {
        let n = front.count
        guard n > 2 else { return [Double](repeating: .infinity, count: n) }
        let (values, width) = table(front)
        var distances = [Double](repeating: 0, count: n)
        for objective in 0..<width {
            let column = (0..<n).map { values[$0 * width + objective] }
            let order = (0..<n).sorted { a, b in column[a] < column[b] || (column[a] == column[b] && a < b) }
            let low = column[order[0]], high = column[order[n - 1]]
            let range = high - low
            guard range > 0, range.isFinite else { continue }
            distances[order[0]] = .infinity
            distances[order[n - 1]] = .infinity
            var k = 1
            while k < n - 1 {
                distances[order[k]] += (column[order[k + 1]] - column[order[k - 1]]) / range
                k += 1
            }
        }
        return distances
    }
}
