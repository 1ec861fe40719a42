/// A constant for a model input: `name=v1,v2,...` on the command line (`--input-value sr=16000`). The input is then
/// no longer an input of the compiled model; what depends only on it (shape arithmetic, `If` branches) folds.
public struct InputValue: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var values: [Float]

    public init(name: String, values: [Float]) {
        self.name = name
        self.values = values
    }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case missingEquals(text: String)
        case emptyName(text: String)
        case noValues(text: String)
        /// The value at `position` (1-based) is not a finite number.
        case badValue(text: String, position: Int, value: String)
        case duplicate(name: String)

        public var description: String {
            let expected = "expected name=v1,v2,... with finite numbers"
            switch self {
            case .missingEquals: return "no '=' between the input's name and its value (\(expected))"
            case .emptyName: return "the input's name before '=' is empty (\(expected))"
            case .noValues: return "no value after '=' (\(expected))"
            case let .badValue(_, position, value):
                return "value \(position) is '\(value)', not a finite number (\(expected))"
            case let .duplicate(name): return "--input-value gives input '\(name)' twice; give each input once"
            }
        }
    }

    /// Parses `name=v1,v2,...` (spaces around a value are ignored).
    public init(parsing text: String) throws {
        let (name, parts) = try NamedList.split(text, missingEquals: ParseError.missingEquals(text: text),
                                                emptyName: ParseError.emptyName(text: text),
                                                empty: ParseError.noValues(text: text))
        let values = try parts.enumerated().map { offset, part in
            guard let v = Float(part), v.isFinite else {
                throw ParseError.badValue(text: text, position: offset + 1, value: part)
            }
            return v
        }
        self.init(name: name, values: values)
    }

    /// The values by input name; an input given twice is an error.
    public static func table(_ values: [InputValue]) throws -> [String: [Float]] {
        var table: [String: [Float]] = [:]
        for value in values {
            guard table[value.name] == nil else { throw ParseError.duplicate(name: value.name) }
            table[value.name] = value.values
        }
        return table
    }

    public var description: String {
        name + "=" + values.map { $0 == $0.rounded() && abs($0) < 1e9 ? String(Int($0)) : "\($0)" }
            .joined(separator: ",")
    }
}

/// The `name=a,b,...` form of `--input-shape` and `--input-value`: the name before the first `=` and the
/// comma-separated items after it, each trimmed of spaces; each caller turns the items into its own values.
enum NamedList {
    static func split(_ text: String, missingEquals: some Error, emptyName: some Error,
                      empty: some Error) throws -> (name: String, items: [String]) {
        guard let equals = text.firstIndex(of: "=") else { throw missingEquals }
        let name = String(text[..<equals])
        let list = text[text.index(after: equals)...]
        guard !name.isEmpty else { throw emptyName }
        guard !list.isEmpty else { throw empty }
        return (name, list.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) })
    }
}

/// `--feedback input=output`: in a free-running run, the model's output `output` of one call becomes its input
/// `input` of the next (a recurrent state).
public struct FeedbackPair: Sendable, Hashable, CustomStringConvertible {
    public var input: String
    public var output: String

    public init(input: String, output: String) {
        self.input = input
        self.output = output
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var text: String
        public var description: String {
            "'\(text)' is not input=output (the input that takes, on each call after the first, the output of the "
                + "call before)"
        }
    }

    public init(parsing text: String) throws {
        let parts = text.split(separator: "=", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw ParseError(text: text) }
        self.init(input: String(parts[0]), output: String(parts[1]))
    }

    public var description: String { input + "=" + output }
}
