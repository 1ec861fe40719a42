import Foundation
import WeightShareCore

/// How a firmware run's outputs compare with the host runtime's on the same samples (`wsc run`): a run passes
/// when the firmware exits with 0, prints every embedded sample, every sample's top-1 class is the host's and every
/// output is within ``tolerance(for:)`` of the host's.
///
/// The tolerance scales with the values: `|firmware − host| ≤ absoluteTolerance + relativeTolerance · scale`, where
/// `scale` is the largest |host output| of that sample. Both sides run the same C runtime on the same float32 data,
/// but not the same instructions: the firmware is built `-DWS_SMALL` (the streaming convolution only) while the
/// host library keeps the faster convolution paths, so sums are added in another order; a host compiler may also
/// contract `a*b + c` into one fused multiply-add (clang does on arm64 hosts; the firmware is built with
/// `-ffp-contract=off`), and libm's `expf`/`tanhf`/… are newlib's on the board and glibc's on the host. Each such
/// difference is a few float32 roundings (2^-24 ≈ 6e-8 relative) of the terms a layer adds up, so it grows with
/// the size of the layer's outputs, not with one output, which can be near zero after cancellation: hence the
/// sample's largest output as the scale. `relativeTolerance` = 1e-5 is ≈ 170 roundings of that scale — ten times
/// the ≈ 1e-6 seen on a digits CNN (1.5e-5 on logits of ≈ 15) — and still two orders of magnitude below what a
/// wrong weight, index or kernel does (≥ 1e-3). `boards/firmware/main.c` applies the same test in float32.
public struct FirmwareComparison: Sendable, Equatable {
    /// The absolute part of the tolerance (what outputs near zero may differ by).
    public static let absoluteTolerance: Float = 1e-5
    /// The relative part, times the sample's largest |host output|.
    public static let relativeTolerance: Float = 1e-5

    /// The largest |firmware − host| allowed for a sample whose host outputs are `expected`:
    /// `absoluteTolerance + relativeTolerance · max|expected|`, in float32 as the firmware computes it.
    public static func tolerance(for expected: [Float]) -> Float {
        absoluteTolerance + relativeTolerance * scale(expected)
    }

    /// The sample's largest finite |output| (0 for none).
    static func scale(_ expected: [Float]) -> Float {
        expected.reduce(Float(0)) { $1.isFinite ? max($0, abs($1)) : $0 }
    }

    /// Samples embedded in the firmware (the host's outputs for them are the expectation).
    public var embeddedSamples: Int
    /// Samples the firmware printed.
    public var samplesRun: Int
    /// Printed samples whose top-1 class (first maximum) is the host's.
    public var top1Identical: Int
    /// Largest |firmware − host| difference over every printed output; infinity when either side is NaN.
    public var maxAbsDiff: Double
    /// Largest |firmware − host| / tolerance over every printed output: at most 1 in a passing run (infinity for
    /// a NaN).
    public var maxToleranceRatio: Double
    public var exitStatus: Int32
    public var passed: Bool

    public init(embeddedSamples: Int, samplesRun: Int, top1Identical: Int, maxAbsDiff: Double,
                maxToleranceRatio: Double = 0, exitStatus: Int32, passed: Bool) {
        self.embeddedSamples = embeddedSamples
        self.samplesRun = samplesRun
        self.top1Identical = top1Identical
        self.maxAbsDiff = maxAbsDiff
        self.maxToleranceRatio = maxToleranceRatio
        self.exitStatus = exitStatus
        self.passed = passed
    }

