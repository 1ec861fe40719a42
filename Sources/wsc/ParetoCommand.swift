import ArgumentParser
import Foundation
import WeightShare

struct ParetoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pareto", abstract: "Show a run's Pareto front as a table.")

    @Argument(help: "Run directory made by 'wsc search'.") var runDirectory: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        let report = try RunDirectory(URL(fileURLWithPath: runDirectory)).readReport()
        if output.json { try Console.printJSON(report) } else { print(Self.render(report)) }
    }

    static func render(_ report: ParetoReport) -> String {
        let rows = report.solutions.map { s -> [String] in
            let r = s.result
            return [String(s.id), String(s.k), s.merged ? "\(s.searched.m)→\(r.m)" : String(r.m), String(r.bitWidth),
                    Console.fixed(r.score, 4), Console.fixed(r.loss * 100, 2), String(r.packedWeightBytes),
                    Console.fixed(r.compressionRatioFixed, 2), Console.fixed(r.compressionRatioHuffman, 2),
                    describe(s)]
        }
        let title = "\(report.metric) of the float model: \(Console.fixed(report.floatScore, 4)) on \(report.samples) samples; \(report.sharedWeights) shared weights (\(report.floatWeightBytes) bytes as float32)"
        return title + "\n" + Console.table(["id", "K", "M", "bits", report.metric, "loss pts", "bytes", "CR fixed",
                                             "CR huffman", "encoding"], rows)
    }

    /// Scale mode and statistic, clip quantiles and outliers in a few words ("raw" for the paper's encoding).
    static func describe(_ s: Solution) -> String {
        let genes = s.encodingGenes
        var words = [genes.normalization.mode == .none ? "raw"
                     : "\(genes.normalization.mode.rawValue) \(genes.normalization.statistic.rawValue)"]
        if genes.clipLow > 0 || genes.clipHigh > 0 {
            words.append("clip \(Console.fixed(genes.clipLow * 100, 2))%/\(Console.fixed(genes.clipHigh * 100, 2))%")
        }
        if let outliers = s.result.outliers, outliers > 0 { words.append("\(outliers) outliers") }
        return words.joined(separator: " ")
    }
}
