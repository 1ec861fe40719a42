import Foundation

/// Runs firmware under `qemu-system-arm` with semihosting and `-icount shift=0`, and reads what it printed.
public enum QEMURunner {
    public struct Sample: Sendable, Equatable, Codable {
        public var index: Int
        public var ticks: UInt64
        public var top1: Int
        public var expectedTop1: Int
        public var mismatch: Bool
        public var outputs: [Float]
    }

    public struct Run: Sendable {
        public var exitStatus: Int32
        public var samples: [Sample]
        public var resultLine: String?
        public var output: String
        public var argv: [String]
    }

    public static func arguments(machine: String, elf: URL) -> [String] {
        ["qemu-system-arm", "-M", machine, "-nographic", "-monitor", "none", "-serial", "none",
         "-semihosting-config", "enable=on,target=native", "-icount", "shift=0", "-kernel", elf.path]
    }

    /// Runs `elf` on the board's QEMU machine; kills QEMU after `timeout` seconds.
    public static func run(board: Board, elf: URL, timeout: Double) throws -> Run {
        guard let qemu = board.qemu else { throw BoardError.notEmulated(board: board.name) }
        guard ExternalTool.find("qemu-system-arm") != nil else {
            throw BoardError.toolMissing(tool: "qemu-system-arm", hint: "install qemu-system-arm (scripts/install-deps.sh)")
        }
        let argv = arguments(machine: qemu.machine, elf: elf)
        let result = try ExternalTool.run(argv, timeout: timeout)
        let output = result.stdout + (result.stderr.isEmpty ? "" : "\n[stderr]\n" + result.stderr)
        if result.timedOut { throw BoardError.qemuTimeout(seconds: timeout, output: String(output.suffix(4000))) }
        return Run(exitStatus: result.status, samples: try parse(result.stdout), resultLine:
                    result.stdout.split(separator: "\n").last(where: { $0.hasPrefix("result ") }).map(String.init),
                   output: output, argv: argv)
    }

    /// Parses the firmware's `sample …` lines (boards/firmware/main.c).
    public static func parse(_ text: String) throws -> [Sample] {
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where line.hasPrefix("sample ") {
            let parts = line.split(separator: " ")
            var fields: [String: String] = [:]
            for p in parts.dropFirst(2) {
                let kv = p.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
            }
            guard parts.count >= 2, let index = Int(parts[1]), let ticks = fields["ticks"].flatMap({ UInt64($0) }),
                  let top1 = fields["top1"].flatMap({ Int($0) }), let expected = fields["expected"].flatMap({ Int($0) }),
                  let out = fields["out"] else {
                throw BoardError.badFirmwareOutput(reason: "cannot parse '\(line)'", output: text)
            }
            let values = try out.split(separator: ",").map { hex -> Float in
                guard let bits = UInt32(hex, radix: 16) else { throw BoardError.badFirmwareOutput(reason: "bad value '\(hex)'", output: text) }
                return Float(bitPattern: bits)
            }
            samples.append(Sample(index: index, ticks: ticks, top1: top1, expectedTop1: expected,
                                  mismatch: parts.contains("MISMATCH"), outputs: values))
        }
        return samples
    }
}
