import ArgumentParser
import WeightShare

/// Shell completion (`wsc --generate-completion-script bash|zsh|fish`): files by extension, folders, board names
/// from the boards folder, and the values of every enumerated option (metrics, genomes, …: their raw values,
/// from `ExpressibleByArgument` + `CaseIterable`).
enum Completion {
    static let onnx = CompletionKind.file(extensions: ["onnx"])
    static let npz = CompletionKind.file(extensions: ["npz"])
    static let wsm = CompletionKind.file(extensions: ["wsm"])
    static let json = CompletionKind.file(extensions: ["json"])
    static let html = CompletionKind.file(extensions: ["html"])
    static let folder = CompletionKind.directory
    /// A compile output: its folder or its model.wsm.
    static let compiled = CompletionKind.file(extensions: ["wsm"])

    /// The board names of the boards folder, found as a command finds it (`--boards-dir` on the line being
    /// completed, `$WSC_BOARDS_DIR`, or next to wsc), that start with the word being completed.
    static let boards = CompletionKind.custom { words, _, prefix in
        boardNames(words: words, prefix: prefix)
    }

    static func boardNames(words: [String], prefix: String) -> [String] {
        var explicit: String?
        if let i = words.lastIndex(of: "--boards-dir"), i + 1 < words.count { explicit = words[i + 1] }
        for word in words where word.hasPrefix("--boards-dir=") { explicit = String(word.dropFirst(13)) }
        guard let catalog = try? BoardCatalog.locate(explicit: explicit) else { return [] }
        return catalog.names().filter { $0.hasPrefix(prefix) }
    }
}
