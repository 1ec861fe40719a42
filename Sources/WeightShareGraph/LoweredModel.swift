import WeightShareRuntime

/// The model after lowering: static shapes, operators in execution order, every tensor float32.
/// This is what the compressor, the memory planner and the container writer work on.

/// Padding modes of ``OperatorKind/pad(mode:pads:value:)`` (schema `PadMode`).
public enum PadMode: UInt8, Sendable, Equatable {
    case constant = 0, reflect = 1, edge = 2
}

/// Interpolation of ``OperatorKind/resize(mode:coordinateTransform:nearestMode:scales:)`` (schema `ResizeMode`).
public enum ResizeMode: UInt8, Sendable, Equatable {
    case nearest = 0, linear = 1
}

/// ONNX `coordinate_transformation_mode` (schema `CoordinateTransform`).
public enum CoordinateTransform: UInt8, Sendable, Equatable {
    case halfPixel = 0, alignCorners = 1, asymmetric = 2, pytorchHalfPixel = 3, tfHalfPixelForNearest = 4
}

/// ONNX `nearest_mode` (schema `NearestMode`).
public enum NearestMode: UInt8, Sendable, Equatable {
    case roundPreferFloor = 0, roundPreferCeil = 1, floor = 2, ceil = 3
}

/// What ``OperatorKind/reduce(mode:axes:keepDims:)`` computes over the reduced elements (schema `ReduceMode`):
/// the ONNX ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceL1, ReduceL2, ReduceSumSquare, ReduceProd,
/// ReduceLogSum and ReduceLogSumExp.
public enum ReduceMode: UInt8, Sendable, Equatable {
    case mean = 0, sum = 1, max = 2, min = 3, l1 = 4, l2 = 5, sumSquare = 6, prod = 7, logSum = 8, logSumExp = 9
}

/// The cell of ``OperatorKind/recurrent(cell:direction:layout:linearBeforeReset:)``: ONNX LSTM, GRU or RNN with
/// their default activations (runtime Lstm, Gru, Rnn).
public enum RecurrentCell: String, Sendable, Equatable {
    case lstm = "LSTM", gru = "GRU", rnn = "RNN"

    /// Gates per hidden unit: the rows of W and R are `gates`·hidden_size.
    public var gates: Int {
        switch self {
        case .lstm: return 4
        case .gru: return 3
        case .rnn: return 1
        }
    }

    /// Floats per batch item of the workspace output: the gate pre-activations (GRU: of x and of h apart, and
    /// r ⊙ h).
    public var workspacePerUnit: Int {
        switch self {
        case .lstm: return 4
        case .gru: return 7
        case .rnn: return 1
        }
    }
}

/// ONNX `direction` of a recurrent layer (schema `RecurrentDirection`).
public enum RecurrentDirection: UInt8, Sendable, Equatable {
    case forward = 0, reverse = 1, bidirectional = 2

    public var count: Int { self == .bidirectional ? 2 : 1 }
}

