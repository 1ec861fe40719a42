import Foundation

/// Seconds on a monotonic clock. A parameter so tests can drive time instead of sleeping.
public typealias SecondsClock = @Sendable () -> Double

/// Elapsed time and estimates of what remains, for the progress lines of long steps (generations, merges).
public enum ProgressTiming {
    /// Uptime: never jumps back when the wall clock is set.
    public static let monotonic: SecondsClock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// How often a merge prints a progress line by default (seconds); one-line merges print only their result.
    public static let defaultInterval = 5.0

    /// Remaining time: `remaining` units at the mean time per unit of the `done` units that took `elapsed`.
    /// nil before the first unit is done.
    public static func estimate(elapsed: Double, done: Int, remaining: Int) -> Double? {
        guard done > 0 else { return nil }
        return elapsed / Double(done) * Double(max(remaining, 0))
    }

    /// "8.4s" below a minute, "4m05s" below an hour, "2h07m" beyond; "?" when unknown.
    public static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "?" }
        let s = max(seconds, 0)
        if s < 59.95 { return String(format: "%.1fs", s) }
        let whole = Int(s.rounded())
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }
}

/// Lets a progress line through at most once every `interval` seconds, counted from `start`, so a fast step
/// prints nothing but its result and a slow one prints a line every few seconds.
public struct ProgressThrottle {
    public let interval: Double
    private var last: Double

    public init(interval: Double, start: Double) {
        self.interval = interval
        last = start
    }

    /// True when `interval` has passed since the last line let through (or the start); then counts from `now`.
    public mutating func allows(at now: Double) -> Bool {
        guard now - last >= interval else { return false }
        last = now
        return true
    }
}
