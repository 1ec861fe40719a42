import Foundation

/// Whether a gene takes whole numbers or any real value in its bounds.
public enum GeneKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Whole numbers only (for instance the number of bins K). Held as exact integral `Double`s.
    case integer
    /// Any real value in the bounds (for instance a clipping quantile).
    case real
}

/// How the search samples and varies a gene: along its values, or along their logarithm. A logarithmic gene
/// gives every factor of two of its range equal room, which suits a count whose cost grows with its logarithm
/// (the bins K: an index takes ⌈log2 K⌉ bits).
public enum GeneScale: String, Sendable, Hashable, Codable, CaseIterable {
    case linear
    case logarithmic
}

/// One variable of the search: a name, inclusive bounds, a kind and a scale.
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
    /// Whether random genomes and the variation operators work on the value or its logarithm.
    public var scale: GeneScale

    /// A gene description. Bounds are checked by ``GeneSpace/validate()`` (which the search calls), not here.
    public init(name: String, lower: Double, upper: Double, kind: GeneKind, scale: GeneScale = .linear) {
        self.name = name
        self.lower = lower
        self.upper = upper
        self.kind = kind
        self.scale = scale
    }

    private enum CodingKeys: String, CodingKey { case name, lower, upper, kind, scale }

    /// Files written before genes had a scale hold linear genes.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), lower: try c.decode(Double.self, forKey: .lower),
                  upper: try c.decode(Double.self, forKey: .upper), kind: try c.decode(GeneKind.self, forKey: .kind),
                  scale: try c.decodeIfPresent(GeneScale.self, forKey: .scale) ?? .linear)
    }

    /// An integer gene over `range`.
    public static func integer(_ name: String, _ range: ClosedRange<Int>) -> Gene {
        Gene(name: name, lower: Double(range.lowerBound), upper: Double(range.upperBound), kind: .integer)
    }

    /// An integer gene over `range` (lower bound at least 1), sampled and varied along its logarithm.
    public static func logarithmicInteger(_ name: String, _ range: ClosedRange<Int>) -> Gene {
        Gene(name: name, lower: Double(range.lowerBound), upper: Double(range.upperBound), kind: .integer,
             scale: .logarithmic)
    }

    /// Where the variation operators see `value`: itself, or its natural logarithm on a logarithmic scale.
    public func coordinate(_ value: Double) -> Double {
        scale == .logarithmic ? Foundation.log(value) : value
    }

    /// The value at search coordinate `c` (before ``repair(_:)``).
    public func value(atCoordinate c: Double) -> Double {
        scale == .logarithmic ? Foundation.exp(c) : c
    }

    /// The bounds as search coordinates.
    public var coordinateBounds: (lower: Double, upper: Double) { (coordinate(lower), coordinate(upper)) }

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
        if scale == .logarithmic && lower <= 0 {
            return "logarithmic gene '\(name)' needs a positive lower bound, not \(lower)"
        }
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
