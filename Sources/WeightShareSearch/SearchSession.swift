import Foundation
import WeightShareBoards
import WeightShareCompress
import WeightShareContainer
import WeightShareCore
import WeightShareEvaluate
import WeightShareImport
import WeightShareNSGA2

/// checkpoint.json: the NSGA-II state after the last completed generation.
struct Checkpoint: Codable {
    var state: NSGA2State
}

/// A search run end to end: NSGA-II over the genome (K, or K with scales, clipping and outliers), then the
/// iterative merge of the final front, then the pareto files.
/// Every completed generation is checkpointed, so `resume` continues a killed run to the same result.
public struct SearchSession {
    public let settings: SearchSettings
    public let directory: RunDirectory
    public let source: ModelSource
    /// The samples NSGA-II and the merge score on (the data minus the selection split).
    public let samples: SampleSet
    /// Scores candidates for NSGA-II and the merge, with the settings' kernels.
    public let evaluator: RuntimeEvaluator
    /// Scores the reported front: the C runtime's kernels (the same evaluator when the search uses them).
    public let referenceEvaluator: RuntimeEvaluator
    /// The selection split (or `--select-data`): never seen by NSGA-II or the merge; the front is scored and
    /// chosen on it. nil without one.
    public let selection: SampleSet?
    /// Rows of the data file (after `--limit` and dropped rows) in the search set and in the selection split
    /// (empty with `--select-data` or without a split).
    public let searchRows: [Int]
    public let selectionRows: [Int]
    let dataSHA256: String
    let selectDataSHA256: String?
    /// The clock of the progress lines' elapsed times and estimates.
    public var clock: SecondsClock = ProgressTiming.monotonic
    /// Seconds between a merge's progress lines (its result line is always printed).
    public var progressInterval: Double = ProgressTiming.defaultInterval

    /// Loads the model and the data and measures the float model. `evaluationThreads` run the samples of one
    /// evaluation (a cluster worker runs one per CPU it holds); the scores do not depend on it.
    public init(settings: SearchSettings, directory: RunDirectory,
                evaluationThreads: Int = BatchRunner.defaultWorkers) throws {
        self.settings = settings
        self.directory = directory
        let source = try ModelSource.load(URL(fileURLWithPath: settings.model), inputShapes: settings.inputShapes,
                                          inputValues: settings.inputValues ?? [:], options: settings.loweringOptions)
        self.source = source
        let outputNames = source.lowered.outputs.map { source.lowered.tensors[$0].name }
        // Nothing to share means nothing to search: refused before the data is read or anything is written.
        guard source.prepared.shared.count > 0 else { throw RunError.noSharedWeights(model: settings.model) }
        let dataURL = URL(fileURLWithPath: settings.data)
        let classOutput = try OutputSelection.classOutput(outputs: outputNames, name: settings.output)
        let all = try SampleSet.load(dataURL, for: source.lowered, limit: settings.limit, metric: settings.metric,
                                     dropNonFinite: settings.dropNonFinite ?? false,
                                     maxBytes: settings.maxDataBytes ?? NumPy.defaultMaxDataBytes,
                                     classOutput: classOutput)
        dataSHA256 = sha256Hex(try Data(contentsOf: dataURL))
        if let selectData = settings.selectData {
            let url = URL(fileURLWithPath: selectData)
            selection = try SampleSet.load(url, for: source.lowered, metric: settings.metric,
                                           dropNonFinite: settings.dropNonFinite ?? false,
                                           maxBytes: settings.maxDataBytes ?? NumPy.defaultMaxDataBytes,
                                           classOutput: classOutput)
            selectDataSHA256 = sha256Hex(try Data(contentsOf: url))
            samples = all
            searchRows = Array(0..<all.count)
            selectionRows = []
        } else if let fraction = settings.selectFraction, fraction > 0 {
            guard fraction < 1, let split = all.selectionSplit(fraction: fraction, seed: settings.seed) else {
                throw RunError.selectionSplitTooSmall(samples: all.count, fraction: fraction)
            }
            samples = all.rows(split.search)
            selection = all.rows(split.selection)
            searchRows = split.search
            selectionRows = split.selection
            selectDataSHA256 = nil
        } else {
            samples = all
            selection = nil
            searchRows = Array(0..<all.count)
            selectionRows = []
            selectDataSHA256 = nil
        }
        // Error compensation and bias corrections are measured on the search data, so every container of this
        // run (search, merge, held-out scoring, compile) carries the same indices and offsets.
        let encoder = WeightEncoder(base: source.prepared.with(constants: settings.constantPrecision),
                                    calibration: Calibration(samples: samples, workers: evaluationThreads))
        evaluator = try RuntimeEvaluator(encoder: encoder, samples: samples, metric: settings.metric,
                                         output: settings.output, workers: evaluationThreads,
                                         kernels: settings.evaluatorKernels)
        referenceEvaluator = settings.evaluatorKernels == .reference ? evaluator
            : try RuntimeEvaluator(encoder: encoder, samples: samples, metric: settings.metric, output: settings.output,
                                   workers: evaluationThreads)
        if let board = settings.board {
            // The arena does not depend on the quantization: a board whose RAM is too small fails now.
            let fit = FitCheck.check(board: board, wsmBytes: 0, arenaBytes: source.prepared.plan.arenaBytes)
            guard fit.fitsRAM else { throw RunError.boardTooSmall(board: board.name, problems: fit.problems) }
        }
    }

