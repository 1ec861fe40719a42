import WeightShareCore

/// Shape rules of the reductions (ReduceMean, ReduceSum, ...: one runtime Reduce) and LayerNormalization.
extension ShapeInference.Rule {
    /// The ONNX Reduce* operators. Axes come from the attribute before opset 18 (ReduceSum: before 13) and from
    /// the optional constant second input after; no axes (or an empty list) reduce every axis, or, with
    /// `noop_with_empty_axes`, copy the input.
    func reduce(_ mode: ReduceMode) throws -> ShapeInference.Inferred {
        let axesAsInput = opset >= 18 || (node.opType == "ReduceSum" && opset >= 13)
        let x: ShapeInference.Operand
        var requested: [Int]?
        var noop = false
        if axesAsInput {
            let ops = try operands(1...2)
            x = ops[0]!
            if let a = optional(1) { requested = try constantInts(a, what: "axes") }
            noop = try flag("noop_with_empty_axes")
        } else {
            x = try operands(1...1)[0]!
            requested = try ints("axes")
        }
        let keepDimsValue = try int("keepdims", default: 1)
        guard keepDimsValue == 0 || keepDimsValue == 1 else {
            throw error("attribute 'keepdims' must be 0 or 1, is \(keepDimsValue)")
        }
        let keepDims = keepDimsValue == 1
        let rank = x.shape.count
        if (requested ?? []).isEmpty && (noop || rank == 0) {
            return ShapeInference.Inferred(kind: .reshape, dataInputs: [0], outputShape: x.shape)
        }
        let axes: [Int]
        if let requested, !requested.isEmpty {
            let normalized = try requested.map { try axis($0, rank: rank) }
            guard Set(normalized).count == normalized.count else { throw error("axes \(requested) repeat an axis") }
            axes = normalized.sorted()
        } else {
            axes = Array(0..<rank)
        }
        var output: [Int] = []
        for (i, d) in x.shape.enumerated() {
            if !axes.contains(i) { output.append(d) } else if keepDims { output.append(1) }
        }
        return ShapeInference.Inferred(kind: .reduce(mode: mode, axes: axes, keepDims: keepDims), dataInputs: [0],
                                       outputShape: output)
    }

    /// LayerNormalization (opset 17): X, Scale, optional B over the dims from `axis` on; output Y only (Mean and
    /// InvStdDev must be unused, see ``Lowering/prepareLayerNorms(_:)``). Scale and B are stored with the
    /// normalised dims' shape: a constant that broadcasts to it is expanded.
    func layerNormalization() throws -> ShapeInference.Inferred {
        let ops = try operands(2...3)
        let x = ops[0]!
        let rank = x.shape.count
        guard rank > 0 else { throw error("its input is a scalar") }
        let a = try axis(try int("axis", default: -1), rank: rank)
        let epsilon = try float("epsilon", default: 1e-5)
        guard epsilon.isFinite, epsilon >= 0 else { throw error("epsilon (\(epsilon)) must be finite and >= 0") }
        let normalized = Array(x.shape[a...])
        var inferred = ShapeInference.Inferred(kind: .layerNormalization(axis: a, epsilon: epsilon),
                                               dataInputs: [0, 1, optional(2) == nil ? nil : 2], outputShape: x.shape)
        for slot in [1, 2] {
            guard let p = optional(slot), p.shape != normalized else { continue }
            let what = slot == 1 ? "scale" : "bias"
            if ShapeInference.elementCount(p.shape) == ShapeInference.elementCount(normalized),
               ShapeInference.broadcasts(p.shape, to: normalized) {
                inferred.inputViews[slot] = normalized
            } else if let c = p.constant, case .float = c.storage, ShapeInference.broadcasts(p.shape, to: normalized) {
                inferred.dataInputs[slot] = .constant(ConstantTensor(shape: normalized,
                                                                     floats: Self.expand(c.floats, from: p.shape,
                                                                                         to: normalized)),
                                                      suffix: "_" + what)
            } else {
                throw error("its \(what) '\(p.name)' \(p.shape) must have the normalised shape \(normalized) (or be "
                    + "a constant that broadcasts to it)")
            }
        }
        return inferred
    }

    /// `values` of `shape` broadcast (unidirectionally) to `target`, row-major.
    static func expand(_ values: [Float], from shape: [Int], to target: [Int]) -> [Float] {
        let padded = [Int](repeating: 1, count: target.count - shape.count) + shape
        var strides = [Int](repeating: 0, count: target.count)
        var step = 1
        for d in padded.indices.reversed() {
            strides[d] = padded[d] == 1 ? 0 : step
            step *= padded[d]
        }
        let count = target.reduce(1, *)
        var result: [Float] = []
        result.reserveCapacity(count)
        for e in 0..<count {
            var rest = e, source = 0
            for d in target.indices.reversed() {
                source += (rest % target[d]) * strides[d]
                rest /= target[d]
            }
            result.append(values[source])
        }
        return result
    }
}
