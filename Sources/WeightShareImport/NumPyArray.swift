/// One NumPy array: a name (the `.npz` key or file name), a shape and its values in C (row-major) order.
public struct NumPyArray: Sendable, Equatable {
    /// The dtypes WeightShare reads and writes (little-endian; one-byte types have no byte order).
    public enum DType: String, Sendable, CaseIterable {
        case float32 = "<f4"
        case float64 = "<f8"
        case int64 = "<i8"
        case int32 = "<i4"
        case uint8 = "|u1"
        case bool = "|b1"

        /// Bytes per element.
        public var itemSize: Int {
            switch self {
            case .float64, .int64: return 8
            case .float32, .int32: return 4
            case .uint8, .bool: return 1
            }
        }

        /// True for float32/float64.
        public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
    }

    public enum Storage: Sendable, Equatable {
        case float32([Float])
        case float64([Double])
        case int64([Int64])
        case int32([Int32])
        case uint8([UInt8])
        case bool([Bool])

        var count: Int {
            switch self {
            case .float32(let v): return v.count
            case .float64(let v): return v.count
            case .int64(let v): return v.count
            case .int32(let v): return v.count
            case .uint8(let v): return v.count
            case .bool(let v): return v.count
            }
        }
    }

    public var name: String
    /// `[]` for a scalar.
    public var shape: [Int]
    public var storage: Storage

    /// - Precondition: `storage` holds exactly as many values as `shape` describes.
    public init(name: String = "", shape: [Int], storage: Storage) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == storage.count,
                     "NumPyArray '\(name)': shape \(shape) does not hold \(storage.count) values")
        self.name = name
        self.shape = shape
        self.storage = storage
    }

    public init(name: String = "", shape: [Int], floats: [Float]) {
        self.init(name: name, shape: shape, storage: .float32(floats))
    }

    public init(name: String = "", shape: [Int], int64s: [Int64]) {
        self.init(name: name, shape: shape, storage: .int64(int64s))
    }

    public var dtype: DType {
        switch storage {
        case .float32: return .float32
        case .float64: return .float64
        case .int64: return .int64
        case .int32: return .int32
        case .uint8: return .uint8
        case .bool: return .bool
        }
    }

    /// Number of elements (1 for a scalar).
    public var elementCount: Int { storage.count }

    /// The values as Float, whatever the dtype (float64 rounded, integers converted, bool as 0/1).
    public var floats: [Float] {
        switch storage {
        case .float32(let v): return v
        case .float64(let v): return v.map { Float($0) }
        case .int64(let v): return v.map { Float($0) }
        case .int32(let v): return v.map { Float($0) }
        case .uint8(let v): return v.map { Float($0) }
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        }
    }

    /// The values as Int64 for integer and bool dtypes; nil for float dtypes (no silent truncation).
    public var int64s: [Int64]? {
        switch storage {
        case .float32, .float64: return nil
        case .int64(let v): return v
        case .int32(let v): return v.map { Int64($0) }
        case .uint8(let v): return v.map { Int64($0) }
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        }
    }
}
