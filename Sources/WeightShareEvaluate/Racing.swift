import WeightShareCompress
import WeightShareCore

/// Early rejection ("racing") of a candidate that cannot enter the front: it is scored on a growing prefix of the
/// samples, and after each stage the best score it could still reach — every remaining sample scored perfectly
/// (every metric's per-sample score is at most 1) — is compared with the score it must beat. The bound is exact,
/// not statistical: a rejected candidate's full score is certainly below the threshold.
public struct RacingOutcome: Sendable, Equatable {
    /// The full score, or for a rejected candidate the best score it could still have reached (an upper bound).
    public var score: Double
    /// Samples run, and whether the candidate was stopped before the last stage.
    public var samplesRun: Int
    public var rejected: Bool
}

extension RuntimeEvaluator {
    /// Sample counts after which a race checks its bound: an eighth, a quarter, a half, then all.
    public func racingStages() -> [Int] {
        let n = samples.count
        return Array(Set([n / 8, n / 4, n / 2, n].filter { $0 > 0 })).sorted()
    }

    /// The score of `encoding`, stopped early once it cannot reach `threshold` (``RacingOutcome``). A candidate whose
    /// bias correction is measured on these samples runs whole (its correction needs every sample), as does one
    /// that fails (NaN or infinite outputs: ``Metric/failedScore``).
    public func race(_ encoding: WeightEncoding, below threshold: Double) throws -> RacingOutcome {
        let n = samples.count
        guard threshold > Metric.failedScore, !encoding.biasCorrection, n > 1 else {
            return RacingOutcome(score: try score(encoding), samplesRun: n, rejected: false)
        }
        let bytes = try encoder.container(encoding)
        var outputs: [Float] = []
        outputs.reserveCapacity(n * outputWidth)
        var done = 0, total = 0.0
        for stage in racingStages() {
            let rows = samples.rows(Array(done..<stage))
            let part = try Self.run(bytes, samples: rows, outputs: scoredOutputs, workers: workers, kernels: kernels)
            guard Metric.allFinite(part) else {
                return RacingOutcome(score: Metric.failedScore, samplesRun: stage, rejected: false)
            }
            total += metric.rowScores(outputs: part, width: outputWidth, labels: rows.labels,
                                      reference: Array(floatOutputs[(done * outputWidth)..<(stage * outputWidth)]))
                .reduce(0, +)
            outputs += part
            done = stage
            let best = (total + Double(n - done)) / Double(n)
            if done < n && best < threshold {
                return RacingOutcome(score: best, samplesRun: done, rejected: true)
            }
        }
        // Scored on every sample: the score as ``score(_:)`` computes it.
        return RacingOutcome(score: metric.score(outputs: outputs, width: outputWidth, labels: samples.labels,
                                                 reference: floatOutputs), samplesRun: n, rejected: false)
    }
}
