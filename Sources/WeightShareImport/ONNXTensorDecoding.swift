import Foundation
import WeightShareCore

/// Decodes ONNX `TensorProto`s (initializers, `Constant` values, tensor attributes) into ``ConstantTensor``s:
/// raw little-endian bytes, typed fields, or external data files.
struct ONNXTensorDecoder {
    /// The folder external data locations are relative to; nil when the model did not come from a file.
    let modelDirectory: URL?

    /// The element types WeightShare reads, with their size in bytes.
    private enum Element {
        /// bool: a float mask, 1.0 for true and 0.0 for false (the runtime is float-only).
        case float32, float64, int64, int32, bool

        var byteCount: Int {
            switch self {
            case .bool: return 1
            case .float32, .int32: return 4
            case .float64, .int64: return 8
            }
        }
    }

    func decode(_ t: Onnx_TensorProto, name: String) throws -> ConstantTensor {
        let shape = try Self.shape(of: t, name: name)
        let count = try Self.elementCount(shape, name: name)

        if t.hasSegment {
            throw ImportError.unsupportedTensorFeature(tensor: name, feature: "segments (a tensor split in parts)")
        }
        let element: Element
        switch Onnx_TensorProto.DataType(rawValue: Int(t.dataType)) {
        case .float?: element = .float32
        case .double?: element = .float64
        case .int64?: element = .int64
        case .int32?: element = .int32
        case .bool?: element = .bool
        case let other:
            throw ImportError.unsupportedTensorDataType(tensor: name, dataType: Self.typeName(other, raw: t.dataType))
        }

        let bytes: Data?
        if t.dataLocation == .external {
            bytes = try readExternal(t, name: name, byteCount: count * element.byteCount)
        } else if t.hasRawData {
            bytes = t.rawData
        } else {
            bytes = nil
        }

        if let bytes {
            let expected = count * element.byteCount
            guard bytes.count == expected else {
                throw ImportError.invalidTensor(
                    tensor: name, reason: "it holds \(bytes.count) bytes of data, but its shape \(shape) "
                        + "of \(element) needs \(expected)")
            }
            switch element {
            case .float32: return ConstantTensor(shape: shape, floats: LittleEndian.floats(bytes))
            case .float64: return ConstantTensor(shape: shape, floats: LittleEndian.doubles(bytes).map { Float($0) })
            case .int64: return ConstantTensor(shape: shape, int64s: LittleEndian.integers(bytes, as: Int64.self))
            case .int32: return ConstantTensor(shape: shape, int64s: LittleEndian.integers(bytes, as: Int32.self).map { Int64($0) })
            case .bool: return ConstantTensor(shape: shape, floats: bytes.map { $0 != 0 ? 1 : 0 })
            }
        }

        // Typed fields.
        func checked<T>(_ values: [T], field: String) throws -> [T] {
            guard values.count == count else {
                throw ImportError.invalidTensor(
                    tensor: name, reason: "its \(field) holds \(values.count) values, but its shape \(shape) "
                        + "has \(count) elements")
            }
            return values
        }
        switch element {
        case .float32: return ConstantTensor(shape: shape, floats: try checked(t.floatData, field: "float_data"))
        case .float64:
            return ConstantTensor(shape: shape, floats: try checked(t.doubleData, field: "double_data").map { Float($0) })
        case .int64: return ConstantTensor(shape: shape, int64s: try checked(t.int64Data, field: "int64_data"))
        case .int32:
            return ConstantTensor(shape: shape, int64s: try checked(t.int32Data, field: "int32_data").map { Int64($0) })
        case .bool:
            return ConstantTensor(shape: shape, floats: try checked(t.int32Data, field: "int32_data").map { $0 != 0 ? 1 : 0 })
        }
    }

    // MARK: - Shape

    static func shape(of t: Onnx_TensorProto, name: String) throws -> [Int] {
        try t.dims.map { d in
            guard d >= 0 else {
                throw ImportError.invalidTensor(tensor: name, reason: "it has a negative dimension in \(t.dims)")
            }
            return Int(d)
        }
    }

