import WeightShareCore
import WeightShareRuntime

/// Shape rules of the element-wise operators of issue 12 (Pow, Min/Max, comparisons and logic, Where, Gelu).
///
/// Bool tensors: the runtime is float-only, so comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual) and
/// logic (Not, And, Or, Xor) produce masks, 1.0 for true and 0.0 for false, and read any non-zero value as true;
/// Where's condition is such a mask, and Cast of a mask to float is a copy. They are lowered where their inputs are
/// float activations or float constants; integer inputs are folded at compile time or refused.
extension ShapeInference.Rule {
    /// NumPy broadcasting of every operand's shape.
    func broadcastAll(_ operands: [ShapeInference.Operand]) throws -> [Int] {
        var shape: [Int] = []
        for x in operands {
            guard let b = ShapeInference.broadcast(shape, x.shape) else {
                throw error("shapes \(operands.map(\.shape)) do not broadcast")
            }
            shape = b
        }
        return shape
    }

    /// Pow: a constant exponent of one element that does not grow X's shape becomes PowScalar (x·x for 2, sqrt for
    /// 0.5, ...); any other exponent is the broadcasting Pow row (powf).
    func pow() throws -> ShapeInference.Inferred {
        let ops = try operands(2...2)
        let x = ops[0]!, exponent = ops[1]!
        if let constant = exponent.constant, constant.elementCount == 1,
           ShapeInference.broadcast(x.shape, exponent.shape) == x.shape {
            return ShapeInference.Inferred(kind: .powScalar(exponent: constant.floats[0]), dataInputs: [0],
                                           outputShape: x.shape)
        }
        var inferred = try binary(.elementwise(WS_OP_POW))
        if let constant = exponent.constant, case .int64 = constant.storage {
            // An integer exponent (Pow takes int32/int64 ones) is stored as floats.
            inferred.dataInputs[1] = .constant(ConstantTensor(shape: constant.shape, floats: constant.floats),
                                               suffix: "exponent")
        }
        return inferred
    }

    /// Min/Max of one input is a copy; of two, one broadcasting op (longer lists are chained before shape
    /// inference, `LoweringFusion.swift`).
    func minMax(_ opcode: ws_opcode) throws -> ShapeInference.Inferred {
        guard !operands.isEmpty, operands.allSatisfy({ $0 != nil }) else {
            throw error("it needs at least one input, and none may be absent")
        }
        if operands.count == 1 { return try unary(.reshape) }
        return try binary(.elementwise(opcode))
    }

    /// Where(condition, A, B), all three broadcast together.
    func select() throws -> ShapeInference.Inferred {
        let ops = try operands(3...3).map { $0! }
        return ShapeInference.Inferred(kind: .select, dataInputs: [0, 1, 2], outputShape: try broadcastAll(ops))
    }

    /// Gelu (opset 20): approximate "none" (erf) or "tanh".
    func gelu() throws -> ShapeInference.Inferred {
        switch try string("approximate", default: "none") {
        case "none": return try unary(.pointwise(WS_OP_GELU))
        case "tanh": return try unary(.pointwise(WS_OP_GELU_TANH))
        case let other: throw error("attribute 'approximate' is '\(other)'; only 'none' and 'tanh' exist")
        }
    }
}
