import WeightShareCore

/// An operator type (with its domain) of a graph that lowering does not accept: how many nodes use it and the
/// first of them (in file order).
public struct UnsupportedOperator: Sendable, Equatable, Codable {
    public var opType: String
    /// The node's domain as the file gives it ("" for the default ONNX domain).
    public var domain: String
    public var count: Int
    /// The first node's name (or its first output's name when it has none).
    public var firstNode: String

    public init(opType: String, domain: String, count: Int, firstNode: String) {
        self.opType = opType
        self.domain = domain
        self.count = count
        self.firstNode = firstNode
    }

    /// `opType`, prefixed with the domain when it is not the default one (`com.microsoft.FusedConv`).
    public var qualifiedName: String { isDefaultOperatorDomain(domain) ? opType : "\(domain).\(opType)" }
}

/// A dimension of a graph input that must be pinned (`--input-shape`).
public struct DynamicDimension: Sendable, Equatable, Codable {
    public var input: String
    /// The axis; nil when the input declares no shape at all (then its rank is unknown too).
    public var axis: Int?
    /// The dimension's symbolic name (`batch`, `height`); nil when it has none.
    public var symbol: String?

    public init(input: String, axis: Int?, symbol: String?) {
        self.input = input
        self.axis = axis
        self.symbol = symbol
    }

    enum CodingKeys: String, CodingKey { case input, axis, symbol }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(input, forKey: .input)
        try c.encode(axis, forKey: .axis)
        try c.encode(symbol, forKey: .symbol)
    }
}

/// A shape for one graph input.
public struct PinnedInputShape: Sendable, Equatable, Codable {
    public var input: String
    public var shape: [Int]

    public init(input: String, shape: [Int]) {
        self.input = input
        self.shape = shape
    }

    /// As the command line takes it: `x=1,3,32,32`.
    public var argument: String { "\(input)=" + shape.map(String.init).joined(separator: ",") }
}

/// What to pin the dynamic input dimensions to: shapes with which the whole model lowers, found by trying sizes,
/// or (when none does) the dimensions the user has to choose.
public struct InputShapeSuggestion: Sendable, Equatable {
    /// Shapes for every input left dynamic (in input order) with which the model lowers; empty when no size tried
    /// lowers.
    public var shapes: [PinnedInputShape]
    /// The dimensions that were dynamic.
    public var dimensions: [DynamicDimension]
    /// The sizes tried for the non-batch dynamic dimensions, in order (empty when nothing could be tried).
    public var triedSizes: [Int]
    /// Why the largest size tried did not lower (nil when a size lowered or none was tried).
    public var lastError: String?
    /// A problem that stops lowering whatever the shapes are (an int64 input, a NaN weight): no size is tried
    /// after it.
    public var blockedBy: String?

    public init(shapes: [PinnedInputShape], dimensions: [DynamicDimension], triedSizes: [Int],
                lastError: String? = nil, blockedBy: String? = nil) {
        self.shapes = shapes
        self.dimensions = dimensions
        self.triedSizes = triedSizes
        self.lastError = lastError
        self.blockedBy = blockedBy
    }

    /// `--input-shape x=1,3,32,32 --input-shape y=…`, or nil when no shape was found.
    public var arguments: String? {
        shapes.isEmpty ? nil : shapes.map { "--input-shape \($0.argument)" }.joined(separator: " ")
    }

    /// How a person should read it, e.g. "pin it with --input-shape x=1,3,32,32 (…)" or "choose the height and
    /// width (axes 2, 3) of 'x' …".
    public var advice: String {
        if let arguments {
            if dimensions.allSatisfy({ $0.axis == 0 }) {
                return "pin it with \(arguments) (a batch of 1: search and verify run one sample at a time)"
            }
            return "pin it with \(arguments) (the smallest size tried with which the model lowers; give the size "
                + "your data has)"
        }
        var text = "choose " + Self.describeDimensions(dimensions)
            + " and pin them with --input-shape"
        if let blockedBy {
            text += "; the model does not lower whatever the shape: \(blockedBy)"
        } else if !triedSizes.isEmpty {
            text += " (no size among " + triedSizes.map(String.init).joined(separator: ", ") + " lowers"
                + (lastError.map { "; with \(triedSizes.last!): \($0)" } ?? "") + ")"
        }
        return text
    }

