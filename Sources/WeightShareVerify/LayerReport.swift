import Dispatch
import Foundation
import WeightShareContainer
import WeightShareEvaluate
import WeightShareReader
import WeightShareSearch

/// What `wsc report` shows: one row per operator of a `.wsm` — shapes, the shared weights it reads and their bytes,
/// MACs, the arena in use while it runs, and optionally its output error against the float model and its
/// instructions on an emulated board — with totals that are the file's own (`compile --json`'s `wsmBytes`,
/// `packedWeightBytes` and `arenaBytes`). Keys are stable (README).
public struct LayerReport: Sendable, Encodable {
    /// One operator, in execution order.
    public struct Operator: Sendable, Encodable {
        public var index: Int
        public var name: String
        public var opcode: String
        public var inputShapes: [[Int]]
        public var outputShapes: [[Int]]
        /// Shared-weight elements of the tensors this operator reads (a tensor read by several operators counts
        /// at its first reader).
        public var sharedWeights: Int
        /// The operator's share of the codebook: 4·M bytes × its shared weights / N (fractional).
        public var codebookBytes: Double
        /// Its indices: shared weights × bit width / 8 (fractional; the file rounds the whole stream up once).
        public var indexBytes: Double
        /// Scale values the weight normalisation added for this operator (tensors named `*.weight_scale`), 4 bytes
        /// each.
        public var scales: Int
        public var scaleBytes: Int
        /// Exact outliers of its shared tensors, 8 bytes each (position and value).
        public var outliers: Int
        public var outlierBytes: Int
        /// codebook + indices + scales + outliers.
        public var weightBytes: Double
        /// Unshared constants (biases, epilogue vectors, …) first read by this operator, float32.
        public var rawBytes: Int
        /// Multiply-accumulates of one inference (Conv, ConvTranspose, Gemm, MatMul, LSTM/GRU/RNN; 0 for the
        /// others, whose cost is a few operations per element).
        public var macs: Int
        /// The highest arena byte in use while the operator runs (inputs, outputs and every activation still to be
        /// read later), from the compiler's memory plan.
        public var arenaPeakBytes: Int
        /// Bytes of the activations live while it runs.
        public var liveActivationBytes: Int
        /// Its first output against the float model's tensor of the same name (nil without --model/--data, or when
        /// the float model has no such tensor: a MatMul whose scale a following Mul applies).
        public var error: LayerError?
        /// Instructions measured on an emulated board, and the cycles and time estimated from them (nil without
        /// --board).
        public var instructions: UInt64?
        public var estimatedCycles: UInt64?
        public var estimatedMicroseconds: Double?
    }

    /// One operator's output compared with the float model over the samples.
    public struct LayerError: Sendable, Encodable {
        /// The tensor compared.
        public var tensor: String
        /// Signal-to-quantisation-noise ratio in dB: 10·log10(Σ float² / Σ (compressed − float)²) over every
        /// sample; nil when the outputs are identical (`identical`) or not finite.
        public var sqnrDB: Double?
        /// Mean cosine similarity per sample (−1 for a sample with a non-finite value).
        public var meanCosine: Double
        /// Largest |compressed − float|; nil when some difference is not a finite number.
        public var maxAbsDiff: Double?
        public var identical: Bool

