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
    makeStatefulOptimizer(name, p)
}

/// The per-parameter state of a built-in optimizer, for any of them.
private func stateOf(_ optimizer: any Optimizer) -> [Int: StateDict] {
    func open<O: Optimizer>(_ o: O) -> [Int: StateDict] {
        switch o {
        case let o as SGD: o.stateDict().state
        case let o as Adam: o.stateDict().state
        case let o as AdamW: o.stateDict().state
        case let o as RMSprop: o.stateDict().state
        case let o as Adagrad: o.stateDict().state
        case let o as Adadelta: o.stateDict().state
        case let o as Adamax: o.stateDict().state
        case let o as NAdam: o.stateDict().state
        case let o as RAdam: o.stateDict().state
        default: [:]
        }
    }
    return open(optimizer)
}

/// A user's own optimizer: plain SGD whose zeroGrad counts its calls.
private final class CountingSGD: Optimizer {
    var parameterGroups: [ParameterGroup<LearningRateOptions>]
    var zeroGradCalls = 0
    init(_ parameters: [Tensor], learningRate: Double) {
        parameterGroups = [ParameterGroup(parameters, options: LearningRateOptions(learningRate: learningRate))]
    }
    func step() {
        withNoGrad {
            for group in parameterGroups {
                for p in group.parameters { if let g = p.grad { p -= g * group.options.learningRate } }
            }
        }
    }
    func zeroGrad() {
        zeroGradCalls += 1
        for p in parameters { p.grad = nil }
    }
}

