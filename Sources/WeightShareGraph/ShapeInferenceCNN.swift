import Foundation
import WeightShareCore

/// Shape rules of the convolutional operators: Conv, ConvTranspose, pools, Pad, Resize, BatchNormalization.
/// 1-D convolutions and pools are lowered to 2-D with H = 1 (`inputViews` and `operationShape`).
extension ShapeInference.Rule {
    typealias Inferred = ShapeInference.Inferred
    typealias Operand = ShapeInference.Operand

    /// Spatial attributes of Conv/ConvTranspose/pools, checked: one entry per spatial dim.
    func spatial(_ key: String, count: Int, default value: Int, minimum: Int) throws -> [Int] {
        guard let v = try ints(key) else { return [Int](repeating: value, count: count) }
        guard v.count == count else {
            throw error("attribute '\(key)' has \(v.count) values, expected \(count) (one per spatial dim)")
        }
        guard v.allSatisfy({ $0 >= minimum }) else { throw error("attribute '\(key)' \(v) has values below \(minimum)") }
        return v
    }

    /// Explicit pads [begin..., end...] of `count` spatial dims (default zeros), all ≥ 0.
    func explicitPads(count: Int) throws -> [Int] {
        guard let v = try ints("pads") else { return [Int](repeating: 0, count: 2 * count) }
        guard v.count == 2 * count else {
            throw error("attribute 'pads' has \(v.count) values, expected \(2 * count)")
        }
        guard v.allSatisfy({ $0 >= 0 }) else {
            throw error("attribute 'pads' \(v) has negative values; WeightShare does not support cropping pads")
        }
        return v
    }

