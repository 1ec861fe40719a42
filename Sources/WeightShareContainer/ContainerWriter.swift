import WSMFlatBuffers
import WeightShareRuntime
import WeightShareCompress
import WeightShareCore
import WeightShareGraph

/// What the container's metadata table records about a solution.
public struct ContainerMetadata: Sendable, Equatable {
    public var sourceSHA256: String
    public var sourceName: String
    public var metric: String
    public var seed: UInt64
    public var score: Double
    public var floatScore: Double
    /// JSON describing the solution (genome, grouping), for tools.
    public var solutionJSON: String
    /// Which tensor and operator names the file keeps.
    public var names: ContainerNames

    public init(sourceSHA256: String = "", sourceName: String = "", metric: String = "", seed: UInt64 = 0,
                score: Double = 0, floatScore: Double = 0, solutionJSON: String = "", names: ContainerNames = .all) {
        self.sourceSHA256 = sourceSHA256
        self.sourceName = sourceName
        self.metric = metric
        self.seed = seed
        self.score = score
        self.floatScore = floatScore
        self.solutionJSON = solutionJSON
        self.names = names
    }
}

/// The names a container keeps (the format makes every name optional; runtimes read "" for an absent one).
public enum ContainerNames: Sendable, Equatable {
    /// Every tensor's and operator's name, as the ONNX model has them.
    case all
    /// Only what tools address by name: the graph's inputs and outputs, and the scale tensors the weight
    /// normalisation adds, as `.weight_scale` alone (reports count them as scales by that suffix). ONNX exporters'
    /// long internal names are up to a fifth of a small model's file (bench/tflm_lut.json).
    case interface
}

public enum ContainerError: Error, CustomStringConvertible, Equatable {
    case outOfMemory
    case tooLarge(what: String, value: Int)
    case sharingMismatch(String)
    case rejectedByVerifier

    public var description: String {
        switch self {
        case .outOfMemory: return "out of memory while building the container"
        case .tooLarge(let what, let value): return "\(what) is too large for the container (\(value))"
        case .sharingMismatch(let why): return "shared weights do not match the model: \(why)"
        case .rejectedByVerifier: return "internal error: the FlatBuffers Verifier rejected the written container"
        }
    }
}

/// Writes a lowered model, its memory plan and (optionally) a quantization of its shared weights as a .wsm
/// buffer through the official FlatBuffers library. Without a quantization every constant is stored raw
/// (the float reference model). Deterministic: the same inputs give the same bytes.
public enum ContainerWriter {
    public static let formatVersion: UInt32 = WS_FORMAT_VERSION
    /// The name suffix of the scale tensors the weight normalisation adds, which reports count as scales; a file
    /// with ``ContainerNames/interface`` names them by the suffix alone (stored once, every tensor pointing at it).
    public static let scaleSuffix = ".weight_scale"

    /// - Parameter coding: how the shared tensors' indices are stored (``IndexCoding``); `.auto` and `.conv` write
    ///   the file both ways when coding could pay and keep the smaller (every byte counted).
    /// - Parameter fixedWidth: tensors (ids) kept fixed width whatever `coding` says.
    /// - Parameter constants: how biases and epilogue scales are stored (``ConstantPrecision``).
    public static func write(model: LoweredModel, plan: MemoryPlan,
                             sharing: (weights: SharedWeights, quantization: Quantization)? = nil,
                             outliers: OutlierTable = OutlierTable(),
                             metadata: ContainerMetadata? = nil, coding: IndexCoding = .fixed,
                             fixedWidth: Set<Int> = [], constants: ConstantPrecision = .float) throws -> [UInt8] {
        let half = constants.halfTensors(model)
        guard let (weights, quantization) = sharing, coding != .fixed else {
            return try write(model: model, plan: plan, sharing: sharing, outliers: outliers, metadata: metadata,
                             codingPlan: IndexCodingPlan(), half: half)
        }
        let codingPlan = IndexCodingPlan.make(model: model, slices: weights.slices, quantization: quantization,
                                              coding: coding, fixedWidth: fixedWidth)
        let coded = try write(model: model, plan: plan, sharing: sharing, outliers: outliers, metadata: metadata,
                              codingPlan: codingPlan, half: half)
        guard coding.keepsSmaller, !codingPlan.coded.isEmpty else { return coded }
        let fixed = try write(model: model, plan: plan, sharing: sharing, outliers: outliers, metadata: metadata,
                              codingPlan: IndexCodingPlan(), half: half)
        return coded.count < fixed.count ? coded : fixed
    }