    /// The size objective of `encoding` (``CompressionProblem/packedWeightBytes(_:)``): every byte of its packed
    /// weights, the indices counted as the run's `--index-coding` says.
    public func packedWeightBytes(_ encoding: WeightEncoding) -> Int {
        evaluator.encoder.packedWeightBytes(encoding, coding: settings.sizeCoding)
    }

    /// Flash bytes a candidate's container needs beyond the board's model region (0 when it fits), its indices
    /// coded as `wsc compile` codes them for this run (``SearchSettings/compileCoding``). The search container has no
    /// metadata and the nearest-bin indices, so this slightly underestimates; the front is checked exactly in
    /// makeReport. Bias offsets change values, not sizes: a candidate that does not fit is never calibrated.
    func flashExcess(_ encoding: WeightEncoding, board: Board) throws -> Int {
        let model = evaluator.encoder.variant(encoding.normalization).prepared
        let bytes = try model.container(encoding: encoding, coding: settings.compileCoding).count
        let arena = model.plan.arenaBytes
        let fit = FitCheck.check(board: board, wsmBytes: bytes, arenaBytes: arena)
        return fit.fitsFlash ? 0 : fit.flashNeeded - fit.modelRegionBytes
    }

    /// Refuses, before the first generation, a board whose model region no candidate can fit: the smallest
    /// candidate of the search is K = --k-min uniform bins without scales or outliers (they only add bytes), and
    /// the container is measured without metadata, so this never refuses a run that could find a fitting
    /// solution. The error gives the numbers, and says whether a smaller --k-min would help (only when --k-min is
    /// above 2).
    public func checkSmallestCandidateFits(board: Board) throws {
        func smallest(k: Int) throws -> (bytes: Int, quantization: Quantization, fit: FitReport) {
            let q = Quantization(binning: UniformBinning(values: source.prepared.shared.values, k: k))
            let bytes = try evaluator.encoder.base.container(quantization: q, coding: settings.compileCoding).count
            return (bytes, q, FitCheck.check(board: board, wsmBytes: bytes, arenaBytes: source.prepared.plan.arenaBytes))
        }
        let atMin = try smallest(k: settings.kMin)
        guard !atMin.fit.fitsFlash else { return }
        let q = atMin.quantization
        var problems = [
            "the smallest candidate of this search (K=\(settings.kMin): M=\(q.codebookSize) values, \(q.bitWidth)-bit "
                + "indices, no scales or outliers) is a \(atMin.bytes)-byte .wsm before metadata: \(atMin.fit.flashNeeded) "
                + "bytes in flash > the model region's \(atMin.fit.modelRegionBytes) bytes"]
        if settings.kMin > 2 {
            let atTwo = try smallest(k: 2)
            problems.append(atTwo.fit.fitsFlash
                ? "with --k-min 2 the smallest candidate (1-bit indices) would be \(atTwo.bytes) bytes, which fits"
                : "even K=2 (1-bit indices) gives \(atTwo.bytes) bytes, which does not fit either")
            if atTwo.fit.fitsFlash { throw RunError.boardTooSmall(board: board.name, problems: problems) }
        }
        let n = source.prepared.shared.count
        problems.append("every candidate holds at least 1 bit per shared weight (\(n) weights: \((n + 7) / 8) bytes) "
                        + "besides the graph, the unshared tensors and the memory plan: no --k-min can fit; choose a "
                        + "board with a larger model region")
        throw RunError.boardTooSmall(board: board.name, problems: problems)
    }

