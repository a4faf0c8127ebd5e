import Foundation

/// A line chart by epoch written as a standalone SVG file: a left axis for
/// losses and, optionally, a right axis for accuracies, with a legend (the
/// plot D2L's `Animator` draws while training).
struct SVGPlot {
    /// One line of the chart.
    struct Series {
        let name: String
        let values: [Double]
        let color: String
        /// Whether the line is measured on the right (accuracy) axis.
        let onRightAxis: Bool
        let dashed: Bool
    }

    let title: String
    let series: [Series]
    let leftLabel: String
    let rightLabel: String?

    private let width = 640.0, height = 400.0
    private let margin = (left: 64.0, right: 64.0, top: 40.0, bottom: 52.0)

    /// Ticks from `lo` up to the first "nice" value at or above `hi`, with a
    /// step of 1, 2 or 5 times a power of ten, so the axis ends on a tick.
    static func ticks(from lo: Double, to hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let power = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        let steps = Int(((hi - lo) / step - 1e-9).rounded(.up))
        return (0...steps).map { lo + Double($0) * step }
    }

    /// A tick label without trailing zeros: `0.5`, `2`, `0.25`.
    static func label(_ value: Double, step: Double) -> String {
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        return String(format: "%.\(decimals)f", value)
    }

    /// The SVG document.
    func render() -> String {
        let plotWidth = width - margin.left - margin.right, plotHeight = height - margin.top - margin.bottom
        let epochs = series.map(\.values.count).max() ?? 0
        let left = series.filter { !$0.onRightAxis }.flatMap(\.values).filter(\.isFinite)
        let leftTicks = Self.ticks(from: 0, to: max(left.max() ?? 1, 1e-9))
        let leftTop = leftTicks.last ?? 1
        let rightTicks = Self.ticks(from: 0, to: 1)

        func x(_ epoch: Int) -> Double {
            margin.left + (epochs <= 1 ? plotWidth / 2 : Double(epoch) / Double(epochs - 1) * plotWidth)
        }
        func y(_ value: Double, right: Bool) -> Double {
            margin.top + plotHeight * (1 - value / (right ? 1 : leftTop))
        }
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="24" text-anchor="middle" font-size="15">\(escape(title))</text>

        """
        // Grid and left axis.
        let leftStep = leftTicks.count > 1 ? leftTicks[1] - leftTicks[0] : 1
        for t in leftTicks {
            let yy = f(y(t, right: false))
            svg += "<line x1=\"\(f(margin.left))\" y1=\"\(yy)\" x2=\"\(f(width - margin.right))\" y2=\"\(yy)\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(f(margin.left - 6))\" y=\"\(yy)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Self.label(t, step: leftStep))</text>\n"
        }
        if rightLabel != nil {
            for t in rightTicks {
                svg += "<text x=\"\(f(width - margin.right + 6))\" y=\"\(f(y(t, right: true)))\" dominant-baseline=\"middle\">\(Int((t * 100).rounded()))%</text>\n"
            }
        }
        // X ticks: about ten, at whole epochs (1-based).
        let xStep = max(1, Int((Double(epochs) / 10).rounded(.up)))
        for e in stride(from: 0, to: epochs, by: xStep) {
            svg += "<text x=\"\(f(x(e)))\" y=\"\(f(height - margin.bottom + 18))\" text-anchor=\"middle\">\(e + 1)</text>\n"
        }
        // Frame and axis titles.
        svg += "<rect x=\"\(f(margin.left))\" y=\"\(f(margin.top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
        svg += "<text x=\"\(f(margin.left + plotWidth / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">epoch</text>\n"
        svg += "<text transform=\"translate(16 \(f(margin.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(leftLabel))</text>\n"
        if let rightLabel {
            svg += "<text transform=\"translate(\(f(width - 14)) \(f(margin.top + plotHeight / 2))) rotate(90)\" text-anchor=\"middle\">\(escape(rightLabel))</text>\n"
        }
        // Lines, with a dot per epoch.
        for s in series {
            let points = s.values.enumerated().filter { $0.element.isFinite }
                .map { "\(f(x($0.offset))),\(f(y($0.element, right: s.onRightAxis)))" }
            let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
            svg += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash) points=\"\(points.joined(separator: " "))\"/>\n"
            for p in points {
                let xy = p.split(separator: ",")
                svg += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(s.color)\"/>\n"
            }
        }
        // Legend, mid-height on the right, between falling losses and rising accuracies.
        let legendTop = margin.top + plotHeight * 0.42
        svg += "<rect x=\"\(f(width - margin.right - 158))\" y=\"\(f(legendTop - 12))\" width=\"150\" height=\"\(f(Double(series.count) * 18 + 6))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n"
        for (i, s) in series.enumerated() {
            let ly = legendTop + Double(i) * 18, lx = width - margin.right - 150
            let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
            svg += "<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 24))\" y2=\"\(f(ly))\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash)/>\n"
            svg += "<text x=\"\(f(lx + 30))\" y=\"\(f(ly))\" dominant-baseline=\"middle\">\(escape(s.name))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// Writes the SVG to `path`, atomically (a temporary file, then a rename).
    func write(to path: String) throws {
        try Data(render().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
