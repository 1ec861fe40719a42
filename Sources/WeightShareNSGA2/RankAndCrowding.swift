/// Non-domination rank and crowding distance of every member of a population, and NSGA-II's elitist
/// truncation by (rank, crowding).
public struct RankAndCrowding: Sendable, Hashable {
    /// Front index of each member (0 = non-dominated).
    public var ranks: [Int]
    /// Crowding distance of each member within its own front.
    public var crowding: [Double]

    /// Ranks and crowding distances of the objective vectors `objectives`.
    public init(_ objectives: [[Double]]) {
        ranks = [Int](repeating: 0, count: objectives.count)
        crowding = [Double](repeating: 0, count: objectives.count)
        for (rank, front) in Pareto.nonDominatedSort(objectives).enumerated() {
            let distances = Pareto.crowdingDistances(front.map { objectives[$0] })
            for (member, distance) in zip(front, distances) {
                ranks[member] = rank
                crowding[member] = distance
            }
        }
    }

    /// The crowded-comparison operator ≺ₙ: whether member `a` is preferred to member `b` (lower rank, or the
    /// same rank and a larger crowding distance). Neither is preferred when both are equal.
    public func prefers(_ a: Int, over b: Int) -> Bool {
        ranks[a] < ranks[b] || (ranks[a] == ranks[b] && crowding[a] > crowding[b])
    }

    /// Elitist survival (Deb et al. 2002): indices of the `count` members kept from `objectives`, whole fronts
    /// best first (ascending index within a front), and from the front that does not fit whole, the members
    /// with the largest crowding distance computed over that whole front (ties by index).
    ///
    /// - Returns: `min(count, objectives.count)` distinct indices, in the order described.
    public static func survivors(_ objectives: [[Double]], count: Int) -> [Int] {
        var kept: [Int] = []
        kept.reserveCapacity(max(0, min(count, objectives.count)))
        for front in Pareto.nonDominatedSort(objectives) {
            let room = count - kept.count
            if room <= 0 { break }
            if front.count <= room {
                kept.append(contentsOf: front)
            } else {
                let distances = Pareto.crowdingDistances(front.map { objectives[$0] })
                let order = front.indices.sorted { a, b in
                    distances[a] > distances[b] || (distances[a] == distances[b] && front[a] < front[b])
                }
                kept.append(contentsOf: order.prefix(room).map { front[$0] })
                break
            }
        }
        return kept
    }
}
