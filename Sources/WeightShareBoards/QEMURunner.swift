import Foundation

/// Runs firmware under `qemu-system-arm` with `-icount shift=0` and reads what it printed: over semihosting, or
/// for a UART build (`IO=uart`) from the board's first serial port, with the exit status from its `exit <code>`
/// line (the firmware resets at the end, and `-no-reboot` makes QEMU exit).
public enum QEMURunner {
    public struct Sample: Sendable, Equatable, Codable {
        public var index: Int
        /// SysTick ticks of the inference (`ticks=`, the default build); nil in a `TIMING=dwt` build.
        public var ticks: UInt64?
        /// DWT core cycles of the inference (`cycles=`, `make TIMING=dwt` on a real board).
        public var cycles: UInt64?
        public var top1: Int
        public var expectedTop1: Int
        public var mismatch: Bool
        public var outputs: [Float]
    }

    /// One `ops <k> ticks|cycles=<n>` line of a `TIME_OPS=1` build: the time of the first `index` operators
    /// (`ws_invoke_partial`; index 0 is the call's fixed cost).
    public struct OperatorTime: Sendable, Equatable, Codable {
        public var index: Int
        /// SysTick ticks (nil in a `TIMING=dwt` build).
        public var ticks: UInt64?
        /// DWT cycles (`TIMING=dwt`).
        public var cycles: UInt64?
    }

    public struct Run: Sendable {
        public var exitStatus: Int32
        public var samples: [Sample]
        /// The `ops …` lines (a `TIME_OPS=1` build), in order; empty otherwise.
        public var operators: [OperatorTime] = []
        public var resultLine: String?
        public var output: String
        public var argv: [String]
    }

    public static func arguments(machine: String, elf: URL, io: FirmwareIO = .semihosting) -> [String] {
        // A UART build runs without semihosting: a semihosting call would stop the core.
        let output = io == .uart ? ["-serial", "stdio", "-no-reboot"]
            : ["-serial", "none", "-semihosting-config", "enable=on,target=native"]
        return ["qemu-system-arm", "-M", machine, "-nographic", "-monitor", "none"] + output
            + ["-icount", "shift=0", "-kernel", elf.path]
    }

    /// Runs `elf` on the board's QEMU machine; kills QEMU after `timeout` seconds.
    public static func run(board: Board, elf: URL, timeout: Double, io: FirmwareIO = .semihosting) throws -> Run {
        guard let qemu = board.qemu else { throw BoardError.notEmulated(board: board.name) }
        guard ExternalTool.find("qemu-system-arm") != nil else {
            throw BoardError.toolMissing(tool: "qemu-system-arm", hint: "install qemu-system-arm (scripts/install-deps.sh)")
        }
        let argv = arguments(machine: qemu.machine, elf: elf, io: io)
        let result = try ExternalTool.run(argv, timeout: timeout)
        // A UART sends "\r\n" (one Character in Swift, so split on lines after normalising).
        let stdout = result.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        let output = stdout + (result.stderr.isEmpty ? "" : "\n[stderr]\n" + result.stderr)
        if result.timedOut { throw BoardError.qemuTimeout(seconds: timeout, output: String(output.suffix(4000))) }
        var status = result.status
        if io == .uart {
            guard result.status == 0 else { throw BoardError.qemuFailed(status: result.status, output: String(output.suffix(4000))) }
            guard let code = exitStatus(stdout) else {
                throw BoardError.badFirmwareOutput(reason: "no 'exit <status>' line on the UART", output: String(output.suffix(4000)))
            }
            status = code
        }
        return Run(exitStatus: status, samples: try parse(stdout), operators: try parseOperators(stdout),
                   resultLine: stdout.split(separator: "\n").last(where: { $0.hasPrefix("result ") }).map(String.init),
                   output: output, argv: argv)
    }

    /// The status of the last `exit <code>` line (UART builds, boards/firmware/syscalls_uart.c).
    public static func exitStatus(_ text: String) -> Int32? {
        text.split(separator: "\n").last(where: { $0.hasPrefix("exit ") }).flatMap { Int32($0.dropFirst(5)) }
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
            let ticks = fields["ticks"].flatMap { UInt64($0) }, cycles = fields["cycles"].flatMap { UInt64($0) }
            guard parts.count >= 2, let index = Int(parts[1]), (ticks == nil) != (cycles == nil),
                  let top1 = fields["top1"].flatMap({ Int($0) }), let expected = fields["expected"].flatMap({ Int($0) }),
                  let out = fields["out"] else {
                throw BoardError.badFirmwareOutput(reason: "cannot parse '\(line)'", output: text)
            }
            let values = try out.split(separator: ",").map { hex -> Float in
                guard let bits = UInt32(hex, radix: 16) else { throw BoardError.badFirmwareOutput(reason: "bad value '\(hex)'", output: text) }
                return Float(bitPattern: bits)
            }
            samples.append(Sample(index: index, ticks: ticks, cycles: cycles, top1: top1, expectedTop1: expected,
                                  mismatch: parts.contains("MISMATCH"), outputs: values))
        }
        return samples
    }

    /// Parses the firmware's `ops <k> ticks=<n>` / `ops <k> cycles=<n>` lines (boards/firmware/main.c, TIME_OPS=1):
    /// k runs from 0, one line per k, in order.
    public static func parseOperators(_ text: String) throws -> [OperatorTime] {
        var times: [OperatorTime] = []
        for line in text.split(separator: "\n") where line.hasPrefix("ops ") {
            let parts = line.split(separator: " ")
            let kv = parts.count == 3 ? parts[2].split(separator: "=", maxSplits: 1) : []
            guard parts.count == 3, let index = Int(parts[1]), kv.count == 2, kv[0] == "ticks" || kv[0] == "cycles",
                  let value = UInt64(kv[1]) else {
                throw BoardError.badFirmwareOutput(reason: "cannot parse '\(line)'", output: text)
            }
            guard index == times.count else {
                throw BoardError.badFirmwareOutput(reason: "'ops \(index)' after \(times.count) 'ops' lines", output: text)
            }
            times.append(OperatorTime(index: index, ticks: kv[0] == "ticks" ? value : nil,
                                      cycles: kv[0] == "cycles" ? value : nil))
        }
        return times
    }
}
