/// The imported model: ONNX's graph in plain Swift values, before lowering. Shapes may still be symbolic.

/// A constant tensor (initializer or `Constant` node value), row-major.
public struct ConstantTensor: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case float([Float])
        case int64([Int64])
    }

    public var shape: [Int]
    public var storage: Storage

    public init(shape: [Int], storage: Storage) {
        self.shape = shape
        self.storage = storage
    }

    public init(shape: [Int], floats: [Float]) { self.init(shape: shape, storage: .float(floats)) }
    public init(shape: [Int], int64s: [Int64]) { self.init(shape: shape, storage: .int64(int64s)) }

    /// Number of elements the shape describes (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Values as Float (int64 converted).
    public var floats: [Float] {
        switch storage {
        case .float(let v): return v
        case .int64(let v): return v.map { Float($0) }
        }
    }

    /// Values as Int64 (floats truncated), for shape-like constants.
    public var int64s: [Int64] {
        switch storage {
        case .float(let v): return v.map { Int64($0) }
        case .int64(let v): return v
        }
    }
}

/// One dimension of a declared input/output shape.
public enum Dimension: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    /// A named (`batch`) or unnamed (empty string) dynamic dimension.
    case symbolic(String)

    public var description: String {
        switch self {
        case .fixed(let n): return String(n)
        case .symbolic(let s): return s.isEmpty ? "?" : s
        }
    }
}

/// Element types of graph values, as far as WeightShare cares.
public enum ElementType: String, Sendable, Equatable {
    case float32, float64, float16, int64, int32, int8, uint8, bool, other
}

/// A declared graph input or output.
public struct ValueInfo: Sendable, Equatable {
    public var name: String
    public var elementType: ElementType
    /// nil when the model declares no shape at all.
    public var shape: [Dimension]?

    public init(name: String, elementType: ElementType, shape: [Dimension]?) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }
}

/// An ONNX node attribute.
public enum AttributeValue: Sendable, Equatable {
    case int(Int)
    case float(Float)
    case string(String)
    case ints([Int])
    case floats([Float])
    case strings([String])
    case tensor(ConstantTensor)
    /// A subgraph (`If`'s `then_branch`/`else_branch`); its nodes may read values of the enclosing graph by name.
    indirect case graph(Graph)
}

public struct Node: Sendable, Equatable {
    public var name: String
    public var opType: String
    public var domain: String
    /// Input value names; "" marks an absent optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: AttributeValue]

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: AttributeValue] = [:]) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }
}

/// The imported graph.
public struct Graph: Sendable, Equatable {
    public var name: String
    /// Opset version of the default ("" / "ai.onnx") domain.
    public var opsetVersion: Int
    /// Graph inputs that are not initializers.
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// As stored in the file (not necessarily topologically sorted).
    public var nodes: [Node]
    public var initializers: [String: ConstantTensor]

    public init(name: String, opsetVersion: Int, inputs: [ValueInfo], outputs: [ValueInfo], nodes: [Node],
                initializers: [String: ConstantTensor]) {
        self.name = name
        self.opsetVersion = opsetVersion
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
        self.initializers = initializers
    }
}

/// The default ONNX operator domain ("" or "ai.onnx").
package func isDefaultOperatorDomain(_ domain: String) -> Bool { domain.isEmpty || domain == "ai.onnx" }
