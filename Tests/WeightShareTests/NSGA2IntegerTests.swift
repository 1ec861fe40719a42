import Foundation
import Testing
import WeightShare

struct NSGA2IntegerTests {
    static func checkPopulation(_ state: NSGA2State, space: GeneSpace) {
        let genomes = state.population.map(\.genome)
        #expect(Set(genomes).count == genomes.count, "duplicate genome in generation \(state.generation)")
        for genome in genomes {
            #expect(space.contains(genome), "genome \(genome) is not valid")
            for (value, gene) in zip(genome.genes, space.genes) where gene.kind == .integer {
                #expect(value == value.rounded() && value >= gene.lower && value <= gene.upper)
            }
        }
    }

    /// K ∈ [2, 1024], objectives (1/K, K): every K is Pareto-optimal.
    @Test func integerGenomesStayIntegralInBoundsAndDistinct() throws {
        let problem = NSGA2RecordingIntegerProblem(k: 2...1024)
        var search = NSGA2(problem: problem, configuration: NSGA2Configuration(populationSize: 100), seed: 7)
        try search.initialise()
        Self.checkPopulation(search.state, space: problem.geneSpace)
        #expect(search.state.population.count == 100)
        for _ in 0..<40 {
            try search.step()
            Self.checkPopulation(search.state, space: problem.geneSpace)
            #expect(search.state.population.count == 100)
        }
        for genome in problem.evaluatedGenomes { #expect(problem.geneSpace.contains(genome)) }
        let front = search.paretoFront
        #expect(front.count == 100)
        #expect(front.map { $0.genome.int("k", in: problem.geneSpace) } == front.map { Int($0.objectives[1]) })
        #expect(zip(front, front.dropFirst()).allSatisfy { $0.objectives[0] < $1.objectives[0] })
        // The extremes of the front are found.
        let ks = front.map { $0.genome.int("k", in: problem.geneSpace) }
        #expect(ks.contains(1024) && ks.min()! <= 3)
    }

    /// K ∈ [2, 20] holds 19 genomes, fewer than the population of 100: the search must terminate, hold every
    /// K once, and evaluate each once.
    @Test func spaceSmallerThanPopulationTerminatesWithDistinctGenomes() throws {
        let problem = NSGA2RecordingIntegerProblem(k: 2...20)
        var search = NSGA2(problem: problem, configuration: NSGA2Configuration(populationSize: 100), seed: 3)
        try search.initialise()
        Self.checkPopulation(search.state, space: problem.geneSpace)
        while search.state.generation < 25 {
            try search.step()
            Self.checkPopulation(search.state, space: problem.geneSpace)
        }
        #expect(search.state.generation == 25)
        #expect(search.state.population.map { $0.genome[0] }.sorted() == (2...20).map(Double.init))
        #expect(search.state.evaluations == 19)
        #expect(problem.batches.count == 1)
    }

    /// Two genes, 4 × 3 = 12 genomes, population 10 (slightly smaller than the space): offspring hit
    /// duplicates constantly; the population must fill up and stay distinct.
    @Test func nearlyExhaustedTwoGeneSpace() throws {
        let problem = NSGA2RecordingIntegerProblem(k: 2...5, mode: 0...2)
        var search = NSGA2(problem: problem, configuration: NSGA2Configuration(populationSize: 10), seed: 4)
        try search.initialise()
        for _ in 0..<30 {
            try search.step()
            Self.checkPopulation(search.state, space: problem.geneSpace)
        }
        #expect(search.state.population.count == 10)
        #expect(search.state.evaluations <= 12)
        #expect(Set(problem.evaluatedGenomes).count == problem.evaluatedGenomes.count)
    }

    /// A space slightly larger than the population (K ∈ [1, 110], population 100): random draws for fresh
    /// genomes mostly hit taken ones, so the enumeration fallback must fill the population.
    @Test func spaceSlightlyLargerThanPopulationFillsThePopulation() throws {
        let problem = NSGA2RecordingIntegerProblem(k: 1...110)
        var search = NSGA2(problem: problem, configuration: NSGA2Configuration(populationSize: 100), seed: 5)
        try search.initialise()
        #expect(search.state.population.count == 100)
        try search.run(generations: 10)
        Self.checkPopulation(search.state, space: problem.geneSpace)
        #expect(search.state.population.count == 100)
    }

    @Test func singleGenomeSpaceAndPopulationOfOne() throws {
        let fixed = NSGA2RecordingIntegerProblem(k: 8...8)
        var search = NSGA2(problem: fixed, configuration: NSGA2Configuration(populationSize: 100), seed: 1)
        try search.run(generations: 5)
        #expect(search.state.population.map(\.genome) == [Genome([8])])
        #expect(search.state.evaluations == 1)

        let wide = NSGA2RecordingIntegerProblem(k: 2...1024)
        var one = NSGA2(problem: wide, configuration: NSGA2Configuration(populationSize: 1), seed: 1)
        try one.run(generations: 20)
        #expect(one.state.population.count == 1)
        #expect(one.state.evaluations == 21)
    }

    /// The problem is never asked for a genome twice, nor given an empty batch; the count of evaluations
    /// matches the memo. K ∈ [2, 64] with population 40 over 60 generations re-proposes genomes all the time.
    @Test func memoNeverEvaluatesAGenomeTwice() throws {
        let problem = NSGA2RecordingIntegerProblem(k: 2...64)
        var search = NSGA2(problem: problem, configuration: NSGA2Configuration(populationSize: 40), seed: 9)
        var newEvaluations = 0
        try search.run(generations: 60) { stats in newEvaluations += stats.newEvaluations }
        let evaluated = problem.evaluatedGenomes
        #expect(Set(evaluated).count == evaluated.count)
        #expect(problem.batches.allSatisfy { !$0.isEmpty })
        #expect(evaluated.count == search.state.evaluations)
        #expect(search.state.memo.count == search.state.evaluations)
        #expect(newEvaluations == search.state.evaluations)
        #expect(Set(evaluated) == Set(search.state.memo.keys))
    }
}
