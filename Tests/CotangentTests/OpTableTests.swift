import Cotangent
import CotangentTestSupport
import Testing

/// Runs every case of the op table (`OpTable.swift`, goldens from PyTorch in
/// `OpGoldens.swift`) under every input layout:
///
/// 1. forward values, shape and dtype, whether each output requires grad, and
///    its `gradFn` name, against PyTorch's, for contiguous, transposed and
///    sliced inputs (the values must not depend on the layout);
/// 2. the gradients a backward pass from a fixed upstream gradient leaves in
///    the inputs, against PyTorch's;
/// 3. the gradients against central differences in Float64 (`gradCheck`),
///    wherever PyTorch's own gradcheck passes at the case's inputs.
///
/// Failures point at the row in `OpTable.swift`; each case and layout is a
/// separate test argument.
@Suite("Op table")
struct OpTableTests {
    @Test("Forward matches PyTorch", arguments: OpTable.cases, Layout.allCases)
    func forward(_ c: OpCase, _ layout: Layout) {
        let inputs = c.makeInputs()
        let outputs = c.row.evaluate(inputs.map { withLayout($0, layout) })
        #expect(outputs.count == c.golden.outputs.count, "number of outputs", sourceLocation: c.sourceLocation)
        for (k, (output, expected)) in zip(outputs, c.golden.outputs).enumerated() {
            let what = c.golden.outputs.count == 1 ? "output" : "output \(k)"
            c.expecting(.values, layout: layout) {
                expectMatches(output, expected, tolerance: c.tolerance(for: expected.dtype), what,
                              sourceLocation: c.sourceLocation)
            }
            c.expecting(.requiresGrad, layout: layout) {
                #expect(output.requiresGrad == expected.requiresGrad, "\(what): requiresGrad",
                        sourceLocation: c.sourceLocation)
            }
            c.expecting(.gradFn, layout: layout) {
                #expect(output.gradFn?.name == c.golden.gradFn(output: k, layout: layout), "\(what): gradFn",
                        sourceLocation: c.sourceLocation)
            }
        }
    }

    @Test("Gradients match PyTorch", arguments: OpTable.differentiableCases, Layout.allCases)
    func gradient(_ c: OpCase, _ layout: Layout) {
        guard let upstream = c.golden.upstream, let expectedGrads = c.golden.grads else { return }
        let inputs = c.makeInputs()
        let outputs = c.row.evaluate(inputs.map { withLayout($0, layout) })
        c.expecting(.gradient, layout: layout) {
            // Backward from each output that requires grad, as torch.autograd.backward(outputs, grads).
            let seeds = zip(outputs, upstream).compactMap { output, seed in
                seed.flatMap { output.requiresGrad ? (output, $0.makeTensor()) : nil }
            }
            #expect(seeds.count == upstream.compactMap { $0 }.count, "outputs that require grad",
                    sourceLocation: c.sourceLocation)
            for (k, (output, seed)) in seeds.enumerated() {
                output.backward(gradient: seed, retainGraph: k < seeds.count - 1)
            }
            for (i, (input, expected)) in zip(inputs, expectedGrads).enumerated() {
                guard let expected else {
                    #expect(input.grad == nil, "input \(i) gets no gradient", sourceLocation: c.sourceLocation)
                    continue
                }
                guard let grad = input.grad else {
                    Issue.record("input \(i) got no gradient", sourceLocation: c.sourceLocation)
                    continue
                }
                expectMatches(grad, expected, tolerance: c.tolerance(for: expected.dtype), "gradient of input \(i)",
                              sourceLocation: c.sourceLocation)
            }
        }
    }

    @Test("Gradients match finite differences", arguments: OpTable.gradCheckCases, Layout.allCases)
    func finiteDifferences(_ c: OpCase, _ layout: Layout) {
        let inputs = c.makeInputs()
        let free = inputs.indices.filter { c.golden.inputs[$0].requiresGrad }
        c.expecting(.gradCheck, layout: layout) {
            expectGradientsMatch({ points in
                var arguments = inputs
                for (i, point) in zip(free, points) { arguments[i] = point }
                let outputs = c.row.evaluate(arguments.map { withLayout($0, layout) })
                    .filter { $0.dtype.isFloatingPoint }
                return outputs.count == 1 ? outputs[0] : Tensor.cat(outputs.map { $0.reshaped(-1) })
            }, inputs: free.map { inputs[$0] }, sourceLocation: c.sourceLocation)
        }
    }

    @Test("Every row has goldens and every golden a row")
    func coverage() {
        let keys = OpTable.rows.map(\.key)
        #expect(Set(keys).count == keys.count, "duplicate row keys")
        let goldenRows = Set(OpGolden.all.map(\.row))
        for row in OpTable.rows where !goldenRows.contains(row.key) {
            Issue.record("row '\(row.key)' has no goldens: add it to Tests/Goldens/op_goldens.py",
                         sourceLocation: row.sourceLocation)
        }
        for missing in goldenRows.subtracting(keys).sorted() {
            Issue.record("goldens for '\(missing)' have no row in OpTable.swift")
        }
        #expect(OpTable.cases.count == OpGolden.all.count)
    }

    @Test("Known issues name real variants")
    func knownIssuesAreCurrent() {
        for row in OpTable.rows {
            let variants = Set(OpGolden.all.filter { $0.row == row.key }.map { $0.variant ?? "" })
            for issue in row.knownIssues {
                for variant in issue.variants ?? [] where !variants.contains(variant) {
                    Issue.record("known issue names variant '\(variant)', which '\(row.key)' does not have",
                                 sourceLocation: row.sourceLocation)
                }
            }
        }
    }
}

