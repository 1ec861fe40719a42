import Foundation

/// Hand-encoded ONNX models for CLI tests (this target does not link the protobuf types): just the fields
/// `wsc` reads, in protobuf wire format (field numbers from `onnx.proto`).
enum ONNXBytes {
    private static func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        return out + [UInt8(v)]
    }

    private static func field(_ number: Int, _ bytes: [UInt8]) -> [UInt8] {
        varint(UInt64(number << 3 | 2)) + varint(UInt64(bytes.count)) + bytes
    }

    private static func field(_ number: Int, int value: Int64) -> [UInt8] {
        varint(UInt64(number << 3)) + varint(UInt64(bitPattern: value))
    }

    private static func field(_ number: Int, _ text: String) -> [UInt8] { field(number, Array(text.utf8)) }

    /// A float32 initializer (raw_data, little-endian).
    static func tensor(_ name: String, dims: [Int], values: [Float]) -> [UInt8] {
        var raw: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw += $0 } }
        return dims.flatMap { field(1, int: Int64($0)) } + field(2, int: 1) + field(8, name) + field(9, raw)
    }

    static func node(_ op: String, inputs: [String], output: String, name: String) -> [UInt8] {
        inputs.flatMap { field(1, $0) } + field(2, output) + field(3, name) + field(4, op)
    }

    /// A float32 graph input or output with a fixed shape.
    static func value(_ name: String, shape: [Int]) -> [UInt8] {
        let dims = shape.flatMap { field(1, field(1, int: Int64($0))) }
        let tensorType = field(1, int: 1) + field(2, dims)
        return field(1, name) + field(2, field(1, tensorType))
    }

    /// A model of `nodes` over `initializers` with input `x` and output `y`, importing the default opset `opset`.
    static func model(nodes: [[UInt8]], initializers: [[UInt8]], input: [Int], output: [Int],
                      opset: Int64 = 13) -> Data {
        let graph = nodes.flatMap { field(1, $0) } + field(2, "g") + initializers.flatMap { field(5, $0) }
            + field(11, value("x", shape: input)) + field(12, value("y", shape: output))
        let opsetImport = field(1, "") + field(2, int: opset)
        return Data(field(1, int: 8) + field(8, opsetImport) + field(7, graph))
    }

    /// y = x·W + b (Gemm) with x [1, 64], W [64, 10] (the digits data's shapes); `weights` replaces W's 640
    /// values, `bias` b's 10.
    static func gemm(weights: [Float]? = nil, bias: [Float]? = nil, opset: Int64 = 13) -> Data {
        let w = weights ?? gemmWeights
        let b = bias ?? [Float](repeating: 0.1, count: 10)
        return model(nodes: [node("Gemm", inputs: ["x", "W", "b"], output: "y", name: "fc")],
                     initializers: [tensor("W", dims: [64, 10], values: w), tensor("b", dims: [10], values: b)],
                     input: [1, 64], output: [1, 10], opset: opset)
    }

    static let gemmWeights = (0..<640).map { Float(($0 * 7) % 13) / 26 - 0.25 }

    /// y = relu(x): nothing to share.
    static func reluOnly() -> Data {
        model(nodes: [node("Relu", inputs: ["x"], output: "y", name: "relu")], initializers: [],
              input: [1, 64], output: [1, 64])
    }

    static func write(_ data: Data, name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }
}