    /// Where each shared tensor's indices go: element offsets in the fixed-width part, bit offsets of coded runs
    /// after it, and the stream's bytes (padding included). Without coded tensors, exactly today's layout.
    static func layout(_ weights: SharedWeights, _ q: Quantization, _ codingPlan: IndexCodingPlan)
        -> (offsets: [Int: UInt64], fixedCount: Int, stream: [UInt8]) {
        guard !codingPlan.coded.isEmpty else {
            let offsets = Dictionary(uniqueKeysWithValues: weights.slices.map { ($0.tensor, UInt64($0.offset)) })
            return (offsets, q.indices.count, IndexPacking.pack(q.indices, bitWidth: q.bitWidth))
        }
        let slices = weights.slices.sorted { $0.offset < $1.offset }
        var offsets: [Int: UInt64] = [:]
        var fixed: [UInt32] = []
        for s in slices where !codingPlan.coded.contains(s.tensor) {
            offsets[s.tensor] = UInt64(fixed.count)
            fixed.append(contentsOf: q.indices[s.offset..<(s.offset + s.count)])
        }
        var stream = IndexPacking.pack(fixed, bitWidth: q.bitWidth)
        stream.removeLast(IndexPacking.padding)
        let base = 8 * stream.count
        let codes = HuffmanCode.codes(lengths: codingPlan.lengths)
        var bits = BitWriter()
        for s in slices where codingPlan.coded.contains(s.tensor) {
            offsets[s.tensor] = UInt64(base + bits.count)
            HuffmanCode.append(q.indices[s.offset..<(s.offset + s.count)], lengths: codingPlan.lengths, codes: codes,
                               to: &bits)
        }
        stream += bits.bytes
        stream += [UInt8](repeating: 0, count: IndexPacking.padding)
        return (offsets, fixed.count, stream)
    }

