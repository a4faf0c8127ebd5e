// The graph behind a tensor drawn as SVG by Cotangent itself, no Graphviz
// needed: the same nodes, labels and colours as `makeDot`, laid out in layers
// (a small Sugiyama layout: longest-path layers from the tensor down to the
// leaves, edges longer than one layer routed through bend points, a few
// barycenter sweeps to reduce crossings, then boxes packed left to right).
// Arrows point the way gradients flow: from the tensor at the top towards
// the leaves.

/// The graph behind `tensor` as an SVG picture, drawn without Graphviz.
///
/// The boxes, labels and colours are those of ``makeDot(_:params:showSaved:)``;
/// the tensor is at the top, its leaves at the bottom, and arrows point the
/// way gradients flow. Saved tensors hang off their node by a dashed line, a
/// view off its base by a dotted one.
///
/// - Parameters:
///   - tensor: The tensor whose history to draw.
///   - params: Names for leaves, e.g. a module's `namedParameters()`.
///   - showSaved: Whether to show the tensors saved for backward.
/// - Returns: A standalone SVG document.
public func makeSVG(_ tensor: Tensor, params: [(name: String, parameter: Tensor)] = [],
                    showSaved: Bool = false) -> String {
    var walker = GraphWalker(params: params, showSaved: showSaved)
    walker.addBaseTensor(tensor, color: "darkolivegreen1")
    return GraphLayout(walker.statements).svg()
}

/// A layered layout of graph statements.
struct GraphLayout {
    struct Box {
        let id: String
        let lines: [String]
        let color: String?
        var layer = 0
        var x = 0.0, width = 0.0
        var isBend: Bool { lines.isEmpty }
    }

    struct Link {
        /// From the consumer (upper) to the producer (lower): the way gradients flow.
        var path: [Int]
        let style: String?
    }

    private(set) var boxes: [Box] = []
    private(set) var links: [Link] = []
    private var layers: [[Int]] = []

    static let charWidth = 6.6, lineHeight = 13.0, padding = 8.0, gap = 18.0, layerGap = 46.0

    init(_ statements: [GraphStatement]) {
        var index: [String: Int] = [:]
        var pairs: [(upper: Int, lower: Int, style: String?)] = []
        for statement in statements {
            switch statement {
            case let .node(id, label, color):
                let lines = label.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { String($0).trimmingLeadingSpace() }.filter { !$0.isEmpty }
                if let i = index[id] {
                    // Graphviz keeps the last attributes of a node declared twice.
                    boxes[i] = Box(id: id, lines: lines.isEmpty ? [" "] : lines, color: color)
                } else {
                    index[id] = boxes.count
                    boxes.append(Box(id: id, lines: lines.isEmpty ? [" "] : lines, color: color))
                }
            case let .edge(from, to, attributes):
                for id in [from, to] where index[id] == nil {
                    index[id] = boxes.count
                    boxes.append(Box(id: id, lines: [" "], color: nil))
                }
                let a = index[from]!, b = index[to]!
                // DOT edges go producer -> consumer; a saved tensor (either way
                // round, orange) hangs below its node.
                if attributes == "dir=none" {
                    let aIsSaved = statements.contains { if case let .node(id, _, color) = $0 { id == from && color == "orange" } else { false } }
                    pairs.append(aIsSaved ? (b, a, "saved") : (a, b, "saved"))
                } else {
                    pairs.append((b, a, attributes == "style=dotted" ? "view" : nil))
                }
            }
        }
        // Duplicate edges (an input used twice) are drawn once.
        var unique: [(upper: Int, lower: Int, style: String?)] = []
        var seen = Set<[Int]>()
        for p in pairs where seen.insert([p.upper, p.lower]).inserted { unique.append(p) }
        assignLayers(unique)
        for p in unique { addLink(p.upper, p.lower, style: p.style) }
        order()
        place()
    }

