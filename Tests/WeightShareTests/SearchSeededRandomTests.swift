import Foundation
import Testing
import WeightShare

/// SeededRandom against Vigna's reference C code (splitmix64.c seeding xoshiro256starstar.c), values printed
/// by that code compiled with cc.
struct SearchSeededRandomTests {
    @Test func seedZeroMatchesReference() {
        var random = SeededRandom(seed: 0)
        #expect(random.words == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F,
                                 0xF88B_B8A8_724C_81EC])
        let expected: [UInt64] = [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0,
                                  0x6AA5_94F1_262D_2D2C, 0xBBA5_AD4A_1F84_2E59]
        #expect((0..<5).map { _ in random.next() } == expected)
        #expect(random.nextDouble() == 0.9997484362337864)
    }

    @Test func seed42MatchesReference() {
        var random = SeededRandom(seed: 42)
        let expected: [UInt64] = [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1,
                                  0xECB8_AD47_03B3_60A1, 0xFDE6_DC7F_E2EC_5E64]
        #expect((0..<5).map { _ in random.next() } == expected)
        #expect(random.nextDouble() == 0.76973946043424246)
    }

    @Test func doublesAreInUnitInterval() {
        var random = SeededRandom(seed: 7)
        var sum = 0.0
        for _ in 0..<10_000 {
            let u = random.nextDouble()
            #expect(u >= 0 && u < 1)
            sum += u
        }
        #expect(abs(sum / 10_000 - 0.5) < 0.02)
    }

    @Test func boundedIntegersAreInRangeAndCoverIt() {
        var random = SeededRandom(seed: 3)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<7_000 { counts[random.nextIndex(below: 7)] += 1 }
        #expect(counts.allSatisfy { $0 > 850 && $0 < 1150 })
        #expect(random.next(below: 1) == 0)
        for _ in 0..<100 { #expect(random.next(below: UInt64.max) < UInt64.max) }
    }

    @Test func codableRoundTripResumesTheSequence() throws {
        var random = SeededRandom(seed: 99)
        _ = (0..<10).map { _ in random.next() }
        let data = try JSONEncoder().encode(random)
        var resumed = try JSONDecoder().decode(SeededRandom.self, from: data)
        #expect(resumed == random)
        for _ in 0..<100 { #expect(resumed.next() == random.next()) }
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix("{\"state\":[\""))
    }

    @Test func decodingRejectsBadStates() {
        for json in [#"{"state":["0000000000000000","0000000000000000","0000000000000000","0000000000000000"]}"#,
                     #"{"state":["1","2","3","4"]}"#,
                     #"{"state":["000000000000000g","0000000000000001","0000000000000000","0000000000000000"]}"#,
                     #"{"state":["0000000000000001","0000000000000001","0000000000000001"]}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(SeededRandom.self, from: Data(json.utf8)) }
        }
        #expect(SeededRandom(words: [0, 0, 0, 0]) == nil)
        #expect(SeededRandom(words: [1, 2, 3]) == nil)
    }

    @Test func differentSeedsDiffer() {
        var a = SeededRandom(seed: 1), b = SeededRandom(seed: 2)
        #expect((0..<4).map { _ in a.next() } != (0..<4).map { _ in b.next() })
    }
}
