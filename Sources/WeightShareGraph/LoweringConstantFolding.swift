import Foundation
import WeightShareCore

/// Compile-time evaluation of nodes whose inputs are all constants: the shape arithmetic exporters emit
/// (Shape → Gather → Unsqueeze → Concat → Reshape, Cast, Range, ConstantOfShape, Slice) and element-wise
/// arithmetic on constants, on int64 and float tensors.
enum ConstantFolding {
    /// Operators folded when every input is a constant (Shape: whenever its input's shape is known).
    static let foldable: Set<String> = [
        "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Range", "ConstantOfShape", "Slice", "Reshape",
        "Flatten", "Transpose", "Add", "Sub", "Mul", "Div", "Identity", "Size",
        // On integer constants only (conditions of shape code: "is the sequence longer than …"); on floats they
        // are runtime operators.
        "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not",
    ]

    /// The node's value, or nil when it is not foldable (an input is computed at run time).
    static func fold(_ node: Node, operands: [ShapeInference.Operand?], opset: Int) throws -> ConstantTensor? {
        guard isDefaultOperatorDomain(node.domain), foldable.contains(node.opType),
              node.outputs.count == 1 || node.outputs.dropFirst().allSatisfy(\.isEmpty) else { return nil }
        let present = operands.compactMap { $0 }
        let rule = ShapeInference.Rule(node: node, operands: operands, opset: opset)
        if node.opType == "Shape" {
            guard operands.count == 1, let x = operands[0] else { throw rule.error("it needs one input") }
            let rank = x.shape.count
            func clampAxis(_ a: Int) -> Int { min(max(a < 0 ? a + rank : a, 0), rank) }
            let start = clampAxis(try rule.int("start", default: 0))
            let end = clampAxis(try rule.int("end", default: rank))
            let dims = start < end ? Array(x.shape[start..<end]) : []
            return ConstantTensor(shape: [dims.count], int64s: dims.map { Int64($0) })
        }
        if node.opType == "Size" {
            guard operands.count == 1, let x = operands[0] else { throw rule.error("it needs one input") }
            return ConstantTensor(shape: [], int64s: [Int64(x.shape.reduce(1, *))])
        }
        guard present.allSatisfy({ $0.constant != nil }) else { return nil }
        let values = present.map { $0.constant! }
        if let compare = integerComparisons[node.opType] {
            let ints = values.compactMap { v -> [Int64]? in if case .int64(let i) = v.storage { return i } else { return nil } }
            guard ints.count == values.count, (1...2).contains(values.count) else { return nil }
            if values.count == 1 {
                guard node.opType == "Not" else { throw rule.error("it needs two inputs") }
                return ConstantTensor(shape: values[0].shape, int64s: ints[0].map { $0 == 0 ? 1 : 0 })
            }
            guard let shape = ShapeInference.broadcast(values[0].shape, values[1].shape) else {
                throw rule.error("the shapes \(values[0].shape) and \(values[1].shape) do not broadcast")
            }
            let ia = broadcastIndices(values[0].shape, to: shape), ib = broadcastIndices(values[1].shape, to: shape)
            return ConstantTensor(shape: shape, int64s: zip(ia, ib).map { compare(ints[0][$0], ints[1][$1]) ? 1 : 0 })
        }

        switch node.opType {
        case "Identity":
            return values.first
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze":
            let inferred = try rule.infer()
            return ConstantTensor(shape: inferred.outputShape, storage: values[0].storage)
        case "Transpose":
            let inferred = try rule.infer()
            var perm = Array(0..<values[0].shape.count)
            if case .transpose(let p) = inferred.kind { perm = p }
            let x = values[0]
            let map = gatherIndices(shape: x.shape, perm: perm)
            return ConstantTensor(shape: inferred.outputShape, storage: pick(x.storage, map))
        case "Concat":
            let inferred = try rule.infer()
            guard case .concat(let axis) = inferred.kind else { return nil }
            let asFloat = values.contains { if case .float = $0.storage { return true } else { return false } }
            let outer = values[0].shape[..<axis].reduce(1, *)
            var floats: [Float] = [], ints: [Int64] = []
            for o in 0..<outer {
                for v in values {
                    let chunk = v.shape[axis...].reduce(1, *)
                    let range = (o * chunk)..<((o + 1) * chunk)
                    if asFloat { floats += v.floats[range] } else { ints += v.int64s[range] }
                }
            }
            return asFloat ? ConstantTensor(shape: inferred.outputShape, floats: floats)
                           : ConstantTensor(shape: inferred.outputShape, int64s: ints)
        case "Add", "Sub", "Mul", "Div":
            let inferred = try rule.infer()
            return try arithmetic(node.opType, values[0], values[1], shape: inferred.outputShape, rule: rule)
        case "Cast":
            let to = try rule.int("to", default: 1)
            switch to {
            case 1, 10, 11, 16: return ConstantTensor(shape: values[0].shape, floats: values[0].floats)
            case 2, 3, 4, 5, 6, 7, 12, 13:
                let v: [Int64]
                switch values[0].storage {
                case .int64(let i): v = i
                case .float(let f):
                    guard f.allSatisfy({ $0.isFinite && abs($0) < 9.2e18 }) else {
                        throw rule.error("it casts non-finite or huge floats to an integer type")
                    }
                    v = f.map { Int64($0.rounded(.towardZero)) }
                }
                return ConstantTensor(shape: values[0].shape, int64s: v)
            case 9: return ConstantTensor(shape: values[0].shape, int64s: values[0].floats.map { $0 != 0 ? 1 : 0 })
            default: throw rule.error("it casts to ONNX type \(to), which WeightShare does not support")
            }
        case "Gather":
            return try gather(values, rule: rule)
        case "Range":
            guard values.count == 3, values.allSatisfy({ $0.elementCount == 1 }) else {
                throw rule.error("start, limit and delta must be three scalars")
            }
            if case .int64 = values[0].storage {
                let (start, limit, delta) = (values[0].int64s[0], values[1].int64s[0], values[2].int64s[0])
                guard delta != 0 else { throw rule.error("delta is 0") }
                let count = max(0, Int((Double(limit - start) / Double(delta)).rounded(.up)))
                guard count <= 1 << 24 else { throw rule.error("it makes \(count) values") }
                return ConstantTensor(shape: [count], int64s: (0..<count).map { start + Int64($0) * delta })
            }
            let (start, limit, delta) = (values[0].floats[0], values[1].floats[0], values[2].floats[0])
            guard delta != 0, delta.isFinite, start.isFinite, limit.isFinite else {
                throw rule.error("start, limit and delta must be finite, delta not 0")
            }
            let count = max(0, Int(((limit - start) / delta).rounded(.up)))
            guard count <= 1 << 24 else { throw rule.error("it makes \(count) values") }
            return ConstantTensor(shape: [count], floats: (0..<count).map { start + Float($0) * delta })
        case "ConstantOfShape":
            guard values.count == 1 else { throw rule.error("it needs one input") }
            let shape = values[0].int64s.map { Int(clamping: $0) }
            guard let count = ShapeInference.elementCount(shape), count <= 1 << 26 else {
                throw rule.error("its shape \(shape) is negative or too large")
            }
            switch node.attributes["value"] {
            case nil: return ConstantTensor(shape: shape, floats: [Float](repeating: 0, count: count))
            case .tensor(let t)?:
                guard t.elementCount == 1 else { throw rule.error("attribute 'value' must hold one value") }
                switch t.storage {
                case .float(let f): return ConstantTensor(shape: shape, floats: [Float](repeating: f[0], count: count))
                case .int64(let i): return ConstantTensor(shape: shape, int64s: [Int64](repeating: i[0], count: count))
                }
            default: throw rule.error("attribute 'value' must be a tensor")
            }
        case "Slice":
            return try slice(node, operands: operands, opset: opset, rule: rule)
        default:
            return nil
        }
    }

