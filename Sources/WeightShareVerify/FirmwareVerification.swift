import Foundation
import WeightShareBoards
import WeightShareEvaluate
import WeightShareSearch
import WeightShareImport
import WeightShareReader

/// What `wsc run` reports. Keys are stable (README).
public struct FirmwareRunReport: Sendable, Equatable, Codable {
    public var board: String
    public var machine: String
    public var io: FirmwareIO
    /// Samples the firmware printed.
    public var samples: Int
    public var top1Identical: Int
    public var maxAbsDiff: Double
    /// Largest |firmware − host| / tolerance over every output (≤ 1 passes); the tolerance is
    /// `absoluteTolerance + relativeTolerance · max|host output of the sample|` (``FirmwareComparison``).
    public var maxToleranceRatio: Double
    public var absoluteTolerance: Double
    public var relativeTolerance: Double
    public var firmwareExitStatus: Int32
    /// The firmware's `result …` line, or `(none)`.
    public var firmwareResult: String
    public var passed: Bool
    public var ticksPerInference: [UInt64]
    /// Nil when the board file gives no `qemu.systickHz`.
    public var instructionsPerInference: [UInt64]?
    public var meanInstructions: Double?
    /// Cycles and milliseconds per inference at the board's clock, estimated from the instruction counts (1 cycle
    /// per instruction; `method` says so); nil without `qemu.systickHz`.
    public var timeEstimate: TimeEstimate?
    /// The firmware's `.text` bytes (nil when `arm-none-eabi-size` could not measure it).
    public var firmwareText: Int?
    public var firmwareELF: String
    public var qemuCommand: String

    enum CodingKeys: String, CodingKey {
        case board, machine, io, samples, top1Identical, maxAbsDiff, maxToleranceRatio, absoluteTolerance
        case relativeTolerance, firmwareExitStatus, firmwareResult, passed, ticksPerInference
        case instructionsPerInference, meanInstructions, timeEstimate, firmwareText, firmwareELF, qemuCommand
    }

    /// As the synthesized encoding, but a difference that is not finite (a NaN output on either side) is written as
    /// null: JSON has no NaN or Infinity, and the report must still be written (`passed` is false then).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(board, forKey: .board)
        try c.encode(machine, forKey: .machine)
        try c.encode(io, forKey: .io)
        try c.encode(samples, forKey: .samples)
        try c.encode(top1Identical, forKey: .top1Identical)
        try c.encodeFinite(maxAbsDiff, forKey: .maxAbsDiff)
        try c.encodeFinite(maxToleranceRatio, forKey: .maxToleranceRatio)
        try c.encode(absoluteTolerance, forKey: .absoluteTolerance)
        try c.encode(relativeTolerance, forKey: .relativeTolerance)
        try c.encode(firmwareExitStatus, forKey: .firmwareExitStatus)
        try c.encode(firmwareResult, forKey: .firmwareResult)
        try c.encode(passed, forKey: .passed)
        try c.encode(ticksPerInference, forKey: .ticksPerInference)
        try c.encodeIfPresent(instructionsPerInference, forKey: .instructionsPerInference)
        try c.encodeIfPresent(meanInstructions, forKey: .meanInstructions)
        try c.encodeIfPresent(timeEstimate, forKey: .timeEstimate)
        try c.encodeIfPresent(firmwareText, forKey: .firmwareText)
        try c.encode(firmwareELF, forKey: .firmwareELF)
        try c.encode(qemuCommand, forKey: .qemuCommand)
    }
}

/// Runs a compiled model on an emulated board and compares it with the host runtime (`wsc run`): the host's
/// outputs for the first samples are embedded in the firmware as the expectation, the firmware runs under QEMU,
/// and ``FirmwareComparison`` judges what it printed.
public enum FirmwareVerification {
    /// Why a model cannot be run on a board at all (usage problems, reported before anything is built).
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case doesNotFit(board: String, problems: [String])
        case noSamples

