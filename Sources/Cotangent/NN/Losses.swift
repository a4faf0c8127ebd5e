// Loss functions, as PyTorch's torch.nn losses: a function and a callable struct each.

/// How a loss combines its per-element values.
public enum Reduction: Sendable, Hashable {
    /// The mean over all elements (PyTorch's default).
    case mean
    /// The sum over all elements.
    case sum
    /// No reduction: one loss per element.
    case none
}

/// The mean squared error between `input` and `target` (`F.mse_loss`).
///
/// - Parameters:
///   - input: The prediction.
///   - target: The expected values; broadcast against `input`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: A 0-d tensor, or the elementwise squared errors for `.none`.
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    // Both operands in their promoted dtype first, as PyTorch's kernel does (a bool target is fine).
    let type = DType.resultType(input, target)
    check(type != .bool, "mse_loss", "\"mse_cpu\" not implemented for 'Bool'")
    let result: Tensor = withNoGrad {
        let difference = input.to(type) - target.to(type)
        let squared = difference * difference
        switch reduction {
        case .mean: return squared.mean()
        case .sum: return squared.sum()
        case .none: return squared
        }
    }
    let count = Double(Shape.count(Shape.broadcast(input.shape, target.shape, op: "mse_loss")))
    return Tensor.record("MseLossBackward0", inputs: [input, target], result: result, saving: [input, target]) { grad, saved in
        let scale = reduction == .mean ? 2.0 / count : 2.0
        let g = (saved[0].to(type) - saved[1].to(type)) * grad * scale
        return [g, -g]
    }
}

/// The mean squared error as a callable module (`nn.MSELoss`).
///
/// ```swift
/// let lossFunc = MSELoss()
/// let loss = lossFunc(prediction, target)
/// ```
public struct MSELoss: Sendable {
    /// How per-element losses are combined.
    public var reduction: Reduction

    /// Creates the loss with a reduction (`.mean` by default).
    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        mseLoss(input, target, reduction: reduction)
    }
}

// MARK: Shared helpers

extension Reduction {
    /// Applies the reduction to per-element losses.
    func apply(_ losses: Tensor) -> Tensor {
        switch self {
        case .mean: losses.mean()
        case .sum: losses.sum()
        case .none: losses
        }
    }

    /// The factor the gradient of one element is scaled by: `1 / count` for the mean.
    func gradientScale(count: Int) -> Double { self == .mean ? 1 / Double(count) : 1 }
}


// MARK: L1, Huber, smooth L1

/// The mean absolute error between `input` and `target` (`F.l1_loss`).
///
/// Built from `abs` and `mean` as in PyTorch, so its graph reads
/// `MeanBackward0 → AbsBackward0 → SubBackward0`.
///
/// - Parameters:
///   - input: The prediction.
///   - target: The expected values; broadcast against `input`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: A 0-d tensor, or the elementwise absolute errors for `.none`.
public func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    reduction.apply((input - target).abs())
}

/// The Huber loss (`F.huber_loss`): quadratic for errors below `delta`, linear above.
///
/// `ℓ = 0.5 d²` where `|d| < delta`, else `delta · (|d| - 0.5 delta)`, with `d = input - target`.
///
/// - Parameters:
///   - input: The prediction.
///   - target: The expected values; broadcast against `input`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - delta: Where the loss turns linear; must be positive (default 1).
/// - Returns: The loss, recorded as `HuberLossBackward0`.
public func huberLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, delta: Double = 1) -> Tensor {
    check(delta > 0, "huber_loss", "huber_loss does not support non-positive values for delta.")
    return pointwiseLoss("HuberLossBackward0", op: "huber_loss", input, target, reduction: reduction, forward: { d in
        let z = d.abs()
        return Tensor.where(z .< delta, 0.5 * d * d, delta * (z - 0.5 * delta))
    }, derivative: { d in d.clamped(min: -delta, max: delta) })
}

