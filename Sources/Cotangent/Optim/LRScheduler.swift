#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Changes an optimizer's learning rate once per epoch (PyTorch's
/// `torch.optim.lr_scheduler.LRScheduler`).
///
/// Call ``step()`` after each epoch's optimizer steps:
///
/// ```swift
/// let scheduler = StepLR(optimizer, stepSize: 30, gamma: 0.1)
/// for epoch in 0..<100 {
///     train(epoch)          // calls optimizer.step() per batch
///     scheduler.step()
/// }
/// ```
public protocol LRScheduler: AnyObject {
    /// The number of ``step()`` calls so far (PyTorch's `last_epoch`, 0 at creation).
    var lastEpoch: Int { get }
    /// The learning rate the optimizer had when it was given to the scheduler.
    var baseLearningRate: Double { get }
    /// Advances one epoch and sets the optimizer's learning rate.
    func step()
}

/// Multiplies the learning rate by `gamma` every `stepSize` epochs
/// (PyTorch's `StepLR`): `lr = base · gamma^⌊epoch / stepSize⌋`.
public final class StepLR: LRScheduler {
    /// The optimizer whose learning rate is changed.
    public let optimizer: any Optimizer
    /// The period of decay, in epochs.
    public let stepSize: Int
    /// The factor applied every `stepSize` epochs.
    public let gamma: Double
    public let baseLearningRate: Double
    public private(set) var lastEpoch = 0

    /// Creates the scheduler; the learning rate is unchanged until the first decay.
    ///
    /// - Parameters:
    ///   - optimizer: The optimizer to drive.
    ///   - stepSize: The period of decay, in epochs (positive).
    ///   - gamma: The multiplicative factor (default 0.1).
    public init(_ optimizer: any Optimizer, stepSize: Int, gamma: Double = 0.1) {
        check(stepSize > 0, "StepLR", "step_size must be a positive integer, got \(stepSize)")
        self.optimizer = optimizer
        self.stepSize = stepSize
        self.gamma = gamma
        baseLearningRate = optimizer.learningRate
    }

    public func step() {
        lastEpoch += 1
        // PyTorch's recursive form: multiply the current rate at each boundary.
        if lastEpoch % stepSize == 0 { optimizer.learningRate *= gamma }
    }
}

/// Anneals the learning rate along a cosine from its base value to `etaMin`
/// over `tMax` epochs (PyTorch's `CosineAnnealingLR`):
/// `lr = etaMin + (base - etaMin) · (1 + cos(π · epoch / tMax)) / 2`.
///
/// Past `tMax` the rate rises again, following PyTorch's recursive formula.
public final class CosineAnnealingLR: LRScheduler {
    /// The optimizer whose learning rate is changed.
    public let optimizer: any Optimizer
    /// The number of epochs of one half period.
    public let tMax: Int
    /// The minimum learning rate.
    public let etaMin: Double
    public let baseLearningRate: Double
    public private(set) var lastEpoch = 0

    /// Creates the scheduler.
    ///
    /// - Parameters:
    ///   - optimizer: The optimizer to drive.
    ///   - tMax: The number of epochs to reach `etaMin` (positive).
    ///   - etaMin: The minimum learning rate (default 0).
    public init(_ optimizer: any Optimizer, tMax: Int, etaMin: Double = 0) {
        check(tMax > 0, "CosineAnnealingLR", "T_max must be a positive integer, got \(tMax)")
        self.optimizer = optimizer
        self.tMax = tMax
        self.etaMin = etaMin
        baseLearningRate = optimizer.learningRate
    }

    public func step() {
        lastEpoch += 1
        let e = Double(lastEpoch), t = Double(tMax), lr = optimizer.learningRate
        // The same recursive update as PyTorch, so rates agree to the last bit.
        let offset = lastEpoch - 1 - tMax, period = 2 * tMax
        if ((offset % period) + period) % period == 0 {
            optimizer.learningRate = lr + (baseLearningRate - etaMin) * (1 - cos(Double.pi / t)) / 2
        } else {
            optimizer.learningRate = (1 + cos(Double.pi * e / t)) / (1 + cos(Double.pi * (e - 1) / t)) * (lr - etaMin) + etaMin
        }
    }
}
