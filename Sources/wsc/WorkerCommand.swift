import ArgumentParser
import Foundation
import WeightShare

/// `wsc worker`: internal. Each Ray actor of `--executor ray` runs one; it scores candidates with the search's own
/// evaluator, one JSON line in, one out (``RayProtocol``).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Internal: score search candidates read as JSON lines on stdin (run by the Ray bridge).",
        shouldDisplay: false)

    @Option(help: "The run's settings (run.json's settings object) with the paths of the files on this node.")
    var settings: String
    @Option(help: "Threads one evaluation uses.") var threads: Int = 1

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be ≥ 1") }
    }

    func run() throws {
        // One write per line, unbuffered: the bridge waits for each reply.
        let output: (String) -> Void = { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        let decoded: SearchSettings
        do {
            decoded = try RayProtocol.decoder().decode(SearchSettings.self, from: Data(contentsOf: URL(fileURLWithPath: settings)))
        } catch {
            output((try? RayProtocol.line(["error": "cannot read the settings \(settings): \(error)"])) ?? "{}")
            throw ExitCode(2)
        }
        try CandidateWorker.serve(settings: decoded, threads: threads, input: { readLine(strippingNewline: true) },
                                  output: output)
    }
}
