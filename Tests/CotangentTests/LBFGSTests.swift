import Cotangent
import CotangentTestSupport
import Testing

// LBFGS: five steps per configuration against PyTorch's parameters, returned
// losses and evaluation counters (Tests/Goldens/lbfgs_goldens.py).

private func rosenbrockStart(_ dtype: DType) -> [Tensor] { [Tensor([-1.5, 2.0], dtype: dtype, requiresGrad: true)] }

private func rosenbrock(_ p: [Tensor]) -> Tensor {
    let (x, y) = (p[0][0], p[0][1])
    return (1.0 - x).pow(2) + 100.0 * (y - x.pow(2)).pow(2)
}

private func regressionStart(_ dtype: DType) -> [Tensor] {
    let w = (Tensor.arange(6, dtype: .float64).reshaped(3, 2) * 0.25 - 0.6).to(dtype)
    let b = Tensor([0.3, -0.2], dtype: .float64).to(dtype)
    w.requiresGrad = true
    b.requiresGrad = true
    return [w, b]
}

private func regression(_ p: [Tensor]) -> Tensor {
    let (w, b) = (p[0], p[1])
    let x = Tensor([[1.0, -2.0, 0.5], [0.25, 1.5, -1.0], [0.5, 0.5, 2.0], [-1.0, 0.75, 0.25]], dtype: w.dtype)
    let y = Tensor([[1.0, 0.0], [-0.5, 2.0], [0.25, -1.0], [1.5, 0.5]], dtype: w.dtype)
    let r = x.mm(w) + b - y
    return (r * r).sum() * 0.5 + w.pow(4).sum() * 0.1
}

/// Each configuration: its problem, start and optimizer.
private func configuration(_ name: String) -> (([Tensor]) -> Tensor, (DType) -> [Tensor], ([Tensor]) -> LBFGS)? {
    switch name {
    case "rosenbrockDefault": (rosenbrock, rosenbrockStart, { LBFGS($0, learningRate: 0.1, maxIter: 5) })
    case "rosenbrockStrongWolfe": (rosenbrock, rosenbrockStart, { LBFGS($0, lineSearchFn: "strong_wolfe") })
    case "rosenbrockWolfeShortHistory":
        (rosenbrock, rosenbrockStart, { LBFGS($0, maxIter: 6, historySize: 2, lineSearchFn: "strong_wolfe") })
    case "regressionDefault": (regression, regressionStart, { LBFGS($0) })
    case "regressionHistory": (regression, regressionStart, { LBFGS($0, learningRate: 0.5, maxIter: 4, historySize: 3) })
    case "regressionMaxEval":
        (regression, regressionStart, { LBFGS($0, maxIter: 10, maxEval: 6, lineSearchFn: "strong_wolfe") })
    case "regressionTolerance":
        (regression, regressionStart, { LBFGS($0, toleranceGrad: 1e-2, toleranceChange: 1e-4) })
    default: nil
    }
}

extension LearningTests {
    @Suite("LBFGS") struct LBFGSTests {
        @Test(arguments: LBFGSGoldens.runs.keys.sorted(), [DType.float64, .float32])
        func fiveStepsMatchPyTorch(_ name: String, _ dtype: DType) throws {
            let (problem, start, make) = try #require(configuration(name), "no configuration \(name)")
            let expected = dtype == .float64 ? LBFGSGoldens.runs[name]!.float64 : LBFGSGoldens.runs[name]!.float32
            let p = start(dtype)
            let optimizer = make(p)
            // float32: PyTorch's float32 dot products (BLAS) round differently from ours in the
            // last bit, which flips its tolerance tests near convergence (an iteration more or
            // less) and grows along Rosenbrock's valley over 20 iterations; so float32 checks the
            // parameters and losses to float precision (three steps there), and the counters in float64.
            let steps = dtype == .float32 && name == "rosenbrockWolfeShortHistory" ? 3 : expected.count
            for (k, golden) in expected.prefix(steps).enumerated() {
                let loss = optimizer.step {
                    optimizer.zeroGrad()
                    let loss = problem(p)
                    loss.backward()
                    return loss
                }
                let flat = Tensor.cat(p.map { $0.detached().reshaped(-1) })
                let tolerance = dtype == .float64 ? 1e-9 : 2e-4
                expectClose(flat, golden.parameters, rtol: tolerance, atol: tolerance)
                #expect(abs(loss.item() - golden.loss) <= tolerance * max(1, abs(golden.loss)), "step \(k + 1) loss")
                if dtype == .float64 {
                    #expect(optimizer.funcEvals == golden.funcEvals, "step \(k + 1) func_evals")
                    #expect(optimizer.nIter == golden.nIter, "step \(k + 1) n_iter")
                }
            }
        }

        /// Three steps, a state dict loaded into a fresh optimizer, two more steps:
        /// PyTorch's five-step goldens, as without the interruption.
        @Test(arguments: ["rosenbrockWolfeShortHistory", "regressionDefault", "rosenbrockDefault"])
        func stateDictResumesTheRun(_ name: String) throws {
            let (problem, start, make) = try #require(configuration(name))
            let expected = LBFGSGoldens.runs[name]!.float64
            let p = start(.float64)
            func run(_ optimizer: LBFGS) -> Tensor {
                optimizer.step {
                    optimizer.zeroGrad()
                    let loss = problem(p)
                    loss.backward()
                    return loss
                }
            }
            let first = make(p)
            #expect(first.stateDict().state == nil)   // PyTorch's empty state before a step
            for _ in 0..<3 { run(first) }
            let saved = first.stateDict()
            let state = try #require(saved.state)
            #expect(state.funcEvals == expected[2].funcEvals && state.nIter == expected[2].nIter)
            #expect(state.oldDirs.count == state.oldStps.count && state.ro.count == state.oldDirs.count)
            let second = make(p)
            try second.loadStateDict(saved)
            for k in 3..<expected.count {
                let loss = run(second)
                expectClose(Tensor.cat(p.map { $0.detached().reshaped(-1) }), expected[k].parameters, rtol: 1e-9, atol: 1e-9)
                #expect(abs(loss.item() - expected[k].loss) <= 1e-9 * max(1, abs(expected[k].loss)), "step \(k + 1) loss")
                #expect(second.funcEvals == expected[k].funcEvals && second.nIter == expected[k].nIter, "step \(k + 1) counters")
            }
            // A state for other parameters is refused.
            #expect(throws: OptimizerStateError.self) {
                try LBFGS([Tensor.zeros([7], dtype: .float64, requiresGrad: true)] + p.dropFirst()).loadStateDict(saved)
            }
        }

        @Test func stepWithoutAClosureStops() async {
            await #expect(processExitsWith: .failure) {
                LBFGS([Tensor([1.0], requiresGrad: true)]).step()
            }
            await #expect(processExitsWith: .failure) {
                _ = LBFGS([Tensor([1.0], requiresGrad: true)], lineSearchFn: "armijo")
            }
        }
    }
}
