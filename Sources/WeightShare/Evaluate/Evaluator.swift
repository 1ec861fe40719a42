/// Scores a quantization of the shared weights on some data. The search and the merge see only this
/// protocol, so other evaluators (an external command, a remote engine) can replace the built-in one.
public protocol Evaluator: Sendable {
    var metric: Metric { get }
    /// Score of the unquantized (float) model on the same data.
    var floatScore: Double { get }
    /// Score of the model with its shared weights replaced by `quantization`.
    func score(_ quantization: Quantization) throws -> Double
}
