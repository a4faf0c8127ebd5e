import Cotangent
import CotangentTestSupport
import Testing

// The embedding and likelihood losses (and CTC): values, gradients of every
// input that requires grad, node chains and error messages against
// Tests/Goldens/loss_goldens.py, one table row per configuration.

/// Each golden case's loss, by name, on the case's tensors in order.
private func loss(_ name: String) -> (([Tensor]) -> Tensor)? {
    let table: [String: ([Tensor]) -> Tensor] = [
        "klDiv": { KLDivLoss()($0[0], $0[1]) },
        "klDivNone": { klDiv($0[0], $0[1], reduction: .none) },
        "klDivSum": { klDiv($0[0], $0[1], reduction: .sum) },
        "klDivBatchMean": { KLDivLoss(reduction: .batchMean)($0[0], $0[1]) },
        "klDivLogTarget": { KLDivLoss(logTarget: true)($0[0], $0[1]) },
        "klDivLogTargetBatchMean": { klDiv($0[0], $0[1], reduction: .batchMean, logTarget: true) },
        "klDivZeroTarget": { klDiv($0[0], $0[1], reduction: .batchMean) },
        "klDivBroadcast": { klDiv($0[0], $0[1], reduction: .sum) },
        "cosineEmbedding": { CosineEmbeddingLoss()($0[0], $0[1], $0[2]) },
        "cosineEmbeddingMarginNone": { CosineEmbeddingLoss(margin: -0.2, reduction: .none)($0[0], $0[1], $0[2]) },
        "cosineEmbeddingSum": { cosineEmbeddingLoss($0[0], $0[1], target: $0[2], margin: 0.1, reduction: .sum) },
        "cosineEmbeddingUnbatched": { cosineEmbeddingLoss($0[0], $0[1], target: $0[2], margin: -0.5) },
        "marginRanking": { MarginRankingLoss()($0[0], $0[1], $0[2]) },
        "marginRankingMarginNone": { MarginRankingLoss(margin: 0.5, reduction: .none)($0[0], $0[1], $0[2]) },
        "marginRankingSum": { marginRankingLoss($0[0], $0[1], target: $0[2], margin: 0.3, reduction: .sum) },
        "tripletMargin": { TripletMarginLoss()($0[0], $0[1], $0[2]) },
        "tripletMarginP1None": { TripletMarginLoss(margin: 2, p: 1, reduction: .none)($0[0], $0[1], $0[2]) },
        "tripletMarginSwapSum": {
            tripletMarginLoss(anchor: $0[0], positive: $0[1], negative: $0[2], margin: 3, p: 3, eps: 1e-3, swap: true,
                              reduction: .sum)
        },
        "tripletMarginUnbatched": { TripletMarginLoss(margin: 4)($0[0], $0[1], $0[2]) },
        "poissonNLL": { PoissonNLLLoss()($0[0], $0[1]) },
        "poissonNLLRatesFullNone": { PoissonNLLLoss(logInput: false, full: true, reduction: .none)($0[0], $0[1]) },
        "poissonNLLFullSum": { poissonNLLLoss($0[0], $0[1], full: true, eps: 1e-4, reduction: .sum) },
        "gaussianNLL": { GaussianNLLLoss()($0[0], $0[1], $0[2]) },
        "gaussianNLLFullNone": { GaussianNLLLoss(full: true, reduction: .none)($0[0], $0[1], $0[2]) },
        "gaussianNLLShortVariance": { gaussianNLLLoss($0[0], $0[1], variance: $0[2], reduction: .sum) },
        "gaussianNLLBroadcastVariance": { gaussianNLLLoss($0[0], $0[1], variance: $0[2]) },
        "gaussianNLLClamped": { gaussianNLLLoss($0[0], $0[1], variance: $0[2].abs(), eps: 0.1) },
    ]
    return table[name]
}

/// The names along a node's first differentiable input, down to the leaves.
private func chain(_ t: Tensor) -> [String] {
    var names: [String] = []
    var node = t.gradFn
    while let current = node {
        names.append(current.name)
        node = current.nextFunctions.compactMap(\.node).first { $0.name != "AccumulateGrad" }
    }
    return names
}

