import Cotangent
import CotangentTestSupport
import Testing

// EmbeddingBag (and Embedding's node): initial weights, values, gradients of the
// weight and the per-sample weights, node names and messages against
// Tests/Goldens/embedding_bag_goldens.py.

extension LearningTests {
    @Suite("EmbeddingBag") struct EmbeddingBagTests {
        @Test func initialisationAndDescriptionsMatchPyTorch() {
            Tensor.manualSeed(0)
            let a = EmbeddingBag(10, 3, mode: .max, paddingIdx: 2)
            let b = EmbeddingBag(6, 2)
            #expect(a.weight.scalars(as: Double.self) == EmbeddingBagGoldens.initialWeights[0])
            #expect(b.weight.scalars(as: Double.self) == EmbeddingBagGoldens.initialWeights[1])
            let pretrained = EmbeddingBag.fromPretrained(Tensor.zeros(4, 2), mode: .sum, paddingIdx: -1)
            #expect([a.description, b.description, pretrained.description] == EmbeddingBagGoldens.descriptions)
            #expect(!pretrained.weight.requiresGrad && a.stateDict().keys == ["weight"])
            #expect(EmbeddingBag.fromPretrained(Tensor.ones(2, 2), freeze: false).weight.requiresGrad)
        }

        @Test(arguments: EmbeddingBagGoldens.cases.map(\.name))
        func bagsMatchPyTorch(_ name: String) throws {
            let row = try #require(EmbeddingBagGoldens.cases.first { $0.name == name })
            let input = Tensor(shape: row.inputShape, scalars: row.input)
            let offsets = row.offsets.map { Tensor(shape: [$0.count], scalars: $0) }
            let mode = try #require(EmbeddingBagMode(rawValue: row.mode))
            let f: ([Tensor]) -> Tensor = { p in
                embeddingBag(input, weight: p[0], offsets: offsets, mode: mode, perSampleWeights: p.count > 1 ? p[1] : nil,
                             includeLastOffset: row.includeLastOffset, paddingIdx: row.paddingIdx)
            }
            let weight = golden(EmbeddingBagGoldens.weight, [7, 3])
            weight.requiresGrad = true
            var inputs = [weight]
            if let w = row.perSampleWeights {
                let sample = golden(w, row.inputShape)
                sample.requiresGrad = true
                inputs.append(sample)
            }
            let value = f(inputs)
            #expect(value.gradFn?.name == row.gradFn)
            expectClose(value, row.value, shape: row.valueShape, rtol: 1e-12, atol: 1e-12)
            (value * upstream(row.valueShape)).sum().backward()
            expectClose(weight.grad!, row.weightGrad, rtol: 1e-12, atol: 1e-12)
            if let expected = row.sampleGrad { expectClose(inputs[1].grad!, expected, rtol: 1e-12, atol: 1e-12) }
            // The rule is tensor ops: first and second derivatives (max: piecewise linear, first only).
            let points = inputs.map { $0.detached() }
            expectGradientsMatch(f, inputs: points)
            if mode != .max {
                expectGradientsMatch({ p in withGrad { grad(of: f(p).pow(2).sum(), wrt: [p[0]], createGraph: true)[0] } },
                                     inputs: points, atol: 1e-4)
            }
            // float32 follows to float precision; the module gives the function's values.
            let value32 = f(inputs.map { $0.detached().to(.float32) })
            #expect(value32.dtype == .float32)
            expectClose(value32, row.value, rtol: 1e-5, atol: 1e-5)
            if row.perSampleWeights == nil {
                let module = EmbeddingBag.fromPretrained(weight, mode: mode, includeLastOffset: row.includeLastOffset,
                                                         paddingIdx: row.paddingIdx)
                expectClose(module(input, offsets: offsets), row.value, rtol: 1e-12, atol: 1e-12)
            }
        }

        @Test func embeddingRecordsPyTorchsNode() {
            let weight = golden(EmbeddingBagGoldens.weight, [7, 3])
            weight.requiresGrad = true
            let y = embedding(Tensor([[1, 2], [2, 6]] as [[Int64]]), weight: weight, paddingIdx: 2)
            #expect(y.gradFn?.name == EmbeddingBagGoldens.embeddingGradFn)
            (y * y).sum().backward()
            #expect(weight.grad!.select(dim: 0, index: 2).scalars(as: Double.self) == [0, 0, 0])
            expectGradientsMatch({ p in withGrad { grad(of: embedding(Tensor([3, 0, 3] as [Int64]), weight: p[0]).pow(2).sum(),
                                                        wrt: [p[0]], createGraph: true)[0] } },
                                 inputs: [weight.detached()], atol: 1e-4)
        }

        @Test func badInputStopsWithPyTorchsMessages() async {
            let results: [(String, ExitTest.Result?)] = [
                ("perSampleMode", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = embeddingBag(Tensor([1, 2] as [Int64]), weight: Tensor.zeros(5, 3), offsets: Tensor([0] as [Int64]),
                                     mode: .mean, perSampleWeights: Tensor.ones(2))
                }),
                ("offsets2d", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = embeddingBag(Tensor([[1, 2]] as [[Int64]]), weight: Tensor.zeros(5, 3), offsets: Tensor([0] as [Int64]))
                }),
                ("noOffsets", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = embeddingBag(Tensor([1, 2] as [Int64]), weight: Tensor.zeros(5, 3))
                }),
                ("range", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = embeddingBag(Tensor([1, 7] as [Int64]), weight: Tensor.zeros(5, 3), offsets: Tensor([0] as [Int64]))
                }),
                ("firstOffset", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = embeddingBag(Tensor([1, 2] as [Int64]), weight: Tensor.zeros(5, 3), offsets: Tensor([1] as [Int64]))
                }),
                ("lastOffset", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = embeddingBag(Tensor([1, 2] as [Int64]), weight: Tensor.zeros(5, 3), offsets: Tensor([0, 3] as [Int64]))
                }),
                ("perSampleShape", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = embeddingBag(Tensor([1, 2] as [Int64]), weight: Tensor.zeros(5, 3), offsets: Tensor([0] as [Int64]),
                                     mode: .sum, perSampleWeights: Tensor.ones(3))
                }),
            ]
            for (key, result) in results {
                // PyTorch appends a printed empty tensor to one message; the words are before it.
                let words = EmbeddingBagGoldens.errors[key]!.split(separator: "\n").first.map(String.init) ?? ""
                expectStandardError(result, contains: words)
            }
        }
    }
}
