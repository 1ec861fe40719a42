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
    /// The float model's output of a corrected layer has a NaN or infinite channel mean on the calibration data.
    case nonFiniteFloatActivations(layer: String, channel: Int, mean: Double)
    /// A candidate's bias correction would make a bias NaN or infinite (the candidate's mean is `candidateMean`):
    /// nothing non-finite is ever written into a model.
    case nonFiniteBias(bias: String, layer: String, channel: Int, candidateMean: Double)

    public var description: String {
        switch self {
        case let .noCalibration(step):
            return "the encoding asks for \(step), but no calibration samples were given to measure it on"
        case let .nonFiniteFloatActivations(layer, channel, mean):
            return "bias correction: the float model's output of layer '\(layer)' has mean \(mean) in channel "
                + "\(channel) on the calibration data; every value must be a finite number (check the data and the model)"
        case let .nonFiniteBias(bias, layer, channel, mean):
            return "bias correction would write a non-finite value into bias '\(bias)' of layer '\(layer)' "
                + "(channel \(channel); the compressed layer's mean there is \(mean)); the solution is refused"
        }
    }
}
