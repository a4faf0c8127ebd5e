/// Zeroes each element with probability `p` during training and scales the
/// rest by `1 / (1 - p)` (`torch.nn.functional.dropout`).
///
/// The mask comes from `generator`, so runs are reproducible after
/// `Tensor.manualSeed`. They are not PyTorch's masks: PyTorch draws
/// `bernoulli_` from an MKL stream on x86, which no other library reproduces.
///
/// - Parameters:
///   - input: Any floating-point tensor.
///   - p: The probability of zeroing an element, in `0...1`.
///   - training: Whether to apply dropout; when false, returns `input` itself.
///   - generator: The generator the mask is drawn from.
/// - Returns: `input * mask / (1 - p)`, recorded as `MulBackward0` as in PyTorch.
public func dropout(_ input: Tensor, p: Double = 0.5, training: Bool = true, generator: Generator = .default) -> Tensor {
    check(p >= 0 && p <= 1, "dropout", "dropout probability has to be between 0 and 1, but got \(p)")
    guard training && p > 0 else { return input }
    if p == 1 || input.count == 0 { return input * Tensor.zeros([], dtype: input.dtype) }
    let noise: Tensor = withNoGrad {
        let keep = Tensor.rand(input.shape, dtype: input.dtype, generator: generator) .< (1 - p)
        return keep.to(input.dtype) / (1 - p)
    }
    return input * noise
}

/// Randomly zeroes elements during training (PyTorch's `nn.Dropout`); in
/// evaluation mode (after ``Module/eval()``) it passes its input through.
public final class Dropout: Module {
    /// The probability of zeroing an element.
    public let p: Double
    public var isTraining = true

    /// Creates the layer.
    ///
    /// - Parameter p: The probability of zeroing an element (default 0.5).
    public init(p: Double = 0.5) {
        check(p >= 0 && p <= 1, "Dropout", "dropout probability has to be between 0 and 1, but got \(p)")
        self.p = p
    }

    public func forward(_ input: Tensor) -> Tensor { dropout(input, p: p, training: isTraining) }
    public var extraDescription: String { "p=\(p), inplace=False" }
}
