import ArgumentParser
import Foundation
import WeightShare

struct ParetoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pareto", abstract: "Show a run's Pareto front as a table.",
        discussion: "With --data, every solution is also scored on that data (e.g. a held-out test split): the front was selected on the search data, which it overfits.")

    @Argument(help: "Run directory made by 'wsc search'.", completion: Completion.folder) var runDirectory: String
    @Option(help: "Also score every solution on this data (.npz), with the run's metric.", completion: Completion.npz)
    var data: String?
    @Option(help: "Use only the first N samples of --data (only they are read).") var limit: Int?
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "Score --data with this metric instead of the run's (accuracy, agreement, cosine), e.g. accuracy for a run searched with agreement.")
    var metric: Metric?
    @OptionGroup var output: OutputOptions

    /// `--json` with `--data`: the front and the held-out scores.
    struct HeldOutReport: Encodable {
        var front: ParetoReport
        var heldOutData: String
        var heldOutMetric: String
        var heldOutFloatScore: Double
        var heldOut: [HeldOutScore]
    }

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be ≥ 1") }
        if metric != nil && data == nil { throw ValidationError("--metric needs --data") }
    }

    func run() throws {
        let directory = RunDirectory(URL(fileURLWithPath: runDirectory))
        let report = try directory.readReport()
        guard let data else {
            if output.json { try Console.printJSON(report) } else { print(Self.render(report)) }
            return
        }
        let dataURL = try requireFile(data, option: "--data")
        let session = try SearchSession.reopen(directory)
        let heldOutMetric = metric ?? session.settings.metric
        let (floatScore, scores) = try HeldOutScoring.score(session: session, report: report, data: dataURL,
                                                            limit: limit, metric: heldOutMetric,
                                                            dropNonFinite: dataOptions.dropNonFinite,
                                                            maxDataBytes: dataOptions.maxBytes)
        if output.json {
            try Console.printJSON(HeldOutReport(front: report, heldOutData: dataURL.path,
                                                heldOutMetric: heldOutMetric.rawValue, heldOutFloatScore: floatScore,
                                                heldOut: scores))
        } else {
            let name = dataURL.lastPathComponent + (heldOutMetric == session.settings.metric ? "" : ", \(heldOutMetric.rawValue)")
            print(Self.render(report, heldOut: (name, floatScore, scores)))
        }
    }

    static func render(_ report: ParetoReport,
                       heldOut: (name: String, floatScore: Double, scores: [HeldOutScore])? = nil) -> String {
        let rows = report.solutions.enumerated().map { index, s -> [String] in
            let r = s.result
            var row = [String(s.id), String(s.k), s.merged ? "\(s.searched.m)→\(r.m)" : String(r.m), String(r.bitWidth),
                       Console.fixed(r.score, 4), Console.fixed(r.loss * 100, 2), String(r.packedWeightBytes),
                       Console.fixed(r.compressionRatioFixed, 2), Console.fixed(r.compressionRatioHuffman, 2)]
            if report.selection != nil {
                row += s.selection.map { [Console.fixed($0.score, 4), Console.fixed($0.loss * 100, 2),
                                          Console.fixed($0.lossUpper * 100, 2)] } ?? ["", "", ""]
            }
            if let heldOut {
                row += [Console.fixed(heldOut.scores[index].score, 4), Console.fixed(heldOut.scores[index].loss * 100, 2)]
            }
            return row + [describe(s)]
        }
        var title = "\(report.metric) of the float model: \(Console.fixed(report.floatScore, 4)) on \(report.samples) samples; \(report.sharedWeights) shared weights (\(report.floatWeightBytes) bytes as float32)"
        var headers = ["id", "K", "M", "bits", report.metric, "loss pts", "bytes", "CR fixed", "CR huffman"]
        if let selection = report.selection {
            title += "\nselection (\(selection.source)): float \(Console.fixed(selection.floatScore, 4)) on \(selection.samples) samples; "
                + "bounds at \(String(format: "%g", selection.confidence * 100)) % confidence; resolution \(Console.fixed(selection.resolution * 100, 2)) pts"
            headers += ["selection", "loss pts", "bound pts"]
        }
        if let heldOut {
            title += "\non \(heldOut.name): float \(Console.fixed(heldOut.floatScore, 4))"
            headers += ["\(report.metric) (\(heldOut.name))", "loss pts"]
        }
        return title + "\n" + Console.table(headers + ["encoding"], rows)
    }

    /// Scale mode and statistic, clip quantiles, outliers, scale refit and bias correction in a few words ("raw" for
    /// the paper's encoding).
    static func describe(_ s: Solution) -> String {
        let genes = s.encodingGenes
        var words = [genes.normalization.mode == .none ? "raw"
                     : "\(genes.normalization.mode.rawValue) \(genes.normalization.statistic.rawValue)"]
        if genes.clipLow > 0 || genes.clipHigh > 0 {
            words.append("clip \(Console.fixed(genes.clipLow * 100, 2))%/\(Console.fixed(genes.clipHigh * 100, 2))%")
        }
        if let outliers = s.result.outliers, outliers > 0 { words.append("\(outliers) outliers") }
        if genes.scaleRefit { words.append("refit") }
        if genes.errorCompensation { words.append("compensated") }
        if genes.biasCorrection { words.append("bias-corrected") }
        return words.joined(separator: " ")
    }
}
