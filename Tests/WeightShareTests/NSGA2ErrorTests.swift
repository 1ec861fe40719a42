import Foundation
import Testing
import WeightShare

struct NSGA2ErrorTests {
    @Test func stepBeforeInitialiseAndInitialiseTwice() throws {
        var search = NSGA2(problem: NSGA2FlakyProblem(), seed: 1)
        #expect(throws: SearchError.notInitialised) { try search.step() }
        try search.initialise()
        #expect(throws: SearchError.alreadyInitialised) { try search.initialise() }
    }

    @Test func aFailedGenerationLeavesTheStateUnchanged() throws {
        let problem = NSGA2FlakyProblem()
        var search = NSGA2(problem: problem, configuration: NSGA2Configuration(populationSize: 20), seed: 2)
        try search.run(generations: 3)
        let before = search.state
        for mode in [NSGA2FlakyProblem.Mode.fail, .wrongCount, .wrongLength, .nan] {
            problem.mode = mode
            #expect(throws: (any Error).self) { try search.step() }
            #expect(search.state == before)
        }
        problem.mode = .ok
        try search.step()
        var reference = NSGA2(problem: NSGA2FlakyProblem(), configuration: NSGA2Configuration(populationSize: 20),
                              seed: 2)
        try reference.run(generations: 4)
        #expect(search.state == reference.state)
    }

    @Test func errorsNameWhatWentWrong() throws {
        let problem = NSGA2FlakyProblem()
        problem.mode = .nan
        var search = NSGA2(problem: problem, configuration: NSGA2Configuration(populationSize: 4), seed: 3)
        do {
            try search.initialise()
            Issue.record("expected an error")
        } catch let error as SearchError {
            guard case .nonFiniteObjective = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.description.contains("non-finite"))
        }
        #expect(!search.state.isInitialised)
    }

    @Test func invalidSettingsAreErrorsNotCrashes() {
        for configuration in [NSGA2Configuration(populationSize: 0), NSGA2Configuration(crossoverProbability: 2),
                              NSGA2Configuration(mutationDistributionIndex: -1),
                              NSGA2Configuration(mutationProbability: 1.5), NSGA2Configuration(duplicateRetries: -1),
                              NSGA2Configuration(referencePoint: [1, 2, 3])] {
            var search = NSGA2(problem: NSGA2FlakyProblem(), configuration: configuration, seed: 1)
            #expect(throws: SearchError.self) { try search.initialise() }
        }
        var badSpace = NSGA2(problem: BadSpaceProblem(), seed: 1)
        #expect(throws: SearchError.self) { try badSpace.initialise() }
        var degenerate = NSGA2(problem: NSGA2RecordingIntegerProblem(k: 5...5, mode: 1...1), seed: 1)
        #expect(throws: Never.self) { try degenerate.initialise() }
    }

    private struct BadSpaceProblem: MultiObjectiveProblem {
        let geneSpace = GeneSpace([Gene(name: "k", lower: 5, upper: 2, kind: .integer)])
        var objectiveCount: Int { 2 }
        func evaluate(_ genomes: [Genome]) throws -> [[Double]] { genomes.map { _ in [0, 0] } }
    }

    @Test func configurationDecodesMissingKeysAsDefaults() throws {
        let decoded = try JSONDecoder().decode(NSGA2Configuration.self, from: Data(#"{"populationSize": 12}"#.utf8))
        #expect(decoded == NSGA2Configuration(populationSize: 12))
        let full = NSGA2Configuration(populationSize: 8, mutationProbability: 0.2, referencePoint: [1, 1])
        #expect(try JSONDecoder().decode(NSGA2Configuration.self, from: JSONEncoder().encode(full)) == full)
    }

    @Test func statsReportHypervolumeWithAndWithoutReference() throws {
        var withReference = NSGA2(problem: NSGA2FlakyProblem(),
                                  configuration: NSGA2Configuration(populationSize: 10, referencePoint: [1, 2000]),
                                  seed: 4)
        let stats = try withReference.initialise()
        let expected = Hypervolume.twoDimensional(withReference.paretoFront.map(\.objectives), reference: [1, 2000])
        #expect(stats.hypervolume == expected)
        #expect(stats.generation == 0 && stats.evaluations == 10 && stats.newEvaluations == 10)
        #expect(stats.frontSize == 10 && stats.populationSize == 10)

        var normalised = NSGA2(problem: NSGA2FlakyProblem(), configuration: NSGA2Configuration(populationSize: 10),
                               seed: 4)
        var volumes: [Double] = []
        try normalised.run(generations: 10) { volumes.append($0.hypervolume!) }
        #expect(volumes.count == 11 && volumes.allSatisfy { $0 > 0 })
        // Normalised by the initial population's ideal and nadir, reference (1.1, 1.1).
        let (ideal, nadir) = (normalised.state.initialIdeal!, normalised.state.initialNadir!)
        let scaled = normalised.paretoFront.map { p in (0..<2).map { (p.objectives[$0] - ideal[$0]) / (nadir[$0] - ideal[$0]) } }
        #expect(abs(volumes.last! - Hypervolume.twoDimensional(scaled, reference: [1.1, 1.1])) < 1e-12)
    }
}
