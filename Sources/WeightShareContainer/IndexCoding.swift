import WeightShareCompress
import WeightShareGraph

/// How a container stores each shared tensor's codebook indices (feature HUFFMAN of the format, `wsm.fbs`).
public enum IndexCoding: String, Sendable, Codable, CaseIterable {
    /// Every tensor fixed width (⌈log2 M⌉ bits per index): what every runtime reads.
    case fixed
    /// Every tensor the kernels read in storage order Huffman-coded, the others fixed width.
    case huffman
    /// Per tensor, whichever is smaller (code table included); the whole file fixed width when coding saves
    /// nothing.
    case auto
    /// `auto` over the tensors only convolutions read (Conv, ConvTranspose: coded at about fixed-width speed);
    /// dense layers' weights (Gemm, MatMul, recurrent) fixed width, since their coded decode costs several times the
    /// fixed-width one on a Cortex-M (bench/dense_decode.json).
    case conv

    /// What `wsc compile` writes unless told otherwise; a search sizes its candidates for a board the same way.
    public static let compileDefault = IndexCoding.auto

    /// Whether the writer compares the coded file with the fixed-width one and keeps the smaller.
    public var keepsSmaller: Bool { self == .auto || self == .conv }
}

/// The canonical, length-limited Huffman code a container stores: code lengths only (the runtime derives the
/// codes), every length ≤ ``maximumLength``, the code complete (Kraft sum exactly 1) so that every bit pattern
/// decodes, at most ``maximumSymbols`` codebook entries.
public enum HuffmanCode {
    /// Longest code the runtime decodes (WS_HUFFMAN_MAX_LENGTH).
    public static let maximumLength = 12
    /// Largest codebook a code table covers (WS_HUFFMAN_MAX_SYMBOLS).
    public static let maximumSymbols = 256

    /// Code lengths for `frequencies` (0 for unused symbols), limited to `maximumLength` bits and completed: after
    /// limiting, the most frequent symbols are shortened while the Kraft sum stays ≤ 1, until it is exactly 1.
    public static func lengths(frequencies: [Int]) -> [Int] {
        var lengths = HuffmanLengths.lengths(frequencies: frequencies, limit: maximumLength)
        let used = lengths.indices.filter { lengths[$0] > 0 }
        guard used.count > 1 else { return lengths }
        let full = 1 << maximumLength
        var kraft = used.reduce(0) { $0 + (1 << (maximumLength - lengths[$1])) }
        while kraft < full {
            // Shortening a code of length l adds 2^(L-l); the longest codes always fit the slack.
            let fits = used.filter { lengths[$0] > 1 && kraft + (1 << (maximumLength - lengths[$0])) <= full }
            guard let pick = fits.max(by: { frequencies[$0] != frequencies[$1]
                ? frequencies[$0] < frequencies[$1] : $0 > $1 }) else { break }
            kraft += 1 << (maximumLength - lengths[pick])
            lengths[pick] -= 1
        }
        return lengths
    }

    /// Canonical codes (RFC 1951 §3.2.2) of `lengths`: symbols by (length, index) get consecutive codes.
    public static func codes(lengths: [Int]) -> [UInt32] {
        let maxLength = lengths.max() ?? 0
        var count = [Int](repeating: 0, count: maxLength + 1)
        for l in lengths where l > 0 { count[l] += 1 }
        var next = [UInt32](repeating: 0, count: maxLength + 1)
        var code: UInt32 = 0
        for l in stride(from: 1, through: maxLength, by: 1) {  // count[0] is 0: unused symbols take no code
            code = (code + UInt32(count[l - 1])) << 1
            next[l] = code
        }
        return lengths.map { l in
            guard l > 0 else { return 0 }
            defer { next[l] += 1 }
            return next[l]
        }
    }

    /// Appends the codes of `indices` to `bits` (LSB-first stream; each code's most significant bit first).
    public static func append<C: Collection>(_ indices: C, lengths: [Int], codes: [UInt32], to bits: inout BitWriter)
    where C.Element == UInt32 {
        for index in indices {
            let l = lengths[Int(index)]
            precondition(l > 0, "index \(index) has no code")
            let code = codes[Int(index)]
            for b in stride(from: l - 1, through: 0, by: -1) { bits.append(bit: (code >> UInt32(b)) & 1 == 1) }
        }
    }

