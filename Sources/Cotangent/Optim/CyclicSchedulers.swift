#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The 1cycle policy: the learning rate rises from `maxLR / divFactor` to
/// `maxLR`, then falls to `maxLR / (divFactor · finalDivFactor)`, while the
/// momentum moves the opposite way (PyTorch's `OneCycleLR`). Step it after
/// every batch, `totalSteps` times in all.
///
/// With `cycleMomentum` (the default) it drives each group's
/// ``OptimizerOptions/cycledMomentum``: SGD's and RMSprop's momentum, or β₁ of
/// the Adam family, as PyTorch's does (so an SGD made without momentum gets one).
public final class OneCycleLR: LRScheduler {
    /// How the rate moves within a phase.
    public enum AnnealStrategy: Sendable, Hashable {
        /// Along half a cosine (the default).
        case cos
        /// Along a straight line.
        case linear
    }

    /// The optimizer whose learning rates are changed.
    public let optimizer: any Optimizer
    /// The total number of steps in the cycle.
    public let totalSteps: Int
    /// How the rate moves within a phase.
    public let annealStrategy: AnnealStrategy
    /// Whether the momentum is cycled inversely to the rate.
    public let cycleMomentum: Bool
    public let baseLearningRates: [Double]
    public private(set) var lastEpoch = 0
    public private(set) var lastLearningRates: [Double]

    private struct Phase { let endStep: Double; let startLR: Int; let endLR: Int; let startMomentum: Int; let endMomentum: Int }
    private let phases: [Phase]
    /// Per group: the initial, maximum and minimum rates (indices 0, 1, 2 of each array).
    private let groupRates: [[Double]]
    /// Per group: the maximum and base momentum (indices 0 and 1).
    private let groupMomenta: [[Double]]

    /// Creates the scheduler and sets the rates (and momenta) of step 0.
    ///
    /// - Parameters:
    ///   - optimizer: The optimizer to drive.
    ///   - maxLR: The peak learning rate.
    ///   - totalSteps: The number of steps in the cycle; or give `epochs` and `stepsPerEpoch`.
    ///   - epochs: Epochs, with `stepsPerEpoch`, when `totalSteps` is nil.
    ///   - stepsPerEpoch: Steps per epoch.
    ///   - pctStart: The fraction of the cycle spent rising (default 0.3).
    ///   - annealStrategy: `.cos` (default) or `.linear`.
    ///   - cycleMomentum: Whether to cycle momentum (default `true`).
    ///   - baseMomentum: The momentum at the peak rate (default 0.85).
    ///   - maxMomentum: The momentum at the lowest rates (default 0.95).
    ///   - divFactor: The initial rate is `maxLR / divFactor` (default 25).
    ///   - finalDivFactor: The final rate is the initial rate over this (default 1e4).
    ///   - threePhase: Falls back to the initial rate before annealing to the final one.
    public init(_ optimizer: any Optimizer, maxLR: Double, totalSteps: Int? = nil, epochs: Int? = nil,
                stepsPerEpoch: Int? = nil, pctStart: Double = 0.3, annealStrategy: AnnealStrategy = .cos,
                cycleMomentum: Bool = true, baseMomentum: Double = 0.85, maxMomentum: Double = 0.95,
                divFactor: Double = 25, finalDivFactor: Double = 1e4, threePhase: Bool = false) {
        let steps: Int
        if let totalSteps {
            check(totalSteps > 0, "OneCycleLR", "Expected positive integer total_steps, but got \(totalSteps)")
            steps = totalSteps
        } else {
            guard let epochs, let stepsPerEpoch else {
                fail("OneCycleLR", "You must define either total_steps OR (epochs AND steps_per_epoch)")
            }
            check(epochs > 0, "OneCycleLR", "Expected positive integer epochs, but got \(epochs)")
            check(stepsPerEpoch > 0, "OneCycleLR", "Expected positive integer steps_per_epoch, but got \(stepsPerEpoch)")
            steps = epochs * stepsPerEpoch
        }
        check(pctStart >= 0 && pctStart <= 1, "OneCycleLR", "Expected float between 0 and 1 pct_start, but got \(pctStart)")
        self.optimizer = optimizer
        self.totalSteps = steps
        self.annealStrategy = annealStrategy
        self.cycleMomentum = cycleMomentum
        let total = Double(steps)
        // Indices into groupRates (0 initial, 1 max, 2 min) and groupMomenta (0 max, 1 base).
        phases = threePhase
            ? [Phase(endStep: pctStart * total - 1, startLR: 0, endLR: 1, startMomentum: 0, endMomentum: 1),
               Phase(endStep: 2 * pctStart * total - 2, startLR: 1, endLR: 0, startMomentum: 1, endMomentum: 0),
               Phase(endStep: total - 1, startLR: 0, endLR: 2, startMomentum: 0, endMomentum: 0)]
            : [Phase(endStep: pctStart * total - 1, startLR: 0, endLR: 1, startMomentum: 0, endMomentum: 1),
               Phase(endStep: total - 1, startLR: 1, endLR: 2, startMomentum: 1, endMomentum: 0)]
        let initial = maxLR / divFactor
        groupRates = Array(repeating: [initial, maxLR, initial / finalDivFactor], count: optimizer.parameterGroupCount)
        groupMomenta = Array(repeating: [maxMomentum, baseMomentum], count: optimizer.parameterGroupCount)
        if cycleMomentum {
            check(optimizer.cycledMomenta.allSatisfy { $0 != nil }, "OneCycleLR",
                  "optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            optimizer.cycledMomenta = groupMomenta.map { $0[0] }
        }
        // PyTorch's base_lrs are the initial rates it writes into each group.
        optimizer.learningRates = groupRates.map { $0[0] }
        baseLearningRates = optimizer.learningRates
        lastLearningRates = baseLearningRates
        apply(step: 0)
    }

    private func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch annealStrategy {
        case .cos: end + (start - end) / 2 * (cos(Double.pi * pct) + 1)
        case .linear: (end - start) * pct + start
        }
    }

