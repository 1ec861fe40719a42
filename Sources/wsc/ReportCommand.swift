import ArgumentParser
import Foundation
import WeightShare
import WeightShareReader

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Per-operator report of a .wsm: shapes, shared-weight bytes, MACs, arena peak, and optionally error against the float model and instructions on an emulated board.",
        discussion: """
        Bytes: each operator's shared weights with its share of the codebook (4·M bytes × its weights / N), its \
        indices (weights × bits / 8), the scales the normalisation added (float32) and its exact outliers (8 bytes \
        each), and the unshared constants it reads first (biases). Totals are the file's own and equal compile \
        --json's wsmBytes, packedWeightBytes and arenaBytes.

        Error (--model and --data): every operator's first output against the float model's tensor of the same \
        name, both run with the C runtime up to that operator, on the first --limit samples: SQNR in dB, mean \
        cosine and max |diff|.

        Time (--board, an emulated board): a firmware build (make TIME_OPS=1) runs the first k operators for every \
        k under QEMU -icount shift=0 on one input (the first sample of --data, or zeros): each operator's \
        instruction count is measured, exact to one SysTick tick per run. Cycles and microseconds are estimated \
        at 1 cycle per instruction at the board's clock (qemu.systickHz): an estimate, not a measurement.

        --html out.html writes one self-contained page with bar charts of bytes and error per operator.
        """)

    @Argument(help: "The compiled model (.wsm).", completion: Completion.wsm) var wsm: String
    @Option(help: "The source model (.onnx) it was compiled from: measure each operator's error against it (needs --data).",
            completion: Completion.onnx)
    var model: String?
    @Option(help: "Data (.npz, as verify reads it) for the errors, and the input the board timing runs on.",
            completion: Completion.npz)
    var data: String?
    @Option(help: "Use only the first N samples of --data for the errors.") var limit: Int = 100
    @OptionGroup var boardOptions: BoardOptions
    @Option(help: "Seconds before QEMU is killed (--board).") var timeout: Double = 300
    @Option(name: .customLong("work-dir"), help: "Firmware build folder for --board (default: a temporary folder).",
            completion: Completion.folder)
    var workDir: String?
    @Option(help: "Write the report as one self-contained HTML file with bar charts.", completion: Completion.html)
    var html: String?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if model != nil && data == nil { throw ValidationError("--model needs --data: the errors are measured on samples") }
        guard limit > 0 else { throw ValidationError("--limit must be > 0") }
        guard timeout > 0 else { throw ValidationError("--timeout must be > 0") }
        if output.json && html != nil {
            throw ValidationError("--json and --html contradict each other: give one (the JSON goes to stdout, the HTML to a file)")
        }
    }

    func run() throws {
        let wsmURL = try requireFile(wsm, option: "wsm")
        var report = try LayerReport(wsm: wsmURL)
        if let model {
            try report.measureErrors(model: try requireFile(model, option: "--model"),
                                     data: try requireFile(data!, option: "--data"), limit: limit, log: Console.progress)
        }
        if boardOptions.isGiven {
            let board = try boardOptions.load()
            let compressed = try WSMModel(contentsOf: wsmURL)
            var input = [Float](repeating: 0, count: compressed.inputs.reduce(0) { $0 + $1.elementCount })
            var described = "zeros (no --data)"
            if let data {
                let samples = try FirmwareVerification.loadSamples(model: compressed, data: try requireFile(data, option: "--data"), limit: 1)
                input = samples[0]
                described = "sample 0 of \(data)"
            }
            let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("wsc-report-\(UUID().uuidString)")
            defer { if workDir == nil { try? FileManager.default.removeItem(at: temporary) } }
            let timing = try OperatorTiming.measure(
                wsm: wsmURL, board: board, catalog: try boardOptions.firmwareCatalog(), input: input,
                inputDescription: described, workDirectory: workDir.map { URL(fileURLWithPath: $0) } ?? temporary,
                timeout: timeout, log: Console.progress)
            report.add(timing: timing)
        }
        if let html {
            try FileOutput.writeAtomically(Data(report.html().utf8), to: URL(fileURLWithPath: html))
            Console.progress("wrote \(html)")
        }
        if output.json { try Console.printJSON(report); return }
        print(text(report))
    }

    private func text(_ r: LayerReport) -> String {
        let timed = r.timing != nil
        var header = ["#", "op", "name", "output", "shared", "weight B", "raw B", "MACs", "arena peak", "SQNR dB", "cosine"]
        if timed { header += ["instr", "est. µs"] }
        let rows = r.operators.map { op -> [String] in
            var cells = [String(op.index), op.opcode, op.name.count > 32 ? String(op.name.prefix(31)) + "…" : op.name,
                         op.outputShapes.first.map { "[" + $0.map(String.init).joined(separator: ",") + "]" } ?? "",
                         op.sharedWeights == 0 ? "" : String(op.sharedWeights),
                         op.weightBytes == 0 ? "" : Console.fixed(op.weightBytes, 1),
                         op.rawBytes == 0 ? "" : String(op.rawBytes), op.macs == 0 ? "" : String(op.macs),
                         String(op.arenaPeakBytes),
                         op.error.map { e in e.sqnrDB.map { Console.fixed($0, 2) } ?? (e.identical ? "identical" : "n/a") } ?? "",
                         op.error.map { Console.fixed($0.meanCosine, 6) } ?? ""]
            if timed {
                cells += [op.instructions.map(String.init) ?? "", op.estimatedMicroseconds.map { Console.fixed($0, 1) } ?? ""]
            }
            return cells
        }
        let t = r.totals
        var lines = [
            "\(r.wsm): K=\(r.k), M=\(r.m), \(r.bitWidth)-bit indices; source \(r.sourceName)",
            Console.table(header, rows),
            "",
            ".wsm \(t.wsmBytes) bytes = packed weights \(t.packedWeightBytes) (codebook \(t.codebookBytes) + indices "
                + "\(t.indexBytes) + scales \(t.scaleBytes) + outliers \(t.outlierBytes)) + raw constants \(t.rawBytes) "
                + "+ graph, plan and metadata \(t.containerBytes)",
            "arena \(t.arenaBytes) bytes; \(t.sharedWeights) shared weights; \(t.macs) MACs per inference",
        ]
        if t.unattributedScales > 0 {
            lines.append("(\(t.unattributedScales) scale values were multiplied into existing epilogue vectors: counted in the totals, in no row)")
        }
        if let e = r.errorSource {
            lines.append("errors: each operator's first output against the float model \(e.model) on \(e.samples) samples of \(e.data)")
        }
        if let timing = r.timing, let ms = t.estimatedMilliseconds {
            lines.append("\(timing.board): \(timing.inferenceInstructions) instructions per inference (call overhead "
                         + "\(timing.overheadInstructions)); estimated \(timing.inferenceInstructions) cycles = "
                         + "\(Console.fixed(ms, 3)) ms at \(String(format: "%g", Double(timing.clockHz) / 1e6)) MHz")
            lines.append("how: " + timing.method)
        }
        return lines.joined(separator: "\n")
    }
}
