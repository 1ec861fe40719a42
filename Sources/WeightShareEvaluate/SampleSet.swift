import Foundation
import WeightShareCore
import WeightShareGraph
import WeightShareImport
/// Evaluation samples in the shape the runtime consumes: flat float32 rows, one per inference. A row holds every
/// model input's values, concatenated in the model's input order (``inputSizes``).
public struct SampleSet: Sendable, Equatable {
    /// `count` rows of `sampleSize` values.
    public var values: [Float]
    public var sampleSize: Int
    public var count: Int
    public var labels: [Int]?
    /// Values of each model input in a row, in input order (they add up to `sampleSize`).
    public var inputSizes: [Int]
    /// Samples of the file left out because they held NaN or ±Inf (see ``load(_:for:limit:labels:metric:dropNonFinite:maxBytes:)``).
    public var droppedNonFinite = 0

    public init(values: [Float], sampleSize: Int, labels: [Int]?, inputSizes: [Int]? = nil) {
        precondition(sampleSize > 0 && values.count % sampleSize == 0, "values must be whole samples")
        precondition(inputSizes == nil || inputSizes!.reduce(0, +) == sampleSize, "input sizes fill a sample")
        self.values = values
        self.sampleSize = sampleSize
        self.count = values.count / sampleSize
        self.labels = labels
        self.inputSizes = inputSizes ?? [sampleSize]
    }

    /// The first `n` samples.
    public func prefix(_ n: Int) -> SampleSet {
        let n = min(n, count)
        return SampleSet(values: Array(values[0..<(n * sampleSize)]), sampleSize: sampleSize,
                         labels: labels.map { Array($0.prefix(n)) }, inputSizes: inputSizes)
    }
}

extension SampleSet {
    /// The samples at `indices`, in that order.
    public func rows(_ indices: [Int]) -> SampleSet {
        var values: [Float] = []
        values.reserveCapacity(indices.count * sampleSize)
        for i in indices { values += self.values[(i * sampleSize)..<((i + 1) * sampleSize)] }
        var set = SampleSet(values: values, sampleSize: sampleSize, labels: labels.map { l in indices.map { l[$0] } },
                            inputSizes: inputSizes)
        set.droppedNonFinite = droppedNonFinite
        return set
    }

    /// Which rows a selection split keeps apart: `round(fraction · n)` of them (per label when there are labels,
    /// `round(fraction · n_label)` of each label's rows), drawn by a generator seeded with `seed`; the rest are the
    /// search rows. Both lists are ascending, so the search keeps the file's order. A positive fraction keeps at
    /// least one row on each side (nil when there are fewer than 2 rows).
    public func selectionSplit(fraction: Double, seed: UInt64) -> (search: [Int], selection: [Int])? {
        precondition(fraction >= 0 && fraction < 1, "a fraction in [0, 1)")
        guard fraction > 0 else { return (Array(0..<count), []) }
        guard count >= 2 else { return nil }
        var generator = SplitMix64(seed: seed ^ 0x5E1E_C710_4D17_5EED)
        var groups: [Int: [Int]] = [:]
        for i in 0..<count { groups[labels?[i] ?? 0, default: []].append(i) }
        var selection: [Int] = []
        for key in groups.keys.sorted() {
            var members = groups[key]!
            // Fisher–Yates with the seeded stream, one class after the other in label order.
            for i in stride(from: members.count - 1, to: 0, by: -1) {
                members.swapAt(i, Int(generator.next() % UInt64(i + 1)))
            }
            selection += members.prefix(Int((fraction * Double(members.count)).rounded()))
        }
        if selection.isEmpty { selection = [Int(generator.next() % UInt64(count))] }
        if selection.count == count { selection.removeLast() }
        let chosen = Set(selection)
        return ((0..<count).filter { !chosen.contains($0) }, selection.sorted())
    }
}

