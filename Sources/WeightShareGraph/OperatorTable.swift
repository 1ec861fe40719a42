import WeightShareCore
import WeightShareRuntime

/// The compiler's one table of the ONNX operators (default domain) it lowers: one row each, saying how a node
/// becomes runtime operators. Lowering's supported list (``Lowering/supportedOperators``), the shape-inference
/// dispatch and the "unsupported operator" message derive from it.
///
/// Adding an element-wise operator of one input and no options is one `.pointwise` row here, next to its row in
/// the runtime's `WS_OP_LIST` (`Runtime/include/ws_runtime.h`): the IR, the memory planner (in place) and the
/// container writer handle every ``OperatorKind/pointwise(_:)`` alike. Other operators name a shape rule of
/// ``ShapeInference/Rule`` (`ShapeInference.swift`, `ShapeInferenceCNN.swift`). See `Runtime/README.md`,
/// "Adding an operator".
enum OperatorTable {
    /// Groups, as the unsupported-operator message lists them.
    enum Group: CaseIterable {
        case core, convolutional, elementwise, dataMovement, recurrent, shapeArithmetic
    }

    enum Treatment: Sendable {
        /// Lowered by a shape rule, which resolves the node's attributes into an ``OperatorKind``.
        case rule(@Sendable (ShapeInference.Rule) throws -> ShapeInference.Inferred)
        /// y = f(x) element by element, by the runtime operator `opcode`; same shape, may run in place.
        case pointwise(ws_opcode)
        /// Accepted only where its inputs are constants (folded at compile time, `LoweringConstantFolding.swift`).
        case constantsOnly
        /// Removed before shape inference (`LoweringIdentityRemoval.swift`).
        case removed
    }

    struct Row: Sendable {
        let onnx: String
        let group: Group
        let treatment: Treatment

        init(_ onnx: String, _ group: Group, _ treatment: Treatment) {
            self.onnx = onnx
            self.group = group
            self.treatment = treatment
        }

        static func rule(_ onnx: String, _ group: Group,
                         _ lower: @escaping @Sendable (ShapeInference.Rule) throws -> ShapeInference.Inferred) -> Row {
            Row(onnx, group, .rule(lower))
        }

        static func pointwise(_ onnx: String, _ group: Group, _ opcode: ws_opcode) -> Row {
            Row(onnx, group, .pointwise(opcode))
        }
    }

