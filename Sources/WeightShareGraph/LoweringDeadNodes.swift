import WeightShareCore
extension Lowering {
    /// Keeps only the nodes whose outputs (transitively) reach a graph output, in file order. A node with
    /// subgraphs (`If`) reads what its branches' nodes read, as well as its own inputs.
    static func removeDeadNodes(_ graph: Graph) throws -> Graph {
        var producer: [String: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                guard producer.updateValue(index, forKey: output) == nil else {
                    throw LoweringError.duplicateValue(value: output)
                }
            }
        }
        var live = Set<Int>()
        var pending = graph.outputs.map(\.name)
        var seen = Set(pending)
        while let value = pending.popLast() {
            guard let index = producer[value], live.insert(index).inserted else { continue }
            for input in reads(graph.nodes[index]) where !input.isEmpty && seen.insert(input).inserted {
                pending.append(input)
            }
        }
        var graph = graph
        graph.nodes = graph.nodes.indices.filter(live.contains).map { graph.nodes[$0] }
        return graph
    }

    /// The values `node` reads: its inputs and every input of a node in its subgraphs (names a branch defines
    /// itself match no producer outside it, so listing them too is harmless).
    static func reads(_ node: Node) -> [String] {
        var names = node.inputs
        var pending = Array(node.attributes.values)
        while let value = pending.popLast() {
            guard case .graph(let branch) = value else { continue }
            for inner in branch.nodes {
                names += inner.inputs
                pending += inner.attributes.values
            }
            names += branch.outputs.map(\.name)
        }
        return names
    }
}