/// The smooth L1 loss (`F.smooth_l1_loss`): `0.5 d² / beta` where `|d| < beta`,
/// else `|d| - 0.5 beta`.
///
/// With `beta == 0` it is the L1 loss, built the same way as ``l1Loss(_:_:reduction:)``.
///
/// - Parameters:
///   - input: The prediction.
///   - target: The expected values; broadcast against `input`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - beta: Where the loss turns linear; must not be negative (default 1).
/// - Returns: The loss, recorded as `SmoothL1LossBackward0`.
public func smoothL1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean, beta: Double = 1) -> Tensor {
    check(beta >= 0, "smooth_l1_loss", "smooth_l1_loss does not support negative values for beta.")
    if beta == 0 { return l1Loss(input, target, reduction: reduction) }
    return pointwiseLoss("SmoothL1LossBackward0", op: "smooth_l1_loss", input, target, reduction: reduction, forward: { d in
        let z = d.abs()
        return Tensor.where(z .< beta, 0.5 * d * d / beta, z - 0.5 * beta)
    }, derivative: { d in (d / beta).clamped(min: -1, max: 1) })
}

/// A loss of `d = input - target` elementwise, recorded as one primitive whose
/// rule is `grad · ℓ'(d)` for the input and its negative for the target.
private func pointwiseLoss(_ name: String, op: String, _ input: Tensor, _ target: Tensor, reduction: Reduction,
                           forward: (Tensor) -> Tensor, derivative: @escaping (Tensor) -> Tensor) -> Tensor {
    let count = Shape.count(Shape.broadcast(input.shape, target.shape, op: op))
    let result = withNoGrad { reduction.apply(forward(input - target)) }
    let scale = reduction.gradientScale(count: count)
    return Tensor.record(name, inputs: [input, target], result: result, saving: [input, target]) { grad, saved in
        let g = derivative(saved[0] - saved[1]) * grad * scale
        return [g, -g]
    }
}

// MARK: Negative log likelihood and cross-entropy

