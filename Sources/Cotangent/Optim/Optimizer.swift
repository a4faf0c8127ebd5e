/// Updates parameters from their gradients (PyTorch's `torch.optim.Optimizer`).
///
/// The training loop is PyTorch's:
///
/// ```swift
/// let optimizer = SGD(model.parameters(), learningRate: 0.1, momentum: 0.9)
/// for (x, y) in batches {
///     optimizer.zeroGrad()
///     let loss = lossFunction(model(x), y)
///     loss.backward()
///     optimizer.step()
/// }
/// ```
///
/// Parameters come in groups, each with its own hyperparameters (PyTorch's
/// `param_groups`); a list of tensors is one group with the optimizer's
/// defaults. Give each group a closure that changes the defaults:
///
/// ```swift
/// let optimizer = SGD(groups: [
///     .init(net[0, as: Linear.self].parameters()) { $0.weightDecay = 1e-3 },
///     .init(net[2, as: Linear.self].parameters()),
/// ], learningRate: 0.1)
/// ```
///
/// Updates run inside `withNoGrad` with in-place tensor ops, so parameters
/// stay the same leaf tensors (any reference to them sees the new values)
/// and nothing is recorded. Parameters without a gradient are skipped.
///
/// To write an optimizer, store ``parameterGroups`` (with ``LearningRateOptions``
/// or your own options type) and implement ``step()``; ``zeroGrad()`` has a
/// default that you may replace.
public protocol Optimizer: AnyObject {
    /// The hyperparameters of one group.
    associatedtype Options: OptimizerOptions
    /// The parameter groups, in order; schedulers change their options between steps.
    var parameterGroups: [ParameterGroup<Options>] { get set }
    /// Updates every parameter that has a gradient, once (PyTorch's `step()`).
    func step()
    /// Clears the gradient of every parameter (PyTorch's `zero_grad()`):
    /// sets each `grad` to nil. A requirement, so an optimizer's own version
    /// is the one called through `any Optimizer`; the default calls
    /// ``zeroGrad(setToNil:)`` with `true`.
    func zeroGrad()
    /// Clears the gradient of every parameter: sets each `grad` to nil
    /// (`setToNil: true`, PyTorch's default) or fills existing gradients with zeros.
    func zeroGrad(setToNil: Bool)
}

/// The hyperparameters of one parameter group.
public protocol OptimizerOptions {
    /// The step size.
    var learningRate: Double { get set }
    /// The momentum a cyclic schedule varies (``OneCycleLR``): SGD's and
    /// RMSprop's `momentum`, β₁ of the Adam family; nil for an optimizer
    /// without one (setting it then does nothing).
    var cycledMomentum: Double? { get set }
}

extension OptimizerOptions {
    public var cycledMomentum: Double? {
        get { nil }
        set {}
    }
}

/// Options with nothing but a learning rate, for optimizers you write yourself.
public struct LearningRateOptions: OptimizerOptions, Sendable, Hashable {
    public var learningRate: Double
    /// Creates the options.
    public init(learningRate: Double) { self.learningRate = learningRate }
}

/// Parameters that share hyperparameters (one of PyTorch's `param_groups`).
public struct ParameterGroup<Options> {
    /// The tensors of the group.
    public var parameters: [Tensor]
    /// The group's hyperparameters.
    public var options: Options

    /// Creates a group with its options.
    public init(_ parameters: [Tensor], options: Options) {
        self.parameters = parameters
        self.options = options
    }
}

/// A parameter group as an optimizer's initialiser takes it: the tensors and
/// a change to the optimizer's default options (PyTorch's group dictionary,
/// whose missing keys take the defaults).
public struct ParameterGroupSpec<Options> {
    /// The tensors of the group.
    public let parameters: [Tensor]
    /// Changes the defaults into the group's options.
    public let configure: (inout Options) -> Void

