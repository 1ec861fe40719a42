/// Settings of an ``NSGA2`` run. The defaults are those of the paper (population 100, SBX crossover p = 0.9,
/// η = 15, polynomial mutation η = 20 with probability 1/number of genes), which are also Deb's usual ones.
///
/// Decoding accepts missing keys and fills in the defaults, so checkpoints stay readable when fields are added.
public struct NSGA2Configuration: Sendable, Hashable, Codable {
    /// Individuals kept after each generation (μ), and offspring made per generation (λ = μ). Fewer are kept
    /// when the gene space holds fewer distinct genomes.
    public var populationSize: Int
    /// Probability that a pair of parents is recombined by SBX at all (otherwise the children are copies).
    public var crossoverProbability: Double
    /// SBX distribution index η_c: larger keeps children closer to their parents.
    public var crossoverDistributionIndex: Double
    /// Probability that SBX recombines a given gene of a recombined pair (0.5 in Deb's reference code).
    public var crossoverVariableProbability: Double
    /// Polynomial mutation distribution index η_m: larger makes smaller steps.
    public var mutationDistributionIndex: Double
    /// Probability that polynomial mutation changes a given gene; `nil` means 1 / number of genes.
    public var mutationProbability: Double?
    /// How many times a duplicate offspring is mutated again (with at least one gene forced to mutate) before
    /// it is replaced by a fresh random genome.
    public var duplicateRetries: Int
    /// Reference point of the hypervolume reported in ``NSGA2GenerationStats`` (two objectives only). When
    /// `nil`, the hypervolume is that of the objectives normalised by the initial population's ideal and nadir
    /// points, with reference (1.1, 1.1). It does not influence the search.
    public var referencePoint: [Double]?

    /// A configuration; every argument defaults to the paper's setting (see the type's discussion).
    public init(populationSize: Int = 100, crossoverProbability: Double = 0.9,
                crossoverDistributionIndex: Double = 15, crossoverVariableProbability: Double = 0.5,
                mutationDistributionIndex: Double = 20, mutationProbability: Double? = nil,
                duplicateRetries: Int = 10, referencePoint: [Double]? = nil) {
        self.populationSize = populationSize
        self.crossoverProbability = crossoverProbability
        self.crossoverDistributionIndex = crossoverDistributionIndex
        self.crossoverVariableProbability = crossoverVariableProbability
        self.mutationDistributionIndex = mutationDistributionIndex
        self.mutationProbability = mutationProbability
        self.duplicateRetries = duplicateRetries
        self.referencePoint = referencePoint
    }

    /// The configuration without the fields that do not affect the search (the reference point), for
    /// comparing a saved configuration with the one a resumed search is given.
    var searchDefining: NSGA2Configuration {
        var copy = self
        copy.referencePoint = nil
        return copy
    }

    /// Throws ``SearchError/invalidConfiguration(reason:)`` when a setting is out of range.
    public func validate(objectiveCount: Int) throws {
        func fail(_ reason: String) -> SearchError { .invalidConfiguration(reason: reason) }
        func isProbability(_ p: Double) -> Bool { p >= 0 && p <= 1 }
        guard populationSize >= 1 else { throw fail("population size must be at least 1, not \(populationSize)") }
        guard isProbability(crossoverProbability) else {
            throw fail("crossover probability must be in [0, 1], not \(crossoverProbability)")
        }
        guard isProbability(crossoverVariableProbability) else {
            throw fail("crossover variable probability must be in [0, 1], not \(crossoverVariableProbability)")
        }
        guard crossoverDistributionIndex >= 0, crossoverDistributionIndex.isFinite else {
            throw fail("crossover distribution index must be finite and ≥ 0, not \(crossoverDistributionIndex)")
        }
        guard mutationDistributionIndex >= 0, mutationDistributionIndex.isFinite else {
            throw fail("mutation distribution index must be finite and ≥ 0, not \(mutationDistributionIndex)")
        }
        if let p = mutationProbability, !isProbability(p) {
            throw fail("mutation probability must be in [0, 1], not \(p)")
        }
        guard duplicateRetries >= 0 else { throw fail("duplicate retries must be ≥ 0, not \(duplicateRetries)") }
        guard objectiveCount >= 1 else { throw fail("the problem declares \(objectiveCount) objectives") }
        if let reference = referencePoint {
            guard reference.count == objectiveCount, reference.allSatisfy(\.isFinite) else {
                throw fail("reference point \(reference) must have \(objectiveCount) finite coordinates")
            }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case populationSize, crossoverProbability, crossoverDistributionIndex, crossoverVariableProbability
        case mutationDistributionIndex, mutationProbability, duplicateRetries, referencePoint
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = NSGA2Configuration()
        populationSize = try c.decodeIfPresent(Int.self, forKey: .populationSize) ?? d.populationSize
        crossoverProbability = try c.decodeIfPresent(Double.self, forKey: .crossoverProbability)
            ?? d.crossoverProbability
        crossoverDistributionIndex = try c.decodeIfPresent(Double.self, forKey: .crossoverDistributionIndex)
            ?? d.crossoverDistributionIndex
        crossoverVariableProbability = try c.decodeIfPresent(Double.self, forKey: .crossoverVariableProbability)
            ?? d.crossoverVariableProbability
        mutationDistributionIndex = try c.decodeIfPresent(Double.self, forKey: .mutationDistributionIndex)
            ?? d.mutationDistributionIndex
        mutationProbability = try c.decodeIfPresent(Double.self, forKey: .mutationProbability)
        duplicateRetries = try c.decodeIfPresent(Int.self, forKey: .duplicateRetries) ?? d.duplicateRetries
        referencePoint = try c.decodeIfPresent([Double].self, forKey: .referencePoint)
    }
}
