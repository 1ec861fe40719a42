import WeightShareCompress
import WeightShareGraph
/// A lowered model made ready to pack: its memory plan and its shared-weight vector. Every container of one
/// search (each candidate, the float reference, the final file) is written from one of these.
public struct PreparedModel: Sendable, Equatable {
    public let lowered: LoweredModel
    public let plan: MemoryPlan
    public let shared: SharedWeights
    /// How the containers of quantized weights store biases and epilogue scales; the float reference
    /// (`container(quantization: nil)`) always keeps float32.
    public let constants: ConstantPrecision

    public init(lowered: LoweredModel, constants: ConstantPrecision = .float) {
        self.lowered = lowered
        self.constants = constants
        plan = MemoryPlanner.plan(lowered)
        shared = SharedWeights(model: lowered)
    }

    /// The same model, its quantized containers storing constants as `constants` says.
    public func with(constants: ConstantPrecision) -> PreparedModel {
        PreparedModel(lowered: lowered, plan: plan, shared: shared, constants: constants)
    }

    private init(lowered: LoweredModel, plan: MemoryPlan, shared: SharedWeights, constants: ConstantPrecision) {
        (self.lowered, self.plan, self.shared, self.constants) = (lowered, plan, shared, constants)
    }

    /// The container with `quantization` applied to the shared weights; nil stores every weight raw.
    public func container(quantization: Quantization?, metadata: ContainerMetadata? = nil,
                          coding: IndexCoding = .fixed) throws -> [UInt8] {
        try ContainerWriter.write(model: lowered, plan: plan, sharing: quantization.map { (shared, $0) },
                                  metadata: metadata, coding: coding,
                                  constants: quantization == nil ? .float : constants)
    }

    /// The container with `encoding` applied (its scales refit when it says so, to its nearest-bin values; its
    /// compensated indices when it has them) and `biasOffsets` added to the biases: this model must be the one
    /// normalised as `encoding` says (``WeightEncoder/variant(_:)``).
    public func container(encoding: WeightEncoding, biasOffsets: BiasOffsets = BiasOffsets(),
                          metadata: ContainerMetadata? = nil, coding: IndexCoding = .fixed,
                          fixedWidth: Set<Int> = []) throws -> [UInt8] {
        let model = encoding.scaleRefit
            ? encoding.normalization.refitScales(lowered, weights: shared, shared: encoding.values) : lowered
        return try ContainerWriter.write(model: biasOffsets.apply(to: model), plan: plan,
                                         sharing: (shared, encoding.writtenQuantization), outliers: encoding.outliers,
                                         metadata: metadata, coding: coding, fixedWidth: fixedWidth,
                                         constants: constants)
    }
}
