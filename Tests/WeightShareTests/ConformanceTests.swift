import Foundation
import Testing
import WeightShareReader
import WeightShare
@testable import WeightShareCore
@testable import WeightShareImport
@testable import WeightShareGraph
@testable import WeightShareContainer
@testable import WeightShareNSGA2
@testable import WeightShareVerify

/// ONNX's own backend test cases (Debian's `libonnx-testdata`: `node/` and `pytorch-converted/`), run through
/// import → lowering → raw container → C runtime and compared with the expected outputs.
///
/// A case is *applicable* when every node's op type is one lowering supports (``Lowering/supportedOperators``,
/// read at run time, plus `Constant`, which the importer folds). For each of its `test_data_set_N` folders the
/// first graph input stays the runtime input (its shape pinned to `input_0.pb`'s); every other graph input becomes
/// a constant initializer from its `input_i.pb`, so weights are constants as in a deployed model. A case is
/// *skipped* (with the reason) when it hits a known limitation: the importer rejects a tensor type, the first
/// input is not float32, or lowering refuses the graph with a ``LoweringError`` (dynamic shapes, int64 data,
/// unsupported attribute values, ...). Everything else must match within |a − b| ≤ 1e-4·(1 + |b|).
///
/// The per-op table goes to stdout and, as JSON, to `.build/conformance.json`.
enum Conformance {
    /// Suites of the ONNX test data that are run.
    static let suites = ["node", "pytorch-converted"]

