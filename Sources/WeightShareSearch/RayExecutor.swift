import Foundation
import WeightShareBoards
import WeightShareCore

/// Scores each generation's candidates on a Ray cluster. It starts the Python bridge
/// (python/src/weightshare/ray_bridge.py) with a Python that has Ray; the bridge connects to the cluster, puts the
/// model and the data into Ray's object store once, passes the run's settings, and keeps one actor per worker, each running
/// `wsc worker` — this evaluator's own code — on its node. Scores come back as the workers wrote them, so the front is
/// the local executor's for the same seed. A worker that dies is restarted by Ray and its candidate re-run elsewhere
/// by the bridge.
public final class RayExecutor: CandidateExecutor {
    public struct Options: Sendable {
        /// The cluster's address, HOST:PORT (the head's `ray start --head --port`).
        public var address: String
        /// A Python with Ray installed (name on PATH or path).
        public var python: String
        /// The bridge script.
        public var bridge: URL
        /// The `wsc` the workers run, as a path on every node.
        public var wsc: String
        /// Actors to start; nil: one per CPU of the cluster.
        public var workers: Int?

        public init(address: String, python: String, bridge: URL, wsc: String, workers: Int? = nil) {
            self.address = address
            self.python = python
            self.bridge = bridge
            self.wsc = wsc
            self.workers = workers
        }
    }

    public let options: Options
    /// What the bridge reported when the workers were ready.
    public private(set) var ready = RayReady(workers: 0, nodes: 0, shippedBytes: 0, hellos: [])
    /// Candidates re-run after a worker failed, over the whole run.
    public private(set) var retries = 0

    private let process: Process
    private let input: FileHandle
    private let output: LineReader
    private let errors: StderrTail
    private let jobFolder: URL
    private let log: (String) -> Void
    private var launched = false
    private var closed = false

