import WeightShareGraph
/// How shared weights are divided by a scale before binning, so that one codebook serves tensors and channels of
/// very different magnitudes (folded BatchNorm, re-parameterised blocks). The codebook stays one codebook over the
/// normalised values; each scale is multiplied back once per output value, in the layer's epilogue
/// (Conv/ConvTranspose/Gemm input S, Gemm alpha, or a Mul after a MatMul), never per weight.
public enum ScaleMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The paper: raw weights.
    case none
    /// One scale per shared tensor.
    case tensor
    /// One scale per output channel (falls back to one per tensor where a tensor has no single channel axis).
    case channel
}

/// The statistic a scale is computed with over its group of weights.
public enum ScaleStatistic: String, Sendable, Hashable, Codable, CaseIterable {
    /// Largest |w|: normalised values lie in [−1, 1].
    case maxAbs = "max-abs"
    /// 99th percentile of |w| (linear interpolation): a few large weights do not set the scale.
    case percentile99 = "p99"
    /// Root mean square of the weights.
    case rms
}

/// A scale mode with its statistic. ``none`` ignores the statistic (normalised to `.maxAbs`, so that equal
/// configurations hash alike).
public struct WeightNormalization: Sendable, Hashable, Codable {
    public let mode: ScaleMode
    public let statistic: ScaleStatistic

    public init(mode: ScaleMode, statistic: ScaleStatistic = .maxAbs) {
        self.mode = mode
        self.statistic = mode == .none ? .maxAbs : statistic
    }

    /// The paper's setting: no scales.
    public static let none = WeightNormalization(mode: .none)

    /// The model with every shared weight tensor divided by its scales and the scales moved into the epilogue of
    /// the operations that read it, and the number of float32 values that adds to the file: none where a scale is
    /// multiplied into an epilogue vector the layer already has (a folded BatchNorm's S) or into Gemm's alpha.
    /// `.none` returns the model unchanged.
    public func apply(to model: LoweredModel) -> (model: LoweredModel, scaleCount: Int) {
        guard mode != .none else { return (model, 0) }
        var result = model
        var scaleCount = 0
        for slice in SharedWeights(model: model).slices {
            // Found in `result`, whose operations shift when a MatMul gets its Mul; applied last to first.
            let (uses, layout) = grouping(of: slice.tensor, in: result)
            // A recurrent layer has no epilogue to multiply a scale back in (its W and R feed gate
            // nonlinearities inside the step): its weights stay as they are, in the one codebook with the others.
            if uses.contains(where: { !Self.hasEpilogue(result.operations[$0.operation].kind) }) { continue }
            let values = model.tensors[slice.tensor].constant ?? []
            let scales = Self.scales(of: values, layout: layout, statistic: statistic)
            var normalised = values
            for e in normalised.indices {
                normalised[e] /= scales[layout?.channel(ofElement: e) ?? 0]
            }
            result.tensors[slice.tensor].constant = normalised
            for use in uses.reversed() {
                scaleCount += Self.applyEpilogue(scales, to: use.operation, slot: use.slot, in: &result)
            }
        }
        return (result, scaleCount)
    }

    /// The reads of shared tensor `t` and how its scales group its elements: a channel axis only in channel mode
    /// and when one operation reads the tensor in a slot that has one, else one scale for the whole tensor.
    func grouping(of t: Int, in model: LoweredModel) -> (uses: [(operation: Int, slot: Int)], layout: ChannelLayout?) {
        let uses = Self.uses(of: t, in: model)
        let layout = uses.count == 1 && mode == .channel
            ? ChannelLayout(operation: model.operations[uses[0].operation], slot: uses[0].slot,
                            shape: model.tensors[t].shape)
            : nil
        return (uses, layout)
    }

    /// (operation, input slot) of every read of tensor `t`, in operation order.
    static func uses(of t: Int, in model: LoweredModel) -> [(operation: Int, slot: Int)] {
        model.operations.indices.flatMap { o in
            model.operations[o].inputs.indices.filter { model.operations[o].inputs[$0] == t }.map { (o, $0) }
        }
    }

    /// One scale per channel of `layout` (one in all without a layout); zero or non-finite statistics become 1.
    static func scales(of values: [Float], layout: ChannelLayout?, statistic: ScaleStatistic) -> [Float] {
        let channels = layout?.channels ?? 1
        var groups = [[Float]](repeating: [], count: channels)
        for (e, v) in values.enumerated() { groups[layout?.channel(ofElement: e) ?? 0].append(v) }
        return groups.map { group in
            let s = statistic.value(of: group)
            return s.isFinite && s > 0 ? s : 1
        }
    }

    /// Whether ``applyEpilogue(_:to:slot:in:)`` can move a scale out of this operation's weight.
    static func hasEpilogue(_ kind: OperatorKind) -> Bool {
        switch kind {
        case .conv, .convTranspose, .gemm, .matMul: return true
        default: return false
        }
    }

