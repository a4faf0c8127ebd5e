#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Adagrad, Adadelta, Adamax, NAdam and RAdam: PyTorch's single-tensor
// algorithms, step for step, so five steps agree with PyTorch's to rounding.

/// The hyperparameters of one ``Adagrad`` parameter group.
public struct AdagradOptions: OptimizerOptions, Sendable, Hashable {
    /// The step size (`lr`).
    public var learningRate: Double
    /// The learning rate's decay per step: `lr / (1 + (t - 1) · lrDecay)` (`lr_decay`).
    public var lrDecay: Double
    /// The L2 penalty added to each gradient (`weight_decay`).
    public var weightDecay: Double
    /// The starting value of the sum of squared gradients (`initial_accumulator_value`).
    public var initialAccumulatorValue: Double
    /// Added to the denominator for stability (`eps`).
    public var eps: Double
    /// Whether to maximise the objective (`maximize`).
    public var maximize: Bool
}

/// Adagrad: divides each gradient by the root of the sum of all squared
/// gradients so far (PyTorch's `torch.optim.Adagrad`).
///
/// ```
/// g ← g + weightDecay · p,   s ← s + g²,   p ← p - lr / (1 + (t - 1) lrDecay) · g / (√s + eps)
/// ```
///
/// The state of each parameter: `step` and `sum`, created with the optimizer as PyTorch does.
public final class Adagrad: StatefulOptimizer<AdagradOptions> {
    /// Creates the optimizer over one group.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update.
    ///   - learningRate: The step size (default 0.01).
    ///   - lrDecay: The learning-rate decay (default 0).
    ///   - weightDecay: The L2 penalty (default 0).
    ///   - initialAccumulatorValue: The starting sum of squares (default 0).
    ///   - eps: Added to the denominator (default 1e-10).
    ///   - maximize: Ascends the gradient instead of descending it.
    public convenience init(_ parameters: [Tensor], learningRate: Double = 0.01, lrDecay: Double = 0, weightDecay: Double = 0,
                            initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) {
        self.init(groups: [ParameterGroupSpec(parameters)], learningRate: learningRate, lrDecay: lrDecay, weightDecay: weightDecay,
                  initialAccumulatorValue: initialAccumulatorValue, eps: eps, maximize: maximize)
    }

    /// Creates the optimizer over parameter groups; the other arguments are the groups' defaults.
    public init(groups: [ParameterGroupSpec<AdagradOptions>], learningRate: Double = 0.01, lrDecay: Double = 0,
                weightDecay: Double = 0, initialAccumulatorValue: Double = 0, eps: Double = 1e-10, maximize: Bool = false) {
        let defaults = AdagradOptions(learningRate: learningRate, lrDecay: lrDecay, weightDecay: weightDecay,
                                      initialAccumulatorValue: initialAccumulatorValue, eps: eps, maximize: maximize)
        super.init(op: "Adagrad", groups: groups, defaults: defaults) { o in
            let checks = OptimizerChecks(op: "Adagrad")
            checks.nonNegative(o.learningRate, "learning rate")
            checks.nonNegative(o.lrDecay, "lr_decay value")
            checks.nonNegative(o.weightDecay, "weight_decay value")
            checks.nonNegative(o.initialAccumulatorValue, "initial_accumulator_value value")
            checks.nonNegative(o.eps, "epsilon value")
        }
        var position = 0
        for group in parameterGroups {
            for p in group.parameters {
                state[position]["step"] = Tensor.zeros([], dtype: .float32)
                state[position]["sum"] = Tensor.full(like: p, group.options.initialAccumulatorValue)
                position += 1
            }
        }
    }

    public override func step() {
        forEachParameter(maximize: \.maximize) { p, grad, o, state in
            var g = grad
            let t = state.advanceStep()
            if o.weightDecay != 0 { g = g + p * o.weightDecay }
            let clr = o.learningRate / (1 + (t - 1) * o.lrDecay)
            let sum = state.tensor("sum") { Tensor.full(like: p, o.initialAccumulatorValue) }
            sum.addMultiplied(g, g, value: 1)
            let std = sum.sqrt()
            std += o.eps
            p.addDivided(g, std, value: -clr)
        }
    }
}

/// The hyperparameters of one ``Adadelta`` parameter group.
public struct AdadeltaOptions: OptimizerOptions, Sendable, Hashable {
    /// The factor applied to each update (`lr`).
    public var learningRate: Double
    /// The decay of the running averages (`rho`).
    public var rho: Double
    /// Added inside the square roots for stability (`eps`).
    public var eps: Double
    /// The L2 penalty added to each gradient (`weight_decay`).
    public var weightDecay: Double
    /// Whether to maximise the objective (`maximize`).
    public var maximize: Bool
}

