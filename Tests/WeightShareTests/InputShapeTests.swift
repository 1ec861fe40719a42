import Testing
import WeightShareSearch

/// `--input-shape name=d1,d2,...` as the library parses it.
@Suite("InputShape")
struct InputShapeTests {
    @Test("name=d1,d2,... with positive integers")
    func valid() throws {
        #expect(try InputShape(parsing: "input=1,64") == InputShape(name: "input", dims: [1, 64]))
        #expect(try InputShape(parsing: "x=7") == InputShape(name: "x", dims: [7]))
        #expect(try InputShape(parsing: "in:0=1, 3 ,8,8") == InputShape(name: "in:0", dims: [1, 3, 8, 8]))
        #expect(InputShape(name: "input", dims: [1, 64]).description == "input=1,64")
    }

    @Test("each malformed value gets its own reason")
    func invalid() {
        #expect(throws: InputShape.ParseError.missingEquals(text: "x")) { try InputShape(parsing: "x") }
        #expect(throws: InputShape.ParseError.noDimensions(text: "x=")) { try InputShape(parsing: "x=") }
        #expect(throws: InputShape.ParseError.emptyName(text: "=1,2")) { try InputShape(parsing: "=1,2") }
        #expect(throws: InputShape.ParseError.badDimension(text: "x=1,0", position: 2, value: "0")) {
            try InputShape(parsing: "x=1,0")
        }
        #expect(throws: InputShape.ParseError.badDimension(text: "x=a", position: 1, value: "a")) {
            try InputShape(parsing: "x=a")
        }
        #expect(throws: InputShape.ParseError.badDimension(text: "x=1,,2", position: 2, value: "")) {
            try InputShape(parsing: "x=1,,2")
        }
        #expect(throws: InputShape.ParseError.badDimension(text: "x=-1", position: 1, value: "-1")) {
            try InputShape(parsing: "x=-1")
        }
        #expect("\(InputShape.ParseError.badDimension(text: "x=1,0", position: 2, value: "0"))"
                == "dimension 2 is '0', not a positive integer (expected name=d1,d2,... with positive integers)")
    }

    @Test("the table by name refuses an input given twice")
    func table() throws {
        let a = InputShape(name: "a", dims: [1, 2]), b = InputShape(name: "b", dims: [3])
        #expect(try InputShape.table([a, b]) == ["a": [1, 2], "b": [3]])
        #expect(try InputShape.table([]) == [:])
        let error = InputShape.ParseError.duplicate(name: "a", first: [1, 2], second: [1, 3])
        #expect(throws: error) { try InputShape.table([a, b, InputShape(name: "a", dims: [1, 3])]) }
        #expect("\(error)" == "--input-shape gives input 'a' twice (a=1,2 and a=1,3); give each input once")
    }
}
