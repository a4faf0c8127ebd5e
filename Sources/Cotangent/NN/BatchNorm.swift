/// Normalises each channel (dimension 1) of `input` over the batch and any
/// spatial dimensions (`torch.nn.functional.batch_norm`).
///
/// In training (or without running statistics) the statistics are the batch's:
/// `y = (x - mean) / √(var + eps) · weight + bias` with the biased variance,
/// and the running statistics, when given, are updated in place:
/// `running = (1 - momentum) · running + momentum · batch`, using the unbiased
/// variance. In evaluation the running statistics normalise instead.
///
/// Composed from tensor ops, so its gradient (and the gradient of its
/// gradient) comes from their rules.
///
/// - Parameters:
///   - input: `[N, C, *]`.
///   - runningMean: `[C]`, updated in training; or nil.
///   - runningVar: `[C]`, updated in training; or nil.
///   - weight: A per-channel scale `[C]`, or nil.
///   - bias: A per-channel shift `[C]`, or nil.
///   - training: Whether to use (and record) the batch's statistics.
///   - momentum: The weight of the new batch in the running statistics.
///   - eps: Added to the variance for numerical stability.
/// - Returns: A tensor of the input's shape.
public func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil,
                      bias: Tensor? = nil, training: Bool = false, momentum: Double = 0.1, eps: Double = 1e-5) -> Tensor {
    check(input.rank >= 2, "batch_norm", "Expected 2D or higher input (got \(input.rank)D input)")
    check(input.dtype.isFloatingPoint, "batch_norm", "\"batch_norm\" not implemented for '\(input.dtype)'")
    let channels = input.shape[1]
    for (name, t) in [("running_mean", runningMean), ("running_var", runningVar), ("weight", weight), ("bias", bias)] {
        if let t { check(t.count == channels, "batch_norm", "\(name) should contain \(channels) elements not \(t.count)") }
    }
    let dims = [0] + Array(2..<input.rank)
    let perChannel = [1, channels] + Array(repeating: 1, count: input.rank - 2)
    let mean: Tensor, variance: Tensor
    if training || runningMean == nil || runningVar == nil {
        let n = input.count / Swift.max(channels, 1)
        check(n > 1, "batch_norm", "Expected more than 1 value per channel when training, got input size \(torchSizeText(input.shape))")
        mean = input.mean(dim: dims, keepDim: true)
        variance = input.variance(dim: dims, correction: 0, keepDim: true)
        if training, let runningMean, let runningVar {
            withNoGrad {
                let unbiased = variance.detached() * (Double(n) / Double(n - 1))
                runningMean *= 1 - momentum
                runningMean += mean.detached().reshaped([channels]).to(runningMean.dtype) * momentum
                runningVar *= 1 - momentum
                runningVar += unbiased.reshaped([channels]).to(runningVar.dtype) * momentum
            }
        }
    } else {
        mean = runningMean!.reshaped(perChannel)
        variance = runningVar!.reshaped(perChannel)
    }
    var y = (input - mean) * (variance + eps).rsqrt()
    if let weight { y = y * weight.reshaped(perChannel) }
    if let bias { y = y + bias.reshaped(perChannel) }
    return y
}

/// Batch normalisation over channels (PyTorch's `_BatchNorm`), shared by
/// ``BatchNorm1d`` and ``BatchNorm2d``, which differ only in the input ranks they accept.
public class BatchNormBase: Module {
    /// The number of channels `C`.
    public let numFeatures: Int
    /// Added to the variance for numerical stability.
    public let eps: Double
    /// The weight of each new batch in the running statistics, or nil for a
    /// cumulative average over all batches so far.
    public let momentum: Double?
    /// Whether the layer learns a scale and shift.
    public let affine: Bool
    /// Whether the layer keeps running statistics (used in evaluation mode).
    public let trackRunningStats: Bool
    /// The learnable scale `[C]` (starts at ones), or nil without `affine`.
    @Parameter public var weight: Tensor?
    /// The learnable shift `[C]` (starts at zeros), or nil.
    @Parameter public var bias: Tensor?
    /// The running mean `[C]` (starts at zeros), or nil without `trackRunningStats`.
    @Buffer(name: "running_mean") public var runningMean: Tensor?
    /// The running unbiased variance `[C]` (starts at ones), or nil.
    @Buffer(name: "running_var") public var runningVar: Tensor?
    /// The number of training batches seen (`int64`, 0-d), or nil.
    @Buffer(name: "num_batches_tracked") public var numBatchesTracked: Tensor?
    public var isTraining = true

