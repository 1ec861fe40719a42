import Foundation

/// Samples (and optionally labels) for evaluating a model: `x` as float32 `[n, ...]`, `y` as integer class labels `[n]`.
///
/// Loaded from an `.npz` archive with arrays `x` (float32, or float64 converted) and optional `y` (int64, int32 or
/// uint8), or from a `.npy` file holding `x` alone. A model with several inputs reads one array per input, each
/// `[n, ...]` with the same `n` (``LoadOptions/sampleArrays``); a sample is then every array's row, concatenated
/// in that order.
public struct Dataset: Sendable, Equatable {
    /// All samples, row-major: `count × sampleSize` values.
    public var samples: [Float]
    /// The shape of one sample (`[64]` for digits; `[]` when each sample is a scalar); with several arrays, the
    /// flat `[sampleSize]`.
    public var sampleShape: [Int]
    /// The arrays a sample was read from, in order, with the values each gives a sample (one array: `["x"]` or
    /// the name it was found under, and `[sampleSize]`).
    public var arrays: [(name: String, size: Int)] = []
    /// One class label per sample, if the data has labels.
    public var labels: [Int64]?
    /// Samples left out of the file's because they held NaN or ±Inf (``LoadOptions/dropNonFinite``).
    public var droppedNonFinite = 0

    /// - Precondition: `samples.count` is a multiple of the sample size, and `labels` (if any) has one per sample.
    public init(samples: [Float], sampleShape: [Int], labels: [Int64]? = nil) {
        let size = sampleShape.reduce(1, *)
        precondition(size > 0 && samples.count % size == 0, "samples do not fill whole samples of shape \(sampleShape)")
        precondition(labels == nil || labels!.count == samples.count / size, "one label per sample")
        self.samples = samples
        self.sampleShape = sampleShape
        self.labels = labels
        self.arrays = [("x", size)]
    }

    public static func == (a: Dataset, b: Dataset) -> Bool {
        a.samples == b.samples && a.sampleShape == b.sampleShape && a.labels == b.labels
            && a.droppedNonFinite == b.droppedNonFinite
            && a.arrays.map(\.name) == b.arrays.map(\.name) && a.arrays.map(\.size) == b.arrays.map(\.size)
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
        var d = Dataset(samples: Array(samples[0..<(n * sampleSize)]), sampleShape: sampleShape,
                        labels: labels.map { Array($0[0..<n]) })
        d.arrays = arrays
        return d
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        var values: [Float] = []
        values.reserveCapacity(indices.count * sampleSize)
        for i in indices { values += sample(i) }
        var d = Dataset(samples: values, sampleShape: sampleShape, labels: labels.map { l in indices.map { l[$0] } })
        d.arrays = arrays
        return d
    }

    // MARK: Loading

    /// How ``load(url:options:checkSampleShape:)`` reads a data file.
    public struct LoadOptions: Sendable, Equatable {
        public enum Labels: Sendable, Equatable {
            /// Any `y` is ignored (metrics without labels; `y` may hold reference outputs).
            case ignore
            /// A `y`, if present, must be integer labels, one per sample.
            case optional
            /// A `y` must be present; `needer` names what needs it in the error ("--metric accuracy").
            case required(needer: String)
        }

        public var labels: Labels
        /// Read only the first `limit` samples (and labels); the rest of the file is not inflated.
        public var limit: Int?
        /// Labels must lie in `0..<classCount` (the model's number of outputs), when set.
        public var classCount: Int?
        /// Leave out samples holding NaN or ±Inf (counted in ``Dataset/droppedNonFinite``) instead of refusing
        /// the file.
        public var dropNonFinite: Bool
        /// The most bytes of array data read from the file (``NumPy/defaultMaxDataBytes`` by default).
        public var maxBytes: Int
        /// The arrays a sample is made of, in order; each is read under the first of its names the archive has
        /// (`[["x"]]` by default; a model input: `["x", name]` for a single input, `[name]` for each of several).
        public var sampleArrays: [[String]]

        public init(labels: Labels = .optional, limit: Int? = nil, classCount: Int? = nil,
                    dropNonFinite: Bool = false, maxBytes: Int = NumPy.defaultMaxDataBytes,
                    sampleArrays: [[String]] = [["x"]]) {
            precondition(!sampleArrays.isEmpty && sampleArrays.allSatisfy { !$0.isEmpty }, "at least one array name")
            self.sampleArrays = sampleArrays
            self.labels = labels
            self.limit = limit
            self.classCount = classCount
            self.dropNonFinite = dropNonFinite
            self.maxBytes = maxBytes
        }
    }

