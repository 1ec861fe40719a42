import WeightShareCore
/// Scores an encoding of the shared weights on some data. The search and the merge see only this protocol, so
/// other evaluators (an external command, a remote engine) can replace the built-in one.
public protocol Evaluator: Sendable {
    var metric: Metric { get }
    /// Score of the unquantized (float) model on the same data.
    var floatScore: Double { get }
    /// Score of the model with its shared weights replaced by `encoding`.
    func score(_ encoding: WeightEncoding) throws -> Double
    /// Scores of several encodings, in order: each equal to ``score(_:)`` of it, however the work is spread.
    func scores(_ encodings: [WeightEncoding]) throws -> [Double]
}

extension Evaluator {
    public func scores(_ encodings: [WeightEncoding]) throws -> [Double] {
        try encodings.map { try score($0) }
    }

    /// Score of the paper's plain quantization (no scales, no outliers).
    public func score(_ quantization: Quantization) throws -> Double {
        try score(WeightEncoding(quantization: quantization))
    }
}
