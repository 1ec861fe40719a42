import Foundation

/// A target board, read from a `boards/<name>.json` file (schema: `boards/README.md`).
///
/// Every field is validated when the file is loaded (`Board.load(url:)`/`Board.parse`), so later steps trust it.
public struct Board: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case mcu, host }

    /// An address range.
    public struct Region: Sendable, Equatable, Codable {
        public var origin: UInt64
        public var size: UInt64
        /// `origin + size`, saturating at `UInt64.max` (a validated board's regions end at or below 2^32).
        public var end: UInt64 {
            let (sum, overflow) = origin.addingReportingOverflow(size)
            return overflow ? .max : sum
        }
        public init(origin: UInt64, size: UInt64) { self.origin = origin; self.size = size }
        public func contains(_ other: Region) -> Bool { other.origin >= origin && other.end <= end }
    }

    /// The flash range reserved for the `.wsm`.
    public struct ModelRegion: Sendable, Equatable, Codable {
        public var address: UInt64
        public var size: UInt64
        /// Alignment of the model's first byte (a power of two ≥ 4).
        public var alignment: Int
        /// Linker section of the C array.
        public var section: String
    }

    /// RAM kept away from the activation arena.
    public struct RAMReserve: Sendable, Equatable, Codable {
        public var stack: UInt64
        public var runtime: UInt64
    }

    public struct Flasher: Sendable, Equatable, Codable {
        /// The executable that must be on PATH.
        public var tool: String
        /// Which image it takes: `bin`, `hex` or `uf2`.
        public var image: String
        /// argv with `{image}`, `{address}` (0x…), `{size}` and `{dir}` placeholders.
        public var command: [String]
        /// How to install `tool`.
        public var install: String
    }

    public struct QEMU: Sendable, Equatable, Codable {
        public var machine: String
        /// SysTick ticks per second of virtual time; with `-icount shift=0` one instruction takes 1 ns, so an
        /// instruction count is ticks × 1e9 / systickHz. Absent: found at run time by calibration.
        public var systickHz: UInt64?
    }

    /// The UART the firmware prints to when built with `IO=uart` (`wsc run --io uart`); the default drivers of
    /// `boards/firmware/board_io.c` know these kinds.
    public struct UART: Sendable, Equatable, Codable {
        /// `cmsdk-apb-uart` (ARM CMSDK APB UART, MPS2) or `stm32-usart` (STM32F1/F2/F4 USART register layout).
        public var kind: String
        /// Base address of its registers.
        public var base: UInt64
        /// Input clock of the UART at reset, for the baud rate divisor.
        public var clockHz: UInt64
    }

    public var name: String
    public var description: String
    public var kind: Kind
    public var cpu: String
    /// `none` for cores without an FPU.
    public var fpu: String
    public var compilerFlags: [String]
    public var flash: Region?
    public var ram: Region?
    public var modelRegion: ModelRegion?
    public var ramReserve: RAMReserve
    public var imageFormats: [String]
    public var uf2FamilyID: UInt32?
    public var flasher: Flasher?
    public var qemu: QEMU?
    public var uart: UART?
    /// Where it was loaded from.
    public var file: String

    public var isEmulated: Bool { qemu != nil }
    public var isHost: Bool { kind == .host }

    public static let imageFormatNames = ["bin", "hex", "uf2"]
    public static let uartKinds = ["cmsdk-apb-uart", "stm32-usart"]
}