    /// Loads `x` (and `y` if present) from an `.npz` archive, or `x` from a `.npy` file.
    ///
    /// - Parameter readLabels: false ignores any `y` (for metrics that need no labels, or files whose `y` holds
    ///   reference outputs, like the fixtures' `<model>_io.npz`); true requires a `y`, if present, to be integer
    ///   labels, one per sample.
    public static func load(url: URL, readLabels: Bool = true) throws -> Dataset {
        try load(url: url, options: LoadOptions(labels: readLabels ? .optional : .ignore))
    }

    /// Loads a data file as `options` say. Missing labels are reported before `x` is read; `checkSampleShape`
    /// sees the shape of one sample before any of `x`'s data is inflated, and may refuse it. Only the first
    /// `limit` rows of `x` and `y` are read and converted. Samples with NaN or ±Inf are refused (with their count
    /// and the first one's index) or dropped, and labels outside `0..<classCount` are refused.
    public static func load(url: URL, options: LoadOptions,
                            checkSampleShape: ([Int]) throws -> Void = { _ in }) throws -> Dataset {
        try load(url: url, options: options) { _, _, shape in try checkSampleShape(shape) }
    }

    /// As ``load(url:options:checkSampleShape:)``, for ``LoadOptions/sampleArrays`` of several arrays:
    /// `checkSampleShape` gets each array's position in `sampleArrays`, the name it was found under and the shape
    /// of one of its samples, before any of its data is inflated. Every array must have the same number of rows.
    public static func load(url: URL, options: LoadOptions,
                            checkSampleShape: (Int, String, [Int]) throws -> Void) throws -> Dataset {
        var budget = options.maxBytes
        var parts: [(name: String, array: NumPyArray)] = []
        var y: NumPyArray?
        try checkImportFile(url)
        let head = try readImportFile(url).prefix(NumPy.magic.count)
        if head.elementsEqual(NumPy.magic) {
            if options.sampleArrays.count > 1 {
                throw ImportError.invalidSamples(
                    path: url.path, reason: "a .npy file holds one array, but the model takes "
                        + "\(options.sampleArrays.count) inputs; give an .npz with one array per input, named "
                        + options.sampleArrays.map { "'\($0.last!)'" }.joined(separator: ", "))
            }
            if case .required(let needer) = options.labels {
                throw ImportError.labelsMissing(path: url.path, needer: needer, available: ["x"])
            }
            let x = try readNPYSamples(url: url, options: options, budget: &budget) {
                try checkSampleShape(0, "x", $0)
            }
            parts = [("x", x)]
        } else {
            let archive = try NPZArchive(url: url)
            let names = archive.members.map { $0.name.hasSuffix(".npy") ? String($0.name.dropLast(4)) : $0.name }
            let members = try options.sampleArrays.map { candidates in
                for name in candidates {
                    if let member = archive.member(name + ".npy") ?? archive.member(name) { return (name, member) }
                }
                if options.sampleArrays.count == 1 && candidates.count > 1 {
                    throw ImportError.missingArray(path: url.path, key: "x' or '" + candidates[1], available: names)
                }
                throw ImportError.missingArray(path: url.path, key: candidates.last!, available: names)
            }
            let labelNames = Set(members.map(\.0))
            let yMember = labelNames.contains("y") ? nil : (archive.member("y.npy") ?? archive.member("y"))
            if case .required(let needer) = options.labels, yMember == nil {
                throw ImportError.labelsMissing(path: url.path, needer: needer, available: names)
            }
            var firstRows: (name: String, rows: Int)?
            for (position, (name, member)) in members.enumerated() {
                let array = try NumPy.readArray(member, of: archive, name: name, rows: options.limit,
                                                budget: &budget) { layout in
                    try checkSamples(layout, path: url.path, name: name)
                    if let first = firstRows, first.rows != layout.rows {
                        throw ImportError.invalidSamples(
                            path: url.path, reason: "'\(first.name)' has \(first.rows) samples but '\(name)' has "
                                + "\(layout.rows); every input's array needs one row per sample")
                    }
                    firstRows = firstRows ?? (name, layout.rows)
                    try checkSampleShape(position, name, Array(layout.shape.dropFirst()))
                }
                parts.append((name, array))
            }
            if let yMember, options.labels != .ignore {
                let xRows = firstRows?.rows ?? 0
                y = try NumPy.readArray(yMember, of: archive, name: "y", rows: options.limit, budget: &budget) {
                    layout in
                    // Counted on the whole file, not on the rows read.
                    if !layout.shape.isEmpty && layout.rows != xRows {
                        throw ImportError.labelCountMismatch(path: url.path, samples: xRows, labels: layout.rows)
                    }
                }
            }
        }
        var dataset = try Dataset(x: parts[0].array, y: y, path: url.path)
        dataset.arrays = [(parts[0].name, dataset.sampleSize)]
        if parts.count > 1 {
            let checked = try parts.map { try Dataset(x: $0.array, y: nil, path: url.path) }
            let sizes = checked.map(\.sampleSize)
            var values: [Float] = []
            values.reserveCapacity(dataset.count * sizes.reduce(0, +))
            for i in 0..<dataset.count {
                for part in checked { values += part.sample(i) }
            }
            let labels = dataset.labels
            dataset = Dataset(samples: values, sampleShape: [sizes.reduce(0, +)], labels: labels)
            dataset.arrays = zip(parts, sizes).map { ($0.name, $1) }
        }
        if let classCount = options.classCount, let labels = dataset.labels {
            let bad = labels.indices.filter { labels[$0] < 0 || labels[$0] >= classCount }
            if let first = bad.first {
                throw ImportError.labelOutOfRange(path: url.path, index: first, label: labels[first],
                                                  classes: classCount, count: bad.count)
            }
        }
        let size = dataset.sampleSize
        let nonFinite = (0..<dataset.count).filter { i in
            dataset.samples[(i * size)..<((i + 1) * size)].contains { !$0.isFinite }
        }
        if let first = nonFinite.first {
            guard options.dropNonFinite else {
                throw ImportError.nonFiniteSamples(path: url.path, count: nonFinite.count, firstIndex: first,
                                                   samples: dataset.count)
            }
            guard nonFinite.count < dataset.count else {
                throw ImportError.invalidSamples(
                    path: url.path, reason: "every one of its \(dataset.count) samples holds NaN or infinite values")
            }
            let dropped = Set(nonFinite)
            dataset = dataset.subset((0..<dataset.count).filter { !dropped.contains($0) })
            dataset.droppedNonFinite = nonFinite.count
        }
        return dataset
    }

