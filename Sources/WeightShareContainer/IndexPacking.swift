/// Fixed-width index streams as DESIGN.md fixes them: b bits per index, LSB-first — element i occupies
/// stream bits [i·b, (i+1)·b) and stream bit j is bit (j mod 8) of byte ⌊j/8⌋ — followed by
/// `padding` zero bytes so a decoder may load whole 32-bit words past the last index.
public enum IndexPacking {
    public static let padding = 4

    /// Bytes the packed bits of `count` indices take, without padding.
    public static func packedBytes(count: Int, bitWidth: Int) -> Int { (count * bitWidth + 7) / 8 }

    /// Packs `indices` (each < 2^bitWidth) into a padded stream.
    public static func pack<C: Collection>(_ indices: C, bitWidth: Int) -> [UInt8] where C.Element == UInt32 {
        precondition((1...16).contains(bitWidth), "bit width must be 1...16")
        var bytes = [UInt8](repeating: 0, count: packedBytes(count: indices.count, bitWidth: bitWidth) + padding)
        var bit = 0
        for index in indices {
            precondition(index < (1 << bitWidth), "index \(index) does not fit \(bitWidth) bits")
            // Up to 16 bits starting anywhere in a byte span at most three bytes.
            var value = UInt32(index) << UInt32(bit & 7)
            var byte = bit >> 3
            while value != 0 {
                bytes[byte] |= UInt8(truncatingIfNeeded: value)
                value >>= 8
                byte += 1
            }
            bit += bitWidth
        }
        return bytes
    }

    /// Reads `count` indices back (the inverse of `pack`).
    public static func unpack(_ bytes: [UInt8], count: Int, bitWidth: Int) -> [UInt32] {
        precondition((1...16).contains(bitWidth), "bit width must be 1...16")
        precondition(bytes.count >= packedBytes(count: count, bitWidth: bitWidth), "stream too short")
        let mask = UInt32((1 << bitWidth) - 1)
        var out = [UInt32]()
        out.reserveCapacity(count)
        for i in 0..<count {
            let bit = i * bitWidth
            var word: UInt32 = 0
            for j in 0..<3 where (bit >> 3) + j < bytes.count {
                word |= UInt32(bytes[(bit >> 3) + j]) << UInt32(8 * j)
            }
            out.append((word >> UInt32(bit & 7)) & mask)
        }
        return out
    }
}
