/// A problem the multi-objective search can solve: a gene space and a batch evaluation that returns one
/// objective vector per genome, every objective to be **minimised**.
///
/// Evaluation is by batch so the problem can cache results and evaluate genomes in parallel. The engine
/// never asks for the same genome twice within a run (it keeps its own memo in ``NSGA2State``), never passes
/// an empty batch, and passes genomes that are valid in ``geneSpace`` (integer genes integral, all genes in
/// bounds).
///
/// ```swift
/// struct Sizes: MultiObjectiveProblem {
///     let geneSpace = GeneSpace([.integer("k", 2...1024)])
///     var objectiveCount: Int { 2 }
///     func evaluate(_ genomes: [Genome]) throws -> [[Double]] {
///         genomes.map { let k = Double($0.int(at: 0)); return [1 / k, k] }
///     }
/// }
/// ```
public protocol MultiObjectiveProblem {
    /// The variables searched. Must not change during a run.
    var geneSpace: GeneSpace { get }
    /// Length of every objective vector `evaluate` returns.
    var objectiveCount: Int { get }
    /// Objective vectors for `genomes`, in the same order, each of length ``objectiveCount`` and finite.
    /// Must be deterministic for the search to be reproducible.
    func evaluate(_ genomes: [Genome]) throws -> [[Double]]
}
