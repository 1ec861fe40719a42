import Foundation

/// Checks that `url` names an existing file: ``ImportError/fileNotFound(path:)`` when nothing is there,
/// ``ImportError/unreadableFile(path:reason:)`` when it is a folder.
func checkImportFile(_ url: URL) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw ImportError.fileNotFound(path: url.path)
    }
    if isDirectory.boolValue {
        throw ImportError.unreadableFile(path: url.path, reason: "it is a folder, not a file")
    }
}

/// The bytes of a file the user named (see ``checkImportFile(_:)`` for the errors).
func readImportFile(_ url: URL) throws -> Data {
    try checkImportFile(url)
    do {
        return try Data(contentsOf: url, options: .mappedIfSafe)
    } catch {
        throw ImportError.unreadableFile(path: url.path, reason: error.localizedDescription)
    }
}
