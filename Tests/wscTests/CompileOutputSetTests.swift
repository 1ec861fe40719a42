import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `wsc compile` writes its files as one set (issue 15): a kill at any point leaves the output folder with either
/// the complete old set or the complete new one, no temporary file survives a finished run, and file errors are
/// one sentence naming the path and the cause.
@Suite("wsc compile: the output set survives kills", .serialized)
struct CompileOutputSetTests {
    static let runDirectory: Result<String, Error> = Result {
        let root = try WSC.temporaryDirectory()
        let run = root.appendingPathComponent("run").path
        let search = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                  "--out", run, "--input-shape", "input=1,64", "--population", "8",
                                  "--generations", "1", "--limit", "60", "--genome", "k"])
        guard search.status == 0 else { throw Failed(stderr: search.stderr) }
        return run
    }

    struct Failed: Error { var stderr: String }

    /// The two sets the kills alternate between: the host compile (3 files) and a board compile (with images).
    static func arguments(_ variant: Int, out: String) throws -> [String] {
        ["compile", try runDirectory.get(), "--max-loss", "100", "-o", out]
            + (variant == 0 ? [] : ["--board", "nucleo-f746zg", "--no-runtime-size"])
    }

    /// The files of a folder (name → bytes), without sub-folders.
    static func contents(_ folder: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let url = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[name] = try Data(contentsOf: url)
            }
        }
        return result
    }

    @Test("killed at 24 points, compile leaves the old set or the new set; a finished run leaves no temporary files")
    func kills() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try Self.runDirectory.get()
        // Reference sets, and how long a compile takes.
        var references: [[String: Data]] = []
        var duration = 0.0
        for variant in 0...1 {
            let out = root.appendingPathComponent("reference\(variant)")
            let start = Date()
            let result = try WSC.run(try Self.arguments(variant, out: out.path))
            duration = max(duration, Date().timeIntervalSince(start))
            #expect(result.status == 0, "\(result.stderr)")
            references.append(try Self.contents(out))
        }
        #expect(references[0].count == 3 && references[1].count >= 5 && references[0] != references[1])

        let parent = root.appendingPathComponent("target")
        let out = parent.appendingPathComponent("out")
        // A file of the user's next to the set must survive every kill.
        #expect(try WSC.run(try Self.arguments(0, out: out.path)).status == 0)
        try Data("keep".utf8).write(to: out.appendingPathComponent("notes.txt"))
        var present = 0
        var outcomes = [0, 0]
        let kills = 24
        for i in 0..<kills {
            let next = 1 - present
            let process = Process()
            process.executableURL = WSC.executable
            process.arguments = try Self.arguments(next, out: out.path)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(duration * (0.3 + Double(i) / Double(kills)) * 1_000_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            var files = try Self.contents(out)
            #expect(files.removeValue(forKey: "notes.txt") == Data("keep".utf8), "kill \(i): notes.txt lost")
            let set = references.firstIndex(of: files)
            #expect(set != nil, "kill \(i) after \(i) / \(kills) of a compile left a mixed set: \(files.keys.sorted())")
            if let set {
                outcomes[set == present ? 0 : 1] += 1
                present = set
            }
        }
        // A finished run cleans up what killed runs left next to the folder.
        #expect(try WSC.run(try Self.arguments(0, out: out.path)).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path) == ["out"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).allSatisfy { !$0.hasPrefix(".") })
        var final = try Self.contents(out)
        final.removeValue(forKey: "notes.txt")
        #expect(final == references[0])
        print("compile kills: \(outcomes[0]) left the old set, \(outcomes[1]) the new one (compile takes \(duration) s)")
    }

    @Test("an output path that cannot be written is one sentence naming it and the cause; nothing is left")
    func unwritable() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        for (out, cause) in [(file.path, "it is a file, not a folder"),
                             (file.appendingPathComponent("out").path, "it is a file, not a folder")] {
            let result = try WSC.run(try Self.arguments(0, out: out))
            #expect(result.status != 0)
            #expect(result.stderr.contains("cannot write") && result.stderr.contains(cause), "\(result.stderr)")
            #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("Error Domain"))
            // One sentence, besides compile's report of the solution it chose (and the warning about the selection
            // split's resolution) that comes before it.
            #expect(result.stderr.split(separator: "\n")
                        .filter { !$0.hasPrefix("chose solution") && !$0.hasPrefix("warning: ") }.count == 1,
                    "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["a-file"])
        // A read-only folder (not as root, which may write anywhere).
        if getuid() != 0 {
            let locked = root.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
            chmod(locked.path, 0o555)
            defer { chmod(locked.path, 0o755) }
            let result = try WSC.run(try Self.arguments(0, out: locked.appendingPathComponent("out").path))
            #expect(result.status != 0)
            #expect(result.stderr.contains("cannot write \(locked.path)") && result.stderr.contains("permission denied"),
                    "\(result.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: locked.path).isEmpty)
        }
    }
}