/// Ties the op table to the registry of primitives (`Primitives`): every
/// primitive is exercised by a row with PyTorch goldens, and every row calls a
/// declared primitive or composite.
@Suite("Primitive registry")
struct PrimitiveRegistryTests {
    /// Node names no op-table golden can show, and why.
    static let nodesWithoutGoldens: [String: String] = [
        "NotImplemented": "floorDivide's node; PyTorch records it but its backward fails (an exit test)",
        "PolygammaBackward0": "trigamma, internal: digamma's backward rule",
        "CopySlices": "subscript assignment; checked in AutogradInPlaceTests",
        "ReflectionPad3DBackward0": "3-d reflection padding: no row yet",
        "ReplicationPad3DBackward0": "3-d replication padding: no row yet",
        "DiagonalBackwardBackward0": "diagonal's backward, under createGraph",
        "UnbindBackwardBackward0": "unbind's backward, under createGraph",
        "SelectBackwardBackward0": "select's backward, recorded under createGraph (AutogradGraphTests)",
        "SliceBackwardBackward0": "slice's backward, recorded under createGraph (AutogradGraphTests)",
        "AsStridedBackwardBackward0": "the backward of in-place writes to views, under createGraph",
        "ConvolutionBackwardBackward0": "a convolution's backward, under createGraph (ConvTests)",
        "MaxPool2DWithIndicesBackwardBackward0": "max pooling's backward, under createGraph (PoolingTests)",
        "MaxPool3DWithIndicesBackwardBackward0": "3-d max pooling's backward, under createGraph (Pool3dTests)",
        "AdaptiveMaxPool2DBackwardBackward0": "adaptive max pooling's backward, under createGraph (PoolingTests)",
        "ThresholdBackwardBackward0": "relu's backward, under createGraph (RegressionTests)",
        "TanhBackwardBackward0": "tanh's backward, under createGraph (RegressionTests)",
        "SigmoidBackwardBackward0": "sigmoid's backward, under createGraph (RegressionTests)",
        "GeluBackwardBackward0": "gelu's backward, under createGraph (RegressionTests)",
        "HardswishBackwardBackward0": "hardswish's backward, under createGraph (RegressionTests)",
        "LeakyReluBackwardBackward0": "leakyRelu's backward, under createGraph (RegressionTests)",
        "EluBackwardBackward0": "elu's, celu's and selu's backward, under createGraph (RegressionTests)",
        "SoftplusBackwardBackward0": "softplus's backward, under createGraph (RegressionTests)",
        "HardtanhBackwardBackward0": "hardtanh's and relu6's backward, under createGraph (RegressionTests)",
        "AvgPool3DBackwardBackward0": "3-d average pooling's backward, under createGraph (Pool3dTests)",
        "AdaptiveAvgPool3DBackwardBackward0": "3-d adaptive average pooling's backward, under createGraph (Pool3dTests)",
        "AdaptiveMaxPool3DBackwardBackward0": "3-d adaptive max pooling's backward, under createGraph (Pool3dTests)",
        "AddBackward1": "x + scalar inside the pairwise distance of tripletMarginLoss; never a row's last node",
    ]

