import Foundation
/// A one-sided upper confidence bound on a candidate's loss against the float model, measured per sample.
///
/// The loss is the float model's score minus the candidate's on the same samples (score units; ×100 for points).
/// With confidence `c`, the true loss (on data drawn like these samples) is at most ``upper``:
/// - **accuracy**: the samples are paired (both models see the same ones), so the bound is Newcombe's hybrid score
///   interval for a difference of paired proportions (Newcombe 1998, method 10), built from one-sided Wilson score
///   bounds of both accuracies and their correlation. A candidate that only flips samples both ways is still less
///   certain than one that flips none.
/// - **agreement**: the float model agrees with itself everywhere, so the loss is the disagreement rate, a binomial
///   proportion, and the bound is its Wilson score upper bound (Newcombe's formula reduces to exactly that).
/// - **cosine**: the loss is the mean of `1 − cosine` per sample; the bound is the `c` quantile of the mean over
///   seeded bootstrap resamples (percentile bootstrap).
public struct LossBound: Sendable, Equatable, Codable {
    /// Float score minus the candidate's (the point estimate).
    public var loss: Double
    /// One-sided upper bound on the loss at ``confidence``.
    public var upper: Double
    public var confidence: Double
    public var samples: Int
    /// "newcombe-wilson", "wilson" or "bootstrap".
    public var method: String

    public init(loss: Double, upper: Double, confidence: Double, samples: Int, method: String) {
        self.loss = loss
        self.upper = upper
        self.confidence = confidence
        self.samples = samples
        self.method = method
    }

    /// Bootstrap resamples for cosine.
    public static let bootstrapResamples = 2000

    /// The bound from per-sample scores of the float model and of the candidate (``Metric/rowScores``).
    /// `seed` drives the bootstrap (cosine), so the same inputs give the same bound.
    public static func measure(metric: Metric, float: [Double], candidate: [Double], confidence: Double,
                               seed: UInt64) -> LossBound {
        precondition(float.count == candidate.count, "one score per sample in both")
        let n = float.count
        guard n > 0 else { return LossBound(loss: 0, upper: .infinity, confidence: confidence, samples: 0, method: "none") }
        switch metric {
        case .accuracy, .agreement:
            var a = 0, b = 0, c = 0, d = 0
            for (f, x) in zip(float, candidate) {
                switch (f >= 0.5, x >= 0.5) {
                case (true, true): a += 1
                case (true, false): b += 1
                case (false, true): c += 1
                case (false, false): d += 1
                }
            }
            let upper = ConfidenceBound.pairedDifferenceUpper(a: a, b: b, c: c, d: d, confidence: confidence)
            return LossBound(loss: Double(b - c) / Double(n), upper: upper, confidence: confidence, samples: n,
                             method: metric == .accuracy ? "newcombe-wilson" : "wilson")
        case .cosine:
            let differences = zip(float, candidate).map { $0 - $1 }
            let upper = ConfidenceBound.bootstrapMeanUpper(differences, confidence: confidence,
                                                           resamples: bootstrapResamples, seed: seed)
            return LossBound(loss: differences.reduce(0, +) / Double(n), upper: upper, confidence: confidence,
                             samples: n, method: "bootstrap")
        }
    }

    /// The bound of a candidate that matches the float model on every sample: the smallest loss bound these
    /// samples can give (their resolution). For cosine it is 0.
    public static func resolution(metric: Metric, float: [Double], confidence: Double) -> Double {
        measure(metric: metric, float: float, candidate: float, confidence: confidence, seed: 0).upper
    }
}

/// Confidence bounds used by ``LossBound``; exposed for tests and reports.
public enum ConfidenceBound {
    /// The standard normal quantile Φ⁻¹(p) for 0 < p < 1 (Acklam's rational approximation, refined by one Halley
    /// step; relative error below 1e-12).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "a probability strictly between 0 and 1")
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
                 -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                 -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
                 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // One Halley step against the exact CDF.
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// Wilson score bounds of a binomial proportion `k / n` with normal quantile `z` (z = Φ⁻¹(c) gives one-sided
    /// bounds at confidence c each). n = 0 gives [0, 1].
    public static func wilson(successes k: Int, trials n: Int, z: Double) -> (lower: Double, upper: Double) {
        guard n > 0 else { return (0, 1) }
        let n = Double(n), p = Double(k) / n, z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / (1 + z2 / n)
        return (max(0, centre - half), min(1, centre + half))
    }

    /// One-sided upper bound at `confidence` on p1 − p2 for paired binary outcomes (Newcombe 1998, method 10):
    /// `a` both right, `b` only the first right, `c` only the second right, `d` both wrong; p1 = (a+b)/n,
    /// p2 = (a+c)/n. U = θ + √((u1 − p1)² − 2φ(u1 − p1)(p2 − l2) + (p2 − l2)²) with Wilson bounds (l, u) at
    /// z = Φ⁻¹(confidence) and φ the phi coefficient of the 2×2 table (0 when a margin is empty).
    public static func pairedDifferenceUpper(a: Int, b: Int, c: Int, d: Int, confidence: Double) -> Double {
        let n = a + b + c + d
        guard n > 0 else { return 1 }
        let z = normalQuantile(confidence)
        let p1 = Double(a + b) / Double(n), p2 = Double(a + c) / Double(n)
        let u1 = wilson(successes: a + b, trials: n, z: z).upper
        let l2 = wilson(successes: a + c, trials: n, z: z).lower
        let margins = Double(a + b) * Double(c + d) * Double(a + c) * Double(b + d)
        let phi = margins > 0 ? (Double(a) * Double(d) - Double(b) * Double(c)) / margins.squareRoot() : 0
        let x = u1 - p1, y = p2 - l2
        return p1 - p2 + max(0, x * x - 2 * phi * x * y + y * y).squareRoot()
    }

    /// The `confidence` quantile of the mean of `values` over `resamples` bootstrap resamples drawn with a
    /// SplitMix64 stream seeded by `seed` (the sorted means' element at ⌈confidence · resamples⌉ − 1).
    public static func bootstrapMeanUpper(_ values: [Double], confidence: Double, resamples: Int,
                                          seed: UInt64) -> Double {
        let n = values.count
        guard n > 0, resamples > 0 else { return .infinity }
        var random = SplitMix64(seed: seed)
        var means: [Double] = []
        means.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var total = 0.0
            for _ in 0..<n { total += values[random.below(n)] }
            means.append(total / Double(n))
        }
        means.sort()
        let rank = min(resamples, max(1, Int((confidence * Double(resamples)).rounded(.up))))
        return means[rank - 1]
    }
}
