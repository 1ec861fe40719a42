/// Static shape rules of the operators WeightShare lowers, and the resolution of their ONNX attributes into
/// ``OperatorKind`` options.
enum ShapeInference {
    /// One input of a node: its value name, static shape, and its value if it is a constant.
    struct Operand {
        var name: String
        var shape: [Int]
        var constant: ConstantTensor?
    }

    /// What a node becomes.
    struct Inferred: Equatable {
        var kind: OperatorKind
        /// For each input of the lowered operation, the index of the node input it comes from (nil: absent
        /// optional input). Inputs consumed at compile time (Reshape's shape) are not listed.
        var dataInputs: [Int?]
        var outputShape: [Int]
    }

    /// Infers the output shape of `node` from its operands (aligned with `node.inputs`; nil where the input is
    /// absent) under the model's `opset`.
    static func infer(_ node: Node, operands: [Operand?], opset: Int) throws -> Inferred {
        let rule = Rule(node: node, operands: operands)
        guard node.outputs.count == 1, !node.outputs[0].isEmpty else {
            throw rule.error("it must have exactly one output, has \(node.outputs.count)")
        }
        let inferred = try rule.infer(opset: opset)
        guard elementCount(inferred.outputShape) != nil else {
            throw rule.error("its output shape \(inferred.outputShape) is too large")
        }
        return inferred
    }

    /// The largest tensor (in elements) lowering accepts: shapes beyond it are errors, never arithmetic overflow.
    static let maxElementCount = 1 << 40

    /// The number of elements of `shape`, or nil if it exceeds ``maxElementCount`` (or a dimension is negative).
    static func elementCount<S: Sequence<Int>>(_ shape: S) -> Int? {
        var count = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxElementCount else { return nil }
            count = product
        }
        return count
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

    private struct Rule {
        let node: Node
        let operands: [Operand?]

        func infer(opset: Int) throws -> Inferred {
            switch node.opType {
            case "Gemm": return try gemm()
            case "MatMul": return try matMul()
            case "Add": return try add()
            case "Relu":
                let x = try operands(1...1)[0]!
                return Inferred(kind: .relu, dataInputs: [0], outputShape: x.shape)
            case "Identity":
                let x = try operands(1...1)[0]!
                return Inferred(kind: .reshape, dataInputs: [0], outputShape: x.shape)
            case "Softmax": return try softmax(opset: opset)
            case "Flatten": return try flatten()
            case "Reshape": return try reshape()
            default:
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

        func int(_ key: String, default value: Int) throws -> Int {
            switch node.attributes[key] {
            case nil: return value
            case .int(let v)?: return v
            default: throw error("attribute '\(key)' must be an integer")
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

        func flag(_ key: String) throws -> Bool {
            let v = try int(key, default: 0)
            guard v == 0 || v == 1 else { throw error("attribute '\(key)' must be 0 or 1, is \(v)") }
            return v == 1
        }

        func gemm() throws -> Inferred {
            let ops = try operands(2...3)
            let a = ops[0]!, b = ops[1]!
            let c = ops.count == 3 ? ops[2] : nil
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
            return Inferred(kind: .gemm(alpha: alpha, beta: beta, transA: transA, transB: transB),
                            dataInputs: [0, 1, c == nil ? nil : 2], outputShape: [m, n])
        }

        func matMul() throws -> Inferred {
            let ops = try operands(2...2)
            let a = ops[0]!, b = ops[1]!
            guard b.shape.count == 2 else {
                throw error("B '\(b.name)' has shape \(b.shape); WeightShare supports MatMul with a 2-D B [K, N] only")
            }
            guard let k = a.shape.last else { throw error("A '\(a.name)' is a scalar") }
            guard k == b.shape[0] else {
                throw error("inner dimensions differ: A \(a.shape) has K=\(k), B \(b.shape) has K=\(b.shape[0])")
            }
            return Inferred(kind: .matMul, dataInputs: [0, 1], outputShape: Array(a.shape.dropLast()) + [b.shape[1]])
        }

        func add() throws -> Inferred {
            let ops = try operands(2...2)
            let a = ops[0]!, b = ops[1]!
            guard let shape = broadcast(a.shape, b.shape) else {
                throw error("shapes \(a.shape) and \(b.shape) do not broadcast")
            }
            return Inferred(kind: .add, dataInputs: [0, 1], outputShape: shape)
        }

        func softmax(opset: Int) throws -> Inferred {
            let x = try operands(1...1)[0]!
            let rank = x.shape.count
            guard rank > 0 else { throw error("its input is a scalar") }
            let axis = try int("axis", default: opset >= 13 ? -1 : 1)
            let normalized = axis < 0 ? axis + rank : axis
            guard normalized >= 0 && normalized < rank else {
                throw error("axis \(axis) is out of range for its \(rank)-D input \(x.shape)")
            }
            return Inferred(kind: .softmax(axis: normalized, coerce2D: opset < 13), dataInputs: [0],
                            outputShape: x.shape)
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
                throw error("its shape '\(shapeOperand.name)' must be a constant (an initializer or Constant node)")
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
    }
}
