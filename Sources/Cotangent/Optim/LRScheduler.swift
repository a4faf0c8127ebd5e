#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Changes an optimizer's learning rates once per epoch (or per batch, for
/// ``OneCycleLR``) (PyTorch's `torch.optim.lr_scheduler.LRScheduler`).
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
///
/// Every parameter group is scheduled from its own base rate, its learning
/// rate when the scheduler was created. As in PyTorch, a scheduler whose rate
/// at epoch 0 is not the base rate (``LambdaLR``, ``LinearLR``, ``OneCycleLR``)
/// sets it when created.
public protocol LRScheduler: AnyObject {
    /// The number of ``step()`` calls so far (PyTorch's `last_epoch`, 0 at creation).
    var lastEpoch: Int { get }
    /// Each group's learning rate when it was given to the scheduler (PyTorch's `base_lrs`).
    var baseLearningRates: [Double] { get }
    /// The learning rates the last step set (PyTorch's `get_last_lr()`).
    var lastLearningRates: [Double] { get }
    /// Advances one epoch and sets the optimizer's learning rates.
    func step()
}

extension LRScheduler {
    /// The first group's base learning rate.
    public var baseLearningRate: Double { baseLearningRates.first ?? 0 }
}

/// The bookkeeping every scheduler shares: the optimizer, the base rates and
/// the epoch count; subclasses give the rates for the next epoch.
public class ScheduledLearningRates: LRScheduler {
    /// The optimizer whose learning rates are changed.
    public let optimizer: any Optimizer
    public let baseLearningRates: [Double]
    public private(set) var lastEpoch = 0
    public private(set) var lastLearningRates: [Double]

    init(_ optimizer: any Optimizer) {
        self.optimizer = optimizer
        baseLearningRates = optimizer.learningRates
        lastLearningRates = optimizer.learningRates
    }

    /// Sets the rates of epoch 0 (PyTorch's `_initial_step`) for schedulers whose first rate differs from the base.
    func initialStep() {
        optimizer.learningRates = rates(epoch: 0, current: optimizer.learningRates)
        lastLearningRates = optimizer.learningRates
    }

    /// The rates for `epoch`, given the current ones (PyTorch's chainable `get_lr`).
    func rates(epoch: Int, current: [Double]) -> [Double] { current }

    public func step() {
        lastEpoch += 1
        optimizer.learningRates = rates(epoch: lastEpoch, current: optimizer.learningRates)
        lastLearningRates = optimizer.learningRates
    }
}

/// Multiplies the learning rate by `gamma` every `stepSize` epochs
/// (PyTorch's `StepLR`): `lr = base · gamma^⌊epoch / stepSize⌋`.
public final class StepLR: ScheduledLearningRates {
    /// The period of decay, in epochs.
    public let stepSize: Int
    /// The factor applied every `stepSize` epochs.
    public let gamma: Double

    /// Creates the scheduler; the learning rate is unchanged until the first decay.
    ///
    /// - Parameters:
    ///   - optimizer: The optimizer to drive.
    ///   - stepSize: The period of decay, in epochs (positive).
    ///   - gamma: The multiplicative factor (default 0.1).
    public init(_ optimizer: any Optimizer, stepSize: Int, gamma: Double = 0.1) {
        check(stepSize > 0, "StepLR", "step_size must be a positive integer, got \(stepSize)")
        self.stepSize = stepSize
        self.gamma = gamma
        super.init(optimizer)
    }

    override func rates(epoch: Int, current: [Double]) -> [Double] {
        // PyTorch's recursive form: multiply the current rate at each boundary.
        epoch > 0 && epoch % stepSize == 0 ? current.map { $0 * gamma } : current
    }
}

/// Multiplies the learning rate by `gamma` at each milestone epoch
/// (PyTorch's `MultiStepLR`); a milestone listed twice applies `gamma` twice.
public final class MultiStepLR: ScheduledLearningRates {
    /// The epochs at which the rate decays.
    public let milestones: [Int]
    /// The factor applied at each milestone.
    public let gamma: Double

    /// Creates the scheduler.
    ///
    /// - Parameters:
    ///   - optimizer: The optimizer to drive.
    ///   - milestones: Epoch numbers, e.g. `[30, 80]`.
    ///   - gamma: The multiplicative factor (default 0.1).
    public init(_ optimizer: any Optimizer, milestones: [Int], gamma: Double = 0.1) {
        self.milestones = milestones
        self.gamma = gamma
        super.init(optimizer)
    }

    override func rates(epoch: Int, current: [Double]) -> [Double] {
        let hits = milestones.filter { $0 == epoch }.count
        return hits == 0 ? current : current.map { $0 * pow(gamma, Double(hits)) }
    }
}

/// Multiplies the learning rate by `gamma` every epoch (PyTorch's `ExponentialLR`).
public final class ExponentialLR: ScheduledLearningRates {
    /// The factor applied every epoch.
    public let gamma: Double

