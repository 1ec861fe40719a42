import ArgumentParser
import Foundation
import WeightShareReader

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Verify a .wsm and show what it holds.")

    @Argument(help: "The compiled model (.wsm).") var wsm: String
    @OptionGroup var output: OutputOptions

    struct Report: Encodable {
        struct Tensor: Encodable { var index: Int; var name: String; var kind: String; var shape: [Int]; var elements: Int; var arenaOffset: Int?; var indexOffset: Int?; var outliers: Int? }
        struct Operator: Encodable { var opcode: String; var name: String; var inputs: [Int?]; var outputs: [Int] }
        var bytes: Int
        var formatVersion: Int
        var requiredFeatures: [String]
        var toolVersion: String
        var sourceName: String
        var sourceSHA256: String
        var metric: String
        var score: Double
        var floatScore: Double
        var seed: UInt64
        var k: Int
        var m: Int
        var bitWidth: Int
        var indexCount: Int
        var streamBytes: Int
        var codebook: [Float]
        var arenaBytes: Int
        var inputs: [String]
        var outputs: [String]
        var tensors: [Tensor]
        var operators: [Operator]
    }

    func run() throws {
        let model = try WSMModel(contentsOf: try requireFile(wsm, option: "wsm"))
        let meta = model.metadata
        let report = Report(
            bytes: model.byteCount, formatVersion: meta.formatVersion,
            requiredFeatures: meta.requiredFeatureNames, toolVersion: meta.toolVersion,
            sourceName: meta.sourceName, sourceSHA256: meta.sourceSHA256, metric: meta.metric, score: meta.score,
            floatScore: meta.floatScore, seed: meta.seed, k: meta.k, m: model.codebook.count,
            bitWidth: model.stream.bitWidth, indexCount: model.stream.count, streamBytes: model.stream.bytes,
            codebook: model.codebook, arenaBytes: model.arenaBytes, inputs: model.inputs.map(\.name),
            outputs: model.outputs.map(\.name),
            tensors: model.tensors.map {
                .init(index: $0.index, name: $0.name, kind: $0.kind.rawValue, shape: $0.shape, elements: $0.elementCount,
                      arenaOffset: $0.kind == .activation ? $0.arenaOffset : nil,
                      indexOffset: $0.kind == .shared ? $0.indexOffset : nil,
                      outliers: $0.kind == .shared ? $0.outlierCount : nil)
            },
            operators: model.operators.map { .init(opcode: $0.opcode, name: $0.name, inputs: $0.inputs, outputs: $0.outputs) })
        if output.json { try Console.printJSON(report); return }
        let features = report.requiredFeatures.isEmpty ? "" : " + " + report.requiredFeatures.joined(separator: ", ")
        print("\(wsm): \(report.bytes) bytes, format \(report.formatVersion)\(features), written by wsc \(report.toolVersion)")
        print("source \(report.sourceName) (sha256 \(report.sourceSHA256.prefix(16))…), \(report.metric) \(Console.fixed(report.score, 4)) (float \(Console.fixed(report.floatScore, 4))), seed \(report.seed)")
        print("codebook: K=\(report.k) → M=\(report.m) values, \(report.bitWidth)-bit indices × \(report.indexCount) (\(report.streamBytes) bytes with padding)")
        print("  " + report.codebook.map { String(format: "%.5g", $0) }.joined(separator: " "))
        print("arena: \(report.arenaBytes) bytes; inputs \(report.inputs), outputs \(report.outputs)")
        print(Console.table(["#", "tensor", "kind", "shape", "elements", "where", "outliers"], report.tensors.map {
            [String($0.index), $0.name, $0.kind, "[" + $0.shape.map(String.init).joined(separator: ",") + "]", String($0.elements),
             $0.arenaOffset.map { "arena+\($0)" } ?? $0.indexOffset.map { "stream@\($0)" } ?? "raw",
             $0.outliers.map { $0 > 0 ? String($0) : "" } ?? ""]
        }))
        print(Console.table(["op", "name", "inputs", "outputs"], report.operators.map {
            [$0.opcode, $0.name, $0.inputs.map { $0.map(String.init) ?? "-" }.joined(separator: ","),
             $0.outputs.map(String.init).joined(separator: ",")]
        }))
    }
}
