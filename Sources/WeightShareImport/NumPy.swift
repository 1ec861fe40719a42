import Foundation
import WeightShareCore

/// Reads and writes NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Reads C-order arrays of dtype `<f4 <f8 <i8 <i4 |u1 |b1`; Fortran order, big-endian, object, structured and any
/// other dtype are an ``ImportError`` naming the array and its dtype. Writes exactly the bytes `numpy.save` writes.
/// `.npz` archives: see `NumPy+Archive.swift`.
public enum NumPy {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    // MARK: Reading

    /// Reads a `.npy` file; the array is named after the file (without `.npy`).
    public static func readNPY(url: URL) throws -> NumPyArray {
        let data = try readImportFile(url)
        return try decodeNPY(data, name: url.deletingPathExtension().lastPathComponent)
    }

    /// Decodes the bytes of a `.npy` file.
    public static func decodeNPY(_ data: Data, name: String) throws -> NumPyArray {
        guard let layout = try layout(of: data, name: name) else {
            if data.count < 10 {
                throw ImportError.notANumPyArray(array: name, reason: "it does not start with the .npy magic \\x93NUMPY")
            }
            throw ImportError.notANumPyArray(array: name, reason: "the file ends inside its header")
        }
        let payload = data[(data.startIndex + layout.dataOffset)...]
        guard payload.count == layout.payloadBytes else {
            throw ImportError.notANumPyArray(
                array: name, reason: "it holds \(payload.count) bytes of data, but shape \(layout.shape) of "
                    + "\(layout.dtype.rawValue) needs \(layout.payloadBytes)")
        }
        return try array(name: name, dtype: layout.dtype, shape: layout.shape, payload: Data(payload))
    }

    /// The longest header read (numpy writes a few hundred bytes; this bounds what a corrupt length makes us buffer).
    static let maximumHeaderBytes = 1 << 20

    /// What a `.npy` header says: the dtype, the shape, where the data starts and how many bytes it has.
    struct Layout: Equatable {
        var dtype: NumPyArray.DType
        var shape: [Int]
        /// Offset of the first data byte (magic, version, length and header before it).
        var dataOffset: Int
        /// Bytes of data the shape and dtype need.
        var payloadBytes: Int
        /// Bytes of one entry of the first axis (the whole array for a scalar).
        var rowBytes: Int
        /// Entries of the first axis (1 for a scalar).
        var rows: Int { shape.first ?? 1 }
    }

