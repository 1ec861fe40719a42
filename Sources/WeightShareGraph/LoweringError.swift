import WeightShareCore
/// Everything that can stop ``Lowering/lower(_:inputShapes:)``: each case names the input, node or value concerned.
public enum LoweringError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `inputShapes` names something that is not a graph input.
    /// `option` (`--input-shape` or `--input-value`) names an input the model does not have.
    case unknownInput(name: String, inputs: [String], option: String = "--input-shape")
    /// An input with a dynamic (or no) shape that `inputShapes` does not pin; ``Lowering/lower(_:inputShapes:options:)``
    /// adds shapes with which the model lowers, or the dimensions to choose.
    case unpinnedInputShape(input: String, declared: [Dimension]?, suggestion: InputShapeSuggestion? = nil)
    /// A pinned shape that contradicts the model's fixed dimensions, or has a non-positive dimension.
    case inputShapeMismatch(input: String, declared: [Dimension]?, pinned: [Int], reason: String)
    /// A graph input whose element type is not float32.
    case unsupportedInputType(input: String, elementType: ElementType)
    /// `--input-value` cannot pin this input to these values.
    case invalidInputValue(input: String, values: [Float], reason: String)
    /// An operator WeightShare cannot lower (one node).
    case unsupportedOperator(node: String, opType: String, domain: String)
    /// Every operator of the graph WeightShare cannot lower, each with its node count and first node.
    case unsupportedOperators([UnsupportedOperator])
    /// A node (or the graph's outputs) reads a value that nothing produces.
    case undefinedValue(node: String, value: String)
    /// Two nodes (or a node and an input/constant) define the same value.
    case duplicateValue(value: String)
    /// The graph has a cycle through these nodes.
    case cycle(nodes: [String])
    /// A node whose inputs, attributes or shapes do not fit its operator.
    case invalidNode(node: String, opType: String, reason: String)
    /// An operator option that is not a usable number (a NaN or infinite Gemm alpha, Clip bound, Pow exponent, …):
    /// a problem of the graph itself, whatever the input shapes.
    case invalidOption(node: String, opType: String, reason: String)
    /// A constant that cannot be used where it is (an int64 tensor as data, a shape that is not constant).
    case invalidConstant(name: String, reason: String)
    /// A constant holding NaN (or ±Inf where only numbers make sense: the weights, biases and scales of
    /// Conv/ConvTranspose/Gemm/MatMul); `element` is the first bad one, flat and as an `index` into `shape`.
    case nonFiniteConstant(name: String, node: String, element: Int, index: [Int], shape: [Int], value: Float)

    public var description: String {
        switch self {
        case .unknownInput(let name, let inputs, let option):
            let list = inputs.isEmpty ? "the model has none" : "the model's inputs are "
                + inputs.map { "'\($0)'" }.joined(separator: ", ")
            return "\(option) names '\(name)', which is not an input of the model; \(list)"
        case .unpinnedInputShape(let input, let declared, let suggestion):
            guard let declared else {
                return "input '\(input)' declares no shape; pin it with --input-shape \(input)=d0,d1,... "
                    + "(for example \(input)=1,64)"
            }
            let prefix = "input '\(input)' has dynamic shape \(Self.render(declared)); "
            if let suggestion { return prefix + suggestion.advice }
            // No sizes tried: a leading batch axis is 1, the other dynamic dimensions are the user's to choose.
            let template = declared.enumerated().map { axis, dim -> String in
                if case .fixed(let n) = dim, n > 0 { return String(n) }
                if axis == 0 { return "1" }
                if case .symbolic(let s) = dim, !s.isEmpty { return s }
                return "d\(axis)"
            }.joined(separator: ",")
            return prefix + "pin it with --input-shape \(input)=\(template), choosing the dynamic dimensions"
        case .inputShapeMismatch(let input, let declared, let pinned, let reason):
            let pinnedText = "[" + pinned.map(String.init).joined(separator: ", ") + "]"
            let declaredText = declared.map { " for its declared shape \(Self.render($0))" } ?? ""
            return "--input-shape \(input)=\(pinned.map(String.init).joined(separator: ",")) gives \(pinnedText)"
                + "\(declaredText): \(reason)"
        case .unsupportedInputType(let input, let type):
            return "input '\(input)' has element type \(type.rawValue); WeightShare models take float32 inputs"
        case .invalidInputValue(let input, let values, let reason):
            let shown = values.prefix(8).map { $0 == $0.rounded() && abs($0) < 1e9 ? String(Int($0)) : "\($0)" }
            return "--input-value \(input)=" + shown.joined(separator: ",") + (values.count > 8 ? ",…" : "")
                + ": \(reason)"
        case .unsupportedOperator(let node, let opType, let domain):
            let op = isDefaultOperatorDomain(domain) ? opType : "\(domain).\(opType)"
            return "node '\(node)' uses operator \(op), which WeightShare cannot compile; supported ops: "
                + Lowering.coreOperators.joined(separator: ", ") + "; convolutional: "
                + Lowering.convolutionalOperators.joined(separator: ", ") + "; element-wise: "
                + Lowering.elementwiseOperators.joined(separator: ", ") + "; data movement: "
                + Lowering.dataMovementOperators.joined(separator: ", ") + "; recurrent: "
                + Lowering.recurrentOperators.joined(separator: ", ") + "; on constants only (shape arithmetic): "
                + Lowering.shapeArithmeticOperators.joined(separator: ", ")
        case .unsupportedOperators(let operators):
            let nodes = operators.map(\.count).reduce(0, +)
            let list = operators.map { op in
                op.count == 1 ? "\(op.qualifiedName) (node '\(op.firstNode)')"
                    : "\(op.qualifiedName) (\(op.count) nodes, first '\(op.firstNode)')"
            }.joined(separator: ", ")
            let kinds = operators.count == 1 ? "1 operator" : "\(operators.count) operators"
            return "the model uses \(kinds) WeightShare cannot compile (\(nodes) node\(nodes == 1 ? "" : "s")): "
                + list + "; supported: " + Self.supportedGroups
                + " (`wsc check MODEL` lists what a model needs)"
        case .undefinedValue(let node, let value):
            return "node '\(node)' reads '\(value)', which is neither a graph input, a constant nor any node's output"
        case .duplicateValue(let value):
            return "the value '\(value)' is defined more than once (by two nodes, or by a node and an input/constant)"
        case .cycle(let nodes):
            return "the graph has a cycle through the nodes " + nodes.map { "'\($0)'" }.joined(separator: ", ")
        case .invalidNode(let node, let opType, let reason), .invalidOption(let node, let opType, let reason):
            return "node '\(node)' (\(opType)): \(reason)"
        case .invalidConstant(let name, let reason):
            return "constant '\(name)': \(reason)"
        case .nonFiniteConstant(let name, let node, let element, let index, let shape, let value):
            let position = "element \(element) (index [\(index.map(String.init).joined(separator: ", "))] of shape "
                + "[\(shape.map(String.init).joined(separator: ", "))])"
            return "constant '\(name)' (read by node '\(node)') holds \(value) at \(position); weights, biases and "
                + "scales of Conv, ConvTranspose, Gemm and MatMul must be finite, and no constant may be NaN"
        }
    }

    /// The supported operators by group of the operator table, as messages list them.
    static var supportedGroups: String {
        OperatorTable.Group.allCases.map { group -> String in
            let name = String(describing: group)
            let title = name == "core" ? "" : name == "shapeArithmetic" ? "on constants only (shape arithmetic): "
                : name == "dataMovement" ? "data movement: " : "\(name): "
            return title + OperatorTable.names(in: group).joined(separator: ", ")
        }.joined(separator: "; ")
    }

    static func render(_ shape: [Dimension]) -> String {
        "[" + shape.map(\.description).joined(separator: ", ") + "]"
    }
}
