import WeightShareCore

/// Shape rules of the operators that move data on run-time tensors (issue 12): Slice, Split, Gather, Expand, Tile,
/// DepthToSpace, SpaceToDepth. They lower to the runtime's Slice, Gather and Tile (`ws_slice.c`), or to Transpose
/// between two reshapes; every option that selects data (starts, split sizes, indices, repeats, shapes) must be a
/// constant once the input shapes are pinned.
extension ShapeInference.Rule {
    /// One dim of a slice: the first index read, the step between two output elements, how many are read.
    struct SliceDim: Equatable {
        var start: Int
        var step: Int
        var count: Int

        /// The indices read, in output order.
        var indices: [Int] { (0..<count).map { start + $0 * step } }
    }

    /// Slice's starts/ends/axes/steps (attributes before opset 10, constant inputs from 10 on) resolved against
    /// `shape` as ONNX does: negative starts and ends count from the end, then both are clamped to [0, dim] for a
    /// positive step and to [-1, dim - 1] for a negative one (so INT64_MAX and INT64_MIN mean "to the end").
    func sliceDims(shape: [Int]) throws -> [SliceDim] {
        let rank = shape.count
        var starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
        if opset < 10 {
            guard let s = try ints("starts"), let e = try ints("ends") else {
                throw error("attributes 'starts' and 'ends' are required")
            }
            (starts, ends, axes, steps) = (s, e, try ints("axes"), nil)
        } else {
            _ = try operands(3...5)
            starts = try constantInts(operands[1]!, what: "starts")
            ends = try constantInts(operands[2]!, what: "ends")
            axes = try optional(3).map { try constantInts($0, what: "axes") }
            steps = try optional(4).map { try constantInts($0, what: "steps") }
        }
        let axisList = try (axes ?? Array(0..<starts.count)).map { try axis($0, rank: rank) }
        let stepList = steps ?? [Int](repeating: 1, count: starts.count)
        guard ends.count == starts.count, axisList.count == starts.count, stepList.count == starts.count,
              Set(axisList).count == axisList.count else {
            throw error("starts \(starts), ends \(ends), axes \(axes ?? []) and steps \(steps ?? []) must have one "
                + "entry per sliced axis, each axis once")
        }
        var dims = shape.map { SliceDim(start: 0, step: 1, count: $0) }
        for (j, a) in axisList.enumerated() {
            let n = shape[a], step = stepList[j]
            guard step != 0 else { throw error("the step of axis \(a) is 0") }
            var s = starts[j] < 0 ? starts[j] + n : starts[j]
            var e = ends[j] < 0 ? ends[j] + n : ends[j]
            let count: Int
            if step > 0 {
                s = min(max(s, 0), n)
                e = min(max(e, 0), n)
                count = e > s ? (e - s - 1) / step + 1 : 0
            } else {
                s = min(max(s, -1), n - 1)
                e = min(max(e, -1), n - 1)
                count = s > e ? (s - e - 1) / -step + 1 : 0
            }
            // A dim read once takes no step: the runtime wants |step| < 2^31, and any step reads the same element.
            dims[a] = SliceDim(start: count > 0 ? s : 0, step: count > 1 ? step : 1, count: count)
        }
        return dims
    }

    /// The runtime Slice of `x` over `dims`, or a copy when it takes the whole tensor in order.
    func sliceOperation(_ x: Operand, _ dims: [SliceDim], what: String) throws -> Inferred {
        let shape = dims.map(\.count)
        if let empty = shape.firstIndex(of: 0) {
            throw error("\(what) is empty along axis \(empty) (shape \(shape)); WeightShare tensors have no empty "
                + "dimension")
        }
        guard dims.allSatisfy({ abs($0.step) <= Int(Int32.max) }) else {
            throw error("\(what) has a step beyond ±\(Int32.max)")
        }
        if shape == x.shape && dims.allSatisfy({ $0.step == 1 }) {
            return Inferred(kind: .reshape, dataInputs: [0], outputShape: shape)
        }
        return Inferred(kind: .slice(starts: dims.map(\.start), steps: dims.map(\.step)), dataInputs: [0],
                        outputShape: shape)
    }

    func slice() throws -> Inferred {
        let x = try operands(opset < 10 ? 1...1 : 3...5)[0]!
        guard !x.shape.isEmpty else { throw error("its input '\(x.name)' is a scalar") }
        return try sliceOperation(x, try sliceDims(shape: x.shape), what: "the slice")
    }

