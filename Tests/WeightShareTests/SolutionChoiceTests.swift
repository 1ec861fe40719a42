import Testing
@testable import WeightShareBoards
@testable import WeightShareSearch

/// `wsc compile`'s choice of a solution, and of the one to suggest when it does not fit a board, on a hand-made
/// front.
@Suite("SolutionChoice")
struct SolutionChoiceTests {
    static func solution(_ id: Int, loss: Double, bytes: Int) -> Solution {
        let m = Solution.Measurement(m: 4, bitWidth: 2, score: 0.9 - loss, loss: loss, packedWeightBytes: bytes,
                                     compressionRatioFixed: 10, compressionRatioHuffman: 11, scales: 0, outliers: 0)
        return Solution(id: id, genes: ["k": 4], k: 4, grouping: [1, 1, 1, 1], result: m, searched: m, merged: false,
                        mergeOrder: nil, mergeEvaluations: nil)
    }

    /// Losses 0.5, 2, 0.8, 0.0001 points; bytes 300, 100, 200, 200 (ids are positions).
    static let report = ParetoReport(
        toolVersion: "test", model: "m.onnx", modelSHA256: "", metric: "accuracy", seed: 1, floatScore: 0.9,
        samples: 100, sharedWeights: 1000, floatWeightBytes: 4000, onnxBytes: 5000, generations: 1, evaluations: 4,
        runtimeEvaluations: 4,
        solutions: [solution(0, loss: 0.005, bytes: 300), solution(1, loss: 0.02, bytes: 100),
                    solution(2, loss: 0.008, bytes: 200), solution(3, loss: 0.000001, bytes: 200)])

    @Test("--solution picks that solution; an id outside the front names the range")
    func byID() throws {
        #expect(try SolutionChoice.choose(from: Self.report, id: 1, maxLossPoints: 0).id == 1)
        #expect(throws: RunError.noSuchSolution(id: 4, count: 4)) {
            try SolutionChoice.choose(from: Self.report, id: 4, maxLossPoints: 1)
        }
        #expect(throws: RunError.noSuchSolution(id: -1, count: 4)) {
            try SolutionChoice.choose(from: Self.report, id: -1, maxLossPoints: 1)
        }
    }

    @Test("without --solution: the smallest within --max-loss points; on equal bytes the lower id")
    func byLoss() throws {
        // 2 points admits every solution: 1 has the fewest bytes.
        #expect(try SolutionChoice.choose(from: Self.report, id: nil, maxLossPoints: 2).id == 1)
        // 1 point: 0 (300 B), 2 (200 B), 3 (200 B) → 2 (lower id of the two 200-byte ones).
        #expect(try SolutionChoice.choose(from: Self.report, id: nil, maxLossPoints: 1).id == 2)
        // 0.5 points: 0 (exactly 0.5, within) and 3 → 3 (200 B).
        #expect(try SolutionChoice.choose(from: Self.report, id: nil, maxLossPoints: 0.5).id == 3)
        // 0 points: none (3 loses 0.0001 points); the error gives the smallest loss.
        #expect(throws: RunError.noSolutionWithinLoss(maxLoss: 0, best: 0.000001)) {
            try SolutionChoice.choose(from: Self.report, id: nil, maxLossPoints: 0)
        }
    }

    static func fit(_ wsmBytes: Int, fits: Bool) -> FitReport {
        FitReport(board: "b", wsmBytes: wsmBytes, modelRegionBytes: 1000, flashNeeded: wsmBytes, arenaBytes: 10,
                  runtimeStateBytes: 96, reserveBytes: 0, ramNeeded: 106, ramBytes: 1000, fitsFlash: fits, fitsRAM: true)
    }

    @Test("the suggestion when a solution does not fit: the lowest loss that fits, then the smaller .wsm")
    func bestFitting() throws {
        let solutions = Self.report.solutions
        // Every solution fits; the chosen one (3, the lowest loss) is left out → 0 (loss 0.5 points).
        var asked: [Int] = []
        let all = SolutionChoice.bestFitting(solutions, other: solutions[3]) { asked.append($0.id); return Self.fit(500, fits: true) }
        #expect(all == SolutionChoice.Fitting(solution: solutions[0], wsmBytes: 500))
        #expect(asked == [0, 1, 2])
        // 0 does not fit → 2 (0.8 points) before 1 (2 points).
        let without0 = SolutionChoice.bestFitting(solutions, other: solutions[3]) { Self.fit(600 + $0.id, fits: $0.id != 0) }
        #expect(without0 == SolutionChoice.Fitting(solution: solutions[2], wsmBytes: 602))
        // Equal losses: the smaller .wsm wins.
        let twins = [Self.solution(0, loss: 0.01, bytes: 100), Self.solution(1, loss: 0.01, bytes: 90),
                     Self.solution(2, loss: 0, bytes: 80)]
        let smaller = SolutionChoice.bestFitting(twins, other: twins[2]) { Self.fit($0.id == 0 ? 700 : 800, fits: true) }
        #expect(smaller?.solution.id == 0 && smaller?.wsmBytes == 700)
        // None fits.
        #expect(SolutionChoice.bestFitting(solutions, other: solutions[0]) { _ in Self.fit(2000, fits: false) } == nil)
    }
}
