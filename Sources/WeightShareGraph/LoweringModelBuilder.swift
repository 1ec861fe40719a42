import WeightShareCore
extension Lowering {
    /// Assembles the ``LoweredModel`` from a sorted, checked graph and its pinned input shapes: folds nodes whose
    /// inputs are all constants (`LoweringConstantFolding.swift`), infers each other node's output shape, numbers
    /// the tensors (inputs first, then constants and activations in execution order) and keeps only the float
    /// constants the operations read.
    struct ModelBuilder {
        let graph: Graph
        let inputShapes: [String: [Int]]

        private var tensors: [LoweredModel.Tensor] = []
        private var tensorIndex: [String: Int] = [:]
        private var shapes: [String: [Int]] = [:]
        /// Initializers plus the values folded so far.
        private var constants: [String: ConstantTensor]
        /// Constant tensors already made for a (name, shape) view.
        private var constantViews: [String: Int] = [:]
        private var operations: [LoweredModel.Operation] = []

        init(graph: Graph, inputShapes: [String: [Int]]) {
            self.graph = graph
            self.inputShapes = inputShapes
            self.constants = graph.initializers
        }

        consuming func build() throws -> LoweredModel {
            var inputs: [Int] = []
            for input in graph.inputs {
                let shape = inputShapes[input.name] ?? []
                shapes[input.name] = shape
                inputs.append(add(LoweredModel.Tensor(name: input.name, shape: shape)))
            }

            let graphOutputs = Set(graph.outputs.map(\.name))
            var producers: [String: String] = [:]
            var read = graphOutputs
            for node in graph.nodes {
                for output in node.outputs where !output.isEmpty { producers[output] = node.opType }
                read.formUnion(node.inputs)
            }
            for node in graph.nodes {
                let operands = try node.inputs.map { name -> ShapeInference.Operand? in
                    guard !name.isEmpty else { return nil }
                    if let constant = constants[name] {
                        try Self.validate(constant, name: name)
                        return ShapeInference.Operand(name: name, shape: constant.shape, constant: constant)
                    }
                    guard let shape = shapes[name] else {
                        throw LoweringError.undefinedValue(node: label(node), value: name)
                    }
                    return ShapeInference.Operand(name: name, shape: shape, constant: nil, producer: producers[name])
                }
                if node.opType == "Split", isDefaultOperatorDomain(node.domain) {
                    try split(node, operands: operands, read: read)
                    continue
                }
                // A graph output is computed by the runtime (an activation), so its node is not folded unless it
                // can only be folded.
                let foldable = !graphOutputs.contains(node.outputs[0])
                    || Lowering.shapeArithmeticOperators.contains(node.opType)
                if foldable, let value = try ConstantFolding.fold(node, operands: operands, opset: graph.opsetVersion) {
                    constants[node.outputs[0]] = value
                    continue
                }
                let inferred = try ShapeInference.infer(node, operands: operands, opset: graph.opsetVersion)
                try emit(node, inferred)
            }

            var outputs: [Int] = []
            for output in graph.outputs {
                let t = try index(of: output.name, readBy: nil)
                guard tensors[t].isConstant else {
                    outputs.append(t)
                    continue
                }
                // A graph output known at compile time: the runtime writes outputs, so a copy of the constant
                // (a reshape to the same shape) produces it as an activation.
                tensors[t].name = unique("\(output.name)_value")
                tensorIndex[tensors[t].name] = t
                tensorIndex[output.name] = nil
                let copy = add(LoweredModel.Tensor(name: output.name, shape: tensors[t].shape))
                operations.append(LoweredModel.Operation(name: output.name, kind: .reshape, inputs: [t],
                                                         outputs: [copy]))
                outputs.append(copy)
            }
            return LoweredModel(tensors: tensors, operations: operations, inputs: inputs, outputs: outputs)
        }

        /// A Split: one Slice per output that is read (a graph output or some node's input); on a constant input,
        /// the parts are folded.
        private mutating func split(_ node: Node, operands: [ShapeInference.Operand?], read: Set<String>) throws {
            let rule = ShapeInference.Rule(node: node, operands: operands, opset: graph.opsetVersion)
            for (output, inferred) in try rule.split() where read.contains(output) {
                if let data = operands[0]?.constant, case .slice(let starts, let steps) = inferred.kind {
                    let dims = zip(zip(starts, steps), inferred.outputShape).map {
                        ShapeInference.Rule.SliceDim(start: $0.0, step: $0.1, count: $1)
                    }
                    constants[output] = ConstantFolding.slice(data, dims)
                } else if let data = operands[0]?.constant {
                    constants[output] = data
                } else {
                    try emit(node, inferred, output: output)
                }
            }
        }

