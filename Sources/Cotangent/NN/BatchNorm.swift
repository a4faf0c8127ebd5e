import CCotangentKernels

/// Normalises each channel (dimension 1) of `input` over the batch and any
/// spatial dimensions (`torch.nn.functional.batch_norm`).
///
/// In training (or without running statistics) the statistics are the batch's:
/// `y = (x - mean) / √(var + eps) · weight + bias` with the biased variance,
/// and the running statistics, when given, are updated in place:
/// `running = (1 - momentum) · running + momentum · batch`, using the unbiased
/// variance (computed in double, as PyTorch's CPU kernel). In evaluation the
/// running statistics normalise instead.
///
/// One primitive, as in PyTorch: the statistics, the normalisation and the
/// gradient are C kernels (`norm.c`); when the backward pass is itself
/// recorded (`createGraph`), the gradient is computed in tensor ops instead,
/// so it can be differentiated again.
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
/// - Returns: A tensor of the input's shape, recorded as `NativeBatchNormBackward0`.
/// - Complexity: Three passes over the input forward (two for the statistics), two backward.
public func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil,
                      bias: Tensor? = nil, training: Bool = false, momentum: Double = 0.1, eps: Double = 1e-5) -> Tensor {
    check(input.rank >= 2, "batch_norm", "Expected 2D or higher input (got \(input.rank)D input)")
    check(input.dtype.isFloatingPoint, "batch_norm", "\"batch_norm\" not implemented for '\(input.dtype)'")
    let channels = input.shape[1], batch = input.shape[0]
    let spatial = input.shape.dropFirst(2).reduce(1, *)
    for (name, t) in [("running_mean", runningMean), ("running_var", runningVar), ("weight", weight), ("bias", bias)] {
        if let t { check(t.count == channels, "batch_norm", "\(name) should contain \(channels) elements not \(t.count)") }
    }
    let dims = [0] + Array(2..<input.rank)
    let perChannel = [1, channels] + Array(repeating: 1, count: input.rank - 2)
    let useBatchStatistics = training || runningMean == nil || runningVar == nil
    // norm.c has float32 and float64 kernels; the 16-bit floats are computed in
    // float32 and rounded once, as PyTorch's CPU kernels do.
    let computeType: DType = input.dtype.isReducedFloat ? .float32 : input.dtype
    let x = withNoGrad { input.to(computeType).contiguous() }
    let kernelType = computeType.kernelCode
    var mean = [Double](repeating: 0, count: channels), invstd = [Double](repeating: 0, count: channels)
    if useBatchStatistics {
        let n = batch * spatial
        check(n > 1, "batch_norm", "Expected more than 1 value per channel when training, got input size \(torchSizeText(input.shape))")
        var varSum = [Double](repeating: 0, count: channels)
        ct_batch_norm_stats(kernelType, Int64(batch), Int64(channels), Int64(spatial), x.baseAddress, &mean, &varSum)
        invstd = varSum.map { 1 / (($0 / Double(n)) + eps).squareRoot() }
        if training, let runningMean, let runningVar {
            // PyTorch's batch_norm_cpu_update_stats: in double, then stored in the buffers' dtype.
            let oldMean = runningMean.scalars(as: Double.self), oldVar = runningVar.scalars(as: Double.self)
            let newMean = (0..<channels).map { momentum * mean[$0] + (1 - momentum) * oldMean[$0] }
            let newVar = (0..<channels).map { momentum * varSum[$0] / Double(n - 1) + (1 - momentum) * oldVar[$0] }
            withNoGrad {
                runningMean.copy(from: Tensor(shape: runningMean.shape, scalars: newMean).to(runningMean.dtype))
                runningVar.copy(from: Tensor(shape: runningVar.shape, scalars: newVar).to(runningVar.dtype))
            }
        }
    } else {
        mean = runningMean!.scalars(as: Double.self)
        invstd = runningVar!.scalars(as: Double.self).map { 1 / ($0 + eps).squareRoot() }
    }
    // y = x · alpha + beta per channel, PyTorch's form.
    let w = weight.map { $0.scalars(as: Double.self) }, b = bias.map { $0.scalars(as: Double.self) }
    let alpha = (0..<channels).map { invstd[$0] * (w?[$0] ?? 1) }
    let beta = (0..<channels).map { (b?[$0] ?? 0) - mean[$0] * alpha[$0] }
    let computed = Tensor(uninitializedShape: input.shape, dtype: computeType)
    ct_batch_norm_apply(kernelType, Int64(batch), Int64(channels), Int64(spatial), x.baseAddress, alpha, beta, computed.baseAddress)
    let out = withNoGrad { computed.to(input.dtype) }

    let inputs = [input] + [weight, bias].compactMap { $0 }
    let saving = [input] + (weight.map { [$0] } ?? [])
    let hasWeight = weight != nil, hasBias = bias != nil
    let (weightDType, biasDType) = (weight?.dtype, bias?.dtype)
    return Tensor.record("NativeBatchNormBackward0", inputs: inputs, result: out, saving: saving) { grad, saved in
        var grads: [Tensor?]
        if GradMode.isEnabled {
            // Recorded backward: tensor ops, whose rules give the second derivative.
            let xs = saved[0]
            let scale = hasWeight ? saved[1].reshaped(perChannel) : nil
            let dxhat = scale.map { grad * $0 } ?? grad
            let xhat: Tensor, dx: Tensor
            if useBatchStatistics {
                let centered = xs - xs.mean(dim: dims, keepDim: true)
                let rstd = ((centered * centered).mean(dim: dims, keepDim: true) + eps).rsqrt()
                xhat = centered * rstd
                dx = rstd * (dxhat - dxhat.mean(dim: dims, keepDim: true)
                    - xhat * (dxhat * xhat).mean(dim: dims, keepDim: true))
            } else {
                let m = Tensor(shape: perChannel, scalars: mean).to(xs.dtype)
                let rstd = Tensor(shape: perChannel, scalars: invstd).to(xs.dtype)
                xhat = (xs - m) * rstd
                dx = dxhat * rstd
            }
            grads = [saved.needsGrad(0) ? dx : nil]
            if hasWeight { grads.append(saved.needsGrad(1) ? (grad * xhat).sum(dim: dims) : nil) }
            if hasBias { grads.append(saved.needsGrad(hasWeight ? 2 : 1) ? grad.sum(dim: dims) : nil) }
            return InputGradients(grads)
        }
        let g = grad.to(computeType).contiguous(), xs = saved[0].to(computeType).contiguous()
        let wv = hasWeight ? saved[1].scalars(as: Double.self) : nil
        var sumDy = [Double](repeating: 0, count: channels), sumDyXmu = [Double](repeating: 0, count: channels)
        let dx = saved.needsGrad(0) ? Tensor(uninitializedShape: xs.shape, dtype: xs.dtype) : nil
        ct_batch_norm_backward(xs.dtype.kernelCode, Int64(batch), Int64(channels), Int64(spatial), g.baseAddress,
                               xs.baseAddress, mean, invstd, wv, useBatchStatistics, dx?.baseAddress, &sumDy, &sumDyXmu)
        grads = [dx?.to(saved[0].dtype)]
        if hasWeight {
            let gw = (0..<channels).map { sumDyXmu[$0] * invstd[$0] }
            grads.append(saved.needsGrad(1) ? Tensor(shape: [channels], scalars: gw).to(weightDType!) : nil)
        }
        if hasBias {
            grads.append(saved.needsGrad(hasWeight ? 2 : 1) ? Tensor(shape: [channels], scalars: sumDy).to(biasDType!) : nil)
        }
        return InputGradients(grads)
    }
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