private func makeStatefulOptimizer(_ name: String, _ p: [Tensor]) -> (any Optimizer)? {
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
    case "adagrad": Adagrad(p, learningRate: 0.1)
    case "adagradDecay": Adagrad(p, learningRate: 0.1, lrDecay: 0.05, weightDecay: 0.1, initialAccumulatorValue: 0.2, eps: 1e-6)
    case "adagradMaximize": Adagrad(p, learningRate: 0.05, maximize: true)
    case "adadelta": Adadelta(p)
    case "adadeltaDecay": Adadelta(p, learningRate: 0.5, rho: 0.8, eps: 1e-4, weightDecay: 0.1)
    case "adamax": Adamax(p, learningRate: 0.02)
    case "adamaxDecay": Adamax(p, learningRate: 0.02, betas: (0.8, 0.9), eps: 1e-4, weightDecay: 0.1, maximize: true)
    case "nadam": NAdam(p, learningRate: 0.02)
    case "nadamDecay": NAdam(p, learningRate: 0.02, betas: (0.8, 0.95), weightDecay: 0.1, momentumDecay: 0.01)
    case "nadamDecoupled": NAdam(p, learningRate: 0.02, weightDecay: 0.1, decoupledWeightDecay: true)
    case "radam": RAdam(p, learningRate: 0.02, betas: (0.9, 0.9))
    case "radamDecay": RAdam(p, learningRate: 0.02, betas: (0.8, 0.9), weightDecay: 0.1, maximize: true)
    case "radamDecoupled": RAdam(p, learningRate: 0.02, betas: (0.9, 0.9), weightDecay: 0.1, decoupledWeightDecay: true)
    case "sgdGroups":
        SGD(groups: [.init([p[0]]) { $0.weightDecay = 0.1; $0.learningRate = 0.05 }, .init([p[1]]) { $0.momentum = 0.5 }],
            learningRate: 0.1, momentum: 0.9)
    case "adamGroups":
        Adam(groups: [.init([p[0]]), .init([p[1]]) { $0.learningRate = 0.05; $0.betas = (0.5, 0.9); $0.amsgrad = true }],
             learningRate: 0.01)
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

        @Test(arguments: OptimGoldens.states.keys.sorted())
        func stateMatchesPyTorchsNamesAndValues(_ name: String) throws {
            let (w, b) = start(.float64)
            let optimizer = try #require(makeOptimizer(name, [w, b]))
            for _ in 0..<5 {
                optimizer.zeroGrad()
                objective(w, b).backward()
                optimizer.step()
            }
            let expected = OptimGoldens.states[name]!
            let state = stateOf(optimizer)[0] ?? StateDict()
            #expect(state.keys == expected.map(\.key), "\(name)")
            for (key, values) in expected {
                guard let actual = state[key] else { continue }
                // float32 bookkeeping (step, NAdam's mu_product) matches to float precision.
                let tolerance = actual.dtype == .float32 ? 1e-7 : 1e-12
                expectClose(actual, values, rtol: tolerance, atol: tolerance)
            }
        }

        @Test(arguments: ["sgdMomentum", "adamAmsgrad", "rmspropCentered", "adagradDecay", "adadelta", "adamax", "nadam", "radamDecoupled", "adamGroups"])
        func stateDictsResumeTraining(_ name: String) throws {
            // Three steps, a state dict into a fresh optimizer, two more steps: PyTorch's fifth step.
            let (w, b) = start(.float64)
            let first = try #require(makeOptimizer(name, [w, b]))
            func run(_ o: any Optimizer, _ n: Int) {
                for _ in 0..<n {
                    o.zeroGrad()
                    objective(w, b).backward()
                    o.step()
                }
            }
            run(first, 3)
            let second = try #require(makeOptimizer(name, [w, b]))
            func transfer<O: Optimizer>(_ from: O) throws {
                switch (from, second) {
                case let (a as SGD, b as SGD): try b.loadStateDict(a.stateDict())
                case let (a as Adam, b as Adam): try b.loadStateDict(a.stateDict())
                case let (a as RMSprop, b as RMSprop): try b.loadStateDict(a.stateDict())
                case let (a as Adagrad, b as Adagrad): try b.loadStateDict(a.stateDict())
                case let (a as Adadelta, b as Adadelta): try b.loadStateDict(a.stateDict())
                case let (a as Adamax, b as Adamax): try b.loadStateDict(a.stateDict())
                case let (a as NAdam, b as NAdam): try b.loadStateDict(a.stateDict())
                case let (a as RAdam, b as RAdam): try b.loadStateDict(a.stateDict())
                default: Issue.record("no state transfer for \(name)")
                }
            }
            try transfer(first)
            run(second, 2)
            let current = Tensor.cat([w.detached().reshaped(-1), b.detached()])
            expectClose(current, OptimGoldens.trajectories[name]!.float64[4], rtol: 1e-12, atol: 1e-13)
            // A state for other groups is refused with PyTorch's words.
            let other = Adam([Tensor.zeros(1, requiresGrad: true)])
            let mismatched = Adam(groups: [.init([w]), .init([b])])
            #expect { try other.loadStateDict(mismatched.stateDict()) } throws: {
                "\($0)" == "loaded state dict has a different number of parameter groups"
            }
            let sizes = Adam([w])
            #expect { try sizes.loadStateDict(Adam([w, b]).stateDict()) } throws: {
                "\($0)" == "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            }
        }

        @Test func zeroGradIsTheOptimizersOwn() {
            let p = Tensor.ones(2, requiresGrad: true)
            let custom = CountingSGD([p], learningRate: 0.5)
            let optimizer: any Optimizer = custom
            (p * 2).sum().backward()
            optimizer.step()
            optimizer.zeroGrad()
            #expect(custom.zeroGradCalls == 1 && p.grad == nil)
            #expect(p.scalars(as: Double.self) == [0, 0])
            // Schedulers drive it too.
            let scheduler = StepLR(optimizer, stepSize: 1, gamma: 0.5)
            scheduler.step()
            #expect(custom.learningRate == 0.25)
        }

        @Test(arguments: OptimGoldens.groupSchedules.keys.sorted())
        func schedulersDriveEveryGroupAsPyTorchs(_ name: String) {
            let w = Tensor.zeros(1, requiresGrad: true), b = Tensor.zeros(1, requiresGrad: true)
            let isAdam = name == "oneCycleAdam"
            let optimizer: any Optimizer = isAdam
                ? Adam(groups: [.init([w]), .init([b]) { $0.learningRate = 0.2 }], learningRate: 0.5)
                : SGD(groups: [.init([w]), .init([b]) { $0.learningRate = 0.2 }], learningRate: 0.5)
            var plateau: ReduceLROnPlateau?
            var scheduler: (any LRScheduler)?
            switch name {
            case "multiStep": scheduler = MultiStepLR(optimizer, milestones: [2, 5, 5, 9], gamma: 0.5)
            case "exponential": scheduler = ExponentialLR(optimizer, gamma: 0.8)
            case "lambda": scheduler = LambdaLR(optimizer) { 1.0 / Double($0 + 2) }
            case "linearWarmup": scheduler = LinearLR(optimizer, startFactor: 0.25, totalIters: 4)
            case "linearDecay": scheduler = LinearLR(optimizer, startFactor: 1, endFactor: 0.1, totalIters: 10)
            case "oneCycle": scheduler = OneCycleLR(optimizer, maxLR: 1, totalSteps: 12)
            case "oneCycleAdam":
                scheduler = OneCycleLR(optimizer, maxLR: 0.1, epochs: 3, stepsPerEpoch: 4, pctStart: 0.25,
                                       annealStrategy: .linear, threePhase: true)
            case "oneCycleNoMomentum":
                scheduler = OneCycleLR(optimizer, maxLR: 0.3, totalSteps: 15, cycleMomentum: false, divFactor: 10, finalDivFactor: 100)
            case "plateau": plateau = ReduceLROnPlateau(optimizer, factor: 0.5, patience: 2)
            case "plateauMax":
                plateau = ReduceLROnPlateau(optimizer, mode: .max, patience: 1, threshold: 0.05, thresholdMode: .abs,
                                            cooldown: 2, minLR: 0.1)
            default: Issue.record("no scheduler for \(name)")
            }
            func snapshot() -> [Double] {
                optimizer.learningRates + [w, b].indices.map { i -> Double in
                    if let sgd = optimizer as? SGD { return sgd.parameterGroups[i].options.momentum }
                    return (optimizer as! Adam).parameterGroups[i].options.betas.0
                }
            }
            for (i, expected) in OptimGoldens.groupSchedules[name]!.enumerated() {
                if i > 0 {
                    if let plateau { plateau.step(OptimGoldens.plateauMetrics[i - 1]) } else { scheduler!.step() }
                }
                let actual = snapshot()
                for (a, e) in zip(actual, expected) { #expect(Swift.abs(a - e) <= 1e-15 * Swift.max(1, Swift.abs(e)), "\(name) step \(i): \(actual) vs \(expected)") }
                if let scheduler { #expect(scheduler.lastLearningRates == optimizer.learningRates) }
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
                ("rho", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = Adadelta([Tensor.zeros(1, requiresGrad: true)], rho: 1.5)
                }),
                ("lrDecay", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = Adagrad([Tensor.zeros(1, requiresGrad: true)], lrDecay: -1)
                }),
                ("momentumDecay", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = NAdam([Tensor.zeros(1, requiresGrad: true)], momentumDecay: -1)
                }),
                ("beta2", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = RAdam([Tensor.zeros(1, requiresGrad: true)], betas: (0.9, 1.0))
                }),
                ("oneCycleMomentum", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = OneCycleLR(Adagrad([Tensor.zeros(1, requiresGrad: true)]), maxLR: 0.1, totalSteps: 4)
                }),
                ("plateauFactor", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = ReduceLROnPlateau(SGD([Tensor.zeros(1, requiresGrad: true)], learningRate: 0.1), factor: 1)
                }),
                ("warmupFactor", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = LinearLR(SGD([Tensor.zeros(1, requiresGrad: true)], learningRate: 0.1), startFactor: 0)
                }),
            ]
            for (key, result) in results {
                expectStandardError(result, contains: OptimGoldens.errors[key]!)
            }
        }
    }
}
