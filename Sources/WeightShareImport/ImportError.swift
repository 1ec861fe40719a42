/// Everything that can go wrong while reading a model (ONNX) or data (NumPy `.npy`/`.npz`, datasets).
///
/// Each case carries what went wrong and where; ``description`` is a sentence a user can act on.
public enum ImportError: Error, CustomStringConvertible, Equatable, Sendable {
    // Files
    /// No file at `path`.
    case fileNotFound(path: String)
    /// The file exists but could not be read (permissions, a folder, an I/O error).
    case unreadableFile(path: String, reason: String)
    /// A file could not be written (`nothing is written half-way`: the target is left as it was).
    case writeFailed(path: String, reason: String)

    // ONNX
    /// The file is not a (decodable) ONNX model.
    case notAnONNXModel(path: String, reason: String)
    /// A tensor's element type is not one WeightShare reads (float32/float64/int64/int32).
    case unsupportedTensorDataType(tensor: String, dataType: String)
    /// A tensor's stored data does not match its shape and type.
    case invalidTensor(tensor: String, reason: String)
    /// A tensor uses an ONNX feature WeightShare does not read (segments, sparse tensors, string data).
    case unsupportedTensorFeature(tensor: String, feature: String)
    /// A `Constant` node without a usable value.
    case invalidConstantNode(node: String, reason: String)
    /// Two initializers or `Constant` nodes define the same value name.
    case duplicateTensorName(name: String)
    /// External data whose `location` is absolute or leaves the model's folder.
    case externalDataPathNotAllowed(tensor: String, location: String)
    /// External data whose file does not exist.
    case externalDataFileMissing(tensor: String, path: String)
    /// External data whose offset/length lie outside its file, or do not match the tensor's size.
    case externalDataOutOfBounds(tensor: String, location: String, offset: Int, length: Int, fileSize: Int)
    /// Malformed `external_data` entries (missing location, offset that is not a number, ...).
    case invalidExternalData(tensor: String, reason: String)
    /// An opset import of the default domain with a version ONNX does not define (or this compiler does not know).
    case unsupportedOpset(domain: String, version: Int64, supported: ClosedRange<Int>)
    /// The model's `opset_import` list contradicts itself.
    case invalidOpsetImport(reason: String)