        enum CodingKeys: String, CodingKey { case tensor, sqnrDB, meanCosine, maxAbsDiff, identical }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(tensor, forKey: .tensor)
            try c.encodeFinite(sqnrDB, forKey: .sqnrDB)
            try c.encodeFinite(meanCosine, forKey: .meanCosine)
            try c.encodeFinite(maxAbsDiff, forKey: .maxAbsDiff)
            try c.encode(identical, forKey: .identical)
        }
    }

    /// The file's own totals: `wsmBytes`, `packedWeightBytes` and `arenaBytes` are what `compile --json` reports.
    public struct Totals: Sendable, Encodable {
        public var wsmBytes: Int
        /// Codebook + fixed-width index stream (rounded up to whole bytes) + scales + outliers: the search's size
        /// objective and `compile --json`'s `packedWeightBytes`.
        public var packedWeightBytes: Int
        public var codebookBytes: Int
        public var indexBytes: Int
        public var scales: Int
        public var scaleBytes: Int
        /// Scale values the file gained that no operator's `*.weight_scale` tensor holds (a scale multiplied into
        /// an existing one-element epilogue vector): counted in the totals, not in a row.
        public var unattributedScales: Int
        public var outliers: Int
        public var outlierBytes: Int
        public var rawBytes: Int
        /// Everything else in the file: the graph, tensor descriptions, memory plan, metadata, the stream's
        /// padding, alignment, CRC.
        public var containerBytes: Int
        public var sharedWeights: Int
        public var macs: Int
        /// The planned arena (`ws_model_arena_bytes`); equal to the largest ``Operator/arenaPeakBytes`` rounded to
        /// the runtime's alignment.
        public var arenaBytes: Int
        /// With --board: the whole inference's instructions (operators plus the call's overhead), cycles and ms.
        public var instructions: UInt64?
        public var estimatedCycles: UInt64?
        public var estimatedMilliseconds: Double?
    }

    /// How the errors were measured.
    public struct ErrorSource: Sendable, Encodable {
        public var model: String
        public var data: String
        public var samples: Int
    }

    public var wsm: String
    public var sourceName: String
    public var sourceSHA256: String
    public var k: Int
    public var m: Int
    public var bitWidth: Int
    public var operators: [Operator]
    public var totals: Totals
    /// Set when errors were measured (--model/--data).
    public var errorSource: ErrorSource?
    /// Set with --board: how instructions were measured and cycles estimated.
    public var timing: OperatorTiming?
}

/// Why a report cannot be made.
public enum LayerReportError: Error, Equatable, CustomStringConvertible {
    /// The float model is not the one the .wsm was compiled from.
    case otherSource(SourceMismatch)
    /// The file keeps no operator names (`compile --strip-names`): outputs cannot be matched with the float model's.
    case namesStripped

    public var description: String {
        switch self {
        case .otherSource(let source): return "\(source); the per-operator errors compare against the float model "
            + "the .wsm was compiled from"
        case .namesStripped: return "the .wsm keeps no tensor or operator names (compiled with --strip-names), and the "
            + "per-operator errors match each output with the float model's tensor of the same name: compile the "
            + "solution again without --strip-names to measure them"
        }
    }
}

extension LayerReport {
    /// The report of the `.wsm` at `url`, without errors or timing (add them with ``measureErrors(model:data:limit:)``
    /// and ``timing``).
    public init(wsm url: URL) throws {
        let model = try WSMModel(contentsOf: url)
        self.init(model: model, path: url.path)
    }

