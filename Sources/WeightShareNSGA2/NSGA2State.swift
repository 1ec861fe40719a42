import Foundation

/// Everything an ``NSGA2`` search needs to continue: saved after any generation and restored with
/// ``NSGA2/init(problem:configuration:resumingFrom:)``, it continues to exactly the same result as a run that
/// was never interrupted (same seed, same problem).
///
/// The encoding is deterministic: the memo is written as a list sorted by genome (never in `Dictionary`
/// order), and ``jsonData()`` sorts keys. Doubles survive a JSON round trip exactly (Foundation writes the
/// shortest representation that reads back to the same value); the generator state is written as hexadecimal
/// strings.
public struct NSGA2State: Sendable, Equatable, Codable {
    /// Version of this encoding.
    public static let currentFormat = 1

    /// The seed the search started from (informational; the generator state is ``random``).
    public var seed: UInt64
    /// Generations completed: 0 after ``NSGA2/initialise()``, +1 per ``NSGA2/step()``.
    public var generation: Int
    /// The current population in the order the engine keeps it (fronts best first). Empty before
    /// ``NSGA2/initialise()``. Genomes are distinct.
    public var population: [Individual]
    /// The generator, positioned after the last completed generation.
    public var random: SeededRandom
    /// Objectives of every genome evaluated so far in this run; a genome found here is never evaluated again.
    public var memo: [Genome: [Double]]
    /// Genomes the problem has evaluated in this run (cache misses of the memo).
    public var evaluations: Int
    /// The gene space of the problem when the search started.
    public var geneSpace: GeneSpace
    /// The number of objectives of the problem when the search started.
    public var objectiveCount: Int
    /// The configuration the search started with.
    public var configuration: NSGA2Configuration
    /// Per-objective minimum over the initial population (`nil` before initialisation); with
    /// ``initialNadir`` it normalises the hypervolume reported when the configuration has no reference point.
    public var initialIdeal: [Double]?
    /// Per-objective maximum over the initial population (`nil` before initialisation).
    public var initialNadir: [Double]?

    /// An empty state: not yet initialised.
    public init(seed: UInt64, geneSpace: GeneSpace, objectiveCount: Int, configuration: NSGA2Configuration) {
        self.seed = seed
        generation = 0
        population = []
        random = SeededRandom(seed: seed)
        memo = [:]
        evaluations = 0
        self.geneSpace = geneSpace
        self.objectiveCount = objectiveCount
        self.configuration = configuration
    }

    /// Whether ``NSGA2/initialise()`` has run.
    public var isInitialised: Bool { !population.isEmpty }

    /// The state as JSON with sorted keys (byte-for-byte reproducible).
    public func jsonData(prettyPrinted: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = prettyPrinted ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        return try encoder.encode(self)
    }

    /// A state read from JSON written by ``jsonData(prettyPrinted:)`` (or any encoder of this type).
    public init(jsonData: Data) throws {
        self = try JSONDecoder().decode(NSGA2State.self, from: jsonData)
    }

    /// Throws ``SearchError/corruptState(reason:)`` when the state is inconsistent with itself.
    func checkConsistency() throws {
        func fail(_ reason: String) -> SearchError { .corruptState(reason: reason) }
        guard generation >= 0 else { throw fail("generation \(generation) is negative") }
        guard evaluations >= 0 else { throw fail("evaluation count \(evaluations) is negative") }
        guard !(generation > 0 && population.isEmpty) else {
            throw fail("generation \(generation) but the population is empty")
        }
        var seen = Set<Genome>()
        for individual in population {
            guard geneSpace.contains(individual.genome) else {
                throw fail("population genome \(individual.genome) is not valid in the gene space")
            }
            guard seen.insert(individual.genome).inserted else {
                throw fail("genome \(individual.genome) appears twice in the population")
            }
            guard individual.objectives.count == objectiveCount, individual.objectives.allSatisfy(\.isFinite) else {
                throw fail("genome \(individual.genome) has objectives \(individual.objectives)")
            }
        }
        for genome in memo.keys.sorted() {
            let objectives = memo[genome]!
            guard geneSpace.contains(genome), objectives.count == objectiveCount, objectives.allSatisfy(\.isFinite)
            else { throw fail("memo entry \(genome) → \(objectives) does not fit the problem") }
        }
        for individual in population where memo[individual.genome] != individual.objectives {
            throw fail("population genome \(individual.genome) disagrees with the memo")
        }
        guard population.count <= max(configuration.populationSize, 0) else {
            throw fail("population of \(population.count) exceeds the configured \(configuration.populationSize)")
        }
        for bound in [initialIdeal, initialNadir] {
            if let bound, bound.count != objectiveCount || !bound.allSatisfy(\.isFinite) {
                throw fail("initial objective bounds \(bound) do not fit \(objectiveCount) objectives")
            }
        }
    }

    // MARK: Codable

    private struct MemoEntry: Codable {
        var genome: Genome
        var objectives: [Double]
    }

    private enum CodingKeys: String, CodingKey {
        case format, seed, generation, population, random, memo, evaluations, geneSpace, objectiveCount
        case configuration, initialIdeal, initialNadir
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let format = try c.decode(Int.self, forKey: .format)
        guard format == Self.currentFormat else {
            throw DecodingError.dataCorruptedError(
                forKey: .format, in: c,
                debugDescription: "NSGA-II state format \(format) is not supported (this build reads \(Self.currentFormat))")
        }
        seed = try c.decode(UInt64.self, forKey: .seed)
        generation = try c.decode(Int.self, forKey: .generation)
        population = try c.decode([Individual].self, forKey: .population)
        random = try c.decode(SeededRandom.self, forKey: .random)
        let entries = try c.decode([MemoEntry].self, forKey: .memo)
        var memo: [Genome: [Double]] = [:]
        memo.reserveCapacity(entries.count)
        for entry in entries {
            guard memo.updateValue(entry.objectives, forKey: entry.genome) == nil else {
                throw DecodingError.dataCorruptedError(forKey: .memo, in: c,
                                                       debugDescription: "genome \(entry.genome) appears twice")
            }
        }
        self.memo = memo
        evaluations = try c.decode(Int.self, forKey: .evaluations)
        geneSpace = try c.decode(GeneSpace.self, forKey: .geneSpace)
        objectiveCount = try c.decode(Int.self, forKey: .objectiveCount)
        configuration = try c.decode(NSGA2Configuration.self, forKey: .configuration)
        initialIdeal = try c.decodeIfPresent([Double].self, forKey: .initialIdeal)
        initialNadir = try c.decodeIfPresent([Double].self, forKey: .initialNadir)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.currentFormat, forKey: .format)
        try c.encode(seed, forKey: .seed)
        try c.encode(generation, forKey: .generation)
        try c.encode(population, forKey: .population)
        try c.encode(random, forKey: .random)
        let entries = memo.keys.sorted().map { MemoEntry(genome: $0, objectives: memo[$0]!) }
        try c.encode(entries, forKey: .memo)
        try c.encode(evaluations, forKey: .evaluations)
        try c.encode(geneSpace, forKey: .geneSpace)
        try c.encode(objectiveCount, forKey: .objectiveCount)
        try c.encode(configuration, forKey: .configuration)
        try c.encodeIfPresent(initialIdeal, forKey: .initialIdeal)
        try c.encodeIfPresent(initialNadir, forKey: .initialNadir)
    }
}
