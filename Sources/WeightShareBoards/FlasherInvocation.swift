import Foundation

/// The board's flasher command with its placeholders filled in.
public enum FlasherInvocation {
    /// `{image}` image path, `{address}` model region address (0x…, 8 digits), `{size}` image bytes,
    /// `{dir}` the output folder.
    public static let placeholders = ["image", "address", "size", "dir"]

    /// The argv that flashes the images in `directory` (made by `wsc compile --board`) to `board`.
    public static func arguments(board: Board, directory: URL) throws -> (argv: [String], image: URL) {
        guard let flasher = board.flasher, let region = board.modelRegion else {
            let reason = board.isHost ? "the host needs no flashing; link model_data.c or read model.wsm"
                : board.isEmulated ? "it is emulated by QEMU; 'wsc run --board \(board.name) \(directory.path) --data …' builds and runs the firmware"
                : "its board file has no 'flasher' object"
            throw BoardError.noFlasher(board: board.name, reason: reason)
        }
        let image = directory.appendingPathComponent("model." + flasher.image)
        guard FileManager.default.fileExists(atPath: image.path) else {
            throw BoardError.missingImage(path: image.path, hint: "run 'wsc compile <run> --board \(board.name) -o \(directory.path)' first")
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: image.path))?[.size] as? Int) ?? 0
        let values = ["image": image.path, "address": String(format: "0x%08llX", region.address), "size": String(size),
                      "dir": directory.path]
        let argv = flasher.command.map { arg in
            values.reduce(arg) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
        }
        return (argv, image)
    }

    /// The command as one shell-quoted line (what `--dry-run` prints).
    public static func shellLine(_ argv: [String]) -> String {
        argv.map { arg in
            let safe = arg.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
            return safe && !arg.isEmpty ? arg : "'" + arg.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

/// Runs external tools (make, QEMU, flashers, size) with captured output and an optional timeout.
public enum ExternalTool {
    /// The full path of `tool` on PATH, or nil.
    public static func find(_ tool: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) ? URL(fileURLWithPath: tool) : nil }
        for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(tool)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var timedOut: Bool
    }

    /// Runs `argv` (argv[0] looked up on PATH) with stdin from /dev/null; kills it after `timeout` seconds.
    public static func run(_ argv: [String], directory: URL? = nil, timeout: Double? = nil,
                           passthrough: Bool = false) throws -> Result {
        guard let exe = find(argv[0]) else { throw BoardError.toolMissing(tool: argv[0], hint: "install it (scripts/install-deps.sh)") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wsc-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outURL = folder.appendingPathComponent("out"), errURL = folder.appendingPathComponent("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = exe
        process.arguments = Array(argv.dropFirst())
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = passthrough ? FileHandle.standardError : out
        process.standardError = passthrough ? FileHandle.standardError : err
        try process.run()
        var timedOut = false
        if let timeout {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning {
                if Date() >= deadline {
                    timedOut = true
                    process.terminate()
                    Thread.sleep(forTimeInterval: 0.2)
                    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                    break
                }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "", timedOut: timedOut)
    }
}
