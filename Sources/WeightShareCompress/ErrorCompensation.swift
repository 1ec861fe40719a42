import Dispatch
import Foundation
import WeightShareCore
import WeightShareHostKernels
import WeightShareGraph

/// Error-compensated assignment (GPTQ: Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for
/// Generative Pre-trained Transformers", §3, which builds on Optimal Brain Quantization): instead of giving every
/// weight its nearest shared value on its own, the weights of one output row are assigned one input column after
/// another, and each assignment's error is spread over the row's columns not yet assigned, weighted by the inverse
/// of the layer's input Gram matrix H = Σ x xᵀ. The row's output on the calibration inputs then moves as little as
/// the codebook allows. The codebook, the bit width and every byte stay as they are: only the indices change.
/// H is measured on the float model's activations, so it is one matrix per layer and run (the calibration samples
/// are fixed), and each candidate costs only the row sweeps.

/// A layer whose shared weight can be assigned with error compensation: a 2-D Conv, or a Gemm/MatMul whose weight
/// is B (slot 1) and whose A is an activation. Its output rows fall into `groups` groups (a grouped Conv's groups;
/// one otherwise) that share one H of `width` × `width`.
public struct CompensationLayer: Sendable, Hashable {
    /// Index of the operation in `LoweredModel.operations`, its name, its activation input and its weight.
    public let operation: Int
    public let name: String
    public let input: Int
    public let weight: Int
    public let geometry: Geometry

    public enum Geometry: Sendable, Hashable {
        /// X [N, C, H, W], W [M, C/g, kH, kW], output [N, M, oH, oW]; pads [top, left, bottom, right].
        case conv(input: [Int], output: [Int], group: Int, kernel: [Int], strides: [Int], dilations: [Int],
                  pads: [Int])
        /// `vectors` input vectors of length K (rows of A, or its columns when `transposedInput`); the weight
        /// is [N, K] when `transposedWeight`, else [K, N].
        case rows(vectors: Int, k: Int, n: Int, transposedInput: Bool, transposedWeight: Bool)
    }

    public var groups: Int {
        if case let .conv(_, _, group, _, _, _, _) = geometry { return group }
        return 1
    }

    /// Columns of one row: the inputs one output value reads.
    public var width: Int {
        switch geometry {
        case let .conv(input, _, group, kernel, _, _, _): return input[1] / group * kernel[0] * kernel[1]
        case let .rows(_, k, _, _, _): return k
        }
    }

    /// Output rows (channels) in total.
    public var rowCount: Int {
        switch geometry {
        case let .conv(_, output, _, _, _, _, _): return output[1]
        case let .rows(_, _, n, _, _): return n
        }
    }

    /// Element of the weight tensor at column `column` of output row `row` (columns in the order of H).
    public func element(row: Int, column: Int) -> Int {
        switch geometry {
        case .conv: return row * width + column
        case let .rows(_, k, n, _, transposedWeight): return transposedWeight ? row * k + column : column * n + row
        }
    }

    /// The layers of `model` whose shared weight can be compensated, in execution order. A tensor that several
    /// operations read keeps its nearest-value indices.
    public static func layers(in model: LoweredModel, shared: SharedWeights) -> [CompensationLayer] {
        var reads: [Int: Int] = [:]
        for operation in model.operations {
            for case let t? in operation.inputs { reads[t, default: 0] += 1 }
        }
        var layers: [CompensationLayer] = []
        for (o, operation) in model.operations.enumerated() {
            guard operation.inputs.count > 1, let x = operation.inputs[0], let w = operation.inputs[1],
                  !model.tensors[x].isConstant, shared.slice(ofTensor: w) != nil, reads[w] == 1,
                  let output = operation.outputs.first else { continue }
            let xShape = model.tensors[x].shape, wShape = model.tensors[w].shape
            let yShape = model.tensors[output].shape
            let geometry: Geometry
            switch operation.kind {
            case let .conv(group, strides, dilations, pads):
                guard xShape.count == 4, wShape.count == 4, yShape.count == 4, group > 0, xShape[1] % group == 0,
                      wShape[1] == xShape[1] / group, strides.count == 2, dilations.count == 2,
                      pads.count == 4 else { continue }
                geometry = .conv(input: xShape, output: yShape, group: group, kernel: [wShape[2], wShape[3]],
                                 strides: strides, dilations: dilations, pads: pads)
            case let .gemm(_, _, transA, transB):
                guard xShape.count == 2, wShape.count == 2 else { continue }
                let k = transA ? xShape[0] : xShape[1]
                guard k == (transB ? wShape[1] : wShape[0]) else { continue }
                geometry = .rows(vectors: transA ? xShape[1] : xShape[0], k: k, n: transB ? wShape[0] : wShape[1],
                                 transposedInput: transA, transposedWeight: transB)
            case .matMul:
                guard xShape.count >= 1, wShape.count == 2, xShape.last == wShape[0] else { continue }
                geometry = .rows(vectors: xShape.reduce(1, *) / wShape[0], k: wShape[0], n: wShape[1],
                                 transposedInput: false, transposedWeight: false)
            default:
                continue
            }
            layers.append(CompensationLayer(operation: o, name: operation.name, input: x, weight: w,
                                            geometry: geometry))
        }
        return layers
    }

