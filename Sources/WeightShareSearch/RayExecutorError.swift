/// Why the Ray executor cannot start or go on; each names what to fix.
public enum RayExecutorError: Error, CustomStringConvertible, Equatable {
    /// `--ray-python` names no executable.
    case pythonMissing(python: String)
    /// The bridge script is not where it was looked for.
    case bridgeMissing(path: String)
    /// The bridge reported a problem it recognised: Ray missing, the cluster unreachable, a worker that cannot start,
    /// a candidate that failed on every worker.
    case cluster(message: String)
    /// The bridge ended or answered something else than the protocol (`stderr`: its last lines).
    case bridgeFailed(reason: String, stderr: String)
    /// A worker's evaluator is not this one (another wsc, other inputs): its scores would change the front.
    case workerDiffers(worker: Int, reason: String)
    /// A candidate's evaluation threw on the worker (the error a local search would stop with).
    case evaluationFailed(message: String)

    public var description: String {
        switch self {
        case .pythonMissing(let python):
            return "--ray-python \(python): no such executable (give a Python that has Ray: pip install ray==2.60.0)"
        case .bridgeMissing(let path):
            return "the Ray bridge script is missing at \(path) (pass --ray-bridge python/src/weightshare/ray_bridge.py of the WeightShare checkout)"
        case .cluster(let message):
            return "Ray executor: \(message)"
        case .bridgeFailed(let reason, let stderr):
            return "Ray executor: \(reason)" + (stderr.isEmpty ? "" : "; the bridge's last messages:\n" + stderr)
        case .workerDiffers(let worker, let reason):
            return "Ray executor: worker \(worker) does not evaluate as this wsc does: \(reason) (every node must run the same wsc build on the same model and data)"
        case .evaluationFailed(let message):
            return "a candidate's evaluation failed on a Ray worker: \(message)"
        }
    }
}
