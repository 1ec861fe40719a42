import Foundation

/// Bounded simulated binary crossover (SBX; Deb & Agrawal 1995), as in Deb's NSGA-II reference code.
///
/// With probability ``probability`` a pair is recombined; then each gene is recombined with probability
/// ``variableProbability`` when the parents differ in it (by more than 10⁻¹⁴), using the bounded spread
/// factor so that children stay within the gene's bounds, and the two children's values of that gene are
/// swapped with probability 0.5. Integer genes are recombined as reals and then repaired (rounded half away
/// from zero and clamped).
public struct SimulatedBinaryCrossover: Sendable, Hashable {
    /// Probability that a pair is recombined at all.
    public var probability: Double
    /// Distribution index η_c.
    public var distributionIndex: Double
    /// Probability that a gene of a recombined pair is recombined.
    public var variableProbability: Double

    /// An operator with Deb's usual settings unless told otherwise.
    public init(probability: Double = 0.9, distributionIndex: Double = 15, variableProbability: Double = 0.5) {
        self.probability = probability
        self.distributionIndex = distributionIndex
        self.variableProbability = variableProbability
    }

    /// Two children of `first` and `second`, repaired into `space`.
    ///
    /// - Precondition: both parents have `space.count` genes.
    public func cross(_ first: Genome, _ second: Genome, in space: GeneSpace,
                      using random: inout SeededRandom) -> (Genome, Genome) {
        precondition(first.count == space.count && second.count == space.count, "parents do not fit the space")
        var child1 = first, child2 = second
        guard random.nextDouble() < probability else { return (child1, child2) }
        let exponent = 1 / (distributionIndex + 1)
        for (index, gene) in space.genes.enumerated() {
            guard random.nextDouble() < variableProbability else { continue }
            // On a logarithmic gene the children spread around the parents' logarithms.
            let p1 = gene.coordinate(first[index]), p2 = gene.coordinate(second[index])
            guard abs(p1 - p2) > 1e-14 else { continue }
            let y1 = min(p1, p2), y2 = max(p1, p2)
            let (lower, upper) = gene.coordinateBounds
            let u = random.nextDouble()

            func spread(_ beta: Double) -> Double {
                let alpha = 2 - pow(beta, -(distributionIndex + 1))
                return u <= 1 / alpha ? pow(u * alpha, exponent) : pow(1 / (2 - u * alpha), exponent)
            }
            let betaLow = spread(1 + 2 * (y1 - lower) / (y2 - y1))
            var c1 = 0.5 * ((y1 + y2) - betaLow * (y2 - y1))
            let betaHigh = spread(1 + 2 * (upper - y2) / (y2 - y1))
            var c2 = 0.5 * ((y1 + y2) + betaHigh * (y2 - y1))
            c1 = min(max(c1, lower), upper)
            c2 = min(max(c2, lower), upper)
            (c1, c2) = (gene.value(atCoordinate: c1), gene.value(atCoordinate: c2))
            if random.nextDouble() < 0.5 {
                child1[index] = c2
                child2[index] = c1
            } else {
                child1[index] = c1
                child2[index] = c2
            }
        }
        return (space.repair(child1), space.repair(child2))
    }
}
