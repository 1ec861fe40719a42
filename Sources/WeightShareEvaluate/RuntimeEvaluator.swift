import Dispatch
import Foundation
import WeightShareReader
import WeightShareCompress
import WeightShareContainer
import WeightShareCore

/// The built-in evaluator: writes the candidate as a real .wsm container and scores it with the C runtime —
/// the same verifier and kernels that run on the board — so what is searched is what ships. With
/// ``EvaluatorKernels/fast`` the container is run layer by layer over all samples at once, Conv/Gemm/MatMul as BLAS
/// products on weights decoded once (``LayerwiseRun``): the same file and graph, scores equal to float rounding.
/// A candidate's bias correction, when measured on these very samples, happens inside the pass that scores it.
public final class RuntimeEvaluator: Evaluator, @unchecked Sendable {
    public let metric: Metric
    public let floatScore: Double
    /// The model and its normalised variants, which candidates are written from.
    public let encoder: WeightEncoder
    public var model: PreparedModel { encoder.base }
    public let samples: SampleSet
    /// The float model's outputs on `samples` (the reference of `agreement` and `cosine`).
    public let floatOutputs: [Float]
    public let outputWidth: Int
    /// The outputs the metric reads (positions in the model's outputs), concatenated in this order.
    public let scoredOutputs: [Int]
    public let workers: Int
    public let kernels: EvaluatorKernels
    /// The encoder's calibration when it measures on these samples: a candidate's bias correction is then made in
    /// the pass that scores it (``Calibration/correctedPass(_:model:kernels:outputs:)``); otherwise the offsets
    /// come from the calibration samples (held-out scoring).
    private let ownCalibration: Calibration?
    /// Arena memory of one candidate's run over the samples.
    private let runBytes: Int
    /// Arena memory the fast kernels' runs reuse from candidate to candidate.
    private let arenas = ArenaPool()

    public convenience init(model: PreparedModel, samples: SampleSet, metric: Metric, output: String? = nil,
                            workers: Int = BatchRunner.defaultWorkers, kernels: EvaluatorKernels = .reference) throws {
        try self.init(encoder: WeightEncoder(base: model), samples: samples, metric: metric, output: output,
                      workers: workers, kernels: kernels)
    }

    /// - Parameter output: the model output the metric reads; nil: ``OutputSelection/scored(outputs:metric:name:)``'s
    ///   default (the first output for accuracy and agreement, every output for cosine).
    public init(encoder: WeightEncoder, samples: SampleSet, metric: Metric, output: String? = nil,
                workers: Int = BatchRunner.defaultWorkers, kernels: EvaluatorKernels = .reference) throws {
        if metric.needsLabels && samples.labels == nil { throw EvaluationError.labelsRequired(metric: metric) }
        self.encoder = encoder
        self.samples = samples
        self.metric = metric
        self.workers = workers
        self.kernels = kernels
        let calibration = encoder.calibration as? Calibration
        ownCalibration = calibration.flatMap { $0.samples == samples ? $0 : nil }
        let bytes = try encoder.container(nil)
        let reference = try WSMModel(bytes: bytes)
        scoredOutputs = try OutputSelection.scored(outputs: reference.outputs.map(\.name), metric: metric,
                                                   name: output)
        outputWidth = scoredOutputs.reduce(0) { $0 + reference.outputs[$1].elementCount }
        runBytes = max(reference.arenaBytes, 1) * samples.count
        floatOutputs = try Self.run(bytes, samples: samples, outputs: scoredOutputs, workers: workers, kernels: kernels,
                                    pool: arenas)
        if let i = floatOutputs.firstIndex(where: { !$0.isFinite }) {
            throw EvaluationError.nonFiniteFloatOutputs(sample: outputWidth == 0 ? 0 : i / outputWidth,
                                                        count: floatOutputs.count(where: { !$0.isFinite }))
        }
        floatScore = metric.score(outputs: floatOutputs, width: outputWidth, labels: samples.labels,
                                  reference: floatOutputs)
    }

    /// The candidate's score; ``Metric/failedScore`` when any of its outputs is NaN or infinite, or when its bias
    /// correction would write one (``CalibrationError/nonFiniteBias(bias:layer:channel:candidateMean:)``): such a
    /// candidate ranks behind every working one and never reaches the front.
    public func score(_ encoding: WeightEncoding) throws -> Double {
        let outputs: [Float]
        do {
            outputs = try self.outputs(encoding)
        } catch CalibrationError.nonFiniteBias {
            return Metric.failedScore
        }
        guard Metric.allFinite(outputs) else { return Metric.failedScore }
        return metric.score(outputs: outputs, width: outputWidth, labels: samples.labels, reference: floatOutputs)
    }

    /// Scores of `encodings`, in order. When a candidate's run over the samples is small (its arenas together at
    /// most ``sideBySideBytes``), candidates are scored side by side, one thread each (``Parallel/serially(_:)``):
    /// a candidate cannot keep the cores busy over its samples (a hand-off per operator; encoding, compensation,
    /// writing and verifying its container are largely serial). Each still splits its samples, and its compensation
    /// its rows, as when it runs alone, so each score equals ``score(_:)``'s (``SideBySideScoringTests``).
    public func scores(_ encodings: [WeightEncoding]) throws -> [Double] {
        guard encodings.count > 1, workers > 1, samples.count >= workers,
              runBytes * workers <= Self.sideBySideBytes else {
            return try encodings.map { try score($0) }
        }
        let scored = SideBySide(count: encodings.count)
        DispatchQueue.concurrentPerform(iterations: min(workers, encodings.count)) { _ in
            while let i = scored.take() {
                scored.finish(i, Result { try Parallel.serially { try self.score(encodings[i]) } })
            }
        }
        return try scored.results.map { try $0!.get() }
    }

