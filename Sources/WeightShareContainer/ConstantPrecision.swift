import WeightShareGraph

/// How a container stores the biases and epilogue scales of Gemm, Conv and ConvTranspose (per-channel vectors: on a
/// small CNN with folded batch norms they outweigh the packed weights).
public enum ConstantPrecision: String, Sendable, Codable, CaseIterable {
    /// float32, the model's values.
    case float
    /// IEEE 754 binary16 for every such vector whose values all lie within 2^-11 of its largest magnitude once
    /// rounded (feature HALF_RAW, half the bytes); the others stay float32.
    case half

    /// Raw tensors of `model` this precision stores as binary16: constants read only as input 2 (C, the bias) or 3
    /// (S, the epilogue scale) of Gemm, Conv and ConvTranspose, the kernels that read them through `ws_values`,
    /// whose values qualify (``HalfValues/qualifies(_:)``).
    public func halfTensors(_ model: LoweredModel) -> Set<Int> {
        guard self == .half else { return [] }
        var read = Set<Int>(), refused = Set<Int>()
        for operation in model.operations {
            for (slot, input) in operation.inputs.enumerated() {
                guard let t = input, model.tensors[t].constant != nil else { continue }
                let takesHalf: Bool
                switch operation.kind {
                case .gemm, .conv, .convTranspose: takesHalf = slot == 2 || slot == 3
                default: takesHalf = false
                }
                if takesHalf { read.insert(t) } else { refused.insert(t) }
            }
        }
        return read.subtracting(refused).filter { HalfValues.qualifies(model.tensors[$0].constant ?? []) }
    }
}

/// IEEE 754 binary16 conversions of the writer (Swift's `Float16`: round to nearest, ties to even; the C runtime's
/// `ws_half_to_float` converts back exactly).
public enum HalfValues {
    /// binary16 keeps every value within 2^-11 of the vector's largest magnitude when that magnitude is a normal
    /// binary16 number (2^-14 … 65504: a normal value is off by at most 2^-11 of itself, a subnormal one by 2^-25), or
    /// when every value is zero. NaN and infinities stay float32.
    public static func qualifies(_ values: [Float]) -> Bool {
        guard values.allSatisfy(\.isFinite) else { return false }
        let largest = values.reduce(Float(0)) { max($0, abs($1)) }
        return largest == 0 || (largest >= Float(Float16.leastNormalMagnitude) && largest <= Float(Float16.greatestFiniteMagnitude))
    }

    public static func bitPatterns(_ values: [Float]) -> [UInt16] { values.map { Float16($0).bitPattern } }

    /// The values as the runtime reads them back from binary16.
    public static func rounded(_ values: [Float]) -> [Float] { values.map { Float(Float16($0)) } }
}
