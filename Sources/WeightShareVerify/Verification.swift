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
    /// Each model output compared on its own, in the model's order.
    public var outputs: [OutputComparison] = []
    /// The output top-1 figures (accuracy, agreement) read: `--output`, or the first.
    public var classOutput: String = ""
    /// The `--feedback` pairs the samples were run with (free-running, in order); empty: every sample alone.
    public var feedback: [String] = []
    /// Per-sample top-1 predictions of the compressed model (not part of the JSON report).
    public var predictions: [Int] = []

    enum CodingKeys: String, CodingKey {
        case samples, floatAccuracy, compressedAccuracy, agreement, meanCosine, maxAbsDiff, nonFiniteOutputs
        case floatNonFiniteOutputs, k, m, bitWidth
        case sharedWeights, compressionRatioFixed, compressionRatioHuffman, onnxBytes, wsmBytes, arenaBytes
        case sourceMatches, outputs, classOutput, feedback
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
        try c.encode(outputs, forKey: .outputs)
        try c.encode(classOutput, forKey: .classOutput)
        try c.encode(feedback, forKey: .feedback)
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

/// One model output of the compressed model against the float model's, over every sample.
public struct OutputComparison: Sendable, Equatable, Codable {
    public var name: String
    public var shape: [Int]
    /// Mean cosine similarity per sample (−1 for a sample with a non-finite value).
    public var meanCosine: Double
    /// Largest |compressed − float|; nil when a difference is not a finite number.
    public var maxAbsDiff: Double?

    enum CodingKeys: String, CodingKey { case name, shape, meanCosine, maxAbsDiff }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(shape, forKey: .shape)
        try c.encodeFinite(meanCosine, forKey: .meanCosine)
        try c.encodeFinite(maxAbsDiff, forKey: .maxAbsDiff)
    }
}

/// Why a .wsm and a source model cannot be compared.
public enum VerificationError: Error, Equatable, CustomStringConvertible {
    /// The .wsm's inputs or outputs are not the lowered source model's. `source` is set when the .wsm records
    /// another model's SHA-256 than the given file's (then that is the likely cause, and the message leads with it).
    case interfaceMismatch(what: String, wsm: [String], model: [String], sourceMatches: Bool,
                           source: SourceMismatch? = nil)
    /// The .wsm records another model's SHA-256, and the given model could not even be lowered as the .wsm's
    /// inputs need (`problem`: what lowering said).
    case otherSource(SourceMismatch, problem: String)

    public var description: String {
        switch self {
        case .interfaceMismatch(let what, let wsm, let model, let sourceMatches, let source):
            let detail = "the .wsm's \(what) (" + wsm.joined(separator: ", ") + ") are not the model's ("
                + model.joined(separator: ", ") + ")"
            if let source { return "\(source); \(detail)" }
            let hint = sourceMatches
                ? "compile and verify must pin the same inputs (--input-value, --input-shape)"
                : "the .wsm was not compiled from this .onnx file (its recorded SHA-256 differs)"
            return "\(detail): \(hint)"
        case .otherSource(let source, let problem):
            return "\(source); lowering it with the .wsm's inputs fails: \(problem)"
        }
    }
}

/// A .wsm compiled from another model than the one it is verified against: both SHA-256s.
public struct SourceMismatch: Sendable, Equatable, CustomStringConvertible {
    /// The source the .wsm records (file name and SHA-256).
    public var recordedName: String
    public var recordedSHA256: String
    /// The model given to verify.
    public var modelPath: String
    public var modelSHA256: String

    public init(recordedName: String, recordedSHA256: String, modelPath: String, modelSHA256: String) {
        self.recordedName = recordedName
        self.recordedSHA256 = recordedSHA256
        self.modelPath = modelPath
        self.modelSHA256 = modelSHA256
    }

    public var description: String {
        let recorded = recordedName.isEmpty ? "" : "\(recordedName), "
        return "this .wsm was compiled from another model (\(recorded)SHA-256 \(recordedSHA256)), not from "
            + "\(modelPath) (SHA-256 \(modelSHA256)): pass the .onnx it was compiled from"
    }
}

