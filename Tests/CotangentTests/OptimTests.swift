import Cotangent
import CotangentTestSupport
import Testing

// Optimizers and schedulers: five steps of each against PyTorch's trajectory
// (Tests/Goldens/optim_goldens.py), in float64 and float32.

/// The golden problem's starting point: w [3, 2] and b [2].
private func start(_ dtype: DType) -> (w: Tensor, b: Tensor) {
    let w = (Tensor.arange(6, dtype: .float64).reshaped(3, 2) * 0.25 - 0.6).to(dtype)
    let b = Tensor([0.3, -0.2], dtype: .float64).to(dtype)
    w.requiresGrad = true
    b.requiresGrad = true
    return (w, b)
}

/// The golden problem's objective.
private func objective(_ w: Tensor, _ b: Tensor) -> Tensor {
    let x = Tensor([[1.0, -2.0, 0.5], [0.25, 1.5, -1.0]], dtype: w.dtype)
    let y = x.mm(w) + b
    return (y * y).sum() * 0.5 + (w * w * w).sum() * 0.1 - b.sum()
}

/// Each golden configuration, by name.
private func makeOptimizer(_ name: String, _ p: [Tensor]) -> (any Optimizer)? {
    switch name {
    case "sgd": SGD(p, learningRate: 0.1)
    case "sgdMomentum": SGD(p, learningRate: 0.1, momentum: 0.9)
    case "sgdDampening": SGD(p, learningRate: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01)
    case "sgdNesterov": SGD(p, learningRate: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true)
    case "sgdMaximize": SGD(p, learningRate: 0.01, momentum: 0.5, maximize: true)
    case "adam": Adam(p, learningRate: 0.01)
    case "adamWeightDecay": Adam(p, learningRate: 0.01, betas: (0.8, 0.99), eps: 1e-6, weightDecay: 0.1)
    case "adamAmsgrad": Adam(p, learningRate: 0.02, amsgrad: true)
    case "adamW": AdamW(p, learningRate: 0.01)
    case "adamWAmsgrad": AdamW(p, learningRate: 0.01, weightDecay: 0.1, amsgrad: true)
    case "rmsprop": RMSprop(p, learningRate: 0.01)
    case "rmspropCentered": RMSprop(p, learningRate: 0.01, alpha: 0.9, weightDecay: 0.1, momentum: 0.5, centered: true)
    case "rmspropMomentum": RMSprop(p, learningRate: 0.005, momentum: 0.9)
    default: nil
    }
}

extension LearningTests {
    @Suite("Optimizers") struct OptimTests {
        @Test(arguments: OptimGoldens.trajectories.keys.sorted(), [DType.float64, .float32])
        func trajectoryMatchesPyTorch(_ name: String, _ dtype: DType) throws {
            let (w, b) = start(dtype)
            let optimizer = try #require(makeOptimizer(name, [w, b]), "no Swift optimizer for \(name)")
            let golden = OptimGoldens.trajectories[name]!
            let expected = dtype == .float64 ? golden.float64 : golden.float32
            // float32 differs from PyTorch only by fused multiply-adds and summation order.
            let (rtol, atol) = dtype == .float64 ? (1e-12, 1e-13) : (2e-6, 2e-6)
            for (step, values) in expected.enumerated() {
                optimizer.zeroGrad()
                objective(w, b).backward()
                optimizer.step()
                let current = Tensor.cat([w.detached().reshaped(-1), b.detached()])
                expectClose(current, values, rtol: rtol, atol: atol)
                #expect(w.isLeaf && w.requiresGrad && w.dtype == dtype, "step \(step)")
            }
        }

        @Test func stepsSkipParametersWithoutGradientsAndRecordNothing() {
            let used = Tensor.ones(2, requiresGrad: true), unused = Tensor.ones(2, requiresGrad: true)
            for optimizer in [SGD([used, unused], learningRate: 0.1, momentum: 0.9) as any Optimizer,
                              Adam([used, unused]), AdamW([used, unused]), RMSprop([used, unused], centered: true)] {
                optimizer.zeroGrad()
                (used * 3).sum().backward()
                let before = used.cloned().detached()
                optimizer.step()
                #expect(unused.scalars(as: Double.self) == [1, 1])
                #expect(used.gradFn == nil && used.isLeaf && used.requiresGrad)
                #expect(!used.equal(before), "the parameter moved")
                #expect(unused.grad == nil)
            }
            // zeroGrad(setToNil: false) keeps zero-filled gradient tensors.
            let sgd = SGD([used], learningRate: 0.1)
            (used * 2).sum().backward()
            let g = used.grad!
            sgd.zeroGrad(setToNil: false)
            #expect(used.grad === g && g.scalars(as: Double.self) == [0, 0])
            sgd.zeroGrad()
            #expect(used.grad == nil)
        }

        @Test func optimizerTrainsALinearModel() {
            // y = 2x - 1 from four points: Adam gets within 1e-3 in a few hundred steps.
            Tensor.manualSeed(0)
            let model = Linear(1, 1)
            let x = Tensor([[0.0], [1.0], [2.0], [3.0]]), y = x * 2 - 1
            let optimizer = Adam(model.parameters(), learningRate: 0.1)
            for _ in 0..<500 {
                optimizer.zeroGrad()
                mseLoss(model(x), y).backward()
                optimizer.step()
            }
            #expect(Swift.abs(model.weight.item() - 2) < 1e-3)
            #expect(Swift.abs(model.bias!.item() + 1) < 1e-3)
        }

        @Test func schedulersMatchPyTorch() {
            let w = Tensor.zeros(1, requiresGrad: true)
            let cases: [(any LRScheduler, any Optimizer, [Double])] = {
                let a = SGD([w], learningRate: 0.5), b = SGD([w], learningRate: 0.5)
                return [(StepLR(a, stepSize: 3, gamma: 0.5), a, OptimGoldens.stepLR),
                        (CosineAnnealingLR(b, tMax: 4, etaMin: 0.01), b, OptimGoldens.cosineAnnealingLR)]
            }()
            for (scheduler, optimizer, expected) in cases {
                #expect(scheduler.baseLearningRate == 0.5 && scheduler.lastEpoch == 0)
                for (epoch, rate) in expected.enumerated() {
                    scheduler.step()
                    #expect(scheduler.lastEpoch == epoch + 1)
                    #expect(Swift.abs(optimizer.learningRate - rate) <= 1e-15, "epoch \(epoch + 1)")
                }
            }
        }

        @Test func badHyperparametersStop() async {
            let results: [(String, ExitTest.Result?)] = [
                ("learningRate", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = SGD([Tensor.zeros(1, requiresGrad: true)], learningRate: -1)
                }),
                ("nesterov", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = SGD([Tensor.zeros(1, requiresGrad: true)], learningRate: 0.1, nesterov: true)
                }),
                ("momentum", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = SGD([Tensor.zeros(1, requiresGrad: true)], learningRate: 0.1, momentum: -1)
                }),
                ("beta", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = Adam([Tensor.zeros(1, requiresGrad: true)], betas: (1.0, 0.9))
                }),
                ("epsilon", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = AdamW([Tensor.zeros(1, requiresGrad: true)], eps: -1)
                }),
                ("empty", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = Adam([])
                }),
                ("alpha", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = RMSprop([Tensor.zeros(1, requiresGrad: true)], alpha: -1)
                }),
            ]
            for (key, result) in results {
                expectStandardError(result, contains: OptimGoldens.errors[key]!)
            }
        }
    }
}
