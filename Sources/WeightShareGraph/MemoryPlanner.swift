/// Ahead-of-time placement of every activation in one arena (TFLite Micro's idea: plan once, never allocate).
///
/// Lifetimes come from the operator order: a tensor lives from the operator that writes it (graph inputs: from
/// the start) to its last reader (graph outputs: to the end). An operator that may run in place
/// (``OperatorKind/allowsInPlace``, the runtime table's `inplace` column) writes over an input of the same size that
/// dies there, when that input is not a graph input or output. Buffers are then placed largest first, each into the smallest gap left by the buffers
/// whose lifetimes overlap its own (greedy best fit). Cost: the sum over buffers of their lifetime length times
/// the buffers live with them, plus sorting (linear in a chain, O(B²) only when every buffer lives with every other).
public struct MemoryPlan: Sendable, Equatable {
    /// Bytes the arena needs.
    public var arenaBytes: Int
    /// Byte offset of every activation tensor.
    public var offsets: [Int: Int]
    /// Sum of all activation sizes (each aligned) — what a planner-less runtime would need.
    public var naiveBytes: Int
    /// Live range (first operator, last operator) of every activation; -1 = before the first operator.
    public var lifetimes: [Int: ClosedRange<Int>]
    /// Tensors that share their producer input's buffer (output → input).
    public var inPlace: [Int: Int]
}

public enum MemoryPlanner {
    /// Offsets are multiples of this (float32 needs 4; 16 leaves room for SIMD loads).
    public static let alignment = 16

    public static func plan(_ model: LoweredModel) -> MemoryPlan {
        let activations = model.tensors.indices.filter { !model.tensors[$0].isConstant }
        let end = model.operations.count
        var first: [Int: Int] = [:]
        var last: [Int: Int] = [:]
        for t in model.inputs { first[t] = -1; last[t] = -1 }
        for (o, operation) in model.operations.enumerated() {
            for case let t? in operation.inputs where !model.tensors[t].isConstant { last[t] = o }
            for t in operation.outputs where first[t] == nil { first[t] = o; last[t] = max(last[t] ?? o, o) }
        }
        for t in model.outputs { last[t] = end }

        // Buffers: each activation starts as its own; in-place outputs join their input's buffer.
        var bufferOf: [Int: Int] = [:]
        var members: [[Int]] = []
        for t in activations {
            bufferOf[t] = members.count
            members.append([t])
        }
        var inPlace: [Int: Int] = [:]
        let protected = Set(model.inputs).union(model.outputs)
        for (o, operation) in model.operations.enumerated() {
            guard operation.kind.allowsInPlace, let output = operation.outputs.first, !protected.contains(output)
            else { continue }
            let size = model.tensors[output].elementCount
            let candidate = operation.inputs.compactMap { $0 }.first { t in
                !model.tensors[t].isConstant && !protected.contains(t) && last[t] == o
                    && model.tensors[t].elementCount == size
            }
            guard let input = candidate, let target = bufferOf[input], let source = bufferOf[output],
                target != source else { continue }
            members[target] += members[source]
            for t in members[source] { bufferOf[t] = target }
            members[source] = []
            inPlace[output] = input
        }

        struct Buffer { var id: Int; var size: Int; var start: Int; var stop: Int }
        let bytes = { (t: Int) in align(4 * model.tensors[t].elementCount) }
        var buffers = members.enumerated().compactMap { id, ts -> Buffer? in
            guard !ts.isEmpty else { return nil }
            return Buffer(id: id, size: ts.map(bytes).max()!, start: ts.map { first[$0] ?? -1 }.min()!,
                          stop: ts.map { last[$0] ?? first[$0] ?? -1 }.max()!)
        }
        buffers.sort { ($0.size, -$0.start, -$0.id) > ($1.size, -$1.start, -$1.id) }

        // The placed buffers live at each step (index step + 1: step -1 is before the first operator), so that a
        // buffer meets only the buffers whose lifetimes overlap its own: the cost follows the lifetimes' total
        // length instead of the number of buffer pairs (a 100 k-operator chain plans in linear time).
        var placed: [(buffer: Buffer, offset: Int)] = []
        var liveAt = [[Int]](repeating: [], count: end + 2)
        var seenBy = [Int](repeating: -1, count: buffers.count)
        for (n, buffer) in buffers.enumerated() {
            var overlapping: [Int] = []
            for step in (buffer.start + 1)...(buffer.stop + 1) {
                for p in liveAt[step] where seenBy[p] != n {
                    seenBy[p] = n
                    overlapping.append(p)
                }
            }
            let busy = overlapping.map { (placed[$0].offset, placed[$0].offset + placed[$0].buffer.size) }
                .sorted { $0 < $1 }
            var best: (offset: Int, gap: Int)? = nil
            var cursor = 0
            for (lo, hi) in busy {
                let gap = lo - cursor
                if gap >= buffer.size && (best == nil || gap < best!.gap) { best = (cursor, gap) }
                cursor = max(cursor, hi)
            }
            for step in (buffer.start + 1)...(buffer.stop + 1) { liveAt[step].append(placed.count) }
            placed.append((buffer, best?.offset ?? cursor))
        }

        var offsets: [Int: Int] = [:]
        for (buffer, offset) in placed {
            for t in members[buffer.id] { offsets[t] = offset }
        }
        let arena = placed.map { $0.offset + $0.buffer.size }.max() ?? 0
        var lifetimes: [Int: ClosedRange<Int>] = [:]
        for t in activations { lifetimes[t] = (first[t] ?? -1)...(last[t] ?? first[t] ?? -1) }
        return MemoryPlan(arenaBytes: arena, offsets: offsets, naiveBytes: activations.map(bytes).reduce(0, +),
                          lifetimes: lifetimes, inPlace: inPlace)
    }

    static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Pairs of activations that are live at the same time and overlap in the arena, except an in-place
    /// output on its own input. Empty for a correct plan.
    public static func conflicts(in plan: MemoryPlan, model: LoweredModel) -> [(Int, Int)] {
        let ts = plan.offsets.keys.sorted()
        var result: [(Int, Int)] = []
        func sameBuffer(_ a: Int, _ b: Int) -> Bool {
            var root = [a, b].map { t -> Int in
                var x = t
                while let next = plan.inPlace[x] { x = next }
                return x
            }
            return root.removeFirst() == root.first!
        }
        for (i, a) in ts.enumerated() {
            for b in ts[(i + 1)...] {
                guard let la = plan.lifetimes[a], let lb = plan.lifetimes[b], la.overlaps(lb) else { continue }
                let ra = plan.offsets[a]!..<(plan.offsets[a]! + 4 * model.tensors[a].elementCount)
                let rb = plan.offsets[b]!..<(plan.offsets[b]! + 4 * model.tensors[b].elementCount)
                if ra.overlaps(rb) && !sameBuffer(a, b) { result.append((a, b)) }
            }
        }
        return result
    }
}

extension OperatorKind {
    /// Element-wise operators whose runtime kernels are correct with the output exactly on an input.
    var allowsInPlace: Bool {
        switch self {
        case .pointwise, .add, .sub, .mul, .div, .softmax, .reshape, .clip, .leakyRelu, .prelu, .hardSigmoid,
             .channelAffine, .elementwise, .powScalar, .select, .logSoftmax, .layerNormalization:
            return true
        case .gemm, .matMul, .conv, .convTranspose, .maxPool, .averagePool, .globalAveragePool, .concat, .transpose,
             .pad, .resize, .reduce, .slice, .gather, .tile, .recurrent:
            return false
        }
    }
}
