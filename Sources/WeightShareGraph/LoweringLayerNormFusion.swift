import WeightShareCore

extension Lowering {
    /// LayerNormalization before shape inference:
    /// - a LayerNormalization node's Mean and InvStdDev outputs must be unused (the runtime computes Y only); unused
    ///   ones are dropped;
    /// - the written-out LayerNorm that exporters emit (torch's `F.layer_norm` decomposed, or a hand-written one)
    ///   becomes one LayerNormalization node:
    ///   `m = ReduceMean(x, axes)`, `d = Sub(x, m)`, `p = Pow(d, 2)` (or `Mul(d, d)`), `v = ReduceMean(p, axes)`,
    ///   `s = Sqrt(Add(v, ε))`, `n = Div(d, s)`, then optionally `Mul(n, γ)` and `Add(·, β)` with constant γ, β.
    ///   Both ReduceMeans keep dims and take the same axes, the trailing ones given as negative numbers
    ///   ([-1], [-2, -1], ...: the input's rank is not known yet); ε and the exponent are constant scalars; every
    ///   intermediate value has no other consumer and is not a graph output. Anything else is left as it is.
    static func prepareLayerNorms(_ graph: Graph) throws -> Graph {
        var graph = graph
        let graphOutputs = Set(graph.outputs.map(\.name))
        var consumers: [String: [Int]] = [:]
        var producer: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() {
            for input in node.inputs where !input.isEmpty { consumers[input, default: []].append(i) }
            for output in node.outputs where !output.isEmpty { producer[output] = i }
        }
        for i in graph.nodes.indices where graph.nodes[i].opType == "LayerNormalization"
            && isDefaultOperatorDomain(graph.nodes[i].domain)
        {
            let node = graph.nodes[i]
            for output in node.outputs.dropFirst() where !output.isEmpty {
                guard consumers[output] == nil, !graphOutputs.contains(output) else {
                    throw LoweringError.invalidNode(
                        node: label(node), opType: node.opType,
                        reason: "its output '\(output)' (Mean or InvStdDev) is used; WeightShare computes only Y")
                }
            }
            graph.nodes[i].outputs = Array(node.outputs.prefix(1))
        }

        let matcher = LayerNormMatcher(graph: graph, consumers: consumers, producer: producer,
                                       graphOutputs: graphOutputs)
        var removed = Set<Int>()
        var replacements: [Int: Node] = [:]
        var taken = Set(graph.initializers.keys).union(producer.keys).union(graph.inputs.map(\.name))
        for i in graph.nodes.indices where !removed.contains(i) {
            guard let match = matcher.match(at: i), match.nodes.allSatisfy({ !removed.contains($0) }) else { continue }
            var scale = match.scale
            if scale == nil {
                var name = graph.nodes[i].name.isEmpty ? "layer_norm_scale" : graph.nodes[i].name + "_scale"
                while taken.contains(name) { name += "_" }
                taken.insert(name)
                graph.initializers[name] = ConstantTensor(shape: [1], floats: [1])
                scale = name
            }
            let first = graph.nodes[i]
            let fused = Node(name: first.name.isEmpty ? label(first) : first.name, opType: "LayerNormalization",
                             inputs: [match.x, scale!] + (match.bias.map { [$0] } ?? []), outputs: [match.output],
                             attributes: ["axis": .int(-match.axisCount), "epsilon": .float(match.epsilon)])
            removed.formUnion(match.nodes)
            replacements[match.nodes.max()!] = fused
        }
        guard !removed.isEmpty else { return graph }
        var nodes: [Node] = []
        for (i, node) in graph.nodes.enumerated() {
            if let fused = replacements[i] { nodes.append(fused) } else if !removed.contains(i) { nodes.append(node) }
        }
        graph.nodes = nodes
        return graph
    }
}

/// Finds the written-out LayerNorm starting at a ReduceMean (see ``Lowering/prepareLayerNorms(_:)``).
struct LayerNormMatcher {
    let graph: Graph
    let consumers: [String: [Int]]
    let producer: [String: Int]
    let graphOutputs: Set<String>

    struct Match {
        var x: String
        var scale: String?
        var bias: String?
        var output: String
        var epsilon: Float
        var axisCount: Int
        /// Every matched node (indices into the graph's nodes).
        var nodes: [Int]
    }

    private func node(_ i: Int, is opType: String) -> Node? {
        let n = graph.nodes[i]
        guard n.opType == opType, isDefaultOperatorDomain(n.domain), n.outputs.count == 1, !n.outputs[0].isEmpty
        else { return nil }
        return n
    }

    /// The only consumer of `value`, when it has exactly one and is not a graph output.
    private func soleConsumer(of value: String) -> Int? {
        guard !graphOutputs.contains(value), let users = consumers[value], users.count == 1 else { return nil }
        return users[0]
    }

    /// A float constant with one element.
    private func scalar(_ name: String) -> Float? {
        guard let c = graph.initializers[name], case .float = c.storage, c.floats.count == 1,
              c.shape.allSatisfy({ $0 == 1 }) else { return nil }
        return c.floats[0]
    }