extension LearningTests {
    @Suite("Embedding and likelihood losses") struct LossTests {
        @Test(arguments: LossGoldens.cases.map(\.name))
        func lossMatchesPyTorch(_ name: String) throws {
            let row = try #require(LossGoldens.cases.first { $0.name == name })
            let f = try #require(loss(name), "no Swift loss for \(name)")
            let inputs = row.inputs.map { golden($0.values, $0.shape) }
            for (t, spec) in zip(inputs, row.inputs) { t.requiresGrad = spec.requiresGrad }

            let value = f(inputs)
            #expect(chain(value) == row.gradFns)
            expectClose(value, row.value, shape: row.valueShape, rtol: 1e-12, atol: 1e-12)
            (value * upstream(row.valueShape)).sum().backward()
            for (t, expected) in zip(inputs, row.grads) {
                if let expected { expectClose(t.grad!, expected, rtol: 1e-10, atol: 1e-12) }
            }

            // The graphs are tensor ops: first and second derivatives check out numerically.
            if row.gradCheck {
                let differentiable = row.inputs.indices.filter { row.inputs[$0].requiresGrad }
                let call: ([Tensor]) -> Tensor = { p in
                    var all = inputs.map { $0.detached() }
                    for (k, i) in differentiable.enumerated() { all[i] = p[k] }
                    return f(all)
                }
                let points = differentiable.map { inputs[$0].detached() }
                expectGradientsMatch(call, inputs: points)
                expectGradientsMatch({ p in
                    withGrad { grad(of: call(p).sum(), wrt: [p[0]], createGraph: true)[0] }
                }, inputs: points, atol: 1e-4)
            }

            // float32 follows float64 to float precision.
            let value32 = f(row.inputs.map { golden($0.values, $0.shape, dtype: .float32) })
            #expect(value32.dtype == .float32)
            expectClose(value32, row.value, rtol: 1e-4, atol: 1e-4)
        }

        @Test(arguments: LossGoldens.ctcCases.map(\.name))
        func ctcMatchesPyTorch(_ name: String) throws {
            let row = try #require(LossGoldens.ctcCases.first { $0.name == name })
            let reduction: Reduction = row.reduction == "sum" ? .sum : row.reduction == "none" ? .none : .mean
            let targets = Tensor(shape: row.targetShape, scalars: row.targets)
            let loss = CTCLoss(blank: row.blank, reduction: reduction, zeroInfinity: row.zeroInfinity)
            let f: (Tensor) -> Tensor = { lp in
                loss(lp, targets, inputLengths: Tensor(shape: [row.inputLengths.count], scalars: row.inputLengths.map(Int64.init)),
                     targetLengths: Tensor(shape: [row.targetLengths.count], scalars: row.targetLengths.map(Int64.init)))
            }
            let logProbs = golden(row.logProbs, row.shape)
            logProbs.requiresGrad = true
            let value = f(logProbs)
            #expect(chain(value) == row.gradFns)
            expectClose(value, row.value, shape: row.valueShape, rtol: 1e-12, atol: 1e-12)
            (value * upstream(row.valueShape)).sum().backward()
            expectClose(logProbs.grad!, row.grad, rtol: 1e-10, atol: 1e-12)
            // PyTorch's gradient is right for normalised log-probabilities: check it through logSoftmax.
            let logits = logProbs.detached()
            expectGradientsMatch({ p in f(p[0].logSoftmax(dim: 2)) }, inputs: [logits])
            let value32 = f(logits.to(.float32))
            #expect(value32.dtype == .float32)
            expectClose(value32, row.value, rtol: 1e-5, atol: 1e-5)
        }

        @Test func klDivMeanDividesByEveryElement() {
            // PyTorch warns that .mean is not the divergence; the values are its values.
            let input = Tensor([[-1.0, -2.0], [-0.5, -1.5]]).logSoftmax(dim: 1)
            let target = Tensor([[0.3, 0.7], [0.6, 0.4]])
            let mean = klDiv(input, target).item(), batch = klDiv(input, target, reduction: .batchMean).item()
            #expect(abs(mean * 4 - batch * 2) < 1e-12)
        }

