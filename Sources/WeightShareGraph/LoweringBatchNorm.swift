import Foundation
import WeightShareCore

/// How lowering folds a BatchNormalization that follows a Conv, ConvTranspose or Gemm.
public struct LoweringOptions: Sendable, Equatable {
    public enum BatchNormFolding: String, Sendable, Equatable, CaseIterable, Codable {
        /// The layer keeps its own weights and gains the per-output-channel epilogue scale S = γ/√(σ²+ε) and
        /// the bias B' = S·(B−μ)+β: the shared values are the layer's weights (the paper's setting).
        case epilogue
        /// The scale is multiplied into the weights (W' = S·W) and no S input is added.
        case weights
    }

    public var batchNormFolding: BatchNormFolding

    public init(batchNormFolding: BatchNormFolding = .epilogue) {
        self.batchNormFolding = batchNormFolding
    }
}

/// Folding of inference BatchNormalization into the preceding layer.
enum BatchNormFold {
    /// scale = γ/√(σ²+ε), shift = β − μ·scale (computed in Double).
    static func affine(gamma: [Float], beta: [Float], mean: [Float], variance: [Float], epsilon: Float)
        -> (scale: [Float], shift: [Float])
    {
        var scale: [Float] = [], shift: [Float] = []
        for c in gamma.indices {
            let s = Double(gamma[c]) / (Double(variance[c]) + Double(epsilon)).squareRoot()
            scale.append(Float(s))
            shift.append(Float(Double(beta[c]) - Double(mean[c]) * s))
        }
        return (scale, shift)
    }
}

