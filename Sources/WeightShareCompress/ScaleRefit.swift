import WeightShareGraph
/// Scale refit after sharing: a channel whose normalised weights w became the shared values q is best served
/// (least squares, ‖w − f·q‖²) by its scale times f = ⟨w, q⟩ / ⟨q, q⟩, not by the scale the statistic chose before
/// binning. The scales already sit in the layer's epilogue (S or Gemm's alpha), so refitting adds no bytes.
extension WeightNormalization {
    /// `model` (this normalisation's variant, whose shared vector is `weights`) with every scale multiplied by its
    /// refit factor for the shared values `shared` (``refitFactors(_:weights:shared:)``).
    public func refitScales(_ model: LoweredModel, weights: SharedWeights, shared: [Float]) -> LoweredModel {
        let factorsByTensor = refitFactors(model, weights: weights, shared: shared)
        var result = model
        for slice in weights.slices {
            guard let factors = factorsByTensor[slice.tensor] else { continue }
            let tensor = slice.tensor
            var refit = result
            var added = 0
            for use in grouping(of: tensor, in: result).uses.reversed() {
                added += Self.applyEpilogue(factors, to: use.operation, slot: use.slot, in: &refit)
            }
            if added == 0 && refit.tensors.count == result.tensors.count { result = refit }
        }
        return result
    }

    /// The refit factor of every scale, by shared tensor (one per channel, or one for the tensor; grouped as
    /// `apply` grouped them), for the shared values `shared`. Tensors read by a MatMul (whose scale is a separate
    /// Mul) or by a recurrent layer (left unscaled) have none.
    public func refitFactors(_ model: LoweredModel, weights: SharedWeights, shared: [Float]) -> [Int: [Float]] {
        guard mode != .none else { return [:] }
        precondition(shared.count == weights.count, "shared values do not match the model")
        var result: [Int: [Float]] = [:]
        for slice in weights.slices {
            let (uses, layout) = grouping(of: slice.tensor, in: model)
            // A recurrent layer's weights were never scaled (no epilogue, see `apply`): nothing to refit.
            guard !uses.isEmpty, !uses.contains(where: { model.operations[$0.operation].kind == .matMul }),
                  uses.allSatisfy({ Self.hasEpilogue(model.operations[$0.operation].kind) }) else {
                continue
            }
            let channels = layout?.channels ?? 1
            var wq = [Double](repeating: 0, count: channels), qq = wq
            for e in 0..<slice.count {
                let c = layout?.channel(ofElement: e) ?? 0
                let w = Double(weights.values[slice.offset + e]), q = Double(shared[slice.offset + e])
                wq[c] += w * q
                qq[c] += q * q
            }
            result[slice.tensor] = zip(wq, qq).map { wq, qq -> Float in
                let f = Float(wq / qq)
                return qq > 0 && f.isFinite && f > 0 ? f : 1
            }
        }
        return result
    }
}
