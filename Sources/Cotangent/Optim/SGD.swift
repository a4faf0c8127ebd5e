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
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Double
    /// The momentum factor (0 for plain SGD).
    public let momentum: Double
    /// The dampening of the momentum buffer's new gradient.
    public let dampening: Double
    /// The L2 penalty added to each gradient.
    public let weightDecay: Double
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// Whether to maximise the objective instead of minimising it.
    public let maximize: Bool
    private var momentumBuffers: [Tensor?]

    /// Creates the optimizer.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update, e.g. `model.parameters()`.
    ///   - learningRate: The step size (default 0.001).
    ///   - momentum: The momentum factor (default 0).
    ///   - dampening: Dampening for momentum (default 0).
    ///   - weightDecay: The L2 penalty (default 0).
    ///   - nesterov: Enables Nesterov momentum; needs momentum and zero dampening.
    ///   - maximize: Ascends the gradient instead of descending it.
    public init(_ parameters: [Tensor], learningRate: Double = 0.001, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) {
        let checks = OptimizerChecks(op: "SGD")
        checks.nonNegative(learningRate, "learning rate")
        checks.nonNegative(momentum, "momentum value")
        checks.nonNegative(weightDecay, "weight_decay value")
        check(!nesterov || (momentum > 0 && dampening == 0), "SGD", "Nesterov momentum requires a momentum and zero dampening")
        checks.parameters(parameters)
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.maximize = maximize
        momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    public func step() {
        withNoGrad {
            for (i, p) in parameters.enumerated() {
                guard var g = p.grad else { continue }
                if maximize { g = -g }
                if weightDecay != 0 { g = g + p * weightDecay }
                if momentum != 0 {
                    let buffer: Tensor
                    if let existing = momentumBuffers[i] {
                        buffer = existing
                        buffer *= momentum
                        buffer += dampening == 0 ? g : g * (1 - dampening)
                    } else {
                        buffer = g.cloned()
                        momentumBuffers[i] = buffer
                    }
                    g = nesterov ? g + buffer * momentum : buffer
                }
                p += g * -learningRate
            }
        }
    }
}
