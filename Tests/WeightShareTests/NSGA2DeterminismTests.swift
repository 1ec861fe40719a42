import Foundation
import Testing
import WeightShare

struct NSGA2DeterminismTests {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    static func run<P: MultiObjectiveProblem>(_ problem: P, seed: UInt64, generations: Int,
                                              populationSize: Int = 40) throws -> NSGA2<P> {
        var search = NSGA2(problem: problem, configuration: NSGA2Configuration(populationSize: populationSize),
                           seed: seed)
        try search.run(generations: generations)
        return search
    }

    @Test func sameSeedGivesIdenticalRunsAndBytes() throws {
        let a = try Self.run(NSGA2MixedProblem(), seed: 17, generations: 15)
        let b = try Self.run(NSGA2MixedProblem(), seed: 17, generations: 15)
        #expect(a.paretoFront == b.paretoFront)
        #expect(a.state == b.state)
        #expect(try a.state.jsonData() == b.state.jsonData())
        #expect(try Self.encoder().encode(a.state) == Self.encoder().encode(b.state))
    }

    @Test func differentSeedsGiveDifferentPopulations() throws {
        let a = try Self.run(NSGA2MixedProblem(), seed: 17, generations: 5)
        let b = try Self.run(NSGA2MixedProblem(), seed: 18, generations: 5)
        #expect(a.state.population != b.state.population)
        #expect(a.paretoFront != b.paretoFront)
    }

    /// Saved after generation 5 (JSONEncoder → JSONDecoder), resumed and continued to 12: identical to an
    /// uninterrupted run to 12 — population, objectives, memo, generator and evaluation count.
    @Test func resumeFromJSONEqualsUninterruptedRun() throws {
        for problemSeed in [UInt64(21), 22] {
            let uninterrupted = try Self.run(NSGA2MixedProblem(), seed: problemSeed, generations: 12)

            let first = try Self.run(NSGA2MixedProblem(), seed: problemSeed, generations: 5)
            let data = try Self.encoder().encode(first.state)
            let saved = try JSONDecoder().decode(NSGA2State.self, from: data)
            #expect(saved == first.state)
            var resumed = try NSGA2(problem: NSGA2MixedProblem(),
                                    configuration: NSGA2Configuration(populationSize: 40), resumingFrom: saved)
            #expect(resumed.state.generation == 5)
            try resumed.run(generations: 12)

            #expect(resumed.state.population.map(\.genome) == uninterrupted.state.population.map(\.genome))
            #expect(resumed.state.population.map(\.objectives) == uninterrupted.state.population.map(\.objectives))
            #expect(resumed.state.evaluations == uninterrupted.state.evaluations)
            #expect(resumed.paretoFront == uninterrupted.paretoFront)
            #expect(resumed.state == uninterrupted.state)
            #expect(try resumed.state.jsonData() == uninterrupted.state.jsonData())
        }
    }

    /// ZDT1's real genes exercise the JSON round trip of arbitrary doubles.
    @Test func resumeWithRealGenesIsBitExact() throws {
        let problem = NSGA2ZDT1(variables: 8)
        let uninterrupted = try Self.run(problem, seed: 5, generations: 12, populationSize: 20)
        let first = try Self.run(problem, seed: 5, generations: 5, populationSize: 20)
        let saved = try NSGA2State(jsonData: first.state.jsonData(prettyPrinted: true))
        #expect(saved == first.state)
        var resumed = try NSGA2(problem: problem, configuration: NSGA2Configuration(populationSize: 20),
                                resumingFrom: saved)
        try resumed.run(generations: 12)
        #expect(resumed.state == uninterrupted.state)
    }

    @Test func resumeBeforeInitialisationAndWithAnotherReferencePoint() throws {
        let fresh = NSGA2(problem: NSGA2MixedProblem(), configuration: NSGA2Configuration(populationSize: 30),
                          seed: 8)
        let saved = try NSGA2State(jsonData: fresh.state.jsonData())
        var resumed = try NSGA2(problem: NSGA2MixedProblem(),
                                configuration: NSGA2Configuration(populationSize: 30, referencePoint: [2, 9]),
                                resumingFrom: saved)
        try resumed.run(generations: 4)
        let direct = try Self.run(NSGA2MixedProblem(), seed: 8, generations: 4, populationSize: 30)
        #expect(resumed.state.population == direct.state.population)
        #expect(resumed.state.configuration.referencePoint == [2, 9])
    }

    @Test func resumeRejectsAnotherProblemOrConfiguration() throws {
        let first = try Self.run(NSGA2MixedProblem(), seed: 1, generations: 2)
        #expect(throws: SearchError.self) {
            _ = try NSGA2(problem: NSGA2RecordingIntegerProblem(k: 2...256),
                          configuration: NSGA2Configuration(populationSize: 40), resumingFrom: first.state)
        }
        #expect(throws: SearchError.self) {
            _ = try NSGA2(problem: NSGA2MixedProblem(), configuration: NSGA2Configuration(populationSize: 50),
                          resumingFrom: first.state)
        }
        var corrupt = first.state
        corrupt.population.append(corrupt.population[0])
        corrupt.configuration.populationSize = 100
        #expect(throws: SearchError.self) {
            _ = try NSGA2(problem: NSGA2MixedProblem(), configuration: NSGA2Configuration(populationSize: 100),
                          resumingFrom: corrupt)
        }
    }

    @Test func stateJSONIsLosslessAndStable() throws {
        var state = NSGA2State(seed: .max, geneSpace: GeneSpace([.real("x", -1...1)]), objectiveCount: 2,
                               configuration: NSGA2Configuration(mutationProbability: 0.3))
        let awkward: [Double] = [0.1 + 0.2, 1e-300, Double.leastNonzeroMagnitude, -0.0, 1 / 3, 2.0 / 3, .pi, -1, 0x1.fffffffffffffp-1]
        for (i, x) in awkward.enumerated() {
            state.memo[Genome([x == 0 ? 0 : x / 4])] = [x, Double(i) * 1e17 + 0.5]
        }
        state.population = [Individual(genome: Genome([0.25]), objectives: [1 / 3, 7])]
        state.memo[Genome([0.25])] = [1 / 3, 7]
        let data = try state.jsonData()
        let decoded = try NSGA2State(jsonData: data)
        #expect(decoded == state)
        #expect(decoded.seed == .max)
        #expect(try decoded.jsonData() == data)
        for key in state.memo.keys {
            #expect(decoded.memo[key]!.map(\.bitPattern) == state.memo[key]!.map(\.bitPattern))
        }
    }
}