extension Lowering {
    /// Folds each BatchNormalization whose input is the only use of a Conv/ConvTranspose/Gemm output (not a graph
    /// output) with constant weights and bias into that layer: the layer takes over the BatchNormalization's
    /// output. Others stay and lower to ChannelAffine.
    static func foldBatchNorms(_ graph: Graph, options: LoweringOptions) throws -> Graph {
        var graph = graph
        let graphOutputs = Set(graph.outputs.map(\.name))
        var uses: [String: Int] = [:]
        var producer: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() {
            for input in node.inputs where !input.isEmpty { uses[input, default: 0] += 1 }
            for output in node.outputs where !output.isEmpty { producer[output] = i }
        }
        var taken = Set(graph.initializers.keys).union(producer.keys).union(graph.inputs.map(\.name))
        func fresh(_ base: String) -> String {
            var name = base, k = 1
            while taken.contains(name) { k += 1; name = "\(base)_\(k)" }
            taken.insert(name)
            return name
        }
        func floats(_ name: String) -> ConstantTensor? {
            guard !name.isEmpty, let c = graph.initializers[name], case .float = c.storage,
                  ShapeInference.elementCount(c.shape) == c.floats.count else { return nil }
            return c
        }

        var removed = Set<Int>()
        for (i, bn) in graph.nodes.enumerated() where bn.opType == "BatchNormalization"
            && isDefaultOperatorDomain(bn.domain) && bn.inputs.count == 5
        {
            guard bn.outputs.dropFirst().allSatisfy({ $0.isEmpty || uses[$0] == nil && !graphOutputs.contains($0) }),
                  case .int(0)? = bn.attributes["training_mode"] ?? .int(0),
                  let p = producer[bn.inputs[0]], !removed.contains(p), uses[bn.inputs[0]] == 1,
                  !graphOutputs.contains(bn.inputs[0]) else { continue }
            let layer = graph.nodes[p]
            guard ["Conv", "ConvTranspose", "Gemm"].contains(layer.opType), isDefaultOperatorDomain(layer.domain),
                  layer.outputs.count == 1, layer.inputs.count >= 2, layer.inputs.count <= 3,
                  let gamma = floats(bn.inputs[1]), let beta = floats(bn.inputs[2]), let mean = floats(bn.inputs[3]),
                  let variance = floats(bn.inputs[4]) else { continue }
            let c = gamma.elementCount
            guard [beta, mean, variance].allSatisfy({ $0.elementCount == c }) else { continue }
            var epsilon: Float = 1e-5
            switch bn.attributes["epsilon"] {
            case .float(let e)?: epsilon = e
            case nil: break
            default: continue
            }
            let (s, _) = BatchNormFold.affine(gamma: gamma.floats, beta: beta.floats, mean: mean.floats,
                                              variance: variance.floats, epsilon: epsilon)
            let bias = layer.inputs.count > 2 ? layer.inputs[2] : ""
            guard bias.isEmpty || floats(bias) != nil else { continue }
            let w = floats(layer.inputs[1])

            var newLayer = layer
            var newBias: [Float]
            var newWeights: [Float]? = nil
            var biasShape = [c]
            switch layer.opType {
            case "Conv", "ConvTranspose":
                guard let w, w.shape.count >= 3 else { continue }
                var group = 1
                if case .int(let g)? = layer.attributes["group"] { group = g }
                guard group >= 1 else { continue }
                let m = layer.opType == "Conv" ? w.shape[0] : w.shape[1] * group
                guard m == c, bias.isEmpty || floats(bias)!.elementCount == c else { continue }
                let b = bias.isEmpty ? [Float](repeating: 0, count: c) : floats(bias)!.floats
                newBias = (0..<c).map { Float(Double(s[$0]) * (Double(b[$0]) - Double(mean.floats[$0]))
                    + Double(beta.floats[$0])) }
                if options.batchNormFolding == .weights {
                    var values = w.floats
                    let inner = w.shape[2...].reduce(1, *)
                    if layer.opType == "Conv" {
                        let perChannel = w.shape[1] * inner
                        for o in 0..<m { for e in 0..<perChannel { values[o * perChannel + e] *= s[o] } }
                    } else {
                        let cin = w.shape[0], mPerGroup = w.shape[1]
                        guard cin % group == 0 else { continue }
                        let cPerGroup = cin / group
                        for ci in 0..<cin {
                            for j in 0..<mPerGroup {
                                let o = (ci / cPerGroup) * mPerGroup + j
                                let base = (ci * mPerGroup + j) * inner
                                for e in 0..<inner { values[base + e] *= s[o] }
                            }
                        }
                    }
                    newWeights = values
                }
            default:  // Gemm
                var transB = false, gemmBeta: Float = 1
                if case .int(let t)? = layer.attributes["transB"] { transB = t == 1 }
                if case .float(let v)? = layer.attributes["beta"] { gemmBeta = v }
                var cValues = [Float](repeating: 0, count: c)
                if !bias.isEmpty {
                    let cc = floats(bias)!
                    if cc.elementCount == 1 {
                        cValues = [Float](repeating: cc.floats[0], count: c)
                    } else if cc.shape.last == c && cc.elementCount == c {
                        cValues = cc.floats
                    } else {
                        continue
                    }
                }
                newBias = (0..<c).map { Float(Double(s[$0]) * (Double(gemmBeta) * Double(cValues[$0])
                    - Double(mean.floats[$0])) + Double(beta.floats[$0])) }
                biasShape = [c]
                newLayer.attributes["beta"] = .float(1)
                if options.batchNormFolding == .weights {
                    guard let w, w.shape.count == 2, (transB ? w.shape[0] : w.shape[1]) == c else { continue }
                    var values = w.floats
                    let (rows, cols) = (w.shape[0], w.shape[1])
                    for r in 0..<rows { for k in 0..<cols { values[r * cols + k] *= s[transB ? r : k] } }
                    newWeights = values
                } else if let w {
                    guard w.shape.count == 2, (transB ? w.shape[0] : w.shape[1]) == c else { continue }
                }
            }

            let base = layer.name.isEmpty ? layer.outputs[0] : layer.name
            let biasName = fresh("\(base)_bn_bias")
            graph.initializers[biasName] = ConstantTensor(shape: biasShape, floats: newBias)
            var inputs = [layer.inputs[0], layer.inputs[1], biasName]
            if let newWeights, let w {
                let weightName = fresh("\(base)_bn_weight")
                graph.initializers[weightName] = ConstantTensor(shape: w.shape, floats: newWeights)
                inputs[1] = weightName
            } else {
                let scaleName = fresh("\(base)_bn_scale")
                graph.initializers[scaleName] = ConstantTensor(shape: [c], floats: s)
                inputs.append(scaleName)
            }
            newLayer.inputs = inputs
            newLayer.outputs = [bn.outputs[0]]
            graph.nodes[p] = newLayer
            removed.insert(i)
        }
        graph.nodes = graph.nodes.indices.filter { !removed.contains($0) }.map { graph.nodes[$0] }
        return graph
    }
}
