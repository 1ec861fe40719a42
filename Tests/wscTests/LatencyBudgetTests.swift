import Foundation
import Testing

/// `wsc compile --max-instructions`: the smallest file (which tensors are Huffman-coded) within an instruction budget,
/// measured on an emulated board; checked against files compiled on their own and measured by `wsc run`.
@Suite("wsc compile --max-instructions", .serialized)
struct LatencyBudgetTests {
    static let qemu = BoardCommandTests.qemu
    static let board = "qemu-mps2-an386"

    /// A paper-genome search of `model` at one K (short: the choice only needs a front), in `root`/run.
    static func search(_ model: String, shape: String, k: Int, in root: URL) throws -> String {
        let run = root.appendingPathComponent("run").path
        let search = try WSC.run(["search", WSC.fixture(model), "--data", WSC.fixture("digits_val.npz"), "--out", run,
                                  "--input-shape", shape, "--genome", "k", "--k-min", String(k), "--k-max", String(k),
                                  "--population", "4", "--generations", "1", "--no-merge", "--limit", "60"])
        #expect(search.status == 0, "\(search.stderr)")
        return run
    }

    @Test("LeNet K=9: every budget takes the smallest file whose 'wsc run' count is within it; below them all, nothing is written",
          .enabled(if: qemu, "qemu-system-arm or arm-none-eabi-gcc not installed (scripts/install-deps.sh installs them)"))
    func smallestWithinBudget() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try Self.search("cnn/lenet.onnx", shape: "input=1,1,8,8", k: 9, in: root)
        let board = Self.board
        // Each coding on its own: its file and its instructions per inference under `wsc run` (3 samples of the
        // run's data, as --max-instructions measures).
        var files: [(coding: String, bytes: Data, instructions: Double)] = []
        for coding in ["auto", "conv", "fixed"] {
            let out = root.appendingPathComponent(coding).path
            let c = try WSC.run(["compile", run, "--max-loss", "100", "--index-coding", coding, "--board", board,
                                 "--no-runtime-size", "-o", out])
            #expect(c.status == 0, "\(c.stderr)")
            let r = try WSC.run(["run", out, "--board", board, "--data", WSC.fixture("digits_val.npz"), "--limit", "3",
                                 "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let instructions = (try WSC.json(r.stdout)["meanInstructions"] as? NSNumber)?.doubleValue ?? -1
            files.append((coding, try Data(contentsOf: URL(fileURLWithPath: out + "/model.wsm")), instructions))
        }
        // The three differ: coded convolutions, coded Gemm too, nothing coded.
        #expect(Set(files.map(\.bytes)).count == 3)
        #expect(files[0].bytes.count < files[1].bytes.count && files[1].bytes.count < files[2].bytes.count)

        for budget in files.map({ Int($0.instructions.rounded(.up)) }) + [Int(files.map(\.instructions).max()!) + 1] {
            let expected = files.sorted { $0.bytes.count < $1.bytes.count }.first { $0.instructions <= Double(budget) }!
            let out = root.appendingPathComponent("budget-\(budget)").path
            let c = try WSC.run(["compile", run, "--max-loss", "100", "--board", board, "--no-runtime-size",
                                 "--max-instructions", String(budget), "-o", out, "--json"])
            #expect(c.status == 0, "\(c.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/model.wsm")) == expected.bytes, "budget \(budget)")
            // The candidates are these three files (auto without its Gemm coded is conv's file), each measured as
            // `wsc run` measured it.
            let latency = try WSC.json(c.stdout)["latency"] as? [String: Any] ?? [:]
            let label = ["auto": "auto", "conv": "auto, fixed width: fc.weight", "fixed": "fixed"]
            #expect(latency["chosen"] as? String == label[expected.coding], "budget \(budget)")
            for m in latency["candidates"] as? [[String: Any]] ?? [] {
                let file = files.first { label[$0.coding] == m["coding"] as? String }
                #expect(file != nil && (m["meanInstructions"] as? NSNumber)?.doubleValue == file?.instructions, "\(m)")
                #expect(m["wsmBytes"] as? Int == file?.bytes.count, "\(m)")
            }
        }

        let tight = Int(files.map(\.instructions).min()!) - 1
        let out = root.appendingPathComponent("too-tight").path
        let refused = try WSC.run(["compile", run, "--max-loss", "100", "--board", board, "--no-runtime-size",
                                   "--max-instructions", String(tight), "-o", out])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("no index coding of this solution runs within \(tight) instructions"), "\(refused.stderr)")
        for f in [files[0], files[2]] { // auto and fixed width are measured first; fixed width is over the budget
            #expect(refused.stderr.contains("\(f.coding): \(f.bytes.count) bytes, \(Int(f.instructions.rounded())) instructions"),
                    "\(refused.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("digits MLP: a budget between its coded and fixed-width files takes a file that codes some of its dense layers, within the budget by 'wsc run'",
          .enabled(if: qemu, "qemu-system-arm or arm-none-eabi-gcc not installed (scripts/install-deps.sh installs them)"))
    func partlyCoded() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try Self.search("digits_mlp.onnx", shape: "input=1,64", k: 3, in: root)
        let board = Self.board
        func measured(_ out: String) throws -> (bytes: Int, instructions: Double, coded: Set<String>) {
            let r = try WSC.run(["run", out, "--board", board, "--data", WSC.fixture("digits_val.npz"), "--limit", "3",
                                 "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let i = try WSC.run(["inspect", out + "/model.wsm", "--json"])
            let tensors = try WSC.json(i.stdout)["tensors"] as? [[String: Any]] ?? []
            let coded = Set(tensors.filter { $0["indexCoding"] as? String == "huffman" }.compactMap { $0["name"] as? String })
            let bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/model.wsm")).count
            return (bytes, (try WSC.json(r.stdout)["meanInstructions"] as? NSNumber)?.doubleValue ?? -1, coded)
        }
        var ends: [(bytes: Int, instructions: Double, coded: Set<String>)] = []
        for coding in ["auto", "fixed"] {
            let out = root.appendingPathComponent(coding).path
            let c = try WSC.run(["compile", run, "--max-loss", "100", "--index-coding", coding, "--board", board,
                                 "--no-runtime-size", "-o", out])
            #expect(c.status == 0, "\(c.stderr)")
            ends.append(try measured(out))
        }
        let (auto, fixed) = (ends[0], ends[1])
        #expect(auto.coded == ["fc1.weight", "fc2.weight", "fc3.weight"] && fixed.coded.isEmpty)
        // One dense layer of 8192 weights decoded coded costs about a third of the gap: this budget leaves room for one.
        let budget = Int(fixed.instructions + (auto.instructions - fixed.instructions) * 0.45)
        let out = root.appendingPathComponent("budget").path
        let c = try WSC.run(["compile", run, "--max-loss", "100", "--board", board, "--no-runtime-size",
                             "--max-instructions", String(budget), "-o", out, "--json"])
        #expect(c.status == 0, "\(c.stderr)")
        let chosen = try measured(out)
        #expect(chosen.instructions <= Double(budget), "\(chosen.instructions) > \(budget)")
        #expect(auto.bytes < chosen.bytes && chosen.bytes < fixed.bytes)
        #expect(!chosen.coded.isEmpty && chosen.coded.isStrictSubset(of: auto.coded), "\(chosen.coded)")
        let latency = try WSC.json(c.stdout)["latency"] as? [String: Any] ?? [:]
        #expect((latency["chosen"] as? String ?? "").hasPrefix("auto, fixed width: "), "\(latency)")
    }

    @Test("--max-instructions needs an emulated board")
    func needsEmulatedBoard() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let noBoard = try WSC.run(["compile", root.path, "--max-instructions", "1000", "-o", root.path + "/out"])
        #expect(noBoard.status != 0 && noBoard.stderr.contains("--max-instructions needs an emulated --board"), "\(noBoard.stderr)")
        let run = try BoardCommandTests.runDirectory.get()
        let real = try WSC.run(["compile", run, "--max-loss", "100", "--board", "nucleo-f746zg", "--max-instructions",
                                "1000", "-o", root.path + "/out"])
        #expect(real.status != 0 && real.stderr.contains("has no QEMU machine"), "\(real.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root.path + "/out"))
    }
}
