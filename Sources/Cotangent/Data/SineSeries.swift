/// D2L 9.1's noisy sine series: `x_t = sin(0.01 t) + ε_t`, `ε_t ~ N(0, 0.2²)`,
/// for `t = 1 … T`, with the autoregressive windowing the book trains on.
///
/// The noise is `randn(T) · 0.2` drawn from the generator, as the book's
/// `torch.randn(T) * 0.2`, so after `Tensor.manualSeed(s)` the series equals
/// the book's after `torch.manual_seed(s)` (the sine up to rounding).
///
/// ```swift
/// Tensor.manualSeed(0)
/// let data = SineSeries()                         // T = 1000, tau = 4
/// let train = DataLoader(data.dataset(train: true), batchSize: 16, shuffle: true)
/// ```
public struct SineSeries {
    /// The time steps `1 … T`, float32.
    public let time: Tensor
    /// The noisy series, `[T]`.
    public let x: Tensor
    /// The number of past values each example sees.
    public let tau: Int
    /// The number of leading examples in the training split.
    public let numTrain: Int

    /// Draws the series.
    ///
    /// - Parameters:
    ///   - count: `T`, the length of the series (default 1000).
    ///   - tau: The window length (default 4).
    ///   - numTrain: The number of training examples (default 600); the rest validate.
    ///   - generator: The generator the noise is drawn from.
    public init(count: Int = 1000, tau: Int = 4, numTrain: Int = 600, generator: Generator = .default) {
        check(count > tau && tau > 0, "SineSeries", "need 0 < tau < T, got tau=\(tau), T=\(count)")
        time = Tensor.arange(1, count + 1, dtype: .float32)
        x = (time * 0.01).sin() + Tensor.randn([count], generator: generator) * 0.2
        self.tau = tau
        self.numTrain = numTrain
    }

    /// The length of the series.
    public var count: Int { x.count }

    /// `[T − tau, tau]`: row `i` is `x[i ..< i + tau]` (the book's `torch.stack(features, 1)`).
    public var features: Tensor {
        Tensor.stack((0..<tau).map { x.slice(dim: 0, start: $0, end: count - tau + $0) }, dim: 1)
    }

    /// `[T − tau, 1]`: the value after each window, `x[tau...]`.
    public var labels: Tensor { x.slice(dim: 0, start: tau, end: count).reshaped(-1, 1) }

    /// The first ``numTrain`` examples (`train: true`) or the rest, as `(features, labels)`.
    public func dataset(train: Bool) -> TensorDataset {
        let n = count - tau, split = Swift.min(numTrain, n)
        let (lo, hi) = train ? (0, split) : (split, n)
        return TensorDataset(features.slice(dim: 0, start: lo, end: hi), labels.slice(dim: 0, start: lo, end: hi))
    }
}
