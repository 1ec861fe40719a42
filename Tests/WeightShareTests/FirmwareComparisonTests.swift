import Foundation
import Testing
@testable import WeightShareBoards
@testable import WeightShareVerify

/// `wsc run`'s verdict on a firmware run against the host runtime's outputs, on hand-made samples.
@Suite("FirmwareComparison")
struct FirmwareComparisonTests {
    static func sample(_ index: Int, _ outputs: [Float]) -> QEMURunner.Sample {
        QEMURunner.Sample(index: index, ticks: 1000, top1: 0, expectedTop1: 0, mismatch: false, outputs: outputs)
    }

    static let host: [[Float]] = [[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]]

    @Test("identical outputs pass")
    func identical() throws {
        let c = try FirmwareComparison.compare(samples: [Self.sample(0, Self.host[0]), Self.sample(1, Self.host[1])],
                                               exitStatus: 0, expected: Self.host)
        #expect(c == FirmwareComparison(embeddedSamples: 2, samplesRun: 2, top1Identical: 2, maxAbsDiff: 0,
                                        exitStatus: 0, passed: true))
    }

    @Test("on outputs below 1 the tolerance is about 1e-5: 2^-17 passes, 2^-16 fails with the same top-1")
    func tolerance() throws {
        // 0.5 and 0.25 are exact in float32, so these differences are exactly 2^-17 ≈ 7.6e-6 and 2^-16 ≈ 1.5e-5;
        // sample 1's tolerance is 1e-5 + 1e-5·0.5 = 1.5e-5 (in float32, just below 2^-16).
        let small: Float = 0x1p-17, large: Float = 0x1p-16
        let ok = try FirmwareComparison.compare(
            samples: [Self.sample(0, Self.host[0]), Self.sample(1, [0.5 + small, 0.25, 0.25])], exitStatus: 0,
            expected: Self.host)
        #expect(ok.passed && ok.top1Identical == 2 && ok.maxAbsDiff == Double(small))
        let bad = try FirmwareComparison.compare(
            samples: [Self.sample(0, Self.host[0]), Self.sample(1, [0.5, 0.25 - large, 0.25])], exitStatus: 0,
            expected: Self.host)
        #expect(!bad.passed && bad.top1Identical == 2 && bad.maxAbsDiff == Double(large))
    }

    /// Compares one sample `firmware` against `host` (exit status 0).
    static func one(_ firmware: [Float], _ host: [Float]) throws -> FirmwareComparison {
        try FirmwareComparison.compare(samples: [sample(0, firmware)], exitStatus: 0, expected: [host])
    }

    @Test("logits of magnitude 10–100: the tolerance grows with the sample's largest output (hand-computed)")
    func largeLogits() throws {
        // Issue 15: a digits CNN's logit of 15 differed by 1.53e-5 between the M4F and the host and failed the
        // absolute 1e-5. 15 + 2^-16 is 16 float32 steps above 15; the allowed difference is 1e-5 + 1e-5·15 = 1.6e-4.
        let d15: Float = 0x1p-16  // 1.52587890625e-5
        let cnn = try Self.one([15 + d15, 3, -2], [15, 3, -2])
        #expect(cnn.passed && cnn.maxAbsDiff == Double(d15))
        #expect(abs(cnn.maxToleranceRatio - Double(d15) / 1.6e-4) < 1e-6, "\(cnn.maxToleranceRatio)")
        #expect(abs(FirmwareComparison.tolerance(for: [15, 3, -2]) - 1.6e-4) < 1e-9)
        // Magnitude 10: allowed 1e-5 + 1e-4 = 1.1e-4; 2^-14 ≈ 6.1e-5 passes, 2^-13 ≈ 1.22e-4 fails, same top-1.
        #expect(try Self.one([10, -10 - 0x1p-14, 5], [10, -10, 5]).passed)
        let ten = try Self.one([10, -10 - 0x1p-13, 5], [10, -10, 5])
        #expect(!ten.passed && ten.top1Identical == 1 && ten.maxToleranceRatio > 1)
        // Magnitude 100 (a negative largest output counts by its size): allowed 1e-5 + 1e-3 = 1.01e-3;
        // 2^-10 ≈ 9.77e-4 passes, 2^-9 ≈ 1.95e-3 fails.
        #expect(try Self.one([-100 + 0x1p-10, 50, 60], [-100, 50, 60]).passed)
        #expect(!(try Self.one([-100 + 0x1p-9, 50, 60], [-100, 50, 60]).passed))
        // An output near zero in a sample of large outputs shares the sample's scale: a rounding difference
        // there comes from adding terms of the layer's size (40), not of its own (0.001). Allowed 4.1e-4.
        #expect(try Self.one([40, 0.001 + 3e-4, -3], [40, 0.001, -3]).passed)
        #expect(!(try Self.one([40, 0.001 + 5e-4, -3], [40, 0.001, -3]).passed))
        // Small outputs keep the absolute tolerance: 1e-5 + 1e-5·0.7 = 1.7e-5.
        #expect(try Self.one([0.1, 0.7 + 0x1p-17, 0.2], [0.1, 0.7, 0.2]).passed)
        #expect(!(try Self.one([0.1, 0.7 + 0x1p-15, 0.2], [0.1, 0.7, 0.2]).passed))
        // Within the tolerance but another top-1 class: fails.
        let swapped = try Self.one([20, 20 + 0x1p-14], [20 + 0x1p-14, 20])
        #expect(!swapped.passed && swapped.top1Identical == 0 && swapped.maxToleranceRatio < 1)
        // Non-finite host values do not widen the scale; equal infinities agree.
        #expect(FirmwareComparison.tolerance(for: [.infinity, .nan, 2]) == FirmwareComparison.tolerance(for: [2]))
        #expect(try Self.one([.infinity, 1], [.infinity, 1]).passed)
        #expect(!(try Self.one([.infinity, 1], [-.infinity, 1]).passed))
    }

    @Test("the firmware applies the same tolerance: test_data.h carries both constants")
    func firmwareConstants() {
        let t = Firmware.testData(inputs: [[1]], expected: [[2]], arenaBytes: 16)
        #expect(t.header.contains("#define WS_TOLERANCE_ABS 1e-5f"), "\(t.header)")
        #expect(t.header.contains("#define WS_TOLERANCE_REL 1e-5f"))
        #expect(Firmware.cFloat(0.25) == "0.25f" && Firmware.cFloat(1e-5) == "1e-5f")
    }

    @Test("another top-1 class, a NaN or a non-zero exit status fails")
    func failures() throws {
        // Sample 1's top-1 moves from class 0 to class 1 (diff 0.3).
        let moved = try FirmwareComparison.compare(
            samples: [Self.sample(0, Self.host[0]), Self.sample(1, [0.2, 0.55, 0.25])], exitStatus: 0, expected: Self.host)
        #expect(!moved.passed && moved.top1Identical == 1 && abs(moved.maxAbsDiff - 0.3) < 1e-7)
        // A NaN output counts as an infinite difference (its top-1 here is still the host's).
        let nan = try FirmwareComparison.compare(
            samples: [Self.sample(0, [0.1, 0.7, .nan]), Self.sample(1, Self.host[1])], exitStatus: 0, expected: Self.host)
        #expect(!nan.passed && nan.maxAbsDiff == .infinity && nan.top1Identical == 2)
        let exit = try FirmwareComparison.compare(samples: [Self.sample(0, Self.host[0]), Self.sample(1, Self.host[1])],
                                                  exitStatus: 1, expected: Self.host)
        #expect(!exit.passed && exit.top1Identical == 2 && exit.maxAbsDiff == 0 && exit.exitStatus == 1)
    }

    @Test("missing samples: an error after exit 0, a failure after a non-zero exit; wrong output counts are errors")
    func missing() throws {
        #expect(throws: BoardError.badFirmwareOutput(reason: "1 samples printed, 2 embedded", output: "log")) {
            try FirmwareComparison.compare(samples: [Self.sample(0, Self.host[0])], exitStatus: 0, expected: Self.host,
                                           output: "log")
        }
        let crashed = try FirmwareComparison.compare(samples: [Self.sample(0, Self.host[0])], exitStatus: 3,
                                                     expected: Self.host)
        #expect(crashed == FirmwareComparison(embeddedSamples: 2, samplesRun: 1, top1Identical: 1, maxAbsDiff: 0,
                                              exitStatus: 3, passed: false))
        #expect(throws: BoardError.badFirmwareOutput(reason: "sample 1: 2 outputs, host has 3", output: "")) {
            try FirmwareComparison.compare(samples: [Self.sample(0, Self.host[0]), Self.sample(1, [0.5, 0.5])],
                                           exitStatus: 0, expected: Self.host)
        }
        // A sample index past the embedded ones is ignored.
        let extra = try FirmwareComparison.compare(samples: [Self.sample(0, Self.host[0]), Self.sample(7, [1, 2])],
                                                   exitStatus: 0, expected: Self.host)
        #expect(extra.top1Identical == 1 && !extra.passed)
        // So is a negative index (it used to index the expectations out of range).
        let negative = try FirmwareComparison.compare(samples: [Self.sample(0, Self.host[0]), Self.sample(-1, [1, 2])],
                                                      exitStatus: 0, expected: Self.host)
        #expect(negative.top1Identical == 1 && !negative.passed)
    }

    @Test("instructions per inference: ticks × 1e9 / SysTick Hz, rounded")
    func timing() {
        #expect(FirmwareTiming.instructions(ticks: [25, 3], systickHz: 25_000_000) == [1000, 120])
        #expect(FirmwareTiming.instructions(ticks: [1], systickHz: 3) == [333_333_333])
        #expect(FirmwareTiming.instructions(ticks: [25], systickHz: nil) == nil)
        #expect(FirmwareTiming.mean([1000, 120]) == 560)
        #expect(FirmwareTiming.mean([]) == 0)
        // Firmware output and board numbers at their limits clamp instead of trapping.
        #expect(FirmwareTiming.instructions(ticks: [.max], systickHz: 1) == [.max])
        #expect(FirmwareTiming.instructions(ticks: [5], systickHz: 0) == [5_000_000_000])
        #expect(FirmwareTiming.mean([.max, .max]) > 1e19)
    }

    @Test("a run report with a NaN output (infinite difference) still encodes: null, not a JSON error")
    func reportWithNonFiniteDifference() throws {
        let report = FirmwareRunReport(
            board: "b", machine: "m", io: .semihosting, samples: 1, top1Identical: 0, maxAbsDiff: .infinity,
            maxToleranceRatio: .nan, absoluteTolerance: 1e-5, relativeTolerance: 1e-5, firmwareExitStatus: 1,
            firmwareResult: "(none)", passed: false, ticksPerInference: [3], instructionsPerInference: nil,
            meanInstructions: nil, firmwareText: nil, firmwareELF: "fw.elf", qemuCommand: "qemu")
        let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as? [String: Any]
        #expect(json?["maxAbsDiff"] is NSNull)
        #expect(json?["maxToleranceRatio"] is NSNull)
        #expect(json?["passed"] as? Bool == false)
        #expect(json?["absoluteTolerance"] as? Double == 1e-5)
    }
}
