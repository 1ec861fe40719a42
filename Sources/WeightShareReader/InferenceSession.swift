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

    /// Runs with every input's values in one buffer (concatenated in input order, as a data file's sample) and
    /// hands the first output to `body` without copying.
    public func run<R>(input: UnsafeBufferPointer<Float>, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        try setInputs(input)
        try invoke()
        guard let first = outputTensors.first else { throw WSMError.wrongOutputCount(expected: 1, got: 0) }
        return try body(outputBuffer(first))
    }

    /// Runs with every input's values in one buffer (as ``run(input:_:)``) and hands the outputs at `outputs`
    /// (positions in ``WSMModel/outputs``), in that order, to `body` without copying.
    public func run(input: UnsafeBufferPointer<Float>, outputs: [Int],
                    _ body: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        for o in outputs where !outputTensors.indices.contains(o) {
            throw WSMError.wrongOutputCount(expected: o + 1, got: outputTensors.count)
        }
        try setInputs(input)
        try invoke()
        for o in outputs { try body(o, outputBuffer(outputTensors[o])) }
    }

    /// Runs only the first `operators` operators (every input's values in one buffer, as ``run(input:_:)``) and
    /// hands `tensor` (an activation still live after them: one they wrote, or an input of the next operator)
    /// to `body` without copying. For the compiler's calibration passes (`ws_invoke_partial`), hence `package`:
    /// not part of the reader's public API.
    package func run<R>(input: UnsafeBufferPointer<Float>, operators: Int, reading tensor: TensorInfo,
                       _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard let values = ws_tensor_data(model.model, Int32(clamping: tensor.index), arena.baseAddress) else {
            throw WSMError.invocationFailed(code: WS_ERR_ARGUMENT.rawValue,
                                            message: "tensor \(tensor.name) is not an activation")
        }
        try setInputs(input)
        try invoke(operators: UInt32(clamping: operators))
        return try body(UnsafeBufferPointer(start: values, count: tensor.elementCount))
    }

    /// Values of every input, one after the other in input order, in one buffer.
    private func setInputs(_ values: UnsafeBufferPointer<Float>) throws {
        guard inputTensors.count != 1 else { return try setInput(inputTensors[0], values) }
        let total = inputTensors.reduce(0) { $0 + $1.elementCount }
        guard values.count == total else {
            throw WSMError.wrongInputSize(input: inputTensors.map(\.name).joined(separator: " + "), expected: total,
                                          got: values.count)
        }
        var offset = 0
        for tensor in inputTensors {
            try setInput(tensor, UnsafeBufferPointer(rebasing: values[offset..<(offset + tensor.elementCount)]))
            offset += tensor.elementCount
        }
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
