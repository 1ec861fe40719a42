import ArgumentParser
import Foundation
import WeightShare

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Pack a solution into model.wsm plus model_data.c/.h (an aligned const array) and, with --board, flash images.",
        discussion: """
        Without --solution, takes the smallest solution whose loss is within --max-loss points (default 1); \
        --solution and --max-loss together are refused.

        With --board (or --board-file), checks that the .wsm fits the board's model region and that arena + \
        runtime state + reserve fit its RAM (refusing with the numbers, and naming a solution of the run that \
        would fit), places the C array in the board's model section with its alignment, writes model.bin / \
        model.hex (and model.uf2 for UF2 boards) at the model region's address, and reports the runtime's code \
        size for the CPU.
        """)

    @Argument(help: "Run directory made by 'wsc search'.", completion: Completion.folder) var runDirectory: String
    @Option(help: "Solution id (see 'wsc pareto').") var solution: Int?
    @Option(name: .customLong("max-loss"), help: "Largest score loss in points when choosing automatically (default 1).")
    var maxLoss: Double?
    @OptionGroup var boardOptions: BoardOptions
    @Flag(name: .customLong("no-runtime-size"), help: "Skip measuring the runtime's code size for the board's CPU.")
    var noRuntimeSize = false
    @Option(name: .customLong("index-coding"),
            help: "Index storage: auto (the default: per tensor, canonical Huffman where it is smaller, every byte counted, else fixed width), huffman (every tensor the kernels stream), fixed (fixed width only: files every earlier runtime reads).")
    var indexCoding: IndexCoding = .auto
    @Option(name: [.short, .customLong("output")], help: "Output directory.", completion: Completion.folder)
    var outputDirectory: String
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let solution, let maxLoss {
            throw ValidationError("--solution \(solution) and --max-loss \(maxLoss) contradict each other: --max-loss "
                                  + "chooses a solution automatically, --solution names one; give only one of them")
        }
        if let maxLoss, !(maxLoss >= 0 && maxLoss.isFinite) {
            throw ValidationError("--max-loss must be a finite number ≥ 0")
        }
    }

    func run() throws {
        let directory = RunDirectory(URL(fileURLWithPath: runDirectory))
        let report = try directory.readReport()
        let chosen = try SolutionChoice.choose(from: report, id: solution, maxLossPoints: maxLoss ?? 1.0)
        let session = try SearchSession.reopen(directory)
        let board = try boardOptions.load(defaultHost: true)
        var compiled = try ModelCompiler.compile(session: session, solution: chosen, board: board, coding: indexCoding)
        if let fit = compiled.report.fit, !fit.fits {
            let fitting = try SolutionChoice.bestFitting(session: session, report: report, other: chosen, board: board)
            let boardFlag = boardOptions.boardFile.map { "--board-file \($0)" } ?? "--board \(board.name)"
            var message = "solution \(chosen.id) does not fit \(board.name):\n  " + fit.problems.joined(separator: "\n  ")
            if let best = fitting {
                message += "\nsolution \(best.solution.id) of this run fits (\(best.wsmBytes) bytes, loss \(Console.fixed(best.solution.result.loss * 100, 2)) pts): wsc compile \(runDirectory) --solution \(best.solution.id) \(boardFlag) -o \(outputDirectory)"
            } else {
                message += "\nno solution of this run fits \(board.name)"
            }
            message += "\nnothing was written"
            Console.progress("error: " + message)
            throw ExitCode(2)
        }
        if !board.isHost && !noRuntimeSize {
            do {
                compiled.report.runtimeSize = try RuntimeSize.measure(board: board, catalog: try boardOptions.catalog())
            } catch {
                Console.progress("note: runtime size not measured: \(error)")
            }
        }
        let out = URL(fileURLWithPath: outputDirectory)
        try ModelCompiler.write(compiled, to: out)
        if output.json { try Console.printJSON(compiled.report); return }
        let r = compiled.report
        print(Console.table(["what", "value"], [
            ["solution", "\(r.solution) (K=\(r.k), M=\(r.m), \(r.bitWidth)-bit indices)"],
            ["\(r.metric) (search data)", "\(Console.fixed(r.score, 4)) (float \(Console.fixed(r.floatScore, 4)), loss \(Console.fixed(r.lossPoints, 2)) pts)"],
            ["weight CR fixed / Huffman", "\(Console.fixed(r.compressionRatioFixed, 2))x / \(Console.fixed(r.compressionRatioHuffman, 2))x"],
            ["shared weights", "\(r.sharedWeights) → \(r.packedWeightBytes) bytes packed"
                + (r.scales + r.outliers > 0 ? " (incl. \(r.scales) scales, \(r.outliers) exact outliers)" : "")],
            [".onnx / .wsm bytes", "\(r.onnxBytes) / \(r.wsmBytes)"],
            ["indices (\(r.indexCoding?.requested ?? "fixed"))", indexRow(r)],
            ["arena bytes (planned / naive)", "\(r.arenaBytes) / \(r.naiveArenaBytes)"],
            ["written to", "\(out.path)/ (\(r.files.joined(separator: ", ")))"],
        ] + boardRows(r)))
    }

    private func indexRow(_ r: CompileReport) -> String {
        guard let c = r.indexCoding else { return "" }
        let coded = c.tensors.filter { $0.coding == "huffman" }.count
        return "\(coded) of \(c.tensors.count) tensors Huffman-coded; stream \(c.streamBytes) bytes + table \(c.codeTableBytes)"
            + " (search's Huffman estimate \(c.huffmanEstimateBytes) bytes)"
    }

    private func boardRows(_ r: CompileReport) -> [[String]] {
        var rows: [[String]] = []
        if let fit = r.fit {
            rows.append(["board", r.board + (r.modelAddress.map { String(format: " (model at 0x%08llX)", $0) } ?? "")])
            rows.append(["flash: model / region", "\(fit.flashNeeded) / \(fit.modelRegionBytes) bytes"])
            rows.append(["RAM: arena+state+reserve / RAM", "\(fit.arenaBytes)+\(fit.runtimeStateBytes)+\(fit.reserveBytes) = \(fit.ramNeeded) / \(fit.ramBytes) bytes"])
        }
        if let s = r.runtimeSize {
            rows.append(["runtime -Os \(s.cpu): .text / .rodata", "\(s.text) / \(s.rodata) bytes"])
        }
        return rows
    }
}
