import Foundation
import WeightShareImport
import WeightShareBoards
import WeightShareCompress
import WeightShareContainer

/// What `wsc compile` reports. Keys are stable (README).
public struct CompileReport: Sendable, Equatable, Codable {
    public var board: String
    public var solution: Int
    public var k: Int
    public var m: Int
    public var bitWidth: Int
    public var sharedWeights: Int
    public var score: Double
    public var floatScore: Double
    public var lossPoints: Double
    public var metric: String
    public var compressionRatioFixed: Double
    public var compressionRatioHuffman: Double
    public var packedWeightBytes: Int
    /// Scale values and exact outliers of the encoding (both counted in packedWeightBytes and the CR).
    public var scales: Int
    public var outliers: Int
    /// The solution's genes by name (scale mode and statistic as indices, see `wsc pareto`).
    public var genes: [String: Double]
    public var onnxBytes: Int
    public var wsmBytes: Int
    public var arenaBytes: Int
    public var naiveArenaBytes: Int
    public var files: [String]
    /// Fit against the board's model region and RAM (nil for `host`).
    public var fit: FitReport?
    /// Model region address the images are placed at (nil for `host`).
    public var modelAddress: UInt64?
    /// The C runtime's code size for the board's CPU (nil for `host`, or when arm-none-eabi-gcc is missing).
    public var runtimeSize: RuntimeSize?
    /// How the solution was chosen when `compile` chose it (nil with --solution).
    public var choice: SolutionChoice.BoundedChoice?
}

/// Packs one solution of a run into a .wsm plus its C array and, for a board, its flash images.
public enum ModelCompiler {
    public struct Output: Sendable {
        public var wsm: [UInt8]
        public var cFiles: CArrayEmitter.Files
        public var report: CompileReport
        /// Flash images by file name (`model.bin`, `model.hex`, `model.uf2`), for the board's model region.
        public var images: [(name: String, bytes: [UInt8])] = []
    }

    /// Builds everything for `board` in memory; nothing is written. The C array goes to the board's model
    /// section with its alignment; the report carries the fit check (the caller decides to refuse).
    public static func compile(session: SearchSession, solution: Solution, board: Board,
                               symbol: String = "ws_model_data") throws -> Output {
        var out = try compile(session: session, solution: solution, board: board.name, symbol: symbol,
                              alignment: board.modelRegion?.alignment ?? 16, section: board.modelRegion?.section)
        out.images = try FlashImage.images(for: out.wsm, board: board)
        out.report.files += out.images.map(\.name)
        if !board.isHost {
            out.report.fit = FitCheck.check(board: board, wsmBytes: out.wsm.count, arenaBytes: out.report.arenaBytes)
            out.report.modelAddress = board.modelRegion?.address
        }
        return out
    }

    /// The fit of the exact container `compile` would write for `solution` (no C array or images are kept).
    public static func fit(session: SearchSession, solution: Solution, board: Board) throws -> FitReport {
        let out = try compile(session: session, solution: solution, board: board.name)
        return FitCheck.check(board: board, wsmBytes: out.wsm.count, arenaBytes: out.report.arenaBytes)
    }

    /// Builds everything in memory; nothing is written.
    public static func compile(session: SearchSession, solution: Solution, board: String = "host",
                               symbol: String = "ws_model_data", alignment: Int = 16,
                               section: String? = nil) throws -> Output {
        // With compensation resolved here, the size report counts the indices the file stores.
        let encoder = session.evaluator.encoder
        let encoding = try encoder.compensated(try solution.encoding(encoder: encoder))
        let q = encoding.quantization
        var summary = SolutionSummary(solution, encoding)
        summary.inputValues = session.settings.inputValues
        let solutionJSON = String(decoding: try RunDirectory.encode(summary), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: "  ", with: "")
        let metadata = ContainerMetadata(sourceSHA256: session.source.sha256,
                                         sourceName: session.source.url.lastPathComponent,
                                         metric: session.settings.metric.rawValue, seed: session.settings.seed,
                                         score: solution.result.score, floatScore: session.evaluator.floatScore,
                                         solutionJSON: solutionJSON)
        let wsm = try session.evaluator.encoder.container(encoding, metadata: metadata)
        let size = SizeReport(encoding: encoding)
        let comment = "\(session.source.url.lastPathComponent), solution \(solution.id): K=\(q.k) M=\(q.codebookSize)"
        let files = CArrayEmitter.emit(wsm, symbol: symbol, headerName: "model_data.h", alignment: alignment,
                                       section: section, comment: comment)
        // The normalised variant's plan: a MatMul's scale adds a Mul (and a tensor) to the graph.
        let plan = session.evaluator.encoder.variant(encoding.normalization).prepared.plan
        let report = CompileReport(board: board, solution: solution.id, k: q.k, m: q.codebookSize,
                                   bitWidth: q.bitWidth, sharedWeights: size.sharedWeights,
                                   score: solution.result.score, floatScore: session.evaluator.floatScore,
                                   lossPoints: solution.result.loss * 100, metric: session.settings.metric.rawValue,
                                   compressionRatioFixed: size.compressionRatioFixed,
                                   compressionRatioHuffman: size.compressionRatioHuffman,
                                   packedWeightBytes: size.packedWeightBytes, scales: size.scales,
                                   outliers: size.outliers, genes: solution.genes, onnxBytes: session.source.fileBytes,
                                   wsmBytes: wsm.count, arenaBytes: plan.arenaBytes, naiveArenaBytes: plan.naiveBytes,
                                   files: ["model.wsm", "model_data.c", "model_data.h"])
        return Output(wsm: wsm, cFiles: files, report: report)
    }

    /// Every file `compile` may write; a new set replaces all of them (an old model.uf2 does not survive a
    /// compile without one).
    public static let outputFileNames: Set<String> = [
        "model.wsm", "model_data.c", "model_data.h", "model.bin", "model.hex", "model.uf2",
    ]

    /// Writes the compiled files into `directory` as one set (see ``FileOutput/replaceFolder(_:with:owned:)``):
    /// a kill at any point leaves either the old set or the new one, and a failure (disk full, read-only folder)
    /// leaves the old set and throws a ``FileWriteError`` naming the path and the cause. Other entries of
    /// `directory` are kept.
    public static func write(_ output: Output, to directory: URL) throws {
        var files: [(name: String, data: Data)] = [
            ("model.wsm", Data(output.wsm)),
            ("model_data.c", Data(output.cFiles.source.utf8)),
            ("model_data.h", Data(output.cFiles.header.utf8)),
        ]
        for image in output.images { files.append((image.name, Data(image.bytes))) }
        try FileOutput.replaceFolder(directory, with: files, owned: outputFileNames)
    }
}

/// The part of a solution stored in the container's metadata.
package struct SolutionSummary: Codable {
    package var id: Int
    package var genes: [String: Double]
    package var k: Int
    package var grouping: [Int]
    package var merged: Bool
    /// Scale values and outliers, so that `wsc verify` counts them in the CR as compile did.
    package var scales: Int?
    package var outliers: Int?
    /// Inputs the model was compiled with pinned to values (`--input-value`), so that `wsc verify` lowers the
    /// source model the same way; absent when none was.
    package var inputValues: [String: [Float]]?

    package init(_ s: Solution, _ encoding: WeightEncoding) {
        id = s.id
        genes = s.genes
        k = s.k
        grouping = s.grouping
        merged = s.merged
        scales = encoding.scaleCount
        outliers = encoding.outliers.count
    }
}