    private func apply(step: Int) {
        check(step <= totalSteps, "OneCycleLR", "Tried to step \(step) times. The specified number of total steps is \(totalSteps)")
        var rates: [Double] = [], momenta: [Double?] = []
        for (rate, momentum) in zip(groupRates, groupMomenta) {
            var start = 0.0
            for (i, phase) in phases.enumerated() {
                if Double(step) <= phase.endStep || i == phases.count - 1 {
                    let pct = (Double(step) - start) / (phase.endStep - start)
                    rates.append(anneal(rate[phase.startLR], rate[phase.endLR], pct))
                    momenta.append(anneal(momentum[phase.startMomentum], momentum[phase.endMomentum], pct))
                    break
                }
                start = phase.endStep
            }
        }
        optimizer.learningRates = rates
        if cycleMomentum { optimizer.cycledMomenta = momenta }
        lastLearningRates = rates
    }

    public func step() {
        lastEpoch += 1
        apply(step: lastEpoch)
    }
}

/// Divides the learning rate by `1 / factor` when a metric has stopped
/// improving for `patience` epochs (PyTorch's `ReduceLROnPlateau`).
///
/// ```swift
/// let scheduler = ReduceLROnPlateau(optimizer, patience: 2)
/// for epoch in 0..<50 { train(); scheduler.step(validationLoss()) }
/// ```
public final class ReduceLROnPlateau {
    /// Whether lower (`.min`) or higher (`.max`) values of the metric are better.
    public enum Mode: Sendable, Hashable { case min, max }
    /// Whether `threshold` is relative to the best value or absolute.
    public enum ThresholdMode: Sendable, Hashable { case rel, abs }

    /// The optimizer whose learning rates are changed.
    public let optimizer: any Optimizer
    /// Whether lower or higher is better.
    public let mode: Mode
    /// The factor applied on a plateau.
    public let factor: Double
    /// The epochs without improvement tolerated before reducing.
    public let patience: Int
    /// The least change that counts as an improvement.
    public let threshold: Double
    /// Whether the threshold is relative or absolute.
    public let thresholdMode: ThresholdMode
    /// The epochs to wait after a reduction before counting again.
    public let cooldown: Int
    /// Each group's lowest learning rate.
    public let minLearningRates: [Double]
    /// Reductions smaller than this are skipped.
    public let eps: Double
    /// The best metric so far.
    public private(set) var best: Double
    /// The epochs since the last improvement.
    public private(set) var numBadEpochs = 0
    /// The number of ``step(_:)`` calls so far.
    public private(set) var lastEpoch = 0
    private var cooldownCounter = 0

    /// Creates the scheduler.
    ///
    /// - Parameters:
    ///   - optimizer: The optimizer to drive.
    ///   - mode: `.min` (default) for a loss, `.max` for an accuracy.
    ///   - factor: The factor applied on a plateau, below 1 (default 0.1).
    ///   - patience: Epochs without improvement before reducing (default 10).
    ///   - threshold: The least change that counts (default 1e-4).
    ///   - thresholdMode: `.rel` (default) or `.abs`.
    ///   - cooldown: Epochs to wait after a reduction (default 0).
    ///   - minLR: The lowest rate of every group (default 0).
    ///   - eps: Reductions smaller than this are skipped (default 1e-8).
    public init(_ optimizer: any Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
                threshold: Double = 1e-4, thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minLR: Double = 0,
                eps: Double = 1e-8) {
        check(factor < 1, "ReduceLROnPlateau", "Factor should be < 1.0.")
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        minLearningRates = Array(repeating: minLR, count: optimizer.parameterGroupCount)
        self.eps = eps
        best = mode == .min ? .infinity : -.infinity
    }

    private func isBetter(_ value: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): value < best * (1 - threshold)
        case (.min, .abs): value < best - threshold
        case (.max, .rel): value > best * (threshold + 1)
        case (.max, .abs): value > best + threshold
        }
    }

    /// Records an epoch's metric and reduces the learning rates after a plateau.
    ///
    /// - Parameter metric: The value watched, e.g. the validation loss.
    public func step(_ metric: Double) {
        lastEpoch += 1
        if isBetter(metric) {
            best = metric
            numBadEpochs = 0
        } else {
            numBadEpochs += 1
        }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            numBadEpochs = 0
        }
        if numBadEpochs > patience {
            optimizer.learningRates = zip(optimizer.learningRates, minLearningRates).map { old, minimum in
                let new = Swift.max(old * factor, minimum)
                return old - new > eps ? new : old
            }
            cooldownCounter = cooldown
            numBadEpochs = 0
        }
    }

    /// The learning rates now.
    public var lastLearningRates: [Double] { optimizer.learningRates }
}