    /// Longest-path layering from the top (nodes nothing consumes).
    private mutating func assignLayers(_ pairs: [(upper: Int, lower: Int, style: String?)]) {
        var lowers = [[Int]](repeating: [], count: boxes.count)
        var indegree = [Int](repeating: 0, count: boxes.count)
        for p in pairs where p.upper != p.lower {
            lowers[p.upper].append(p.lower)
            indegree[p.lower] += 1
        }
        // Kahn's algorithm; the graph is acyclic.
        var queue = boxes.indices.filter { indegree[$0] == 0 }
        var head = 0
        while head < queue.count {
            let u = queue[head]
            head += 1
            for v in lowers[u] {
                boxes[v].layer = max(boxes[v].layer, boxes[u].layer + 1)
                indegree[v] -= 1
                if indegree[v] == 0 { queue.append(v) }
            }
        }
    }

    /// A link, with a bend point on every layer it crosses.
    private mutating func addLink(_ upper: Int, _ lower: Int, style: String?) {
        var path = [upper]
        var layer = boxes[upper].layer + 1
        while layer < boxes[lower].layer {
            var bend = Box(id: "", lines: [], color: nil)
            bend.layer = layer
            boxes.append(bend)
            path.append(boxes.count - 1)
            layer += 1
        }
        path.append(lower)
        links.append(Link(path: path, style: style))
    }

    /// Orders each layer by the barycenter of its neighbours, sweeping down and up.
    private mutating func order() {
        let depth = (boxes.map(\.layer).max() ?? 0) + 1
        layers = [[Int]](repeating: [], count: depth)
        for i in boxes.indices { layers[boxes[i].layer].append(i) }
        var ups = [[Int]](repeating: [], count: boxes.count), downs = ups
        for link in links {
            for (a, b) in zip(link.path, link.path.dropFirst()) {
                downs[a].append(b)
                ups[b].append(a)
            }
        }
        var position = [Int](repeating: 0, count: boxes.count)
        func renumber(_ layer: [Int]) { for (k, i) in layer.enumerated() { position[i] = k } }
        layers.forEach(renumber)
        for sweep in 0..<8 {
            let downward = sweep % 2 == 0
            let range: [Int] = downward ? Array(1..<max(depth, 1)) : Array((0..<max(depth - 1, 0)).reversed())
            for l in range {
                let neighbours = downward ? ups : downs
                let keyed = layers[l].map { i -> (Int, Double) in
                    let ns = neighbours[i]
                    let center = ns.isEmpty ? Double(position[i]) : Double(ns.map { position[$0] }.reduce(0, +)) / Double(ns.count)
                    return (i, center)
                }
                layers[l] = keyed.enumerated().sorted { a, b in
                    a.element.1 != b.element.1 ? a.element.1 < b.element.1 : a.offset < b.offset
                }.map(\.element.0)
                renumber(layers[l])
            }
        }
    }

    /// Sizes the boxes, then places each layer, top down: every box wants to
    /// be centred under its upper neighbours, and boxes that would overlap are
    /// grouped and the group centred on what its members want (least squares,
    /// by pooling adjacent violators), so no layer drifts to one side.
    private mutating func place() {
        for i in boxes.indices {
            let longest = boxes[i].lines.map(\.count).max() ?? 0
            boxes[i].width = boxes[i].isBend ? 0 : Double(longest) * Self.charWidth + 2 * Self.padding
        }
        var ups = [[Int]](repeating: [], count: boxes.count)
        for link in links { for (a, b) in zip(link.path, link.path.dropFirst()) { ups[b].append(a) } }
        for layer in layers {
            // Desired left edges; a box with nothing above follows its left neighbour.
            var desired: [Double] = []
            for (k, i) in layer.enumerated() {
                let ns = ups[i]
                if ns.isEmpty {
                    desired.append(k == 0 ? 0 : desired[k - 1] + boxes[layer[k - 1]].width + Self.gap)
                } else {
                    let center = ns.map { boxes[$0].x + boxes[$0].width / 2 }.reduce(0, +) / Double(ns.count)
                    desired.append(center - boxes[i].width / 2)
                }
            }
            // Groups of consecutive boxes laid side by side; `sum` adds each
            // member's desired left edge minus its offset in the group.
            var groups: [(count: Int, sum: Double, width: Double, left: Double)] = []
            for (k, i) in layer.enumerated() {
                var group = (count: 1, sum: desired[k], width: boxes[i].width, left: desired[k])
                while let last = groups.last, last.left + last.width + Self.gap > group.left {
                    let offset = last.width + Self.gap
                    let count = last.count + group.count
                    let sum = last.sum + group.sum - Double(group.count) * offset
                    group = (count, sum, offset + group.width, sum / Double(count))
                    groups.removeLast()
                }
                groups.append(group)
            }
            var k = 0
            for group in groups {
                var x = group.left
                for _ in 0..<group.count {
                    boxes[layer[k]].x = x
                    x += boxes[layer[k]].width + Self.gap
                    k += 1
                }
            }
        }
        // Shift everything right of zero.
        let minX = boxes.map(\.x).min() ?? 0
        for i in boxes.indices { boxes[i].x -= minX }
    }

