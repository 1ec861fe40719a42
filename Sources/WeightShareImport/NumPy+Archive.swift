import Foundation
import ZIPFoundation

/// `.npz` archives: a ZIP file of `.npy` members (stored or deflated), one per array, named `<key>.npy`.
extension NumPy {
    /// Reads every array of an `.npz` archive, in archive order; each is named after its key (`x` for `x.npy`).
    public static func readNPZ(url: URL) throws -> [NumPyArray] {
        try checkImportFile(url)
        // Read through the file, not from memory: ZIPFoundation 0.9.20's in-memory archives trap on corrupt
        // offsets (seeking past the end), while its file-backed reads fail cleanly.
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw ImportError.notANumPyArchive(path: url.path, reason: "it is not a ZIP archive (\(error))")
        }
        var arrays: [NumPyArray] = []
        for entry in archive where entry.type == .file {
            let key = entry.path.hasSuffix(".npy") ? String(entry.path.dropLast(4)) : entry.path
            var member = Data()
            do {
                _ = try archive.extract(entry) { chunk in member.append(chunk) }
            } catch {
                throw ImportError.notANumPyArchive(
                    path: url.path, reason: "member '\(entry.path)' cannot be read (\(error))")
            }
            arrays.append(try decodeNPY(member, name: key))
        }
        return arrays
    }

    /// Decodes the bytes of an `.npz` archive; `path` names it in messages. (Goes through a temporary file.)
    public static func decodeNPZ(_ data: Data, path: String) throws -> [NumPyArray] {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("weightshare-\(UUID().uuidString).npz")
        do {
            try data.write(to: url)
        } catch {
            throw ImportError.unreadableFile(path: path, reason: "cannot stage it in a temporary file (\(error))")
        }
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            return try readNPZ(url: url)
        } catch ImportError.notANumPyArchive(_, let reason) {
            throw ImportError.notANumPyArchive(path: path, reason: reason)
        }
    }

    /// Writes `arrays` as an `.npz` archive (members `<name>.npy`), atomically; like `numpy.savez`, or
    /// `numpy.savez_compressed` when `compressed`. Member dates are fixed, so the same arrays give the same bytes.
    public static func writeNPZ(_ arrays: [NumPyArray], to url: URL, compressed: Bool = false) throws {
        var seen = Set<String>()
        for array in arrays {
            guard !array.name.isEmpty, seen.insert(array.name).inserted else {
                throw ImportError.writeFailed(
                    path: url.path, reason: "every array needs a distinct, non-empty name (got '\(array.name)')")
            }
        }
        let bytes: Data
        do {
            let archive = try Archive(data: Data(), accessMode: .create)
            let date = Date(timeIntervalSince1970: 315_532_800)  // 1980-01-01, the ZIP epoch (as numpy writes)
            for array in arrays {
                let member = encodeNPY(array)
                try archive.addEntry(
                    with: array.name + ".npy", type: .file, uncompressedSize: Int64(member.count),
                    modificationDate: date, compressionMethod: compressed ? .deflate : .none,
                    provider: { position, size in
                        let start = member.startIndex + Int(position)
                        return member.subdata(in: start..<(start + size))
                    })
            }
            guard let data = archive.data else {
                throw ImportError.writeFailed(path: url.path, reason: "the archive could not be built in memory")
            }
            bytes = data
        } catch let error as ImportError {
            throw error
        } catch {
            throw ImportError.writeFailed(path: url.path, reason: "\(error)")
        }
        try writeAtomically(bytes, to: url)
    }
}

extension Array where Element == NumPyArray {
    /// The array named `name`, if any.
    public subscript(named name: String) -> NumPyArray? {
        first { $0.name == name }
    }
}
