import Foundation
import Testing
import WeightShare

struct NSGA2ZDT1Tests {
    /// Exact hypervolume of ZDT1's Pareto front (f2 = 1 − √f1, f1 ∈ [0, 1]) with reference (1, 1):
    /// ∫₀¹ (1 − (1 − √f1)) df1 = ∫₀¹ √f1 df1 = 2/3.
    static let trueHypervolume = 2.0 / 3.0

    /// The paper's settings (population 100, SBX 0.9/15, PM 1/n/20) on 30-variable ZDT1 for 250 generations
    /// (25 100 evaluations) must reach 95 % of the true front's hypervolume.
    @Test func reachesNinetyFivePercentOfTheTrueHypervolume() throws {
        let problem = NSGA2ZDT1(variables: 30)
        var search = NSGA2(problem: problem,
                           configuration: NSGA2Configuration(populationSize: 100, referencePoint: [1, 1]), seed: 2025)
        let clock = ContinuousClock()
        var history: [Double] = []
        let elapsed = try clock.measure {
            try search.run(generations: 250) { stats in history.append(stats.hypervolume ?? 0) }
        }
        let front = search.paretoFront
        let volume = Hypervolume.twoDimensional(front.map(\.objectives), reference: [1, 1])
        let ratio = volume / Self.trueHypervolume
        print("ZDT1: 250 generations in \(elapsed), \(search.state.evaluations) evaluations, front \(front.count), "
              + "hypervolume \(volume) = \(ratio * 100) % of 2/3")
        #expect(ratio >= 0.95)
        #expect(ratio <= 1)
        #expect(history.count == 251)
        #expect(history.last == volume)
        #expect(search.state.evaluations == 100 * 251)
        #expect(search.state.population.count == 100)
        // Elitism: the hypervolume of the population's front never decreases by much (crowding may trade a
        // little volume for spread, never a lot).
        for (a, b) in zip(history, history.dropFirst()) { #expect(b >= a - 0.01) }
    }
}
