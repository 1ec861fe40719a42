import Foundation
import Testing
import WeightShare
import WeightShareRuntime

/// Lowering of the CNN operators on graphs built by hand: shapes, resolved pads and options, BatchNormalization
/// folding (checked numerically), constant folding of shape arithmetic, and the errors.
@Suite struct LoweringCNNTests {
    static func input(_ name: String, _ shape: [Int]) -> ValueInfo {
        ValueInfo(name: name, elementType: .float32, shape: shape.map { .fixed($0) })
    }

    static func graph(_ nodes: [Node], input: [Int], outputs: [String] = ["y"],
                      constants: [String: ConstantTensor] = [:], opset: Int = 13) -> Graph {
        Graph(name: "g", opsetVersion: opset, inputs: [Self.input("x", input)],
              outputs: outputs.map { ValueInfo(name: $0, elementType: .float32, shape: nil) }, nodes: nodes,
              initializers: constants)
    }

    static func values(_ shape: [Int], seed: Int = 1) -> ConstantTensor {
        let n = shape.reduce(1, *)
        return ConstantTensor(shape: shape, floats: (0..<n).map { Float(($0 * 7 + seed * 13) % 11) / 5 - 1 })
    }

    static func ints(_ v: [Int64]) -> ConstantTensor { ConstantTensor(shape: [v.count], int64s: v) }

    /// Lowers one node reading `x` (plus constants) and writing `y`; returns the output shape and the operation
    /// that writes `y` (after any views).
    func lower(_ op: String, _ input: [Int], constants: [(String, ConstantTensor)] = [], opset: Int = 13,
               _ attributes: [String: AttributeValue] = [:]) throws -> (shape: [Int], kind: OperatorKind,
                                                                        model: LoweredModel) {
        let node = Node(name: "n", opType: op, inputs: ["x"] + constants.map(\.0), outputs: ["y"],
                        attributes: attributes)
        var dict: [String: ConstantTensor] = [:]
        for (name, value) in constants where !name.isEmpty { dict[name] = value }
        let model = try Lowering.lower(Self.graph([node], input: input, constants: dict, opset: opset))
        let y = model.outputs[0]
        let writer = try #require(model.operations.last { $0.outputs == [y] })
        let main = model.operations.last { $0.kind != .reshape } ?? writer
        return (model.tensors[y].shape, main.kind, model)
    }

