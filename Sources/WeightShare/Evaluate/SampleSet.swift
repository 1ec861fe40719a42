/// Evaluation samples in the shape the runtime consumes: flat float32 rows, one per inference.
public struct SampleSet: Sendable, Equatable {
    /// `count` rows of `sampleSize` values.
    public var values: [Float]
    public var sampleSize: Int
    public var count: Int
    public var labels: [Int]?

    public init(values: [Float], sampleSize: Int, labels: [Int]?) {
        precondition(sampleSize > 0 && values.count % sampleSize == 0, "values must be whole samples")
        self.values = values
        self.sampleSize = sampleSize
        self.count = values.count / sampleSize
        self.labels = labels
    }

    /// The first `n` samples.
    public func prefix(_ n: Int) -> SampleSet {
        let n = min(n, count)
        return SampleSet(values: Array(values[0..<(n * sampleSize)]), sampleSize: sampleSize,
                         labels: labels.map { Array($0.prefix(n)) })
    }
}
