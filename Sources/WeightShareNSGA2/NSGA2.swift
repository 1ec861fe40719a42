/// NSGA-II (Deb, Pratap, Agarwal & Meyarivan 2002): elitist multi-objective evolutionary search, minimising
/// every objective of a ``MultiObjectiveProblem``.
///
/// Each generation selects parents by binary tournament on (rank, crowding distance), makes offspring by
/// bounded SBX crossover and bounded polynomial mutation, removes duplicates, evaluates the new genomes in one
/// batch, and keeps the best of parents and offspring by rank, then crowding distance ((μ + λ) survival).
///
/// **Duplicates.** No two members of a population share a genome. An offspring equal to a member of the
/// population or to an earlier offspring is mutated again (up to ``NSGA2Configuration/duplicateRetries``
/// times, at least one gene each time), then replaced by a fresh random genome, and dropped if none can be
/// found. When the gene space holds fewer distinct genomes than the population size (e.g. K ∈ 2…20 with a
/// population of 100) the population holds every genome once and generations add nothing; nothing loops
/// forever.
///
/// **Memo.** Every objective vector is remembered in ``NSGA2State/memo``; a genome is evaluated at most once
/// per run, however often it is proposed again.
///
/// **Determinism.** All randomness comes from one ``SeededRandom``; no `Dictionary` or `Set` is iterated
/// where order could matter. The same seed and problem give the same populations, and a search saved with
/// ``state`` and resumed with ``init(problem:configuration:resumingFrom:)`` continues exactly as if it had
/// never stopped.
///
/// ```swift
/// var search = NSGA2(problem: problem, configuration: NSGA2Configuration(populationSize: 100), seed: 1)
/// try search.run(generations: 30) { stats in print(stats.generation, stats.frontSize) }
/// let checkpoint = try search.state.jsonData()
/// for solution in search.paretoFront { print(solution.genome, solution.objectives) }
/// ```
public struct NSGA2<Problem: MultiObjectiveProblem> {
    /// The problem searched.
    public let problem: Problem
    /// The settings in use.
    public let configuration: NSGA2Configuration
    /// Everything needed to continue the search (see ``NSGA2State``).
    public private(set) var state: NSGA2State

    /// Genomes tried at random before a fresh genome is searched for by enumeration.
    static var randomAttempts: Int { 32 }
    /// Largest finite space enumerated to find a fresh genome when random draws keep hitting taken ones.
    static var enumerationLimit: Int { 1 << 16 }

    /// A new search; call ``initialise()`` (or ``run(generations:onGeneration:)``) to start it.
    public init(problem: Problem, configuration: NSGA2Configuration = NSGA2Configuration(), seed: UInt64) {
        self.problem = problem
        self.configuration = configuration
        state = NSGA2State(seed: seed, geneSpace: problem.geneSpace, objectiveCount: problem.objectiveCount,
                           configuration: configuration)
    }

    /// A search continuing from a saved state.
    ///
    /// - Throws: ``SearchError/resumeMismatch(field:stored:given:)`` when the state was made for another gene
    ///   space, objective count or configuration (the reference point may differ: it only affects the reported
    ///   hypervolume); ``SearchError/corruptState(reason:)`` when the state contradicts itself; the errors of
    ///   ``GeneSpace/validate()`` and ``NSGA2Configuration/validate(objectiveCount:)``.
    public init(problem: Problem, configuration: NSGA2Configuration = NSGA2Configuration(),
                resumingFrom state: NSGA2State) throws {
        func mismatch(_ field: String, _ stored: String, _ given: String) -> SearchError {
            .resumeMismatch(field: field, stored: stored, given: given)
        }
        guard state.geneSpace == problem.geneSpace else {
            throw mismatch("the gene space", Self.describe(state.geneSpace), Self.describe(problem.geneSpace))
        }
        guard state.objectiveCount == problem.objectiveCount else {
            throw mismatch("the number of objectives", String(state.objectiveCount), String(problem.objectiveCount))
        }
        guard state.configuration.searchDefining == configuration.searchDefining else {
            throw mismatch("the NSGA-II configuration", "\(state.configuration.searchDefining)",
                           "\(configuration.searchDefining)")
        }
        try state.geneSpace.validate()
        try configuration.validate(objectiveCount: state.objectiveCount)
        try state.checkConsistency()
        self.problem = problem
        self.configuration = configuration
        self.state = state
        self.state.configuration = configuration
    }

    // MARK: Running

