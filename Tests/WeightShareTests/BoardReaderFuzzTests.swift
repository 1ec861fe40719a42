import Foundation
import Testing
import WeightShare
@testable import WeightShareBoards

/// Property test of the board-file reader: mutated committed board files and random JSON never crash it; each
/// either loads as a board whose numbers are sane (and which the fit check, the image writers and board.mk take
/// without trapping) or is refused with a `BoardError` that names the file.
///
/// `WS_FUZZ_CASES` sets the number of cases (default 300, so `make test` stays fast; `make fuzz` runs 10,000).
/// Case `i` uses seed `i`: a failure names its case, and `WS_FUZZ_FIRST=i WS_FUZZ_CASES=1` replays it.
@Suite("BoardReaderFuzz: mutated and random board files")
struct BoardReaderFuzzTests {
    static var cases: Int { FuzzCases.count(default: 300) }
    static var first: UInt64 { ProcessInfo.processInfo.environment["WS_FUZZ_FIRST"].flatMap(UInt64.init) ?? 0 }
    static let path = "/fuzz/board.json"

    /// The committed board files' texts.
    static let seeds: [String] = BoardTests.catalog.names().compactMap {
        try? String(contentsOf: BoardTests.boardsDirectory.appendingPathComponent($0 + ".json"), encoding: .utf8)
    }

    /// JSON literals that probe the number reader and the arithmetic behind it.
    static let numberLiterals = [
        "0", "1", "-1", "4", "16", "65536", "65537", "131072", "2147483647", "2147483648", "4294967295", "4294967296",
        "4294967297", "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
        "123456789012345678901234567890", "1.5", "1.0", "1e3", "1e300", "-0", "true", "false", "null",
        "\"0x0\"", "\"0x08000000\"", "\"0xFFFFFFFF\"", "\"0x100000000\"", "\"0xFFFFFFFFFFFFFFFF\"", "\"0x10000000000000000\"",
        "\"17592186044415M\"", "\"17592186044416M\"", "\"4096M\"", "\"4095M\"", "\"4194304K\"", "\"1K\"", "\"0K\"",
        "\"K\"", "\"M\"", "\"0x\"", "\"\"", "\" 12 \"", "\"1_000\"", "\"-5\"", "\"+5\"", "\"1.5M\"", "\"0b101\"",
        "\"１２\"", "[]", "{}", "[1]", "\"cortex-m4\"",
    ]

    /// Other values for string, array and object fields.
    static let otherLiterals = [
        "\"\"", "\" \"", "\"mcu\"", "\"host\"", "\"none\"", "\".ws_model\"", "\"ws_model\"", "\".a b\"", "\"bin\"",
        "\"uf2\"", "[\"bin\",\"hex\",\"uf2\"]", "[\"uf2\"]", "[\"-mcpu=cortex-m4\"]", "[\"openocd\",\"{image}\"]",
        "[\"x\",\"{imag\"]", "[\"x\",\"{image}{nope}\"]", "{\"origin\":0,\"size\":1}", "{\"machine\":\"x\"}",
        "{\"kind\":\"stm32-usart\",\"base\":\"0x40011000\",\"clockHz\":16000000}", "\"\\u0000\"", "\"../../x\"",
        "\"a/b\"", "\"é\"", "[null]", "[[[]]]",
    ]

    /// A number a board file could well hold: a power of two, a K/M size or a 32-bit address, in any notation.
    static func plausibleNumber(_ r: inout SeededRandom) -> String {
        switch r.below(5) {
        case 0: return String(1 << r.below(33))
        case 1: return "\"\(1 + r.below(4096))K\""
        case 2: return "\"\(1 + r.below(8))M\""
        case 3: return "\"0x" + String(UInt32(truncatingIfNeeded: r.next()) & 0xFFFF_F000, radix: 16) + "\""
        default: return String(r.below(1 << 22) * 16)
        }
    }

