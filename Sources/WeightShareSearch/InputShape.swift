import Foundation

/// A shape that pins an input's dynamic dimensions: `name=d1,d2,...` on the command line (`--input-shape input=1,64`).
public struct InputShape: Sendable, Hashable, CustomStringConvertible {
    /// The graph input's name.
    public var name: String
    /// Its dimensions, each positive.
    public var dims: [Int]

    public init(name: String, dims: [Int]) {
        self.name = name
        self.dims = dims
    }

    /// Why a text is not a shape, or why a list of shapes cannot pin a model's inputs.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        /// No `=` between the name and the dimensions.
        case missingEquals(text: String)
        /// Nothing before the `=`.
        case emptyName(text: String)
        /// Nothing after the `=`.
        case noDimensions(text: String)
        /// The dimension at `position` (1-based) is not a positive integer.
        case badDimension(text: String, position: Int, value: String)
        /// Two shapes for one input.
        case duplicate(name: String, first: [Int], second: [Int])

        public var description: String {
            let expected = "expected name=d1,d2,... with positive integers"
            switch self {
            case .missingEquals: return "no '=' between the input's name and its dimensions (\(expected))"
            case .emptyName: return "the input's name before '=' is empty (\(expected))"
            case .noDimensions: return "no dimensions after '=' (\(expected))"
            case let .badDimension(_, position, value):
                return "dimension \(position) is '\(value)', not a positive integer (\(expected))"
            case let .duplicate(name, first, second):
                return "--input-shape gives input '\(name)' twice (\(InputShape(name: name, dims: first)) and \(InputShape(name: name, dims: second))); give each input once"
            }
        }
    }

    /// Parses `name=d1,d2,...`: a non-empty name, `=`, and one or more positive integers separated by commas
    /// (spaces around a dimension are ignored).
    public init(parsing text: String) throws {
        let (name, parts) = try NamedList.split(text, missingEquals: ParseError.missingEquals(text: text),
                                                emptyName: ParseError.emptyName(text: text),
                                                empty: ParseError.noDimensions(text: text))
        let dims = try parts.enumerated().map { offset, part in
            guard let d = Int(part), d > 0 else {
                throw ParseError.badDimension(text: text, position: offset + 1, value: part)
            }
            return d
        }
        self.init(name: name, dims: dims)
    }

    /// The shapes by input name, as ``SearchSettings/inputShapes`` and the lowering take them; an input given
    /// twice is an error.
    public static func table(_ shapes: [InputShape]) throws -> [String: [Int]] {
        var table: [String: [Int]] = [:]
        for shape in shapes {
            if let first = table[shape.name] {
                throw ParseError.duplicate(name: shape.name, first: first, second: shape.dims)
            }
            table[shape.name] = shape.dims
        }
        return table
    }

    /// `name=d1,d2,...`.
    public var description: String { name + "=" + dims.map(String.init).joined(separator: ",") }
}