/// The negative log likelihood of class indices under log-probabilities (`F.nll_loss`).
///
/// For input `x` of shape `[N, C]` (or `[C]`, or `[N, C, d1, ...]`) and class
/// indices `t`, the loss of sample `n` is `-weight[t[n]] · x[n, t[n]]`.
/// The mean divides by the summed weights of the samples that count, so
/// samples whose target is `ignoreIndex` drop out of both sums.
///
/// - Parameters:
///   - input: Log-probabilities, classes along dimension 1 (0 for a 1-d input).
///   - target: `int64` class indices in `0..<C`, of shape `[N]` (or `[]`, or `[N, d1, ...]`).
///   - weight: A weight per class, of shape `[C]`, or nil for 1.
///   - ignoreIndex: A target value that contributes nothing (default -100).
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: The loss, recorded as `NllLossBackward0` (`NllLoss2DBackward0` for inputs of rank 3 or more).
public func nllLoss(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                    reduction: Reduction = .mean) -> Tensor {
    let op = "nll_loss"
    check(input.rank >= 1, op, "Expected 1 or more dimensions (got \(input.rank))")
    check(target.dtype == .int64, op, "expected target dtype to be Long or Byte, but got \(target.dtype.scalarTypeName)")
    check(input.dtype.isFloatingPoint, op, "\"nll_loss_out_frame\" not implemented for '\(input.dtype.scalarTypeName)'")
    if input.rank == 1 {
        check(target.rank == 0 || target.shape == [1], op, "0D or 1D target tensor expected, multi-target not supported")
        if target.rank == 1 { return nllLoss(input.unsqueezed(0), target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction) }
    } else {
        check(target.rank >= 1 && input.shape[0] == target.shape[0], op,
              target.rank == 0 ? "0D or 1D target tensor expected, multi-target not supported"
                  : "Expected input batch_size (\(input.shape[0])) to match target batch_size (\(target.shape[0])).")
        if input.rank == 2 {
            check(target.rank == 1, op, "0D or 1D target tensor expected, multi-target not supported")
        } else {
            let expected = [input.shape[0]] + Array(input.shape[2...])
            check(target.shape == expected, op, "Expected target size \(shapeText(expected)), got \(shapeText(target.shape))")
            if input.rank != 4 {
                // As PyTorch's nll_loss_nd: view as [N, C, 1, S] for the 2-d kernel, and the result back.
                let (n, c) = (input.shape[0], input.shape[1])
                let spatial = input.count == 0 ? 0 : input.count / n / c
                let flat = nllLoss(input.contiguous().reshaped(n, c, spatial == 0 ? 0 : 1, spatial),
                                   target.contiguous().reshaped(n, spatial == 0 ? 0 : 1, spatial),
                                   weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
                return reduction == .none ? flat.reshaped(expected) : flat
            }
        }
    }
    let classes = input.rank == 1 ? input.shape[0] : input.shape[1]
    if let weight {
        check(weight.rank == 1 && weight.count == classes, op,
              "weight tensor should be defined either for all \(classes) classes or no classes but got weight tensor of shape: \(shapeText(weight.shape))")
    }

    // Coefficients c with c[n, t[n], s] = weight[t[n]] (0 where ignored): the loss of
    // each sample is -Σ_c x·c, and -c is the derivative, so forward and backward are tensor ops.
    let batch = input.rank == 1 ? 1 : input.shape[0]
    let spatial = input.rank <= 2 ? 1 : input.shape[2...].reduce(1, *)
    let targets = target.contiguous().scalars(as: Int64.self)
    let weights = weight?.scalars(as: Double.self)
    var coefficients = [Double](repeating: 0, count: batch * classes * spatial)
    // Where a sample's target class is (and the sample counts): the only elements
    // PyTorch's backward writes, so the rest stay 0 even when the mean divides by 0.
    var hits = [Bool](repeating: false, count: batch * classes * spatial)
    var totalWeight = 0.0
    for n in 0..<batch {
        for s in 0..<spatial {
            let t = Int(targets[n * spatial + s])
            if t == ignoreIndex { continue }
            check(t >= 0 && t < classes, op, "Target \(t) is out of bounds.")
            let w = weights?[t] ?? 1
            coefficients[(n * classes + t) * spatial + s] = w
            hits[(n * classes + t) * spatial + s] = true
            totalWeight += w
        }
    }
    let c = Tensor(shape: input.shape, scalars: coefficients).to(input.dtype)
    let classDim = input.rank == 1 ? 0 : 1
    let result: Tensor = withNoGrad {
        let losses = -(input * c).sum(dim: classDim)
        switch reduction {
        case .none: return losses
        case .sum: return losses.sum()
        case .mean: return losses.sum() / Tensor(totalWeight, dtype: input.dtype)
        }
    }
    let name = input.rank >= 3 ? "NllLoss2DBackward0" : "NllLossBackward0"
    let hit = Tensor(shape: input.shape, scalars: hits)
    // Saved (as PyTorch saves the target and weights), so a second backward through a freed graph stops here too.
    return Tensor.record(name, inputs: [input], result: result, saving: [c, hit]) { grad, saved in
        let (c, hit) = (saved[0], saved[1])
        let g: Tensor
        switch reduction {
        case .none: g = -c * grad.unsqueezed(classDim)
        case .sum: g = -c * grad
        case .mean: g = -c * (grad / totalWeight)
        }
        // All targets ignored: the mean is 0 / 0 (NaN) but the gradient is zero, as in PyTorch.
        return [Tensor.where(hit, g, Tensor.zeros(like: g))]
    }
}

/// Cross-entropy between logits and targets (`F.cross_entropy`): `log_softmax`
/// over the classes, then the negative log likelihood.
///
/// Targets are either class indices (`int64`, the input's shape without the
/// class dimension) or class probabilities (floating point, the input's shape).
/// The graph is PyTorch's: `NllLossBackward0 → LogSoftmaxBackward0` for
/// indices; with label smoothing, `(1 - ε) · nll + ε/C · smooth` as PyTorch composes it.
///
/// - Parameters:
///   - input: Unnormalised scores, `[N, C]`, `[C]` or `[N, C, d1, ...]`.
///   - target: Class indices or class probabilities.
///   - weight: A weight per class, `[C]`, or nil.
///   - ignoreIndex: A class index that contributes nothing (indices only; default -100).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - labelSmoothing: ε in `0...1`: the target mixes with the uniform distribution (default 0).
/// - Returns: The loss.
public func crossEntropyLoss(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                             reduction: Reduction = .mean, labelSmoothing: Double = 0) -> Tensor {
    let op = "cross_entropy"
    check(labelSmoothing >= 0 && labelSmoothing <= 1, op, "label_smoothing must be between 0.0 and 1.0. Got: \(labelSmoothing)")
    check(input.dtype.isFloatingPoint, op, "\"log_softmax_lastdim_kernel_impl\" not implemented for '\(input.dtype.scalarTypeName)'")
    let classDim = input.rank == 1 ? 0 : 1
    let classes = input.rank == 0 ? 1 : input.shape[classDim]
    // Broadcast a per-class weight against the input: [1, C, 1, ...].
    let weightView: Tensor? = weight.map { w in
        check(w.rank == 1 && w.count == classes, op,
              "weight tensor should be defined either for all \(classes) classes or no classes but got weight tensor of shape: \(shapeText(w.shape))")
        var shape = [Int](repeating: 1, count: input.rank)
        shape[classDim] = classes
        return w.reshaped(shape)
    }

    if input.shape == target.shape {
        // Class probabilities.
        check(target.dtype.isFloatingPoint, op, "Expected floating point type for target with class probabilities, got \(target.dtype.scalarTypeName)")
        check(ignoreIndex < 0, op, "ignore_index is not supported for floating point target")
        let logProbabilities = input.logSoftmax(dim: classDim)
        let smoothed = labelSmoothing > 0 ? target * (1 - labelSmoothing) + labelSmoothing / Double(classes) : target
        var product = logProbabilities * smoothed
        if let weightView { product = product * weightView }
        switch reduction {
        case .none: return -product.sum(dim: classDim)
        case .sum: return -product.sum()
        case .mean:
            let rows = input.count / classes
            return rows == 0 ? -product.sum() * Double.nan : (-product.sum()).divided(byScalar: Double(rows))
        }
    }

    // Class indices.
    let logProbabilities = input.logSoftmax(dim: classDim)
    let nll = nllLoss(logProbabilities, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    guard labelSmoothing > 0 else { return nll }
    let ignored = target .== Tensor(wrapping: ignoreIndex)
    let weighted = weightView.map { logProbabilities * $0 } ?? logProbabilities
    let smooth = (-weighted.sum(dim: classDim)).maskedFilled(ignored, with: 0)
    let reduced: Tensor
    switch reduction {
    case .none: reduced = smooth
    case .sum: reduced = smooth.sum()
    case .mean:
        // Normalised by the weights that count, to agree with nll's mean.
        if let weight {
            let w = weight.scalars(as: Double.self)
            let total = zip(target.contiguous().scalars(as: Int64.self), ignored.contiguous().scalars(as: Bool.self))
                .reduce(0.0) { sum, pair in pair.1 ? sum : sum + w[Int(pair.0)] }
            reduced = smooth.sum() / Tensor(total, dtype: weight.dtype)
        } else {
            reduced = smooth.sum() / (!ignored).sum()
        }
    }
    return nll.multiplied(byScalar: 1 - labelSmoothing) + reduced.multiplied(byScalar: labelSmoothing / Double(classes))
}

// MARK: Binary cross-entropy

/// Binary cross-entropy between probabilities and targets (`F.binary_cross_entropy`).
///
/// `ℓ = -w · (y log x + (1 - y) log(1 - x))`, each log clamped at -100 as in
/// PyTorch, so a confident wrong prediction costs 100 rather than infinity.
///
/// - Parameters:
///   - input: Probabilities in `[0, 1]`.
///   - target: Targets of the same shape and dtype (usually 0 or 1).
///   - weight: Per-element weights, broadcast against `input`, or nil.
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: The loss, recorded as `BinaryCrossEntropyBackward0`.
public func binaryCrossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil,
                               reduction: Reduction = .mean) -> Tensor {
    let op = "binary_cross_entropy"
    check(target.shape == input.shape, op, "Using a target size (\(torchSizeText(target.shape))) that is different to the input size (\(torchSizeText(input.shape))) is deprecated. Please ensure they have the same size.")
    check(input.dtype.isFloatingPoint, op, "\"binary_cross_entropy\" not implemented for '\(input.dtype.scalarTypeName)'")
    check(target.dtype == input.dtype, op, "Found dtype \(target.dtype.scalarTypeName) but expected \(input.dtype.scalarTypeName)")
    check(withNoGrad { ((input .>= 0.0) .&& (input .<= 1.0)).all().item() } != 0, op,
          "all elements of input should be between 0 and 1")
    let result: Tensor = withNoGrad {
        var losses = (target - 1.0) * Tensor.maximum((-input).log1p(), -100) - target * Tensor.maximum(input.log(), -100)
        if let weight { losses = losses * weight }
        return reduction.apply(losses)
    }
    let scale = reduction.gradientScale(count: input.count)
    return Tensor.record("BinaryCrossEntropyBackward0", inputs: [input, target], result: result,
                         saving: [input, target]) { grad, saved in
        let (x, y) = (saved[0], saved[1])
        var g = grad * scale
        if let weight { g = g * weight }
        // PyTorch's EPSILON (the float 1e-12) keeps the input gradient finite at 0 and 1.
        let dInput = g * (x - y) / Tensor.maximum((1.0 - x) * x, Double(Float(1e-12)))
        let dTarget = g * ((1.0 - x).log() - x.log())
        return [dInput, dTarget]
    }
}

/// Binary cross-entropy on logits, computed stably (`F.binary_cross_entropy_with_logits`).
///
/// `ℓ = w · ((1 - y) x - (1 + (p - 1) y) · log σ(x))`, with `log σ(x)`
/// evaluated as `min(x, 0) - log(1 + e^(-|x|))` so large logits never overflow.
///
/// - Parameters:
///   - input: Logits.
///   - target: Targets of the same shape (usually 0 or 1), floating point.
///   - weight: Per-element weights, broadcast against `input`, or nil.
///   - posWeight: A weight for positive examples per class, broadcast against `input`, or nil.
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: The loss, recorded as `BinaryCrossEntropyWithLogitsBackward0`.
public func binaryCrossEntropyWithLogits(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil,
                                         posWeight: Tensor? = nil, reduction: Reduction = .mean) -> Tensor {
    let op = "binary_cross_entropy_with_logits"
    check(target.shape == input.shape, op, "Target size (\(torchSizeText(target.shape))) must be the same as input size (\(torchSizeText(input.shape)))")
    check(input.dtype.isFloatingPoint && target.dtype.isFloatingPoint, op,
          "result type \(DType.resultType([input, target]).scalarTypeName) can't be cast to the desired output type \(target.dtype.scalarTypeName)")
    func logSigmoid(_ x: Tensor) -> Tensor { Tensor.minimum(x, 0) - (-x.abs()).exp().log1p() }
    let result: Tensor = withNoGrad {
        var logSig = logSigmoid(input)
        if let posWeight { logSig = logSig * ((posWeight - 1.0) * target + 1.0) }
        var losses = (1.0 - target) * input - logSig
        if let weight { losses = losses * weight }
        return reduction.apply(losses)
    }
    let scale = reduction.gradientScale(count: input.count)
    return Tensor.record("BinaryCrossEntropyWithLogitsBackward0", inputs: [input, target], result: result,
                         saving: [input, target]) { grad, saved in
        let (x, y) = (saved[0], saved[1])
        var g = grad * scale
        if let weight { g = g * weight }
        let dInput: Tensor, dTarget: Tensor
        if let posWeight {
            let py = posWeight * y
            dInput = (py + 1.0 - y) * x.sigmoid() - py
            dTarget = logSigmoid(-x) - logSigmoid(x) * posWeight
        } else {
            dInput = x.sigmoid() - y
            dTarget = -x
        }
        return [g * dInput, g * dTarget]
    }
}

// MARK: Loss modules

/// The mean absolute error as a callable (`nn.L1Loss`); see ``l1Loss(_:_:reduction:)``.
public struct L1Loss: Sendable {
    /// How per-element losses are combined.
    public var reduction: Reduction
    /// Creates the loss.
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { l1Loss(input, target, reduction: reduction) }
}

/// The Huber loss as a callable (`nn.HuberLoss`); see ``huberLoss(_:_:reduction:delta:)``.
public struct HuberLoss: Sendable {
    /// How per-element losses are combined.
    public var reduction: Reduction
    /// Where the loss turns linear.
    public var delta: Double
    /// Creates the loss.
    public init(reduction: Reduction = .mean, delta: Double = 1) {
        self.reduction = reduction
        self.delta = delta
    }
    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        huberLoss(input, target, reduction: reduction, delta: delta)
    }
}