    /// The report of a loaded model; `path` names it.
    public init(model: WSMModel, path: String) {
        let summary = try? JSONDecoder().decode(SolutionSummary.self, from: Data(model.metadata.solutionJSON.utf8))
        let tensors = model.tensors
        let ops = model.operators
        let stored = model.storedIndices
        let n = stored.sharedWeights, m = model.codebook.count, bits = model.stream.bitWidth
        let codebookBytes = 4 * m
        // First reader of every constant tensor.
        var firstReader: [Int: Int] = [:]
        for (o, op) in ops.enumerated() {
            for case let t? in op.inputs where firstReader[t] == nil && tensors[t].kind != .activation {
                firstReader[t] = o
            }
        }
        // Live range of every activation: from the operator writing it (inputs: before the first) to its last
        // reader (graph outputs: the end).
        var produced = [Int: Int](), lastUse = [Int: Int]()
        for (o, op) in ops.enumerated() {
            for t in op.outputs where produced[t] == nil { produced[t] = o }
            for case let t? in op.inputs { lastUse[t] = o }
        }
        for output in model.outputs { lastUse[output.index] = ops.count - 1 }
        let activations = tensors.filter { $0.kind == .activation }

        var rows: [Operator] = []
        var attributedScales = 0
        for (o, op) in ops.enumerated() {
            let reads = op.inputs.compactMap { $0 }.filter { firstReader[$0] == o }
            let shared = reads.filter { tensors[$0].kind == .shared }
            // Scale tensors the normalisation added are counted as scales (in the packed bytes), not as raw.
            let scaleTensors = reads.filter { tensors[$0].kind == .raw && tensors[$0].name.hasSuffix(".weight_scale") }
            let raw = reads.filter { tensors[$0].kind == .raw && !scaleTensors.contains($0) }
            let sharedCount = shared.reduce(0) { $0 + tensors[$1].elementCount }
            let outliers = shared.reduce(0) { $0 + tensors[$1].outlierCount }
            let scales = scaleTensors.reduce(0) { $0 + tensors[$1].elementCount }
            attributedScales += scales
            let codebookShare = n == 0 ? 0 : Double(codebookBytes) * Double(sharedCount) / Double(n)
            // The bits the file stores for them: fixed width, or their Huffman codes.
            let indexBytes = Double(shared.reduce(0) { $0 + (model.indices(ofTensor: $1)?.bits ?? tensors[$1].elementCount * bits) }) / 8
            var peak = 0, live = 0
            for t in activations {
                let start = produced[t.index] ?? -1
                let end = lastUse[t.index] ?? start
                guard start <= o && o <= max(end, start) else { continue }
                let bytes = 4 * t.elementCount
                peak = max(peak, t.arenaOffset + bytes)
                live += bytes
            }
            rows.append(Operator(
                index: o, name: op.name, opcode: op.opcode,
                inputShapes: op.inputs.map { $0.map { tensors[$0].shape } ?? [] },
                outputShapes: op.outputs.map { tensors[$0].shape },
                sharedWeights: sharedCount, codebookBytes: codebookShare, indexBytes: indexBytes,
                scales: scales, scaleBytes: 4 * scales, outliers: outliers, outlierBytes: 8 * outliers,
                weightBytes: codebookShare + indexBytes + Double(4 * scales + 8 * outliers),
                rawBytes: raw.reduce(0) { $0 + 4 * tensors[$1].elementCount },
                macs: Self.macs(opcode: op.opcode, inputs: op.inputs.map { $0.map { tensors[$0].shape } },
                                outputs: op.outputs.map { tensors[$0].shape }),
                arenaPeakBytes: peak, liveActivationBytes: live))
        }
        let totalScales = summary?.scales ?? attributedScales
        let totalOutliers = tensors.reduce(0) { $0 + ($1.kind == .shared ? $1.outlierCount : 0) }
        // Rounded up once for the whole stream, plus the code table of a coded file (one length per value).
        let indexBytes = n == 0 ? 0 : (stored.indexBits + 7) / 8 + stored.codeTableBytes
        let packed = n == 0 ? 0 : model.storedWeightBytes(scales: totalScales)
        let rawBytes = rows.reduce(0) { $0 + $1.rawBytes }
        self.init(
            wsm: path, sourceName: model.metadata.sourceName, sourceSHA256: model.metadata.sourceSHA256,
            k: model.metadata.k, m: m, bitWidth: bits, operators: rows,
            totals: Totals(wsmBytes: model.byteCount, packedWeightBytes: packed, codebookBytes: codebookBytes,
                           indexBytes: indexBytes, scales: totalScales, scaleBytes: 4 * totalScales,
                           unattributedScales: max(0, totalScales - attributedScales), outliers: totalOutliers,
                           outlierBytes: 8 * totalOutliers, rawBytes: rawBytes,
                           containerBytes: model.byteCount - packed - rawBytes + 4 * max(0, totalScales - attributedScales),
                           sharedWeights: n, macs: rows.reduce(0) { $0 + $1.macs }, arenaBytes: model.arenaBytes),
            errorSource: nil, timing: nil)
    }

