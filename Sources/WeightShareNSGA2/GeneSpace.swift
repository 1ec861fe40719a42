/// The variables of a search, in genome order.
///
/// A ``Genome`` is a list of `Double`s that lines up with ``genes``. The space knows the names, bounds and
/// kinds; it repairs values into bounds, samples uniform random genomes and counts how many distinct genomes
/// exist (so the search can tell when a small integer space is exhausted).
///
/// ```swift
/// let space = GeneSpace([.integer("k", 2...1024)])
/// let genome = try space.genome(named: ["k": 16])
/// genome.int("k", in: space)   // 16
/// ```
public struct GeneSpace: Sendable, Hashable, Codable {
    /// The genes in genome order.
    public var genes: [Gene]

    /// A space over `genes` (checked by ``validate()``).
    public init(_ genes: [Gene]) {
        self.genes = genes
    }

    /// Number of genes (the length of every genome of this space).
    public var count: Int { genes.count }

    /// Position of the gene called `name`, if there is one.
    public func index(of name: String) -> Int? {
        genes.firstIndex { $0.name == name }
    }

    /// Throws ``SearchError/invalidGeneSpace(reason:)`` when a gene has unusable bounds (non-finite,
    /// lower above upper, non-integral or beyond ±2⁵³ for an integer gene), an empty name, or when two genes
    /// share a name.
    public func validate() throws {
        var names = Set<String>()
        for gene in genes {
            if let problem = gene.problem { throw SearchError.invalidGeneSpace(reason: problem) }
            guard names.insert(gene.name).inserted else {
                throw SearchError.invalidGeneSpace(reason: "two genes are called '\(gene.name)'")
            }
        }
    }

    /// How many distinct genomes the space holds, or `nil` when that is unbounded (any real gene with a
    /// non-empty range) or does not fit in an `Int`. An empty space holds one genome (the empty one).
    public var cardinality: Int? {
        var total = 1
        for gene in genes {
            guard let count = gene.cardinality else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: count)
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// `genome` with every gene repaired (see ``Gene/repair(_:)``).
    ///
    /// - Precondition: `genome.count == count`.
    public func repair(_ genome: Genome) -> Genome {
        precondition(genome.count == count, "genome has \(genome.count) genes, the space \(count)")
        var repaired = genome
        var index = 0
        while index < count {
            repaired.genes[index] = genes[index].repair(repaired.genes[index])
            index += 1
        }
        return repaired
    }

    /// Whether `genome` has the right length and every value is valid for its gene as it stands.
    public func contains(_ genome: Genome) -> Bool {
        genome.count == count && zip(genes, genome.genes).allSatisfy { gene, value in gene.accepts(value) }
    }

    /// A genome from values in gene order, repaired into the space.
    ///
    /// - Throws: ``SearchError/genomeMismatch(reason:)`` when the number of values is not ``count`` or a value
    ///   is NaN.
    public func genome(_ values: [Double]) throws -> Genome {
        guard values.count == count else {
            throw SearchError.genomeMismatch(reason: "\(values.count) value(s) given for \(count) gene(s)")
        }
        if let index = values.firstIndex(where: \.isNaN) {
            throw SearchError.genomeMismatch(reason: "gene '\(genes[index].name)' is NaN")
        }
        return repair(Genome(values))
    }

    /// A genome from values by gene name, repaired into the space (integers rounded half away from zero,
    /// everything clamped into bounds).
    ///
    /// - Throws: ``SearchError/genomeMismatch(reason:)`` when a gene has no value, a name is unknown, or a
    ///   value is NaN.
    public func genome(named values: [String: Double]) throws -> Genome {
        var ordered: [Double] = []
        ordered.reserveCapacity(count)
        for gene in genes {
            guard let value = values[gene.name] else {
                throw SearchError.genomeMismatch(reason: "no value for gene '\(gene.name)'")
            }
            ordered.append(value)
        }
        if let unknown = values.keys.filter({ index(of: $0) == nil }).min() {
            throw SearchError.genomeMismatch(reason: "no gene is called '\(unknown)'")
        }
        return try genome(ordered)
    }

    /// A uniform random genome: integer genes uniform over their whole numbers, real genes uniform
    /// between their bounds (`lower + u·(upper − lower)` with `u` uniform in [0, 1)); a logarithmic gene uniform
    /// in the logarithm between its bounds, then rounded as its kind says.
    public func randomGenome(using random: inout SeededRandom) -> Genome {
        Genome(genes.map { gene in
            if gene.lower == gene.upper { return gene.lower + 0 }
            if gene.scale == .logarithmic {
                let (lower, upper) = gene.coordinateBounds
                return gene.repair(gene.value(atCoordinate: lower + random.nextDouble() * (upper - lower)))
            }
            switch gene.kind {
            case .integer:
                let span = UInt64(gene.upper - gene.lower) + 1
                return gene.repair(gene.lower + Double(random.next(below: span)))
            case .real:
                return gene.repair(gene.lower + random.nextDouble() * (gene.upper - gene.lower))
            }
        })
    }

    /// The genome at position `ordinal` (`0..<cardinality`) of the space in mixed-radix order (last gene
    /// fastest). Only for spaces with a finite ``cardinality``.
    func genome(atOrdinal ordinal: Int) -> Genome {
        var rest = ordinal
        var values = [Double](repeating: 0, count: count)
        for index in genes.indices.reversed() {
            let gene = genes[index]
            let radix = gene.cardinality ?? 1
            values[index] = gene.lower + Double(rest % radix) + 0
            rest /= radix
        }
        return Genome(values)
    }
}
