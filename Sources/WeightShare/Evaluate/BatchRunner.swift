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
    /// operation (`model` must be written from the model the site was found in). Each sample's sums are kept and
    /// added in sample order, so the means do not depend on the number of workers.
    public static func channelMeans(_ model: WSMModel, site: BiasCorrectionSite, samples: SampleSet,
                                    workers: Int = defaultWorkers) throws -> [Double] {
        let output = model.tensor(at: site.output)
        let channels = site.channels
        let workers = max(1, min(workers, samples.count))
        let chunk = (samples.count + workers - 1) / workers
        let failure = FirstError()
        var perSample = [Double](repeating: 0, count: samples.count * channels)
        perSample.withUnsafeMutableBufferPointer { rows in
            let rows = SendableDoubles(rows)
            samples.values.withUnsafeBufferPointer { x in
                let x = SendableInput(x)
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let session = InferenceSession(model: model)
                    var sums = [Double](repeating: 0, count: channels)
                    do {
                        for i in (w * chunk)..<min(samples.count, (w + 1) * chunk) {
                            let sample = UnsafeBufferPointer(rebasing: x.buffer[(i * samples.sampleSize)..<((i + 1) * samples.sampleSize)])
                            for c in 0..<channels { sums[c] = 0 }
                            try session.run(input: sample, operators: site.operation + 1, reading: output) {
                                site.accumulate($0, into: &sums)
                            }
                            for c in 0..<channels { rows.buffer[i * channels + c] = sums[c] }
                        }
                    } catch {
                        failure.record(error)
                    }
                }
            }
        }
        if let error = failure.error { throw error }
        var totals = [Double](repeating: 0, count: channels)
        for i in 0..<samples.count {
            for c in 0..<channels { totals[c] += perSample[i * channels + c] }
        }
        let perChannel = Double(samples.count) * Double(output.elementCount / channels)
        return totals.map { $0 / perChannel }
    }
}

struct SendableDoubles: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Double>
    init(_ buffer: UnsafeMutableBufferPointer<Double>) { self.buffer = buffer }
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
