import WeightShareCore
import WeightShareReader

/// Which model outputs a metric reads, and which outputs are fed back as inputs in a free-running run.
public enum OutputSelection {
    /// Positions in `outputs` that `metric` scores: the one named `name` when given; otherwise the first output
    /// for the top-1 metrics (accuracy and agreement compare one class vector) and every output, concatenated,
    /// for cosine.
    public static func scored(outputs: [String], metric: Metric, name: String?) throws -> [Int] {
        if let name {
            guard let i = outputs.firstIndex(of: name) else { throw SelectionError.noSuchOutput(name, outputs) }
            return [i]
        }
        guard !outputs.isEmpty else { throw SelectionError.noOutput }
        return metric == .cosine ? Array(outputs.indices) : [0]
    }

    /// The output position `name` names among `outputs` (nil name: the first output), for class labels.
    public static func classOutput(outputs: [String], name: String?) throws -> Int {
        guard let name else { return 0 }
        guard let i = outputs.firstIndex(of: name) else { throw SelectionError.noSuchOutput(name, outputs) }
        return i
    }

    /// `--feedback input=output` pairs resolved to (input position, output position) of `model`; each output
    /// must have exactly the input's element count, and an input may be fed once.
    public static func feedback(_ pairs: [(input: String, output: String)], model: WSMModel) throws
        -> [(input: Int, output: Int)] {
        var seen = Set<String>()
        return try pairs.map { pair in
            guard let i = model.inputs.firstIndex(where: { $0.name == pair.input }) else {
                throw SelectionError.noSuchInput(pair.input, model.inputs.map(\.name))
            }
            guard let o = model.outputs.firstIndex(where: { $0.name == pair.output }) else {
                throw SelectionError.noSuchOutput(pair.output, model.outputs.map(\.name))
            }
            guard seen.insert(pair.input).inserted else { throw SelectionError.fedTwice(pair.input) }
            let input = model.inputs[i], output = model.outputs[o]
            guard input.elementCount == output.elementCount else {
                throw SelectionError.feedbackSize(input: input.name, inputShape: input.shape, output: output.name,
                                                  outputShape: output.shape)
            }
            return (i, o)
        }
    }
}

public enum SelectionError: Error, Equatable, CustomStringConvertible {
    case noOutput
    case noSuchOutput(String, [String])
    case noSuchInput(String, [String])
    case fedTwice(String)
    case feedbackSize(input: String, inputShape: [Int], output: String, outputShape: [Int])

    public var description: String {
        func list(_ names: [String]) -> String { names.map { "'\($0)'" }.joined(separator: ", ") }
        switch self {
        case .noOutput: return "the model has no output to score"
        case .noSuchOutput(let name, let outputs):
            return "the model has no output '\(name)' (its outputs: \(list(outputs)))"
        case .noSuchInput(let name, let inputs):
            return "the model has no run-time input '\(name)' (its inputs: \(list(inputs)))"
        case .fedTwice(let name): return "--feedback gives input '\(name)' twice; feed each input from one output"
        case .feedbackSize(let input, let inputShape, let output, let outputShape):
            return "--feedback \(input)=\(output): output '\(output)' \(outputShape) does not have the element count "
                + "of input '\(input)' \(inputShape), so it cannot be fed back"
        }
    }
}
