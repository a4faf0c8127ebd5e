import Foundation

/// A line chart written as a standalone SVG document: what `d2l.plot` and
/// ``ProgressBoard`` draw, without a notebook to draw into.
///
/// ```swift
/// let x = Array(stride(from: 0.0, to: 3, by: 0.1))
/// try plot(x, [x.map { $0 * $0 }, x.map { 2 * $0 - 1 }], xlabel: "x", ylabel: "f(x)",
///          legend: ["f(x)", "Tangent line (x=1)"]).write(to: "tangent.svg")
/// ```
public struct Figure: Sendable {
    /// One line: points in order, with its legend entry.
    public struct Line: Sendable {
        /// The name in the legend ("" for none).
        public var label: String
        /// The points, in drawing order.
        public var points: [(x: Double, y: Double)]
        /// The line's colour (an SVG colour).
        public var color: String
        /// Whether the line is dashed (d2l's `'m--'`, `'g-.'` formats).
        public var dashed: Bool

        /// Creates a line.
        public init(label: String, points: [(x: Double, y: Double)], color: String, dashed: Bool = false) {
            self.label = label
            self.points = points
            self.color = color
            self.dashed = dashed
        }
    }

    /// The lines, drawn in order.
    public var lines: [Line]
    /// The x-axis title.
    public var xlabel: String?
    /// The y-axis title.
    public var ylabel: String?
    /// The x range; nil fits the data.
    public var xlim: ClosedRange<Double>?
    /// The y range; nil fits the data.
    public var ylim: ClosedRange<Double>?
    /// Whether the y axis is logarithmic (`yscale='log'`).
    public var logY: Bool
    /// The size in pixels (d2l's `figsize` 3.5 × 2.5 inches at 100 dpi, scaled up).
    public var size: (width: Double, height: Double)

