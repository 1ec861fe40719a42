import ArgumentParser
import WeightShare

@main
struct WSC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsc",
        abstract: "WeightShare compiler: one global codebook for a network's weights, searched with NSGA-II, packed for microcontrollers.",
        discussion: """
        Typical flow:
          wsc check   model.onnx --input-shape input=1,64
          wsc search  model.onnx --data val.npz --out runs/m --input-shape input=1,64
          wsc pareto  runs/m
          wsc compile runs/m -o out/
          wsc verify  out/model.wsm --model model.onnx --data test.npz
          wsc report  out/model.wsm --model model.onnx --data test.npz --html report.html
          wsc compile runs/m --board qemu-mps2-an386 -o out/
          wsc run     out/ --board qemu-mps2-an386 --data test.npz --limit 20
          wsc flash   out/ --board nucleo-f746zg --dry-run
        """,
        version: WeightShareVersion.string,
        subcommands: [CheckCommand.self, SearchCommand.self, ParetoCommand.self, MergeCommand.self, CompileCommand.self,
                      VerifyCommand.self, InspectCommand.self, ReportCommand.self, BoardsCommand.self, FlashCommand.self, RunCommand.self,
                      WorkerCommand.self]
    )
}
