import Foundation
import Testing
import WeightShare
@testable import WeightShareCore
@testable import WeightShareGraph
@testable import WeightShareCompress

/// BatchNormalization folding (checked numerically against a reference computed by hand) and compile-time
/// folding of shape arithmetic.
@Suite struct LoweringCNNFoldingTests {
    typealias G = LoweringCNNTests

    // MARK: A naive reference for the checks

    /// NCHW convolution (or transposed convolution) with groups, strides, dilations and pads [t, l, b, r].
    static func reference(transposed: Bool, x: [Float], xShape: [Int], w: [Float], wShape: [Int], bias: [Float]?,
                          group: Int, strides: [Int], dilations: [Int], pads: [Int], outShape: [Int]) -> [Float] {
        let (n, c, h, wd) = (xShape[0], xShape[1], xShape[2], xShape[3])
        let (m, oh, ow) = (outShape[1], outShape[2], outShape[3])
        let (kh, kw) = (wShape[2], wShape[3])
        var y = [Float](repeating: 0, count: n * m * oh * ow)
        let cg = c / group, mg = m / group
        for b in 0..<n {
            for ci in 0..<c {
                let g = ci / cg
                for j in 0..<(transposed ? mg : 1) {
                    for i in 0..<h { for k in 0..<wd {
                        let xv = x[((b * c + ci) * h + i) * wd + k]
                        for p in 0..<kh { for q in 0..<kw {
                            if transposed {
                                let o = g * mg + j
                                let (yy, xx) = (i * strides[0] - pads[0] + p * dilations[0],
                                                k * strides[1] - pads[1] + q * dilations[1])
                                guard yy >= 0, yy < oh, xx >= 0, xx < ow else { continue }
                                y[((b * m + o) * oh + yy) * ow + xx] += xv * w[((ci * mg + j) * kh + p) * kw + q]
                            } else {
                                // Every output position whose window reads (i, k) through tap (p, q).
                                let ty = i + pads[0] - p * dilations[0], tx = k + pads[1] - q * dilations[1]
                                guard ty >= 0, tx >= 0, ty % strides[0] == 0, tx % strides[1] == 0 else { continue }
                                let (yy, xx) = (ty / strides[0], tx / strides[1])
                                guard yy < oh, xx < ow else { continue }
                                for mj in 0..<mg {
                                    let o = g * mg + mj
                                    y[((b * m + o) * oh + yy) * ow + xx] += xv * w[((o * cg + (ci - g * cg)) * kh + p) * kw + q]
                                }
                            }
                        }}
                    }}
                }
            }
        }
        if let bias {
            for i in y.indices { y[i] += bias[(i / (oh * ow)) % m] }
        }
        return y
    }

    static func batchNorm(_ y: [Float], channels: Int, inner: Int, gamma: [Float], beta: [Float], mean: [Float],
                          variance: [Float], epsilon: Float) -> [Float] {
        y.indices.map { i in
            let ch = (i / inner) % channels
            return (y[i] - mean[ch]) / (variance[ch] + epsilon).squareRoot() * gamma[ch] + beta[ch]
        }
    }

    static func bnConstants(_ channels: Int) -> [String: ConstantTensor] {
        ["gamma": ConstantTensor(shape: [channels], floats: (0..<channels).map { 0.5 + Float($0) * 0.3 }),
         "beta": ConstantTensor(shape: [channels], floats: (0..<channels).map { Float($0) * 0.2 - 0.3 }),
         "mean": ConstantTensor(shape: [channels], floats: (0..<channels).map { Float($0 % 3) * 0.4 - 0.1 }),
         "var": ConstantTensor(shape: [channels], floats: (0..<channels).map { 0.3 + Float($0) * 0.7 })]
    }

    static let bnInputs = ["gamma", "beta", "mean", "var"]

