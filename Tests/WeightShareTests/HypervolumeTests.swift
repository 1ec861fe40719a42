import Foundation
import Testing
import WeightShare

struct HypervolumeTests {
    /// Reference (4,4); (1,3), (2,2), (3,1) dominate the strips 3·1 + 2·1 + 1·1 = 6.
    @Test func threePointsByHand() {
        #expect(Hypervolume.twoDimensional([[1, 3], [2, 2], [3, 1]], reference: [4, 4]) == 6)
        #expect(Hypervolume.twoDimensional([[3, 1], [1, 3], [2, 2]], reference: [4, 4]) == 6)
    }

    @Test func pointsBeyondOrOnTheReferenceDuplicatesAndDominatedPointsAddNothing() {
        let extra: [[Double]] = [[5, 0], [0, 4], [4, 0.5], [3, 3], [2, 2], [1, 3], [9, 9], [.nan, 1]]
        #expect(Hypervolume.twoDimensional([[1, 3], [2, 2], [3, 1]] + extra, reference: [4, 4]) == 6)
        #expect(Hypervolume.twoDimensional([[5, 5], [4, 1]], reference: [4, 4]) == 0)
        #expect(Hypervolume.twoDimensional([], reference: [4, 4]) == 0)
        #expect(Hypervolume.twoDimensional([[0, 0]], reference: [1, 1]) == 1)
        #expect(Hypervolume.twoDimensional([[1, 1], [1, 2], [2, 1]], reference: [3, 3]) == 4)
    }

    /// The ZDT1 front f2 = 1 − √f1 dominates ∫₀¹ √f1 df1 = 2/3 of the box up to (1, 1).
    @Test func denseZDT1FrontApproachesTwoThirds() {
        let n = 2_000
        let front = (0...n).map { i -> [Double] in
            let f1 = Double(i) / Double(n)
            return [f1, 1 - f1.squareRoot()]
        }
        let volume = Hypervolume.twoDimensional(front, reference: [1, 1])
        #expect(volume < 2.0 / 3 && volume > 2.0 / 3 - 1e-3)
    }
}
