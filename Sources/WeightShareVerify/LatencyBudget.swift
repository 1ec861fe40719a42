import Foundation
import WeightShareBoards
import WeightShareSearch

/// `wsc compile --max-instructions`: the smallest of a solution's files (one per index coding) whose inference
/// stays within an instruction budget on an emulated board. Each candidate, smallest first, runs bare-metal under
/// QEMU (`wsc run`'s firmware: its outputs are checked against the host runtime) until one is within the budget;
/// larger ones are not run.
public enum LatencyBudget {
    public enum Problem: Error, CustomStringConvertible, Equatable {
        /// Every candidate takes more instructions than the budget.
        case exceeded(budget: Int, board: String, candidates: [LatencyReport.Candidate])
        /// The firmware's outputs differ from the host runtime's (a runtime fault, never expected).
        case firmwareMismatch(coding: String, result: String)
        /// The board's SysTick rate is unknown, so instructions cannot be counted.
        case noInstructionCount(board: String)

        public var description: String {
            switch self {
            case let .exceeded(budget, board, candidates):
                let measured = candidates.map { c in
                    "\(c.coding) \(c.wsmBytes) bytes: \(c.meanInstructions.map { String(Int($0.rounded())) } ?? "?") instructions"
                }
                return "no index coding of this solution runs within \(budget) instructions per inference on \(board) ("
                    + measured.joined(separator: "; ") + "); raise --max-instructions or choose a smaller solution"
            case let .firmwareMismatch(coding, result):
                return "the firmware with --index-coding \(coding) does not match the host runtime (\(result)); "
                    + "nothing was written"
            case let .noInstructionCount(board):
                return "board '\(board)' has no qemu.systickHz: instructions per inference cannot be counted"
            }
        }
    }

    /// Chooses among `candidates` (the same solution compiled with each coding). Identical files are measured once.
    /// Returns the index of the chosen candidate and the report; throws ``Problem/exceeded(budget:board:candidates:)``
    /// when none is within `maxInstructions`.
    public static func choose(candidates: [(coding: String, wsm: [UInt8])], maxInstructions: Int, board: Board,
                              catalog: BoardCatalog, data: URL, samples: Int, timeout: Double, workDirectory: URL,
                              log: (String) -> Void) throws -> (index: Int, report: LatencyReport) {
        var order: [Int] = []
        for (i, c) in candidates.enumerated() where !order.contains(where: { candidates[$0].wsm == c.wsm }) {
            order.append(i)
        }
        order.sort { (candidates[$0].wsm.count, $0) < (candidates[$1].wsm.count, $1) }
        var measured = order.map { LatencyReport.Candidate(coding: candidates[$0].coding,
                                                           wsmBytes: candidates[$0].wsm.count, meanInstructions: nil) }
        for (position, i) in order.enumerated() {
            let folder = workDirectory.appendingPathComponent(candidates[i].coding)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let wsm = folder.appendingPathComponent("model.wsm")
            try Data(candidates[i].wsm).write(to: wsm)
            log("measuring --index-coding \(candidates[i].coding) (\(candidates[i].wsm.count) bytes) on \(board.name)")
            let outcome = try FirmwareVerification.run(wsm: wsm, board: board, catalog: catalog, data: data,
                                                       limit: samples, timeout: timeout, io: .semihosting,
                                                       workDirectory: folder.appendingPathComponent("firmware"),
                                                       log: log)
            guard outcome.report.passed else {
                throw Problem.firmwareMismatch(coding: candidates[i].coding, result: outcome.report.firmwareResult)
            }
            guard let instructions = outcome.report.meanInstructions else {
                throw Problem.noInstructionCount(board: board.name)
            }
            measured[position].meanInstructions = instructions
            if instructions <= Double(maxInstructions) {
                return (i, LatencyReport(maxInstructions: maxInstructions, board: board.name,
                                         samples: outcome.report.samples, candidates: measured,
                                         chosen: candidates[i].coding))
            }
        }
        throw Problem.exceeded(budget: maxInstructions, board: board.name, candidates: measured)
    }
}