    /// Rebuilds the session of an existing run (for merge and compile).
    public static func reopen(_ directory: RunDirectory) throws -> SearchSession {
        let run = try directory.readRun()
        let session = try SearchSession(settings: run.settings, directory: directory)
        guard session.source.sha256 == run.modelSHA256 else {
            throw RunError.inputChanged(field: "the model file's SHA-256", stored: run.modelSHA256, given: session.source.sha256)
        }
        // Scores, merges and bias corrections were measured on this data: other data would rebuild other files.
        guard session.dataSHA256 == run.dataSHA256 else {
            throw RunError.inputChanged(field: "the data file's SHA-256", stored: run.dataSHA256, given: session.dataSHA256)
        }
        if let stored = run.selectDataSHA256, let given = session.selectDataSHA256, stored != given {
            throw RunError.inputChanged(field: "the --select-data file's SHA-256", stored: stored, given: given)
        }
        return session
    }

    var runFile: RunFile {
        RunFile(toolVersion: WeightShareVersion.string, settings: settings, modelSHA256: source.sha256,
                dataSHA256: dataSHA256, selectDataSHA256: selectDataSHA256)
    }

    /// Runs (or resumes) the search and writes the pareto files. `log` receives one line per step. `executor`
    /// scores each generation's candidates (nil: in this process); the merge and the final scoring stay local.
    public func run(resume: Bool, executor: (any CandidateExecutor)? = nil,
                    log: (String) -> Void) throws -> ParetoReport {
        let problem = CompressionProblem(evaluator: evaluator, encoder: evaluator.encoder,
                                         kRange: settings.kMin...settings.kMax, genome: settings.genomeKind)
        if let executor { problem.executor = executor }
        if let board = settings.board {
            // A board nothing fits is refused now, not after every generation.
            try checkSmallestCandidateFits(board: board)
            problem.flashExcess = { [self] in try flashExcess($0, board: board) }
        }
        problem.sizeCoding = settings.sizeCoding
        if settings.racingEnabled { problem.racing = evaluator }
        let configuration = NSGA2Configuration(populationSize: settings.population)
        var engine: NSGA2<CompressionProblem>
        if resume, FileManager.default.fileExists(atPath: directory.runFile.path) {
            let stored = try directory.readRun()
            try checkResumable(stored)
            if FileManager.default.fileExists(atPath: directory.checkpoint.path) {
                let checkpoint = try RunDirectory.decode(Checkpoint.self, from: directory.checkpoint)
                engine = try NSGA2(problem: problem, configuration: configuration, resumingFrom: checkpoint.state)
                log("resuming \(directory.url.path) after generation \(checkpoint.state.generation)")
            } else {
                engine = NSGA2(problem: problem, configuration: configuration, seed: settings.seed)
            }
        } else {
            if FileManager.default.fileExists(atPath: directory.runFile.path) {
                throw RunError.alreadyExists(path: directory.url.path)
            }
            engine = NSGA2(problem: problem, configuration: configuration, seed: settings.seed)
        }
        try RunDirectory.writeAtomically(try RunDirectory.encode(runFile), to: directory.runFile)
        log(String(format: "model %@: %d shared weights in %d tensor(s); float %@ on %d samples = %.4f",
                   source.url.lastPathComponent, source.prepared.shared.count, source.prepared.shared.slices.count,
                   settings.metric.rawValue, samples.count, evaluator.floatScore)
            + (selection.map { " (search split; \($0.count) selection samples kept apart)" } ?? ""))

        let floatBytes = Double(4 * source.prepared.shared.count)
        // Generations run by this process (the initial population counts as one), for the estimate.
        let start = clock()
        var steps = 0
        if engine.state.generation == 0 && engine.state.population.isEmpty {
            _ = try engine.initialise()
            try checkpoint(engine.state)
            steps += 1
            log(progressLine(engine, problem: problem, floatBytes: floatBytes, elapsed: clock() - start, steps: steps))
        }
        while engine.state.generation < settings.generations {
            _ = try engine.step()
            try checkpoint(engine.state)
            steps += 1
            log(progressLine(engine, problem: problem, floatBytes: floatBytes, elapsed: clock() - start, steps: steps))
        }

        let front = settings.frontKind == .noise
            ? try noiseFront(engine.state.population, evaluated: engine.state.memo, problem: problem)
            : engine.paretoFront
        var report = try makeReport(front: front, problem: problem,
                                    evaluations: engine.state.evaluations, log: log)
        if problem.racing != nil {
            let full = problem.evaluations * samples.count
            report.racing = ParetoReport.RacingFacts(rejected: problem.racingRejected,
                                                     savedSampleRuns: problem.racingSavedSampleRuns,
                                                     fullSampleRuns: full)
            log(String(format: "racing stopped %d of %d candidate(s) early, saving %d of %d sample runs (%.1f %%) "
                       + "in this process", problem.racingRejected, problem.evaluations, problem.racingSavedSampleRuns,
                       full, 100 * Double(problem.racingSavedSampleRuns) / Double(max(full, 1))))
        }
        try directory.write(report)
        return report
    }

