import Foundation
import Testing

/// Issue 13 from the command line: the selection split in pareto.json, compile's confidence-aware choice, its
/// warning on data too small for the tolerance, and the refusal of contradictory options.
@Suite("wsc search/compile: selection split and confident choice", .serialized)
struct SelectionCommandTests {
    static let runDirectory: Result<String, Error> = Result {
        let root = try WSC.temporaryDirectory()
        let run = root.appendingPathComponent("run").path
        let search = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                  "--out", run, "--input-shape", "input=1,64", "--population", "8",
                                  "--generations", "1", "--limit", "200", "--genome", "k"])
        guard search.status == 0 else { throw Failed(stderr: search.stderr) }
        return run
    }

    struct Failed: Error { var stderr: String }

    @Test("the default search keeps 30 % apart and pareto.json holds both scores; run.json stores the split")
    func paretoHoldsBoth() throws {
        let run = try Self.runDirectory.get()
        let pareto = try WSC.json(try String(contentsOfFile: run + "/pareto.json", encoding: .utf8))
        let selection = try #require(pareto["selection"] as? [String: Any])
        // 30 % of 200, rounded per label (stratified).
        let kept = try #require(selection["samples"] as? Int)
        #expect((55...65).contains(kept))
        #expect(pareto["samples"] as? Int == 200 - kept)
        for solution in try #require(pareto["solutions"] as? [[String: Any]]) {
            let s = try #require(solution["selection"] as? [String: Any])
            #expect(s["lossUpper"] is Double && s["score"] is Double)
        }
        let settings = try #require(try WSC.json(try String(contentsOfFile: run + "/run.json", encoding: .utf8))["settings"] as? [String: Any])
        #expect(settings["selectFraction"] as? Double == 0.3)
        #expect(settings["mergeRule"] as? String == "bound" && settings["front"] as? String == "noise")
        let csv = try String(contentsOfFile: run + "/pareto.csv", encoding: .utf8)
        #expect(csv.hasPrefix(try #require(csv.split(separator: "\n").first).description)
                && csv.contains("selection_score,selection_loss_points,selection_upper_points"))
        let svg = try String(contentsOfFile: run + "/pareto.svg", encoding: .utf8)
        #expect(svg.contains("selection") && svg.contains("#0"))
    }

    @Test("compile prints the interval it used; held-out data too small for the tolerance gives the warning")
    func warning() throws {
        let run = try Self.runDirectory.get()
        let out = try WSC.temporaryDirectory().path
        let plain = try WSC.run(["compile", run, "-o", out, "--json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stderr.contains("90 % upper bound") && plain.stderr.contains("selection split 30 % of digits_val.npz"), "\(plain.stderr)")
        let choice = try #require(try WSC.json(plain.stdout)["choice"] as? [String: Any])
        let pareto = try WSC.json(try String(contentsOfFile: run + "/pareto.json", encoding: .utf8))
        #expect(choice["samples"] as? Int == (pareto["selection"] as? [String: Any])?["samples"] as? Int)
        let tiny = try WSC.run(["compile", run, "-o", out, "--data", WSC.fixture("digits_test.npz"), "--limit", "20"])
        #expect(tiny.status == 0, "\(tiny.stderr)")
        #expect(tiny.stderr.contains("warning: 1 sample = 5.00 point; the transfer bound on 20 samples pairs too few"), "\(tiny.stderr)")
        #expect(tiny.stderr.contains("held-out data digits_test.npz, 20 samples"), "\(tiny.stderr)")
        // The count bound cannot resolve 1 point on 20 samples: it falls back to its resolution, and says so.
        let count = try WSC.run(["compile", run, "-o", out, "--data", WSC.fixture("digits_test.npz"), "--limit", "20",
                                 "--bound", "count"])
        #expect(count.status == 0, "\(count.stderr)")
        #expect(count.stderr.contains("warning: 1 sample = 5.00 point; max-loss 1.00 cannot be resolved with 90 % confidence on 20 samples"), "\(count.stderr)")
        let badBound = try WSC.run(["compile", run, "-o", out, "--bound", "median"])
        #expect(badBound.status != 0 && badBound.stderr.contains("transfer") && badBound.stderr.contains("count"), "\(badBound.stderr)")
    }

    @Test("--solution with --max-loss (or --confidence, --bound, --data) is refused as contradictory")
    func contradictory() throws {
        let run = try Self.runDirectory.get()
        let out = try WSC.temporaryDirectory().path
        for extra in [["--max-loss", "1"], ["--confidence", "0.95"], ["--bound", "count"],
                      ["--data", WSC.fixture("digits_test.npz")]] {
            let r = try WSC.run(["compile", run, "--solution", "0", "-o", out] + extra)
            #expect(r.status != 0 && r.stderr.contains("contradict each other"), "\(r.stderr)")
        }
        let bad = try WSC.run(["compile", run, "-o", out, "--confidence", "1"])
        #expect(bad.status != 0 && bad.stderr.contains("--confidence must be"), "\(bad.stderr)")
        let split = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                 "--out", out + "/r", "--select-fraction", "1"])
        #expect(split.status != 0 && split.stderr.contains("--select-fraction must be"), "\(split.stderr)")
    }
}
