import WeightShareReader

/// The built-in evaluator: writes the candidate as a real .wsm container and scores it with the C runtime —
/// the same verifier and kernels that run on the board — so what is searched is what ships.
public final class RuntimeEvaluator: Evaluator, @unchecked Sendable {
    public let metric: Metric
    public let floatScore: Double
    public let model: PreparedModel
    public let samples: SampleSet
    /// The float model's outputs on `samples` (the reference of `agreement` and `cosine`).
    public let floatOutputs: [Float]
    public let outputWidth: Int
    public let workers: Int

    public init(model: PreparedModel, samples: SampleSet, metric: Metric,
                workers: Int = BatchRunner.defaultWorkers) throws {
        if metric.needsLabels && samples.labels == nil { throw EvaluationError.labelsRequired(metric: metric) }
        self.model = model
        self.samples = samples
        self.metric = metric
        self.workers = workers
        let reference = try WSMModel(bytes: try model.container(quantization: nil))
        outputWidth = reference.outputs.first?.elementCount ?? 0
        floatOutputs = try BatchRunner.run(reference, samples: samples, workers: workers)
        floatScore = metric.score(outputs: floatOutputs, width: outputWidth, labels: samples.labels,
                                  reference: floatOutputs)
    }

    public func score(_ quantization: Quantization) throws -> Double {
        metric.score(outputs: try outputs(quantization), width: outputWidth, labels: samples.labels,
                     reference: floatOutputs)
    }

    /// Outputs of the model with `quantization` (nil: the float model) on every sample.
    public func outputs(_ quantization: Quantization?) throws -> [Float] {
        let candidate = try WSMModel(bytes: try model.container(quantization: quantization))
        return try BatchRunner.run(candidate, samples: samples, workers: workers)
    }
}

public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    case labelsRequired(metric: Metric)
    case sampleShape(input: String, expected: [Int], got: [Int])

    public var description: String {
        switch self {
        case .labelsRequired(let metric):
            return "metric '\(metric.rawValue)' needs labels: the data file has no 'y' array (use --metric agreement or cosine)"
        case .sampleShape(let input, let expected, let got):
            return "samples have shape \(got) but model input \(input) takes \(expected)"
        }
    }
}
