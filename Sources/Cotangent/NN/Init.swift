/// Initialisers that overwrite a parameter in place (PyTorch's `torch.nn.init`).
///
/// Each draws from the given generator (the seeded default if omitted) in
/// memory order, with bounds computed in `Double` exactly as PyTorch computes
/// them, so after the same seed the values equal PyTorch's. They run without
/// recording, so they can be applied to leaves that require grad.
///
/// ```swift
/// let layer = Linear(256, 10)
/// Init.xavierUniform(layer.weight)
/// Init.zeros(layer.bias!)
/// ```
public enum Init {
    /// The activation that follows a layer, for ``gain(for:negativeSlope:)``.
    public enum Nonlinearity: Sendable, Hashable {
        case linear, sigmoid, tanh, relu, leakyReLU, selu
    }

    /// Which fan preserves the variance: of activations (`fanIn`) or of gradients (`fanOut`).
    public enum FanMode: Sendable, Hashable {
        case fanIn, fanOut
    }

    /// The recommended gain for an activation (PyTorch's `calculate_gain`).
    ///
    /// - Parameters:
    ///   - nonlinearity: The activation.
    ///   - negativeSlope: The negative slope of a leaky ReLU (default 0.01).
    /// - Returns: 1 for linear and sigmoid, 5/3 for tanh, √2 for ReLU,
    ///   √(2 / (1 + slope²)) for leaky ReLU, 3/4 for SELU.
    public static func gain(for nonlinearity: Nonlinearity, negativeSlope: Double = 0.01) -> Double {
        switch nonlinearity {
        case .linear, .sigmoid: 1
        case .tanh: 5.0 / 3
        case .relu: 2.0.squareRoot()
        case .leakyReLU: (2.0 / (1 + negativeSlope * negativeSlope)).squareRoot()
        case .selu: 3.0 / 4
        }
    }

    /// The fan-in and fan-out of a weight: `size(1)` and `size(0)`, each times
    /// the product of the remaining (receptive field) dims.
    public static func fans(of tensor: Tensor) -> (fanIn: Int, fanOut: Int) {
        check(tensor.rank >= 2, "init", "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
        let receptive = tensor.shape.dropFirst(2).reduce(1, *)
        return (tensor.shape[1] * receptive, tensor.shape[0] * receptive)
    }

    /// Fills `tensor` with values uniform in `[from, to)` (`uniform_`).
    public static func uniform(_ tensor: Tensor, from: Double = 0, to: Double = 1, generator: Generator = .default) {
        withNoGrad { tensor.fillUniform(from: from, to: to, generator: generator) }
    }

    /// Fills `tensor` with normal values (`normal_`).
    public static func normal(_ tensor: Tensor, mean: Double = 0, std: Double = 1, generator: Generator = .default) {
        withNoGrad { tensor.fillNormal(mean: mean, std: std, generator: generator) }
    }

    /// Fills `tensor` with `value` (`constant_`).
    public static func constant(_ tensor: Tensor, _ value: Double) {
        withNoGrad { tensor.fill(value) }
    }

    /// Fills `tensor` with zeros (`zeros_`).
    public static func zeros(_ tensor: Tensor) { constant(tensor, 0) }

    /// Fills `tensor` with ones (`ones_`).
    public static func ones(_ tensor: Tensor) { constant(tensor, 1) }

    /// Glorot/Xavier uniform: `U(-a, a)` with `a = gain · √(6 / (fanIn + fanOut))`
    /// (`xavier_uniform_`).
    public static func xavierUniform(_ tensor: Tensor, gain: Double = 1, generator: Generator = .default) {
        let (fanIn, fanOut) = fans(of: tensor)
        let std = gain * (2.0 / Double(fanIn + fanOut)).squareRoot()
        let a = 3.0.squareRoot() * std
        uniform(tensor, from: -a, to: a, generator: generator)
    }

    /// Glorot/Xavier normal: `N(0, std²)` with `std = gain · √(2 / (fanIn + fanOut))`
    /// (`xavier_normal_`).
    public static func xavierNormal(_ tensor: Tensor, gain: Double = 1, generator: Generator = .default) {
        let (fanIn, fanOut) = fans(of: tensor)
        let std = gain * (2.0 / Double(fanIn + fanOut)).squareRoot()
        normal(tensor, mean: 0, std: std, generator: generator)
    }

    /// He/Kaiming uniform: `U(-b, b)` with `b = gain · √(3 / fan)` (`kaiming_uniform_`).
    ///
    /// - Parameters:
    ///   - tensor: A weight with at least two dimensions.
    ///   - a: The negative slope of the leaky ReLU that follows (0 for ReLU).
    ///   - mode: Which fan to preserve (default `.fanIn`).
    ///   - nonlinearity: The activation that follows (default `.leakyReLU`, with slope `a`).
    ///   - generator: The generator to draw from.
    public static func kaimingUniform(_ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn,
                                      nonlinearity: Nonlinearity = .leakyReLU, generator: Generator = .default) {
        guard tensor.count > 0 else { return }   // PyTorch: initializing zero-element tensors is a no-op
        let std = gain(for: nonlinearity, negativeSlope: a) / Double(fan(of: tensor, mode)).squareRoot()
        let bound = 3.0.squareRoot() * std
        uniform(tensor, from: -bound, to: bound, generator: generator)
    }

    /// He/Kaiming normal: `N(0, std²)` with `std = gain / √fan` (`kaiming_normal_`).
    public static func kaimingNormal(_ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn,
                                     nonlinearity: Nonlinearity = .leakyReLU, generator: Generator = .default) {
        guard tensor.count > 0 else { return }
        let std = gain(for: nonlinearity, negativeSlope: a) / Double(fan(of: tensor, mode)).squareRoot()
        normal(tensor, mean: 0, std: std, generator: generator)
    }

    private static func fan(of tensor: Tensor, _ mode: FanMode) -> Int {
        let (fanIn, fanOut) = fans(of: tensor)
        return mode == .fanIn ? fanIn : fanOut
    }
}
