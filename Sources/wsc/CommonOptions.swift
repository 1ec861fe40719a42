import ArgumentParser
import Foundation
import WeightShare

/// `--input-shape name=1,64`, repeatable: pins the dynamic dimensions of a model input.
struct InputShapeOptions: ParsableArguments {
    // The library's parser (not ExpressibleByArgument's failable init) so that a bad value's error says what is wrong.
    @Option(name: .customLong("input-shape"),
            help: ArgumentHelp("Pin an input's shape, e.g. input=1,64 (repeat for several inputs).", valueName: "name=d1,d2,..."),
            transform: InputShape.init(parsing:))
    var inputShape: [InputShape] = []
    @Option(name: .customLong("input-value"),
            help: ArgumentHelp("Pin an input to constant values, e.g. sr=16000 (repeatable): it is no longer an input of the compiled model, and shape computations and If branches that depend on it fold at compile time.", valueName: "name=v1,v2,..."),
            transform: InputValue.init(parsing:))
    var inputValue: [InputValue] = []

    func validate() throws {
        do {
            _ = try InputShape.table(inputShape)
            _ = try InputValue.table(inputValue)
        } catch { throw ValidationError("\(error)") }
    }

    /// The shapes by input name.
    func parsed() throws -> [String: [Int]] { try InputShape.table(inputShape) }

    /// The pinned values by input name.
    func values() throws -> [String: [Float]] { try InputValue.table(inputValue) }
}

/// `--feedback input=output`, repeatable: runs the samples in order, each output fed back as the next call's input.
struct FeedbackOptions: ParsableArguments {
    @Option(name: .customLong("feedback"),
            help: ArgumentHelp("Free-running: on every sample after the first, input <input> takes output <output> of the sample before (a recurrent state), instead of the data's values; samples run in order (repeatable).", valueName: "input=output"),
            transform: FeedbackPair.init(parsing:))
    var feedback: [FeedbackPair] = []
}

/// How a data file is read: `--drop-nonfinite`, `--max-data-mib`.
struct DataOptions: ParsableArguments {
    @Flag(name: .customLong("drop-nonfinite"),
          help: "Leave out samples of --data that hold NaN or ±Inf (their number is printed) instead of refusing the data.")
    var dropNonFinite = false
    @Option(name: .customLong("max-data-mib"),
            help: ArgumentHelp("Most array data read from --data, in MiB (default \(NumPy.defaultMaxDataBytes >> 20)); bounds memory against huge or maliciously compressed files. --limit N reads only N samples.", valueName: "MiB"))
    var maxDataMiB: Int?

    func validate() throws {
        if let maxDataMiB, maxDataMiB < 1 || maxDataMiB > Int.max >> 21 {
            throw ValidationError("--max-data-mib must be a positive number of MiB")
        }
    }

    /// The bound in bytes.
    var maxBytes: Int { maxDataMiB.map { $0 << 20 } ?? NumPy.defaultMaxDataBytes }

    /// Notes on stderr the samples that were left out.
    static func reportDropped(_ samples: SampleSet, data: String) {
        if samples.droppedNonFinite > 0 {
            Console.progress("left out \(samples.droppedNonFinite) samples of \(data) holding NaN or infinite values "
                             + "(--drop-nonfinite); \(samples.count) remain")
        }
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
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw ValidationError("\(option): no such file: \(path)")
    }
    guard !isDirectory.boolValue else {
        let model = url.appendingPathComponent("model.wsm")
        let hint = FileManager.default.fileExists(atPath: model.path)
            ? " (a compile output: its model is \(model.path))" : ""
        throw ValidationError("\(option): \(path) is a folder, not a file\(hint)")
    }
    return url.standardizedFileURL
}

/// The folder of a compile output given as the folder or as its model.wsm.
func compiledFolder(_ path: String) -> URL {
    let url = URL(fileURLWithPath: path)
    return url.pathExtension == "wsm" ? url.deletingLastPathComponent() : url
}