    /// For each element of the transposed tensor, the flat index in the source.
    static func gatherIndices(shape: [Int], perm: [Int]) -> [Int] {
        let rank = shape.count
        var strides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        return sourceIndices(shape: perm.map { shape[$0] }, sourceStrides: perm.map { strides[$0] })
    }

    static func pick(_ storage: ConstantTensor.Storage, _ map: [Int]) -> ConstantTensor.Storage {
        switch storage {
        case .float(let v): return .float(map.map { v[$0] })
        case .int64(let v): return .int64(map.map { v[$0] })
        }
    }

    /// For each element of `target`, the flat index of the element of `shape` that broadcasts to it.
    /// Comparisons and logic on integer (and bool) constants, giving 0/1 (`Not` reads one input).
    static let integerComparisons: [String: @Sendable (Int64, Int64) -> Bool] = [
        "Equal": { $0 == $1 }, "Less": { $0 < $1 }, "Greater": { $0 > $1 }, "LessOrEqual": { $0 <= $1 },
        "GreaterOrEqual": { $0 >= $1 }, "And": { $0 != 0 && $1 != 0 }, "Or": { $0 != 0 || $1 != 0 },
        "Xor": { ($0 != 0) != ($1 != 0) }, "Not": { a, _ in a == 0 },
    ]

