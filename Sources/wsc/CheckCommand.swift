import ArgumentParser
import Foundation
import WeightShare

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that a model can be compiled: unsupported operators, input dimensions to pin, shared weights.",
        discussion: "Lists every operator WeightShare cannot compile (node count and first node), every dynamic input dimension still to pin (with an --input-shape that lowers, when one is found) and, when the model lowers, the weights that would be shared and the runtime operators. Exits with status 0 when the model can be searched and compiled as pinned, 1 otherwise (after the same listing)."
    )

    @Argument(help: "The model (.onnx).", completion: Completion.onnx) var model: String
    @OptionGroup var shapes: InputShapeOptions
    @Option(name: .customLong("bn-fold"),
            help: "Fold a BatchNormalization after a Conv/Gemm into the layer's epilogue or into its weights (as search does).")
    var bnFold: LoweringOptions.BatchNormFolding = .epilogue
    @OptionGroup var output: OutputOptions

    func run() throws {
        let url = try requireFile(model, option: "model")
        let graph = try ONNXImporter.load(url: url)
        let check = ImportCheck(graph: graph, model: model, inputShapes: try shapes.parsed(), inputValues: try shapes.values(),
                                options: LoweringOptions(batchNormFolding: bnFold))
        if output.json {
            try Console.printJSON(check)
        } else {
            print(Self.render(check))
        }
        if !check.compilable { throw ExitCode(1) }
    }

    static func render(_ check: ImportCheck) -> String {
        func shape(_ dims: [String]?) -> String { dims.map { "[" + $0.joined(separator: ", ") + "]" } ?? "(none declared)" }
        func pinned(_ dims: [Int]?) -> String { dims.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? "" }
        var lines = ["\(check.model): opset \(check.opset), \(check.nodes) nodes"]
        lines.append("inputs:")
        lines.append(Console.table(["name", "type", "declared", "pinned"], check.inputs.map {
            [$0.name, $0.elementType, shape($0.declaredShape), pinned($0.pinnedShape)]
        }))
        lines.append("outputs:")
        lines.append(Console.table(["name", "type", "declared", "pinned"], check.outputs.map {
            [$0.name, $0.elementType, shape($0.declaredShape), pinned($0.pinnedShape)]
        }))
        if check.unsupportedOperators.isEmpty {
            lines.append("operators: all \(check.operators.count) supported")
        } else {
            let nodes = check.unsupportedOperators.map(\.count).reduce(0, +)
            lines.append("unsupported operators (\(check.unsupportedOperators.count), \(nodes) nodes):")
            lines.append(Console.table(["operator", "nodes", "first node"], check.unsupportedOperators.map {
                [$0.qualifiedName, String($0.count), $0.firstNode]
            }))
        }
        if let controlFlow = check.controlFlowError { lines.append("control flow: " + controlFlow) }
        if !check.dynamicDimensions.isEmpty {
            lines.append("dynamic input dimensions to pin:")
            lines.append(Console.table(["input", "axis", "name"], check.dynamicDimensions.map {
                [$0.input, $0.axis.map(String.init) ?? "all", $0.symbol ?? "?"]
            }))
            if let advice = check.inputShapeAdvice { lines.append(advice) }
        }
        if !check.loweredOperators.isEmpty {
            lines.append("lowered operators: " + check.loweredOperators.map { "\($0.kind) ×\($0.count)" }
                .joined(separator: ", "))
        }
        if !check.sharedWeights.isEmpty {
            lines.append("shared weights: N = \(check.sharedWeightCount) in \(check.sharedWeights.count) tensors")
            lines.append(Console.table(["tensor", "shape", "elements"], check.sharedWeights.map {
                [$0.tensor, "[" + $0.shape.map(String.init).joined(separator: ", ") + "]", String($0.elements)]
            }))
        }
        if check.compilable {
            lines.append("ok: the model can be searched and compiled as pinned")
        } else if let error = check.error {
            // The unsupported operators are listed above; the error repeats them with the supported list.
            let reason = !check.unsupportedOperators.isEmpty
                ? "\(check.unsupportedOperators.count) unsupported operator(s) above"
                : check.controlFlowError != nil ? "the control flow above is not resolved at compile time"
                : !check.dynamicDimensions.isEmpty ? "the dynamic input dimensions above are not pinned" : error
            lines.append("cannot compile: " + reason)
        }
        return lines.joined(separator: "\n")
    }
}