    /// A float constant of at most `rank` dims (so that it broadcasts within the normalised dims only).
    private func parameter(_ name: String, rank: Int) -> Bool {
        guard let c = graph.initializers[name], case .float = c.storage else { return false }
        return c.shape.count <= rank
    }

    /// The ReduceMean's axes when they are the trailing ones as negative numbers ([-k, ..., -1]), and it keeps dims.
    private func trailingAxes(_ n: Node) -> [Int]? {
        if case .int(let k)? = n.attributes["keepdims"], k != 1 { return nil }
        if case .int(let e)? = n.attributes["noop_with_empty_axes"], e != 0 { return nil }
        var axes: [Int]
        switch (n.attributes["axes"], n.inputs.count > 1 ? n.inputs[1] : "") {
        case (.ints(let a)?, ""): axes = a
        case (nil, let input) where !input.isEmpty:
            guard let c = graph.initializers[input], case .int64(let a) = c.storage else { return nil }
            axes = a.map { Int(clamping: $0) }
        default: return nil
        }
        axes.sort()
        guard !axes.isEmpty, axes == Array((-axes.count)...(-1)) else { return nil }
        return axes
    }

    func match(at i: Int) -> Match? {
        guard let mean = node(i, is: "ReduceMean"), let axes = trailingAxes(mean), !mean.inputs[0].isEmpty else {
            return nil
        }
        let x = mean.inputs[0]
        // d = x - mean
        guard let iSub = soleConsumer(of: mean.outputs[0]), let sub = node(iSub, is: "Sub"),
              sub.inputs == [x, mean.outputs[0]] else { return nil }
        let d = sub.outputs[0]
        // d² by Pow(d, 2) or Mul(d, d), and Div(d, ·): d has exactly these two consumers.
        guard !graphOutputs.contains(d), let users = consumers[d], Set(users).count == 2 else { return nil }
        var iSquare: Int?, iDiv: Int?
        for u in Set(users) {
            if let p = node(u, is: "Pow"), p.inputs.count == 2, p.inputs[0] == d, scalar(p.inputs[1]) == 2 {
                iSquare = u
            } else if let m = node(u, is: "Mul"), m.inputs == [d, d] {
                iSquare = u
            } else if let v = node(u, is: "Div"), v.inputs.count == 2, v.inputs[0] == d {
                iDiv = u
            }
        }
        guard let iSquare, let iDiv else { return nil }
        let square = graph.nodes[iSquare], div = graph.nodes[iDiv]
        if square.opType == "Mul" && users.count != 3 { return nil } // Mul(d, d) lists d twice
        if square.opType == "Pow" && users.count != 2 { return nil }
        // var = ReduceMean(d², same axes); s = Sqrt(var + ε); n = d / s
        guard let iVar = soleConsumer(of: square.outputs[0]), let variance = node(iVar, is: "ReduceMean"),
              variance.inputs[0] == square.outputs[0], trailingAxes(variance) == axes,
              let iAdd = soleConsumer(of: variance.outputs[0]), let add = node(iAdd, is: "Add"), add.inputs.count == 2,
              add.inputs.contains(variance.outputs[0]),
              let epsilon = scalar(add.inputs[0] == variance.outputs[0] ? add.inputs[1] : add.inputs[0]),
              let iSqrt = soleConsumer(of: add.outputs[0]), let sqrt = node(iSqrt, is: "Sqrt"),
              sqrt.inputs == [add.outputs[0]], div.inputs[1] == sqrt.outputs[0],
              soleConsumer(of: sqrt.outputs[0]) == iDiv else { return nil }
        var result = Match(x: x, scale: nil, bias: nil, output: div.outputs[0], epsilon: epsilon,
                           axisCount: axes.count, nodes: [i, iSub, iSquare, iVar, iAdd, iSqrt, iDiv])
        // Optional Mul(n, γ) and then Add(·, β), γ and β constants of the normalised dims.
        guard let iMul = soleConsumer(of: div.outputs[0]), let mul = node(iMul, is: "Mul"), mul.inputs.count == 2
        else { return result }
        let gamma = mul.inputs[0] == div.outputs[0] ? mul.inputs[1] : mul.inputs[0]
        guard mul.inputs.contains(div.outputs[0]), gamma != div.outputs[0], parameter(gamma, rank: axes.count)
        else { return result }
        result.scale = gamma
        result.output = mul.outputs[0]
        result.nodes.append(iMul)
        guard let iBias = soleConsumer(of: mul.outputs[0]), let addBias = node(iBias, is: "Add"),
              addBias.inputs.count == 2, addBias.inputs.contains(mul.outputs[0]) else { return result }
        let beta = addBias.inputs[0] == mul.outputs[0] ? addBias.inputs[1] : addBias.inputs[0]
        guard beta != mul.outputs[0], parameter(beta, rank: axes.count) else { return result }
        result.bias = beta
        result.output = addBias.outputs[0]
        result.nodes.append(iBias)
        return result
    }
}
