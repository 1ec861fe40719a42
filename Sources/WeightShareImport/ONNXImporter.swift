import Foundation
import SwiftProtobuf
import WeightShareCore

/// Reads an ONNX model file into a ``Graph``.
///
/// - Initializers are read from `raw_data` (little-endian) or the typed fields (`float_data`, `double_data`,
///   `int64_data`, `int32_data`), and from external data files next to the model. float32/float64 become `Float`,
///   int64/int32 become `Int64`; any other element type is an ``ImportError/unsupportedTensorDataType(tensor:dataType:)``.
/// - `Constant` nodes (attribute `value`, `value_float(s)`, `value_int(s)`) become initializers named after their
///   output; the nodes themselves are removed.
/// - Graph inputs that are also initializers are not graph inputs.
/// - The opset is that of the default domain (`""` or `"ai.onnx"`); it must lie in ``supportedOpsets``, and the
///   default domain may be imported only once.
///
/// Every problem is an ``ImportError`` that names the file, tensor or node.
public enum ONNXImporter {
    /// Default-domain opsets accepted. Opset 1 is the first; ONNX adds about two a year (opset 21 came with ONNX
    /// 1.16 in 2024), so the bound leaves room for files from newer exporters while a damaged number (0, negative,
    /// 2^31 − 1) is refused. A model without a default-domain import is read as opset 1.
    public static let supportedOpsets: ClosedRange<Int> = 1...64

    /// Loads the model at `url`; external data is read relative to the model's folder.
    public static func load(url: URL) throws -> Graph {
        let path = url.path
        let data = try readImportFile(url)
        if data.isEmpty {
            throw ImportError.notAnONNXModel(path: path, reason: "the file is empty")
        }
        return try load(serializedData: data, modelDirectory: url.deletingLastPathComponent(), displayName: path)
    }

    /// Decodes a serialized ONNX `ModelProto`.
    ///
    /// - Parameters:
    ///   - modelDirectory: the folder external data locations are relative to; nil rejects external data.
    ///   - displayName: how messages refer to the model (usually its path).
    public static func load(serializedData data: Data, modelDirectory: URL?, displayName: String) throws -> Graph {
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.discardUnknownFields = true
            model = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw ImportError.notAnONNXModel(path: displayName, reason: Self.sniff(data)
                ?? "its bytes do not decode as an ONNX protobuf message (\(error))")
        }
        guard model.hasIrVersion, model.irVersion > 0, model.hasGraph else {
            throw ImportError.notAnONNXModel(
                path: displayName,
                reason: model.hasGraph ? "it has no IR version" : "it has no graph (is it an ONNX file?)")
        }
        let decoder = ONNXTensorDecoder(modelDirectory: modelDirectory)
        return try GraphBuilder(decoder: decoder).build(model)
    }

    /// What a file that is not a protobuf looks like, for the error message.
    static func sniff(_ data: Data) -> String? {
        let head = [UInt8](data.prefix(512))
        if head.starts(with: Array("PK".utf8)) { return "it is a ZIP archive (a NumPy .npz?), not a protobuf message" }
        if head.starts(with: NumPy.magic) { return "it is a NumPy .npy array, not a protobuf message" }
        if !head.isEmpty, head.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return "it is a text file, not a protobuf message"
        }
        return nil
    }
}

/// Spelling used in the design notes.
public typealias OnnxImporter = ONNXImporter

/// Turns a decoded `ModelProto` into a ``Graph``.
struct GraphBuilder {
    let decoder: ONNXTensorDecoder

    func build(_ model: Onnx_ModelProto) throws -> Graph {
        try build(model.graph, opset: try Self.defaultOpset(model.opsetImport), depth: 0)
    }

    /// Subgraphs nested deeper than this are refused (no real model nests `If`s this deep; a damaged or hostile
    /// file must not exhaust the stack).
    static let maxSubgraphDepth = 16

    /// The graph `g` (the model's, or a subgraph at nesting `depth`).
    func build(_ g: Onnx_GraphProto, opset: Int, depth: Int) throws -> Graph {
        var initializers: [String: ConstantTensor] = [:]

        if let sparse = g.sparseInitializer.first {
            let name = sparse.values.name.isEmpty ? sparse.indices.name : sparse.values.name
            throw ImportError.unsupportedTensorFeature(tensor: name, feature: "a sparse initializer")
        }
        for tensor in g.initializer {
            guard !tensor.name.isEmpty else {
                throw ImportError.invalidTensor(tensor: "(unnamed)", reason: "an initializer has no name")
            }
            guard initializers[tensor.name] == nil else {
                throw ImportError.duplicateTensorName(name: tensor.name)
            }
            initializers[tensor.name] = try decoder.decode(tensor, name: tensor.name)
        }

        var nodes: [Node] = []
        nodes.reserveCapacity(g.node.count)
        for (index, proto) in g.node.enumerated() {
            let label = Self.label(proto, index: index)
            if proto.opType == "Constant" && isDefaultOperatorDomain(proto.domain) {
                let (name, value) = try constantValue(proto, label: label)
                guard initializers[name] == nil else { throw ImportError.duplicateTensorName(name: name) }
                initializers[name] = value
                continue
            }
            var attributes: [String: AttributeValue] = [:]
            for attribute in proto.attribute {
                if let value = try convert(attribute, node: label, opset: opset, depth: depth) {
                    attributes[attribute.name] = value
                }
            }
            nodes.append(Node(name: proto.name, opType: proto.opType, domain: proto.domain, inputs: proto.input,
                              outputs: proto.output, attributes: attributes))
        }

        let inputs = g.input.filter { initializers[$0.name] == nil }.map(Self.valueInfo)
        let outputs = g.output.map(Self.valueInfo)
        return Graph(name: g.name, opsetVersion: opset, inputs: inputs, outputs: outputs, nodes: nodes,
                     initializers: initializers)
    }