    /// `half`: raw tensors stored as binary16 (``ConstantPrecision/halfTensors(_:)``).
    static func write(model: LoweredModel, plan: MemoryPlan,
                      sharing: (weights: SharedWeights, quantization: Quantization)?, outliers: OutlierTable,
                      metadata: ContainerMetadata?, codingPlan: IndexCodingPlan, half: Set<Int>) throws -> [UInt8] {
        guard let builder = wsm_builder_create() else { throw ContainerError.outOfMemory }
        defer { wsm_builder_destroy(builder) }
        guard plan.arenaBytes < Int(Int32.max) else { throw ContainerError.tooLarge(what: "arena", value: plan.arenaBytes) }

        var sharedSlices: [Int: SharedWeights.Slice] = [:]
        var streamLayout: (offsets: [Int: UInt64], fixedCount: Int, stream: [UInt8])?
        if let (weights, quantization) = sharing {
            guard weights.count == quantization.indices.count else {
                throw ContainerError.sharingMismatch("\(weights.count) shared weights, \(quantization.indices.count) indices")
            }
            for slice in weights.slices { sharedSlices[slice.tensor] = slice }
            streamLayout = layout(weights, quantization, codingPlan)
            guard outliers.positions.allSatisfy({ $0 < weights.count }) else {
                throw ContainerError.sharingMismatch("an outlier lies past the \(weights.count) shared weights")
            }
        } else if outliers.count > 0 {
            throw ContainerError.sharingMismatch("outliers given without shared weights")
        }

        let names = metadata?.names ?? .all
        let interface = Set(model.inputs + model.outputs)
        for (t, tensor) in model.tensors.enumerated() {
            let shape = tensor.shape.map { UInt32($0) }
            let name: String? = names == .all || interface.contains(t) ? tensor.name
                : tensor.name.hasSuffix(Self.scaleSuffix) ? Self.scaleSuffix : nil
            guard tensor.elementCount < Int(Int32.max) / 4 else {
                throw ContainerError.tooLarge(what: "tensor \(tensor.name)", value: tensor.elementCount)
            }
            let index: Int32 = shape.withUnsafeBufferPointer { dims in
                if let slice = sharedSlices[t] {
                    let (positions, values) = Self.outliers(outliers, in: slice)
                    let offset = streamLayout?.offsets[t] ?? UInt64(slice.offset)
                    let encoding: UInt8 = codingPlan.coded.contains(t) ? 1 : 0
                    return positions.withUnsafeBufferPointer { p in
                        values.withUnsafeBufferPointer { v in
                            wsm_builder_add_shared_encoded(builder, name, dims.baseAddress, UInt32(dims.count),
                                                           offset, encoding, p.baseAddress, v.baseAddress,
                                                           UInt32(p.count))
                        }
                    }
                } else if let values = tensor.constant, half.contains(t) {
                    return HalfValues.bitPatterns(values).withUnsafeBufferPointer {
                        wsm_builder_add_raw_half(builder, name, dims.baseAddress, UInt32(dims.count),
                                                 $0.baseAddress, UInt32($0.count))
                    }
                } else if let values = tensor.constant {
                    return values.withUnsafeBufferPointer {
                        wsm_builder_add_raw(builder, name, dims.baseAddress, UInt32(dims.count),
                                            $0.baseAddress, UInt32($0.count))
                    }
                } else {
                    return wsm_builder_add_activation(builder, name, dims.baseAddress, UInt32(dims.count),
                                                      UInt32(plan.offsets[t] ?? 0))
                }
            }
            guard index == Int32(t) else { throw ContainerError.outOfMemory }
        }

        for operation in model.operations {
            let inputs = operation.inputs.map { Int32($0 ?? -1) }
            let outputs = operation.outputs.map { Int32($0) }
            let status: Int32 = inputs.withUnsafeBufferPointer { i in
                outputs.withUnsafeBufferPointer { o in
                    let (ip, ic, op, oc) = (i.baseAddress, UInt32(i.count), o.baseAddress, UInt32(o.count))
                    return addOperator(builder, operation, named: names == .all, ip, ic, op, oc)
                }
            }
            guard status == 0 else { throw ContainerError.outOfMemory }
        }

        if let (_, quantization) = sharing, let (_, fixedCount, stream) = streamLayout {
            let lengths = codingPlan.lengths.map { UInt8($0) }
            let ok = quantization.codebook.withUnsafeBufferPointer {
                wsm_builder_set_codebook(builder, $0.baseAddress, UInt32($0.count))
            } == 0 && stream.withUnsafeBufferPointer { data in
                lengths.withUnsafeBufferPointer { l in
                    wsm_builder_set_coded_index_stream(builder, 0, UInt8(quantization.bitWidth), UInt64(fixedCount),
                                                       data.baseAddress, data.count,
                                                       l.isEmpty ? nil : l.baseAddress, UInt32(l.count))
                }
            } == 0
            guard ok else { throw ContainerError.outOfMemory }
        }

        let inputs = model.inputs.map(Int32.init)
        let outputs = model.outputs.map(Int32.init)
        let io = inputs.withUnsafeBufferPointer { i in
            outputs.withUnsafeBufferPointer { o in
                wsm_builder_set_graph_io(builder, i.baseAddress, UInt32(i.count), o.baseAddress, UInt32(o.count))
            }
        }
        guard io == 0 else { throw ContainerError.outOfMemory }
        wsm_builder_set_arena_bytes(builder, UInt32(plan.arenaBytes))

        let meta = metadata ?? ContainerMetadata()
        let quantization = sharing?.quantization
        let metaStatus = WeightShareVersion.string.withCString { tool in
            meta.sourceSHA256.withCString { sha in
                meta.sourceName.withCString { source in
                    meta.metric.withCString { metric in
                        meta.solutionJSON.withCString { solution in
                            var m = wsm_metadata(tool_version: tool, source_sha256: sha, source_name: source,
                                                 metric: metric, solution_json: solution,
                                                 k: UInt32(quantization?.k ?? 0),
                                                 m: UInt32(quantization?.codebookSize ?? 0), seed: meta.seed,
                                                 score: meta.score, float_score: meta.floatScore)
                            return wsm_builder_set_metadata(builder, &m)
                        }
                    }
                }
            }
        }
        guard metaStatus == 0,
              wsm_builder_finish(builder, formatVersion, requiredFeatures(model, outliers: outliers)
                                 | (codingPlan.coded.isEmpty ? 0 : UInt64(WS_FEATURE_HUFFMAN))
                                 | (half.isEmpty ? 0 : UInt64(WS_FEATURE_HALF_RAW))) == 0 else {
            throw ContainerError.outOfMemory
        }
        var length = 0
        guard let data = wsm_builder_data(builder, &length) else { throw ContainerError.outOfMemory }
        let bytes = Array(UnsafeBufferPointer(start: data, count: length))
        guard wsm_flatbuffers_verify(bytes, bytes.count) == 1 else { throw ContainerError.rejectedByVerifier }
        return bytes
    }
}

