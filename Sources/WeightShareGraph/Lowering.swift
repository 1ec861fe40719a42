import WeightShareCore
/// Turns an imported ``Graph`` into a ``LoweredModel``: static shapes, operators in execution order, float32 tensors.
///
/// The steps, in order (each in its own file):
/// 1. fold `Constant` nodes still in the graph (the importer already does; graphs built by hand may not); replace
///    each `If` whose condition is known at compile time by its branch (`LoweringControlFlow.swift`);
/// 2. remove `Identity` and `Dropout` (inference), rewiring consumers; a graph output produced by an `Identity`
///    gives its name to the producing node's output (`LoweringIdentityRemoval.swift`);
/// 3. drop nodes that do not reach a graph output (`LoweringDeadNodes.swift`); fuse written-out LayerNorms
///    into LayerNormalization and check its unused outputs (`LoweringLayerNormFusion.swift`);
/// 4. reject operators outside ``supportedOperators``, all of them in one error (`LoweringCheck.swift`);
/// 5. sort topologically, stable in file order (`LoweringTopologicalSort.swift`);
/// 5b. fuse written-out SiLU and GELU into one operator each, chain Min/Max of more than two inputs
///    (`LoweringFusion.swift`);
/// 6. fold each BatchNormalization that follows a Conv/ConvTranspose/Gemm into that layer, per
///    ``LoweringOptions/batchNormFolding`` (`LoweringBatchNorm.swift`);
/// 7. pin the input shapes: every dynamic dimension must be given in `inputShapes` (`LoweringInputShapes.swift`);
/// 8. in execution order, evaluate nodes whose inputs are all constants (shape arithmetic,
///    `LoweringConstantFolding.swift`), infer the others' static shapes and resolve their options
///    (`ShapeInference.swift`, `ShapeInferenceCNN.swift`); int64 shape constants are consumed, float constants
///    become constant tensors;
/// 9. refuse non-finite constants and options where they cannot mean anything (`LoweringFiniteValues.swift`).
public enum Lowering {
    /// ONNX operators (default domain) that lowering accepts, sorted (the rows of ``OperatorTable``); `Constant`
    /// nodes are folded as well.
    public static let supportedOperators = OperatorTable.rows.map(\.onnx).sorted()

    /// The MLP operator set of the foundation.
    public static let coreOperators = OperatorTable.names(in: .core)

    /// The CNN operator set.
    public static let convolutionalOperators = OperatorTable.names(in: .convolutional)

    /// Element-wise operators of real models: unary math, Pow, Min/Max, comparisons and logic on 0/1 masks, Where,
    /// Gelu.
    public static let elementwiseOperators = OperatorTable.names(in: .elementwise)

    /// Data movement on run-time tensors: Slice, Split, Gather (constant indices), Tile, Expand, DepthToSpace,
    /// SpaceToDepth.
    public static let dataMovementOperators = OperatorTable.names(in: .dataMovement)
    /// Recurrent layers: LSTM, GRU, RNN (default activations, static sequence length).
    public static let recurrentOperators = OperatorTable.names(in: .recurrent)

    /// Accepted on constants only (folded at compile time once input shapes are pinned); Cast of an activation
    /// to float is a copy.
    public static let shapeArithmeticOperators = OperatorTable.names(in: .shapeArithmetic)

    /// Lowers `graph`.
    ///
    /// - Parameter inputShapes: a shape for graph inputs by name (`["input": [1, 64]]`); required for every input
    ///   whose declared shape has a dynamic dimension (or no shape), optional for fixed ones (then it must agree).
    /// - Parameter options: how BatchNormalization is folded.
    /// - Parameter inputValues: inputs pinned to constant values (``pinInputValues(_:values:inputShapes:)``):
    ///   they are no longer inputs of the lowered model, and what depends only on them folds.
    /// - Throws: ``LoweringError`` naming the node, input or value at fault.
    ///   An unpinned input's error carries an ``InputShapeSuggestion`` (shapes found by lowering with candidate
    ///   sizes, or the dimensions to choose).
    public static func lower(_ graph: Graph, inputShapes: [String: [Int]] = [:],
                             inputValues: [String: [Float]] = [:],
                             options: LoweringOptions = LoweringOptions()) throws -> LoweredModel {
        let graph = try pinInputValues(graph, values: inputValues, inputShapes: inputShapes)
        let inputShapes = inputShapes.filter { inputValues[$0.key] == nil }
        do {
            return try lowerPinned(graph, inputShapes: inputShapes, options: options)
        } catch LoweringError.unpinnedInputShape(let input, let declared?, nil) {
            throw LoweringError.unpinnedInputShape(
                input: input, declared: declared,
                suggestion: suggestInputShapes(for: graph, inputShapes: inputShapes, options: options))
        }
    }

