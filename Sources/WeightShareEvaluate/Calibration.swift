import Foundation
import WeightShareReader
import WeightShareCompress
import WeightShareContainer

/// Error compensation and bias correction measured with the C runtime on fixed calibration samples (the search
/// data).
///
/// Error compensation: each compensated layer's input Gram matrix is measured once on the float model
/// (``BatchRunner/grams(_:layer:samples:workers:)``) and factored once (``CompensationFactor``); both are cached by
/// the layer's weight and geometry, which every normalisation shares.
///
/// Bias correction: layer after layer, in execution order, the candidate's container (compensated) is run up to
/// the layer (with the offsets found so far) and the layer's bias is moved by the difference between its
/// output-channel means and the float model's. Correcting
/// one layer at a time matters: a later layer's shift is partly inherited from earlier ones, so correcting every
/// layer from one measurement counts that part twice.
/// Offsets are cached per encoding; the float means once per normalisation. Safe to call from several threads.
public final class Calibration: Calibrating, @unchecked Sendable {
    public let samples: SampleSet
    public let workers: Int

    private let lock = NSLock()
    private var floatMeans: [WeightNormalization: [[Double]]] = [:]
    private var offsetCache: [WeightEncoding: BiasOffsets] = [:]
    private var factorCache: [FactorKey: [CompensationFactor?]] = [:]

    private struct FactorKey: Hashable {
        let weight: String
        let geometry: CompensationLayer.Geometry
    }

    public init(samples: SampleSet, workers: Int = BatchRunner.defaultWorkers) {
        self.samples = samples
        self.workers = workers
    }

    public func offsets(for encoding: WeightEncoding, model: PreparedModel) throws -> BiasOffsets {
        if let cached = lock.withLock({ offsetCache[encoding] }) { return cached }
        let sites = BiasCorrectionSite.sites(in: model.lowered, shared: model.shared)
        let reference = try floatMeans(model, normalization: encoding.normalization, sites: sites)
        var offsets = BiasOffsets()
        for (site, float) in zip(sites, reference) {
            let candidate = try WSMModel(bytes: try model.container(encoding: encoding, biasOffsets: offsets))
            let means = try BatchRunner.channelMeans(candidate, site: site, samples: samples, workers: workers)
            var added = offsets.added[site.bias] ?? [Float](repeating: 0, count: site.channels)
            let bias = model.lowered.tensors[site.bias]
            for c in 0..<site.channels {
                added[c] -= Float((means[c] - float[c]) / Double(site.biasGain))
                // A NaN or infinite mean (the candidate overflows on the search data) must not become a bias.
                let corrected = (bias.constant?[c] ?? 0) + added[c]
                guard added[c].isFinite, corrected.isFinite else {
                    throw CalibrationError.nonFiniteBias(bias: bias.name, layer: model.lowered.operations[site.operation].name,
                                                         channel: c, candidateMean: means[c])
                }
            }
            offsets.added[site.bias] = added
        }
        lock.withLock { offsetCache[encoding] = offsets }
        return offsets
    }

    public func compensatedIndices(for encoding: WeightEncoding, model: PreparedModel) throws -> [UInt32] {
        var float: WSMModel?
        return try encoding.compensatedIndices(model: model.lowered, shared: model.shared) { layer in
            let key = FactorKey(weight: model.lowered.tensors[layer.weight].name, geometry: layer.geometry)
            if let cached = lock.withLock({ factorCache[key] }) { return cached }
            if float == nil { float = try WSMModel(bytes: try model.container(quantization: nil)) }
            let grams = try BatchRunner.grams(float!, layer: layer, samples: samples, workers: workers)
            let factors = grams.map { CompensationFactor(gram: layer.symmetrised($0), width: layer.width) }
            lock.withLock { factorCache[key] = factors }
            return factors
        }
    }

    /// The float model's output-channel means at every site (the float model's outputs do not depend on the
    /// normalisation, but its operations may: a MatMul gains a Mul, so they are measured per variant).
    private func floatMeans(_ model: PreparedModel, normalization key: WeightNormalization,
                            sites: [BiasCorrectionSite]) throws -> [[Double]] {
        if let cached = lock.withLock({ floatMeans[key] }) { return cached }
        let float = try WSMModel(bytes: try model.container(quantization: nil))
        let means = try sites.map { try BatchRunner.channelMeans(float, site: $0, samples: samples, workers: workers) }
        for (site, channelMeans) in zip(sites, means) {
            if let c = channelMeans.firstIndex(where: { !$0.isFinite }) {
                throw CalibrationError.nonFiniteFloatActivations(
                    layer: model.lowered.operations[site.operation].name, channel: c, mean: channelMeans[c])
            }
        }
        lock.withLock { floatMeans[key] = means }
        return means
    }
}
