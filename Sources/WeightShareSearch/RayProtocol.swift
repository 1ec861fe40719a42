import Foundation
import WeightShareCompress

/// The JSON-lines protocol of the Ray executor (python/src/weightshare/ray_bridge.py is the other end).
///
/// `wsc` ↔ bridge: the bridge is started with a ``RayJob`` file and answers one line: `{"ready": RayReady}` or
/// `{"error": "…"}`; then for each line `{"candidates": [line]}` (each a ``WorkerRequest`` line) it answers
/// `{"results": [line], "retries": n}` — each result the verbatim reply line of a `wsc worker` — or `{"error": "…"}`.
/// The bridge never parses a request, a reply or a hello: no number passes through Python. End of its input ends it
/// (and its workers).
///
/// bridge ↔ `wsc worker` (one per Ray actor): the worker's first line is `{"ready": WorkerHello}` or
/// `{"error": "…"}`; then for each line `{"genes": EncodingGenes}` one line ``WorkerReply``.
public enum RayProtocol {
    /// Bumped when a message changes; the bridge refuses a job of another version.
    public static let version = 1

    /// Scores may be NaN or infinite (a failed candidate): written as strings, read back exactly.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf",
                                                                      negativeInfinity: "-inf", nan: "nan")
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf",
                                                                        negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// One JSON line (no newline inside: JSONEncoder escapes them in strings).
    public static func line<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, line: String) throws -> T {
        try decoder().decode(type, from: Data(line.utf8))
    }
}

/// What the bridge needs to start the workers: the run's settings, the files to ship through the object store
/// (by the settings key whose path each replaces on the workers), and how to run the worker.
public struct RayJob: Codable, Sendable {
    public var `protocol`: Int
    public var toolVersion: String
    public var settings: SearchSettings
    /// Settings key (`model`, `data`, `selectData`) → the file's path here.
    public var files: [String: String]
    /// The `wsc` every worker runs (`wsc worker`), as a path on the worker nodes.
    public var wsc: String
    /// Actors to start; nil: one per CPU of the cluster.
    public var workers: Int?
    /// Threads each worker's evaluation uses (one per CPU its actor holds).
    public var threads: Int
}

/// The bridge's ready line: how many workers started where, and what each measured of the float model (the
/// executor refuses workers whose evaluator differs from its own).
public struct RayReady: Codable, Sendable {
    public var workers: Int
    public var nodes: Int
    /// Bytes put into the object store once (the model and the data files).
    public var shippedBytes: Int
    /// Each worker's first line (`{"ready": WorkerHello}`), verbatim.
    public var hellos: [String]
}

/// A `wsc worker`'s first line.
public struct WorkerHello: Codable, Sendable, Equatable {
    public var toolVersion: String
    public var floatScore: Double
    public var samples: Int
}

public struct WorkerRequest: Codable, Sendable {
    public var genes: EncodingGenes
}

/// The score of one candidate, or the error its evaluation threw (the same error a local search stops with).
public struct WorkerReply: Codable, Sendable {
    public var score: Double?
    public var error: String?
}

/// A line that is either `{"ready": T}` or `{"error": "…"}`.
struct ReadyOrError<T: Codable>: Codable {
    var ready: T?
    var error: String?
}

struct CandidatesLine: Codable {
    /// ``WorkerRequest`` lines, passed on as they are.
    var candidates: [String]
}

struct ResultsLine: Codable {
    var results: [String]?
    var retries: Int?
    var error: String?
}
