import Cotangent
import CotangentTestSupport
import Foundation
import Testing

// RNN, LSTM, GRU and their cells against Tests/Goldens/rnn_goldens.py: PyTorch's
// initial values for the same seed (bit for bit), outputs, final states and
// gradients in float64, state-dict keys, printing, PyTorch's safetensors state
// dicts, and PyTorch's error messages.

private func sineRamp(_ shape: [Int], _ scale: Double, _ shift: Double) -> Tensor {
    Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { sin(Double($0) * scale + shift) }).to(.float64)
}

private func up(_ shape: [Int]) -> Tensor {
    Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Double($0) * 0.01 + 0.5 }).to(.float64)
}

/// The golden case's layer, built with `dtype`.
private func makeLayer(_ c: RNNGoldens.Case, dtype: DType) -> any Module {
    let nonlinearity: RNNNonlinearity = c.relu ? .relu : .tanh
    switch c.kind {
    case "RNNCell": return RNNCell(c.inputSize, c.hiddenSize, bias: c.bias, nonlinearity: nonlinearity, dtype: dtype)
    case "LSTMCell": return LSTMCell(c.inputSize, c.hiddenSize, bias: c.bias, dtype: dtype)
    case "GRUCell": return GRUCell(c.inputSize, c.hiddenSize, bias: c.bias, dtype: dtype)
    case "RNN": return RNN(c.inputSize, c.hiddenSize, numLayers: c.numLayers, nonlinearity: nonlinearity, bias: c.bias,
                           batchFirst: c.batchFirst, bidirectional: c.bidirectional, dtype: dtype)
    case "LSTM": return LSTM(c.inputSize, c.hiddenSize, numLayers: c.numLayers, bias: c.bias,
                             batchFirst: c.batchFirst, bidirectional: c.bidirectional, dtype: dtype)
    default: return GRU(c.inputSize, c.hiddenSize, numLayers: c.numLayers, bias: c.bias,
                        batchFirst: c.batchFirst, bidirectional: c.bidirectional, dtype: dtype)
    }
}

/// Runs `layer` as the golden does; returns the output and the final states.
private func run(_ layer: any Module, _ x: Tensor, _ states: [Tensor]?) -> (output: Tensor, final: [Tensor]) {
    switch layer {
    case let cell as LSTMCell:
        let (h, c) = cell(x, state: states.map { ($0[0], $0[1]) })
        return (h, [h, c])
    case let cell as RNNCell:
        let h = cell(x, hidden: states?[0])
        return (h, [h])
    case let cell as GRUCell:
        let h = cell(x, hidden: states?[0])
        return (h, [h])
    case let lstm as LSTM:
        let (output, (h, c)) = lstm(x, state: states.map { ($0[0], $0[1]) })
        return (output, [h, c])
    case let rnn as RNN:
        let (output, h) = rnn(x, hidden: states?[0])
        return (output, [h])
    case let gru as GRU:
        let (output, h) = gru(x, hidden: states?[0])
        return (output, [h])
    default:
        fatalError("not a recurrent layer")
    }
}

