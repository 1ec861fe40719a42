/// The header of a `.npy` file: a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (360, 64), }`.
struct NumPyHeader: Equatable {
    /// The dtype as written (`<f4`), or a rendering of a structured dtype's list.
    var descr: String
    /// False when `descr` is not a plain string (a structured dtype).
    var descrIsPlain: Bool
    var fortranOrder: Bool
    var shape: [Int]

    /// A Python literal, as far as `.npy` headers use them.
    indirect enum Literal: Equatable {
        case string(String)
        case integer(Int)
        case boolean(Bool)
        case none
        case tuple([Literal])
        case list([Literal])
        case dict([(String, Literal)])

        static func == (a: Literal, b: Literal) -> Bool { a.rendered == b.rendered }

        var rendered: String {
            switch self {
            case .string(let s): return "'\(s)'"
            case .integer(let i): return String(i)
            case .boolean(let b): return b ? "True" : "False"
            case .none: return "None"
            case .tuple(let items): return "(" + items.map(\.rendered).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
            case .list(let items): return "[" + items.map(\.rendered).joined(separator: ", ") + "]"
            case .dict(let items): return "{" + items.map { "'\($0.0)': \($0.1.rendered)" }.joined(separator: ", ") + "}"
            }
        }
    }

    struct ParseError: Error {
        var reason: String
    }

    /// Parses the header text; throws ``ParseError`` with a reason.
    static func parse(_ text: String) throws -> NumPyHeader {
        var parser = Parser(Array(text.unicodeScalars))
        let value = try parser.value()
        parser.skipSpace()
        guard parser.atEnd else { throw ParseError(reason: "unexpected text after the header dict") }
        guard case .dict(let items) = value else { throw ParseError(reason: "the header is not a dict") }
        func item(_ key: String) throws -> Literal {
            guard let entry = items.first(where: { $0.0 == key }) else {
                throw ParseError(reason: "the header has no '\(key)'")
            }
            return entry.1
        }
        let descr: String
        let plain: Bool
        switch try item("descr") {
        case .string(let s): (descr, plain) = (s, true)
        case let other: (descr, plain) = (other.rendered, false)
        }
        guard case .boolean(let fortran) = try item("fortran_order") else {
            throw ParseError(reason: "'fortran_order' is not True or False")
        }
        guard case .tuple(let dims) = try item("shape") else {
            throw ParseError(reason: "'shape' is not a tuple")
        }
        let shape = try dims.map { dim -> Int in
            guard case .integer(let n) = dim, n >= 0 else {
                throw ParseError(reason: "'shape' holds \(dim.rendered), not a non-negative integer")
            }
            return n
        }
        return NumPyHeader(descr: descr, descrIsPlain: plain, fortranOrder: fortran, shape: shape)
    }

    /// The header text NumPy writes for this header (before padding).
    var text: String {
        let shapeText = Literal.tuple(shape.map { .integer($0) }).rendered
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        // NumPy leaves room to grow the first axis in place (GROWTH_AXIS_MAX_DIGITS = 21).
        if let first = shape.first {
            header += String(repeating: " ", count: max(0, 21 - String(first).count))
        }
        return header
    }

    private struct Parser {
        let chars: [Unicode.Scalar]
        var i = 0

        init(_ chars: [Unicode.Scalar]) { self.chars = chars }

        var atEnd: Bool { i >= chars.count }

        mutating func skipSpace() {
            while i < chars.count, chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || chars[i] == "\r" {
                i += 1
            }
        }

        mutating func expect(_ c: Unicode.Scalar) throws {
            skipSpace()
            guard i < chars.count, chars[i] == c else {
                throw ParseError(reason: "expected '\(c)' at character \(i)")
            }
            i += 1
        }

        /// True (and consumes it) if the next non-space character is `c`.
        mutating func take(_ c: Unicode.Scalar) -> Bool {
            skipSpace()
            if i < chars.count, chars[i] == c { i += 1; return true }
            return false
        }

        mutating func value(depth: Int = 0) throws -> Literal {
            guard depth < 16 else { throw ParseError(reason: "the header nests too deeply") }
            skipSpace()
            guard i < chars.count else { throw ParseError(reason: "the header ends early") }
            let c = chars[i]
            switch c {
            case "'", "\"":
                return .string(try string())
            case "{":
                i += 1
                var items: [(String, Literal)] = []
                while !take("}") {
                    skipSpace()
                    let key = try string()
                    try expect(":")
                    items.append((key, try value(depth: depth + 1)))
                    if !take(",") { try expect("}"); break }
                }
                return .dict(items)
            case "(", "[":
                i += 1
                let close: Unicode.Scalar = c == "(" ? ")" : "]"
                var items: [Literal] = []
                while !take(close) {
                    items.append(try value(depth: depth + 1))
                    if !take(",") { try expect(close); break }
                }
                return c == "(" ? .tuple(items) : .list(items)
            default:
                var word = ""
                while i < chars.count, chars[i].properties.isAlphabetic || ("0"..."9").contains(chars[i])
                    || chars[i] == "-" || chars[i] == "_" {
                    word.unicodeScalars.append(chars[i])
                    i += 1
                }
                switch word {
                case "True": return .boolean(true)
                case "False": return .boolean(false)
                case "None": return .none
                default:
                    // Python 2 wrote longs as 3L.
                    let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
                    guard let n = Int(digits) else {
                        throw ParseError(reason: word.isEmpty ? "unexpected '\(c)' at character \(i)"
                                                              : "unexpected '\(word)'")
                    }
                    return .integer(n)
                }
            }
        }

        mutating func string() throws -> String {
            guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else {
                throw ParseError(reason: "expected a string at character \(i)")
            }
            let quote = chars[i]
            i += 1
            var s = ""
            while i < chars.count, chars[i] != quote {
                if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                s.unicodeScalars.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw ParseError(reason: "a string is not closed") }
            i += 1
            return s
        }
    }
}