    /// The graph with the inputs in `inputValues` made constants and every `If` whose condition that decides
    /// replaced by its branch (what ``lower(_:inputShapes:inputValues:options:)`` does first), for checks that
    /// look at the graph before lowering it.
    public static func resolveControlFlow(_ graph: Graph, inputShapes: [String: [Int]],
                                          inputValues: [String: [Float]],
                                          options: LoweringOptions = LoweringOptions()) throws -> Graph {
        let graph = try pinInputValues(foldConstantNodes(graph), values: inputValues, inputShapes: inputShapes)
        return try inlineConstantIfs(graph, inputShapes: inputShapes.filter { inputValues[$0.key] == nil },
                                     options: options)
    }

    /// ``lower(_:inputShapes:options:)`` without looking for a suggestion when an input is not pinned.
    static func lowerPinned(_ graph: Graph, inputShapes: [String: [Int]],
                            options: LoweringOptions) throws -> LoweredModel {
        var graph = try foldConstantNodes(graph)
        graph = try inlineConstantIfs(graph, inputShapes: inputShapes, options: options)
        graph = try removeIdentities(graph)
        graph = try removeDeadNodes(graph)
        graph = try prepareLayerNorms(graph)
        try checkSupported(graph)
        graph.nodes = try topologicallySorted(graph)
        graph = try fusePatterns(graph)
        graph = try foldBatchNorms(graph, options: options)
        let shapes = try pinInputShapes(graph, inputShapes: inputShapes)
        let model = try ModelBuilder(graph: graph, inputShapes: shapes).build()
        try checkFiniteValues(model)
        return model
    }

    /// How messages name a node: its name, or its first output's name when it has none.
    static func label(_ node: Node) -> String {
        if !node.name.isEmpty { return node.name }
        if let output = node.outputs.first(where: { !$0.isEmpty }) { return output }
        return "(unnamed \(node.opType))"
    }

    /// Refuses the graph when any node's operator is not in the table, listing every such operator at once.
    static func checkSupported(_ graph: Graph) throws {
        let unsupported = unsupportedNodes(graph)
        if !unsupported.isEmpty { throw LoweringError.unsupportedOperators(unsupported) }
    }

    /// Moves `Constant` nodes' values into the initializers (normally done by the importer already).
    static func foldConstantNodes(_ graph: Graph) throws -> Graph {
        var graph = graph
        var kept: [Node] = []
        for node in graph.nodes {
            guard node.opType == "Constant", isDefaultOperatorDomain(node.domain) else {
                kept.append(node)
                continue
            }
            guard node.outputs.count == 1, let output = node.outputs.first, !output.isEmpty,
                  node.attributes.count == 1, let (key, attribute) = node.attributes.first else {
                throw LoweringError.invalidNode(node: label(node), opType: "Constant",
                                                reason: "it needs one output and one value attribute")
            }
            let value: ConstantTensor
            switch (key, attribute) {
            case ("value", .tensor(let t)): value = t
            case ("value_float", .float(let f)): value = ConstantTensor(shape: [], floats: [f])
            case ("value_floats", .floats(let f)): value = ConstantTensor(shape: [f.count], floats: f)
            case ("value_int", .int(let i)): value = ConstantTensor(shape: [], int64s: [Int64(i)])
            case ("value_ints", .ints(let i)): value = ConstantTensor(shape: [i.count], int64s: i.map { Int64($0) })
            default:
                throw LoweringError.invalidNode(node: label(node), opType: "Constant",
                                                reason: "attribute '\(key)' is not a supported constant value")
            }
            guard graph.initializers[output] == nil else { throw LoweringError.duplicateValue(value: output) }
            graph.initializers[output] = value
        }
        graph.nodes = kept
        return graph
    }
}
