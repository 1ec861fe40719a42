import WeightShareCore

extension Lowering {
    /// Turns each graph input named in `values` into a constant (`--input-value name=v,…`), so shape arithmetic and
    /// `If` conditions that depend on it fold at compile time and the compiled model no longer takes it.
    ///
    /// The constant's shape is the input's `inputShapes` entry, else its declared shape when every dimension is
    /// fixed (a scalar when it declares none); one dynamic dimension is taken from the number of values, and an
    /// input with no declared shape becomes a scalar (one value) or a vector. Integer and bool inputs take whole
    /// numbers (stored as int64), float inputs any finite number.
    static func pinInputValues(_ graph: Graph, values: [String: [Float]],
                               inputShapes: [String: [Int]]) throws -> Graph {
        guard !values.isEmpty else { return graph }
        let names = graph.inputs.map(\.name)
        for name in values.keys.sorted() where !names.contains(name) {
            throw LoweringError.unknownInput(name: name, inputs: names, option: "--input-value")
        }
        var graph = graph
        for input in graph.inputs {
            guard let given = values[input.name] else { continue }
            func refuse(_ reason: String) -> LoweringError {
                .invalidInputValue(input: input.name, values: given, reason: reason)
            }
            guard !given.isEmpty else { throw refuse("no value is given") }
            if let bad = given.first(where: { !$0.isFinite }) { throw refuse("\(bad) is not a finite number") }
            let shape = try valueShape(input, count: given.count, pinned: inputShapes[input.name], refuse: refuse)
            let storage: ConstantTensor.Storage
            switch input.elementType {
            case .float32, .float64, .float16:
                storage = .float(given)
            case .int64, .int32, .int8, .uint8, .bool:
                guard given.allSatisfy({ $0 == $0.rounded() && abs($0) < 9.0e15 }) else {
                    throw refuse("the input holds integers (\(input.elementType.rawValue)), so each value must be "
                                 + "a whole number")
                }
                if input.elementType == .bool, given.contains(where: { $0 != 0 && $0 != 1 }) {
                    throw refuse("the input is bool: give 0 or 1")
                }
                storage = .int64(given.map { Int64($0) })
            case .other:
                throw refuse("its element type is not one WeightShare reads")
            }
            guard graph.initializers[input.name] == nil else { throw LoweringError.duplicateValue(value: input.name) }
            graph.initializers[input.name] = ConstantTensor(shape: shape, storage: storage)
        }
        graph.inputs.removeAll { values[$0.name] != nil }
        return graph
    }

    /// The shape of a pinned input's constant, as ``pinInputValues(_:values:inputShapes:)`` says.
    private static func valueShape(_ input: ValueInfo, count: Int, pinned: [Int]?,
                                   refuse: (String) -> LoweringError) throws -> [Int] {
        if let pinned {
            guard pinned.reduce(1, *) == count else {
                throw refuse("--input-shape gives it shape \(pinned) (\(pinned.reduce(1, *)) values), but \(count) "
                             + "value(s) are given")
            }
            return pinned
        }
        guard let declared = input.shape else { return count == 1 ? [] : [count] }
        var shape: [Int] = []
        var open: Int?
        for (axis, dim) in declared.enumerated() {
            if case .fixed(let n) = dim, n > 0 { shape.append(n) } else {
                guard open == nil else {
                    throw refuse("its shape \(declared.map(\.description)) has several dynamic dimensions; pin it "
                                 + "with --input-shape as well")
                }
                open = axis
                shape.append(1)
            }
        }
        let fixed = shape.reduce(1, *)
        if let open {
            guard count % fixed == 0 else {
                throw refuse("\(count) value(s) do not fill its shape \(declared.map(\.description))")
            }
            shape[open] = count / fixed
        } else if fixed != count {
            throw refuse("its shape \(shape) takes \(fixed) value(s), but \(count) are given")
        }
        return shape
    }
}
