import ArgumentParser
import Foundation
import WeightShare

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Pack a solution into model.wsm plus model_data.c/.h (an aligned const array).",
        discussion: "Without --solution, takes the smallest solution whose loss is within --max-loss points.")

    @Argument(help: "Run directory made by 'wsc search'.") var runDirectory: String
    @Option(help: "Solution id (see 'wsc pareto').") var solution: Int?
    @Option(name: .customLong("max-loss"), help: "Largest score loss in points when choosing automatically.")
    var maxLoss: Double = 1.0
    @Option(help: "Target board (\(ModelCompiler.supportedBoards.joined(separator: ", ")) for now).") var board: String = "host"
    @Option(name: [.short, .customLong("output")], help: "Output directory.") var outputDirectory: String
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard ModelCompiler.supportedBoards.contains(board) else {
            throw ValidationError("unknown board '\(board)'; known boards: \(ModelCompiler.supportedBoards.joined(separator: ", "))")
        }
        guard maxLoss >= 0 else { throw ValidationError("--max-loss must be ≥ 0") }
    }

    func run() throws {
        let directory = RunDirectory(URL(fileURLWithPath: runDirectory))
        let report = try directory.readReport()
        let chosen: Solution
        if let solution {
            guard report.solutions.indices.contains(solution) else {
                throw RunError.noSuchSolution(id: solution, count: report.solutions.count)
            }
            chosen = report.solutions[solution]
        } else {
            guard let best = report.smallest(withinLoss: maxLoss / 100) else {
                throw RunError.noSolutionWithinLoss(maxLoss: maxLoss / 100,
                                                    best: report.solutions.map(\.result.loss).min() ?? .nan)
            }
            chosen = best
        }
        let session = try SearchSession.reopen(directory)
        let compiled = try ModelCompiler.compile(session: session, solution: chosen, board: board)
        let out = URL(fileURLWithPath: outputDirectory)
        try ModelCompiler.write(compiled, to: out)
        if output.json { try Console.printJSON(compiled.report); return }
        let r = compiled.report
        print(Console.table(["what", "value"], [
            ["solution", "\(r.solution) (K=\(r.k), M=\(r.m), \(r.bitWidth)-bit indices)"],
            ["\(r.metric) (search data)", "\(Console.fixed(r.score, 4)) (float \(Console.fixed(r.floatScore, 4)), loss \(Console.fixed(r.lossPoints, 2)) pts)"],
            ["weight CR fixed / Huffman", "\(Console.fixed(r.compressionRatioFixed, 2))x / \(Console.fixed(r.compressionRatioHuffman, 2))x"],
            ["shared weights", "\(r.sharedWeights) → \(r.packedWeightBytes) bytes packed"],
            [".onnx / .wsm bytes", "\(r.onnxBytes) / \(r.wsmBytes)"],
            ["arena bytes (planned / naive)", "\(r.arenaBytes) / \(r.naiveArenaBytes)"],
            ["written to", "\(out.path)/ (\(r.files.joined(separator: ", ")))"],
        ]))
    }
}