    /// Most arena memory of the candidate runs scored side by side at once.
    static let sideBySideBytes = 256 << 20

    /// Each sample's score (``Metric/rowScores(outputs:width:labels:reference:)``) of the model with `encoding`
    /// (nil: the float model); nil when the candidate fails as in ``score(_:)``.
    public func rowScores(_ encoding: WeightEncoding?) throws -> [Double]? {
        let outputs: [Float]
        do {
            outputs = try encoding == nil ? floatOutputs : self.outputs(encoding)
        } catch CalibrationError.nonFiniteBias {
            return nil
        }
        guard Metric.allFinite(outputs) else { return nil }
        return metric.rowScores(outputs: outputs, width: outputWidth, labels: samples.labels, reference: floatOutputs)
    }

    /// The float model's per-sample scores.
    public var floatRowScores: [Double] {
        metric.rowScores(outputs: floatOutputs, width: outputWidth, labels: samples.labels, reference: floatOutputs)
    }

    /// The one-sided upper bound on the loss of `encoding` against the float model on these samples at
    /// `confidence` (``LossBound``); nil when the candidate fails.
    public func lossBound(_ encoding: WeightEncoding, confidence: Double, seed: UInt64) throws -> LossBound? {
        guard let rows = try rowScores(encoding) else { return nil }
        return LossBound.measure(metric: metric, float: floatRowScores, candidate: rows, confidence: confidence,
                                 seed: seed)
    }

    /// Outputs of the model with `encoding` (nil: the float model) on every sample.
    public func outputs(_ encoding: WeightEncoding?) throws -> [Float] {
        guard let encoding, encoding.biasCorrection, let calibration = ownCalibration else {
            return try Self.run(try encoder.container(encoding), samples: samples, outputs: scoredOutputs,
                                workers: workers, kernels: kernels, pool: arenas)
        }
        let compensated = try encoder.compensated(encoding)
        return try calibration.correctedPass(compensated, model: encoder.variant(encoding.normalization).prepared,
                                             kernels: kernels, outputs: scoredOutputs).outputs
    }

    /// The outputs at `outputs` of the container `bytes` on every sample, one row per sample.
    static func run(_ bytes: [UInt8], samples: SampleSet, outputs: [Int], workers: Int,
                    kernels: EvaluatorKernels, pool: ArenaPool? = nil) throws -> [Float] {
        switch kernels {
        case .reference:
            return try BatchRunner.run(try WSMModel(bytes: bytes), samples: samples, outputs: outputs, workers: workers)
        case .fast:
            let run = try LayerwiseRun(bytes: bytes, samples: samples, workers: workers, pool: pool)
            try run.run(to: Int.max, kernels: .fast)
            return run.outputs(outputs)
        }
    }

    /// Outputs of the model with the paper's plain `quantization` (nil: the float model).
    public func outputs(_ quantization: Quantization?) throws -> [Float] {
        try outputs(quantization.map { WeightEncoding(quantization: $0) })
    }
}

public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    case labelsRequired(metric: Metric)
    /// An array's samples do not have a shape the input they feed accepts (``SampleShape``; `array`: the data
    /// file's array, nil when not from one).
    case sampleShape(input: String, expected: [Int], got: [Int], array: String? = nil)
    /// The float (uncompressed) model gives NaN or infinite outputs: there is nothing to compare candidates with.
    case nonFiniteFloatOutputs(sample: Int, count: Int)
    /// A top-1 metric on an output with one value (a sigmoid score), which has no class to compare.
    case singleValueOutput(metric: Metric, output: String)

    public var description: String {
        switch self {
        case .labelsRequired(let metric):
            return "metric '\(metric.rawValue)' needs labels: the data file has no 'y' array (use --metric agreement or cosine)"
        case .sampleShape(let input, let expected, let got, let array):
            let what = array.map { "the samples of '\($0)'" } ?? "samples"
            let accepted = SampleShape.acceptedShapes(expected).map { "\($0)" }.joined(separator: ", ")
            return "\(what) have shape \(got) (\(got.reduce(1, *)) values each) but model input '\(input)' takes "
                + "\(expected) (\(expected.reduce(1, *)) values); a sample's shape must be one of \(accepted) "
                + "(the input's shape, without leading 1s, or flat)"
        case .singleValueOutput(let metric, let output):
            return "--metric \(metric.rawValue) compares top-1 classes, but output '\(output)' has a single value "
                + "(a score, e.g. a sigmoid), so every sample would agree; use --metric cosine (or --output to "
                + "score another output)"
        case .nonFiniteFloatOutputs(let sample, let count):
            return "the float model gives \(count) NaN or infinite output value(s) on the data (the first at sample "
                + "\(sample)); candidates cannot be scored against it (check the data and the model's weights)"
        }
    }
}

/// Candidates handed out to the threads scoring side by side, and their results.
private final class SideBySide: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int
    private(set) var results: [Result<Double, Error>?]

    init(count: Int) {
        self.count = count
        results = Array(repeating: nil, count: count)
    }

    func take() -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            next += 1
            return next - 1
        }
    }

    func finish(_ j: Int, _ result: Result<Double, Error>) { lock.withLock { results[j] = result } }
}