/// Adadelta: steps scaled by the ratio of running root mean squares of past
/// updates and gradients (PyTorch's `torch.optim.Adadelta`).
///
/// ```
/// v ← ρ v + (1 - ρ) g²,   Δ ← √(u + eps) / √(v + eps) · g,   u ← ρ u + (1 - ρ) Δ²,   p ← p - lr · Δ
/// ```
///
/// The state of each parameter: `step`, `square_avg`, `acc_delta`.
public final class Adadelta: StatefulOptimizer<AdadeltaOptions> {
    /// Creates the optimizer over one group.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update.
    ///   - learningRate: The factor applied to each update (default 1).
    ///   - rho: The decay of the running averages (default 0.9).
    ///   - eps: Added inside the square roots (default 1e-6).
    ///   - weightDecay: The L2 penalty (default 0).
    ///   - maximize: Ascends the gradient instead of descending it.
    public convenience init(_ parameters: [Tensor], learningRate: Double = 1, rho: Double = 0.9, eps: Double = 1e-6,
                            weightDecay: Double = 0, maximize: Bool = false) {
        self.init(groups: [ParameterGroupSpec(parameters)], learningRate: learningRate, rho: rho, eps: eps,
                  weightDecay: weightDecay, maximize: maximize)
    }

    /// Creates the optimizer over parameter groups; the other arguments are the groups' defaults.
    public init(groups: [ParameterGroupSpec<AdadeltaOptions>], learningRate: Double = 1, rho: Double = 0.9,
                eps: Double = 1e-6, weightDecay: Double = 0, maximize: Bool = false) {
        let defaults = AdadeltaOptions(learningRate: learningRate, rho: rho, eps: eps, weightDecay: weightDecay, maximize: maximize)
        super.init(op: "Adadelta", groups: groups, defaults: defaults) { o in
            let checks = OptimizerChecks(op: "Adadelta")
            checks.nonNegative(o.learningRate, "learning rate")
            check(o.rho >= 0 && o.rho <= 1, "Adadelta", "Invalid rho value: \(o.rho)")
            checks.nonNegative(o.eps, "epsilon value")
            checks.nonNegative(o.weightDecay, "weight_decay value")
        }
    }

    public override func step() {
        forEachParameter(maximize: \.maximize) { p, grad, o, state in
            var g = grad
            _ = state.advanceStep()
            let squareAvg = state.tensor("square_avg") { Tensor.zeros(like: p) }
            let accDelta = state.tensor("acc_delta") { Tensor.zeros(like: p) }
            if o.weightDecay != 0 { g = g + p * o.weightDecay }
            squareAvg *= o.rho
            squareAvg.addMultiplied(g, g, value: 1 - o.rho)
            let std = (squareAvg + o.eps).sqrt()
            let delta = (accDelta + o.eps).sqrt()
            delta /= std
            delta *= g
            accDelta *= o.rho
            accDelta.addMultiplied(delta, delta, value: 1 - o.rho)
            p += delta * -o.learningRate
        }
    }
}

/// The hyperparameters of one ``Adamax`` parameter group.
public struct AdamaxOptions: OptimizerOptions, Sendable {
    /// The step size (`lr`).
    public var learningRate: Double
    /// The decay rates of the first moment and of the infinity norm (`betas`).
    public var betas: (Double, Double)
    /// Added to the infinity norm for stability (`eps`).
    public var eps: Double
    /// The L2 penalty added to each gradient (`weight_decay`).
    public var weightDecay: Double
    /// Whether to maximise the objective (`maximize`).
    public var maximize: Bool

    public var cycledMomentum: Double? {
        get { betas.0 }
        set { if let newValue { betas.0 = newValue } }
    }
}

/// Adamax: Adam with the infinity norm in place of the second moment
/// (PyTorch's `torch.optim.Adamax`).
///
/// ```
/// m ← β₁ m + (1 - β₁) g,   u ← max(β₂ u, |g| + eps),   p ← p - lr / (1 - β₁ᵗ) · m / u
/// ```
///
/// The state of each parameter: `step`, `exp_avg`, `exp_inf`.
public final class Adamax: StatefulOptimizer<AdamaxOptions> {
    /// Creates the optimizer over one group.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update.
    ///   - learningRate: The step size (default 0.002).
    ///   - betas: The decay rates (default 0.9, 0.999).
    ///   - eps: Added to the norm (default 1e-8).
    ///   - weightDecay: The L2 penalty (default 0).
    ///   - maximize: Ascends the gradient instead of descending it.
    public convenience init(_ parameters: [Tensor], learningRate: Double = 0.002, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, maximize: Bool = false) {
        self.init(groups: [ParameterGroupSpec(parameters)], learningRate: learningRate, betas: betas, eps: eps,
                  weightDecay: weightDecay, maximize: maximize)
    }

