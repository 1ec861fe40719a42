import Foundation
import Testing
import WeightShare
@testable import WeightShareSearch

/// The executor seam of the search: what reaches an executor, the protocol of the Ray executor, `wsc worker`'s loop,
/// and the Swift side of the Ray executor against fake bridges (the real cluster is scripts/ray-test.sh).
@Suite("candidate executors")
struct CandidateExecutorTests {
    /// Records every batch and scores it locally.
    final class RecordingExecutor: CandidateExecutor {
        let local: LocalExecutor
        var batches: [[Candidate]] = []
        init(_ evaluator: any Evaluator) { local = LocalExecutor(evaluator: evaluator) }
        func scores(_ candidates: [Candidate]) throws -> [Double] {
            batches.append(candidates)
            return try local.scores(candidates)
        }
    }

    static func digitsSettings(limit: Int = 40) -> SearchSettings {
        SearchSettings(model: FixturePaths.url("digits_mlp.onnx").path, data: FixturePaths.url("digits_val.npz").path,
                       inputShapes: ["input": [1, 64]], population: 8, generations: 1, kMin: 2, kMax: 64,
                       limit: limit, genome: .full)
    }

    func genome(_ problem: CompressionProblem, k: Int, mode: Int = 0, statistic: Int = 0) throws -> Genome {
        let n = EncodingGenes.names
        return try problem.geneSpace.genome(named: [
            n.k: Double(k), n.scaleMode: Double(mode), n.scaleStatistic: Double(statistic), n.clipLow: 3,
            n.clipHigh: 7, n.outliers: 11, n.scaleRefit: 1, n.errorCompensation: 1, n.biasCorrection: 1])
    }

    @Test("a generation's uncached encodings reach the executor once each, in one batch; those over the board never")
    func batches() throws {
        let session = try SearchSession(settings: Self.digitsSettings(), directory: RunDirectory(URL(fileURLWithPath: "/nonexistent")))
        let evaluator = session.evaluator
        func problem() -> CompressionProblem {
            let problem = CompressionProblem(evaluator: evaluator, encoder: evaluator.encoder, kRange: 2...64, genome: .full)
            // More than 16 shared values "do not fit": penalised, never scored.
            problem.flashExcess = { $0.quantization.codebookSize > 16 ? 100 : 0 }
            return problem
        }
        let recorded = problem(), local = problem()
        let executor = RecordingExecutor(evaluator)
        recorded.executor = executor
        // Without scales the statistic gene has no effect: the first two genomes are one encoding.
        let first = [try genome(recorded, k: 5, statistic: 0), try genome(recorded, k: 5, statistic: 1),
                     try genome(recorded, k: 9, mode: 2), try genome(recorded, k: 40)]
        #expect(try recorded.evaluate(first) == local.evaluate(first))
        #expect(executor.batches.count == 1)
        #expect(executor.batches[0].map(\.genes.k) == [5, 9])
        #expect(executor.batches[0].map(\.encoding) == [recorded.encoding(for: first[0]), recorded.encoding(for: first[2])])
        #expect(recorded.evaluations == 2)
        let second = [try genome(recorded, k: 9, mode: 2), try genome(recorded, k: 3)]
        #expect(try recorded.evaluate(second) == local.evaluate(second))
        #expect(executor.batches.count == 2 && executor.batches[1].map(\.genes.k) == [3])
        #expect(recorded.evaluations == 3)
        // A generation with nothing new sends no batch.
        _ = try recorded.evaluate([first[1], first[3]])
        #expect(executor.batches.count == 2)
    }

    @Test("genes and scores cross the protocol exactly, NaN and infinities included")
    func protocolRoundTrip() throws {
        let genes = EncodingGenes(k: 37, normalization: WeightNormalization(mode: .channel, statistic: .percentile99),
                                  clipLow: 0.013, clipHigh: 0.0070000000000000001, outlierFraction: 0.0037,
                                  scaleRefit: true, errorCompensation: true, biasCorrection: true)
        let line = try RayProtocol.line(WorkerRequest(genes: genes))
        #expect(!line.contains("\n"))
        #expect(try RayProtocol.decode(WorkerRequest.self, line: line).genes == genes)
        for score in [0.9714285714285714, 1.0 / 3.0, Metric.failedScore, .infinity, -.infinity, .nan] {
            let back = try RayProtocol.decode(WorkerReply.self, line: try RayProtocol.line(WorkerReply(score: score))).score
            #expect(back.map { $0.bitPattern == score.bitPattern || ($0.isNaN && score.isNaN) } == true)
        }
    }

