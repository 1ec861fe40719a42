import Foundation
import Testing
import WeightShare

/// Data files as an attacker or a careless user makes them (issue 15): ZIP bombs, members whose sizes or CRCs
/// lie, `--limit` reading only what it needs, missing labels reported before `x` is read, NaN/Inf samples and
/// labels outside the model's classes.
@Suite struct DataFileLimitsTests {
    static func temporaryNPZ(_ arrays: [NumPyArray], compressed: Bool = true) throws -> URL {
        let url = try FixturePaths.temporaryDirectory().appendingPathComponent("data.npz")
        try NumPy.writeNPZ(arrays, to: url, compressed: compressed)
        return url
    }

    /// Offset of the central directory entry of `member` in an archive's bytes.
    static func centralEntry(_ bytes: [UInt8], member: String) -> Int {
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let name = Array(member.utf8)
        for i in 0..<(bytes.count - 46 - name.count) where Array(bytes[i..<(i + 4)]) == signature {
            if Array(bytes[(i + 46)..<(i + 46 + name.count)]) == name { return i }
        }
        Issue.record("no central directory entry for \(member)")
        return 0
    }

    static func patch(_ url: URL, _ change: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        change(&bytes)
        try Data(bytes).write(to: url)
    }

    static func zeros(rows: Int, columns: Int) -> NumPyArray {
        NumPyArray(name: "x", shape: [rows, columns], floats: [Float](repeating: 0, count: rows * columns))
    }

