import Testing
import WeightShare

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

    /// On a logarithmic gene SBX preserves the mean of the logarithms: the children's geometric mean is the
    /// parents' (4 and 256: 32).
    @Test func crossoverOnALogarithmicGenePreservesTheGeometricMean() {
        var random = SeededRandom(seed: 15)
        // Bounds far away on both sides in the logarithm, so that the bounded spread is symmetric.
        let logarithmic = GeneSpace([Gene(name: "x", lower: 1e-200, upper: 1e200, kind: .real, scale: .logarithmic)])
        let sbx = SimulatedBinaryCrossover(probability: 1, variableProbability: 1)
        var spread = 0
        for _ in 0..<200 {
            let (c, d) = sbx.cross(Genome([4]), Genome([256]), in: logarithmic, using: &random)
            #expect(abs((c[0] * d[0]).squareRoot() - 32) < 1e-9)
            if c[0] != 4 && c[0] != 256 { spread += 1 }
        }
        #expect(spread > 150)
    }

    /// A logarithmic K mutates by factors: polynomial steps are a few % of the range, which for K in 2…1024 is
    /// ln 512 on the log scale (from K = 4, a step up stays below 8) but 1,022 on the linear one (it passes 16).
    @Test func mutationOnALogarithmicGeneStepsByFactors() {
        var random = SeededRandom(seed: 16)
        let pm = PolynomialMutation(probability: 1)
        func medianStepUp(_ gene: Gene) -> Double {
            let space = GeneSpace([gene])
            var up: [Double] = []
            for _ in 0..<2_000 {
                let m = pm.mutate(Genome([4]), in: space, using: &random)
                #expect(space.contains(m))
                if m[0] > 4 { up.append(m[0]) }
            }
            return up.sorted()[up.count / 2]
        }
        let logarithmic = medianStepUp(.logarithmicInteger("k", 2...1024))
        let linear = medianStepUp(.integer("k", 2...1024))
        #expect(logarithmic <= 8 && linear >= 16, "median K after a step up: \(logarithmic) (log), \(linear) (linear)")
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