    /// Conv or ConvTranspose (group 2) → BatchNormalization, lowered both ways; both folded forms computed by
    /// hand must equal BN(layer(x)) computed by hand.
    @Test(arguments: ["Conv", "ConvTranspose"])
    func foldedConvMatchesUnfolded(op: String) throws {
        let transposed = op == "ConvTranspose"
        let xShape = [1, 4, 4, 4]
        let wShape = transposed ? [4, 3, 2, 3] : [6, 2, 3, 2]
        let m = 6
        let wT = G.values(wShape, seed: 3), bT = G.values([m], seed: 5)
        var constants = Self.bnConstants(m)
        constants["w"] = wT
        constants["b"] = bT
        let attributes: [String: AttributeValue] = transposed
            ? ["group": .int(2), "strides": .ints([2, 1]), "pads": .ints([1, 0, 0, 1])]
            : ["group": .int(2), "strides": .ints([1, 2]), "pads": .ints([1, 1, 1, 0])]
        let nodes = [Node(name: "layer", opType: op, inputs: ["x", "w", "b"], outputs: ["h"], attributes: attributes),
                     Node(name: "bn", opType: "BatchNormalization", inputs: ["h"] + Self.bnInputs, outputs: ["y"],
                          attributes: ["epsilon": .float(1e-3)])]
        let graph = G.graph(nodes, input: xShape, constants: constants)
        let x = G.values(xShape, seed: 7).floats
        let gamma = constants["gamma"]!.floats, beta = constants["beta"]!.floats
        let mean = constants["mean"]!.floats, variance = constants["var"]!.floats

        let epilogue = try Lowering.lower(graph)
        #expect(epilogue.operations.count == 1)
        let layer = epilogue.operations[0]
        let outShape = epilogue.tensors[layer.outputs[0]].shape
        #expect(epilogue.tensors[layer.outputs[0]].name == "y")
        let (group, strides, dilations, pads): (Int, [Int], [Int], [Int])
        switch layer.kind {
        case let .conv(g, s, d, p): (group, strides, dilations, pads) = (g, s, d, p)
        case let .convTranspose(g, s, d, p, _): (group, strides, dilations, pads) = (g, s, d, p)
        default: Issue.record("unexpected \(layer.kind)"); return
        }
        #expect(layer.inputs.count == 4)
        let w = try #require(epilogue.tensors[layer.inputs[1]!].constant)
        let b2 = try #require(epilogue.tensors[layer.inputs[2]!].constant)
        let s = try #require(epilogue.tensors[layer.inputs[3]!].constant)
        #expect(w == wT.floats, "the layer keeps its own weights")
        for c in 0..<m {
            let expected = gamma[c] / (variance[c] + 1e-3).squareRoot()
            #expect(abs(s[c] - expected) < 1e-6)
            #expect(abs(b2[c] - (expected * (bT.floats[c] - mean[c]) + beta[c])) < 1e-5)
        }
        // Only the weight is shared; S and B' stay raw.
        #expect(SharedWeights(model: epilogue).slices.map(\.tensor) == [layer.inputs[1]!])

        let unfolded = Self.batchNorm(
            Self.reference(transposed: transposed, x: x, xShape: xShape, w: wT.floats, wShape: wShape, bias: bT.floats,
                           group: group, strides: strides, dilations: dilations, pads: pads, outShape: outShape),
            channels: m, inner: outShape[2] * outShape[3], gamma: gamma, beta: beta, mean: mean, variance: variance,
            epsilon: 1e-3)
        let raw = Self.reference(transposed: transposed, x: x, xShape: xShape, w: w, wShape: wShape, bias: nil,
                                 group: group, strides: strides, dilations: dilations, pads: pads, outShape: outShape)
        let inner = outShape[2] * outShape[3]
        let folded = raw.indices.map { raw[$0] * s[($0 / inner) % m] + b2[($0 / inner) % m] }
        #expect(LoweringCNNFoldingTests.worst(folded, unfolded) < 1e-5)

        let weights = try Lowering.lower(graph, options: LoweringOptions(batchNormFolding: .weights))
        #expect(weights.operations.count == 1)
        let wl = weights.operations[0]
        #expect(wl.inputs.count == 3)
        let w2 = try #require(weights.tensors[wl.inputs[1]!].constant)
        let bias2 = try #require(weights.tensors[wl.inputs[2]!].constant)
        let viaWeights = Self.reference(transposed: transposed, x: x, xShape: xShape, w: w2, wShape: wShape,
                                        bias: bias2, group: group, strides: strides, dilations: dilations, pads: pads,
                                        outShape: outShape)
        #expect(LoweringCNNFoldingTests.worst(viaWeights, unfolded) < 1e-5)
    }

