import WeightShareReader

/// What `wsc inspect` reports about a verified `.wsm`. Keys are stable (README).
public struct InspectionReport: Sendable, Encodable {
    public struct Tensor: Sendable, Encodable {
        public var index: Int
        public var name: String
        public var kind: String
        public var shape: [Int]
        public var elements: Int
        /// Offset in the arena (activations only).
        public var arenaOffset: Int?
        /// First index in the stream (shared tensors only).
        public var indexOffset: Int?
        /// Exact outliers (shared tensors only).
        public var outliers: Int?
        /// Shared tensors: "fixed" or "huffman", and the stream bits their indices take.
        public var indexCoding: String?
        public var indexBits: Int?
        /// Raw tensors: "float32" or "binary16".
        public var precision: String?
    }

    public struct Operator: Sendable, Encodable {
        public var opcode: String
        public var name: String
        public var inputs: [Int?]
        public var outputs: [Int]
    }

    public var bytes: Int
    public var formatVersion: Int
    public var requiredFeatures: [String]
    public var toolVersion: String
    public var sourceName: String
    public var sourceSHA256: String
    public var metric: String
    public var score: Double
    public var floatScore: Double
    public var seed: UInt64
    public var k: Int
    public var m: Int
    public var bitWidth: Int
    public var indexCount: Int
    public var streamBytes: Int
    /// The Huffman code table (code length per codebook entry); empty when no tensor is coded.
    public var codeLengths: [Int]
    public var codebook: [Float]
    public var arenaBytes: Int
    public var inputs: [String]
    public var outputs: [String]
    public var tensors: [Tensor]
    public var operators: [Operator]

    public init(model: WSMModel) {
        let meta = model.metadata
        bytes = model.byteCount
        formatVersion = meta.formatVersion
        requiredFeatures = meta.requiredFeatureNames
        toolVersion = meta.toolVersion
        sourceName = meta.sourceName
        sourceSHA256 = meta.sourceSHA256
        metric = meta.metric
        score = meta.score
        floatScore = meta.floatScore
        seed = meta.seed
        k = meta.k
        m = model.codebook.count
        bitWidth = model.stream.bitWidth
        indexCount = model.stream.count
        streamBytes = model.stream.bytes
        codeLengths = model.stream.codeLengths
        codebook = model.codebook
        arenaBytes = model.arenaBytes
        inputs = model.inputs.map(\.name)
        outputs = model.outputs.map(\.name)
        tensors = model.tensors.map {
            Tensor(index: $0.index, name: $0.name, kind: $0.kind.rawValue, shape: $0.shape, elements: $0.elementCount,
                   arenaOffset: $0.kind == .activation ? $0.arenaOffset : nil,
                   indexOffset: $0.kind == .shared ? $0.indexOffset : nil,
                   outliers: $0.kind == .shared ? $0.outlierCount : nil,
                   indexCoding: $0.kind == .shared ? $0.indexCoding : nil,
                   indexBits: $0.kind == .shared ? model.indices(ofTensor: $0.index)?.bits : nil,
                   precision: $0.kind == .raw ? $0.rawPrecision : nil)
        }
        operators = model.operators.map { Operator(opcode: $0.opcode, name: $0.name, inputs: $0.inputs, outputs: $0.outputs) }
    }
}
