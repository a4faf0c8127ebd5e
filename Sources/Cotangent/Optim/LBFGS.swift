/// The hyperparameters of ``LBFGS`` (which has one parameter group, as PyTorch's).
public struct LBFGSOptions: OptimizerOptions, Sendable, Hashable {
    /// The step length of each iteration (`lr`).
    public var learningRate: Double
    /// The most iterations per ``LBFGS/step(closure:)`` (`max_iter`).
    public var maxIter: Int
    /// The most evaluations of the closure per step (`max_eval`).
    public var maxEval: Int
    /// Stop when every gradient component is at most this in magnitude (`tolerance_grad`).
    public var toleranceGrad: Double
    /// Stop when the step or the change in loss is below this (`tolerance_change`).
    public var toleranceChange: Double
    /// How many curvature pairs are kept (`history_size`).
    public var historySize: Int
    /// The line search: nil (a fixed step) or `"strong_wolfe"` (`line_search_fn`).
    public var lineSearchFn: String?
    /// Whether to maximise the objective.
    public var maximize: Bool
}

/// What ``LBFGS`` keeps between steps: PyTorch's `optimizer.state[params[0]]`,
/// one field per key (the key in parentheses). PyTorch also stores its scratch
/// list `al`, which each iteration overwrites before reading; it is not kept here.
public struct LBFGSState {
    /// The closure's evaluations over all steps (`func_evals`).
    public var funcEvals: Int
    /// The iterations over all steps (`n_iter`).
    public var nIter: Int
    /// The last search direction (`d`).
    public var d: Tensor?
    /// The last step length (`t`).
    public var t: Double
    /// The gradient differences of the curvature pairs, oldest first (`old_dirs`).
    public var oldDirs: [Tensor]
    /// The steps of the curvature pairs (`old_stps`).
    public var oldStps: [Tensor]
    /// `1 / (y · s)` of each pair (`ro`; 0-d tensors in PyTorch).
    public var ro: [Double]
    /// The initial Hessian scale (`H_diag`).
    public var hDiag: Double
    /// The flat gradient of the last iteration (`prev_flat_grad`).
    public var prevFlatGrad: Tensor?
    /// The loss of the last iteration (`prev_loss`).
    public var prevLoss: Double?
}

/// An ``LBFGS`` state dict (PyTorch's `state_dict()`): the state (nil before the
/// first step, PyTorch's empty `state`) and the one group's options and parameter positions.
public struct LBFGSStateDict {
    public var state: LBFGSState?
    public var options: LBFGSOptions
    public var parameters: [Int]
}

/// Limited-memory BFGS (PyTorch's `torch.optim.LBFGS`), step for step.
///
/// Each ``step(closure:)`` runs up to `maxIter` iterations, each evaluating
/// the closure (which clears the gradients, computes the loss, calls
/// `backward()` and returns the loss) once, or several times with the
/// strong-Wolfe line search. The search direction comes from the two-loop
/// recursion over the last `historySize` pairs of steps and gradient changes,
/// with PyTorch's initial step `min(1, 1/‖g‖₁) · lr` and stopping rules.
///
/// ```swift
/// let optimizer = LBFGS(model.parameters(), lineSearchFn: "strong_wolfe")
/// for _ in 0..<5 {
///     optimizer.step {
///         optimizer.zeroGrad()
///         let loss = mseLoss(model(x), y)
///         loss.backward()
///         return loss
///     }
/// }
/// ```
///
/// All parameters are treated as one flat vector (in the order given), so
/// the memory is `parameters × (2 · historySize + a few)` values.
/// Scalars PyTorch keeps as 0-d tensors (curvature ratios, the initial step)
/// are rounded to the parameters' dtype, so float32 runs follow PyTorch's to
/// float precision and float64 runs to double precision.
public final class LBFGS: Optimizer {
    public var parameterGroups: [ParameterGroup<LBFGSOptions>]

    // The state PyTorch keeps under `optimizer.state[params[0]]`.
    /// The closure's evaluations over all steps (`func_evals`).
    public private(set) var funcEvals = 0
    /// The iterations over all steps (`n_iter`).
    public private(set) var nIter = 0
    private var direction: Tensor?
    private var stepLength = 0.0
    private var oldDirs: [Tensor] = []
    private var oldSteps: [Tensor] = []
    private var ro: [Double] = []
    private var hDiag = 1.0
    private var previousFlatGrad: Tensor?
    private var previousLoss: Double?