    /// Adds Σ x xᵀ over every input vector of one inference (`input`: this layer's activation input) into
    /// `gram`: one `width` × `width` matrix per group, row-major, upper triangle only (``symmetrised(_:)``).
    public func accumulate(_ input: UnsafeBufferPointer<Float>, into gram: inout [[Double]]) {
        let d = width
        var vector = [Double](repeating: 0, count: d)
        var nonZero = [UInt32](repeating: 0, count: d)
        func add(_ g: Int) {
            // Activations after ReLU are mostly zero: only the non-zero pairs contribute (ws_host_gram_add).
            gram[g].withUnsafeMutableBufferPointer { h in
                ws_host_gram_add(vector, UInt32(d), &nonZero, h.baseAddress!)
            }
        }
        switch geometry {
        case let .conv(shape, output, group, kernel, strides, dilations, pads):
            let (channels, height, widthIn) = (shape[1] / group, shape[2], shape[3])
            let (kh, kw) = (kernel[0], kernel[1])
            // One vector per output position (n, group, oy, ox): its taps in W's order (channel, ky, kx).
            for position in 0..<(shape[0] * group * output[2] * output[3]) {
                let (ox, oy) = (position % output[3], position / output[3] % output[2])
                let g = position / (output[2] * output[3]) % group, n = position / (output[2] * output[3] * group)
                for column in 0..<d {
                    let (c, ky, kx) = (column / (kh * kw), column / kw % kh, column % kw)
                    let iy = oy * strides[0] - pads[0] + ky * dilations[0]
                    let ix = ox * strides[1] - pads[1] + kx * dilations[1]
                    let inside = iy >= 0 && iy < height && ix >= 0 && ix < widthIn
                    let plane = n * shape[1] + g * channels + c
                    vector[column] = inside ? Double(input[(plane * height + iy) * widthIn + ix]) : 0
                }
                add(g)
            }
        case let .rows(vectors, k, _, transposedInput, _):
            for v in 0..<vectors {
                for i in 0..<k { vector[i] = Double(input[transposedInput ? i * vectors + v : v * k + i]) }
                add(0)
            }
        }
    }

    /// The full symmetric matrix from the upper triangle ``accumulate(_:into:)`` fills.
    public func symmetrised(_ upper: [Double]) -> [Double] {
        let d = width
        var h = upper
        for i in 0..<d {
            for j in 0..<i { h[i * d + j] = h[j * d + i] }
        }
        return h
    }
}

/// The upper Cholesky factor U of H⁻¹ (H⁻¹ = UᵀU) that the row sweep reads, for one group's Gram matrix H.
/// H is damped first (1 % of its mean diagonal added to the diagonal, GPTQ's default), and inputs that were zero on
/// every calibration sample get a unit diagonal: they are decoupled, so their weights keep their nearest values.
public struct CompensationFactor: Sendable {
    public let width: Int
    /// Row-major, width × width, zero below the diagonal.
    public let upper: [Double]

    /// Relative damping (GPTQ: `percdamp` = 0.01); raised tenfold, up to 3 times, when H is still not positive
    /// definite.
    public static let damping = 0.01