    static func broadcastIndices(_ shape: [Int], to target: [Int]) -> [Int] {
        let rank = target.count
        let padded = [Int](repeating: 1, count: rank - shape.count) + shape
        var strides = [Int](repeating: 0, count: rank)
        var s = 1
        for a in stride(from: rank - 1, through: 0, by: -1) {
            strides[a] = padded[a] == 1 ? 0 : s
            s *= padded[a]
        }
        return sourceIndices(shape: target, sourceStrides: strides)
    }

    /// For each element of `shape` in row-major order, Σ index[a]·sourceStrides[a]: the flat index it reads.
    static func sourceIndices(shape: [Int], sourceStrides: [Int]) -> [Int] {
        let rank = shape.count
        let count = shape.reduce(1, *)
        var result = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        for e in 0..<count {
            var source = 0
            for a in 0..<rank { source += index[a] * sourceStrides[a] }
            result[e] = source
            var a = rank - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < shape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        return result
    }

    static func arithmetic(_ op: String, _ a: ConstantTensor, _ b: ConstantTensor, shape: [Int],
                           rule: ShapeInference.Rule) throws -> ConstantTensor {
        let ia = broadcastIndices(a.shape, to: shape), ib = broadcastIndices(b.shape, to: shape)
        if case .int64(let x) = a.storage, case .int64(let y) = b.storage {
            var out: [Int64] = []
            out.reserveCapacity(ia.count)
            for (i, j) in zip(ia, ib) {
                let (p, q) = (x[i], y[j])
                switch op {
                case "Add": out.append(p &+ q)
                case "Sub": out.append(p &- q)
                case "Mul": out.append(p &* q)
                default:
                    guard q != 0 else { throw rule.error("integer division by zero") }
                    out.append(p / q)
                }
            }
            return ConstantTensor(shape: shape, int64s: out)
        }
        let x = a.floats, y = b.floats
        let out: [Float] = zip(ia, ib).map { i, j in
            switch op {
            case "Add": return x[i] + y[j]
            case "Sub": return x[i] - y[j]
            case "Mul": return x[i] * y[j]
            default: return x[i] / y[j]
            }
        }
        return ConstantTensor(shape: shape, floats: out)
    }

    static func gather(_ values: [ConstantTensor], rule: ShapeInference.Rule) throws -> ConstantTensor {
        guard values.count == 2 else { throw rule.error("it needs data and indices") }
        let data = values[0], indices = values[1]
        let rank = data.shape.count
        guard rank >= 1 else { throw rule.error("its data is a scalar") }
        let axis = try rule.axis(try rule.int("axis", default: 0), rank: rank)
        let n = data.shape[axis]
        let idx = try indices.int64s.map { v -> Int in
            let i = Int(v < 0 ? v + Int64(n) : v)
            guard i >= 0 && i < n else { throw rule.error("index \(v) is out of range for axis \(axis) of size \(n)") }
            return i
        }
        let outer = data.shape[..<axis].reduce(1, *), inner = data.shape[(axis + 1)...].reduce(1, *)
        var map: [Int] = []
        for o in 0..<outer { for i in idx { for e in 0..<inner { map.append((o * n + i) * inner + e) } } }
        let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
        return ConstantTensor(shape: shape, storage: pick(data.storage, map))
    }

    static func slice(_ node: Node, operands: [ShapeInference.Operand?], opset: Int,
                      rule: ShapeInference.Rule) throws -> ConstantTensor {
        guard let data = operands.first??.constant else { throw rule.error("its data must be a constant") }
        return slice(data, try rule.sliceDims(shape: data.shape))
    }

    /// The elements of `data` that a slice over `dims` (one per dim) reads, in output order.
    static func slice(_ data: ConstantTensor, _ dims: [ShapeInference.Rule.SliceDim]) -> ConstantTensor {
        let rank = data.shape.count
        var strides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * data.shape[i + 1] }
        var map = [0]
        for a in 0..<rank {
            var next: [Int] = []
            for base in map { for i in dims[a].indices { next.append(base + i * strides[a]) } }
            map = next
        }
        return ConstantTensor(shape: dims.map(\.count), storage: pick(data.storage, map))
    }
}