    /// "the height and width (axes 2 H, 3 W) of 'x' (axis 0, the batch, is 1)", "axis 1 (seq) of 'tokens'",
    /// "the whole shape of 'x' (it declares none)".
    static func describeDimensions(_ dimensions: [DynamicDimension]) -> String {
        var byInput: [(String, [DynamicDimension])] = []
        for d in dimensions {
            if let i = byInput.firstIndex(where: { $0.0 == d.input }) { byInput[i].1.append(d) }
            else { byInput.append((d.input, [d])) }
        }
        return byInput.map { input, dims -> String in
            guard dims.allSatisfy({ $0.axis != nil }) else { return "the whole shape of '\(input)' (it declares none)" }
            let batch = dims.contains { $0.axis == 0 } ? " (axis 0, the batch, is 1)" : ""
            let rest = dims.filter { $0.axis != 0 }
            guard !rest.isEmpty else { return "the batch (axis 0) of '\(input)'" }
            let named = rest.map { d in d.symbol.map { "\(d.axis!) \($0)" } ?? String(d.axis!) }
            let list = (rest.count == 1 ? "axis " : "axes ") + named.joined(separator: ", ")
            if rest.map(\.axis) == [2, 3] { return "the height and width (\(list)) of '\(input)'\(batch)" }
            return "\(list) of '\(input)'\(batch)"
        }.joined(separator: "; ")
    }
}

extension Lowering {
    /// Sizes tried for dynamic dimensions other than a leading batch axis, smallest first (with the sizes of the
    /// model's weights, see ``suggestInputShapes(for:inputShapes:options:)``).
    public static let candidateSizes = [1, 8, 16, 32, 64, 128, 224, 256, 320, 512]

    /// Every operator type of `graph` that lowering refuses, with its node count and first node, in order of first
    /// use. Computed on the graph as lowering sees it before shapes (Constant nodes folded, Identity/Dropout
    /// removed, dead nodes dropped), so the list is complete whatever the input shapes; when those steps fail,
    /// on the graph as imported.
    public static func unsupportedOperators(in graph: Graph) -> [UnsupportedOperator] {
        let prepared = (try? removeDeadNodes(removeIdentities(foldConstantNodes(graph)))) ?? graph
        return unsupportedNodes(prepared)
    }

    /// Whether lowering accepts `node`'s operator: a row of the operator table (default domain), a Constant, or
    /// an If (replaced by a branch when its condition is known at compile time, see `LoweringControlFlow.swift`).
    public static func isSupported(_ node: Node) -> Bool {
        isDefaultOperatorDomain(node.domain)
            && (OperatorTable.byName[node.opType] != nil || node.opType == "Constant" || node.opType == "If")
    }

    static func unsupportedNodes(_ graph: Graph) -> [UnsupportedOperator] {
        var list: [UnsupportedOperator] = []
        var index: [String: Int] = [:]
        // The nodes of If branches count too: either branch may be the one compiled.
        var nodes: [Node] = []
        var pending = graph.nodes
        while !pending.isEmpty {
            let node = pending.removeFirst()
            nodes.append(node)
            for value in node.attributes.values.sorted(by: { "\($0)" < "\($1)" }) {
                if case .graph(let branch) = value { pending += branch.nodes }
            }
        }
        for node in nodes where !isSupported(node) {
            let key = (isDefaultOperatorDomain(node.domain) ? "" : node.domain) + "\u{0}" + node.opType
            if let i = index[key] {
                list[i].count += 1
            } else {
                index[key] = list.count
                list.append(UnsupportedOperator(opType: node.opType, domain: node.domain, count: 1, firstNode: label(node)))
            }
        }
        return list
    }