    // NumPy and datasets
    /// The bytes are not a NumPy `.npy` array (bad magic, malformed header, truncated data).
    case notANumPyArray(array: String, reason: String)
    /// An array whose dtype WeightShare does not read (`<f4 <f8 <i8 <i4 |u1 |b1` only).
    case unsupportedNumPyDType(array: String, dtype: String)
    /// An array stored in Fortran (column-major) order.
    case fortranOrderNotSupported(array: String)
    /// The file is not a readable `.npz` (ZIP) archive.
    case notANumPyArchive(path: String, reason: String)
    /// A required array is missing from an `.npz` archive.
    case missingArray(path: String, key: String, available: [String])
    /// A dataset's samples `x` are not usable (wrong dtype, no sample dimension).
    case invalidSamples(path: String, reason: String)
    /// A dataset's labels `y` are not integers.
    case labelsNotIntegers(path: String, dtype: String)
    /// A dataset's labels `y` are not one per sample.
    case labelCountMismatch(path: String, samples: Int, labels: Int)
    /// A dataset's labels `y` have a shape other than `[n]` (or `[n, 1]`).
    case invalidLabels(path: String, reason: String)
    /// Reading `array` would need `bytes` bytes of data, more than the `limit` left (``NumPy/defaultMaxDataBytes``).
    case dataTooLarge(path: String, array: String, bytes: Int, limit: Int)
    /// The metric (`needer`) needs labels and the data has no `y`.
    case labelsMissing(path: String, needer: String, available: [String])
    /// `count` labels lie outside `0..<classes` (the model's outputs); the first is `label`, of sample `index`.
    case labelOutOfRange(path: String, index: Int, label: Int64, classes: Int, count: Int)
    /// `count` samples hold NaN or ±Inf values; the first is sample `firstIndex`.
    case nonFiniteSamples(path: String, count: Int, firstIndex: Int, samples: Int)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "file not found: \(path)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .writeFailed(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .notAnONNXModel(let path, let reason):
            return "\(path) is not an ONNX model: \(reason)"
        case .unsupportedTensorDataType(let tensor, let dataType):
            return "tensor '\(tensor)' has data type \(dataType), which WeightShare does not read "
                + "(supported: float32, float64, int32, int64, and bool as a float 0/1 mask)"
        case .invalidTensor(let tensor, let reason):
            return "tensor '\(tensor)' is malformed: \(reason)"
        case .unsupportedTensorFeature(let tensor, let feature):
            return "tensor '\(tensor)' uses \(feature), which WeightShare does not support"
        case .invalidConstantNode(let node, let reason):
            return "Constant node '\(node)' is malformed: \(reason)"
        case .duplicateTensorName(let name):
            return "the model defines the constant '\(name)' more than once"
        case .externalDataPathNotAllowed(let tensor, let location):
            return "tensor '\(tensor)' stores its data at '\(location)'; external data must be a relative path "
                + "inside the model's folder (no absolute paths, no '..')"
        case .externalDataFileMissing(let tensor, let path):
            return "tensor '\(tensor)' stores its data in \(path), which does not exist "
                + "(keep the external data file next to the model)"
        case .externalDataOutOfBounds(let tensor, let location, let offset, let length, let fileSize):
            return "tensor '\(tensor)' reads \(length) bytes at offset \(offset) of '\(location)', which has "
                + "\(fileSize) bytes, or that length does not match the tensor's size"
        case .invalidExternalData(let tensor, let reason):
            return "tensor '\(tensor)' has malformed external data: \(reason)"
        case .unsupportedOpset(let domain, let version, let supported):
            let name = domain.isEmpty ? "the default domain ('')" : "domain '\(domain)'"
            return "the model's opset import for \(name) has version \(version), which is not an ONNX opset "
                + "wsc accepts (\(supported.lowerBound)...\(supported.upperBound))"
        case .invalidOpsetImport(let reason):
            return "the model's opset imports are contradictory: \(reason)"
        case .notANumPyArray(let array, let reason):
            return "'\(array)' is not a NumPy .npy array: \(reason)"
        case .unsupportedNumPyDType(let array, let dtype):
            return "array '\(array)' has dtype '\(dtype)'\(Self.dtypeHint(dtype)); WeightShare reads "
                + "little-endian float32 (<f4), float64 (<f8), int64 (<i8), int32 (<i4), uint8 (|u1) and bool (|b1)"
        case .fortranOrderNotSupported(let array):
            return "array '\(array)' is stored in Fortran (column-major) order; save it in C order "
                + "(numpy.ascontiguousarray) first"
        case .notANumPyArchive(let path, let reason):
            return "\(path) is not a NumPy .npz archive: \(reason)"
        case .missingArray(let path, let key, let available):
            let list = available.isEmpty ? "none" : available.map { "'\($0)'" }.joined(separator: ", ")
            return "\(path) has no array '\(key)' (arrays: \(list))"
        case .invalidSamples(let path, let reason):
            return "the samples in \(path) are not usable: \(reason)"
        case .labelsNotIntegers(let path, let dtype):
            return "the labels 'y' in \(path) have dtype '\(dtype)'; labels must be integers (int64, int32 or uint8)"
        case .labelCountMismatch(let path, let samples, let labels):
            return "\(path) has \(samples) samples in 'x' but \(labels) labels in 'y'; they must match"
        case .invalidLabels(let path, let reason):
            return "the labels 'y' in \(path) are not usable: \(reason)"
        case .dataTooLarge(let path, let array, let bytes, let limit):
            return "reading '\(array)' from \(path) needs \(bytes) bytes of array data, more than the \(limit) "
                + "allowed; read fewer samples with --limit N or raise the bound with --max-data-mib "
                + "(default \(NumPy.defaultMaxDataBytes >> 20))"
        case .labelsMissing(let path, let needer, let available):
            let list = available.isEmpty ? "none" : available.map { "'\($0)'" }.joined(separator: ", ")
            return "\(needer) needs labels, but \(path) has no array 'y' (arrays: \(list)); add the labels as 'y' "
                + "or use a metric without labels (--metric agreement or cosine)"
        case .labelOutOfRange(let path, let index, let label, let classes, let count):
            return "the labels 'y' in \(path) must be class indices 0...\(classes - 1) (the model has \(classes) "
                + "outputs), but \(count) are not: the first is \(label), of sample \(index)"
        case .nonFiniteSamples(let path, let count, let firstIndex, let samples):
            return "\(count) of the \(samples) samples in 'x' of \(path) hold NaN or infinite values (the first is "
                + "sample \(firstIndex)); fix the data, or pass --drop-nonfinite to leave those samples out"
        }
    }

    private static func dtypeHint(_ dtype: String) -> String {
        if dtype.hasPrefix(">") { return " (big-endian)" }
        if dtype.contains("O") { return " (Python objects)" }
        if dtype.hasPrefix("[") || dtype.hasPrefix("(") { return " (a structured dtype)" }
        switch dtype.dropFirst() {
        case "f2": return " (float16)"
        case "c8", "c16": return " (complex)"
        default: return ""
        }
    }
}