/// What is wrong with a board file or a board name; each message names the file and the field.
public enum BoardError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case notJSON(path: String, reason: String)
    case missingField(path: String, field: String)
    case wrongType(path: String, field: String, expected: String)
    case badValue(path: String, field: String, reason: String)
    case unknownField(path: String, field: String)
    case unknownBoard(name: String, known: [String], directory: String)
    case noBoardsDirectory(searched: [String])
    case notEmulated(board: String)
    case noUART(board: String)
    case noFlasher(board: String, reason: String)
    case flasherMissing(tool: String, board: String, install: String)
    case missingImage(path: String, hint: String)
    case toolMissing(tool: String, hint: String)
    case firmwareBuildFailed(status: Int32, log: String)
    case qemuTimeout(seconds: Double, output: String)
    case qemuFailed(status: Int32, output: String)
    case badFirmwareOutput(reason: String, output: String)
    case badImage(reason: String)
    case imageTooLarge(image: String, board: String, bytes: Int, needed: Int, region: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "board file \(path): cannot read it (\(reason))"
        case let .notJSON(path, reason): return "board file \(path): not valid JSON (\(reason))"
        case let .missingField(path, field): return "board file \(path): required field '\(field)' is missing"
        case let .wrongType(path, field, expected): return "board file \(path): field '\(field)' must be \(expected)"
        case let .badValue(path, field, reason): return "board file \(path): field '\(field)' \(reason)"
        case let .unknownField(path, field): return "board file \(path): unknown field '\(field)' (see boards/README.md)"
        case let .unknownBoard(name, known, directory):
            return "unknown board '\(name)'; boards in \(directory): \(known.joined(separator: ", ")) (or pass --board-file path.json)"
        case let .noBoardsDirectory(searched):
            return "cannot find the boards/ folder (looked in \(searched.joined(separator: ", "))); pass --boards-dir, set WSC_BOARDS_DIR, or use --board-file path.json"
        case let .notEmulated(board): return "board '\(board)' has no QEMU machine: 'wsc run' needs an emulated board (qemu-…)"
        case let .noUART(board):
            return "board '\(board)' has no 'uart' field: a UART build needs the UART's kind, base address and clock (boards/README.md); for another UART build boards/firmware with IO=uart BOARD_IO=your_board_io.c"
        case let .noFlasher(board, reason): return "board '\(board)' has no flasher: \(reason)"
        case let .flasherMissing(tool, board, install):
            return "flasher '\(tool)' for board '\(board)' is not installed (not found on PATH); install it: \(install)"
        case let .missingImage(path, hint): return "image \(path) does not exist; \(hint)"
        case let .toolMissing(tool, hint): return "'\(tool)' not found on PATH; \(hint)"
        case let .firmwareBuildFailed(status, log): return "firmware build failed (make exited with \(status)):\n\(log)"
        case let .qemuTimeout(seconds, output): return "QEMU did not finish within \(seconds) s (killed); output so far:\n\(output)"
        case let .qemuFailed(status, output): return "QEMU/firmware exited with status \(status):\n\(output)"
        case let .badFirmwareOutput(reason, output): return "unexpected firmware output (\(reason)):\n\(output)"
        case let .badImage(reason): return "bad image: \(reason)"
        case let .imageTooLarge(image, board, bytes, needed, region):
            return "image \(image) does not fit the model region of '\(board)': the model is \(bytes) bytes, \(needed) with the region's alignment, but the region has \(region) bytes (\(FitCheck.excess(needed, region)) bytes too many); compile a smaller solution"
        }
    }
}

extension Board {
    /// The largest board file read (the committed ones are under 2 KB).
    public static let maximumFileBytes = 1 << 20

