/// The hyperparameters of one ``SGD`` parameter group (PyTorch's names in the comments).
public struct SGDOptions: OptimizerOptions, Sendable, Hashable {
    /// The step size (`lr`).
    public var learningRate: Double
    /// The momentum factor, 0 for plain SGD (`momentum`).
    public var momentum: Double
    /// The dampening of the momentum buffer's new gradient (`dampening`).
    public var dampening: Double
    /// The L2 penalty added to each gradient (`weight_decay`).
    public var weightDecay: Double
    /// Whether to use Nesterov momentum (`nesterov`).
    public var nesterov: Bool
    /// Whether to maximise the objective instead of minimising it (`maximize`).
    public var maximize: Bool

    public var cycledMomentum: Double? {
        get { momentum }
        set { if let newValue { momentum = newValue } }
    }
}

/// Stochastic gradient descent with optional momentum, dampening, Nesterov
/// momentum and weight decay (PyTorch's `torch.optim.SGD`).
///
/// Each step, for every parameter `p` with gradient `g`:
///
/// ```
/// g ← g + weightDecay · p
/// b ← g                                   (first step)
/// b ← momentum · b + (1 - dampening) · g  (later steps)
/// g ← g + momentum · b  (Nesterov)   or   g ← b
/// p ← p - learningRate · g
/// ```
///
/// The state of each parameter is its `momentum_buffer`.
public final class SGD: StatefulOptimizer<SGDOptions> {
    /// Creates the optimizer over one group.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update, e.g. `model.parameters()`.
    ///   - learningRate: The step size (default 0.001).
    ///   - momentum: The momentum factor (default 0).
    ///   - dampening: Dampening for momentum (default 0).
    ///   - weightDecay: The L2 penalty (default 0).
    ///   - nesterov: Enables Nesterov momentum; needs momentum and zero dampening.
    ///   - maximize: Ascends the gradient instead of descending it.
    public convenience init(_ parameters: [Tensor], learningRate: Double = 0.001, momentum: Double = 0,
                            dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) {
        self.init(groups: [ParameterGroupSpec(parameters)], learningRate: learningRate, momentum: momentum, dampening: dampening,
                  weightDecay: weightDecay, nesterov: nesterov, maximize: maximize)
    }

    /// Creates the optimizer over parameter groups; the other arguments are
    /// the defaults each group's closure may change.
    public init(groups: [ParameterGroupSpec<SGDOptions>], learningRate: Double = 0.001, momentum: Double = 0,
                dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) {
        let defaults = SGDOptions(learningRate: learningRate, momentum: momentum, dampening: dampening,
                                  weightDecay: weightDecay, nesterov: nesterov, maximize: maximize)
        super.init(op: "SGD", groups: groups, defaults: defaults) { o in
            let checks = OptimizerChecks(op: "SGD")
            checks.nonNegative(o.learningRate, "learning rate")
            checks.nonNegative(o.momentum, "momentum value")
            checks.nonNegative(o.weightDecay, "weight_decay value")
            check(!o.nesterov || (o.momentum > 0 && o.dampening == 0), "SGD", "Nesterov momentum requires a momentum and zero dampening")
        }
    }

    public override func step() {
        forEachParameter(maximize: \.maximize) { p, grad, o, state in
            var g = grad
            if o.weightDecay != 0 { g = g + p * o.weightDecay }
            if o.momentum != 0 {
                let buffer: Tensor
                if let existing = state["momentum_buffer"] {
                    buffer = existing
                    buffer *= o.momentum
                    buffer += o.dampening == 0 ? g : g * (1 - o.dampening)
                } else {
                    buffer = g.cloned()
                    state["momentum_buffer"] = buffer
                }
                g = o.nesterov ? g + buffer * o.momentum : buffer
            }
            p += g * -o.learningRate
        }
    }
}
