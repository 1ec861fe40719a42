import Foundation
import WeightShareCompress

/// Turns ``EncodingGenes`` into a ``WeightEncoding`` for one model: normalises the model once per normalisation
/// (cached), clips the binning range at quantiles of the normalised vector, picks the exact outliers and bins.
/// Deterministic; safe to call from several threads.
public final class WeightEncoder: @unchecked Sendable {
    /// The model as lowered, with no normalisation.
    public let base: PreparedModel

    /// A normalised variant of the model: what the container is written from, its shared vector sorted (for
    /// quantiles) and the number of scale values it adds.
    public struct Variant: Sendable {
        public let prepared: PreparedModel
        public let scaleCount: Int
        let sorted: [Float]
    }

    private let lock = NSLock()
    private var variants: [WeightNormalization: Variant] = [:]
    /// What measures error compensation and bias corrections (the search session's, on the search data); without
    /// it, a container of an encoding that asks for either cannot be written.
    public let calibration: (any Calibrating)?

    public init(base: PreparedModel, calibration: (any Calibrating)? = nil) {
        self.base = base
        self.calibration = calibration
    }

    /// The model normalised as `normalization` says (built once).
    public func variant(_ normalization: WeightNormalization) -> Variant {
        if let cached = lock.withLock({ variants[normalization] }) { return cached }
        let (model, scaleCount) = normalization.apply(to: base.lowered)
        let prepared = normalization == .none ? base : PreparedModel(lowered: model, constants: base.constants)
        let variant = Variant(prepared: prepared, scaleCount: scaleCount, sorted: prepared.shared.values.sorted())
        lock.withLock { variants[normalization] = variant }
        return variant
    }

    /// The binning a candidate starts from, and the outliers it keeps exactly.
    public func binning(_ genes: EncodingGenes) -> (binning: UniformBinning, outliers: OutlierTable) {
        let variant = variant(genes.normalization)
        let values = variant.prepared.shared.values
        guard genes.clipLow > 0 || genes.clipHigh > 0, !values.isEmpty else {
            return (UniformBinning(values: values, k: genes.k), OutlierTable())
        }
        let lo = Quantile.linear(variant.sorted, genes.clipLow)
        let hi = Swift.max(lo, Quantile.linear(variant.sorted, 1 - genes.clipHigh))
        let outliers = Self.outliers(values, range: lo...hi,
                                     budget: Swift.min(Int(genes.outlierFraction * Double(values.count)),
                                                       values.count - 1))
        return (UniformBinning(values: values, k: genes.k, range: lo...hi, excluded: outliers.positions), outliers)
    }

    /// The candidate's encoding, its non-empty bins grouped as `grouping` says (nil: every bin alone).
    public func encode(_ genes: EncodingGenes, grouping: BinGrouping? = nil) -> WeightEncoding {
        let (binning, outliers) = binning(genes)
        return encoding(genes, Quantization(binning: binning, grouping: grouping), outliers: outliers)
    }

    /// An encoding of the model normalised, refit, compensated and bias-corrected as `genes` say, from a binning of
    /// ``binning(_:)``.
    public func encoding(_ genes: EncodingGenes, _ quantization: Quantization,
                         outliers: OutlierTable) -> WeightEncoding {
        WeightEncoding(normalization: genes.normalization, quantization: quantization, outliers: outliers,
                       scaleCount: variant(genes.normalization).scaleCount, scaleRefit: genes.scaleRefit,
                       errorCompensation: genes.errorCompensation, biasCorrection: genes.biasCorrection)
    }

    /// The container of `encoding` (nil: the float model, every weight raw).
    public func container(_ encoding: WeightEncoding?, metadata: ContainerMetadata? = nil,
                          coding: IndexCoding = .fixed, fixedWidth: Set<Int> = []) throws -> [UInt8] {
        guard var encoding else { return try base.container(quantization: nil, metadata: metadata) }
        let model = variant(encoding.normalization).prepared
        // Compensation first: the bias offsets are measured on the indices the file stores.
        encoding = try compensated(encoding)
        var offsets = BiasOffsets()
        if encoding.biasCorrection {
            guard let calibration else { throw CalibrationError.noCalibration(step: "bias correction") }
            offsets = try calibration.offsets(for: encoding, model: model)
        }
        return try model.container(encoding: encoding, biasOffsets: offsets, metadata: metadata, coding: coding,
                                   fixedWidth: fixedWidth)
    }

    /// Packed weight bytes of `encoding` as a container of this model stores them under `coding`: codebook, index
    /// stream (coded tensors' code bits, the others fixed width, rounded up to bytes once), code table (one byte per
    /// codebook entry when anything is coded), scales and outliers — `WSMModel.storedWeightBytes` of the file
    /// `container(_:coding:)` writes. `.auto` and `.conv` keep the smaller of coded and fixed (the writer compares
    /// whole files, which differ from this by the few bytes of the code table's header). Before compensation the
    /// nearest-bin indices are counted: the search sizes candidates without running it.
    public func packedWeightBytes(_ encoding: WeightEncoding, coding: IndexCoding) -> Int {
        let fixed = SizeReport.packedWeightBytes(encoding)
        guard coding != .fixed else { return fixed }
        let model = variant(encoding.normalization).prepared
        let slices = model.shared.slices, q = encoding.writtenQuantization
        let plan = IndexCodingPlan.make(model: model.lowered, slices: slices, quantization: q, coding: coding)
        guard !plan.coded.isEmpty else { return fixed }
        var bits = 0
        for s in slices {
            bits += plan.coded.contains(s.tensor)
                ? HuffmanCode.bits(q.indices[s.offset..<(s.offset + s.count)], lengths: plan.lengths)
                : s.count * q.bitWidth
        }
        let coded = 4 * q.codebookSize + (bits + 7) / 8 + plan.lengths.count + 4 * encoding.scaleCount
            + 8 * encoding.outliers.count
        return coding.keepsSmaller ? min(coded, fixed) : coded
    }

    /// `encoding` with the indices error compensation assigns (``WeightEncoding/compensatedIndices``), when it asks
    /// for compensation; unchanged otherwise.
    public func compensated(_ encoding: WeightEncoding) throws -> WeightEncoding {
        guard encoding.errorCompensation, encoding.compensatedIndices == nil else { return encoding }
        guard let calibration else { throw CalibrationError.noCalibration(step: "error compensation") }
        var result = encoding
        result.compensatedIndices = try calibration.compensatedIndices(
            for: encoding, model: variant(encoding.normalization).prepared)
        return result
    }

    /// Up to `budget` values outside `range`, the farthest from it first (ties: lower position), by position.
    static func outliers(_ values: [Float], range: ClosedRange<Float>, budget: Int) -> OutlierTable {
        guard budget > 0 else { return OutlierTable() }
        var outside: [(distance: Float, position: Int)] = []
        for (i, v) in values.enumerated() where !range.contains(v) {
            outside.append((v < range.lowerBound ? range.lowerBound - v : v - range.upperBound, i))
        }
        let kept = outside.sorted { $0.distance != $1.distance ? $0.distance > $1.distance : $0.position < $1.position }
            .prefix(budget).map(\.position).sorted()
        return OutlierTable(positions: kept, values: kept.map { values[$0] })
    }
}
