/// A genome together with its objective vector (all objectives minimised).
public struct Individual: Sendable, Hashable, Codable {
    /// The candidate solution.
    public var genome: Genome
    /// Its objective values, in the problem's order.
    public var objectives: [Double]

    /// An individual of `genome` with `objectives`.
    public init(genome: Genome, objectives: [Double]) {
        self.genome = genome
        self.objectives = objectives
    }
}
