import Foundation
import Testing
import WeightShare
@testable import WeightShareImport

@Suite struct NumPyTests {
    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("ws-numpy-\(UUID())-\(name)")
    }

    /// One array of every dtype, with awkward values.
    static let samples: [NumPyArray] = [
        NumPyArray(name: "f4", shape: [2, 3], storage: .float32([1.5, -2.25, 3, 0, 1e-3, -.infinity])),
        NumPyArray(name: "f8", shape: [3], storage: .float64([1.0 / 3.0, -2.5, 1e300])),
        NumPyArray(name: "i8", shape: [2, 2], storage: .int64([-(1 << 40), 0, 7, 1 << 62])),
        NumPyArray(name: "i4", shape: [3], storage: .int32([.min, 5, .max])),
        NumPyArray(name: "u1", shape: [3, 1], storage: .uint8([0, 7, 255])),
        NumPyArray(name: "b1", shape: [3], storage: .bool([true, false, true])),
        NumPyArray(name: "scalar", shape: [], storage: .float32([4.5])),
        NumPyArray(name: "empty", shape: [0, 3], storage: .int64([])),
    ]

    @Test(arguments: ["header_v1.npy", "header_v2.npy"])
    func readsFormatVersions(file: String) throws {
        let array = try NumPy.readNPY(url: FixturePaths.url(file))
        #expect(array.shape == [3, 2])
        #expect(array.dtype == .float32)
        #expect(array.storage == .float32([0, 1, 2, 3, 4, 5]))
    }

    @Test func readsFormatVersion3() throws {
        let array = try NumPy.readNPY(url: FixturePaths.url("header_v3.npy"))
        #expect(array.name == "header_v3")
        #expect(array.shape == [2, 3])
        #expect(array.storage == .int64([0, 1, 2, 3, 4, 5]))
    }

    @Test func readsEveryDTypeNumPyWrote() throws {
        let arrays = try NumPy.readNPZ(url: FixturePaths.url("dtypes.npz"))
        #expect(arrays.map(\.name) == ["f4", "f8", "i8", "i4", "u1", "b1", "scalar"])
        #expect(arrays[named: "f4"] == NumPyArray(name: "f4", shape: [2, 3],
                                                  storage: .float32([1.5, -2.25, 3, 0, 1e-3, -7.5])))
        #expect(arrays[named: "f8"]?.storage == .float64([1.0 / 3.0, -2.5, 1e300]))
        #expect(arrays[named: "i8"]?.storage == .int64([-(1 << 40), 0, 7, 1 << 62]))
        #expect(arrays[named: "i4"]?.storage == .int32([.min, 5, .max]))
        #expect(arrays[named: "u1"]?.storage == .uint8([0, 7, 255]))
        #expect(arrays[named: "b1"]?.storage == .bool([true, false, true]))
        #expect(arrays[named: "scalar"] == NumPyArray(name: "scalar", shape: [], storage: .float32([4.5])))
        #expect(arrays[named: "i4"]?.int64s == [Int64(Int32.min), 5, Int64(Int32.max)])
        #expect(arrays[named: "f4"]?.int64s == nil)
        #expect(arrays[named: "b1"]?.floats == [1, 0, 1])
    }

    @Test func encodesTheBytesNumPyWrites() throws {
        // numpy.save of arange(6, float32).reshape(3, 2), format 1.0.
        let numpy = try Data(contentsOf: FixturePaths.url("header_v1.npy"))
        let ours = NumPy.encodeNPY(NumPyArray(shape: [3, 2], floats: [0, 1, 2, 3, 4, 5]))
        #expect(ours == numpy)
        #expect(ours.count % 64 == 24)  // header padded to 128 bytes, then 6 floats
    }

    @Test func npyRoundTripForEveryDType() throws {
        for array in Self.samples {
            let data = NumPy.encodeNPY(array)
            let back = try NumPy.decodeNPY(data, name: array.name)
            #expect(back == array, "\(array.name)")
            let url = temporaryURL(array.name + ".npy")
            defer { try? FileManager.default.removeItem(at: url) }
            try NumPy.writeNPY(array, to: url)
            #expect(try NumPy.readNPY(url: url).storage == array.storage)
        }
    }

    @Test(arguments: [false, true])
    func npzRoundTrip(compressed: Bool) throws {
        let url = temporaryURL("round.npz")
        defer { try? FileManager.default.removeItem(at: url) }
        try NumPy.writeNPZ(Self.samples, to: url, compressed: compressed)
        let back = try NumPy.readNPZ(url: url)
        #expect(back == Self.samples)
        // Same arrays, same bytes.
        let again = temporaryURL("again.npz")
        defer { try? FileManager.default.removeItem(at: again) }
        try NumPy.writeNPZ(Self.samples, to: again, compressed: compressed)
        #expect(try Data(contentsOf: url) == Data(contentsOf: again))
    }

    @Test func readsDeflatedMembers() throws {
        let arrays = try NumPy.readNPZ(url: FixturePaths.url("digits_small_compressed.npz"))
        let test = try NumPy.readNPZ(url: FixturePaths.url("digits_test.npz"))
        #expect(arrays[named: "x"]?.shape == [20, 64])
        #expect(arrays[named: "x"]?.floats == Array(test[named: "x"]!.floats.prefix(20 * 64)))
        #expect(arrays[named: "y"]?.int64s == Array(test[named: "y"]!.int64s!.prefix(20)))
    }

    @Test func fortranOrderIsRejected() throws {
        let error = #expect(throws: ImportError.self) {
            try NumPy.readNPY(url: FixturePaths.url("fortran_order.npy"))
        }
        #expect(error == .fortranOrderNotSupported(array: "fortran_order"))
        #expect(error?.description.contains("Fortran") == true)
    }

    @Test func bigEndianIsRejected() throws {
        let error = #expect(throws: ImportError.self) { try NumPy.readNPY(url: FixturePaths.url("big_endian.npy")) }
        #expect(error == .unsupportedNumPyDType(array: "big_endian", dtype: ">f4"))
        #expect(error?.description.contains("'>f4' (big-endian)") == true)
    }

    @Test func otherDTypesAreRejected() throws {
        let complex = #expect(throws: ImportError.self) {
            try NumPy.readNPY(url: FixturePaths.url("complex_dtype.npy"))
        }
        #expect(complex == .unsupportedNumPyDType(array: "complex_dtype", dtype: "<c8"))
        #expect(complex?.description.contains("complex") == true)

        let half = #expect(throws: ImportError.self) {
            try NumPy.readNPZ(url: FixturePaths.url("digits_bad_dtype.npz"))
        }
        #expect(half == .unsupportedNumPyDType(array: "x", dtype: "<f2"))

        // Object arrays (pickles) and structured dtypes.
        for (descr, rendered) in [("'|O'", "|O"), ("[('a', '<f4')]", "[('a', '<f4')]")] {
            let data = npy(header: "{'descr': \(descr), 'fortran_order': False, 'shape': (1,), }", payload: Data(count: 4))
            let error = #expect(throws: ImportError.self) { try NumPy.decodeNPY(data, name: "odd") }
            #expect(error == .unsupportedNumPyDType(array: "odd", dtype: rendered))
        }
    }

    /// A format-1.0 `.npy` with the given header text.
    func npy(header: String, payload: Data) -> Data {
        var text = Array(header.utf8) + [0x0A]
        while (10 + text.count) % 64 != 0 { text.insert(0x20, at: text.count - 1) }
        return Data(NumPy.magic + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text) + payload
    }

    @Test func malformedFilesAreRejected() throws {
        func reason(_ data: Data) -> String? {
            do {
                _ = try NumPy.decodeNPY(data, name: "bad")
                return nil
            } catch ImportError.notANumPyArray(let array, let reason) {
                #expect(array == "bad")
                return reason
            } catch {
                return "unexpected \(error)"
            }
        }
        #expect(reason(Data("hello".utf8))?.contains("magic") == true)
        let good = NumPy.encodeNPY(NumPyArray(shape: [4], floats: [1, 2, 3, 4]))
        #expect(reason(good.dropLast(1))?.contains("15 bytes") == true)
        #expect(reason(good.prefix(40))?.contains("header") == true)
        #expect(reason(npy(header: "{'descr': '<f4', 'shape': (1,), }", payload: Data(count: 4)))?
            .contains("fortran_order") == true)
        #expect(reason(npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
                           payload: Data()))?.contains("shape") == true)
        #expect(reason(npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ",
                           payload: Data(count: 24))) != nil)
        // Python 2 longs and double quotes are fine.
        let py2 = npy(header: "{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (2L,), }",
                      payload: LittleEndian.bytes([Int32(3), -3]))
        #expect(try NumPy.decodeNPY(py2, name: "p").storage == .int32([3, -3]))
        // A 1-D array flagged Fortran order is the same bytes as C order.
        let fortran1D = npy(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
                            payload: LittleEndian.bytes([Float(1), 2]))
        #expect(try NumPy.decodeNPY(fortran1D, name: "f").floats == [1, 2])
    }

    @Test func notAnArchive() throws {
        let error = #expect(throws: ImportError.self) {
            try NumPy.readNPZ(url: FixturePaths.url("not_a_model.onnx"))
        }
        guard case .notANumPyArchive(let path, _)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(path.hasSuffix("not_a_model.onnx"))
        let missing = FixturePaths.url("nope.npz")
        #expect(throws: ImportError.fileNotFound(path: missing.path)) { try NumPy.readNPZ(url: missing) }
    }

    @Test func writeFailureLeavesNothing() throws {
        let folder = temporaryURL("no-such-folder")
        let url = folder.appendingPathComponent("a.npz")
        let error = #expect(throws: ImportError.self) { try NumPy.writeNPZ(Self.samples, to: url) }
        guard case .writeFailed(let path, _)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(path == url.path)
        #expect(!FileManager.default.fileExists(atPath: url.path))
        #expect(throws: ImportError.self) {
            try NumPy.writeNPZ([NumPyArray(name: "a", shape: [1], floats: [1]),
                                NumPyArray(name: "a", shape: [1], floats: [2])], to: temporaryURL("dup.npz"))
        }
    }
}
