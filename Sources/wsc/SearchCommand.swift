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
    @Option(help: "Score: accuracy (default; labels), agreement (top-1 vs the float model, no labels needed) or cosine (outputs vs float model; for models that are not classifiers). bench/selection.json measured accuracy to hold better on unseen data than agreement as the default (README).")
    var metric: Metric = .accuracy
    @Option(help: ArgumentHelp("The model output the metric reads (default: the first output for accuracy and agreement, every output concatenated for cosine).", valueName: "name"))
    var output: String?
    @Option(help: "Random seed; the same seed and inputs give the same front and the same bytes.") var seed: UInt64 = 1
    @Option(help: "NSGA-II population size.") var population: Int = 100
    @Option(help: "NSGA-II generations.") var generations: Int = 30
    @Option(name: .customLong("k-min"), help: "Smallest number of uniform bins.") var kMin: Int = 2
    @Option(name: .customLong("k-max"), help: "Largest number of uniform bins.") var kMax: Int = 1024
    @Flag(name: .customLong("no-merge"), help: "Skip the iterative bin merge of the final front.") var noMerge = false
    @Option(help: "Score drop a merge may cause, in points (0.5 = half an accuracy point); with --merge-rule bound, how far the loss bound may rise.") var tolerance: Double = 0
    @Option(name: .customLong("merge-floor"),
            help: "start (the paper): a merge may not drop the score below the solution's own minus --tolerance; float: below min(own, float model's) minus --tolerance — a start above the float model is luck on the search data that merges may spend.")
    var mergeFloor: SearchSettings.MergeFloor = .start
    @Option(name: .customLong("select-fraction"),
            help: ArgumentHelp("Part of --data kept apart as the selection split (default 0.3; stratified by label when there are labels; the same seed gives the same split): NSGA-II and the merge never see it, every front solution is scored on it and 'compile' chooses on it. 0: no split.", valueName: "F"))
    var selectFraction: Double?
    @Option(name: .customLong("select-data"),
            help: ArgumentHelp("Score the front and choose on this file instead of a split of --data (the search then uses all of --data).", valueName: "file"))
    var selectData: String?
    @Option(help: "Confidence of the one-sided loss bounds of the merge (--merge-rule bound), the front's noise band and the stored selection bounds (default 0.90).")
    var confidence: Double?
    @Option(name: .customLong("merge-rule"),
            help: "bound (default): a merge is kept only if the upper confidence bound of the loss on the search data does not grow (beyond --tolerance); score (the paper): if the point score does not drop.")
    var mergeRule: SearchSettings.MergeRule?
    @Option(name: .customLong("merge-order"),
            help: "paper (default): left-to-right and centre-to-ends, the better kept; left-to-right or centre-to-ends alone; weight-error: the merge adding the least weight error first, a pass given up after a few rejections in a row (far fewer model runs on large codebooks).")
    var mergeOrder: SearchSettings.MergeOrder?
    @Option(name: .customLong("merge-max-evaluations"),
            help: ArgumentHelp("Most merges scored per solution (default \(SearchSettings.defaultMergeMaxEvaluations)); a merge that reaches it stops with what it has kept and says so.", valueName: "N"))
    var mergeMaxEvaluations: Int?
    @Option(name: .customLong("progress-interval"),
            help: ArgumentHelp("Seconds between a running merge's progress lines (every generation prints one).", valueName: "seconds"))
    var progressInterval: Double = ProgressTiming.defaultInterval
    @Option(help: "noise (default): the first front plus each index bit width's best candidate of every one the search evaluated, unless a smaller one is better by more than the search data can resolve; pareto: the first front only.")
    var front: SearchSettings.FrontKind?
    @Option(help: "Kernels that score candidates: fast (default: all samples at once, Conv/Gemm/MatMul on the host's BLAS, equal to the runtime to float rounding) or reference (the C runtime sample by sample, bit for bit what the board computes). The reported front is re-scored with the reference either way.")
    var evaluator: EvaluatorKernels?
    @Flag(inversion: .prefixedNo,
          help: "Racing: score each candidate on a growing part of the samples (an eighth, a quarter, a half, all) and stop once even perfect scores on the rest could not beat a fully scored candidate of at most its size (an exact bound; candidates with bias correction always run whole).")
    var racing: Bool?
    @Option(name: .customLong("index-coding"),
            help: "Count the size objective's indices as compile will store them, and make that compile's default: auto (each streamed tensor Huffman-coded when that is smaller), conv (the same for the tensors only convolutions read; dense layers fixed width), huffman (every streamed tensor coded) or fixed (fixed-width files, the fastest to decode). Not given: the objective counts fixed-width indices and compile writes auto (a coded objective makes the front a continuum that the selection split resolves less well: README, 'Size objective').")
    var indexCoding: IndexCoding?
    @Option(help: "How biases and epilogue scales of Gemm, Conv and ConvTranspose are stored, in the candidates the search scores and in the compiled file: float (the default, float32) or half (IEEE binary16 for each vector whose values all stay within 2^-11 of its largest magnitude: half their bytes, a tenth to a fifth of a small CNN's file; older runtimes refuse such a file by its feature bit). Not the default: on the 30 classifier runs of bench/selection.json the default choice held on test in 25 with half against 28 with float (README, 'Smaller files').")
    var constants: ConstantPrecision?
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
    @OptionGroup(title: "Executor (where candidates are scored)") var executorOptions: ExecutorOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard population >= 4 && population % 2 == 0 else { throw ValidationError("--population must be an even number ≥ 4") }
        guard generations >= 0 else { throw ValidationError("--generations must be ≥ 0") }
        guard kMin >= 2 && kMin <= kMax && kMax <= 65_535 else {
            throw ValidationError("need 2 ≤ --k-min ≤ --k-max ≤ 65535 (the paper searches 2...1024)")
        }
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a finite number ≥ 0") }
        if let limit, limit < 1 { throw ValidationError("--limit must be ≥ 1") }
        if let selectFraction, !(selectFraction >= 0 && selectFraction < 1) {
            throw ValidationError("--select-fraction must be at least 0 and below 1 (0 disables the split)")
        }
        if selectData != nil, let selectFraction, selectFraction > 0 {
            throw ValidationError("--select-data and --select-fraction contradict each other: with --select-data the search uses all of --data; give one")
        }
        if let mergeMaxEvaluations, mergeMaxEvaluations < 1 { throw ValidationError("--merge-max-evaluations must be ≥ 1") }
        guard progressInterval >= 0, progressInterval.isFinite else {
            throw ValidationError("--progress-interval must be a finite number of seconds ≥ 0")
        }
        if let confidence, !(confidence >= 0.5 && confidence < 1) {
            throw ValidationError("--confidence must be at least 0.5 and below 1 (e.g. 0.9)")
        }
    }

    static let defaultSelectFraction = 0.3

    func run() throws {
        let modelURL = try requireFile(model, option: "model")
        let dataURL = try requireFile(data, option: "--data")
        // A resumed run keeps the stored choices for options not given now (older runs have none of them).
        let outURL = URL(fileURLWithPath: out).standardizedFileURL
        let stored = resume ? try? RunDirectory(outURL).readRun().settings : nil
        let selectDataURL = try selectData.map { try requireFile($0, option: "--select-data") }
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
                                      inputValues: try shapes.values(), output: output,
                                      selectFraction: selectDataURL != nil ? nil
                                          : selectFraction ?? (stored.map { $0.selectFraction } ?? Self.defaultSelectFraction),
                                      selectData: selectDataURL?.path ?? (selectFraction == nil ? stored?.selectData : nil),
                                      confidence: confidence ?? (stored.map { $0.confidence } ?? SearchSettings.defaultConfidence),
                                      mergeRule: mergeRule ?? (stored.map { $0.mergeRule } ?? .bound),
                                      front: front ?? (stored.map { $0.front } ?? .noise),
                                      mergeOrder: mergeOrder ?? stored?.mergeOrder,
                                      mergeMaxEvaluations: mergeMaxEvaluations ?? stored?.mergeMaxEvaluations,
                                      evaluator: evaluator ?? (stored.map { $0.evaluator } ?? .fast),
                                      racing: racing ?? (stored.map { $0.racing } ?? false),
                                      indexCoding: indexCoding ?? stored?.indexCoding,
                                      constants: constants ?? (stored.map { $0.constantPrecision } ?? .float))
        let directory = RunDirectory(outURL)
        var session = try SearchSession(settings: settings, directory: directory)
        session.progressInterval = progressInterval
        DataOptions.reportDropped(session.samples, data: data)
        // The cluster is joined before anything is written: an executor that cannot start leaves no run behind.
        let executor = try executorOptions.start(session: session)
        defer { executor?.close() }
        let report = try session.run(resume: resume, executor: executor, log: Console.progress)
        if outputOptions.json {
            try Console.printJSON(report)
        } else {
            print(ParetoCommand.render(report))
            print("wrote \(directory.paretoJSON.path), pareto.csv, pareto.svg")
        }
    }
}
