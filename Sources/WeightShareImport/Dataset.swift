import Foundation

/// Samples (and optionally labels) for evaluating a model: `x` as float32 `[n, ...]`, `y` as integer class labels `[n]`.
///
/// Loaded from an `.npz` archive with arrays `x` (float32, or float64 converted) and optional `y` (int64, int32 or
/// uint8), or from a `.npy` file holding `x` alone.
public struct Dataset: Sendable, Equatable {
    /// All samples, row-major: `count × sampleSize` values.
    public var samples: [Float]
    /// The shape of one sample (`[64]` for digits; `[]` when each sample is a scalar).
    public var sampleShape: [Int]
    /// One class label per sample, if the data has labels.
    public var labels: [Int64]?

    /// - Precondition: `samples.count` is a multiple of the sample size, and `labels` (if any) has one per sample.
    public init(samples: [Float], sampleShape: [Int], labels: [Int64]? = nil) {
        let size = sampleShape.reduce(1, *)
        precondition(size > 0 && samples.count % size == 0, "samples do not fill whole samples of shape \(sampleShape)")
        precondition(labels == nil || labels!.count == samples.count / size, "one label per sample")
        self.samples = samples
        self.sampleShape = sampleShape
        self.labels = labels
    }

    /// Number of samples.
    public var count: Int { samples.count / sampleSize }

    /// Values per sample.
    public var sampleSize: Int { sampleShape.reduce(1, *) }

    /// The shape of a batch of `n` samples: `[n] + sampleShape`.
    public func batchShape(_ n: Int) -> [Int] { [n] + sampleShape }

    /// The values of sample `index`.
    public func sample(_ index: Int) -> ArraySlice<Float> {
        precondition(index >= 0 && index < count, "sample \(index) of \(count)")
        return samples[(index * sampleSize)..<((index + 1) * sampleSize)]
    }

    /// The first `n` samples (all if there are fewer).
    public func prefix(_ n: Int) -> Dataset {
        let n = max(0, min(n, count))
        return Dataset(samples: Array(samples[0..<(n * sampleSize)]), sampleShape: sampleShape,
                       labels: labels.map { Array($0[0..<n]) })
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        var values: [Float] = []
        values.reserveCapacity(indices.count * sampleSize)
        for i in indices { values += sample(i) }
        return Dataset(samples: values, sampleShape: sampleShape, labels: labels.map { l in indices.map { l[$0] } })
    }

    // MARK: Loading

    /// Loads `x` (and `y` if present) from an `.npz` archive, or `x` from a `.npy` file.
    ///
    /// - Parameter readLabels: false ignores any `y` (for metrics that need no labels, or files whose `y` holds
    ///   reference outputs, like the fixtures' `<model>_io.npz`); true requires a `y`, if present, to be integer
    ///   labels, one per sample.
    public static func load(url: URL, readLabels: Bool = true) throws -> Dataset {
        let data = try readImportFile(url)
        if data.starts(with: NumPy.magic) {
            return try Dataset(x: NumPy.decodeNPY(data, name: "x"), y: nil, path: url.path)
        }
        let arrays = try NumPy.readNPZ(url: url)
        guard let x = arrays[named: "x"] else {
            throw ImportError.missingArray(path: url.path, key: "x", available: arrays.map(\.name))
        }
        return try Dataset(x: x, y: readLabels ? arrays[named: "y"] : nil, path: url.path)
    }

    /// Builds a dataset from arrays `x` and `y`, checking dtypes and counts; `path` names the source in messages.
    public init(x: NumPyArray, y: NumPyArray?, path: String) throws {
        guard x.dtype.isFloatingPoint else {
            throw ImportError.invalidSamples(
                path: path, reason: "their dtype is '\(x.dtype.rawValue)'; samples must be float32 or float64")
        }
        guard let n = x.shape.first else {
            throw ImportError.invalidSamples(path: path, reason: "'x' is a scalar; it needs a first (sample) axis")
        }
        let sampleShape = Array(x.shape.dropFirst())
        guard n > 0, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw ImportError.invalidSamples(path: path, reason: "'x' has shape \(x.shape), which holds no values")
        }
        var labels: [Int64]?
        if let y {
            guard let values = y.int64s, y.dtype != .bool else {
                throw ImportError.labelsNotIntegers(path: path, dtype: y.dtype.rawValue)
            }
            guard y.shape.count == 1 || (y.shape.count == 2 && y.shape[1] == 1) else {
                throw ImportError.invalidLabels(
                    path: path, reason: "'y' has shape \(y.shape); labels must be one integer per sample, shape [n]")
            }
            guard y.shape[0] == n else {
                throw ImportError.labelCountMismatch(path: path, samples: n, labels: y.shape[0])
            }
            labels = values
        }
        self.init(samples: x.floats, sampleShape: sampleShape, labels: labels)
    }
}
