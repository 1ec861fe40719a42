import WeightShareCore

extension Lowering {
    /// Rewrites written-out patterns into single runtime operators, and n-input Min/Max into chains of two-input
    /// ones, on a topologically sorted graph (the order stays valid: a fused node takes the place of the pattern's
    /// last node). A pattern is fused only when its inner values are read by nothing else (no other node, no graph
    /// output):
    /// - SiLU / Swish: `Mul(x, Sigmoid(x))`, either operand order → `Silu` (a runtime op, no ONNX op: a node of
    ///   ``OperatorTable/fusedDomain``);
    /// - GELU as torch exports it: `0.5 · x · (1 + Erf(x / √2))` → `Gelu` (approximate "none"): a product of the
    ///   three factors x, 0.5 and `Add(1, Erf(…))` in any order or grouping of two `Mul`s, the Add's operands in
    ///   either order, and the Erf's input `Div(x, √2)` or `Mul(x, 1/√2)`; constants are float scalars (shape
    ///   [] or [1]) within 1e-6 of 0.5, 1, √2 or 1/√2.
    static func fusePatterns(_ graph: Graph) throws -> Graph {
        var fusion = Fusion(graph: graph)
        fusion.chainMinMax()
        fusion.fuse()
        var graph = graph
        graph.nodes = fusion.nodes.compactMap { $0 }
        return graph
    }

    private struct Fusion {
        let graph: Graph
        /// Nil where a node was fused away.
        var nodes: [Node?]
        /// Number of readers of each value (nodes' inputs and graph outputs).
        var uses: [String: Int] = [:]
        /// Index of the node that writes each value.
        var producer: [String: Int] = [:]
        var names: Set<String> = []

        init(graph: Graph) {
            self.graph = graph
            nodes = graph.nodes
            index()
        }

        mutating func index() {
            uses = [:]
            producer = [:]
            names = Set(graph.initializers.keys).union(graph.inputs.map(\.name))
            for (i, node) in nodes.enumerated() {
                guard let node else { continue }
                for input in node.inputs where !input.isEmpty { uses[input, default: 0] += 1 }
                for output in node.outputs where !output.isEmpty {
                    producer[output] = i
                    names.insert(output)
                }
                names.insert(node.name)
            }
            for output in graph.outputs { uses[output.name, default: 0] += 1 }
        }

        /// `base`, or `base_2`, `base_3`, ... when a value or node already has that name.
        mutating func unique(_ base: String) -> String {
            var name = base, k = 1
            while names.contains(name) { k += 1; name = "\(base)_\(k)" }
            names.insert(name)
            return name
        }

        // MARK: Min/Max of n inputs

        /// Min/Max of more than two inputs → a chain of two-input nodes, the last writing the node's output.
        mutating func chainMinMax() {
            var result: [Node?] = []
            for case let node? in nodes {
                guard ["Min", "Max"].contains(node.opType), isDefaultOperatorDomain(node.domain),
                      node.inputs.count > 2, node.inputs.allSatisfy({ !$0.isEmpty }), node.outputs.count == 1 else {
                    result.append(node)
                    continue
                }
                let label = Lowering.label(node)
                var previous = node.inputs[0]
                for (k, input) in node.inputs.dropFirst().enumerated() {
                    let last = k == node.inputs.count - 2
                    let output = last ? node.outputs[0] : unique("\(node.outputs[0])_\(node.opType.lowercased())\(k + 1)")
                    result.append(Node(name: last ? node.name : unique("\(label)_\(k + 1)"), opType: node.opType,
                                       domain: node.domain, inputs: [previous, input], outputs: [output]))
                    previous = output
                }
            }
            nodes = result
            index()
        }

        // MARK: Patterns