    /// Creates the optimizer over parameter groups; the other arguments are the groups' defaults.
    public init(groups: [ParameterGroupSpec<AdamaxOptions>], learningRate: Double = 0.002,
                betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0, maximize: Bool = false) {
        let defaults = AdamaxOptions(learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay, maximize: maximize)
        super.init(op: "Adamax", groups: groups, defaults: defaults) { o in
            let checks = OptimizerChecks(op: "Adamax")
            checks.nonNegative(o.learningRate, "learning rate")
            checks.nonNegative(o.eps, "epsilon value")
            checks.betas(o.betas)
            checks.nonNegative(o.weightDecay, "weight_decay value")
        }
    }

    public override func step() {
        forEachParameter(maximize: \.maximize) { p, grad, o, state in
            var g = grad
            let t = state.advanceStep()
            let m = state.tensor("exp_avg") { Tensor.zeros(like: p) }
            let u = state.tensor("exp_inf") { Tensor.zeros(like: p) }
            if o.weightDecay != 0 { g = g + p * o.weightDecay }
            m.lerp(toward: g, weight: 1 - o.betas.0)
            u *= o.betas.1
            u.copy(from: Tensor.maximum(u, g.abs() + o.eps))
            let clr = o.learningRate / (1 - pow(o.betas.0, t))
            p.addDivided(m, u, value: -clr)
        }
    }
}

/// The hyperparameters of one ``NAdam`` or ``RAdam`` parameter group.
public struct NAdamOptions: OptimizerOptions, Sendable {
    /// The step size (`lr`).
    public var learningRate: Double
    /// The decay rates of the moment estimates (`betas`).
    public var betas: (Double, Double)
    /// Added to the denominator for stability (`eps`).
    public var eps: Double
    /// The weight decay (`weight_decay`): an L2 penalty, or decoupled as AdamW's.
    public var weightDecay: Double
    /// NAdam's momentum schedule, ψ (`momentum_decay`); unused by RAdam.
    public var momentumDecay: Double
    /// Whether weight decay shrinks parameters directly, as AdamW's (`decoupled_weight_decay`).
    public var decoupledWeightDecay: Bool
    /// Whether to maximise the objective (`maximize`).
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
        checks.nonNegative(momentumDecay, "momentum_decay value")
    }
}

/// NAdam: Adam with Nesterov momentum (PyTorch's `torch.optim.NAdam`).
///
/// With `μₜ = β₁ (1 - ½ · 0.96^(t ψ))` and `Πₜ = μ₁ ⋯ μₜ`:
///
/// ```
/// m ← β₁ m + (1 - β₁) g,   v ← β₂ v + (1 - β₂) g²,   d ← √(v / (1 - β₂ᵗ)) + eps
/// p ← p - lr (1 - μₜ) / (1 - Πₜ) · g / d - lr μₜ₊₁ / (1 - Πₜ μₜ₊₁) · m / d
/// ```
///
/// The state of each parameter: `step`, `mu_product` (float32, as PyTorch keeps it), `exp_avg`, `exp_avg_sq`.
public final class NAdam: StatefulOptimizer<NAdamOptions> {
    /// Creates the optimizer over one group.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update.
    ///   - learningRate: The step size (default 0.002).
    ///   - betas: The decay rates (default 0.9, 0.999).
    ///   - eps: Added to the denominator (default 1e-8).
    ///   - weightDecay: The weight decay (default 0).
    ///   - momentumDecay: ψ (default 0.004).
    ///   - decoupledWeightDecay: Decays parameters directly, as AdamW (default `false`).
    ///   - maximize: Ascends the gradient instead of descending it.
    public convenience init(_ parameters: [Tensor], learningRate: Double = 0.002, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, momentumDecay: Double = 0.004,
                            decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParameterGroupSpec(parameters)], learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay,
                  momentumDecay: momentumDecay, decoupledWeightDecay: decoupledWeightDecay, maximize: maximize)
    }

    /// Creates the optimizer over parameter groups; the other arguments are the groups' defaults.
    public init(groups: [ParameterGroupSpec<NAdamOptions>], learningRate: Double = 0.002,
                betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
                momentumDecay: Double = 0.004, decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        let defaults = NAdamOptions(learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay,
                                    momentumDecay: momentumDecay, decoupledWeightDecay: decoupledWeightDecay, maximize: maximize)
        super.init(op: "NAdam", groups: groups, defaults: defaults) { $0.validate("NAdam") }
    }

    public override func step() {
        forEachParameter(maximize: \.maximize) { p, grad, o, state in
            var g = grad
            let (beta1, beta2) = o.betas
            let lr = o.learningRate
            let t = state.advanceStep()
            let muProduct = state.tensor("mu_product") { Tensor.ones([], dtype: .float32) }
            let m = state.tensor("exp_avg") { Tensor.zeros(like: p) }
            let v = state.tensor("exp_avg_sq") { Tensor.zeros(like: p) }
            let biasCorrection2 = 1 - pow(beta2, t)
            if o.weightDecay != 0 {
                if o.decoupledWeightDecay { p *= 1 - lr * o.weightDecay } else { g = g + p * o.weightDecay }
            }
            let mu = beta1 * (1 - 0.5 * pow(0.96, t * o.momentumDecay))
            let muNext = beta1 * (1 - 0.5 * pow(0.96, (t + 1) * o.momentumDecay))
            // PyTorch keeps the product in a float32 tensor, rounding at every step.
            muProduct *= mu
            let product = muProduct.item()
            m.lerp(toward: g, weight: 1 - beta1)
            v *= beta2
            v.addMultiplied(g, g, value: 1 - beta2)
            let denominator = (v / biasCorrection2).sqrt()
            denominator += o.eps
            p.addDivided(g, denominator, value: -lr * (1 - mu) / (1 - product))
            p.addDivided(m, denominator, value: -lr * muNext / (1 - product * muNext))
        }
    }
}

