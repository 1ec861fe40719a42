import Foundation
import WeightShareImport

/// The files of one search run: run.json (settings), checkpoint.json (NSGA-II state after the last completed
/// generation), pareto.json / pareto.csv / pareto.svg (the front). Every file is written atomically (temporary
/// file, then rename), so a killed run never leaves half a file.
public struct RunDirectory: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    public var runFile: URL { url.appendingPathComponent("run.json") }
    public var checkpoint: URL { url.appendingPathComponent("checkpoint.json") }
    public var paretoJSON: URL { url.appendingPathComponent("pareto.json") }
    public var paretoCSV: URL { url.appendingPathComponent("pareto.csv") }
    public var paretoSVG: URL { url.appendingPathComponent("pareto.svg") }

    public func readRun() throws -> RunFile {
        guard FileManager.default.fileExists(atPath: runFile.path) else { throw RunError.notARun(path: url.path) }
        return try Self.decode(RunFile.self, from: runFile)
    }

    public func readReport() throws -> ParetoReport {
        guard FileManager.default.fileExists(atPath: paretoJSON.path) else {
            if FileManager.default.fileExists(atPath: runFile.path) {
                throw RunError.corrupt(file: paretoJSON.path, reason: "missing: the search has not finished (resume it with 'wsc search ... --resume')")
            }
            throw RunError.notARun(path: url.path)
        }
        return try Self.decode(ParetoReport.self, from: paretoJSON)
    }

    public func write(_ report: ParetoReport) throws {
        try Self.writeAtomically(try Self.encode(report), to: paretoJSON)
        try Self.writeAtomically(Data(ParetoExport.csv(report).utf8), to: paretoCSV)
        try Self.writeAtomically(Data(ParetoExport.svg(report).utf8), to: paretoSVG)
    }

    static func decode<T: Decodable>(_ type: T.Type, from file: URL) throws -> T {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw RunError.corrupt(file: file.path, reason: "it cannot be read (\((error as NSError).localizedDescription))")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw RunError.corrupt(file: file.path, reason: "\(error)")
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(value)
    }

    /// One line, no spaces: for JSON stored inside a container, where every byte is flash.
    static func encodeCompact<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    /// Writes through a temporary file in the same folder and renames it over the target; a failure throws a
    /// ``FileWriteError`` naming the path and the cause, and leaves no temporary file.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        try FileOutput.writeAtomically(data, to: url)
    }
}
