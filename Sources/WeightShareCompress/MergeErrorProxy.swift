/// The cheap proxy the merge ranks boundaries by: the squared weight error a merge adds. Two neighbouring groups
/// with n1, n2 members and means m1, m2 share one value after merging (the mean of all n1 + n2 members), which
/// adds n1·n2/(n1+n2)·(m1 − m2)² to the sum of squared errors (Ward's criterion). It needs only the binning's
/// per-bin counts and sums: no model run.
extension BinGrouping {
    /// Members and sum of the members of each group, left to right.
    public func groupTotals(binning: UniformBinning) -> [(count: Int, sum: Double)] {
        let nonEmpty = binning.nonEmptyBins
        precondition(runLengths.reduce(0, +) == nonEmpty.count, "grouping does not match the binning")
        var totals: [(count: Int, sum: Double)] = []
        totals.reserveCapacity(runLengths.count)
        var position = 0
        for length in runLengths {
            var count = 0
            var sum = 0.0
            for bin in nonEmpty[position..<(position + length)] {
                count += binning.counts[bin]
                sum += binning.sums[bin]
            }
            totals.append((count, sum))
            position += length
        }
        return totals
    }

    /// The squared weight error each merge would add: element i is for the boundary between groups i and i + 1.
    public func mergeErrors(binning: UniformBinning) -> [Double] {
        let totals = groupTotals(binning: binning)
        return zip(totals, totals.dropFirst()).map { left, right in
            Self.mergeError(count1: left.count, sum1: left.sum, count2: right.count, sum2: right.sum)
        }
    }

    /// n1·n2/(n1+n2)·(m1 − m2)², the increase of the sum of squared errors when two groups share their mean.
    public static func mergeError(count1: Int, sum1: Double, count2: Int, sum2: Double) -> Double {
        guard count1 > 0 && count2 > 0 else { return 0 }
        let n1 = Double(count1), n2 = Double(count2)
        let difference = sum1 / n1 - sum2 / n2
        return n1 * n2 / (n1 + n2) * difference * difference
    }
}
