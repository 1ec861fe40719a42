import Foundation
import Testing
import WeightShare

/// A clock that advances `step` seconds at every reading, so elapsed times and estimates are known exactly.
final class SteppingClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0.0
    let step: Double
    init(step: Double) { self.step = step }
    func read() -> Double { lock.withLock { now += step; return now } }
    var clock: SecondsClock { { [self] in read() } }
}

@Suite("Progress: elapsed time and estimates")
struct ProgressTimingTests {
    @Test("durations read as seconds, minutes or hours")
    func durations() {
        #expect(ProgressTiming.duration(0) == "0.0s")
        #expect(ProgressTiming.duration(8.44) == "8.4s")
        #expect(ProgressTiming.duration(59.9) == "59.9s")
        #expect(ProgressTiming.duration(245) == "4m05s")
        #expect(ProgressTiming.duration(3600 * 2 + 7 * 60 + 20) == "2h07m")
        #expect(ProgressTiming.duration(nil) == "?" && ProgressTiming.duration(.infinity) == "?")
    }

    @Test("the estimate is what remains at the mean time per unit so far")
    func estimate() {
        #expect(ProgressTiming.estimate(elapsed: 12, done: 3, remaining: 5) == 20)
        #expect(ProgressTiming.estimate(elapsed: 12, done: 0, remaining: 5) == nil)
        #expect(ProgressTiming.estimate(elapsed: 12, done: 4, remaining: 0) == 0)
    }

    @Test("the throttle lets a line through at most once per interval")
    func throttle() {
        var throttle = ProgressThrottle(interval: 5, start: 100)
        let answers = [101, 104.9, 105, 109, 110.5, 115].map { throttle.allows(at: $0) }
        #expect(answers == [false, false, true, false, true, false])
        var always = ProgressThrottle(interval: 0, start: 0)
        let every = [0.0, 0, 0.1].map { always.allows(at: $0) }
        #expect(every == [true, true, true])
    }

    @Test("a merge line names pass, boundary, M, evaluations and cap, elapsed and both estimates")
    func mergeLine() {
        let step = BinMerger.Progress(order: .weightError, pass: 2, boundary: 14, boundaries: 29, groupCount: 21,
                                      evaluations: 10, maxEvaluations: 2000, kept: 6)
        // 0.5 s per evaluation: 15 boundaries left in the pass (7.5 s), 1990 evaluations left to the cap (995 s).
        #expect(MergeProgressLine.text(id: 3, k: 57, step: step, elapsed: 5)
                == "merge #3 K=57 (weight-error): pass 2, boundary 14/29, M now 21, evaluations 10 (cap 2000), "
                + "elapsed 5.0s, ETA 7.5s for this pass, at most 16m35s to the cap")
        // Near the cap the pass estimate is bounded by what the cap leaves: 2 evaluations.
        var near = step
        near.evaluations = 1998
        #expect(MergeProgressLine.text(id: 3, k: 57, step: near, elapsed: 999).contains("ETA 1.0s for this pass, at most 1.0s to the cap"))
        var uncapped = step
        uncapped.maxEvaluations = nil
        #expect(MergeProgressLine.text(id: 3, k: 57, step: uncapped, elapsed: 5).hasSuffix("(no cap), elapsed 5.0s, ETA 7.5s for this pass"))
    }
}

@Suite("Progress lines of a search and a merge", .serialized)
struct SearchProgressTests {
    func session(_ root: URL, clock: SteppingClock) throws -> SearchSession {
        let settings = SearchSettings(model: FixturePaths.url("digits_mlp.onnx").path,
                                      data: FixturePaths.url("digits_val.npz").path, inputShapes: ["input": [1, 64]],
                                      seed: 5, population: 8, generations: 3, kMin: 8, kMax: 64, merge: false,
                                      limit: 80, genome: .k)
        var session = try SearchSession(settings: settings, directory: RunDirectory(root))
        session.clock = clock.clock
        return session
    }

    @Test("every generation line ends with the elapsed time and generations left × mean time per generation")
    func generationLines() throws {
        let root = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // 10 s per clock reading: the search reads it once before the first generation and once per line.
        var lines: [String] = []
        _ = try session(root, clock: SteppingClock(step: 10)).run(resume: false) { lines.append($0) }
        let generations = lines.filter { $0.hasPrefix("gen ") }
        #expect(generations.count == 4)
        let timing = try generations.map { line -> (Double, Double) in
            let pattern = #/ {2}elapsed ([0-9.]+)s {2}ETA ([0-9.]+)s$/#
            let match = try #require(line.firstMatch(of: pattern), "\(line)")
            return (Double(match.1)!, Double(match.2)!)
        }
        // Line g: elapsed 10·(g+1) over g+1 steps, 3 − g generations left.
        #expect(timing.map(\.0) == [10, 20, 30, 40])
        #expect(timing.map(\.1) == [30, 20, 10, 0])
    }

    @Test("a merge prints its progress and stops at the cap, saying so")
    func mergeLines() throws {
        let root = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        var session = try session(root, clock: SteppingClock(step: 2))
        let report = try session.run(resume: false) { _ in }
        let solution = try #require(report.solutions.max { $0.result.m < $1.result.m })
        // At least 4 boundaries and a patience of at least 4: pass 1 needs a fourth scoring whatever it keeps.
        try #require(solution.result.m >= 5 && BinMerger.defaultPatience >= 4)
        session.progressInterval = 0
        var lines: [String] = []
        let merged = try session.merge(solution, order: .weightError, maxEvaluations: 3) { lines.append($0) }
        #expect(merged.mergeEvaluations == 3 && merged.mergeStoppedAtCap == true && merged.mergeOrder == "weight-error")
        let progress = lines.dropLast()
        #expect(progress.count == 3, "\(lines)")
        // 2 s per reading: the j-th line has elapsed 2j for j evaluations, 3 − j left to the cap at 2 s each; the
        // result line reads the clock a fourth time (8 s).
        for (j, line) in progress.enumerated().map({ ($0 + 1, $1) }) {
            let pattern = #/^merge #(\d+) K=(\d+) \(weight-error\): pass 1, boundary (\d+)\/(\d+), M now (\d+), evaluations (\d+) \(cap 3\), elapsed ([0-9.]+)s, ETA ([0-9.]+)s for this pass, at most ([0-9.]+)s to the cap$/#
            let match = try #require(line.firstMatch(of: pattern), "\(line)")
            #expect(Int(match.1) == solution.id && Int(match.2) == solution.k)
            #expect(Int(match.3) == j && Int(match.6) == j)
            #expect(Double(match.7) == Double(2 * j) && Double(match.9) == Double(2 * (3 - j)))
        }
        let last = try #require(lines.last)
        #expect(last.hasPrefix("merge #\(solution.id) K=\(solution.k): M \(solution.result.m) -> \(merged.result.m) (weight-error)"))
        #expect(last.contains(", 3 evaluations in 8.0s; stopped at the cap of 3 evaluations"), "\(last)")
    }
}
