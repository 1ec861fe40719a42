/// Uniform binning exactly as in Khosrowshahli et al. (2025): K equal-width bins over [min, max] of the shared
/// vector; bin i covers [e_i, e_{i+1}) with e_i = min + (max − min)·i/K (NumPy's linspace(min, max, K+1)),
/// the last bin also holds the maximum. One pass assigns every weight to its bin, the same pass sums the
/// members; a bin's shared value is the mean of its members. O(N), deterministic.
public struct UniformBinning: Sendable, Equatable {
    public let k: Int
    public let minimum: Float
    public let maximum: Float
    /// Bin (0..<k) of every weight.
    public let binOfWeight: [UInt16]
    /// Sum of the members of each bin (Double, so the mean does not depend on summation luck).
    public let sums: [Double]
    public let counts: [Int]

    /// Largest K the index type holds; the paper searches up to 1024.
    public static let maximumK = 65_535

    public init(values: [Float], k: Int) {
        self.init(values: values, k: k, range: nil)
    }

    /// Binning over a given `range` instead of [min, max] (clipping): values outside it fall into the first or
    /// last bin. Positions in `excluded` (ascending; exact outliers stored elsewhere) get the bin of their clamped
    /// value but count in no bin's sum or count, so they move no shared value.
    public init(values: [Float], k: Int, range: ClosedRange<Float>?, excluded: [Int] = []) {
        precondition(k >= 1 && k <= Self.maximumK, "K must be in 1...\(Self.maximumK)")
        self.k = k
        // Lowering refuses non-finite shared weights; binning still never traps on one: without a finite given
        // range, the range is over the finite values (the scan runs only then), ±Inf fall into the end bins like
        // any value outside the range (counted at the bound), NaN into bin 0 without counting.
        var lo: Float, hi: Float
        if let range, range.lowerBound.isFinite, range.upperBound.isFinite {
            (lo, hi) = (range.lowerBound, range.upperBound)
        } else {
            (lo, hi) = (.infinity, -.infinity)
            for v in values where v.isFinite {
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            }
            if lo > hi { (lo, hi) = (0, 0) }
        }
        minimum = lo
        maximum = hi

        let low = Double(lo)
        let width = (Double(hi) - low) / Double(k)
        let edges = (0...k).map { low + (Double(hi) - low) * Double($0) / Double(k) }
        var bins = [UInt16](repeating: 0, count: values.count)
        var sums = [Double](repeating: 0, count: k)
        var counts = [Int](repeating: 0, count: k)
        var nextExcluded = excluded.makeIterator()
        var skip = nextExcluded.next()
        for (i, v) in values.enumerated() {
            guard !v.isNaN else {
                bins[i] = 0
                if i == skip { skip = nextExcluded.next() }
                continue
            }
            let x = Swift.min(Swift.max(Double(v), low), Double(hi))
            var b = width > 0 ? Int(((x - low) / width).rounded(.down)) : 0
            b = Swift.min(Swift.max(b, 0), k - 1)
            // The division can land one bin off next to an edge; the edge table decides.
            if b > 0 && x < edges[b] { b -= 1 }
            if b < k - 1 && x >= edges[b + 1] { b += 1 }
            bins[i] = UInt16(b)
            if i == skip {
                skip = nextExcluded.next()
                continue
            }
            sums[b] += x
            counts[b] += 1
        }
        binOfWeight = bins
        self.sums = sums
        self.counts = counts
    }

    /// Bins that received at least one weight, ascending.
    public var nonEmptyBins: [Int] { (0..<k).filter { counts[$0] > 0 } }
}
