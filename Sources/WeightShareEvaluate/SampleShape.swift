/// Which per-sample shapes of a data array may feed a model input, and why another one may not.
///
/// A sample (one row of an array `[n, …]`) feeds an input of shape `S` when its shape is
/// - `S` itself,
/// - `S` without some or all of its leading 1s (`[1, 1, 8, 8]` takes `[1, 8, 8]` and `[8, 8]`), or the sample with
///   extra leading 1s (`[1, 64]` takes `[1, 1, 64]`),
/// - flat: one axis with all of `S`'s elements (`[64]`), which carries no layout and is read in `S`'s row-major order.
///
/// Anything else is refused even when the element count matches: the same dimensions in another order are the
/// classic NHWC/NCHW mix-up (``SampleShapeError/permuted(input:expected:got:array:layout:axes:)`` names the layout and
/// the transpose that fixes it), other dimensions are a different tensor (``EvaluationError/sampleShape(input:expected:got:array:)``).
public enum SampleShape {
    /// Throws when a sample of shape `got` (from array `array` of the data file) cannot feed input `input` of shape
    /// `expected`.
    public static func check(input: String, expected: [Int], got: [Int], array: String? = nil) throws {
        let elements = expected.reduce(1, *)
        guard got.reduce(1, *) == elements else {
            throw EvaluationError.sampleShape(input: input, expected: expected, got: got, array: array)
        }
        if accepts(expected: expected, got: got) { return }
        // The same dimensions in another order: compare with the input's shape at the sample's rank (leading 1s
        // dropped or added).
        let target = atRank(expected, got.count)
        if let target, target.sorted() == got.sorted() {
            let axes = transposeAxes(from: got, to: target)
            throw SampleShapeError.permuted(input: input, expected: expected, got: got, array: array,
                                            layout: layoutName(expected: target, got: got), axes: axes)
        }
        throw EvaluationError.sampleShape(input: input, expected: expected, got: got, array: array)
    }

    /// Whether `got` feeds `expected` (same element count assumed): equal once leading 1s are dropped on both
    /// sides, or flat.
    public static func accepts(expected: [Int], got: [Int]) -> Bool {
        if got.count == 1 && got[0] == expected.reduce(1, *) { return true }
        return Array(got.drop(while: { $0 == 1 })) == Array(expected.drop(while: { $0 == 1 }))
    }

    /// The shapes a sample may have for `expected`, for messages: the shape, then without each leading 1, then flat.
    public static func acceptedShapes(_ expected: [Int]) -> [[Int]] {
        var shapes = [expected]
        var s = expected
        while s.first == 1 && s.count > 1 { s.removeFirst(); shapes.append(s) }
        let flat = [expected.reduce(1, *)]
        if !shapes.contains(flat) { shapes.append(flat) }
        return shapes
    }

    /// `shape` with leading 1s dropped or added to reach `rank`; nil when a dimension other than 1 would be dropped.
    static func atRank(_ shape: [Int], _ rank: Int) -> [Int]? {
        var s = shape
        while s.count > rank {
            guard s.first == 1 else { return nil }
            s.removeFirst()
        }
        while s.count < rank { s.insert(1, at: 0) }
        return s
    }

    /// The axes of NumPy's `x.transpose(...)` that turn a data array `[n] + got` into `[n] + target` (a permutation
    /// of `got`; equal dimensions are taken in order).
    static func transposeAxes(from got: [Int], to target: [Int]) -> [Int] {
        var used = [Bool](repeating: false, count: got.count)
        var axes = [0]
        for d in target {
            let i = got.indices.first { !used[$0] && got[$0] == d }!
            used[i] = true
            axes.append(i + 1)
        }
        return axes
    }

    /// What the mix-up most likely is: channels last for a channels-first input (NHWC data, NCHW model), the
    /// opposite, or another order.
    static func layoutName(expected target: [Int], got: [Int]) -> String {
        guard target.count >= 3 else { return "the same dimensions in another order" }
        // Rank 3 [C, H, W] or rank 4 [N, C, H, W] (and more: [N, C, D, H, W]): the channel axis is the first
        // dimension after a batch axis of 1, else the first.
        let channelAxis = target.count >= 4 ? 1 : 0
        var channelsLast = target
        let c = channelsLast.remove(at: channelAxis)
        channelsLast.append(c)
        if got == channelsLast && channelsLast != target {
            return "channels-last (NHWC) data for a channels-first (NCHW) input"
        }
        var channelsFirst = target
        let last = channelsFirst.removeLast()
        channelsFirst.insert(last, at: channelAxis)
        if got == channelsFirst && channelsFirst != target {
            return "channels-first (NCHW) data for a channels-last (NHWC) input"
        }
        return "the same dimensions in another order"
    }
}

/// A data array whose samples hold the right values in the wrong layout.
public enum SampleShapeError: Error, Equatable, CustomStringConvertible {
    /// The sample's dimensions are the input's in another order; `layout` says which mix-up it looks like, `axes`
    /// are NumPy `transpose` axes of the whole array (sample axis first) that give the input's order.
    case permuted(input: String, expected: [Int], got: [Int], array: String?, layout: String, axes: [Int])

    public var description: String {
        switch self {
        case let .permuted(input, expected, got, array, layout, axes):
            let what = array.map { "the samples of '\($0)'" } ?? "samples"
            let name = array ?? "x"
            return "\(what) have shape \(got) but model input '\(input)' takes \(expected): the same dimensions in "
                + "another order, which looks like \(layout). Transpose the data "
                + "(NumPy: \(name) = \(name).transpose(" + axes.map(String.init).joined(separator: ", ")
                + ")); a reshape would keep the values in the wrong order"
        }
    }
}
