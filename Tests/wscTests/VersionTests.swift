import Foundation
import Testing
import WeightShareCore

@Suite("wsc --version")
struct VersionTests {
    @Test("prints the library's version constant (the one written into every .wsm)")
    func version() throws {
        let result = try WSC.run(["--version"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == WeightShareVersion.string)
    }
}