    /// d2l's colour cycle (matplotlib's default), and its default formats: solid, dashed, dash-dot, dotted.
    public static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]

    /// Creates an empty figure.
    public init(lines: [Line] = [], xlabel: String? = nil, ylabel: String? = nil, xlim: ClosedRange<Double>? = nil,
                ylim: ClosedRange<Double>? = nil, logY: Bool = false, size: (width: Double, height: Double) = (525, 375)) {
        self.lines = lines
        self.xlabel = xlabel
        self.ylabel = ylabel
        self.xlim = xlim
        self.ylim = ylim
        self.logY = logY
        self.size = size
    }

    /// Ticks from the first multiple of a "nice" step (1, 2 or 5 × 10ⁿ) at or below
    /// `lo` to the first at or above `hi`.
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let power = pow(10, log10(raw).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw * (1 - 1e-9) } ?? 10 * power
        let first = (lo / step).rounded(.down), last = (hi / step - 1e-9).rounded(.up)
        return stride(from: first, through: last, by: 1).map { $0 * step }
    }

    /// The SVG document.
    public func render() -> String {
        let (width, height) = size
        let margin = (left: 64.0, right: 16.0, top: 16.0, bottom: 48.0)
        let plotWidth = width - margin.left - margin.right, plotHeight = height - margin.top - margin.bottom
        let all = lines.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
        func transform(_ y: Double) -> Double { logY ? log10(y) : y }
        let xs = all.map(\.x), ys = all.map { transform($0.y) }
        var xRange = xlim ?? ((xs.min() ?? 0)...(xs.max() ?? 1))
        var yRange = ylim.map { transform($0.lowerBound)...transform($0.upperBound) } ?? ((ys.min() ?? 0)...(ys.max() ?? 1))
        if xRange.lowerBound == xRange.upperBound { xRange = (xRange.lowerBound - 0.5)...(xRange.upperBound + 0.5) }
        if yRange.lowerBound == yRange.upperBound { yRange = (yRange.lowerBound - 0.5)...(yRange.upperBound + 0.5) }
        let xTicks = Self.ticks(xRange.lowerBound, xRange.upperBound)
        let yTicks = logY ? Array(stride(from: yRange.lowerBound.rounded(.down), through: yRange.upperBound.rounded(.up), by: 1))
                          : Self.ticks(yRange.lowerBound, yRange.upperBound)
        if xlim == nil { xRange = xTicks.first!...max(xTicks.last!, xTicks.first! + 1e-12) }
        if ylim == nil { yRange = yTicks.first!...max(yTicks.last!, yTicks.first! + 1e-12) }
        func px(_ x: Double) -> Double {
            margin.left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * plotWidth
        }
        func py(_ y: Double) -> Double {
            margin.top + plotHeight * (1 - (transform(y) - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound))
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func label(_ v: Double) -> String { String(format: "%g", abs(v) < 1e-12 ? 0 : v) }
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }

        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>

        """
        for t in xTicks where t >= xRange.lowerBound - 1e-12 && t <= xRange.upperBound + 1e-12 {
            svg += "<line x1=\"\(f(px(t)))\" y1=\"\(f(margin.top))\" x2=\"\(f(px(t)))\" y2=\"\(f(margin.top + plotHeight))\" stroke=\"#eee\"/>\n"
            svg += "<text x=\"\(f(px(t)))\" y=\"\(f(margin.top + plotHeight + 16))\" text-anchor=\"middle\">\(label(t))</text>\n"
        }
        for t in yTicks where t >= yRange.lowerBound - 1e-12 && t <= yRange.upperBound + 1e-12 {
            let y = margin.top + plotHeight * (1 - (t - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound))
            svg += "<line x1=\"\(f(margin.left))\" y1=\"\(f(y))\" x2=\"\(f(margin.left + plotWidth))\" y2=\"\(f(y))\" stroke=\"#eee\"/>\n"
            svg += "<text x=\"\(f(margin.left - 6))\" y=\"\(f(y))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(logY ? "1e\(Int(t))" : label(t))</text>\n"
        }
        svg += "<rect x=\"\(f(margin.left))\" y=\"\(f(margin.top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
        if let xlabel {
            svg += "<text x=\"\(f(margin.left + plotWidth / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(escape(xlabel))</text>\n"
        }
        if let ylabel {
            svg += "<text transform=\"translate(14 \(f(margin.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(ylabel))</text>\n"
        }
        for line in lines {
            let points = line.points.filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
                .map { "\(f(px($0.x))),\(f(py($0.y)))" }
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            svg += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.5\"\(dash) points=\"\(points.joined(separator: " "))\"/>\n"
        }
        let named = lines.filter { !$0.label.isEmpty }
        if !named.isEmpty {
            let boxWidth = 24 + 10 + 7 * Double(named.map(\.label.count).max()!)
            let x0 = margin.left + plotWidth - boxWidth - 8, y0 = margin.top + 8
            svg += "<rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(boxWidth))\" height=\"\(f(Double(named.count) * 18 + 6))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n"
            for (i, line) in named.enumerated() {
                let y = y0 + 12 + Double(i) * 18
                let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
                svg += "<line x1=\"\(f(x0 + 6))\" y1=\"\(f(y))\" x2=\"\(f(x0 + 28))\" y2=\"\(f(y))\" stroke=\"\(line.color)\" stroke-width=\"1.5\"\(dash)/>\n"
                svg += "<text x=\"\(f(x0 + 34))\" y=\"\(f(y))\" dominant-baseline=\"middle\">\(escape(line.label))</text>\n"
            }
        }
        svg += "</svg>\n"
        return svg
    }

    /// Writes the SVG to `path`, atomically.
    public func write(to path: String) throws {
        try Data(render().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Plots data points as lines (`d2l.plot`): one line per entry of `Y`, all
/// against `X` (or each against its own row of `X` when `X` has as many rows).
///
/// - Parameters:
///   - X: The x values (one list for every line, or one per line).
///   - Y: The y values, one list per line.
///   - xlabel: The x-axis title.
///   - ylabel: The y-axis title.
///   - legend: A name per line.
///   - xlim: The x range, or nil.
///   - ylim: The y range, or nil.
///   - yscale: `"linear"` (default) or `"log"`.
/// - Returns: The figure; ``Figure/write(to:)`` saves it.
public func plot(_ X: [Double], _ Y: [[Double]], xlabel: String? = nil, ylabel: String? = nil, legend: [String] = [],
                 xlim: ClosedRange<Double>? = nil, ylim: ClosedRange<Double>? = nil, yscale: String = "linear") -> Figure {
    plot(Array(repeating: X, count: Y.count), Y, xlabel: xlabel, ylabel: ylabel, legend: legend, xlim: xlim, ylim: ylim,
         yscale: yscale)
}

/// ``plot(_:_:xlabel:ylabel:legend:xlim:ylim:yscale:)`` with x values per line.
public func plot(_ X: [[Double]], _ Y: [[Double]], xlabel: String? = nil, ylabel: String? = nil, legend: [String] = [],
                 xlim: ClosedRange<Double>? = nil, ylim: ClosedRange<Double>? = nil, yscale: String = "linear") -> Figure {
    precondition(X.count == Y.count, "plot: \(X.count) lists of x values for \(Y.count) lines")
    let lines = zip(X, Y).enumerated().map { i, pair in
        Figure.Line(label: i < legend.count ? legend[i] : "", points: zip(pair.0, pair.1).map { ($0, $1) },
                    color: Figure.colors[i % Figure.colors.count], dashed: i % 4 != 0)
    }
    return Figure(lines: lines, xlabel: xlabel, ylabel: ylabel, xlim: xlim, ylim: ylim, logY: yscale == "log")
}

/// Plots points as they arrive during training (`d2l.ProgressBoard`): each
/// ``draw(_:_:label:everyN:)`` call adds a raw point, and every `everyN`
/// points of a label become one plotted point, their mean.
///
/// Where d2l redraws the notebook cell, a board with an ``outputPath``
/// rewrites its SVG file whenever a plotted point is added.
public final class ProgressBoard {
    /// The x-axis title.
    public var xlabel: String?
    /// The y-axis title.
    public var ylabel: String?
    /// The x range (the trainer sets `0...maxEpochs`).
    public var xlim: ClosedRange<Double>?
    /// The y range, or nil to fit.
    public var ylim: ClosedRange<Double>?
    /// Whether the y axis is logarithmic.
    public var logY: Bool
    /// Where the SVG is written after each plotted point, or nil.
    public var outputPath: String?
    /// Whether to draw at all (d2l's `display`).
    public var display: Bool

    /// The labels in the order they first appeared.
    public private(set) var labels: [String] = []
    /// The plotted (averaged) points of each label.
    public private(set) var data: [String: [(x: Double, y: Double)]] = [:]
    private var rawPoints: [String: [(x: Double, y: Double)]] = [:]

    /// Creates a board.
    public init(xlabel: String? = nil, ylabel: String? = nil, xlim: ClosedRange<Double>? = nil,
                ylim: ClosedRange<Double>? = nil, logY: Bool = false, outputPath: String? = nil, display: Bool = true) {
        self.xlabel = xlabel
        self.ylabel = ylabel
        self.xlim = xlim
        self.ylim = ylim
        self.logY = logY
        self.outputPath = outputPath
        self.display = display
    }

    /// Adds the point `(x, y)` to the line `label`; every `everyN` raw points
    /// of it, plots their mean.
    public func draw(_ x: Double, _ y: Double, label: String, everyN: Int = 1) {
        if data[label] == nil {
            labels.append(label)
            data[label] = []
            rawPoints[label] = []
        }
        rawPoints[label]!.append((x, y))
        guard rawPoints[label]!.count == max(everyN, 1) else { return }
        let points = rawPoints[label]!
        data[label]!.append((points.map(\.x).reduce(0, +) / Double(points.count),
                             points.map(\.y).reduce(0, +) / Double(points.count)))
        rawPoints[label] = []
        if display, let outputPath { try? figure.write(to: outputPath) }
    }

    /// The board as a figure: one line per label, train lines solid, others dashed.
    public var figure: Figure {
        let lines = labels.enumerated().map { i, label in
            Figure.Line(label: label, points: data[label] ?? [], color: Figure.colors[i % Figure.colors.count],
                        dashed: !label.hasPrefix("train"))
        }
        return Figure(lines: lines, xlabel: xlabel, ylabel: ylabel, xlim: xlim, ylim: ylim, logY: logY)
    }

    /// Writes the board's SVG to `path`.
    public func write(to path: String) throws { try figure.write(to: path) }
}