    /// The op a row key calls: `x.sum(dim: 0)` → `sum`, `gelu(x)` → `gelu`,
    /// `Tensor.where(c, a, b)` → `where`, `a + b` → `+`, `x[0]` → `[]`.
    static func operation(ofKey key: String) -> String {
        let tokens = key.split(separator: " ")
        if tokens.count >= 3, !tokens[0].contains("("), !tokens[0].contains("["),
           let first = tokens[1].first, !first.isLetter { return String(tokens[1]) }
        if key.hasPrefix("-") || key.hasPrefix("!") { return String(key.prefix(1)) }
        var text = Substring(key)
        for prefix in ["Tensor.", "x.", "a.", "b."] where text.hasPrefix(prefix) { text = text.dropFirst(prefix.count); break }
        if text.hasPrefix("t().") { text = text.dropFirst(4) }
        if text.hasPrefix("x[") || text.first == "[" { return "[]" }
        return String(text.prefix(while: { $0.isLetter || $0.isNumber }))
    }

    @Test("Every primitive has an op-table row with PyTorch goldens")
    func everyPrimitiveIsTested() {
        let goldenNodes = Set(OpGolden.all.flatMap { $0.gradFns.flatMap { $0 } }.compactMap { $0 })
        let rowOperations = Set(OpTable.rows.map { Self.operation(ofKey: $0.key) })
        for p in Primitives.all {
            if p.nodeNames.isEmpty {
                if !rowOperations.contains(p.name) && Primitives.operatorSpellings[p.name].map(rowOperations.contains) != true {
                    Issue.record("primitive \(p) has no op-table row")
                }
            }
            for node in p.nodeNames where Self.nodesWithoutGoldens[node] == nil {
                if !goldenNodes.contains(node) { Issue.record("primitive \(p): no op-table golden records \(node)") }
            }
        }
    }

    @Test("Every op-table row calls a primitive or a composite, and every golden node is declared")
    func everyRowIsDeclared() {
        let names = Set(Primitives.all.map(\.name)).union(Primitives.composites)
            .union(Primitives.operatorSpellings.values)
        for row in OpTable.rows {
            let op = Self.operation(ofKey: row.key)
            if !names.contains(op) {
                Issue.record("row '\(row.key)' calls '\(op)', which is neither a primitive nor a composite",
                             sourceLocation: row.sourceLocation)
            }
        }
        let declared = Set(Primitives.all.flatMap(\.nodeNames))
        let goldenNodes = Set(OpGolden.all.flatMap { $0.gradFns.flatMap { $0 } }.compactMap { $0 })
        for node in goldenNodes.sorted() {
            if !declared.contains(node) { Issue.record("PyTorch's node \(node) appears in the goldens but no primitive declares it") }
        }
    }

    @Test("The registry lists each primitive once")
    func registryIsUnique() {
        let keys = Primitives.all.map { "\($0.family).\($0.name)" }
        #expect(Set(keys).count == keys.count, "duplicate registry entries")
        #expect(Primitives.all.count > 100)
    }
}

