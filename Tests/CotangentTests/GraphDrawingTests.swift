import Testing
import CotangentTestSupport

@testable import Cotangent

// makeDot against torchviz's make_dot for the seed notebook's graphs
// (Tests/Goldens/graph_goldens.py), statement for statement.

/// The seed notebook's control-flow function.
func seedF2(_ a: Tensor) -> Tensor {
    var b = a * 2
    while b.norm().item() < 1000 { b = b * 2 }
    return b.sum().item() > 0 ? b : 100 * b
}

/// The twin of the golden generator's custom function: saves its output, then its input.
enum SavedExpAndInput: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] {
        let y = inputs[0].exp()
        ctx.saveForBackward(y, inputs[0])
        return [y]
    }

    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] {
        [gradOutputs[0]! * ctx.savedTensors[0]]
    }
}

@Suite("Pictures of the graph") struct GraphDrawingTests {
    static func graph(_ name: String) -> (tensor: Tensor, params: [(name: String, parameter: Tensor)])? {
        switch name {
        case "dot":
            let x = Tensor.arange(4.0)
            x.requiresGrad = true
            return (2 * x.dot(x), [])
        case "controlFlow":
            let a = Tensor.randn([], requiresGrad: true, generator: Generator(seed: 0))
            return (seedF2(a), [])
        case "mse":
            let p = Tensor([[1], [2]], dtype: .float32, requiresGrad: true)
            return (MSELoss()(p, Tensor([[3], [4]], dtype: .float32)), [])
        case "mlp":
            let g = Generator(seed: 0)
            let model = Sequential {
                Linear(3, 2, generator: g)
                ReLU()
                Linear(2, 1, generator: g)
            }
            return (model(Tensor.ones(4, 3)).pow(2).mean(), model.namedParameters())
        case "customFunction":
            let c = Tensor([0.5, 1.0], dtype: .float64, requiresGrad: true)
            return (SavedExpAndInput.apply(c) * 2, [])
        case "viewRoot":
            let v = Tensor.arange(4.0)
            v.requiresGrad = true
            return ((v * 2)[1...], [])
        default:
            return nil
        }
    }

    @Test(arguments: GraphGoldens.dot.keys.sorted())
    func dotTextMatchesTorchviz(name: String) throws {
        let (tensor, params) = try #require(Self.graph(name), "no Swift twin for \(name)")
        let dot = makeDot(tensor, params: params)
        #expect(dot == GraphGoldens.dot[name], "\(dot)")
    }

    @Test func savedTensorsAreShownInOrange() {
        let x = Tensor.arange(4.0)
        x.requiresGrad = true
        let dot = makeDot(x.exp() * x, showSaved: true)
        #expect(dot.contains("[label=\"result\n (4)\" fillcolor=orange]"))
        #expect(dot.contains("[label=\"saved 0\n (4)\" fillcolor=orange]"))
        #expect(dot.contains("[dir=none]"))
    }

    @Test func quotingFollowsGraphviz() {
        #expect(dotQuote("MulBackward0") == "MulBackward0")
        #expect(dotQuote("12") == "12")
        #expect(dotQuote("12,12") == "\"12,12\"")
        #expect(dotQuote("node") == "\"node\"")
        #expect(dotQuote("a \"b\"") == "\"a \\\"b\\\"\"")
    }

    @Test func largeGraphsGrowTheSize() {
        var y = Tensor([1.0], requiresGrad: true)
        for _ in 0..<60 { y = y * 2 }
        // The root, 60 nodes and 59 edges between them, the leaf with its AccumulateGrad
        // (2 nodes, 2 edges) and the root's edge: 125 statements, 0.15 inch each (Python: 125 * 0.15 == 18.75).
        #expect(makeDot(y).contains("graph [size=\"18.75,18.75\"]"))
    }
}

@Suite("SVG pictures of the graph") struct GraphSVGTests {
    /// A 24-layer MLP's loss with residual branches: a few hundred nodes.
    static func bigGraph() -> (Tensor, [(name: String, parameter: Tensor)]) {
        let g = Generator(seed: 1)
        let layers = (0..<24).map { _ in Linear(8, 8, generator: g) }
        var h = Tensor.randn([4, 8], generator: g)
        for (i, layer) in layers.enumerated() {
            let out = layer(h).relu()
            h = i % 3 == 0 ? out + h : out
        }
        let model = Sequential(layers)
        return (h.pow(2).mean(), model.namedParameters())
    }

    @Test func boxesNeverOverlapAndEdgesGoDown() {
        let (loss, params) = Self.bigGraph()
        var walker = GraphWalker(params: params, showSaved: true)
        walker.addBaseTensor(loss, color: "darkolivegreen1")
        let layout = GraphLayout(walker.statements)
        #expect(layout.boxes.filter { !$0.isBend }.count > 150)
        let byLayer = Dictionary(grouping: layout.boxes.filter { !$0.isBend }, by: \.layer)
        for (_, row) in byLayer {
            let sorted = row.sorted { $0.x < $1.x }
            for (a, b) in zip(sorted, sorted.dropFirst()) {
                #expect(a.x + a.width <= b.x, "\(a.lines) overlaps \(b.lines)")
            }
        }
        for link in layout.links {
            for (a, b) in zip(link.path, link.path.dropFirst()) {
                #expect(layout.boxes[b].layer == layout.boxes[a].layer + 1, "links step one layer at a time")
            }
        }
    }

    @Test func svgHasOneBoxPerNodeWithItsName() {
        let x = Tensor.arange(4.0)
        x.requiresGrad = true
        let svg = makeSVG(2 * x.dot(x))
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        for name in ["MulBackward0", "DotBackward0", "AccumulateGrad", "(4)", "()"] {
            #expect(svg.contains(">\(name)</text>"), "\(name)")
        }
        #expect(svg.ranges(of: "<rect x=").count == 5)
        #expect(svg.ranges(of: "<polyline").count == 4, "the repeated edge is drawn once")
    }
}
