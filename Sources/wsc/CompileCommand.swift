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

        --max-instructions N (an emulated --board): writes the smallest file of the solution whose inference takes \
        at most N instructions on the board, choosing which tensors' indices are Huffman-coded: auto, then more and \
        more of its coded tensors fixed width (dense layers' first, larger first), down to all fixed width, by a \
        binary search. Each candidate runs bare-metal under QEMU on the first 3 samples of --data or the run's data \
        (outputs checked against the host runtime, instructions exact with -icount shift=0). With --index-coding, \
        only that file is measured.
        """)

    @Argument(help: "Run directory made by 'wsc search'.", completion: Completion.folder) var runDirectory: String
    @Option(help: "Solution id (see 'wsc pareto').") var solution: Int?
    @Option(name: .customLong("max-loss"), help: "Without --solution: take the smallest solution whose loss is within this many points with --confidence (default 1; see README, 'Choosing a solution').")
    var maxLoss: Double?
    @Option(help: "Confidence of the one-sided loss bound the choice uses (default 0.90).")
    var confidence: Double?
    @Option(help: "How the loss of accuracy or agreement is bounded: transfer (the default: each sample's margin against every sample's output perturbation, resolves fractions of a point on a hundred samples; assumes the perturbation does not depend on the margin) or count (samples right and wrong, Newcombe/Wilson: no assumption, one sample's resolution). Cosine always uses its bootstrap. See README, 'Choosing a solution'.")
    var bound: BoundMethod?
    @Option(help: "Choose on this held-out data (.npz, read as the run's data) instead of the run's selection split.")
    var data: String?
    @Option(help: "Use only the first N samples of --data (only they are read).") var limit: Int?
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var boardOptions: BoardOptions
    @Flag(name: .customLong("no-runtime-size"), help: "Skip measuring the runtime's code size for the board's CPU.")
    var noRuntimeSize = false
    @Option(name: .customLong("index-coding"),
            help: "Index storage: auto (per tensor, canonical Huffman where it is smaller, every byte counted, else fixed width), conv (auto for the tensors only convolutions read; dense layers fixed width, whose coded decode is several times slower on Cortex-M), huffman (every tensor the kernels stream), fixed (fixed width only: files every earlier runtime reads, the fastest to decode). Default: the search's --index-coding (auto).")
    var indexCoding: IndexCoding?
    @Flag(name: .customLong("strip-names"),
          help: "Keep only the names of the graph's inputs and outputs (the weight-normalisation scales keep the suffix '.weight_scale' that reports count them by), and of the solution's description only what 'wsc verify' reads (not its genes, which the run directory keeps): ONNX exporters' internal tensor and operator names are up to a fifth of a small model's file. Inference, 'wsc verify' and 'wsc run' are unchanged; 'wsc report --model' needs the names for its per-operator errors.")
    var stripNames = false
    @Option(name: .customLong("max-instructions"),
            help: "With an emulated --board: the smallest file (which tensors are Huffman-coded) whose inference takes at most this many instructions there, measured under QEMU.")
    var maxInstructions: Int?
    @Option(name: [.short, .customLong("output")], help: "Output directory.", completion: Completion.folder)
    var outputDirectory: String
    @OptionGroup var output: OutputOptions

    static let defaultMaxLoss = 1.0

    func validate() throws {
        if let maxLoss {
            guard maxLoss >= 0, maxLoss.isFinite else { throw ValidationError("--max-loss must be a finite number ≥ 0") }
        }
        if let confidence, !(confidence >= 0.5 && confidence < 1) {
            throw ValidationError("--confidence must be at least 0.5 and below 1 (e.g. 0.9)")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be ≥ 1") }
        if let maxInstructions, maxInstructions < 1 { throw ValidationError("--max-instructions must be ≥ 1") }
        if maxInstructions != nil && !boardOptions.isGiven {
            throw ValidationError("--max-instructions needs an emulated --board (e.g. qemu-mps2-an386): the "
                + "instructions are counted there under QEMU")
        }
        if limit != nil && data == nil { throw ValidationError("--limit needs --data") }
        if solution != nil {
            let choosing = [maxLoss != nil ? "--max-loss" : nil, confidence != nil ? "--confidence" : nil,
                            bound != nil ? "--bound" : nil, data != nil ? "--data" : nil].compactMap { $0 }
            if !choosing.isEmpty {
                throw ValidationError("--solution packs that solution whatever its loss, while "
                    + choosing.joined(separator: " and ") + " choose(s) one: they contradict each other; give either "
                    + "--solution or the choice options")
            }
        }
    }

    func run() throws {
        let directory = RunDirectory(URL(fileURLWithPath: runDirectory))
        let report = try directory.readReport()
        let session = try SearchSession.reopen(directory)
        let chosen: Solution
        var choice: SolutionChoice.BoundedChoice?
        if let solution {
            chosen = try SolutionChoice.choose(from: report, id: solution, maxLossPoints: 0)
        } else {
            let dataURL = try data.map { try requireFile($0, option: "--data") }
            let bounded = try SolutionChoice.choose(session: session, report: report,
                                                    maxLoss: (maxLoss ?? Self.defaultMaxLoss) / 100,
                                                    confidence: confidence ?? SearchSettings.defaultConfidence,
                                                    method: bound ?? .transfer,
                                                    strict: maxLoss != nil, data: dataURL, limit: limit,
                                                    dropNonFinite: dataOptions.dropNonFinite,
                                                    maxDataBytes: dataOptions.maxBytes)
            if let warning = bounded.warning { Console.progress("warning: " + warning) }
            Console.progress(Self.describe(bounded))
            chosen = report.solutions[bounded.solution]
            choice = bounded
        }
        let board = try boardOptions.load(defaultHost: true)
        let coding = indexCoding ?? session.settings.compileCoding
        let names: ContainerNames = stripNames ? .interface : .all
        var compiled: ModelCompiler.Output
        if let maxInstructions {
            try FirmwareVerification.checkBoard(board, io: .semihosting)
            let measureData = try requireFile(data ?? session.settings.data,
                                              option: data == nil ? "the run's data" : "--data")
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("wsc-latency-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: work) }
            let bench = LatencyBudget.Bench(board: board, catalog: try boardOptions.firmwareCatalog(),
                                            data: measureData, workDirectory: work, log: Console.progress)
            (compiled, compiled.report.latency) = try LatencyBudget.choose(
                session: session, solution: chosen, names: names, coding: indexCoding, maxInstructions: maxInstructions,
                bench: bench)
        } else {
            compiled = try ModelCompiler.compile(session: session, solution: chosen, board: board, coding: coding,
                                                 names: names)
        }
        compiled.report.choice = choice
        if let fit = compiled.report.fit, !fit.fits {
            let fitting = try SolutionChoice.bestFitting(session: session, report: report, other: chosen, board: board,
                                                         coding: coding, names: names)
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
        ] + (r.choice.map { c in [["\(r.metric) (\(c.evidence.components(separatedBy: " (").first ?? c.evidence))",
              "\(Console.fixed(c.score, 4)) (float \(Console.fixed(c.floatScore, 4)), loss \(SolutionChoice.points(c.loss)) pts, "
              + "\(String(format: "%g", c.confidence * 100)) % bound \(SolutionChoice.points(c.lossUpper)) pts, \(c.samples) samples)"]] } ?? []) + [
            ["weight CR fixed / Huffman", "\(Console.fixed(r.compressionRatioFixed, 2))x / \(Console.fixed(r.compressionRatioHuffman, 2))x"],
            ["shared weights", "\(r.sharedWeights) → \(r.packedWeightBytes) bytes packed"
                + (r.scales + r.outliers > 0 ? " (incl. \(r.scales) scales, \(r.outliers) exact outliers)" : "")],
            [".onnx / .wsm bytes", "\(r.onnxBytes) / \(r.wsmBytes)"],
            ["indices (\(r.indexCoding?.requested ?? "fixed"))", indexRow(r)],
        ] + latencyRows(r) + [
            ["arena bytes (planned / naive)", "\(r.arenaBytes) / \(r.naiveArenaBytes)"],
            ["written to", "\(out.path)/ (\(r.files.joined(separator: ", ")))"],
        ] + boardRows(r)))
    }

    /// --max-instructions: one row per candidate measured.
    private func latencyRows(_ r: CompileReport) -> [[String]] {
        guard let l = r.latency else { return [] }
        return l.candidates.map { c in
            let count = Int(c.meanInstructions.rounded())
            return [(c.coding == l.chosen ? "chosen: " : "candidate: ") + c.coding,
                    "\(c.wsmBytes) bytes, \(count) instructions on \(l.board) (max \(l.maxInstructions))"]
        }
    }

    private func indexRow(_ r: CompileReport) -> String {
        guard let c = r.indexCoding else { return "" }
        let coded = c.tensors.filter { $0.coding == "huffman" }.count
        return "\(coded) of \(c.tensors.count) tensors Huffman-coded; stream \(c.streamBytes) bytes + table \(c.codeTableBytes)"
            + " (search's Huffman estimate \(c.huffmanEstimateBytes) bytes)"
    }

    /// One line: which solution, on what evidence, with which interval.
    static func describe(_ c: SolutionChoice.BoundedChoice) -> String {
        let level = String(format: "%g", c.confidence * 100)
        return "chose solution \(c.solution) on the \(c.evidence), \(c.samples) samples: loss "
            + "\(SolutionChoice.points(c.loss)) pts, \(level) % upper bound \(SolutionChoice.points(c.lossUpper)) pts "
            + "(one-sided interval [−∞, \(SolutionChoice.points(c.lossUpper))]) " + (c.lossUpper > c.threshold + 1e-12 ? "> " : "≤ ")
            + (c.threshold > c.maxLoss ? "resolution \(SolutionChoice.points(c.threshold))" : "max-loss \(SolutionChoice.points(c.maxLoss))")
            + (c.lossUpper > c.threshold + 1e-12 ? " pts NOT met: the tightest bound of the front" : " pts; the smallest such solution")
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
