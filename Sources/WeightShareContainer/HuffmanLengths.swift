/// Code lengths of a canonical, length-limited Huffman code over the codebook indices. Used for size
/// accounting (the paper reports CR with Huffman-coded index bits); the container's Huffman encoding comes later.
public enum HuffmanLengths {
    /// Longest code allowed; keeps a table-driven decoder small on a microcontroller.
    public static let maximumLength = 16

    /// Code length of every symbol (0 for symbols that never occur). A single used symbol gets length 1.
    public static func lengths(frequencies: [Int], limit: Int = maximumLength) -> [Int] {
        let used = frequencies.indices.filter { frequencies[$0] > 0 }
        var lengths = [Int](repeating: 0, count: frequencies.count)
        if used.count == 1 { lengths[used[0]] = 1 }
        if used.count <= 1 { return lengths }
        precondition(used.count <= 1 << limit, "too many symbols for \(limit)-bit codes")

        // Huffman tree by repeatedly joining the two lightest nodes; ties broken by node id for determinism.
        struct Item { var weight: Int; var id: Int }
        var parent = [Int](repeating: -1, count: 2 * used.count - 1)
        var heap = used.enumerated().map { Item(weight: frequencies[$0.element], id: $0.offset) }
        func less(_ a: Item, _ b: Item) -> Bool { a.weight != b.weight ? a.weight < b.weight : a.id < b.id }
        var nextID = used.count
        while heap.count > 1 {
            heap.sort { less($1, $0) }  // lightest last; N ≤ a few thousand symbols, so sorting is fine
            let a = heap.removeLast(), b = heap.removeLast()
            parent[a.id] = nextID
            parent[b.id] = nextID
            heap.append(Item(weight: a.weight + b.weight, id: nextID))
            nextID += 1
        }
        var depth = [Int](repeating: 0, count: used.count)
        for leaf in 0..<used.count {
            var node = leaf
            while parent[node] >= 0 {
                depth[leaf] += 1
                node = parent[node]
            }
        }
        // Limit lengths: clamp, then lengthen the longest codes below the limit until Kraft's sum fits
        // (the usual heuristic of zlib/JPEG encoders; optimal enough for accounting).
        var clamped = depth.map { Swift.min($0, limit) }
        func kraft() -> Int { clamped.reduce(0) { $0 + (1 << (limit - $1)) } }
        while kraft() > 1 << limit {
            // Lengthen the least frequent symbol whose code is still shorter than the limit.
            let candidates = clamped.indices.filter { clamped[$0] < limit }
            let pick = candidates.min { frequencies[used[$0]] != frequencies[used[$1]]
                ? frequencies[used[$0]] < frequencies[used[$1]] : clamped[$0] > clamped[$1] }!
            clamped[pick] += 1
        }
        for (i, symbol) in used.enumerated() { lengths[symbol] = clamped[i] }
        return lengths
    }

    /// Total bits of the index stream under the code.
    public static func totalBits(frequencies: [Int], limit: Int = maximumLength) -> Int {
        zip(frequencies, lengths(frequencies: frequencies, limit: limit)).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
