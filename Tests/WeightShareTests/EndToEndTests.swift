import Foundation
import Testing
import WeightShareReader
import WeightShare

@Suite("Digits MLP end to end", .serialized)
struct EndToEndTests {
    let source: ModelSource
    let test: SampleSet

    init() throws {
        source = try ModelSource.load(FixturePaths.url("digits_mlp.onnx"), inputShapes: ["input": [1, 64]])
        test = try SampleSet.load(FixturePaths.url("digits_test.npz"), for: source.lowered)
    }

    @Test("unshared weights: the C runtime matches onnxruntime within 1e-5 relative")
    func matchesOnnxruntime() throws {
        let model = try WSMModel(bytes: try source.prepared.container(quantization: nil))
        let outputs = try BatchRunner.run(model, samples: test)
        let reference = try NumPy.readNPZ(url: FixturePaths.url("digits_mlp_test_ref.npz")).first { $0.name == "y" }!
        let expected = reference.floats
        #expect(outputs.count == expected.count)
        #expect(outputs.count == 360 * 10)
        var worst = 0.0
        for (a, b) in zip(outputs, expected) {
            worst = max(worst, Double(abs(a - b)) / (Double(abs(b)) + 1e-9))
        }
        #expect(worst <= 1e-5, "largest relative difference \(worst)")
    }

    @Test("the evaluator's predictions equal wsc verify's on every test sample")
    func evaluatorMatchesVerify() throws {
        let evaluator = try RuntimeEvaluator(model: source.prepared, samples: test, metric: .accuracy)
        let q = Quantization(binning: UniformBinning(values: source.prepared.shared.values, k: 12))
        let outputs = try evaluator.outputs(q)
        let predictions = (0..<test.count).map { Metric.argmax(outputs[($0 * 10)..<(($0 + 1) * 10)]) }

        let directory = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("model.wsm")
        try Data(try source.prepared.container(quantization: q)).write(to: file)
        let report = try Verification.verify(wsm: file, model: FixturePaths.url("digits_mlp.onnx"),
                                             data: FixturePaths.url("digits_test.npz"))
        #expect(report.predictions == predictions)
        #expect(report.samples == 360)
        #expect(abs(report.compressedAccuracy! - (try evaluator.score(q))) < 1e-12)
        #expect(abs(report.floatAccuracy! - evaluator.floatScore) < 1e-12)
        #expect(report.m == q.codebookSize)
        #expect(report.sharedWeights == 17_024)
    }

    @Test("a resumed search ends exactly like an uninterrupted one; the same seed writes the same .wsm")
    func resumeAndDeterminism() throws {
        let root = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func settings(generations: Int) -> SearchSettings {
            SearchSettings(model: FixturePaths.url("digits_mlp.onnx").path, data: FixturePaths.url("digits_val.npz").path,
                           inputShapes: ["input": [1, 64]], seed: 5, population: 8, generations: generations,
                           kMin: 2, kMax: 64, merge: true, limit: 120)
        }
        let whole = RunDirectory(root.appendingPathComponent("whole"))
        let full = try SearchSession(settings: settings(generations: 3), directory: whole).run(resume: false) { _ in }

        let parts = RunDirectory(root.appendingPathComponent("parts"))
        _ = try SearchSession(settings: settings(generations: 1), directory: parts).run(resume: false) { _ in }
        let resumed = try SearchSession(settings: settings(generations: 3), directory: parts).run(resume: true) { _ in }
        #expect(resumed.solutions == full.solutions)
        #expect(resumed.evaluations <= full.evaluations)
        #expect(try Data(contentsOf: whole.paretoCSV) == Data(contentsOf: parts.paretoCSV))

        // Starting again over a finished run is refused rather than overwriting it.
        #expect(throws: RunError.self) {
            try SearchSession(settings: settings(generations: 3), directory: whole).run(resume: false) { _ in }
        }

        let session = try SearchSession.reopen(whole)
        let a = try ModelCompiler.compile(session: session, solution: full.solutions[0])
        let b = try ModelCompiler.compile(session: try SearchSession.reopen(parts), solution: resumed.solutions[0])
        #expect(a.wsm == b.wsm)
        #expect(a.cFiles == b.cFiles)
        // The merge (tolerance 0, the paper's floor) never lowers a solution's score.
        for s in full.solutions { #expect(s.result.score >= s.searched.score) }
    }
}
