import Foundation
import Testing

/// `wsc search`'s executor options are checked before anything is read or written (the cluster itself is tested by
/// scripts/ray-test.sh).
@Suite("wsc search --executor")
struct ExecutorCommandTests {
    func refused(_ extra: [String], mentions expected: String) throws {
        let out = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let run = out.appendingPathComponent("run")
        let result = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                  "--out", run.path, "--input-shape", "input=1,64"] + extra)
        #expect(result.status != 0)
        #expect(result.stderr.contains(expected), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run.path))
    }

    @Test("ray options without --executor ray, a missing or malformed address, a bad worker count")
    func validation() throws {
        try refused(["--ray-address", "127.0.0.1:6379"], mentions: "--ray-address applies only with --executor ray")
        try refused(["--executor", "ray"], mentions: "--executor ray needs --ray-address HOST:PORT")
        for address in ["127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", ":6379", "host:port"] {
            try refused(["--executor", "ray", "--ray-address", address], mentions: "is not HOST:PORT")
        }
        try refused(["--executor", "ray", "--ray-address", "127.0.0.1:6379", "--ray-workers", "0"],
                    mentions: "--ray-workers must be ≥ 1")
        try refused(["--executor", "cloud"], mentions: "cloud")
    }

    @Test("a Python that is not there is named, and no run is left behind")
    func missingPython() throws {
        try refused(["--executor", "ray", "--ray-address", "127.0.0.1:6379", "--ray-python", "/nonexistent/python3"],
                    mentions: "--ray-python /nonexistent/python3: no such executable")
    }

    @Test("the worker subcommand is internal: not listed in the help")
    func workerHidden() throws {
        let help = try WSC.run(["--help"])
        #expect(!help.stdout.contains("worker"))
        let result = try WSC.run(["worker", "--settings", "/nonexistent/settings.json"])
        #expect(result.status != 0)
        #expect(result.stdout.contains("cannot read the settings /nonexistent/settings.json"))
    }
}
