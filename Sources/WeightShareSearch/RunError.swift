import Foundation

/// Problems with a run directory or its files.
public enum RunError: Error, CustomStringConvertible, Equatable {
    case notARun(path: String)
    case corrupt(file: String, reason: String)
    case noSuchSolution(id: Int, count: Int)
    case noSolutionWithinLoss(maxLoss: Double, best: Double)
    case resumeMismatch(field: String, stored: String, given: String)
    case inputChanged(field: String, stored: String, given: String)
    case alreadyExists(path: String)
    case boardTooSmall(board: String, problems: [String])
    /// The model has no weight to share (no constant weight of Conv/ConvTranspose/Gemm/MatMul).
    case noSharedWeights(model: String)
    /// No candidate on the final front gave finite outputs on the search data.
    case noFiniteSolution(candidates: Int)
    /// The data is too small to keep a selection split apart.
    case selectionSplitTooSmall(samples: Int, fraction: Double)
    /// No solution's loss bound is within the threshold.
    case noSolutionWithinBound(maxLoss: Double, confidence: Double, samples: Int, evidence: String, bestID: Int,
                               bestUpper: Double)

    public var description: String {
        switch self {
        case .notARun(let path): return "\(path) is not a search run directory (no run.json); run 'wsc search' first"
        case .corrupt(let file, let reason): return "\(file) is damaged: \(reason)"
        case .noSuchSolution(let id, let count):
            return "no solution \(id): the front has \(count) solution(s), numbered 0...\(max(count - 1, 0)) (see 'wsc pareto')"
        case .noSolutionWithinLoss(let maxLoss, let best):
            return String(format: "no solution loses at most %.2f points; the smallest loss is %.2f points (raise --max-loss or pick --solution)",
                          maxLoss * 100, best * 100)
        case .resumeMismatch(let field, let stored, let given):
            return "cannot resume: \(field) was \(stored) in the stored run but is \(given) now (use a new --out or the same settings)"
        case .inputChanged(let field, let stored, let given):
            return "\(field) was \(stored) when the run searched but is \(given) now: its scores, merges and bias corrections were measured on the old file (restore it or search again)"
        case .alreadyExists(let path):
            return "\(path) already holds a finished search; pass --resume to continue it or choose another --out"
        case .boardTooSmall(let board, let problems):
            return "the model cannot fit \(board):\n  " + problems.joined(separator: "\n  ")
        case .noSharedWeights(let model):
            return "\(model) has no weights to share: weight sharing compresses the constant weights of Conv, "
                + "ConvTranspose, Gemm and MatMul, and this model has none (nothing to search)"
        case .noFiniteSolution(let candidates):
            return "every solution on the final front (\(candidates)) gives NaN or infinite outputs on the search "
                + "data; no usable solution was found (check the model and the data)"
        case .noSolutionWithinBound(let maxLoss, let confidence, let samples, let evidence, let bestID, let bestUpper):
            return String(format: "no solution's loss is within %.2f points with %g %% confidence on %d samples (%@); "
                          + "the tightest bound is solution %d's, %.2f points (raise --max-loss, lower --confidence, "
                          + "or pick --solution)", maxLoss * 100, confidence * 100, samples, evidence, bestID, bestUpper * 100)
        case .selectionSplitTooSmall(let samples, let fraction):
            return String(format: "cannot keep %.0f %% of %d sample(s) apart as a selection split: both the search "
                          + "and the selection need samples (use more data, --select-data FILE, or --select-fraction 0)",
                          fraction * 100, samples)
        }
    }
}
