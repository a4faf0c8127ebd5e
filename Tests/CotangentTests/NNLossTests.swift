import Cotangent
import CotangentTestSupport
import Testing

// Losses: values, gradients (input and target), graph names and error messages,
// one table row per configuration, against Tests/Goldens/nn_goldens.py.

/// Each golden case's loss, by name.
private func lossFunction(_ name: String) -> ((Tensor, Tensor) -> Tensor)? {
    // The per-class weight and positive weight the golden cases use.
    let weight3 = Tensor([0.2, 0.3, 0.5], dtype: .float64)
    let posWeight3 = Tensor([1.0, 2.0, 0.5], dtype: .float64)
    let table: [String: (Tensor, Tensor) -> Tensor] = [
        "mse": { mseLoss($0, $1) },
        "mseNone": { MSELoss(reduction: .none)($0, $1) },
        "l1": { L1Loss()($0, $1) },
        "l1Sum": { l1Loss($0, $1, reduction: .sum) },
        "l1None": { l1Loss($0, $1, reduction: .none) },
        "huber": { HuberLoss()($0, $1) },
        "huberDelta": { huberLoss($0, $1, reduction: .sum, delta: 0.7) },
        "huberNone": { HuberLoss(reduction: .none, delta: 1.5)($0, $1) },
        "smoothL1": { SmoothL1Loss()($0, $1) },
        "smoothL1Beta": { smoothL1Loss($0, $1, reduction: .none, beta: 0.4) },
        "smoothL1Zero": { SmoothL1Loss(beta: 0)($0, $1) },
        "nll": { NLLLoss()($0, $1) },
        "nllWeightIgnore": { NLLLoss(weight: weight3)($0, $1) },
        "nllNone": { nllLoss($0, $1, reduction: .none) },
        "nllSpatial": { nllLoss($0, $1, weight: weight3) },
        "crossEntropy": { CrossEntropyLoss()($0, $1) },
        "crossEntropySum": { crossEntropyLoss($0, $1, reduction: .sum) },
        "crossEntropyNone": { crossEntropyLoss($0, $1, reduction: .none) },
        "crossEntropyWeight": { CrossEntropyLoss(weight: weight3)($0, $1) },
        "crossEntropyIgnore": { CrossEntropyLoss(ignoreIndex: 2)($0, $1) },
        "crossEntropySmoothing": { CrossEntropyLoss(labelSmoothing: 0.1)($0, $1) },
        "crossEntropySmoothingWeight": { crossEntropyLoss($0, $1, weight: weight3, labelSmoothing: 0.2) },
        "crossEntropySmoothingNone": { crossEntropyLoss($0, $1, reduction: .none, labelSmoothing: 0.3) },
        "crossEntropySmoothingSum": { crossEntropyLoss($0, $1, reduction: .sum, labelSmoothing: 0.3) },
        "crossEntropyUnbatched": { crossEntropyLoss($0, $1) },
        "crossEntropySpatial": { crossEntropyLoss($0, $1) },
        "crossEntropyProbabilities": { CrossEntropyLoss()($0, $1) },
        "crossEntropyProbabilitiesNone": { crossEntropyLoss($0, $1, reduction: .none) },
        "crossEntropyProbabilitiesSmoothingWeight": { crossEntropyLoss($0, $1, weight: weight3, labelSmoothing: 0.25) },
        "bce": { BCELoss()($0, $1) },
        "bceWeightNone": { BCELoss(weight: weight3, reduction: .none)($0, $1) },
        "bceSaturated": { binaryCrossEntropy($0, $1, reduction: .sum) },
        "bceWithLogits": { BCEWithLogitsLoss()($0, $1) },
        "bceWithLogitsPosWeight": { BCEWithLogitsLoss(weight: weight3, posWeight: posWeight3, reduction: .none)($0, $1) },
        "bceWithLogitsSum": { binaryCrossEntropyWithLogits($0, $1, reduction: .sum) },
    ]
    return table[name]
}

/// The names along a node's first differentiable input, down to the leaves (as the golden script walks them).
private func gradFnChain(_ t: Tensor) -> [String] {
    var names: [String] = []
    var node = t.gradFn
    while let current = node {
        names.append(current.name)
        node = current.nextFunctions.compactMap(\.node).first { $0.name != "AccumulateGrad" }
    }
    return names
}

