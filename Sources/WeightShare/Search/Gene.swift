/// Whether a gene takes whole numbers or any real value in its bounds.
public enum GeneKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Whole numbers only (for instance the number of bins K). Held as exact integral `Double`s.
    case integer
    /// Any real value in the bounds (for instance a clipping quantile).
    case real
}

/// One variable of the search: a name, inclusive bounds and a kind.
///
/// Genes are described, not typed: a ``Genome`` is a plain list of `Double`s in the order of its
/// ``GeneSpace``, so new genes (clip quantiles, scale mode, outlier budget) only add entries here.
/// A categorical choice is an ``GeneKind/integer`` gene over `0...(choices - 1)`.
///
/// ```swift
/// let k = Gene.integer("k", 2...1024)
/// let clip = Gene.real("clip", 0.99...1.0)
/// ```
public struct Gene: Sendable, Hashable, Codable {
    /// Unique name within its space (used by ``Genome/int(_:in:)`` and ``GeneSpace/genome(named:)``).
    public var name: String
    /// Smallest allowed value (inclusive). Integral for integer genes.
    public var lower: Double
    /// Largest allowed value (inclusive). Integral for integer genes.
    public var upper: Double
    /// Whether the gene takes whole numbers or reals.
    public var kind: GeneKind

    /// A gene description. Bounds are checked by ``GeneSpace/validate()`` (which the search calls), not here.
    public init(name: String, lower: Double, upper: Double, kind: GeneKind) {
        self.name = name
        self.lower = lower
        self.upper = upper
        self.kind = kind
    }

    /// An integer gene over `range`.
    public static func integer(_ name: String, _ range: ClosedRange<Int>) -> Gene {
        Gene(name: name, lower: Double(range.lowerBound), upper: Double(range.upperBound), kind: .integer)
    }

    /// A real gene over `range`.
    public static func real(_ name: String, _ range: ClosedRange<Double>) -> Gene {
        Gene(name: name, lower: range.lowerBound, upper: range.upperBound, kind: .real)
    }

    /// Largest magnitude an integer gene's bounds may have: every integer up to 2⁵³ is exact in a `Double`.
    public static let maximumIntegerMagnitude: Double = 0x1.0p53

    /// `value` made valid for this gene: clamped into the bounds and, for an integer gene, rounded half away
    /// from zero first. NaN becomes the lower bound and −0 becomes +0, so equal genes always hash and encode
    /// the same way.
    public func repair(_ value: Double) -> Double {
        guard !value.isNaN else { return lower + 0 }
        let rounded = kind == .integer ? value.rounded(.toNearestOrAwayFromZero) : value
        // `+ 0` turns −0 into +0 (IEEE 754: −0 + +0 = +0 when rounding to nearest).
        return Swift.min(Swift.max(rounded, lower), upper) + 0
    }

    /// Whether `value` is a valid value of this gene as it stands (in bounds, integral for integer genes).
    public func accepts(_ value: Double) -> Bool {
        value >= lower && value <= upper && (kind == .real || value.rounded() == value)
    }

    /// How many distinct values the gene can take, or `nil` when that is unbounded (a real gene with
    /// `lower < upper`).
    public var cardinality: Int? {
        if lower == upper { return 1 }
        switch kind {
        case .real: return nil
        case .integer:
            let count = upper - lower + 1
            return count <= Double(Int.max / 2) ? Int(count) : nil
        }
    }

    /// Why this gene is unusable, or `nil` when it is fine.
    var problem: String? {
        if name.isEmpty { return "a gene has an empty name" }
        guard lower.isFinite, upper.isFinite else { return "gene '\(name)' has non-finite bounds \(lower)...\(upper)" }
        guard lower <= upper else { return "gene '\(name)' has lower bound \(lower) above upper bound \(upper)" }
        if kind == .integer {
            guard lower.rounded() == lower, upper.rounded() == upper else {
                return "integer gene '\(name)' has non-integral bounds \(lower)...\(upper)"
            }
            guard Swift.max(lower.magnitude, upper.magnitude) <= Gene.maximumIntegerMagnitude else {
                return "integer gene '\(name)' has bounds beyond ±2^53: \(lower)...\(upper)"
            }
        }
        return nil
    }
}
