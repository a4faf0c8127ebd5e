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
    /// The number of channels `C` (0 for a lazy layer before its first call or state dict).
    public var numFeatures: Int { weight?.shape[0] ?? runningMean?.shape[0] ?? inferredFeatures }
    private var inferredFeatures: Int
    /// Whether the layer has run once (a lazy layer prints as the plain one after).
    private(set) var hasRun = false
    /// Added to the variance for numerical stability.
    public let eps: Double
    /// The weight of each new batch in the running statistics, or nil for a
    /// cumulative average over all batches so far.
    public let momentum: Double?
    /// Whether the layer learns a scale and shift.
    public let affine: Bool
    /// Whether the layer keeps running statistics (used in evaluation mode).
    public let trackRunningStats: Bool
    /// Whether the affine transform has a shift.
    let hasBias: Bool
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
         dtype: DType, lazy: Bool = false) {
        inferredFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.trackRunningStats = trackRunningStats
        hasBias = affine && bias
        if lazy {
            // PyTorch's _LazyNormBase: uninitialized parameters and running statistics, a real counter.
            if affine { _weight = Parameter(uninitialized: dtype) }
            if affine && bias { _bias = Parameter(uninitialized: dtype) }
            if trackRunningStats {
                _runningMean = Buffer(uninitialized: dtype, name: "running_mean")
                _runningVar = Buffer(uninitialized: dtype, name: "running_var")
                numBatchesTracked = Tensor.zeros([], dtype: .int64)
            }
            return
        }
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
    public func forward(_ input: Tensor) -> Tensor {
        checkInputRank(input)
        materialize(channels: input.shape[1])
        hasRun = true
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

    /// Gives a lazy layer's uninitialized tensors their shape (PyTorch's
    /// `initialize_parameters` and `reset_parameters`: ones, zeros, zeros, ones).
    private func materialize(channels: Int) {
        if inferredFeatures == 0 { inferredFeatures = channels }
        withNoGrad {
            if let dtype = $weight.uninitializedDType, weight == nil { weight = Tensor.ones([channels], dtype: dtype) }
            if let dtype = $bias.uninitializedDType, bias == nil { bias = Tensor.zeros([channels], dtype: dtype) }
            if let dtype = $runningMean.uninitializedDType, runningMean == nil { runningMean = Tensor.zeros([channels], dtype: dtype) }
            if let dtype = $runningVar.uninitializedDType, runningVar == nil { runningVar = Tensor.ones([channels], dtype: dtype) }
        }
    }

    public var typeName: String { String(describing: type(of: self)) }

    public var extraDescription: String {
        "\(numFeatures), eps=\(pythonFloat(eps)), momentum=\(momentum.map(pythonFloat) ?? "None"), affine=\(affine ? "True" : "False"), bias=\(hasBias ? "True" : "False"), track_running_stats=\(trackRunningStats ? "True" : "False")"
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

/// ``BatchNorm1d`` whose channel count is inferred from its first input
/// (PyTorch's `nn.LazyBatchNorm1d`): until then the weight, bias and running
/// statistics are uninitialized, and the layer prints as `LazyBatchNorm1d(0, ...)`;
/// after its first call it prints as `BatchNorm1d`. The initial values need
/// no random numbers (ones and zeros), so they equal PyTorch's.
public final class LazyBatchNorm1d: BatchNormBase {
    /// Creates the layer; the arguments are those of ``BatchNorm1d`` without the channel count.
    public init(eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, bias: Bool = true,
                trackRunningStats: Bool = true, dtype: DType = .defaultFloat) {
        super.init(numFeatures: 0, eps: eps, momentum: momentum, affine: affine, bias: bias,
                   trackRunningStats: trackRunningStats, dtype: dtype, lazy: true)
    }

    override func checkInputRank(_ input: Tensor) {
        check(input.rank == 2 || input.rank == 3, "BatchNorm1d", "expected 2D or 3D input (got \(input.rank)D input)")
    }

    public override var typeName: String { hasRun ? "BatchNorm1d" : "LazyBatchNorm1d" }
}

/// ``BatchNorm2d`` whose channel count is inferred from its first input
/// (PyTorch's `nn.LazyBatchNorm2d`); see ``LazyBatchNorm1d``.
public final class LazyBatchNorm2d: BatchNormBase {
    /// Creates the layer; the arguments are those of ``BatchNorm2d`` without the channel count.
    public init(eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true, bias: Bool = true,
                trackRunningStats: Bool = true, dtype: DType = .defaultFloat) {
        super.init(numFeatures: 0, eps: eps, momentum: momentum, affine: affine, bias: bias,
                   trackRunningStats: trackRunningStats, dtype: dtype, lazy: true)
    }

    override func checkInputRank(_ input: Tensor) {
        check(input.rank == 4, "BatchNorm2d", "expected 4D input (got \(input.rank)D input)")
    }

    public override var typeName: String { hasRun ? "BatchNorm2d" : "LazyBatchNorm2d" }
}
