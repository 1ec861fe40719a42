import Foundation

/// Flashable images of a blob placed at an address: raw `.bin`, Intel `.hex`, and `.uf2`.
public enum FlashImage {
    // MARK: Intel HEX

    /// The end of `count` bytes placed at `address`, checked: both image formats hold 32-bit addresses, so the
    /// last byte must lie below 2^32. Throws ``BoardError/badImage(reason:)`` otherwise (never traps).
    public static func placementEnd(address: UInt64, count: Int, format: String) throws -> UInt64 {
        let (end, overflow) = address.addingReportingOverflow(UInt64(max(0, count)))
        guard !overflow, end <= 1 << 32 else {
            throw BoardError.badImage(reason: "\(format) addresses are 32-bit: \(count) bytes at " + String(format: "0x%llx", address) + " end past 0x100000000")
        }
        return end
    }

    /// Intel HEX: extended linear address records (type 04) and 16-byte data records, then EOF. Throws when the
    /// bytes do not fit below 2^32 at `address`.
    public static func intelHex(_ bytes: [UInt8], address: UInt64) throws -> String {
        _ = try placementEnd(address: address, count: bytes.count, format: "Intel HEX")
        var out = ""
        func record(_ type: UInt8, _ offset: UInt16, _ data: [UInt8]) {
            var line = [UInt8(data.count), UInt8(offset >> 8), UInt8(offset & 0xFF), type] + data
            let sum = line.reduce(UInt8(0)) { $0 &+ $1 }
            line.append(0 &- sum)
            out += ":" + line.map { String(format: "%02X", $0) }.joined() + "\n"
        }
        var upper: UInt64 = .max
        var i = 0
        while i < bytes.count {
            let a = address + UInt64(i)
            if a >> 16 != upper {
                upper = a >> 16
                record(4, 0, [UInt8((upper >> 8) & 0xFF), UInt8(upper & 0xFF)])
            }
            // Stay inside the current 64 KiB segment.
            let n = min(16, bytes.count - i, Int(0x10000 - (a & 0xFFFF)))
            record(0, UInt16(a & 0xFFFF), Array(bytes[i..<(i + n)]))
            i += n
        }
        record(1, 0, [])
        return out
    }

    /// Decodes Intel HEX (types 00, 01, 02, 04, 05) to (lowest address, bytes); gaps are filled with 0xFF.
    public static func decodeIntelHex(_ text: String) throws -> (address: UInt64, bytes: [UInt8]) {
        var chunks: [(UInt64, [UInt8])] = []
        var base: UInt64 = 0
        var sawEOF = false
        for (n, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard line.hasPrefix(":"), line.count >= 11, line.count % 2 == 1 else { throw BoardError.badImage(reason: "hex line \(n + 1) malformed") }
            var b: [UInt8] = []
            var idx = line.index(after: line.startIndex)
            while idx < line.endIndex {
                let next = line.index(idx, offsetBy: 2)
                guard let v = UInt8(line[idx..<next], radix: 16) else { throw BoardError.badImage(reason: "hex line \(n + 1): not hexadecimal") }
                b.append(v)
                idx = next
            }
            guard b.count >= 5, b.count == Int(b[0]) + 5 else { throw BoardError.badImage(reason: "hex line \(n + 1): length byte disagrees") }
            guard b.reduce(UInt8(0), { $0 &+ $1 }) == 0 else { throw BoardError.badImage(reason: "hex line \(n + 1): checksum") }
            let offset = UInt64(b[1]) << 8 | UInt64(b[2])
            let data = Array(b[4..<(b.count - 1)])
            switch b[3] {
            case 0: chunks.append((base + offset, data))
            case 1: sawEOF = true
            case 2, 4:
                guard data.count == 2 else { throw BoardError.badImage(reason: "hex line \(n + 1): address record with \(data.count) data bytes, expected 2") }
                base = (UInt64(data[0]) << 8 | UInt64(data[1])) << (b[3] == 2 ? 4 : 16)
            case 3, 5: break
            default: throw BoardError.badImage(reason: "hex line \(n + 1): record type \(b[3])")
            }
            if sawEOF { break }
        }
        guard sawEOF else { throw BoardError.badImage(reason: "hex has no end-of-file record") }
        return try assemble(chunks)
    }

    // MARK: UF2 (https://github.com/microsoft/uf2)

    public static let uf2Magic0: UInt32 = 0x0A32_4655
    public static let uf2Magic1: UInt32 = 0x9E5D_5157
    public static let uf2MagicEnd: UInt32 = 0x0AB1_6F30
    public static let uf2FlagFamilyID: UInt32 = 0x0000_2000
    /// Payload per block (what every UF2 bootloader accepts).
    public static let uf2Payload = 256

