import WeightShareRuntime

/// One tensor of a .wsm model.
public struct TensorInfo: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case activation, raw, shared
    }

    public var index: Int
    public var name: String
    public var kind: Kind
    public var shape: [Int]
    public var elementCount: Int
    /// Byte offset in the arena (activations).
    public var arenaOffset: Int
    /// First index in the stream (shared constants).
    public var indexOffset: Int
    /// Elements stored exactly instead of through the codebook (shared constants).
    public var outlierCount: Int
    /// How a shared constant's indices are stored: "fixed" (index_offset counts elements of the fixed-width part)
    /// or "huffman" (index_offset is the stream bit of its first code).
    public var indexCoding: String
    /// Raw constants: "float32", or "binary16" (feature HALF_RAW); "" for the other kinds.
    public var rawPrecision: String

    init(index: Int, _ info: ws_tensor_info) {
        self.index = index
        name = info.name.map { String(cString: $0) } ?? ""
        switch info.kind {
        case WS_TENSOR_RAW: kind = .raw
        case WS_TENSOR_SHARED: kind = .shared
        default: kind = .activation
        }
        let dims = withUnsafeBytes(of: info.shape) { Array($0.bindMemory(to: UInt32.self)) }
        shape = dims.prefix(Int(info.rank)).map(Int.init)
        elementCount = Int(info.elements)
        arenaOffset = Int(info.arena_offset)
        indexOffset = Int(info.index_offset)
        outlierCount = Int(info.num_outliers)
        indexCoding = info.index_encoding == WS_INDEX_HUFFMAN ? "huffman" : "fixed"
        rawPrecision = info.kind != WS_TENSOR_RAW ? "" : info.raw_half != nil ? "binary16" : "float32"
    }
}

public struct OperatorInfo: Sendable, Equatable {
    /// The schema's name of the opcode (`ws.fb.OpCode`), from the runtime's operator table (`ws_opcode_name`);
    /// "unknown" for a code the runtime does not know.
    public var opcode: String
    /// The opcode's numeric value (`ws_opcode`'s raw value), e.g. as a dictionary key.
    public var code: Int
    public var name: String
    /// Every input, in order (any number: Concat takes more than `ws_operator_info` copies); nil for an absent
    /// optional input.
    public var inputs: [Int?]
    public var outputs: [Int]

    /// Operator `index` of a loaded model (`index` < `ws_model_num_operators`).
    init(model: UnsafePointer<ws_model>, index: UInt32) {
        var info = ws_operator_info()
        let status = ws_model_operator(model, index, &info)
        precondition(status == WS_OK, "operator \(index) of a loaded model")
        opcode = String(cString: ws_opcode_name(info.opcode))
        code = Int(info.opcode.rawValue)
        name = info.name.map { String(cString: $0) } ?? ""
        inputs = (0..<info.num_inputs).map { i in
            let t = ws_model_operator_input(model, index, i)
            return t < 0 ? nil : Int(t)
        }
        let outs = withUnsafeBytes(of: info.outputs) { Array($0.bindMemory(to: Int32.self)) }
        outputs = outs.prefix(Int(info.num_outputs)).map(Int.init)
    }
}

public struct StreamInfo: Sendable, Equatable {
    /// 0 = fixed width.
    public var encoding: Int
    public var bitWidth: Int
    public var count: Int
    /// Bytes of packed data, padding included.
    public var bytes: Int
    /// The Huffman code table (feature HUFFMAN): code length of each codebook entry; empty without one.
    public var codeLengths: [Int] = []
}

public struct ModelMetadata: Sendable, Equatable {
    public var formatVersion: Int
    /// Feature bits the file declares (`WS_FEATURE_*`: 1 = exact outliers, 2 = one-element epilogue scales,
    /// 4 = Huffman-coded indices, 8 = binary16 raw constants).
    public var requiredFeatures: UInt64

    /// Names of the declared feature bits; bits this reader does not know by number.
    public var requiredFeatureNames: [String] {
        let known: [(UInt64, String)] = [(UInt64(WS_FEATURE_OUTLIERS), "outliers"),
                                         (UInt64(WS_FEATURE_SCALAR_SCALE), "scalar-scale"),
                                         (UInt64(WS_FEATURE_HUFFMAN), "huffman"),
                                         (UInt64(WS_FEATURE_HALF_RAW), "half-raw")]
        var names = known.filter { requiredFeatures & $0.0 != 0 }.map(\.1)
        let unknown = requiredFeatures & ~known.reduce(0) { $0 | $1.0 }
        if unknown != 0 { names.append("bits 0x" + String(unknown, radix: 16)) }
        return names
    }
    public var toolVersion: String
    public var sourceSHA256: String
    public var sourceName: String
    public var metric: String
    public var solutionJSON: String
    public var k: Int
    public var m: Int
    public var seed: UInt64
    public var score: Double
    public var floatScore: Double

    init(_ m: ws_metadata) {
        func text(_ p: UnsafePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
        formatVersion = Int(m.format_version)
        requiredFeatures = m.required_features
        toolVersion = text(m.tool_version)
        sourceSHA256 = text(m.source_sha256)
        sourceName = text(m.source_name)
        metric = text(m.metric)
        solutionJSON = text(m.solution_json)
        k = Int(m.k)
        self.m = Int(m.m)
        seed = m.seed
        score = m.score
        floatScore = m.float_score
    }
}
