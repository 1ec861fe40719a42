import Foundation
import WeightShareReader
import WeightShareCompress
import WeightShareContainer
import WeightShareCore

/// Error compensation and bias correction measured with the C runtime on fixed calibration samples (the search
/// data).
///
/// Error compensation: each compensated layer's input Gram matrix is measured once on the float model
/// (``LayerwiseRun/grams(_:)``) and factored once (``CompensationFactor``); both are cached by
/// the layer's weight and geometry, which every normalisation shares.
///
/// Bias correction: layer after layer, in execution order, each layer's bias is moved by the difference between
/// its output-channel means on the candidate and on the float model, measured with the layers before it already
/// corrected. Correcting one layer at a time matters: a later layer's shift is partly inherited from earlier ones,
/// so correcting every layer from one measurement counts that part twice. All of it is one layer-wise pass
/// (``LayerwiseRun``): every sample passes a layer, its means are measured, its bias is corrected and the layer is
/// run again, then the pass goes on — what the sequential definition gives (the same bits with the reference
/// kernels), at the cost of one pass and a rerun of each corrected layer instead of one pass per layer.
/// Offsets are cached per encoding; the float means once per normalisation and kernels. Safe to call from several
/// threads.
public final class Calibration: Calibrating, @unchecked Sendable {
    public let samples: SampleSet
    public let workers: Int

    private let lock = NSLock()
    private var floatMeans: [FloatMeansKey: [[Double]]] = [:]
    private var offsetCache: [WeightEncoding: BiasOffsets] = [:]
    private var factorCache: [FactorKey: [CompensationFactor?]] = [:]
    /// Arena memory the passes reuse from candidate to candidate.
    private let arenas = ArenaPool()

    private struct FactorKey: Hashable {
        let weight: String
        let geometry: CompensationLayer.Geometry
    }

    private struct FloatMeansKey: Hashable {
        let normalization: WeightNormalization
        let kernels: EvaluatorKernels
    }

    public init(samples: SampleSet, workers: Int = BatchRunner.defaultWorkers) {
        self.samples = samples
        self.workers = workers
    }

    public func offsets(for encoding: WeightEncoding, model: PreparedModel) throws -> BiasOffsets {
        if let cached = lock.withLock({ offsetCache[encoding] }) { return cached }
        return try correctedPass(encoding, model: model, kernels: .reference, outputs: nil).offsets
    }

    /// One layer-wise pass of `encoding` (its indices already compensated when it asks for that) on `model` over
    /// the calibration samples, every bias-correction site corrected as the pass reaches it; then, when `outputs`
    /// (positions in the model's outputs) are given, the rest of the model and those outputs, one row per sample.
    /// With ``EvaluatorKernels/fast`` a corrected layer is not run again: the correction is added to its output
    /// (the same up to rounding), and the offsets are those of the fast kernels — for scoring, never for a file.
    public func correctedPass(_ encoding: WeightEncoding, model: PreparedModel, kernels: EvaluatorKernels,
                              outputs: [Int]?) throws -> (offsets: BiasOffsets, outputs: [Float]) {
        let sites = BiasCorrectionSite.sites(in: model.lowered, shared: model.shared)
        let reference = try floatMeans(model, normalization: encoding.normalization, sites: sites, kernels: kernels)
        let run = try LayerwiseRun(bytes: try model.container(encoding: encoding), samples: samples, workers: workers,
                                   pool: arenas)
        var offsets = BiasOffsets()
        for (site, float) in zip(sites, reference) {
            try run.run(to: site.operation + 1, kernels: kernels)
            let means = mean(run.channelSums(site), site: site, run: run)
            var added = [Float](repeating: 0, count: site.channels)
            let bias = model.lowered.tensors[site.bias]
            var corrected = [Float](repeating: 0, count: site.channels)
            for c in 0..<site.channels {
                added[c] -= Float((means[c] - float[c]) / Double(site.biasGain))
                // A NaN or infinite mean (the candidate overflows on the search data) must not become a bias.
                corrected[c] = (bias.constant?[c] ?? 0) + added[c]
                guard added[c].isFinite, corrected[c].isFinite else {
                    throw CalibrationError.nonFiniteBias(bias: bias.name, layer: model.lowered.operations[site.operation].name,
                                                         channel: c, candidateMean: means[c])
                }
            }
            offsets.added[site.bias] = added
            switch kernels {
            case .reference:
                run.overwrite(rawTensor: site.bias, with: corrected)
                try run.runEach(site.operation..<(site.operation + 1))
            case .fast:
                run.shift(site, by: added.map { $0 * site.biasGain })
            }
        }
        if kernels == .reference { lock.withLock { offsetCache[encoding] = offsets } }
        guard let outputs else { return (offsets, []) }
        try run.run(to: Int.max, kernels: kernels)
        return (offsets, run.outputs(outputs))
    }