    /// Starts the bridge and waits until every worker has loaded the model and the data. Throws
    /// ``RayExecutorError`` when the Python, Ray or the cluster cannot be used, or a worker evaluates differently.
    public init(session: SearchSession, options: Options, log: @escaping (String) -> Void) throws {
        self.options = options
        self.log = log
        guard let python = ExternalTool.find(options.python) else { throw RayExecutorError.pythonMissing(python: options.python) }
        guard FileManager.default.fileExists(atPath: options.bridge.path) else {
            throw RayExecutorError.bridgeMissing(path: options.bridge.path)
        }
        let settings = session.settings
        var files = ["model": settings.model, "data": settings.data]
        if let selectData = settings.selectData { files["selectData"] = selectData }
        let job = RayJob(protocol: RayProtocol.version, toolVersion: WeightShareVersion.string, settings: settings,
                         files: files, wsc: options.wsc, workers: options.workers, threads: 1)
        // The job file lives outside the run directory, which gets nothing from the executor.
        jobFolder = FileManager.default.temporaryDirectory
            .appendingPathComponent("weightshare-ray-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: jobFolder, withIntermediateDirectories: true)
        let jobFile = jobFolder.appendingPathComponent("job.json")
        try RayProtocol.encoder().encode(job).write(to: jobFile)

        process = Process()
        process.executableURL = python
        process.arguments = [options.bridge.path, "--address", options.address, "--job", jobFile.path]
        var environment = ProcessInfo.processInfo.environment
        environment["RAY_USAGE_STATS_ENABLED"] = "0"
        environment["PYTHONUNBUFFERED"] = "1"
        process.environment = environment
        let stdinPipe = Pipe(), stdoutPipe = Pipe(), stderrPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        input = stdinPipe.fileHandleForWriting
        output = LineReader(stdoutPipe.fileHandleForReading)
        errors = StderrTail(stderrPipe.fileHandleForReading, log: log)
        // A bridge that dies must surface as an error, not as SIGPIPE ending wsc on the next write.
        signal(SIGPIPE, SIG_IGN)
        do {
            try process.run()
        } catch {
            try? FileManager.default.removeItem(at: jobFolder)
            throw RayExecutorError.bridgeFailed(reason: "cannot start \(python.path): \(error.localizedDescription)", stderr: "")
        }
        launched = true
        errors.start()
        do {
            let line = try nextLine(during: "start-up")
            let message = try decodeLine(ReadyOrError<RayReady>.self, line, during: "start-up")
            if let error = message.error { throw RayExecutorError.cluster(message: error) }
            guard let ready = message.ready else { throw unexpected(line, during: "start-up") }
            self.ready = ready
            try Self.check(ready, against: session.evaluator.floatScore)
        } catch {
            close()
            throw error
        }
        log("ray: \(ready.workers) worker(s) on \(ready.nodes) node(s) at \(options.address); model and data "
            + "shipped once through the object store (\(ready.shippedBytes) bytes)")
    }

    /// Every worker must measure the float model exactly as this process does, with the same tool version: the
    /// same evaluator, the same inputs.
    static func check(_ ready: RayReady, against floatScore: Double) throws {
        for (i, line) in ready.hellos.enumerated() {
            guard let hello = try? RayProtocol.decode(ReadyOrError<WorkerHello>.self, line: line).ready else {
                throw RayExecutorError.bridgeFailed(reason: "worker \(i)'s first line is not a hello: \(line.prefix(300))",
                                                    stderr: "")
            }
            if hello.toolVersion != WeightShareVersion.string || hello.floatScore != floatScore {
                throw RayExecutorError.workerDiffers(
                    worker: i, reason: "it runs wsc \(hello.toolVersion) and measures the float model at "
                        + "\(hello.floatScore), here wsc \(WeightShareVersion.string) measures \(floatScore)")
            }
        }
    }

    public func scores(_ candidates: [Candidate]) throws -> [Double] {
        guard !closed else { throw RayExecutorError.bridgeFailed(reason: "the executor was closed", stderr: "") }
        let requests = try candidates.map { try RayProtocol.line(WorkerRequest(genes: $0.genes)) }
        let request = try RayProtocol.line(CandidatesLine(candidates: requests)) + "\n"
        do {
            try input.write(contentsOf: Data(request.utf8))
        } catch {
            throw RayExecutorError.bridgeFailed(reason: "the bridge stopped reading (\(error.localizedDescription))",
                                                stderr: errors.text)
        }
        let line = try nextLine(during: "a generation")
        let message = try decodeLine(ResultsLine.self, line, during: "a generation")
        if let error = message.error { throw RayExecutorError.cluster(message: error) }
        guard let results = message.results, results.count == candidates.count else { throw unexpected(line, during: "a generation") }
        if let count = message.retries, count > 0 {
            retries += count
            log("ray: \(count) candidate(s) re-run after a worker failed")
        }
        return try results.map { result in
            let reply = try decodeLine(WorkerReply.self, result, during: "a generation")
            if let error = reply.error { throw RayExecutorError.evaluationFailed(message: error) }
            guard let score = reply.score else { throw unexpected(result, during: "a generation") }
            return score
        }
    }

    /// Ends the bridge (which ends its workers) and removes the job file. Called by `deinit` too.
    public func close() {
        guard !closed else { return }
        closed = true
        try? input.close()
        guard launched else {
            try? FileManager.default.removeItem(at: jobFolder)
            return
        }
        // The bridge ends on end of input; one that hangs is stopped.
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        errors.wait()
        try? FileManager.default.removeItem(at: jobFolder)
    }

    deinit { close() }

    private func nextLine(during step: String) throws -> String {
        if let line = output.next() { return line }
        process.waitUntilExit()
        errors.wait()
        throw RayExecutorError.bridgeFailed(reason: "the bridge exited (status \(process.terminationStatus)) during \(step)",
                                            stderr: errors.text)
    }

    private func decodeLine<T: Decodable>(_ type: T.Type, _ line: String, during step: String) throws -> T {
        do {
            return try RayProtocol.decode(type, line: line)
        } catch {
            throw unexpected(line, during: step)
        }
    }

    private func unexpected(_ line: String, during step: String) -> RayExecutorError {
        .bridgeFailed(reason: "unexpected line from the bridge during \(step): \(line.prefix(300))", stderr: errors.text)
    }
}

/// Lines of a pipe, read as they come.
final class LineReader {
    private let handle: FileHandle
    private var buffer = Data()

    init(_ handle: FileHandle) { self.handle = handle }

    /// The next line without its newline; nil at end of file.
    func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty {
                guard !buffer.isEmpty else { return nil }
                defer { buffer.removeAll() }
                return String(decoding: buffer, as: UTF8.self)
            }
            buffer.append(chunk)
        }
    }
}

/// The bridge's stderr: each line passed to the log as it comes (Ray's and the bridge's notes), the last ones kept
/// for error messages.
final class StderrTail: @unchecked Sendable {
    private let reader: LineReader
    private let log: (String) -> Void
    private let lock = NSLock()
    private var lines: [String] = []
    private let done = DispatchSemaphore(value: 0)
    private var started = false

    init(_ handle: FileHandle, log: @escaping (String) -> Void) {
        reader = LineReader(handle)
        self.log = log
    }

    func start() {
        started = true
        Thread.detachNewThread { [self] in
            while let line = reader.next().map(Self.withoutColours) {
                log("ray bridge: " + line)
                lock.withLock {
                    lines.append(line)
                    if lines.count > 40 { lines.removeFirst() }
                }
            }
            done.signal()
        }
    }

    /// `line` without terminal colour codes (Ray colours the names of the processes it quotes).
    static func withoutColours(_ line: String) -> String {
        line.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
    }

    /// Waits until the stream has ended.
    func wait() {
        guard started else { return }
        done.wait()
        done.signal()
    }

    var text: String { lock.withLock { lines.joined(separator: "\n") } }
}
