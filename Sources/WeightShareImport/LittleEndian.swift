import Foundation

/// Reading and writing arrays of numbers as little-endian bytes (ONNX raw data, NumPy arrays), independent of
/// the host's byte order and of the data's alignment.
enum LittleEndian {
    static func integers<T: FixedWidthInteger>(_ data: Data, as type: T.Type = T.self) -> [T] {
        let size = MemoryLayout<T>.size
        let count = data.count / size
        return data.withUnsafeBytes { raw in
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    buffer[i] = T(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: T.self))
                }
                initialized = count
            }
        }
    }

    static func floats(_ data: Data) -> [Float] {
        integers(data, as: UInt32.self).map { Float(bitPattern: $0) }
    }

    static func doubles(_ data: Data) -> [Double] {
        integers(data, as: UInt64.self).map { Double(bitPattern: $0) }
    }

    static func bytes<T: FixedWidthInteger>(_ values: [T]) -> Data {
        var data = Data(count: values.count * MemoryLayout<T>.size)
        data.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() {
                raw.storeBytes(of: v.littleEndian, toByteOffset: i * MemoryLayout<T>.size, as: T.self)
            }
        }
        return data
    }

    static func bytes(_ values: [Float]) -> Data { bytes(values.map(\.bitPattern)) }
    static func bytes(_ values: [Double]) -> Data { bytes(values.map(\.bitPattern)) }
}
