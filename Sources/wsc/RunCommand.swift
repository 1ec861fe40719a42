import ArgumentParser
import Foundation
import WeightShare

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Build the firmware for an emulated board with the compiled model and test samples, run it in QEMU, and compare with the host runtime.",
        discussion: """
        The firmware (boards/firmware) embeds the first --limit samples and the host runtime's outputs for them, \
        runs the model bare-metal, prints every output and exits non-zero on a mismatch: a different top-1, or an \
        output with |firmware - host| > 1e-5 + 1e-5 x (the sample's largest |host output|), since the two builds \
        add in another order and use different libm (boards/README.md).

        Time: QEMU runs with -icount shift=0, so instructions per inference are exact. Cycles and milliseconds at \
        the board's clock (qemu.systickHz) are an estimate at 1 cycle per instruction: a real core takes more \
        cycles (multi-cycle instructions, flash wait states; a Cortex-M7 may also dual-issue). On a real board, \
        build the firmware with make IO=uart TIMING=dwt to print DWT cycles per inference.

        --io semihosting (default) prints over semihosting; --io uart builds the firmware without semihosting \
        (make IO=uart) and reads the board's UART (the board file's 'uart' field) on QEMU's serial port.
        """)

    @Argument(help: "Output folder of 'wsc compile' (or its model.wsm).", completion: Completion.compiled)
    var directory: String
    @OptionGroup var boardOptions: BoardOptions
    @Option(help: "Data (.npz with x, or one array per input named after it; y is ignored).", completion: Completion.npz)
    var data: String
    @OptionGroup var feedbackOptions: FeedbackOptions
    @Option(help: "Run only the first N samples.") var limit: Int = 20
    @Option(help: "Seconds before QEMU is killed.") var timeout: Double = 60
    @Option(help: "How the firmware prints: semihosting or uart (the board's UART; no semihosting).")
    var io: FirmwareIO = .semihosting
    @Option(name: .customLong("work-dir"), help: "Firmware build folder (default: <directory>/firmware-<board>).",
            completion: Completion.folder)
    var workDir: String?
    @Flag(name: .customLong("corrupt-expected"), help: .hidden) var corruptExpected = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be > 0") }
        guard timeout > 0 else { throw ValidationError("--timeout must be > 0") }
    }

    func run() throws {
        let board = try boardOptions.load()
        try FirmwareVerification.checkBoard(board, io: io)
        let catalog = try boardOptions.firmwareCatalog()
        let folder = compiledFolder(directory)
        let wsmURL = try requireFile(folder.appendingPathComponent("model.wsm").path, option: "directory (model.wsm)")
        let outcome: FirmwareVerification.Outcome
        do {
            outcome = try FirmwareVerification.run(
                wsm: wsmURL, board: board, catalog: catalog, data: try requireFile(data, option: "--data"), limit: limit,
                timeout: timeout, io: io,
                workDirectory: workDir.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("firmware-\(board.name)"),
                feedback: feedbackOptions.feedback,
                corruptExpected: corruptExpected, log: Console.progress)
        } catch let problem as FirmwareVerification.Problem {
            throw ValidationError(problem.description)
        }
        let report = outcome.report, comparison = outcome.comparison
        if output.json { try Console.printJSON(report) } else {
            let instr: String
            if let instructions = report.instructionsPerInference, let lo = instructions.min(), let hi = instructions.max() {
                instr = lo == hi ? "\(lo)" : "\(lo) – \(hi) (mean \(Int(report.meanInstructions ?? 0)))"
            } else {
                let ticks = report.ticksPerInference
                instr = "n/a (board file has no qemu.systickHz); SysTick ticks \(ticks.min() ?? 0) – \(ticks.max() ?? 0)"
            }
            print(Console.table(["what", "value"], [
                ["board / machine / output", "\(report.board) / \(report.machine) / \(io.rawValue)"],
                ["samples run", "\(comparison.samplesRun) of \(comparison.embeddedSamples)"],
                ["top-1 identical to host", "\(comparison.top1Identical) / \(comparison.embeddedSamples)"],
                ["max abs diff vs host", String(format: "%.3g (%.2g of the tolerance)", comparison.maxAbsDiff,
                                                comparison.maxToleranceRatio)],
                ["instructions per inference", instr],
                ["est. cycles / ms per inference", report.timeEstimate.map { t in
                    let cycles = t.cyclesPerInference
                    let range = (cycles.min() ?? 0) == (cycles.max() ?? 0) ? "\(cycles.first ?? 0)"
                        : "mean \(Int(t.meanCycles))"
                    return "\(range) / \(String(format: "%.3f", t.meanMilliseconds)) ms at "
                        + String(format: "%g MHz", Double(t.clockHz) / 1e6) + " (1 cycle per instruction; estimate)"
                } ?? "n/a (board file has no qemu.systickHz)"],
                ["firmware .text", report.firmwareText.map { "\($0) bytes" } ?? "?"],
                ["firmware says", report.firmwareResult + " (exit \(report.firmwareExitStatus))"],
            ]))
        }
        if let t = report.timeEstimate, !output.json { Console.progress("note: cycles and ms are an " + t.method) }
        guard report.passed else {
            if report.firmwareExitStatus != 0 && !output.json { Console.progress(String(outcome.firmwareOutput.suffix(2000))) }
            Console.progress("error: firmware run on \(board.name) does not match the host runtime (firmware exit status \(report.firmwareExitStatus))")
            throw ExitCode(1)
        }
    }
}
