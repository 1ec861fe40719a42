/// A seeded pseudo-random number generator whose whole state can be saved and restored, so a search can be
/// resumed bit-exactly.
///
/// The generator is xoshiro256** (Blackman & Vigna, 2018). The 64-bit seed is expanded into the 256-bit state
/// with SplitMix64, as the xoshiro authors recommend, so every seed (including 0) gives a valid, well-mixed
/// state. The search never touches the system generator: everything random in it comes from one
/// `SeededRandom`, and every derived quantity (uniform doubles, bounded integers) is computed here rather than
/// through the standard library's `random(in:using:)`, whose algorithm may change between Swift releases.
///
/// The state is `Codable` as four 16-digit hexadecimal strings (exact in any JSON reader, unlike 64-bit
/// integers in JavaScript):
///
/// ```swift
/// var random = SeededRandom(seed: 42)
/// let u = random.nextDouble()             // in [0, 1)
/// let saved = try JSONEncoder().encode(random)
/// var resumed = try JSONDecoder().decode(SeededRandom.self, from: saved)
/// assert(resumed.next() == random.next())
/// ```
public struct SeededRandom: RandomNumberGenerator, Sendable, Hashable, Codable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The four 64-bit words of xoshiro256** state, never all zero. ``init(words:)`` restores them.
    public var words: [UInt64] { [s0, s1, s2, s3] }

    /// A generator whose state is the SplitMix64 expansion of `seed`.
    public init(seed: UInt64) {
        var splitMix = seed
        var words: [UInt64] = []
        words.reserveCapacity(4)
        for _ in 0..<4 { words.append(Self.splitMix64(&splitMix)) }
        // SplitMix64 is a bijection of its counter, so four consecutive outputs are never all zero; keep the
        // guard anyway so the invariant is visible.
        if words.allSatisfy({ $0 == 0 }) { words[0] = 0x9E37_79B9_7F4A_7C15 }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    /// A generator with an explicit xoshiro256** state (for instance one saved earlier through ``words``).
    ///
    /// - Returns: `nil` when `words` does not hold exactly four words or holds only zeros (the one state
    ///   xoshiro256** cannot leave).
    public init?(words: [UInt64]) {
        guard words.count == 4, words.contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    /// One step of SplitMix64 (Steele, Lea & Flood 2014): advances `state` and returns the mixed output.
    public static func splitMix64(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A uniform double in [0, 1): the top 53 bits of ``next()`` scaled by 2⁻⁵³.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `0..<bound`, without modulo bias (Lemire's multiply-and-reject method).
    ///
    /// - Precondition: `bound > 0`.
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "SeededRandom.next(below:) needs a positive bound")
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

    /// A uniform index in `0..<count`.
    ///
    /// - Precondition: `count > 0`.
    public mutating func nextIndex(below count: Int) -> Int {
        precondition(count > 0, "SeededRandom.nextIndex(below:) needs a positive count")
        return Int(next(below: UInt64(count)))
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case state
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let strings = try container.decode([String].self, forKey: .state)
        let words = strings.compactMap { $0.utf8.count == 16 && $0.allSatisfy(\.isHexDigit) ? UInt64($0, radix: 16) : nil }
        guard words.count == 4, strings.count == 4, let random = SeededRandom(words: words) else {
            throw DecodingError.dataCorruptedError(
                forKey: .state, in: container,
                debugDescription: "expected four 16-digit hexadecimal words, not all zero; got \(strings)")
        }
        self = random
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(words.map(Self.hex16), forKey: .state)
    }

    private static func hex16(_ word: UInt64) -> String {
        let digits = String(word, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
