import ArgumentParser

@main
struct WSC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsc",
        abstract: "WeightShare compiler: one global codebook for a network's weights, searched with NSGA-II, packed for microcontrollers.",
        discussion: """
        Typical flow:
          wsc search  model.onnx --data val.npz --out runs/m --input-shape input=1,64
          wsc pareto  runs/m
          wsc compile runs/m -o out/
          wsc verify  out/model.wsm --model model.onnx --data test.npz
        """,
        version: "0.1.0",
        subcommands: [SearchCommand.self, ParetoCommand.self, MergeCommand.self, CompileCommand.self,
                      VerifyCommand.self, InspectCommand.self]
    )
}
