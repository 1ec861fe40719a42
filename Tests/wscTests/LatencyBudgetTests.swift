import Foundation
import Testing

/// `wsc compile --max-instructions`: the smallest file by index coding within an instruction budget, measured on
/// an emulated board; checked against each coding compiled on its own and measured by `wsc run`.
@Suite("wsc compile --max-instructions", .serialized)
struct LatencyBudgetTests {
    static let qemu = BoardCommandTests.qemu

    @Test("LeNet K=9: every budget takes the smallest file whose 'wsc run' count is within it; below them all, nothing is written",
          .enabled(if: qemu, "qemu-system-arm or arm-none-eabi-gcc not installed (scripts/install-deps.sh installs them)"))
    func smallestWithinBudget() throws {
        let root = try WSC.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run").path
        let search = try WSC.run(["search", WSC.fixture("cnn/lenet.onnx"), "--data", WSC.fixture("digits_val.npz"),
                                  "--out", run, "--input-shape", "input=1,1,8,8", "--genome", "k", "--k-min", "9",
                                  "--k-max", "9", "--population", "4", "--generations", "1", "--no-merge",
                                  "--limit", "60"])
        #expect(search.status == 0, "\(search.stderr)")
        let board = "qemu-mps2-an386"
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

        for budget in files.map({ Int($0.instructions.rounded(.down)) }) + [Int(files.map(\.instructions).max()!) + 1] {
            let expected = files.sorted { $0.bytes.count < $1.bytes.count }.first { $0.instructions <= Double(budget) }!
            let out = root.appendingPathComponent("budget-\(budget)").path
            let c = try WSC.run(["compile", run, "--max-loss", "100", "--board", board, "--no-runtime-size",
                                 "--max-instructions", String(budget), "-o", out, "--json"])
            #expect(c.status == 0, "\(c.stderr)")
            let latency = try WSC.json(c.stdout)["latency"] as? [String: Any] ?? [:]
            #expect(latency["chosen"] as? String == expected.coding, "budget \(budget)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/model.wsm")) == expected.bytes, "budget \(budget)")
            let measured = latency["candidates"] as? [[String: Any]] ?? []
            for m in measured {
                guard let count = (m["meanInstructions"] as? NSNumber)?.doubleValue else { continue }
                #expect(count == files.first { $0.coding == m["coding"] as? String }?.instructions, "\(m)")
            }
        }

        let tight = Int(files.map(\.instructions).min()!) - 1
        let out = root.appendingPathComponent("too-tight").path
        let refused = try WSC.run(["compile", run, "--max-loss", "100", "--board", board, "--no-runtime-size",
                                   "--max-instructions", String(tight), "-o", out])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("no index coding of this solution runs within \(tight) instructions"), "\(refused.stderr)")
        for f in files { #expect(refused.stderr.contains("\(f.coding) \(f.bytes.count) bytes: \(Int(f.instructions.rounded()))")) }
        #expect(!FileManager.default.fileExists(atPath: out))
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