/// The smooth L1 loss as a callable (`nn.SmoothL1Loss`); see ``smoothL1Loss(_:_:reduction:beta:)``.
public struct SmoothL1Loss: Sendable {
    /// How per-element losses are combined.
    public var reduction: Reduction
    /// Where the loss turns linear.
    public var beta: Double
    /// Creates the loss.
    public init(reduction: Reduction = .mean, beta: Double = 1) {
        self.reduction = reduction
        self.beta = beta
    }
    /// The loss of `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        smoothL1Loss(input, target, reduction: reduction, beta: beta)
    }
}

/// The negative log likelihood as a callable (`nn.NLLLoss`); see
/// ``nllLoss(_:_:weight:ignoreIndex:reduction:)``.
public struct NLLLoss {
    /// A weight per class, or nil.
    public var weight: Tensor?
    /// A target value that contributes nothing.
    public var ignoreIndex: Int
    /// How per-sample losses are combined.
    public var reduction: Reduction
    /// Creates the loss.
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.reduction = reduction
    }
    /// The loss of log-probabilities `input` against class indices `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        nllLoss(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    }
}

/// Cross-entropy as a callable (`nn.CrossEntropyLoss`); see
/// ``crossEntropyLoss(_:_:weight:ignoreIndex:reduction:labelSmoothing:)``.
///
/// ```swift
/// let lossFunction = CrossEntropyLoss()
/// let loss = lossFunction(model(x), labels)   // logits [N, C], labels [N] (int64)
/// ```
public struct CrossEntropyLoss {
    /// A weight per class, or nil.
    public var weight: Tensor?
    /// A class index that contributes nothing.
    public var ignoreIndex: Int
    /// How per-sample losses are combined.
    public var reduction: Reduction
    /// How much the target mixes with the uniform distribution.
    public var labelSmoothing: Double
    /// Creates the loss.
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean, labelSmoothing: Double = 0) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.reduction = reduction
        self.labelSmoothing = labelSmoothing
    }
    /// The loss of logits `input` against class indices or probabilities `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        crossEntropyLoss(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction,
                         labelSmoothing: labelSmoothing)
    }
}

/// Binary cross-entropy as a callable (`nn.BCELoss`); see
/// ``binaryCrossEntropy(_:_:weight:reduction:)``.
public struct BCELoss {
    /// Per-element weights, or nil.
    public var weight: Tensor?
    /// How per-element losses are combined.
    public var reduction: Reduction
    /// Creates the loss.
    public init(weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        self.reduction = reduction
    }
    /// The loss of probabilities `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        binaryCrossEntropy(input, target, weight: weight, reduction: reduction)
    }
}

/// Binary cross-entropy on logits as a callable (`nn.BCEWithLogitsLoss`); see
/// ``binaryCrossEntropyWithLogits(_:_:weight:posWeight:reduction:)``.
public struct BCEWithLogitsLoss {
    /// Per-element weights, or nil.
    public var weight: Tensor?
    /// A weight for positive examples, or nil.
    public var posWeight: Tensor?
    /// How per-element losses are combined.
    public var reduction: Reduction
    /// Creates the loss.
    public init(weight: Tensor? = nil, posWeight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        self.posWeight = posWeight
        self.reduction = reduction
    }
    /// The loss of logits `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        binaryCrossEntropyWithLogits(input, target, weight: weight, posWeight: posWeight, reduction: reduction)
    }
}
