import Foundation
import Testing
import WeightShare
@testable import WeightShareCore
@testable import WeightShareImport
@testable import WeightShareGraph

/// ONNX import of the committed fixtures, checked against the values `scripts/make_fixtures.py` recorded.
@Suite struct ImportONNXTests {
    let facts: FixtureFacts

    init() throws {
        facts = try FixturePaths.facts()
    }

    /// Checks shape, first values and last value of every initializer the script recorded.
    func expectInitializers(_ graph: Graph, match model: FixtureFacts.Model,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(graph.initializers.keys) == Set(model.initializers.keys), sourceLocation: sourceLocation)
        for (name, expected) in model.initializers {
            guard let tensor = graph.initializers[name] else { continue }
            #expect(tensor.shape == expected.shape, "\(name)", sourceLocation: sourceLocation)
            let values: [Double]
            switch tensor.storage {
            case .float(let v): values = v.map { Double($0) }
            case .int64(let v): values = v.map { Double($0) }
            }
            #expect(values.count == tensor.elementCount, "\(name)", sourceLocation: sourceLocation)
            #expect(Array(values.prefix(3)) == expected.first, "\(name)", sourceLocation: sourceLocation)
            #expect(values.last == expected.last, "\(name)", sourceLocation: sourceLocation)
        }
    }

    func shape(_ dims: [FixtureFacts.Dim]?) -> [WeightShare.Dimension]? {
        dims?.map { dim in
            switch dim {
            case .fixed(let n): return .fixed(n)
            case .symbolic(let s): return .symbolic(s)
            }
        }
    }

    @Test func digitsMLP() throws {
        let graph = try ONNXImporter.load(url: FixturePaths.url("digits_mlp.onnx"))
        let model = try facts.model("digits_mlp.onnx")
        #expect(graph.name == "digits_mlp")
        #expect(graph.opsetVersion == 13)
        #expect(graph.inputs == [ValueInfo(name: "input", elementType: .float32, shape: [.symbolic("batch"), .fixed(64)])])
        #expect(graph.outputs == [ValueInfo(name: "probabilities", elementType: .float32,
                                            shape: [.symbolic("batch"), .fixed(10)])])
        #expect(graph.nodes.map(\.opType) == ["Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"])
        #expect(graph.nodes.count == model.nodeCount)
        #expect(graph.nodes[0].name == "fc1")
        #expect(graph.nodes[0].inputs == ["input", "fc1.weight", "fc1.bias"])
        #expect(graph.nodes[0].attributes["transB"] == .int(1))
        #expect(graph.nodes[0].attributes["alpha"] == .float(1))
        #expect(graph.nodes[5].attributes["axis"] == .int(1))
        #expect(graph.initializers.count == 6)
        #expect(graph.initializers["fc1.weight"]?.shape == [128, 64])
        #expect(graph.initializers["fc2.weight"]?.shape == [64, 128])
        #expect(graph.initializers["fc3.weight"]?.shape == [10, 64])
        #expect(graph.initializers["fc3.bias"]?.shape == [10])
        expectInitializers(graph, match: model)
    }

    @Test func constantNodesBecomeInitializers() throws {
        let graph = try ONNXImporter.load(url: FixturePaths.url("constant_nodes.onnx"))
        let model = try facts.model("constant_nodes.onnx")
        #expect(graph.opsetVersion == 13)
        // The four Constant nodes are gone, the rest stays in file order.
        #expect(!graph.nodes.contains { $0.opType == "Constant" })
        #expect(graph.nodes.count == model.nodeCount - 4)
        #expect(graph.nodes.map(\.name) == [
            "w1_identity", "matmul_1", "add_bias", "relu_1", "dead_relu", "dead_sin", "dropout_1", "reshape_1",
            "flatten_1", "gemm_1", "add_offset", "softmax_1", "output_identity",
        ])
        // value (tensor, behind an Identity), value_floats, value_ints and value_float.
        #expect(graph.initializers["w1_raw"]?.shape == [12, 16])
        #expect(graph.initializers["b1"]?.shape == [16])
        #expect(graph.initializers["shape_1"] == ConstantTensor(shape: [3], int64s: [0, 4, -1]))
        #expect(graph.initializers["offset"] == ConstantTensor(shape: [], floats: [0.25]))
        // w2 is stored in the typed float_data field.
        #expect(graph.initializers["w2"]?.shape == [10, 16])
        expectInitializers(graph, match: model)
        #expect(graph.inputs.map(\.name) == ["x"])
        #expect(graph.inputs[0].shape == [.fixed(2), .fixed(12)])
        let gemm = try #require(graph.nodes.first { $0.name == "gemm_1" })
        #expect(gemm.attributes["alpha"] == .float(0.5))
        #expect(gemm.attributes["beta"] == .float(2))
        #expect(gemm.attributes["transB"] == .int(1))
    }

    @Test func externalData() throws {
        let graph = try ONNXImporter.load(url: FixturePaths.url("external_data.onnx"))
        let model = try facts.model("external_data.onnx")
        #expect(graph.initializers["W"]?.shape == [3, 4])
        #expect(graph.initializers["B"]?.shape == [3])
        expectInitializers(graph, match: model)
        // All 12 values of W are the file's first 48 bytes.
        let raw = try Data(contentsOf: FixturePaths.url("external_data.bin"))
        let expectedW = LittleEndian.floats(raw.prefix(48))
        #expect(graph.initializers["W"]?.floats == expectedW)
        #expect(graph.initializers["B"]?.floats == LittleEndian.floats(raw.subdata(in: 64..<76)))
    }

    @Test func externalDataEscapingTheFolderIsRejected() throws {
        let error = #expect(throws: ImportError.self) {
            try ONNXImporter.load(url: FixturePaths.url("external_escape.onnx"))
        }
        #expect(error == .externalDataPathNotAllowed(tensor: "W", location: "../Fixtures/external_data.bin"))
        #expect(error?.description.contains("'..'") == true)
    }

    @Test func externalDataWithAbsolutePathIsRejected() throws {
        let error = #expect(throws: ImportError.self) {
            try ONNXImporter.load(url: FixturePaths.url("external_absolute.onnx"))
        }
        #expect(error == .externalDataPathNotAllowed(tensor: "W", location: "/tmp/external_data.bin"))
    }

    @Test func externalDataFileMissing() throws {
        let error = #expect(throws: ImportError.self) {
            try ONNXImporter.load(url: FixturePaths.url("external_missing.onnx"))
        }
        guard case .externalDataFileMissing(let tensor, let path)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(tensor == "W")
        #expect(path.hasSuffix("Fixtures/missing_weights.bin"))
        #expect(error!.description.contains("missing_weights.bin"))
    }

    @Test func externalDataOutOfBounds() throws {
        let error = #expect(throws: ImportError.self) {
            try ONNXImporter.load(url: FixturePaths.url("external_out_of_bounds.onnx"))
        }
        #expect(error == .externalDataOutOfBounds(tensor: "W", location: "external_data.bin", offset: 64,
                                                  length: 48, fileSize: 76))
    }

    @Test func externalDataNeedsAFolder() throws {
        let data = try Data(contentsOf: FixturePaths.url("external_data.onnx"))
        let error = #expect(throws: ImportError.self) {
            try ONNXImporter.load(serializedData: data, modelDirectory: nil, displayName: "memory")
        }
        guard case .invalidExternalData(let tensor, _)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(tensor == "W")
    }

    @Test func softmaxOpset11() throws {
        let graph = try ONNXImporter.load(url: FixturePaths.url("softmax_opset11.onnx"))
        #expect(graph.opsetVersion == 11)
        #expect(graph.inputs[0].shape == [.fixed(2), .fixed(3), .fixed(4)])
        expectInitializers(graph, match: try facts.model("softmax_opset11.onnx"))
    }

    @Test func dynamicShapes() throws {
        let noShape = try ONNXImporter.load(url: FixturePaths.url("no_shape_input.onnx"))
        #expect(noShape.inputs == [ValueInfo(name: "x", elementType: .float32, shape: nil)])
        let symbolic = try ONNXImporter.load(url: FixturePaths.url("symbolic_dims.onnx"))
        #expect(symbolic.inputs[0].shape == [.symbolic("batch"), .symbolic("features")])
        #expect(symbolic.outputs[0].shape == [.symbolic("batch"), .fixed(3)])
        for (file, model) in facts.models {
            let graph = try ONNXImporter.load(url: FixturePaths.url(file))
            #expect(graph.opsetVersion == model.opset, "\(file)")
            #expect(Set(graph.inputs.map(\.name)) == Set(model.inputs.keys), "\(file)")
            for input in graph.inputs {
                #expect(input.shape == shape(model.inputs[input.name] ?? nil), "\(file) \(input.name)")
            }
        }
    }

    @Test func unsupportedOpImportsFine() throws {
        // Import keeps any operator; lowering rejects it.
        let graph = try ONNXImporter.load(url: FixturePaths.url("unsupported_op.onnx"))
        #expect(graph.nodes.map(\.opType) == ["MatMul", "Sin", "Relu"])
        #expect(graph.nodes[1].name == "sin_1")
    }

    @Test func missingFile() throws {
        let url = FixturePaths.url("no_such_model.onnx")
        let error = #expect(throws: ImportError.self) { try ONNXImporter.load(url: url) }
        #expect(error == .fileNotFound(path: url.path))
        #expect(error?.description == "file not found: \(url.path)")
    }

    @Test func notAnONNXFile() throws {
        let url = FixturePaths.url("not_a_model.onnx")
        let error = #expect(throws: ImportError.self) { try ONNXImporter.load(url: url) }
        guard case .notAnONNXModel(let path, let reason)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(path == url.path)
        #expect(reason == "it is a text file, not a protobuf message")
        #expect(error!.description.hasPrefix("\(url.path) is not an ONNX model"))
        // A NumPy file is not a model either.
        let npz = FixturePaths.url("digits_test.npz")
        #expect(throws: ImportError.notAnONNXModel(
            path: npz.path, reason: "it is a ZIP archive (a NumPy .npz?), not a protobuf message")) {
            try ONNXImporter.load(url: npz)
        }
        // Bytes that decode as a protobuf but hold no graph.
        let noGraph = #expect(throws: ImportError.self) {
            try ONNXImporter.load(serializedData: Data([0x08, 0x07]), modelDirectory: nil, displayName: "m")
        }
        #expect(noGraph == .notAnONNXModel(path: "m", reason: "it has no graph (is it an ONNX file?)"))
        // Nor is an empty file.
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("ws-empty-\(UUID()).onnx")
        try Data().write(to: empty)
        defer { try? FileManager.default.removeItem(at: empty) }
        let emptyError = #expect(throws: ImportError.self) { try ONNXImporter.load(url: empty) }
        #expect(emptyError == .notAnONNXModel(path: empty.path, reason: "the file is empty"))
    }

    // MARK: Hand-made models (through the generated protobuf types)

    func model(initializers: [Onnx_TensorProto], nodes: [Onnx_NodeProto] = []) -> Data {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = 13
        model.opsetImport = [opset]
        var graph = Onnx_GraphProto()
        graph.name = "test"
        graph.initializer = initializers
        graph.node = nodes
        model.graph = graph
        return try! model.serializedBytes()
    }

    func tensor(_ name: String, type: Onnx_TensorProto.DataType, dims: [Int64]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(type.rawValue)
        t.dims = dims
        return t
    }

    @Test func unsupportedTensorDataType() throws {
        var t = tensor("half_weights", type: .float16, dims: [2])
        t.rawData = Data([0, 0x3C, 0, 0x40])
        let error = #expect(throws: ImportError.self) {
            try ONNXImporter.load(serializedData: model(initializers: [t]), modelDirectory: nil, displayName: "m")
        }
        #expect(error == .unsupportedTensorDataType(tensor: "half_weights", dataType: "float16"))
        #expect(error?.description.contains("'half_weights'") == true)
        #expect(error?.description.contains("float16") == true)
    }

    @Test func typedAndRawDataOfEveryReadType() throws {
        var f64 = tensor("f64", type: .double, dims: [2])
        f64.doubleData = [0.5, -1.25]
        var f64raw = tensor("f64raw", type: .double, dims: [1])
        f64raw.rawData = LittleEndian.bytes([3.5] as [Double])
        var i32 = tensor("i32", type: .int32, dims: [3])
        i32.int32Data = [-7, 0, 7]
        var i32raw = tensor("i32raw", type: .int32, dims: [2])
        i32raw.rawData = LittleEndian.bytes([Int32(-2), 9])
        var i64 = tensor("i64", type: .int64, dims: [1, 2])
        i64.int64Data = [1 << 40, -3]
        var f32raw = tensor("f32raw", type: .float, dims: [2, 1])
        f32raw.rawData = LittleEndian.bytes([Float(1.5), -0.75])
        var empty = tensor("empty", type: .float, dims: [0, 4])
        empty.rawData = Data()
        let graph = try ONNXImporter.load(
            serializedData: model(initializers: [f64, f64raw, i32, i32raw, i64, f32raw, empty]), modelDirectory: nil,
            displayName: "m")
        #expect(graph.initializers["f64"] == ConstantTensor(shape: [2], floats: [0.5, -1.25]))
        #expect(graph.initializers["f64raw"] == ConstantTensor(shape: [1], floats: [3.5]))
        #expect(graph.initializers["i32"] == ConstantTensor(shape: [3], int64s: [-7, 0, 7]))
        #expect(graph.initializers["i32raw"] == ConstantTensor(shape: [2], int64s: [-2, 9]))
        #expect(graph.initializers["i64"] == ConstantTensor(shape: [1, 2], int64s: [1 << 40, -3]))
        #expect(graph.initializers["f32raw"] == ConstantTensor(shape: [2, 1], floats: [1.5, -0.75]))
        #expect(graph.initializers["empty"] == ConstantTensor(shape: [0, 4], floats: []))
    }

    @Test func tensorDataThatDoesNotMatchItsShape() throws {
        var short = tensor("short", type: .float, dims: [3])
        short.rawData = Data(count: 8)
        let error = #expect(throws: ImportError.self) {
            try ONNXImporter.load(serializedData: model(initializers: [short]), modelDirectory: nil, displayName: "m")
        }
        guard case .invalidTensor(let name, let reason)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(name == "short")
        #expect(reason.contains("8 bytes") && reason.contains("12"))

        var typed = tensor("typed", type: .float, dims: [2, 2])
        typed.floatData = [1, 2, 3]
        #expect(throws: ImportError.self) {
            try ONNXImporter.load(serializedData: model(initializers: [typed]), modelDirectory: nil, displayName: "m")
        }
    }

    @Test func constantNodeValueKinds() throws {
        func constant(_ output: String, _ configure: (inout Onnx_AttributeProto) -> Void) -> Onnx_NodeProto {
            var node = Onnx_NodeProto()
            node.opType = "Constant"
            node.name = "const_" + output
            node.output = [output]
            var attribute = Onnx_AttributeProto()
            configure(&attribute)
            node.attribute = [attribute]
            return node
        }
        var t = tensor("", type: .float, dims: [2])
        t.floatData = [4, 5]
        let nodes = [
            constant("a") { $0.name = "value"; $0.type = .tensor; $0.t = t },
            constant("b") { $0.name = "value_float"; $0.type = .float; $0.f = 1.5 },
            constant("c") { $0.name = "value_floats"; $0.type = .floats; $0.floats = [1, 2, 3] },
            constant("d") { $0.name = "value_int"; $0.type = .int; $0.i = -4 },
            constant("e") { $0.name = "value_ints"; $0.type = .ints; $0.ints = [2, -1] },
        ]
        let graph = try ONNXImporter.load(serializedData: model(initializers: [], nodes: nodes), modelDirectory: nil,
                                          displayName: "m")
        #expect(graph.nodes.isEmpty)
        #expect(graph.initializers == [
            "a": ConstantTensor(shape: [2], floats: [4, 5]),
            "b": ConstantTensor(shape: [], floats: [1.5]),
            "c": ConstantTensor(shape: [3], floats: [1, 2, 3]),
            "d": ConstantTensor(shape: [], int64s: [-4]),
            "e": ConstantTensor(shape: [2], int64s: [2, -1]),
        ])

        let bad = constant("s") { $0.name = "value_string"; $0.type = .string; $0.s = Data("hi".utf8) }
        let error = #expect(throws: ImportError.self) {
            try ONNXImporter.load(serializedData: model(initializers: [], nodes: [bad]), modelDirectory: nil,
                                  displayName: "m")
        }
        #expect(error == .unsupportedTensorDataType(tensor: "s", dataType: "string"))
    }

    @Test func graphInputsThatAreInitializersAreNotInputs() throws {
        var data = Onnx_ModelProto()
        data.irVersion = 3
        var g = Onnx_GraphProto()
        var w = tensor("w", type: .float, dims: [1])
        w.floatData = [2]
        g.initializer = [w]
        func info(_ name: String) -> Onnx_ValueInfoProto {
            var v = Onnx_ValueInfoProto()
            v.name = name
            var type = Onnx_TypeProto()
            var tensorType = Onnx_TypeProto.Tensor()
            tensorType.elemType = 1
            var shape = Onnx_TensorShapeProto()
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = 1
            shape.dim = [dim, Onnx_TensorShapeProto.Dimension()]
            tensorType.shape = shape
            type.tensorType = tensorType
            v.type = type
            return v
        }
        g.input = [info("x"), info("w")]
        data.graph = g
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = "ai.onnx"
        opset.version = 9
        data.opsetImport = [opset]
        let graph = try ONNXImporter.load(serializedData: try data.serializedBytes(), modelDirectory: nil,
                                          displayName: "m")
        #expect(graph.inputs == [ValueInfo(name: "x", elementType: .float32, shape: [.fixed(1), .symbolic("")])])
        #expect(graph.opsetVersion == 9)
    }
}