    /// Parses the header at the start of `prefix` (the first bytes of a `.npy`); nil when more bytes are needed.
    /// Throws for anything that is not a supported, well-formed header.
    static func layout(of prefix: Data, name: String) throws -> Layout? {
        let bytes = [UInt8](prefix.prefix(12))
        guard bytes.prefix(magic.count).elementsEqual(magic.prefix(bytes.count)) else {
            throw ImportError.notANumPyArray(array: name, reason: "it does not start with the .npy magic \\x93NUMPY")
        }
        guard bytes.count >= 10 else { return nil }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { return nil }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw ImportError.notANumPyArray(
                array: name, reason: "format version \(major).\(bytes[7]) is not supported (1.0, 2.0, 3.0 are)")
        }
        guard headerLength <= maximumHeaderBytes else {
            throw ImportError.notANumPyArray(
                array: name, reason: "its header claims \(headerLength) bytes (at most \(maximumHeaderBytes) are read)")
        }
        guard headerLength <= prefix.count - headerStart else { return nil }
        let base = prefix.startIndex
        let headerBytes = prefix[(base + headerStart)..<(base + headerStart + headerLength)]
        // Versions 1 and 2 store latin-1, version 3 UTF-8.
        let headerText = major == 3
            ? String(decoding: headerBytes, as: UTF8.self)
            : String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))

        let header: NumPyHeader
        do {
            header = try NumPyHeader.parse(headerText)
        } catch let error as NumPyHeader.ParseError {
            throw ImportError.notANumPyArray(array: name, reason: "malformed header (\(error.reason))")
        }

        guard header.descrIsPlain, let dtype = dtype(header.descr) else {
            throw ImportError.unsupportedNumPyDType(array: name, dtype: header.descr)
        }
        // For fewer than two dimensions Fortran and C order are the same bytes.
        if header.fortranOrder && header.shape.count >= 2 {
            throw ImportError.fortranOrderNotSupported(array: name)
        }
        // Every product is checked: the row size too, which a first axis of 0 would otherwise leave unbounded.
        func elements(_ dims: ArraySlice<Int>) throws -> Int {
            guard let count = checkedElementCount(dims, atMost: Int.max / 8) else {
                throw ImportError.notANumPyArray(array: name, reason: "its shape \(header.shape) is too large")
            }
            return count
        }
        let count = try elements(header.shape[...])
        let rowCount = try elements(header.shape.dropFirst())
        return Layout(dtype: dtype, shape: header.shape, dataOffset: headerStart + headerLength,
                      payloadBytes: count * dtype.itemSize, rowBytes: rowCount * dtype.itemSize)
    }

    /// The array of `shape` and `dtype` whose little-endian values are `payload` (exactly as many bytes as needed).
    static func array(name: String, dtype: NumPyArray.DType, shape: [Int], payload values: Data) throws -> NumPyArray {
        let storage: NumPyArray.Storage
        switch dtype {
        case .float32: storage = .float32(LittleEndian.floats(values))
        case .float64: storage = .float64(LittleEndian.doubles(values))
        case .int64: storage = .int64(LittleEndian.integers(values, as: Int64.self))
        case .int32: storage = .int32(LittleEndian.integers(values, as: Int32.self))
        case .uint8: storage = .uint8([UInt8](values))
        case .bool:
            let raw = [UInt8](values)
            guard raw.allSatisfy({ $0 <= 1 }) else {
                throw ImportError.notANumPyArray(array: name, reason: "a bool value is neither 0 nor 1")
            }
            storage = .bool(raw.map { $0 == 1 })
        }
        return NumPyArray(name: name, shape: shape, storage: storage)
    }

    /// The supported dtype a descr names, if any (`<u1`, `|u1`, `=u1`... are all uint8).
    static func dtype(_ descr: String) -> NumPyArray.DType? {
        guard let order = descr.first, "<|=>".contains(order) else { return nil }
        switch descr.dropFirst() {
        case "u1": return .uint8
        case "b1": return .bool
        default: break
        }
        guard order == "<" else { return nil }  // multi-byte types: little-endian only
        return NumPyArray.DType(rawValue: descr)
    }

    // MARK: Writing

    /// The bytes `numpy.save` writes for `array` (format 1.0, or 2.0 when the header needs it).
    public static func encodeNPY(_ array: NumPyArray) -> Data {
        let header = NumPyHeader(descr: array.dtype.rawValue, descrIsPlain: true, fortranOrder: false,
                                 shape: array.shape).text
        var headerBytes = Array(header.utf8)
        // Like numpy: pad (spaces, then a newline) so the data starts at a multiple of 64; use format 2.0 only
        // when the padded header does not fit format 1.0's 16-bit length.
        func padding(lengthSize: Int) -> Int { 64 - (magic.count + 2 + lengthSize + headerBytes.count + 1) % 64 }
        let lengthSize = headerBytes.count + 1 + padding(lengthSize: 2) > 65535 ? 4 : 2
        headerBytes += [UInt8](repeating: 0x20, count: padding(lengthSize: lengthSize)) + [0x0A]

        var data = Data(magic)
        data += lengthSize == 2 ? [1, 0] : [2, 0]
        let length = headerBytes.count
        data += lengthSize == 2 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                                : (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
        data += headerBytes
        switch array.storage {
        case .float32(let v): data += LittleEndian.bytes(v)
        case .float64(let v): data += LittleEndian.bytes(v)
        case .int64(let v): data += LittleEndian.bytes(v)
        case .int32(let v): data += LittleEndian.bytes(v)
        case .uint8(let v): data += v
        case .bool(let v): data += v.map { $0 ? 1 : 0 }
        }
        return data
    }

    /// Writes `array` as a `.npy` file, atomically (a failed write leaves no partial file).
    public static func writeNPY(_ array: NumPyArray, to url: URL) throws {
        try writeAtomically(encodeNPY(array), to: url)
    }

    static func writeAtomically(_ data: Data, to url: URL) throws {
        do {
            try FileOutput.writeAtomically(data, to: url, createFolder: false)
        } catch let error as FileWriteError {
            throw ImportError.writeFailed(path: url.path, reason: error.reason)
        }
    }
}
