/// The model after lowering: static shapes, operators in execution order, every tensor float32.
/// This is what the compressor, the memory planner and the container writer work on.

/// Operators the runtime executes, with their resolved options.
public enum OperatorKind: Sendable, Equatable {
    /// Y = alpha·op(A)·op(B) + beta·C (C optional, unidirectionally broadcast).
    case gemm(alpha: Float, beta: Float, transA: Bool, transB: Bool)
    /// A [..., K] × B [K, N].
    case matMul
    /// Element-wise sum with NumPy broadcasting.
    case add
    case relu
    /// `axis` non-negative; `coerce2D` for opset < 13 semantics.
    case softmax(axis: Int, coerce2D: Bool)
    /// Same data, new shape (Reshape and Flatten).
    case reshape

    /// Input slots whose constant operand is a weight to share (Conv/Gemm/MatMul weights, not biases).
    public var weightInputSlots: [Int] {
        switch self {
        case .gemm, .matMul: return [0, 1]
        default: return []
        }
    }
}

public struct LoweredModel: Sendable, Equatable {
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        /// Constant values (row-major), nil for activations.
        public var constant: [Float]?

        public init(name: String, shape: [Int], constant: [Float]? = nil) {
            self.name = name
            self.shape = shape
            self.constant = constant
        }

        public var elementCount: Int { shape.reduce(1, *) }
        public var isConstant: Bool { constant != nil }
    }

    public struct Operation: Sendable, Equatable {
        /// Name of the source node (for messages).
        public var name: String
        public var kind: OperatorKind
        /// Tensor indices; nil marks an absent optional input.
        public var inputs: [Int?]
        public var outputs: [Int]

        public init(name: String, kind: OperatorKind, inputs: [Int?], outputs: [Int]) {
            self.name = name
            self.kind = kind
            self.inputs = inputs
            self.outputs = outputs
        }
    }

    public var tensors: [Tensor]
    /// In execution (topological) order.
    public var operations: [Operation]
    public var inputs: [Int]
    public var outputs: [Int]

    public init(tensors: [Tensor], operations: [Operation], inputs: [Int], outputs: [Int]) {
        self.tensors = tensors
        self.operations = operations
        self.inputs = inputs
        self.outputs = outputs
    }
}
