import CWeightShareSystem
import Foundation

/// A bounded reader of the ZIP archives `.npz` files are (stored and deflated members, ZIP64 sizes).
///
/// Every offset and size is checked against the file before it is used; a member is inflated from exactly its
/// compressed bytes, never to more than the size its central directory entry declares, in chunks handed to a
/// consumer (so the whole member is never held unless the consumer keeps it), and its CRC-32 is checked when it
/// has been read to the end. (ZIPFoundation, used to write archives, reads past a member's compressed bytes and
/// loops at the end of the file on a truncated deflate stream.)
struct NPZArchive {
    struct Member {
        var name: String
        var method: UInt16
        var flags: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var localHeaderOffset: Int
    }

    let path: String
    let bytes: Data
    let members: [Member]

    /// A problem with the archive's structure, turned into ``ImportError/notANumPyArchive(path:reason:)``.
    struct Malformed: Error {
        var reason: String
    }

    init(url: URL) throws {
        path = url.path
        bytes = try readImportFile(url)
        do {
            members = try Self.centralDirectory(bytes)
        } catch let error as Malformed {
            throw ImportError.notANumPyArchive(path: url.path, reason: error.reason)
        }
    }

    /// The member named `name`, if any.
    func member(_ name: String) -> Member? { members.first { $0.name == name } }

    // MARK: Structure

    private static func u16(_ d: Data, _ offset: Int) throws -> Int {
        guard offset >= 0, offset <= d.count - 2 else { throw Malformed(reason: "a record lies past the end of the file") }
        let b = d.startIndex + offset
        return Int(d[b]) | Int(d[b + 1]) << 8
    }

    private static func u32(_ d: Data, _ offset: Int) throws -> Int {
        try u16(d, offset) | (try u16(d, offset + 2)) << 16
    }

    private static func u64(_ d: Data, _ offset: Int) throws -> Int {
        let low = try u32(d, offset), high = try u32(d, offset + 4)
        guard high < 0x8000_0000 else { throw Malformed(reason: "a ZIP64 size or offset is larger than 2^63") }
        return low | high << 32
    }

