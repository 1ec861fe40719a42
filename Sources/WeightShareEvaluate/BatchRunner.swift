import Dispatch
import Foundation
import WeightShareReader
import WeightShareCompress
import WeightShareCore

/// Runs a .wsm model over every sample with the C runtime, the samples spread over the cores (one arena per
/// worker). Outputs come back in sample order, so results do not depend on scheduling.
public enum BatchRunner {
    /// Workers used; the machine's active cores.
    public static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The outputs at `outputs` (positions in the model's outputs; nil: every output) of every sample: one row
    /// per sample, each the chosen outputs concatenated in that order (n × their total size).
    public static func run(_ model: WSMModel, samples: SampleSet, outputs: [Int]? = nil,
                           workers: Int = defaultWorkers) throws -> [Float] {
        let chosen = try checkedOutputs(model, outputs)
        let width = chosen.reduce(0) { $0 + model.outputs[$1].elementCount }
        return try rows(model, samples: samples, width: width, workers: workers) { session, sample, row in
            var offset = 0
            try session.run(input: sample, outputs: chosen) { _, y in
                for j in y.indices { row[offset + j] = y[j] }
                offset += y.count
            }
        }
    }

    /// As ``run(_:samples:outputs:workers:)``, but free-running: the samples run one after the other, in order,
    /// and each pair of `feedback` (an input position, an output position of the same size) replaces that input
    /// of every sample after the first with that output of the sample before, as a recurrent model runs when
    /// deployed (its state fed back from call to call). The first sample's values come from the data.
    public static func runFreeRunning(_ model: WSMModel, samples: SampleSet, outputs: [Int]? = nil,
                                      feedback: [(input: Int, output: Int)]) throws -> [Float] {
        let chosen = try checkedOutputs(model, outputs)
        _ = try checkedOutputs(model, feedback.map(\.output), allowNone: true)
        try checkInputs(model, samples)
        let offsets = samples.inputSizes.indices.map { samples.inputSizes[..<$0].reduce(0, +) }
        let session = InferenceSession(model: model)
        var result: [Float] = []
        result.reserveCapacity(samples.count * chosen.reduce(0) { $0 + model.outputs[$1].elementCount })
        let needed = Array(Set(chosen + feedback.map(\.output))).sorted()
        var latest: [Int: [Float]] = [:]
        for i in 0..<samples.count {
            var sample = Array(samples.values[(i * samples.sampleSize)..<((i + 1) * samples.sampleSize)])
            if i > 0 {
                for (input, output) in feedback {
                    sample.replaceSubrange(offsets[input]..<(offsets[input] + samples.inputSizes[input]),
                                           with: latest[output]!)
                }
            }
            try sample.withUnsafeBufferPointer { x in
                try session.run(input: x, outputs: needed) { o, y in latest[o] = Array(y) }
            }
            for o in chosen { result += latest[o]! }
        }
        return result
    }

    /// Per-channel means of `site`'s output over every sample, running each sample only up to the site's
    /// operation (`model` must be written from the model the site was found in). Each sample's sums are kept and
    /// added in sample order, so the means do not depend on the number of workers.
    public static func channelMeans(_ model: WSMModel, site: BiasCorrectionSite, samples: SampleSet,
                                    workers: Int = defaultWorkers) throws -> [Double] {
        let output = try model.tensor(at: site.output)
        let channels = site.channels
        let perSample = try rows(model, samples: samples, width: channels, workers: workers) { session, sample, row in
            var sums = [Double](repeating: 0, count: channels)
            try session.run(input: sample, operators: site.operation + 1, reading: output) {
                site.accumulate($0, into: &sums)
            }
            for c in 0..<channels { row[c] = sums[c] }
        }
        var totals = [Double](repeating: 0, count: channels)
        for i in 0..<samples.count {
            for c in 0..<channels { totals[c] += perSample[i * channels + c] }
        }
        let perChannel = Double(samples.count) * Double(output.elementCount / channels)
        return totals.map { $0 / perChannel }
    }

    /// One row of `width` values per sample, in sample order, each filled by `fill` from the sample with the
    /// worker's session; the samples are spread over the workers.
    private static func rows<T: Numeric & Sendable>(
        _ model: WSMModel, samples: SampleSet, width: Int, workers: Int,
        fill: @Sendable (InferenceSession, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<T>) throws -> Void
    ) throws -> [T] {
        var result = [T](repeating: 0, count: samples.count * width)
        let workers = max(1, min(workers, samples.count))
        let chunk = (samples.count + workers - 1) / workers
        let ranges = (0..<workers).map { ($0 * chunk)..<min(samples.count, ($0 + 1) * chunk) }
        try result.withUnsafeMutableBufferPointer { out in
            let out = SendableRows(out)
            try concurrently(model, samples: samples, ranges: ranges) { worker, session, sample in
                for i in ranges[worker] {
                    try fill(session, sample(i), UnsafeMutableBufferPointer(rebasing: out.buffer[(i * width)..<((i + 1) * width)]))
                }
            }
        }
        return result
    }

    /// `outputs` (nil: every output of the model), each a position in the model's outputs; at least one unless
    /// `allowNone`.
    private static func checkedOutputs(_ model: WSMModel, _ outputs: [Int]?, allowNone: Bool = false) throws -> [Int] {
        let chosen = outputs ?? Array(model.outputs.indices)
        if chosen.isEmpty && !allowNone { throw WSMError.wrongOutputCount(expected: 1, got: model.outputs.count) }
        for o in chosen where !model.outputs.indices.contains(o) {
            throw WSMError.wrongOutputCount(expected: o + 1, got: model.outputs.count)
        }
        return chosen
    }

    /// A sample row must hold every model input, in order, each with its element count.
    private static func checkInputs(_ model: WSMModel, _ samples: SampleSet) throws {
        guard model.inputs.count == samples.inputSizes.count else {
            throw WSMError.wrongInputCount(expected: model.inputs.count, got: samples.inputSizes.count)
        }
        for (input, size) in zip(model.inputs, samples.inputSizes) where input.elementCount != size {
            throw WSMError.wrongInputSize(input: input.name, expected: input.elementCount, got: size)
        }
    }

    /// Runs `body` once per range of sample indices, the ranges in parallel, each with its own session (arena)
    /// and a function giving sample i's values; throws the first error a range threw.
    private static func concurrently(
        _ model: WSMModel, samples: SampleSet, ranges: [Range<Int>],
        _ body: @Sendable (Int, InferenceSession, (Int) -> UnsafeBufferPointer<Float>) throws -> Void
    ) throws {
        try checkInputs(model, samples)
        let failure = FirstError()
        samples.values.withUnsafeBufferPointer { x in
            let x = SendableRows(UnsafeMutableBufferPointer(mutating: x))
            let size = samples.sampleSize
            Parallel.perform(iterations: ranges.count) { r in
                do {
                    try body(r, InferenceSession(model: model)) {
                        UnsafeBufferPointer(rebasing: x.buffer[($0 * size)..<(($0 + 1) * size)])
                    }
                } catch {
                    failure.record(error)
                }
            }
        }
        if let error = failure.error { throw error }
    }
}

/// A buffer shared by the workers, each touching only its own samples' rows.
struct SendableRows<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

/// Keeps the first error thrown by a worker.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: Error?
    func record(_ e: Error) {
        lock.withLock { if error == nil { error = e } }
    }
}
