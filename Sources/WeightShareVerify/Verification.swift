import Foundation
import WeightShareReader
import WeightShareContainer
import WeightShareCore
import WeightShareEvaluate
import WeightShareSearch

/// What `wsc verify` reports: the compressed model run by the C runtime from the .wsm against the float
/// model (the ONNX file, lowered and run with raw weights) on the same samples. Keys are stable (README).
public struct VerificationReport: Sendable, Equatable, Codable {
    public var samples: Int
    /// Top-1 accuracies; nil when the data has no labels.
    public var floatAccuracy: Double?
    public var compressedAccuracy: Double?
    /// Share of samples whose top-1 class is the same in both models.
    public var agreement: Double
    /// Mean cosine similarity per sample; a sample with a NaN or infinite output (either model) counts as −1.
    public var meanCosine: Double
    /// Largest |compressed − float| over every output; nil (JSON null) when some difference is not a number
    /// (a NaN on either side, or an infinity the other model does not have): the counts below say how many.
    public var maxAbsDiff: Double?
    /// Output values of the compressed model that are NaN or ±Inf.
    public var nonFiniteOutputs: Int
    /// The same for the float model.
    public var floatNonFiniteOutputs: Int
    public var k: Int
    public var m: Int
    public var bitWidth: Int
    public var sharedWeights: Int
    public var compressionRatioFixed: Double
    public var compressionRatioHuffman: Double
    public var onnxBytes: Int
    public var wsmBytes: Int
    public var arenaBytes: Int
    /// Whether the .wsm records this ONNX file's SHA-256 as its source.
    public var sourceMatches: Bool
    /// Per-sample top-1 predictions of the compressed model (not part of the JSON report).
    public var predictions: [Int] = []

    enum CodingKeys: String, CodingKey {
        case samples, floatAccuracy, compressedAccuracy, agreement, meanCosine, maxAbsDiff, nonFiniteOutputs
        case floatNonFiniteOutputs, k, m, bitWidth
        case sharedWeights, compressionRatioFixed, compressionRatioHuffman, onnxBytes, wsmBytes, arenaBytes
        case sourceMatches
    }

    /// Every key is written, absent values as null; a number that is not finite is written as null too, so the
    /// JSON never fails (JSON has no NaN or Infinity).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(samples, forKey: .samples)
        try c.encodeFinite(floatAccuracy, forKey: .floatAccuracy)
        try c.encodeFinite(compressedAccuracy, forKey: .compressedAccuracy)
        try c.encodeFinite(agreement, forKey: .agreement)
        try c.encodeFinite(meanCosine, forKey: .meanCosine)
        try c.encodeFinite(maxAbsDiff, forKey: .maxAbsDiff)
        try c.encode(nonFiniteOutputs, forKey: .nonFiniteOutputs)
        try c.encode(floatNonFiniteOutputs, forKey: .floatNonFiniteOutputs)
        try c.encode(k, forKey: .k)
        try c.encode(m, forKey: .m)
        try c.encode(bitWidth, forKey: .bitWidth)
        try c.encode(sharedWeights, forKey: .sharedWeights)
        try c.encodeFinite(compressionRatioFixed, forKey: .compressionRatioFixed)
        try c.encodeFinite(compressionRatioHuffman, forKey: .compressionRatioHuffman)
        try c.encode(onnxBytes, forKey: .onnxBytes)
        try c.encode(wsmBytes, forKey: .wsmBytes)
        try c.encode(arenaBytes, forKey: .arenaBytes)
        try c.encode(sourceMatches, forKey: .sourceMatches)
    }

    /// Largest |a − b| over pairs of outputs (equal values, the same infinity included, differ by 0); nil when a
    /// difference is not a finite number.
    public static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Double? {
        var largest = 0.0
        for (x, y) in zip(a, b) where x != y {
            let d = abs(Double(x) - Double(y))
            guard d.isFinite else { return nil }
            largest = max(largest, d)
        }
        return largest
    }
}

public enum Verification {
    /// Runs both models. `inputShapes` pins dynamic dimensions; by default the .wsm's input shapes are used.
    public static func verify(wsm url: URL, model modelURL: URL, data: URL, inputShapes: [String: [Int]] = [:],
                              limit: Int? = nil) throws -> VerificationReport {
        let compressed = try WSMModel(contentsOf: url)
        var shapes = Dictionary(uniqueKeysWithValues: compressed.inputs.map { ($0.name, $0.shape) })
        shapes.merge(inputShapes) { _, given in given }
        let source = try ModelSource.load(modelURL, inputShapes: shapes)
        let samples = try SampleSet.load(data, for: source.lowered, limit: limit)
        let reference = try WSMModel(bytes: try source.prepared.container(quantization: nil))

        let width = compressed.outputs.first?.elementCount ?? 0
        let floatOut = try BatchRunner.run(reference, samples: samples)
        let out = try BatchRunner.run(compressed, samples: samples)
        guard reference.outputs.first?.elementCount == width else {
            throw EvaluationError.sampleShape(input: "output", expected: reference.outputs.first?.shape ?? [],
                                              got: compressed.outputs.first?.shape ?? [])
        }
        let maxAbs = VerificationReport.maxAbsDifference(out, floatOut)
        let predictions = (0..<samples.count).map { Metric.argmax(out[($0 * width)..<(($0 + 1) * width)]) }

        let indices = compressed.indices()
        let codebook = compressed.codebook
        var histogram = [Int](repeating: 0, count: codebook.count)
        for i in indices { histogram[Int(i)] += 1 }
        let n = indices.count
        let bits = compressed.stream.bitWidth
        let huffman = HuffmanLengths.totalBits(frequencies: histogram)
        let floatBits = Double(32 * n)
        // Scales and outliers as the compiler recorded them in the metadata (none in the paper's mode).
        let summary = try? JSONDecoder().decode(SolutionSummary.self, from: Data(compressed.metadata.solutionJSON.utf8))
        let sideBits = 32 * (summary?.scales ?? 0) + 64 * (summary?.outliers ?? 0)
        let accuracy = { (o: [Float]) in
            samples.labels.map { _ in Metric.accuracy.score(outputs: o, width: width, labels: samples.labels, reference: []) }
        }
        return VerificationReport(
            samples: samples.count, floatAccuracy: accuracy(floatOut), compressedAccuracy: accuracy(out),
            agreement: Metric.agreement.score(outputs: out, width: width, labels: nil, reference: floatOut),
            meanCosine: Metric.cosine.score(outputs: out, width: width, labels: nil, reference: floatOut),
            maxAbsDiff: maxAbs, nonFiniteOutputs: out.count(where: { !$0.isFinite }),
            floatNonFiniteOutputs: floatOut.count(where: { !$0.isFinite }),
            k: compressed.metadata.k, m: codebook.count, bitWidth: bits, sharedWeights: n,
            compressionRatioFixed: n == 0 ? 1 : floatBits / Double(32 * codebook.count + n * bits + sideBits),
            compressionRatioHuffman: n == 0 ? 1 : floatBits / Double(32 * codebook.count + huffman + sideBits),
            onnxBytes: source.fileBytes, wsmBytes: compressed.byteCount, arenaBytes: compressed.arenaBytes,
            sourceMatches: compressed.metadata.sourceSHA256 == source.sha256, predictions: predictions)
    }
}
