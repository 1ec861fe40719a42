import Foundation
import Testing
import WeightShare

/// Untrusted input: truncated and corrupted model and NumPy files give an ``ImportError`` (or a
/// ``LoweringError`` when lowered), never a crash or another kind of error.
@Suite struct ImportRobustnessTests {
    /// A small deterministic generator (64-bit LCG), so failures reproduce.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    /// Truncations (every `stride`-th length), then `count` corruptions of 1–3 bytes each.
    static func variants(of data: Data, count: Int, seed: UInt64, stride step: Int = 1) -> [Data] {
        var result = stride(from: 0, to: data.count, by: step).map { data.prefix($0) }
        var random = Generator(state: seed)
        let bytes = [UInt8](data)
        for _ in 0..<count {
            var copy = bytes
            for _ in 0...random.next(3) { copy[random.next(copy.count)] = UInt8(random.next(256)) }
            result.append(Data(copy))
        }
        return result
    }

    @Test(arguments: ["constant_nodes.onnx", "external_data.onnx", "softmax_opset11.onnx"])
    func corruptedModels(file: String) throws {
        let data = try Data(contentsOf: FixturePaths.url(file))
        var imported = 0, lowered = 0
        for variant in Self.variants(of: data, count: 1500, seed: 7) {
            let graph: Graph
            do {
                graph = try ONNXImporter.load(serializedData: variant, modelDirectory: FixturePaths.directory,
                                              displayName: file)
                imported += 1
            } catch is ImportError {
                continue
            }
            do {
                _ = try Lowering.lower(graph)
                lowered += 1
            } catch is LoweringError {
            }
        }
        // Some corruptions hit values only (weights), and those models still import and lower.
        #expect(imported > 0 && lowered > 0)
    }

    @Test(arguments: ["header_v1.npy", "header_v3.npy"])
    func corruptedNPY(file: String) throws {
        let data = try Data(contentsOf: FixturePaths.url(file))
        for variant in Self.variants(of: data, count: 1500, seed: 11) {
            do {
                _ = try NumPy.decodeNPY(variant, name: "v")
            } catch is ImportError {
            }
        }
    }

    @Test func corruptedNPZ() throws {
        let data = try Data(contentsOf: FixturePaths.url("dtypes.npz"))
        // Each variant goes through a temporary file (see NumPy.decodeNPZ), so fewer of them.
        for variant in Self.variants(of: data, count: 300, seed: 13, stride: 5) {
            do {
                _ = try NumPy.decodeNPZ(variant, path: "dtypes.npz")
            } catch is ImportError {
            }
        }
    }
}