    /// Refuses an `x` that cannot be samples before its data is read.
    private static func checkSamples(_ layout: NumPy.Layout, path: String, name: String = "x") throws {
        guard layout.dtype.isFloatingPoint else {
            throw ImportError.invalidSamples(
                path: path, reason: (name == "x" ? "their dtype is" : "'\(name)' has dtype")
                    + " '\(layout.dtype.rawValue)'; samples must be float32 or float64")
        }
        guard !layout.shape.isEmpty else {
            throw ImportError.invalidSamples(path: path, reason: "'\(name)' is a scalar; it needs a first (sample) axis")
        }
    }

    /// `x` from a `.npy` file (mapped, so only the rows read are touched).
    private static func readNPYSamples(url: URL, options: LoadOptions, budget: inout Int,
                                       checkSampleShape: ([Int]) throws -> Void) throws -> NumPyArray {
        let data = try readImportFile(url)
        guard let layout = try NumPy.layout(of: data, name: "x") else {
            throw ImportError.notANumPyArray(array: "x", reason: "the file ends inside its header")
        }
        guard data.count - layout.dataOffset == layout.payloadBytes else {
            throw ImportError.notANumPyArray(
                array: "x", reason: "it holds \(data.count - layout.dataOffset) bytes of data, but shape "
                    + "\(layout.shape) of \(layout.dtype.rawValue) needs \(layout.payloadBytes)")
        }
        try checkSamples(layout, path: url.path)
        try checkSampleShape(Array(layout.shape.dropFirst()))
        let rows = min(layout.rows, options.limit ?? layout.rows)
        let bytes = rows * layout.rowBytes
        guard bytes <= budget else {
            throw ImportError.dataTooLarge(path: url.path, array: "x", bytes: bytes, limit: budget)
        }
        budget -= bytes
        let start = data.startIndex + layout.dataOffset
        return try NumPy.array(name: "x", dtype: layout.dtype, shape: [rows] + layout.shape.dropFirst(),
                               payload: Data(data[start..<(start + bytes)]))
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
