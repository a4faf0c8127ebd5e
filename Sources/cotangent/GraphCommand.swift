import ArgumentParser
import Cotangent
import Foundation

/// `cotangent graph`: draws the seed notebook's autograd graphs as SVG (and DOT) files.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw the autograd graphs of the seed notebook (2 * x.dot(x), the control-flow function f2, the MSE loss) and of an MLP's training step and a 24-layer residual MLP as SVG files.",
        discussion: "Each graph is written as NAME.svg (drawn by Cotangent, no Graphviz needed) and NAME.dot (torchviz's DOT text, for `dot -Tsvg`)."
    )

    @Option(help: ArgumentHelp("The folder to write the files into (created if missing).", valueName: "folder"))
    var output: String = "graphs"

    @Flag(help: "Also show the tensors each node saved for backward.")
    var showSaved = false

    func run() throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        for (name, tensor, params) in Self.graphs() {
            let svg = makeSVG(tensor, params: params, showSaved: showSaved)
            let dot = makeDot(tensor, params: params, showSaved: showSaved)
            try svg.write(toFile: "\(output)/\(name).svg", atomically: true, encoding: .utf8)
            try dot.write(toFile: "\(output)/\(name).dot", atomically: true, encoding: .utf8)
            print("wrote \(output)/\(name).svg and \(name).dot")
        }
    }

    /// The seed's graphs, built as the tour builds them.
    static func graphs() -> [(String, Tensor, [(name: String, parameter: Tensor)])] {
        let x = Tensor.arange(4.0)
        x.requiresGrad = true

        func f2(_ a: Tensor) -> Tensor {
            var b = a * 2
            while b.norm().item() < 1000 { b = b * 2 }
            return b.sum().item() > 0 ? b : 100 * b
        }
        let generator = Generator(seed: 0)
        let a = Tensor.randn([], requiresGrad: true, generator: generator)

        let p = Tensor([[1], [2]], dtype: .float32, requiresGrad: true)
        let q = Tensor([[3], [4]], dtype: .float32)

        let model = Sequential {
            Flatten()
            Linear(64, 256, generator: generator)
            ReLU()
            Linear(256, 10, generator: generator)
        }
        let images = Tensor.rand([8, 8, 8], generator: generator)
        let labels = Tensor.randint(10, shape: [8], generator: generator)
        let step = crossEntropyLoss(model(images), labels)

        // A deeper network with skip connections: a graph of a few hundred nodes.
        let blocks = (0..<24).map { _ in Linear(8, 8, generator: generator) }
        var h = Tensor.randn([4, 8], generator: generator)
        for (i, block) in blocks.enumerated() {
            let out = block(h).relu()
            h = i % 3 == 0 ? out + h : out
        }
        let deep = Sequential(blocks)

        return [
            ("dot", 2 * x.dot(x), []),
            ("control-flow", f2(a), []),
            ("mse", MSELoss()(p, q), []),
            ("mlp-step", step, model.namedParameters()),
            ("deep-residual-mlp", h.pow(2).mean(), deep.namedParameters()),
        ]
    }
}