    private static func centralDirectory(_ d: Data) throws -> [Member] {
        // End of central directory: 22 bytes plus a comment of at most 65535 bytes, at the end of the file.
        guard d.count >= 22 else { throw Malformed(reason: "it is too short to be a ZIP archive") }
        var eocd = -1
        var i = d.count - 22
        let lowest = max(0, d.count - 22 - 65535)
        while i >= lowest {
            if try u32(d, i) == 0x0605_4B50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw Malformed(reason: "it is not a ZIP archive (no end of central directory record)") }
        var count = try u16(d, eocd + 10)
        var size = try u32(d, eocd + 12)
        var offset = try u32(d, eocd + 16)
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            // ZIP64: a locator right before the record points at the ZIP64 end of central directory.
            guard eocd >= 20, try u32(d, eocd - 20) == 0x0706_4B50 else {
                throw Malformed(reason: "its ZIP64 end of central directory locator is missing")
            }
            let record = try u64(d, eocd - 12)
            guard try u32(d, record) == 0x0606_4B50 else {
                throw Malformed(reason: "its ZIP64 end of central directory record is missing")
            }
            count = try u64(d, record + 32)
            size = try u64(d, record + 40)
            offset = try u64(d, record + 48)
        }
        guard offset <= d.count, size <= d.count - offset else {
            throw Malformed(reason: "its central directory lies outside the file")
        }
        guard count <= size / 46 else { throw Malformed(reason: "its central directory is shorter than its entry count") }
        var members: [Member] = []
        var p = offset
        for _ in 0..<count {
            guard try u32(d, p) == 0x0201_4B50 else { throw Malformed(reason: "a central directory entry is malformed") }
            let flags = try u16(d, p + 8), method = try u16(d, p + 10)
            let crc = try u32(d, p + 16)
            var compressed = try u32(d, p + 20), uncompressed = try u32(d, p + 24)
            let nameLength = try u16(d, p + 28), extraLength = try u16(d, p + 30), commentLength = try u16(d, p + 32)
            var local = try u32(d, p + 42)
            let nameStart = p + 46
            guard nameStart + nameLength + extraLength + commentLength <= d.count else {
                throw Malformed(reason: "a central directory entry lies past the end of the file")
            }
            let base = d.startIndex
            let name = String(decoding: d[(base + nameStart)..<(base + nameStart + nameLength)], as: UTF8.self)
            // ZIP64 extra field (id 1): the 64-bit values of the fields set to 0xFFFFFFFF, in this order.
            var e = nameStart + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = try u16(d, e), length = try u16(d, e + 2)
                guard e + 4 + length <= extraEnd else { throw Malformed(reason: "member '\(name)' has a malformed extra field") }
                if id == 1 {
                    var q = e + 4
                    func next() throws -> Int {
                        guard q + 8 <= e + 4 + length else {
                            throw Malformed(reason: "member '\(name)' has a short ZIP64 extra field")
                        }
                        defer { q += 8 }
                        return try u64(d, q)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if local == 0xFFFF_FFFF { local = try next() }
                }
                e += 4 + length
            }
            members.append(Member(name: name, method: UInt16(method), flags: UInt16(flags), crc32: UInt32(crc),
                                  compressedSize: compressed, uncompressedSize: uncompressed,
                                  localHeaderOffset: local))
            p = extraEnd + commentLength
        }
        return members
    }

    // MARK: Reading

    /// Hands the member's bytes to `consumer` in chunks of at most `chunkSize`; `consumer` returns false to stop.
    /// Returns true when the member was read to its end, its size and CRC-32 checked.
    @discardableResult
    func read(_ member: Member, chunkSize: Int = 1 << 16,
              consumer: (UnsafeRawBufferPointer) throws -> Bool) throws -> Bool {
        func fail(_ reason: String) -> ImportError {
            .notANumPyArchive(path: path, reason: "member '\(member.name)' \(reason)")
        }
        guard member.flags & 1 == 0 else { throw fail("is encrypted") }
        let d = bytes
        let h = member.localHeaderOffset
        guard (try? Self.u32(d, h)) == 0x0403_4B50 else { throw fail("has no local header where its entry points") }
        let start = h + 30 + (try Self.u16(d, h + 26)) + (try Self.u16(d, h + 28))
        guard start <= d.count, member.compressedSize <= d.count - start else {
            throw fail("has \(member.compressedSize) compressed bytes, which lie past the end of the file")
        }
        var crc: UInt = crc32(0, nil, 0)
        var produced = 0
        let complete: Bool = try d.withUnsafeBytes { (file: UnsafeRawBufferPointer) -> Bool in
            let input = UnsafeRawBufferPointer(rebasing: file[start..<(start + member.compressedSize)])
            switch member.method {
            case 0:
                guard member.compressedSize == member.uncompressedSize else {
                    throw fail("is stored with \(member.compressedSize) bytes but declares \(member.uncompressedSize)")
                }
                var p = 0
                while p < input.count {
                    let chunk = UnsafeRawBufferPointer(rebasing: input[p..<min(input.count, p + chunkSize)])
                    crc = crc32(crc, chunk.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(chunk.count))
                    p += chunk.count
                    produced += chunk.count
                    if try !consumer(chunk) { return false }
                }
                return true
            case 8:
                return try inflate(input, member: member, chunkSize: chunkSize, crc: &crc, produced: &produced,
                                   fail: fail, consumer: consumer)
            default:
                throw fail("uses compression method \(member.method); only stored (0) and deflate (8) are read")
            }
        }
        guard complete else { return false }
        guard produced == member.uncompressedSize else {
            throw fail("holds \(produced) bytes but its entry declares \(member.uncompressedSize)")
        }
        guard UInt32(truncatingIfNeeded: crc) == member.crc32 else {
            throw fail(String(format: "fails its CRC-32 check (stored %08x, computed %08x): the file is corrupt",
                              member.crc32, UInt32(truncatingIfNeeded: crc)))
        }
        return true
    }

    private func inflate(_ input: UnsafeRawBufferPointer, member: Member, chunkSize: Int, crc: inout UInt,
                         produced: inout Int, fail: (String) -> ImportError,
                         consumer: (UnsafeRawBufferPointer) throws -> Bool) throws -> Bool {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail("cannot be inflated (zlib did not start)")
        }
        defer { inflateEnd(&stream) }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { output.deallocate() }
        var consumed = 0
        while true {
            if stream.avail_in == 0 && consumed < input.count {
                let n = min(input.count - consumed, 1 << 30)
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: consumed)
                    .assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(n)
                consumed += n
            }
            stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(chunkSize)
            let result = CWeightShareSystem.inflate(&stream, Z_NO_FLUSH)
            let count = chunkSize - Int(stream.avail_out)
            switch result {
            case Z_OK, Z_STREAM_END, Z_BUF_ERROR: break
            default: throw fail("holds corrupt deflate data")
            }
            if count > 0 {
                guard count <= member.uncompressedSize - produced else {
                    throw fail("inflates to more than the \(member.uncompressedSize) bytes its entry declares")
                }
                let chunk = UnsafeRawBufferPointer(rebasing: output[0..<count])
                crc = crc32(crc, chunk.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(count))
                produced += count
                if try !consumer(chunk) { return false }
            }
            if result == Z_STREAM_END { return true }
            if count == 0 && stream.avail_in == 0 && consumed == input.count {
                throw fail("ends inside its deflate data (truncated)")
            }
        }
    }
}
