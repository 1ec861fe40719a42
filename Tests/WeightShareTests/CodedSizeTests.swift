import Foundation
import Testing
import WeightShare
import WeightShareReader

/// The search's size objective counts the indices as the file stores them (issue 16): checked against the bytes of
/// the written files, which the reader measures on its own (`WSMModel.storedWeightBytes`).
@Suite("Coded size objective")
struct CodedSizeTests {
    /// The size the file of `encoding` written with `coding` stores.
    static func stored(_ encoder: WeightEncoder, _ encoding: WeightEncoding, _ coding: IndexCoding) throws -> Int {
        try WSMModel(bytes: try encoder.container(encoding, coding: coding)).storedWeightBytes(scales: encoding.scaleCount)
    }

    @Test("fixed, huffman and auto sizes equal the written files' packed bytes (MLP and LeNet, K 3 to 40, outliers)",
          arguments: [("digits_mlp.onnx", [1, 64]), ("cnn/lenet.onnx", [1, 1, 8, 8])])
    func sizesMatchFiles(fixture: String, shape: [Int]) throws {
        let source = try ModelSource.load(FixturePaths.url(fixture), inputShapes: ["input": shape])
        let encoder = WeightEncoder(base: source.prepared)
        var coded = 0
        for k in [3, 5, 16, 40] {
            for outliers in [0.0, 0.002] {
                let encoding = encoder.encode(EncodingGenes(k: k, clipLow: outliers > 0 ? 0.01 : 0,
                                                            clipHigh: outliers > 0 ? 0.01 : 0,
                                                            outlierFraction: outliers))
                #expect(outliers == 0 || encoding.outliers.count > 0)
                let fixed = try Self.stored(encoder, encoding, .fixed)
                let huffman = try Self.stored(encoder, encoding, .huffman)
                #expect(encoder.packedWeightBytes(encoding, coding: .fixed) == fixed, "K=\(k)")
                #expect(encoder.packedWeightBytes(encoding, coding: .fixed) == SizeReport(encoding: encoding).packedWeightBytes)
                #expect(encoder.packedWeightBytes(encoding, coding: .huffman) == huffman, "K=\(k)")
                // auto: the smaller, and the file auto writes stores exactly that whenever coding pays.
                let auto = encoder.packedWeightBytes(encoding, coding: .auto)
                #expect(auto <= min(fixed, huffman), "K=\(k)")
                if huffman + 16 < fixed {
                    #expect(try Self.stored(encoder, encoding, .auto) == auto, "K=\(k)")
                    coded += 1
                }
            }
        }
        #expect(coded >= 2, "some of the encodings must code smaller than fixed width")
    }

    @Test("conv codes LeNet's convolution weights (where that pays) and keeps its Gemm fixed width; its size is the file's; the MLP (no Conv) stays fixed width")
    func convolutionsOnly() throws {
        let lenet = try ModelSource.load(FixturePaths.url("cnn/lenet.onnx"), inputShapes: ["input": [1, 1, 8, 8]])
        let encoder = WeightEncoder(base: lenet.prepared)
        let encoding = encoder.encode(EncodingGenes(k: 9))
        let auto = try WSMModel(bytes: try encoder.container(encoding, coding: .auto))
        let conv = try WSMModel(bytes: try encoder.container(encoding, coding: .conv))
        func coding(_ m: WSMModel) -> [String: String] {
            Dictionary(uniqueKeysWithValues: m.tensors.filter { $0.kind == .shared }.map { ($0.name, $0.indexCoding) })
        }
        // conv1's 72 weights code no smaller than fixed width, so auto drops them; conv keeps Gemm's fixed width.
        #expect(coding(auto) == ["conv1.weight": "fixed", "conv2.weight": "huffman", "fc.weight": "huffman"])
        #expect(coding(conv) == ["conv1.weight": "fixed", "conv2.weight": "huffman", "fc.weight": "fixed"])
        let fixed = try Self.stored(encoder, encoding, .fixed)
        let stored = conv.storedWeightBytes(scales: encoding.scaleCount)
        #expect(encoder.packedWeightBytes(encoding, coding: .conv) == stored)
        #expect(try Self.stored(encoder, encoding, .auto) < stored && stored < fixed)

        let mlp = try ModelSource.load(FixturePaths.url("digits_mlp.onnx"), inputShapes: ["input": [1, 64]])
        let dense = WeightEncoder(base: mlp.prepared)
        let e = dense.encode(EncodingGenes(k: 9))
        #expect(try dense.container(e, coding: .conv) == dense.container(e, coding: .fixed))
        #expect(try dense.container(e, coding: .auto) != dense.container(e, coding: .fixed))
    }

    @Test("a search sizes its front as compile stores it: coded with --index-coding auto, fixed width with fixed and by default (compile then writes auto)")
    func frontSizesAreTheCompiledFiles() throws {
        let root = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        for given in [IndexCoding?.none, .auto, .fixed] {
            let coding = given ?? .fixed
            let settings = SearchSettings(model: FixturePaths.url("digits_mlp.onnx").path,
                                          data: FixturePaths.url("digits_val.npz").path,
                                          inputShapes: ["input": [1, 64]], population: 8, generations: 2,
                                          kMin: 3, kMax: 24, merge: true, limit: 60, indexCoding: given)
            let directory = RunDirectory(root.appendingPathComponent("run-\(given.map(\.rawValue) ?? "default")"))
            let session = try SearchSession(settings: settings, directory: directory)
            let report = try session.run(resume: false) { _ in }
            var smaller = 0
            for solution in report.solutions {
                let compiled = try ModelCompiler.compile(session: session, solution: solution, coding: coding)
                #expect(solution.result.packedWeightBytes == compiled.report.packedWeightBytes,
                        "\(coding) solution \(solution.id)")
                let encoding = try solution.encoding(encoder: session.evaluator.encoder)
                if solution.result.packedWeightBytes < SizeReport(encoding: encoding).packedWeightBytes { smaller += 1 }
            }
            // Coded, the 2- to 5-bit MLP solutions are smaller than fixed width (the digits weights bunch at zero).
            #expect(coding == .fixed ? smaller == 0 : smaller == report.solutions.count, "\(coding)")
            // The run remembers its coding: compile's default and a resumed search use it.
            #expect(try SearchSession.reopen(directory).settings.compileCoding == given ?? .auto)
            // Resuming with the other objective would mix sizes measured two ways: refused, naming the option.
            var other = settings
            other.indexCoding = coding == .auto ? .fixed : .auto
            #expect {
                try SearchSession(settings: other, directory: directory).run(resume: true) { _ in }
            } throws: { "\($0)".contains("--index-coding") }
        }
    }
}
