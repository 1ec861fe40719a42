import Foundation
import Testing

/// Progress lines, merge orders and the merge cap through the real command line.
@Suite("wsc search/merge: progress lines, --merge-order, the evaluation cap", .serialized)
struct MergeProgressCommandTests {
    /// A short K-only search (16 ≤ K ≤ 64, so every solution has codebook entries to merge) with the given extras.
    func search(_ run: String, _ extra: [String]) throws -> CommandResult {
        try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"), "--out", run,
                     "--input-shape", "input=1,64", "--genome", "k", "--merge-rule", "score", "--select-fraction", "0",
                     "--population", "8", "--generations", "2", "--k-min", "16", "--k-max", "64", "--limit", "100",
                     "--seed", "4", "--json"] + extra)
    }

    @Test("generation lines carry elapsed and ETA; --json stays JSON; a capped merge prints progress and says it stopped")
    func progressAndCap() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run").path
        let found = try search(run, ["--no-merge"])
        #expect(found.status == 0, "\(found.stderr)")
        _ = try WSC.json(found.stdout)
        let generations = found.stderr.split(separator: "\n").filter { $0.hasPrefix("gen ") }
        #expect(generations.count == 3)
        for line in generations {
            let pattern = #/ {2}elapsed ([0-9.]+s|\d+m\d\ds|\d+h\d\dm) {2}ETA ([0-9.]+s|\d+m\d\ds|\d+h\d\dm)$/#
            #expect(line.firstMatch(of: pattern) != nil, "\(line)")
        }
        #expect(generations.last?.hasSuffix("ETA 0.0s") == true)
        // Without the new options run.json has no merge-order or cap: an older run looks the same and merges the
        // paper's way.
        let settings = try WSC.json(String(contentsOfFile: run + "/run.json", encoding: .utf8))["settings"] as? [String: Any]
        #expect(settings?["mergeOrder"] == nil && settings?["mergeMaxEvaluations"] == nil)
        let paper = try WSC.run(["merge", run, "--solution", "0", "--json"])
        #expect(paper.status == 0, "\(paper.stderr)")
        let paperOrder = try WSC.json(paper.stdout)["mergeOrder"] as? String
        #expect(paperOrder == "left-to-right" || paperOrder == "centre-to-ends")

        let front = try WSC.json(found.stdout)["solutions"] as? [[String: Any]] ?? []
        let widest = try #require(front.max { ($0["k"] as? Int ?? 0) < ($1["k"] as? Int ?? 0) })
        let id = try #require(widest["id"] as? Int)
        let capped = try WSC.run(["merge", run, "--solution", String(id), "--order", "weight-error",
                                  "--max-evaluations", "3", "--progress-interval", "0", "--json"])
        #expect(capped.status == 0, "\(capped.stderr)")
        let merged = try WSC.json(capped.stdout)
        #expect(merged["mergeEvaluations"] as? Int == 3 && merged["mergeStoppedAtCap"] as? Bool == true)
        #expect(merged["mergeOrder"] as? String == "weight-error")
        let lines = capped.stderr.split(separator: "\n").map(String.init)
        let progress = lines.filter { $0.contains("): pass ") }
        #expect(progress.count == 3, "\(capped.stderr)")
        for (j, line) in progress.enumerated() {
            let pattern = #/^merge #(\d+) K=\d+ \(weight-error\): pass 1, boundary \d+/\d+, M now \d+, evaluations (\d+) \(cap 3\), elapsed [0-9.]+s, ETA [0-9.]+s for this pass, at most [0-9.]+s to the cap$/#
            let match = try #require(line.firstMatch(of: pattern), "\(line)")
            #expect(Int(match.1) == id && Int(match.2) == j + 1)
        }
        #expect(lines.contains { $0.hasPrefix("merge #\(id) K=") && $0.hasSuffix("stopped at the cap of 3 evaluations (--merge-max-evaluations)") },
                "\(capped.stderr)")
        let refused = try WSC.run(["merge", run, "--solution", "0", "--max-evaluations", "0"])
        #expect(refused.status != 0 && refused.stderr.contains("--max-evaluations must be ≥ 1"), "\(refused.stderr)")
    }

    @Test("search stores --merge-order and --merge-max-evaluations and merges the front with them")
    func searchOptions() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run").path
        let found = try search(run, ["--merge-order", "weight-error", "--merge-max-evaluations", "2"])
        #expect(found.status == 0, "\(found.stderr)")
        let settings = try WSC.json(String(contentsOfFile: run + "/run.json", encoding: .utf8))["settings"] as? [String: Any]
        #expect(settings?["mergeOrder"] as? String == "weight-error" && settings?["mergeMaxEvaluations"] as? Int == 2)
        let solutions = try WSC.json(found.stdout)["solutions"] as? [[String: Any]] ?? []
        #expect(!solutions.isEmpty)
        for s in solutions {
            #expect(s["mergeOrder"] as? String == "weight-error")
            // 16 ≤ K: pass 1 has more than 2 boundaries and ends only after 8 refusals in a row, so every merge
            // needs a third scoring and hits the cap.
            #expect(s["mergeEvaluations"] as? Int == 2 && s["mergeStoppedAtCap"] as? Bool == true, "\(s)")
        }
        #expect(found.stderr.contains("stopped at the cap of 2 evaluations"))
        let refused = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                   "--out", root.appendingPathComponent("other").path, "--merge-max-evaluations", "0"])
        #expect(refused.status != 0 && refused.stderr.contains("--merge-max-evaluations must be ≥ 1"))
    }
}