    private func height(_ box: Box) -> Double {
        box.isBend ? 0 : Double(box.lines.count) * Self.lineHeight + Self.padding
    }

    private func top(_ box: Box) -> Double { 10 + Double(box.layer) * (Self.layerGap + 2 * Self.lineHeight + Self.padding) }

    private static func fill(_ color: String?) -> String {
        switch color {
        case "darkolivegreen1": "#caff70"
        case "darkolivegreen3": "#a2cd5a"
        case "lightblue": "#add8e6"
        case "orange": "#ffa500"
        default: "#d3d3d3"  // Graphviz's default fill for style=filled
        }
    }

    private static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// The SVG document.
    func svg() -> String {
        let width = (boxes.map { $0.x + $0.width }.max() ?? 0) + 20
        let height = (boxes.map { top($0) + self.height($0) }.max() ?? 0) + 20
        var out: [String] = []
        out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width.rounded(.up)))\" height=\"\(Int(height.rounded(.up)))\" font-family=\"monospace\" font-size=\"10\">")
        out.append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#333\"/></marker></defs>")
        out.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        for link in links {
            var points: [(Double, Double)] = []
            for (k, i) in link.path.enumerated() {
                let box = boxes[i]
                let cx = 10 + box.x + box.width / 2
                if box.isBend {
                    points.append((cx, top(box) + Self.lineHeight))
                } else if k == 0 {
                    points.append((cx, top(box) + self.height(box)))
                } else {
                    points.append((cx, top(box)))
                }
            }
            let d = points.map { "\(format($0.0)),\(format($0.1))" }.joined(separator: " ")
            var attributes = "fill=\"none\" stroke=\"#333\" stroke-width=\"1\""
            switch link.style {
            case "saved": attributes += " stroke-dasharray=\"4 3\""
            case "view": attributes += " stroke-dasharray=\"1 3\" marker-end=\"url(#arrow)\""
            default: attributes += " marker-end=\"url(#arrow)\""
            }
            out.append("<polyline points=\"\(d)\" \(attributes)/>")
        }
        for box in boxes where !box.isBend {
            let x = 10 + box.x, y = top(box)
            out.append("<g><rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(box.width))\" height=\"\(format(self.height(box)))\" fill=\"\(Self.fill(box.color))\" stroke=\"#333\"/>")
            for (k, line) in box.lines.enumerated() {
                let ty = y + Self.padding / 2 + Double(k + 1) * Self.lineHeight - 3
                out.append("<text x=\"\(format(x + box.width / 2))\" y=\"\(format(ty))\" text-anchor=\"middle\">\(Self.escape(line))</text>")
            }
            out.append("</g>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    private func format(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : "\(r)"
    }
}

private extension String {
    func trimmingLeadingSpace() -> String {
        String(drop { $0 == " " })
    }
}
