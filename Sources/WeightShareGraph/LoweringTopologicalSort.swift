import WeightShareCore
extension Lowering {
    /// The nodes in execution order: Kahn's algorithm, taking among the ready nodes always the earliest in the
    /// file, so an already sorted graph keeps its order.
    ///
    /// Also checks that every value read is defined exactly once (graph input, constant or node output), and
    /// that every graph output is defined.
    static func topologicallySorted(_ graph: Graph) throws -> [Node] {
        let nodes = graph.nodes
        var defined = Set(graph.inputs.map(\.name))
        for name in graph.initializers.keys where !defined.insert(name).inserted {
            throw LoweringError.duplicateValue(value: name)
        }
        var producer: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                guard !defined.contains(output), producer.updateValue(index, forKey: output) == nil else {
                    throw LoweringError.duplicateValue(value: output)
                }
            }
        }
        for output in graph.outputs where !defined.contains(output.name) && producer[output.name] == nil {
            throw LoweringError.undefinedValue(node: "graph output", value: output.name)
        }

        var successors = [[Int]](repeating: [], count: nodes.count)
        var indegree = [Int](repeating: 0, count: nodes.count)
        for (index, node) in nodes.enumerated() {
            var predecessors = Set<Int>()
            for input in node.inputs where !input.isEmpty {
                if let p = producer[input] {
                    predecessors.insert(p)
                } else if !defined.contains(input) {
                    throw LoweringError.undefinedValue(node: label(node), value: input)
                }
            }
            indegree[index] = predecessors.count
            for p in predecessors { successors[p].append(index) }
        }

        var ready = MinHeap(nodes.indices.filter { indegree[$0] == 0 })
        var order: [Node] = []
        order.reserveCapacity(nodes.count)
        while let index = ready.popMin() {
            order.append(nodes[index])
            for s in successors[index] {
                indegree[s] -= 1
                if indegree[s] == 0 { ready.insert(s) }
            }
        }
        guard order.count == nodes.count else {
            let stuck = nodes.indices.filter { indegree[$0] > 0 }.map { label(nodes[$0]) }
            throw LoweringError.cycle(nodes: stuck)
        }
        return order
    }
}

/// A binary min-heap of node indices.
private struct MinHeap {
    private var items: [Int] = []

    init(_ values: [Int]) {
        for v in values { insert(v) }
    }

    mutating func insert(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count, items[left] < items[smallest] { smallest = left }
                if right < items.count, items[right] < items[smallest] { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
