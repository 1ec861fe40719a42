/// How `wsc compile --max-instructions` chose which tensors' indices are Huffman-coded (`wsc compile --json`, key
/// `latency`): every candidate file measured on the emulated board, in the order measured (``LatencyBudget``).
public struct LatencyReport: Sendable, Equatable, Codable {
    public struct Candidate: Sendable, Equatable, Codable {
        /// Which indices it codes: "auto", "fixed", "auto, fixed width: <tensors>" (`#id` for a tensor without a
        /// name), or the `--index-coding` given. Candidates writing the same bytes appear once.
        public var coding: String
        public var wsmBytes: Int
        /// Mean instructions per inference under QEMU (-icount shift=0, exact).
        public var meanInstructions: Double

        public init(coding: String, wsmBytes: Int, meanInstructions: Double) {
            self.coding = coding
            self.wsmBytes = wsmBytes
            self.meanInstructions = meanInstructions
        }
    }

    public var maxInstructions: Int
    /// The emulated board measured on, and the samples of the data (`--data`, else the run's) each measurement ran.
    public var board: String
    public var samples: Int
    public var candidates: [Candidate]
    /// The candidate written: the smallest file within the budget.
    public var chosen: String

    public init(maxInstructions: Int, board: String, samples: Int, candidates: [Candidate], chosen: String) {
        self.maxInstructions = maxInstructions
        self.board = board
        self.samples = samples
        self.candidates = candidates
        self.chosen = chosen
    }
}