    /// Split: one runtime Slice per output along `axis` (each a copy of its part; outputs no node reads are left
    /// out by the caller). Sizes from the `split` attribute (opset < 13) or constant input (13+), from
    /// `num_outputs` (18+: parts of ceil(dim / n), the last one smaller), else equal parts, one per output.
    func split() throws -> [(output: String, inferred: Inferred)] {
        let x = try operands(1...2)[0]!
        let rank = x.shape.count
        guard rank > 0 else { throw error("its input '\(x.name)' is a scalar") }
        let a = try axis(try int("axis", default: 0), rank: rank)
        let n = x.shape[a]
        let outputs = node.outputs
        var sizes: [Int]
        if let s = optional(1) {
            sizes = try constantInts(s, what: "split")
        } else if let s = try ints("split") {
            sizes = s
        } else if node.attributes["num_outputs"] != nil {
            let parts = try int("num_outputs", default: 0)
            guard parts >= 1, parts == outputs.count else {
                throw error("num_outputs is \(parts), but the node has \(outputs.count) outputs")
            }
            let chunk = (n + parts - 1) / parts
            sizes = (0..<parts).map { max(0, min(chunk, n - $0 * chunk)) }
        } else {
            guard n % outputs.count == 0 else {
                throw error("axis \(a) of its input \(x.shape) (\(n)) does not split into \(outputs.count) equal parts; "
                    + "give 'split' sizes")
            }
            sizes = [Int](repeating: n / outputs.count, count: outputs.count)
        }
        guard sizes.count == outputs.count else {
            throw error("split \(sizes) has \(sizes.count) sizes for \(outputs.count) outputs")
        }
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == n else {
            throw error("split \(sizes) must be non-negative sizes that add up to axis \(a) of its input \(x.shape) "
                + "(\(n))")
        }
        var start = 0
        var result: [(output: String, inferred: Inferred)] = []
        for (k, size) in sizes.enumerated() {
            var dims = x.shape.map { SliceDim(start: 0, step: 1, count: $0) }
            dims[a] = SliceDim(start: start, step: 1, count: size)
            start += size
            guard !outputs[k].isEmpty else { continue }
            result.append((outputs[k], try sliceOperation(x, dims, what: "output \(k) ('\(outputs[k])')")))
        }
        return result
    }

    /// Gather with constant indices (negative ones count from the end). One index or evenly spaced ones become a
    /// Slice, others the runtime Gather; a reshape then gives Y the indices' shape in place of the axis (a scalar
    /// index removes it).
    func gather() throws -> Inferred {
        let ops = try operands(2...2)
        let x = ops[0]!, indicesOperand = ops[1]!
        let rank = x.shape.count
        guard rank >= 1 else { throw error("its data '\(x.name)' is a scalar") }
        let a = try axis(try int("axis", default: 0), rank: rank)
        guard let constant = indicesOperand.constant else {
            throw error("its indices '\(indicesOperand.name)' are computed at run time; WeightShare supports Gather "
                + "with constant indices only (an initializer, a Constant node or shape arithmetic on pinned input "
                + "shapes)")
        }
        guard case .int64(let raw) = constant.storage else {
            throw error("its indices '\(indicesOperand.name)' must be an integer tensor")
        }
        let n = x.shape[a]
        let indices = try raw.map { v -> Int in
            let i = v < 0 ? v + Int64(n) : v
            guard i >= 0 && i < Int64(n) else {
                throw error("index \(v) is out of range for axis \(a) of its data \(x.shape) (size \(n))")
            }
            return Int(i)
        }
        guard !indices.isEmpty else { throw error("it has no indices; WeightShare tensors have no empty dimension") }
        let outputShape = Array(x.shape[..<a]) + constant.shape + Array(x.shape[(a + 1)...])
        var operationShape = x.shape
        operationShape[a] = indices.count
        var inferred: Inferred
        let step = indices.count > 1 ? indices[1] - indices[0] : 1
        if step != 0, indices.indices.allSatisfy({ indices[$0] == indices[0] + $0 * step }) {
            var dims = x.shape.map { SliceDim(start: 0, step: 1, count: $0) }
            dims[a] = SliceDim(start: indices[0], step: step, count: indices.count)
            inferred = try sliceOperation(x, dims, what: "the gather")
        } else {
            inferred = Inferred(kind: .gather(axis: a, indices: indices), dataInputs: [0], outputShape: operationShape)
        }
        if operationShape != outputShape {
            inferred.operationShape = operationShape
            inferred.outputShape = outputShape
        }
        return inferred
    }

