import WeightShareCore
extension Lowering {
    /// The static shape of every graph input: the declared shape with its dynamic dimensions pinned by
    /// `inputShapes`. Every dynamic dimension must be pinned; a pinned shape must agree with the fixed dimensions;
    /// `inputShapes` may name graph inputs only.
    static func pinInputShapes(_ graph: Graph, inputShapes: [String: [Int]]) throws -> [String: [Int]] {
        let names = graph.inputs.map(\.name)
        for name in inputShapes.keys.sorted() where !names.contains(name) {
            throw LoweringError.unknownInput(name: name, inputs: names)
        }
        var shapes: [String: [Int]] = [:]
        for input in graph.inputs {
            guard input.elementType == .float32 else {
                throw LoweringError.unsupportedInputType(input: input.name, elementType: input.elementType)
            }
            guard let pinned = inputShapes[input.name] else {
                guard let declared = input.shape else {
                    throw LoweringError.unpinnedInputShape(input: input.name, declared: nil)
                }
                var fixed: [Int] = []
                for dim in declared {
                    guard case .fixed(let n) = dim, n > 0 else {
                        throw LoweringError.unpinnedInputShape(input: input.name, declared: declared)
                    }
                    fixed.append(n)
                }
                guard ShapeInference.elementCount(fixed) != nil else {
                    throw LoweringError.inputShapeMismatch(input: input.name, declared: declared, pinned: fixed,
                                                           reason: "it has too many elements")
                }
                shapes[input.name] = fixed
                continue
            }
            if let bad = pinned.first(where: { $0 <= 0 }) {
                throw LoweringError.inputShapeMismatch(input: input.name, declared: input.shape, pinned: pinned,
                                                       reason: "dimension \(bad) is not positive")
            }
            guard ShapeInference.elementCount(pinned) != nil else {
                throw LoweringError.inputShapeMismatch(input: input.name, declared: input.shape, pinned: pinned,
                                                       reason: "it has too many elements")
            }
            if let declared = input.shape {
                guard declared.count == pinned.count else {
                    throw LoweringError.inputShapeMismatch(
                        input: input.name, declared: declared, pinned: pinned,
                        reason: "the model declares \(declared.count) dimensions, the pinned shape has \(pinned.count)")
                }
                for (axis, (dim, value)) in zip(declared, pinned).enumerated() {
                    if case .fixed(let n) = dim, n != value {
                        throw LoweringError.inputShapeMismatch(
                            input: input.name, declared: declared, pinned: pinned,
                            reason: "dimension \(axis) is fixed to \(n) by the model, not \(value)")
                    }
                }
            }
            shapes[input.name] = pinned
        }
        return shapes
    }
}