        @Test func gaussianNLLTakesANumberVariance() {
            let input = Tensor([1.0, 2.0, 3.0]), target = Tensor([1.5, 2.0, 2.0])
            expectClose(gaussianNLLLoss(input, target, variance: 2.0),
                        gaussianNLLLoss(input, target, variance: Tensor.full([3], 2.0)), rtol: 0, atol: 0)
        }

        /// Each bad input stops the program with PyTorch's words.
        @Test func badInputStopsWithPyTorchsMessages() async {
            let results: [(String, ExitTest.Result?)] = [
                ("cosineTargetRank", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = cosineEmbeddingLoss(Tensor.zeros(4, 3), Tensor.zeros(4, 3), target: Tensor.zeros(4, 1))
                }),
                ("cosineInputRank", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = cosineEmbeddingLoss(Tensor.zeros(4, 3), Tensor.zeros(4), target: Tensor.zeros(4))
                }),
                ("cosineUnbatchedRank", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = cosineEmbeddingLoss(Tensor.zeros(4, 3), Tensor.zeros(4, 3), target: Tensor(1.0))
                }),
                ("marginRankingRank", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = marginRankingLoss(Tensor.zeros(3), Tensor.zeros(3), target: Tensor.zeros(1, 3))
                }),
                ("tripletMargin", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    let x = Tensor.zeros(4, 3)
                    _ = tripletMarginLoss(anchor: x, positive: x, negative: x, margin: 0)
                }),
                ("tripletRank", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    let x = Tensor.zeros(4, 3)
                    _ = tripletMarginLoss(anchor: x, positive: Tensor.zeros(3), negative: x)
                }),
                ("klIntegral", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = klDiv(Tensor.zeros(3, dtype: .int64), Tensor.zeros(3))
                }),
                ("gaussianNegative", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    let x = Tensor.zeros(4, 3)
                    _ = gaussianNLLLoss(x, x, variance: -Tensor.ones(4, 3))
                }),
                ("gaussianSize", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    let x = Tensor.zeros(4, 3)
                    _ = gaussianNLLLoss(x, x, variance: Tensor.ones(3, 3))
                }),
                ("ctcInputLength", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = ctcLoss(Tensor.zeros(5, 2, 4), targets: Tensor([[1, 2], [3, 3]] as [[Int64]]), inputLengths: [6, 4], targetLengths: [2, 2])
                }),
                ("ctcTargetWidth", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = ctcLoss(Tensor.zeros(5, 2, 4), targets: Tensor([[1, 2], [3, 3]] as [[Int64]]), inputLengths: [5, 4], targetLengths: [3, 2])
                }),
                ("ctcBlank", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = ctcLoss(Tensor.zeros(5, 2, 4), targets: Tensor([[1, 2], [3, 3]] as [[Int64]]), inputLengths: [5, 4], targetLengths: [2, 2], blank: 4)
                }),
                ("ctcBatch", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = ctcLoss(Tensor.zeros(5, 2, 4), targets: Tensor([[1, 2], [3, 3]] as [[Int64]]), inputLengths: [5], targetLengths: [2, 2])
                }),
                ("ctcConcatenated", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = ctcLoss(Tensor.zeros(5, 2, 4), targets: Tensor([1, 2, 3] as [Int64]), inputLengths: [5, 4], targetLengths: [2, 2])
                }),
                ("ctcSecondOrder", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    let lp = Tensor.zeros(5, 2, 4, dtype: .float64).logSoftmax(dim: 2).detached()
                    lp.requiresGrad = true
                    let g = withGrad {
                        grad(of: ctcLoss(lp, targets: Tensor([[1, 2], [3, 3]] as [[Int64]]), inputLengths: [5, 4], targetLengths: [2, 2]),
                             wrt: [lp], createGraph: true)[0]
                    }
                    g.sum().backward()
                }),
            ]
            for (key, result) in results {
                expectStandardError(result, contains: LossGoldens.errors[key]!)
            }
        }
    }
}