    /// Creates the description of a group.
    ///
    /// - Parameters:
    ///   - parameters: The tensors of the group.
    ///   - configure: Changes the optimizer's defaults for this group, e.g. `{ $0.weightDecay = 0 }`.
    public init(_ parameters: [Tensor], _ configure: @escaping (inout Options) -> Void = { _ in }) {
        self.parameters = parameters
        self.configure = configure
    }
}

extension Optimizer {
    public func zeroGrad() { zeroGrad(setToNil: true) }

    public func zeroGrad(setToNil: Bool) {
        for p in parameters { p.clearGradient(setToNil: setToNil) }
    }

    /// Every parameter of every group, in order.
    public var parameters: [Tensor] { parameterGroups.flatMap(\.parameters) }

    /// The first group's learning rate; setting it sets every group's.
    public var learningRate: Double {
        get { parameterGroups.first?.options.learningRate ?? 0 }
        set { for i in parameterGroups.indices { parameterGroups[i].options.learningRate = newValue } }
    }

    /// Each group's learning rate (PyTorch's `[g["lr"] for g in param_groups]`).
    public var learningRates: [Double] {
        get { parameterGroups.map(\.options.learningRate) }
        set {
            check(newValue.count == parameterGroups.count, "Optimizer",
                  "expected \(parameterGroups.count) learning rates, got \(newValue.count)")
            for (i, rate) in newValue.enumerated() { parameterGroups[i].options.learningRate = rate }
        }
    }

    /// Each group's cycled momentum (nil where the optimizer has none).
    var cycledMomenta: [Double?] {
        get { parameterGroups.map(\.options.cycledMomentum) }
        set { for (i, m) in newValue.enumerated() { parameterGroups[i].options.cycledMomentum = m } }
    }
}

/// An optimizer's state (PyTorch's `optimizer.state_dict()`): each group's
/// options with the positions of its parameters, and each parameter's state
/// (momentum buffers, moment estimates, `step`) under PyTorch's names.
public struct OptimizerStateDict<Options> {
    /// Per group: its options and the positions of its parameters in the flat parameter list.
    public var parameterGroups: [(options: Options, parameters: [Int])]
    /// Per parameter position: its state, e.g. `step`, `exp_avg`, `exp_avg_sq`
    /// for Adam; positions without state (no step taken yet) are absent.
    public var state: [Int: StateDict]
}

/// Why ``StatefulOptimizer/loadStateDict(_:)`` refused a state, worded as PyTorch's.
public struct OptimizerStateError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The machinery the built-in optimizers share: groups, per-parameter state
/// by PyTorch's names, state dicts. Subclasses implement ``step()``.
public class StatefulOptimizer<Options: OptimizerOptions>: Optimizer {
    public var parameterGroups: [ParameterGroup<Options>]
    /// Per flat parameter position, the state the algorithm keeps (PyTorch's `optimizer.state`).
    var state: [StateDict]

    init(op: String, groups: [ParameterGroupSpec<Options>], defaults: Options, validate: (Options) -> Void) {
        var built: [ParameterGroup<Options>] = []
        for spec in groups {
            var options = defaults
            spec.configure(&options)
            validate(options)
            built.append(ParameterGroup(spec.parameters, options: options))
        }
        let all = built.flatMap(\.parameters)
        check(!all.isEmpty, op, "optimizer got an empty parameter list")
        var seen = Set<ObjectIdentifier>()
        for p in all {
            check(p.isLeaf, op, "can't optimize a non-leaf Tensor")
            check(p.dtype.isFloatingPoint, op, "can't optimize a tensor of dtype \(p.dtype); parameters must be floating point")
            check(seen.insert(ObjectIdentifier(p)).inserted, op, "some parameters appear in more than one parameter group")
        }
        parameterGroups = built
        state = Array(repeating: StateDict(), count: all.count)
    }

    public func step() { fail("Optimizer", "step() is not implemented") }

