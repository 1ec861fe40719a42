extension SearchSession {
    /// `wsc merge`: merges solution `id` of the run in `directory` (from its current grouping) and writes the
    /// updated front (pareto.json/.csv/.svg). `tolerance` is in score units (nil: the run's). Returns the updated
    /// front and the merged solution.
    public static func mergeSolution(_ id: Int, in directory: RunDirectory, tolerance: Double? = nil,
                                     log: (String) -> Void) throws -> (report: ParetoReport, merged: Solution) {
        var report = try directory.readReport()
        guard report.solutions.indices.contains(id) else {
            throw RunError.noSuchSolution(id: id, count: report.solutions.count)
        }
        let session = try SearchSession.reopen(directory)
        let merged = try session.merge(report.solutions[id], tolerance: tolerance, log: log)
        report.solutions[id] = merged
        try directory.write(report)
        return (report, merged)
    }
}