extension ContainerWriter {
    /// Feature bits the file needs: OUTLIERS when it stores any, SCALAR_SCALE when an epilogue scale of one
    /// element serves several channels. A file with neither loads in every reader of its version.
    static func requiredFeatures(_ model: LoweredModel, outliers: OutlierTable) -> UInt64 {
        var features: UInt64 = outliers.count > 0 ? UInt64(WS_FEATURE_OUTLIERS) : 0
        for operation in model.operations {
            switch operation.kind {
            case .conv, .convTranspose, .gemm:
                guard operation.inputs.count > 3, let s = operation.inputs[3] else { continue }
                let channels = model.tensors[operation.outputs[0]].shape.dropFirst().first ?? 1
                if model.tensors[s].elementCount == 1 && channels > 1 { features |= UInt64(WS_FEATURE_SCALAR_SCALE) }
            default:
                continue
            }
        }
        return features
    }

    /// The outliers of one shared tensor: positions within it (ascending) and values.
    static func outliers(_ table: OutlierTable, in slice: SharedWeights.Slice) -> (positions: [UInt32], values: [Float]) {
        let range = slice.offset..<(slice.offset + slice.count)
        let chosen = table.positions.indices.filter { range.contains(table.positions[$0]) }
        return (chosen.map { UInt32(table.positions[$0] - slice.offset) }, chosen.map { table.values[$0] })
    }