    /// Loads and validates a board file.
    public static func load(url: URL) throws -> Board {
        let size = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maximumFileBytes else {
            throw BoardError.unreadable(path: url.path, reason: "it is \(size) bytes; a board file is at most \(maximumFileBytes)")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw BoardError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return try parse(data, path: url.path)
    }

    /// Parses and validates a board file's bytes; `path` names it in errors.
    public static func parse(_ data: Data, path: String) throws -> Board {
        guard data.count <= maximumFileBytes else {
            throw BoardError.unreadable(path: path, reason: "it is \(data.count) bytes; a board file is at most \(maximumFileBytes)")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw BoardError.notJSON(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let root = object as? [String: Any] else { throw BoardError.wrongType(path: path, field: "(top level)", expected: "an object") }
        var p = FieldReader(path: path)
        return try p.board(root)
    }
}

/// Reads typed fields out of `JSONSerialization` objects, with errors that name the field.
struct FieldReader {
    let path: String

    func check(_ object: [String: Any], allowed: Set<String>, prefix: String) throws {
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw BoardError.unknownField(path: path, field: prefix + key)
        }
    }

    func value(_ object: [String: Any], _ key: String, _ prefix: String) throws -> Any {
        guard let v = object[key], !(v is NSNull) else { throw BoardError.missingField(path: path, field: prefix + key) }
        return v
    }

    func string(_ object: [String: Any], _ key: String, _ prefix: String = "") throws -> String {
        guard let s = try value(object, key, prefix) as? String else {
            throw BoardError.wrongType(path: path, field: prefix + key, expected: "a string")
        }
        guard !s.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw BoardError.badValue(path: path, field: prefix + key, reason: "must not be empty")
        }
        return s
    }

    func strings(_ object: [String: Any], _ key: String, _ prefix: String = "") throws -> [String] {
        guard let a = try value(object, key, prefix) as? [Any], a.allSatisfy({ $0 is String }) else {
            throw BoardError.wrongType(path: path, field: prefix + key, expected: "an array of strings")
        }
        return a.map { $0 as! String }
    }

    func object(_ object: [String: Any], _ key: String, _ prefix: String = "") throws -> [String: Any] {
        guard let o = try value(object, key, prefix) as? [String: Any] else {
            throw BoardError.wrongType(path: path, field: prefix + key, expected: "an object")
        }
        return o
    }

    /// The largest number a board file may hold: every address and size lies in the 32-bit address space
    /// (a region's end may be exactly 2^32), and so do clocks; anything larger is a typo, not a board.
    static let maximumNumber: UInt64 = 1 << 32

    /// A byte count or address: a JSON integer, or a string "0x…", decimal, or with a K/M suffix (KiB, MiB), from
    /// 0 to 2^32. Booleans, fractions, negative numbers and larger values are refused with the field's name.
    func number(_ object: [String: Any], _ key: String, _ prefix: String = "") throws -> UInt64 {
        let v = try value(object, key, prefix)
        let field = prefix + key
        let expected = "a non-negative integer or a string like \"0x08000000\", \"256K\" or \"1M\""
        let parsed: UInt64
        if let s = v as? String {
            guard let n = Self.parseNumber(s) else {
                throw BoardError.wrongType(path: path, field: field, expected: expected + " (got \"\(s.prefix(40))\")")
            }
            parsed = n
        } else if let n = v as? NSNumber {
            // JSONSerialization gives NSNumber (Int on some platforms); `true` is an NSNumber that also casts to
            // Int 1, so booleans are told apart by their class, fractions and exponents by their C type.
            if Self.isBoolean(n) { throw BoardError.wrongType(path: path, field: field, expected: expected + " (got a boolean)") }
            if n is NSDecimalNumber { throw bad(field, "is too large (the largest allowed is \(Self.maximumNumber))") }
            let type = String(cString: n.objCType)
            guard type != "d", type != "f" else {
                throw BoardError.wrongType(path: path, field: field, expected: expected + " (got \(n); fractions and exponents are not allowed)")
            }
            if let i = v as? Int, i < 0 { throw BoardError.wrongType(path: path, field: field, expected: expected + " (got \(i))") }
            guard let u = v as? UInt64 else { throw BoardError.wrongType(path: path, field: field, expected: expected) }
            parsed = u
        } else {
            throw BoardError.wrongType(path: path, field: field, expected: expected)
        }
        guard parsed <= Self.maximumNumber else {
            throw bad(field, String(format: "is %llu (0x%llx): too large; addresses and sizes must lie in the 32-bit address space (at most 0x100000000)", parsed, parsed))
        }
        return parsed
    }

    /// Whether a JSON value is `true` or `false` (a CFBoolean), not the integer 0 or 1.
    static func isBoolean(_ n: NSNumber) -> Bool { type(of: n) == type(of: NSNumber(value: true)) }

    static func parseNumber(_ text: String) -> UInt64? {
        var s = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        if s.lowercased().hasPrefix("0x") { return UInt64(s.dropFirst(2), radix: 16) }
        var scale: UInt64 = 1
        if s.hasSuffix("K") || s.hasSuffix("k") { scale = 1024; s.removeLast() } else if s.hasSuffix("M") { scale = 1024 * 1024; s.removeLast() }
        guard let n = UInt64(s) else { return nil }
        let (r, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : r
    }

    func bad(_ field: String, _ reason: String) -> BoardError { .badValue(path: path, field: field, reason: reason) }

    mutating func board(_ root: [String: Any]) throws -> Board {
        try check(root, allowed: ["schema", "name", "description", "kind", "cpu", "fpu", "compilerFlags", "flash", "ram",
                                  "modelRegion", "ramReserve", "imageFormats", "uf2FamilyID", "flasher", "qemu", "uart"],
                  prefix: "")
        let schema = try number(root, "schema")
        guard schema == 1 else { throw bad("schema", "is \(schema); this wsc reads schema 1") }
        let name = try string(root, "name")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw bad("name", "may contain only letters, digits, '-', '_' and '.'")
        }
        let description: String
        switch root["description"] {
        case nil, is NSNull: description = ""
        case let text as String: description = text
        default: throw BoardError.wrongType(path: path, field: "description", expected: "a string")
        }
        let kindText = try string(root, "kind")
        guard let kind = Board.Kind(rawValue: kindText) else { throw bad("kind", "is '\(kindText)'; expected 'mcu' or 'host'") }
        if kind == .host {
            return Board(name: name, description: description, kind: .host, cpu: "host", fpu: "host", compilerFlags: [],
                         flash: nil, ram: nil, modelRegion: nil, ramReserve: .init(stack: 0, runtime: 0), imageFormats: [],
                         uf2FamilyID: nil, flasher: nil, qemu: nil, uart: nil, file: path)
        }
        let cpu = try string(root, "cpu")
        let fpu = try string(root, "fpu")
        let flags = try strings(root, "compilerFlags")
        guard flags.contains(where: { $0.hasPrefix("-mcpu=") }) else { throw bad("compilerFlags", "must contain -mcpu=…") }
        guard flags.contains("-mcpu=\(cpu)") else { throw bad("compilerFlags", "has no -mcpu=\(cpu) matching 'cpu'") }
        if fpu == "none" {
            if let f = flags.first(where: { $0.hasPrefix("-mfpu=") || $0 == "-mfloat-abi=hard" }) {
                throw bad("compilerFlags", "contains \(f) but 'fpu' is none")
            }
        } else if !flags.contains("-mfpu=\(fpu)") {
            throw bad("compilerFlags", "has no -mfpu=\(fpu) matching 'fpu'")
        }
        let flash = try region(root, "flash")
        let ram = try region(root, "ram")
        let m = try object(root, "modelRegion")
        try check(m, allowed: ["address", "size", "alignment", "section"], prefix: "modelRegion.")
        let alignment = try number(m, "alignment", "modelRegion.")
        guard alignment >= 4, alignment <= 65536, alignment & (alignment - 1) == 0 else {
            throw bad("modelRegion.alignment", "is \(alignment); must be a power of two from 4 to 65536")
        }
        let model = Board.ModelRegion(address: try number(m, "address", "modelRegion."), size: try number(m, "size", "modelRegion."),
                                      alignment: Int(alignment), section: try string(m, "section", "modelRegion."))
        guard model.size > 0 else { throw bad("modelRegion.size", "must be > 0") }
        guard model.address % alignment == 0 else {
            throw bad("modelRegion.address", String(format: "0x%llx is not aligned to modelRegion.alignment (%d)", model.address, model.alignment))
        }
        let modelRange = Board.Region(origin: model.address, size: model.size)
        guard flash.contains(modelRange) else {
            throw bad("modelRegion", String(format: "[0x%llx, 0x%llx) lies outside flash [0x%llx, 0x%llx)",
                                            model.address, modelRange.end, flash.origin, flash.end))
        }
        guard model.address > flash.origin else { throw bad("modelRegion.address", "must leave room for the firmware below it in flash") }
        guard model.section.hasPrefix("."), model.section.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else {
            throw bad("modelRegion.section", "must be a section name like .ws_model")
        }
        let r = try object(root, "ramReserve")
        try check(r, allowed: ["stack", "runtime"], prefix: "ramReserve.")
        let reserve = Board.RAMReserve(stack: try number(r, "stack", "ramReserve."), runtime: try number(r, "runtime", "ramReserve."))
        let (reserved, overflow) = reserve.stack.addingReportingOverflow(reserve.runtime)
        guard !overflow, reserved < ram.size else {
            throw bad("ramReserve", "(stack \(reserve.stack) + runtime \(reserve.runtime) bytes) is not smaller than the RAM (\(ram.size) bytes)")
        }
        let formats = try strings(root, "imageFormats")
        for f in formats where !Board.imageFormatNames.contains(f) {
            throw bad("imageFormats", "contains '\(f)'; known formats: \(Board.imageFormatNames.joined(separator: ", "))")
        }
        var family: UInt32?
        if root["uf2FamilyID"] != nil {
            let n = try number(root, "uf2FamilyID")
            guard n <= UInt32.max else { throw bad("uf2FamilyID", "does not fit 32 bits") }
            family = UInt32(n)
        }
        if formats.contains("uf2"), family == nil { throw BoardError.missingField(path: path, field: "uf2FamilyID") }
        var flasher: Board.Flasher?
        if root["flasher"] != nil, !(root["flasher"] is NSNull) {
            let f = try object(root, "flasher")
            try check(f, allowed: ["tool", "image", "command", "install"], prefix: "flasher.")
            let x = Board.Flasher(tool: try string(f, "tool", "flasher."), image: try string(f, "image", "flasher."),
                                  command: try strings(f, "command", "flasher."), install: try string(f, "install", "flasher."))
            guard formats.contains(x.image) else { throw bad("flasher.image", "is '\(x.image)', which is not in imageFormats") }
            guard x.command.first == x.tool else { throw bad("flasher.command", "must start with the tool '\(x.tool)'") }
            guard x.command.contains(where: { $0.contains("{image}") }) else { throw bad("flasher.command", "never uses {image}") }
            for arg in x.command {
                var rest = Substring(arg)
                while let open = rest.firstIndex(of: "{") {
                    guard let close = rest[open...].firstIndex(of: "}") else { break }
                    let key = String(rest[rest.index(after: open)..<close])
                    guard FlasherInvocation.placeholders.contains(key) else {
                        throw bad("flasher.command", "uses unknown placeholder {\(key)}; known: \(FlasherInvocation.placeholders.map { "{\($0)}" }.joined(separator: ", "))")
                    }
                    rest = rest[rest.index(after: close)...]
                }
            }
            flasher = x
        }
        var qemu: Board.QEMU?
        if root["qemu"] != nil, !(root["qemu"] is NSNull) {
            let q = try object(root, "qemu")
            try check(q, allowed: ["machine", "systickHz"], prefix: "qemu.")
            qemu = Board.QEMU(machine: try string(q, "machine", "qemu."),
                              systickHz: q["systickHz"] == nil ? nil : try number(q, "systickHz", "qemu."))
            if let hz = qemu?.systickHz, hz < 1000 {
                throw bad("qemu.systickHz", "is \(hz); must be a clock rate in Hz, at least 1000")
            }
        }
        var uart: Board.UART?
        if root["uart"] != nil, !(root["uart"] is NSNull) {
            let u = try object(root, "uart")
            try check(u, allowed: ["kind", "base", "clockHz"], prefix: "uart.")
            let x = Board.UART(kind: try string(u, "kind", "uart."), base: try number(u, "base", "uart."),
                               clockHz: try number(u, "clockHz", "uart."))
            guard Board.uartKinds.contains(x.kind) else {
                throw bad("uart.kind", "is '\(x.kind)'; known kinds: \(Board.uartKinds.joined(separator: ", ")) (for another UART write your own board_io.c, boards/README.md)")
            }
            guard x.base <= UInt32.max, x.base % 4 == 0 else {
                throw bad("uart.base", String(format: "0x%llx must be a 4-byte aligned 32-bit address", x.base))
            }
            guard x.clockHz > 0, x.clockHz <= UInt32.max else { throw bad("uart.clockHz", "must be > 0 and fit 32 bits") }
            uart = x
        }
        return Board(name: name, description: description, kind: kind, cpu: cpu, fpu: fpu, compilerFlags: flags, flash: flash,
                     ram: ram, modelRegion: model, ramReserve: reserve, imageFormats: formats, uf2FamilyID: family,
                     flasher: flasher, qemu: qemu, uart: uart, file: path)
    }

    func region(_ root: [String: Any], _ key: String) throws -> Board.Region {
        let o = try object(root, key)
        try check(o, allowed: ["origin", "size"], prefix: key + ".")
        let r = Board.Region(origin: try number(o, "origin", key + "."), size: try number(o, "size", key + "."))
        guard r.size > 0 else { throw bad(key + ".size", "must be > 0") }
        let (end, overflow) = r.origin.addingReportingOverflow(r.size)
        guard !overflow, end <= 1 << 32 else {
            throw bad(key, String(format: "(origin 0x%llx + size 0x%llx) ends beyond the 32-bit address space", r.origin, r.size))
        }
        return r
    }
}
