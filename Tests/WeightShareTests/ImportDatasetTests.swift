import Foundation
import Testing
import WeightShare

@Suite struct ImportDatasetTests {
    @Test func digitsSplits() throws {
        let facts = try FixturePaths.facts()
        let train = try Dataset.load(url: FixturePaths.url("digits_train.npz"))
        let val = try Dataset.load(url: FixturePaths.url("digits_val.npz"))
        let test = try Dataset.load(url: FixturePaths.url("digits_test.npz"))
        #expect(train.count == facts.digits.train)
        #expect(val.count == facts.digits.val)
        #expect(test.count == facts.digits.test)
        #expect(train.count + val.count + test.count == 1797)
        for data in [train, val, test] {
            #expect(data.sampleShape == [64])
            #expect(data.sampleSize == 64)
            #expect(data.labels?.count == data.count)
            #expect(data.samples.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(Set(data.labels ?? []) == Set(0...9))
            // pixels / 16: every value is a multiple of 1/16.
            #expect(data.samples.allSatisfy { ($0 * 16).rounded() == $0 * 16 })
        }
        #expect(Array(test.labels!.prefix(5)) == facts.digits.testFirstLabels)
        #expect(test.batchShape(8) == [8, 64])
    }

    @Test func prefixAndSubset() throws {
        let test = try Dataset.load(url: FixturePaths.url("digits_test.npz"))
        let first = test.prefix(3)
        #expect(first.count == 3)
        #expect(first.samples == Array(test.samples.prefix(192)))
        #expect(first.labels == Array(test.labels!.prefix(3)))
        #expect(test.prefix(10_000).count == test.count)
        let picked = test.subset([5, 0])
        #expect(picked.count == 2)
        #expect(Array(picked.sample(0)) == Array(test.sample(5)))
        #expect(Array(picked.sample(1)) == Array(test.sample(0)))
        #expect(picked.labels == [test.labels![5], test.labels![0]])
    }

    @Test func labelCountMismatch() throws {
        let url = FixturePaths.url("digits_bad_labels.npz")
        let error = #expect(throws: ImportError.self) { try Dataset.load(url: url) }
        #expect(error == .labelCountMismatch(path: url.path, samples: 10, labels: 9))
        #expect(error?.description.contains("10 samples") == true)
        #expect(error?.description.contains("9 labels") == true)
    }

    @Test func floatLabels() throws {
        let url = FixturePaths.url("digits_float_labels.npz")
        let error = #expect(throws: ImportError.self) { try Dataset.load(url: url) }
        #expect(error == .labelsNotIntegers(path: url.path, dtype: "<f4"))
    }

    @Test func labelsCanBeIgnored() throws {
        // The fixtures' <model>_io.npz hold reference outputs in y, not labels.
        let url = FixturePaths.url("softmax_opset11_io.npz")
        #expect(throws: ImportError.labelsNotIntegers(path: url.path, dtype: "<f4")) { try Dataset.load(url: url) }
        let data = try Dataset.load(url: url, readLabels: false)
        #expect(data.count == 2)
        #expect(data.sampleShape == [3, 4])
        #expect(data.labels == nil)
        let bad = try Dataset.load(url: FixturePaths.url("digits_bad_labels.npz"), readLabels: false)
        #expect(bad.count == 10 && bad.labels == nil)
    }

    @Test func badSampleDType() throws {
        let error = #expect(throws: ImportError.self) {
            try Dataset.load(url: FixturePaths.url("digits_bad_dtype.npz"))
        }
        #expect(error == .unsupportedNumPyDType(array: "x", dtype: "<f2"))
    }

    @Test func missingSamples() throws {
        let url = FixturePaths.url("dtypes.npz")
        let error = #expect(throws: ImportError.self) { try Dataset.load(url: url) }
        #expect(error == .missingArray(path: url.path, key: "x",
                                       available: ["f4", "f8", "i8", "i4", "u1", "b1", "scalar"]))
    }

    @Test func npySamplesWithoutLabels() throws {
        let data = try Dataset.load(url: FixturePaths.url("header_v2.npy"))
        #expect(data.count == 3)
        #expect(data.sampleShape == [2])
        #expect(data.labels == nil)
        #expect(Array(data.sample(2)) == [4, 5])
    }

    @Test func float64SamplesAndLabelShapes() throws {
        let x = NumPyArray(name: "x", shape: [2, 2], storage: .float64([0.5, 1, 2, 4]))
        let ok = try Dataset(x: x, y: NumPyArray(name: "y", shape: [2, 1], storage: .int32([1, 0])), path: "p")
        #expect(ok.samples == [0.5, 1, 2, 4])
        #expect(ok.labels == [1, 0])
        #expect(throws: ImportError.invalidSamples(
            path: "p", reason: "their dtype is '<i8'; samples must be float32 or float64")) {
            try Dataset(x: NumPyArray(name: "x", shape: [1], int64s: [1]), y: nil, path: "p")
        }
        #expect(throws: ImportError.self) {
            try Dataset(x: x, y: NumPyArray(name: "y", shape: [1, 2], int64s: [1, 0]), path: "p")
        }
        #expect(throws: ImportError.self) {
            try Dataset(x: NumPyArray(name: "x", shape: [], floats: [1]), y: nil, path: "p")
        }
    }

    @Test func missingFile() throws {
        let url = FixturePaths.url("nothing_here.npz")
        #expect(throws: ImportError.fileNotFound(path: url.path)) { try Dataset.load(url: url) }
    }
}
