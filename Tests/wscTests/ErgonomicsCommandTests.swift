import Foundation
import Testing

/// Issue 17's smaller items, through the real command line.
@Suite("wsc ergonomics", .serialized)
struct ErgonomicsCommandTests {
    static let boardsDirectory = WSC.fixtures.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("boards")

    @Test("compile refuses --solution together with --max-loss; each alone is accepted")
    func contradictoryOptions() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (_, _) = try ReportCommandTests.compiled(k: 16, in: root)
        let run = root.appendingPathComponent("run-16").path
        let both = try WSC.run(["compile", run, "--solution", "0", "--max-loss", "5", "-o", root.appendingPathComponent("x").path])
        #expect(both.status != 0)
        #expect(both.stderr.contains("--solution") && both.stderr.contains("--max-loss") && both.stderr.contains("contradict each other"), "\(both.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("x").path))
        let solution = try WSC.run(["compile", run, "--solution", "0", "-o", root.appendingPathComponent("s").path])
        #expect(solution.status == 0, "\(solution.stderr)")
    }

    @Test("verify against another .onnx says first that the .wsm came from another model, with both SHA-256s")
    func otherModelFirst() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (out, _) = try ReportCommandTests.compiled(k: 16, in: root)
        // LeNet takes [1, 1, 8, 8]: lowering it with the MLP's [1, 64] input fails before any interface check.
        let lenet = try WSC.run(["verify", out + "/model.wsm", "--model", WSC.fixture("cnn/lenet.onnx"),
                                 "--data", WSC.fixture("digits_test.npz")])
        #expect(lenet.status != 0)
        let first = lenet.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("Error: this .wsm was compiled from another model (digits_mlp.onnx, SHA-256 "
                                + (try sha256(WSC.fixture("digits_mlp.onnx")))), "\(lenet.stderr)")
        #expect(first.contains(try sha256(WSC.fixture("cnn/lenet.onnx"))))
        // What lowering said comes after, as the detail.
        let lowering = first.range(of: "lowering it with the .wsm's inputs fails")
        #expect(lowering != nil && first.range(of: "--input-shape")!.lowerBound > lowering!.lowerBound)
        // The right model still verifies and matches.
        let right = try WSC.run(["verify", out + "/model.wsm", "--model", WSC.fixture("digits_mlp.onnx"),
                                 "--data", WSC.fixture("digits_test.npz"), "--limit", "20", "--json"])
        #expect(right.status == 0, "\(right.stderr)")
        #expect(try WSC.json(right.stdout)["sourceMatches"] as? Bool == true)
    }

    /// A copy of qemu-mps2-an386.json named `name` with a model region of `size`.
    static func board(_ name: String, modelRegion size: String, in root: URL) throws -> String {
        let text = try String(contentsOf: boardsDirectory.appendingPathComponent("qemu-mps2-an386.json"), encoding: .utf8)
        var json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        json["name"] = name
        var region = json["modelRegion"] as? [String: Any] ?? [:]
        region["size"] = size
        json["modelRegion"] = region
        let url = root.appendingPathComponent(name + ".json")
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return url.path
    }

    @Test("search on a board no candidate fits is refused before the first generation, with the numbers")
    func earlyRefusal() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func search(_ board: String, kMin: Int, kMax: Int = 1024) throws -> CommandResult {
            try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                         "--out", root.appendingPathComponent("run-\(kMin)-\(UUID().uuidString)").path,
                         "--input-shape", "input=1,64", "--genome", "k", "--k-min", String(kMin), "--k-max", String(kMax),
                         "--population", "8", "--generations", "3", "--limit", "50", "--board-file", board])
        }
        // 17,024 shared weights need 2,128 bytes at 1 bit each, before the biases (808) and the graph.
        let tiny = try Self.board("tiny-region", modelRegion: "2K", in: root)
        let none = try search(tiny, kMin: 2)
        #expect(none.status != 0)
        #expect(!none.stderr.contains("gen "), "ran generations: \(none.stderr)")
        #expect(none.stderr.contains("the model region's 2048 bytes"), "\(none.stderr)")
        #expect(none.stderr.contains("17024 weights: 2128 bytes"))
        #expect(none.stderr.contains("no --k-min can fit"))
        #expect(!none.stderr.contains("try a smaller --k-min"))

        // 6 KiB: K=2 (1-bit indices, about 4.5 KB) fits, K=64 (6-bit, about 15 KB) does not.
        let small = try Self.board("small-region", modelRegion: "6K", in: root)
        let high = try search(small, kMin: 64)
        #expect(high.status != 0 && !high.stderr.contains("gen "), "\(high.stderr)")
        #expect(high.stderr.contains("K=64"))
        #expect(high.stderr.contains("with --k-min 2 the smallest candidate (1-bit indices) would be"), "\(high.stderr)")
        #expect(high.stderr.contains("which fits"))
        let low = try search(small, kMin: 2, kMax: 3)
        #expect(low.status == 0, "\(low.stderr)")
        #expect(low.stderr.contains("gen   3/3"))
    }

    @Test("a search's board fit counts indices as compile writes them by default: coded where that is smaller")
    func codedFit() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // K=3 (2-bit indices): about 6.7 KB fixed width, 4.7 KB Huffman-coded; a 5 KiB region holds only the latter.
        let board = try Self.board("five-k", modelRegion: "5K", in: root)
        let run = root.appendingPathComponent("run").path
        let search = try WSC.run(["search", WSC.fixture("digits_mlp.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                  "--out", run, "--input-shape", "input=1,64", "--genome", "k", "--k-min", "3",
                                  "--k-max", "3", "--population", "8", "--generations", "2", "--limit", "50",
                                  "--board-file", board])
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stderr.contains("gen   2/2"), "\(search.stderr)")
        let coded = try WSC.run(["compile", run, "--solution", "0", "--board-file", board, "-o",
                                 root.appendingPathComponent("coded").path])
        #expect(coded.status == 0, "\(coded.stderr)")
        let wsm = root.appendingPathComponent("coded/model.wsm").path
        #expect((try FileManager.default.attributesOfItem(atPath: wsm)[.size] as? Int ?? .max) <= 5120)
        // The same solution fixed width does not fit: the fit the search used was the coded one.
        let fixed = try WSC.run(["compile", run, "--solution", "0", "--board-file", board, "--index-coding", "fixed",
                                 "-o", root.appendingPathComponent("fixed").path])
        #expect(fixed.status != 0)
        #expect(fixed.stderr.contains("the model region of 'five-k' has 5120"), "\(fixed.stderr)")
    }

    @Test("completion: the bash script completes .onnx/.npz/.wsm files and asks wsc for board names")
    func completion() throws {
        let script = try WSC.run(["--generate-completion-script", "bash"])
        #expect(script.status == 0)
        for pattern in ["'!*.@(onnx)'", "'!*.@(npz)'", "'!*.@(wsm)'", "'!*.@(html)'",
                        "---completion compile -- --board", "---completion report -- --board"] {
            #expect(script.stdout.contains(pattern), "\(pattern)")
        }
        // Enumerated options list their values: metrics, genomes, --io.
        #expect(script.stdout.contains("-W 'accuracy'$'\\n''agreement'$'\\n''cosine'"))
        #expect(script.stdout.contains("-W 'semihosting'$'\\n''uart'"))
        // What the script runs for --board: the names of the boards folder's files, filtered by the word typed.
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.boardsDirectory.path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
        let all = try WSC.run(["---completion", "compile", "--", "--board", "3", "0", "wsc", "compile", "--board", ""])
        #expect(all.stdout.split(separator: "\n").map(String.init) == files, "\(all.stdout)")
        let qemu = try WSC.run(["---completion", "run", "--", "--board", "3", "4", "wsc", "run", "--board", "qemu"])
        #expect(qemu.stdout.split(separator: "\n").map(String.init) == files.filter { $0.hasPrefix("qemu") })
        // --boards-dir on the line is honoured.
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try Self.board("my-board", modelRegion: "1M", in: root)
        let own = try WSC.run(["---completion", "run", "--", "--board", "5", "0", "wsc", "run", "--boards-dir",
                               root.path, "--board", ""])
        #expect(own.stdout.split(separator: "\n").map(String.init) == ["my-board"])
    }

    @Test("help texts wrap only where the next word does not fit (no line broken mid-sentence)")
    func helpWrapping() throws {
        for command in ["check", "search", "pareto", "merge", "compile", "verify", "inspect", "report", "boards",
                        "flash", "run"] {
            let help = try WSC.run([command, "--help"])
            #expect(help.status == 0)
            // ArgumentParser wraps at 80 columns; a line followed by text in the same paragraph must be too full to
            // take the next word.
            let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (line, next) in zip(lines, lines.dropFirst()) where !line.isEmpty && !next.isEmpty {
                let indent = next.prefix(while: { $0 == " " }).count
                guard indent == line.prefix(while: { $0 == " " }).count, !next.hasPrefix("USAGE"),
                      !line.hasSuffix(":"), !next.trimmingCharacters(in: .whitespaces).hasPrefix("-"),
                      let word = next.split(separator: " ").first else { continue }
                #expect(line.count + 1 + word.count >= 80, "wsc \(command) --help: '\(line)' / '\(next)'")
            }
        }
    }
}
