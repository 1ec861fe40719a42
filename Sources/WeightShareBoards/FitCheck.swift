/// Whether a compiled model fits a board: the `.wsm` in the model region, and arena + runtime state + the
/// board's stack/runtime reserve in the RAM.
public struct FitReport: Sendable, Equatable, Codable {
    public var board: String
    public var wsmBytes: Int
    public var modelRegionBytes: Int
    /// Bytes the model occupies in the region after rounding up to the region's alignment.
    public var flashNeeded: Int
    public var arenaBytes: Int
    public var runtimeStateBytes: Int
    public var reserveBytes: Int
    public var ramNeeded: Int
    public var ramBytes: Int
    public var fitsFlash: Bool
    public var fitsRAM: Bool
    public var fits: Bool { fitsFlash && fitsRAM }

    /// One line per problem, with the numbers.
    public var problems: [String] {
        var p: [String] = []
        if !fitsFlash {
            p.append("the model needs \(flashNeeded) bytes of flash but the model region of '\(board)' has \(modelRegionBytes) (\(FitCheck.excess(flashNeeded, modelRegionBytes)) bytes too many)")
        }
        if !fitsRAM {
            p.append("RAM: arena \(arenaBytes) + runtime state \(runtimeStateBytes) + reserve \(reserveBytes) = \(ramNeeded) bytes needed but '\(board)' has \(ramBytes) (\(FitCheck.excess(ramNeeded, ramBytes)) bytes too many)")
        }
        return p
    }
}

public enum FitCheck {
    /// `sizeof(ws_model)` on a 32-bit target (19 uint32 fields + a pointer), rounded up; plus alignment slack of
    /// the arena.
    public static let runtimeStateBytes = 96

    /// Checks a model of `wsmBytes` with an `arenaBytes` arena against `board` (the host always fits).
    public static func check(board: Board, wsmBytes: Int, arenaBytes: Int) -> FitReport {
        guard let region = board.modelRegion, let ram = board.ram else {
            return FitReport(board: board.name, wsmBytes: wsmBytes, modelRegionBytes: Int.max, flashNeeded: wsmBytes,
                             arenaBytes: arenaBytes, runtimeStateBytes: 0, reserveBytes: 0, ramNeeded: arenaBytes,
                             ramBytes: Int.max, fitsFlash: true, fitsRAM: true)
        }
        // Saturating arithmetic throughout: a board built in code (not read from a file) may hold any numbers, and
        // an overflow must read as "does not fit", never trap.
        let align = max(1, region.alignment)
        let wsm = max(0, wsmBytes), arena = max(0, arenaBytes)
        let remainder = wsm % align
        let flashNeeded = remainder == 0 ? wsm : saturatingAdd(wsm, align - remainder)
        let reserve = saturatingAdd(clamp(board.ramReserve.stack), clamp(board.ramReserve.runtime))
        let ramNeeded = saturatingAdd(saturatingAdd(arena, runtimeStateBytes), reserve)
        let regionBytes = clamp(region.size), ramBytes = clamp(ram.size)
        return FitReport(board: board.name, wsmBytes: wsmBytes, modelRegionBytes: regionBytes, flashNeeded: flashNeeded,
                         arenaBytes: arenaBytes, runtimeStateBytes: runtimeStateBytes, reserveBytes: reserve,
                         ramNeeded: ramNeeded, ramBytes: ramBytes,
                         fitsFlash: flashNeeded <= regionBytes && flashNeeded < Int.max,
                         fitsRAM: ramNeeded <= ramBytes && ramNeeded < Int.max)
    }

    /// `needed - available` for a report, without overflow.
    static func excess(_ needed: Int, _ available: Int) -> Int {
        let (d, overflow) = needed.subtractingReportingOverflow(available)
        return overflow ? .max : d
    }

    /// `a + b`, or `Int.max` when it overflows.
    static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// A board number as an `Int`, `Int.max` when it does not fit.
    static func clamp(_ v: UInt64) -> Int { v > UInt64(Int.max) ? .max : Int(v) }
}
