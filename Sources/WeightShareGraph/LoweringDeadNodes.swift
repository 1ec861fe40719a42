import WeightShareCore
extension Lowering {
    /// Keeps only the nodes whose outputs (transitively) reach a graph output, in file order.
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
            for input in graph.nodes[index].inputs where !input.isEmpty && seen.insert(input).inserted {
                pending.append(input)
            }
        }
        var graph = graph
        graph.nodes = graph.nodes.indices.filter(live.contains).map { graph.nodes[$0] }
        return graph
    }
}