    /// Where Debian (and pip's onnx) put the data; `ONNX_TESTDATA` overrides.
    static var dataRoot: URL? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["ONNX_TESTDATA"], !env.isEmpty { candidates.append(env) }
        candidates += ["/usr/share/libonnx-testdata/data", "/usr/include/onnx/backend/test/data",
                       "/usr/lib/python3/dist-packages/onnx/backend/test/data"]
        for path in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/node", isDirectory: &isDirectory), isDirectory.boolValue {
                return URL(fileURLWithPath: path, isDirectory: true)
            }
        }
        return nil
    }

    /// `<package root>/.build/conformance.json`.
    static let reportURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build", isDirectory: true).appendingPathComponent("conformance.json")

    static let tolerance = 1e-4

    enum Status: String, Codable { case passed, failed, skipped }

    struct CaseResult: Codable {
        var suite: String
        var name: String
        var ops: [String]
        var status: Status
        var reason: String?
        /// Largest |a − b| over every output of every data set that ran.
        var maxAbsDiff: Double?
        var dataSets: Int

        enum CodingKeys: String, CodingKey {
            case suite, name, ops, status, reason
            case maxAbsDiff = "max_abs_diff"
            case dataSets = "data_sets"
        }
    }

    /// Thrown inside a case: skip (known limitation) or fail.
    enum Outcome: Error {
        case skip(String)
        case fail(String)
    }

    /// The op types a case is counted under: its distinct op types without `Constant` (unless that is all).
    static func countedOps(_ ops: [String]) -> [String] {
        let distinct = Array(Set(ops)).sorted()
        let withoutConstant = distinct.filter { $0 != "Constant" }
        return withoutConstant.isEmpty ? distinct : withoutConstant
    }

    /// Runs every applicable case in `suite` folders under `root`. Not applicable cases are returned by op type.
    static func runAll(root: URL, supported: Set<String>) -> (results: [CaseResult], notApplicable: [String: Int]) {
        var results: [CaseResult] = []
        var notApplicable: [String: Int] = [:]
        for suite in suites {
            let folder = root.appendingPathComponent(suite, isDirectory: true)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            for name in names {
                let directory = folder.appendingPathComponent(name, isDirectory: true)
                let modelURL = directory.appendingPathComponent("model.onnx")
                guard let data = try? Data(contentsOf: modelURL) else { continue }
                guard let proto = try? Onnx_ModelProto(serializedBytes: data) else {
                    notApplicable["(undecodable)", default: 0] += 1
                    continue
                }
                let ops = proto.graph.node.map { n in
                    isDefaultOperatorDomain(n.domain) ? n.opType : "\(n.domain).\(n.opType)"
                }
                let unsupported = Set(ops).subtracting(supported).subtracting(["Constant"])
                guard unsupported.isEmpty else {
                    for op in unsupported { notApplicable[op, default: 0] += 1 }
                    continue
                }
                results.append(runCase(suite: suite, name: name, directory: directory, ops: countedOps(ops)))
            }
        }
        return (results, notApplicable)
    }

    static func runCase(suite: String, name: String, directory: URL, ops: [String]) -> CaseResult {
        var result = CaseResult(suite: suite, name: name, ops: ops, status: .passed, reason: nil, maxAbsDiff: nil,
                                dataSets: 0)
        let sets = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasPrefix("test_data_set_") }
            .sorted { (Int($0.dropFirst("test_data_set_".count)) ?? 0) < (Int($1.dropFirst("test_data_set_".count)) ?? 0) }
        do {
            guard !sets.isEmpty else { throw Outcome.skip("no test_data_set_N folder") }
            let graph: Graph
            do {
                graph = try ONNXImporter.load(url: directory.appendingPathComponent("model.onnx"))
            } catch {
                throw Outcome.skip("import: \(error)")
            }
            for set in sets {
                let diff = try runDataSet(graph: graph, directory: directory.appendingPathComponent(set))
                result.maxAbsDiff = max(result.maxAbsDiff ?? 0, diff)
                result.dataSets += 1
            }
        } catch Outcome.skip(let reason) {
            result.status = .skipped
            result.reason = reason
        } catch Outcome.fail(let reason) {
            result.status = .failed
            result.reason = reason
        } catch {
            result.status = .failed
            result.reason = "\(error)"
        }
        return result
    }

    /// `<prefix>_0.pb`, `<prefix>_1.pb`, ... in a data set folder.
    static func tensors(_ prefix: String, in directory: URL) throws -> [Onnx_TensorProto] {
        var result: [Onnx_TensorProto] = []
        while true {
            let url = directory.appendingPathComponent("\(prefix)_\(result.count).pb")
            guard let data = try? Data(contentsOf: url) else { break }
            do {
                result.append(try Onnx_TensorProto(serializedBytes: data))
            } catch {
                throw Outcome.fail("\(url.lastPathComponent) does not decode as a TensorProto: \(error)")
            }
        }
        return result
    }

    static func typeName(_ t: Onnx_TensorProto) -> String {
        ONNXTensorDecoder.typeName(Onnx_TensorProto.DataType(rawValue: Int(t.dataType)), raw: t.dataType)
    }

    /// Runs one data set; returns the largest absolute difference.
    static func runDataSet(graph original: Graph, directory: URL) throws -> Double {
        let inputs = try tensors("input", in: directory)
        let outputs = try tensors("output", in: directory)
        let decoder = ONNXTensorDecoder(modelDirectory: nil)
        var graph = original
        guard inputs.count == graph.inputs.count else {
            throw Outcome.skip("the data set has \(inputs.count) inputs, the graph \(graph.inputs.count) "
                               + "(optional inputs left out)")
        }
        var pinned: [String: [Int]] = [:]
        var runtimeInput: [Float]? = nil
        for (i, (info, proto)) in zip(graph.inputs, inputs).enumerated() {
            let tensor: ConstantTensor
            do {
                tensor = try decoder.decode(proto, name: info.name)
            } catch {
                throw Outcome.skip("input_\(i).pb (\(info.name)): \(error)")
            }
            if i == 0 {
                guard Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)) == .float else {
                    throw Outcome.skip("the first input '\(info.name)' is \(typeName(proto)), not float32")
                }
                pinned[info.name] = tensor.shape
                runtimeInput = tensor.floats
            } else {
                graph.initializers[info.name] = tensor
            }
        }
        graph.inputs = Array(graph.inputs.prefix(1))

        let lowered: LoweredModel
        do {
            lowered = try Lowering.lower(graph, inputShapes: pinned)
        } catch let error as LoweringError {
            throw Outcome.skip("lowering: \(error)")
        }
        let bytes: [UInt8]
        do {
            bytes = try PreparedModel(lowered: lowered).container(quantization: nil)
        } catch {
            throw Outcome.fail("container: \(error)")
        }
        let model: WSMModel
        do {
            model = try WSMModel(bytes: bytes)
        } catch {
            throw Outcome.fail("the runtime rejects the container: \(error)")
        }
        let actual: [[Float]]
        do {
            actual = try model.run(runtimeInput.map { [$0] } ?? [])
        } catch {
            throw Outcome.fail("inference: \(error)")
        }
        guard actual.count == outputs.count else {
            throw Outcome.fail("\(actual.count) outputs, expected \(outputs.count)")
        }
        var worst = 0.0
        for (o, (values, proto)) in zip(actual, outputs).enumerated() {
            let expected: ConstantTensor
            do {
                expected = try decoder.decode(proto, name: "output_\(o)")
            } catch {
                throw Outcome.skip("output_\(o).pb: \(error)")
            }
            guard case .float(let reference) = expected.storage else {
                throw Outcome.skip("output \(o) is \(typeName(proto)), not float")
            }
            let shape = lowered.tensors[lowered.outputs[o]].shape
            guard shape == expected.shape else {
                throw Outcome.fail("output \(o) has shape \(shape), expected \(expected.shape)")
            }
            guard values.count == reference.count else {
                throw Outcome.fail("output \(o) has \(values.count) values, expected \(reference.count)")
            }
            for (k, (a, b)) in zip(values, reference).enumerated() {
                if b.isNaN {
                    guard a.isNaN else { throw Outcome.fail("output \(o)[\(k)] = \(a), expected NaN") }
                    continue
                }
                if b.isInfinite {
                    guard a == b else { throw Outcome.fail("output \(o)[\(k)] = \(a), expected \(b)") }
                    continue
                }
                let diff = Double(a) - Double(b)
                guard !diff.isNaN else { throw Outcome.fail("output \(o)[\(k)] = \(a), expected \(b)") }
                worst = max(worst, abs(diff))
                if abs(diff) > tolerance * (1 + abs(Double(b))) {
                    var largest = 0.0
                    for (x, y) in zip(values, reference) where y.isFinite { largest = max(largest, abs(Double(x) - Double(y))) }
                    throw Outcome.fail("output \(o)[\(k)] = \(a), expected \(b); max abs diff \(largest) "
                                       + "(\(directory.lastPathComponent))")
                }
            }
        }
        return worst
    }

    struct OpRow: Codable {
        var op: String
        var run = 0
        var passed = 0
        var failed = 0
        var skipped = 0
        var skips: [String: String] = [:]
        var failures: [String: String] = [:]
    }

    static func table(_ results: [CaseResult]) -> [OpRow] {
        var rows: [String: OpRow] = [:]
        for r in results {
            for op in r.ops {
                var row = rows[op] ?? OpRow(op: op)
                switch r.status {
                case .passed: row.run += 1; row.passed += 1
                case .failed: row.run += 1; row.failed += 1; row.failures["\(r.suite)/\(r.name)"] = r.reason ?? ""
                case .skipped: row.skipped += 1; row.skips["\(r.suite)/\(r.name)"] = r.reason ?? ""
                }
                rows[op] = row
            }
        }
        return rows.values.sorted { $0.op < $1.op }
    }

    static func render(_ rows: [OpRow], results: [CaseResult]) -> String {
        var lines = ["ONNX conformance (libonnx-testdata \(suites.joined(separator: ", "))): cases per op type",
                     "op".padding(toLength: 22, withPad: " ", startingAt: 0) + "   run  passed  failed  skipped"]
        for row in rows {
            lines.append(row.op.padding(toLength: 22, withPad: " ", startingAt: 0)
                         + String(format: " %5d  %6d  %6d  %7d", row.run, row.passed, row.failed, row.skipped))
        }
        let run = results.filter { $0.status != .skipped }
        lines.append("cases: \(results.count) applicable, \(run.count) run, "
                     + "\(results.filter { $0.status == .passed }.count) passed, "
                     + "\(results.filter { $0.status == .failed }.count) failed, "
                     + "\(results.filter { $0.status == .skipped }.count) skipped")
        for r in results where r.status == .skipped {
            lines.append("  skipped \(r.suite)/\(r.name): \(r.reason ?? "")")
        }
        for r in results where r.status == .failed {
            lines.append("  FAILED  \(r.suite)/\(r.name): \(r.reason ?? "")")
        }
        return lines.joined(separator: "\n")
    }

    struct Report: Codable {
        var testdata: String
        var suites: [String]
        var tolerance: String
        var supportedOperators: [String]
        var summary: [String: Int]
        var operators: [OpRow]
        /// Cases left out because they use an op lowering does not support, by that op.
        var notApplicableByOp: [String: Int]
        var cases: [CaseResult]

        enum CodingKeys: String, CodingKey {
            case testdata, suites, tolerance, summary, operators, cases
            case supportedOperators = "supported_operators"
            case notApplicableByOp = "not_applicable_by_op"
        }
    }
}

