import Foundation
import Testing

/// Bad input gets a non-zero exit and a message that names the problem; nothing is written.
@Suite("wsc error messages")
struct ErrorMessageTests {
    func searchFails(model: String, data: String, extra: [String] = [], mentions expected: [String]) throws {
        let out = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let run = out.appendingPathComponent("run")
        let result = try WSC.run(["search", model, "--data", data, "--out", run.path, "--generations", "1",
                                  "--population", "4"] + extra)
        #expect(result.status != 0)
        for text in expected { #expect(result.stderr.contains(text), "stderr: \(result.stderr)") }
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("pareto.json").path))
    }

    @Test("missing model file")
    func missingFile() throws {
        try searchFails(model: "/nonexistent/model.onnx", data: WSC.fixture("digits_val.npz"),
                        mentions: ["no such file", "/nonexistent/model.onnx"])
    }

    @Test("a folder where a file is expected; a compile output folder names its model.wsm")
    func folderForFile() throws {
        let out = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let compiled = out.appendingPathComponent("compiled")
        try FileManager.default.createDirectory(at: compiled, withIntermediateDirectories: true)
        let verify = ["--model", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz")]
        var result = try WSC.run(["verify", compiled.path] + verify)
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(compiled.path) is a folder, not a file"), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("compile output"), "stderr: \(result.stderr)")
        try Data([1]).write(to: compiled.appendingPathComponent("model.wsm"))
        result = try WSC.run(["verify", compiled.path] + verify)
        #expect(result.status != 0)
        #expect(result.stderr.contains("a compile output: its model is \(compiled.path)/model.wsm"),
                "stderr: \(result.stderr)")
    }

    @Test("a file that is not ONNX")
    func notONNX() throws {
        try searchFails(model: WSC.fixture("not_a_model.onnx"), data: WSC.fixture("digits_val.npz"),
                        mentions: ["not_a_model.onnx"])
    }

    @Test("an unsupported operator names the node and the op type")
    func unsupportedOp() throws {
        try searchFails(model: WSC.fixture("unsupported_op.onnx"), data: WSC.fixture("unsupported_op_io.npz"),
                        extra: ["--metric", "cosine"], mentions: ["Sin"])
    }

    @Test("an unpinned dynamic dimension names the input")
    func unpinned() throws {
        try searchFails(model: WSC.fixture("digits_mlp.onnx"), data: WSC.fixture("digits_val.npz"),
                        mentions: ["input", "--input-shape"])
    }

    @Test("data with a wrong dtype")
    func wrongDtype() throws {
        try searchFails(model: WSC.fixture("digits_mlp.onnx"), data: WSC.fixture("digits_bad_dtype.npz"),
                        extra: ["--input-shape", "input=1,64"], mentions: ["dtype"])
    }

    @Test("labels that do not match the samples")
    func labelMismatch() throws {
        try searchFails(model: WSC.fixture("digits_mlp.onnx"), data: WSC.fixture("digits_bad_labels.npz"),
                        extra: ["--input-shape", "input=1,64", "--metric", "accuracy"], mentions: ["y"])
    }

    @Test("samples of the wrong shape")
    func wrongShape() throws {
        try searchFails(model: WSC.fixture("digits_mlp.onnx"), data: WSC.fixture("softmax_opset11_io.npz"),
                        extra: ["--input-shape", "input=1,64", "--metric", "cosine"], mentions: ["shape"])
    }

    @Test("a bad --input-shape and a bad --metric are usage errors")
    func usage() throws {
        try searchFails(model: WSC.fixture("digits_mlp.onnx"), data: WSC.fixture("digits_val.npz"),
                        extra: ["--input-shape", "input=1,x"],
                        mentions: ["'input=1,x'", "--input-shape", "dimension 2 is 'x', not a positive integer"])
        try searchFails(model: WSC.fixture("digits_mlp.onnx"), data: WSC.fixture("digits_val.npz"),
                        extra: ["--metric", "f1"],
                        mentions: ["The value 'f1' is invalid for '--metric <metric>'",
                                   "Please provide one of 'accuracy', 'agreement' or 'cosine'"])
        for (option, value, accepted) in [("--merge-floor", "middle", "'start' and 'float'"),
                                          ("--bn-fold", "both", "'epilogue' and 'weights'")] {
            try searchFails(model: WSC.fixture("digits_mlp.onnx"), data: WSC.fixture("digits_val.npz"),
                            extra: [option, value],
                            mentions: ["The value '\(value)' is invalid for '\(option) <", "Please provide one of \(accepted)"])
        }
        let io = try WSC.run(["run", "/nonexistent", "--board", "qemu-mps2-an386", "--data", "x.npz", "--io", "usb"])
        #expect(io.status != 0 && io.stderr.contains("The value 'usb' is invalid for '--io <io>'")
                && io.stderr.contains("Please provide one of 'semihosting' and 'uart'"), "\(io.stderr)")
    }

    @Test("every malformed --input-shape names the value and the reason; an input given twice is refused")
    func inputShapes() throws {
        let cases = [
            "x=": "no dimensions after '='",
            "=1,2": "the input's name before '=' is empty",
            "x=1,0": "dimension 2 is '0', not a positive integer",
            "x=a": "dimension 1 is 'a', not a positive integer",
            "x": "no '=' between the input's name and its dimensions",
        ]
        for (value, reason) in cases.sorted(by: { $0.key < $1.key }) {
            try searchFails(model: WSC.fixture("digits_mlp.onnx"), data: WSC.fixture("digits_val.npz"),
                            extra: ["--input-shape", value],
                            mentions: ["The value '\(value)' is invalid for '--input-shape", reason,
                                       "expected name=d1,d2,..."])
        }
        try searchFails(model: WSC.fixture("digits_mlp.onnx"), data: WSC.fixture("digits_val.npz"),
                        extra: ["--input-shape", "input=1,64", "--input-shape", "input=1,32"],
                        mentions: ["--input-shape gives input 'input' twice (input=1,64 and input=1,32)"])
    }

    @Test("inspect rejects a damaged .wsm and a non-run directory is named")
    func damaged() throws {
        let inspect = try WSC.run(["inspect", WSC.fixture("digits_mlp.onnx")])
        #expect(inspect.status != 0)
        #expect(inspect.stderr.contains("invalid .wsm model"))
        let pareto = try WSC.run(["pareto", "/tmp"])
        #expect(pareto.status != 0)
        #expect(pareto.stderr.contains("not a search run directory"))
    }
}