    /// Multiply-accumulates of one operator from its shapes (`inputs[i]` nil for an absent optional input).
    public static func macs(opcode: String, inputs: [[Int]?], outputs: [[Int]]) -> Int {
        func elements(_ s: [Int]) -> Int { s.reduce(1, *) }
        guard let y = outputs.first else { return 0 }
        switch opcode {
        case "Conv":
            // Every output element: C/g · kH · kW products (W [M, C/g, kH, kW]).
            guard inputs.count > 1, let w = inputs[1], let m = w.first, m > 0 else { return 0 }
            return elements(y) * (elements(w) / m)
        case "ConvTranspose":
            // Every input element: M/g · kH · kW products (W [C, M/g, kH, kW]).
            guard inputs.count > 1, let x = inputs[0], let w = inputs[1], let c = w.first, c > 0 else { return 0 }
            return elements(x) * (elements(w) / c)
        case "Gemm":
            // Y [M, N] = A·B: K products per output, K = B's elements / N.
            guard inputs.count > 1, let b = inputs[1], let n = y.last, n > 0 else { return 0 }
            return elements(y) * (elements(b) / n)
        case "MatMul":
            // K = A's last dimension (a rank-1 A is [K]).
            guard let a = inputs.first ?? nil, let k = a.last else { return 0 }
            return elements(y) * k
        case "Lstm", "Gru", "Rnn":
            // Every step of every batch row: W·x and R·h, for every direction (W [D, gH, I], R [D, gH, H]).
            guard inputs.count > 2, let x = inputs[0], let w = inputs[1], let r = inputs[2], let i = x.last, i > 0
            else { return 0 }
            return elements(x) / i * (elements(w) + elements(r))
        default:
            return 0
        }
    }

    /// Compares every operator's first output with the float model's tensor of the same name on the first
    /// `limit` samples of `data`: both models run with the C runtime, each only up to the operator
    /// (`ws_invoke_partial`). The float model is the ONNX file lowered as the .wsm was compiled (its input shapes and
    /// pinned values); a file with another SHA-256 than the one the .wsm records is refused.
    public mutating func measureErrors(model modelURL: URL, data: URL, limit: Int,
                                       log: (String) -> Void = { _ in }) throws {
        let compressed = try WSMModel(contentsOf: URL(fileURLWithPath: wsm))
        let modelSHA256 = sha256Hex(try Data(contentsOf: modelURL))
        guard modelSHA256 == compressed.metadata.sourceSHA256 else {
            throw LayerReportError.otherSource(SourceMismatch(
                recordedName: compressed.metadata.sourceName, recordedSHA256: compressed.metadata.sourceSHA256,
                modelPath: modelURL.path, modelSHA256: modelSHA256))
        }
        let summary = try? JSONDecoder().decode(SolutionSummary.self, from: Data(compressed.metadata.solutionJSON.utf8))
        let values = summary?.inputValues ?? [:]
        let shapes = Dictionary(uniqueKeysWithValues: compressed.inputs.map { ($0.name, $0.shape) })
        let source = try ModelSource.load(modelURL, inputShapes: shapes.filter { values[$0.key] == nil },
                                          inputValues: values)
        let samples = try SampleSet.load(data, for: source.lowered, limit: limit, labels: false)
        guard samples.count > 0 else { throw FirmwareVerification.Problem.noSamples }
        guard samples.inputSizes == compressed.inputs.map(\.elementCount) else {
            throw VerificationError.interfaceMismatch(
                what: "inputs", wsm: compressed.inputs.map { "'\($0.name)' \($0.shape)" },
                model: source.lowered.inputs.map { "'\(source.lowered.tensors[$0].name)' \(source.lowered.tensors[$0].shape)" },
                sourceMatches: true)
        }
        guard !compressed.operators.contains(where: { $0.name.isEmpty }) else { throw LayerReportError.namesStripped }
        let reference = try WSMModel(bytes: try source.prepared.container(quantization: nil))
        // The float model's operator writing each tensor name.
        var writers: [String: (operation: Int, tensor: TensorInfo)] = [:]
        for (o, op) in reference.operators.enumerated() {
            for t in op.outputs where writers[reference.tensors[t].name] == nil {
                writers[reference.tensors[t].name] = (o, reference.tensors[t])
            }
        }
        let referenceWriter = writers
        log("comparing \(operators.count) operators with the float model on \(samples.count) samples")
        let ops = compressed.operators
        let results = ErrorSlots(count: ops.count)
        DispatchQueue.concurrentPerform(iterations: ops.count) { o in
            guard let out = ops[o].outputs.first else { return }
            let tensor = compressed.tensors[out]
            guard let (refOp, refTensor) = referenceWriter[tensor.name], refTensor.elementCount == tensor.elementCount
            else { return }
            do {
                let q = InferenceSession(model: compressed), f = InferenceSession(model: reference)
                var acc = ErrorAccumulator()
                for i in 0..<samples.count {
                    let row = samples.values[(i * samples.sampleSize)..<((i + 1) * samples.sampleSize)]
                    try row.withUnsafeBufferPointer { x in
                        let a = try q.run(input: x, operators: o + 1, reading: tensor) { Array($0) }
                        try f.run(input: x, operators: refOp + 1, reading: refTensor) { acc.add(compressed: a, float: $0) }
                    }
                }
                results.set(o, .success(acc.result(tensor: tensor.name, samples: samples.count)))
            } catch {
                results.set(o, .failure(error))
            }
        }
        for o in ops.indices {
            switch results.value(o) {
            case .success(let e)?: operators[o].error = e
            case .failure(let error)?: throw error
            case nil: break
            }
        }
        errorSource = ErrorSource(model: modelURL.path, data: data.path, samples: samples.count)
    }

