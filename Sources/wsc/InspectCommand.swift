import ArgumentParser
import Foundation
import WeightShare
import WeightShareReader

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Verify a .wsm and show what it holds.")

    @Argument(help: "The compiled model (.wsm).", completion: Completion.wsm) var wsm: String
    @OptionGroup var output: OutputOptions

    private func row(_ t: InspectionReport.Tensor) -> [String] {
        let shape = "[" + t.shape.map(String.init).joined(separator: ",") + "]"
        var place = t.precision == "binary16" ? "raw binary16" : "raw"
        if let offset = t.arenaOffset { place = "arena+\(offset)" }
        if let offset = t.indexOffset { place = t.indexCoding == "huffman" ? "stream bit \(offset)" : "stream@\(offset)" }
        let outliers = t.outliers.map { $0 > 0 ? String($0) : "" } ?? ""
        var indices = ""
        if let coding = t.indexCoding { indices = "\(coding), \(((t.indexBits ?? 0) + 7) / 8) B" }
        return [String(t.index), t.name, t.kind, shape, String(t.elements), place, outliers, indices]
    }

    func run() throws {
        let report = InspectionReport(model: try WSMModel(contentsOf: try requireFile(wsm, option: "wsm")))
        if output.json { try Console.printJSON(report); return }
        let features = report.requiredFeatures.isEmpty ? "" : " + " + report.requiredFeatures.joined(separator: ", ")
        print("\(wsm): \(report.bytes) bytes, format \(report.formatVersion)\(features), written by wsc \(report.toolVersion)")
        print("source \(report.sourceName) (sha256 \(report.sourceSHA256.prefix(16))…), \(report.metric) \(Console.fixed(report.score, 4)) (float \(Console.fixed(report.floatScore, 4))), seed \(report.seed)")
        print("codebook: K=\(report.k) → M=\(report.m) values, \(report.bitWidth)-bit indices × \(report.indexCount) (\(report.streamBytes) bytes with padding)")
        print("  " + report.codebook.map { String(format: "%.5g", $0) }.joined(separator: " "))
        if !report.codeLengths.isEmpty {
            print("Huffman code lengths (per codebook value): " + report.codeLengths.map(String.init).joined(separator: " "))
        }
        print("arena: \(report.arenaBytes) bytes; inputs \(report.inputs), outputs \(report.outputs)")
        print(Console.table(["#", "tensor", "kind", "shape", "elements", "where", "outliers", "indices"],
                            report.tensors.map(row)))
        print(Console.table(["op", "name", "inputs", "outputs"], report.operators.map {
            [$0.opcode, $0.name, $0.inputs.map { $0.map(String.init) ?? "-" }.joined(separator: ","),
             $0.outputs.map(String.init).joined(separator: ",")]
        }))
    }
}