    func checkpoint(_ state: NSGA2State) throws {
        try RunDirectory.writeAtomically(try RunDirectory.encode(Checkpoint(state: state)), to: directory.checkpoint)
    }

    func checkResumable(_ stored: RunFile) throws {
        let a = stored.settings, b = settings
        func check(_ field: String, _ x: String, _ y: String) throws {
            if x != y { throw RunError.resumeMismatch(field: field, stored: x, given: y) }
        }
        try check("the model's SHA-256", stored.modelSHA256, source.sha256)
        try check("the data's SHA-256", stored.dataSHA256, dataSHA256)
        try check("--seed", String(a.seed), String(b.seed))
        try check("--population", String(a.population), String(b.population))
        try check("--metric", a.metric.rawValue, b.metric.rawValue)
        try check("--k-min/--k-max", "\(a.kMin)...\(a.kMax)", "\(b.kMin)...\(b.kMax)")
        try check("--genome", a.genomeKind.rawValue, b.genomeKind.rawValue)
        try check("--merge-floor", a.mergeFloorKind.rawValue, b.mergeFloorKind.rawValue)
        try check("--bn-fold", a.loweringOptions.batchNormFolding.rawValue, b.loweringOptions.batchNormFolding.rawValue)
        if a.board != b.board {
            // Same name is not enough: a board file edited between runs changes the constraint.
            try check("--board", a.board.map { "\($0.name) (as stored)" } ?? "none",
                      b.board.map { "\($0.name)" + (a.board?.name == $0.name ? " (changed description)" : "") } ?? "none")
        }
        try check("--limit", a.limit.map(String.init) ?? "none", b.limit.map(String.init) ?? "none")
        try check("--select-fraction", a.selectFraction.map { "\($0)" } ?? "none", b.selectFraction.map { "\($0)" } ?? "none")
        try check("--select-data", a.selectData ?? "none", b.selectData ?? "none")
        try check("--confidence", "\(a.confidenceLevel)", "\(b.confidenceLevel)")
        try check("--merge-rule", a.mergeRuleKind.rawValue, b.mergeRuleKind.rawValue)
        try check("--front", a.frontKind.rawValue, b.frontKind.rawValue)
        try check("--evaluator", a.evaluatorKernels.rawValue, b.evaluatorKernels.rawValue)
        try check("--racing", "\(a.racingEnabled)", "\(b.racingEnabled)")
        try check("--index-coding", a.sizeCoding.rawValue, b.sizeCoding.rawValue)
        try check("--merge-order", a.mergeOrderKind.rawValue, b.mergeOrderKind.rawValue)
        try check("--merge-max-evaluations", String(a.mergeEvaluationCap), String(b.mergeEvaluationCap))
        try check("--input-shape", "\(a.inputShapes.sorted { $0.key < $1.key })", "\(b.inputShapes.sorted { $0.key < $1.key })")
    }