    /// nil when H cannot be factored even with the largest damping (the layer keeps nearest-value indices).
    public init?(gram h: [Double], width d: Int) {
        var h = h
        var diagonalSum = 0.0
        for i in 0..<d {
            if h[i * d + i] <= 0 {
                for j in 0..<d { h[i * d + j] = 0; h[j * d + i] = 0 }
                h[i * d + i] = 1
            }
            diagonalSum += h[i * d + i]
        }
        let mean = diagonalSum / Double(max(d, 1))
        var damping = Self.damping
        for _ in 0..<4 {
            var damped = h
            for i in 0..<d { damped[i * d + i] += damping * mean }
            if let lower = Self.cholesky(damped, d), let inverse = Self.inverse(fromCholesky: lower, d),
               let lowerOfInverse = Self.cholesky(inverse, d) {
                var upper = [Double](repeating: 0, count: d * d)
                for i in 0..<d {
                    for j in i..<d { upper[i * d + j] = lowerOfInverse[j * d + i] }
                }
                self.width = d
                self.upper = upper
                return
            }
            damping *= 10
        }
        return nil
    }

    /// Lower L with A = L Lᵀ (row-major), nil unless A is positive definite.
    static func cholesky(_ a: [Double], _ d: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var s = a[i * d + j]
                for k in 0..<j { s -= l[i * d + k] * l[j * d + k] }
                if i == j {
                    guard s > 0, s.isFinite else { return nil }
                    l[i * d + i] = s.squareRoot()
                } else {
                    l[i * d + j] = s / l[j * d + j]
                }
            }
        }
        return l
    }

    /// A⁻¹ from A's lower Cholesky factor: (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹.
    static func inverse(fromCholesky l: [Double], _ d: Int) -> [Double]? {
        var li = [Double](repeating: 0, count: d * d) // L⁻¹, lower
        for i in 0..<d {
            li[i * d + i] = 1 / l[i * d + i]
            for j in 0..<i {
                var s = 0.0
                for k in j..<i { s -= l[i * d + k] * li[k * d + j] }
                li[i * d + j] = s / l[i * d + i]
            }
        }
        var inverse = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var s = 0.0
                for k in i..<d { s += li[k * d + i] * li[k * d + j] }
                inverse[i * d + j] = s
                inverse[j * d + i] = s
            }
        }
        return inverse.allSatisfy(\.isFinite) ? inverse : nil
    }

    /// Assigns one row: `targets` (the row's values in the normalised domain, column order of H) become codebook
    /// indices, column after column, each error spread over the later columns. A column with a `fixed` value (an
    /// exact outlier) takes that value and keeps its index from `fallback`.
    public func assign(row targets: [Double], codebook: [Float], fixed: [Int: Float], fallback: [UInt32])
        -> [UInt32] {
        let d = width
        var w = targets
        var indices = fallback
        for j in 0..<d {
            let q: Double
            if let exact = fixed[j] {
                q = Double(exact)
            } else {
                let i = Self.nearest(w[j], in: codebook)
                indices[j] = UInt32(i)
                q = Double(codebook[i])
            }
            let error = (w[j] - q) / upper[j * d + j]
            if error != 0 {
                for k in (j + 1)..<d { w[k] -= error * upper[j * d + k] }
            }
        }
        return indices
    }

    /// Index of the codebook value (ascending) nearest to `x`; ties go to the lower one.
    static func nearest(_ x: Double, in codebook: [Float]) -> Int {
        var lo = 0, hi = codebook.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Double(codebook[mid]) < x { lo = mid + 1 } else { hi = mid }
        }
        if lo == 0 { return 0 }
        if lo == codebook.count { return codebook.count - 1 }
        return x - Double(codebook[lo - 1]) <= Double(codebook[lo]) - x ? lo - 1 : lo
    }
}