    /// Creates the scheduler.
    ///
    /// - Parameters:
    ///   - optimizer: The optimizer to drive.
    ///   - gamma: The multiplicative factor per epoch.
    public init(_ optimizer: any Optimizer, gamma: Double) {
        self.gamma = gamma
        super.init(optimizer)
    }

    override func rates(epoch: Int, current: [Double]) -> [Double] {
        epoch == 0 ? current : current.map { $0 * gamma }
    }
}

/// Sets the learning rate to `base · factor(epoch)` (PyTorch's `LambdaLR`);
/// the rate of epoch 0 is set when the scheduler is created.
public final class LambdaLR: ScheduledLearningRates {
    private let factors: [(Int) -> Double]

    /// Creates the scheduler with one factor function for every group.
    ///
    /// - Parameters:
    ///   - optimizer: The optimizer to drive.
    ///   - factor: The multiple of the base rate for an epoch, e.g. `{ 0.95 ** Double($0) }`.
    public init(_ optimizer: any Optimizer, factor: @escaping (Int) -> Double) {
        factors = Array(repeating: factor, count: optimizer.parameterGroupCount)
        super.init(optimizer)
        initialStep()
    }

    /// Creates the scheduler with one factor function per group.
    public init(_ optimizer: any Optimizer, factors: [(Int) -> Double]) {
        check(factors.count == optimizer.parameterGroupCount, "LambdaLR",
              "Expected \(optimizer.parameterGroupCount) lr_lambdas, but got \(factors.count)")
        self.factors = factors
        super.init(optimizer)
        initialStep()
    }

    override func rates(epoch: Int, current: [Double]) -> [Double] {
        zip(baseLearningRates, factors).map { base, factor in base * factor(epoch) }
    }
}

/// Scales the learning rate linearly from `startFactor · base` to
/// `endFactor · base` over `totalIters` epochs, then keeps it (PyTorch's
/// `LinearLR`): a linear warm-up with the defaults.
public final class LinearLR: ScheduledLearningRates {
    /// The factor at epoch 0.
    public let startFactor: Double
    /// The factor from epoch `totalIters` on.
    public let endFactor: Double
    /// The number of epochs of the ramp.
    public let totalIters: Int

    /// Creates the scheduler, setting the rate of epoch 0.
    ///
    /// - Parameters:
    ///   - optimizer: The optimizer to drive.
    ///   - startFactor: The first factor, in (0, 1] (default 1/3).
    ///   - endFactor: The last factor, in [0, 1] (default 1).
    ///   - totalIters: The epochs the ramp takes (default 5).
    public init(_ optimizer: any Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1, totalIters: Int = 5) {
        check(startFactor > 0 && startFactor <= 1, "LinearLR",
              "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        check(endFactor >= 0 && endFactor <= 1, "LinearLR",
              "Ending multiplicative factor expected to be between 0 and 1.")
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        super.init(optimizer)
        initialStep()
    }

    override func rates(epoch: Int, current: [Double]) -> [Double] {
        if epoch == 0 { return current.map { $0 * startFactor } }
        if epoch > totalIters { return current }
        let ratio = 1 + (endFactor - startFactor) / (Double(totalIters) * startFactor + Double(epoch - 1) * (endFactor - startFactor))
        return current.map { $0 * ratio }
    }
}

/// Anneals the learning rate along a cosine from its base value to `etaMin`
/// over `tMax` epochs (PyTorch's `CosineAnnealingLR`):
/// `lr = etaMin + (base - etaMin) · (1 + cos(π · epoch / tMax)) / 2`.
///
/// Past `tMax` the rate rises again, following PyTorch's recursive formula.
public final class CosineAnnealingLR: ScheduledLearningRates {
    /// The number of epochs of one half period.
    public let tMax: Int
    /// The minimum learning rate.
    public let etaMin: Double

    /// Creates the scheduler.
    ///
    /// - Parameters:
    ///   - optimizer: The optimizer to drive.
    ///   - tMax: The number of epochs to reach `etaMin` (positive).
    ///   - etaMin: The minimum learning rate (default 0).
    public init(_ optimizer: any Optimizer, tMax: Int, etaMin: Double = 0) {
        check(tMax > 0, "CosineAnnealingLR", "T_max must be a positive integer, got \(tMax)")
        self.tMax = tMax
        self.etaMin = etaMin
        super.init(optimizer)
    }

    override func rates(epoch: Int, current: [Double]) -> [Double] {
        guard epoch > 0 else { return current }
        let e = Double(epoch), t = Double(tMax)
        // The same recursive update as PyTorch, so rates agree to the last bit.
        let offset = epoch - 1 - tMax, period = 2 * tMax
        return zip(current, baseLearningRates).map { lr, base in
            if ((offset % period) + period) % period == 0 {
                return lr + (base - etaMin) * (1 - cos(Double.pi / t)) / 2
            }
            return (1 + cos(Double.pi * e / t)) / (1 + cos(Double.pi * (e - 1) / t)) * (lr - etaMin) + etaMin
        }
    }
}

extension Optimizer {
    /// The number of parameter groups.
    public var parameterGroupCount: Int { parameterGroups.count }
}
