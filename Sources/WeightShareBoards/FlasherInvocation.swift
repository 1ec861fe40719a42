import Foundation

/// The board's flasher command with its placeholders filled in.
public enum FlasherInvocation {
    /// `{image}` image path, `{address}` model region address (0x…, 8 digits), `{size}` image bytes,
    /// `{dir}` the output folder.
    public static let placeholders = ["image", "address", "size", "dir"]

    /// The argv that flashes the images in `directory` (made by `wsc compile --board`) to `board`. Checks first
    /// that the image exists, starts at the board's model region and fits it (rounded up to its alignment).
    ///
    /// Placeholders are filled in one pass (a path that contains `{size}` stays as it is). Each argv element
    /// goes to the flasher as it is (no shell), except OpenOCD's Tcl commands (the argument of `-c`/`--command`):
    /// there a value becomes one Tcl word (``tclWord(_:)``).
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
        let size = try checkFits(image: image, format: flasher.image, board: board)
        let values = ["image": image.path, "address": String(format: "0x%08llX", region.address), "size": String(size),
                      "dir": directory.path]
        let tcl = isOpenOCD(flasher.tool)
        var argv: [String] = []
        for (i, arg) in flasher.command.enumerated() {
            let isScript = tcl && i > 0 && ["-c", "--command"].contains(flasher.command[i - 1])
            argv.append(try substitute(arg, values: values) { value in
                guard isScript else { return value }
                if usesProgram(arg) && !braceQuotable(value) {
                    throw BoardError.badImage(reason: "OpenOCD's 'program' command reads the file name again inside braces, so it cannot take \(value) ('{' and '}' must pair up and '\\' is not allowed); move the compiled folder to a path without them")
                }
                return tclWord(value)
            })
        }
        return (argv, image)
    }

    /// Whether `tool` is OpenOCD (its argv has Tcl commands).
    static func isOpenOCD(_ tool: String) -> Bool {
        URL(fileURLWithPath: tool).lastPathComponent.lowercased().hasPrefix("openocd")
    }

    /// Whether a Tcl script calls OpenOCD's `program` (which evaluates its file name a second time).
    static func usesProgram(_ script: String) -> Bool {
        script.split(whereSeparator: { $0 == ";" || $0 == "\n" }).contains {
            let words = $0.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return words.first == "program"
        }
    }

    /// `template` with each `{name}` of ``placeholders`` replaced by `quote(values[name])`, in one pass.
    static func substitute(_ template: String, values: [String: String],
                           quote: (String) throws -> String) rethrows -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "}"), let value = values[String(after[..<close])] {
                out += try quote(value)
                rest = after[after.index(after: close)...]
            } else {
                out.append("{")
                rest = after
            }
        }
        return out + rest
    }

    /// `text` as one Tcl word: as it is when it has no special character, in braces when that is exact (braces
    /// that pair up, no backslash), otherwise with a backslash before every special character.
    public static func tclWord(_ text: String) -> String {
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:+=,@%".contains($0)) }) {
            return text
        }
        if braceQuotable(text) { return "{" + text + "}" }
        var out = ""
        for c in text {
            switch c {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case " ", "{", "}", "[", "]", "$", "\"", "\\", ";", "#": out += "\\" + String(c)
            default: out.append(c)
            }
        }
        return out
    }

    /// Whether `{text}` is a Tcl word whose value is exactly `text`: no backslash, and braces that pair up.
    static func braceQuotable(_ text: String) -> Bool {
        var depth = 0
        for c in text {
            if c == "\\" { return false }
            if c == "{" { depth += 1 }
            if c == "}" { depth -= 1; if depth < 0 { return false } }
        }
        return depth == 0
    }

    /// Checks that `image` (a `model.<format>` made by `wsc compile`) holds a model at the board's model region
    /// that fits it after rounding up to the region's alignment; returns the image file's size in bytes.
    public static func checkFits(image: URL, format: String, board: Board) throws -> Int {
        guard let region = board.modelRegion else { throw BoardError.noFlasher(board: board.name, reason: "its board file has no model region") }
        let fileBytes = ((try? FileManager.default.attributesOfItem(atPath: image.path))?[.size] as? NSNumber)?.intValue ?? 0
        let name = image.lastPathComponent
        func read() throws -> Data {
            do { return try Data(contentsOf: image) } catch {
                throw BoardError.unreadable(path: image.path, reason: (error as NSError).localizedDescription)
            }
        }
        let address: UInt64, modelBytes: Int
        switch format {
        case "hex":
            let decoded = try FlashImage.decodeIntelHex(String(decoding: try read(), as: UTF8.self))
            (address, modelBytes) = (decoded.address, decoded.bytes.count)
        case "uf2":
            let decoded = try FlashImage.decodeUF2([UInt8](try read()))
            if let family = board.uf2FamilyID, decoded.familyID != family {
                throw BoardError.badImage(reason: "\(name) has UF2 family ID " + String(format: "0x%08x", decoded.familyID ?? 0)
                                          + ", board '\(board.name)' expects " + String(format: "0x%08x", family))
            }
            (address, modelBytes) = (decoded.address, decoded.bytes.count)
        default:
            (address, modelBytes) = (region.address, fileBytes)
        }
        guard modelBytes > 0 else { throw BoardError.badImage(reason: "\(name) holds no data") }
        guard address == region.address else {
            throw BoardError.badImage(reason: String(format: "\(name) starts at 0x%08llX but the model region of '\(board.name)' is at 0x%08llX; compile it for this board", address, region.address))
        }
        let fit = FitCheck.check(board: board, wsmBytes: modelBytes, arenaBytes: 0)
        guard fit.fitsFlash else {
            throw BoardError.imageTooLarge(image: image.path, board: board.name, bytes: modelBytes, needed: fit.flashNeeded,
                                           region: fit.modelRegionBytes)
        }
        return fileBytes
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
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
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
