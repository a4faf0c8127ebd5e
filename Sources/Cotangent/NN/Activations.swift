// Activation layers: thin modules over tensor ops, printed as PyTorch prints them.

/// `max(x, 0)` elementwise (PyTorch's `nn.ReLU`).
public final class ReLU: Module {
    public var isTraining = true
    /// Creates the layer.
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { input.relu() }
}

/// The logistic function `1 / (1 + e^(-x))` elementwise (PyTorch's `nn.Sigmoid`).
public final class Sigmoid: Module {
    public var isTraining = true
    /// Creates the layer.
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// The hyperbolic tangent elementwise (PyTorch's `nn.Tanh`).
public final class Tanh: Module {
    public var isTraining = true
    /// Creates the layer.
    public init() {}
    public func forward(_ input: Tensor) -> Tensor { input.tanh() }
}

/// The Gaussian error linear unit `x · Φ(x)` (PyTorch's `nn.GELU`); see ``gelu(_:approximate:)``.
public final class GELU: Module {
    /// Exact (`.none`) or the tanh approximation.
    public let approximate: GELUApproximation
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameter approximate: `.none` (exact, the default) or `.tanh`.
    public init(approximate: GELUApproximation = .none) { self.approximate = approximate }
    public func forward(_ input: Tensor) -> Tensor { gelu(input, approximate: approximate) }
    public var extraDescription: String { "approximate='\(approximate.rawValue)'" }
}

/// `exp(x) / Σ exp(x)` along a dimension (PyTorch's `nn.Softmax`).
public final class Softmax: Module {
    /// The dimension the probabilities sum to one along.
    public let dim: Int
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameter dim: The dimension to normalise (negative counts from the end).
    public init(dim: Int) { self.dim = dim }
    public func forward(_ input: Tensor) -> Tensor { input.softmax(dim: dim) }
    public var extraDescription: String { "dim=\(dim)" }
}

/// `log(softmax(x))` along a dimension, computed stably (PyTorch's `nn.LogSoftmax`).
public final class LogSoftmax: Module {
    /// The dimension to normalise along.
    public let dim: Int
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameter dim: The dimension to normalise (negative counts from the end).
    public init(dim: Int) { self.dim = dim }
    public func forward(_ input: Tensor) -> Tensor { input.logSoftmax(dim: dim) }
    public var extraDescription: String { "dim=\(dim)" }
}

/// Merges a range of dimensions into one (PyTorch's `nn.Flatten`): by default
/// everything but the batch dimension, so `[N, 8, 8]` becomes `[N, 64]`.
public final class Flatten: Module {
    /// The first dimension merged.
    public let startDim: Int
    /// The last dimension merged.
    public let endDim: Int
    public var isTraining = true
    /// Creates the layer.
    ///
    /// - Parameters:
    ///   - startDim: The first dimension to merge (default 1, keeping the batch).
    ///   - endDim: The last dimension to merge (default -1, the last).
    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
    }
    public func forward(_ input: Tensor) -> Tensor {
        // PyTorch's Flatten checks the dims even for a 0-d or 1-d input.
        _ = Shape.normalize(dim: startDim, rank: input.rank, op: "flatten")
        _ = Shape.normalize(dim: endDim, rank: input.rank, op: "flatten")
        return input.flattened(startDim: startDim, endDim: endDim)
    }
    public var extraDescription: String { "start_dim=\(startDim), end_dim=\(endDim)" }
}
