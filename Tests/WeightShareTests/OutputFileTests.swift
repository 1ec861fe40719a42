import Foundation
import Testing
import WeightShare

#if canImport(Glibc)
import Glibc
#endif

/// Writing outputs (issue 15): atomic single files and folder sets leave no temporary files, keep other entries,
/// and fail with one sentence naming the path and the cause.
@Suite struct OutputFileTests {
    @Test("atomic writes leave no temporary file and remove what a killed write left")
    func atomicFile() throws {
        let folder = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("pareto.json")
        try Data(".".utf8).write(to: folder.appendingPathComponent(".pareto.json.wsc-tmp-1-2"))
        try RunDirectory.writeAtomically(Data("a".utf8), to: target)
        try RunDirectory.writeAtomically(Data("b".utf8), to: target)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["pareto.json"])
        #expect(try Data(contentsOf: target) == Data("b".utf8))
    }

    @Test("a folder set replaces the owned files, keeps the others and leaves nothing next to it")
    func folderSet() throws {
        let root = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        try FileOutput.replaceFolder(out, with: [("a", Data("1".utf8)), ("b", Data("2".utf8))], owned: ["a", "b"])
        try FileManager.default.createDirectory(at: out.appendingPathComponent("work"), withIntermediateDirectories: true)
        try Data("w".utf8).write(to: out.appendingPathComponent("work/file"))
        try FileOutput.replaceFolder(out, with: [("a", Data("3".utf8))], owned: ["a", "b"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["a", "work"])
        #expect(try Data(contentsOf: out.appendingPathComponent("a")) == Data("3".utf8))
        #expect(try Data(contentsOf: out.appendingPathComponent("work/file")) == Data("w".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["out"])
    }

    @Test("file errors are one sentence: path and cause, no NSError dump")
    func messages() throws {
        #expect("\(FileWriteError(path: "/x/model.wsm", reason: "the file system is read-only"))"
                == "cannot write /x/model.wsm: the file system is read-only")
        let root = try FixturePaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("f")
        try Data().write(to: file)
        #expect(throws: FileWriteError(path: file.path, reason: "it is a file, not a folder")) {
            try FileOutput.replaceFolder(file.appendingPathComponent("out/x"), with: [], owned: [])
        }
        do {
            try RunDirectory.writeAtomically(Data(), to: file.appendingPathComponent("run.json"))
            Issue.record("wrote under a file")
        } catch {
            #expect("\(error)".hasPrefix("cannot write \(file.path)"), "\(error)")
            #expect(!"\(error)".contains("Domain"))
        }
    }
}
