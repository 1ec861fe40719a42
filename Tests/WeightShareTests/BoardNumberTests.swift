import Foundation
import Testing
@testable import WeightShareBoards

/// Numbers in board files that used to crash `compile` and `search` (issue 15): every one is refused with the
/// file and the field, and the fit check and the image writers never trap, whatever a board holds.
@Suite("Boards: overflow-safe numbers")
struct BoardNumberTests {
    /// `BoardTests.baseJSON()` (qemu-mps2-an386) with `value` at `path` (dot-separated).
    static func with(_ path: String, _ value: Any) throws -> [String: Any] {
        var o = try BoardTests.baseJSON()
        let keys = path.split(separator: ".").map(String.init)
        if keys.count == 1 { o[keys[0]] = value } else {
            var inner = o[keys[0]] as! [String: Any]
            inner[keys[1]] = value
            o[keys[0]] = inner
        }
        return o
    }

    /// The error of parsing `json` (text, so that numbers past Int64 reach the reader as written).
    static func error(json: String) -> String {
        do { _ = try Board.parse(Data(json.utf8), path: "/boards/bad.json"); return "" } catch { return "\(error)" }
    }

    /// The an386 board file's text with one number replaced by the literal `literal`.
    static func text(_ path: String, literal: String) throws -> String {
        let marker = "\"__NUMBER__\""
        let data = try JSONSerialization.data(withJSONObject: try with(path, "__NUMBER__"), options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: marker, with: literal)
    }

    @Test("the seven crashing board files of issue 15 are refused, naming the file and the field",
          arguments: [
              ("modelRegion.alignment", "9223372036854775808", "too large"),          // 2^63
              ("modelRegion.alignment", "18446744073709551615", "too large"),         // 2^64 − 1
              ("flash.origin", "18446744073709551615", "too large"),
              ("flash.size", "18446744073709551615", "too large"),
              ("ram.size", "\"17592186044415M\"", "too large"),                        // (2^44 − 1) MiB
              ("modelRegion.address", "\"0xFFFFFFFFFFFFF000\"", "too large"),          // wraps past 2^64
              ("ramReserve.stack", "18446744073709551615", "too large"),              // stack + runtime overflows
          ])
    func crashingFiles(field: String, literal: String, reason: String) throws {
        let message = Self.error(json: try Self.text(field, literal: literal))
        #expect(message.hasPrefix("board file /boards/bad.json: field '\(field)'"), "\(message)")
        #expect(message.contains(reason), "\(message)")
    }

    @Test("values that fit 64 bits but not together: wrapping regions and overflowing sums are refused")
    func combinations() throws {
        // A model region that passes the end of the 32-bit space (and of flash).
        var o = try Self.with("modelRegion.address", "0xFFFFF000")
        var m = o["modelRegion"] as! [String: Any]
        m["size"] = "0x2000"
        o["modelRegion"] = m
        #expect(BoardTests.error(o).contains("field 'modelRegion' [0xfffff000, 0x100001000) lies outside flash"), "\(BoardTests.error(o))")
        // Flash whose end passes 2^32.
        o = try Self.with("flash", ["origin": "0xFFFF0000", "size": "0x20000"])
        #expect(BoardTests.error(o).contains("field 'flash' (origin 0xffff0000 + size 0x20000) ends beyond the 32-bit address space"))
        // RAM of 2^32 at 0x20000000.
        o = try Self.with("ram", ["origin": "0x20000000", "size": "4096M"])
        #expect(BoardTests.error(o).contains("field 'ram' (origin 0x20000000 + size 0x100000000) ends beyond"))
        // A reserve of 2 × 2^32: each number is allowed, the sum is larger than the RAM.
        o = try Self.with("ramReserve", ["stack": "0x100000000", "runtime": "0x100000000"])
        #expect(BoardTests.error(o).contains("field 'ramReserve' (stack 4294967296 + runtime 4294967296 bytes) is not smaller than the RAM"))
        // Alignment 2^32 (allowed as a number, not as an alignment).
        o = try Self.with("modelRegion.alignment", "0x100000000")
        #expect(BoardTests.error(o).contains("field 'modelRegion.alignment' is 4294967296; must be a power of two from 4 to 65536"))
        // "17592186044415M" is refused, "4096M" is the largest accepted suffix form.
        #expect(FieldReader.parseNumber("17592186044416M") == nil)
        #expect(FieldReader.parseNumber("4096M") == 1 << 32)
    }

    @Test("true, false, fractions, exponents, negatives and huge literals are not numbers", arguments: [
        ("true", "got a boolean"), ("false", "got a boolean"), ("1.5", "fractions and exponents"),
        ("4096.0", "fractions and exponents"), ("4e3", "fractions and exponents"), ("-4096", "got -4096"),
        ("123456789012345678901234567890", "too large"), ("\"1.5K\"", "must be a non-negative integer"),
        ("\"-1\"", "must be a non-negative integer"), ("\"\"", "must be a non-negative integer"),
        ("[]", "must be a non-negative integer"), ("{}", "must be a non-negative integer"),
    ])
    func notNumbers(literal: String, reason: String) throws {
        let message = Self.error(json: try Self.text("ram.size", literal: literal))
        #expect(message.hasPrefix("board file /boards/bad.json: field 'ram.size'"), "\(literal): \(message)")
        #expect(message.contains(reason), "\(literal): \(message)")
    }

