import ArgumentParser
import Foundation
import WeightShare

/// Where `wsc search` scores its candidates: `--executor local` (this process) or `ray` (a Ray cluster).
enum ExecutorKind: String, ExpressibleByArgument, CaseIterable {
    case local, ray
}

struct ExecutorOptions: ParsableArguments {
    @Option(help: "Where each generation's candidates are scored: local (this process, every core) or ray (the workers of the Ray cluster at --ray-address; same front for the same seed). The merge and the final scoring stay local.")
    var executor: ExecutorKind = .local
    @Option(name: .customLong("ray-address"),
            help: ArgumentHelp("The Ray cluster's address, as `ray start --head --port PORT` printed it.", valueName: "host:port"))
    var rayAddress: String?
    @Option(name: .customLong("ray-python"),
            help: ArgumentHelp("A Python with Ray installed (pip install ray==2.60.0) that runs the bridge; the same version as the cluster's.", valueName: "path"))
    var rayPython = "python3"
    @Option(name: .customLong("ray-workers"),
            help: ArgumentHelp("Workers to start, one CPU each (default: one per CPU of the cluster).", valueName: "N"))
    var rayWorkers: Int?
    @Option(name: .customLong("ray-bridge"),
            help: ArgumentHelp("The bridge script (default: python/src/weightshare/ray_bridge.py of the checkout this wsc was built in).", valueName: "path"))
    var rayBridge: String?
    @Option(name: .customLong("ray-wsc"),
            help: ArgumentHelp("The wsc the workers run, as a path on every node (default: this wsc's own path).", valueName: "path"))
    var rayWSC: String?

    func validate() throws {
        guard executor == .ray else {
            let given = [("--ray-address", rayAddress), ("--ray-workers", rayWorkers.map(String.init)),
                         ("--ray-bridge", rayBridge), ("--ray-wsc", rayWSC)].filter { $0.1 != nil }.map(\.0)
            if let first = given.first { throw ValidationError("\(first) applies only with --executor ray") }
            return
        }
        guard let rayAddress else {
            throw ValidationError("--executor ray needs --ray-address HOST:PORT (the head's address: ray start --head --port PORT)")
        }
        _ = try Self.parseAddress(rayAddress)
        if let rayWorkers, rayWorkers < 1 { throw ValidationError("--ray-workers must be ≥ 1") }
    }

    /// HOST:PORT with a port in 1...65535 (an IPv6 host in brackets: [::1]:6379).
    static func parseAddress(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), case let host = String(text[..<colon]), !host.isEmpty,
              let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else {
            throw ValidationError("--ray-address '\(text)' is not HOST:PORT with a port in 1...65535 (e.g. 127.0.0.1:6379)")
        }
        return (host, port)
    }

    /// Starts the executor asked for (nil: local); the cluster is joined and every worker ready when it returns.
    func start(session: SearchSession) throws -> RayExecutor? {
        guard executor == .ray, let rayAddress else { return nil }
        let ownPath = Self.executablePath
        let bridge = try rayBridge.map { try requireFile($0, option: "--ray-bridge") } ?? Self.defaultBridge(from: ownPath)
        return try RayExecutor(session: session,
                               options: .init(address: rayAddress, python: rayPython, bridge: bridge,
                                              wsc: rayWSC ?? ownPath.path, workers: rayWorkers),
                               log: Console.progress)
    }

    /// This wsc's own file (symbolic links resolved): /proc/self/exe on Linux, the bundle's executable elsewhere.
    static var executablePath: URL {
        let proc = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if proc.path != "/proc/self/exe" { return proc }
        return (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
    }

    /// python/src/weightshare/ray_bridge.py in the first folder above `executable` that has it (a wsc built in a
    /// checkout: .build/debug/wsc); the checkout's path otherwise, which the error then names.
    static func defaultBridge(from executable: URL) -> URL {
        let relative = "python/src/weightshare/ray_bridge.py"
        var folder = executable.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: relative)
    }
}
