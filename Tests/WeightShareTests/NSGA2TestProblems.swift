import Foundation
import WeightShare

/// ZDT1 (Zitzler, Deb & Thiele 2000): n real variables in [0, 1]; f1 = x1, g = 1 + 9·Σ(x2…xn)/(n − 1),
/// f2 = g·(1 − √(f1/g)). The Pareto front is g = 1: f2 = 1 − √f1, f1 ∈ [0, 1].
struct NSGA2ZDT1: MultiObjectiveProblem, Sendable {
    let geneSpace: GeneSpace
    var objectiveCount: Int { 2 }

    init(variables: Int = 30) {
        geneSpace = GeneSpace((1...variables).map { .real("x\($0)", 0...1) })
    }

    func evaluate(_ genomes: [Genome]) throws -> [[Double]] {
        genomes.map { genome in
            let x = genome.genes
            let g = 1 + 9 * x.dropFirst().reduce(0, +) / Double(x.count - 1)
            return [x[0], g * (1 - (x[0] / g).squareRoot())]
        }
    }
}

/// One integer gene K with conflicting objectives (1/K, K) and, optionally, a second integer gene; records
/// every batch it is asked to evaluate.
final class NSGA2RecordingIntegerProblem: MultiObjectiveProblem {
    let geneSpace: GeneSpace
    var objectiveCount: Int { 2 }
    private(set) var batches: [[Genome]] = []

    init(k: ClosedRange<Int>, mode: ClosedRange<Int>? = nil) {
        geneSpace = GeneSpace([.integer("k", k)] + (mode.map { [.integer("mode", $0)] } ?? []))
    }

    var evaluatedGenomes: [Genome] { batches.flatMap { $0 } }

    func evaluate(_ genomes: [Genome]) throws -> [[Double]] {
        batches.append(genomes)
        return genomes.map { genome in
            let k = Double(genome.int(at: 0))
            let mode = genome.count > 1 ? Double(genome.int(at: 1)) : 0
            return [1 / k + 0.01 * mode, k + mode]
        }
    }
}

/// A mixed integer/real problem (K and a clip fraction) for resume and determinism tests.
struct NSGA2MixedProblem: MultiObjectiveProblem, Sendable {
    let geneSpace = GeneSpace([.integer("k", 2...256), .real("clip", 0.5...1.0), .real("x", 0...1)])
    var objectiveCount: Int { 2 }

    func evaluate(_ genomes: [Genome]) throws -> [[Double]] {
        genomes.map { genome in
            let k = Double(genome.int(at: 0)), clip = genome[1], x = genome[2]
            let loss = 1 / k + (1 - clip) * (1 - clip) + 0.1 * x * x
            let bytes = log2(k) * clip + 0.2 * (1 - x)
            return [loss, bytes]
        }
    }
}

/// Fails on demand, to check that a failed generation leaves the state unchanged.
final class NSGA2FlakyProblem: MultiObjectiveProblem {
    let geneSpace = GeneSpace([.integer("k", 2...1024)])
    var objectiveCount: Int { 2 }
    var mode: Mode = .ok
    enum Mode { case ok, fail, wrongCount, wrongLength, nan }
    struct Failure: Error {}

    func evaluate(_ genomes: [Genome]) throws -> [[Double]] {
        let good = genomes.map { genome -> [Double] in
            let k = Double(genome.int(at: 0))
            return [1 / k, k]
        }
        switch mode {
        case .ok: return good
        case .fail: throw Failure()
        case .wrongCount: return Array(good.dropLast())
        case .wrongLength: return good.map { $0 + [0] }
        case .nan: return good.map { [$0[0], .nan] }
        }
    }
}
