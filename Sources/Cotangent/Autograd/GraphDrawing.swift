// Pictures of the autograd graph: Graphviz DOT text as torchviz's `make_dot`
// writes it (same statements, in the same order, same attributes), so the
// output of one can be compared with the other.

/// The graph behind `tensor` as Graphviz DOT text (torchviz's `make_dot`).
///
/// One box per node with its PyTorch name (`MulBackward0`); leaves in light
/// blue, labelled with their name in `params` (`0.weight`) and their shape;
/// the tensor itself in green; the tensors a ``CustomFunction`` saved, and
/// with `showSaved` those of every node, in orange. As in torchviz, an edge goes from each node to the
/// node that consumed its result (the reverse of the direction gradients
/// flow), and a view is linked to its base by a dotted edge.
///
/// ```swift
/// let x = Tensor.arange(4.0, requiresGrad: true)
/// print(makeDot(2 * x.dot(x)))
/// print(makeDot(loss, params: model.namedParameters()))
/// ```
///
/// Render the text with Graphviz (`dot -Tsvg`), or use ``makeSVG(_:params:showSaved:)``,
/// which needs nothing else.
///
/// - Parameters:
///   - tensor: The tensor whose history to draw.
///   - params: Names for leaves, e.g. a module's `namedParameters()`.
///   - showSaved: Whether to show the tensors saved for backward (named
///     `saved 0`, `saved 1`, … and `result`, since Cotangent's rules save by position).
/// - Returns: The DOT source.
public func makeDot(_ tensor: Tensor, params: [(name: String, parameter: Tensor)] = [],
                    showSaved: Bool = false) -> String {
    var walker = GraphWalker(params: params, showSaved: showSaved)
    walker.addBaseTensor(tensor, color: "darkolivegreen1")
    return walker.dot()
}

/// One statement of the graph: a node or an edge.
enum GraphStatement {
    case node(id: String, label: String, color: String?)
    case edge(from: String, to: String, attributes: String?)
}

/// Walks a graph in torchviz's order and collects its statements.
struct GraphWalker {
    private let paramNames: [ObjectIdentifier: String]
    private let showSaved: Bool
    private var seen = Set<ObjectIdentifier>()
    private var ids: [ObjectIdentifier: String] = [:]
    /// Keeps every object met alive during the walk, so identities stay
    /// unique (a leaf's AccumulateGrad node is otherwise cached only weakly).
    private var kept: [AnyObject] = []
    private(set) var statements: [GraphStatement] = []

    init(params: [(name: String, parameter: Tensor)], showSaved: Bool) {
        var names: [ObjectIdentifier: String] = [:]
        for (name, p) in params { names[ObjectIdentifier(p)] = name }
        paramNames = names
        self.showSaved = showSaved
    }

    /// A stable id by order of first appearance in the text.
    private mutating func id(_ object: AnyObject) -> String {
        let key = ObjectIdentifier(object)
        if let id = ids[key] { return id }
        kept.append(object)
        let id = "n\(ids.count)"
        ids[key] = id
        return id
    }

    private func label(_ t: Tensor, name: String? = nil) -> String {
        let shown = name ?? paramNames[ObjectIdentifier(t)] ?? ""
        return "\(shown)\n (" + t.shape.map(String.init).joined(separator: ", ") + ")"
    }

    private mutating func node(_ object: AnyObject, _ label: String, color: String? = nil) {
        statements.append(.node(id: id(object), label: label, color: color))
    }

    private mutating func edge(_ from: AnyObject, _ to: AnyObject, attributes: String? = nil) {
        let a = id(from), b = id(to)
        statements.append(.edge(from: a, to: b, attributes: attributes))
    }

    private mutating func markSeen(_ object: AnyObject) -> Bool {
        kept.append(object)
        return seen.insert(ObjectIdentifier(object)).inserted
    }

    mutating func addBaseTensor(_ t: Tensor, color: String) {
        guard markSeen(t) else { return }
        node(t, label(t), color: color)
        if let fn = t.gradFn {
            addNodes(fn)
            edge(fn, t)
        }
        if let base = t.viewBase, t.requiresGrad {
            addBaseTensor(base, color: "darkolivegreen3")
            edge(base, t, attributes: "style=dotted")
        }
    }

    private mutating func addNodes(_ fn: Node) {
        guard markSeen(fn) else { return }
        if showSaved {
            for (name, t) in fn.shownSavedValues() {
                _ = markSeen(t)
                edge(fn, t, attributes: "dir=none")
                node(t, label(t, name: name), color: "orange")
            }
        }
        if let variable = fn.variable {
            _ = markSeen(variable)
            node(variable, label(variable), color: "lightblue")
            edge(variable, fn)
        }
        node(fn, fn.name)
        for (next, _) in fn.nextFunctions {
            guard let next else { continue }
            edge(next, fn)
            addNodes(next)
        }
        // torchviz shows a custom function's saved tensors always.
        if let tensors = fn.extras?.savedForDisplay?() {
            for t in tensors {
                _ = markSeen(t)
                edge(t, fn, attributes: "dir=none")
                node(t, label(t), color: "orange")
            }
        }
    }

    /// The DOT source, formatted as the Python `graphviz` package formats it.
    func dot() -> String {
        // torchviz's resize_graph: 0.15 inch per statement, at least 12.
        let content = Double(statements.count) * 0.15
        let size = content > 12 ? "\(content)" : "12"
        var lines = ["digraph {",
                     "\tgraph [size=\(dotQuote("\(size),\(size)"))]",
                     "\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box style=filled]"]
        for statement in statements {
            switch statement {
            case let .node(id, label, color):
                lines.append("\t\(id) [label=\(dotQuote(label))" + (color.map { " fillcolor=\($0)" } ?? "") + "]")
            case let .edge(from, to, attributes):
                lines.append("\t\(from) -> \(to)" + (attributes.map { " [\($0)]" } ?? ""))
            }
        }
        return lines.joined(separator: "\n") + "\n}\n"
    }
}

/// Quotes a DOT identifier as the Python `graphviz` package does: plain
/// identifiers and numbers as they are, anything else in double quotes.
func dotQuote(_ s: String) -> String {
    let keywords: Set<String> = ["node", "edge", "graph", "digraph", "subgraph", "strict"]
    let isIdentifier = !s.isEmpty && s.unicodeScalars.enumerated().allSatisfy { i, c in
        c == "_" || (c.properties.isAlphabetic && c.isASCII) || c.value >= 0x80 || (i > 0 && ("0"..."9").contains(c))
    }
    let isNumber = !s.isEmpty && s.allSatisfy(\.isNumber)
    if (isIdentifier && !keywords.contains(s.lowercased())) || isNumber { return s }
    return "\"" + s.replacing("\"", with: "\\\"") + "\""
}

