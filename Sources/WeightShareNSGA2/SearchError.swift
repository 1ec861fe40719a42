/// What can go wrong in the search engine. Each case carries what was wrong, in words a user can act on.
public enum SearchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The gene space cannot be searched (bad bounds, duplicate or empty names).
    case invalidGeneSpace(reason: String)
    /// The NSGA-II configuration or the problem's objective count is unusable.
    case invalidConfiguration(reason: String)
    /// Values given for a genome do not fit the gene space.
    case genomeMismatch(reason: String)
    /// `evaluate` returned a different number of objective vectors than genomes it was given.
    case evaluationCountMismatch(expected: Int, got: Int)
    /// `evaluate` returned an objective vector of the wrong length for `genome`.
    case objectiveCountMismatch(genome: Genome, expected: Int, got: Int)
    /// `evaluate` returned NaN or an infinity for `genome`. Objectives must be finite (a checkpoint must be
    /// valid JSON, and NaN has no order).
    case nonFiniteObjective(genome: Genome, objectives: [Double])
    /// `step()` was called before `initialise()`.
    case notInitialised
    /// `initialise()` was called on a search that already has a population.
    case alreadyInitialised
    /// A saved state does not belong to this problem or configuration.
    case resumeMismatch(field: String, stored: String, given: String)
    /// A saved state is internally inconsistent.
    case corruptState(reason: String)

    public var description: String {
        switch self {
        case .invalidGeneSpace(let reason): return "invalid gene space: \(reason)"
        case .invalidConfiguration(let reason): return "invalid NSGA-II configuration: \(reason)"
        case .genomeMismatch(let reason): return "genome does not fit the gene space: \(reason)"
        case .evaluationCountMismatch(let expected, let got):
            return "the problem returned \(got) objective vector(s) for \(expected) genome(s)"
        case .objectiveCountMismatch(let genome, let expected, let got):
            return "the problem returned \(got) objective(s) for genome \(genome); it declares \(expected)"
        case .nonFiniteObjective(let genome, let objectives):
            return "the problem returned non-finite objectives \(objectives) for genome \(genome)"
        case .notInitialised: return "the search has no population yet: call initialise() before step()"
        case .alreadyInitialised: return "the search already has a population: initialise() runs once"
        case .resumeMismatch(let field, let stored, let given):
            return "cannot resume: \(field) is \(stored) in the saved state but \(given) now"
        case .corruptState(let reason): return "the saved search state is inconsistent: \(reason)"
        }
    }
}