extension LearningTests {
    @Suite("Recurrent layers") struct RecurrentTests {
        @Test(arguments: RNNGoldens.cases.indices)
        func matchesPyTorch(_ index: Int) throws {
            let c = RNNGoldens.cases[index]
            Tensor.manualSeed(c.seed)
            let seeded = makeLayer(c, dtype: .float32)
            // The generator's draws, in PyTorch's order over the parameters: exactly equal.
            let initial = seeded.parameters()
            #expect(initial.count == c.initial.count, "\(c.name)")
            for (p, expected) in zip(initial, c.initial) {
                #expect(p.scalars(as: Double.self) == expected, "\(c.name): initial values")
            }
            #expect(seeded.stateDict().keys == c.keys, "\(c.name)")
            #expect(seeded.namedParameters().map(\.name) == c.keys, "\(c.name)")
            #expect(seeded.description == c.description, "\(c.name)")

            let layer = makeLayer(c, dtype: .float64)
            try layer.loadStateDict(seeded.stateDict())
            let x = sineRamp(c.inputShape, 0.37, 1.3)
            x.requiresGrad = true
            let states = c.stateShape.map { shape in
                (0..<c.stateGrads.count).map { k -> Tensor in
                    let s = sineRamp(shape, 0.23 + 0.1 * Double(k), -0.4)
                    s.requiresGrad = true
                    return s
                }
            }
            let (output, final) = run(layer, x, states)
            expectClose(output, c.output, shape: c.outputShape, rtol: 1e-10, atol: 1e-12)
            #expect(final.count == c.final.count)
            for (f, expected) in zip(final, c.final) { expectClose(f, expected, shape: c.finalShape, rtol: 1e-10, atol: 1e-12) }
            var loss = (output * up(output.shape)).sum()
            for (k, f) in final.enumerated() { loss = loss + (f * up(f.shape) * Double(k + 2)).sum() }
            loss.backward()
            expectClose(try #require(x.grad), c.inputGrad, shape: c.inputShape, rtol: 1e-10, atol: 1e-12)
            for (s, expected) in zip(states ?? [], c.stateGrads) { expectClose(try #require(s.grad), expected, rtol: 1e-10, atol: 1e-12) }
            for (p, expected) in zip(layer.parameters(), c.parameterGrads) {
                expectClose(try #require(p.grad), expected, rtol: 1e-10, atol: 1e-12)
            }
        }

        @Test func gradientsMatchFiniteDifferences() {
            Tensor.manualSeed(4)
            let lstm = LSTM(2, 3, numLayers: 2, batchFirst: true, bidirectional: true, dtype: .float64)
            let gru = GRU(2, 3, dtype: .float64)
            let x = Tensor.randn([2, 3, 2], dtype: .float64)
            let h0 = Tensor.randn([4, 2, 3], dtype: .float64), c0 = Tensor.randn([4, 2, 3], dtype: .float64)
            expectGradientsMatch({ t in
                let (out, (h, c)) = lstm(t[0], state: (t[1], t[2]))
                return out.square().sum() + h.sum() + (c * 0.5).sum()
            }, inputs: [x, h0, c0])
            let w = gru.parameters()
            expectGradientsMatch({ t in gru(t[0].transposed(0, 1), hidden: nil).output.tanh().sum() }, inputs: [x] + [w[1]])
        }

        @Test("LSTMCell's fused step gives PyTorch's op-by-op values and gradients, bit for bit, and its second derivatives", arguments: [DType.float32, .float64])
        func fusedLSTMStepMatchesTheComposedOps(_ dtype: DType) {
            Tensor.manualSeed(2)
            let cell = LSTMCell(8, 12, dtype: dtype)
            let x = Tensor.randn([5, 8], dtype: dtype), h0 = Tensor.randn([5, 12], dtype: dtype)
            let c0 = Tensor.randn([5, 12], dtype: dtype), w = Tensor.randn([5, 12], dtype: dtype)
            for t in [x, h0, c0] { t.requiresGrad = true }
            let leaves = [x, h0, c0, cell.weightIH, cell.weightHH, cell.biasIH!, cell.biasHH!]
            /// lstm_cell as PyTorch composes it.
            func composed() -> (Tensor, Tensor) {
                let gates = (Tensor.addmm(cell.biasHH!, h0, cell.weightHH.t()) + linear(x, weight: cell.weightIH, bias: cell.biasIH))
                    .chunked(4, dim: 1)
                let i = gates[0].sigmoid(), f = gates[1].sigmoid(), g = gates[2].tanh(), o = gates[3].sigmoid()
                let c = f * c0 + i * g
                return (o * c.tanh(), c)
            }
            let (h, c) = cell(x, state: (h0, c0))
            let (hRef, cRef) = composed()
            #expect(h.gradFn?.name == "MulBackward0" && c.gradFn?.name == "AddBackward0")
            #expect(h.equal(hRef) && c.equal(cRef))
            let loss = (h * w).sum() + c.sum(), lossRef = (hRef * w).sum() + cRef.sum()
            for (a, b) in zip(grad(of: loss, wrt: leaves, retainGraph: true), grad(of: lossRef, wrt: leaves, retainGraph: true)) {
                #expect(a.equal(b))
            }
            // Under createGraph the rules run in recorded ops: close, and differentiable again.
            let (rtol, atol) = dtype == .float64 ? (1e-10, 1e-12) : (1e-4, 1e-5)
            let fused = grad(of: loss, wrt: leaves, createGraph: true)
            let reference = grad(of: lossRef, wrt: leaves, createGraph: true)
            for (a, b) in zip(fused, reference) { expectClose(a, b, rtol: rtol, atol: atol) }
            let second = grad(of: fused.map { ($0 * $0).sum() }.reduce(Tensor.zeros([], dtype: dtype), +), wrt: [x, h0, c0])
            let secondRef = grad(of: reference.map { ($0 * $0).sum() }.reduce(Tensor.zeros([], dtype: dtype), +), wrt: [x, h0, c0])
            for (a, b) in zip(second, secondRef) {
                expectClose(a, b, rtol: rtol, atol: atol)
            }
        }

        @Test func printsAsPyTorch() {
            let layers: [any Module] = [
                LSTM(10, 20, numLayers: 2),
                LSTM(10, 20, numLayers: 2, bias: false, batchFirst: true, dropout: 0.5, bidirectional: true),
                GRU(3, 4), RNN(3, 4, nonlinearity: .relu),
                LSTMCell(3, 4), GRUCell(3, 4, bias: false), RNNCell(3, 4, nonlinearity: .relu),
            ]
            #expect(layers.map(\.description) == RNNGoldens.descriptions)
        }

        @Test func forwardAloneGivesTheOutputAndSequentialComposes() {
            Tensor.manualSeed(0)
            let gru = GRU(3, 4, batchFirst: true)
            let x = Tensor.randn(2, 5, 3)
            let (output, hN) = gru(x, hidden: nil)
            #expect(gru(x).scalars(as: Double.self) == output.scalars(as: Double.self))
            // The last step's output is the final hidden state of a one-layer unidirectional GRU.
            #expect(output.select(dim: 1, index: 4).scalars(as: Double.self) == hN.squeezed(0).scalars(as: Double.self))
            let lstm = LSTM(3, 4)
            #expect(lstm.allWeights.count == 1 && lstm.allWeights[0].map(\.shape) == [[16, 3], [16, 4], [16], [16]])
        }

        @Test func dropoutBetweenLayersOnlyWhileTraining() {
            Tensor.manualSeed(1)
            let lstm = LSTM(3, 4, numLayers: 2, dropout: 0.5)
            let x = Tensor.randn(5, 2, 3)
            let first = lstm(x).scalars(as: Double.self), second = lstm(x).scalars(as: Double.self)
            #expect(first != second, "a fresh mask per call")
            lstm.eval()
            #expect(lstm(x).scalars(as: Double.self) == lstm(x).scalars(as: Double.self))
        }

        @Test func pytorchStateDictsLoadAndReproduceItsOutputs() throws {
            func state(_ base64: String) throws -> StateDict {
                let data = try #require(Data(base64Encoded: base64.filter { !$0.isWhitespace }))
                return StateDict(try Safetensors.decode(data).tensors)
            }
            let x = Tensor(shape: [4, 2, 3], scalars: (0..<24).map { sin(Double($0) * 0.5 + 0.1) }).to(.float32)
            let lstm = LSTM(3, 5, numLayers: 2, bidirectional: true)
            try lstm.loadStateDict(state(RNNGoldens.lstmFixture))
            let (lo, (lh, _)) = lstm(x, state: nil)
            expectClose(lo, RNNGoldens.lstmFixtureOutput, rtol: 1e-5, atol: 1e-6)
            expectClose(lh, RNNGoldens.lstmFixtureFinal, rtol: 1e-5, atol: 1e-6)
            let gru = GRU(3, 5, batchFirst: true)
            try gru.loadStateDict(state(RNNGoldens.gruFixture))
            let (go, gh) = gru(x, hidden: nil)
            expectClose(go, RNNGoldens.gruFixtureOutput, rtol: 1e-5, atol: 1e-6)
            expectClose(gh, RNNGoldens.gruFixtureFinal, rtol: 1e-5, atol: 1e-6)
            let rnn = RNN(3, 5, numLayers: 2, nonlinearity: .relu)
            try rnn.loadStateDict(state(RNNGoldens.rnnFixture))
            let (ro, rh) = rnn(x, hidden: nil)
            expectClose(ro, RNNGoldens.rnnFixtureOutput, rtol: 1e-5, atol: 1e-6)
            expectClose(rh, RNNGoldens.rnnFixtureFinal, rtol: 1e-5, atol: 1e-6)
        }

        // MARK: Bad input stops with PyTorch's words

        @Test func lstmInputSize() async {
            let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LSTM(10, 20, numLayers: 2)(Tensor.zeros(5, 3, 7))
            }
            expectStandardError(r, contains: "LSTM: " + RNNGoldens.errors["lstmInputSize"]!)
        }

        @Test func lstmRank() async {
            let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LSTM(10, 20, numLayers: 2)(Tensor.zeros(5, 3, 2, 10))
            }
            expectStandardError(r, contains: RNNGoldens.errors["lstmRank"]!)
        }

        @Test func lstmHiddenSize() async {
            let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LSTM(10, 20, numLayers: 2)(Tensor.zeros(5, 3, 10), state: (Tensor.zeros(1, 3, 20), Tensor.zeros(2, 3, 20)))
            }
            expectStandardError(r, contains: RNNGoldens.errors["lstmHiddenSize"]!)
        }

        @Test func lstmCellStateSize() async {
            let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LSTM(10, 20, numLayers: 2)(Tensor.zeros(5, 3, 10), state: (Tensor.zeros(2, 3, 20), Tensor.zeros(2, 3, 21)))
            }
            expectStandardError(r, contains: RNNGoldens.errors["lstmCellSize"]!)
        }

