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
public final class RMSprop: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Double
    /// The smoothing constant of the running average of squared gradients.
    public let alpha: Double
    /// Added to the denominator for stability.
    public let eps: Double
    /// The L2 penalty added to each gradient.
    public let weightDecay: Double
    /// The momentum factor (0 for none).
    public let momentum: Double
    /// Whether the denominator uses the variance (subtracting the mean gradient squared).
    public let centered: Bool
    /// Whether to maximise the objective instead of minimising it.
    public let maximize: Bool
    private var squareAverages: [Tensor?], gradientAverages: [Tensor?], momentumBuffers: [Tensor?]

    /// Creates the optimizer.
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
    public init(_ parameters: [Tensor], learningRate: Double = 0.01, alpha: Double = 0.99, eps: Double = 1e-8,
                weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false, maximize: Bool = false) {
        let checks = OptimizerChecks(op: "RMSprop")
        checks.nonNegative(learningRate, "learning rate")
        checks.nonNegative(eps, "epsilon value")
        checks.nonNegative(momentum, "momentum value")
        checks.nonNegative(weightDecay, "weight_decay value")
        checks.nonNegative(alpha, "alpha value")
        checks.parameters(parameters)
        self.parameters = parameters
        self.learningRate = learningRate
        self.alpha = alpha
        self.eps = eps
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        self.maximize = maximize
        squareAverages = Array(repeating: nil, count: parameters.count)
        gradientAverages = squareAverages
        momentumBuffers = squareAverages
    }

    public func step() {
        withNoGrad {
            for (i, p) in parameters.enumerated() {
                guard var g = p.grad else { continue }
                if maximize { g = -g }
                if squareAverages[i] == nil {
                    squareAverages[i] = Tensor.zeros(like: p)
                    if centered { gradientAverages[i] = Tensor.zeros(like: p) }
                    if momentum > 0 { momentumBuffers[i] = Tensor.zeros(like: p) }
                }
                if weightDecay != 0 { g = g + p * weightDecay }
                let s = squareAverages[i]!
                s *= alpha
                s.addMultiplied(g, g, value: 1 - alpha)
                let average: Tensor
                if centered {
                    let mean = gradientAverages[i]!
                    mean.lerp(toward: g, weight: 1 - alpha)
                    average = (s + (mean * -1.0) * mean).sqrt()
                } else {
                    average = s.sqrt()
                }
                average += eps
                if momentum > 0 {
                    let buffer = momentumBuffers[i]!
                    buffer *= momentum
                    buffer.addDivided(g, average, value: 1)
                    p += buffer * -learningRate
                } else {
                    p.addDivided(g, average, value: -learningRate)
                }
            }
        }
    }
}
