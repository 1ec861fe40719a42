extension Lowering {
    /// Assembles the ``LoweredModel`` from a sorted, checked graph and its pinned input shapes: infers each node's
    /// output shape, numbers the tensors (inputs first, then constants and activations in execution order) and
    /// keeps only the float constants the operations read.
    struct ModelBuilder {
        let graph: Graph
        let inputShapes: [String: [Int]]

        private var tensors: [LoweredModel.Tensor] = []
        private var tensorIndex: [String: Int] = [:]
        private var shapes: [String: [Int]] = [:]

        init(graph: Graph, inputShapes: [String: [Int]]) {
            self.graph = graph
            self.inputShapes = inputShapes
        }

        consuming func build() throws -> LoweredModel {
            var inputs: [Int] = []
            for input in graph.inputs {
                let shape = inputShapes[input.name] ?? []
                shapes[input.name] = shape
                inputs.append(add(LoweredModel.Tensor(name: input.name, shape: shape)))
            }

            var operations: [LoweredModel.Operation] = []
            for node in graph.nodes {
                let operands = try node.inputs.map { name -> ShapeInference.Operand? in
                    guard !name.isEmpty else { return nil }
                    if let constant = graph.initializers[name] {
                        try Self.validate(constant, name: name)
                        return ShapeInference.Operand(name: name, shape: constant.shape, constant: constant)
                    }
                    guard let shape = shapes[name] else {
                        throw LoweringError.undefinedValue(node: label(node), value: name)
                    }
                    return ShapeInference.Operand(name: name, shape: shape, constant: nil)
                }
                let inferred = try ShapeInference.infer(node, operands: operands, opset: graph.opsetVersion)
                let opInputs = try inferred.dataInputs.map { slot -> Int? in
                    guard let slot else { return nil }
                    return try index(of: node.inputs[slot], readBy: node)
                }
                let output = node.outputs[0]
                shapes[output] = inferred.outputShape
                let outputIndex = add(LoweredModel.Tensor(name: output, shape: inferred.outputShape))
                operations.append(LoweredModel.Operation(name: label(node), kind: inferred.kind, inputs: opInputs,
                                                         outputs: [outputIndex]))
            }

            let outputs = try graph.outputs.map { try index(of: $0.name, readBy: nil) }
            return LoweredModel(tensors: tensors, operations: operations, inputs: inputs, outputs: outputs)
        }

        private mutating func add(_ tensor: LoweredModel.Tensor) -> Int {
            tensorIndex[tensor.name] = tensors.count
            tensors.append(tensor)
            return tensors.count - 1
        }

        /// The tensor of a value read as data; a float constant becomes a constant tensor on first use.
        private mutating func index(of name: String, readBy node: Node?) throws -> Int {
            if let i = tensorIndex[name] { return i }
            guard let constant = graph.initializers[name] else {
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
