// Group, instance and local response normalisation (PyTorch's `nn.GroupNorm`,
// `nn.InstanceNorm1d/2d`, `nn.LocalResponseNorm`). Group norm is one primitive
// (`NativeGroupNormBackward0`); instance norm is PyTorch's composition through
// batch norm of a `[1, N·C, *]` view; local response norm PyTorch's composition
// of an average pooling of the squared input across channels.

/// Normalises `input` over groups of channels (`torch.nn.functional.group_norm`).
///
/// The `C` channels are split into `numGroups` groups; each sample's group is
/// normalised with its own mean and biased variance, then each channel is
/// scaled by `weight` and shifted by `bias`.
///
/// - Parameters:
///   - input: `[N, C, *]`, with `C` divisible by `numGroups`.
///   - numGroups: The number of groups.
///   - weight: A per-channel scale `[C]`, or nil.
///   - bias: A per-channel shift `[C]`, or nil.
///   - eps: Added to the variance for numerical stability.
/// - Returns: A tensor of the input's shape, recorded as `NativeGroupNormBackward0`.
public func groupNorm(_ input: Tensor, numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil,
                      eps: Double = 1e-5) -> Tensor {
    let op = "group_norm"
    check(input.rank >= 2, op, "Expected at least 2 dimensions for input tensor but received \(input.rank)")
    let batch = input.shape[0], channels = input.shape[1]
    check(numGroups > 0 && channels % numGroups == 0, op,
          "Expected number of channels in input to be divisible by num_groups, but got input of shape \(shapeText(input.shape)) and num_groups=\(numGroups)")
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let t {
            check(t.rank == 1 && t.count == channels, op,
                  "Expected \(name) to be a vector of size equal to the number of channels in input, but got \(name) of shape \(shapeText(t.shape)) and input of shape \(shapeText(input.shape))")
        }
    }
    check(input.dtype.isFloatingPoint, op, "\"GroupNormKernelImpl\" not implemented for '\(input.dtype.scalarTypeName)'")
    let shape = input.shape
    let grouped = [batch, numGroups, input.count / Swift.max(batch * numGroups, 1)]
    let perChannel = [1, channels] + Array(repeating: 1, count: input.rank - 2)
    let reduceDims = [0] + Array(2..<input.rank)

    /// `(x - mean) · rstd` per (sample, group), in tensor ops (so the rule is differentiable).
    func normalized(_ x: Tensor) -> (xhat: Tensor, rstd: Tensor) {
        let g = x.reshaped(grouped)
        let centered = g - g.mean(dim: 2, keepDim: true)
        let rstd = ((centered * centered).mean(dim: 2, keepDim: true) + eps).rsqrt()
        return (centered * rstd, rstd)
    }
    let result: Tensor = withNoGrad {
        var y = normalized(input).xhat.reshaped(shape)
        if let weight { y = y * weight.reshaped(perChannel) }
        if let bias { y = y + bias.reshaped(perChannel) }
        return y.contiguous()
    }
    let inputs = [input] + [weight, bias].compactMap { $0 }
    let saving = [input] + (weight.map { [$0] } ?? [])
    let hasWeight = weight != nil, hasBias = bias != nil
    return Tensor.record("NativeGroupNormBackward0", inputs: inputs, result: result, saving: saving) { grad, saved in
        let (xhat, rstd) = normalized(saved[0])
        let dxhat = (hasWeight ? grad * saved[1].reshaped(perChannel) : grad).reshaped(grouped)
        // dx = rstd · (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)) within each group.
        let dx = rstd * (dxhat - dxhat.mean(dim: 2, keepDim: true) - xhat * (dxhat * xhat).mean(dim: 2, keepDim: true))
        var grads: [Tensor?] = [saved.needsGrad(0) ? dx.reshaped(shape) : nil]
        if hasWeight { grads.append(saved.needsGrad(1) ? (grad * xhat.reshaped(shape)).sum(dim: reduceDims) : nil) }
        if hasBias { grads.append(saved.needsGrad(hasWeight ? 2 : 1) ? grad.sum(dim: reduceDims) : nil) }
        return InputGradients(grads)
    }
}

/// Group normalisation (PyTorch's `nn.GroupNorm`); see ``groupNorm(_:numGroups:weight:bias:eps:)``.
///
/// The weight starts at ones and the bias at zeros; the state dict holds
/// `weight` and `bias`, as PyTorch's.
public final class GroupNorm: Module {
    /// The number of channel groups.
    public let numGroups: Int
    /// The number of channels `C`.
    public let numChannels: Int
    /// Added to the variance for numerical stability.
    public let eps: Double
    /// Whether the layer learns a per-channel scale and shift.
    public let affine: Bool
    /// The learnable scale `[C]`, or nil without `affine`.
    @Parameter public var weight: Tensor?
    /// The learnable shift `[C]`, or nil.
    @Parameter public var bias: Tensor?
    public var isTraining = true

