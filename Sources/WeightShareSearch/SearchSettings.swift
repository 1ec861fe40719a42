import WeightShareBoards
import WeightShareCompress
import WeightShareContainer
import WeightShareCore
import WeightShareEvaluate
import WeightShareGraph
/// Everything that determines a search's result. Stored in run.json; a resumed search must match it.
public struct SearchSettings: Sendable, Equatable, Codable {
    public var model: String
    public var data: String
    public var inputShapes: [String: [Int]]
    public var metric: Metric
    public var seed: UInt64
    public var population: Int
    public var generations: Int
    public var kMin: Int
    public var kMax: Int
    /// Merge the final front's solutions.
    public var merge: Bool
    /// Score drop a merge may cause, in score units.
    public var tolerance: Double
    /// Use only the first `limit` samples of the data.
    public var limit: Int?
    /// Where a BatchNormalization after a Conv/Gemm goes: the layer's epilogue (default) or its weights.
    /// Optional so run.json files written before the option existed still load.
    public var batchNormFolding: LoweringOptions.BatchNormFolding?

    /// When set, a solution must fit this board (the .wsm in its model region, the arena in its RAM): fit is a
    /// constraint of the search. The whole description is stored so the run does not depend on the boards folder.
    public var board: Board?

    /// The merge's reference: `.start` (the paper: never below the solution's own score, minus the tolerance) or
    /// `.float` (never below min(start, float score), minus the tolerance). nil in older run.json files: `.start`.
    public var mergeFloor: MergeFloor?
    public var mergeFloorKind: MergeFloor { mergeFloor ?? .start }

    public enum MergeFloor: String, Sendable, Codable, CaseIterable {
        case start, float
    }

    /// The genes searched (nil in run.json files written before the option existed: the paper's K-only search).
    public var genome: GenomeKind?
    public var genomeKind: GenomeKind { genome ?? .k }

    /// Leave out samples of the data holding NaN or ±Inf instead of refusing the data (nil in older run.json
    /// files, and when not asked for: refuse).
    public var dropNonFinite: Bool?
    /// The most bytes of array data read from the data file (nil: ``NumPy/defaultMaxDataBytes``). Not part of
    /// the result; stored so that merge and compile read the run's data as the search did.
    public var maxDataBytes: Int?
    /// Inputs pinned to constant values (`--input-value`); nil in older run.json files and when none is.
    public var inputValues: [String: [Float]]?
    /// The model output the metric reads (`--output`); nil: the first for accuracy and agreement, every output
    /// for cosine (``OutputSelection``).
    public var output: String?

    /// Part of the data kept apart as the selection split (`--select-fraction`): NSGA-II and the merge never see
    /// it; every front solution is scored on it and `compile` chooses on it. nil (older run.json files) or 0: no
    /// split. Ignored when ``selectData`` is set.
    public var selectFraction: Double?
    /// A separate file the front is scored and chosen on (`--select-data`); the search then uses all of `data`.
    public var selectData: String?
    /// Confidence of the one-sided loss bounds of the merge, the front's noise band and the stored selection
    /// bounds (nil: 0.90).
    public var confidence: Double?
    public var confidenceLevel: Double { confidence ?? Self.defaultConfidence }
    public static let defaultConfidence = 0.90
    /// How a merge is accepted (nil in older run.json files: `.score`).
    public var mergeRule: MergeRule?
    public var mergeRuleKind: MergeRule { mergeRule ?? .score }
    /// Which candidates of the final population form the reported front (nil in older run.json files: `.pareto`).
    public var front: FrontKind?
    public var frontKind: FrontKind { front ?? .pareto }
    /// The kernels NSGA-II and the merge score with (nil in older run.json files: `.reference`); the reported
    /// front is scored with the reference runtime either way.
    public var evaluator: EvaluatorKernels?
    public var evaluatorKernels: EvaluatorKernels { evaluator ?? .reference }
    /// Early rejection of candidates that cannot enter the front (``CompressionProblem/racing``; nil in older
    /// run.json files: off).
    public var racing: Bool?
    public var racingEnabled: Bool { racing ?? false }
    /// How the size objective counts the indices (`--index-coding`): as `wsc compile` will store them (`auto`: each
    /// streamed tensor coded when that is smaller), or fixed width. nil (the default, and older run.json files):
    /// fixed width, while compile writes ``IndexCoding/compileDefault``.
    public var indexCoding: IndexCoding?
    public var sizeCoding: IndexCoding { indexCoding ?? .fixed }
    /// What `wsc compile` writes for this run unless told otherwise, and so what a board must fit: the run's
    /// coding, or ``IndexCoding/compileDefault`` when the search did not name one (and for older runs).
    public var compileCoding: IndexCoding { indexCoding ?? IndexCoding.compileDefault }
    /// How the candidates' and the compiled file's biases and epilogue scales are stored (`--constants`, default
    /// float; nil in older run.json files: float32, what those searches scored).
    public var constants: ConstantPrecision?
    public var constantPrecision: ConstantPrecision { constants ?? .float }

