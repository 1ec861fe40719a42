import WeightShareCore
/// Scores an encoding of the shared weights on some data. The search and the merge see only this protocol, so
/// other evaluators (an external command, a remote engine) can replace the built-in one.
public protocol Evaluator: Sendable {
    var metric: Metric { get }
    /// Score of the unquantized (float) model on the same data.
    var floatScore: Double { get }
    /// Score of the model with its shared weights replaced by `encoding`.
    func score(_ encoding: WeightEncoding) throws -> Double
}

extension Evaluator {
    /// Score of the paper's plain quantization (no scales, no outliers).
    public func score(_ quantization: Quantization) throws -> Double {
        try score(WeightEncoding(quantization: quantization))
    }
}
