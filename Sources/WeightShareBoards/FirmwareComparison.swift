import Foundation
import WeightShareCore

/// How a firmware run's outputs compare with the host runtime's on the same samples (`wsc run`): a run passes
/// when the firmware exits with 0, prints every embedded sample, every sample's top-1 class is the host's and no
/// output differs from the host's by more than ``maxAbsDiffAllowed``.
public struct FirmwareComparison: Sendable, Equatable {
    /// The largest |firmware − host| difference a passing run may have.
    public static let maxAbsDiffAllowed = 1e-5

    /// Samples embedded in the firmware (the host's outputs for them are the expectation).
    public var embeddedSamples: Int
    /// Samples the firmware printed.
    public var samplesRun: Int
    /// Printed samples whose top-1 class (first maximum) is the host's.
    public var top1Identical: Int
    /// Largest |firmware − host| over every printed output; infinity when either side is NaN.
    public var maxAbsDiff: Double
    public var exitStatus: Int32
    public var passed: Bool

    /// Compares the printed `samples` with `expected` (the host's outputs, one row per embedded sample).
    /// Printed samples whose index is past `expected` are ignored. Throws when the firmware exited with 0 but
    /// printed a different number of samples, or when a sample has a different number of outputs than the host;
    /// `output` (what the firmware printed) goes into the error.
    public static func compare(samples: [QEMURunner.Sample], exitStatus: Int32, expected: [[Float]],
                               output: String = "") throws -> FirmwareComparison {
        guard samples.count == expected.count || exitStatus != 0 else {
            throw BoardError.badFirmwareOutput(reason: "\(samples.count) samples printed, \(expected.count) embedded",
                                               output: output)
        }
        var identical = 0
        var maxDiff = 0.0
        for sample in samples where sample.index < expected.count {
            let host = expected[sample.index]
            guard sample.outputs.count == host.count else {
                throw BoardError.badFirmwareOutput(
                    reason: "sample \(sample.index): \(sample.outputs.count) outputs, host has \(host.count)", output: output)
            }
            if Metric.argmax(sample.outputs) == Metric.argmax(host) { identical += 1 }
            for (a, b) in zip(sample.outputs, host) {
                maxDiff = max(maxDiff, a.isNaN || b.isNaN ? .infinity : Double(abs(a - b)))
            }
        }
        let passed = exitStatus == 0 && identical == expected.count && maxDiff <= maxAbsDiffAllowed
            && samples.count == expected.count
        return FirmwareComparison(embeddedSamples: expected.count, samplesRun: samples.count, top1Identical: identical,
                                  maxAbsDiff: maxDiff, exitStatus: exitStatus, passed: passed)
    }
}

/// Instructions per inference from the firmware's SysTick counts. QEMU runs with `-icount shift=0` (one
/// instruction per nanosecond of virtual time), so instructions = ticks × 1e9 / SysTick frequency.
public enum FirmwareTiming {
    /// Instructions per inference, rounded; nil when the board file gives no `qemu.systickHz`.
    public static func instructions(ticks: [UInt64], systickHz: UInt64?) -> [UInt64]? {
        systickHz.map { hz in ticks.map { UInt64((Double($0) * 1e9 / Double(hz)).rounded()) } }
    }

    /// The mean of `instructions` (0 for none).
    public static func mean(_ instructions: [UInt64]) -> Double {
        instructions.isEmpty ? 0 : Double(instructions.reduce(0, +)) / Double(instructions.count)
    }
}