    static func elementCount(_ shape: [Int], name: String) throws -> Int {
        // Keep byte counts (up to 8 bytes per element) representable.
        guard let count = checkedElementCount(shape, atMost: Int.max / 8) else {
            throw ImportError.invalidTensor(tensor: name, reason: "its shape \(shape) is too large")
        }
        return count
    }

    static func typeName(_ type: Onnx_TensorProto.DataType?, raw: Int32) -> String {
        switch type {
        case nil: return "unknown (\(raw))"
        case .undefined?: return "undefined (0)"
        case .uint8?: return "uint8"
        case .int8?: return "int8"
        case .uint16?: return "uint16"
        case .int16?: return "int16"
        case .string?: return "string"
        case .bool?: return "bool"
        case .float16?: return "float16"
        case .uint32?: return "uint32"
        case .uint64?: return "uint64"
        case .complex64?: return "complex64"
        case .complex128?: return "complex128"
        case .bfloat16?: return "bfloat16"
        case let other?: return "\(other) (\(raw))"
        }
    }

    // MARK: - External data

    /// Reads the bytes of a tensor stored in an external file (ONNX `external_data`: location, offset, length).
    private func readExternal(_ t: Onnx_TensorProto, name: String, byteCount: Int) throws -> Data {
        var location: String?
        var offsetText: String?
        var lengthText: String?
        for entry in t.externalData {
            switch entry.key {
            case "location": location = entry.value
            case "offset": offsetText = entry.value
            case "length": lengthText = entry.value
            default: break  // checksum and others are informational
            }
        }
        guard let location, !location.isEmpty else {
            throw ImportError.invalidExternalData(tensor: name, reason: "it has no 'location'")
        }
        let components = location.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        let isAbsolute = location.hasPrefix("/") || location.hasPrefix("\\") || location.hasPrefix("~")
            || (location.count >= 2 && location.dropFirst().first == ":")
        if isAbsolute || components.contains("..") {
            throw ImportError.externalDataPathNotAllowed(tensor: name, location: location)
        }
        guard let directory = modelDirectory else {
            throw ImportError.invalidExternalData(
                tensor: name, reason: "the model was not loaded from a file, so '\(location)' cannot be found")
        }
        let url = directory.appendingPathComponent(components.joined(separator: "/"))
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ImportError.externalDataFileMissing(tensor: name, path: url.path)
        }
        guard !isDirectory.boolValue else {
            throw ImportError.invalidExternalData(tensor: name, reason: "'\(location)' is a folder")
        }
        // A symbolic link must not lead out of the model's folder either.
        let resolvedFolder = directory.resolvingSymlinksInPath().standardizedFileURL.path
        let resolvedFile = url.resolvingSymlinksInPath().standardizedFileURL.path
        guard resolvedFile.hasPrefix(resolvedFolder.hasSuffix("/") ? resolvedFolder : resolvedFolder + "/") else {
            throw ImportError.externalDataPathNotAllowed(tensor: name, location: location)
        }

        let fileSize: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            fileSize = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw ImportError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }

        func number(_ text: String?, _ key: String) throws -> Int? {
            guard let text else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
                throw ImportError.invalidExternalData(
                    tensor: name, reason: "'\(key)' is '\(text)', not a non-negative integer")
            }
            return value
        }
        let offset = try number(offsetText, "offset") ?? 0
        let length = try number(lengthText, "length") ?? max(0, fileSize - offset)
        guard offset <= fileSize, length <= fileSize - offset, length == byteCount else {
            throw ImportError.externalDataOutOfBounds(
                tensor: name, location: location, offset: offset, length: length, fileSize: fileSize)
        }
        if length == 0 { return Data() }
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: length) ?? Data()
            guard data.count == length else {
                throw ImportError.externalDataOutOfBounds(
                    tensor: name, location: location, offset: offset, length: length, fileSize: fileSize)
            }
            return data
        } catch let error as ImportError {
            throw error
        } catch {
            throw ImportError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
    }
}
