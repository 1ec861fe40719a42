import Foundation
import WeightShareGraph
import WeightShareImport
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

extension SampleSet {
    /// Loads `x` (and, with `labels`, `y` when present) from a .npz and checks the samples against the model's
    /// single input. Metrics without labels skip `y`, which then may hold anything (e.g. reference outputs).
    public static func load(_ url: URL, for model: LoweredModel, limit: Int? = nil, labels: Bool = true) throws -> SampleSet {
        let dataset = try Dataset.load(url: url, readLabels: labels)
        guard let inputIndex = model.inputs.first, model.inputs.count == 1 else {
            throw EvaluationError.sampleShape(input: "(\(model.inputs.count) inputs)", expected: [], got: dataset.sampleShape)
        }
        let input = model.tensors[inputIndex]
        // A sample fills the whole input; a leading batch dimension of 1 in the model is implied.
        guard dataset.sampleShape.reduce(1, *) == input.elementCount else {
            throw EvaluationError.sampleShape(input: input.name, expected: input.shape, got: dataset.sampleShape)
        }
        let set = SampleSet(values: dataset.samples, sampleSize: input.elementCount, labels: dataset.labels?.map { Int($0) })
        return limit.map { set.prefix($0) } ?? set
    }
}
