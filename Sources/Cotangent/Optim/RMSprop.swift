/// The hyperparameters of one ``RMSprop`` parameter group.
public struct RMSpropOptions: OptimizerOptions, Sendable, Hashable {
    /// The step size (`lr`).
    public var learningRate: Double
    /// The smoothing constant of the running average of squared gradients (`alpha`).
    public var alpha: Double
    /// Added to the denominator for stability (`eps`).
    public var eps: Double
    /// The L2 penalty added to each gradient (`weight_decay`).
    public var weightDecay: Double
    /// The momentum factor, 0 for none (`momentum`).
    public var momentum: Double
    /// Whether the denominator uses the variance, subtracting the mean gradient squared (`centered`).
    public var centered: Bool
    /// Whether to maximise the objective instead of minimising it (`maximize`).
    public var maximize: Bool

    public var cycledMomentum: Double? {
        get { momentum }
        set { if let newValue { momentum = newValue } }
    }
}

/// RMSprop: divides each gradient by a running root mean square of recent
/// gradients (PyTorch's `torch.optim.RMSprop`).
///
/// Each step:
///
/// ```
/// g ← g + weightDecay · p
/// s ← α s + (1 - α) g²
/// a ← √(s - ḡ²) + eps   (centered, with ḡ ← α ḡ + (1 - α) g)   or   a ← √s + eps
/// b ← momentum · b + g / a,  p ← p - lr · b   (with momentum)   or   p ← p - lr · g / a
/// ```
///
/// The state of each parameter: `step`, `square_avg`, and `momentum_buffer`
/// and `grad_avg` when used.
public final class RMSprop: StatefulOptimizer<RMSpropOptions> {
    /// Creates the optimizer over one group.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update.
    ///   - learningRate: The step size (default 0.01).
    ///   - alpha: The smoothing constant (default 0.99).
    ///   - eps: Added to the denominator (default 1e-8).
    ///   - weightDecay: The L2 penalty (default 0).
    ///   - momentum: The momentum factor (default 0).
    ///   - centered: Normalises by an estimate of the gradient's variance (default `false`).
    ///   - maximize: Ascends the gradient instead of descending it.
    public convenience init(_ parameters: [Tensor], learningRate: Double = 0.01, alpha: Double = 0.99, eps: Double = 1e-8,
                            weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParameterGroupSpec(parameters)], learningRate: learningRate, alpha: alpha, eps: eps,
                  weightDecay: weightDecay, momentum: momentum, centered: centered, maximize: maximize)
    }

    /// Creates the optimizer over parameter groups; the other arguments are the groups' defaults.
    public init(groups: [ParameterGroupSpec<RMSpropOptions>], learningRate: Double = 0.01, alpha: Double = 0.99,
                eps: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false,
                maximize: Bool = false) {
        let defaults = RMSpropOptions(learningRate: learningRate, alpha: alpha, eps: eps, weightDecay: weightDecay,
                                      momentum: momentum, centered: centered, maximize: maximize)
        super.init(op: "RMSprop", groups: groups, defaults: defaults) { o in
            let checks = OptimizerChecks(op: "RMSprop")
            checks.nonNegative(o.learningRate, "learning rate")
            checks.nonNegative(o.eps, "epsilon value")
            checks.nonNegative(o.momentum, "momentum value")
            checks.nonNegative(o.weightDecay, "weight_decay value")
            checks.nonNegative(o.alpha, "alpha value")
        }
    }

    public override func step() {
        forEachParameter(maximize: \.maximize) { p, grad, o, state in
            var g = grad
            _ = state.advanceStep()
            let s = state.tensor("square_avg") { Tensor.zeros(like: p) }
            // PyTorch creates the buffers together, in this order.
            if o.momentum > 0 { _ = state.tensor("momentum_buffer") { Tensor.zeros(like: p) } }
            if o.centered { _ = state.tensor("grad_avg") { Tensor.zeros(like: p) } }
            if o.weightDecay != 0 { g = g + p * o.weightDecay }
            s *= o.alpha
            s.addMultiplied(g, g, value: 1 - o.alpha)
            let average: Tensor
            if o.centered {
                let mean = state.tensor("grad_avg") { Tensor.zeros(like: p) }
                mean.lerp(toward: g, weight: 1 - o.alpha)
                average = (s + (mean * -1.0) * mean).sqrt()
            } else {
                average = s.sqrt()
            }
            average += o.eps
            if o.momentum > 0 {
                let buffer = state.tensor("momentum_buffer") { Tensor.zeros(like: p) }
                buffer *= o.momentum
                buffer.addDivided(g, average, value: 1)
                p += buffer * -o.learningRate
            } else {
                p.addDivided(g, average, value: -o.learningRate)
            }
        }
    }
}
