/// Progress of an ``NSGA2`` search after one generation (or after initialisation, generation 0).
public struct NSGA2GenerationStats: Sendable, Hashable, Codable {
    /// Generations completed (0 after initialisation).
    public var generation: Int
    /// Genomes the problem has evaluated in this run so far.
    public var evaluations: Int
    /// Genomes the problem evaluated in this generation (offspring not found in the memo).
    public var newEvaluations: Int
    /// Individuals in the population.
    public var populationSize: Int
    /// Individuals in the first front of the population.
    public var frontSize: Int
    /// Hypervolume of the first front (two objectives only, otherwise `nil`): with respect to the
    /// configuration's reference point, or, without one, in objectives normalised by the initial population's
    /// ideal and nadir points with reference (1.1, 1.1).
    public var hypervolume: Double?

    /// Statistics with the given values.
    public init(generation: Int, evaluations: Int, newEvaluations: Int, populationSize: Int, frontSize: Int,
                hypervolume: Double?) {
        self.generation = generation
        self.evaluations = evaluations
        self.newEvaluations = newEvaluations
        self.populationSize = populationSize
        self.frontSize = frontSize
        self.hypervolume = hypervolume
    }
}
