import WeightShareCompress
import WeightShareCore
import WeightShareEvaluate
import WeightShareGraph
import WeightShareRuntime

/// What `wsc check` reports about an imported model: every operator WeightShare cannot compile, the input
/// dimensions still to pin (with shapes that lower, when some are found), and — when the model lowers — the
/// weights that would be shared and the runtime operators. ``compilable`` says whether `search` can take the
/// model as pinned. Encoded with the stable keys the README lists (absent values are null).
public struct ImportCheck: Sendable, Encodable {
    /// A graph input or output: as declared and, when the model lowers, as pinned.
    public struct Value: Sendable, Encodable {
        public var name: String
        public var elementType: String
        /// Each dimension as text ("3", "batch", "?" for an unnamed dynamic one); nil when none is declared.
        public var declaredShape: [String]?
        public var pinnedShape: [Int]?

        enum CodingKeys: String, CodingKey { case name, elementType, declaredShape, pinnedShape }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(elementType, forKey: .elementType)
            try c.encode(declaredShape, forKey: .declaredShape)
            try c.encode(pinnedShape, forKey: .pinnedShape)
        }
    }

    /// How many nodes of the imported graph use an operator.
    public struct OperatorCount: Sendable, Encodable {
        public var opType: String
        public var domain: String
        public var count: Int
        public var supported: Bool
    }

    /// A tensor whose values join the one shared-weight vector.
    public struct SharedTensor: Sendable, Encodable {
        public var tensor: String
        public var shape: [Int]
        public var elements: Int
    }

    /// How many operations of the lowered model are of one runtime kind (`Conv`, `Gemm`, `Relu`, …).
    public struct KindCount: Sendable, Encodable {
        public var kind: String
        public var count: Int
    }

    public var model: String
    public var opset: Int
    public var nodes: Int
    /// True when the model lowers as pinned, has weights to share and a run-time input (what `search` needs).
    public var compilable: Bool
    public var inputs: [Value]
    public var outputs: [Value]
    /// Every operator of the imported graph, sorted by domain and name.
    public var operators: [OperatorCount]
    public var unsupportedOperators: [UnsupportedOperator]
    /// Input dimensions `--input-shape` leaves dynamic.
    public var dynamicDimensions: [DynamicDimension]
    /// Shapes for those inputs with which the model lowers (empty when none was found or none is needed).
    public var suggestedInputShapes: [PinnedInputShape]
    /// What to do about the dynamic dimensions, in words (nil when there are none).
    public var inputShapeAdvice: String?
    /// Why the model cannot be compiled as pinned (nil when it can).
    public var error: String?
    /// Why `--input-value` or an `If` cannot be resolved at compile time (nil when they can, or there are none).
    public var controlFlowError: String?
    /// With a lowered model: the shared tensors and N, their element total.
    public var sharedWeights: [SharedTensor]
    public var sharedWeightCount: Int
    /// With a lowered model: its operations by runtime kind, in order of first use.
    public var loweredOperators: [KindCount]

    enum CodingKeys: String, CodingKey {
        case model, opset, nodes, compilable, inputs, outputs, operators, unsupportedOperators, dynamicDimensions,
             suggestedInputShapes, inputShapeAdvice, error, sharedWeights, sharedWeightCount, loweredOperators,
             controlFlowError
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(opset, forKey: .opset)
        try c.encode(nodes, forKey: .nodes)
        try c.encode(compilable, forKey: .compilable)
        try c.encode(inputs, forKey: .inputs)
        try c.encode(outputs, forKey: .outputs)
        try c.encode(operators, forKey: .operators)
        try c.encode(unsupportedOperators, forKey: .unsupportedOperators)
        try c.encode(dynamicDimensions, forKey: .dynamicDimensions)
        try c.encode(suggestedInputShapes, forKey: .suggestedInputShapes)
        try c.encode(inputShapeAdvice, forKey: .inputShapeAdvice)
        try c.encode(error, forKey: .error)
        try c.encode(sharedWeights, forKey: .sharedWeights)
        try c.encode(sharedWeightCount, forKey: .sharedWeightCount)
        try c.encode(loweredOperators, forKey: .loweredOperators)
        try c.encode(controlFlowError, forKey: .controlFlowError)
    }

    /// Checks `graph` (imported from `model`) with the shapes `inputShapes` pins. The unsupported operators are
    /// listed before any shape is needed, so the list is complete even when inputs are dynamic; the model is
    /// lowered only when every operator is supported.
    public init(graph: Graph, model: String, inputShapes: [String: [Int]] = [:],
                inputValues: [String: [Float]] = [:], options: LoweringOptions = LoweringOptions()) {
        self.model = model
        opset = graph.opsetVersion
        nodes = graph.nodes.count
        // Inputs pinned to values, and the If branches they choose, as lowering will see them; when that fails
        // (an unknown input, a condition known only at run time) the graph is checked as it is, and the If is
        // listed as unsupported with the reason as the error.
        var controlFlowError: String?
        var graph = graph
        var inputShapes = inputShapes
        do {
            graph = try Lowering.resolveControlFlow(graph, inputShapes: inputShapes, inputValues: inputValues,
                                                    options: options)
            inputShapes = inputShapes.filter { inputValues[$0.key] == nil }
        } catch {
            controlFlowError = "\(error)"
        }
        unsupportedOperators = Lowering.unsupportedOperators(in: graph)
        dynamicDimensions = Lowering.dynamicDimensions(of: graph, inputShapes: inputShapes)

        var counts: [String: OperatorCount] = [:]
        for node in graph.nodes {
            let key = node.domain + "\u{0}" + node.opType
            counts[key, default: OperatorCount(opType: node.opType, domain: node.domain, count: 0,
                                               supported: Lowering.isSupported(node))].count += 1
        }
        operators = counts.values.sorted { ($0.domain, $0.opType) < ($1.domain, $1.opType) }

        var lowered: LoweredModel?
        var suggestion: InputShapeSuggestion?
        var error: String?
        self.controlFlowError = controlFlowError
        if !unsupportedOperators.isEmpty {
            error = LoweringError.unsupportedOperators(unsupportedOperators).description
            if !dynamicDimensions.isEmpty {
                suggestion = InputShapeSuggestion(shapes: [], dimensions: dynamicDimensions, triedSizes: [])
            }
        } else if let controlFlowError {
            error = controlFlowError
        } else {
            do {
                lowered = try Lowering.lower(graph, inputShapes: inputShapes, options: options)
            } catch let failure as LoweringError {
                if case .unpinnedInputShape(_, _, let found) = failure { suggestion = found }
                error = failure.description
            } catch let failure {
                error = "\(failure)"
            }
        }
        suggestedInputShapes = suggestion?.shapes ?? []
        inputShapeAdvice = suggestion?.advice

        var pinned: [String: [Int]] = [:]
        sharedWeights = []
        sharedWeightCount = 0
        loweredOperators = []
        if let lowered {
            for t in lowered.inputs + lowered.outputs { pinned[lowered.tensors[t].name] = lowered.tensors[t].shape }
            let shared = SharedWeights(model: lowered)
            sharedWeights = shared.slices.map {
                SharedTensor(tensor: $0.name, shape: lowered.tensors[$0.tensor].shape, elements: $0.count)
            }
            sharedWeightCount = shared.count
            var kinds: [KindCount] = []
            for operation in lowered.operations {
                let kind = Self.kindName(operation.kind)
                if let i = kinds.firstIndex(where: { $0.kind == kind }) { kinds[i].count += 1 }
                else { kinds.append(KindCount(kind: kind, count: 1)) }
            }
            loweredOperators = kinds
            if shared.count == 0 {
                error = "the model has no weight to share (no constant weight of Conv, ConvTranspose, Gemm or MatMul)"
            } else if lowered.inputs.isEmpty {
                error = SampleSetError.noInput.description
            }
        }
        func value(_ info: ValueInfo) -> Value {
            Value(name: info.name, elementType: info.elementType.rawValue,
                  declaredShape: info.shape?.map(\.description), pinnedShape: pinned[info.name])
        }
        inputs = graph.inputs.map(value)
        outputs = graph.outputs.map(value)
        self.error = error
        compilable = lowered != nil && error == nil
    }

    /// The runtime's name of an operation's kind: the opcode of a pointwise operator (`Relu`), the case name
    /// otherwise (`conv`, `gemm`).
    static func kindName(_ kind: OperatorKind) -> String {
        if case .pointwise(let opcode) = kind { return String(cString: ws_opcode_name(opcode)) }
        let text = String(describing: kind)
        return String(text.prefix { $0 != "(" })
    }
}