    func error(_ body: () throws -> Any) -> LoweringError? {
        do {
            _ = try body()
            Issue.record("expected a LoweringError")
            return nil
        } catch let error as LoweringError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    // MARK: Conv

    @Test func convExplicitPadsStridesDilations() throws {
        let r = try lower("Conv", [1, 2, 9, 8], constants: [("w", Self.values([3, 2, 3, 2]))],
                          ["strides": .ints([2, 1]), "dilations": .ints([2, 2]), "pads": .ints([1, 0, 2, 1])])
        // H: (9 + 3 − 5) / 2 + 1 = 4; W: (8 + 1 − 3) / 1 + 1 = 7.
        #expect(r.shape == [1, 3, 4, 7])
        #expect(r.kind == .conv(group: 1, strides: [2, 1], dilations: [2, 2], pads: [1, 0, 2, 1]))
    }

    @Test func convAutoPad() throws {
        let w = [("w", Self.values([3, 2, 4, 3]))]
        let upper = try lower("Conv", [1, 2, 7, 6], constants: w,
                              ["strides": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")])
        // out = ceil(7/2) = 4, total pad H = 3·2 + 4 − 7 = 3 → (1, 2); W: out 3, total 2·2 + 3 − 6 = 1 → (0, 1).
        #expect(upper.shape == [1, 3, 4, 3])
        #expect(upper.kind == .conv(group: 1, strides: [2, 2], dilations: [1, 1], pads: [1, 0, 2, 1]))
        let lower = try lower("Conv", [1, 2, 7, 6], constants: w,
                              ["strides": .ints([2, 2]), "auto_pad": .string("SAME_LOWER")])
        #expect(lower.kind == .conv(group: 1, strides: [2, 2], dilations: [1, 1], pads: [2, 1, 1, 0]))
        let valid = try self.lower("Conv", [1, 2, 7, 6], constants: w,
                                   ["auto_pad": .string("VALID"), "pads": .ints([1, 1, 1, 1])])
        #expect(valid.shape == [1, 3, 4, 4])
        #expect(valid.kind == .conv(group: 1, strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0]))
    }

    @Test func depthwiseAndGroupedConv() throws {
        let r = try lower("Conv", [1, 4, 6, 6], constants: [("w", Self.values([8, 1, 3, 3])), ("b", Self.values([8]))],
                          ["group": .int(4), "pads": .ints([1, 1, 1, 1])])
        #expect(r.shape == [1, 8, 6, 6])
        #expect(r.kind == .conv(group: 4, strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1]))
        let e = error { try lower("Conv", [1, 4, 6, 6], constants: [("w", Self.values([6, 2, 3, 3]))], ["group": .int(3)]) }
        #expect(e?.description.contains("group 3") == true)
        #expect(e?.description.contains("node 'n' (Conv)") == true)
    }

    @Test func conv1DBecomes2DWithUnitHeight() throws {
        let r = try lower("Conv", [1, 3, 10], constants: [("w", Self.values([4, 3, 3])), ("b", Self.values([4]))],
                          ["strides": .ints([2]), "pads": .ints([1, 2])])
        // (10 + 3 − 3) / 2 + 1 = 6.
        #expect(r.shape == [1, 4, 6])
        #expect(r.kind == .conv(group: 1, strides: [1, 2], dilations: [1, 1], pads: [0, 1, 0, 2]))
        let m = r.model
        #expect(m.operations.map(\.kind) == [.reshape, r.kind, .reshape])
        let conv = m.operations[1]
        #expect(m.tensors[conv.inputs[0]!].shape == [1, 3, 1, 10])
        // The weight is stored once, already 4-D, and shared.
        let w = m.tensors[conv.inputs[1]!]
        #expect(w.shape == [4, 3, 1, 3] && w.constant == Self.values([4, 3, 3]).floats)
        #expect(m.tensors.filter(\.isConstant).count == 2)
        #expect(m.tensors[conv.outputs[0]].shape == [1, 4, 1, 6])
        #expect(SharedWeights(model: m).slices.map(\.tensor) == [conv.inputs[1]!])
    }

    @Test func convRejectsBadShapes() throws {
        let e = error { try lower("Conv", [1, 2, 3, 3, 3], constants: [("w", Self.values([1, 2, 1, 1, 1]))]) }
        #expect(e?.description.contains("1-D and 2-D") == true)
        let k = error { try lower("Conv", [1, 2, 3, 3], constants: [("w", Self.values([1, 2, 5, 1]))]) }
        #expect(k?.description.contains("larger than the padded input") == true)
        let ks = error {
            try lower("Conv", [1, 2, 5, 5], constants: [("w", Self.values([1, 2, 3, 3]))], ["kernel_shape": .ints([2, 2])])
        }
        #expect(ks?.description.contains("kernel_shape") == true)
    }

    @Test func convTransposeOutputPaddingAndShape() throws {
        let w = [("w", Self.values([3, 2, 3, 3]))]
        let r = try lower("ConvTranspose", [1, 3, 4, 4], constants: w,
                          ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]), "output_padding": .ints([1, 1])])
        // 2·3 + 1 + 3 − 2 = 8.
        #expect(r.shape == [1, 2, 8, 8])
        #expect(r.kind == .convTranspose(group: 1, strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1],
                                         outputPadding: [1, 1]))
        let s = try lower("ConvTranspose", [1, 4, 3, 3], constants: [("w", Self.values([4, 1, 3, 3]))],
                          ["group": .int(2), "strides": .ints([2, 2]), "output_shape": .ints([5, 6])])
        // Full size 2·2 + 3 = 7: H total padding 2 → (1, 1), W total 1 → begin 1, end 0 (NOTSET).
        #expect(s.shape == [1, 2, 5, 6])
        #expect(s.kind == .convTranspose(group: 2, strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 0],
                                         outputPadding: [0, 0]))
        // output_shape one beyond the full size (7, 9 → 8, 10): a negative end pad becomes output padding.
        let beyond = try lower("ConvTranspose", [1, 1, 3, 3], constants: [("w", Self.values([1, 2, 3, 3]))],
                               ["strides": .ints([3, 2]), "output_shape": .ints([10, 8])])
        #expect(beyond.shape == [1, 2, 10, 8])
        #expect(beyond.kind == .convTranspose(group: 1, strides: [3, 2], dilations: [1, 1], pads: [0, 0, 0, 0],
                                              outputPadding: [1, 1]))
        let same = try lower("ConvTranspose", [1, 4, 3, 3], constants: [("w", Self.values([4, 1, 3, 3]))],
                             ["strides": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")])
        #expect(same.shape == [1, 1, 6, 6])
        #expect(same.kind == .convTranspose(group: 1, strides: [2, 2], dilations: [1, 1], pads: [0, 0, 1, 1],
                                            outputPadding: [0, 0]))
    }

    // MARK: Pools

    @Test func poolsResolveCeilModeAndPads() throws {
        let max = try lower("MaxPool", [1, 2, 7, 7], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]),
                                                      "pads": .ints([1, 1, 1, 1])])
        #expect(max.shape == [1, 2, 4, 4])
        #expect(max.kind == .maxPool(kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1]))
        // ceil_mode: H (8 − 3)/2 → ceil 2.5 = 3 + 1 = 4; W (9 − 3)/2 + 1 = 4.
        let ceil = try lower("MaxPool", [1, 2, 8, 9], ["kernel_shape": .ints([2, 3]), "strides": .ints([2, 2]),
                                                       "dilations": .ints([2, 1]), "ceil_mode": .int(1)])
        #expect(ceil.shape == [1, 2, 4, 4])
        // A last window that would start inside the end padding is dropped: in 6, k 3, s 2, pads 1 → floor 3,
        // ceil 4 but window 4 would start at 6 ≥ 6 + 1? no: (4−1)·2 = 6 < 7, kept.
        let avg = try lower("AveragePool", [1, 2, 6, 7], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]),
                                                          "pads": .ints([1, 1, 1, 1]), "count_include_pad": .int(1),
                                                          "ceil_mode": .int(1)])
        #expect(avg.shape == [1, 2, 4, 4])
        #expect(avg.kind == .averagePool(kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1],
                                         countIncludePad: true))
        // in 5, k 2, s 2, no pads: ceil gives 3, and window 3 starts at 4 < 5: kept. in 4, k 1, s 3, pads 0 1:
        // ceil((4 + 1 − 1)/3) + 1 = 3, but window 3 starts at 6 ≥ 4: dropped → 2.
        let dropped = try lower("MaxPool", [1, 1, 4, 5], ["kernel_shape": .ints([1, 2]), "strides": .ints([3, 2]),
                                                          "pads": .ints([0, 0, 1, 0]), "ceil_mode": .int(1)])
        #expect(dropped.shape == [1, 1, 2, 3])
        let same = try lower("MaxPool", [1, 2, 5, 6], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]),
                                                       "auto_pad": .string("SAME_UPPER")])
        #expect(same.shape == [1, 2, 3, 3])
        #expect(same.kind == .maxPool(kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 0, 1, 1]))
    }

    @Test func pool1DAndGlobalAveragePool() throws {
        let r = try lower("AveragePool", [2, 2, 8], ["kernel_shape": .ints([2]), "strides": .ints([2])])
        #expect(r.shape == [2, 2, 4])
        #expect(r.kind == .averagePool(kernel: [1, 2], strides: [1, 2], dilations: [1, 1], pads: [0, 0, 0, 0],
                                       countIncludePad: false))
        #expect(r.model.operations.count == 3)
        let g = try lower("GlobalAveragePool", [1, 3, 5, 4])
        #expect(g.shape == [1, 3, 1, 1] && g.kind == .globalAveragePool)
        let g3 = try lower("GlobalAveragePool", [1, 3, 2, 2, 2])
        #expect(g3.shape == [1, 3, 1, 1, 1])
        #expect(g3.model.operations.map(\.kind) == [.reshape, .globalAveragePool, .reshape])
        let e = error { try lower("MaxPool", [1, 2, 4, 4], ["kernel_shape": .ints([2, 2]), "storage_order": .int(1)]) }
        #expect(e?.description.contains("storage_order") == true)
        let k = error { try lower("MaxPool", [1, 2, 4, 4]) }
        #expect(k?.description.contains("kernel_shape") == true)
    }

    // MARK: Element-wise and activations

    @Test func elementWiseBroadcastAndActivations() throws {
        for op in ["Sub", "Mul", "Div"] {
            let r = try lower(op, [1, 3, 4, 4], constants: [("c", Self.values([3, 1, 1]))])
            #expect(r.shape == [1, 3, 4, 4])
        }
        let e = error { try lower("Mul", [1, 3, 4, 4], constants: [("c", Self.values([2, 1]))]) }
        #expect(e?.description.contains("do not broadcast") == true)
        #expect(try lower("Clip", [2, 3], constants: [("lo", .init(shape: [], floats: [0])),
                                                      ("hi", .init(shape: [], floats: [6]))]).kind
            == .clip(min: 0, max: 6))
        #expect(try lower("Clip", [2, 3], constants: [("", .init(shape: [], floats: [0])),
                                                      ("hi", .init(shape: [], floats: [6]))]).kind
            == .clip(min: -.infinity, max: 6))
        #expect(try lower("Clip", [2, 3], opset: 6, ["min": .float(-1), "max": .float(1)]).kind == .clip(min: -1, max: 1))
        #expect(try lower("LeakyRelu", [2, 3]).kind == .leakyRelu(alpha: 0.01))
        #expect(try lower("HardSigmoid", [2, 3], ["alpha": .float(0.3)]).kind == .hardSigmoid(alpha: 0.3, beta: 0.5))
        #expect(try lower("HardSwish", [2, 3]).kind == .pointwise(WS_OP_HARD_SWISH))
        #expect(try lower("Sigmoid", [2, 3]).kind == .pointwise(WS_OP_SIGMOID))
        #expect(try lower("Tanh", [2, 3]).kind == .pointwise(WS_OP_TANH))
        let prelu = try lower("PRelu", [1, 3, 2, 2], constants: [("s", Self.values([3, 1, 1]))])
        #expect(prelu.kind == .prelu)
        #expect(SharedWeights(model: prelu.model).count == 0)
        let bad = error { try lower("PRelu", [1, 3, 2, 2], constants: [("s", Self.values([3]))]) }
        #expect(bad?.description.contains("does not broadcast") == true)
    }

    @Test func clipBoundsMustBeConstant() throws {
        let node = Node(name: "clip", opType: "Clip", inputs: ["x", "x"], outputs: ["y"])
        let e = error { try Lowering.lower(Self.graph([node], input: [1])) }
        #expect(e?.description.contains("must be a constant") == true)
    }

    // MARK: Layout

    @Test func concatTransposeSqueezeUnsqueeze() throws {
        let node = Node(name: "cat", opType: "Concat", inputs: ["x", "x", "c"], outputs: ["y"], attributes: ["axis": .int(-3)])
        let m = try Lowering.lower(Self.graph([node], input: [1, 2, 3, 3], constants: ["c": Self.values([1, 1, 3, 3])]))
        #expect(m.tensors[m.outputs[0]].shape == [1, 5, 3, 3])
        #expect(m.operations[0].kind == .concat(axis: 1))
        let t = try lower("Transpose", [1, 3, 4, 2], ["perm": .ints([0, 2, 3, 1])])
        #expect(t.shape == [1, 4, 2, 3] && t.kind == .transpose(perm: [0, 2, 3, 1]))
        #expect(try lower("Transpose", [2, 3, 4]).kind == .transpose(perm: [2, 1, 0]))
        #expect(try lower("Squeeze", [1, 3, 1, 4], constants: [("a", Self.ints([2]))]).shape == [1, 3, 4])
        #expect(try lower("Squeeze", [1, 3, 1, 4]).shape == [3, 4])
        #expect(try lower("Squeeze", [1, 3, 1, 4], opset: 11, ["axes": .ints([0])]).shape == [3, 1, 4])
        #expect(try lower("Unsqueeze", [3, 4], constants: [("a", Self.ints([0, -1]))]).shape == [1, 3, 4, 1])
        #expect(try lower("Unsqueeze", [3, 4], opset: 11, ["axes": .ints([1])]).shape == [3, 1, 4])
        let e = error { try lower("Squeeze", [1, 3], constants: [("a", Self.ints([1]))]) }
        #expect(e?.description.contains("not 1") == true)
    }

    @Test func padModesAndForms() throws {
        let r = try lower("Pad", [1, 2, 3, 3], constants: [("p", Self.ints([0, 0, 1, 2, 0, 0, 2, 1])),
                                                           ("v", .init(shape: [], floats: [0.5]))],
                          ["mode": .string("reflect")])
        #expect(r.shape == [1, 2, 6, 6])
        #expect(r.kind == .pad(mode: .reflect, pads: [0, 0, 1, 2, 0, 0, 2, 1], value: 0.5))
        let old = try lower("Pad", [2, 3], opset: 10, ["pads": .ints([1, 0, 0, 2]), "value": .float(-1)])
        #expect(old.shape == [3, 5] && old.kind == .pad(mode: .constant, pads: [1, 0, 0, 2], value: -1))
        let axes = try lower("Pad", [2, 3], constants: [("p", Self.ints([1, 2])), ("", Self.ints([])),
                                                        ("a", Self.ints([-1]))], opset: 18, ["mode": .string("edge")])
        #expect(axes.kind == .pad(mode: .edge, pads: [0, 1, 0, 2], value: 0))
        let reflect = error { try lower("Pad", [1, 2], constants: [("p", Self.ints([0, 2, 0, 0]))], ["mode": .string("reflect")]) }
        #expect(reflect?.description.contains("reflect") == true)
        let wrap = error { try lower("Pad", [1, 2], constants: [("p", Self.ints([0, 1, 0, 0]))], opset: 19, ["mode": .string("wrap")]) }
        #expect(wrap?.description.contains("wrap") == true)
        let crop = error { try lower("Pad", [1, 4], constants: [("p", Self.ints([0, -1, 0, 0]))]) }
        #expect(crop?.description.contains("negative") == true)
    }

    @Test func resizeScalesSizesAndModes() throws {
        let empty = ConstantTensor(shape: [0], floats: [])
        let s = try lower("Resize", [1, 2, 3, 4], constants: [("", empty), ("s", .init(shape: [4], floats: [1, 1, 2, 1.5]))],
                          ["mode": .string("linear")])
        #expect(s.shape == [1, 2, 6, 6])
        #expect(s.kind == .resize(mode: .linear, coordinateTransform: .halfPixel, nearestMode: .roundPreferFloor,
                                  scales: [1, 1, 2, 1.5]))
        let z = try lower("Resize", [1, 1, 3, 3], constants: [("", empty), ("", empty), ("z", Self.ints([1, 1, 5, 7]))],
                          ["nearest_mode": .string("ceil"), "coordinate_transformation_mode": .string("align_corners")])
        #expect(z.shape == [1, 1, 5, 7])
        #expect(z.kind == .resize(mode: .nearest, coordinateTransform: .alignCorners, nearestMode: .ceil,
                                  scales: [1, 1, Float(5) / 3, Float(7) / 3]))
        let v10 = try lower("Resize", [1, 1, 2, 2], constants: [("s", .init(shape: [4], floats: [1, 1, 2, 3]))], opset: 10)
        #expect(v10.kind == .resize(mode: .nearest, coordinateTransform: .asymmetric, nearestMode: .floor,
                                    scales: [1, 1, 2, 3]))
        let cubic = error { try lower("Resize", [1, 1, 2, 2], constants: [("", empty), ("s", .init(shape: [4], floats: [1, 1, 2, 2]))],
                                      ["mode": .string("cubic")]) }
        #expect(cubic?.description.contains("mode 'cubic' is not supported") == true)
        let crop = error { try lower("Resize", [1, 1, 2, 2], constants: [("", empty), ("s", .init(shape: [4], floats: [1, 1, 2, 2]))],
                                     ["coordinate_transformation_mode": .string("tf_crop_and_resize")]) }
        #expect(crop?.description.contains("tf_crop_and_resize") == true)
        let channels = error { try lower("Resize", [1, 1, 2, 2], constants: [("", empty), ("s", .init(shape: [4], floats: [1, 2, 2, 2]))]) }
        #expect(channels?.description.contains("only the two trailing dims") == true)
    }

    // MARK: Unsupported

    @Test func unsupportedOpsNameNodeOpAndList() throws {
        let e = error { try lower("LRN", [1, 2, 3, 3]) }
        #expect(e == .unsupportedOperators([UnsupportedOperator(opType: "LRN", domain: "", count: 1, firstNode: "n")]))
        #expect(e?.description.contains("convolutional: AveragePool, BatchNormalization, Clip") == true)
        #expect(Lowering.supportedOperators.contains("Conv") && Lowering.supportedOperators == Lowering.supportedOperators.sorted())
        let fill = error { try lower("ConstantOfShape", [4]) }
        #expect(fill?.description.contains("at compile time") == true)
        #expect(fill?.description.contains("'x'") == true)
    }
}