        @Test func lstmStateRanks() async {
            let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LSTM(10, 20, numLayers: 2)(Tensor.zeros(5, 10), state: (Tensor.zeros(2, 3, 20), Tensor.zeros(2, 3, 20)))
            }
            expectStandardError(r, contains: RNNGoldens.errors["lstmUnbatchedState"]!)
            let b = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LSTM(10, 20, numLayers: 2)(Tensor.zeros(5, 3, 10), state: (Tensor.zeros(2, 20), Tensor.zeros(2, 20)))
            }
            expectStandardError(b, contains: RNNGoldens.errors["lstmBatchedState"]!)
        }

        @Test func gruHidden() async {
            let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = GRU(10, 20, numLayers: 2)(Tensor.zeros(5, 3, 10), hidden: Tensor.zeros(1, 3, 20))
            }
            expectStandardError(r, contains: RNNGoldens.errors["gruHiddenSize"]!)
            let u = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = GRU(10, 20, numLayers: 2)(Tensor.zeros(5, 10), hidden: Tensor.zeros(2, 3, 20))
            }
            expectStandardError(u, contains: RNNGoldens.errors["gruUnbatchedState"]!)
        }

        @Test func rnnShapes() async {
            let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = RNN(10, 20)(Tensor.zeros(10))
            }
            expectStandardError(r, contains: RNNGoldens.errors["rnnRank"]!)
            let b = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = RNN(10, 20)(Tensor.zeros(5, 3, 10), hidden: Tensor.zeros(1, 4, 20))
            }
            expectStandardError(b, contains: RNNGoldens.errors["rnnHiddenBatch"]!)
            let u = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = RNN(10, 20)(Tensor.zeros(5, 10), hidden: Tensor.zeros(1, 21))
            }
            expectStandardError(u, contains: RNNGoldens.errors["rnnUnbatchedHidden"]!)
        }

        @Test func cellShapes() async {
            let a = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LSTMCell(10, 20)(Tensor.zeros(3, 7))
            }
            expectStandardError(a, contains: RNNGoldens.errors["lstmCellInputSize"]!)
            let b = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LSTMCell(10, 20)(Tensor.zeros(3, 2, 10))
            }
            expectStandardError(b, contains: RNNGoldens.errors["lstmCellRank"]!)
            let c = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LSTMCell(10, 20)(Tensor.zeros(3, 10), state: (Tensor.zeros(2, 20), Tensor.zeros(3, 20)))
            }
            expectStandardError(c, contains: RNNGoldens.errors["lstmCellBatch"]!)
            let d = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LSTMCell(10, 20)(Tensor.zeros(3, 10), state: (Tensor.zeros(1, 3, 20), Tensor.zeros(3, 20)))
            }
            expectStandardError(d, contains: RNNGoldens.errors["lstmCellStateRank"]!)
            let e = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = GRUCell(10, 20)(Tensor.zeros(3, 10), hidden: Tensor.zeros(3, 21))
            }
            expectStandardError(e, contains: RNNGoldens.errors["gruCellHiddenSize"]!)
            let f = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = RNNCell(10, 20)(Tensor.zeros(3, 10), hidden: Tensor.zeros(20))
            }
            expectStandardError(f, contains: RNNGoldens.errors["rnnCellBatchedHidden1D"]!)
            let g = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = RNNCell(10, 20)(Tensor.zeros(10), hidden: Tensor.zeros(3, 20))
            }
            expectStandardError(g, contains: RNNGoldens.errors["rnnCellUnbatchedHidden2D"]!)
        }

        @Test func badOptions() async {
            let a = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LSTM(3, 4, dropout: 1.5)
            }
            expectStandardError(a, contains: RNNGoldens.errors["dropoutRange"]!)
            let b = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = GRU(3, 0)
            }
            expectStandardError(b, contains: RNNGoldens.errors["hiddenSizeZero"]!)
            let c = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = RNN(3, 4, numLayers: 0)
            }
            expectStandardError(c, contains: RNNGoldens.errors["numLayersZero"]!)
        }
    }
}
