import Foundation
import WeightShareImport
import WeightShareBoards
import WeightShareCompress
import WeightShareContainer
import WeightShareReader

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
    /// How the indices are stored: the `--index-coding` asked for, and per shared tensor what was chosen.
    public var indexCoding: IndexCodingReport?
    /// How the solution was chosen when `compile` chose it (nil with --solution).
    public var choice: SolutionChoice.BoundedChoice?
    /// How the index coding was chosen under `--max-instructions` (nil without it).
    public var latency: LatencyReport?
}

/// The index coding of a compiled file (`wsc compile --json`, key `indexCoding`).
public struct IndexCodingReport: Sendable, Equatable, Codable {
    public struct Tensor: Sendable, Equatable, Codable {
        public var name: String
        public var elements: Int
        /// "fixed" or "huffman".
        public var coding: String
        /// Stream bits of the tensor's indices as stored, and as fixed width.
        public var bits: Int
        public var fixedBits: Int
    }
    /// The option: fixed, huffman, auto or conv.
    public var requested: String
    public var tensors: [Tensor]
    /// Code length per codebook value (empty when nothing is coded).
    public var codeLengths: [Int]
    /// Bytes of IndexStream.data (padding included) and of the code table.
    public var streamBytes: Int
    public var codeTableBytes: Int
    /// The Huffman size the search reports (SizeReport.huffmanIndexBits, whole stream, lengths up to 16), in bytes.
    public var huffmanEstimateBytes: Int
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
                               symbol: String = "ws_model_data", coding: IndexCoding = .fixed,
                               names: ContainerNames = .all, fixedWidth: Set<Int> = []) throws -> Output {
        var out = try compile(session: session, solution: solution, board: board.name, symbol: symbol,
                              alignment: board.modelRegion?.alignment ?? 16, section: board.modelRegion?.section,
                              coding: coding, names: names, fixedWidth: fixedWidth)
        out.images = try FlashImage.images(for: out.wsm, board: board)
        out.report.files += out.images.map(\.name)
        if !board.isHost {
            out.report.fit = FitCheck.check(board: board, wsmBytes: out.wsm.count, arenaBytes: out.report.arenaBytes)
            out.report.modelAddress = board.modelRegion?.address
        }
        return out
    }

    /// The fit of the exact container `compile` would write for `solution` (no C array or images are kept).
    public static func fit(session: SearchSession, solution: Solution, board: Board,
                           coding: IndexCoding = .fixed, names: ContainerNames = .all) throws -> FitReport {
        let out = try compile(session: session, solution: solution, board: board.name, coding: coding, names: names)
        return FitCheck.check(board: board, wsmBytes: out.wsm.count, arenaBytes: out.report.arenaBytes)
    }

    /// Builds everything in memory; nothing is written. `names`: the names the file keeps (``ContainerNames``);
    /// `fixedWidth`: shared tensors (ids) kept fixed width whatever `coding` says.
    public static func compile(session: SearchSession, solution: Solution, board: String = "host",
                               symbol: String = "ws_model_data", alignment: Int = 16,
                               section: String? = nil, coding: IndexCoding = .fixed,
                               names: ContainerNames = .all, fixedWidth: Set<Int> = []) throws -> Output {
        // With compensation resolved here, the size report counts the indices the file stores.
        let encoder = session.evaluator.encoder
        let encoding = try encoder.compensated(try solution.encoding(encoder: encoder))
        let q = encoding.quantization
        var summary = SolutionSummary(solution, encoding)
        summary.inputValues = session.settings.inputValues
        if names == .interface { (summary.genes, summary.grouping, summary.merged) = (nil, nil, nil) }
        let solutionJSON = String(decoding: try RunDirectory.encodeCompact(summary), as: UTF8.self)
        let metadata = ContainerMetadata(sourceSHA256: session.source.sha256,
                                         sourceName: session.source.url.lastPathComponent,
                                         metric: session.settings.metric.rawValue, seed: session.settings.seed,
                                         score: solution.result.score, floatScore: session.evaluator.floatScore,
                                         solutionJSON: solutionJSON, names: names)
        let wsm = try session.evaluator.encoder.container(encoding, metadata: metadata, coding: coding,
                                                          fixedWidth: fixedWidth)
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
        var out = Output(wsm: wsm, cFiles: files, report: report)
        out.report.indexCoding = try indexCodingReport(wsm, requested: coding, size: size)
        // The bytes the file stores: with coded tensors fewer than the fixed-width count SizeReport makes (for a
        // fixed-width file the two agree).
        out.report.packedWeightBytes = try WSMModel(bytes: wsm).storedWeightBytes(scales: size.scales)
        return out
    }

    /// What the written file does with each shared tensor's indices (read back through the runtime).
    static func indexCodingReport(_ wsm: [UInt8], requested: IndexCoding, size: SizeReport) throws
        -> IndexCodingReport {
        let model = try WSMModel(bytes: wsm)
        let stream = model.stream
        let tensors = model.tensors.filter { $0.kind == .shared }.map { t in
            IndexCodingReport.Tensor(name: t.name, elements: t.elementCount, coding: t.indexCoding,
                                     bits: model.indices(ofTensor: t.index)?.bits ?? 0,
                                     fixedBits: t.elementCount * stream.bitWidth)
        }
        return IndexCodingReport(requested: requested.rawValue, tensors: tensors, codeLengths: stream.codeLengths,
                                 streamBytes: stream.bytes, codeTableBytes: stream.codeLengths.count,
                                 huffmanEstimateBytes: (size.huffmanIndexBits + 7) / 8)
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

/// The part of a solution stored in the container's metadata. Genes, grouping and merge flag describe how the
/// solution was made (the run directory has them too); a file compiled with `--strip-names` leaves them out.
package struct SolutionSummary: Codable {
    package var id: Int
    package var genes: [String: Double]?
    package var k: Int
    package var grouping: [Int]?
    package var merged: Bool?
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