extension LearningTests {
    @Suite("NN losses") struct NNLossTests {
        @Test(arguments: NNGoldens.losses.map(\.name))
        func lossMatchesPyTorch(_ name: String) throws {
            let row = try #require(NNGoldens.losses.first { $0.name == name })
            let f = try #require(lossFunction(name), "no Swift loss for \(name)")
            let input = golden(row.input, row.inputShape)
            input.requiresGrad = true
            let target = row.targetIsIndex ? golden(row.target, row.targetShape, dtype: .int64) : golden(row.target, row.targetShape)
            if !row.targetIsIndex { target.requiresGrad = true }

            let value = f(input, target)
            #expect(gradFnChain(value) == row.gradFns)
            expectClose(value, row.value, shape: row.valueShape, rtol: 1e-12, atol: 1e-12)
            (value * upstream(row.valueShape)).sum().backward()
            expectClose(input.grad!, row.inputGrad, rtol: 1e-10, atol: 1e-12)
            if let expected = row.targetGrad { expectClose(target.grad!, expected, rtol: 1e-10, atol: 1e-12) }

            // The rules are tensor ops: first and second derivatives check out numerically.
            let inputs = row.targetIsIndex ? [input.detached()] : [input.detached(), target.detached()]
            let call: ([Tensor]) -> Tensor = { $0.count == 2 ? f($0[0], $0[1]) : f($0[0], target) }
            if name != "bceSaturated" {   // clamped at the edges of [0, 1]
                expectGradientsMatch(call, inputs: inputs)
                expectGradientsMatch({ p in
                    withGrad { grad(of: call(p).sum(), wrt: [p[0]], createGraph: true)[0] }
                }, inputs: inputs, atol: 1e-4)
            }

            // float32 follows float64 to float precision.
            let value32 = f(golden(row.input, row.inputShape, dtype: .float32),
                            row.targetIsIndex ? target : golden(row.target, row.targetShape, dtype: .float32))
            // (The weighted cases keep float64 weights, which may promote.)
            if !name.contains("Weight") { #expect(value32.dtype == .float32) }
            expectClose(value32, row.value, rtol: 1e-4, atol: 1e-4)
        }

        @Test func crossEntropyIsStableForHugeLogits() {
            let logits = Tensor([[1000.0, 0.0, -1000.0], [-5e4, 5e4, 0.0]])
            logits.requiresGrad = true
            let loss = crossEntropyLoss(logits, Tensor([0, 1] as [Int64]))
            #expect(loss.item() == 0)
            loss.backward()
            #expect(logits.grad!.scalars(as: Double.self).allSatisfy { $0.isFinite })
            let bce = binaryCrossEntropyWithLogits(Tensor([1e4, -1e4]), Tensor([0.0, 1.0]), reduction: .none)
            expectClose(bce, [1e4, 1e4])
        }

        @Test func emptyAndFullyIgnoredBatchesGiveNaN() {
            #expect(crossEntropyLoss(Tensor.zeros(0, 3), Tensor.zeros(0, dtype: .int64)).item().isNaN)
            #expect(crossEntropyLoss(Tensor.zeros(2, 3), Tensor([-100, -100] as [Int64])).item().isNaN)
            #expect(crossEntropyLoss(Tensor.zeros(2, 3), Tensor([-100, -100] as [Int64]), reduction: .sum).item() == 0)
        }

        @Test func mseStillMatchesTheSeedNotebook() {
            // The notebook's cell: MSELoss of [[1], [2]] against [[3], [4]] gives gradient [[-2], [-2]].
            let a = Tensor([[1.0], [2.0]], requiresGrad: true)
            let b = Tensor([[3.0], [4.0]])
            MSELoss()(a, b).backward()
            expectClose(a.grad!, [-2, -2])
        }

        /// Each bad input stops the program with PyTorch's words.
        @Test func badTargetsStopWithPyTorchsMessages() async {
            // Exit-test bodies cannot capture, so each case is its own closure.
            let results: [(String, ExitTest.Result?)] = [
                ("targetOutOfBounds", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = CrossEntropyLoss()(Tensor.zeros(4, 3), Tensor([0, 1, 2, 10] as [Int64]))
                }),
                ("negativeTarget", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = nllLoss(Tensor.zeros(4, 3), Tensor([0, 1, -1, 2] as [Int64]))
                }),
                ("batchMismatch", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = crossEntropyLoss(Tensor.zeros(4, 3), Tensor([0, 1, 2] as [Int64]))
                }),
                ("multiTarget", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = nllLoss(Tensor.zeros(4, 3), Tensor.zeros(4, 1, dtype: .int64))
                }),
                ("targetDType", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = crossEntropyLoss(Tensor.zeros(4, 3), Tensor.zeros(4, dtype: .int32))
                }),
                ("probabilityDType", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = crossEntropyLoss(Tensor.zeros(4, 3), Tensor.zeros(4, 3, dtype: .int64))
                }),
                ("spatialTarget", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = nllLoss(Tensor.zeros(2, 3, 2), Tensor.zeros(2, 3, dtype: .int64))
                }),
                ("weightShape", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = nllLoss(Tensor.zeros(4, 3), Tensor([0, 1, 2, 0] as [Int64]), weight: Tensor.ones(4))
                }),
                ("labelSmoothing", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = crossEntropyLoss(Tensor.zeros(4, 3), Tensor([0, 1, 2, 0] as [Int64]), labelSmoothing: 1.5)
                }),
                ("probabilityIgnore", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = crossEntropyLoss(Tensor.zeros(4, 3), Tensor.zeros(4, 3), ignoreIndex: 1)
                }),
                ("bceShape", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = binaryCrossEntropy(Tensor.zeros(4, 3), Tensor.zeros(3))
                }),
                ("bceRange", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = binaryCrossEntropy(Tensor.full([4, 3], -1), Tensor.zeros(4, 3))
                }),
                ("bceWithLogitsShape", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = binaryCrossEntropyWithLogits(Tensor.zeros(4, 3), Tensor.zeros(3))
                }),
                ("huberDelta", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = huberLoss(Tensor.zeros(4, 3), Tensor.zeros(4, 3), delta: 0)
                }),
                ("smoothL1Beta", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = smoothL1Loss(Tensor.zeros(4, 3), Tensor.zeros(4, 3), beta: -1)
                }),
                ("noDimensions", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = nllLoss(Tensor(1.0), Tensor(0, dtype: .int64))
                }),
            ]
            for (key, result) in results {
                expectStandardError(result, contains: NNGoldens.errors[key]!)
            }
        }
    }
}
