import ArgumentParser
import Foundation
import WeightShare

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run the .wsm with the reference C runtime and compare it with the float ONNX model on a data set.")

    @Argument(help: "The compiled model (.wsm).", completion: Completion.wsm) var wsm: String
    @Option(help: "The source model (.onnx).", completion: Completion.onnx) var model: String
    @Option(help: "Data (.npz with x, optionally y; a model with several inputs: one array per input, named after it).",
            completion: Completion.npz)
    var data: String
    @OptionGroup var shapes: InputShapeOptions
    @Option(help: ArgumentHelp("The output that accuracy and agreement read, and the only one compared (default: accuracy and agreement read the first output; cosine and max abs diff cover every output).", valueName: "name"))
    var output: String?
    @OptionGroup var feedbackOptions: FeedbackOptions
    @Option(help: "Use only the first N samples.") var limit: Int?
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let values = try shapes.values()
        let report = try Verification.verify(
            wsm: try requireFile(wsm, option: "wsm"), model: try requireFile(model, option: "--model"),
            data: try requireFile(data, option: "--data"), inputShapes: try shapes.parsed(),
            inputValues: values.isEmpty ? nil : values, output: output, feedback: feedbackOptions.feedback,
            limit: limit)
        let output = outputOptions
        if output.json { try Console.printJSON(report); return }
        func pct(_ x: Double?) -> String { x.map { Console.fixed($0 * 100, 2) + " %" } ?? "n/a (no labels)" }
        var rows: [[String]] = [
            ["samples", String(report.samples)],
            ["accuracy float / compressed", "\(pct(report.floatAccuracy)) / \(pct(report.compressedAccuracy))"],
            ["top-1 agreement", pct(report.agreement)],
            ["mean cosine / max abs diff", "\(Console.fixed(report.meanCosine, 6)) / "
                + (report.maxAbsDiff.map { String(format: "%.3g", $0) } ?? "not a number (non-finite outputs)")],
            ["non-finite outputs float / compressed", "\(report.floatNonFiniteOutputs) / \(report.nonFiniteOutputs)"],
            ["K / M / index bits", "\(report.k) / \(report.m) / \(report.bitWidth)"],
            ["weight CR fixed / Huffman", "\(Console.fixed(report.compressionRatioFixed, 2))x / \(Console.fixed(report.compressionRatioHuffman, 2))x"],
            [".onnx / .wsm bytes", "\(report.onnxBytes) / \(report.wsmBytes)"],
            ["arena bytes", String(report.arenaBytes)],
        ]
        if report.outputs.count > 1 {
            for o in report.outputs {
                let diff = o.maxAbsDiff.map { String(format: "%.3g", $0) } ?? "not a number"
                rows.append(["output \(o.name) cosine / max abs diff", Console.fixed(o.meanCosine, 6) + " / " + diff])
            }
        }
        if !report.feedback.isEmpty { rows.append(["free-running feedback", report.feedback.joined(separator: " ")]) }
        print(Console.table(["what", "value"], rows))
        if report.nonFiniteOutputs > 0 || report.floatNonFiniteOutputs > 0 {
            Console.progress("warning: \(report.nonFiniteOutputs) output value(s) of the compressed model and "
                + "\(report.floatNonFiniteOutputs) of the float model are NaN or infinite")
        }
        if !report.sourceMatches {
            Console.progress("note: this .wsm was compiled from another model (SHA-256 differs from \(model)'s); the "
                             + "figures compare it with this one")
        }
    }
}
