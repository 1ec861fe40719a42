import Foundation

/// Bounded polynomial mutation (Deb & Goyal 1996), as in Deb's NSGA-II reference code (the version whose
/// perturbation depends on the distance to both bounds, so values never leave the gene's range).
///
/// Each gene with a non-empty range is mutated with probability ``probability`` (`nil`: 1 / number of genes).
/// Integer genes are mutated as reals and then repaired (rounded half away from zero and clamped).
public struct PolynomialMutation: Sendable, Hashable {
    /// Distribution index η_m.
    public var distributionIndex: Double
    /// Per-gene mutation probability; `nil` means 1 / number of genes.
    public var probability: Double?

    /// An operator with η_m = 20 and probability 1 / number of genes unless told otherwise.
    public init(distributionIndex: Double = 20, probability: Double? = nil) {
        self.distributionIndex = distributionIndex
        self.probability = probability
    }

    /// `genome` mutated and repaired into `space`.
    ///
    /// - Parameter atLeastOneGene: when no gene was picked by chance, mutate one gene (chosen uniformly among
    ///   genes whose range is not a single value). Used to re-mutate duplicates.
    /// - Precondition: `genome.count == space.count`.
    public func mutate(_ genome: Genome, in space: GeneSpace, atLeastOneGene: Bool = false,
                       using random: inout SeededRandom) -> Genome {
        precondition(genome.count == space.count, "genome does not fit the space")
        guard space.count > 0 else { return genome }
        let p = probability ?? 1 / Double(space.count)
        var mutated = genome
        var changedAny = false
        var index = 0
        while index < space.count {
            if random.nextDouble() < p && space.genes[index].lower < space.genes[index].upper {
                mutated[index] = perturb(mutated[index], gene: space.genes[index], using: &random)
                changedAny = true
            }
            index += 1
        }
        if atLeastOneGene && !changedAny {
            let open = space.genes.indices.filter { space.genes[$0].lower < space.genes[$0].upper }
            if !open.isEmpty {
                let index = open[random.nextIndex(below: open.count)]
                mutated[index] = perturb(mutated[index], gene: space.genes[index], using: &random)
            }
        }
        return space.repair(mutated)
    }

    /// On a logarithmic gene the step is taken on the logarithm.
    private func perturb(_ value: Double, gene: Gene, using random: inout SeededRandom) -> Double {
        let y = gene.coordinate(value)
        let (lower, upper) = gene.coordinateBounds
        let range = upper - lower
        let delta1 = (y - lower) / range, delta2 = (upper - y) / range
        let u = random.nextDouble()
        let power = 1 / (distributionIndex + 1)
        let deltaq: Double
        if u <= 0.5 {
            let value = 2 * u + (1 - 2 * u) * pow(1 - delta1, distributionIndex + 1)
            deltaq = pow(value, power) - 1
        } else {
            let value = 2 * (1 - u) + 2 * (u - 0.5) * pow(1 - delta2, distributionIndex + 1)
            deltaq = 1 - pow(value, power)
        }
        return gene.value(atCoordinate: min(max(y + deltaq * range, lower), upper))
    }
}