    /// The default domain's opset version (1 when the model does not import it); an import outside
    /// ``ONNXImporter/supportedOpsets`` or a second, different import of the default domain is refused.
    static func defaultOpset(_ imports: [Onnx_OperatorSetIdProto]) throws -> Int {
        var found: (domain: String, version: Int64)?
        for entry in imports where isDefaultOperatorDomain(entry.domain) {
            let supported = ONNXImporter.supportedOpsets
            guard entry.version >= Int64(supported.lowerBound), entry.version <= Int64(supported.upperBound) else {
                throw ImportError.unsupportedOpset(domain: entry.domain, version: entry.version,
                                                   supported: supported)
            }
            if let found, found.version != entry.version {
                throw ImportError.invalidOpsetImport(
                    reason: "the default domain is imported twice, as '\(found.domain)' version \(found.version) "
                        + "and as '\(entry.domain)' version \(entry.version)")
            }
            found = (entry.domain, entry.version)
        }
        return found.map { Int($0.version) } ?? 1
    }

    /// How messages refer to a node: its name, or its op type and position when it has none.
    static func label(_ node: Onnx_NodeProto, index: Int) -> String {
        node.name.isEmpty ? "#\(index) (\(node.opType))" : node.name
    }

    /// The output name and value of a `Constant` node.
    private func constantValue(_ node: Onnx_NodeProto, label: String) throws -> (String, ConstantTensor) {
        guard node.output.count == 1, let output = node.output.first, !output.isEmpty else {
            throw ImportError.invalidConstantNode(node: label, reason: "it must have exactly one output")
        }
        guard node.attribute.count == 1, let attribute = node.attribute.first else {
            throw ImportError.invalidConstantNode(
                node: label, reason: "it must have exactly one value attribute, has \(node.attribute.count)")
        }
        switch attribute.name {
        case "value":
            guard attribute.hasT else {
                throw ImportError.invalidConstantNode(node: label, reason: "attribute 'value' holds no tensor")
            }
            return (output, try decoder.decode(attribute.t, name: output))
        case "value_float":
            return (output, ConstantTensor(shape: [], floats: [attribute.f]))
        case "value_floats":
            return (output, ConstantTensor(shape: [attribute.floats.count], floats: attribute.floats))
        case "value_int":
            return (output, ConstantTensor(shape: [], int64s: [attribute.i]))
        case "value_ints":
            return (output, ConstantTensor(shape: [attribute.ints.count], int64s: attribute.ints))
        case "sparse_value":
            throw ImportError.unsupportedTensorFeature(tensor: output, feature: "a sparse Constant value")
        case "value_string", "value_strings":
            throw ImportError.unsupportedTensorDataType(tensor: output, dataType: "string")
        default:
            throw ImportError.invalidConstantNode(node: label, reason: "unknown attribute '\(attribute.name)'")
        }
    }

    /// A node attribute as an ``AttributeValue``; nil for kinds the IR does not hold (lists of graphs, type protos).
    private func convert(_ a: Onnx_AttributeProto, node: String, opset: Int, depth: Int) throws -> AttributeValue? {
        var type = a.type
        if !a.hasType || type == .undefined {
            // Old exporters leave `type` unset: infer it from the field that holds a value.
            if a.hasF { type = .float } else if a.hasI { type = .int } else if a.hasS { type = .string }
            else if a.hasT { type = .tensor } else if !a.floats.isEmpty { type = .floats }
            else if !a.ints.isEmpty { type = .ints } else if !a.strings.isEmpty { type = .strings }
            else if a.hasG { type = .graph }
        }
        switch type {
        case .float: return .float(a.f)
        case .int: return .int(Int(a.i))
        case .string: return .string(String(decoding: a.s, as: UTF8.self))
        case .tensor:
            let name = a.t.name.isEmpty ? "\(node).\(a.name)" : a.t.name
            return .tensor(try decoder.decode(a.t, name: name))
        case .floats: return .floats(a.floats)
        case .ints: return .ints(a.ints.map { Int($0) })
        case .strings: return .strings(a.strings.map { String(decoding: $0, as: UTF8.self) })
        case .graph:
            guard depth < Self.maxSubgraphDepth else {
                throw ImportError.invalidTensor(
                    tensor: "\(node).\(a.name)",
                    reason: "subgraphs are nested more than \(Self.maxSubgraphDepth) deep")
            }
            return .graph(try build(a.g, opset: opset, depth: depth + 1))
        default: return nil
        }
    }

    static func valueInfo(_ proto: Onnx_ValueInfoProto) -> ValueInfo {
        guard case .tensorType(let tensor)? = proto.type.value else {
            return ValueInfo(name: proto.name, elementType: .other, shape: nil)
        }
        let shape: [WeightShareCore.Dimension]? = tensor.hasShape ? tensor.shape.dim.map { dim in
            switch dim.value {
            case .dimValue(let v)?: return v >= 0 ? .fixed(Int(v)) : .symbolic("")
            case .dimParam(let p)?: return .symbolic(p)
            case nil: return .symbolic("")
            }
        } : nil
        return ValueInfo(name: proto.name, elementType: elementType(tensor.elemType), shape: shape)
    }

    static func elementType(_ onnxType: Int32) -> ElementType {
        switch Onnx_TensorProto.DataType(rawValue: Int(onnxType)) {
        case .float?: return .float32
        case .double?: return .float64
        case .float16?: return .float16
        case .int64?: return .int64
        case .int32?: return .int32
        case .int8?: return .int8
        case .uint8?: return .uint8
        case .bool?: return .bool
        default: return .other
        }
    }
}
