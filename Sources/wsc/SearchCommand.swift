import ArgumentParser
import Foundation
import WeightShare

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the one-codebook encoding with NSGA-II (accuracy vs size), then merge neighbouring bins.",
        discussion: "Writes run.json, checkpoint.json (after every generation) and pareto.json/.csv/.svg into --out. A killed search continues with --resume and ends with the same result."
    )

    @Argument(help: "The trained model (.onnx).", completion: Completion.onnx) var model: String
    @Option(help: "Validation data (.npz with x and, for --metric accuracy, y). The search scores on it.",
            completion: Completion.npz)
    var data: String
    @Option(help: "Run directory to create (or to continue with --resume).", completion: Completion.folder) var out: String
    @OptionGroup var shapes: InputShapeOptions
    @Option(help: "Score: accuracy (labels), agreement (top-1 vs float model) or cosine (outputs vs float model).")
    var metric: Metric = .accuracy
    @Option(help: ArgumentHelp("The model output the metric reads (default: the first output for accuracy and agreement, every output concatenated for cosine).", valueName: "name"))
    var output: String?
    @Option(help: "Random seed; the same seed and inputs give the same front and the same bytes.") var seed: UInt64 = 1
    @Option(help: "NSGA-II population size.") var population: Int = 100
    @Option(help: "NSGA-II generations.") var generations: Int = 30
    @Option(name: .customLong("k-min"), help: "Smallest number of uniform bins.") var kMin: Int = 2
    @Option(name: .customLong("k-max"), help: "Largest number of uniform bins.") var kMax: Int = 1024
    @Flag(name: .customLong("no-merge"), help: "Skip the iterative bin merge of the final front.") var noMerge = false
    @Option(help: "Score drop a merge may cause, in points (0.5 = half an accuracy point).") var tolerance: Double = 0
    @Option(name: .customLong("merge-floor"),
            help: "start (the paper): a merge may not drop the score below the solution's own minus --tolerance; float: below min(own, float model's) minus --tolerance — a start above the float model is luck on the search data that merges may spend.")
    var mergeFloor: SearchSettings.MergeFloor = .start
    @Option(help: "Use only the first N samples of --data (only they are read).") var limit: Int?
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "Genes to search: full (K, scale mode none/tensor/channel and statistic max-abs/p99/rms, clip quantiles of the binning range, exact-outlier budget; scales refit and biases corrected on the search data) or k (the paper: K alone over the raw weights' [min, max]).")
    var genome: GenomeKind = .full
    @Option(name: .customLong("bn-fold"),
            help: "Fold a BatchNormalization after a Conv/Gemm into the layer's epilogue (per-channel scale; the shared values stay the layer's weights) or into its weights.")
    var bnFold: LoweringOptions.BatchNormFolding = .epilogue
    @OptionGroup(title: "Board constraint (solutions that do not fit are excluded from the search)")
    var boardOptions: BoardOptions
    @Flag(help: "Continue the run in --out from its last completed generation.") var resume = false
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard population >= 4 && population % 2 == 0 else { throw ValidationError("--population must be an even number ≥ 4") }
        guard generations >= 0 else { throw ValidationError("--generations must be ≥ 0") }
        guard kMin >= 2 && kMin <= kMax && kMax <= 65_535 else {
            throw ValidationError("need 2 ≤ --k-min ≤ --k-max ≤ 65535 (the paper searches 2...1024)")
        }
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a finite number ≥ 0") }
        if let limit, limit < 1 { throw ValidationError("--limit must be ≥ 1") }
    }

    func run() throws {
        let modelURL = try requireFile(model, option: "model")
        let dataURL = try requireFile(data, option: "--data")
        let settings = SearchSettings(model: modelURL.path, data: dataURL.path, inputShapes: try shapes.parsed(),
                                      metric: metric, seed: seed, population: population,
                                      generations: generations, kMin: kMin, kMax: kMax, merge: !noMerge,
                                      tolerance: tolerance / 100, limit: limit,
                                      batchNormFolding: bnFold,
                                      board: boardOptions.isGiven ? try boardOptions.load() : nil,
                                      genome: genome,
                                      mergeFloor: mergeFloor,
                                      dropNonFinite: dataOptions.dropNonFinite ? true : nil,
                                      maxDataBytes: dataOptions.maxDataMiB.map { $0 << 20 },
                                      inputValues: try shapes.values(), output: output)
        let directory = RunDirectory(URL(fileURLWithPath: out).standardizedFileURL)
        let session = try SearchSession(settings: settings, directory: directory)
        DataOptions.reportDropped(session.samples, data: data)
        let report = try session.run(resume: resume, log: Console.progress)
        if outputOptions.json {
            try Console.printJSON(report)
        } else {
            print(ParetoCommand.render(report))
            print("wrote \(directory.paretoJSON.path), pareto.csv, pareto.svg")
        }
    }
}