    /// Multiplies `scales` back in after operation `o` reads the normalised tensor in `slot`; returns the float32
    /// values that adds to the file.
    static func applyEpilogue(_ scales: [Float], to o: Int, slot: Int, in model: inout LoweredModel) -> Int {
        let operation = model.operations[o]
        switch operation.kind {
        case .conv, .convTranspose:
            return multiplyScaleInput(scales, of: o, slot: 3, in: &model)
        case let .gemm(alpha, beta, transA, transB):
            if scales.count == 1 { // alpha is stored either way
                model.operations[o].kind = .gemm(alpha: alpha * scales[0], beta: beta, transA: transA, transB: transB)
                return 0
            }
            return multiplyScaleInput(scales, of: o, slot: 3, in: &model)
        case .matMul:
            // MatMul has no epilogue: a Mul by the scales (broadcast along the last axis) follows it. A batched
            // or rank-1 B has one scale, [1] (or [] for a scalar Y, so that the Mul keeps Y's shape).
            let output = operation.outputs[0]
            let unscaled = model.tensors.count
            model.tensors.append(LoweredModel.Tensor(name: model.tensors[output].name + ".unscaled",
                                                     shape: model.tensors[output].shape))
            let scaleTensor = model.tensors.count
            let scaleShape = model.tensors[output].shape.isEmpty ? [] : [scales.count]
            model.tensors.append(LoweredModel.Tensor(name: operation.name + ".weight_scale", shape: scaleShape,
                                                     constant: scales))
            model.operations[o].outputs[0] = unscaled
            model.operations.insert(LoweredModel.Operation(name: operation.name + ".weight_scale", kind: .mul,
                                                           inputs: [unscaled, scaleTensor], outputs: [output]),
                                    at: o + 1)
            return scales.count
        default:
            preconditionFailure("normalised weight read by \(operation.kind), which has no weight slot")
        }
    }

    /// S ← S · scales for Conv/ConvTranspose/Gemm (creating S when absent; a one-element S broadcasts); returns
    /// the float32 values that adds to the file.
    static func multiplyScaleInput(_ scales: [Float], of o: Int, slot: Int, in model: inout LoweredModel) -> Int {
        var added = scales.count
        var inputs = model.operations[o].inputs
        while inputs.count <= slot { inputs.append(nil) }
        if let existing = inputs[slot], let old = model.tensors[existing].constant {
            let count = max(old.count, scales.count)
            let product = (0..<count).map { old[old.count == 1 ? 0 : $0] * scales[scales.count == 1 ? 0 : $0] }
            if uses(of: existing, in: model).count == 1 {
                model.tensors[existing].shape = [count]
                model.tensors[existing].constant = product
                added = count - old.count
            } else { // read elsewhere too: a fresh tensor
                added = count
                inputs[slot] = model.tensors.count
                model.tensors.append(LoweredModel.Tensor(name: model.tensors[existing].name + ".weight_scale",
                                                         shape: [count], constant: product))
            }
        } else {
            inputs[slot] = model.tensors.count
            model.tensors.append(LoweredModel.Tensor(name: model.operations[o].name + ".weight_scale",
                                                     shape: [scales.count], constant: scales))
        }
        model.operations[o].inputs = inputs
        return added
    }
}

extension ScaleStatistic {
    func value(of group: [Float]) -> Float {
        guard !group.isEmpty else { return 1 }
        switch self {
        case .maxAbs:
            return group.reduce(0) { max($0, abs($1)) }
        case .percentile99:
            return Quantile.linear(group.map { abs($0) }.sorted(), 0.99)
        case .rms:
            return Float((group.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(group.count)).squareRoot())
        }
    }
}

/// Which output channel each element of a weight tensor feeds, for the slots that have one.
struct ChannelLayout {
    let channels: Int
    /// Elements per step of the channel axis' inner dims, and the channel axis' length.
    private let inner: Int
    private let axisLength: Int
    /// ConvTranspose: W [C, M/g, kH, kW], output channel (c / (C/g))·(M/g) + m_i.
    private let transposedGroups: (inputPerGroup: Int, outputPerGroup: Int)?

    init?(operation: LoweredModel.Operation, slot: Int, shape: [Int]) {
        let axis: Int
        var groups: (inputPerGroup: Int, outputPerGroup: Int)?
        var outputChannels = 0
        switch (operation.kind, slot) {
        case (.conv, 1) where shape.count == 4:
            axis = 0
        case let (.gemm(_, _, _, transB), 1) where shape.count == 2:
            axis = transB ? 0 : 1
        case (.matMul, 1) where shape.count == 2:
            axis = 1
        case let (.convTranspose(group, _, _, _, _), 1) where shape.count == 4:
            axis = 1
            groups = (shape[0] / group, shape[1])
            outputChannels = shape[1] * group
        default:
            return nil
        }
        inner = shape[(axis + 1)...].reduce(1, *)
        axisLength = shape[axis]
        transposedGroups = groups
        channels = groups == nil ? axisLength : outputChannels
    }

    func channel(ofElement e: Int) -> Int {
        let position = (e / inner) % axisLength
        guard let groups = transposedGroups else { return position }
        let c = e / (inner * axisLength)
        return (c / groups.inputPerGroup) * groups.outputPerGroup + position
    }
}
