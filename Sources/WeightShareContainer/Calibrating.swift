import WeightShareCompress
/// What measures the data-dependent parts of an encoding on fixed calibration samples (the search data), so that
/// every container of one run is written alike: the bias offsets (``BiasCorrectionSite``) and the error-compensated
/// indices (``CompensationLayer``). Implemented with the C runtime (``Calibration``).
public protocol Calibrating: AnyObject, Sendable {
    /// The bias offsets for `encoding` on `model` (the variant of the model its normalisation names).
    func offsets(for encoding: WeightEncoding, model: PreparedModel) throws -> BiasOffsets
    /// The index of every shared weight of `model` when `encoding`'s codebook is assigned with error compensation
    /// (``WeightEncoding/compensatedIndices(model:shared:factors:)``).
    func compensatedIndices(for encoding: WeightEncoding, model: PreparedModel) throws -> [UInt32]
}

public enum CalibrationError: Error, CustomStringConvertible, Equatable {
    /// The encoding asks for a step that is measured on calibration samples (named), and none were given.
    case noCalibration(step: String)

    public var description: String {
        switch self {
        case let .noCalibration(step):
            return "the encoding asks for \(step), but no calibration samples were given to measure it on"
        }
    }
}