    /// Compares the printed `samples` with `expected` (the host's outputs, one row per embedded sample).
    /// Printed samples whose index is not one of `expected`'s are ignored. Throws when the firmware exited with 0
    /// but printed a different number of samples, or when a sample has a different number of outputs than the
    /// host; `output` (what the firmware printed) goes into the error.
    public static func compare(samples: [QEMURunner.Sample], exitStatus: Int32, expected: [[Float]],
                               output: String = "") throws -> FirmwareComparison {
        guard samples.count == expected.count || exitStatus != 0 else {
            throw BoardError.badFirmwareOutput(reason: "\(samples.count) samples printed, \(expected.count) embedded",
                                               output: output)
        }
        var identical = 0
        var maxDiff = 0.0, maxRatio = 0.0, within = true
        for sample in samples where expected.indices.contains(sample.index) {
            let host = expected[sample.index]
            guard sample.outputs.count == host.count else {
                throw BoardError.badFirmwareOutput(
                    reason: "sample \(sample.index): \(sample.outputs.count) outputs, host has \(host.count)", output: output)
            }
            if Metric.argmax(sample.outputs) == Metric.argmax(host) { identical += 1 }
            let tolerance = Self.tolerance(for: host)
            for (a, b) in zip(sample.outputs, host) {
                // The firmware's test (main.c): equal, or |a − b| ≤ tolerance, in float32; NaN never passes.
                let d = abs(a - b)
                let ok = a == b || d <= tolerance
                within = within && ok
                let diff = a.isNaN || b.isNaN ? Double.infinity : a == b ? 0 : Double(d)
                maxDiff = max(maxDiff, diff)
                maxRatio = max(maxRatio, ok && a == b ? 0 : diff.isFinite ? diff / Double(tolerance) : .infinity)
            }
        }
        let passed = exitStatus == 0 && identical == expected.count && within && samples.count == expected.count
        return FirmwareComparison(embeddedSamples: expected.count, samplesRun: samples.count, top1Identical: identical,
                                  maxAbsDiff: maxDiff, maxToleranceRatio: maxRatio, exitStatus: exitStatus,
                                  passed: passed)
    }
}

/// Instructions per inference from the firmware's SysTick counts. QEMU runs with `-icount shift=0` (one
/// instruction per nanosecond of virtual time), so instructions = ticks × 1e9 / SysTick frequency.
public enum FirmwareTiming {
    /// Instructions per inference, rounded; nil when the board file gives no `qemu.systickHz`.
    public static func instructions(ticks: [UInt64], systickHz: UInt64?) -> [UInt64]? {
        // Clamped: the ticks come from the firmware's output and the rate from a board file.
        systickHz.map { hz in
            ticks.map {
                let n = (Double($0) * 1e9 / Double(max(hz, 1))).rounded()
                return n >= 0x1p64 ? .max : n >= 0 ? UInt64(n) : 0
            }
        }
    }

    /// The mean of `instructions` (0 for none).
    public static func mean(_ instructions: [UInt64]) -> Double {
        instructions.isEmpty ? 0 : instructions.reduce(0.0) { $0 + Double($1) } / Double(instructions.count)
    }

    /// How QEMU's instruction counts become cycles and time, said in every report that shows them.
    public static func method(clockHz: UInt64) -> String {
        "estimate, not a measurement: QEMU with -icount shift=0 counts executed instructions exactly (SysTick ticks "
            + "× 1e9 / qemu.systickHz); cycles are taken as 1 per instruction at the board's \(clockHz) Hz processor "
            + "clock (qemu.systickHz) and ms = cycles / clock. A real core differs: loads, multiply-accumulates, FP "
            + "divides and taken branches take more than one cycle and flash adds wait states (Cortex-M3/M4: more "
            + "cycles than instructions), while a Cortex-M7 may issue two instructions per cycle. Measure on the "
            + "board with the firmware's DWT cycle counter: make IO=uart TIMING=dwt (boards/README.md)"
    }

    /// Estimated cycles and milliseconds for `instructions` at `clockHz` (1 cycle per instruction; see
    /// ``method(clockHz:)``); nil without a clock.
    public static func estimate(instructions: [UInt64], clockHz: UInt64?) -> TimeEstimate? {
        guard let clockHz, clockHz > 0 else { return nil }
        let ms = instructions.map { Double($0) / Double(clockHz) * 1000 }
        return TimeEstimate(clockHz: clockHz, cyclesPerInference: instructions, meanCycles: mean(instructions),
                            millisecondsPerInference: ms,
                            meanMilliseconds: ms.isEmpty ? 0 : ms.reduce(0, +) / Double(ms.count),
                            method: method(clockHz: clockHz))
    }
}

/// Cycles and time per inference at a board's clock, estimated from QEMU's instruction counts
/// (``FirmwareTiming/estimate(instructions:clockHz:)``).
public struct TimeEstimate: Sendable, Equatable, Codable {
    /// The processor clock the time is computed at (the board file's `qemu.systickHz`).
    public var clockHz: UInt64
    /// Estimated cycles per inference (= QEMU's instruction count: 1 cycle per instruction).
    public var cyclesPerInference: [UInt64]
    public var meanCycles: Double
    /// cycles / clock, in milliseconds.
    public var millisecondsPerInference: [Double]
    public var meanMilliseconds: Double
    /// How the numbers are estimated and how exact they are.
    public var method: String
}
