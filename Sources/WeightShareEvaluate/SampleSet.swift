import Foundation
import WeightShareCore
import WeightShareGraph
import WeightShareImport
/// Evaluation samples in the shape the runtime consumes: flat float32 rows, one per inference.
public struct SampleSet: Sendable, Equatable {
    /// `count` rows of `sampleSize` values.
    public var values: [Float]
    public var sampleSize: Int
    public var count: Int
    public var labels: [Int]?
    /// Samples of the file left out because they held NaN or ±Inf (see ``load(_:for:limit:labels:metric:dropNonFinite:maxBytes:)``).
    public var droppedNonFinite = 0

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
    ///
    /// The file is read as ``Dataset/load(url:options:checkSampleShape:)`` reads it: a `metric` that needs labels
    /// is refused before `x` is read when there is no `y`; `x`'s sample shape is checked against the model's
    /// input before its data is inflated; only the first `limit` samples are read; labels must be classes of the
    /// model's first output (`0..<its element count`); samples with NaN or ±Inf are refused, or left out with
    /// `dropNonFinite` (counted in ``droppedNonFinite``); at most `maxBytes` bytes of array data are read.
    public static func load(_ url: URL, for model: LoweredModel, limit: Int? = nil, labels: Bool = true,
                            metric: Metric? = nil, dropNonFinite: Bool = false,
                            maxBytes: Int = NumPy.defaultMaxDataBytes) throws -> SampleSet {
        guard let inputIndex = model.inputs.first, model.inputs.count == 1 else {
            throw SampleSetError.inputCount(inputs: model.inputs.map {
                PinnedInputShape(input: model.tensors[$0].name, shape: model.tensors[$0].shape)
            })
        }
        let input = model.tensors[inputIndex]
        let labelUse: Dataset.LoadOptions.Labels
        if let metric, metric.needsLabels {
            labelUse = .required(needer: "--metric \(metric.rawValue)")
        } else {
            labelUse = labels && metric?.needsLabels != false ? .optional : .ignore
        }
        let classes = model.outputs.first.map { model.tensors[$0].elementCount }
        let options = Dataset.LoadOptions(labels: labelUse, limit: limit, classCount: classes,
                                          dropNonFinite: dropNonFinite, maxBytes: maxBytes)
        let dataset = try Dataset.load(url: url, options: options) { sampleShape in
            // A sample fills the whole input; a leading batch dimension of 1 in the model is implied.
            guard sampleShape.reduce(1, *) == input.elementCount else {
                throw EvaluationError.sampleShape(input: input.name, expected: input.shape, got: sampleShape)
            }
        }
        var set = SampleSet(values: dataset.samples, sampleSize: input.elementCount,
                            labels: dataset.labels?.map { Int($0) })
        set.droppedNonFinite = dataset.droppedNonFinite
        return set
    }
}

/// Why data cannot be read for a model at all.
public enum SampleSetError: Error, CustomStringConvertible, Equatable {
    /// The model has no input or several: data files hold samples of one input (`x`) so far.
    case inputCount(inputs: [PinnedInputShape])

    public var description: String {
        switch self {
        case .inputCount(let inputs):
            guard !inputs.isEmpty else {
                return "this model has no input; wsc search and verify take data for models with one input"
            }
            let list = inputs.map { "'\($0.input)' [" + $0.shape.map(String.init).joined(separator: ", ") + "]" }
            return "this model has \(inputs.count) inputs (" + list.joined(separator: ", ") + "); wsc search and "
                + "verify take data (an .npz with x) for models with one input; `wsc check MODEL` lists the inputs"
        }
    }
}
