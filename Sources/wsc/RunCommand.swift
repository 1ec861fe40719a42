import ArgumentParser
import Foundation
import WeightShare
import WeightShareReader

extension FirmwareIO: ExpressibleByArgument {}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Build the firmware for an emulated board with the compiled model and test samples, run it in QEMU, and compare with the host runtime.",
        discussion: """
        The firmware (boards/firmware) embeds the first --limit samples and the host runtime's outputs for them,
        runs the model bare-metal, prints every output and exits non-zero on a mismatch (different top-1 or
        |difference| > 1e-5). Instruction counts are exact: QEMU runs with -icount shift=0.
        --io semihosting (default) prints over semihosting; --io uart builds the firmware without semihosting
        (make IO=uart) and reads the board's UART (the board file's 'uart' field) on QEMU's serial port.
        """)

    @Argument(help: "Output folder of 'wsc compile' (or its model.wsm).") var directory: String
    @OptionGroup var boardOptions: BoardOptions
    @Option(help: "Data (.npz with x; y is ignored).") var data: String
    @Option(help: "Run only the first N samples.") var limit: Int = 20
    @Option(help: "Seconds before QEMU is killed.") var timeout: Double = 60
    @Option(help: "How the firmware prints: semihosting or uart (the board's UART; no semihosting).")
    var io: FirmwareIO = .semihosting
    @Option(name: .customLong("work-dir"), help: "Firmware build folder (default: <directory>/firmware-<board>).")
    var workDir: String?
    @Flag(name: .customLong("corrupt-expected"), help: .hidden) var corruptExpected = false
    @OptionGroup var output: OutputOptions

    struct Report: Codable {
        var board: String
        var machine: String
        var io: FirmwareIO
        var samples: Int
        var top1Identical: Int
        var maxAbsDiff: Double
        var firmwareExitStatus: Int32
        var firmwareResult: String
        var passed: Bool
        var ticksPerInference: [UInt64]
        var instructionsPerInference: [UInt64]?
        var meanInstructions: Double?
        var firmwareText: Int?
        var firmwareELF: String
        var qemuCommand: String
    }

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be > 0") }
        guard timeout > 0 else { throw ValidationError("--timeout must be > 0") }
    }

    func run() throws {
        let board = try boardOptions.load()
        guard let qemu = board.qemu else { throw BoardError.notEmulated(board: board.name) }
        if io == .uart && board.uart == nil { throw BoardError.noUART(board: board.name) }
        let catalog = try boardOptions.firmwareCatalog()
        var folder = URL(fileURLWithPath: directory)
        if folder.pathExtension == "wsm" { folder.deleteLastPathComponent() }
        let wsmURL = try requireFile(folder.appendingPathComponent("model.wsm").path, option: "directory (model.wsm)")
        let wsm = [UInt8](try Data(contentsOf: wsmURL))
        let model = try WSMModel(bytes: wsm)
        let fit = FitCheck.check(board: board, wsmBytes: wsm.count, arenaBytes: model.arenaBytes)
        guard fit.fits else { throw ValidationError("the model does not fit \(board.name): " + fit.problems.joined(separator: "; ")) }
        guard model.inputs.count == 1 else { throw ValidationError("wsc run supports models with one input (this one has \(model.inputs.count))") }

        let dataset = try Dataset.load(url: try requireFile(data, option: "--data"), readLabels: false).prefix(limit)
        guard dataset.count > 0 else { throw ValidationError("--data holds no samples") }
        let session = InferenceSession(model: model)
        var inputs: [[Float]] = [], expected: [[Float]] = []
        for i in 0..<dataset.count {
            let x = Array(dataset.sample(i))
            inputs.append(x)
            expected.append(try session.run([x]).flatMap { $0 })
        }
        var embedded = expected
        if corruptExpected { embedded[0][0] += 1 }

        let work = workDir.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("firmware-\(board.name)")
        Console.progress("building firmware (\(io.rawValue)) for \(board.name) (\(dataset.count) samples) in \(work.path)")
        let elf = try Firmware.build(board: board, catalog: catalog, wsm: wsm, inputs: inputs, expected: embedded,
                                     arenaBytes: model.arenaBytes, directory: work, io: io)
        Console.progress("running \(qemu.machine) under QEMU (timeout \(Int(timeout)) s)")
        let run = try QEMURunner.run(board: board, elf: elf, timeout: timeout, io: io)

        guard run.samples.count == dataset.count || run.exitStatus != 0 else {
            throw BoardError.badFirmwareOutput(reason: "\(run.samples.count) samples printed, \(dataset.count) embedded", output: run.output)
        }
        var identical = 0
        var maxDiff = 0.0
        for s in run.samples where s.index < expected.count {
            let host = expected[s.index]
            guard s.outputs.count == host.count else {
                throw BoardError.badFirmwareOutput(reason: "sample \(s.index): \(s.outputs.count) outputs, host has \(host.count)", output: run.output)
            }
            if argmax(s.outputs) == argmax(host) { identical += 1 }
            for (a, b) in zip(s.outputs, host) { maxDiff = max(maxDiff, a.isNaN || b.isNaN ? .infinity : Double(abs(a - b))) }
        }
        let ticks = run.samples.map(\.ticks)
        let instructions = qemu.systickHz.map { hz in ticks.map { UInt64((Double($0) * 1e9 / Double(hz)).rounded()) } }
        let text = try? ExternalTool.run(["arm-none-eabi-size", "-B", "-d", elf.path]).stdout
            .split(separator: "\n").dropFirst().first.flatMap { Int($0.split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") }
        let passed = run.exitStatus == 0 && identical == dataset.count && maxDiff <= 1e-5 && run.samples.count == dataset.count
        let report = Report(board: board.name, machine: qemu.machine, io: io, samples: run.samples.count, top1Identical: identical,
                            maxAbsDiff: maxDiff, firmwareExitStatus: run.exitStatus,
                            firmwareResult: run.resultLine ?? "(none)", passed: passed, ticksPerInference: ticks,
                            instructionsPerInference: instructions,
                            meanInstructions: instructions.map { $0.isEmpty ? 0 : Double($0.reduce(0, +)) / Double($0.count) },
                            firmwareText: text ?? nil, firmwareELF: elf.path,
                            qemuCommand: FlasherInvocation.shellLine(run.argv))
        if output.json { try Console.printJSON(report) } else {
            let instr: String
            if let instructions, let lo = instructions.min(), let hi = instructions.max() {
                instr = lo == hi ? "\(lo)" : "\(lo) – \(hi) (mean \(Int(report.meanInstructions ?? 0)))"
            } else { instr = "n/a (board file has no qemu.systickHz); SysTick ticks \(ticks.min() ?? 0) – \(ticks.max() ?? 0)" }
            print(Console.table(["what", "value"], [
                ["board / machine / output", "\(board.name) / \(qemu.machine) / \(io.rawValue)"],
                ["samples run", "\(run.samples.count) of \(dataset.count)"],
                ["top-1 identical to host", "\(identical) / \(dataset.count)"],
                ["max abs diff vs host", String(format: "%.3g", maxDiff)],
                ["instructions per inference", instr],
                ["firmware .text", text.flatMap { $0 }.map { "\($0) bytes" } ?? "?"],
                ["firmware says", report.firmwareResult + " (exit \(run.exitStatus))"],
            ]))
        }
        guard passed else {
            if run.exitStatus != 0 && !output.json { Console.progress(String(run.output.suffix(2000))) }
            Console.progress("error: firmware run on \(board.name) does not match the host runtime (firmware exit status \(run.exitStatus))")
            throw ExitCode(1)
        }
    }

    private func argmax(_ v: [Float]) -> Int {
        var best = 0
        for i in v.indices where v[i] > v[best] { best = i }
        return best
    }
}
