import Dispatch
import Foundation
import WeightShareReader

/// Runs a .wsm model over every sample with the C runtime, the samples spread over the cores (one arena per
/// worker). Outputs come back in sample order, so results do not depend on scheduling.
public enum BatchRunner {
    /// Workers used; the machine's active cores.
    public static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The first output of every sample, concatenated (n × outputSize).
    public static func run(_ model: WSMModel, samples: SampleSet, workers: Int = defaultWorkers) throws -> [Float] {
        guard model.inputs.count == 1, let input = model.inputs.first, let output = model.outputs.first else {
            throw WSMError.wrongInputCount(expected: model.inputs.count, got: 1)
        }
        guard input.elementCount == samples.sampleSize else {
            throw WSMError.wrongInputSize(input: input.name, expected: input.elementCount, got: samples.sampleSize)
        }
        let width = output.elementCount
        var result = [Float](repeating: 0, count: samples.count * width)
        let workers = max(1, min(workers, samples.count))
        let chunk = (samples.count + workers - 1) / workers
        let failure = FirstError()
        try result.withUnsafeMutableBufferPointer { out in
            let out = SendableBuffer(out)
            samples.values.withUnsafeBufferPointer { x in
                let x = SendableInput(x)
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let session = InferenceSession(model: model)
                    let range = (w * chunk)..<min(samples.count, (w + 1) * chunk)
                    do {
                        for i in range {
                            let sample = UnsafeBufferPointer(rebasing: x.buffer[(i * samples.sampleSize)..<((i + 1) * samples.sampleSize)])
                            try session.run(input: sample) { y in
                                for j in 0..<width { out.buffer[i * width + j] = y[j] }
                            }
                        }
                    } catch {
                        failure.record(error)
                    }
                }
            }
            if let error = failure.error { throw error }
        }
        return result
    }
}

extension BatchRunner {
    /// Per-channel means of `site`'s output over every sample, running each sample only up to the site's
    /// operation (`model` must be written from the model the site was found in).
    public static func channelMeans(_ model: WSMModel, site: BiasCorrectionSite, samples: SampleSet,
                                    workers: Int = defaultWorkers) throws -> [Double] {
        let output = model.tensor(at: site.output)
        let workers = max(1, min(workers, samples.count))
        let chunk = (samples.count + workers - 1) / workers
        let failure = FirstError()
        let partial = PartialSums(workers: workers, channels: site.channels)
        samples.values.withUnsafeBufferPointer { x in
            let x = SendableInput(x)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let session = InferenceSession(model: model)
                var sums = [Double](repeating: 0, count: site.channels)
                do {
                    for i in (w * chunk)..<min(samples.count, (w + 1) * chunk) {
                        let sample = UnsafeBufferPointer(rebasing: x.buffer[(i * samples.sampleSize)..<((i + 1) * samples.sampleSize)])
                        try session.run(input: sample, operators: site.operation + 1, reading: output) {
                            site.accumulate($0, into: &sums)
                        }
                    }
                } catch {
                    failure.record(error)
                }
                partial.store(sums, worker: w)
            }
        }
        if let error = failure.error { throw error }
        let perChannel = Double(samples.count) * Double(output.elementCount / site.channels)
        return partial.total().map { $0 / perChannel }
    }
}

/// One sum vector per worker, added up in worker order (so the result does not depend on scheduling).
final class PartialSums: @unchecked Sendable {
    private let lock = NSLock()
    private var sums: [[Double]]

    init(workers: Int, channels: Int) {
        sums = [[Double]](repeating: [Double](repeating: 0, count: channels), count: workers)
    }

    func store(_ values: [Double], worker: Int) { lock.withLock { sums[worker] = values } }

    func total() -> [Double] {
        lock.withLock { sums.dropFirst().reduce(sums[0]) { zip($0, $1).map(+) } }
    }
}

/// Buffers written by disjoint ranges from several workers.
struct SendableBuffer: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Float>
    init(_ buffer: UnsafeMutableBufferPointer<Float>) { self.buffer = buffer }
}

struct SendableInput: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<Float>
    init(_ buffer: UnsafeBufferPointer<Float>) { self.buffer = buffer }
}

/// Keeps the first error thrown by a worker.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: Error?
    func record(_ e: Error) {
        lock.withLock { if error == nil { error = e } }
    }
}