    private func mean(_ sums: [Double], site: BiasCorrectionSite, run: LayerwiseRun) -> [Double] {
        let perChannel = Double(samples.count) * Double(run.model.tensors[site.output].elementCount / site.channels)
        return sums.map { $0 / perChannel }
    }

    public func compensatedIndices(for encoding: WeightEncoding, model: PreparedModel) throws -> [UInt32] {
        try encoding.compensatedIndices(model: model.lowered, shared: model.shared, threads: workers) { layer in
            try factors(layer, model: model)
        }
    }

    /// The factors of `layer`'s groups. The first request measures the Gram matrices of every compensable layer of
    /// `model` not yet known in one layer-wise pass of the float model (reference kernels: the activations a
    /// partial run up to each layer gives, summed alike) and factors them, the layers spread over the workers.
    private func factors(_ layer: CompensationLayer, model: PreparedModel) throws -> [CompensationFactor?] {
        func key(_ layer: CompensationLayer) -> FactorKey {
            FactorKey(weight: model.lowered.tensors[layer.weight].name, geometry: layer.geometry)
        }
        if let cached = lock.withLock({ factorCache[key(layer)] }) { return cached }
        var missing: [CompensationLayer] = []
        var seen = Set<FactorKey>()
        for candidate in CompensationLayer.layers(in: model.lowered, shared: model.shared) {
            let candidateKey = key(candidate)
            let known: Bool = lock.withLock { factorCache[candidateKey] != nil }
            if !known && seen.insert(candidateKey).inserted { missing.append(candidate) }
        }
        missing.sort { $0.operation < $1.operation }
        let run = try LayerwiseRun(bytes: try model.container(quantization: nil), samples: samples, workers: workers)
        var grams: [[[Double]]] = []
        for candidate in missing {
            try run.run(to: candidate.operation, kernels: .reference)
            grams.append(run.grams(candidate))
        }
        let slots = FactorSlots(count: missing.count)
        let (layers, measured) = (missing, grams)
        // The layers spread over the calibration's workers (one at a time with one worker).
        let parts = max(1, min(workers, layers.count))
        Parallel.perform(iterations: parts) { part in
            for i in stride(from: part, to: layers.count, by: parts) {
                let groupFactors: [CompensationFactor?] = measured[i].map { (gram: [Double]) -> CompensationFactor? in
                    CompensationFactor(gram: layers[i].symmetrised(gram), width: layers[i].width)
                }
                slots.set(i, groupFactors)
            }
        }
        let result: [CompensationFactor?] = lock.withLock {
            for (i, done) in layers.enumerated() where factorCache[key(done)] == nil {
                factorCache[key(done)] = slots.values[i]
            }
            return factorCache[key(layer)] ?? []
        }
        return result
    }

    /// The float model's output-channel means at every site, from one layer-wise pass (the float model's outputs do
    /// not depend on the normalisation, but its operations may: a MatMul gains a Mul, so they are measured per
    /// variant; and per kernels, so that a candidate is compared with the float model run alike).
    private func floatMeans(_ model: PreparedModel, normalization key: WeightNormalization,
                            sites: [BiasCorrectionSite], kernels: EvaluatorKernels) throws -> [[Double]] {
        let cacheKey = FloatMeansKey(normalization: key, kernels: kernels)
        if let cached = lock.withLock({ floatMeans[cacheKey] }) { return cached }
        let run = try LayerwiseRun(bytes: try model.container(quantization: nil), samples: samples, workers: workers)
        var means: [[Double]] = []
        for site in sites {
            try run.run(to: site.operation + 1, kernels: kernels)
            let channelMeans = mean(run.channelSums(site), site: site, run: run)
            if let c = channelMeans.firstIndex(where: { !$0.isFinite }) {
                throw CalibrationError.nonFiniteFloatActivations(
                    layer: model.lowered.operations[site.operation].name, channel: c, mean: channelMeans[c])
            }
            means.append(channelMeans)
        }
        lock.withLock { floatMeans[cacheKey] = means }
        return means
    }
}

/// Factors written by the workers, each into its own slot.
private final class FactorSlots: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [[CompensationFactor?]]
    init(count: Int) { values = [[CompensationFactor?]](repeating: [], count: count) }
    func set(_ i: Int, _ factors: [CompensationFactor?]) { lock.withLock { values[i] = factors } }
}