    @Test("JSON true as a size used to read as 1: every number field refuses it")
    func booleans() throws {
        for field in ["schema", "flash.origin", "flash.size", "ram.origin", "ram.size", "modelRegion.address",
                      "modelRegion.size", "modelRegion.alignment", "ramReserve.stack", "ramReserve.runtime",
                      "qemu.systickHz", "uart.base", "uart.clockHz"] {
            let message = Self.error(json: try Self.text(field, literal: "true"))
            #expect(message.contains("field '\(field)' must be") && message.contains("got a boolean"), "\(field): \(message)")
        }
        // Integers 0 and 1 are still numbers (and then judged as values).
        #expect(Self.error(json: try Self.text("ramReserve.runtime", literal: "0")) == "")
        #expect(Self.error(json: try Self.text("ramReserve.runtime", literal: "1")) == "")
        #expect(Self.error(json: try Self.text("qemu.systickHz", literal: "1")).contains("at least 1000"))
        // A description must be a string when present.
        #expect(BoardTests.error(try Self.with("description", 5)).contains("field 'description' must be a string"))
    }

    /// A board with any numbers at all, built in code (no validation).
    static func rawBoard(flash: Board.Region, ram: Board.Region, model: Board.ModelRegion,
                         reserve: Board.RAMReserve) throws -> Board {
        var board = try BoardTests.catalog.board(named: "qemu-mps2-an386")
        board.flash = flash
        board.ram = ram
        board.modelRegion = model
        board.ramReserve = reserve
        return board
    }

    @Test("the fit check saturates instead of trapping on any board built in code")
    func fitCheckSaturates() throws {
        let huge = UInt64.max
        let board = try Self.rawBoard(flash: .init(origin: huge, size: huge), ram: .init(origin: huge, size: huge),
                                      model: .init(address: huge, size: huge, alignment: Int.max, section: ".ws_model"),
                                      reserve: .init(stack: huge, runtime: huge))
        #expect(board.flash!.end == .max)
        let fit = FitCheck.check(board: board, wsmBytes: Int.max, arenaBytes: Int.max)
        #expect(!fit.fitsFlash && !fit.fitsRAM && fit.ramNeeded == .max && fit.reserveBytes == .max)
        #expect(fit.problems.count == 2)
        let zero = try Self.rawBoard(flash: .init(origin: 0, size: 0), ram: .init(origin: 0, size: 0),
                                     model: .init(address: 0, size: 0, alignment: 0, section: ".ws_model"),
                                     reserve: .init(stack: 0, runtime: 0))
        let small = FitCheck.check(board: zero, wsmBytes: 10, arenaBytes: 0)
        #expect(!small.fitsFlash && small.flashNeeded == 10)
        // Rounding to the alignment as before.
        let an386 = try BoardTests.catalog.board(named: "qemu-mps2-an386")
        let normal = FitCheck.check(board: an386, wsmBytes: 1000, arenaBytes: 100)
        #expect(normal.fits && normal.flashNeeded == 1000 + (an386.modelRegion!.alignment - 1000 % an386.modelRegion!.alignment) % an386.modelRegion!.alignment)
    }

    @Test("image placement past 2^32 throws instead of trapping; a model larger than its region gets no images")
    func imagePlacement() throws {
        let bytes = [UInt8](repeating: 7, count: 300)
        #expect(throws: BoardError.self) { try FlashImage.intelHex(bytes, address: 0xFFFF_FF00) }
        #expect(throws: BoardError.self) { try FlashImage.uf2(bytes, address: UInt64.max - 10, familyID: 1) }
        #expect(throws: BoardError.self) { try FlashImage.intelHex(bytes, address: UInt64.max) }
        // Exactly up to 2^32 is fine.
        let top = try FlashImage.decodeIntelHex(try FlashImage.intelHex(bytes, address: (1 << 32) - 300))
        #expect(top.address == (1 << 32) - 300 && top.bytes == bytes)
        var board = try BoardTests.catalog.board(named: "rp2040-pico")
        board.modelRegion = .init(address: 0xFFFF_FF00, size: 0x100, alignment: 256, section: ".ws_model")
        #expect(try FlashImage.images(for: bytes, board: board).isEmpty)
        board.modelRegion = .init(address: 0xFFFF_FF00, size: 0x1000, alignment: 256, section: ".ws_model")
        #expect(throws: BoardError.self) { try FlashImage.images(for: bytes, board: board) }
    }

    @Test("decoding hostile images: short address records and records 4 GiB apart are errors")
    func hostileImages() throws {
        // An extended linear address record with one data byte (was an index out of range).
        let short = ":0100000401FA\n:00000001FF\n"
        #expect(throws: BoardError.self) { try FlashImage.decodeIntelHex(short) }
        // Data at 0 and at 0xFFFF0000: refused instead of allocating 4 GiB.
        let far = try FlashImage.intelHex([1], address: 0).replacingOccurrences(of: ":00000001FF\n", with: "")
            + (try FlashImage.intelHex([2], address: 0xFFFF_0000))
        #expect(throws: BoardError.self) { try FlashImage.decodeIntelHex(far) }
    }
}