extension SampleSet {
    /// Loads the samples of every model input (and, with `labels`, `y` when present) from a .npz and checks them
    /// against the model's inputs. A model with one input reads `x`, or the array named after the input when
    /// there is no `x`; a model with several inputs reads one array per input, named after it, each `[n, ...]`
    /// with the same `n`. Metrics without labels skip `y`, which then may hold anything (e.g. reference outputs).
    ///
    /// The file is read as ``Dataset/load(url:options:checkSampleShape:)`` reads it: a `metric` that needs labels
    /// is refused before `x` is read when there is no `y`; each array's sample shape is checked against its
    /// input's shape (``SampleShape``: the shape, without leading 1s, or flat; the same dimensions in another
    /// order are refused as a layout mix-up) before its data is inflated; only the first `limit` samples are read; labels must be classes of the
    /// model's output `classOutput` (`0..<its element count`); samples with NaN or ±Inf are refused, or left out
    /// with `dropNonFinite` (counted in ``droppedNonFinite``); at most `maxBytes` bytes of array data are read.
    public static func load(_ url: URL, for model: LoweredModel, limit: Int? = nil, labels: Bool = true,
                            metric: Metric? = nil, dropNonFinite: Bool = false,
                            maxBytes: Int = NumPy.defaultMaxDataBytes, classOutput: Int = 0) throws -> SampleSet {
        guard !model.inputs.isEmpty else { throw SampleSetError.noInput }
        let inputs = model.inputs.map { model.tensors[$0] }
        let classes = model.outputs.indices.contains(classOutput)
            ? model.tensors[model.outputs[classOutput]].elementCount : nil
        if classes == 1, let metric, metric != .cosine {
            // One value has no top-1 class: accuracy and agreement would always read 100 %.
            throw EvaluationError.singleValueOutput(metric: metric,
                                                    output: model.tensors[model.outputs[classOutput]].name)
        }
        let labelUse: Dataset.LoadOptions.Labels
        if classes == 1 {
            labelUse = .ignore // a single score (a sigmoid): `y` may hold 0/1 targets, not classes of an argmax
        } else if let metric, metric.needsLabels {
            labelUse = .required(needer: "--metric \(metric.rawValue)")
        } else {
            labelUse = labels && metric?.needsLabels != false ? .optional : .ignore
        }
        let arrays = inputs.count == 1 ? [["x", inputs[0].name]] : inputs.map { [$0.name] }
        let options = Dataset.LoadOptions(labels: labelUse, limit: limit, classCount: classes,
                                          dropNonFinite: dropNonFinite, maxBytes: maxBytes, sampleArrays: arrays)
        let dataset: Dataset
        do {
            dataset = try Dataset.load(url: url, options: options) { position, name, sampleShape in
                // A sample has the input's shape (leading 1s may be left out) or is flat (``SampleShape``).
                let input = inputs[position]
                try SampleShape.check(input: input.name, expected: input.shape, got: sampleShape, array: name)
            }
        } catch ImportError.missingArray(let path, _, let available) where inputs.count > 1 {
            throw SampleSetError.missingInputs(
                path: path, inputs: inputs.map { PinnedInputShape(input: $0.name, shape: $0.shape) },
                available: available)
        }
        var set = SampleSet(values: dataset.samples, sampleSize: dataset.sampleSize,
                            labels: dataset.labels?.map { Int($0) }, inputSizes: inputs.map(\.elementCount))
        set.droppedNonFinite = dataset.droppedNonFinite
        return set
    }
}

/// Why data cannot be read for a model at all.
public enum SampleSetError: Error, CustomStringConvertible, Equatable {
    /// The model has no run-time input (every input pinned with --input-value, or none declared).
    case noInput
    /// A model with several inputs, and a data file without an array for some of them.
    case missingInputs(path: String, inputs: [PinnedInputShape], available: [String])

    public var description: String {
        switch self {
        case .noInput:
            return "this model has no run-time input (none declared, or every one pinned with --input-value); "
                + "there is nothing to feed samples to"
        case .missingInputs(let path, let inputs, let available):
            let list = inputs.map { "'\($0.input)' [n, " + $0.shape.map(String.init).joined(separator: ", ") + "]" }
            let have = available.isEmpty ? "none" : available.map { "'\($0)'" }.joined(separator: ", ")
            let missing = inputs.filter { !available.contains($0.input) }.map { "'\($0.input)'" }
            return "this model has \(inputs.count) inputs, so \(path) needs one array per input, named after it "
                + "and with one row per sample: " + list.joined(separator: ", ") + "; missing: "
                + missing.joined(separator: ", ") + " (arrays in the file: \(have); a leading 1 of an input's "
                + "shape may be left out, or a sample may be flat)"
        }
    }
}
