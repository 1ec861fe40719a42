import Foundation
import Testing
import WeightShare

/// Property test of the host readers (issue 15): mutated fixtures (byte flips, truncations, length fields
/// changed) either load or throw an ``ImportError`` (a ``LoweringError`` for ONNX models that import), never crash
/// or hang. `WS_FUZZ_CASES` cases per file (default 200; `make fuzz` runs 10,000), from fixed seeds.
@Suite struct ReaderFuzzTests {
    static var cases: Int { FuzzCases.count(default: 200) }

    /// One mutation of `bytes`: flips, a truncation, a little-endian length field set to an edge value, or a
    /// splice of a chunk elsewhere.
    static func mutate(_ original: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        var bytes = original
        switch random.below(4) {
        case 0:
            for _ in 0...random.below(4) { bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8)) }
        case 1:
            bytes.removeLast(1 + random.below(bytes.count - 1))
        case 2:
            let edges: [UInt32] = [0, 1, 0x7F, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000, 46, 0xFFFF_FFFE]
            let value = edges[random.below(edges.count)]
            let width = [1, 2, 4][random.below(3)]
            let at = random.below(bytes.count - width)
            for k in 0..<width { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
        default:
            let start = random.below(bytes.count), length = 1 + random.below(32)
            let chunk = Array(bytes[start..<min(bytes.count, start + length)])
            bytes.insert(contentsOf: chunk, at: random.below(bytes.count))
        }
        return bytes
    }

    struct Tally: CustomStringConvertible {
        var loaded = 0, refused = 0
        var description: String { "\(loaded + refused) cases: \(loaded) loaded, \(refused) refused" }
    }

    @Test("mutated .npz and .npy files load or throw ImportError",
          arguments: ["digits_small_compressed.npz", "dtypes.npz", "digits_mlp_test_ref.npz", "header_v3.npy",
                      "softmax_opset11_io.npz"])
    func numpy(file: String) throws {
        let original = [UInt8](try Data(contentsOf: FixturePaths.url(file)))
        let folder = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent(file)
        var random = SeededRandom(seed: 0x5EED_0000 &+ UInt64(file.utf8.count))
        var tally = Tally()
        let start = Date()
        for _ in 0..<Self.cases {
            try Data(Self.mutate(original, &random)).write(to: url)
            do {
                if file.hasSuffix(".npy") {
                    _ = try NumPy.readNPY(url: url)
                } else {
                    // The dataset path too (x only, limited); its refusals are ImportErrors like the archive's.
                    do {
                        _ = try Dataset.load(url: url, options: .init(labels: .ignore, limit: 5, dropNonFinite: true))
                    } catch is ImportError {}
                    _ = try NumPy.readNPZ(url: url, maxBytes: 64 << 20)
                }
                tally.loaded += 1
            } catch is ImportError {
                tally.refused += 1
            }
        }
        print("ReaderFuzz \(file): \(tally) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
    }

    @Test("mutated .onnx files import and lower, or throw ImportError / LoweringError",
          arguments: ["digits_mlp.onnx", "constant_nodes.onnx", "softmax_opset11.onnx"])
    func onnx(file: String) throws {
        let original = [UInt8](try Data(contentsOf: FixturePaths.url(file)))
        var random = SeededRandom(seed: 0x0A11_0000 &+ UInt64(file.utf8.count))
        var tally = Tally()
        let start = Date()
        for _ in 0..<Self.cases {
            let variant = Data(Self.mutate(original, &random))
            do {
                let graph = try ONNXImporter.load(serializedData: variant, modelDirectory: FixturePaths.directory,
                                                  displayName: file)
                _ = try Lowering.lower(graph, inputShapes: file == "digits_mlp.onnx" ? ["input": [1, 64]] : [:])
                tally.loaded += 1
            } catch is ImportError {
                tally.refused += 1
            } catch is LoweringError {
                tally.refused += 1
            }
        }
        print("ReaderFuzz \(file): \(tally) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
    }
}
