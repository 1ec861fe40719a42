import Foundation

extension LayerReport {
    /// The report as one self-contained HTML page (no scripts, fonts or images to fetch): the totals, a stacked
    /// bar chart of each operator's bytes (codebook share, indices, scales, outliers, raw constants), a bar chart
    /// of each operator's SQNR against the float model (when measured), and the full table.
    public func html() -> String {
        var page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>wsc report: \(Self.escape(URL(fileURLWithPath: wsm).lastPathComponent))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
        table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
        th, td { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: right; white-space: nowrap; }
        th:nth-child(-n+3), td:nth-child(-n+3) { text-align: left; }
        .legend span { display: inline-block; margin-right: 1.5em; }
        .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
        .note { color: #555; max-width: 60em; }
        </style></head><body>
        <h1>\(Self.escape(URL(fileURLWithPath: wsm).lastPathComponent))</h1>
        <p>source \(Self.escape(sourceName)) (SHA-256 \(Self.escape(sourceSHA256))); K=\(k), M=\(m), \(bitWidth)-bit indices</p>

        """
        page += "<h2>Totals</h2>\n<table>\n"
        var totalRows: [(String, String)] = [
            (".wsm bytes", "\(totals.wsmBytes)"),
            ("packed weight bytes (codebook + indices + scales + outliers)",
             "\(totals.packedWeightBytes) = \(totals.codebookBytes) + \(totals.indexBytes) + \(totals.scaleBytes) + \(totals.outlierBytes)"),
            ("raw constants (biases, epilogue vectors)", "\(totals.rawBytes)"),
            ("graph, plan, metadata, padding", "\(totals.containerBytes)"),
            ("shared weights", "\(totals.sharedWeights)"),
            ("MACs per inference", "\(totals.macs)"),
            ("arena bytes", "\(totals.arenaBytes)"),
        ]
        if totals.unattributedScales > 0 {
            totalRows.append(("scales multiplied into existing vectors (in no row)", "\(totals.unattributedScales)"))
        }
        if let timing, let ms = totals.estimatedMilliseconds {
            totalRows.append(("instructions per inference on \(timing.board)", "\(timing.inferenceInstructions)"))
            totalRows.append(("estimated cycles / ms at \(Self.mhz(timing.clockHz))",
                              "\(timing.inferenceInstructions) / " + String(format: "%.3f", ms)))
        }
        for (what, value) in totalRows {
            page += "<tr><th>\(Self.escape(what))</th><td>\(Self.escape(value))</td></tr>\n"
        }
        page += "</table>\n"

        page += "<h2>Bytes per operator</h2>\n" + bytesChart()
        if let errorSource {
            page += "<h2>Error per operator (SQNR against the float model)</h2>\n"
            page += "<p class=\"note\">\(errorSource.samples) samples of \(Self.escape(errorSource.data)) against "
                + "\(Self.escape(errorSource.model)); each operator's first output against the float model's tensor "
                + "of the same name, both run with the C runtime up to that operator. Higher is better; identical "
                + "outputs have no bar.</p>\n" + errorChart()
        }
        if let timing {
            page += "<p class=\"note\">Time: \(Self.escape(timing.method))</p>\n"
        }
        page += "<h2>Operators</h2>\n" + table() + "</body></html>\n"
        return page
    }

    static let colors = [("codebook share", "#4e79a7"), ("indices", "#f28e2b"), ("scales", "#59a14f"),
                         ("outliers", "#e15759"), ("raw constants", "#9c755f")]

    private func bytesChart() -> String {
        let rows = operators.map { op -> [Double] in
            [op.codebookBytes, op.indexBytes, Double(op.scaleBytes), Double(op.outlierBytes), Double(op.rawBytes)]
        }
        let largest = max(1, rows.map { $0.reduce(0, +) }.max() ?? 1)
        let labelWidth = 260.0, barWidth = 520.0, rowHeight = 18.0
        let height = rowHeight * Double(operators.count) + 10
        var svg = "<div class=\"legend\">" + Self.colors.map {
            "<span><i style=\"background:\($0.1)\"></i>\($0.0)</span>"
        }.joined() + "</div>\n"
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + barWidth + 120))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"bytes per operator\">\n"
        for (i, op) in operators.enumerated() {
            let y = Double(i) * rowHeight + 4
            svg += "<text x=\"0\" y=\"\(Self.num(y + 12))\" font-size=\"12\">\(Self.escape(Self.label(op)))</text>\n"
            var x = labelWidth
            for (part, value) in rows[i].enumerated() where value > 0 {
                let w = value / largest * barWidth
                svg += "<rect x=\"\(Self.num(x))\" y=\"\(Self.num(y))\" width=\"\(Self.num(w))\" height=\"\(Self.num(rowHeight - 4))\" fill=\"\(Self.colors[part].1)\"><title>\(Self.colors[part].0): \(String(format: "%.1f", value)) bytes</title></rect>\n"
                x += w
            }
            let total = rows[i].reduce(0, +)
            svg += "<text x=\"\(Self.num(x + 4))\" y=\"\(Self.num(y + 12))\" font-size=\"12\">\(String(format: "%.0f", total)) B</text>\n"
        }
        return svg + "</svg>\n"
    }

    private func errorChart() -> String {
        let values = operators.map { $0.error?.sqnrDB }
        let largest = max(1, values.compactMap { $0 }.map { max($0, 0) }.max() ?? 1)
        let labelWidth = 260.0, barWidth = 520.0, rowHeight = 18.0
        let height = rowHeight * Double(operators.count) + 10
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + barWidth + 160))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"SQNR per operator\">\n"
        for (i, op) in operators.enumerated() {
            let y = Double(i) * rowHeight + 4
            svg += "<text x=\"0\" y=\"\(Self.num(y + 12))\" font-size=\"12\">\(Self.escape(Self.label(op)))</text>\n"
            let text: String
            var end = labelWidth
            if let e = op.error {
                if let sqnr = e.sqnrDB {
                    let w = max(0, sqnr) / largest * barWidth
                    svg += "<rect x=\"\(Self.num(labelWidth))\" y=\"\(Self.num(y))\" width=\"\(Self.num(w))\" height=\"\(Self.num(rowHeight - 4))\" fill=\"#76b7b2\"><title>\(String(format: "%.2f", sqnr)) dB, cosine \(String(format: "%.6f", e.meanCosine))</title></rect>\n"
                    end += w
                    text = String(format: "%.1f dB, cos %.5f", sqnr, e.meanCosine)
                } else {
                    text = e.identical ? "identical" : "not finite"
                }
            } else {
                text = "no float counterpart"
            }
            svg += "<text x=\"\(Self.num(end + 4))\" y=\"\(Self.num(y + 12))\" font-size=\"12\">\(Self.escape(text))</text>\n"
        }
        return svg + "</svg>\n"
    }

    private func table() -> String {
        var header = ["#", "op", "name", "output", "shared", "codebook B", "index B", "scales", "outliers", "raw B",
                      "MACs", "arena peak", "SQNR dB", "cosine"]
        if timing != nil { header += ["instructions", "est. µs"] }
        var html = "<table>\n<tr>" + header.map { "<th>\(Self.escape($0))</th>" }.joined() + "</tr>\n"
        for op in operators {
            var cells = [String(op.index), op.opcode, op.name, op.outputShapes.first.map(Self.shape) ?? "",
                         String(op.sharedWeights), String(format: "%.1f", op.codebookBytes),
                         String(format: "%.1f", op.indexBytes), String(op.scales), String(op.outliers),
                         String(op.rawBytes), String(op.macs), String(op.arenaPeakBytes),
                         op.error.map { e in e.sqnrDB.map { String(format: "%.2f", $0) } ?? (e.identical ? "identical" : "n/a") } ?? "",
                         op.error.map { String(format: "%.6f", $0.meanCosine) } ?? ""]
            if timing != nil {
                cells += [op.instructions.map(String.init) ?? "", op.estimatedMicroseconds.map { String(format: "%.1f", $0) } ?? ""]
            }
            html += "<tr>" + cells.map { "<td>\(Self.escape($0))</td>" }.joined() + "</tr>\n"
        }
        return html + "</table>\n"
    }

    static func label(_ op: Operator) -> String {
        let name = op.name.count > 28 ? String(op.name.prefix(27)) + "…" : op.name
        return "\(op.index) \(op.opcode) \(name)"
    }

    static func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ",") + "]" }

    static func num(_ x: Double) -> String { String(format: "%.1f", x) }

    static func mhz(_ hz: UInt64) -> String { String(format: "%g MHz", Double(hz) / 1e6) }

    /// Text for HTML (element content and attribute values).
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
