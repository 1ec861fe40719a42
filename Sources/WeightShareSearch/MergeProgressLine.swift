import WeightShareCompress

/// The line a running merge prints: where it is, how much it has cost, and how long the rest may take.
public enum MergeProgressLine {
    /// e.g. `merge #3 K=57 (weight-error): pass 2, boundary 14/29, M now 21, evaluations 57 (cap 2000),
    /// elapsed 12.3s, ETA 6.1s for this pass, at most 7m02s to the cap`. The estimates are the remaining boundaries
    /// of the pass (no more than the cap leaves) and the evaluations the cap leaves, at the mean time per evaluation
    /// so far; a pass that keeps a merge is followed by another, so the pass estimate is a lower bound and the cap's
    /// an upper one.
    public static func text(id: Int, k: Int, step: BinMerger.Progress, elapsed: Double) -> String {
        let capLeft = step.maxEvaluations.map { max($0 - step.evaluations, 0) }
        let passLeft = min(step.boundaries - step.boundary, capLeft ?? Int.max)
        let pass = ProgressTiming.estimate(elapsed: elapsed, done: step.evaluations, remaining: passLeft)
        var line = "merge #\(id) K=\(k) (\(step.order.rawValue)): pass \(step.pass), boundary \(step.boundary)/"
            + "\(step.boundaries), M now \(step.groupCount), evaluations \(step.evaluations) "
            + (step.maxEvaluations.map { "(cap \($0))" } ?? "(no cap)")
            + ", elapsed \(ProgressTiming.duration(elapsed)), ETA \(ProgressTiming.duration(pass)) for this pass"
        if let capLeft {
            let toCap = ProgressTiming.estimate(elapsed: elapsed, done: step.evaluations, remaining: capLeft)
            line += ", at most \(ProgressTiming.duration(toCap)) to the cap"
        }
        return line
    }
}
