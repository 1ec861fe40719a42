import Foundation
import WeightShareCore

/// The evaluator of a search run, served one candidate per line (``RayProtocol``): what `wsc worker` runs on each
/// cluster worker, so every worker scores with this binary's own evaluator, built from the run's settings exactly as
/// the search builds it.
public enum CandidateWorker {
    /// Builds the run's evaluator from `settings` and answers requests read by `input` (nil: end) through `output`
    /// until the input ends. A session that cannot be built is reported as the first line and thrown.
    public static func serve(settings: SearchSettings, threads: Int, input: () -> String?,
                             output: (String) -> Void) throws {
        let session: SearchSession
        do {
            // The worker never writes a run directory: the session only reads the model and the data.
            session = try SearchSession(settings: settings, directory: RunDirectory(FileManager.default.temporaryDirectory),
                                        evaluationThreads: threads)
        } catch {
            output(try RayProtocol.line(ReadyOrError<WorkerHello>(error: "\(error)")))
            throw error
        }
        let evaluator = session.evaluator
        let hello = WorkerHello(toolVersion: WeightShareVersion.string, floatScore: evaluator.floatScore,
                                samples: session.samples.count)
        output(try RayProtocol.line(ReadyOrError(ready: hello)))
        while let line = input() {
            guard !line.isEmpty else { continue }
            let reply: WorkerReply
            do {
                let request = try RayProtocol.decode(WorkerRequest.self, line: line)
                reply = WorkerReply(score: try evaluator.score(evaluator.encoder.encode(request.genes)))
            } catch {
                reply = WorkerReply(error: "\(error)")
            }
            output(try RayProtocol.line(reply))
        }
    }
}
