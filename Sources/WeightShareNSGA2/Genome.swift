/// One candidate solution: the values of the genes of a ``GeneSpace``, in the space's order.
///
/// A genome is only numbers; names and kinds live in the space, so a genome stays small as a cache key and in
/// checkpoints. Genomes made by the search (or by ``GeneSpace/genome(named:)``) are always repaired: integer
/// genes hold exact integral values, every gene is within its bounds, and there is no −0 or NaN, so two
/// genomes that decode to the same configuration are equal and hash alike.
///
/// Encoded as a plain JSON array of numbers, e.g. `[16, 0.995]`.
///
/// ```swift
/// let space = GeneSpace([.integer("k", 2...1024), .real("clip", 0.99...1.0)])
/// let genome = try space.genome(named: ["k": 16, "clip": 0.995])
/// let k = genome.int("k", in: space)       // 16
/// let clip = genome.real("clip", in: space) // 0.995
/// ```
public struct Genome: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The gene values in the space's order.
    public var genes: [Double]

    /// A genome holding `genes` as given (use ``GeneSpace/genome(_:)`` to repair values into a space).
    public init(_ genes: [Double]) {
        self.genes = genes
    }

    /// Number of genes.
    public var count: Int { genes.count }

    /// The value of gene `index`.
    public subscript(index: Int) -> Double {
        get { genes[index] }
        set { genes[index] = newValue }
    }

    /// The value of gene `index` as an integer (rounded half away from zero if it is not integral).
    ///
    /// - Precondition: the value is finite and fits in an `Int`.
    public func int(at index: Int) -> Int {
        Int(genes[index].rounded(.toNearestOrAwayFromZero))
    }

    /// The value of the gene called `name` in `space`, as an integer.
    ///
    /// - Precondition: `space` has a gene called `name` and this genome belongs to `space`.
    public func int(_ name: String, in space: GeneSpace) -> Int {
        int(at: position(of: name, in: space))
    }

    /// The value of the gene called `name` in `space`.
    ///
    /// - Precondition: `space` has a gene called `name` and this genome belongs to `space`.
    public func real(_ name: String, in space: GeneSpace) -> Double {
        genes[position(of: name, in: space)]
    }

    /// The genes by name (for reports and JSON). Needs `space` because a genome carries no names.
    ///
    /// - Precondition: this genome belongs to `space` (same length).
    public func named(in space: GeneSpace) -> [String: Double] {
        precondition(count == space.count, "genome has \(count) genes, the space \(space.count)")
        return Dictionary(zip(space.genes.map(\.name), genes), uniquingKeysWith: { first, _ in first })
    }

    private func position(of name: String, in space: GeneSpace) -> Int {
        guard let index = space.index(of: name) else {
            preconditionFailure("the gene space has no gene called '\(name)'")
        }
        precondition(index < count, "genome has \(count) genes, the space \(space.count)")
        return index
    }

    /// Lexicographic order of the gene values (shorter first on a common prefix). Used to order genomes
    /// deterministically, e.g. in encoded checkpoints.
    public static func < (lhs: Genome, rhs: Genome) -> Bool {
        for (a, b) in zip(lhs.genes, rhs.genes) where a != b {
            return a < b
        }
        return lhs.count < rhs.count
    }

    public var description: String {
        "[" + genes.map { $0.rounded() == $0 && $0.magnitude < 1e15 ? String(Int($0)) : String($0) }
            .joined(separator: ", ") + "]"
    }

    public init(from decoder: any Decoder) throws {
        genes = try decoder.singleValueContainer().decode([Double].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(genes)
    }
}
