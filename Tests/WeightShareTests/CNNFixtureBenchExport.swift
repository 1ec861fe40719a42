import Foundation
import Testing
import WeightShare

/// Not a test: the Swift half of `bench/run.sh`. With `WS_BENCH_OUT=<folder>` set it writes, for the digits MLP
/// and each CNN fixture, the raw container (`<net>_raw.wsm`, every weight float32) and the same model with
/// shared weights (`<net>_k16.wsm`, uniform binning K = 16, fixed-width indices), and times the uniform binning
/// of the MLP's weight vector (`binning.json`). Run it from a release build
/// (`swift test -c release -Xswiftc -enable-testing --filter CNNFixtureBenchExport`); without the variable it
/// does nothing.
@Suite("Benchmark export (only with WS_BENCH_OUT)")
struct CNNFixtureBenchExport {
    static let output = ProcessInfo.processInfo.environment["WS_BENCH_OUT"].flatMap { $0.isEmpty ? nil : $0 }

    /// (name, model file relative to Tests/Fixtures, pinned input shape)
    static let models: [(String, String, [Int])] = [
        ("mlp", "digits_mlp.onnx", [1, 64]),
        ("lenet", "cnn/lenet.onnx", CNNFixtures.inputShape),
        ("resnet", "cnn/resnet.onnx", CNNFixtures.inputShape),
        ("mobilenet", "cnn/mobilenet.onnx", CNNFixtures.inputShape),
    ]
    /// The MLPerf Tiny fixtures (Tests/Fixtures/tiny) and their pinned input shapes.
    static let tinyModels: [(String, [Int])] = [
        ("kws_dscnn", [1, 1, 49, 10]), ("ic_resnet8", [1, 3, 32, 32]), ("ad_autoencoder", [1, 640]),
        ("vww_mobilenet", [1, 3, 96, 96]),
    ]
    static let sharedK = 16
    static let binningKs = [16, 64]
    static let runs = 7

    @Test("write the benchmark models and time uniform binning", .enabled(if: output != nil))
    func export() throws {
        let folder = URL(fileURLWithPath: Self.output!, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var modelFacts: [String: Any] = [:]
        var mlpWeights: [Float] = []
        for (name, file, shape) in Self.models {
            let source = try ModelSource.load(FixturePaths.url(file), inputShapes: ["input": shape])
            let prepared = source.prepared
            if name == "mlp" { mlpWeights = prepared.shared.values }
            let q = Quantization(binning: UniformBinning(values: prepared.shared.values, k: Self.sharedK))
            let raw = try prepared.container(quantization: nil)
            let shared = try prepared.container(quantization: q)
            try Data(raw).write(to: folder.appendingPathComponent("\(name)_raw.wsm"))
            try Data(shared).write(to: folder.appendingPathComponent("\(name)_k\(Self.sharedK).wsm"))
            modelFacts[name] = [
                "onnx": file, "input_shape": shape, "shared_weights": prepared.shared.count,
                "raw_wsm_bytes": raw.count, "shared_wsm_bytes": shared.count, "k": Self.sharedK,
                "codebook_size": q.codebookSize, "arena_bytes": prepared.plan.arenaBytes,
                "naive_arena_bytes": prepared.plan.naiveBytes, "operators": prepared.lowered.operations.count,
            ]
        }

        // Uniform binning rate on the MLP's weight vector, and on a 1 M-weight vector (the MLP's tiled 60×).
        let vectors: [(String, [Float])] = [
            ("mlp", mlpWeights),
            ("mlp_tiled_60", Array([[Float]](repeating: mlpWeights, count: 60).joined())),
        ]
        var binning: [[String: Any]] = []
        for (label, values) in vectors {
            for k in Self.binningKs {
                let repeats = max(1, 2_000_000 / values.count)
                var binSeconds: [Double] = []
                var quantSeconds: [Double] = []
                var sink = 0
                for _ in 0..<Self.runs {
                    var start = DispatchTime.now().uptimeNanoseconds
                    for _ in 0..<repeats { sink &+= UniformBinning(values: values, k: k).nonEmptyBins.count }
                    binSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(repeats))
                    start = DispatchTime.now().uptimeNanoseconds
                    for _ in 0..<repeats {
                        sink &+= Quantization(binning: UniformBinning(values: values, k: k)).codebookSize
                    }
                    quantSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(repeats))
                }
                let median = { (xs: [Double]) in xs.sorted()[xs.count / 2] }
                binning.append([
                    "vector": label, "weights": values.count, "k": k, "runs": Self.runs, "repeats_per_run": repeats,
                    "binning_seconds_median": median(binSeconds),
                    "binning_weights_per_second": Double(values.count) / median(binSeconds),
                    "binning_and_codebook_seconds_median": median(quantSeconds),
                    "binning_and_codebook_weights_per_second": Double(values.count) / median(quantSeconds),
                    "checksum": sink,
                ])
            }
        }
        // The MLPerf Tiny fixtures (raw weights) as the C files a firmware links: bench/sizes.py builds each one's
        // firmware for its op set and for the full set and measures the runtime's share.
        var tiny: [String: Any] = [:]
        for (name, shape) in Self.tinyModels {
            let source = try ModelSource.load(FixturePaths.url("tiny/\(name).onnx"), inputShapes: ["input": shape])
            let wsm = try source.prepared.container(quantization: nil)
            let files = CArrayEmitter.emit(wsm, symbol: "ws_model_data", headerName: "model_data.h", alignment: 16,
                                           section: ".ws_model", comment: "\(name).onnx, raw weights")
            let dir = folder.appendingPathComponent("tiny/\(name)", isDirectory: true)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(files.header.utf8).write(to: dir.appendingPathComponent("model_data.h"))
            try Data(files.source.utf8).write(to: dir.appendingPathComponent("model_data.c"))
            tiny[name] = ["onnx": "tiny/\(name).onnx", "input_shape": shape, "raw_wsm_bytes": wsm.count,
                          "ops": (ModelFacts(wsm: wsm)?.operators ?? []).map(\.name)]
        }
        let json: [String: Any] = ["models": modelFacts, "binning": binning, "tiny": tiny]
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: folder.appendingPathComponent("swift.json"))
        // The MLP weight vector for scikit-learn's KMeans on exactly the same values.
        try mlpWeights.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: folder.appendingPathComponent("mlp_weights.f32"))
    }
}