    /// Stream bits of `indices` under `lengths`.
    public static func bits<C: Collection>(_ indices: C, lengths: [Int]) -> Int where C.Element == UInt32 {
        indices.reduce(0) { $0 + lengths[Int($1)] }
    }
}

/// An LSB-first bit stream: bit j is bit (j mod 8) of byte ⌊j/8⌋.
public struct BitWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public private(set) var count = 0
    public init() {}
    public mutating func append(bit: Bool) {
        if count % 8 == 0 { bytes.append(0) }
        if bit { bytes[count / 8] |= UInt8(1 << (count % 8)) }
        count += 1
    }
}

/// Which shared tensors a container codes, with the code: the part of ``ContainerWriter`` that decides.
public struct IndexCodingPlan: Sendable, Equatable {
    /// Tensor ids (into `LoweredModel.tensors`) stored Huffman-coded.
    public var coded: Set<Int> = []
    /// Code length of every codebook entry (empty when nothing is coded).
    public var lengths: [Int] = []

    public init() {}

    /// Shared tensors every reader of which streams them in storage order: input 1 of Gemm, of MatMul with a B of
    /// rank ≤ 2 (a batched B is re-read from inside per batch), of Conv and ConvTranspose. Gemm/MatMul's A is read
    /// by random access (the format refuses it coded); recurrent weights are re-read every step and stay fixed.
    public static func streamable(_ model: LoweredModel, shared: Set<Int>) -> Set<Int> {
        var ok = Set<Int>(), refused = Set<Int>()
        for operation in model.operations {
            for (slot, input) in operation.inputs.enumerated() {
                guard let t = input, shared.contains(t) else { continue }
                let streams: Bool
                switch operation.kind {
                case .gemm, .conv, .convTranspose: streams = slot == 1
                case .matMul: streams = slot == 1 && model.tensors[t].shape.count <= 2
                default: streams = false
                }
                if streams { ok.insert(t) } else { refused.insert(t) }
            }
        }
        return ok.subtracting(refused)
    }

    /// Shared tensors that only Conv and ConvTranspose read.
    public static func convolutionOnly(_ model: LoweredModel, shared: Set<Int>) -> Set<Int> {
        var conv = Set<Int>(), other = Set<Int>()
        for operation in model.operations {
            for case let t? in operation.inputs where shared.contains(t) {
                switch operation.kind {
                case .conv, .convTranspose: conv.insert(t)
                default: other.insert(t)
                }
            }
        }
        return conv.subtracting(other)
    }

    /// The plan for `coding`: `.huffman` codes every streamable tensor; `.auto` drops, until none is left to drop,
    /// each tensor whose codes under the code of the remaining ones take at least its fixed-width bits (the caller
    /// then compares whole files); `.conv` does the same starting from the streamable tensors only convolutions
    /// read. Tensors in `fixedWidth` (ids) are never coded. Codebooks above ``HuffmanCode/maximumSymbols`` are
    /// never coded.
    public static func make(model: LoweredModel, slices: [SharedWeights.Slice], quantization q: Quantization,
                            coding: IndexCoding, fixedWidth: Set<Int> = []) -> IndexCodingPlan {
        var plan = IndexCodingPlan()
        guard coding != .fixed, q.codebookSize <= HuffmanCode.maximumSymbols, !slices.isEmpty else { return plan }
        let byTensor = Dictionary(uniqueKeysWithValues: slices.map { ($0.tensor, $0) })
        var coded = streamable(model, shared: Set(byTensor.keys)).subtracting(fixedWidth)
        if coding == .conv { coded = convolutionOnly(model, shared: coded) }
        func indices(_ t: Int) -> ArraySlice<UInt32> {
            let s = byTensor[t]!
            return q.indices[s.offset..<(s.offset + s.count)]
        }
        func lengths(_ set: Set<Int>) -> [Int] {
            var frequencies = [Int](repeating: 0, count: q.codebookSize)
            for t in set { for i in indices(t) { frequencies[Int(i)] += 1 } }
            return HuffmanCode.lengths(frequencies: frequencies)
        }
        while coding.keepsSmaller && !coded.isEmpty {
            let l = lengths(coded)
            let kept = coded.filter { HuffmanCode.bits(indices($0), lengths: l) < indices($0).count * q.bitWidth }
            if kept == coded { break }
            coded = kept
        }
        guard !coded.isEmpty else { return plan }
        plan.coded = coded
        plan.lengths = lengths(coded)
        return plan
    }
}
