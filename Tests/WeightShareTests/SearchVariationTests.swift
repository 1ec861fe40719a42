import Testing
@testable import WeightShare

struct SearchVariationTests {
    let space = GeneSpace([.integer("k", 2...1024), .real("x", 0...1), .real("fixed", 0.5...0.5)])

    @Test func crossoverChildrenAreValidAndVary() {
        var random = SeededRandom(seed: 11)
        let sbx = SimulatedBinaryCrossover(probability: 1, distributionIndex: 15, variableProbability: 1)
        var changed = 0
        for _ in 0..<2_000 {
            let a = space.randomGenome(using: &random), b = space.randomGenome(using: &random)
            let (c, d) = sbx.cross(a, b, in: space, using: &random)
            #expect(space.contains(c) && space.contains(d))
            if c != a && c != b { changed += 1 }
        }
        #expect(changed > 1_800)
    }

    @Test func crossoverKeepsParentsWhenOffOrIdentical() {
        var random = SeededRandom(seed: 12)
        let off = SimulatedBinaryCrossover(probability: 0)
        let on = SimulatedBinaryCrossover(probability: 1, variableProbability: 1)
        for _ in 0..<200 {
            let a = space.randomGenome(using: &random), b = space.randomGenome(using: &random)
            let (c, d) = off.cross(a, b, in: space, using: &random)
            #expect(c == a && d == b)
            let (e, f) = on.cross(a, a, in: space, using: &random)
            #expect(e == a && f == a)
        }
    }

    /// SBX is mean-preserving before clamping: far from the bounds the children's mean is the parents' mean.
    @Test func crossoverPreservesTheMeanAwayFromBounds() {
        var random = SeededRandom(seed: 13)
        let reals = GeneSpace([.real("x", -1000...1000)])
        let sbx = SimulatedBinaryCrossover(probability: 1, variableProbability: 1)
        for _ in 0..<200 {
            let (c, d) = sbx.cross(Genome([0.2]), Genome([0.7]), in: reals, using: &random)
            #expect(abs((c[0] + d[0]) / 2 - 0.45) < 1e-12)
        }
    }

    @Test func mutationStaysValidAndForcedMutationMoves() {
        var random = SeededRandom(seed: 14)
        let pm = PolynomialMutation()
        var moved = 0
        for _ in 0..<2_000 {
            let a = space.randomGenome(using: &random)
            #expect(space.contains(pm.mutate(a, in: space, using: &random)))
            let forced = pm.mutate(a, in: space, atLeastOneGene: true, using: &random)
            #expect(space.contains(forced))
            if forced != a { moved += 1 }
        }
        #expect(moved > 1_500)
        let none = PolynomialMutation(probability: 0)
        let a = space.randomGenome(using: &random)
        #expect(none.mutate(a, in: space, using: &random) == a)
    }

    @Test func mutationReachesBothBoundsOfAnIntegerGene() {
        var random = SeededRandom(seed: 15)
        let small = GeneSpace([.integer("k", 2...5)])
        let pm = PolynomialMutation(distributionIndex: 1, probability: 1)
        var values = Set<Double>()
        for _ in 0..<2_000 { values.insert(pm.mutate(Genome([3]), in: small, using: &random)[0]) }
        #expect(values == [2, 3, 4, 5])
    }
}
