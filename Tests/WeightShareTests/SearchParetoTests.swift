import Testing
import WeightShare

struct SearchParetoTests {
    @Test func dominance() {
        #expect(Pareto.dominates([1, 2], [2, 2]))
        #expect(Pareto.dominates([1, 2], [2, 3]))
        #expect(!Pareto.dominates([1, 2], [1, 2]))
        #expect(!Pareto.dominates([1, 3], [2, 2]))
        #expect(!Pareto.dominates([2, 2], [1, 2]))
        #expect(Pareto.dominates([0, 0, 0], [0, 0, 1]))
    }

    /// a(1,5) b(2,3) c(4,1) d(3,4) e(5,5) f(2,3) g(6,6): b and f are equal; d is dominated by b and f; e by a
    /// and d; g by everything.
    @Test func nonDominatedSortOfAHandMadeSet() {
        let points: [[Double]] = [[1, 5], [2, 3], [4, 1], [3, 4], [5, 5], [2, 3], [6, 6]]
        #expect(Pareto.nonDominatedSort(points) == [[0, 1, 2, 5], [3], [4], [6]])
        #expect(Pareto.ranks(points) == [0, 0, 0, 1, 2, 0, 3])
        #expect(Pareto.firstFront(points) == [0, 1, 2, 5])
    }

    @Test func nonDominatedSortWithThreeObjectives() {
        let points: [[Double]] = [[1, 2, 3], [3, 2, 1], [2, 2, 2], [2, 3, 3], [4, 4, 4]]
        #expect(Pareto.nonDominatedSort(points) == [[0, 1, 2], [3], [4]])
    }

    @Test func nonDominatedSortEdgeCases() {
        #expect(Pareto.nonDominatedSort([]) == [])
        #expect(Pareto.nonDominatedSort([[1, 1]]) == [[0]])
        #expect(Pareto.nonDominatedSort([[1, 1], [1, 1], [1, 1]]) == [[0, 1, 2]])
        #expect(Pareto.nonDominatedSort([[3, 3], [2, 2], [1, 1]]) == [[2], [1], [0]])
    }

    /// Points (0,10) (1,6) (3,3) (6,0), given shuffled. Ranges: f1 6, f2 10.
    /// (1,6): f1 neighbours 0 and 3 → 3/6; f2 neighbours 3 and 10 → 7/10; total 1.2.
    /// (3,3): f1 neighbours 1 and 6 → 5/6; f2 neighbours 0 and 6 → 6/10; total 1.4333….
    @Test func crowdingDistancesOfAFourPointFront() {
        let distances = Pareto.crowdingDistances([[3, 3], [6, 0], [0, 10], [1, 6]])
        #expect(abs(distances[0] - (5.0 / 6 + 0.6)) < 1e-12)
        #expect(distances[1] == .infinity)
        #expect(distances[2] == .infinity)
        #expect(abs(distances[3] - 1.2) < 1e-12)
    }

    @Test func crowdingDistanceWithZeroRangeAndSmallFronts() {
        // f2 is constant: it adds nothing and marks no boundary; f1 range 4.
        let distances = Pareto.crowdingDistances([[0, 5], [1, 5], [2, 5], [4, 5]])
        #expect(distances == [.infinity, 0.5, 0.75, .infinity])
        #expect(Pareto.crowdingDistances([[1, 1], [1, 1], [1, 1]]) == [0, 0, 0])
        #expect(Pareto.crowdingDistances([[1, 2], [2, 1]]) == [.infinity, .infinity])
        #expect(Pareto.crowdingDistances([[1, 2]]) == [.infinity])
        #expect(Pareto.crowdingDistances([]) == [])
    }

    @Test func survivalTakesWholeFrontsThenTheLeastCrowded() {
        let points: [[Double]] = [[1, 5], [2, 3], [4, 1], [3, 4], [5, 5]]
        #expect(RankAndCrowding.survivors(points, count: 4) == [0, 1, 2, 3])
        #expect(RankAndCrowding.survivors(points, count: 2) == [0, 2])
        #expect(RankAndCrowding.survivors(points, count: 10) == [0, 1, 2, 3, 4])
        #expect(RankAndCrowding.survivors(points, count: 0) == [])
        let ranking = RankAndCrowding(points)
        #expect(ranking.ranks == [0, 0, 0, 1, 2])
        #expect(ranking.prefers(1, over: 3))
        #expect(ranking.prefers(0, over: 1))  // same front, boundary (infinite crowding) beats interior
        #expect(!ranking.prefers(0, over: 2) && !ranking.prefers(2, over: 0))
    }
}
