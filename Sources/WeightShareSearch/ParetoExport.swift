import Foundation

/// The front as CSV and as an SVG plot (score against packed weight bytes, before and after merging).
public enum ParetoExport {
    public static let csvHeader =
        "id,k,m,bit_width,score,loss_points,packed_weight_bytes,cr_fixed,cr_huffman,merged,searched_m,searched_score," +
        "scale_mode,scale_stat,clip_low,clip_high,outliers,scales,selection_score,selection_loss_points,selection_upper_points"

    public static func csv(_ report: ParetoReport) -> String {
        var lines = [csvHeader]
        for s in report.solutions {
            let r = s.result
            let columns = [String(s.id), String(s.k), String(r.m), String(r.bitWidth), fmt(r.score, 6),
                           fmt(r.loss * 100, 4), String(r.packedWeightBytes), fmt(r.compressionRatioFixed, 4),
                           fmt(r.compressionRatioHuffman, 4), s.merged ? "1" : "0", String(s.searched.m),
                           fmt(s.searched.score, 6)]
            let selection = s.selection.map { [fmt($0.score, 6), fmt($0.loss * 100, 4), fmt($0.lossUpper * 100, 4)] }
                ?? ["", "", ""]
            lines.append((columns + encodingColumns(s) + selection).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Scale mode and statistic (names), clip fractions, outlier and scale counts of the final encoding.
    static func encodingColumns(_ s: Solution) -> [String] {
        let genes = s.encodingGenes
        let mode = genes.normalization.mode
        return [mode.rawValue, mode == .none ? "" : genes.normalization.statistic.rawValue, fmt(genes.clipLow, 4),
                fmt(genes.clipHigh, 4), String(s.result.outliers ?? 0), String(s.result.scales ?? 0)]
    }

    /// Loss in points (float score minus score; lower is better) against packed weight bytes: each solution's
    /// loss on the search data (hollow before merging, filled after) and, when the run has a selection split, on
    /// it (diamond) with the one-sided upper confidence bound as a bar; labels are solution ids. The loss axis
    /// covers the useful part of the front: losses above ``svgLossCap`` points (a useless 1-bit point) are drawn
    /// as triangles on the top edge with their value. The legend sits above the plot area, never over a point.
    public static func svg(_ report: ParetoReport) -> String {
        let (w, h, left, right, top, bottom) = (720.0, 460.0, 64.0, 24.0, 70.0, 50.0)
        let points = report.solutions.flatMap { [$0.searched, $0.result] }
        let xs = points.map { Double($0.packedWeightBytes) }
        var losses = points.map { $0.loss * 100 }
        losses += report.solutions.compactMap { $0.selection.map { [$0.loss * 100, $0.lossUpper * 100] } }.flatMap { $0 }
        let useful = losses.filter { $0 <= svgLossCap }
        let (x0, x1) = (0.0, (xs.max() ?? 1) * 1.05)
        let y0 = min(0, (useful.min() ?? 0)) - 0.25
        let y1 = max(1.0, (useful.max() ?? 1)) + 0.25
        func px(_ x: Double) -> Double { left + (x - x0) / max(x1 - x0, 1e-9) * (w - left - right) }
        func py(_ y: Double) -> Double { h - bottom - (min(y, y1) - y0) / max(y1 - y0, 1e-9) * (h - top - bottom) }
        let name = escape(URL(fileURLWithPath: report.model).lastPathComponent)
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(w / 2))" y="18" text-anchor="middle" font-size="14">\(name): \(report.metric) loss vs packed weight bytes</text>
        <line x1="\(left)" y1="\(h - bottom)" x2="\(w - right)" y2="\(h - bottom)" stroke="black"/>
        <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(h - bottom)" stroke="black"/>
        <text x="\(Int((left + w - right) / 2))" y="\(Int(h - 12))" text-anchor="middle">packed weight bytes (codebook, indices, scales, outliers)</text>
        <text x="15" y="\(Int((top + h - bottom) / 2))" transform="rotate(-90 15 \(Int((top + h - bottom) / 2)))" text-anchor="middle">loss, points (float − score; lower is better)</text>
        <line x1="\(left)" y1="\(fmt(py(0), 1))" x2="\(w - right)" y2="\(fmt(py(0), 1))" stroke="gray" stroke-dasharray="4 3"/>
        <text x="\(w - right - 2)" y="\(fmt(py(0) - 4, 1))" text-anchor="end" fill="gray">float model (search \(fmt(report.floatScore, 4))\(report.selection.map { ", selection " + fmt($0.floatScore, 4) } ?? ""))</text>

        """
        for i in 0...4 {
            let x = x0 + (x1 - x0) * Double(i) / 4, y = y0 + (y1 - y0) * Double(i) / 4
            svg += "<text x=\"\(fmt(px(x), 1))\" y=\"\(fmt(h - bottom + 16, 1))\" text-anchor=\"middle\">\(Int(x))</text>\n"
            svg += "<text x=\"\(fmt(left - 6, 1))\" y=\"\(fmt(py(y) + 4, 1))\" text-anchor=\"end\">\(fmt(y, 2))</text>\n"
        }
        func mark(_ x: Double, _ loss: Double, _ body: (Double, Double) -> String) -> String {
            if loss > y1 {
                let (cx, cy) = (px(x), py(y1))
                return "<path d=\"M\(fmt(cx - 5, 1)) \(fmt(cy + 4, 1)) L\(fmt(cx + 5, 1)) \(fmt(cy + 4, 1)) L\(fmt(cx, 1)) \(fmt(cy - 4, 1)) Z\" fill=\"#888\"/><text x=\"\(fmt(cx, 1))\" y=\"\(fmt(cy + 16, 1))\" text-anchor=\"middle\" fill=\"#888\" font-size=\"10\">\(fmt(loss, 1))</text>"
            }
            return body(px(x), py(loss))
        }
        for s in report.solutions {
            let a = s.searched, b = s.result
            let bx = Double(b.packedWeightBytes)
            if s.merged, a.loss * 100 <= y1, b.loss * 100 <= y1 {
                svg += "<line x1=\"\(fmt(px(Double(a.packedWeightBytes)), 1))\" y1=\"\(fmt(py(a.loss * 100), 1))\" x2=\"\(fmt(px(bx), 1))\" y2=\"\(fmt(py(b.loss * 100), 1))\" stroke=\"#bbb\"/>\n"
            }
            if s.merged {
                svg += mark(Double(a.packedWeightBytes), a.loss * 100) { x, y in
                    "<circle cx=\"\(fmt(x, 1))\" cy=\"\(fmt(y, 1))\" r=\"4\" fill=\"none\" stroke=\"#1f77b4\"><title>#\(s.id) K=\(s.k) M=\(a.m) before merging: loss \(fmt(a.loss * 100, 2)) pts on the search data</title></circle>"
                } + "\n"
            }
            svg += mark(bx, b.loss * 100) { x, y in
                "<circle cx=\"\(fmt(x, 1))\" cy=\"\(fmt(y, 1))\" r=\"4\" fill=\"#1f77b4\"><title>#\(s.id) K=\(s.k) M=\(b.m): loss \(fmt(b.loss * 100, 2)) pts on the search data</title></circle>"
            } + "\n"
            if let sel = s.selection {
                let (l, u) = (sel.loss * 100, sel.lossUpper * 100)
                if l <= y1 {
                    let x = px(bx) + 6
                    svg += "<line x1=\"\(fmt(x, 1))\" y1=\"\(fmt(py(l), 1))\" x2=\"\(fmt(x, 1))\" y2=\"\(fmt(py(u), 1))\" stroke=\"#d62728\"/>"
                    svg += "<line x1=\"\(fmt(x - 3, 1))\" y1=\"\(fmt(py(u), 1))\" x2=\"\(fmt(x + 3, 1))\" y2=\"\(fmt(py(u), 1))\" stroke=\"#d62728\"/>"
                }
                svg += mark(bx, l) { x, y in
                    let x = x + 6
                    return "<path d=\"M\(fmt(x, 1)) \(fmt(y - 4, 1)) L\(fmt(x + 4, 1)) \(fmt(y, 1)) L\(fmt(x, 1)) \(fmt(y + 4, 1)) L\(fmt(x - 4, 1)) \(fmt(y, 1)) Z\" fill=\"#d62728\"><title>#\(s.id): loss \(fmt(l, 2)) pts on the selection data, \(fmt(sel.confidence * 100, 0)) % upper bound \(fmt(u, 2)) pts (\(sel.samples) samples)</title></path>"
                } + "\n"
            }
            if b.loss * 100 <= y1 {
                svg += "<text x=\"\(fmt(px(bx) - 6, 1))\" y=\"\(fmt(py(b.loss * 100) - 6, 1))\" text-anchor=\"end\" font-size=\"10\" fill=\"#333\">#\(s.id)</text>\n"
            }
        }
        var legend = "<tspan fill=\"#1f77b4\">● search data (○ before merging)</tspan>"
        if let sel = report.selection {
            legend += "   <tspan fill=\"#d62728\">◆ selection data, bar to the \(fmt(sel.confidence * 100, 0)) % upper bound (\(sel.samples) samples)</tspan>"
        }
        legend += "   <tspan fill=\"#888\">▲ loss above \(fmt(y1, 1)) pts</tspan>"
        svg += "<text x=\"\(left)\" y=\"\(fmt(top - 22, 1))\" font-size=\"11\">\(legend)</text>\n"
        return svg + "</svg>\n"
    }

    /// Losses above this many points lie outside the plotted range of ``svg(_:)``.
    public static let svgLossCap = 10.0

    static func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