    /// UF2: 512-byte blocks of 256 payload bytes each, with the family ID flag set. Throws when the bytes do not
    /// fit below 2^32 at `address`.
    public static func uf2(_ bytes: [UInt8], address: UInt64, familyID: UInt32) throws -> [UInt8] {
        _ = try placementEnd(address: address, count: bytes.count, format: "UF2")
        let blocks = max(1, (bytes.count + uf2Payload - 1) / uf2Payload)
        var out: [UInt8] = []
        out.reserveCapacity(blocks * 512)
        func put(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        for block in 0..<blocks {
            let start = block * uf2Payload
            let chunk = bytes.count > start ? Array(bytes[start..<min(bytes.count, start + uf2Payload)]) : []
            put(uf2Magic0); put(uf2Magic1); put(uf2FlagFamilyID)
            put(UInt32(address + UInt64(start))); put(UInt32(uf2Payload))
            put(UInt32(block)); put(UInt32(blocks)); put(familyID)
            out.append(contentsOf: chunk)
            // Pad the payload to 256 (0xFF keeps flash erased), then the data area to 476 with zeros.
            out.append(contentsOf: [UInt8](repeating: 0xFF, count: uf2Payload - chunk.count))
            out.append(contentsOf: [UInt8](repeating: 0, count: 476 - uf2Payload))
            put(uf2MagicEnd)
        }
        return out
    }

    /// One decoded UF2 file.
    public struct UF2Contents: Sendable, Equatable {
        public var address: UInt64
        public var bytes: [UInt8]
        public var familyID: UInt32?
        public var blocks: Int
    }

    /// Reads a UF2 file: checks magics, block numbering and sizes; returns the bytes from the lowest address.
    public static func decodeUF2(_ data: [UInt8]) throws -> UF2Contents {
        guard !data.isEmpty, data.count % 512 == 0 else { throw BoardError.badImage(reason: "UF2 size \(data.count) is not a multiple of 512") }
        func word(_ at: Int) -> UInt32 {
            UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
        }
        var chunks: [(UInt64, [UInt8])] = []
        var family: UInt32?
        let count = data.count / 512
        for b in 0..<count {
            let o = b * 512
            guard word(o) == uf2Magic0, word(o + 4) == uf2Magic1, word(o + 508) == uf2MagicEnd else {
                throw BoardError.badImage(reason: "UF2 block \(b): bad magic")
            }
            let flags = word(o + 8), size = Int(word(o + 16))
            guard size <= 476 else { throw BoardError.badImage(reason: "UF2 block \(b): payload size \(size) > 476") }
            guard Int(word(o + 20)) == b, Int(word(o + 24)) == count else {
                throw BoardError.badImage(reason: "UF2 block \(b): block number \(word(o + 20)) of \(word(o + 24)), expected \(b) of \(count)")
            }
            if flags & 0x1 != 0 { continue }  // "not main flash": skip
            if flags & uf2FlagFamilyID != 0 {
                if let family, family != word(o + 28) { throw BoardError.badImage(reason: "UF2 block \(b): family ID changes") }
                family = word(o + 28)
            }
            chunks.append((UInt64(word(o + 12)), Array(data[(o + 32)..<(o + 32 + size)])))
        }
        let (address, bytes) = try assemble(chunks)
        return UF2Contents(address: address, bytes: bytes, familyID: family, blocks: count)
    }

    /// The largest span a decoded image may cover (far beyond any microcontroller's flash; a file with records at
    /// both ends of the address space is refused instead of allocating 4 GiB).
    public static let maximumDecodedSpan: UInt64 = 256 << 20

    private static func assemble(_ chunks: [(UInt64, [UInt8])]) throws -> (address: UInt64, bytes: [UInt8]) {
        guard let low = chunks.map(\.0).min() else { return (0, []) }
        let high = chunks.map { $0.0 + UInt64($0.1.count) }.max()!
        guard high - low <= maximumDecodedSpan else {
            throw BoardError.badImage(reason: String(format: "data spans 0x%llx to 0x%llx (more than %llu MiB)", low, high, maximumDecodedSpan >> 20))
        }
        var bytes = [UInt8](repeating: 0xFF, count: Int(high - low))
        for (a, d) in chunks { bytes.replaceSubrange(Int(a - low)..<(Int(a - low) + d.count), with: d) }
        return (low, bytes)
    }

    /// The images a board asks for, by file name (`model.bin`, `model.hex`, `model.uf2`), for a `.wsm` at the
    /// board's model region. A `.wsm` larger than the region gets no images (the fit check refuses it, with the
    /// numbers); throws when the `.wsm` at that address would pass the end of the 32-bit address space (only a
    /// board built in code, not read from a file, can ask for that).
    public static func images(for wsm: [UInt8], board: Board) throws -> [(name: String, bytes: [UInt8])] {
        guard let region = board.modelRegion, UInt64(wsm.count) <= region.size else { return [] }
        var out: [(String, [UInt8])] = []
        for format in board.imageFormats {
            switch format {
            case "bin": out.append(("model.bin", wsm))
            case "hex": out.append(("model.hex", Array(try intelHex(wsm, address: region.address).utf8)))
            case "uf2": out.append(("model.uf2", try uf2(wsm, address: region.address, familyID: board.uf2FamilyID ?? 0)))
            default: break
            }
        }
        return out
    }
}
