import Foundation
import Testing
import WeightShare

/// Sum of squared differences between the weights and their shared values.
private func squaredError(_ values: [Float], _ q: Quantization) -> Double {
    zip(values, q.values).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
}

@Suite("Merge proxy: the weight error a merge adds")
struct MergeErrorProxyTests {
    // K = 10 over [0, 10], width 1: bins 0, 1, 2, 3 hold 0, 1, 2, 3; bin 9 holds 9 and 10 (the maximum).
    let values: [Float] = [0, 1, 2, 3, 9, 10]
    var binning: UniformBinning { UniformBinning(values: values, k: 10) }

    @Test("hand-computed n1·n2/(n1+n2)·(m1 − m2)² for every boundary")
    func handComputed() {
        #expect(binning.nonEmptyBins == [0, 1, 2, 3, 9])
        let identity = BinGrouping.identity(nonEmptyBins: 5).mergeErrors(binning: binning)
        // {0}|{1}, {1}|{2}, {2}|{3}: 1·1/2·1² = 0.5; {3}|{9, 10}: 1·2/3·(3 − 9.5)² = 2/3·42.25.
        #expect(identity.count == 4)
        for (got, expected) in zip(identity, [0.5, 0.5, 0.5, 2.0 / 3.0 * 42.25]) {
            #expect(abs(got - expected) < 1e-12)
        }
        // [{0, 1}, {2}, {3}, {9, 10}]: {0, 1}|{2} is 2·1/3·(0.5 − 2)² = 1.5.
        let grouped = BinGrouping(runLengths: [2, 1, 1, 1]).mergeErrors(binning: binning)
        #expect(abs(grouped[0] - 1.5) < 1e-12)
        #expect(abs(grouped[1] - 0.5) < 1e-12)
    }

    @Test("equals the squared error the merged quantization really adds")
    func matchesQuantization() {
        // An uneven vector: 200 values from a fixed generator, 24 bins, some grouped already.
        var random = SeededRandom(seed: 7)
        let values = (0..<200).map { _ in Float(random.nextDouble() * random.nextDouble() * 4 - 1) }
        let binning = UniformBinning(values: values, k: 24)
        let bins = binning.nonEmptyBins.count
        var runs = [Int](repeating: 1, count: bins)
        runs[0] = 2
        runs.removeLast()
        let grouping = BinGrouping(runLengths: runs)
        let base = squaredError(values, Quantization(binning: binning, grouping: grouping))
        for (boundary, proxy) in grouping.mergeErrors(binning: binning).enumerated() {
            let merged = squaredError(values, Quantization(binning: binning, grouping: grouping.merging(boundary: boundary)))
            // The codebook is float32, so the measured increase carries rounding the exact formula does not.
            #expect(abs((merged - base) - proxy) <= 1e-4 * max(1, proxy), "boundary \(boundary)")
        }
    }
}

@Suite("Merge orders, patience and the evaluation cap")
struct MergeOrderTests {
    let binning = UniformBinning(values: (0..<64).map { Float($0) }, k: 16)

    @Test("weight-error scores the cheapest merge first")
    func cheapestFirst() throws {
        // Bins of width 1 over [0, 8], one value each (7 and 8 share the last): every neighbour pair is 1 apart
        // (1/2·1² = 0.5) but 4|5.9 (1.805), 6.1|{7, 8} (1.307) and 5.9|6.1: 1/2·0.2² = 0.02, the cheapest.
        let values: [Float] = [0, 1, 2, 3, 4, 5.9, 6.1, 7, 8]
        let binning = UniformBinning(values: values, k: 8)
        let bins = binning.nonEmptyBins.count
        let scored = CodebookLog()
        let merger = BinMerger(patience: 1) { q in
            scored.add(q.codebook)
            return 0
        }
        _ = try merger.merge(binning: binning, grouping: .identity(nonEmptyBins: bins), score: 1, order: .weightError)
        // Every merge is rejected, so patience 1 scores exactly one: the pair 5.9/6.1 as its mean 6.0.
        #expect(bins == 8 && scored.codebooks.count == 1)
        #expect(scored.codebooks.first?.contains { abs($0 - 6.0) < 1e-6 } == true)
        #expect(scored.codebooks.first?.count == bins - 1)
    }

    @Test("a pass of weight-error ends after `patience` rejections in a row; the paper's orders try every boundary")
    func patience() throws {
        let calls = CallCounter()
        let rejectAll = { (_: Quantization) -> Double in
            calls.add()
            return 0
        }
        for patience in [1, 3, 6] {
            let before = calls.count
            let r = try BinMerger(patience: patience, score: rejectAll)
                .merge(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1, order: .weightError)
            #expect(r.tried == patience && calls.count - before == patience && r.kept == 0)
        }
        let before = calls.count
        let left = try BinMerger(score: rejectAll)
            .merge(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1, order: .leftToRight)
        #expect(left.tried == 15 && calls.count - before == 15)
    }

