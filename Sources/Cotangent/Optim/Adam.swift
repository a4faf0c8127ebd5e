#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Adam update shared by ``Adam`` and ``AdamW``, which differ only in how
/// weight decay enters (PyTorch's `_single_tensor_adam`).
struct AdamAlgorithm {
    let beta1: Double, beta2: Double, eps: Double, weightDecay: Double
    let amsgrad: Bool, maximize: Bool, decoupledWeightDecay: Bool
    private var steps: [Int]
    private var expAvg: [Tensor?], expAvgSq: [Tensor?], maxExpAvgSq: [Tensor?]

    init(op: String, parameters: [Tensor], learningRate: Double, betas: (Double, Double), eps: Double,
         weightDecay: Double, amsgrad: Bool, maximize: Bool, decoupledWeightDecay: Bool) {
        let checks = OptimizerChecks(op: op)
        checks.nonNegative(learningRate, "learning rate")
        checks.nonNegative(eps, "epsilon value")
        check(betas.0 >= 0 && betas.0 < 1, op, "Invalid beta parameter at index 0: \(betas.0)")
        check(betas.1 >= 0 && betas.1 < 1, op, "Invalid beta parameter at index 1: \(betas.1)")
        checks.nonNegative(weightDecay, "weight_decay value")
        checks.parameters(parameters)
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.maximize = maximize
        self.decoupledWeightDecay = decoupledWeightDecay
        steps = Array(repeating: 0, count: parameters.count)
        expAvg = Array(repeating: nil, count: parameters.count)
        expAvgSq = expAvg
        maxExpAvgSq = expAvg
    }

    mutating func step(_ parameters: [Tensor], learningRate lr: Double) {
        withNoGrad {
            for (i, p) in parameters.enumerated() {
                guard var g = p.grad else { continue }
                if maximize { g = -g }
                if expAvg[i] == nil {
                    expAvg[i] = Tensor.zeros(like: p)
                    expAvgSq[i] = Tensor.zeros(like: p)
                    if amsgrad { maxExpAvgSq[i] = Tensor.zeros(like: p) }
                }
                let (m, v) = (expAvg[i]!, expAvgSq[i]!)
                steps[i] += 1
                if weightDecay != 0 {
                    if decoupledWeightDecay { p *= 1 - lr * weightDecay } else { g = g + p * weightDecay }
                }
                m.lerp(toward: g, weight: 1 - beta1)
                v *= beta2
                v.addMultiplied(g, g, value: 1 - beta2)
                let step = Double(steps[i])
                let biasCorrection1 = 1 - pow(beta1, step)
                let biasCorrection2 = 1 - pow(beta2, step)
                let stepSize = lr / biasCorrection1
                let second: Tensor
                if amsgrad {
                    let maxV = maxExpAvgSq[i]!
                    maxV.copy(from: Tensor.maximum(maxV, v))
                    second = maxV
                } else {
                    second = v
                }
                // `** 0.5` as PyTorch writes it (pow, not sqrt), for the same rounding.
                let denominator = second.sqrt() / pow(biasCorrection2, 0.5) + eps
                p.addDivided(m, denominator, value: -stepSize)
            }
        }
    }
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
public final class Adam: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Double
    private var algorithm: AdamAlgorithm

    /// Creates the optimizer.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update.
    ///   - learningRate: The step size (default 0.001).
    ///   - betas: The decay rates of the first and second moment estimates (default 0.9, 0.999).
    ///   - eps: Added to the denominator for stability (default 1e-8).
    ///   - weightDecay: The L2 penalty, added to the gradient (default 0).
    ///   - amsgrad: Uses the running maximum of the second moment (default `false`).
    ///   - maximize: Ascends the gradient instead of descending it.
    public init(_ parameters: [Tensor], learningRate: Double = 0.001, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false) {
        algorithm = AdamAlgorithm(op: "Adam", parameters: parameters, learningRate: learningRate, betas: betas, eps: eps,
                                  weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize, decoupledWeightDecay: false)
        self.parameters = parameters
        self.learningRate = learningRate
    }

    public func step() { algorithm.step(parameters, learningRate: learningRate) }
}

/// Adam with decoupled weight decay (PyTorch's `torch.optim.AdamW`): each step
/// first shrinks parameters by `1 - lr · weightDecay`, then applies Adam's
/// update without the penalty in the gradient.
public final class AdamW: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Double
    private var algorithm: AdamAlgorithm

    /// Creates the optimizer.
    ///
    /// - Parameters:
    ///   - parameters: The leaf tensors to update.
    ///   - learningRate: The step size (default 0.001).
    ///   - betas: The decay rates of the moment estimates (default 0.9, 0.999).
    ///   - eps: Added to the denominator for stability (default 1e-8).
    ///   - weightDecay: The decoupled decay rate (default 0.01).
    ///   - amsgrad: Uses the running maximum of the second moment (default `false`).
    ///   - maximize: Ascends the gradient instead of descending it.
    public init(_ parameters: [Tensor], learningRate: Double = 0.001, betas: (Double, Double) = (0.9, 0.999),
                eps: Double = 1e-8, weightDecay: Double = 0.01, amsgrad: Bool = false, maximize: Bool = false) {
        algorithm = AdamAlgorithm(op: "AdamW", parameters: parameters, learningRate: learningRate, betas: betas, eps: eps,
                                  weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize, decoupledWeightDecay: true)
        self.parameters = parameters
        self.learningRate = learningRate
    }

    public func step() { algorithm.step(parameters, learningRate: learningRate) }
}