/// RAdam: Adam whose adaptive step is switched on, and rectified, once the
/// variance of the second moment is tractable (PyTorch's `torch.optim.RAdam`).
///
/// With `ρ∞ = 2 / (1 - β₂) - 1` and `ρₜ = ρ∞ - 2 t β₂ᵗ / (1 - β₂ᵗ)`: while
/// `ρₜ ≤ 5`, `p ← p - lr · m / (1 - β₁ᵗ)`; after, that step is multiplied by
/// `√(1 - β₂ᵗ) / (√v + eps)` and the rectification
/// `√((ρₜ - 4)(ρₜ - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρₜ))`.
///
/// The state of each parameter: `step`, `exp_avg`, `exp_avg_sq`. `momentumDecay` is unused.
public final class RAdam: StatefulOptimizer<NAdamOptions> {
    /// Creates the optimizer over one group.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update.
    ///   - learningRate: The step size (default 0.001).
    ///   - betas: The decay rates (default 0.9, 0.999).
    ///   - eps: Added to the denominator (default 1e-8).
    ///   - weightDecay: The weight decay (default 0).
    ///   - decoupledWeightDecay: Decays parameters directly, as AdamW (default `false`).
    ///   - maximize: Ascends the gradient instead of descending it.
    public convenience init(_ parameters: [Tensor], learningRate: Double = 0.001, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false,
                            maximize: Bool = false) {
        self.init(groups: [ParameterGroupSpec(parameters)], learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay,
                  decoupledWeightDecay: decoupledWeightDecay, maximize: maximize)
    }

    /// Creates the optimizer over parameter groups; the other arguments are the groups' defaults.
    public init(groups: [ParameterGroupSpec<NAdamOptions>], learningRate: Double = 0.001,
                betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, weightDecay: Double = 0,
                decoupledWeightDecay: Bool = false, maximize: Bool = false) {
        let defaults = NAdamOptions(learningRate: learningRate, betas: betas, eps: eps, weightDecay: weightDecay,
                                    momentumDecay: 0, decoupledWeightDecay: decoupledWeightDecay, maximize: maximize)
        super.init(op: "RAdam", groups: groups, defaults: defaults) { $0.validate("RAdam") }
    }

    public override func step() {
        forEachParameter(maximize: \.maximize) { p, grad, o, state in
            var g = grad
            let (beta1, beta2) = o.betas
            let lr = o.learningRate
            let t = state.advanceStep()
            let m = state.tensor("exp_avg") { Tensor.zeros(like: p) }
            let v = state.tensor("exp_avg_sq") { Tensor.zeros(like: p) }
            if o.weightDecay != 0 {
                if o.decoupledWeightDecay { p *= 1 - lr * o.weightDecay } else { g = g + p * o.weightDecay }
            }
            m.lerp(toward: g, weight: 1 - beta1)
            v *= beta2
            v.addMultiplied(g, g, value: 1 - beta2)
            let biasCorrection1 = 1 - pow(beta1, t)
            let biasCorrection2 = 1 - pow(beta2, t)
            let corrected = m / biasCorrection1
            let rhoInf = 2 / (1 - beta2) - 1
            let rhoT = rhoInf - 2 * t * pow(beta2, t) / biasCorrection2
            if rhoT > 5 {
                let rect = pow((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5)
                let root = v.sqrt()
                root += o.eps
                let adaptive = pow(biasCorrection2, 0.5) / root
                p -= corrected * lr * adaptive * rect
            } else {
                p -= corrected * lr
            }
        }
    }
}
