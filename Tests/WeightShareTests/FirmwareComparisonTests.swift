import Testing
@testable import WeightShareBoards

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

    @Test("a difference of at most 1e-5 passes; a larger one fails with the same top-1")
    func tolerance() throws {
        // 0.5 and 0.25 are exact in float32, so these differences are exactly 2^-17 ≈ 7.6e-6 and 2^-16 ≈ 1.5e-5.
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
    }

    @Test("instructions per inference: ticks × 1e9 / SysTick Hz, rounded")
    func timing() {
        #expect(FirmwareTiming.instructions(ticks: [25, 3], systickHz: 25_000_000) == [1000, 120])
        #expect(FirmwareTiming.instructions(ticks: [1], systickHz: 3) == [333_333_333])
        #expect(FirmwareTiming.instructions(ticks: [25], systickHz: nil) == nil)
        #expect(FirmwareTiming.mean([1000, 120]) == 560)
        #expect(FirmwareTiming.mean([]) == 0)
    }
}