        /// Appends the operation(s) of one node: views of its inputs, the operation, a reshape to the node's shape.
        private mutating func emit(_ node: Node, _ inferred: ShapeInference.Inferred, output: String? = nil) throws {
            let name = label(node)
            let output = output ?? node.outputs[0]
            var opInputs: [Int?] = []
            for (position, source) in inferred.dataInputs.enumerated() {
                guard let source else {
                    opInputs.append(nil)
                    continue
                }
                let view = inferred.inputViews[position]
                var t: Int
                switch source {
                case .input(let slot):
                    let value = node.inputs[slot]
                    if let view, let constant = constants[value],
                       case .float(let values) = constant.storage, view != constant.shape {
                        // A constant read with another shape is stored once with that shape.
                        let key = "\(value)|\(view)"
                        if let existing = constantViews[key] {
                            opInputs.append(existing)
                            continue
                        }
                        t = add(LoweredModel.Tensor(name: unique("\(value)_\(view.count)d"), shape: view,
                                                    constant: values))
                        constantViews[key] = t
                        opInputs.append(t)
                        continue
                    }
                    t = try index(of: value, readBy: node)
                case .constant(let constant, let suffix):
                    t = add(LoweredModel.Tensor(name: unique("\(name)_\(suffix)"), shape: constant.shape,
                                                constant: constant.floats))
                }
                if let view, view != tensors[t].shape {
                    let v = add(LoweredModel.Tensor(name: unique("\(tensors[t].name)_\(view.count)d"), shape: view))
                    operations.append(LoweredModel.Operation(name: name, kind: .reshape, inputs: [t], outputs: [v]))
                    t = v
                }
                opInputs.append(t)
            }
            if let slots = inferred.outputs {
                operations.append(LoweredModel.Operation(name: name, kind: inferred.kind, inputs: opInputs,
                                                         outputs: outputTensors(node, name: name, slots: slots)))
                return
            }
            shapes[output] = inferred.outputShape
            if let shape = inferred.operationShape, shape != inferred.outputShape {
                let temporary = add(LoweredModel.Tensor(name: unique("\(output)_\(shape.count)d"), shape: shape))
                operations.append(LoweredModel.Operation(name: name, kind: inferred.kind, inputs: opInputs,
                                                         outputs: [temporary]))
                let outputIndex = add(LoweredModel.Tensor(name: output, shape: inferred.outputShape))
                operations.append(LoweredModel.Operation(name: name, kind: .reshape, inputs: [temporary],
                                                         outputs: [outputIndex]))
            } else {
                let outputIndex = add(LoweredModel.Tensor(name: output, shape: inferred.outputShape))
                operations.append(LoweredModel.Operation(name: name, kind: inferred.kind, inputs: opInputs,
                                                         outputs: [outputIndex]))
            }
        }

        /// The tensors of an operation with several outputs, in its order: the node's outputs where it names them
        /// (their shapes become known values), internal tensors for the running state it leaves out and for
        /// workspaces; an optional output the node leaves out, or names but nothing reads, is dropped (not written,
        /// no arena).
        private mutating func outputTensors(_ node: Node, name: String,
                                            slots: [ShapeInference.OutputSlot]) -> [Int] {
            var result: [Int] = []
            for slot in slots {
                switch slot {
                case .value(let position, let shape), .optionalValue(let position, let shape):
                    var value = position < node.outputs.count ? node.outputs[position] : ""
                    if case .optionalValue = slot, !value.isEmpty, !isRead(value) { value = "" } // named, never read
                    if !value.isEmpty {
                        shapes[value] = shape
                        result.append(add(LoweredModel.Tensor(name: value, shape: shape)))
                    } else if case .value = slot {
                        result.append(add(LoweredModel.Tensor(name: unique("\(name)_output\(position)"), shape: shape)))
                    }
                case .workspace(let suffix, let shape):
                    result.append(add(LoweredModel.Tensor(name: unique("\(name)_\(suffix)"), shape: shape)))
                }
            }
            return result
        }

        /// Whether a node or the graph's outputs read `value`.
        private func isRead(_ value: String) -> Bool {
            graph.outputs.contains { $0.name == value } || graph.nodes.contains { $0.inputs.contains(value) }
        }

        /// `base`, or `base_2`, `base_3`... when a tensor or value already has that name.
        private func unique(_ base: String) -> String {
            func taken(_ n: String) -> Bool {
                tensorIndex[n] != nil || constants[n] != nil || shapes[n] != nil
                    || graph.nodes.contains { $0.outputs.contains(n) }
            }
            var name = base, k = 1
            while taken(name) { k += 1; name = "\(base)_\(k)" }
            return name
        }

        private mutating func add(_ tensor: LoweredModel.Tensor) -> Int {
            tensorIndex[tensor.name] = tensors.count
            tensors.append(tensor)
            return tensors.count - 1
        }

        /// The tensor of a value read as data; a float constant becomes a constant tensor on first use.
        private mutating func index(of name: String, readBy node: Node?) throws -> Int {
            if let i = tensorIndex[name] { return i }
            guard let constant = constants[name] else {
                throw LoweringError.undefinedValue(node: node.map(label) ?? "graph output", value: name)
            }
            guard case .float(let values) = constant.storage else {
                let reader = node.map { "node '\(label($0))' (\($0.opType))" } ?? "the graph output"
                throw LoweringError.invalidConstant(
                    name: name, reason: "it is an int64 tensor, but \(reader) reads it as data; only float "
                        + "tensors can be operands")
            }
            return add(LoweredModel.Tensor(name: name, shape: constant.shape, constant: values))
        }

        static func validate(_ constant: ConstantTensor, name: String) throws {
            let count: Int
            switch constant.storage {
            case .float(let v): count = v.count
            case .int64(let v): count = v.count
            }
            guard ShapeInference.elementCount(constant.shape) == count else {
                throw LoweringError.invalidConstant(
                    name: name, reason: "its shape \(constant.shape) does not hold its \(count) values")
            }
        }
    }
}