    /// The dimensions of `graph`'s inputs that `inputShapes` leaves dynamic (symbolic or not positive), in input
    /// order; an input that declares no shape gives one entry with a nil axis.
    public static func dynamicDimensions(of graph: Graph, inputShapes: [String: [Int]] = [:]) -> [DynamicDimension] {
        var dims: [DynamicDimension] = []
        for input in graph.inputs where inputShapes[input.name] == nil {
            guard let shape = input.shape else {
                dims.append(DynamicDimension(input: input.name, axis: nil, symbol: nil))
                continue
            }
            for (axis, dim) in shape.enumerated() {
                switch dim {
                case .fixed(let n) where n > 0: continue
                case .fixed: dims.append(DynamicDimension(input: input.name, axis: axis, symbol: nil))
                case .symbolic(let s): dims.append(DynamicDimension(input: input.name, axis: axis, symbol: s.isEmpty ? nil : s))
                }
            }
        }
        return dims
    }

    /// Shapes for the inputs `inputShapes` leaves dynamic with which `graph` lowers, found by lowering with
    /// candidate sizes: a leading (batch) axis is 1, every other dynamic dimension takes the same size, tried in
    /// ascending order from ``candidateSizes`` and the dimensions of the model's float constants (up to 4096;
    /// the first that lowers wins). Nil when no dimension is dynamic. When no size lowers (or the model cannot
    /// lower for a reason that does not depend on shapes), the suggestion names the dimensions to choose.
    public static func suggestInputShapes(for graph: Graph, inputShapes: [String: [Int]] = [:],
                                          options: LoweringOptions = LoweringOptions()) -> InputShapeSuggestion? {
        let dims = dynamicDimensions(of: graph, inputShapes: inputShapes)
        guard !dims.isEmpty else { return nil }
        guard dims.allSatisfy({ $0.axis != nil }) else {
            return InputShapeSuggestion(shapes: [], dimensions: dims, triedSizes: [])
        }
        let needsSize = dims.contains { $0.axis != 0 }
        var sizes = Set(candidateSizes)
        for tensor in graph.initializers.values {
            if case .float = tensor.storage { sizes.formUnion(tensor.shape.filter { $0 >= 2 && $0 <= 4096 }) }
        }
        let ordered = needsSize ? sizes.sorted() : [1]
        var tried: [Int] = []
        var lastError: String?
        for size in ordered {
            var pinned = inputShapes
            var shapes: [PinnedInputShape] = []
            for input in graph.inputs where inputShapes[input.name] == nil {
                guard let declared = input.shape else { continue }
                let shape = declared.enumerated().map { axis, dim -> Int in
                    if case .fixed(let n) = dim, n > 0 { return n }
                    return axis == 0 ? 1 : size
                }
                pinned[input.name] = shape
                shapes.append(PinnedInputShape(input: input.name, shape: shape))
            }
            tried.append(size)
            do {
                _ = try lowerPinned(graph, inputShapes: pinned, options: options)
                return InputShapeSuggestion(shapes: shapes, dimensions: dims, triedSizes: tried)
            } catch let error as LoweringError where error.dependsOnShapes {
                lastError = error.description
            } catch {
                return InputShapeSuggestion(shapes: [], dimensions: dims, triedSizes: [], blockedBy: "\(error)")
            }
        }
        return InputShapeSuggestion(shapes: [], dimensions: dims, triedSizes: needsSize ? tried : [],
                                    lastError: lastError)
    }
}

extension LoweringError {
    /// Whether another input shape could avoid this error (shape rules, pinned shapes, shape constants), as
    /// against problems of the graph itself.
    var dependsOnShapes: Bool {
        switch self {
        case .invalidNode, .inputShapeMismatch, .invalidConstant, .unpinnedInputShape: return true
        default: return false  // the graph's own problems: an op, an input type, a value, a cycle, a NaN
        }
    }
}
