import Foundation

/// A loss bound for top-1 metrics with the resolution of the outputs, not of a count of flipped samples.
///
/// On a few hundred samples a count cannot resolve 1 point: a candidate that flips one of 110 samples may lose 0.3 or
/// 2 points on unseen data. Its outputs say more: how far each sample's output moved (the perturbation) against how
/// far each sample is from changing class (its margin). The transfer estimate pairs every sample's float output
/// with every sample's perturbation, rescaled to the first sample's output norm (weight sharing perturbs outputs in
/// proportion to their size), and counts how many of the n·m pairs still give the target class:
///
///     loss = mean_i right(F_i) − mean_{i,j} right(F_i + (C_j − F_j) · ‖F_i‖ / ‖F_j‖)
///
/// with F the float outputs, C the candidate's, right(x) = [argmax x = target_i] and the target the label
/// (accuracy) or the float model's class (agreement). It assumes that a sample's perturbation does not depend on
/// its margin — a model of the noise, which a count does not need. The upper bound is the `confidence` quantile of
/// the estimate over seeded bootstrap resamples of the margin samples i and the perturbation samples j, drawn
/// independently. A candidate equal to the float model has loss and bound 0.
public enum TransferBound {
    /// Most margin samples i and perturbation samples j paired (evenly spaced beyond): the bootstrap costs
    /// resamples × targets × donors.
    public static let maxTargets = 1000
    public static let maxDonors = 200

    /// The bound of `candidate` against `float` (n rows of `width` outputs each, the same samples) for `targets`
    /// (one class per sample). A candidate row that is not finite counts as wrong wherever it is paired.
    ///
    /// `moreFloat` and `moreTargets` add margin samples: the float model's outputs on other data (the search data).
    /// The float model is fixed, so its margins there are not flattered by the search, which only chose the
    /// candidates' perturbations; the perturbations come from these samples alone.
    public static func measure(float: [Float], candidate: [Float], width: Int, targets: [Int],
                               moreFloat: [Float] = [], moreTargets: [Int] = [], confidence: Double,
                               resamples: Int = LossBound.bootstrapResamples, seed: UInt64) -> LossBound {
        precondition(width > 0 && float.count == candidate.count && float.count == targets.count * width
                     && moreFloat.count == moreTargets.count * width,
                     "n rows of `width` outputs in both, one target per row")
        let n = targets.count
        guard n > 0 else { return LossBound(loss: 0, upper: .infinity, confidence: confidence, samples: 0, method: "none") }
        // Margin rows: these samples, then the others; perturbation rows: these samples.
        let margins = float + moreFloat, targets = targets + moreTargets
        let rowsI = spread(targets.count, maxTargets), rowsJ = spread(n, maxDonors)
        func norm(_ r: Int) -> Double {
            var s = 0.0
            for k in 0..<width { s += Double(margins[r * width + k]) * Double(margins[r * width + k]) }
            return s.squareRoot()
        }
        // right[a * donors + b]: sample rowsI[a]'s float output plus sample rowsJ[b]'s rescaled perturbation gives
        // rowsI[a]'s target.
        let donors = rowsJ.count
        var right = [Double](repeating: 0, count: rowsI.count * donors)
        var floatRight = [Double](repeating: 0, count: rowsI.count)
        var moved = [Float](repeating: 0, count: width)
        let marginNorms = rowsI.map(norm)
        for (b, j) in rowsJ.enumerated() {
            let row = candidate[(j * width)..<((j + 1) * width)]
            guard row.allSatisfy(\.isFinite) else { continue }
            let nj = norm(j)
            for (a, i) in rowsI.enumerated() {
                let scale = nj > 0 ? Float(marginNorms[a] / nj) : 1
                for k in 0..<width {
                    moved[k] = margins[i * width + k] + (candidate[j * width + k] - float[j * width + k]) * scale
                }
                right[a * donors + b] = Metric.argmax(moved) == targets[i] ? 1 : 0
            }
        }
        for (a, i) in rowsI.enumerated() {
            floatRight[a] = Metric.argmax(margins[(i * width)..<((i + 1) * width)]) == targets[i] ? 1 : 0
        }
        // Most margin samples get the same outcome from every perturbation (a wide margin stays right): their loss
        // term is a constant, so the bootstrap only sums the pairs of the others ("mixed" rows).
        var constantLoss = [Double](repeating: 0, count: rowsI.count)
        var mixed: [Int] = []
        for a in 0..<rowsI.count {
            let first = right[a * donors]
            if (1..<donors).allSatisfy({ right[a * donors + $0] == first }) {
                constantLoss[a] = floatRight[a] - first
            } else {
                mixed.append(a)
            }
        }
        func estimate(_ w: [Double], _ v: [Double]) -> Double {
            let wTotal = w.reduce(0, +), vTotal = v.reduce(0, +)
            var loss = 0.0
            for a in 0..<rowsI.count { loss += w[a] * constantLoss[a] }
            right.withUnsafeBufferPointer { r in
                v.withUnsafeBufferPointer { v in
                    for a in mixed where w[a] > 0 {
                        var pairs = 0.0
                        let row = r.baseAddress! + a * donors
                        for b in 0..<donors { pairs += v[b] * row[b] }
                        loss += w[a] * (floatRight[a] - pairs / vTotal)
                    }
                }
            }
            return loss / wTotal
        }
        let loss = estimate([Double](repeating: 1, count: rowsI.count), [Double](repeating: 1, count: donors))
        var random = SplitMix64(seed: seed)
        var estimates: [Double] = []
        estimates.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var w = [Double](repeating: 0, count: rowsI.count), v = [Double](repeating: 0, count: donors)
            for _ in 0..<rowsI.count { w[random.below(rowsI.count)] += 1 }
            for _ in 0..<donors { v[random.below(donors)] += 1 }
            estimates.append(estimate(w, v))
        }
        estimates.sort()
        let rank = min(resamples, max(1, Int((confidence * Double(resamples)).rounded(.up))))
        return LossBound(loss: loss, upper: resamples > 0 ? estimates[rank - 1] : .infinity, confidence: confidence,
                         samples: n, method: "transfer-bootstrap")
    }

    /// `count` evenly spaced row indices of `0..<n` (all of them when n ≤ count).
    public static func spread(_ n: Int, _ count: Int) -> [Int] {
        n <= count ? Array(0..<n) : (0..<count).map { $0 * n / count }
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): the seeded stream of the bootstraps
/// (``ConfidenceBound/bootstrapMeanUpper(_:confidence:resamples:seed:)``, ``TransferBound``) and the selection split.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<n (the high word of a full-width product).
    public mutating func below(_ n: Int) -> Int { Int(next().multipliedFullWidth(by: UInt64(n)).high) }
}

/// How `compile` bounds a top-1 metric's loss (`--bound`); cosine always uses its bootstrap.
public enum BoundMethod: String, Sendable, Codable, CaseIterable {
    /// ``TransferBound``: margins against perturbations, a model of the noise with the resolution of the outputs.
    case transfer
    /// The count of samples each model gets right (``LossBound``: Newcombe's paired bound for accuracy, Wilson's
    /// for agreement): no model, but one sample's resolution.
    case count
}
