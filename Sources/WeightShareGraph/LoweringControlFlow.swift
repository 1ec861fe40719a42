import WeightShareCore

extension Lowering {
    /// Replaces every `If` whose condition is known at compile time by the nodes of the branch it takes (nested
    /// `If`s too), so control flow that depends on a constant — typically an input pinned with `--input-value`,
    /// such as a sample rate — compiles as a plain graph. A condition that depends on run-time data is refused,
    /// naming the inputs it depends on.
    ///
    /// The condition is evaluated on the initializers and the pinned input shapes with the integer and logic
    /// operators shape code uses (``ConditionEvaluator``). The branch's initializers join the graph's; its
    /// outputs are copied to the `If`'s outputs by `Identity` nodes, which ``removeIdentities(_:)`` removes.
    ///
    /// A condition may read the static shape of an activation (`Shape`/`Size` of a layer's output, as exporters
    /// write "if the sequence is longer than …"): that shape comes from lowering the part of the graph that
    /// computes the activation, with the same pinned input shapes and `options`.
    static func inlineConstantIfs(_ graph: Graph, inputShapes: [String: [Int]],
                                  options: LoweringOptions = LoweringOptions()) throws -> Graph {
        var graph = graph
        var inlined = 0
        while let index = graph.nodes.firstIndex(where: { $0.opType == "If" && isDefaultOperatorDomain($0.domain) }) {
            let node = graph.nodes[index]
            let name = label(node)
            guard let condition = node.inputs.first, !condition.isEmpty else {
                throw LoweringError.invalidNode(node: name, opType: "If", reason: "it has no condition input")
            }
            let prefix = graph
            let evaluator = ConditionEvaluator(graph: graph, inputShapes: inputShapes) { value in
                // The nodes that compute `value` alone (dead-node removal drops the rest, this If included).
                var part = prefix
                part.outputs = [ValueInfo(name: value, elementType: .float32, shape: nil)]
                part = try removeDeadNodes(part)
                let lowered = try lowerPinned(part, inputShapes: inputShapes, options: options)
                return lowered.tensors[lowered.outputs[0]].shape
            }
            let value: ConditionEvaluator.Value
            do {
                value = try evaluator.evaluate(condition)
            } catch let unknown as ConditionEvaluator.Unknown {
                let inputs = unknown.valueOfInput ? evaluator.graphInputs(feeding: condition) : []
                let pin = inputs.isEmpty ? "" : "; it depends on the input(s) "
                    + inputs.map { "'\($0)'" }.joined(separator: ", ") + ": pin them with "
                    + inputs.map { "--input-value \($0)=VALUE" }.joined(separator: " ")
                    + " so the branch is chosen at compile time"
                throw LoweringError.invalidNode(
                    node: name, opType: "If",
                    reason: "its condition '\(condition)' is not known at compile time (\(unknown.reason))" + pin)
            }
            guard value.values.count == 1 else {
                throw LoweringError.invalidNode(node: name, opType: "If",
                                                reason: "its condition '\(condition)' has \(value.values.count) "
                                                    + "elements; it must be a single bool")
            }
            let key = value.values[0] != 0 ? "then_branch" : "else_branch"
            guard case .graph(let branch)? = node.attributes[key] else {
                throw LoweringError.invalidNode(node: name, opType: "If", reason: "it has no subgraph '\(key)'")
            }
            let outputs = node.outputs
            guard branch.outputs.count == outputs.count else {
                throw LoweringError.invalidNode(
                    node: name, opType: "If",
                    reason: "its \(key) has \(branch.outputs.count) outputs, the node \(outputs.count)")
            }
            // ONNX names are unique across a model and its subgraphs: a clash means a malformed file, and
            // merging would silently rewire values.
            var outer = Set(graph.initializers.keys).union(graph.inputs.map(\.name))
            for other in graph.nodes { outer.formUnion(other.outputs.filter { !$0.isEmpty }) }
            outer.subtract(outputs)
            let produced = Set(branch.nodes.flatMap(\.outputs).filter { !$0.isEmpty }).union(branch.initializers.keys)
            if let clash = produced.intersection(outer).sorted().first {
                throw LoweringError.invalidNode(
                    node: name, opType: "If",
                    reason: "its \(key) defines '\(clash)', a name the enclosing graph already uses")
            }
            graph.initializers.merge(branch.initializers) { first, _ in first }
            var replacement = branch.nodes
            for (source, target) in zip(branch.outputs.map(\.name), outputs) where !target.isEmpty {
                replacement.append(Node(name: "\(node.name.isEmpty ? target : node.name)/\(key)/\(target)",
                                        opType: "Identity", inputs: [source], outputs: [target]))
            }
            graph.nodes.replaceSubrange(index...index, with: replacement)
            inlined += 1
            guard inlined <= 10_000 else {
                throw LoweringError.invalidNode(node: name, opType: "If", reason: "more than 10,000 If nodes to inline")
            }
        }
        return graph
    }
}