extension WeightEncoding {
    /// The index of every shared weight of `model` (this encoding's variant) when each compensable layer's rows
    /// are assigned to the codebook with error compensation (``CompensationFactor/assign(row:codebook:fixed:fallback:)``);
    /// other weights, and rows whose group has no factor, keep their nearest-bin indices. With scale refit the
    /// rows aim at w / f (f: the refit factor measured on the nearest-bin values), so that the refit scale times
    /// the assigned value approximates the weight. `factors` gives one factor per group of a layer.
    public func compensatedIndices(model: LoweredModel, shared: SharedWeights,
                                   threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                   factors: (CompensationLayer) throws -> [CompensationFactor?]) rethrows -> [UInt32] {
        var indices = quantization.indices
        let refit = scaleRefit ? normalization.refitFactors(model, weights: shared, shared: values) : [:]
        var isExact = [Bool](repeating: false, count: shared.values.count)
        for p in outliers.positions { isExact[p] = true }
        let exact = Dictionary(uniqueKeysWithValues: zip(outliers.positions, outliers.values))
        let codebook = quantization.codebook
        for layer in CompensationLayer.layers(in: model, shared: shared) {
            guard let slice = shared.slice(ofTensor: layer.weight) else { continue }
            let groupFactors = try factors(layer)
            let rowsPerGroup = layer.rowCount / layer.groups
            let d = layer.width
            for (g, factor) in groupFactors.enumerated() {
                guard let factor else { continue }
                // The group's rows column-major (column j of row r at j · n + r), swept together.
                let n = rowsPerGroup, first = g * rowsPerGroup
                var targets = [Double](repeating: 0, count: d * n)
                var fixed = [UInt8](repeating: 0, count: d * n)
                var fixedValues = [Float](repeating: 0, count: d * n)
                var assigned = [UInt32](repeating: 0, count: d * n)
                for r in 0..<n {
                    let row = first + r
                    let f = refit[slice.tensor].map { Double($0.count == 1 ? $0[0] : $0[row]) } ?? 1
                    for column in 0..<d {
                        let e = slice.offset + layer.element(row: row, column: column)
                        targets[column * n + r] = Double(shared.values[e]) / f
                        assigned[column * n + r] = indices[e]
                        if isExact[e] {
                            fixed[column * n + r] = 1
                            fixedValues[column * n + r] = exact[e]!
                        }
                    }
                }
                factor.assign(rows: n, targets: &targets, codebook: codebook, fixed: fixed, fixedValues: fixedValues,
                              indices: &assigned, threads: threads)
                for r in 0..<n {
                    for column in 0..<d {
                        indices[slice.offset + layer.element(row: first + r, column: column)] = assigned[column * n + r]
                    }
                }
            }
        }
        return indices
    }
}

extension CompensationFactor {
    /// Assigns `rows` rows at once (``assign(row:codebook:fixed:fallback:)`` for each, the same indices), laid out
    /// column-major: `targets[j · rows + r]` is column j of row r, and likewise `fixed` (nonzero: the weight is
    /// exact, `fixedValues` holds it, and its entry of `indices` is kept). The rows are split over `threads` threads.
    public func assign(rows: Int, targets: inout [Double], codebook: [Float], fixed: [UInt8], fixedValues: [Float],
                       indices: inout [UInt32], threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        let d = width
        precondition(targets.count == d * rows && fixed.count == d * rows && fixedValues.count == d * rows
                     && indices.count == d * rows, "column-major rows × width arrays")
        let parts = max(1, min(threads, rows / 32))
        // Each part's products on one BLAS thread: the parts already use the threads given, and a product split
        // over BLAS threads rounds differently (the count is process-wide: see LayerwiseRun.runBatched).
        ws_host_set_threads(1)
        let share = (rows + parts - 1) / parts
        upper.withUnsafeBufferPointer { u in
            fixed.withUnsafeBufferPointer { f in
                fixedValues.withUnsafeBufferPointer { v in
                    targets.withUnsafeMutableBufferPointer { w in
                        indices.withUnsafeMutableBufferPointer { x in
                            let (u, f, v) = (SharedPointer(u.baseAddress!), SharedPointer(f.baseAddress!),
                                             SharedPointer(v.baseAddress!))
                            let (w, x) = (SharedPointer(w.baseAddress!), SharedPointer(x.baseAddress!))
                            Parallel.perform(iterations: parts) { p in
                                let lo = p * share, count = min(rows, lo + share) - lo
                                guard count > 0 else { return }
                                ws_host_compensate_rows(u.pointer, UInt32(d), w.pointer + lo, UInt32(count), rows,
                                                        codebook, UInt32(codebook.count), f.pointer + lo,
                                                        v.pointer + lo, x.pointer + lo)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A pointer the workers share, each using its own rows.
private struct SharedPointer<T>: @unchecked Sendable {
    let pointer: T
    init(_ pointer: T) { self.pointer = pointer }
}
