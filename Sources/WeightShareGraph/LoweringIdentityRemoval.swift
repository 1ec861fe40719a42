import WeightShareCore
extension Lowering {
    /// Removes `Identity` and `Dropout` nodes (Dropout is the identity at inference), rewiring their consumers to
    /// the node's input.
    ///
    /// When the removed node's output is a graph output, the output name must survive: the value it copies is
    /// renamed to the output's name instead (the producing node now writes the graph output directly). Where that
    /// is impossible — the copied value is a graph input, a constant, or itself a graph output — the node stays as
    /// an `Identity`, which lowers to a copy (`.reshape` with the same shape).
    static func removeIdentities(_ graph: Graph) throws -> Graph {
        var graph = graph
        let graphOutputs = Set(graph.outputs.map(\.name))
        let graphInputs = Set(graph.inputs.map(\.name))
        var keptIdentities = Set<Int>()  // indices (in the current node list) of copies that must stay

        func isRemovable(_ node: Node) -> Bool {
            isDefaultOperatorDomain(node.domain) && (node.opType == "Identity" || node.opType == "Dropout")
        }

        while let index = graph.nodes.indices.first(where: { isRemovable(graph.nodes[$0]) && !keptIdentities.contains($0) }) {
            let node = graph.nodes[index]
            guard let source = node.inputs.first, !source.isEmpty,
                  let target = node.outputs.first, !target.isEmpty else {
                throw LoweringError.invalidNode(node: label(node), opType: node.opType,
                                                reason: "it needs an input and an output")
            }
            // Opset 12+: a training_mode input (bool, read as a 0/1 mask) that is not a constant false drops at random.
            if node.opType == "Dropout", node.inputs.count > 2, !node.inputs[2].isEmpty,
               graph.initializers[node.inputs[2]].map({ $0.floats.allSatisfy { $0 == 0 } }) != true {
                throw LoweringError.invalidNode(
                    node: label(node), opType: "Dropout",
                    reason: "its training_mode '\(node.inputs[2])' is not a constant false; only inference Dropout is "
                        + "supported")
            }
            if node.opType == "Dropout", node.outputs.count > 1, !node.outputs[1].isEmpty {
                let mask = node.outputs[1]
                if graphOutputs.contains(mask) || graph.nodes.contains(where: { $0.inputs.contains(mask) }) {
                    throw LoweringError.invalidNode(
                        node: label(node), opType: "Dropout",
                        reason: "its mask output '\(mask)' is used; only inference Dropout (output 0) is supported")
                }
            }

            if graphOutputs.contains(target) {
                let producedByNode = graph.nodes.contains { $0.outputs.contains(source) }
                let canRename = producedByNode && !graphOutputs.contains(source) && !graphInputs.contains(source)
                    && graph.initializers[source] == nil
                if !canRename {
                    // Keep it as a plain copy.
                    graph.nodes[index] = Node(name: node.name, opType: "Identity", inputs: [source],
                                              outputs: [target])
                    keptIdentities.insert(index)
                    continue
                }
                graph.nodes.remove(at: index)
                keptIdentities = Set(keptIdentities.map { $0 > index ? $0 - 1 : $0 })
                rename(source, to: target, in: &graph.nodes)
            } else {
                graph.nodes.remove(at: index)
                keptIdentities = Set(keptIdentities.map { $0 > index ? $0 - 1 : $0 })
                for i in graph.nodes.indices {
                    graph.nodes[i].inputs = graph.nodes[i].inputs.map { $0 == target ? source : $0 }
                }
            }
        }
        return graph
    }

    /// Renames a value everywhere it is produced or read.
    private static func rename(_ old: String, to new: String, in nodes: inout [Node]) {
        for i in nodes.indices {
            nodes[i].inputs = nodes[i].inputs.map { $0 == old ? new : $0 }
            nodes[i].outputs = nodes[i].outputs.map { $0 == old ? new : $0 }
        }
    }
}
