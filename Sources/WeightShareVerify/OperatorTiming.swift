import Foundation
import WeightShareBoards
import WeightShareReader

/// Instructions per operator measured on an emulated board, and the cycles and time they make at the board's
/// clock (`wsc report --board`).
///
/// How: the firmware template is built with `TIME_OPS=1` and the model; on one input it runs the first k operators
/// (`ws_invoke_partial`) for every k from 0 to all, timing each call with SysTick, under QEMU with
/// `-icount shift=0` (one instruction per nanosecond of virtual time, so ticks convert exactly to instructions).
/// Operator k costs run k+1 minus run k; run 0 is the call's fixed cost. Each count is exact up to one SysTick
/// tick per run (1e9 / systickHz instructions: 40 at 25 MHz, 6 at 168 MHz). Cycles are then estimated at one per
/// instruction (``FirmwareTiming/method(clockHz:)`` says what that leaves out).
public struct OperatorTiming: Sendable, Equatable, Codable {
    public var board: String
    public var machine: String
    /// The processor clock (the board file's `qemu.systickHz`).
    public var clockHz: UInt64
    /// Instructions of each operator, in execution order.
    public var instructions: [UInt64]
    /// Instructions of a call that runs no operator (`ws_invoke_partial(…, 0)`).
    public var overheadInstructions: UInt64
    /// Instructions of the whole inference (every operator plus the call's overhead).
    public var inferenceInstructions: UInt64
    /// One SysTick tick in instructions: each run's count is exact to this.
    public var resolutionInstructions: UInt64
    /// What the model ran on ("sample 0 of test.npz", or zeros).
    public var input: String
    /// How the numbers are obtained and how exact they are.
    public var method: String

    /// Cycles of operator `o`, estimated at one per instruction.
    public func estimatedCycles(_ o: Int) -> UInt64 { instructions[o] }
    /// Microseconds of operator `o` at ``clockHz``.
    public func estimatedMicroseconds(_ o: Int) -> Double { Double(instructions[o]) / Double(clockHz) * 1e6 }

    /// The per-operator instructions from the firmware's cumulative `ops <k>` lines (k = 0 … operators): run k+1
    /// minus run k, 0 where a quantised difference is negative.
    public static func perOperator(cumulative: [UInt64]) -> (overhead: UInt64, operators: [UInt64]) {
        guard let first = cumulative.first else { return (0, []) }
        let operators = zip(cumulative.dropFirst(), cumulative).map { $0 > $1 ? $0 - $1 : 0 }
        return (first, operators)
    }

    /// Builds the `TIME_OPS=1` firmware for `board` in `workDirectory` with the `.wsm` at `wsm`, runs it on
    /// `input` (every model input's values, concatenated) under QEMU and reads the per-operator counts.
    public static func measure(wsm: URL, board: Board, catalog: BoardCatalog, input: [Float], inputDescription: String,
                               workDirectory: URL, timeout: Double, log: (String) -> Void) throws -> OperatorTiming {
        guard let qemu = board.qemu else { throw OperatorTimingError.notEmulated(board: board.name) }
        guard let hz = qemu.systickHz else { throw OperatorTimingError.noClock(board: board.name) }
        let bytes = [UInt8](try Data(contentsOf: wsm))
        let model = try WSMModel(bytes: bytes)
        let fit = FitCheck.check(board: board, wsmBytes: bytes.count, arenaBytes: model.arenaBytes)
        guard fit.fits else { throw FirmwareVerification.Problem.doesNotFit(board: board.name, problems: fit.problems) }
        let session = InferenceSession(model: model)
        var offset = 0
        let perInput = model.inputs.map { t -> [Float] in
            defer { offset += t.elementCount }
            return Array(input[offset..<(offset + t.elementCount)])
        }
        let expected = try session.run(perInput).flatMap { $0 }
        log("building the operator-timing firmware for \(board.name) in \(workDirectory.path)")
        let elf = try Firmware.build(board: board, catalog: catalog, wsm: bytes, inputs: [input], expected: [expected],
                                     arenaBytes: model.arenaBytes, directory: workDirectory, timeOperators: true)
        log("timing \(model.operators.count + 1) partial runs on \(qemu.machine) under QEMU (timeout \(Int(timeout)) s)")
        let run = try QEMURunner.run(board: board, elf: elf, timeout: timeout)
        guard run.exitStatus == 0, run.operators.count == model.operators.count + 1 else {
            throw BoardError.badFirmwareOutput(
                reason: "the operator-timing firmware exited with \(run.exitStatus) after \(run.operators.count) of "
                    + "\(model.operators.count + 1) 'ops' lines", output: String(run.output.suffix(4000)))
        }
        let ticks = run.operators.compactMap(\.ticks)
        let cumulative = FirmwareTiming.instructions(ticks: ticks, systickHz: hz) ?? []
        let (overhead, operators) = perOperator(cumulative: cumulative)
        let resolution = UInt64((1e9 / Double(hz)).rounded(.up))
        return OperatorTiming(
            board: board.name, machine: qemu.machine, clockHz: hz, instructions: operators,
            overheadInstructions: overhead, inferenceInstructions: cumulative.last ?? 0,
            resolutionInstructions: resolution, input: inputDescription,
            method: "instructions per operator measured, not apportioned: a firmware build (make TIME_OPS=1) runs "
                + "the first k operators (ws_invoke_partial) for every k on \(inputDescription) under QEMU "
                + "-icount shift=0 on \(qemu.machine); an operator's count is the difference of two runs, exact to "
                + "one SysTick tick per run (\(resolution) instructions). Cycles and time: "
                + FirmwareTiming.method(clockHz: hz))
    }
}

/// Why operators cannot be timed on a board.
public enum OperatorTimingError: Error, Equatable, CustomStringConvertible {
    case notEmulated(board: String)
    case noClock(board: String)

    public var description: String {
        switch self {
        case .notEmulated(let board):
            return "board '\(board)' has no QEMU machine: per-operator instruction counts need an emulated board "
                + "(qemu-…; 'wsc boards'). On the real board, build boards/firmware with make IO=uart TIMING=dwt "
                + "TIME_OPS=1: it prints DWT cycles for the first k operators for every k (boards/README.md)"
        case .noClock(let board):
            return "board '\(board)' has no qemu.systickHz: SysTick ticks cannot be turned into instructions and "
                + "cycles (boards/README.md)"
        }
    }
}