    @Test("wsc worker's loop: a hello with the float score, each request scored as the search scores it, bad lines answered with an error")
    func workerLoop() throws {
        let settings = Self.digitsSettings()
        let session = try SearchSession(settings: settings, directory: RunDirectory(URL(fileURLWithPath: "/nonexistent")))
        let a = EncodingGenes(k: 6, normalization: WeightNormalization(mode: .tensor), clipLow: 0.002, outlierFraction: 0.001,
                              scaleRefit: true, errorCompensation: true, biasCorrection: true)
        let b = EncodingGenes(k: 3)
        var input = [try RayProtocol.line(WorkerRequest(genes: a)), "not json", "",
                     try RayProtocol.line(WorkerRequest(genes: b))]
        var output: [String] = []
        // One thread on the worker, every core here: the scores do not depend on it.
        try CandidateWorker.serve(settings: settings, threads: 1, input: { input.isEmpty ? nil : input.removeFirst() },
                                  output: { output.append($0) })
        #expect(output.count == 4)
        let hello = try #require(try RayProtocol.decode(ReadyOrError<WorkerHello>.self, line: output[0]).ready)
        #expect(hello == WorkerHello(toolVersion: WeightShareVersion.string, floatScore: session.evaluator.floatScore,
                                     samples: session.samples.count))
        let evaluator = session.evaluator
        #expect(try RayProtocol.decode(WorkerReply.self, line: output[1]).score == evaluator.score(evaluator.encoder.encode(a)))
        #expect(try RayProtocol.decode(WorkerReply.self, line: output[2]).error?.isEmpty == false)
        #expect(try RayProtocol.decode(WorkerReply.self, line: output[3]).score == evaluator.score(evaluator.encoder.encode(b)))
    }

    @Test("a worker that cannot load the run says why in its first line")
    func workerCannotLoad() throws {
        var settings = Self.digitsSettings()
        settings.model = "/nonexistent/model.onnx"
        var output: [String] = []
        #expect(throws: (any Error).self) {
            try CandidateWorker.serve(settings: settings, threads: 1, input: { nil }, output: { output.append($0) })
        }
        let error = try RayProtocol.decode(ReadyOrError<WorkerHello>.self, line: try #require(output.first)).error
        #expect(error?.contains("/nonexistent/model.onnx") == true)
    }

    /// A RayExecutor whose "bridge" is the shell script `body` run by /bin/sh, written into `folder`.
    func executor(bridge body: String, in folder: URL, session: SearchSession,
                  log: @escaping (String) -> Void = { _ in }) throws -> RayExecutor {
        let script = folder.appendingPathComponent("bridge.sh")
        try body.write(to: script, atomically: true, encoding: .utf8)
        return try RayExecutor(session: session, options: .init(address: "127.0.0.1:1", python: "/bin/sh", bridge: script,
                                                                wsc: "/nonexistent/wsc"), log: log)
    }

    func hello(_ floatScore: Double, version: String = WeightShareVersion.string) -> String {
        // A JSON string inside a JSON line, as the bridge sends the workers' hellos.
        #"{\"ready\":{\"toolVersion\":\"\#(version)\",\"floatScore\":\#(floatScore),\"samples\":1}}"#
    }

    @Test("the executor relays the workers' replies verbatim, logs re-runs, and cleans up its job file")
    func relays() throws {
        let session = try SearchSession(settings: Self.digitsSettings(), directory: RunDirectory(URL(fileURLWithPath: "/nonexistent")))
        let folder = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        var lines: [String] = []
        let body = """
            job="$4"; cp "$job" "$(dirname "$0")/job-seen.json"
            echo '{"ready":{"workers":2,"nodes":2,"shippedBytes":7,"hellos":["\(hello(session.evaluator.floatScore))","\(hello(session.evaluator.floatScore))"]}}'
            read -r request; printf '%s' "$request" > "$(dirname "$0")/request-seen.json"
            echo '{"results":["{\\"score\\":0.25}","{\\"score\\":\\"nan\\"}"],"retries":1}'
            read request
            echo '{"results":["{\\"error\\":\\"the model broke\\"}"],"retries":0}'
            read end || exit 0
            """
        let executor = try self.executor(bridge: body, in: folder, session: session, log: { lines.append($0) })
        let candidate = Candidate(genes: EncodingGenes(k: 4), encoding: session.evaluator.encoder.encode(EncodingGenes(k: 4)))
        let scores = try executor.scores([candidate, candidate])
        #expect(scores[0] == 0.25 && scores[1].isNaN)
        #expect(executor.retries == 1)
        #expect(throws: RayExecutorError.evaluationFailed(message: "the model broke")) { try executor.scores([candidate]) }
        executor.close()
        #expect(lines.contains { $0.hasPrefix("ray: 2 worker(s) on 2 node(s) at 127.0.0.1:1") })
        #expect(lines.contains("ray: 1 candidate(s) re-run after a worker failed"))
        let job = try RayProtocol.decoder().decode(RayJob.self, from: Data(contentsOf: executor.options.bridge
            .deletingLastPathComponent().appendingPathComponent("job-seen.json")))
        #expect(job.settings == session.settings && job.files["model"] == session.settings.model && job.wsc == "/nonexistent/wsc")
        #expect(job.files["selectData"] == nil && job.threads == 1)
        // Each candidate travels as its own WorkerRequest line, which the bridge passes on without parsing.
        let request = try String(contentsOf: folder.appendingPathComponent("request-seen.json"), encoding: .utf8)
        let requests = try RayProtocol.decode(CandidatesLine.self, line: request).candidates
        #expect(try requests.map { try RayProtocol.decode(WorkerRequest.self, line: $0).genes } == [candidate.genes, candidate.genes])
    }

    @Test("start-up failures name the problem: the bridge's error, its exit with its messages, a worker that differs, missing files")
    func startupFailures() throws {
        let session = try SearchSession(settings: Self.digitsSettings(), directory: RunDirectory(URL(fileURLWithPath: "/nonexistent")))
        let folder = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: RayExecutorError.cluster(message: "no Ray cluster at 127.0.0.1:1")) {
            try executor(bridge: #"echo '{"error":"no Ray cluster at 127.0.0.1:1"}'; exit 2"#, in: folder, session: session)
        }
        do {
            _ = try executor(bridge: "echo kaput >&2; exit 3", in: folder, session: session)
            Issue.record("a bridge that exits must fail")
        } catch let RayExecutorError.bridgeFailed(reason, stderr) {
            #expect(reason.contains("status 3") && reason.contains("start-up"))
            #expect(stderr == "kaput")
        }
        let other = session.evaluator.floatScore - 0.01
        do {
            _ = try executor(bridge: """
                echo '{"ready":{"workers":1,"nodes":1,"shippedBytes":7,"hellos":["\(hello(other))"]}}'; read x
                """, in: folder, session: session)
            Issue.record("a worker measuring another float score must be refused")
        } catch let RayExecutorError.workerDiffers(worker, reason) {
            #expect(worker == 0 && reason.contains("\(other)"))
        }
        #expect(throws: RayExecutorError.pythonMissing(python: "/nonexistent/python3")) {
            try RayExecutor(session: session, options: .init(address: "127.0.0.1:1", python: "/nonexistent/python3",
                                                             bridge: URL(fileURLWithPath: "/bin/sh"), wsc: "wsc"), log: { _ in })
        }
        #expect(throws: RayExecutorError.bridgeMissing(path: "/nonexistent/ray_bridge.py")) {
            try RayExecutor(session: session, options: .init(address: "127.0.0.1:1", python: "/bin/sh",
                                                             bridge: URL(fileURLWithPath: "/nonexistent/ray_bridge.py"),
                                                             wsc: "wsc"), log: { _ in })
        }
        #expect(RayExecutorError.cluster(message: "x").description.contains("Ray executor"))
    }

    @Test("Ray's colour codes are taken out of the bridge's messages")
    func colours() {
        #expect(StderrTail.withoutColours("\u{1B}[33m(raylet)\u{1B}[0m A worker died") == "(raylet) A worker died")
    }
}