    /// Adds one operation with its options (and its name when `named`) through the matching wsm_builder
    /// function; 0 or -1.
    static func addOperator(_ builder: OpaquePointer, _ operation: LoweredModel.Operation, named: Bool,
                            _ ip: UnsafePointer<Int32>?, _ ic: UInt32, _ op: UnsafePointer<Int32>?,
                            _ oc: UInt32) -> Int32 {
        let name: String? = named ? operation.name : nil
        func plain(_ code: ws_opcode) -> Int32 {
            wsm_builder_add_operator(builder, UInt8(code.rawValue), name, ip, ic, op, oc)
        }
        func activation(_ code: ws_opcode, _ alpha: Float, _ beta: Float) -> Int32 {
            wsm_builder_add_activation_op(builder, UInt8(code.rawValue), name, ip, ic, op, oc, alpha, beta)
        }
        func u32(_ v: [Int]) -> [UInt32] { v.map { UInt32(clamping: $0) } }
        switch operation.kind {
        case let .gemm(alpha, beta, transA, transB):
            return wsm_builder_add_gemm(builder, name, ip, ic, op, oc, alpha, beta, transA ? 1 : 0, transB ? 1 : 0)
        case let .softmax(axis, coerce2D):
            return wsm_builder_add_softmax(builder, name, ip, ic, op, oc, UInt32(axis), coerce2D ? 1 : 0)
        case .matMul: return plain(WS_OP_MATMUL)
        case .add: return plain(WS_OP_ADD)
        case .pointwise(let opcode): return plain(opcode)
        case .reshape: return plain(WS_OP_RESHAPE)
        case .globalAveragePool: return plain(WS_OP_GLOBAL_AVERAGE_POOL)
        case .sub: return plain(WS_OP_SUB)
        case .mul: return plain(WS_OP_MUL)
        case .div: return plain(WS_OP_DIV)
        case .prelu: return plain(WS_OP_PRELU)
        case .channelAffine: return plain(WS_OP_CHANNEL_AFFINE)
        case .elementwise(let opcode): return plain(opcode)
        case .select: return plain(WS_OP_WHERE)
        case let .powScalar(exponent): return activation(WS_OP_POW_SCALAR, exponent, 0)
        case let .clip(low, high): return activation(WS_OP_CLIP, low, high)
        case let .leakyRelu(alpha): return activation(WS_OP_LEAKY_RELU, alpha, 0)
        case let .hardSigmoid(alpha, beta): return activation(WS_OP_HARD_SIGMOID, alpha, beta)
        case let .conv(group, strides, dilations, pads):
            return wsm_builder_add_conv(builder, UInt8(WS_OP_CONV.rawValue), name, ip, ic, op, oc, UInt32(group),
                                        u32(strides), u32(dilations), u32(pads), nil, UInt32(strides.count))
        case let .convTranspose(group, strides, dilations, pads, outputPadding):
            return wsm_builder_add_conv(builder, UInt8(WS_OP_CONV_TRANSPOSE.rawValue), name, ip, ic, op, oc,
                                        UInt32(group), u32(strides), u32(dilations), u32(pads), u32(outputPadding),
                                        UInt32(strides.count))
        case let .maxPool(kernel, strides, dilations, pads):
            return wsm_builder_add_pool(builder, UInt8(WS_OP_MAX_POOL.rawValue), name, ip, ic, op, oc, u32(kernel),
                                        u32(strides), u32(dilations), u32(pads), UInt32(kernel.count), 0)
        case let .averagePool(kernel, strides, dilations, pads, countIncludePad):
            return wsm_builder_add_pool(builder, UInt8(WS_OP_AVERAGE_POOL.rawValue), name, ip, ic, op, oc, u32(kernel),
                                        u32(strides), u32(dilations), u32(pads), UInt32(kernel.count),
                                        countIncludePad ? 1 : 0)
        case let .concat(axis):
            return wsm_builder_add_concat(builder, name, ip, ic, op, oc, UInt32(axis))
        case let .transpose(perm):
            return wsm_builder_add_transpose(builder, name, ip, ic, op, oc, u32(perm), UInt32(perm.count))
        case let .pad(mode, pads, value):
            return wsm_builder_add_pad(builder, name, ip, ic, op, oc, mode.rawValue, u32(pads), UInt32(pads.count),
                                       value)
        case let .resize(mode, transform, nearest, scales):
            return wsm_builder_add_resize(builder, name, ip, ic, op, oc, mode.rawValue, transform.rawValue,
                                          nearest.rawValue, scales, UInt32(scales.count))
        case let .reduce(mode, axes, keepDims):
            return wsm_builder_add_reduce(builder, name, ip, ic, op, oc, mode.rawValue, u32(axes), UInt32(axes.count),
                                          keepDims ? 1 : 0)
        case let .logSoftmax(axis, coerce2D):
            return wsm_builder_add_log_softmax(builder, name, ip, ic, op, oc, UInt32(axis), coerce2D ? 1 : 0)
        case let .layerNormalization(axis, epsilon):
            return wsm_builder_add_layer_norm(builder, name, ip, ic, op, oc, UInt32(axis), epsilon)
        case let .slice(starts, steps):
            return wsm_builder_add_slice(builder, name, ip, ic, op, oc, u32(starts),
                                         steps.map { Int32(clamping: $0) }, UInt32(starts.count))
        case let .gather(axis, indices):
            return wsm_builder_add_gather(builder, name, ip, ic, op, oc, UInt32(axis), u32(indices),
                                          UInt32(indices.count))
        case .tile: return plain(WS_OP_TILE)
        case let .recurrent(cell, direction, layout, linearBeforeReset):
            let code = cell == .lstm ? WS_OP_LSTM : cell == .gru ? WS_OP_GRU : WS_OP_RNN
            return wsm_builder_add_recurrent(builder, UInt8(code.rawValue), name, ip, ic, op, oc, direction.rawValue,
                                             UInt8(layout), linearBeforeReset ? 1 : 0)
        }
    }
}
