import Foundation
import Testing
import WeightShare

/// .hex and .uf2 writers decode back to the blob (our readers, and srec_cat for Intel HEX).
@Suite("Boards: flash images")
struct BoardImageTests {
    static func blob(_ n: Int) -> [UInt8] {
        var state: UInt32 = 12345
        return (0..<n).map { _ in state = state &* 1_664_525 &+ 1_013_904_223; return UInt8(state >> 24) }
    }

    @Test("Intel HEX round trip, across 64 KiB segments")
    func hexRoundTrip() throws {
        for (n, address) in [(1, UInt64(0x0800_0000)), (70_000, 0x0808_FFF0), (4099, 0x10100000)] {
            let bytes = Self.blob(n)
            let text = try FlashImage.intelHex(bytes, address: address)
            #expect(text.hasSuffix(":00000001FF\n"))
            let decoded = try FlashImage.decodeIntelHex(text)
            #expect(decoded.address == address && decoded.bytes == bytes)
        }
        var broken = try FlashImage.intelHex([1, 2, 3], address: 0)
        broken = broken.replacingOccurrences(of: ":03000000010203F7", with: ":03000000010203F8")
        #expect(throws: BoardError.self) { try FlashImage.decodeIntelHex(broken) }
    }

    @Test("Intel HEX decodes with srec_cat", .enabled(if: ExternalTool.find("srec_cat") != nil, "srec_cat (srecord) not installed"))
    func hexSrecCat() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ws-hex-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = Self.blob(70_001)
        try Data(FlashImage.intelHex(bytes, address: 0x0808_0000).utf8).write(to: dir.appendingPathComponent("m.hex"))
        let r = try ExternalTool.run(["srec_cat", dir.appendingPathComponent("m.hex").path, "-intel", "-offset", "-0x08080000",
                                      "-o", dir.appendingPathComponent("m.bin").path, "-binary"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect([UInt8](try Data(contentsOf: dir.appendingPathComponent("m.bin"))) == bytes)
    }

    @Test("UF2 writer and reader")
    func uf2() throws {
        let bytes = Self.blob(1000)
        let image = try FlashImage.uf2(bytes, address: 0x1010_0000, familyID: 0xE48B_FF56)
        #expect(image.count == 4 * 512)
        #expect(Array(image[0..<4]) == [0x55, 0x46, 0x32, 0x0A])  // "UF2\n"
        let decoded = try FlashImage.decodeUF2(image)
        #expect(decoded.address == 0x1010_0000 && decoded.familyID == 0xE48B_FF56 && decoded.blocks == 4)
        // The last block is padded with 0xFF to 256 bytes; the blob is a prefix.
        #expect(Array(decoded.bytes.prefix(bytes.count)) == bytes)
        #expect(decoded.bytes.dropFirst(bytes.count).allSatisfy { $0 == 0xFF })
        var bad = image
        bad[512 + 508] ^= 1
        #expect(throws: BoardError.self) { try FlashImage.decodeUF2(bad) }
        #expect(throws: BoardError.self) { try FlashImage.decodeUF2(Array(image.prefix(700))) }
        var renumbered = image
        renumbered[512 + 20] = 7
        #expect(throws: BoardError.self) { try FlashImage.decodeUF2(renumbered) }
    }

    @Test("the images a board asks for")
    func boardImages() throws {
        let pico = try BoardTests.catalog.board(named: "rp2040-pico")
        let wsm = Self.blob(777)
        let images = try FlashImage.images(for: wsm, board: pico)
        #expect(images.map(\.name) == ["model.bin", "model.hex", "model.uf2"])
        #expect(images[0].bytes == wsm)
        let hex = try FlashImage.decodeIntelHex(String(decoding: images[1].bytes, as: UTF8.self))
        #expect(hex.address == 0x1010_0000 && hex.bytes == wsm)
        let uf2 = try FlashImage.decodeUF2(images[2].bytes)
        #expect(uf2.address == 0x1010_0000 && Array(uf2.bytes.prefix(777)) == wsm)
        let an386 = try BoardTests.catalog.board(named: "qemu-mps2-an386")
        #expect(try FlashImage.images(for: wsm, board: an386).map(\.name) == ["model.bin", "model.hex"])
    }

    @Test("firmware test data keeps exact float bits")
    func testData() {
        let t = Firmware.testData(inputs: [[1, -0.0, .leastNonzeroMagnitude]], expected: [[0.1]], arenaBytes: 64)
        #expect(t.source.contains("0x3f800000, 0x80000000, 0x00000001,"))
        #expect(t.source.contains("0x3dcccccd,"))
        #expect(t.header.contains("#define WS_TEST_SAMPLES 1u") && t.header.contains("#define WS_ARENA_BYTES 64u"))
    }
}