/// Evaluates a value that shape and control-flow code computes from constants: initializers, the static shapes
/// of graph inputs (`Shape`, `Size`), and integer, comparison and logic operators on small tensors.
struct ConditionEvaluator {
    /// A value: its shape and its elements (integers and bools are exact in a Double up to 2^53).
    struct Value {
        var shape: [Int]
        var values: [Double]
    }

    /// Why a value cannot be computed at compile time.
    struct Unknown: Error {
        var reason: String
        /// The value of a run-time input is needed (pinning it with --input-value would help), not a shape.
        var valueOfInput = false
    }

    let graph: Graph
    let inputShapes: [String: [Int]]
    /// The static shape of an activation (nil: only inputs' and constants' shapes are known).
    let activationShape: ((String) throws -> [Int])?
    private let producers: [String: Node]

    init(graph: Graph, inputShapes: [String: [Int]], activationShape: ((String) throws -> [Int])? = nil) {
        self.graph = graph
        self.inputShapes = inputShapes
        self.activationShape = activationShape
        var producers: [String: Node] = [:]
        for node in graph.nodes {
            for output in node.outputs where !output.isEmpty { producers[output] = node }
        }
        self.producers = producers
    }

    /// The value named `name`.
    func evaluate(_ name: String, depth: Int = 0) throws -> Value {
        guard depth < 256 else { throw Unknown(reason: "'\(name)' is computed by a chain of more than 256 nodes") }
        if let constant = graph.initializers[name] {
            return Value(shape: constant.shape, values: constantValues(constant))
        }
        if graph.inputs.contains(where: { $0.name == name }) {
            throw Unknown(reason: "it reads the run-time input '\(name)'", valueOfInput: true)
        }
        guard let node = producers[name] else { throw Unknown(reason: "'\(name)' is not defined") }
        guard isDefaultOperatorDomain(node.domain) else {
            throw Unknown(reason: "'\(name)' comes from \(node.domain).\(node.opType)")
        }
        func operand(_ i: Int) throws -> Value {
            guard i < node.inputs.count, !node.inputs[i].isEmpty else {
                throw Unknown(reason: "\(node.opType) '\(Lowering.label(node))' lacks input \(i)")
            }
            return try evaluate(node.inputs[i], depth: depth + 1)
        }
        switch node.opType {
        case "Identity":
            return try operand(0)
        case "Cast":
            var v = try operand(0)
            if case .int(let to)? = node.attributes["to"] {
                switch to {
                case 9: v.values = v.values.map { $0 != 0 ? 1 : 0 } // BOOL
                case 2, 3, 4, 5, 6, 7, 12, 13: v.values = v.values.map { $0.rounded(.towardZero) } // integers
                default: break
                }
            }
            return v
        case "Shape":
            let shape = try shapeOf(node.inputs.first ?? "")
            return Value(shape: [shape.count], values: shape.map(Double.init))
        case "Size":
            return Value(shape: [], values: [Double(try shapeOf(node.inputs.first ?? "").reduce(1, *))])
        case "Not":
            var v = try operand(0)
            v.values = v.values.map { $0 == 0 ? 1 : 0 }
            return v
        case "Squeeze", "Unsqueeze", "Reshape", "Flatten":
            let v = try operand(0)
            guard v.values.count == 1 else {
                throw Unknown(reason: "\(node.opType) of a \(v.values.count)-element value")
            }
            return Value(shape: [], values: v.values)
        case "Gather":
            let data = try operand(0), index = try operand(1)
            guard data.shape.count <= 1 else { throw Unknown(reason: "Gather from a \(data.shape.count)-D value") }
            let picked = try index.values.map { raw -> Double in
                var i = Int(raw)
                if i < 0 { i += data.values.count }
                guard data.values.indices.contains(i) else { throw Unknown(reason: "Gather index out of range") }
                return data.values[i]
            }
            return Value(shape: index.shape, values: picked)
        default:
            guard let op = Self.binary[node.opType] else {
                throw Unknown(reason: "'\(name)' comes from \(node.opType), which is not evaluated at compile time")
            }
            let a = try operand(0), b = try operand(1)
            return try broadcast(a, b, node: node, op)
        }
    }

