import Foundation

/// The front as CSV and as an SVG plot (score against packed weight bytes, before and after merging).
public enum ParetoExport {
    public static let csvHeader =
        "id,k,m,bit_width,score,loss_points,packed_weight_bytes,cr_fixed,cr_huffman,merged,searched_m,searched_score," +
        "scale_mode,scale_stat,clip_low,clip_high,outliers,scales"

    public static func csv(_ report: ParetoReport) -> String {
        var lines = [csvHeader]
        for s in report.solutions {
            let r = s.result
            let columns = [String(s.id), String(s.k), String(r.m), String(r.bitWidth), fmt(r.score, 6),
                           fmt(r.loss * 100, 4), String(r.packedWeightBytes), fmt(r.compressionRatioFixed, 4),
                           fmt(r.compressionRatioHuffman, 4), s.merged ? "1" : "0", String(s.searched.m),
                           fmt(s.searched.score, 6)]
            lines.append((columns + encodingColumns(s)).joined(separator: ","))
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

    public static func svg(_ report: ParetoReport) -> String {
        let (w, h, margin) = (640.0, 420.0, 60.0)
        let points = report.solutions.flatMap { [$0.searched, $0.result] }
        let xs = points.map { Double($0.packedWeightBytes) }
        let ys = points.map(\.score) + [report.floatScore]
        let (x0, x1) = (0.0, (xs.max() ?? 1) * 1.05)
        let (y0, y1) = ((ys.min() ?? 0) - 0.01, min(1.0, (ys.max() ?? 1) + 0.01))
        func px(_ x: Double) -> Double { margin + (x - x0) / max(x1 - x0, 1e-9) * (w - 2 * margin) }
        func py(_ y: Double) -> Double { h - margin - (y - y0) / max(y1 - y0, 1e-9) * (h - 2 * margin) }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(w / 2))" y="20" text-anchor="middle" font-size="14">\(escape(URL(fileURLWithPath: report.model).lastPathComponent)): \(report.metric) vs packed weight bytes</text>
        <line x1="\(margin)" y1="\(h - margin)" x2="\(w - margin)" y2="\(h - margin)" stroke="black"/>
        <line x1="\(margin)" y1="\(margin)" x2="\(margin)" y2="\(h - margin)" stroke="black"/>
        <text x="\(Int(w / 2))" y="\(Int(h - 15))" text-anchor="middle">packed weight bytes (codebook, indices, scales, outliers)</text>
        <text x="15" y="\(Int(h / 2))" transform="rotate(-90 15 \(Int(h / 2)))" text-anchor="middle">\(report.metric)</text>
        <line x1="\(margin)" y1="\(fmt(py(report.floatScore), 1))" x2="\(w - margin)" y2="\(fmt(py(report.floatScore), 1))" stroke="gray" stroke-dasharray="4 3"/>
        <text x="\(w - margin)" y="\(fmt(py(report.floatScore) - 4, 1))" text-anchor="end" fill="gray">float \(fmt(report.floatScore, 4))</text>

        """
        for i in 0...4 {
            let x = x0 + (x1 - x0) * Double(i) / 4, y = y0 + (y1 - y0) * Double(i) / 4
            svg += "<text x=\"\(fmt(px(x), 1))\" y=\"\(fmt(h - margin + 16, 1))\" text-anchor=\"middle\">\(Int(x))</text>\n"
            svg += "<text x=\"\(fmt(margin - 6, 1))\" y=\"\(fmt(py(y) + 4, 1))\" text-anchor=\"end\">\(fmt(y, 3))</text>\n"
        }
        for s in report.solutions {
            let a = s.searched, b = s.result
            if s.merged {
                svg += "<line x1=\"\(fmt(px(Double(a.packedWeightBytes)), 1))\" y1=\"\(fmt(py(a.score), 1))\" x2=\"\(fmt(px(Double(b.packedWeightBytes)), 1))\" y2=\"\(fmt(py(b.score), 1))\" stroke=\"#bbb\"/>\n"
            }
            svg += "<circle cx=\"\(fmt(px(Double(a.packedWeightBytes)), 1))\" cy=\"\(fmt(py(a.score), 1))\" r=\"4\" fill=\"none\" stroke=\"#1f77b4\"><title>#\(s.id) K=\(s.k) M=\(a.m) searched</title></circle>\n"
            if s.merged {
                svg += "<circle cx=\"\(fmt(px(Double(b.packedWeightBytes)), 1))\" cy=\"\(fmt(py(b.score), 1))\" r=\"4\" fill=\"#d62728\"><title>#\(s.id) K=\(s.k) M=\(b.m) merged</title></circle>\n"
            }
        }
        svg += "<text x=\"\(w - margin)\" y=\"\(margin)\" text-anchor=\"end\"><tspan fill=\"#1f77b4\">○ searched</tspan>  <tspan fill=\"#d62728\">● merged</tspan></text>\n"
        return svg + "</svg>\n"
    }

    static func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
