import CWeightShareSystem
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file or folder that could not be written: one sentence naming the path and the cause.
public struct FileWriteError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// The error of the last failed system call (`errno`) at `path`.
    static func system(_ path: String, _ code: Int32 = errno) -> FileWriteError {
        var text = String(cString: strerror(code))
        if let first = text.first { text = first.lowercased() + text.dropFirst() }
        switch code {
        case EACCES, EPERM: text += " (check the folder's permissions)"
        case EROFS: text = "the file system is read-only"
        case ENOSPC, EDQUOT: text += "; nothing was changed"
        default: break
        }
        return FileWriteError(path: path, reason: text)
    }

    public var description: String { "cannot write \(path): \(reason)" }
}

/// Writing outputs so that a failure or a kill at any point leaves either the old files or the new ones, never a
/// mix, and no temporary files behind once a run ends. Temporary names start with `.<name>.wsc-` next to the
/// target; a later write removes those a killed run left.
public enum FileOutput {
    /// Writes `data` to `url` through a temporary file in the same folder (flushed to disk), then renames it over
    /// the target. Creates the folder if needed and `createFolder`.
    public static func writeAtomically(_ data: Data, to url: URL, createFolder: Bool = true) throws {
        let folder = url.deletingLastPathComponent()
        if createFolder { try makeFolder(folder) }
        removeLeftovers(of: url.lastPathComponent, in: folder)
        let temporary = folder.appendingPathComponent(temporaryName(url.lastPathComponent, "tmp"))
        do {
            try writeNew(data, to: temporary.path)
            guard rename(temporary.path, url.path) == 0 else { throw FileWriteError.system(url.path) }
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    /// Replaces the files of `folder` as one set: `files` are written into a new folder next to it, the other
    /// entries of the old folder (all but those named in `owned`, which belong to the set) are hard-linked (or
    /// copied) into it, and the two folders are exchanged in one rename. A kill at any point leaves `folder` with
    /// either its old set or the new one. Where the file system cannot exchange folders, the old folder is moved
    /// aside first (a kill in that instant leaves no folder, never a mixed one).
    public static func replaceFolder(_ folder: URL, with files: [(name: String, data: Data)], owned: Set<String>) throws {
        let folder = folder.standardizedFileURL
        let parent = folder.deletingLastPathComponent()
        try makeFolder(parent)
        removeLeftovers(of: folder.lastPathComponent, in: parent)
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw FileWriteError(path: folder.path, reason: "it is a file, not a folder")
        }
        let staging = parent.appendingPathComponent(temporaryName(folder.lastPathComponent, "new"))
        guard mkdir(staging.path, 0o777) == 0 else { throw FileWriteError.system(parent.path) }
        do {
            for file in files {
                try writeNew(file.data, to: staging.appendingPathComponent(file.name).path)
            }
            if exists {
                let names = Set(files.map(\.name)).union(owned)
                let entries: [String]
                do {
                    entries = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                } catch {
                    throw FileWriteError(path: folder.path, reason: "its entries cannot be listed")
                }
                for entry in entries where !names.contains(entry) {
                    try carry(folder.appendingPathComponent(entry), to: staging.appendingPathComponent(entry))
                }
                syncFolder(staging.path)
                if ws_exchange_paths(staging.path, folder.path) == 0 {
                    // The old set now sits at the staging path.
                    try? FileManager.default.removeItem(at: staging)
                } else {
                    let aside = parent.appendingPathComponent(temporaryName(folder.lastPathComponent, "old"))
                    guard rename(folder.path, aside.path) == 0 else { throw FileWriteError.system(folder.path) }
                    guard rename(staging.path, folder.path) == 0 else {
                        let error = FileWriteError.system(folder.path)
                        rename(aside.path, folder.path)
                        throw error
                    }
                    try? FileManager.default.removeItem(at: aside)
                }
            } else {
                syncFolder(staging.path)
                guard rename(staging.path, folder.path) == 0 else { throw FileWriteError.system(folder.path) }
            }
            syncFolder(parent.path)
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    /// Creates `folder` and its parents if needed.
    public static func makeFolder(_ folder: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw FileWriteError(path: folder.path, reason: "it is a file, not a folder") }
            return
        }
        let parent = folder.deletingLastPathComponent()
        if parent.path != folder.path { try makeFolder(parent) }
        guard mkdir(folder.path, 0o777) == 0 || errno == EEXIST else { throw FileWriteError.system(folder.path) }
    }

    // MARK: Helpers

    static func temporaryName(_ name: String, _ kind: String) -> String {
        ".\(name).wsc-\(kind)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Removes what killed writes of `name` left in `folder` (entries named `.<name>.wsc-*`).
    static func removeLeftovers(of name: String, in folder: URL) {
        let prefix = ".\(name).wsc-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(entry))
        }
    }

    /// Creates `path` (which must not exist) with `data`, flushed to disk.
    static func writeNew(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw FileWriteError.system(path) }
        defer { close(fd) }
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress!.advanced(by: offset), raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileWriteError.system(path)
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw FileWriteError.system(path) }
    }

    /// Makes `source` (an entry of an old output folder that is not ours) appear at `target`: hard links for files
    /// (the old folder keeps them until the exchange), folders recreated, copies where links are not possible.
    static func carry(_ source: URL, to target: URL) throws {
        var info = stat()
        guard lstat(source.path, &info) == 0 else { throw FileWriteError.system(source.path) }
        if info.st_mode & S_IFMT == S_IFDIR {
            guard mkdir(target.path, 0o777) == 0 else { throw FileWriteError.system(target.path) }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: source.path)) ?? []
            for entry in entries {
                try carry(source.appendingPathComponent(entry), to: target.appendingPathComponent(entry))
            }
        } else if link(source.path, target.path) != 0 {
            do {
                try FileManager.default.copyItem(at: source, to: target)
            } catch {
                throw FileWriteError(path: target.path, reason: "cannot keep \(source.path) of the old output")
            }
        }
    }

    static func syncFolder(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