/// Operators the runtime executes, with their resolved options.
///
/// Spatial operators work on NCHW with two spatial dims: 1-D convolutions and pools are lowered with H = 1
/// (reshapes around them). Every `pads` of Conv/ConvTranspose/pools is `[top, left, bottom, right]`, with
/// `auto_pad` and `output_shape` already resolved into it.
public enum OperatorKind: Sendable, Equatable {
    /// Y = alpha·op(A)·op(B) + beta·C (C optional, unidirectionally broadcast); optional 4th input S [N] scales
    /// each output column before C is added.
    case gemm(alpha: Float, beta: Float, transA: Bool, transB: Bool)
    /// A [..., K] × B [K, N].
    case matMul
    /// Element-wise sum with NumPy broadcasting.
    case add
    /// y = f(x) element by element, no options, computed by the runtime operator `opcode` (Relu, Sigmoid, Tanh,
    /// HardSwish, …: the `.pointwise` rows of the operator table).
    case pointwise(ws_opcode)
    /// `axis` non-negative; `coerce2D` for opset < 13 semantics.
    case softmax(axis: Int, coerce2D: Bool)
    /// Same data, new shape (Reshape, Flatten, Squeeze, Unsqueeze, the H = 1 views).
    case reshape
    /// Inputs X [N,C,H,W], W [M,C/group,kH,kW], optional B [M], optional epilogue scale S [M].
    case conv(group: Int, strides: [Int], dilations: [Int], pads: [Int])
    /// Inputs X [N,C,H,W], W [C,M/group,kH,kW], optional B [M], optional S [M].
    case convTranspose(group: Int, strides: [Int], dilations: [Int], pads: [Int], outputPadding: [Int])
    /// Output size already includes `ceil_mode`; windows are clipped to the padded input.
    case maxPool(kernel: [Int], strides: [Int], dilations: [Int], pads: [Int])
    case averagePool(kernel: [Int], strides: [Int], dilations: [Int], pads: [Int], countIncludePad: Bool)
    /// [N,C,H,W] → [N,C,1,1].
    case globalAveragePool
    /// Element-wise with NumPy broadcasting, like `add`.
    case sub
    case mul
    case div
    /// min(max(x, min), max).
    case clip(min: Float, max: Float)
    case leakyRelu(alpha: Float)
    /// Inputs X and slope (unidirectionally broadcast to X).
    case prelu
    case hardSigmoid(alpha: Float, beta: Float)
    /// Non-negative axis.
    case concat(axis: Int)
    case transpose(perm: [Int])
    /// `pads`: every axis' begin count, then every axis' end count (all ≥ 0).
    case pad(mode: PadMode, pads: [Int], value: Float)
    /// Resampling of the two trailing dims of a 4-D input; `scales` one per input dim.
    case resize(mode: ResizeMode, coordinateTransform: CoordinateTransform, nearestMode: NearestMode,
                scales: [Float])
    /// y = x·scale[c] + shift[c] along axis 1 (a BatchNormalization that could not be folded).
    case channelAffine
    /// y = f(a, b) with NumPy broadcasting, computed by the runtime's BINARY row `opcode` (Pow, Min, Max, the
    /// comparisons Equal/Less/Greater/LessOrEqual/GreaterOrEqual and the logic ops And/Or/Xor). Comparisons and logic
    /// give masks: the runtime is float-only, so an ONNX bool tensor is 1.0 (true) / 0.0 (false), and a mask read as
    /// a condition is true when non-zero.
    case elementwise(ws_opcode)
    /// x^exponent for a constant scalar exponent (ONNX Pow; runtime PowScalar, fast for 2, 3, 1, -1 and 0.5).
    case powScalar(exponent: Float)
    /// ONNX Where: inputs condition (a mask), A, B, broadcast together; y = condition ≠ 0 ? a : b.
    case select
    /// Reduction over `axes` (non-negative, strictly ascending, at least one); `keepDims` keeps them as 1.
    case reduce(mode: ReduceMode, axes: [Int], keepDims: Bool)
    /// log(softmax(x)); options as ``softmax(axis:coerce2D:)``.
    case logSoftmax(axis: Int, coerce2D: Bool)
    /// Inputs X, scale and optional B (both with X's dims from `axis` on; not shared weights): normalises over
    /// those dims, then scales and shifts. `axis` non-negative.
    case layerNormalization(axis: Int, epsilon: Float)
    /// Y[i] = X[start + i·step] along every dim, Y of X's rank (ONNX Slice, each output of Split, Gather with one or
    /// evenly spaced constant indices): `starts` inside X and `steps` non-zero, one each per dim; the output shape
    /// gives the counts, and every index read lies inside X.
    case slice(starts: [Int], steps: [Int])
    /// Y = X with dim `axis` replaced by the entries `indices` (non-negative, in range, at least one), Y of X's rank:
    /// ONNX Gather with constant indices (a reshape then gives the indices' shape).
    case gather(axis: Int, indices: [Int])
    /// Y[i] = X[i mod shape(X)] with X aligned to Y's trailing dims, every Y dim a multiple of X's: ONNX Tile
    /// (constant repeats) and Expand (a dim of 1 repeated).
    case tile
    /// ONNX LSTM/GRU/RNN with default activations. Inputs X, W [D, gates·H, I], R [D, gates·H, H] (both shared
    /// weights), optional B [D, 2·gates·H], initial_h, (LSTM) initial_c and P [D, 3H] (`sequence_lens` is dropped:
    /// only the full length is accepted). Outputs in runtime order: Y_h, (LSTM) Y_c, a workspace [B,
    /// ``RecurrentCell/workspacePerUnit``·H], then Y when the model uses it. `layout` 1: batch first.
    case recurrent(cell: RecurrentCell, direction: RecurrentDirection, layout: Int, linearBeforeReset: Bool)

    /// Input slots whose constant operand is a weight to share (Conv/ConvTranspose/Gemm/MatMul weights, not
    /// biases, epilogue scales, slopes or affine vectors).
    public var weightInputSlots: [Int] {
        switch self {
        case .gemm, .matMul: return [0, 1]
        case .conv, .convTranspose: return [1]
        case .recurrent: return [1, 2]
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
