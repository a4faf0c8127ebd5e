// Activation layers over the functions in Ops/ActivationFunctions.swift,
// printed as PyTorch prints them.

/// `x · sigmoid(x)` elementwise (PyTorch's `nn.SiLU`); see ``silu(_:)``.
public final class SiLU: Module {
    public var isTraining = true
    /// Creates the layer.
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { silu(input) }
}

/// `x · tanh(softplus(x))` elementwise (PyTorch's `nn.Mish`); see ``mish(_:)``.
public final class Mish: Module {
    public var isTraining = true
    /// Creates the layer.
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { mish(input) }
}

/// `log(sigmoid(x))` elementwise (PyTorch's `nn.LogSigmoid`); see ``logSigmoid(_:)``.
public final class LogSigmoid: Module {
    public var isTraining = true
    /// Creates the layer.
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { logSigmoid(input) }
}

/// A piecewise-linear sigmoid (PyTorch's `nn.Hardsigmoid`); see ``hardsigmoid(_:)``.
public final class Hardsigmoid: Module {
    public var isTraining = true
    /// Creates the layer.
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { hardsigmoid(input) }
}

/// `x · relu6(x + 3) / 6` (PyTorch's `nn.Hardswish`); see ``hardswish(_:)``.
public final class Hardswish: Module {
    public var isTraining = true
    /// Creates the layer.
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { hardswish(input) }
}

/// The self-normalising ELU (PyTorch's `nn.SELU`); see ``selu(_:)``.
public final class SELU: Module {
    public var isTraining = true
    /// Creates the layer.
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { selu(input) }
}

/// `min(max(x, 0), 6)` (PyTorch's `nn.ReLU6`); see ``relu6(_:)``.
public final class ReLU6: Module {
    public var isTraining = true
    /// Creates the layer.
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { relu6(input) }
}

/// `x / (1 + |x|)` (PyTorch's `nn.Softsign`); see ``softsign(_:)``.
public final class Softsign: Module {
    public var isTraining = true
    /// Creates the layer.
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { softsign(input) }
}

/// `x` where positive, `negativeSlope · x` elsewhere (PyTorch's `nn.LeakyReLU`); see ``leakyRelu(_:negativeSlope:)``.
public final class LeakyReLU: Module {
    /// The slope below zero.
    public let negativeSlope: Double
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameter negativeSlope: The slope below zero.
    public init(negativeSlope: Double = 0.01) {
        self.negativeSlope = negativeSlope
    }
    public func forward(_ input: Tensor) -> Tensor { leakyRelu(input, negativeSlope: negativeSlope) }
    public var extraDescription: String { "negative_slope=\(negativeSlope)" }
}

/// The exponential linear unit (PyTorch's `nn.ELU`); see ``elu(_:alpha:)``.
public final class ELU: Module {
    /// The value the output approaches for large negative inputs, negated.
    public let alpha: Double
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameter alpha: The value the output approaches for large negative inputs, negated.
    public init(alpha: Double = 1.0) {
        self.alpha = alpha
    }
    public func forward(_ input: Tensor) -> Tensor { elu(input, alpha: alpha) }
    public var extraDescription: String { "alpha=\(alpha)" }
}

/// The continuously differentiable ELU (PyTorch's `nn.CELU`); see ``celu(_:alpha:)``.
public final class CELU: Module {
    /// The ELU's alpha; must not be 0.
    public let alpha: Double
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameter alpha: The ELU's alpha; must not be 0.
    public init(alpha: Double = 1.0) {
        self.alpha = alpha
    }
    public func forward(_ input: Tensor) -> Tensor { celu(input, alpha: alpha) }
    public var extraDescription: String { "alpha=\(alpha)" }
}

/// `log(1 + exp(beta · x)) / beta`, linear above the threshold (PyTorch's `nn.Softplus`); see ``softplus(_:beta:threshold:)``.
public final class Softplus: Module {
    /// The sharpness.
    public let beta: Double
    /// Above `beta · x > threshold` the output is `x`.
    public let threshold: Double
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameters:
    ///   - beta: The sharpness.
    ///   - threshold: Above `beta · x > threshold` the output is `x`.
    public init(beta: Double = 1.0, threshold: Double = 20.0) {
        self.beta = beta
        self.threshold = threshold
    }
    public func forward(_ input: Tensor) -> Tensor { softplus(input, beta: beta, threshold: threshold) }
    public var extraDescription: String { "beta=\(beta), threshold=\(threshold)" }
}

/// Clamps to `[minVal, maxVal]` (PyTorch's `nn.Hardtanh`); see ``hardtanh(_:minVal:maxVal:)``.
public final class Hardtanh: Module {
    /// The lower bound.
    public let minVal: Double
    /// The upper bound.
    public let maxVal: Double
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameters:
    ///   - minVal: The lower bound.
    ///   - maxVal: The upper bound.
    public init(minVal: Double = -1.0, maxVal: Double = 1.0) {
        self.minVal = minVal
        self.maxVal = maxVal
    }
    public func forward(_ input: Tensor) -> Tensor { hardtanh(input, minVal: minVal, maxVal: maxVal) }
    public var extraDescription: String { "min_val=\(minVal), max_val=\(maxVal)" }
}

/// `softmax(-x)` along a dimension (PyTorch's `nn.Softmin`); see ``softmin(_:dim:)``.
public final class Softmin: Module {
    /// The dimension to normalise (negative counts from the end).
    public let dim: Int
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameter dim: The dimension to normalise (negative counts from the end).
    public init(dim: Int) {
        self.dim = dim
    }
    public func forward(_ input: Tensor) -> Tensor { softmin(input, dim: dim) }
    public var extraDescription: String { "dim=\(dim)" }
}

/// The gated linear unit (PyTorch's `nn.GLU`); see ``glu(_:dim:)``.
public final class GLU: Module {
    /// The dimension to halve.
    public let dim: Int
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameter dim: The dimension to halve.
    public init(dim: Int = -1) {
        self.dim = dim
    }
    public func forward(_ input: Tensor) -> Tensor { glu(input, dim: dim) }
    public var extraDescription: String { "dim=\(dim)" }
}
/// The parametric ReLU with a learned slope below zero, one for all channels
/// or one per channel (PyTorch's `nn.PReLU`); see ``prelu(_:weight:)``.
public final class PReLU: Module {
    /// The number of slopes: 1, or the number of channels (dim 1 of the input).
    public let numParameters: Int
    /// The slopes, initialised to `initialValue` (PyTorch's `weight`).
    @Parameter public var weight: Tensor
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameters:
    ///   - numParameters: 1, or the number of input channels.
    ///   - initialValue: The initial slope (PyTorch's `init`, 0.25).
    ///   - dtype: The parameters' dtype.
    public init(numParameters: Int = 1, initialValue: Double = 0.25, dtype: DType = .defaultFloat) {
        self.numParameters = numParameters
        weight = Tensor.full([numParameters], initialValue, dtype: dtype)
    }
    public func forward(_ input: Tensor) -> Tensor { prelu(input, weight: weight) }
    public var extraDescription: String { "num_parameters=\(numParameters)" }
}
