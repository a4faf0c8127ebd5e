// Loss functions, as PyTorch's torch.nn losses: a function and a callable struct each.

/// How a loss combines its per-element values.
public enum Reduction: Sendable, Hashable {
    /// The mean over all elements (PyTorch's default).
    case mean
    /// The sum over all elements.
    case sum
    /// No reduction: one loss per element.
    case none
}

/// The mean squared error between `input` and `target` (`F.mse_loss`).
///
/// - Parameters:
///   - input: The prediction.
///   - target: The expected values; broadcast against `input`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: A 0-d tensor, or the elementwise squared errors for `.none`.
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    let result: Tensor = withNoGrad {
        let difference = input - target
        let squared = difference * difference
        switch reduction {
        case .mean: return squared.mean()
        case .sum: return squared.sum()
        case .none: return squared
        }
    }
    let count = Double(Shape.count(Shape.broadcast(input.shape, target.shape, op: "mse_loss")))
    return Tensor.record("MseLossBackward0", inputs: [input, target], result: result, saving: [input, target]) { grad, saved in
        let scale = reduction == .mean ? 2.0 / count : 2.0
        let g = (saved[0] - saved[1]) * grad * scale
        return [g, -g]
    }
}

/// The mean squared error as a callable module (`nn.MSELoss`).
///
/// ```swift
/// let lossFunc = MSELoss()
/// let loss = lossFunc(prediction, target)
/// ```
public struct MSELoss: Sendable {
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the loss with a reduction (`.mean` by default).
    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        mseLoss(input, target, reduction: reduction)
    }
}
