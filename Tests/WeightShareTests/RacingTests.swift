import Foundation
import Testing
import WeightShare

/// Racing (early rejection): the bound is exact, so a stopped candidate's full score is below the threshold, a
/// candidate that is not stopped gets exactly its full score, and a search with racing reports the front of one
/// without.
@Suite("Racing stops only candidates that cannot beat the threshold")
struct RacingTests {
    static func evaluator() throws -> (RuntimeEvaluator, WeightEncoder) {
        let source = try ModelSource.load(FixturePaths.url("digits_mlp.onnx"), inputShapes: ["input": [1, 64]])
        let samples = try SampleSet.load(FixturePaths.url("digits_val.npz"), for: source.lowered, limit: 160)
        let encoder = WeightEncoder(base: source.prepared)
        return (try RuntimeEvaluator(encoder: encoder, samples: samples, metric: .accuracy, kernels: .fast), encoder)
    }

    @Test("a stopped candidate's full score is below the threshold and below its bound; others score in full")
    func bound() throws {
        let (evaluator, encoder) = try Self.evaluator()
        #expect(evaluator.racingStages() == [20, 40, 80, 160])
        let bad = encoder.encode(EncodingGenes(k: 2)), good = encoder.encode(EncodingGenes(k: 64))
        let badScore = try evaluator.score(bad), goodScore = try evaluator.score(good)
        try #require(badScore < 0.7 && goodScore > 0.9, "K=2 costs the MLP accuracy, K=64 does not")
        let stopped = try evaluator.race(bad, below: 0.9)
        #expect(stopped.rejected && stopped.samplesRun < 160)
        #expect(badScore <= stopped.score && stopped.score < 0.9)
        // The bound after n of N samples: (correct so far + N − n) / N.
        let outputs = try evaluator.outputs(bad)
        let correct = (0..<stopped.samplesRun).count { i in
            Metric.argmax(outputs[(i * 10)..<((i + 1) * 10)]) == evaluator.samples.labels![i]
        }
        #expect(stopped.score == Double(correct + 160 - stopped.samplesRun) / 160)
        let kept = try evaluator.race(good, below: 0.9)
        #expect(!kept.rejected && kept.samplesRun == 160 && kept.score == goodScore)
        // No threshold: nothing is stopped.
        #expect(try evaluator.race(bad, below: Metric.failedScore).score == badScore)
    }

    @Test("a search with racing reports the same front, having stopped some candidates")
    func sameFront() throws {
        var fronts: [[[Double]]] = []
        var stopped = 0
        for racing in [false, true] {
            let directory = try FixturePaths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let settings = SearchSettings(model: FixturePaths.url("digits_mlp.onnx").path,
                                          data: FixturePaths.url("digits_val.npz").path,
                                          inputShapes: ["input": [1, 64]], population: 12, generations: 4, kMin: 2,
                                          kMax: 64, merge: false, limit: 160, evaluator: .fast, racing: racing)
            let session = try SearchSession(settings: settings, directory: RunDirectory(directory))
            let report = try session.run(resume: false) { _ in }
            fronts.append(report.solutions.map { [Double($0.k), $0.result.score] })
            if racing { stopped = report.racing?.rejected ?? -1 }
        }
        #expect(fronts[0] == fronts[1])
        #expect(stopped > 0, "K from 2 gives candidates racing must stop")
    }
}
