import WeightShareRuntime

/// An arena for one model, reused across inferences. One session per thread.
public final class InferenceSession {
    public let model: WSMModel
    private let arena: UnsafeMutableRawBufferPointer
    private let inputTensors: [TensorInfo]
    private let outputTensors: [TensorInfo]

    public init(model: WSMModel) {
        self.model = model
        arena = UnsafeMutableRawBufferPointer.allocate(byteCount: max(model.arenaBytes, 16), alignment: 16)
        arena.initializeMemory(as: UInt8.self, repeating: 0)
        inputTensors = model.inputs
        outputTensors = model.outputs
    }

    deinit { arena.deallocate() }

    /// Runs once with one flat array per input; returns one flat array per output.
    public func run(_ inputs: [[Float]]) throws -> [[Float]] {
        guard inputs.count == inputTensors.count else {
            throw WSMError.wrongInputCount(expected: inputTensors.count, got: inputs.count)
        }
        for (values, tensor) in zip(inputs, inputTensors) {
            try values.withUnsafeBufferPointer { try setInput(tensor, $0) }
        }
        try invoke()
        return outputTensors.map { Array(outputBuffer($0)) }
    }

    /// Runs with a single input given as a buffer and hands the first output to `body` without copying.
    public func run<R>(input: UnsafeBufferPointer<Float>, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard inputTensors.count == 1 else { throw WSMError.wrongInputCount(expected: inputTensors.count, got: 1) }
        try setInput(inputTensors[0], input)
        try invoke()
        return try body(outputBuffer(outputTensors[0]))
    }

    /// Runs only the first `operators` operators on a single input and hands `tensor` (an activation still live
    /// after them: one they wrote, or an input of the next operator) to `body` without copying. For the compiler's
    /// calibration passes (`ws_invoke_partial`), hence `package`: not part of the reader's public API.
    package func run<R>(input: UnsafeBufferPointer<Float>, operators: Int, reading tensor: TensorInfo,
                       _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard inputTensors.count == 1 else { throw WSMError.wrongInputCount(expected: inputTensors.count, got: 1) }
        guard let values = ws_tensor_data(model.model, Int32(clamping: tensor.index), arena.baseAddress) else {
            throw WSMError.invocationFailed(code: WS_ERR_ARGUMENT.rawValue,
                                            message: "tensor \(tensor.name) is not an activation")
        }
        try setInput(inputTensors[0], input)
        try invoke(operators: UInt32(clamping: operators))
        return try body(UnsafeBufferPointer(start: values, count: tensor.elementCount))
    }

    private func setInput(_ tensor: TensorInfo, _ values: UnsafeBufferPointer<Float>) throws {
        guard values.count == tensor.elementCount else {
            throw WSMError.wrongInputSize(input: tensor.name, expected: tensor.elementCount, got: values.count)
        }
        let destination = ws_tensor_data(model.model, Int32(clamping: tensor.index), arena.baseAddress)!
        destination.update(from: values.baseAddress!, count: values.count)
    }

    /// Runs the first `operators` operators (all by default).
    private func invoke(operators: UInt32 = .max) throws {
        let status = ws_invoke_partial(model.model, arena.baseAddress, arena.count, operators)
        guard status == WS_OK else {
            throw WSMError.invocationFailed(code: status.rawValue, message: WSMError.message(status))
        }
    }

    private func outputBuffer(_ tensor: TensorInfo) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: ws_tensor_data(model.model, Int32(clamping: tensor.index), arena.baseAddress),
                            count: tensor.elementCount)
    }
}