    /// A random JSON value (depth-limited).
    static func randomJSON(_ r: inout SeededRandom, depth: Int = 0) -> String {
        switch depth > 3 ? r.below(3) : r.below(6) {
        case 0: return r.pick(numberLiterals)
        case 1: return r.pick(otherLiterals)
        case 2: return "\"" + String((0..<r.below(12)).map { _ in r.pick(Array("abc0x1KM{}. -_\\\"")) })
            .replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case 3: return "[" + (0..<r.below(4)).map { _ in randomJSON(&r, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            let keys = ["schema", "name", "kind", "cpu", "fpu", "flash", "ram", "origin", "size", "address", "alignment",
                        "modelRegion", "ramReserve", "stack", "runtime", "imageFormats", "uf2FamilyID", "flasher", "qemu",
                        "uart", "section", "base", "clockHz", "systickHz", "machine", "tool", "image", "command", "x"]
            return "{" + (0..<r.below(5)).map { _ in "\"\(r.pick(keys))\":" + randomJSON(&r, depth: depth + 1) }
                .joined(separator: ",") + "}"
        }
    }

    /// Every (path, value) of a JSON object, depth first.
    static func paths(_ value: Any, _ prefix: [String] = []) -> [[String]] {
        guard let object = value as? [String: Any] else { return [] }
        return object.keys.sorted().flatMap { key in [prefix + [key]] + paths(object[key]!, prefix + [key]) }
    }

    /// `object` with the value at `path` set to a marker string (or removed when `value` is nil).
    static func setting(_ object: [String: Any], _ path: ArraySlice<String>, _ value: Any?) -> [String: Any] {
        var o = object
        guard let key = path.first else { return o }
        if path.count == 1 { o[key] = value } else if let inner = o[key] as? [String: Any] {
            o[key] = setting(inner, path.dropFirst(), value)
        }
        return o
    }

    /// One mutated board file (text) for case `seed`.
    static func mutant(_ seed: UInt64) -> String {
        var r = SeededRandom(seed: seed)
        let base = r.pick(seeds)
        switch r.below(10) {
        case 0:
            // A random document (usually an object with board-like keys).
            return r.chance(0.8) ? "{" + randomJSON(&r, depth: 1).dropFirst() : randomJSON(&r)
        case 1, 2, 3, 4, 5:
            // Structural: 1–3 fields replaced by interesting literals, removed, or an unknown field added.
            guard var object = try? JSONSerialization.jsonObject(with: Data(base.utf8)) as? [String: Any] else { return base }
            var replacements: [String] = []
            for _ in 0...r.below(3) {
                let all = paths(object)
                let path = r.pick(all)
                switch r.below(8) {
                case 0: object = setting(object, path[...], nil)
                case 1: object = setting(object, (path.dropLast() + ["unknown\(r.below(3))"])[...], 1)
                default:
                    let literal = r.chance(0.3) ? plausibleNumber(&r)
                        : r.chance(0.6) ? r.pick(numberLiterals) : randomJSON(&r, depth: 2)
                    object = setting(object, path[...], "__FUZZ_\(replacements.count)__")
                    replacements.append(literal)
                }
            }
            guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return base }
            var text = String(decoding: data, as: UTF8.self)
            for (i, literal) in replacements.enumerated() {
                text = text.replacingOccurrences(of: "\"__FUZZ_\(i)__\"", with: literal)
            }
            return text
        default:
            // Bytes: flips, insertions, deletions, duplications, truncation, digits spliced into numbers.
            var bytes = Array(base.utf8)
            for _ in 0...r.below(4) where !bytes.isEmpty {
                let at = r.below(bytes.count)
                switch r.below(7) {
                case 0: bytes[at] ^= UInt8(1 << r.below(8))
                case 1: bytes.insert(r.pick(Array("{}[]\",:0123456789xKMe-.tn ".utf8)), at: at)
                case 2: bytes.removeSubrange(at..<min(bytes.count, at + 1 + r.below(8)))
                case 3:
                    let end = min(bytes.count, at + 1 + r.below(40))
                    bytes.insert(contentsOf: bytes[at..<end], at: r.below(bytes.count))
                case 4: bytes = Array(bytes.prefix(at))
                case 5:
                    // Lengthen a number: many more digits.
                    if let digit = bytes[at...].firstIndex(where: { (48...57).contains($0) }) {
                        bytes.insert(contentsOf: Array(repeating: UInt8(57), count: 1 + r.below(24)), at: digit)
                    }
                default: bytes[at] = UInt8(r.below(256))
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Why an accepted board is not sane (nil when it is), after running the steps that use its numbers.
    static func insanity(_ board: Board, _ r: inout SeededRandom) -> String? {
        if board.isHost { return board.flash == nil && board.modelRegion == nil ? nil : "host with a memory map" }
        guard let flash = board.flash, let ram = board.ram, let model = board.modelRegion else { return "mcu without a memory map" }
        for (name, region) in [("flash", flash), ("ram", ram)] {
            let (end, overflow) = region.origin.addingReportingOverflow(region.size)
            if overflow || end > 1 << 32 || region.size == 0 { return "\(name) \(region) outside the 32-bit space" }
        }
        let (modelEnd, overflow) = model.address.addingReportingOverflow(model.size)
        if overflow || model.address <= flash.origin || modelEnd > flash.end || model.size == 0 { return "model region \(model) outside flash" }
        if model.alignment < 4 || model.alignment > 65536 || model.alignment & (model.alignment - 1) != 0 { return "alignment \(model.alignment)" }
        if model.address % UInt64(model.alignment) != 0 { return "unaligned model address" }
        let (reserve, over) = board.ramReserve.stack.addingReportingOverflow(board.ramReserve.runtime)
        if over || reserve >= ram.size { return "reserve \(board.ramReserve) not below RAM \(ram.size)" }
        if board.imageFormats.contains("uf2") && board.uf2FamilyID == nil { return "uf2 without family" }
        if let hz = board.qemu?.systickHz, hz < 1000 { return "systickHz \(hz)" }
        // The steps after loading, with sizes around the board's limits: none may trap.
        let sizes = [0, 1, Int(model.size) - 1, Int(model.size), Int(model.size) + 1, Int(ram.size), Int.max, r.below(1 << 20)]
        for wsm in sizes {
            let fit = FitCheck.check(board: board, wsmBytes: wsm, arenaBytes: r.pick(sizes))
            _ = fit.problems
            if fit.fitsFlash && wsm > Int(model.size) { return "a \(wsm)-byte model fits a \(model.size)-byte region" }
        }
        let blob = [UInt8](repeating: 0xA5, count: min(Int(model.size), 1 + r.below(600)))
        do {
            let images = try FlashImage.images(for: blob, board: board)
            if images.count != board.imageFormats.count { return "images \(images.map(\.name)) for \(board.imageFormats)" }
        } catch { return "images of a fitting model refused: \(error)" }
        _ = Firmware.boardMakefile(board)
        _ = CArrayEmitter.emit(Array(blob.prefix(16)), symbol: "m", headerName: "m.h", alignment: model.alignment,
                               section: model.section, comment: "fuzz")
        return nil
    }

    @Test("mutated board files never crash the reader; each loads sane or is refused naming the file")
    func mutatedBoardFiles() throws {
        let cases = Self.cases, first = Self.first
        #expect(Self.seeds.count >= 8)
        let start = Date()
        var accepted = 0, refused = 0
        for i in 0..<UInt64(cases) {
            let seed = first + i
            let text = Self.mutant(seed)
            do {
                let board = try Board.parse(Data(text.utf8), path: Self.path)
                var r = SeededRandom(seed: seed ^ 0xB0A2D)
                if let problem = Self.insanity(board, &r) {
                    Issue.record("case \(seed): accepted an insane board (\(problem)):\n\(text)")
                } else {
                    accepted += 1
                }
            } catch let error as BoardError {
                refused += 1
                let message = "\(error)"
                if !message.hasPrefix("board file \(Self.path): ") {
                    Issue.record("case \(seed): error does not name the file: \(message)")
                }
                // Field errors quote the field.
                if case .badValue = error, !message.contains("field '") { Issue.record("case \(seed): \(message)") }
            } catch {
                Issue.record("case \(seed): not a BoardError: \(error)")
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print("BoardReaderFuzz: \(cases) cases (seeds \(first)..<\(first + UInt64(cases))) in \(String(format: "%.2f", seconds)) s: \(accepted) loaded sane, \(refused) refused with a BoardError")
        // The mutations must exercise both outcomes (a reader that refuses everything would pass otherwise).
        if cases >= 100 { #expect(accepted > 0 && refused > cases / 2, "accepted \(accepted), refused \(refused)") }
    }

    @Test("mutated Intel HEX and UF2 images never crash their decoders")
    func mutatedImages() throws {
        let cases = max(1, Self.cases / 3), first = Self.first
        let blob = (0..<700).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hex = Array(try FlashImage.intelHex(blob, address: 0x0800_FFC0).utf8)
        let uf2 = try FlashImage.uf2(blob, address: 0x1010_0000, familyID: 0xE48B_FF56)
        for i in 0..<UInt64(cases) {
            var r = SeededRandom(seed: first + i)
            var h = hex, u = uf2
            for _ in 0...r.below(4) {
                h[r.below(h.count)] = r.pick(Array(":0123456789ABCDEF\n".utf8) + [UInt8(r.below(256))])
                u[r.below(u.count)] = UInt8(r.below(256))
            }
            if r.chance(0.2) { h = Array(h.prefix(r.below(h.count))) }
            if r.chance(0.2) { u = Array(u.prefix(r.below(u.count))) }
            // Either decodes or throws BoardError; anything else (or a crash) fails.
            do { _ = try FlashImage.decodeIntelHex(String(decoding: h, as: UTF8.self)) } catch is BoardError {} catch {
                Issue.record("case \(first + i): hex: \(error)")
            }
            do { _ = try FlashImage.decodeUF2(u) } catch is BoardError {} catch { Issue.record("case \(first + i): uf2: \(error)") }
        }
    }
}