public enum Verification {
    /// Runs both models. `inputShapes` pins dynamic dimensions; by default the .wsm's input shapes are used.
    /// `inputValues` pins inputs to constants (nil: the values the .wsm was compiled with, from its metadata).
    /// `output` names the output that top-1 figures read (nil: the first); cosine and max |diff| cover every
    /// output (or only `output` when given). With `feedback`, the samples run in order, free-running: each pair's
    /// output is fed back as its input on the next sample, in each model separately.
    public static func verify(wsm url: URL, model modelURL: URL, data: URL, inputShapes: [String: [Int]] = [:],
                              inputValues: [String: [Float]]? = nil, output: String? = nil,
                              feedback: [FeedbackPair] = [], limit: Int? = nil) throws -> VerificationReport {
        let compressed = try WSMModel(contentsOf: url)
        // Scales and outliers as the compiler recorded them in the metadata (none in the paper's mode), and the
        // inputs it pinned to values.
        let summary = try? JSONDecoder().decode(SolutionSummary.self, from: Data(compressed.metadata.solutionJSON.utf8))
        let values = inputValues ?? summary?.inputValues ?? [:]
        var shapes = Dictionary(uniqueKeysWithValues: compressed.inputs.map { ($0.name, $0.shape) })
        shapes.merge(inputShapes) { _, given in given }
        // The file's SHA-256 first: when the .wsm came from another model, that is what the user must hear first,
        // even when lowering this model with the .wsm's input shapes fails.
        let modelSHA256 = sha256Hex(try Data(contentsOf: modelURL))
        let sourceMatches = compressed.metadata.sourceSHA256 == modelSHA256
        let mismatch = sourceMatches ? nil : SourceMismatch(
            recordedName: compressed.metadata.sourceName, recordedSHA256: compressed.metadata.sourceSHA256,
            modelPath: modelURL.path, modelSHA256: modelSHA256)
        let source: ModelSource
        do {
            source = try ModelSource.load(modelURL, inputShapes: shapes.filter { values[$0.key] == nil },
                                          inputValues: values)
        } catch {
            if let mismatch { throw VerificationError.otherSource(mismatch, problem: "\(error)") }
            throw error
        }
        let lowered = source.lowered
        func describe(_ name: String, _ shape: [Int]) -> String {
            "'\(name)' [" + shape.map(String.init).joined(separator: ", ") + "]"
        }
        let modelInputs = lowered.inputs.map { describe(lowered.tensors[$0].name, lowered.tensors[$0].shape) }
        let modelOutputs = lowered.outputs.map { describe(lowered.tensors[$0].name, lowered.tensors[$0].shape) }
        let wsmInputs = compressed.inputs.map { describe($0.name, $0.shape) }
        let wsmOutputs = compressed.outputs.map { describe($0.name, $0.shape) }
        guard wsmInputs == modelInputs else {
            throw VerificationError.interfaceMismatch(what: "inputs", wsm: wsmInputs, model: modelInputs,
                                                      sourceMatches: sourceMatches, source: mismatch)
        }
        guard wsmOutputs == modelOutputs else {
            throw VerificationError.interfaceMismatch(what: "outputs", wsm: wsmOutputs, model: modelOutputs,
                                                      sourceMatches: sourceMatches, source: mismatch)
        }
        let outputNames = compressed.outputs.map(\.name)
        let classOutput = try OutputSelection.classOutput(outputs: outputNames, name: output)
        let samples = try SampleSet.load(data, for: lowered, limit: limit, classOutput: classOutput)
        let reference = try WSMModel(bytes: try source.prepared.container(quantization: nil))
        let pairs = try OutputSelection.feedback(feedback.map { ($0.input, $0.output) }, model: compressed)

        let compared = output == nil ? Array(compressed.outputs.indices) : [classOutput]
        func outputs(_ model: WSMModel) throws -> [[Float]] {
            // One array per output, each n rows of its size.
            let all = try pairs.isEmpty
                ? BatchRunner.run(model, samples: samples)
                : BatchRunner.runFreeRunning(model, samples: samples, feedback: pairs)
            let sizes = model.outputs.map(\.elementCount)
            let width = sizes.reduce(0, +)
            return sizes.indices.map { o in
                let start = sizes[..<o].reduce(0, +)
                return (0..<samples.count).flatMap { i in all[(i * width + start)..<(i * width + start + sizes[o])] }
            }
        }
        let floatPerOutput = try outputs(reference)
        let perOutput = try outputs(compressed)
        func joined(_ arrays: [[Float]]) -> [Float] {
            (0..<samples.count).flatMap { i in
                compared.flatMap { o in
                    let size = compressed.outputs[o].elementCount
                    return arrays[o][(i * size)..<((i + 1) * size)]
                }
            }
        }
        let floatOut = joined(floatPerOutput), out = joined(perOutput)
        let width = compared.reduce(0) { $0 + compressed.outputs[$1].elementCount }
        let classWidth = compressed.outputs[classOutput].elementCount
        let classOut = perOutput[classOutput], floatClassOut = floatPerOutput[classOutput]
        let maxAbs = VerificationReport.maxAbsDifference(out, floatOut)
        let predictions = (0..<samples.count).map {
            Metric.argmax(classOut[($0 * classWidth)..<(($0 + 1) * classWidth)])
        }
        let comparisons = compressed.outputs.indices.map { o in
            OutputComparison(
                name: compressed.outputs[o].name, shape: compressed.outputs[o].shape,
                meanCosine: Metric.cosine.score(outputs: perOutput[o], width: compressed.outputs[o].elementCount,
                                                labels: nil, reference: floatPerOutput[o]),
                maxAbsDiff: VerificationReport.maxAbsDifference(perOutput[o], floatPerOutput[o]))
        }

        // Every shared tensor's indices, fixed width or Huffman-coded (the stream's fixed-width part alone misses
        // coded tensors).
        let indices = compressed.tensors.filter { $0.kind == .shared }
            .flatMap { compressed.indices(ofTensor: $0.index)?.indices ?? [] }
        let codebook = compressed.codebook
        var histogram = [Int](repeating: 0, count: codebook.count)
        for i in indices { histogram[Int(i)] += 1 }
        let n = indices.count
        let bits = compressed.stream.bitWidth
        let huffman = HuffmanLengths.totalBits(frequencies: histogram)
        let floatBits = Double(32 * n)
        let sideBits = 32 * (summary?.scales ?? 0) + 64 * (summary?.outliers ?? 0)
        let accuracy = { (o: [Float]) in
            samples.labels.map { _ in
                Metric.accuracy.score(outputs: o, width: classWidth, labels: samples.labels, reference: [])
            }
        }
        var report = VerificationReport(
            samples: samples.count, floatAccuracy: accuracy(floatClassOut), compressedAccuracy: accuracy(classOut),
            agreement: Metric.agreement.score(outputs: classOut, width: classWidth, labels: nil,
                                              reference: floatClassOut),
            meanCosine: Metric.cosine.score(outputs: out, width: width, labels: nil, reference: floatOut),
            maxAbsDiff: maxAbs, nonFiniteOutputs: out.count(where: { !$0.isFinite }),
            floatNonFiniteOutputs: floatOut.count(where: { !$0.isFinite }),
            k: compressed.metadata.k, m: codebook.count, bitWidth: bits, sharedWeights: n,
            compressionRatioFixed: n == 0 ? 1 : floatBits / Double(32 * codebook.count + n * bits + sideBits),
            compressionRatioHuffman: n == 0 ? 1 : floatBits / Double(32 * codebook.count + huffman + sideBits),
            onnxBytes: source.fileBytes, wsmBytes: compressed.byteCount, arenaBytes: compressed.arenaBytes,
            sourceMatches: sourceMatches, predictions: predictions)
        report.outputs = comparisons
        report.classOutput = outputNames[classOutput]
        report.feedback = feedback.map(\.description)
        return report
    }
}
