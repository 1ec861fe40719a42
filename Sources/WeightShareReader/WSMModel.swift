import Foundation
import WeightShareRuntime

/// A verified .wsm model, read through the C runtime — the same code that runs on the board.
///
/// ```swift
/// let model = try WSMModel(contentsOf: URL(fileURLWithPath: "out/model.wsm"))
/// print(model.codebook.count, model.stream.bitWidth)
/// let probabilities = try model.run([pixels])[0]
/// ```
/// The model owns an aligned copy of the bytes and never changes after loading, so one instance may be shared
/// by several threads, each running its own `InferenceSession`. The descriptions (`tensors`, `inputs`, `outputs`,
/// `operators`, `codebook`) are read once at load and stored; `indices()` decodes the whole stream on each call.
public final class WSMModel: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    /// `ws_model` points into `storage`; it is read-only after a successful load.
    private let handle: UnsafeMutablePointer<ws_model>

    /// Loads and verifies a file.
    public convenience init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw WSMError.fileNotFound(path: url.path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw WSMError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data)
    }

    /// Verifies `data` (copied into aligned memory).
    public convenience init(data: Data) throws {
        try self.init(bytes: [UInt8](data))
    }

    /// Verifies `bytes` (copied into aligned memory). A rejected file throws `WSMError.invalidModel`, whose
    /// `location` names the operator and tensor where verification failed.
    public init(bytes: [UInt8]) throws {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        storage.copyBytes(from: bytes)
        handle = UnsafeMutablePointer<ws_model>.allocate(capacity: 1)
        handle.initialize(to: ws_model())
        var failure = ws_load_error()
        // Scratch for the verifier's per-tensor bookkeeping (two bits per tensor; this bound fits any file): the
        // verification is then linear in the file size instead of quadratic in the operator count.
        let scratchBytes = (bytes.count / 16) + 1
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 1)
        let status = ws_model_load_scratch(handle, storage.baseAddress, bytes.count, &failure, scratch, scratchBytes)
        scratch.deallocate()
        if status != WS_OK {
            // The names point into `storage`: copy them out before freeing it.
            let location = LoadErrorLocation(failure)
            handle.deallocate()
            storage.deallocate()
            throw WSMError.invalidModel(code: status.rawValue, message: WSMError.message(status), location: location)
        }
        byteCount = bytes.count
        let model = UnsafePointer(handle)
        let tensors = (0..<ws_model_num_tensors(model)).map { t in
            var info = ws_tensor_info()
            let status = ws_model_tensor(model, Int32(t), &info)
            precondition(status == WS_OK, "tensor \(t) of a loaded model")
            return TensorInfo(index: Int(t), info)
        }
        self.tensors = tensors
        // Graph inputs/outputs and operator tensors are verified ids, so these subscripts are in range.
        inputs = (0..<ws_model_num_inputs(model)).map { tensors[Int(ws_model_input(model, $0))] }
        outputs = (0..<ws_model_num_outputs(model)).map { tensors[Int(ws_model_output(model, $0))] }
        operators = (0..<ws_model_num_operators(model)).map { OperatorInfo(model: model, index: $0) }
        var size: UInt32 = 0
        if let values = ws_model_codebook(model, &size), size > 0 {
            codebook = Array(UnsafeBufferPointer(start: values, count: Int(size)))
        } else {
            codebook = []
        }
    }

    deinit {
        handle.deallocate()
        storage.deallocate()
    }

    /// Size of the file in bytes.
    public let byteCount: Int

    /// The loaded model, for the compiler's host passes (package: not part of the reader's public API).
    package var model: UnsafePointer<ws_model> { UnsafePointer(handle) }

    /// Arena bytes one inference needs.
    public var arenaBytes: Int { Int(ws_model_arena_bytes(model)) }

    /// Every tensor, by index (read once at load).
    public let tensors: [TensorInfo]

    /// Tensor `index`; throws `WSMError.tensorIndexOutOfRange` outside `0..<tensors.count`.
    public func tensor(at index: Int) throws -> TensorInfo {
        guard tensors.indices.contains(index) else {
            throw WSMError.tensorIndexOutOfRange(index: index, count: tensors.count)
        }
        return tensors[index]
    }

    public func tensor(named name: String) throws -> TensorInfo {
        guard let t = tensors.first(where: { $0.name == name }) else { throw WSMError.noSuchTensor(name) }
        return t
    }

    /// The graph inputs, in order (read once at load).
    public let inputs: [TensorInfo]

    /// The graph outputs, in order (read once at load).
    public let outputs: [TensorInfo]

    /// The operators in execution order, every input included (read once at load).
    public let operators: [OperatorInfo]

    /// The shared values, ascending (read once at load).
    public let codebook: [Float]

    public var stream: StreamInfo {
        var info = ws_stream_info()
        ws_model_stream(model, &info)
        let lengths = info.code_lengths.map { p in (0..<Int(info.num_code_lengths)).map { Int(p[$0]) } } ?? []
        return StreamInfo(encoding: Int(info.encoding), bitWidth: Int(info.bit_width), count: Int(info.count),
                          bytes: Int(info.bytes), codeLengths: lengths)
    }

    /// The codebook indices of shared tensor `tensor` in element order (fixed width or Huffman-coded) and the stream
    /// bits they take; nil for a tensor that is not shared.
    public func indices(ofTensor tensor: Int) -> (indices: [UInt32], bits: Int)? {
        guard tensor >= 0, tensor < tensors.count, tensors[tensor].kind == .shared else { return nil }
        var out = [UInt32](repeating: 0, count: tensors[tensor].elementCount)
        var bits: UInt64 = 0
        let status = out.withUnsafeMutableBufferPointer {
            ws_tensor_indices(model, Int32(tensor), $0.baseAddress, UInt32($0.count), &bits)
        }
        return status == WS_OK ? (out, Int(bits)) : nil
    }

    /// Index `position` of the stream; throws `WSMError.streamIndexOutOfRange` outside `0..<stream.count`.
    public func index(at position: Int) throws -> UInt32 {
        var value: UInt32 = 0
        guard position >= 0, let p = UInt32(exactly: position), ws_model_index(model, p, &value) == WS_OK else {
            throw WSMError.streamIndexOutOfRange(index: position, count: stream.count)
        }
        return value
    }

    /// Every index of the stream, decoded: O(count) time and a new array on each call (a method, not a stored
    /// property, so that a model does not keep a second, expanded copy of its weights).
    public func indices() -> [UInt32] {
        (0..<UInt32(stream.count)).map { i in
            var value: UInt32 = 0
            _ = ws_model_index(model, i, &value) // i < count: always WS_OK
            return value
        }
    }

    public var metadata: ModelMetadata {
        var meta = ws_metadata()
        ws_model_metadata(model, &meta)
        return ModelMetadata(meta)
    }

    /// The values of a constant tensor (shared ones decoded through the codebook).
    public func decode(_ tensor: TensorInfo) throws -> [Float] {
        guard tensor.kind != .activation else { throw WSMError.notConstant(tensor: tensor.name) }
        var out = [Float](repeating: 0, count: tensor.elementCount)
        let status = out.withUnsafeMutableBufferPointer {
            ws_tensor_decode(model, Int32(clamping: tensor.index), $0.baseAddress, UInt32($0.count))
        }
        guard status == WS_OK else { throw WSMError.invalidModel(code: status.rawValue, message: WSMError.message(status)) }
        return out
    }

    public func decode(tensorNamed name: String) throws -> [Float] { try decode(try tensor(named: name)) }

    /// One inference: one flat array per graph input, one per output.
    public func run(_ inputs: [[Float]]) throws -> [[Float]] {
        let session = InferenceSession(model: self)
        return try session.run(inputs)
    }
}

extension WSMModel {
    /// What the file stores for its shared weights, as `wsc compile` and `wsc report` count it: the shared
    /// elements, the stream bits their indices take (fixed width, or the Huffman codes of coded tensors) and the
    /// code table's bytes (one code length per codebook value; 0 when nothing is coded).
    public var storedIndices: (sharedWeights: Int, indexBits: Int, codeTableBytes: Int) {
        var count = 0, bits = 0
        for t in tensors where t.kind == .shared {
            count += t.elementCount
            bits += indices(ofTensor: t.index)?.bits ?? t.elementCount * stream.bitWidth
        }
        return (count, bits, stream.codeLengths.count)
    }

    /// Packed weight bytes as stored: codebook (4·M) + indices (bits rounded up to bytes) + code table, plus
    /// `scales` float32 scale values and the exact outliers (8 bytes each).
    public func storedWeightBytes(scales: Int) -> Int {
        let stored = storedIndices
        guard stored.sharedWeights > 0 else { return 0 }
        let outliers = tensors.reduce(0) { $0 + ($1.kind == .shared ? $1.outlierCount : 0) }
        return 4 * codebook.count + (stored.indexBits + 7) / 8 + stored.codeTableBytes + 4 * scales + 8 * outliers
    }
}