    @Test("weight-error reaches the same codebook as the paper on a score that only counts entries, with fewer scorings")
    func fewerEvaluations() throws {
        // Score drops once M < 9: both orders stop at M = 9; the paper's final pass tries every boundary.
        let evaluator = ScriptedEvaluator { q in q.codebookSize >= 9 ? 1 : 0 }
        let merger = BinMerger(patience: 4) { try evaluator.score($0) }
        var paperTried = 0, proxyTried = 0
        let paper = try merger.mergeBest(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1,
                                         tried: &paperTried)
        let proxy = try merger.mergeBest(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1,
                                         tried: &proxyTried, orders: [.weightError])
        #expect(paper.grouping.groupCount == 9 && proxy.grouping.groupCount == 9)
        #expect(proxy.order == .weightError)
        // weight-error: every merge adds the same error at first, so it starts left to right: 7 kept, then 4
        // (the patience) refused at M = 9. Pass 2 ranks the single bins' merges (32 each) before {0…7}|{8} and finds
        // three of them cached; the fourth is new and refused. Each paper order visits all 15 boundaries of pass 1
        // (7 kept, 8 refused at the final grouping, so its second pass is all cached).
        #expect(proxyTried == 7 + 4 + 1)
        #expect(paperTried == 2 * 15)
    }

    @Test("the default orders are the paper's, with the results they had")
    func defaultIsPaper() throws {
        let evaluator = ScriptedEvaluator { q in q.codebookSize >= 14 ? 1 : 0 }
        let merger = BinMerger(evaluator: evaluator)
        var a = 0, b = 0
        let byDefault = try merger.mergeBest(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1, tried: &a)
        let paper = try merger.mergeBest(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1, tried: &b,
                                         orders: [.leftToRight, .centreToEnds])
        #expect(byDefault == paper && a == b)
        #expect(byDefault.order == .leftToRight && byDefault.grouping.runLengths == [3] + [Int](repeating: 1, count: 13))
    }

    @Test("the cap stops the merge at exactly N scorings and says so")
    func cap() throws {
        for order in BinMerger.Order.allCases {
            let calls = CallCounter()
            let merger = BinMerger { _ in
                calls.add()
                return 1
            }
            let r = try merger.merge(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1, order: order,
                                     maxEvaluations: 5)
            // A constant score keeps every merge: 5 scorings, 5 merges, then the cap.
            #expect(calls.count == 5 && r.tried == 5 && r.kept == 5, "\(order)")
            #expect(r.stoppedAtCap && r.grouping.groupCount == 11, "\(order)")
        }
        // Left to right merges everything in 15 scorings: a cap of 15 is not reached, 14 is.
        let free = BinMerger { _ in 1 }
        let exact = try free.merge(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1,
                                   order: .leftToRight, maxEvaluations: 15)
        #expect(!exact.stoppedAtCap && exact.grouping.groupCount == 1 && exact.tried == 15)
        let short = try free.merge(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1,
                                   order: .leftToRight, maxEvaluations: 14)
        #expect(short.stoppedAtCap && short.grouping.groupCount == 2)
    }

    @Test("the orders of mergeBest share the cap")
    func sharedCap() throws {
        let calls = CallCounter()
        let merger = BinMerger { _ in
            calls.add()
            return 1
        }
        var tried = 0
        var last: BinMerger.Progress?
        let r = try merger.mergeBest(binning: binning, grouping: .identity(nonEmptyBins: 16), score: 1, tried: &tried,
                                     maxEvaluations: 20) { last = $0 }
        // Left to right spends 15 and merges all; centre-to-ends gets the 5 left and stops there.
        #expect(calls.count == 20 && tried == 20)
        #expect(r.stoppedAtCap && r.order == .leftToRight && r.grouping.groupCount == 1)
        #expect(last?.order == .centreToEnds && last?.evaluations == 20 && last?.maxEvaluations == 20)
    }

    @Test("progress reports pass, boundary, M and evaluations after every boundary")
    func progress() throws {
        // Drops once M < 14: left to right keeps two merges in pass 1 and none in pass 2.
        let evaluator = ScriptedEvaluator { q in q.codebookSize >= 14 ? 1 : 0 }
        var steps: [BinMerger.Progress] = []
        let r = try BinMerger(evaluator: evaluator).merge(binning: binning, grouping: .identity(nonEmptyBins: 16),
                                                          score: 1, order: .leftToRight, maxEvaluations: 100) {
            steps.append($0)
        }
        let first = try #require(steps.first)
        #expect(first == BinMerger.Progress(order: .leftToRight, pass: 1, boundary: 1, boundaries: 15, groupCount: 15,
                                            evaluations: 1, maxEvaluations: 100, kept: 1))
        // Pass 1 visits all 15 positions (the two merged were visited before they vanished); pass 2 visits the 13
        // boundaries left, all cached (refused at this grouping in pass 1).
        #expect(steps.filter { $0.pass == 1 }.map(\.boundary).last == 15)
        #expect(steps.filter { $0.pass == 2 }.count == 13 && steps.last?.boundaries == 13)
        #expect(r.tried == 15 && steps.last?.evaluations == 15)
        #expect(steps.last?.groupCount == 14 && steps.last?.kept == 2)
    }
}

/// Records the codebooks a merger scores.
final class CodebookLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [[Float]] = []
    func add(_ codebook: [Float]) { lock.withLock { log.append(codebook) } }
    var codebooks: [[Float]] { lock.withLock { log } }
}