@Suite("ONNX conformance (libonnx-testdata)")
struct ConformanceTests {
    @Test("every applicable node/ and pytorch-converted/ case matches within 1e-4 through the C runtime")
    func conformance() throws {
        guard let root = Conformance.dataRoot else {
            let message = "ONNX backend test data not found (looked in /usr/share/libonnx-testdata/data and "
                + "$ONNX_TESTDATA): install libonnx-testdata (make deps)"
            Issue.record(Comment(rawValue: message))
            return
        }
        let supported = Set(Lowering.supportedOperators)
        let (results, notApplicable) = Conformance.runAll(root: root, supported: supported)
        let rows = Conformance.table(results)
        print(Conformance.render(rows, results: results))

        let report = Conformance.Report(
            testdata: root.path, suites: Conformance.suites, tolerance: "|a - b| <= 1e-4 * (1 + |b|)",
            supportedOperators: supported.sorted(),
            summary: ["applicable": results.count,
                      "run": results.filter { $0.status != .skipped }.count,
                      "passed": results.filter { $0.status == .passed }.count,
                      "failed": results.filter { $0.status == .failed }.count,
                      "skipped": results.filter { $0.status == .skipped }.count],
            operators: rows, notApplicableByOp: notApplicable, cases: results)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(at: Conformance.reportURL.deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        try encoder.encode(report).write(to: Conformance.reportURL)
        print("wrote \(Conformance.reportURL.path)")

        #expect(!results.isEmpty, "no applicable case found under \(root.path)")
        for r in results where r.status == .failed {
            Issue.record("\(r.suite)/\(r.name) [\(r.ops.joined(separator: ", "))]: \(r.reason ?? "")")
        }
    }
}
