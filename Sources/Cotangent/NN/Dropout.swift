/// Zeroes each element with probability `p` during training and scales the
/// rest by `1 / (1 - p)` (`torch.nn.functional.dropout`).
///
/// The mask comes from `generator` as PyTorch's `bernoulli_(1 - p)` draws it:
/// one 53-bit uniform `Double` per element (two 32-bit draws, as
/// `Tensor.rand(dtype: .float64)`), kept when below `1 - p`; `p == 0` and
/// `p == 1` draw nothing. So after the same `Tensor.manualSeed`, the masks and
/// the generator's state afterwards are PyTorch's on every machine: PyTorch's
/// open-source builds from 2.7 on take this path on Intel and AMD CPUs alike
/// (checked on an Intel Xeon with PyTorch 2.15). Older MKL builds (2.6 and
/// before) drew `bernoulli_` with a float `p` from an MKL stream (MCG31
/// seeded with one 32-bit draw), on Intel CPUs only in the older versions;
/// their masks differ from these and are not reproduced.
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
        let keep = keepMask(input.shape, p: p, generator: generator)
        return keep.to(input.dtype) / (1 - p)
    }
    return input * noise
}

/// PyTorch's `bernoulli_(1 - p)` (its CPU path in every open-source build since 2.7):
/// `true` where a uniform `Double` is below `1 - p`.
private func keepMask(_ shape: [Int], p: Double, generator: Generator) -> Tensor {
    Tensor.rand(shape, dtype: .float64, generator: generator) .< (1 - p)
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

// MARK: Channel-wise dropout

/// Zeroes whole channels: one draw per (sample, channel) of a `[N, C, *]`
/// input, broadcast over the rest (PyTorch's `feature_dropout`).
private func featureDropout(_ input: Tensor, p: Double, generator: Generator) -> Tensor {
    if p == 1 || input.count == 0 { return input * Tensor.zeros([], dtype: input.dtype) }
    let noiseShape = [input.shape[0], input.shape[1]] + Array(repeating: 1, count: input.rank - 2)
    let noise: Tensor = withNoGrad {
        let keep = keepMask(noiseShape, p: p, generator: generator)
        return keep.to(input.dtype) / (1 - p)
    }
    return input * noise
}

/// Zeroes whole channels of a `[N, C, H, W]` (or `[C, H, W]`) input with
/// probability `p` during training and scales the rest by `1 / (1 - p)`
/// (`torch.nn.functional.dropout2d`).
///
/// As in PyTorch, a 3-d input is taken as batched `[N, C, L]` (channel-wise
/// 1-d dropout) and other ranks from 2 up drop along dims 0 and 1. The mask
/// (one uniform draw per channel, from `generator`) follows ``dropout(_:p:training:generator:)``.
///
/// - Returns: `input * mask`, recorded as `MulBackward0`; `input` itself when not training.
public func dropout2d(_ input: Tensor, p: Double = 0.5, training: Bool = true, generator: Generator = .default) -> Tensor {
    check(p >= 0 && p <= 1, "dropout2d", "dropout probability has to be between 0 and 1, but got \(p)")
    check(input.rank >= 2, "dropout2d", "Feature dropout requires at least 2 dimensions in the input")
    guard training && p > 0 else { return input }
    return featureDropout(input, p: p, generator: generator)
}

/// Zeroes whole channels of a `[N, C, L]` (or `[C, L]`) input with probability
/// `p` during training (`torch.nn.functional.dropout1d`); see ``dropout2d(_:p:training:generator:)``.
public func dropout1d(_ input: Tensor, p: Double = 0.5, training: Bool = true, generator: Generator = .default) -> Tensor {
    check(p >= 0 && p <= 1, "dropout1d", "dropout probability has to be between 0 and 1, but got \(p)")
    check(input.rank == 2 || input.rank == 3, "dropout1d",
          "Expected 2D or 3D input, but received a \(input.rank)D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    guard training && p > 0 else { return input }
    if input.rank == 2 { return featureDropout(input.unsqueezed(0), p: p, generator: generator).squeezed(0) }
    return featureDropout(input, p: p, generator: generator)
}

/// Randomly zeroes whole channels of `[N, C, L]` inputs during training
/// (PyTorch's `nn.Dropout1d`); see ``dropout1d(_:p:training:generator:)``.
public final class Dropout1d: Module {
    /// The probability of zeroing a channel.
    public let p: Double
    public var isTraining = true

    /// Creates the layer; `p` is the probability of zeroing a channel (default 0.5).
    public init(p: Double = 0.5) {
        check(p >= 0 && p <= 1, "Dropout1d", "dropout probability has to be between 0 and 1, but got \(p)")
        self.p = p
    }

    public func forward(_ input: Tensor) -> Tensor { dropout1d(input, p: p, training: isTraining) }
    public var extraDescription: String { "p=\(p), inplace=False" }
}

/// Randomly zeroes whole channels of `[N, C, H, W]` inputs during training
/// (PyTorch's `nn.Dropout2d`); see ``dropout2d(_:p:training:generator:)``.
public final class Dropout2d: Module {
    /// The probability of zeroing a channel.
    public let p: Double
    public var isTraining = true

    /// Creates the layer; `p` is the probability of zeroing a channel (default 0.5).
    public init(p: Double = 0.5) {
        check(p >= 0 && p <= 1, "Dropout2d", "dropout probability has to be between 0 and 1, but got \(p)")
        self.p = p
    }

    public func forward(_ input: Tensor) -> Tensor { dropout2d(input, p: p, training: isTraining) }
    public var extraDescription: String { "p=\(p), inplace=False" }
}
