import Foundation
import Testing
import WeightShare

/// An evaluator with a known score landscape.
struct ScriptedEvaluator: Evaluator {
    var metric: Metric { .accuracy }
    var floatScore: Double { 1 }
    let rule: @Sendable (Quantization) -> Double
    func score(_ encoding: WeightEncoding) throws -> Double { rule(encoding.quantization) }
}

/// Counts calls from a `@Sendable` closure.
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    func add() { lock.withLock { calls += 1 } }
    var count: Int { lock.withLock { calls } }
}

@Suite("Iterative bin merge")
struct MergeTests {
    let binning = UniformBinning(values: (0..<64).map { Float($0) }, k: 16)

    @Test("a constant score merges everything in both orders")
    func mergesAll() throws {
        let merger = BinMerger(evaluator: ScriptedEvaluator { _ in 0.9 })
        for order in BinMerger.Order.allCases {
            let r = try merger.merge(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 0.9, order: order)
            #expect(r.grouping.groupCount == 1)
            #expect(r.score == 0.9)
        }
    }

    @Test("the score never drops below the start (tolerance 0)")
    func neverLowers() throws {
        // Score falls with the squared quantization error in accuracy-like steps of 0.01, so some merges are
        // free and others cost a step.
        let values = (0..<64).map { Float($0) }
        let calls = CallCounter()
        let evaluator = ScriptedEvaluator { q in
            calls.add()
            let error = zip(values, q.values).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            return ((1 - error / 100_000) * 100).rounded(.down) / 100
        }
        let start = Quantization(binning: binning)
        let startScore = try evaluator.score(start)
        let before = calls.count
        var tried = 0
        let r = try BinMerger(evaluator: evaluator).mergeBest(binning: binning, grouping: .identity(nonEmptyBins: 16),
                                                               score: startScore, tried: &tried)
        #expect(r.score >= startScore)
        #expect(tried >= r.tried && tried > 0)
        // `tried` counts exactly the scorings the merges asked for (both orders).
        #expect(tried == calls.count - before)
        #expect(r.grouping.groupCount < 16)
        #expect(try evaluator.score(r.quantization) == r.score)
    }

    @Test("tolerance allows a bounded drop")
    func tolerance() throws {
        // Each codebook entry lost costs 0.01.
        let evaluator = ScriptedEvaluator { q in 0.5 + Double(q.codebookSize) * 0.01 }
        let merger = BinMerger(evaluator: evaluator, tolerance: 0.035)
        let r = try merger.merge(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 0.66,
                                 order: .leftToRight)
        #expect(r.grouping.groupCount == 13)
        #expect(r.score >= 0.66 - 0.035)
    }

    @Test("a start above the float score may merge down to the float score (minus the tolerance), not below")
    func referenceFloor() throws {
        // Each codebook entry lost costs 0.01; start 0.66 (16 entries), float model 0.62.
        let evaluator = ScriptedEvaluator { q in 0.5 + Double(q.codebookSize) * 0.01 }
        let merger = BinMerger(tolerance: 0.01, reference: 0.62) { try evaluator.score($0) }
        let r = try merger.merge(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 0.66,
                                 order: .leftToRight)
        #expect(r.grouping.groupCount == 11)  // 0.61 = 0.62 − 0.01; one more entry lost would be 0.60
        // A start below the float score keeps the start as its reference: 0.65 = 0.66 − 0.01.
        let below = try BinMerger(tolerance: 0.01, reference: 0.9) { try evaluator.score($0) }
            .merge(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 0.66, order: .leftToRight)
        #expect(below.grouping.groupCount == 15)
    }

    @Test("left-to-right joins from the left; centre-to-ends from the middle")
    func orders() throws {
        // Only two merges may happen in total (score drops when M < 14).
        let evaluator = ScriptedEvaluator { q in q.codebookSize >= 14 ? 1 : 0 }
        let merger = BinMerger(evaluator: evaluator)
        let left = try merger.merge(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1, order: .leftToRight)
        #expect(left.grouping.runLengths == [3] + [Int](repeating: 1, count: 13))
        let centre = try merger.merge(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1, order: .centreToEnds)
        // 15 boundaries; the centre one is between bins 7 and 8, the next tried is its left neighbour.
        var expected = [Int](repeating: 1, count: 16)
        expected.replaceSubrange(6...8, with: [3])
        #expect(centre.grouping.runLengths == expected)
    }
}
