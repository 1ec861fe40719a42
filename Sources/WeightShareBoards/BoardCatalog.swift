import Foundation

/// The board files of one `boards/` folder.
public struct BoardCatalog: Sendable {
    public var directory: URL

    public init(directory: URL) { self.directory = directory }

    /// Environment variable naming the boards folder.
    public static let environmentVariable = "WSC_BOARDS_DIR"

    /// Finds the boards folder: `explicit` (--boards-dir), then `$WSC_BOARDS_DIR`, then a `boards/` folder next
    /// to the executable or in one of its parents (a source checkout: `.build/debug/wsc` → `boards/`), then
    /// `<prefix>/share/weightshare/boards` for an installed `<prefix>/bin/wsc`.
    public static func locate(explicit: String? = nil, executable: URL? = nil,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BoardCatalog {
        var searched: [String] = []
        func isBoards(_ url: URL) -> Bool {
            searched.append(url.path)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            return files.contains { $0.hasSuffix(".json") }
        }
        if let explicit {
            let url = URL(fileURLWithPath: explicit)
            if isBoards(url) { return BoardCatalog(directory: url.standardizedFileURL) }
            throw BoardError.noBoardsDirectory(searched: searched)
        }
        if let env = environment[environmentVariable], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            if isBoards(url) { return BoardCatalog(directory: url.standardizedFileURL) }
            throw BoardError.noBoardsDirectory(searched: searched)
        }
        let exe = (executable ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
        var folder = exe.deletingLastPathComponent()
        while folder.path != "/" && !folder.path.isEmpty {
            let candidate = folder.appendingPathComponent("boards")
            if isBoards(candidate) { return BoardCatalog(directory: candidate.standardizedFileURL) }
            let installed = folder.appendingPathComponent("share/weightshare/boards")
            if isBoards(installed) { return BoardCatalog(directory: installed.standardizedFileURL) }
            folder.deleteLastPathComponent()
        }
        throw BoardError.noBoardsDirectory(searched: Array(searched.prefix(6)) + (searched.count > 6 ? ["…"] : []))
    }

    /// Board names (file names without `.json`), sorted.
    public func names() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Loads and validates board `name`; its `name` field must match the file name.
    public func board(named name: String) throws -> Board {
        let url = directory.appendingPathComponent(name + ".json")
        guard !name.contains("/"), FileManager.default.fileExists(atPath: url.path) else {
            throw BoardError.unknownBoard(name: name, known: names(), directory: directory.path)
        }
        let board = try Board.load(url: url)
        guard board.name == name else {
            throw BoardError.badValue(path: url.path, field: "name", reason: "is '\(board.name)' but the file is \(name).json")
        }
        return board
    }

    /// Every board, validated (the first bad file throws).
    public func all() throws -> [Board] { try names().map(board(named:)) }

    /// The firmware template (`boards/firmware`).
    public var firmwareDirectory: URL { directory.appendingPathComponent("firmware") }

    /// The C runtime sources: `Runtime/` next to `boards/` (a source checkout or an installed share folder).
    public var runtimeDirectory: URL { directory.deletingLastPathComponent().appendingPathComponent("Runtime") }
}
