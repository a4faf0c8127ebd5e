#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hyperparameters of one ``Adam`` or ``AdamW`` parameter group.
public struct AdamOptions: OptimizerOptions, Sendable {
    /// The step size (`lr`).
    public var learningRate: Double
    /// The decay rates of the first and second moment estimates (`betas`).
    public var betas: (Double, Double)
    /// Added to the denominator for stability (`eps`).
    public var eps: Double
    /// The L2 penalty (Adam) or the decoupled decay rate (AdamW) (`weight_decay`).
    public var weightDecay: Double
    /// Whether to use the running maximum of the second moment (`amsgrad`).
    public var amsgrad: Bool
    /// Whether to maximise the objective instead of minimising it (`maximize`).
    public var maximize: Bool

    public var cycledMomentum: Double? {
        get { betas.0 }
        set { if let newValue { betas.0 = newValue } }
    }

    func validate(_ op: String) {
        let checks = OptimizerChecks(op: op)
        checks.nonNegative(learningRate, "learning rate")
        checks.nonNegative(eps, "epsilon value")
        checks.betas(betas)
        checks.nonNegative(weightDecay, "weight_decay value")
    }
}

/// The Adam update shared by ``Adam`` and ``AdamW``, which differ only in how
/// weight decay enters (PyTorch's `_single_tensor_adam`).
func adamUpdate(_ p: Tensor, _ grad: Tensor, _ o: AdamOptions, _ state: inout StateDict, decoupledWeightDecay: Bool) {
    var g = grad
    let (beta1, beta2) = o.betas
    let lr = o.learningRate
    let stepCount = state.advanceStep()
    let m = state.tensor("exp_avg") { Tensor.zeros(like: p) }
    let v = state.tensor("exp_avg_sq") { Tensor.zeros(like: p) }
    if o.weightDecay != 0 {
        if decoupledWeightDecay { p *= 1 - lr * o.weightDecay } else { g = g + p * o.weightDecay }
    }
    m.lerp(toward: g, weight: 1 - beta1)
    v *= beta2
    v.addMultiplied(g, g, value: 1 - beta2)
    let biasCorrection1 = 1 - pow(beta1, stepCount)
    let biasCorrection2 = 1 - pow(beta2, stepCount)
    let stepSize = lr / biasCorrection1
    let second: Tensor
    if o.amsgrad {
        let maxV = state.tensor("max_exp_avg_sq") { Tensor.zeros(like: p) }
        maxV.copy(from: Tensor.maximum(maxV, v))
        second = maxV
    } else {
        second = v
    }
    // `** 0.5` as PyTorch writes it (pow, not sqrt), for the same rounding.
    let denominator = second.sqrt() / pow(biasCorrection2, 0.5) + o.eps
    p.addDivided(m, denominator, value: -stepSize)
}

/// Adam: adaptive moment estimation (PyTorch's `torch.optim.Adam`).
///
/// Each step, with `t` counting steps per parameter:
///
/// ```
/// g ← g + weightDecay · p
/// m ← β₁ m + (1 - β₁) g            v ← β₂ v + (1 - β₂) g²
/// p ← p - lr / (1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + eps)
/// ```
///
/// With `amsgrad`, the running maximum of `v` replaces `v` in the denominator.
/// The state of each parameter: `step`, `exp_avg`, `exp_avg_sq` (and `max_exp_avg_sq`).
public final class Adam: StatefulOptimizer<AdamOptions> {
    /// Creates the optimizer over one group.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update.
    ///   - learningRate: The step size (default 0.001).
    ///   - betas: The decay rates of the first and second moment estimates (default 0.9, 0.999).
    ///   - eps: Added to the denominator for stability (default 1e-8).
    ///   - weightDecay: The L2 penalty, added to the gradient (default 0).
    ///   - amsgrad: Uses the running maximum of the second moment (default `false`).
    ///   - maximize: Ascends the gradient instead of descending it.
    public convenience init(_ parameters: [Tensor], learningRate: Double = 0.001, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParameterGroupSpec(parameters)], learningRate: learningRate, betas: betas, eps: eps,
                  weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
    }

    /// Creates the optimizer over parameter groups; the other arguments are the groups' defaults.
    public init(groups: [ParameterGroupSpec<AdamOptions>], learningRate: Double = 0.001,
                betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
                amsgrad: Bool = false, maximize: Bool = false) {
        super.init(op: "Adam", groups: groups,
                   defaults: AdamOptions(learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay,
                                         amsgrad: amsgrad, maximize: maximize)) { $0.validate("Adam") }
    }

    public override func step() {
        forEachParameter(maximize: \.maximize) { adamUpdate($0, $1, $2, &$3, decoupledWeightDecay: false) }
    }
}

/// Adam with decoupled weight decay (PyTorch's `torch.optim.AdamW`): each step
/// first shrinks parameters by `1 - lr · weightDecay`, then applies Adam's
/// update without the penalty in the gradient.
public final class AdamW: StatefulOptimizer<AdamOptions> {
    /// Creates the optimizer over one group.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update.
    ///   - learningRate: The step size (default 0.001).
    ///   - betas: The decay rates of the moment estimates (default 0.9, 0.999).
    ///   - eps: Added to the denominator for stability (default 1e-8).
    ///   - weightDecay: The decoupled decay rate (default 0.01).
    ///   - amsgrad: Uses the running maximum of the second moment (default `false`).
    ///   - maximize: Ascends the gradient instead of descending it.
    public convenience init(_ parameters: [Tensor], learningRate: Double = 0.001, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0.01, amsgrad: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParameterGroupSpec(parameters)], learningRate: learningRate, betas: betas, eps: eps,
                  weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
    }

    /// Creates the optimizer over parameter groups; the other arguments are the groups' defaults.
    public init(groups: [ParameterGroupSpec<AdamOptions>], learningRate: Double = 0.001,
                betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0.01,
                amsgrad: Bool = false, maximize: Bool = false) {
        super.init(op: "AdamW", groups: groups,
                   defaults: AdamOptions(learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay,
                                         amsgrad: amsgrad, maximize: maximize)) { $0.validate("AdamW") }
    }

    public override func step() {
        forEachParameter(maximize: \.maximize) { adamUpdate($0, $1, $2, &$3, decoupledWeightDecay: true) }
    }
}
