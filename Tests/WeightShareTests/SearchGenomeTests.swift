import Foundation
import Testing
import WeightShare
@testable import WeightShareContainer
@testable import WeightShareNSGA2

struct SearchGenomeTests {
    let space = GeneSpace([.integer("k", 2...1024), .real("clip", 0.9...1.0)])

    @Test func integerRepairRoundsHalfAwayFromZeroAndClamps() {
        let k = Gene.integer("k", -10...10)
        #expect(k.repair(2.5) == 3)
        #expect(k.repair(-2.5) == -3)
        #expect(k.repair(2.4999) == 2)
        #expect(k.repair(11.2) == 10)
        #expect(k.repair(-100) == -10)
        #expect(k.repair(.nan) == -10)
        #expect(k.repair(-0.4).sign == .plus)
        #expect(Gene.real("x", 0...1).repair(1.5) == 1)
        #expect(Gene.real("x", 0...1).repair(0.25) == 0.25)
        #expect(Gene.real("x", -1...1).repair(-0.0).sign == .plus)
    }

    @Test func genomesByNameAreRepairedAndReadBack() throws {
        let genome = try space.genome(named: ["k": 15.5, "clip": 2])
        #expect(genome.genes == [16, 1.0])
        #expect(genome.int("k", in: space) == 16)
        #expect(genome.real("clip", in: space) == 1.0)
        #expect(genome.int(at: 0) == 16)
        #expect(genome.named(in: space) == ["k": 16, "clip": 1.0])
        #expect(space.contains(genome))
        #expect(!space.contains(Genome([16.5, 0.95])))
        #expect(!space.contains(Genome([16])))
        #expect(throws: SearchError.self) { try space.genome(named: ["k": 3]) }
        #expect(throws: SearchError.self) { try space.genome(named: ["k": 3, "clip": 1, "other": 0]) }
        #expect(throws: SearchError.self) { try space.genome([3]) }
        #expect(throws: SearchError.self) { try space.genome([.nan, 1]) }
    }

    @Test func validationNamesTheProblem() {
        let bad: [[Gene]] = [
            [.integer("k", 2...4), .integer("k", 1...3)],
            [Gene(name: "k", lower: 5, upper: 2, kind: .integer)],
            [Gene(name: "k", lower: 1.5, upper: 4, kind: .integer)],
            [Gene(name: "x", lower: 0, upper: .infinity, kind: .real)],
            [Gene(name: "", lower: 0, upper: 1, kind: .real)],
            [Gene(name: "k", lower: 0, upper: 0x1.0p60, kind: .integer)],
            [Gene(name: "k", lower: 0, upper: 8, kind: .integer, scale: .logarithmic)],
        ]
        for genes in bad {
            #expect(throws: SearchError.self) { try GeneSpace(genes).validate() }
        }
        #expect(throws: Never.self) { try space.validate() }
        #expect(throws: Never.self) { try GeneSpace([]).validate() }
    }

    @Test func cardinality() {
        #expect(GeneSpace([.integer("k", 2...20)]).cardinality == 19)
        #expect(GeneSpace([.integer("k", 2...5), .integer("m", 0...2)]).cardinality == 12)
        #expect(GeneSpace([.integer("k", 2...5), .real("c", 0.5...0.5)]).cardinality == 4)
        #expect(space.cardinality == nil)
        #expect(GeneSpace([]).cardinality == 1)
        let huge = Gene(name: "k", lower: 0, upper: 0x1.0p52, kind: .integer)
        #expect(GeneSpace([huge, huge, huge]).cardinality == nil)
    }

    @Test func enumerationVisitsEveryGenomeOnce() {
        let small = GeneSpace([.integer("k", 2...5), .integer("m", 0...2)])
        let all = (0..<12).map(small.genome(atOrdinal:))
        #expect(Set(all).count == 12)
        #expect(all.allSatisfy(small.contains))
        #expect(all.first == Genome([2, 0]) && all.last == Genome([5, 2]))
    }

    @Test func randomGenomesAreValidAndCoverIntegerBoundsUniformly() {
        var random = SeededRandom(seed: 5)
        let k = GeneSpace([.integer("k", 2...4)])
        var counts: [Double: Int] = [:]
        for _ in 0..<3_000 {
            let genome = k.randomGenome(using: &random)
            #expect(k.contains(genome))
            counts[genome[0], default: 0] += 1
        }
        #expect(counts.keys.sorted() == [2, 3, 4])
        #expect(counts.values.allSatisfy { $0 > 900 && $0 < 1100 })
        for _ in 0..<1_000 { #expect(space.contains(space.randomGenome(using: &random))) }
    }

    /// K uniform in log over 2…1024: K ≤ 8 when exp(u) < 8.5, probability ln(8.5/2)/ln(1024/2) = 0.232 (a linear
    /// gene: 7/1023 = 0.7 %); every factor of two gets about 1/9 of the draws.
    @Test func logarithmicGenesSampleEveryFactorOfTwoAlike() {
        var random = SeededRandom(seed: 6)
        let k = GeneSpace([.logarithmicInteger("k", 2...1024)])
        var small = 0
        var octaves = [Int](repeating: 0, count: 10)
        for _ in 0..<4_000 {
            let genome = k.randomGenome(using: &random)
            #expect(k.contains(genome))
            if genome[0] <= 8 { small += 1 }
            octaves[min(9, Int(log2(genome[0])))] += 1
        }
        #expect(small > 860 && small < 1_000, "\(small) of 4,000 at K ≤ 8")
        #expect(octaves[1...8].allSatisfy { $0 > 330 && $0 < 560 }, "\(octaves)")
        #expect(throws: SearchError.self) {
            try GeneSpace([Gene(name: "x", lower: -1, upper: 1, kind: .real, scale: .logarithmic)]).validate()
        }
    }

    @Test func genomeCodesAsPlainArrayAndOrdersLexicographically() throws {
        let genome = Genome([16, 0.1 + 0.2])
        let data = try JSONEncoder().encode(genome)
        #expect(String(decoding: data, as: UTF8.self).hasPrefix("[16"))
        #expect(try JSONDecoder().decode(Genome.self, from: data) == genome)
        #expect(Genome([1, 5]) < Genome([2, 0]))
        #expect(Genome([1, 5]) < Genome([1, 6]))
        #expect(Genome([1]) < Genome([1, 0]))
        #expect(!(Genome([1, 5]) < Genome([1, 5])))
        #expect(genome.description == "[16, 0.30000000000000004]")
    }

    @Test func geneSpaceCodableRoundTrip() throws {
        let data = try JSONEncoder().encode(space)
        #expect(try JSONDecoder().decode(GeneSpace.self, from: data) == space)
        let logarithmic = GeneSpace([.logarithmicInteger("k", 2...1024)])
        #expect(try JSONDecoder().decode(GeneSpace.self, from: try JSONEncoder().encode(logarithmic)) == logarithmic)
        // Files written before genes had a scale: linear.
        let old = #"{"genes":[{"name":"k","lower":2,"upper":1024,"kind":"integer"}]}"#
        #expect(try JSONDecoder().decode(GeneSpace.self, from: Data(old.utf8)) == GeneSpace([.integer("k", 2...1024)]))
    }
}