        mutating func fuse() {
            for i in nodes.indices {
                guard let node = nodes[i], node.opType == "Mul", isDefaultOperatorDomain(node.domain),
                      node.inputs.count == 2, node.outputs.count == 1 else { continue }
                if fuseSilu(at: i, node) { continue }
                _ = fuseGelu(at: i, node)
            }
        }

        /// The node writing `value` when it is of `opType` (default domain) and `value` is read only once, by the
        /// pattern: such a node may be fused away.
        func inner(_ value: String, _ opType: String) -> (index: Int, node: Node)? {
            guard let p = producer[value], let node = nodes[p], node.opType == opType,
                  isDefaultOperatorDomain(node.domain), node.outputs.count == 1, uses[value] == 1 else { return nil }
            return (p, node)
        }

        /// The value of a float scalar constant (shape [] or [1]).
        func scalar(_ value: String) -> Float? {
            guard let c = graph.initializers[value], c.shape.count <= 1, case .float(let v) = c.storage, v.count == 1
            else { return nil }
            return v[0]
        }

        func isScalar(_ value: String, _ expected: Float) -> Bool {
            guard let v = scalar(value) else { return false }
            return abs(v - expected) <= 1e-6
        }

        mutating func replace(_ root: Int, with node: Node, removing inner: [Int]) {
            nodes[root] = node
            for i in inner { nodes[i] = nil }
        }

        /// Mul(x, Sigmoid(x)) → Silu(x).
        mutating func fuseSilu(at i: Int, _ mul: Node) -> Bool {
            for (s, x) in [(0, 1), (1, 0)] {
                guard let sigmoid = inner(mul.inputs[s], "Sigmoid"), sigmoid.node.inputs == [mul.inputs[x]] else {
                    continue
                }
                replace(i, with: Node(name: mul.name, opType: "Silu", domain: OperatorTable.fusedDomain,
                                      inputs: [mul.inputs[x]], outputs: mul.outputs),
                        removing: [sigmoid.index])
                return true
            }
            return false
        }

        /// 0.5 · x · (1 + Erf(x / √2)) → Gelu(x).
        mutating func fuseGelu(at i: Int, _ root: Node) -> Bool {
            // The product's factors: the root's operands, one of them possibly an inner Mul's two.
            var factors: [String] = []
            var innerNodes: [Int] = []
            for operand in root.inputs {
                if let mul = inner(operand, "Mul"), mul.node.inputs.count == 2, innerNodes.isEmpty {
                    factors += mul.node.inputs
                    innerNodes.append(mul.index)
                } else {
                    factors.append(operand)
                }
            }
            guard factors.count == 3, innerNodes.count == 1 else { return false }
            guard let half = factors.firstIndex(where: { isScalar($0, 0.5) }) else { return false }
            factors.remove(at: half)
            for (a, x) in [(0, 1), (1, 0)] {
                guard let add = inner(factors[a], "Add"), add.node.inputs.count == 2 else { continue }
                let addOperands = add.node.inputs
                guard let one = addOperands.firstIndex(where: { isScalar($0, 1) }),
                      let erf = inner(addOperands[1 - one], "Erf"), erf.node.inputs.count == 1 else { continue }
                let x = factors[x]
                let argument = erf.node.inputs[0]
                var scaling: Int?
                if let div = inner(argument, "Div"), div.node.inputs.count == 2, div.node.inputs[0] == x,
                   isScalar(div.node.inputs[1], Float(2).squareRoot()) {
                    scaling = div.index
                } else if let mul = inner(argument, "Mul"), mul.node.inputs.count == 2,
                          let c = mul.node.inputs.firstIndex(where: { isScalar($0, 1 / Float(2).squareRoot()) }),
                          mul.node.inputs[1 - c] == x {
                    scaling = mul.index
                }
                guard let scaling else { continue }
                replace(i, with: Node(name: root.name, opType: "Gelu", inputs: [x], outputs: root.outputs),
                        removing: innerNodes + [add.index, erf.index, scaling])
                return true
            }
            return false
        }
    }
}
