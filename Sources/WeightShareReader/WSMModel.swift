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
/// by several threads, each running its own `InferenceSession`.
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

    public init(bytes: [UInt8]) throws {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        storage.copyBytes(from: bytes)
        handle = UnsafeMutablePointer<ws_model>.allocate(capacity: 1)
        handle.initialize(to: ws_model())
        let status = ws_model_load(handle, storage.baseAddress, bytes.count)
        if status != WS_OK {
            handle.deallocate()
            storage.deallocate()
            throw WSMError.invalidModel(code: status.rawValue, message: WSMError.message(status))
        }
        byteCount = bytes.count
    }

    deinit {
        handle.deallocate()
        storage.deallocate()
    }

    /// Size of the file in bytes.
    public let byteCount: Int

    var model: UnsafePointer<ws_model> { UnsafePointer(handle) }

    /// Arena bytes one inference needs.
    public var arenaBytes: Int { Int(ws_model_arena_bytes(model)) }

    public var tensors: [TensorInfo] { (0..<ws_model_num_tensors(model)).map { tensor(at: Int($0)) } }

    public func tensor(at index: Int) -> TensorInfo {
        var info = ws_tensor_info()
        _ = ws_model_tensor(model, UInt32(index), &info)
        return TensorInfo(index: index, info)
    }

    public func tensor(named name: String) throws -> TensorInfo {
        guard let t = tensors.first(where: { $0.name == name }) else { throw WSMError.noSuchTensor(name) }
        return t
    }

    public var inputs: [TensorInfo] {
        (0..<ws_model_num_inputs(model)).map { tensor(at: Int(ws_model_input(model, $0))) }
    }

    public var outputs: [TensorInfo] {
        (0..<ws_model_num_outputs(model)).map { tensor(at: Int(ws_model_output(model, $0))) }
    }

    public var operators: [OperatorInfo] {
        (0..<ws_model_num_operators(model)).map { o in
            var info = ws_operator_info()
            _ = ws_model_operator(model, o, &info)
            return OperatorInfo(info)
        }
    }

    /// The shared values, ascending.
    public var codebook: [Float] {
        var size: UInt32 = 0
        guard let values = ws_model_codebook(model, &size), size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: values, count: Int(size)))
    }

    public var stream: StreamInfo {
        var info = ws_stream_info()
        ws_model_stream(model, &info)
        return StreamInfo(encoding: Int(info.encoding), bitWidth: Int(info.bit_width), count: Int(info.count),
                          bytes: Int(info.bytes))
    }

    /// Every index of the stream, decoded.
    public var indices: [UInt32] { (0..<UInt32(stream.count)).map { ws_model_index(model, $0) } }

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
            ws_tensor_decode(model, UInt32(tensor.index), $0.baseAddress, UInt32($0.count))
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