    /// Adds measured instructions per operator and the estimates made from them.
    public mutating func add(timing: OperatorTiming) {
        for o in operators.indices where timing.instructions.indices.contains(o) {
            operators[o].instructions = timing.instructions[o]
            operators[o].estimatedCycles = timing.estimatedCycles(o)
            operators[o].estimatedMicroseconds = timing.estimatedMicroseconds(o)
        }
        totals.instructions = timing.inferenceInstructions
        totals.estimatedCycles = timing.inferenceInstructions
        totals.estimatedMilliseconds = Double(timing.inferenceInstructions) / Double(timing.clockHz) * 1000
        self.timing = timing
    }
}

/// Sums for SQNR, cosine and max |diff| of one tensor over samples.
struct ErrorAccumulator {
    var signal = 0.0, noise = 0.0, cosineSum = 0.0, maxAbs: Double? = 0, finite = true, identical = true

    mutating func add(compressed a: [Float], float b: UnsafeBufferPointer<Float>) {
        var dot = 0.0, aa = 0.0, bb = 0.0, sampleFinite = true
        for (x, y) in zip(a, b) {
            let dx = Double(x), dy = Double(y)
            guard dx.isFinite && dy.isFinite else {
                sampleFinite = false
                if x != y { maxAbs = nil; identical = false }
                continue
            }
            if x != y { identical = false }
            let d = dx - dy
            signal += dy * dy
            noise += d * d
            dot += dx * dy
            aa += dx * dx
            bb += dy * dy
            if let m = maxAbs { maxAbs = max(m, abs(d)) }
        }
        finite = finite && sampleFinite
        if !sampleFinite { cosineSum -= 1 } else if aa == 0 && bb == 0 { cosineSum += 1 } else if aa == 0 || bb == 0 {
            cosineSum += 0
        } else {
            cosineSum += dot / (aa.squareRoot() * bb.squareRoot())
        }
    }

    func result(tensor: String, samples: Int) -> LayerReport.LayerError {
        let sqnr = identical || !finite || noise == 0 || signal == 0 ? nil : 10 * log10(signal / noise)
        return LayerReport.LayerError(tensor: tensor, sqnrDB: sqnr, meanCosine: cosineSum / Double(max(samples, 1)),
                                      maxAbsDiff: maxAbs, identical: identical)
    }
}

/// Results written by concurrent iterations, one slot each.
final class ErrorSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<LayerReport.LayerError, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: Result<LayerReport.LayerError, any Error>) { lock.withLock { slots[i] = r } }
    func value(_ i: Int) -> Result<LayerReport.LayerError, any Error>? { lock.withLock { slots[i] } }
}
