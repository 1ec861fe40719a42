import Foundation
import WeightShare

/// What the `ReaderFuzz` suites share: the case count (`WS_FUZZ_CASES`, `make fuzz` sets 10,000) and draws from the
/// project's deterministic generator.
enum FuzzCases {
    static func count(default value: Int) -> Int {
        ProcessInfo.processInfo.environment["WS_FUZZ_CASES"].flatMap(Int.init).map { max(1, $0) } ?? value
    }
}

extension SeededRandom {
    /// A value in 0 ..< n (0 when n ≤ 1).
    mutating func below(_ n: Int) -> Int { nextIndex(below: max(1, n)) }
    mutating func chance(_ p: Double) -> Bool { nextDouble() < p }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