    /// Tile with constant repeats (one per dim, ≥ 1): the runtime Tile.
    func tile() throws -> Inferred {
        let ops = try operands(2...2)
        let x = ops[0]!
        let repeats = try constantInts(ops[1]!, what: "repeats")
        guard repeats.count == x.shape.count else {
            throw error("repeats \(repeats) must have one entry per dim of its input \(x.shape)")
        }
        guard repeats.allSatisfy({ $0 >= 1 }) else {
            throw error("repeats \(repeats) must be at least 1 (WeightShare tensors have no empty dimension)")
        }
        let output = zip(x.shape, repeats).map { $0 * $1 }
        guard ShapeInference.elementCount(output) != nil else { throw error("its output \(output) is too large") }
        if repeats.allSatisfy({ $0 == 1 }) { return Inferred(kind: .reshape, dataInputs: [0], outputShape: output) }
        return Inferred(kind: .tile, dataInputs: [0], outputShape: output)
    }

    /// Expand to a constant shape, broadcast both ways (NumPy): the runtime Tile repeats X's dims of 1.
    func expand() throws -> Inferred {
        let ops = try operands(2...2)
        let x = ops[0]!
        let shape = try constantInts(ops[1]!, what: "shape")
        guard let output = ShapeInference.broadcast(x.shape, shape) else {
            throw error("its input \(x.shape) does not broadcast to the shape \(shape)")
        }
        guard output.allSatisfy({ $0 >= 1 }) else {
            throw error("its output \(output) has an empty or negative dimension")
        }
        guard ShapeInference.elementCount(output) != nil else { throw error("its output \(output) is too large") }
        if output == x.shape { return Inferred(kind: .reshape, dataInputs: [0], outputShape: output) }
        return Inferred(kind: .tile, dataInputs: [0], outputShape: output)
    }

    /// DepthToSpace (DCR or CRD) as a 6-D Transpose between two reshapes (no extra copy when the reshapes run in
    /// place): DCR views [N, C, H, W] as [N, b, b, C/b², H, W], CRD as [N, C/b², b, b, H, W].
    func depthToSpace() throws -> Inferred {
        let x = try operands(1...1)[0]!
        guard x.shape.count == 4 else { throw error("its input \(x.shape) must be 4-D [N, C, H, W]") }
        let b = try int("blocksize", default: 0)
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        guard b >= 1, c % (b * b) == 0 else {
            throw error("blocksize \(b) must be at least 1 with its square dividing the \(c) channels")
        }
        let mode = try string("mode", default: "DCR")
        let view: [Int], perm: [Int]
        switch mode {
        case "DCR": (view, perm) = ([n, b, b, c / (b * b), h, w], [0, 3, 4, 1, 5, 2])
        case "CRD": (view, perm) = ([n, c / (b * b), b, b, h, w], [0, 1, 4, 2, 5, 3])
        default: throw error("mode '\(mode)' is not DCR or CRD")
        }
        var inferred = Inferred(kind: .transpose(perm: perm), dataInputs: [0],
                                outputShape: [n, c / (b * b), h * b, w * b])
        inferred.inputViews = [0: view]
        inferred.operationShape = perm.map { view[$0] }
        return inferred
    }

    /// SpaceToDepth as a 6-D Transpose between two reshapes: [N, C, H/b, b, W/b, b] → [N, b, b, C, H/b, W/b].
    func spaceToDepth() throws -> Inferred {
        let x = try operands(1...1)[0]!
        guard x.shape.count == 4 else { throw error("its input \(x.shape) must be 4-D [N, C, H, W]") }
        let b = try int("blocksize", default: 0)
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        guard b >= 1, h % b == 0, w % b == 0 else {
            throw error("blocksize \(b) must be at least 1 and divide the height \(h) and width \(w)")
        }
        let view = [n, c, h / b, b, w / b, b], perm = [0, 3, 5, 1, 2, 4]
        var inferred = Inferred(kind: .transpose(perm: perm), dataInputs: [0], outputShape: [n, c * b * b, h / b, w / b])
        inferred.inputViews = [0: view]
        inferred.operationShape = perm.map { view[$0] }
        return inferred
    }
}
