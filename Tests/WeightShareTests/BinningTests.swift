import Testing
import WeightShare

@Suite("Uniform binning")
struct BinningTests {
    @Test("values on edges go to the upper bin; the maximum to the last bin")
    func edges() {
        let b = UniformBinning(values: [0, 1, 2, 3, 4], k: 4)
        #expect(b.binOfWeight == [0, 1, 2, 3, 3])
        #expect(b.counts == [1, 1, 1, 2])
        let q = Quantization(binning: b)
        #expect(q.codebook == [0, 1, 2, 3.5])
        #expect(q.indices == [0, 1, 2, 3, 3])
    }

    @Test("edges that are not exact in binary")
    func inexactEdges() {
        // Width 0.1: edges at -0.3, -0.2, ... 0.3 (six bins). 0.1 and -0.1 lie on edges.
        let values: [Float] = [-0.3, -0.1, 0.1, 0.3, 0.05, -0.25]
        let b = UniformBinning(values: values, k: 6)
        let low = Double(Float(-0.3)), width = (Double(Float(0.3)) - low) / 6
        // Expected bin by the edge table e_i = low + (high − low)·i/K, computed independently here.
        let expected = values.map { v -> UInt16 in
            var bin = 0
            for i in 1..<6 where Double(v) >= low + (Double(Float(0.3)) - low) * Double(i) / 6 { bin = i }
            return UInt16(bin)
        }
        #expect(b.binOfWeight == expected)
        #expect(width > 0)
        #expect(b.binOfWeight[3] == 5)
    }

    @Test("empty bins are dropped and means are exact")
    func emptyBins() {
        let q = Quantization(binning: UniformBinning(values: [0, 0.1, 0.9, 1.0], k: 3))
        #expect(q.codebook == [0.05, 0.95])
        #expect(q.indices == [0, 0, 1, 1])
        #expect(q.codebookSize == 2)
        #expect(q.k == 3)
    }

    @Test("a symmetric vector and K = 4")
    func symmetric() {
        let q = Quantization(binning: UniformBinning(values: [-1, -0.5, 0, 0.5, 1], k: 4))
        #expect(q.codebook == [-1, -0.5, 0, 0.75])
        #expect(q.indices == [0, 1, 2, 3, 3])
    }

    @Test("constant vector and K = 1 give one bin")
    func degenerate() {
        let same = Quantization(binning: UniformBinning(values: [2, 2, 2], k: 8))
        #expect(same.codebook == [2])
        #expect(same.indices == [0, 0, 0])
        let one = Quantization(binning: UniformBinning(values: [-3, 1, 5], k: 1))
        #expect(one.codebook == [1])
    }

    @Test("grouping merges runs of bins into one mean")
    func grouping() {
        let b = UniformBinning(values: [0, 1, 2, 3, 4], k: 4)
        let q = Quantization(binning: b, grouping: BinGrouping(runLengths: [2, 2]))
        #expect(q.codebook == [0.5, 3])
        #expect(q.indices == [0, 0, 1, 1, 1])
        #expect(BinGrouping(runLengths: [1, 1, 1, 1]).merging(boundary: 1).runLengths == [1, 2, 1])
    }

    @Test("deterministic and codebook sorted on random data")
    func deterministic() {
        var state: UInt64 = 7
        let values = (0..<5000).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 11) / Float(1 << 52)
        }
        let a = Quantization(binning: UniformBinning(values: values, k: 37))
        let b = Quantization(binning: UniformBinning(values: values, k: 37))
        #expect(a == b)
        #expect(a.codebook == a.codebook.sorted())
        #expect(a.indices.allSatisfy { Int($0) < a.codebookSize })
        // Each value's code is the mean of its bin, so it lies within one bin width of it.
        let width = (values.max()! - values.min()!) / 37
        #expect(zip(values, a.values).allSatisfy { abs($0 - $1) <= width * 1.0001 })
    }
}