    /// One generation's line; ends with the time this process has run generations and the generations left at
    /// the mean time per generation so far (`steps` of them, the initial population counted as one).
    func progressLine(_ engine: NSGA2<CompressionProblem>, problem: CompressionProblem, floatBytes: Double,
                      elapsed: Double, steps: Int) -> String {
        let front = engine.paretoFront
        // Hypervolume of the front in normalised objectives (loss, bytes / float bytes), reference (1, 1).
        let points = front.map { [$0.objectives[0], $0.objectives[1] / floatBytes] }
        let hv = Hypervolume.twoDimensional(points, reference: [1, 1])
        let best = front.filter { $0.objectives[0] < CompressionProblem.infeasibleLoss }.map { evaluator.floatScore - $0.objectives[0] }.max()
        let bestText = best.map { String(format: "best %@ %.4f", settings.metric.rawValue, $0) } ?? "nothing fits the board yet"
        let remaining = ProgressTiming.estimate(elapsed: elapsed, done: steps,
                                                remaining: settings.generations - engine.state.generation)
        return String(format: "gen %3d/%d  evaluations %4d (runtime %4d)  front %3d  HV %.4f  %@  elapsed %@  ETA %@",
                      engine.state.generation, settings.generations, engine.state.evaluations, problem.evaluations,
                      front.count, hv, bestText, ProgressTiming.duration(elapsed), ProgressTiming.duration(remaining))
    }

    /// The front's solutions (smallest first), each merged when the settings say so.
    func makeReport(front: [Individual], problem: CompressionProblem, evaluations: Int,
                    log: (String) -> Void) throws -> ParetoReport {
        // (genome, encoding, score, bytes): the bytes are the individual's size objective, already measured.
        var entries: [(Genome, WeightEncoding, Double, Int)] = []
        // Candidates that do not fit the board carry a penalty instead of a score and stay off the front.
        for individual in front where individual.objectives[0] < CompressionProblem.infeasibleLoss {
            let encoding = problem.encoding(for: individual.genome)
            entries.append((individual.genome, encoding, try problem.score(encoding), Int(individual.objectives[1])))
        }
        // Smallest first; ties by the genome, so the order does not depend on the front's order. Genomes that
        // differ only in genes without effect here (same bytes, same score) are one solution: the first.
        entries.sort { ($0.3, $0.0) < ($1.3, $1.0) }
        var seen = Set<[Double]>()
        entries = entries.filter { seen.insert([Double($0.3), $0.2]).inserted }
        var solutions: [Solution] = []
        var largestDifference = 0.0
        for (genome, encoding, searchScore, bytes) in entries {
            let k = problem.k(of: genome)
            // What is reported is what the board computes: the front is scored again with the reference kernels.
            let score = referenceEvaluator === evaluator ? searchScore : try referenceEvaluator.score(encoding)
            if searchScore.isFinite && score.isFinite { largestDifference = max(largestDifference, abs(score - searchScore)) }
            let measured = Solution.measure(encoding, score: score, floatScore: referenceEvaluator.floatScore,
                                            packedWeightBytes: bytes)
            var solution = Solution(id: solutions.count, genes: genome.named(in: problem.geneSpace), k: k,
                                    grouping: [Int](repeating: 1, count: encoding.quantization.codebookSize),
                                    result: measured, searched: measured, merged: false, mergeOrder: nil)
            // The exact file `wsc compile` writes by default (metadata included) must fit; merging only shrinks it.
            if let board = settings.board,
               !(try ModelCompiler.fit(session: self, solution: solution, board: board,
                                       coding: settings.compileCoding).fitsFlash) {
                continue
            }
            if settings.merge {
                solution = try merge(solution, log: log)
            }
            solutions.append(solution)
        }
        if referenceEvaluator !== evaluator {
            log(String(format: "scored %d front solution(s) with the reference runtime (largest difference from the %@ "
                       + "evaluator's score: %.2g)", entries.count, settings.evaluatorKernels.rawValue, largestDifference))
        }
        let mergeEvaluations = solutions.reduce(0) { $0 + ($1.mergeEvaluations ?? 0) }
        if solutions.isEmpty, let board = settings.board {
            throw RunError.boardTooSmall(board: board.name, problems: [
                "no solution on the front fits the model region (\(board.modelRegion.map { String($0.size) } ?? "?") bytes)"
                    + (settings.kMin > 2 ? "; try a smaller --k-min or a larger board" : "; try a larger board")])
        }
        // Candidates with non-finite outputs carry a loss beyond every usable one and are left out above.
        if solutions.isEmpty { throw RunError.noFiniteSolution(candidates: front.count) }
        var selectionFacts: ParetoReport.SelectionFacts?
        if let selection {
            let assessed = try SelectionScoring.assess(session: self, solutions: solutions, samples: selection,
                                                       confidence: settings.confidenceLevel)
            for i in solutions.indices { solutions[i].selection = assessed.assessments[i] }
            selectionFacts = ParetoReport.SelectionFacts(
                source: selectionSource, samples: selection.count, floatScore: assessed.floatScore,
                confidence: settings.confidenceLevel, resolution: assessed.resolution)
            log(String(format: "scored %d solution(s) on %d selection samples (float %@ %.4f)", solutions.count,
                       selection.count, settings.metric.rawValue, assessed.floatScore))
        }
        return ParetoReport(toolVersion: WeightShareVersion.string, model: source.url.path,
                            modelSHA256: source.sha256, metric: settings.metric.rawValue, seed: settings.seed,
                            floatScore: referenceEvaluator.floatScore, samples: samples.count,
                            sharedWeights: source.prepared.shared.count,
                            floatWeightBytes: 4 * source.prepared.shared.count, onnxBytes: source.fileBytes,
                            generations: settings.generations, evaluations: evaluations + mergeEvaluations,
                            runtimeEvaluations: problem.evaluations + mergeEvaluations, solutions: solutions,
                            selection: selectionFacts)
    }

