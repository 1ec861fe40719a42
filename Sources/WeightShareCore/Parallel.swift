import Dispatch
import Foundation

/// Work spread over the cores with `DispatchQueue.concurrentPerform`, unless the calling thread runs *serially*:
/// the search scores small candidates side by side, one thread each, and each candidate must split its work exactly
/// as when it runs alone (the split decides products' shapes and with them float rounding) without fanning out
/// again.
public enum Parallel {
    private static let key = "WeightShare.Parallel.serial"

    /// Whether the calling thread is inside ``serially(_:)``.
    public static var isSerial: Bool { Thread.current.threadDictionary[key] != nil }

    /// Runs `body` with every ``perform(iterations:_:)`` it reaches on this thread running its iterations in order,
    /// here.
    public static func serially<T>(_ body: () throws -> T) rethrows -> T {
        let dictionary = Thread.current.threadDictionary
        let before = dictionary[key]
        dictionary[key] = true
        defer { dictionary[key] = before }
        return try body()
    }

    /// `body(0..<iterations)`, concurrently unless serial (or a single iteration).
    public static func perform(iterations: Int, _ body: @Sendable (Int) -> Void) {
        if iterations <= 1 || isSerial {
            for i in 0..<iterations { body(i) }
        } else {
            DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
        }
    }
}