    func autoPad() throws -> String {
        let mode = try string("auto_pad", default: "NOTSET")
        guard ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(mode) else {
            throw error("auto_pad '\(mode)' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        }
        return mode
    }

    /// Output sizes and resolved pads of a sliding window (Conv, pools) per ONNX, including auto_pad and ceil_mode.
    func windows(input: [Int], kernel: [Int], strides: [Int], dilations: [Int], ceilMode: Bool)
        throws -> (output: [Int], pads: [Int])
    {
        let n = input.count
        let mode = try autoPad()
        var pads = try explicitPads(count: n)
        var output: [Int] = []
        for i in 0..<n {
            let extent = (kernel[i] - 1) * dilations[i] + 1
            switch mode {
            case "SAME_UPPER", "SAME_LOWER":
                let out = (input[i] + strides[i] - 1) / strides[i]
                let total = max(0, (out - 1) * strides[i] + extent - input[i])
                let begin = mode == "SAME_UPPER" ? total / 2 : total - total / 2
                pads[i] = begin
                pads[i + n] = total - begin
                output.append(out)
                continue
            case "VALID":
                pads[i] = 0
                pads[i + n] = 0
            default:
                break
            }
            let span = input[i] + pads[i] + pads[i + n] - extent
            guard span >= 0 else {
                throw error("its window (extent \(extent)) is larger than the padded input (\(input[i] + pads[i] + pads[i + n])) "
                    + "on spatial axis \(i)")
            }
            var out = (ceilMode ? (span + strides[i] - 1) / strides[i] : span / strides[i]) + 1
            // A window that would start in the end padding is dropped (ONNX and PyTorch ceil_mode).
            if ceilMode && (out - 1) * strides[i] >= input[i] + pads[i] { out -= 1 }
            output.append(out)
        }
        return (output, pads)
    }

    /// The 2-D form of spatial parameters of a 1-D operator: H = 1 in front.
    static func lift(_ values: [Int], unit: Int) -> [Int] { [unit] + values }
    static func liftPads(_ pads: [Int]) -> [Int] { [0, pads[0], 0, pads[1]] }

    func conv() throws -> Inferred {
        let ops = try operands(2...4)
        let x = ops[0]!, w = ops[1]!
        let b = optional(2), s = optional(3)
        let rank = x.shape.count
        guard rank == 3 || rank == 4 else {
            throw error("WeightShare supports 1-D and 2-D convolutions (3-D or 4-D input X); X '\(x.name)' has "
                + "shape \(x.shape)")
        }
        guard w.shape.count == rank else {
            throw error("weight W \(w.shape) must have the rank of X \(x.shape)")
        }
        let n = rank - 2
        let group = try int("group", default: 1)
        let (channels, m) = (x.shape[1], w.shape[0])
        guard group >= 1, channels % group == 0, m % group == 0, w.shape[1] * group == channels else {
            throw error("X has \(channels) channels, W \(w.shape) with group \(group) expects \(w.shape[1] * group) "
                + "(and both C and M must be multiples of group)")
        }
        let kernel = Array(w.shape[2...])
        if let k = try ints("kernel_shape"), k != kernel {
            throw error("kernel_shape \(k) differs from the weight's spatial shape \(kernel)")
        }
        guard kernel.allSatisfy({ $0 >= 1 }) else { throw error("weight W \(w.shape) has an empty kernel") }
        if let b, b.shape != [m] { throw error("bias B has shape \(b.shape), expected [\(m)]") }
        if let s, s.shape != [m] { throw error("the epilogue scale S has shape \(s.shape), expected [\(m)]") }
        let strides = try spatial("strides", count: n, default: 1, minimum: 1)
        let dilations = try spatial("dilations", count: n, default: 1, minimum: 1)
        let (out, pads) = try windows(input: Array(x.shape[2...]), kernel: kernel, strides: strides,
                                      dilations: dilations, ceilMode: false)
        let outputShape = [x.shape[0], m] + out
        var inputs: [Int?] = [0, 1, b == nil ? nil : 2]
        if s != nil { inputs.append(3) }
        guard n == 1 else {
            return Inferred(kind: .conv(group: group, strides: strides, dilations: dilations, pads: pads),
                            dataInputs: inputs, outputShape: outputShape)
        }
        var inferred = Inferred(kind: .conv(group: group, strides: Self.lift(strides, unit: 1),
                                            dilations: Self.lift(dilations, unit: 1), pads: Self.liftPads(pads)),
                                dataInputs: inputs, outputShape: outputShape)
        inferred.inputViews = [0: [x.shape[0], channels, 1, x.shape[2]], 1: [m, w.shape[1], 1, kernel[0]]]
        inferred.operationShape = [x.shape[0], m, 1, out[0]]
        return inferred
    }

    func convTranspose() throws -> Inferred {
        let ops = try operands(2...4)
        let x = ops[0]!, w = ops[1]!
        let b = optional(2), s = optional(3)
        guard x.shape.count == 4, w.shape.count == 4 else {
            throw error("WeightShare supports 2-D transposed convolutions (4-D X and W); X has shape \(x.shape), "
                + "W \(w.shape)")
        }
        let group = try int("group", default: 1)
        let channels = x.shape[1]
        guard group >= 1, w.shape[0] == channels, channels % group == 0 else {
            throw error("X has \(channels) channels, W \(w.shape) expects \(w.shape[0]) (a multiple of group \(group))")
        }
        let m = w.shape[1] * group
        let kernel = Array(w.shape[2...])
        if let k = try ints("kernel_shape"), k != kernel {
            throw error("kernel_shape \(k) differs from the weight's spatial shape \(kernel)")
        }
        if let b, b.shape != [m] { throw error("bias B has shape \(b.shape), expected [\(m)]") }
        if let s, s.shape != [m] { throw error("the epilogue scale S has shape \(s.shape), expected [\(m)]") }
        let strides = try spatial("strides", count: 2, default: 1, minimum: 1)
        let dilations = try spatial("dilations", count: 2, default: 1, minimum: 1)
        var outputPadding = try spatial("output_padding", count: 2, default: 0, minimum: 0)
        for i in 0..<2 where outputPadding[i] >= max(strides[i], dilations[i]) {
            throw error("output_padding \(outputPadding) must be smaller than the stride or the dilation")
        }
        let mode = try autoPad()
        let input = Array(x.shape[2...])
        var pads = try explicitPads(count: 2)
        var target = try ints("output_shape")
        if let t = target {
            guard t.count == 2 || t.count == 4 else {
                throw error("output_shape \(t) must give the 2 spatial sizes")
            }
            target = Array(t.suffix(2))
        } else if mode == "SAME_UPPER" || mode == "SAME_LOWER" {
            target = zip(input, strides).map { $0 * $1 }
        } else if mode == "VALID" {
            pads = [0, 0, 0, 0]
        }
        var output: [Int] = []
        for i in 0..<2 {
            let extent: Int = (kernel[i] - 1) * dilations[i] + 1
            let base: Int = strides[i] * (input[i] - 1) + extent
            let full: Int = base + outputPadding[i]
            if let target {
                // ONNX (floor division): SAME_UPPER puts the odd pad at the end, otherwise at the beginning. A
                // negative end pad (output_shape beyond the full size) extends the output as output_padding does.
                let total = full - target[i]
                let half: Int = total >= 0 ? total / 2 : -((1 - total) / 2)
                let begin = mode == "SAME_UPPER" ? half : total - half
                guard begin >= 0 else {
                    throw error("output_shape \(target) is larger than the full output size \(full) on axis \(i) "
                        + "by more than the end padding can absorb")
                }
                pads[i] = begin
                pads[i + 2] = max(0, total - begin)
                outputPadding[i] += max(0, begin - total)
            }
            let out: Int = base + outputPadding[i] - pads[i] - pads[i + 2]
            guard out >= 1 else { throw error("its pads \(pads) leave no output on spatial axis \(i)") }
            output.append(out)
        }
        for i in 0..<2 where outputPadding[i] >= max(strides[i], dilations[i]) {
            throw error("output_shape \(target ?? []) needs an output padding of \(outputPadding[i]) on axis \(i), "
                + "which must be smaller than the stride or the dilation")
        }
        var inputs: [Int?] = [0, 1, b == nil ? nil : 2]
        if s != nil { inputs.append(3) }
        return Inferred(kind: .convTranspose(group: group, strides: strides, dilations: dilations, pads: pads,
                                             outputPadding: outputPadding),
                        dataInputs: inputs, outputShape: [x.shape[0], m] + output)
    }

    func pool(isMax: Bool) throws -> Inferred {
        let x = try operands(1...1)[0]!
        let rank = x.shape.count
        guard rank == 3 || rank == 4 else {
            throw error("WeightShare supports 1-D and 2-D pooling (3-D or 4-D input); the input has shape \(x.shape)")
        }
        let n = rank - 2
        guard let kernel = try ints("kernel_shape") else { throw error("attribute 'kernel_shape' is missing") }
        guard kernel.count == n, kernel.allSatisfy({ $0 >= 1 }) else {
            throw error("kernel_shape \(kernel) must have \(n) positive values")
        }
        if isMax, try int("storage_order", default: 0) != 0 {
            throw error("storage_order 1 is not supported (it only affects the Indices output)")
        }
        let strides = try spatial("strides", count: n, default: 1, minimum: 1)
        let dilations = try spatial("dilations", count: n, default: 1, minimum: 1)
        let ceilMode = try flag("ceil_mode")
        let countIncludePad = isMax ? false : try flag("count_include_pad")
        let (out, pads) = try windows(input: Array(x.shape[2...]), kernel: kernel, strides: strides,
                                      dilations: dilations, ceilMode: ceilMode)
        let outputShape = Array(x.shape[..<2]) + out
        func kind(_ k: [Int], _ s: [Int], _ d: [Int], _ p: [Int]) -> OperatorKind {
            isMax ? .maxPool(kernel: k, strides: s, dilations: d, pads: p)
                  : .averagePool(kernel: k, strides: s, dilations: d, pads: p, countIncludePad: countIncludePad)
        }
        guard n == 1 else {
            return Inferred(kind: kind(kernel, strides, dilations, pads), dataInputs: [0], outputShape: outputShape)
        }
        var inferred = Inferred(kind: kind(Self.lift(kernel, unit: 1), Self.lift(strides, unit: 1),
                                           Self.lift(dilations, unit: 1), Self.liftPads(pads)),
                                dataInputs: [0], outputShape: outputShape)
        inferred.inputViews = [0: [x.shape[0], x.shape[1], 1, x.shape[2]]]
        inferred.operationShape = [x.shape[0], x.shape[1], 1, out[0]]
        return inferred
    }

    func globalAveragePool() throws -> Inferred {
        let x = try operands(1...1)[0]!
        guard x.shape.count >= 3 else {
            throw error("its input \(x.shape) needs at least one spatial dim (N, C, D...)")
        }
        let outputShape = Array(x.shape[..<2]) + [Int](repeating: 1, count: x.shape.count - 2)
        var inferred = Inferred(kind: .globalAveragePool, dataInputs: [0], outputShape: outputShape)
        if x.shape.count != 4 {
            guard let inner = ShapeInference.elementCount(x.shape[2...]) else { throw error("its input is too large") }
            inferred.inputViews = [0: [x.shape[0], x.shape[1], 1, inner]]
            inferred.operationShape = [x.shape[0], x.shape[1], 1, 1]
        }
        return inferred
    }

    func pad() throws -> Inferred {
        let x: Operand
        var pads: [Int]
        var value: Float = 0
        let modeName: String
        let rank: Int
        if opset < 11 {
            x = try operands(1...1)[0]!
            rank = x.shape.count
            guard let p = try ints("pads") else { throw error("attribute 'pads' is missing") }
            pads = p
            value = try float("value", default: 0)
            modeName = try string("mode", default: "constant")
        } else {
            let ops = try operands(2...4)
            x = ops[0]!
            rank = x.shape.count
            pads = try constantInts(ops[1]!, what: "pads")
            if let v = optional(2), v.constant?.elementCount != 0 {
                value = try constantScalar(v, what: "constant_value")
            }
            modeName = try string("mode", default: "constant")
            if let axesOperand = optional(3) {
                let axes = try constantInts(axesOperand, what: "axes").map { try axis($0, rank: rank) }
                guard pads.count == 2 * axes.count, Set(axes).count == axes.count else {
                    throw error("pads \(pads) must hold 2 values per axis of \(axes)")
                }
                var full = [Int](repeating: 0, count: 2 * rank)
                for (j, a) in axes.enumerated() {
                    full[a] = pads[j]
                    full[a + rank] = pads[j + axes.count]
                }
                pads = full
            }
        }
        guard pads.count == 2 * rank else {
            throw error("pads \(pads) must hold \(2 * rank) values (begin and end of each axis of \(x.shape))")
        }
        guard pads.allSatisfy({ $0 >= 0 }) else {
            throw error("pads \(pads) has negative values; WeightShare does not support cropping")
        }
        let mode: PadMode
        switch modeName {
        case "constant": mode = .constant
        case "reflect": mode = .reflect
        case "edge": mode = .edge
        default: throw error("mode '\(modeName)' is not supported; use constant, reflect or edge")
        }
        for i in 0..<rank where mode != .constant && (pads[i] > 0 || pads[i + rank] > 0) {
            let limit = mode == .reflect ? x.shape[i] - 1 : (x.shape[i] > 0 ? Int.max : 0)
            guard pads[i] <= limit, pads[i + rank] <= limit else {
                throw error("\(modeName) padding of \(pads[i]), \(pads[i + rank]) on axis \(i) needs a larger input "
                    + "dim than \(x.shape[i])")
            }
        }
        let output = (0..<rank).map { x.shape[$0] + pads[$0] + pads[$0 + rank] }
        return Inferred(kind: .pad(mode: mode, pads: pads, value: value), dataInputs: [0], outputShape: output)
    }

    func resize() throws -> Inferred {
        let x: Operand
        var scales: [Float]?
        var sizes: [Int]?
        var transform = CoordinateTransform.asymmetric
        var nearest = NearestMode.floor
        let modeName = try string("mode", default: "nearest")
        if opset < 11 {
            let ops = try operands(2...2)
            x = ops[0]!
            scales = try constant(ops[1]!, what: "scales").floats
        } else {
            let ops = try operands(1...4)
            x = ops[0]!
            if let s = optional(2), try constant(s, what: "scales").elementCount > 0 {
                scales = try constant(s, what: "scales").floats
            }
            if let s = optional(3), try constant(s, what: "sizes").elementCount > 0 {
                sizes = try constantInts(s, what: "sizes")
            }
            guard (scales == nil) != (sizes == nil) else {
                throw error("exactly one of scales and sizes must be given")
            }
            let transformName = try string("coordinate_transformation_mode", default: "half_pixel")
            switch transformName {
            case "half_pixel": transform = .halfPixel
            case "align_corners": transform = .alignCorners
            case "asymmetric": transform = .asymmetric
            case "pytorch_half_pixel": transform = .pytorchHalfPixel
            case "tf_half_pixel_for_nn", "tf_half_pixel_for_nearest": transform = .tfHalfPixelForNearest
            default:
                throw error("coordinate_transformation_mode '\(transformName)' is not supported; use half_pixel, "
                    + "align_corners, asymmetric, pytorch_half_pixel or tf_half_pixel_for_nn")
            }
            let nearestName = try string("nearest_mode", default: "round_prefer_floor")
            switch nearestName {
            case "round_prefer_floor": nearest = .roundPreferFloor
            case "round_prefer_ceil": nearest = .roundPreferCeil
            case "floor": nearest = .floor
            case "ceil": nearest = .ceil
            default: throw error("nearest_mode '\(nearestName)' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil")
            }
            if try int("exclude_outside", default: 0) != 0 { throw error("exclude_outside=1 is not supported") }
            if try int("antialias", default: 0) != 0 { throw error("antialias=1 is not supported") }
            let policy = try string("keep_aspect_ratio_policy", default: "stretch")
            if policy != "stretch" { throw error("keep_aspect_ratio_policy '\(policy)' is not supported (stretch only)") }
            if let axes = try ints("axes") {
                let normalized = try axes.map { try axis($0, rank: x.shape.count) }
                if let s = scales {
                    guard s.count == axes.count else { throw error("scales \(s) must match axes \(axes)") }
                    var full = [Float](repeating: 1, count: x.shape.count)
                    for (j, a) in normalized.enumerated() { full[a] = s[j] }
                    scales = full
                }
                if let s = sizes {
                    guard s.count == axes.count else { throw error("sizes \(s) must match axes \(axes)") }
                    var full = x.shape
                    for (j, a) in normalized.enumerated() { full[a] = s[j] }
                    sizes = full
                }
            }
        }
        let mode: ResizeMode
        switch modeName {
        case "nearest": mode = .nearest
        case "linear", "bilinear": mode = .linear
        default: throw error("mode '\(modeName)' is not supported; use nearest or linear")
        }
        guard x.shape.count == 4 else {
            throw error("WeightShare resizes the two trailing dims of a 4-D input; the input has shape \(x.shape)")
        }
        var output: [Int]
        if let sizes {
            guard sizes.count == 4, sizes.allSatisfy({ $0 >= 1 }) else { throw error("sizes \(sizes) must be 4 positive values") }
            output = sizes
            scales = zip(sizes, x.shape).map { Float($0) / Float($1) }
        } else {
            guard let s = scales, s.count == 4, s.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw error("scales \(scales ?? []) must be 4 positive values")
            }
            // A scale so large that the size is not a number of elements is an error, not a trap.
            let floats = zip(x.shape, s).map { (Float($0) * $1).rounded(.down) }
            guard floats.allSatisfy({ $0.isFinite && Double($0) <= Double(ShapeInference.maxElementCount) }) else {
                throw error("scales \(s) make an output too large for input \(x.shape)")
            }
            output = floats.map { Int($0) }
        }
        guard output[0] == x.shape[0], output[1] == x.shape[1] else {
            throw error("it resizes the batch or channel dim (\(x.shape) → \(output)); only the two trailing dims "
                + "may change")
        }
        guard output.allSatisfy({ $0 >= 1 }) else { throw error("its output \(output) is empty") }
        return Inferred(kind: .resize(mode: mode, coordinateTransform: transform, nearestMode: nearest,
                                      scales: scales!), dataInputs: [0], outputShape: output)
    }

    func constant(_ operand: Operand, what: String) throws -> ConstantTensor {
        guard let c = operand.constant else {
            throw error("its \(what) '\(operand.name)' must be a constant")
        }
        return c
    }

    /// A BatchNormalization that lowering could not fold into a preceding Conv/Gemm: ChannelAffine with
    /// scale = γ/√(σ²+ε) and shift = β − μ·scale.
    func batchNormalization() throws -> Inferred {
        let ops = try operands(5...5)
        let x = ops[0]!
        if try int("training_mode", default: 0) != 0 { throw error("training_mode=1 is not supported (inference only)") }
        if node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw error("it has \(node.outputs.count) outputs; only the inference output Y is supported")
        }
        guard x.shape.count >= 2 else { throw error("its input \(x.shape) has no channel axis") }
        let c = x.shape[1]
        var params: [[Float]] = []
        for (i, what) in [(1, "scale"), (2, "bias B"), (3, "mean"), (4, "var")] {
            let p = try constant(ops[i]!, what: what)
            guard p.elementCount == c, p.floats.count == c else {
                throw error("its \(what) '\(ops[i]!.name)' has shape \(p.shape), expected [\(c)]")
            }
            params.append(p.floats)
        }
        let epsilon = try float("epsilon", default: 1e-5)
        let (scale, shift) = BatchNormFold.affine(gamma: params[0], beta: params[1], mean: params[2], variance: params[3],
                                                  epsilon: epsilon)
        return Inferred(kind: .channelAffine,
                        sources: [.input(0), .constant(ConstantTensor(shape: [c], floats: scale), suffix: "scale"),
                                  .constant(ConstantTensor(shape: [c], floats: shift), suffix: "shift")],
                        outputShape: x.shape)
    }
}