    /// `score` (the paper): the merged score may not fall below the floor (see ``MergeFloor``). `bound`: the
    /// one-sided upper bound on the loss against the float model, on the search data at ``confidenceLevel``, may not
    /// rise above the start's bound (or 0 with `--merge-floor float`) plus the tolerance: a merge that only
    /// reshuffles which samples are right keeps the point score but widens the bound, and is refused.
    public enum MergeRule: String, Sendable, Codable, CaseIterable {
        case score, bound
    }

    /// `pareto`: the first front of the final population on the search data. `noise`: that front plus, for each
    /// index bit width, the best candidate the search evaluated unless a smaller candidate's loss is lower by more
    /// than the search data's resolution (the loss bound of a candidate identical to the float model): differences
    /// the data cannot resolve do not drop a slightly larger candidate that may hold better on unseen data.
    public enum FrontKind: String, Sendable, Codable, CaseIterable {
        case pareto, noise
    }

    /// The merge's visiting order (`--merge-order`; nil in older run.json files: `.paper`).
    public var mergeOrder: MergeOrder?
    public var mergeOrderKind: MergeOrder { mergeOrder ?? .paper }
    /// Most merges scored per solution (`--merge-max-evaluations`; nil in older run.json files: the default).
    public var mergeMaxEvaluations: Int?
    public var mergeEvaluationCap: Int { mergeMaxEvaluations ?? Self.defaultMergeMaxEvaluations }
    /// Above what the digits fixtures' merges need (bench/merge_order.json), so small models never reach it.
    public static let defaultMergeMaxEvaluations = 2000

    /// `paper`: left-to-right and centre-to-ends, the better result kept (the paper's method); or one order alone,
    /// `weight-error` being the cheapest merge first by the weight error it adds (``BinMerger/Order``).
    public enum MergeOrder: String, Sendable, Codable, CaseIterable {
        case paper
        case leftToRight = "left-to-right"
        case centreToEnds = "centre-to-ends"
        case weightError = "weight-error"

        public var orders: [BinMerger.Order] {
            switch self {
            case .paper: return BinMerger.Order.paper
            case .leftToRight: return [.leftToRight]
            case .centreToEnds: return [.centreToEnds]
            case .weightError: return [.weightError]
            }
        }
    }

    public var loweringOptions: LoweringOptions { LoweringOptions(batchNormFolding: batchNormFolding ?? .epilogue) }

    public init(model: String, data: String, inputShapes: [String: [Int]] = [:], metric: Metric = .accuracy,
                seed: UInt64 = 1, population: Int = 100, generations: Int = 30, kMin: Int = 2, kMax: Int = 1024,
                merge: Bool = true, tolerance: Double = 0, limit: Int? = nil,
                batchNormFolding: LoweringOptions.BatchNormFolding? = nil, board: Board? = nil,
                genome: GenomeKind? = nil, mergeFloor: MergeFloor? = nil, dropNonFinite: Bool? = nil,
                maxDataBytes: Int? = nil, inputValues: [String: [Float]]? = nil, output: String? = nil,
                selectFraction: Double? = nil, selectData: String? = nil, confidence: Double? = nil,
                mergeRule: MergeRule? = nil, front: FrontKind? = nil, mergeOrder: MergeOrder? = nil,
                mergeMaxEvaluations: Int? = nil, evaluator: EvaluatorKernels? = nil, racing: Bool? = nil,
                indexCoding: IndexCoding? = nil, constants: ConstantPrecision? = nil) {
        self.model = model
        self.data = data
        self.inputShapes = inputShapes
        self.metric = metric
        self.seed = seed
        self.population = population
        self.generations = generations
        self.kMin = kMin
        self.kMax = kMax
        self.merge = merge
        self.tolerance = tolerance
        self.limit = limit
        self.batchNormFolding = batchNormFolding
        self.board = board
        self.genome = genome
        self.mergeFloor = mergeFloor
        self.dropNonFinite = dropNonFinite
        self.maxDataBytes = maxDataBytes
        self.inputValues = inputValues?.isEmpty == true ? nil : inputValues
        self.output = output
        self.selectFraction = selectFraction
        self.selectData = selectData
        self.confidence = confidence
        self.mergeRule = mergeRule
        self.front = front
        self.mergeOrder = mergeOrder
        self.mergeMaxEvaluations = mergeMaxEvaluations
        self.evaluator = evaluator
        self.racing = racing
        self.indexCoding = indexCoding
        self.constants = constants
    }
}

/// run.json.
public struct RunFile: Sendable, Equatable, Codable {
    public var toolVersion: String
    public var settings: SearchSettings
    public var modelSHA256: String
    public var dataSHA256: String
    /// SHA-256 of ``SearchSettings/selectData`` (nil without one).
    public var selectDataSHA256: String?
}