    @Test("a member that inflates past the data bound is refused before it is inflated")
    func zipBomb() throws {
        // 16 MiB of zeros deflate to ~16 KB.
        let url = try Self.temporaryNPZ([Self.zeros(rows: 65_536, columns: 64)])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect(try Data(contentsOf: url).count < 100_000)
        let start = Date()
        #expect(throws: ImportError.dataTooLarge(path: url.path, array: "x", bytes: 16 << 20, limit: 1 << 20)) {
            try Dataset.load(url: url, options: .init(maxBytes: 1 << 20))
        }
        #expect(Date().timeIntervalSince(start) < 1)
        // Within the bound (or with --limit) it loads.
        #expect(try Dataset.load(url: url, options: .init(maxBytes: 32 << 20)).count == 65_536)
        #expect(try Dataset.load(url: url, options: .init(limit: 10, maxBytes: 1 << 20)).count == 10)
        #expect(throws: ImportError.self) { try NumPy.readNPZ(url: url, maxBytes: 1 << 20) }
    }

    @Test("a member whose declared size disagrees with its NumPy header, or that inflates past it, is refused")
    func declaredSize() throws {
        let url = try Self.temporaryNPZ([Self.zeros(rows: 1024, columns: 64)])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try Self.patch(url) { bytes in
            let entry = Self.centralEntry(bytes, member: "x.npy")
            bytes[entry + 24] = 0x80; bytes[entry + 25] = 0; bytes[entry + 26] = 0; bytes[entry + 27] = 0  // 128 bytes
        }
        do {
            _ = try Dataset.load(url: url)
            Issue.record("a member declaring 128 bytes was read")
        } catch let error as ImportError {
            #expect("\(error)".contains("128 bytes"), "\(error)")
        }
    }

    @Test("a member whose CRC-32 does not match is refused, stored or deflated")
    func crc() throws {
        for compressed in [false, true] {
            let x = NumPyArray(name: "x", shape: [4, 2], floats: (0..<8).map(Float.init))
            let url = try Self.temporaryNPZ([x], compressed: compressed)
            defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
            #expect(try Dataset.load(url: url).count == 4)
            try Self.patch(url) { bytes in bytes[Self.centralEntry(bytes, member: "x.npy") + 16] ^= 0x01 }
            do {
                _ = try Dataset.load(url: url)
                Issue.record("a wrong CRC was accepted (compressed: \(compressed))")
            } catch let error as ImportError {
                #expect("\(error)".contains("CRC-32"), "\(error)")
            }
        }
    }

    @Test("a corrupt or truncated deflate stream is an error, not a hang")
    func corruptDeflate() throws {
        let x = NumPyArray(name: "x", shape: [256, 4], floats: (0..<1024).map { Float($0 % 7) })
        let url = try Self.temporaryNPZ([x])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let original = [UInt8](try Data(contentsOf: url))
        let entry = Self.centralEntry(original, member: "x.npy")
        let compressedSize = Int(original[entry + 20]) | Int(original[entry + 21]) << 8
        for cut in [1, compressedSize / 2, compressedSize - 1] {
            try Self.patch(url) { bytes in
                bytes = original
                let size = compressedSize - cut
                bytes[entry + 20] = UInt8(size & 0xFF); bytes[entry + 21] = UInt8(size >> 8)
            }
            #expect(throws: ImportError.self) { try Dataset.load(url: url) }
        }
    }

    @Test("--limit reads only the first N samples and labels")
    func limitWhileReading() throws {
        let x = Self.zeros(rows: 65_536, columns: 64)
        let y = NumPyArray(name: "y", shape: [65_536], int64s: [Int64](repeating: 3, count: 65_536))
        let url = try Self.temporaryNPZ([x, y])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        // 5 samples fit in 4 KiB; the whole x (16 MiB) does not.
        let limited = try Dataset.load(url: url, options: .init(limit: 5, maxBytes: 4096))
        #expect(limited.count == 5 && limited.labels == [3, 3, 3, 3, 3])
        #expect(throws: ImportError.self) { try Dataset.load(url: url, options: .init(maxBytes: 4096)) }
        // The same from a .npy.
        let npy = url.deletingLastPathComponent().appendingPathComponent("x.npy")
        try NumPy.writeNPY(x, to: npy)
        #expect(try Dataset.load(url: npy, options: .init(limit: 7, maxBytes: 4096)).count == 7)
    }

    @Test("missing labels are reported before x is read")
    func labelsBeforeSamples() throws {
        let url = try Self.temporaryNPZ([Self.zeros(rows: 65_536, columns: 64)])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect(throws: ImportError.labelsMissing(path: url.path, needer: "--metric accuracy", available: ["x"])) {
            try Dataset.load(url: url, options: .init(labels: .required(needer: "--metric accuracy"), maxBytes: 1024))
        }
        let source = try ModelSource.load(FixturePaths.url("digits_mlp.onnx"), inputShapes: ["input": [1, 64]])
        #expect(throws: ImportError.self) {
            try SampleSet.load(url, for: source.lowered, metric: .accuracy, maxBytes: 1024)
        }
    }

    @Test("x of the wrong sample shape is refused before its data is inflated")
    func shapeBeforeData() throws {
        let url = try Self.temporaryNPZ([Self.zeros(rows: 65_536, columns: 63)])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let source = try ModelSource.load(FixturePaths.url("digits_mlp.onnx"), inputShapes: ["input": [1, 64]])
        #expect(throws: EvaluationError.self) {
            try SampleSet.load(url, for: source.lowered, labels: false, maxBytes: 1024)
        }
    }

    @Test("samples holding NaN or Inf are refused with their count and the first index, or dropped")
    func nonFinite() throws {
        var values = [Float](repeating: 1, count: 10 * 4)
        values[3 * 4 + 1] = .nan
        values[7 * 4] = -.infinity
        values[8 * 4 + 3] = .infinity
        let x = NumPyArray(name: "x", shape: [10, 4], floats: values)
        let y = NumPyArray(name: "y", shape: [10], int64s: (0..<10).map { Int64($0 % 4) })
        let url = try Self.temporaryNPZ([x, y])
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect(throws: ImportError.nonFiniteSamples(path: url.path, count: 3, firstIndex: 3, samples: 10)) {
            try Dataset.load(url: url)
        }
        let kept = try Dataset.load(url: url, options: .init(dropNonFinite: true))
        #expect(kept.count == 7 && kept.droppedNonFinite == 3)
        #expect(kept.labels == [0, 1, 2, 0, 1, 2, 1])
        #expect(kept.samples.allSatisfy { $0.isFinite })
        // float64 beyond float32's range becomes Inf: refused too.
        let big = NumPyArray(name: "x", shape: [2, 1], storage: .float64([1, 1e300]))
        let bigURL = try Self.temporaryNPZ([big])
        defer { try? FileManager.default.removeItem(at: bigURL.deletingLastPathComponent()) }
        #expect(throws: ImportError.nonFiniteSamples(path: bigURL.path, count: 1, firstIndex: 1, samples: 2)) {
            try Dataset.load(url: bigURL)
        }
    }

    @Test("labels outside the model's classes are refused, naming the first and its sample")
    func labelRange() throws {
        let source = try ModelSource.load(FixturePaths.url("digits_mlp.onnx"), inputShapes: ["input": [1, 64]])  // 10 outputs
        for (bad, index) in [(Int64(10), 2), (-1, 0), (1 << 40, 5)] {
            var labels: [Int64] = (0..<8).map { $0 % 10 }
            labels[index] = bad
            let x = NumPyArray(name: "x", shape: [8, 64], floats: [Float](repeating: 0.5, count: 8 * 64))
            let url = try Self.temporaryNPZ([x, NumPyArray(name: "y", shape: [8], int64s: labels)])
            defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
            #expect(throws: ImportError.labelOutOfRange(path: url.path, index: index, label: bad, classes: 10, count: 1)) {
                try SampleSet.load(url, for: source.lowered, metric: .accuracy)
            }
            // Metrics without labels never read y.
            #expect(try SampleSet.load(url, for: source.lowered, metric: .agreement).count == 8)
        }
        // Non-integer labels keep their own error.
        #expect(throws: ImportError.labelsNotIntegers(path: FixturePaths.url("digits_float_labels.npz").path,
                                                      dtype: "<f4")) {
            try SampleSet.load(FixturePaths.url("digits_float_labels.npz"), for: source.lowered, metric: .accuracy)
        }
    }

    @Test("the fixtures still load, stored and compressed")
    func fixtures() throws {
        #expect(try Dataset.load(url: FixturePaths.url("digits_val.npz")).count == 360)
        #expect(try Dataset.load(url: FixturePaths.url("digits_small_compressed.npz")).count > 0)
        #expect(try NumPy.readNPZ(url: FixturePaths.url("dtypes.npz")).count > 1)
    }
}