    /// Creates the optimizer with PyTorch's defaults.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update (one group).
    ///   - learningRate: The step length (default 1).
    ///   - maxIter: Iterations per step (default 20).
    ///   - maxEval: Closure evaluations per step (default `maxIter * 5 / 4`).
    ///   - toleranceGrad: First-order optimality tolerance (default 1e-7).
    ///   - toleranceChange: Tolerance on the change of step and loss (default 1e-9).
    ///   - historySize: Curvature pairs kept (default 100).
    ///   - lineSearchFn: nil or `"strong_wolfe"` (default nil).
    ///   - maximize: Ascends instead of descending.
    public init(_ parameters: [Tensor], learningRate: Double = 1, maxIter: Int = 20, maxEval: Int? = nil,
                toleranceGrad: Double = 1e-7, toleranceChange: Double = 1e-9, historySize: Int = 100,
                lineSearchFn: String? = nil, maximize: Bool = false) {
        check(learningRate >= 0, "LBFGS", "Invalid learning rate: \(learningRate)")
        check(lineSearchFn == nil || lineSearchFn == "strong_wolfe", "LBFGS", "only 'strong_wolfe' is supported")
        check(!parameters.isEmpty, "LBFGS", "optimizer got an empty parameter list")
        for p in parameters {
            check(p.isLeaf, "LBFGS", "can't optimize a non-leaf Tensor")
            check(p.dtype.isFloatingPoint, "LBFGS", "can't optimize a tensor of dtype \(p.dtype); parameters must be floating point")
        }
        let options = LBFGSOptions(learningRate: learningRate, maxIter: maxIter, maxEval: maxEval ?? maxIter * 5 / 4,
                                   toleranceGrad: toleranceGrad, toleranceChange: toleranceChange,
                                   historySize: historySize, lineSearchFn: lineSearchFn, maximize: maximize)
        parameterGroups = [ParameterGroup(parameters, options: options)]
    }

    /// The optimizer's state (PyTorch's `state_dict()`); the tensors are copies.
    public func stateDict() -> LBFGSStateDict {
        let state = funcEvals == 0 ? nil : LBFGSState(
            funcEvals: funcEvals, nIter: nIter, d: direction?.cloned(), t: stepLength, oldDirs: oldDirs.map { $0.cloned() },
            oldStps: oldSteps.map { $0.cloned() }, ro: ro, hDiag: hDiag, prevFlatGrad: previousFlatGrad?.cloned(),
            prevLoss: previousLoss)
        return LBFGSStateDict(state: state, options: options, parameters: Array(params.indices))
    }

