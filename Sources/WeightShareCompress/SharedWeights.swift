import WeightShareGraph
/// The paper's shared-weight vector: every constant weight operand of Conv/ConvTranspose/Gemm/MatMul
/// (``OperatorKind/weightInputSlots``), flattened in a fixed order (operations in execution order, then input
/// slot), one slice per tensor. Biases, epilogue scales (folded BatchNorm), PRelu slopes, ChannelAffine vectors
/// and other constants stay out and are stored raw.
public struct SharedWeights: Sendable, Equatable {
    public struct Slice: Sendable, Equatable, Codable {
        /// Index of the tensor in `LoweredModel.tensors`.
        public var tensor: Int
        public var name: String
        /// First element of the tensor in `values`.
        public var offset: Int
        public var count: Int
    }

    /// All shared values, slice after slice.
    public let values: [Float]
    public let slices: [Slice]

    /// Number of shared weights (N in the paper).
    public var count: Int { values.count }

    public init(model: LoweredModel) {
        // A constant is shared only when every use of it is a weight slot: a constant also read by, say, an
        // Add must stay raw because element-wise kernels do not decode indices.
        var weightUses: [Int: Int] = [:]
        var allUses: [Int: Int] = [:]
        var order: [Int] = []
        for operation in model.operations {
            let slots = Set(operation.kind.weightInputSlots)
            for (slot, input) in operation.inputs.enumerated() {
                guard let t = input, model.tensors[t].isConstant else { continue }
                allUses[t, default: 0] += 1
                if slots.contains(slot) {
                    if weightUses[t] == nil { order.append(t) }
                    weightUses[t, default: 0] += 1
                }
            }
        }
        var values: [Float] = []
        var slices: [Slice] = []
        for t in order where weightUses[t] == allUses[t] && !model.outputs.contains(t) {
            let tensor = model.tensors[t]
            slices.append(Slice(tensor: t, name: tensor.name, offset: values.count, count: tensor.elementCount))
            values.append(contentsOf: tensor.constant ?? [])
        }
        self.values = values
        self.slices = slices
    }

    /// The slice of tensor `t`, if it is shared.
    public func slice(ofTensor t: Int) -> Slice? { slices.first { $0.tensor == t } }
}
