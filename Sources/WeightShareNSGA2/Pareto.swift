/// Pareto dominance and non-dominated sorting for **minimisation** of every objective.
///
/// Points are objective vectors (`[Double]`, all of the same length). Results are indices into the input, in
/// ascending order within each front, so they are deterministic and easy to compare.
///
/// ```swift
/// let points: [[Double]] = [[1, 5], [2, 3], [3, 4], [4, 1]]
/// Pareto.nonDominatedSort(points)   // [[0, 1, 3], [2]]
/// ```
public enum Pareto {
    /// Whether `a` dominates `b`: no objective of `a` is worse (greater) and at least one is better (smaller).
    /// Equal vectors do not dominate each other.
    ///
    /// - Precondition: `a.count == b.count`.
    public static func dominates(_ a: [Double], _ b: [Double]) -> Bool {
        compare(a, b) == .first
    }

    /// Which of two points dominates the other, if either.
    enum Dominance { case first, second, neither }

    static func compare(_ a: [Double], _ b: [Double]) -> Dominance {
        precondition(a.count == b.count, "objective vectors of different lengths: \(a.count) and \(b.count)")
        return (a + b).withUnsafeBufferPointer { compare($0, 0, a.count, width: a.count) }
    }

    /// Dominance between the points starting at offsets `a` and `b` of a row-major table of `width` columns.
    /// Plain `while` loops over a buffer: this is the inner loop of the sort and must stay fast in debug
    /// builds too (no iterator or tuple generics).
    @inline(__always)
    static func compare(_ table: UnsafeBufferPointer<Double>, _ a: Int, _ b: Int, width: Int) -> Dominance {
        var aBetter = false, bBetter = false
        var k = 0
        while k < width {
            let x = table[a + k], y = table[b + k]
            if x < y { aBetter = true } else if y < x { bBetter = true }
            if aBetter && bBetter { return .neither }
            k += 1
        }
        if aBetter { return .first }
        if bBetter { return .second }
        return .neither
    }

    /// The points as one row-major table, and its width.
    ///
    /// - Precondition: all points have the same length.
    static func table(_ points: [[Double]]) -> (values: [Double], width: Int) {
        let width = points.first?.count ?? 0
        var values: [Double] = []
        values.reserveCapacity(points.count * width)
        for point in points {
            precondition(point.count == width, "objective vectors of different lengths: \(width) and \(point.count)")
            values.append(contentsOf: point)
        }
        return (values, width)
    }

    /// Fast non-dominated sort (Deb, Pratap, Agarwal & Meyarivan 2002), O(M·N²) time, O(N²) memory.
    ///
    /// - Returns: the fronts, best first; each front is a list of indices into `points` in ascending order.
    ///   Front 0 is the non-dominated set; every point of front i+1 is dominated by some point of front i.
    ///   Duplicate points share a front. An empty input gives no fronts.
    /// - Precondition: all points have the same length.
    public static func nonDominatedSort(_ points: [[Double]]) -> [[Int]] {
        let n = points.count
        let (values, width) = table(points)
        var dominates = [[Int]](repeating: [], count: n)
        var dominatedCount = [Int](repeating: 0, count: n)
        values.withUnsafeBufferPointer { table in
            var p = 0
            while p < n {
                var q = p + 1
                while q < n {
                    switch compare(table, p * width, q * width, width: width) {
                    case .first:
                        dominates[p].append(q)
                        dominatedCount[q] += 1
                    case .second:
                        dominates[q].append(p)
                        dominatedCount[p] += 1
                    case .neither:
                        break
                    }
                    q += 1
                }
                p += 1
            }
        }
        var fronts: [[Int]] = []
        var current = (0..<n).filter { dominatedCount[$0] == 0 }
        while !current.isEmpty {
            fronts.append(current)
            var next: [Int] = []
            for p in current {
                for q in dominates[p] {
                    dominatedCount[q] -= 1
                    if dominatedCount[q] == 0 { next.append(q) }
                }
            }
            current = next.sorted()
        }
        return fronts
    }

    /// The front (rank) of every point: `ranks[i]` is the index of the front that holds point i (0 = first).
    public static func ranks(_ points: [[Double]]) -> [Int] {
        var ranks = [Int](repeating: 0, count: points.count)
        for (rank, front) in nonDominatedSort(points).enumerated() {
            for index in front { ranks[index] = rank }
        }
        return ranks
    }

    /// Indices of the non-dominated points (the first front), ascending. O(M·N²) without building the other
    /// fronts.
    ///
    /// - Precondition: all points have the same length.
    public static func firstFront(_ points: [[Double]]) -> [Int] {
        let n = points.count
        let (values, width) = table(points)
        var front: [Int] = []
        values.withUnsafeBufferPointer { table in
            var candidate = 0
            while candidate < n {
                var dominated = false
                var other = 0
                while other < n && !dominated {
                    if other != candidate {
                        dominated = compare(table, other * width, candidate * width, width: width) == .first
                    }
                    other += 1
                }
                if !dominated { front.append(candidate) }
                candidate += 1
            }
        }
        return front
    }
}