    /// Restores a state from ``stateDict()`` (PyTorch's `load_state_dict`), the
    /// tensors cast to the parameters' dtype; the next step continues as the saved optimizer's would.
    ///
    /// - Throws: ``OptimizerStateError`` when the group's size differs, or a
    ///   saved vector's length is not the parameters' total size.
    public func loadStateDict(_ stateDict: LBFGSStateDict) throws {
        guard stateDict.parameters.count == params.count else {
            throw OptimizerStateError(description: "loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
        }
        let n = params.reduce(0) { $0 + $1.count }, dtype = params[0].dtype
        let s = stateDict.state
        let vectors = [s?.d, s?.prevFlatGrad].compactMap { $0 } + (s?.oldDirs ?? []) + (s?.oldStps ?? [])
        guard vectors.allSatisfy({ $0.shape == [n] }), s.map({ $0.oldDirs.count == $0.oldStps.count && $0.ro.count == $0.oldDirs.count }) ?? true else {
            throw OptimizerStateError(description: "loaded LBFGS state does not match the parameters (\(n) elements)")
        }
        func restored(_ t: Tensor) -> Tensor { t.to(dtype).cloned() }
        parameterGroups[0].options = stateDict.options
        funcEvals = s?.funcEvals ?? 0
        nIter = s?.nIter ?? 0
        direction = s?.d.map(restored)
        stepLength = s?.t ?? 0
        oldDirs = (s?.oldDirs ?? []).map(restored)
        oldSteps = (s?.oldStps ?? []).map(restored)
        ro = s?.ro ?? []
        hDiag = s?.hDiag ?? 1
        previousFlatGrad = s?.prevFlatGrad.map(restored)
        previousLoss = s?.prevLoss
    }

    /// LBFGS needs the loss to be re-evaluated: use ``step(closure:)``.
    public func step() { fail("LBFGS", "step() missing 1 required positional argument: 'closure'") }

    // MARK: Flat views of the parameters

    private var params: [Tensor] { parameterGroups[0].parameters }
    private var options: LBFGSOptions { parameterGroups[0].options }

    /// Rounds a scalar as PyTorch's 0-d tensor of the parameters' dtype would hold it.
    private func rounded(_ x: Double) -> Double {
        params[0].dtype == .float64 ? x : Double(Float(x))
    }

    private func gatherFlatGrad() -> Tensor {
        let flat = Tensor.cat(params.map { p in (p.grad ?? Tensor.zeros(like: p)).reshaped(-1) })
        return options.maximize ? -flat : flat
    }

    private func addGrad(_ stepSize: Double, _ update: Tensor) {
        var offset = 0
        for p in params {
            p += update.narrowed(dim: 0, start: offset, length: p.count).reshaped(p.shape) * stepSize
            offset += p.count
        }
    }

    private func dot(_ a: Tensor, _ b: Tensor) -> Double { a.dot(b).item() }
    private func absMax(_ a: Tensor) -> Double { a.abs().max().item() }

    private func evaluate(_ closure: () -> Tensor) -> (loss: Tensor, value: Double) {
        let loss = withGrad { closure() }
        let value = loss.item()
        return (loss, options.maximize ? -value : value)
    }

    // MARK: The step

    /// Runs one optimisation step: up to `maxIter` iterations of L-BFGS.
    ///
    /// - Parameter closure: Clears the gradients, evaluates the model, calls
    ///   `backward()` on the loss and returns it; called with gradients on.
    /// - Returns: The loss of the first evaluation (before this step's updates).
    @discardableResult
    public func step(closure: () -> Tensor) -> Tensor {
        let o = options
        let (originalLoss, firstValue) = evaluate(closure)
        var loss = firstValue
        var currentEvals = 1
        funcEvals += 1
        return withNoGrad {
            var flatGrad = gatherFlatGrad()
            if absMax(flatGrad) <= o.toleranceGrad { return originalLoss }

            var d = direction ?? flatGrad
            var t = stepLength
            var iteration = 0
            while iteration < o.maxIter {
                iteration += 1
                nIter += 1
                if nIter == 1 {
                    d = -flatGrad
                    oldDirs = []
                    oldSteps = []
                    ro = []
                    hDiag = 1
                } else {
                    let y = flatGrad - previousFlatGrad!
                    let s = d * t
                    let ys = dot(y, s)
                    if ys > 1e-10 {
                        if oldDirs.count == o.historySize {
                            oldDirs.removeFirst()
                            oldSteps.removeFirst()
                            ro.removeFirst()
                        }
                        oldDirs.append(y)
                        oldSteps.append(s)
                        ro.append(rounded(1.0 / ys))
                        hDiag = rounded(ys / dot(y, y))
                    }
                    // The two-loop recursion for d = -H g.
                    var al = [Double](repeating: 0, count: oldDirs.count)
                    let q = -flatGrad
                    for i in stride(from: oldDirs.count - 1, through: 0, by: -1) {
                        al[i] = rounded(dot(oldSteps[i], q) * ro[i])
                        q += oldDirs[i] * -al[i]
                    }
                    let r = q * hDiag
                    for i in 0..<oldDirs.count {
                        let be = rounded(dot(oldDirs[i], r) * ro[i])
                        r += oldSteps[i] * rounded(al[i] - be)
                    }
                    d = r
                }
                if let previous = previousFlatGrad { previous.copy(from: flatGrad) } else { previousFlatGrad = flatGrad.cloned() }
                previousLoss = loss

                if nIter == 1 {
                    let inverse = rounded(1.0 / flatGrad.abs().sum().item())
                    t = inverse < 1 ? rounded(inverse * o.learningRate) : o.learningRate
                } else {
                    t = o.learningRate
                }
                let gtd = dot(flatGrad, d)
                if gtd > -o.toleranceChange { break }

                var lineSearchEvals = 0
                if o.lineSearchFn != nil {
                    let start = params.map { $0.cloned() }
                    let objective: (Double, Tensor) -> (Double, Tensor) = { step, direction in
                        self.addGrad(step, direction)
                        let value = self.evaluate(closure).value
                        let g = self.gatherFlatGrad()
                        for (p, x) in zip(self.params, start) { p.copy(from: x) }
                        return (value, g)
                    }
                    let found = strongWolfe(objective, t: t, d: d, f: loss, g: flatGrad, gtd: gtd,
                                            toleranceChange: 1e-9, maxLineSearch: o.maxEval - currentEvals)
                    (loss, flatGrad, t, lineSearchEvals) = found
                    addGrad(t, d)
                } else {
                    addGrad(t, d)
                    if iteration != o.maxIter {
                        loss = evaluate(closure).value
                        flatGrad = gatherFlatGrad()
                        lineSearchEvals = 1
                    }
                }
                let optimal = absMax(flatGrad) <= o.toleranceGrad
                currentEvals += lineSearchEvals
                funcEvals += lineSearchEvals

                if iteration == o.maxIter || currentEvals >= o.maxEval || optimal { break }
                if absMax(d * t) <= o.toleranceChange { break }
                if abs(loss - previousLoss!) < o.toleranceChange { break }
            }
            direction = d
            stepLength = t
            return originalLoss
        }
    }
}

// MARK: Line search

/// The minimiser of the cubic through `(x1, f1)` and `(x2, f2)` with slopes
/// `g1`, `g2`, within `bounds` (PyTorch's `_cubic_interpolate`).
private func cubicInterpolate(_ x1: Double, _ f1: Double, _ g1: Double, _ x2: Double, _ f2: Double, _ g2: Double,
                              bounds: (Double, Double)? = nil) -> Double {
    let (low, high) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
    let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    let d2Square = d1 * d1 - g1 * g2
    guard d2Square >= 0 else { return (low + high) / 2 }
    let d2 = d2Square.squareRoot()
    let minimum = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                           : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimum, low), high)
}

