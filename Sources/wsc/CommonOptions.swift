import ArgumentParser
import Foundation
import WeightShare

/// `--input-shape name=1,64`, repeatable: pins the dynamic dimensions of a model input.
struct InputShapeOptions: ParsableArguments {
    @Option(name: .customLong("input-shape"),
            help: ArgumentHelp("Pin an input's shape, e.g. input=1,64 (repeat for several inputs).", valueName: "name=d1,d2,..."))
    var inputShape: [String] = []

    func parsed() throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for text in inputShape {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError(RunError.badInputShape(text).description) }
            let dims = parts[1].split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !dims.isEmpty, dims.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw ValidationError(RunError.badInputShape(text).description)
            }
            shapes[parts[0]] = dims.map { $0! }
        }
        return shapes
    }
}

/// `--json`: machine-readable output on stdout (progress still goes to stderr).
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the result as JSON (stable keys, see README).")
    var json = false
}

enum Console {
    /// Progress and notes go to stderr, so stdout holds only the result.
    static func progress(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// A plain text table with right-aligned columns.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { String(repeating: " ", count: widths[$0.offset] - $0.element.count) + $0.element }
                .joined(separator: "  ")
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line))
            .joined(separator: "\n")
    }

    static func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
}

/// Checks that a file given on the command line exists, naming the option.
func requireFile(_ path: String, option: String) throws -> URL {
    let url = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
        throw ValidationError("\(option): no such file: \(path)")
    }
    return url.standardizedFileURL
}

/// The value of the enumerated option `option`, or an error that lists the accepted values.
func choice<T: RawRepresentable & CaseIterable>(_ value: String, option: String) throws -> T where T.RawValue == String {
    if let chosen = T(rawValue: value) { return chosen }
    let names = T.allCases.map(\.rawValue)
    let accepted = names.count == 2 ? "\(names[0]) or \(names[1])" : "one of " + names.joined(separator: ", ")
    throw ValidationError("\(option) must be \(accepted), not '\(value)'")
}
