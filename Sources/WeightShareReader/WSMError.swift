import WeightShareRuntime

/// What can go wrong reading or running a .wsm model.
public enum WSMError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    /// The runtime's verifier rejected the buffer; `code` is the ws_status value.
    case invalidModel(code: Int32, message: String)
    case noSuchTensor(String)
    case notConstant(tensor: String)
    case wrongInputCount(expected: Int, got: Int)
    case wrongInputSize(input: String, expected: Int, got: Int)
    case invocationFailed(code: Int32, message: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path): return "no such file: \(path)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .invalidModel(let code, let message): return "invalid .wsm model: \(message) (runtime status \(code))"
        case .noSuchTensor(let name): return "the model has no tensor \(name)"
        case .notConstant(let name): return "tensor \(name) is an activation, not a constant"
        case .wrongInputCount(let expected, let got): return "the model takes \(expected) input(s), got \(got)"
        case .wrongInputSize(let input, let expected, let got):
            return "input \(input) needs \(expected) values, got \(got)"
        case .invocationFailed(let code, let message): return "inference failed: \(message) (runtime status \(code))"
        }
    }

    static func message(_ status: ws_status) -> String { String(cString: ws_status_string(status)) }
}
