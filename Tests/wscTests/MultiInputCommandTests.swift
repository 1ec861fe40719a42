import Foundation
import Testing

/// A model with two run-time inputs, two outputs and an If on a third (int64) input, through the command line:
/// `--input-value`, named data arrays, `--output`, `--feedback` (`Tests/Fixtures/io`, scripts/make_io_fixtures.py).
@Suite("wsc with several inputs and outputs", .serialized)
struct MultiInputCommandTests {
    static let model = WSC.fixture("io/stateful_cell.onnx")
    static let data = WSC.fixture("io/stateful_cell_io.npz")

    @Test("search → compile → verify (per sample and free-running) with sr pinned")
    func pipeline() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run").path, out = root.appendingPathComponent("out").path

        let unpinned = try WSC.run(["search", Self.model, "--data", Self.data, "--out", run, "--metric", "cosine"])
        #expect(unpinned.status != 0)
        #expect(unpinned.stderr.contains("--input-value sr=VALUE"), "\(unpinned.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run + "/run.json"))

        let search = try WSC.run(["search", Self.model, "--data", Self.data, "--out", run, "--input-value", "sr=16000",
                                  "--metric", "cosine", "--population", "8", "--generations", "2", "--seed", "5"])
        #expect(search.status == 0, "\(search.stderr)")
        let compile = try WSC.run(["compile", run, "--max-loss", "1", "-o", out, "--json"])
        #expect(compile.status == 0, "\(compile.stderr)")

        // Per sample: each sample's state from the data; the pinned sr comes from the .wsm's metadata.
        let verify = try WSC.run(["verify", out + "/model.wsm", "--model", Self.model, "--data", Self.data, "--json"])
        #expect(verify.status == 0, "\(verify.stderr)")
        let report = try WSC.json(verify.stdout)
        let outputs = report["outputs"] as? [[String: Any]] ?? []
        #expect(outputs.map { $0["name"] as? String } == ["logits", "state_out"])
        #expect(report["classOutput"] as? String == "logits")
        #expect(report["sourceMatches"] as? Bool == true)
        #expect((report["meanCosine"] as? Double ?? 0) > 0.98, "\(report)")
        #expect((report["feedback"] as? [String]) == [])

        // Free-running: the compressed model's error may accumulate through the state; it is measured as deployed.
        let free = try WSC.run(["verify", out + "/model.wsm", "--model", Self.model, "--data", Self.data,
                                "--feedback", "state=state_out", "--json"])
        #expect(free.status == 0, "\(free.stderr)")
        let freeReport = try WSC.json(free.stdout)
        #expect((freeReport["feedback"] as? [String]) == ["state=state_out"])
        #expect((freeReport["meanCosine"] as? Double ?? 0) > 0.95, "\(freeReport)")

        let one = try WSC.run(["verify", out + "/model.wsm", "--model", Self.model, "--data", Self.data,
                               "--output", "state_out", "--json"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(try WSC.json(one.stdout)["classOutput"] as? String == "state_out")

        let wrongSize = try WSC.run(["verify", out + "/model.wsm", "--model", Self.model, "--data", Self.data,
                                     "--feedback", "state=logits"])
        #expect(wrongSize.status != 0)
        #expect(wrongSize.stderr.contains("does not have the element count of input 'state'"), "\(wrongSize.stderr)")

        // Verifying with another pinned value lowers the other branch: the interface is the same, the outputs not.
        let other = try WSC.run(["verify", out + "/model.wsm", "--model", Self.model, "--data", Self.data,
                                 "--input-value", "sr=8000", "--json"])
        #expect(other.status == 0, "\(other.stderr)")
        #expect((try WSC.json(other.stdout)["meanCosine"] as? Double ?? 1) < (report["meanCosine"] as? Double ?? 0))

        let missing = try WSC.run(["verify", out + "/model.wsm", "--model", Self.model,
                                   "--data", WSC.fixture("io/stateful_cell_missing_state.npz")])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("missing: 'state'"), "\(missing.stderr)")
    }

    @Test("check lists the If's input to pin, and passes once it is pinned")
    func check() throws {
        let open = try WSC.run(["check", Self.model])
        #expect(open.status == 1)
        #expect(open.stdout.contains("control flow:") && open.stdout.contains("--input-value sr=VALUE"), "\(open.stdout)")
        let pinned = try WSC.run(["check", Self.model, "--input-value", "sr=16000"])
        #expect(pinned.status == 0, "\(pinned.stdout)\(pinned.stderr)")
        let bad = try WSC.run(["check", Self.model, "--input-value", "sr=16k"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("not a finite number"), "\(bad.stderr)")
    }
}
