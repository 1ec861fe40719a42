import WeightShareCore
/// Static shape rules of the operators WeightShare lowers, and the resolution of their ONNX attributes into
/// ``OperatorKind`` options; ``OperatorTable`` says which rule lowers which operator. The CNN operators' rules live
/// in `ShapeInferenceCNN.swift`.
enum ShapeInference {
    /// One input of a node: its value name, static shape, and its value if it is a constant.
    struct Operand {
        var name: String
        var shape: [Int]
        var constant: ConstantTensor?
        /// The op type of the node that computes it at run time (nil for graph inputs and constants).
        var producer: String? = nil
    }

    /// Where an input of the lowered operation comes from.
    enum Source: Equatable {
        /// The node's input at this position.
        case input(Int)
        /// A constant made by the rule (a BatchNormalization's scale and shift); `suffix` names it after the node.
        case constant(ConstantTensor, suffix: String)
    }

    /// One output of an operation with several.
    enum OutputSlot: Equatable {
        /// The node's output at `position`; when the node leaves it out, an internal tensor (the runtime still
        /// writes it: a recurrent layer's running state).
        case value(position: Int, shape: [Int])
        /// The node's output at `position`, left out of the operation when the node leaves it out (only after
        /// every other slot).
        case optionalValue(position: Int, shape: [Int])
        /// Arena memory the kernel works in (`suffix` names it after the node); written, never read.
        case workspace(suffix: String, shape: [Int])
    }

    /// What a node becomes.
    struct Inferred: Equatable {
        var kind: OperatorKind
        /// The inputs of the lowered operation (nil: absent optional input). Inputs consumed at compile time
        /// (Reshape's shape, Clip's bounds) are not listed.
        var dataInputs: [Source?]
        /// The node's output shape.
        var outputShape: [Int]
        /// Inputs (by position in `dataInputs`) that the operation reads with another shape (same elements): a
        /// constant is stored with that shape, an activation goes through a reshape first (1-D conv as H = 1).
        var inputViews: [Int: [Int]] = [:]
        /// The operation's own output shape when it differs from `outputShape`; a reshape then follows.
        var operationShape: [Int]? = nil
        /// The outputs of an operation with several (in the runtime's order), or nil for the one output
        /// `outputShape`.
        var outputs: [OutputSlot]? = nil

        init(kind: OperatorKind, dataInputs: [Int?], outputShape: [Int]) {
            self.kind = kind
            self.dataInputs = dataInputs.map { $0.map(Source.input) }
            self.outputShape = outputShape
        }

        init(kind: OperatorKind, sources: [Source?], outputShape: [Int]) {
            self.kind = kind
            self.dataInputs = sources
            self.outputShape = outputShape
        }
    }

    /// Infers the output shape of `node` from its operands (aligned with `node.inputs`; nil where the input is
    /// absent) under the model's `opset`.
    static func infer(_ node: Node, operands: [Operand?], opset: Int) throws -> Inferred {
        let rule = Rule(node: node, operands: operands, opset: opset)
        guard multiOutputOperators.contains(node.opType) && isDefaultOperatorDomain(node.domain)
                || node.outputs.first.map({ !$0.isEmpty }) == true,
              node.outputs.dropFirst().allSatisfy(\.isEmpty) || node.opType == "BatchNormalization"
                || multiOutputOperators.contains(node.opType) else {
            throw rule.error("it must have exactly one output, has \(node.outputs.count)")
        }
        let inferred = try rule.infer()
        guard elementCount(inferred.outputShape) != nil,
              inferred.outputShape.allSatisfy({ $0 >= 0 }) else {
            throw rule.error("its output shape \(inferred.outputShape) is too large or negative")
        }
        return inferred
    }

    /// Operators whose rule lowers several outputs (``Inferred/outputs``); any of them may be left out.
    static let multiOutputOperators: Set<String> = ["LSTM", "GRU", "RNN"]

    /// The largest tensor (in elements) lowering accepts: shapes beyond it are errors, never arithmetic overflow.
    static let maxElementCount = 1 << 40

    /// The number of elements of `shape`, or nil if it exceeds ``maxElementCount`` (or a dimension is negative).
    static func elementCount<S: Sequence<Int>>(_ shape: S) -> Int? {
        checkedElementCount(shape, atMost: maxElementCount)
    }

