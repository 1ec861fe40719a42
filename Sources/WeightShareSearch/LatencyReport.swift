/// How `wsc compile --max-instructions` chose the index coding (`wsc compile --json`, key `latency`): the
/// candidate files by size, each measured on the emulated board until one met the budget.
public struct LatencyReport: Sendable, Equatable, Codable {
    public struct Candidate: Sendable, Equatable, Codable {
        /// The `--index-coding` that wrote it (candidates writing the same bytes appear once, the first name kept).
        public var coding: String
        public var wsmBytes: Int
        /// Mean instructions per inference under QEMU (-icount shift=0, exact); nil when not measured (a smaller
        /// candidate met the budget first).
        public var meanInstructions: Double?

        public init(coding: String, wsmBytes: Int, meanInstructions: Double?) {
            self.coding = coding
            self.wsmBytes = wsmBytes
            self.meanInstructions = meanInstructions
        }
    }

    public var maxInstructions: Int
    /// The emulated board measured on, and the samples of the run's data each measurement ran.
    public var board: String
    public var samples: Int
    public var candidates: [Candidate]
    /// The coding written: the smallest candidate within the budget.
    public var chosen: String

    public init(maxInstructions: Int, board: String, samples: Int, candidates: [Candidate], chosen: String) {
        self.maxInstructions = maxInstructions
        self.board = board
        self.samples = samples
        self.candidates = candidates
        self.chosen = chosen
    }
}
