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
/// Updates run inside `withNoGrad` with in-place tensor ops, so parameters
/// stay the same leaf tensors (any reference to them sees the new values)
/// and nothing is recorded. Parameters without a gradient are skipped.
public protocol Optimizer: AnyObject {
    /// The tensors this optimizer updates, in the order given.
    var parameters: [Tensor] { get }
    /// The step size; learning-rate schedulers change it between epochs.
    var learningRate: Double { get set }
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

extension Optimizer {
    public func zeroGrad() { zeroGrad(setToNil: true) }

    public func zeroGrad(setToNil: Bool) {
        for p in parameters { p.clearGradient(setToNil: setToNil) }
    }
}

/// Checks an optimizer's parameters and hyperparameters as PyTorch's constructors do.
struct OptimizerChecks {
    let op: String

    func parameters(_ parameters: [Tensor]) {
        check(!parameters.isEmpty, op, "optimizer got an empty parameter list")
        for p in parameters {
            check(p.isLeaf, op, "can't optimize a non-leaf Tensor")
            check(p.dtype.isFloatingPoint, op, "can't optimize a tensor of dtype \(p.dtype); parameters must be floating point")
        }
    }

    func nonNegative(_ value: Double, _ name: String) {
        check(value >= 0, op, "Invalid \(name): \(value)")
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
