import WeightShareRuntime

/// Where the runtime's verifier found the first problem of a .wsm file (`ws_model_load_detailed`): the operator, the
/// tensor and the operator's input slot, each nil when it does not apply. Names are as the file stores them ("" when
/// it has none), and nil when the problem was found before the file's layout could be trusted.
public struct LoadErrorLocation: Sendable, Equatable, CustomStringConvertible {
    public var operatorIndex: Int?
    public var operatorName: String?
    public var tensorIndex: Int?
    public var tensorName: String?
    /// The input slot of the operator that the tensor fills, when the problem is with an input.
    public var inputSlot: Int?

    public init(operatorIndex: Int? = nil, operatorName: String? = nil, tensorIndex: Int? = nil,
                tensorName: String? = nil, inputSlot: Int? = nil) {
        self.operatorIndex = operatorIndex
        self.operatorName = operatorName
        self.tensorIndex = tensorIndex
        self.tensorName = tensorName
        self.inputSlot = inputSlot
    }

    init(_ e: ws_load_error) {
        func text(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
        operatorIndex = e.op >= 0 ? Int(e.op) : nil
        operatorName = text(e.op_name)
        // A bad tensor id is reported as stored (it may be negative, e.g. -1 where an input is required).
        tensorIndex = e.tensor != WS_NO_TENSOR || e.input >= 0 ? Int(e.tensor) : nil
        tensorName = text(e.tensor_name)
        inputSlot = e.input >= 0 ? Int(e.input) : nil
    }

    /// True when the runtime pointed at nothing (file-level problems: header, CRC, codebook, stream).
    public var isEmpty: Bool { operatorIndex == nil && tensorIndex == nil }

    /// "operator 2 "fc2", input 1: tensor 5 "h"", or "" when empty.
    public var description: String {
        func named(_ kind: String, _ index: Int, _ name: String?) -> String {
            guard let name, !name.isEmpty else { return "\(kind) \(index)" }
            return "\(kind) \(index) \"\(name)\""
        }
        var parts: [String] = []
        if let o = operatorIndex { parts.append(named("operator", o, operatorName)) }
        if let slot = inputSlot { parts.append("input \(slot)") }
        if let t = tensorIndex { parts.append(named("tensor", t, tensorName)) }
        return parts.joined(separator: ", ")
    }
}

/// What can go wrong reading or running a .wsm model.
public enum WSMError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    /// The runtime's verifier rejected the buffer; `code` is the ws_status value, `location` where it found the
    /// problem (empty for file-level problems).
    case invalidModel(code: Int32, message: String, location: LoadErrorLocation = LoadErrorLocation())
    case noSuchTensor(String)
    /// A tensor index outside 0..<count.
    case tensorIndexOutOfRange(index: Int, count: Int)
    /// An index-stream position outside 0..<count.
    case streamIndexOutOfRange(index: Int, count: Int)
    case notConstant(tensor: String)
    case wrongInputCount(expected: Int, got: Int)
    case wrongInputSize(input: String, expected: Int, got: Int)
    /// Output `expected - 1` was asked for; the model has `got` outputs.
    case wrongOutputCount(expected: Int, got: Int)
    case invocationFailed(code: Int32, message: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path): return "no such file: \(path)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .invalidModel(let code, let message, let location):
            let at = location.isEmpty ? "" : " at \(location)"
            return "invalid .wsm model: \(message)\(at) (runtime status \(code))"
        case .noSuchTensor(let name): return "the model has no tensor \(name)"
        case .tensorIndexOutOfRange(let index, let count):
            return "tensor index \(index) is out of range (the model has \(count) tensors)"
        case .streamIndexOutOfRange(let index, let count):
            return "index \(index) is out of range (the stream holds \(count) indices)"
        case .notConstant(let name): return "tensor \(name) is an activation, not a constant"
        case .wrongInputCount(let expected, let got): return "the model takes \(expected) input(s), got \(got)"
        case .wrongInputSize(let input, let expected, let got):
            return "input \(input) needs \(expected) values, got \(got)"
        case .wrongOutputCount(let expected, let got):
            return "output \(expected - 1) was asked for, but the model has \(got) output(s)"
        case .invocationFailed(let code, let message): return "inference failed: \(message) (runtime status \(code))"
        }
    }

    package static func message(_ status: ws_status) -> String { String(cString: ws_status_string(status)) }
}
