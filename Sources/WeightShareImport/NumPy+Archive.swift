import Foundation
import ZIPFoundation

/// `.npz` archives: a ZIP file of `.npy` members (stored or deflated), one per array, named `<key>.npy`.
extension NumPy {
    /// The default bound on the bytes of array data read from one data file: 256 MiB (raise it with
    /// `--max-data-mib`). Array data is held in memory while it is used; a file that would need more (a ZIP
    /// bomb, or simply more data than a search needs) is refused before its data is inflated.
    public static let defaultMaxDataBytes = 256 << 20

    /// Reads every array of an `.npz` archive, in archive order; each is named after its key (`x` for `x.npy`).
    /// Each member is checked against its NumPy header before its data is inflated, and its CRC-32 after; at most
    /// `maxBytes` bytes of array data are read in all.
    public static func readNPZ(url: URL, maxBytes: Int = defaultMaxDataBytes) throws -> [NumPyArray] {
        let archive = try NPZArchive(url: url)
        var budget = maxBytes
        return try archive.members.filter { !$0.name.hasSuffix("/") }.map { member in
            let key = member.name.hasSuffix(".npy") ? String(member.name.dropLast(4)) : member.name
            return try readArray(member, of: archive, name: key, budget: &budget)
        }
    }

    /// Reads one array member of `archive`: its header first, which must describe exactly the bytes the member
    /// declares, then only the first `rows` entries of its first axis (all when nil), then — when the member was
    /// read to its end — its CRC-32. `check` sees the header before any data is inflated and may refuse it;
    /// `budget` (bytes of array data still allowed) is charged for what is read.
    static func readArray(_ member: NPZArchive.Member, of archive: NPZArchive, name: String, rows: Int? = nil,
                          budget: inout Int, check: (Layout) throws -> Void = { _ in }) throws -> NumPyArray {
        var buffer = Data()
        var layout: Layout?
        var wanted = 0
        var keptRows = 0
        var budgetLeft = budget
        try archive.read(member) { chunk in
            if layout == nil {
                buffer.append(contentsOf: chunk)
                guard let parsed = try Self.layout(of: buffer, name: name) else {
                    if buffer.count > maximumHeaderBytes + 12 {
                        throw ImportError.notANumPyArray(array: name, reason: "its header does not end")
                    }
                    return true
                }
                guard parsed.dataOffset + parsed.payloadBytes == member.uncompressedSize else {
                    throw ImportError.notANumPyArchive(
                        path: archive.path, reason: "member '\(member.name)' declares \(member.uncompressedSize) "
                            + "bytes, but its header (shape \(parsed.shape) of \(parsed.dtype.rawValue)) describes "
                            + "\(parsed.dataOffset + parsed.payloadBytes)")
                }
                try check(parsed)
                keptRows = parsed.shape.isEmpty ? 1 : min(parsed.rows, rows ?? parsed.rows)
                let bytes = parsed.shape.isEmpty ? parsed.payloadBytes : keptRows * parsed.rowBytes
                guard bytes <= budgetLeft else {
                    throw ImportError.dataTooLarge(path: archive.path, array: name, bytes: bytes,
                                                   limit: budgetLeft)
                }
                budgetLeft -= bytes
                layout = parsed
                wanted = parsed.dataOffset + bytes
                buffer.reserveCapacity(wanted)
                // The header's chunk may hold data past what is wanted.
                if buffer.count > wanted { buffer.removeSubrange((buffer.startIndex + wanted)...) }
            } else if buffer.count < wanted {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk.prefix(wanted - buffer.count)))
            }
            // Stop once the wanted rows are in, unless the member ends here anyway (then its CRC is checked).
            return buffer.count < wanted || wanted == member.uncompressedSize
        }
        guard let layout else {
            throw ImportError.notANumPyArray(array: name, reason: "the file ends inside its header")
        }
        budget = budgetLeft
        var shape = layout.shape
        if !shape.isEmpty { shape[0] = keptRows }
        return try array(name: name, dtype: layout.dtype, shape: shape,
                         payload: Data(buffer[(buffer.startIndex + layout.dataOffset)...]))
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
        } catch ImportError.dataTooLarge(_, let array, let bytes, let limit) {
            throw ImportError.dataTooLarge(path: path, array: array, bytes: bytes, limit: limit)
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
