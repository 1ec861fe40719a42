import Foundation
import WeightShareBoards
import WeightShareContainer
import WeightShareReader
import WeightShareSearch

/// `wsc compile --max-instructions`: the smallest file of a solution, by which tensors' indices are Huffman-coded,
/// whose inference stays within an instruction budget on an emulated board. Every candidate runs bare-metal under
/// QEMU (`wsc run`'s firmware: its outputs are checked against the host runtime; -icount shift=0 counts exactly).
///
/// The candidates: `auto` (each streamed tensor coded where that is smaller: the smallest file), then the same with
/// more and more of its coded tensors kept fixed width — dense layers' first (their coded decode costs several
/// times the fixed-width one; convolutions reuse each weight and pay little), larger ones first — down to every
/// tensor fixed width (the fastest). Decode costs add up per tensor, so the count falls along that sequence: the
/// budget is met first by a binary search over it (`auto` and fixed width first, then ⌈log2 T⌉ candidates for
/// T coded tensors), and of the candidates measured within the budget the smallest file is written.
public enum LatencyBudget {
    public enum Problem: Error, CustomStringConvertible, Equatable {
        /// Even every tensor fixed width takes more instructions than the budget.
        case exceeded(budget: Int, board: String, candidates: [LatencyReport.Candidate])
        /// The firmware's outputs differ from the host runtime's (a runtime fault, never expected).
        case firmwareMismatch(coding: String, result: String)
        /// The board's SysTick rate is unknown, so instructions cannot be counted.
        case noInstructionCount(board: String)

        public var description: String {
            switch self {
            case let .exceeded(budget, board, candidates):
                let measured = candidates.map { c in
                    "\(c.coding): \(c.wsmBytes) bytes, \(Int(c.meanInstructions.rounded())) instructions"
                }
                return "no index coding of this solution runs within \(budget) instructions per inference on \(board) ("
                    + measured.joined(separator: "; ") + "); raise --max-instructions or choose a smaller solution"
            case let .firmwareMismatch(coding, result):
                return "the firmware with indices \(coding) does not match the host runtime (\(result)); "
                    + "nothing was written"
            case let .noInstructionCount(board):
                return "board '\(board)' has no qemu.systickHz: instructions per inference cannot be counted"
            }
        }
    }

    /// What to measure on: the emulated board, its firmware catalog, the data whose first `samples` samples run.
    public struct Bench {
        public var board: Board
        public var catalog: BoardCatalog
        public var data: URL
        public var samples: Int
        public var timeout: Double
        public var workDirectory: URL
        public var log: (String) -> Void

        public init(board: Board, catalog: BoardCatalog, data: URL, samples: Int = 3, timeout: Double = 120,
                    workDirectory: URL, log: @escaping (String) -> Void) {
            self.board = board
            self.catalog = catalog
            self.data = data
            self.samples = samples
            self.timeout = timeout
            self.workDirectory = workDirectory
            self.log = log
        }
    }

    /// Compiles and measures the candidates (only `coding`'s file when given) and returns the smallest within
    /// `maxInstructions` with the report; throws ``Problem/exceeded(budget:board:candidates:)`` when none is.
    public static func choose(session: SearchSession, solution: Solution, names: ContainerNames,
                              coding given: IndexCoding?, maxInstructions: Int,
                              bench: Bench) throws -> (output: ModelCompiler.Output, report: LatencyReport) {
        let budget = Double(maxInstructions)
        var measured: [(label: String, output: ModelCompiler.Output, instructions: Double)] = []
        var samples = 0
        func measure(_ label: String, coding: IndexCoding, fixedWidth: Set<Int> = []) throws -> Double {
            let output = try ModelCompiler.compile(session: session, solution: solution, board: bench.board,
                                                   coding: coding, names: names, fixedWidth: fixedWidth)
            if let same = measured.first(where: { $0.output.wsm == output.wsm }) { return same.instructions }
            let result = try run(output.wsm, label: label, bench: bench)
            measured.append((label, output, result.instructions))
            samples = result.samples
            return result.instructions
        }
        func finish() throws -> (output: ModelCompiler.Output, report: LatencyReport) {
            let candidates = measured.map { m in
                LatencyReport.Candidate(coding: m.label, wsmBytes: m.output.wsm.count, meanInstructions: m.instructions)
            }
            guard let best = measured.filter({ $0.instructions <= budget })
                .min(by: { $0.output.wsm.count < $1.output.wsm.count }) else {
                throw Problem.exceeded(budget: maxInstructions, board: bench.board.name, candidates: candidates)
            }
            return (best.output, LatencyReport(maxInstructions: maxInstructions, board: bench.board.name,
                                               samples: samples, candidates: candidates, chosen: best.label))
        }
        if let given {
            _ = try measure(given.rawValue, coding: given)
            return try finish()
        }
        guard try measure("auto", coding: .auto) > budget, try measure("fixed", coding: .fixed) <= budget else {
            return try finish()
        }
        // The auto file's coded tensors, in the order they go back to fixed width.
        let auto = try WSMModel(bytes: measured[0].output.wsm)
        var dense = Set<Int>()
        for op in auto.operators where !["Conv", "ConvTranspose"].contains(op.opcode) {
            dense.formUnion(op.inputs.compactMap { $0 })
        }
        let order = auto.tensors.filter { $0.indexCoding == "huffman" }
            .sorted { a, b in
                let (da, db) = (dense.contains(a.index), dense.contains(b.index))
                if da != db { return da }
                return a.elementCount != b.elementCount ? a.elementCount > b.elementCount : a.index < b.index
            }
        // order[..<k] fixed width: k = 0 is auto (over the budget), k = order.count is fixed width (within it).
        var over = 0, within = order.count
        while within - over > 1 {
            let k = (over + within) / 2
            let kept = order[..<k]
            let label = "auto, fixed width: "
                + kept.map { $0.name.isEmpty ? "#\($0.index)" : $0.name }.joined(separator: ", ")
            if try measure(label, coding: .auto, fixedWidth: Set(kept.map(\.index))) <= budget {
                within = k
            } else {
                over = k
            }
        }
        return try finish()
    }

    /// Mean instructions per inference of `wsm` on the bench's board, and the samples that ran (the data may hold
    /// fewer than asked for).
    static func run(_ wsm: [UInt8], label: String, bench: Bench) throws -> (instructions: Double, samples: Int) {
        let folder = bench.workDirectory.appendingPathComponent("candidate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("model.wsm")
        try Data(wsm).write(to: file)
        bench.log("measuring \(label) (\(wsm.count) bytes) on \(bench.board.name)")
        let outcome = try FirmwareVerification.run(wsm: file, board: bench.board, catalog: bench.catalog,
                                                   data: bench.data, limit: bench.samples, timeout: bench.timeout,
                                                   io: .semihosting,
                                                   workDirectory: folder.appendingPathComponent("firmware"),
                                                   log: bench.log)
        guard outcome.report.passed else {
            throw Problem.firmwareMismatch(coding: label, result: outcome.report.firmwareResult)
        }
        guard let instructions = outcome.report.meanInstructions else {
            throw Problem.noInstructionCount(board: bench.board.name)
        }
        return (instructions, outcome.report.samples)
    }
}
