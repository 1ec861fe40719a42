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
            p.append("the model needs \(flashNeeded) bytes of flash but the model region of '\(board)' has \(modelRegionBytes) (\(flashNeeded - modelRegionBytes) bytes too many)")
        }
        if !fitsRAM {
            p.append("RAM: arena \(arenaBytes) + runtime state \(runtimeStateBytes) + reserve \(reserveBytes) = \(ramNeeded) bytes needed but '\(board)' has \(ramBytes) (\(ramNeeded - ramBytes) bytes too many)")
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
        let align = region.alignment
        let flashNeeded = (wsmBytes + align - 1) / align * align
        let reserve = Int(board.ramReserve.stack + board.ramReserve.runtime)
        let ramNeeded = arenaBytes + runtimeStateBytes + reserve
        return FitReport(board: board.name, wsmBytes: wsmBytes, modelRegionBytes: Int(region.size), flashNeeded: flashNeeded,
                         arenaBytes: arenaBytes, runtimeStateBytes: runtimeStateBytes, reserveBytes: reserve,
                         ramNeeded: ramNeeded, ramBytes: Int(ram.size), fitsFlash: flashNeeded <= Int(region.size),
                         fitsRAM: ramNeeded <= Int(ram.size))
    }
}
