import WeightShareRuntime

/// What an application needs to know about a `.wsm` to run it, read from the file itself by the C runtime (so the
/// numbers are the ones the board's runtime will see): the arena size, the graph inputs and outputs with their
/// shapes, and the set of operators the file uses (the op set a firmware must be built with).
public struct ModelFacts: Sendable, Equatable {
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var elements: Int
    }

    /// One operator type the model uses.
    public struct Operator: Sendable, Equatable, Comparable {
        /// The opcode (the file format's value).
        public var code: Int
        /// The schema's name (`AveragePool`).
        public var name: String
        /// The runtime table's C name (`AVERAGE_POOL`: `WS_OP_AVERAGE_POOL`, `WS_OP_ENABLE_AVERAGE_POOL`).
        public var symbol: String
        /// How many operators of the graph have this type.
        public var count: Int

        public static func < (a: Operator, b: Operator) -> Bool { a.code < b.code }
    }

    public var arenaBytes: Int
    public var inputs: [Tensor]
    public var outputs: [Tensor]
    /// The operator types, by opcode.
    public var operators: [Operator]
    /// Whether some shared tensor stores Huffman-coded indices (the file declares WS_FEATURE_HUFFMAN): a firmware
    /// built for this model needs the Huffman decoder.
    public var huffman: Bool
    /// The index width of the shared weights (0 without any): a firmware built for this model compiles the dense
    /// layers' fast paths for this width only.
    public var bitWidth: Int
    /// Whether some fixed-width shared tensor's first index starts inside a byte (its rows then start at a bit
    /// shift): a firmware built for a model without one leaves out the dense loops that shift their windows.
    public var midByteTensors: Bool

    /// Loads `wsm` with the runtime (verified like on a board); nil when it does not load.
    public init?(wsm: [UInt8]) {
        guard !wsm.isEmpty, wsm.count < Int(Int32.max) else { return nil }
        // The runtime wants a WS_ALIGNMENT-aligned buffer; a fresh allocation is.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: wsm.count, alignment: 16)
        defer { buffer.deallocate() }
        buffer.copyMemory(from: wsm, byteCount: wsm.count)
        let scratchBytes = wsm.count / 16 + 1 // WS_VERIFY_SCRATCH_BYTES_FOR_FILE
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 16)
        defer { scratch.deallocate() }
        var model = ws_model()
        guard ws_model_load_scratch(&model, buffer, wsm.count, nil, scratch, scratchBytes) == WS_OK else { return nil }

        func tensor(_ id: ws_tensor_id) -> Tensor? {
            var info = ws_tensor_info()
            guard ws_model_tensor(&model, id, &info) == WS_OK else { return nil }
            let shape = withUnsafeBytes(of: info.shape) { Array($0.bindMemory(to: UInt32.self).prefix(Int(info.rank))) }
            return Tensor(name: info.name.map { String(cString: $0) } ?? "", shape: shape.map(Int.init),
                          elements: Int(info.elements))
        }
        var inputs: [Tensor] = [], outputs: [Tensor] = []
        for i in 0..<ws_model_num_inputs(&model) {
            guard let t = tensor(ws_model_input(&model, i)) else { return nil }
            inputs.append(t)
        }
        for i in 0..<ws_model_num_outputs(&model) {
            guard let t = tensor(ws_model_output(&model, i)) else { return nil }
            outputs.append(t)
        }
        var counts: [Int: Int] = [:]
        for o in 0..<ws_model_num_operators(&model) {
            var info = ws_operator_info()
            guard ws_model_operator(&model, o, &info) == WS_OK else { return nil }
            counts[Int(info.opcode.rawValue), default: 0] += 1
        }
        let operators = counts.map { code, count in
            let opcode = ws_opcode(rawValue: UInt32(code))
            return Operator(code: code, name: String(cString: ws_opcode_name(opcode)),
                            symbol: String(cString: ws_opcode_symbol(opcode)), count: count)
        }
        self.arenaBytes = Int(ws_model_arena_bytes(&model))
        self.inputs = inputs
        self.outputs = outputs
        self.operators = operators.sorted()
        self.huffman = model.features & UInt64(WS_FEATURE_HUFFMAN) != 0
        self.bitWidth = Int(model.bit_width)
        var midByte = false
        for t in 0..<ws_model_num_tensors(&model) {
            var info = ws_tensor_info()
            guard ws_model_tensor(&model, ws_tensor_id(t), &info) == WS_OK else { return nil }
            if info.kind == WS_TENSOR_SHARED && info.index_encoding == UInt32(WS_INDEX_FIXED_WIDTH)
                && (UInt64(info.index_offset) * UInt64(model.bit_width)) % 8 != 0 {
                midByte = true
            }
        }
        self.midByteTensors = midByte
    }

    /// The C text of `model_data.h` that states these facts: macros an application sizes its buffers with, and
    /// the op set (`WS_MODEL_OPS_DEFINED`, one `WS_OP_ENABLE_<symbol> 1` per operator type) that the runtime
    /// reads when built with `-DWS_OPS_HEADER='"model_data.h"'` (Runtime/README.md, "Op set").
    public var cMacros: String {
        func list(_ values: [Int]) -> String { "{" + values.map { "\($0)u" }.joined(separator: ", ") + "}" }
        func tensors(_ kind: String, _ ts: [Tensor]) -> String {
            var s = "#define WS_MODEL_NUM_\(kind)S \(ts.count)u\n"
            s += "/* Element counts, ranks and shapes of the graph's \(kind.lowercased())s, in order. */\n"
            s += "#define WS_MODEL_\(kind)_ELEMENTS \(list(ts.map(\.elements)))\n"
            s += "#define WS_MODEL_\(kind)S_TOTAL_ELEMENTS \(ts.reduce(0) { $0 + $1.elements })u\n"
            for (i, t) in ts.enumerated() {
                s += "#define WS_MODEL_\(kind)\(i)_NAME \(Self.cString(t.name))\n"
                s += "#define WS_MODEL_\(kind)\(i)_ELEMENTS \(t.elements)u\n"
                s += "#define WS_MODEL_\(kind)\(i)_RANK \(t.shape.count)u\n"
                // A rank-0 tensor's shape is the one-element list {1} (C has no empty initializer).
                s += "#define WS_MODEL_\(kind)\(i)_SHAPE \(list(t.shape.isEmpty ? [1] : t.shape))\n"
            }
            return s
        }
        var s = """
        /* ws_model_arena_bytes(): the activation arena the model needs (4-byte aligned memory). */
        #define WS_MODEL_ARENA_BYTES \(arenaBytes)u

        """
        s += tensors("INPUT", inputs) + tensors("OUTPUT", outputs)
        s += """

        /* The op set: the operator types this model uses (\(operators.map { "\($0.name) ×\($0.count)" }.joined(separator: ", "))).
         * A runtime built with -DWS_OPS_HEADER='"model_data.h"' compiles only these kernels and refuses any other
         * operator at load (WS_ERR_OP_NOT_BUILT). */
        #define WS_MODEL_OPS_DEFINED 1
        #define WS_MODEL_NUM_OPS \(operators.count)u

        """
        for op in operators { s += "#define WS_OP_ENABLE_\(op.symbol) 1\n" }
        s += "#define WS_MODEL_OPS(X) " + operators.map { "X(\($0.symbol))" }.joined(separator: " ") + "\n"
        s += """

        /* Huffman-coded indices: 1 when the model stores some; with 0 a runtime built with WS_OPS_HEADER leaves the
         * Huffman decoder out (and refuses a coded file at load: WS_ERR_FEATURE). */
        #define WS_MODEL_HUFFMAN \(huffman ? 1 : 0)

        /* The index width of the shared weights (one codebook: one width): a runtime built with WS_OPS_HEADER
         * compiles the dense layers' fast paths for this width only (any other width still runs, slower). */
        #define WS_MODEL_BIT_WIDTH \(bitWidth)u

        /* 1 when some fixed-width shared tensor starts inside a byte: with 0 a runtime built with WS_OPS_HEADER leaves
         * out the dense loops for rows that start at a bit shift (such a file still runs, slower). */
        #define WS_MODEL_MID_BYTE_TENSORS \(midByteTensors ? 1 : 0)

        """
        return s
    }

    /// `text` as a C string literal: printable ASCII as is, everything else octal-escaped.
    static func cString(_ text: String) -> String {
        var s = "\""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): s += "\\" + String(UnicodeScalar(byte))
            case 0x20...0x7e where byte != UInt8(ascii: "?"): s += String(UnicodeScalar(byte)) // no trigraphs
            default: s += "\\" + String(byte, radix: 8).leftPadded(to: 3)
            }
        }
        return s + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