/// A step length along `d` meeting the strong Wolfe conditions (PyTorch's `_strong_wolfe`):
/// bracketing, then zooming with cubic interpolation.
///
/// - Returns: The loss and flat gradient at the step, the step, and the evaluations made.
private func strongWolfe(_ objective: (Double, Tensor) -> (Double, Tensor), t: Double, d: Tensor, f: Double, g: Tensor,
                         gtd: Double, c1: Double = 1e-4, c2: Double = 0.9, toleranceChange: Double,
                         maxLineSearch: Int) -> (Double, Tensor, Double, Int) {
    var t = t
    let dNorm = d.abs().max().item()
    let g = g.cloned()
    var (fNew, gNew) = objective(t, d)
    var evals = 1
    var gtdNew = gNew.dot(d).item()
    var (tPrevious, fPrevious, gPrevious, gtdPrevious) = (0.0, f, g, gtd)
    var done = false
    var iteration = 0

    var bracket: [Double] = [], bracketF: [Double] = [], bracketG: [Tensor] = [], bracketGtd: [Double] = []
    while iteration < maxLineSearch {
        if fNew > f + c1 * t * gtd || (iteration > 1 && fNew >= fPrevious) {
            (bracket, bracketF, bracketG, bracketGtd) = ([tPrevious, t], [fPrevious, fNew], [gPrevious, gNew.cloned()], [gtdPrevious, gtdNew])
            break
        }
        if abs(gtdNew) <= -c2 * gtd {
            (bracket, bracketF, bracketG) = ([t], [fNew], [gNew])
            done = true
            break
        }
        if gtdNew >= 0 {
            (bracket, bracketF, bracketG, bracketGtd) = ([tPrevious, t], [fPrevious, fNew], [gPrevious, gNew.cloned()], [gtdPrevious, gtdNew])
            break
        }
        let minStep = t + 0.01 * (t - tPrevious), maxStep = t * 10
        let previous = t
        t = cubicInterpolate(tPrevious, fPrevious, gtdPrevious, t, fNew, gtdNew, bounds: (minStep, maxStep))
        (tPrevious, fPrevious, gPrevious, gtdPrevious) = (previous, fNew, gNew.cloned(), gtdNew)
        (fNew, gNew) = objective(t, d)
        evals += 1
        gtdNew = gNew.dot(d).item()
        iteration += 1
    }
    if iteration == maxLineSearch {
        (bracket, bracketF, bracketG) = ([0, t], [f, fNew], [g, gNew])
    }

    // Zoom: shrink the bracket until the conditions hold.
    var insufficientProgress = false
    var (low, high) = bracketF[0] <= bracketF[bracketF.count - 1] ? (0, 1) : (1, 0)
    while !done && iteration < maxLineSearch {
        if abs(bracket[1] - bracket[0]) * dNorm < toleranceChange { break }
        t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1])
        let (lo, hi) = (bracket.min()!, bracket.max()!)
        let eps = 0.1 * (hi - lo)
        if min(hi - t, t - lo) < eps {
            if insufficientProgress || t >= hi || t <= lo {
                t = abs(t - hi) < abs(t - lo) ? hi - eps : lo + eps
                insufficientProgress = false
            } else {
                insufficientProgress = true
            }
        } else {
            insufficientProgress = false
        }
        (fNew, gNew) = objective(t, d)
        evals += 1
        gtdNew = gNew.dot(d).item()
        iteration += 1
        if fNew > f + c1 * t * gtd || fNew >= bracketF[low] {
            (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) = (t, fNew, gNew.cloned(), gtdNew)
            (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0)
        } else {
            if abs(gtdNew) <= -c2 * gtd {
                done = true
            } else if gtdNew * (bracket[high] - bracket[low]) >= 0 {
                (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) = (bracket[low], bracketF[low], bracketG[low], bracketGtd[low])
            }
            (bracket[low], bracketF[low], bracketG[low], bracketGtd[low]) = (t, fNew, gNew.cloned(), gtdNew)
        }
    }
    return (bracketF[low], bracketG[low], bracket[low], evals)
}