    /// NumPy (multidirectional) broadcasting of two shapes; nil if they are incompatible.
    static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let a = [Int](repeating: 1, count: rank - a.count) + a
        let b = [Int](repeating: 1, count: rank - b.count) + b
        var result: [Int] = []
        for (x, y) in zip(a, b) {
            if x == y || y == 1 { result.append(x) } else if x == 1 { result.append(y) } else { return nil }
        }
        return result
    }

    /// True if `shape` broadcasts to `target` in one direction (Gemm's C).
    static func broadcasts(_ shape: [Int], to target: [Int]) -> Bool {
        guard shape.count <= target.count else { return false }
        return zip(shape.reversed(), target.reversed()).allSatisfy { $0 == $1 || $0 == 1 }
    }

    struct Rule {
        let node: Node
        let operands: [Operand?]
        let opset: Int

        func infer() throws -> Inferred {
            switch OperatorTable.row(for: node)?.treatment {
            case .rule(let lower)?:
                return try lower(self)
            case .pointwise(let opcode)?:
                return try unary(.pointwise(opcode))
            case .constantsOnly?:
                let dynamic = operands.compactMap { $0 }.filter { $0.constant == nil }.map { "'\($0.name)'" }
                throw error("WeightShare folds \(node.opType) at compile time only, so its inputs must be constants "
                    + "(after the input shapes are pinned); \(dynamic.joined(separator: ", ")) is computed at run "
                    + "time")
            case .removed?, nil:
                throw LoweringError.unsupportedOperator(node: Lowering.label(node), opType: node.opType,
                                                        domain: node.domain)
            }
        }

        func error(_ reason: String) -> LoweringError {
            .invalidNode(node: Lowering.label(node), opType: node.opType, reason: reason)
        }

        /// The operands, checking their count; the first `required` ones must be present.
        func operands(_ count: ClosedRange<Int>, required: Int? = nil) throws -> [Operand?] {
            guard count.contains(operands.count) else {
                let expected = count.lowerBound == count.upperBound ? "\(count.lowerBound)"
                                                                    : "\(count.lowerBound) to \(count.upperBound)"
                throw error("it has \(operands.count) inputs, expected \(expected)")
            }
            for i in 0..<(required ?? count.lowerBound) where operands[i] == nil {
                throw error("input \(i) is missing")
            }
            return operands
        }

        /// Operand `i` when present (nil past the end or for an absent input).
        func optional(_ i: Int) -> Operand? { i < operands.count ? operands[i] : nil }

        func int(_ key: String, default value: Int) throws -> Int {
            switch node.attributes[key] {
            case nil: return value
            case .int(let v)?: return v
            default: throw error("attribute '\(key)' must be an integer")
            }
        }

        func ints(_ key: String) throws -> [Int]? {
            switch node.attributes[key] {
            case nil: return nil
            case .ints(let v)?: return v
            case .int(let v)?: return [v]
            default: throw error("attribute '\(key)' must be a list of integers")
            }
        }

        func float(_ key: String, default value: Float) throws -> Float {
            switch node.attributes[key] {
            case nil: return value
            case .float(let v)?: return v
            case .int(let v)?: return Float(v)
            default: throw error("attribute '\(key)' must be a number")
            }
        }

        func string(_ key: String, default value: String) throws -> String {
            switch node.attributes[key] {
            case nil: return value
            case .string(let v)?: return v
            default: throw error("attribute '\(key)' must be a string")
            }
        }

        func flag(_ key: String) throws -> Bool {
            let v = try int(key, default: 0)
            guard v == 0 || v == 1 else { throw error("attribute '\(key)' must be 0 or 1, is \(v)") }
            return v == 1
        }

        /// The values of a constant integer operand (axes, pads, sizes).
        func constantInts(_ operand: Operand, what: String) throws -> [Int] {
            guard let constant = operand.constant else {
                throw error("its \(what) '\(operand.name)' must be a constant (an initializer, a Constant node or "
                    + "shape arithmetic on pinned input shapes)")
            }
            return constant.int64s.map { Int(clamping: $0) }
        }

        /// A scalar constant operand as a float.
        func constantScalar(_ operand: Operand, what: String) throws -> Float {
            guard let constant = operand.constant else {
                throw error("its \(what) '\(operand.name)' must be a constant; WeightShare bakes it into the operator")
            }
            guard constant.elementCount == 1, constant.floats.count == 1 else {
                throw error("its \(what) '\(operand.name)' must hold one value, has shape \(constant.shape)")
            }
            return constant.floats[0]
        }

        /// `axis` normalised against `rank` (negative counts from the end); `inclusive` allows `rank` itself.
        func axis(_ axis: Int, rank: Int, inclusive: Bool = false) throws -> Int {
            let normalized = axis < 0 ? axis + rank : axis
            guard normalized >= 0 && (normalized < rank || (inclusive && normalized == rank)) else {
                throw error("axis \(axis) is out of range for rank \(rank)")
            }
            return normalized
        }

        func unary(_ kind: OperatorKind) throws -> Inferred {
            let x = try operands(1...1)[0]!
            return Inferred(kind: kind, dataInputs: [0], outputShape: x.shape)
        }

        func binary(_ kind: OperatorKind) throws -> Inferred {
            let ops = try operands(2...2)
            let a = ops[0]!, b = ops[1]!
            guard let shape = broadcast(a.shape, b.shape) else {
                throw error("shapes \(a.shape) and \(b.shape) do not broadcast")
            }
            return Inferred(kind: kind, dataInputs: [0, 1], outputShape: shape)
        }

        /// Operators whose run-time output is a mask (ONNX bool, 1.0 / 0.0 in the float runtime).
        static let maskProducers: Set<String> = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not",
                                                 "And", "Or", "Xor", "IsNaN", "IsInf"]

        /// Cast of a run-time value. The runtime holds every tensor as float32: a cast to float or double is a copy;
        /// a mask (the output of a comparison or logic op, 0/1) cast to bool or an integer type is a copy too; float
        /// data cast to bool becomes x ≠ 0 (a Where). Casts that would round (integers, float16, bfloat16) refuse.
        func cast() throws -> Inferred {
            let x = try operands(1...1)[0]!
            let to = try int("to", default: 1)
            let isMask = x.producer.map { Self.maskProducers.contains($0) } ?? false
            let integerTypes: Set<Int> = [2, 3, 4, 5, 6, 7, 12, 13]
            switch to {
            case 1, 11:
                return Inferred(kind: .reshape, dataInputs: [0], outputShape: x.shape)
            case 9 where isMask:
                return Inferred(kind: .reshape, dataInputs: [0], outputShape: x.shape)
            case 9:
                return Inferred(kind: .select,
                                sources: [.input(0), .constant(ConstantTensor(shape: [], floats: [1]), suffix: "true"),
                                          .constant(ConstantTensor(shape: [], floats: [0]), suffix: "false")],
                                outputShape: x.shape)
            case let t where integerTypes.contains(t) && isMask:
                return Inferred(kind: .reshape, dataInputs: [0], outputShape: x.shape)
            default:
                let what = x.producer.map { "the run-time value '\(x.name)' (computed by \($0))" }
                    ?? "the run-time value '\(x.name)'"
                throw error("it casts \(what) to ONNX type \(to); the runtime computes in float32, so only casts to "
                    + "float (1) or double (11), masks cast to bool or integers, float data cast to bool (9), and "
                    + "casts of constants are supported")
            }
        }

        func clip() throws -> Inferred {
            var low = -Float.infinity, high = Float.infinity
            let x: Operand
            if opset < 11 {
                x = try operands(1...1)[0]!
                low = try float("min", default: low)
                high = try float("max", default: high)
            } else {
                let ops = try operands(1...3)
                x = ops[0]!
                if let m = optional(1) { low = try constantScalar(m, what: "min") }
                if let m = optional(2) { high = try constantScalar(m, what: "max") }
            }
            return Inferred(kind: .clip(min: low, max: high), dataInputs: [0], outputShape: x.shape)
        }

        func prelu() throws -> Inferred {
            let ops = try operands(2...2)
            let x = ops[0]!, slope = ops[1]!
            if !broadcasts(slope.shape, to: x.shape), opset < 7, x.shape.count >= 2, slope.shape == [x.shape[1]] {
                // Before opset 7 a slope [C] applies per channel of (N, C, ...).
                var inferred = Inferred(kind: .prelu, dataInputs: [0, 1], outputShape: x.shape)
                inferred.inputViews = [1: [x.shape[1]] + [Int](repeating: 1, count: x.shape.count - 2)]
                return inferred
            }
            guard broadcasts(slope.shape, to: x.shape) else {
                throw error("slope \(slope.shape) does not broadcast to the input \(x.shape)")
            }
            return Inferred(kind: .prelu, dataInputs: [0, 1], outputShape: x.shape)
        }

        func gemm() throws -> Inferred {
            let ops = try operands(2...4)
            let a = ops[0]!, b = ops[1]!
            let c = optional(2), s = optional(3)
            let alpha = try float("alpha", default: 1), beta = try float("beta", default: 1)
            let transA = try flag("transA"), transB = try flag("transB")
            guard a.shape.count == 2, b.shape.count == 2 else {
                throw error("A \(a.shape) and B \(b.shape) must both be 2-D")
            }
            let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
            let (k2, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
            guard k == k2 else {
                throw error("inner dimensions differ: A \(a.shape) (transA=\(transA ? 1 : 0)) has K=\(k), "
                    + "B \(b.shape) (transB=\(transB ? 1 : 0)) has K=\(k2)")
            }
            if let c, !broadcasts(c.shape, to: [m, n]) {
                throw error("C \(c.shape) does not broadcast to the output [\(m), \(n)]")
            }
            if let s, s.shape != [n] {
                throw error("the epilogue scale S has shape \(s.shape), expected [\(n)]")
            }
            var inputs: [Int?] = [0, 1, c == nil ? nil : 2]
            if s != nil { inputs.append(3) }
            return Inferred(kind: .gemm(alpha: alpha, beta: beta, transA: transA, transB: transB),
                            dataInputs: inputs, outputShape: [m, n])
        }

        /// NumPy matmul: A [..., M, K] × B [..., K, N] → Y [broadcast(...), M, N]; a rank-1 A gets a 1 prepended
        /// (M), a rank-1 B a 1 appended (N), and that dimension is left out of Y.
        func matMul() throws -> Inferred {
            let ops = try operands(2...2)
            let a = ops[0]!, b = ops[1]!
            guard let k = a.shape.last else { throw error("A '\(a.name)' is a scalar") }
            guard let kb = b.shape.count >= 2 ? b.shape[b.shape.count - 2] : b.shape.first else {
                throw error("B '\(b.name)' is a scalar")
            }
            guard k == kb else {
                throw error("inner dimensions differ: A \(a.shape) has K=\(k), B \(b.shape) has K=\(kb)")
            }
            guard let batch = ShapeInference.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) else {
                throw error("the batch dimensions of A \(a.shape) and B \(b.shape) do not broadcast")
            }
            let m = a.shape.count >= 2 ? [a.shape[a.shape.count - 2]] : []
            let n = b.shape.count >= 2 ? [b.shape[b.shape.count - 1]] : []
            return Inferred(kind: .matMul, dataInputs: [0, 1], outputShape: batch + m + n)
        }

        /// Softmax, or LogSoftmax with `log`: the same axis rules (opset < 13: coerced to 2-D at `axis`).
        func softmax(log: Bool = false) throws -> Inferred {
            let x = try operands(1...1)[0]!
            let rank = x.shape.count
            guard rank > 0 else { throw error("its input is a scalar") }
            let axis = try int("axis", default: opset >= 13 ? -1 : 1)
            let normalized = axis < 0 ? axis + rank : axis
            guard normalized >= 0 && normalized < rank else {
                throw error("axis \(axis) is out of range for its \(rank)-D input \(x.shape)")
            }
            let coerce2D = opset < 13
            return Inferred(kind: log ? .logSoftmax(axis: normalized, coerce2D: coerce2D)
                                      : .softmax(axis: normalized, coerce2D: coerce2D),
                            dataInputs: [0], outputShape: x.shape)
        }

        func flatten() throws -> Inferred {
            let x = try operands(1...1)[0]!
            let rank = x.shape.count
            let axis = try int("axis", default: 1)
            let normalized = axis < 0 ? axis + rank : axis
            guard normalized >= 0 && normalized <= rank else {
                throw error("axis \(axis) is out of range for its \(rank)-D input \(x.shape)")
            }
            guard let outer = elementCount(x.shape[..<normalized]), let inner = elementCount(x.shape[normalized...]) else {
                throw error("its input \(x.shape) is too large")
            }
            return Inferred(kind: .reshape, dataInputs: [0], outputShape: [outer, inner])
        }

        func reshape() throws -> Inferred {
            let ops = try operands(2...2)
            let x = ops[0]!, shapeOperand = ops[1]!
            guard let constant = shapeOperand.constant else {
                throw error("its shape '\(shapeOperand.name)' must be a constant (an initializer, a Constant node "
                    + "or shape arithmetic on pinned input shapes)")
            }
            guard case .int64(let requested) = constant.storage else {
                throw LoweringError.invalidConstant(
                    name: shapeOperand.name, reason: "Reshape's shape must be an int64 tensor, it holds floats")
            }
            guard constant.shape.count == 1 else {
                throw error("its shape '\(shapeOperand.name)' must be 1-D, is \(constant.shape)")
            }
            let allowZero = try flag("allowzero")
            var output: [Int] = []
            var inferred: Int?
            for (i, value) in requested.enumerated() {
                switch value {
                case -1:
                    guard inferred == nil else { throw error("its shape \(requested) has more than one -1") }
                    inferred = i
                    output.append(1)
                case 0 where !allowZero:
                    guard i < x.shape.count else {
                        throw error("its shape \(requested) copies dimension \(i) (0), but the input \(x.shape) "
                            + "has only \(x.shape.count)")
                    }
                    output.append(x.shape[i])
                case let v where v > 0 && v <= Int64(Int32.max):
                    output.append(Int(v))
                default:
                    throw error("its shape \(requested) has the dimension \(value), which WeightShare does not support")
                }
            }
            guard let total = elementCount(x.shape), let known = elementCount(output) else {
                throw error("cannot reshape \(x.shape) to \(requested): too many elements")
            }
            if let i = inferred {
                guard known > 0, total % known == 0 else {
                    throw error("cannot reshape \(x.shape) (\(total) elements) to \(requested)")
                }
                output[i] = total / known
            } else if known != total {
                throw error("cannot reshape \(x.shape) (\(total) elements) to \(output) (\(known) elements)")
            }
            return Inferred(kind: .reshape, dataInputs: [0], outputShape: output)
        }

        /// Squeeze/Unsqueeze axes: the attribute before opset 13, the optional second input from 13 on.
        func axesOperand(required: Bool) throws -> [Int]? {
            if opset < 13 {
                _ = try operands(1...1)
                let axes = try ints("axes")
                if required && axes == nil { throw error("attribute 'axes' is missing") }
                return axes
            }
            let ops = try operands(required ? 2...2 : 1...2)
            guard let a = ops.count > 1 ? ops[1] : nil else { return nil }
            return try constantInts(a, what: "axes")
        }

        func squeeze() throws -> Inferred {
            let axes = try axesOperand(required: false)
            let x = operands[0]!
            var output: [Int] = []
            if let axes {
                let normalized = try Set(axes.map { try axis($0, rank: x.shape.count) })
                guard normalized.count == axes.count else { throw error("axes \(axes) repeat an axis") }
                for (i, d) in x.shape.enumerated() {
                    if normalized.contains(i) {
                        guard d == 1 else { throw error("axis \(i) of the input \(x.shape) is \(d), not 1") }
                    } else {
                        output.append(d)
                    }
                }
            } else {
                output = x.shape.filter { $0 != 1 }
            }
            return Inferred(kind: .reshape, dataInputs: [0], outputShape: output)
        }

        func unsqueeze() throws -> Inferred {
            let axes = try axesOperand(required: true)!
            let x = operands[0]!
            let rank = x.shape.count + axes.count
            let normalized = try Set(axes.map { try axis($0, rank: rank) })
            guard normalized.count == axes.count else { throw error("axes \(axes) repeat an axis") }
            var rest = x.shape.makeIterator()
            let output = (0..<rank).map { normalized.contains($0) ? 1 : rest.next()! }
            return Inferred(kind: .reshape, dataInputs: [0], outputShape: output)
        }

        func concat() throws -> Inferred {
            guard !operands.isEmpty, operands.allSatisfy({ $0 != nil }) else {
                throw error("it needs at least one input, and none may be absent")
            }
            let shapes = operands.map { $0!.shape }
            let rank = shapes[0].count
            guard rank > 0 else { throw error("its inputs are scalars") }
            guard opset < 4 || node.attributes["axis"] != nil else { throw error("attribute 'axis' is missing") }
            let a = try axis(try int("axis", default: 1), rank: rank)
            var output = shapes[0]
            for shape in shapes.dropFirst() {
                guard shape.count == rank,
                      shape.indices.allSatisfy({ $0 == a || shape[$0] == shapes[0][$0] }) else {
                    throw error("input shapes \(shapes) differ outside axis \(a)")
                }
                output[a] += shape[a]
            }
            return Inferred(kind: .concat(axis: a), dataInputs: operands.indices.map { $0 }, outputShape: output)
        }

        func transpose() throws -> Inferred {
            let x = try operands(1...1)[0]!
            let rank = x.shape.count
            let perm = try ints("perm") ?? Array((0..<rank).reversed())
            guard perm.sorted() == Array(0..<rank) else {
                throw error("perm \(perm) is not a permutation of the input's \(rank) axes")
            }
            let output = perm.map { x.shape[$0] }
            if perm == Array(0..<rank) { return Inferred(kind: .reshape, dataInputs: [0], outputShape: output) }
            return Inferred(kind: .transpose(perm: perm), dataInputs: [0], outputShape: output)
        }
    }
}
