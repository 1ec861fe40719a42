import Foundation
import Testing
import WeightShare
@testable import WeightShareImport
import WeightShareReader

/// Benchmark driver for `bench/chain_scaling.sh` (a no-op unless WS_BENCH_CHAIN_OUT names a JSON file): times each
/// compile stage on ONNX chains of 25 k, 50 k and 100 k nodes (Relu and Transpose alternating, so half the
/// activations run in place and half need buffers of their own), median of WS_BENCH_RUNS runs (default 3).
@Suite struct ChainScalingBench {
    static func chainONNX(nodes n: Int) throws -> Data {
        var graph = Onnx_GraphProto()
        graph.name = "chain"
        func info(_ name: String, _ dims: [Int64]) -> Onnx_ValueInfoProto {
            var v = Onnx_ValueInfoProto()
            v.name = name
            var tensorType = Onnx_TypeProto.Tensor()
            tensorType.elemType = 1
            var shape = Onnx_TensorShapeProto()
            shape.dim = dims.map { d in
                var dim = Onnx_TensorShapeProto.Dimension()
                dim.dimValue = d
                return dim
            }
            tensorType.shape = shape
            var type = Onnx_TypeProto()
            type.tensorType = tensorType
            v.type = type
            return v
        }
        graph.input = [info("x", [1, 4])]
        graph.output = [info("y", [1, 4])]
        var previous = "x"
        graph.node = (0..<n).map { i in
            var node = Onnx_NodeProto()
            node.name = "n\(i)"
            node.opType = i % 2 == 0 ? "Relu" : "Transpose"
            node.input = [previous]
            node.output = [i == n - 1 ? "y" : "t\(i)"]
            if i % 2 == 1 {
                var perm = Onnx_AttributeProto()
                perm.name = "perm"
                perm.type = .ints
                perm.ints = [0, 1]
                node.attribute = [perm]
            }
            previous = node.output[0]
            return node
        }
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        model.opsetImport = [opset]
        model.graph = graph
        return try model.serializedBytes()
    }

    struct Stages: Codable {
        var importSeconds: Double
        var lowerSeconds: Double
        var planSeconds: Double
        var writeSeconds: Double
        var runtimeLoadSeconds: Double
        var totalSeconds: Double
    }

    static func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try body()
        return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    static func run(nodes: Int) throws -> Stages {
        let data = try chainONNX(nodes: nodes)
        let (graph, importSeconds) = try time { try ONNXImporter.load(serializedData: data, modelDirectory: nil,
                                                                      displayName: "chain") }
        let (lowered, lowerSeconds) = try time { try Lowering.lower(graph) }
        let (prepared, planSeconds) = time { PreparedModel(lowered: lowered) }
        let (bytes, writeSeconds) = try time { try prepared.container(quantization: nil) }
        let (model, loadSeconds) = try time { try WSMModel(bytes: bytes) }
        precondition(model.operators.count >= nodes)
        return Stages(importSeconds: importSeconds, lowerSeconds: lowerSeconds, planSeconds: planSeconds,
                      writeSeconds: writeSeconds, runtimeLoadSeconds: loadSeconds,
                      totalSeconds: importSeconds + lowerSeconds + planSeconds + writeSeconds + loadSeconds)
    }

    @Test func export() throws {
        guard let out = ProcessInfo.processInfo.environment["WS_BENCH_CHAIN_OUT"] else { return }
        let runs = max(1, Int(ProcessInfo.processInfo.environment["WS_BENCH_RUNS"] ?? "3") ?? 3)
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        var medians: [String: Stages] = [:]
        for n in [25_000, 50_000, 100_000] {
            let all = try (0..<runs).map { _ in try Self.run(nodes: n) }
            medians[String(n)] = Stages(importSeconds: median(all.map(\.importSeconds)),
                                        lowerSeconds: median(all.map(\.lowerSeconds)),
                                        planSeconds: median(all.map(\.planSeconds)),
                                        writeSeconds: median(all.map(\.writeSeconds)),
                                        runtimeLoadSeconds: median(all.map(\.runtimeLoadSeconds)),
                                        totalSeconds: median(all.map(\.totalSeconds)))
        }
        let small = medians["25000"]!, large = medians["100000"]!
        let report = Report(
            what: "ONNX chain of N nodes (Relu/Transpose alternating) through import, lowering, memory "
                + "planning, container writing and the C runtime's load (verification); medians of \(runs) runs; "
                + "ratio = time(100k) / time(25k), 4 for linear cost",
            runs: runs, medians: medians,
            ratio100kTo25k: [
                "import": large.importSeconds / small.importSeconds, "lower": large.lowerSeconds / small.lowerSeconds,
                "plan": large.planSeconds / small.planSeconds, "write": large.writeSeconds / small.writeSeconds,
                "runtimeLoad": large.runtimeLoadSeconds / small.runtimeLoadSeconds,
                "total": large.totalSeconds / small.totalSeconds,
            ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: out))
    }

    struct Report: Encodable {
        var what: String
        var runs: Int
        var medians: [String: Stages]
        var ratio100kTo25k: [String: Double]
    }
}
