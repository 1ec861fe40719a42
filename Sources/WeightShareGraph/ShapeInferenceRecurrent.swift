import WeightShareCore

/// Shape rules of the recurrent layers: ONNX LSTM, GRU and RNN (opset 7 and 14 semantics) with their default
/// activations, a static sequence length (the input shapes pinned), forward, reverse or bidirectional, layout 0 or
/// 1. What the runtime cannot compute is refused naming the node and the attribute: other activation lists,
/// `clip`, LSTM `input_forget` = 1, and a `sequence_lens` that is not a constant equal to the full length.
extension ShapeInference.Rule {
    /// The default `activations` of each cell, per direction (ONNX's defaults).
    static func defaultActivations(_ cell: RecurrentCell) -> [String] {
        switch cell {
        case .lstm: return ["Sigmoid", "Tanh", "Tanh"]
        case .gru: return ["Sigmoid", "Tanh"]
        case .rnn: return ["Tanh"]
        }
    }

    func recurrent(_ cell: RecurrentCell) throws -> ShapeInference.Inferred {
        let maxInputs = cell == .lstm ? 8 : 6
        let ops = try operands(3...maxInputs)
        let x = ops[0]!, w = ops[1]!, r = ops[2]!
        guard node.outputs.count <= (cell == .lstm ? 3 : 2) else {
            throw error("it has \(node.outputs.count) outputs, \(node.opType) has at most \(cell == .lstm ? 3 : 2)")
        }

        // Attributes.
        let direction: RecurrentDirection
        switch try string("direction", default: "forward") {
        case "forward": direction = .forward
        case "reverse": direction = .reverse
        case "bidirectional": direction = .bidirectional
        case let other:
            throw error("attribute 'direction' is '\(other)'; it must be forward, reverse or bidirectional")
        }
        let d = direction.count
        let layout = try int("layout", default: 0)
        guard layout == 0 || layout == 1 else { throw error("attribute 'layout' must be 0 or 1, is \(layout)") }
        if case .strings(let names)? = node.attributes["activations"] {
            let expected = Array([[String]](repeating: Self.defaultActivations(cell), count: d).joined())
            guard names.map({ $0.lowercased() }) == expected.map({ $0.lowercased() }) else {
                throw error("attribute 'activations' is \(names); WeightShare computes only the default "
                    + "activations \(expected)")
            }
        } else if node.attributes["activations"] != nil {
            throw error("attribute 'activations' must be a list of strings")
        }
        if node.attributes["clip"] != nil {
            throw error("attribute 'clip' is set; WeightShare does not clip the cell inputs (no clip is supported)")
        }
        if cell == .lstm, try int("input_forget", default: 0) != 0 {
            throw error("attribute 'input_forget' is 1 (coupled input and forget gates), which WeightShare does not "
                + "support")
        }
        let linearBeforeReset = cell == .gru ? try flag("linear_before_reset") : false

        // Shapes: X [T, B, I] (layout 1: [B, T, I]), W [D, gates·H, I], R [D, gates·H, H].
        guard x.shape.count == 3 else { throw error("its input X '\(x.name)' must be 3-D, is \(x.shape)") }
        let (t, b, i) = layout == 0 ? (x.shape[0], x.shape[1], x.shape[2]) : (x.shape[1], x.shape[0], x.shape[2])
        guard r.shape.count == 3, r.shape[0] == d, r.shape[2] > 0, r.shape[1] == cell.gates * r.shape[2] else {
            throw error("R '\(r.name)' has shape \(r.shape), expected [\(d), \(cell.gates)·hidden_size, hidden_size]")
        }
        let h = r.shape[2]
        if let declared = node.attributes["hidden_size"] {
            guard case .int(let value) = declared, value == h else {
                throw error("attribute 'hidden_size' (\(declared)) does not match R '\(r.name)' \(r.shape)")
            }
        }
        guard w.shape == [d, cell.gates * h, i] else {
            throw error("W '\(w.name)' has shape \(w.shape), expected [\(d), \(cell.gates * h), \(i)]")
        }
        if let bias = optional(3), bias.shape != [d, 2 * cell.gates * h] {
            throw error("B '\(bias.name)' has shape \(bias.shape), expected [\(d), \(2 * cell.gates * h)]")
        }
        if let lengths = optional(4) {
            guard let constant = lengths.constant else {
                throw error("its sequence_lens '\(lengths.name)' is computed at run time; WeightShare runs the whole "
                    + "sequence of \(t) steps, so sequence_lens must be absent or a constant equal to \(t)")
            }
            guard constant.int64s.count == b, constant.int64s.allSatisfy({ $0 == Int64(t) }) else {
                throw error("its sequence_lens '\(lengths.name)' is \(constant.int64s); WeightShare supports only "
                    + "the full length \(t) for each of the \(b) sequences")
            }
        }
        let state = layout == 0 ? [d, b, h] : [b, d, h]
        for (slot, what) in [(5, "initial_h"), (6, "initial_c")] {
            if let s = optional(slot), s.shape != state {
                throw error("\(what) '\(s.name)' has shape \(s.shape), expected \(state)")
            }
        }
        if let p = optional(7), p.shape != [d, 3 * h] {
            throw error("P '\(p.name)' has shape \(p.shape), expected [\(d), \(3 * h)]")
        }

        let y = layout == 0 ? [t, d, b, h] : [b, t, d, h]
        var inputs: [Int?] = [0, 1, 2, optional(3) == nil ? nil : 3, optional(5) == nil ? nil : 5]
        if cell == .lstm { inputs += [optional(6) == nil ? nil : 6, optional(7) == nil ? nil : 7] }
        while inputs.count > 3, inputs.last! == nil { inputs.removeLast() }
        var inferred = ShapeInference.Inferred(
            kind: .recurrent(cell: cell, direction: direction, layout: layout, linearBeforeReset: linearBeforeReset),
            dataInputs: inputs, outputShape: state)
        var outputs: [ShapeInference.OutputSlot] = [.value(position: 1, shape: state)]
        if cell == .lstm { outputs.append(.value(position: 2, shape: state)) }
        outputs.append(.workspace(suffix: "workspace", shape: [b, cell.workspacePerUnit * h]))
        outputs.append(.optionalValue(position: 0, shape: y))
        inferred.outputs = outputs
        return inferred
    }
}