    static func worst(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test func foldedGemmMatchesUnfolded() throws {
        let (k, n) = (5, 3)
        var constants = Self.bnConstants(n)
        constants["w"] = G.values([n, k], seed: 2)
        constants["c"] = G.values([n], seed: 4)
        let nodes = [Node(name: "fc", opType: "Gemm", inputs: ["x", "w", "c"], outputs: ["h"],
                          attributes: ["transB": .int(1), "alpha": .float(0.5), "beta": .float(2)]),
                     Node(name: "bn", opType: "BatchNormalization", inputs: ["h"] + Self.bnInputs, outputs: ["y"])]
        let graph = G.graph(nodes, input: [2, k], constants: constants)
        let x = G.values([2, k], seed: 9).floats
        let w = constants["w"]!.floats, c = constants["c"]!.floats
        let (gamma, beta, mean, variance) = (constants["gamma"]!.floats, constants["beta"]!.floats,
                                             constants["mean"]!.floats, constants["var"]!.floats)
        func gemm(_ w: [Float], alpha: Float, scale: [Float]?, bias: [Float], beta: Float) -> [Float] {
            (0..<(2 * n)).map { e in
                let (r, col) = (e / n, e % n)
                let dot = (0..<k).reduce(Float(0)) { $0 + x[r * k + $1] * w[col * k + $1] }
                return alpha * dot * (scale?[col] ?? 1) + beta * bias[col]
            }
        }
        let unfolded = Self.batchNorm(gemm(w, alpha: 0.5, scale: nil, bias: c, beta: 2), channels: n, inner: 1,
                                      gamma: gamma, beta: beta, mean: mean, variance: variance, epsilon: 1e-5)
        for mode in LoweringOptions.BatchNormFolding.allCases {
            let model = try Lowering.lower(graph, options: LoweringOptions(batchNormFolding: mode))
            #expect(model.operations.count == 1)
            let op = model.operations[0]
            guard case let .gemm(alpha, gemmBeta, _, transB) = op.kind else { Issue.record("\(op.kind)"); continue }
            #expect(transB && alpha == 0.5 && gemmBeta == 1)
            let wq = try #require(model.tensors[op.inputs[1]!].constant)
            let bias = try #require(model.tensors[op.inputs[2]!].constant)
            let scale = op.inputs.count > 3 ? model.tensors[op.inputs[3]!].constant : nil
            #expect((scale != nil) == (mode == .epilogue))
            #expect((wq == w) == (mode == .epilogue))
            #expect(Self.worst(gemm(wq, alpha: alpha, scale: scale, bias: bias, beta: gemmBeta), unfolded) < 1e-5)
        }
    }

    @Test func batchNormStaysWhereItCannotFold() throws {
        var constants = Self.bnConstants(2)
        constants["w"] = G.values([2, 2, 1, 1])
        // The conv output is read twice: BN becomes ChannelAffine with the folded vectors.
        let nodes = [Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["h"]),
                     Node(name: "bn", opType: "BatchNormalization", inputs: ["h"] + Self.bnInputs, outputs: ["n"]),
                     Node(name: "add", opType: "Add", inputs: ["h", "n"], outputs: ["y"])]
        let model = try Lowering.lower(G.graph(nodes, input: [1, 2, 3, 3], constants: constants))
        #expect(model.operations.map(\.kind) == [.conv(group: 1, strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0]),
                                                 .channelAffine, .add])
        let affine = model.operations[1]
        let scale = try #require(model.tensors[affine.inputs[1]!].constant)
        let shift = try #require(model.tensors[affine.inputs[2]!].constant)
        let (gamma, beta, mean, variance) = (constants["gamma"]!.floats, constants["beta"]!.floats,
                                             constants["mean"]!.floats, constants["var"]!.floats)
        for c in 0..<2 {
            let s = gamma[c] / (variance[c] + 1e-5).squareRoot()
            #expect(abs(scale[c] - s) < 1e-6 && abs(shift[c] - (beta[c] - mean[c] * s)) < 1e-6)
        }
        #expect(SharedWeights(model: model).slices.count == 1)
        // After a graph input (no layer): ChannelAffine as well.
        let alone = try Lowering.lower(G.graph([Node(name: "bn", opType: "BatchNormalization",
                                                     inputs: ["x"] + Self.bnInputs, outputs: ["y"])],
                                               input: [1, 2, 3, 3], constants: constants))
        #expect(alone.operations.map(\.kind) == [.channelAffine])
        let plan = MemoryPlanner.plan(model)
        #expect(MemoryPlanner.conflicts(in: plan, model: model).isEmpty)
    }

    // MARK: Shape arithmetic

    /// `x.view(x.size(0), -1)` as torch exports it (opset 13).
    @Test func torchFlattenChainIsFolded() throws {
        let nodes = [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["h"]),
            Node(name: "shape", opType: "Shape", inputs: ["h"], outputs: ["s"]),
            Node(name: "gather", opType: "Gather", inputs: ["s", "zero"], outputs: ["g"], attributes: ["axis": .int(0)]),
            Node(name: "unsqueeze", opType: "Unsqueeze", inputs: ["g", "axes"], outputs: ["u"]),
            Node(name: "concat", opType: "Concat", inputs: ["u", "minus1"], outputs: ["shape2"], attributes: ["axis": .int(0)]),
            Node(name: "reshape", opType: "Reshape", inputs: ["h", "shape2"], outputs: ["flat"]),
            Node(name: "fc", opType: "Gemm", inputs: ["flat", "fw"], outputs: ["y"], attributes: ["transB": .int(1)]),
        ]
        let constants: [String: ConstantTensor] = [
            "w": G.values([4, 3, 1, 1]), "zero": ConstantTensor(shape: [], int64s: [0]), "axes": G.ints([0]),
            "minus1": G.ints([-1]), "fw": G.values([10, 64]),
        ]
        let graph = Graph(name: "g", opsetVersion: 13,
                          inputs: [ValueInfo(name: "x", elementType: .float32, shape: [.symbolic("batch"), .fixed(3), .fixed(4), .fixed(4)])],
                          outputs: [ValueInfo(name: "y", elementType: .float32, shape: nil)], nodes: nodes,
                          initializers: constants)
        let model = try Lowering.lower(graph, inputShapes: ["x": [2, 3, 4, 4]])
        #expect(model.operations.map(\.name) == ["conv", "reshape", "fc"])
        #expect(model.operations[1].kind == .reshape)
        #expect(model.tensors[model.operations[1].outputs[0]].shape == [2, 64])
        #expect(model.tensors[model.outputs[0]].shape == [2, 10])
        // No int64 tensor reached the model.
        #expect(model.tensors.filter(\.isConstant).map(\.name).sorted() == ["fw", "w"])
        // Without a pinned batch the input is named.
        let unpinned = #expect(throws: LoweringError.self) { try Lowering.lower(graph) }
        guard case .unpinnedInputShape("x", graph.inputs[0].shape, let suggestion?)? = unpinned else {
            Issue.record("unexpected \(String(describing: unpinned))")
            return
        }
        #expect(suggestion.shapes == [PinnedInputShape(input: "x", shape: [1, 3, 4, 4])])
    }

    func fold(_ op: String, _ inputs: [ConstantTensor?], opset: Int = 13,
              _ attributes: [String: AttributeValue] = [:]) throws -> ConstantTensor? {
        let node = Node(name: op, opType: op, inputs: inputs.indices.map { "i\($0)" }, outputs: ["o"],
                        attributes: attributes)
        let operands = inputs.enumerated().map { i, c in
            c.map { ShapeInference.Operand(name: "i\(i)", shape: $0.shape, constant: $0) }
        }
        return try ConstantFolding.fold(node, operands: operands, opset: opset)
    }

    @Test func constantFoldingOps() throws {
        let m = ConstantTensor(shape: [2, 3], int64s: [1, 2, 3, 4, 5, 6])
        #expect(try fold("Gather", [m, G.ints([2, 0])], ["axis": .int(1)])
            == ConstantTensor(shape: [2, 2], int64s: [3, 1, 6, 4]))
        #expect(try fold("Gather", [m, ConstantTensor(shape: [], int64s: [-1])])
            == ConstantTensor(shape: [3], int64s: [4, 5, 6]))
        #expect(try fold("Slice", [G.ints([0, 1, 2, 3, 4, 5]), G.ints([-1]), G.ints([0]), G.ints([0]), G.ints([-2])])
            == G.ints([5, 3, 1]))
        #expect(try fold("Slice", [m, G.ints([1]), G.ints([Int64.max]), G.ints([1])])
            == ConstantTensor(shape: [2, 2], int64s: [2, 3, 5, 6]))
        #expect(try fold("Slice", [G.ints([7, 8, 9])], opset: 9, ["starts": .ints([1]), "ends": .ints([5])])
            == G.ints([8, 9]))
        #expect(try fold("Range", [.init(shape: [], int64s: [1]), .init(shape: [], int64s: [8]),
                                   .init(shape: [], int64s: [3])]) == G.ints([1, 4, 7]))
        #expect(try fold("Range", [.init(shape: [], floats: [1]), .init(shape: [], floats: [0]),
                                   .init(shape: [], floats: [-0.25])])
            == ConstantTensor(shape: [4], floats: [1, 0.75, 0.5, 0.25]))
        #expect(try fold("Cast", [ConstantTensor(shape: [3], floats: [-1.7, 2.9, 0])], ["to": .int(7)])
            == G.ints([-1, 2, 0]))
        #expect(try fold("Cast", [G.ints([3])], ["to": .int(1)]) == ConstantTensor(shape: [1], floats: [3]))
        #expect(try fold("ConstantOfShape", [G.ints([2, 1])], ["value": .tensor(.init(shape: [1], int64s: [7]))])
            == ConstantTensor(shape: [2, 1], int64s: [7, 7]))
        #expect(try fold("ConstantOfShape", [G.ints([2])]) == ConstantTensor(shape: [2], floats: [0, 0]))
        #expect(try fold("Div", [G.ints([7, -7]), ConstantTensor(shape: [], int64s: [2])]) == G.ints([3, -3]))
        #expect(try fold("Mul", [ConstantTensor(shape: [2, 1], floats: [1, 2]), ConstantTensor(shape: [3], floats: [1, 2, 3])])
            == ConstantTensor(shape: [2, 3], floats: [1, 2, 3, 2, 4, 6]))
        #expect(try fold("Sub", [G.ints([5]), G.ints([1, 2])]) == G.ints([4, 3]))
        #expect(try fold("Concat", [G.ints([1]), G.ints([2, 3])], ["axis": .int(0)]) == G.ints([1, 2, 3]))
        #expect(try fold("Unsqueeze", [ConstantTensor(shape: [], int64s: [4]), G.ints([0])]) == G.ints([4]))
        #expect(try fold("Squeeze", [ConstantTensor(shape: [1, 2], int64s: [4, 5])]) == G.ints([4, 5]))
        #expect(try fold("Transpose", [m]) == ConstantTensor(shape: [3, 2], int64s: [1, 4, 2, 5, 3, 6]))
        #expect(try fold("Reshape", [m, G.ints([3, -1])]) == ConstantTensor(shape: [3, 2], int64s: [1, 2, 3, 4, 5, 6]))
        #expect(try fold("Shape", [m], ["start": .int(-1)]) == G.ints([3]))
        // A run-time input: not folded.
        let dynamic = Node(name: "a", opType: "Add", inputs: ["x", "c"], outputs: ["o"])
        #expect(try ConstantFolding.fold(dynamic, operands: [.init(name: "x", shape: [2], constant: nil),
                                                             .init(name: "c", shape: [2], constant: G.ints([1, 2]))],
                                         opset: 13) == nil)
        let bad = Node(name: "g", opType: "Gather", inputs: ["a", "i"], outputs: ["o"])
        #expect(throws: LoweringError.self) {
            try ConstantFolding.fold(bad, operands: [.init(name: "a", shape: [2], constant: G.ints([1, 2])),
                                                     .init(name: "i", shape: [1], constant: G.ints([5]))], opset: 13)
        }
    }
}

extension LoweringCNNFoldingTests {
    /// A graph output known at compile time is still written by the runtime: a copy of the constant.
    @Test func constantGraphOutputBecomesACopy() throws {
        let graph = Graph(name: "g", opsetVersion: 13, inputs: [],
                          outputs: [ValueInfo(name: "values", elementType: .float32, shape: nil)], nodes: [],
                          initializers: ["values": G.values([2, 3])])
        let model = try Lowering.lower(graph)
        #expect(model.operations.map(\.kind) == [.reshape])
        let out = model.tensors[model.outputs[0]]
        #expect(out.name == "values" && !out.isConstant && out.shape == [2, 3])
        #expect(model.tensors[model.operations[0].inputs[0]!].constant == G.values([2, 3]).floats)
    }
}