    /// Creates the layer.
    ///
    /// - Parameters:
    ///   - numGroups: The number of groups to split the channels into.
    ///   - numChannels: The number of channels, divisible by `numGroups`.
    ///   - eps: Added to the variance (default 1e-5).
    ///   - affine: Whether to learn a per-channel scale and shift (default `true`).
    ///   - bias: Whether the affine transform has a shift (default `true`).
    ///   - dtype: The parameters' dtype.
    public init(_ numGroups: Int, _ numChannels: Int, eps: Double = 1e-5, affine: Bool = true, bias: Bool = true,
                dtype: DType = .defaultFloat) {
        check(numGroups > 0 && numChannels % numGroups == 0, "GroupNorm",
              "num_channels (\(numChannels)) must be divisible by num_groups (\(numGroups))")
        self.numGroups = numGroups
        self.numChannels = numChannels
        self.eps = eps
        self.affine = affine
        weight = affine ? Tensor.ones([numChannels], dtype: dtype) : nil
        self.bias = affine && bias ? Tensor.zeros([numChannels], dtype: dtype) : nil
    }

    public func forward(_ input: Tensor) -> Tensor {
        groupNorm(input, numGroups: numGroups, weight: weight, bias: bias, eps: eps)
    }

    public var extraDescription: String {
        "\(numGroups), \(numChannels), eps=\(pythonFloat(eps)), affine=\(affine ? "True" : "False"), bias=\(bias != nil ? "True" : "False")"
    }
}

/// Normalises each channel of each sample on its own (`torch.nn.functional.instance_norm`).
///
/// PyTorch's composition: batch normalisation of the input viewed as
/// `[1, N·C, *]` (the per-channel weight, bias and running statistics
/// repeated N times), viewed back; the running statistics, when given and
/// `useInputStats`, become the mean over the batch of the updated copies.
///
/// - Parameters:
///   - input: `[N, C, *]`.
///   - runningMean: `[C]`, or nil.
///   - runningVar: `[C]`, or nil.
///   - weight: A per-channel scale `[C]`, or nil.
///   - bias: A per-channel shift `[C]`, or nil.
///   - useInputStats: Whether to normalise with each instance's statistics
///     (else with the running ones).
///   - momentum: The weight of the new statistics in the running ones.
///   - eps: Added to the variance for numerical stability.
/// - Returns: A tensor of the input's shape (`ViewBackward0` over `NativeBatchNormBackward0`).
public func instanceNorm(_ input: Tensor, runningMean: Tensor? = nil, runningVar: Tensor? = nil, weight: Tensor? = nil,
                         bias: Tensor? = nil, useInputStats: Bool = true, momentum: Double = 0.1,
                         eps: Double = 1e-5) -> Tensor {
    check(input.rank >= 2, "instance_norm", "Expected 2D or higher input (got \(input.rank)D input)")
    let batch = input.shape[0], channels = input.shape[1]
    func repeated(_ t: Tensor?) -> Tensor? { t.map { $0.repeated([batch]) } }
    let runMean = withNoGrad { repeated(runningMean) }, runVar = withNoGrad { repeated(runningVar) }
    let view = input.contiguous().reshaped([1, batch * channels] + Array(input.shape.dropFirst(2)))
    let out = batchNorm(view, runningMean: runMean, runningVar: runVar, weight: repeated(weight), bias: repeated(bias),
                        training: useInputStats, momentum: momentum, eps: eps)
    withNoGrad {
        if let runningMean, let runMean { runningMean.copy(from: runMean.reshaped([batch, channels]).mean(dim: 0)) }
        if let runningVar, let runVar { runningVar.copy(from: runVar.reshaped([batch, channels]).mean(dim: 0)) }
    }
    return out.reshaped(input.shape)
}

/// Instance normalisation (PyTorch's `_InstanceNorm`), shared by
/// ``InstanceNorm1d`` and ``InstanceNorm2d``: by default without an affine
/// transform or running statistics. With `trackRunningStats` the state dict
/// holds `running_mean`, `running_var` and `num_batches_tracked` (which, as in
/// PyTorch, instance norm never advances).
public class InstanceNormBase: BatchNormBase {
    /// The rank of an input without a batch dim (2 for 1-d, 3 for 2-d).
    let unbatchedRank: Int