    /// Where the selection samples come from, for reports.
    public var selectionSource: String {
        if let file = settings.selectData { return file }
        return String(format: "split %g %% of %@", (settings.selectFraction ?? 0) * 100,
                      URL(fileURLWithPath: settings.data).lastPathComponent)
    }

    /// The search data's resolution: the loss bound of a candidate identical to the float model (score units).
    public var searchResolution: Double {
        LossBound.resolution(metric: settings.metric, float: evaluator.floatRowScores,
                             confidence: settings.confidenceLevel)
    }

    /// The reported front with `--front noise`: the first front of `population` plus, for each index bit width,
    /// the best candidate the search evaluated (`evaluated`, NSGA-II's memo; lowest loss, then fewest bytes, then
    /// genome) unless a smaller candidate's loss is lower by more than ``searchResolution``. Sorted as
    /// ``NSGA2/paretoFront``. The widths come from every evaluation, not the final population: a long search
    /// converges on the smallest widths that look lossless on the search data, and drops the wider candidates
    /// that hold on unseen data when those do not.
    func noiseFront(_ population: [Individual], evaluated: [Genome: [Double]],
                    problem: CompressionProblem) throws -> [Individual] {
        let candidates = evaluated.isEmpty ? population
            : evaluated.keys.sorted().map { Individual(genome: $0, objectives: evaluated[$0]!) }
        let feasible = candidates.filter { $0.objectives[0] < CompressionProblem.infeasibleLoss }
        let epsilon = searchResolution
        var kept = Set(Pareto.firstFront(population.map(\.objectives)).map { population[$0] })
        var best: [Int: Individual] = [:]
        for individual in feasible {
            let width = problem.encoding(for: individual.genome).quantization.bitWidth
            if let current = best[width] {
                let a = (individual.objectives[0], individual.objectives[1]), b = (current.objectives[0], current.objectives[1])
                if a < b || (a == b && individual.genome < current.genome) { best[width] = individual }
            } else {
                best[width] = individual
            }
        }
        for candidate in best.values {
            let separated = feasible.contains {
                $0.objectives[1] < candidate.objectives[1] && $0.objectives[0] < candidate.objectives[0] - epsilon
            }
            if !separated { kept.insert(candidate) }
        }
        return kept.sorted { a, b in
            if a.objectives != b.objectives { return a.objectives.lexicographicallyPrecedes(b.objectives) }
            return a.genome < b.genome
        }
    }

