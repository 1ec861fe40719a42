extension SearchSession {
    /// `wsc merge`: merges solution `id` of the run in `directory` (from its current grouping) and writes the
    /// updated front (pareto.json/.csv/.svg). `tolerance` is in score units (nil: the run's). Returns the updated
    /// front and the merged solution.
    /// `order` and `maxEvaluations` (nil: the run's) choose the visiting order and the cap; progress lines come every
    /// `progressInterval` seconds.
    public static func mergeSolution(_ id: Int, in directory: RunDirectory, tolerance: Double? = nil,
                                     order: SearchSettings.MergeOrder? = nil, maxEvaluations: Int? = nil,
                                     progressInterval: Double = ProgressTiming.defaultInterval,
                                     log: (String) -> Void) throws -> (report: ParetoReport, merged: Solution) {
        var report = try directory.readReport()
        guard report.solutions.indices.contains(id) else {
            throw RunError.noSuchSolution(id: id, count: report.solutions.count)
        }
        var session = try SearchSession.reopen(directory)
        session.progressInterval = progressInterval
        let merged = try session.merge(report.solutions[id], tolerance: tolerance, order: order,
                                       maxEvaluations: maxEvaluations, log: log)
        report.solutions[id] = merged
        try directory.write(report)
        return (report, merged)
    }
}
