import Foundation
import Testing

/// The full genome through the real command line: genes in pareto.json, held-out scores, a compiled solution with
/// scales (and outliers when the front has some) that verify and inspect read back as compile reported.
@Suite("wsc search --genome full / k", .serialized)
struct GenomeTests {
    @Test("full genome on a BN-folded ResNet: genes, pareto --data, compile/verify/inspect agree")
    func fullGenome() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run").path
        let search = try WSC.run(["search", WSC.fixture("folded/resnet_folded.onnx"), "--data",
                                  WSC.fixture("digits_val.npz"), "--out", run, "--input-shape", "input=1,1,8,8",
                                  "--population", "12", "--generations", "2", "--k-max", "64", "--limit", "60",
                                  "--no-merge", "--json"])
        #expect(search.status == 0, "\(search.stderr)")
        let front = try WSC.json(search.stdout)
        let solutions = front["solutions"] as? [[String: Any]] ?? []
        try #require(!solutions.isEmpty)
        for solution in solutions {
            let genes = solution["genes"] as? [String: Double] ?? [:]
            #expect(Set(genes.keys) == ["k", "scale_mode", "scale_stat", "clip_low_permille", "clip_high_permille",
                                           "outliers_per_10k", "scale_refit", "error_compensation",
                                           "bias_correction"])
        }

        let heldOut = try WSC.run(["pareto", run, "--data", WSC.fixture("digits_test.npz"), "--limit", "60",
                                   "--metric", "accuracy", "--json"])
        #expect(heldOut.status == 0, "\(heldOut.stderr)")
        let held = try WSC.json(heldOut.stdout)
        #expect((held["heldOut"] as? [[String: Any]])?.count == solutions.count)
        #expect(held["heldOutFloatScore"] as? Double != nil)
        #expect(held["heldOutMetric"] as? String == "accuracy")

        // Another metric for the held-out data: agreement with the float model, which agrees with itself.
        let agreement = try WSC.run(["pareto", run, "--data", WSC.fixture("digits_test.npz"), "--limit", "60",
                                     "--metric", "agreement", "--json"])
        #expect(agreement.status == 0, "\(agreement.stderr)")
        let agreed = try WSC.json(agreement.stdout)
        #expect(agreed["heldOutMetric"] as? String == "agreement")
        #expect(agreed["heldOutFloatScore"] as? Double == 1)
        // Accuracy can drop by at most the share of predictions that changed.
        let accuracyLoss = (held["heldOut"] as? [[String: Any]] ?? []).map { $0["loss"] as? Double ?? .nan }
        let agreementLoss = (agreed["heldOut"] as? [[String: Any]] ?? []).map { $0["loss"] as? Double ?? .nan }
        #expect(accuracyLoss.count == agreementLoss.count)
        for (a, b) in zip(accuracyLoss, agreementLoss) { #expect(a <= b + 1e-12) }
        let badMetric = try WSC.run(["pareto", run, "--data", WSC.fixture("digits_test.npz"), "--metric", "top5"])
        #expect(badMetric.status != 0)
        // ArgumentParser's message names the option, the bad value and the accepted values.
        #expect(badMetric.stderr.contains("The value 'top5' is invalid for '--metric <metric>'")
                && badMetric.stderr.contains("Please provide one of 'accuracy', 'agreement' or 'cosine'"), "\(badMetric.stderr)")
        let noData = try WSC.run(["pareto", run, "--metric", "accuracy"])
        #expect(noData.status != 0 && noData.stderr.contains("--metric needs --data"))

        // A solution that normalises (scale_mode 1 or 2), preferring one with outliers.
        let scaled = solutions.filter { (($0["genes"] as? [String: Double])?["scale_mode"] ?? 0) > 0 }
        let chosen = try #require(scaled.first { (($0["result"] as? [String: Any])?["outliers"] as? Int ?? 0) > 0 }
                                  ?? scaled.first, "no normalised solution on the front")
        let id = chosen["id"] as? Int ?? -1
        let out = root.appendingPathComponent("out").path
        let compile = try WSC.run(["compile", run, "--solution", String(id), "-o", out, "--json"])
        #expect(compile.status == 0, "\(compile.stderr)")
        let compiled = try WSC.json(compile.stdout)
        let outliers = compiled["outliers"] as? Int ?? -1
        #expect((compiled["scales"] as? Int ?? 0) > 0)

        let verify = try WSC.run(["verify", out + "/model.wsm", "--model", WSC.fixture("folded/resnet_folded.onnx"),
                                  "--data", WSC.fixture("digits_test.npz"), "--limit", "60", "--json"])
        #expect(verify.status == 0, "\(verify.stderr)")
        let report = try WSC.json(verify.stdout)
        let crCompile = compiled["compressionRatioFixed"] as? Double ?? 0
        let crVerify = report["compressionRatioFixed"] as? Double ?? -1
        #expect(abs(crCompile - crVerify) < 1e-9, "compile CR \(crCompile), verify CR \(crVerify)")

        let inspect = try WSC.run(["inspect", out + "/model.wsm", "--json"])
        #expect(inspect.status == 0)
        let info = try WSC.json(inspect.stdout)
        let features = info["requiredFeatures"] as? [String] ?? ["?"]
        #expect(features.contains("outliers") == (outliers > 0))
        let tensors = info["tensors"] as? [[String: Any]] ?? []
        #expect(tensors.reduce(0) { $0 + ($1["outliers"] as? Int ?? 0) } == outliers)
    }

    @Test("--genome k stores K alone; resuming with another genome is refused")
    func paperGenome() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run").path
        let common = ["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"), "--out", run,
                      "--input-shape", "input=1,64", "--population", "8", "--k-max", "64", "--limit", "60",
                      "--no-merge"]
        let search = try WSC.run(common + ["--generations", "1", "--genome", "k", "--json"])
        #expect(search.status == 0, "\(search.stderr)")
        let solutions = try WSC.json(search.stdout)["solutions"] as? [[String: Any]] ?? []
        try #require(!solutions.isEmpty)
        for solution in solutions {
            #expect((solution["genes"] as? [String: Double]).map { Array($0.keys) } == ["k"])
            #expect((solution["result"] as? [String: Any])?["scales"] as? Int == 0)
        }
        let resumed = try WSC.run(common + ["--generations", "2", "--genome", "full", "--resume"])
        #expect(resumed.status != 0)
        #expect(resumed.stderr.contains("--genome"), "\(resumed.stderr)")
        let bad = try WSC.run(common + ["--generations", "1", "--genome", "kk"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("The value 'kk' is invalid for '--genome <genome>'")
                && bad.stderr.contains("Please provide one of 'full' and 'k'"), "\(bad.stderr)")
    }
}