    /// Creates and evaluates the initial population: `populationSize` distinct uniform random genomes (all the
    /// space's genomes, in random order, when it holds fewer). Leaves ``NSGA2State/generation`` at 0.
    ///
    /// - Throws: ``SearchError/alreadyInitialised``, validation errors, and whatever the problem throws (the
    ///   state is then unchanged).
    @discardableResult
    public mutating func initialise() throws -> NSGA2GenerationStats {
        guard !state.isInitialised else { throw SearchError.alreadyInitialised }
        try checkSetup()
        var next = state
        var seen = Set<Genome>()
        var genomes: [Genome] = []
        let cardinality = next.geneSpace.cardinality
        for _ in 0..<configuration.populationSize {
            guard let genome = Self.freshGenome(excluding: seen, space: next.geneSpace, cardinality: cardinality,
                                                using: &next.random)
            else { break }
            seen.insert(genome)
            genomes.append(genome)
        }
        let objectives = try evaluate(genomes, into: &next)
        next.population = zip(genomes, objectives).map { Individual(genome: $0, objectives: $1) }
        next.initialIdeal = (0..<next.objectiveCount).map { m in objectives.map { $0[m] }.min() ?? 0 }
        next.initialNadir = (0..<next.objectiveCount).map { m in objectives.map { $0[m] }.max() ?? 0 }
        next.generation = 0
        state = next
        return stats(newEvaluations: state.evaluations)
    }

    /// Runs one generation: selection, crossover, mutation, duplicate elimination, evaluation of the new
    /// genomes (one batch, memo misses only) and (μ + λ) survival. Increments ``NSGA2State/generation``.
    ///
    /// - Throws: ``SearchError/notInitialised``, and whatever the problem throws (the state is then
    ///   unchanged, so the generation can be retried).
    @discardableResult
    public mutating func step() throws -> NSGA2GenerationStats {
        guard state.isInitialised else { throw SearchError.notInitialised }
        var next = state
        let offspring = Self.makeOffspring(population: next.population, space: next.geneSpace,
                                           configuration: configuration, using: &next.random)
        let before = next.evaluations
        let objectives = try evaluate(offspring, into: &next)
        let combined = next.population + zip(offspring, objectives).map { Individual(genome: $0, objectives: $1) }
        let kept = RankAndCrowding.survivors(combined.map(\.objectives), count: configuration.populationSize)
        next.population = kept.map { combined[$0] }
        next.generation += 1
        state = next
        return stats(newEvaluations: state.evaluations - before)
    }

    /// Initialises the search if needed, then steps until ``NSGA2State/generation`` reaches `generations`
    /// (a total, not a count of further generations, so a resumed search is continued with the same call).
    ///
    /// - Parameter onGeneration: called after initialisation (generation 0) and after every generation; it
    ///   may throw to stop the search (the state stays at the last completed generation).
    /// - Returns: the final ``paretoFront``.
    @discardableResult
    public mutating func run(generations: Int,
                             onGeneration: (NSGA2GenerationStats) throws -> Void = { _ in }) throws -> [Individual] {
        if !state.isInitialised {
            try onGeneration(try initialise())
        }
        while state.generation < generations {
            try onGeneration(try step())
        }
        return paretoFront
    }

    // MARK: Results

    /// The first (non-dominated) front of the current population, sorted by objective 0, then objective 1
    /// and so on, then genome. Genomes are unique; distinct genomes with equal objectives are all listed.
    public var paretoFront: [Individual] {
        let population = state.population
        return Pareto.firstFront(population.map(\.objectives)).map { population[$0] }.sorted { a, b in
            if a.objectives != b.objectives { return a.objectives.lexicographicallyPrecedes(b.objectives) }
            return a.genome < b.genome
        }
    }

    /// Hypervolume of the current front as reported in ``NSGA2GenerationStats/hypervolume``.
    public var hypervolume: Double? {
        hypervolume(of: paretoFront)
    }

    private func hypervolume(of front: [Individual]) -> Double? {
        guard state.objectiveCount == 2, state.isInitialised else { return nil }
        let points = front.map(\.objectives)
        if let reference = configuration.referencePoint {
            return Hypervolume.twoDimensional(points, reference: reference)
        }
        guard let ideal = state.initialIdeal, let nadir = state.initialNadir else { return nil }
        let normalised = points.map { point in
            (0..<2).map { m in
                let range = nadir[m] - ideal[m]
                return (point[m] - ideal[m]) / (range > 0 ? range : 1)
            }
        }
        return Hypervolume.twoDimensional(normalised, reference: [1.1, 1.1])
    }

    // MARK: Internals

    private func stats(newEvaluations: Int) -> NSGA2GenerationStats {
        let front = paretoFront
        return NSGA2GenerationStats(generation: state.generation, evaluations: state.evaluations,
                                    newEvaluations: newEvaluations, populationSize: state.population.count,
                                    frontSize: front.count, hypervolume: hypervolume(of: front))
    }

    /// Validates the gene space, the configuration and that the problem still matches the state.
    private func checkSetup() throws {
        guard state.geneSpace == problem.geneSpace else {
            throw SearchError.resumeMismatch(field: "the gene space", stored: Self.describe(state.geneSpace),
                                             given: Self.describe(problem.geneSpace))
        }
        guard state.objectiveCount == problem.objectiveCount else {
            throw SearchError.resumeMismatch(field: "the number of objectives", stored: String(state.objectiveCount),
                                             given: String(problem.objectiveCount))
        }
        try state.geneSpace.validate()
        try configuration.validate(objectiveCount: state.objectiveCount)
    }