        public var description: String {
            switch self {
            case let .doesNotFit(board, problems): return "the model does not fit \(board): " + problems.joined(separator: "; ")
            case .noSamples: return "--data holds no samples"
            }
        }
    }

    /// The report, the comparison it came from, and everything the firmware printed (for a failing run).
    public struct Outcome: Sendable {
        public var report: FirmwareRunReport
        public var comparison: FirmwareComparison
        public var firmwareOutput: String
    }

    /// The first `limit` samples of `data` for `model`'s inputs (one array per input, as `verify` and `search` read
    /// data: `x` or the input's name for one input; shapes checked as ``SampleShape`` says), each row every input's
    /// values concatenated; throws ``Problem/noSamples`` for none.
    public static func loadSamples(model: WSMModel, data: URL, limit: Int) throws -> [[Float]] {
        let names = model.inputs.count == 1 ? [["x", model.inputs[0].name]] : model.inputs.map { [$0.name] }
        let dataset = try Dataset.load(url: data, options: .init(labels: .ignore, limit: limit, sampleArrays: names)) {
            position, array, shape in
            let input = model.inputs[position]
            try SampleShape.check(input: input.name, expected: input.shape, got: shape, array: array)
        }
        guard dataset.count > 0 else { throw Problem.noSamples }
        return (0..<dataset.count).map { Array(dataset.sample($0)) }
    }

    /// Checks that `board` is emulated (and has a UART for `io: .uart`). ``run(wsm:board:catalog:data:limit:timeout:io:workDirectory:corruptExpected:log:)``
    /// checks it first; `wsc run` also calls it before loading the firmware catalog, so that this is the error a
    /// user sees first. The model's fit is checked in `run`.
    public static func checkBoard(_ board: Board, io: FirmwareIO) throws {
        guard board.qemu != nil else { throw BoardError.notEmulated(board: board.name) }
        if io == .uart && board.uart == nil { throw BoardError.noUART(board: board.name) }
    }

    /// Builds the firmware in `workDirectory` with the `.wsm` at `wsm` and the first `limit` samples of `data`,
    /// runs it under QEMU (killed after `timeout` seconds) and compares its outputs with the host runtime's.
    /// `corruptExpected` changes one embedded expectation (a test of the firmware's own check).
    /// With `feedback`, the samples run free-running on both sides: each pair's output of one sample is the
    /// pair's input of the next (the firmware copies it; the host expectation is computed the same way).
    public static func run(wsm: URL, board: Board, catalog: BoardCatalog, data: URL, limit: Int, timeout: Double,
                           io: FirmwareIO, workDirectory: URL, feedback: [FeedbackPair] = [],
                           corruptExpected: Bool = false, log: (String) -> Void) throws -> Outcome {
        try checkBoard(board, io: io)
        let qemu = board.qemu!
        let bytes = [UInt8](try Data(contentsOf: wsm))
        let model = try WSMModel(bytes: bytes)
        let fit = FitCheck.check(board: board, wsmBytes: bytes.count, arenaBytes: model.arenaBytes)
        guard fit.fits else { throw Problem.doesNotFit(board: board.name, problems: fit.problems) }
        let pairs = try OutputSelection.feedback(feedback.map { ($0.input, $0.output) }, model: model)

        let inputs = try loadSamples(model: model, data: data, limit: limit)
        let samples = SampleSet(values: inputs.flatMap { $0 }, sampleSize: inputs[0].count, labels: nil,
                                inputSizes: model.inputs.map(\.elementCount))
        let width = model.outputs.reduce(0) { $0 + $1.elementCount }
        let all = pairs.isEmpty ? try BatchRunner.run(model, samples: samples, workers: 1)
            : try BatchRunner.runFreeRunning(model, samples: samples, feedback: pairs)
        let expected = (0..<inputs.count).map { Array(all[($0 * width)..<(($0 + 1) * width)]) }
        var embedded = expected
        if corruptExpected { embedded[0][0] += 1 }

        log("building firmware (\(io.rawValue)) for \(board.name) (\(inputs.count) samples) in \(workDirectory.path)")
        let elf = try Firmware.build(board: board, catalog: catalog, wsm: bytes, inputs: inputs, expected: embedded,
                                     arenaBytes: model.arenaBytes, directory: workDirectory, io: io,
                                     feedback: pairs.map { ($0.input, $0.output, model.inputs[$0.input].elementCount) })
        log("running \(qemu.machine) under QEMU (timeout \(Int(timeout)) s)")
        let run = try QEMURunner.run(board: board, elf: elf, timeout: timeout, io: io)

        let comparison = try FirmwareComparison.compare(samples: run.samples, exitStatus: run.exitStatus,
                                                        expected: expected, output: run.output)
        let ticks = run.samples.compactMap(\.ticks)
        let instructions = FirmwareTiming.instructions(ticks: ticks, systickHz: qemu.systickHz)
        let report = FirmwareRunReport(
            board: board.name, machine: qemu.machine, io: io, samples: comparison.samplesRun,
            top1Identical: comparison.top1Identical, maxAbsDiff: comparison.maxAbsDiff,
            maxToleranceRatio: comparison.maxToleranceRatio,
            absoluteTolerance: Double(FirmwareComparison.absoluteTolerance),
            relativeTolerance: Double(FirmwareComparison.relativeTolerance),
            firmwareExitStatus: run.exitStatus, firmwareResult: run.resultLine ?? "(none)", passed: comparison.passed,
            ticksPerInference: ticks, instructionsPerInference: instructions,
            meanInstructions: instructions.map(FirmwareTiming.mean),
            timeEstimate: instructions.flatMap { FirmwareTiming.estimate(instructions: $0, clockHz: qemu.systickHz) },
            firmwareText: Firmware.textBytes(elf: elf),
            firmwareELF: elf.path, qemuCommand: FlasherInvocation.shellLine(run.argv))
        return Outcome(report: report, comparison: comparison, firmwareOutput: run.output)
    }
}
