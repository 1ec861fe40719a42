import Foundation
import Testing
import WeightShare

@Suite("Held-out scoring")
struct HeldOutScoringTests {
    @Test("merged solutions are also scored as the search found them; unmerged ones only once")
    func searchedScores() throws {
        let root = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let settings = SearchSettings(model: FixturePaths.url("digits_mlp.onnx").path,
                                      data: FixturePaths.url("digits_val.npz").path, inputShapes: ["input": [1, 64]],
                                      seed: 3, population: 8, generations: 2, kMin: 4, kMax: 64, merge: true,
                                      tolerance: 2, limit: 120, genome: .k)
        let session = try SearchSession(settings: settings, directory: RunDirectory(root))
        let report = try session.run(resume: false) { _ in }
        let test = FixturePaths.url("digits_test.npz")
        let (_, scores) = try HeldOutScoring.score(session: session, report: report, data: test, limit: 120)

        let samples = try SampleSet.load(test, for: session.source.lowered, limit: 120)
        let evaluator = try RuntimeEvaluator(encoder: session.evaluator.encoder, samples: samples, metric: .accuracy)
        #expect(report.solutions.contains { $0.merged && $0.result.m < $0.searched.m }, "nothing merged")
        #expect(scores.count == report.solutions.count)
        for (solution, held) in zip(report.solutions, scores) {
            #expect(held.id == solution.id)
            // The final form: the solution's K with its merged groups, built afresh.
            let final = session.evaluator.encoder.encode(solution.encodingGenes,
                                                         grouping: BinGrouping(runLengths: solution.grouping))
            #expect(held.score == (try evaluator.score(final)))
            guard solution.merged else {
                #expect(held.searchedScore == nil)
                continue
            }
            // The unmerged form: the plain binning of the solution's K, built afresh from its genes.
            let plain = session.evaluator.encoder.encode(solution.encodingGenes)
            #expect(held.searchedScore == (try evaluator.score(plain)))
            #expect(held.searchedLoss == evaluator.floatScore - (try evaluator.score(plain)))
            #expect(try session.evaluator.score(plain) == solution.searched.score)
        }
    }
}