    static let rows: [Row] = [
        // The MLP operator set.
        .rule("Gemm", .core) { try $0.gemm() },
        .rule("MatMul", .core) { try $0.matMul() },
        .rule("Add", .core) { try $0.binary(.add) },
        .pointwise("Relu", .core, WS_OP_RELU),
        .pointwise("Sqrt", .core, WS_OP_SQRT),
        .rule("Softmax", .core) { try $0.softmax() },
        .rule("Flatten", .core) { try $0.flatten() },
        .rule("Reshape", .core) { try $0.reshape() },
        // A graph output produced by an Identity keeps a copy.
        .rule("Identity", .core) { try $0.unary(.reshape) },
        Row("Dropout", .core, .removed),
        // The CNN operator set.
        .rule("Conv", .convolutional) { try $0.conv() },
        .rule("ConvTranspose", .convolutional) { try $0.convTranspose() },
        .rule("BatchNormalization", .convolutional) { try $0.batchNormalization() },
        .rule("MaxPool", .convolutional) { try $0.pool(isMax: true) },
        .rule("AveragePool", .convolutional) { try $0.pool(isMax: false) },
        .rule("GlobalAveragePool", .convolutional) { try $0.globalAveragePool() },
        .rule("Sub", .convolutional) { try $0.binary(.sub) },
        .rule("Mul", .convolutional) { try $0.binary(.mul) },
        .rule("Div", .convolutional) { try $0.binary(.div) },
        .rule("Clip", .convolutional) { try $0.clip() },
        .rule("LeakyRelu", .convolutional) { try $0.unary(.leakyRelu(alpha: try $0.float("alpha", default: 0.01))) },
        .rule("PRelu", .convolutional) { try $0.prelu() },
        .pointwise("Sigmoid", .convolutional, WS_OP_SIGMOID),
        .pointwise("Tanh", .convolutional, WS_OP_TANH),
        .rule("HardSigmoid", .convolutional) {
            try $0.unary(.hardSigmoid(alpha: try $0.float("alpha", default: 0.2), beta: try $0.float("beta", default: 0.5)))
        },
        .pointwise("HardSwish", .convolutional, WS_OP_HARD_SWISH),
        .rule("Concat", .convolutional) { try $0.concat() },
        .rule("Transpose", .convolutional) { try $0.transpose() },
        .rule("Squeeze", .convolutional) { try $0.squeeze() },
        .rule("Unsqueeze", .convolutional) { try $0.unsqueeze() },
        .rule("Pad", .convolutional) { try $0.pad() },
        .rule("Resize", .convolutional) { try $0.resize() },
        // Element-wise operators of real models (issue 12). Comparisons and logic work on masks (1.0 / 0.0,
        // `ShapeInferenceElementwise.swift`).
        .pointwise("Exp", .elementwise, WS_OP_EXP),
        .pointwise("Log", .elementwise, WS_OP_LOG),
        .pointwise("Neg", .elementwise, WS_OP_NEG),
        .pointwise("Abs", .elementwise, WS_OP_ABS),
        .pointwise("Reciprocal", .elementwise, WS_OP_RECIPROCAL),
        .pointwise("Erf", .elementwise, WS_OP_ERF),
        .pointwise("Softplus", .elementwise, WS_OP_SOFTPLUS),
        .pointwise("Softsign", .elementwise, WS_OP_SOFTSIGN),
        .pointwise("Floor", .elementwise, WS_OP_FLOOR),
        .pointwise("Ceil", .elementwise, WS_OP_CEIL),
        .rule("Pow", .elementwise) { try $0.pow() },
        .rule("Min", .elementwise) { try $0.minMax(WS_OP_MIN) },
        .rule("Max", .elementwise) { try $0.minMax(WS_OP_MAX) },
        .rule("Equal", .elementwise) { try $0.binary(.elementwise(WS_OP_EQUAL)) },
        .rule("Less", .elementwise) { try $0.binary(.elementwise(WS_OP_LESS)) },
        .rule("Greater", .elementwise) { try $0.binary(.elementwise(WS_OP_GREATER)) },
        .rule("LessOrEqual", .elementwise) { try $0.binary(.elementwise(WS_OP_LESS_OR_EQUAL)) },
        .rule("GreaterOrEqual", .elementwise) { try $0.binary(.elementwise(WS_OP_GREATER_OR_EQUAL)) },
        .pointwise("Not", .elementwise, WS_OP_NOT),
        .rule("And", .elementwise) { try $0.binary(.elementwise(WS_OP_AND)) },
        .rule("Or", .elementwise) { try $0.binary(.elementwise(WS_OP_OR)) },
        .rule("Xor", .elementwise) { try $0.binary(.elementwise(WS_OP_XOR)) },
        .rule("Where", .elementwise) { try $0.select() },
        .rule("Gelu", .elementwise) { try $0.gelu() },
        // Shape arithmetic: folded on constants once the input shapes are pinned; Cast of an activation to float
        // is a copy.
        .rule("Cast", .shapeArithmetic) { try $0.cast() },
        Row("ConstantOfShape", .shapeArithmetic, .constantsOnly),
        Row("Range", .shapeArithmetic, .constantsOnly),
        // Shape folds whenever its input's shape is known, which it always is once the inputs are pinned.
        Row("Shape", .shapeArithmetic, .constantsOnly),
        // Size likewise: the element count of a value whose shape is known.
        Row("Size", .shapeArithmetic, .constantsOnly),
        // Data movement on run-time tensors (`ShapeInferenceDataMovement.swift`): the runtime's Slice, Gather and
        // Tile, or Transpose between reshapes; folded like shape arithmetic when the data is a constant.
        .rule("Slice", .dataMovement) { try $0.slice() },
        // One Slice per output: the model builder lowers every output (`LoweringModelBuilder.swift`); this row
        // answers for a Split of one output.
        .rule("Split", .dataMovement) { rule in
            let parts = try rule.split()
            guard parts.count == 1 else { throw rule.error("it has \(parts.count) outputs, lowered one by one") }
            return parts[0].inferred
        },
        .rule("Gather", .dataMovement) { try $0.gather() },
        .rule("Tile", .dataMovement) { try $0.tile() },
        .rule("Expand", .dataMovement) { try $0.expand() },
        .rule("DepthToSpace", .dataMovement) { try $0.depthToSpace() },
        .rule("SpaceToDepth", .dataMovement) { try $0.spaceToDepth() },
        // Reductions and normalisation (`ShapeInferenceReduce.swift`).
        .rule("ReduceMean", .core) { try $0.reduce(.mean) },
        .rule("ReduceSum", .core) { try $0.reduce(.sum) },
        .rule("ReduceMax", .core) { try $0.reduce(.max) },
        .rule("ReduceMin", .core) { try $0.reduce(.min) },
        .rule("ReduceL1", .core) { try $0.reduce(.l1) },
        .rule("ReduceL2", .core) { try $0.reduce(.l2) },
        .rule("ReduceSumSquare", .core) { try $0.reduce(.sumSquare) },
        .rule("ReduceProd", .core) { try $0.reduce(.prod) },
        .rule("ReduceLogSum", .core) { try $0.reduce(.logSum) },
        .rule("ReduceLogSumExp", .core) { try $0.reduce(.logSumExp) },
        .rule("LogSoftmax", .core) { try $0.softmax(log: true) },
        .rule("LayerNormalization", .core) { try $0.layerNormalization() },
        // Recurrent layers (`ShapeInferenceRecurrent.swift`): several outputs, W and R shared.
        .rule("LSTM", .recurrent) { try $0.recurrent(.lstm) },
        .rule("GRU", .recurrent) { try $0.recurrent(.gru) },
        .rule("RNN", .recurrent) { try $0.recurrent(.rnn) },
    ]

    static let byName: [String: Row] = Dictionary(uniqueKeysWithValues: rows.map { ($0.onnx, $0) })

    /// Runtime operators that are no ONNX operator: lowering fuses a written-out pattern into a node of this
    /// name in the domain ``fusedDomain`` (`LoweringFusion.swift`). Not in ``Lowering/supportedOperators``: an ONNX
    /// graph cannot name them.
    static let fusedRows: [Row] = [
        // x * Sigmoid(x)
        .pointwise("Silu", .elementwise, WS_OP_SILU),
    ]

    /// The domain of the nodes that fusion makes.
    static let fusedDomain = "weightshare.fused"

    static let fusedByName: [String: Row] = Dictionary(uniqueKeysWithValues: fusedRows.map { ($0.onnx, $0) })

    /// The row that lowers `node`: a fused node's, or the ONNX operator's.
    static func row(for node: Node) -> Row? {
        node.domain == fusedDomain ? fusedByName[node.opType] : byName[node.opType]
    }

    /// The operators of `group`, sorted.
    static func names(in group: Group) -> [String] { rows.filter { $0.group == group }.map(\.onnx).sorted() }
}