    /// Objectives of `genomes`, evaluating only those missing from the memo (in one batch) and recording them.
    private func evaluate(_ genomes: [Genome], into state: inout NSGA2State) throws -> [[Double]] {
        var missing: [Genome] = []
        var queued = Set<Genome>()
        for genome in genomes where state.memo[genome] == nil && queued.insert(genome).inserted {
            missing.append(genome)
        }
        if !missing.isEmpty {
            let results = try problem.evaluate(missing)
            guard results.count == missing.count else {
                throw SearchError.evaluationCountMismatch(expected: missing.count, got: results.count)
            }
            for (genome, objectives) in zip(missing, results) {
                guard objectives.count == state.objectiveCount else {
                    throw SearchError.objectiveCountMismatch(genome: genome, expected: state.objectiveCount,
                                                             got: objectives.count)
                }
                guard objectives.allSatisfy(\.isFinite) else {
                    throw SearchError.nonFiniteObjective(genome: genome, objectives: objectives)
                }
                state.memo[genome] = objectives
            }
            state.evaluations += missing.count
        }
        return genomes.map { state.memo[$0]! }
    }

    /// Up to `populationSize` offspring, distinct from each other and from `population`.
    static func makeOffspring(population: [Individual], space: GeneSpace, configuration: NSGA2Configuration,
                              using random: inout SeededRandom) -> [Genome] {
        let ranking = RankAndCrowding(population.map(\.objectives))
        let crossover = SimulatedBinaryCrossover(probability: configuration.crossoverProbability,
                                                 distributionIndex: configuration.crossoverDistributionIndex,
                                                 variableProbability: configuration.crossoverVariableProbability)
        let mutation = PolynomialMutation(distributionIndex: configuration.mutationDistributionIndex,
                                          probability: configuration.mutationProbability)
        let cardinality = space.cardinality
        var seen = Set(population.map(\.genome))
        var offspring: [Genome] = []
        var slots = configuration.populationSize
        while slots > 0 {
            if let cardinality, seen.count >= cardinality { break }
            let first = tournament(ranking, using: &random), second = tournament(ranking, using: &random)
            let (child1, child2) = crossover.cross(population[first].genome, population[second].genome,
                                                   in: space, using: &random)
            for child in [child1, child2] where slots > 0 {
                slots -= 1
                var candidate = mutation.mutate(child, in: space, using: &random)
                var retries = 0
                while seen.contains(candidate) && retries < configuration.duplicateRetries {
                    candidate = mutation.mutate(candidate, in: space, atLeastOneGene: true, using: &random)
                    retries += 1
                }
                if seen.contains(candidate) {
                    guard let fresh = freshGenome(excluding: seen, space: space, cardinality: cardinality,
                                                  using: &random)
                    else { continue }
                    candidate = fresh
                }
                seen.insert(candidate)
                offspring.append(candidate)
            }
        }
        return offspring
    }

    /// Binary tournament on the crowded-comparison operator; a tie is decided by a fair coin.
    static func tournament(_ ranking: RankAndCrowding, using random: inout SeededRandom) -> Int {
        let n = ranking.ranks.count
        guard n > 1 else { return 0 }
        let a = random.nextIndex(below: n)
        var b = random.nextIndex(below: n - 1)
        if b >= a { b += 1 }
        if ranking.prefers(a, over: b) { return a }
        if ranking.prefers(b, over: a) { return b }
        return random.nextDouble() < 0.5 ? a : b
    }

    /// A uniform random genome not in `taken`: a few random draws, then (for a small finite space) a uniform
    /// choice among the genomes not taken. `nil` when none is left or none was found.
    static func freshGenome(excluding taken: Set<Genome>, space: GeneSpace, cardinality: Int?,
                            using random: inout SeededRandom) -> Genome? {
        if let cardinality, taken.count >= cardinality { return nil }
        for _ in 0..<randomAttempts {
            let genome = space.randomGenome(using: &random)
            if !taken.contains(genome) { return genome }
        }
        guard let cardinality, cardinality <= enumerationLimit else { return nil }
        let free = (0..<cardinality).map(space.genome(atOrdinal:)).filter { !taken.contains($0) }
        return free.isEmpty ? nil : free[random.nextIndex(below: free.count)]
    }

    private static func describe(_ space: GeneSpace) -> String {
        "[" + space.genes.map {
            "\($0.name) \($0.kind.rawValue)\($0.scale == .logarithmic ? " (log)" : "") \($0.lower)...\($0.upper)"
        }
            .joined(separator: ", ") + "]"
    }
}

extension NSGA2: Sendable where Problem: Sendable {}