    init(numFeatures: Int, eps: Double, momentum: Double?, affine: Bool, bias: Bool, trackRunningStats: Bool,
         dtype: DType) {
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.trackRunningStats = trackRunningStats
        weight = affine ? Tensor.ones([numFeatures], dtype: dtype) : nil
        self.bias = affine && bias ? Tensor.zeros([numFeatures], dtype: dtype) : nil
        if trackRunningStats {
            runningMean = Tensor.zeros([numFeatures], dtype: dtype)
            runningVar = Tensor.ones([numFeatures], dtype: dtype)
            numBatchesTracked = Tensor.zeros([], dtype: .int64)
        }
    }

    /// Stops unless `input` has a rank this layer accepts.
    func checkInputRank(_ input: Tensor) {}

    /// Normalises `input` with the batch's statistics in training mode (updating
    /// the running ones) and with the running statistics in evaluation mode.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        checkInputRank(input)
        var factor = momentum ?? 0
        if isTraining, trackRunningStats, let count = numBatchesTracked {
            withNoGrad { count += 1 }
            // momentum nil: a cumulative moving average.
            if momentum == nil { factor = 1 / Double(count.item()) }
        }
        let useBatchStatistics = isTraining || runningMean == nil
        return batchNorm(input, runningMean: !isTraining || trackRunningStats ? runningMean : nil,
                         runningVar: !isTraining || trackRunningStats ? runningVar : nil,
                         weight: weight, bias: bias, training: useBatchStatistics, momentum: factor, eps: eps)
    }

    public var extraDescription: String {
        "\(numFeatures), eps=\(pythonFloat(eps)), momentum=\(momentum.map(pythonFloat) ?? "None"), affine=\(affine ? "True" : "False"), bias=\(bias != nil ? "True" : "False"), track_running_stats=\(trackRunningStats ? "True" : "False")"
    }
}

/// Batch normalisation of `[N, C]` or `[N, C, L]` inputs (PyTorch's `nn.BatchNorm1d`).
///
/// In training mode each channel is normalised with the batch's mean and
/// biased variance, and the running mean and unbiased variance move toward
/// the batch's by `momentum` (0.1); ``Module/eval()`` switches to the running
/// statistics. The state dict holds `weight`, `bias`, `running_mean`,
/// `running_var` and `num_batches_tracked`, as PyTorch's.
///
/// ```swift
/// let net = Sequential { Linear(20, 64); BatchNorm1d(64); ReLU() }
/// ```
public final class BatchNorm1d: BatchNormBase {
    /// Creates the layer.
    ///
    /// - Parameters:
    ///   - numFeatures: The number of channels `C`.
    ///   - eps: Added to the variance (default 1e-5).
    ///   - momentum: The weight of each batch in the running statistics (default 0.1);
    ///     nil for a cumulative average.
    ///   - affine: Whether to learn a per-channel scale and shift (default `true`).
    ///   - bias: Whether the affine transform has a shift (default `true`).
    ///   - trackRunningStats: Whether to keep running statistics (default `true`);
    ///     without them, evaluation also uses the batch's statistics.
    ///   - dtype: The dtype of the parameters and running statistics.
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, bias: Bool = true,
                trackRunningStats: Bool = true, dtype: DType = .defaultFloat) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine, bias: bias,
                   trackRunningStats: trackRunningStats, dtype: dtype)
    }

    override func checkInputRank(_ input: Tensor) {
        check(input.rank == 2 || input.rank == 3, "BatchNorm1d", "expected 2D or 3D input (got \(input.rank)D input)")
    }
}

/// Batch normalisation of `[N, C, H, W]` images (PyTorch's `nn.BatchNorm2d`);
/// see ``BatchNorm1d`` for the statistics and the state dict.
public final class BatchNorm2d: BatchNormBase {
    /// Creates the layer; the arguments are those of ``BatchNorm1d/init(_:eps:momentum:affine:bias:trackRunningStats:dtype:)``.
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, bias: Bool = true,
                trackRunningStats: Bool = true, dtype: DType = .defaultFloat) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine, bias: bias,
                   trackRunningStats: trackRunningStats, dtype: dtype)
    }

    override func checkInputRank(_ input: Tensor) {
        check(input.rank == 4, "BatchNorm2d", "expected 4D input (got \(input.rank)D input)")
    }
}