    /// Runs `update` under no-grad for every parameter with a gradient, with
    /// its group's options, its gradient (negated when maximising) and its state.
    func forEachParameter(maximize: (Options) -> Bool,
                          _ update: (_ p: Tensor, _ g: Tensor, _ options: Options, _ state: inout StateDict) -> Void) {
        withNoGrad {
            var position = 0
            for group in parameterGroups {
                for p in group.parameters {
                    defer { position += 1 }
                    guard let g = p.grad else { continue }
                    update(p, maximize(group.options) ? -g : g, group.options, &state[position])
                }
            }
        }
    }

    /// The optimizer's state (PyTorch's `state_dict()`); the tensors are copies.
    public func stateDict() -> OptimizerStateDict<Options> {
        var start = 0
        var groups: [(options: Options, parameters: [Int])] = []
        for group in parameterGroups {
            groups.append((group.options, Array(start..<start + group.parameters.count)))
            start += group.parameters.count
        }
        var saved: [Int: StateDict] = [:]
        for (i, s) in state.enumerated() where !s.isEmpty { saved[i] = s.mapValues { $0.cloned() } }
        return OptimizerStateDict(parameterGroups: groups, state: saved)
    }

    /// Restores a state from ``stateDict()`` (PyTorch's `load_state_dict`):
    /// every group's options and every parameter's state, cast to the parameter's dtype (except `step`).
    ///
    /// - Throws: ``OptimizerStateError`` when the groups differ in number or size.
    public func loadStateDict(_ stateDict: OptimizerStateDict<Options>) throws {
        guard stateDict.parameterGroups.count == parameterGroups.count else {
            throw OptimizerStateError(description: "loaded state dict has a different number of parameter groups")
        }
        for (saved, group) in zip(stateDict.parameterGroups, parameterGroups) where saved.parameters.count != group.parameters.count {
            throw OptimizerStateError(description: "loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
        }
        let flat = parameters
        var restored = Array(repeating: StateDict(), count: flat.count)
        for (i, s) in stateDict.state where i < flat.count {
            restored[i] = StateDict(s.entries.map { key, value in
                (key, key == "step" || key == "mu_product" ? value.cloned() : value.to(flat[i].dtype).cloned())
            })
        }
        state = restored
        for (i, saved) in stateDict.parameterGroups.enumerated() { parameterGroups[i].options = saved.options }
    }
}

/// Checks hyperparameters as PyTorch's constructors do.
struct OptimizerChecks {
    let op: String

    func nonNegative(_ value: Double, _ name: String) {
        check(value >= 0, op, "Invalid \(name): \(value)")
    }

    func betas(_ betas: (Double, Double)) {
        check(betas.0 >= 0 && betas.0 < 1, op, "Invalid beta parameter at index 0: \(betas.0)")
        check(betas.1 >= 0 && betas.1 < 1, op, "Invalid beta parameter at index 1: \(betas.1)")
    }
}

extension StateDict {
    /// The state tensor under `key`, created by `make` the first time.
    mutating func tensor(_ key: String, _ make: () -> Tensor) -> Tensor {
        if let t = self[key] { return t }
        let t = make()
        self[key] = t
        return t
    }

    /// Adds one to the `step` counter (a 0-d float32 tensor, as PyTorch keeps it) and returns it.
    mutating func advanceStep() -> Double {
        let step = tensor("step") { Tensor.zeros([], dtype: .float32) }
        step += 1.0
        return step.item()
    }
}

extension Tensor {
    /// `self += (a * value) / b`, in place and unrecorded (PyTorch's `addcdiv_`).
    func addDivided(_ a: Tensor, _ b: Tensor, value: Double) {
        self += (a * value) / b
    }

    /// `self += (a * value) * b`, in place and unrecorded (PyTorch's `addcmul_`).
    func addMultiplied(_ a: Tensor, _ b: Tensor, value: Double) {
        self += (a * value) * b
    }

    /// Moves `self` toward `end` by `weight`, in place (PyTorch's `lerp_`, with
    /// its two formulas for small and large weights).
    func lerp(toward end: Tensor, weight: Double) {
        if weight < 0.5 {
            self += (end - self) * weight
        } else {
            copy(from: end - (end - self) * (1 - weight))
        }
    }
}
