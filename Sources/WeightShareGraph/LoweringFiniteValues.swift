extension Lowering {
    /// Refuses non-finite values a model cannot mean (the last step of lowering, so values made by folding are
    /// checked too):
    /// - every constant operand of Conv, ConvTranspose, Gemm, MatMul and the recurrent layers — the weights that
    ///   are shared, their biases, epilogue scales, initial states and peepholes — must be finite (no NaN, no ±Inf): binning, bias correction and error
    ///   compensation need numbers;
    /// - no other constant may hold NaN; ±Inf stays allowed there (an attention mask of −inf, a bound);
    /// - operator options: Gemm's alpha and beta, LeakyRelu's and HardSigmoid's alpha/beta must be finite, Clip's
    ///   bounds and Pad's value must not be NaN (±Inf bounds mean "no bound"), Resize's scales must be finite and
    ///   positive.
    ///
    /// - Throws: ``LoweringError/nonFiniteConstant(name:node:element:index:shape:value:)`` naming the tensor and
    ///   the first bad element, or ``LoweringError/invalidOption(node:opType:reason:)`` for an option.
    static func checkFiniteValues(_ model: LoweredModel) throws {
        var checked = Set<Int>()
        for operation in model.operations {
            try checkOptions(operation)
            let layer: Bool
            switch operation.kind {
            case .conv, .convTranspose, .gemm, .matMul, .recurrent: layer = true
            default: layer = false
            }
            for case let t? in operation.inputs {
                let tensor = model.tensors[t]
                guard let values = tensor.constant else { continue }
                // A constant read by a layer is checked strictly even when another operation checked it first.
                guard checked.insert(layer ? ~t : t).inserted else { continue }
                let bad = layer ? values.firstIndex { !$0.isFinite } : values.firstIndex { $0.isNaN }
                guard let element = bad else { continue }
                throw LoweringError.nonFiniteConstant(
                    name: tensor.name, node: operation.name, element: element,
                    index: multiIndex(element, shape: tensor.shape), shape: tensor.shape, value: values[element])
            }
        }
    }

    /// Row-major position of flat `element` in `shape`.
    static func multiIndex(_ element: Int, shape: [Int]) -> [Int] {
        var rest = element
        var index = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }

    private static func checkOptions(_ operation: LoweredModel.Operation) throws {
        func refuse(_ opType: String, _ reason: String) -> LoweringError {
            .invalidOption(node: operation.name, opType: opType, reason: reason)
        }
        switch operation.kind {
        case .gemm(let alpha, let beta, _, _):
            guard alpha.isFinite, beta.isFinite else {
                throw refuse("Gemm", "alpha (\(alpha)) and beta (\(beta)) must be finite numbers")
            }
        case .leakyRelu(let alpha):
            guard alpha.isFinite else { throw refuse("LeakyRelu", "alpha (\(alpha)) must be a finite number") }
        case .hardSigmoid(let alpha, let beta):
            guard alpha.isFinite, beta.isFinite else {
                throw refuse("HardSigmoid", "alpha (\(alpha)) and beta (\(beta)) must be finite numbers")
            }
        case .clip(let low, let high):
            guard !low.isNaN, !high.isNaN else {
                throw refuse("Clip", "its bounds min (\(low)) and max (\(high)) must not be NaN (±inf means no bound)")
            }
        case .powScalar(let exponent):
            guard exponent.isFinite else { throw refuse("Pow", "its exponent (\(exponent)) must be a finite number") }
        case .pad(_, _, let value):
            guard !value.isNaN else { throw refuse("Pad", "its constant value must not be NaN") }
        case .resize(_, _, _, let scales):
            guard scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw refuse("Resize", "its scales \(scales) must be finite and positive")
            }
        default:
            break
        }
    }
}