    /// Binary operators on integers, bools and floats, as ONNX computes them.
    private static let binary: [String: @Sendable (Double, Double) -> Double] = [
        "Equal": { $0 == $1 ? 1 : 0 }, "Greater": { $0 > $1 ? 1 : 0 }, "Less": { $0 < $1 ? 1 : 0 },
        "GreaterOrEqual": { $0 >= $1 ? 1 : 0 }, "LessOrEqual": { $0 <= $1 ? 1 : 0 },
        "And": { ($0 != 0 && $1 != 0) ? 1 : 0 }, "Or": { ($0 != 0 || $1 != 0) ? 1 : 0 },
        "Xor": { (($0 != 0) != ($1 != 0)) ? 1 : 0 },
        "Add": { $0 + $1 }, "Sub": { $0 - $1 }, "Mul": { $0 * $1 }, "Max": { max($0, $1) }, "Min": { min($0, $1) },
    ]

    /// `op` element by element, when one side is a single element or both have the same shape.
    private func broadcast(_ a: Value, _ b: Value, node: Node, _ op: (Double, Double) -> Double) throws -> Value {
        if a.values.count == 1 {
            return Value(shape: b.shape.count >= a.shape.count ? b.shape : a.shape, values: b.values.map { op(a.values[0], $0) })
        }
        if b.values.count == 1 { return Value(shape: a.shape, values: a.values.map { op($0, b.values[0]) }) }
        guard a.shape == b.shape else { throw Unknown(reason: "\(node.opType) of shapes \(a.shape) and \(b.shape)") }
        return Value(shape: a.shape, values: zip(a.values, b.values).map(op))
    }

    /// The static shape of `name`: a graph input's pinned or fixed declared shape, or an initializer's.
    private func shapeOf(_ name: String) throws -> [Int] {
        if let constant = graph.initializers[name] { return constant.shape }
        if let pinned = inputShapes[name] { return pinned }
        if let input = graph.inputs.first(where: { $0.name == name }), let declared = input.shape {
            var shape: [Int] = []
            for dim in declared {
                guard case .fixed(let n) = dim else {
                    throw Unknown(reason: "the shape of input '\(name)' has a dynamic dimension (pin it with --input-shape)")
                }
                shape.append(n)
            }
            return shape
        }
        // A value computed from constants (a Shape's output, say) has the shape of its value.
        if producers[name] != nil, let value = try? evaluate(name) { return value.shape }
        if let activationShape, producers[name] != nil {
            do { return try activationShape(name) } catch let failure as LoweringError {
                throw Unknown(reason: "the shape of '\(name)' is needed, and lowering what computes it fails: \(failure)")
            }
        }
        throw Unknown(reason: "the shape of '\(name)' is not known")
    }

    private func constantValues(_ constant: ConstantTensor) -> [Double] {
        switch constant.storage {
        case .float(let v): return v.map(Double.init)
        case .int64(let v): return v.map(Double.init)
        }
    }

    /// Graph inputs that `name` is computed from, sorted.
    func graphInputs(feeding name: String) -> [String] {
        let inputs = Set(graph.inputs.map(\.name))
        var found = Set<String>(), seen = Set<String>(), stack = [name]
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            if inputs.contains(next) { found.insert(next) }
            if let node = producers[next] { stack += node.inputs.filter { !$0.isEmpty } }
        }
        return found.sorted()
    }
}