    /// Iterative merge of one solution, from its current grouping, in `order` (nil: the run's) scoring at most
    /// `maxEvaluations` merges (nil: the run's cap). Prints a progress line every ``progressInterval`` seconds
    /// and the result.
    public func merge(_ solution: Solution, tolerance: Double? = nil, order: SearchSettings.MergeOrder? = nil,
                      maxEvaluations: Int? = nil, log: (String) -> Void) throws -> Solution {
        // Merging regroups bins only: the normalisation, clip range, outliers, refit and bias correction of the
        // solution stay (refit factors and bias offsets are measured again for every grouping).
        let (binning, outliers) = try solution.binning(encoder: evaluator.encoder)
        let genes = solution.encodingGenes
        func withBins(_ q: Quantization) -> WeightEncoding {
            evaluator.encoder.encoding(genes, q, outliers: outliers)
        }
        let merger: BinMerger
        let startScore: Double
        switch settings.mergeRuleKind {
        case .score:
            let reference = settings.mergeFloorKind == .float ? evaluator.floatScore : nil
            merger = BinMerger(tolerance: tolerance ?? settings.tolerance, reference: reference) { [evaluator] in
                try evaluator.score(withBins($0))
            }
            // The start as the merge's evaluator scores it (the reported score is the reference kernels').
            startScore = referenceEvaluator === evaluator ? solution.result.score
                : try evaluator.score(withBins(Quantization(binning: binning,
                                                            grouping: BinGrouping(runLengths: solution.grouping))))
        case .bound:
            // The merger keeps what does not fall below a floor, so it works on −(upper loss bound): a merge is kept
            // when its bound is at most the start's (or 0, with --merge-floor float) plus the tolerance.
            let float = evaluator.floatRowScores
            let (metric, confidence, seed) = (settings.metric, settings.confidenceLevel, settings.seed)
            let negativeBound: (Quantization) throws -> Double = { [evaluator] q in
                guard let rows = try evaluator.rowScores(withBins(q)) else { return Metric.failedScore }
                let upper = LossBound.measure(metric: metric, float: float, candidate: rows, confidence: confidence,
                                              seed: seed).upper
                return max(-upper, Metric.failedScore + 1e-9)
            }
            merger = BinMerger(tolerance: tolerance ?? settings.tolerance,
                               reference: settings.mergeFloorKind == .float ? 0 : nil, score: negativeBound)
            startScore = try negativeBound(Quantization(binning: binning,
                                                        grouping: BinGrouping(runLengths: solution.grouping)))
        }
        var tried = 0
        let cap = maxEvaluations ?? settings.mergeEvaluationCap
        let start = clock()
        var throttle = ProgressThrottle(interval: progressInterval, start: start)
        let result = try merger.mergeBest(binning: binning, grouping: BinGrouping(runLengths: solution.grouping),
                                          score: startScore, tried: &tried, orders: (order ?? settings.mergeOrderKind).orders,
                                          maxEvaluations: cap) { step in
            let now = clock()
            if throttle.allows(at: now) {
                log(MergeProgressLine.text(id: solution.id, k: solution.k, step: step, elapsed: now - start))
            }
        }
        var merged = solution
        merged.grouping = result.grouping.runLengths
        let finalScore = settings.mergeRuleKind == .score && referenceEvaluator === evaluator ? result.score
            : try referenceEvaluator.score(withBins(result.quantization))
        let mergedEncoding = withBins(result.quantization)
        merged.result = Solution.measure(mergedEncoding, score: finalScore, floatScore: referenceEvaluator.floatScore,
                                         packedWeightBytes: packedWeightBytes(mergedEncoding))
        merged.merged = true
        merged.mergeOrder = result.order.rawValue
        merged.mergeEvaluations = tried
        merged.mergeStoppedAtCap = result.stoppedAtCap ? true : nil
        log(String(format: "merge #%d K=%d: M %d -> %d (%@), %@ %.4f -> %.4f, CR %.2fx -> %.2fx, %d evaluations in %@",
                   solution.id, solution.k, solution.result.m, merged.result.m, result.order.rawValue,
                   settings.metric.rawValue, solution.result.score, finalScore,
                   solution.result.compressionRatioFixed, merged.result.compressionRatioFixed, tried,
                   ProgressTiming.duration(clock() - start))
            + (result.stoppedAtCap ? "; stopped at the cap of \(cap) evaluations (--merge-max-evaluations)" : ""))
        return merged
    }
}
