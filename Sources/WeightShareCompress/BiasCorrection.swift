import WeightShareGraph
/// Bias correction (empirical form, Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization and Bias
/// Correction", §4.2): sharing the weights shifts the mean of each output channel of a layer; adding the opposite
/// shift to the layer's own bias puts the mean back where the float model has it. The bias is stored raw anyway,
/// so the correction costs no bytes. Layers are corrected in execution order, each measured with the layers before
/// it already corrected (see ``Calibrating``).

/// A layer whose output channels can be moved by its own bias: a Conv/ConvTranspose with B [M], or a Gemm with
/// C of N elements and beta ≠ 0, whose weight is shared and whose bias no other operation reads.
public struct BiasCorrectionSite: Sendable, Hashable {
    /// Index of the operation in `LoweredModel.operations` (and in the container: operators are written 1:1).
    public let operation: Int
    /// Its output tensor and its bias tensor.
    public let output: Int
    public let bias: Int
    /// Output channels, and the elements of one channel in one block of the output (H·W; 1 for a Gemm).
    public let channels: Int
    public let inner: Int
    /// Output shift per unit added to the bias (Gemm's beta; 1 for a convolution).
    public let biasGain: Float

    /// The correctable layers of `model`, in execution order.
    public static func sites(in model: LoweredModel, shared: SharedWeights) -> [BiasCorrectionSite] {
        let sharedTensors = Set(shared.slices.map(\.tensor))
        var uses: [Int: Int] = [:]
        for operation in model.operations {
            for case let t? in operation.inputs { uses[t, default: 0] += 1 }
        }
        var sites: [BiasCorrectionSite] = []
        for (o, operation) in model.operations.enumerated() {
            guard operation.inputs.count > 2, let bias = operation.inputs[2], let output = operation.outputs.first,
                  model.tensors[bias].isConstant, uses[bias] == 1, !model.outputs.contains(bias),
                  operation.kind.weightInputSlots.contains(where: { slot in
                      slot < operation.inputs.count && operation.inputs[slot].map(sharedTensors.contains) == true
                  }) else { continue }
            let shape = model.tensors[output].shape
            let biasCount = model.tensors[bias].elementCount
            switch operation.kind {
            case .conv, .convTranspose:
                guard shape.count >= 2, shape[1] == biasCount else { continue }
                sites.append(BiasCorrectionSite(operation: o, output: output, bias: bias, channels: shape[1],
                                                inner: shape.dropFirst(2).reduce(1, *), biasGain: 1))
            case .gemm(_, let beta, _, _):
                let biasShape = model.tensors[bias].shape
                guard shape.count == 2, beta != 0, biasCount == shape[1],
                      biasShape.count == 1 || biasShape.first == 1 else { continue }
                sites.append(BiasCorrectionSite(operation: o, output: output, bias: bias, channels: shape[1],
                                                inner: 1, biasGain: beta))
            default:
                continue
            }
        }
        return sites
    }

    /// Adds each channel's sum over `output` (one inference's values of this site's output) into `sums`.
    public func accumulate(_ output: UnsafeBufferPointer<Float>, into sums: inout [Double]) {
        var i = 0
        while i < output.count {
            for c in 0..<channels {
                var s: Float = 0
                for j in i..<(i + inner) { s += output[j] }
                sums[c] += Double(s)
                i += inner
            }
        }
    }
}

/// Values added to the biases of a model, by bias tensor.
public struct BiasOffsets: Sendable, Hashable {
    public var added: [Int: [Float]]

    public init(added: [Int: [Float]] = [:]) { self.added = added }

    public var isEmpty: Bool { added.isEmpty }

    /// `model` with the offsets added to its bias constants.
    public func apply(to model: LoweredModel) -> LoweredModel {
        guard !added.isEmpty else { return model }
        var model = model
        for (t, offsets) in added {
            guard var values = model.tensors[t].constant else { continue }
            precondition(values.count == offsets.count, "bias offsets do not match tensor \(t)")
            for i in values.indices { values[i] += offsets[i] }
            model.tensors[t].constant = values
        }
        return model
    }
}