    init(numFeatures: Int, eps: Double, momentum: Double?, affine: Bool, trackRunningStats: Bool, dtype: DType,
         unbatchedRank: Int) {
        self.unbatchedRank = unbatchedRank
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine, bias: affine,
                   trackRunningStats: trackRunningStats, dtype: dtype)
    }

    /// Normalises each instance with its own statistics (in training, or
    /// always without running statistics), else with the running ones.
    public override func forward(_ input: Tensor) -> Tensor {
        let name = typeName
        check(input.rank == unbatchedRank || input.rank == unbatchedRank + 1, name,
              "expected \(unbatchedRank)D or \(unbatchedRank + 1)D input (got \(input.rank)D input)")
        let featureDim = input.rank - unbatchedRank
        if affine {
            check(input.shape[featureDim] == numFeatures, name,
                  "expected input's size at dim=\(featureDim) to match num_features (\(numFeatures)), but got: \(input.shape[featureDim]).")
        }
        if input.rank == unbatchedRank { return forward(input.unsqueezed(0)).squeezed(0) }
        return instanceNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                            useInputStats: isTraining || !trackRunningStats, momentum: momentum ?? 0, eps: eps)
    }
}

/// Instance normalisation of `[N, C, L]` or `[C, L]` inputs (PyTorch's `nn.InstanceNorm1d`).
public final class InstanceNorm1d: InstanceNormBase {
    /// Creates the layer.
    ///
    /// - Parameters:
    ///   - numFeatures: The number of channels `C`.
    ///   - eps: Added to the variance (default 1e-5).
    ///   - momentum: The weight of each batch in the running statistics (default 0.1).
    ///   - affine: Whether to learn a per-channel scale and shift (default `false`).
    ///   - trackRunningStats: Whether to keep running statistics for evaluation (default `false`).
    ///   - dtype: The dtype of the parameters and running statistics.
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = false,
                trackRunningStats: Bool = false, dtype: DType = .defaultFloat) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStats: trackRunningStats, dtype: dtype, unbatchedRank: 2)
    }
}

/// Instance normalisation of `[N, C, H, W]` or `[C, H, W]` inputs (PyTorch's `nn.InstanceNorm2d`);
/// see ``InstanceNorm1d``.
public final class InstanceNorm2d: InstanceNormBase {
    /// Creates the layer; the arguments are those of ``InstanceNorm1d``.
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = false,
                trackRunningStats: Bool = false, dtype: DType = .defaultFloat) {
        super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStats: trackRunningStats, dtype: dtype, unbatchedRank: 3)
    }
}

/// Local response normalisation across channels (`torch.nn.functional.local_response_norm`, AlexNet):
/// `x / (k + alpha · mean of x² over the `size` neighbouring channels)^beta`.
///
/// PyTorch's composition: the squared input, zero-padded along the channels
/// (`size / 2` before, `(size - 1) / 2` after), average-pooled across them.
///
/// - Parameters:
///   - input: `[N, C, *]` with at least one spatial dim.
///   - size: The number of neighbouring channels.
///   - alpha: The scale of the mean square.
///   - beta: The exponent.
///   - k: The additive constant.
/// - Returns: A tensor of the input's shape (`DivBackward0`).
public func localResponseNorm(_ input: Tensor, size: Int, alpha: Double = 1e-4, beta: Double = 0.75,
                              k: Double = 1) -> Tensor {
    check(input.rank >= 3, "local_response_norm",
          "Expected 3D or higher dimensionality                          input (got \(input.rank) dimensions)")
    if input.count == 0 { return input }
    let shape = input.shape
    // [N, 1, C, rest]: one 2-d pooling with a (size, 1) window covers avg_pool3d's (size, 1, 1).
    let squares = (input * input).reshaped([shape[0], 1, shape[1], input.count / (shape[0] * shape[1])])
    let padded = squares.padded([0, 0, size / 2, (size - 1) / 2])
    let div = avgPool2d(padded, kernelSize: [size, 1], stride: 1).squeezed(1).reshaped(shape)
    return input / (div * alpha + k).pow(beta)
}

/// Local response normalisation (PyTorch's `nn.LocalResponseNorm`); see
/// ``localResponseNorm(_:size:alpha:beta:k:)``.
public final class LocalResponseNorm: Module {
    public let size: Int
    public let alpha: Double
    public let beta: Double
    public let k: Double
    public var isTraining = true

    /// Creates the layer over `size` neighbouring channels.
    public init(_ size: Int, alpha: Double = 1e-4, beta: Double = 0.75, k: Double = 1) {
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k
    }

    public func forward(_ input: Tensor) -> Tensor { localResponseNorm(input, size: size, alpha: alpha, beta: beta, k: k) }

    public var extraDescription: String {
        "\(size), alpha=\(pythonFloat(alpha)), beta=\(pythonFloat(beta)), k=\(pythonFloat(k))"
    }
}
