import Foundation

// Losses on pairs and triplets of embeddings and on likelihoods, composed from
// tensor ops in the order ATen composes them (Loss.cpp, Distance.cpp and
// torch/nn/functional.py), so values agree to the last bit where the order
// of operations decides it and the graphs record PyTorch's node names.

// MARK: Shared pieces

extension Tensor {
    /// `max(self, minimum)` recorded as ATen's `clamp_min` (`ClampMinBackward0`);
    /// the gradient passes where `self > minimum`, as PyTorch's rule does.
    func clampedMin(_ minimum: Double) -> Tensor {
        let result = withNoGrad { clamped(min: minimum) }
        return Tensor.record("ClampMinBackward0", inputs: [self], result: result, saving: [self]) { grad, saved in
            [Tensor.where(saved[0] .> minimum, grad, Tensor.zeros(like: grad))]
        }
    }

    /// `self + scalar` recorded as ATen's `add(Tensor, Scalar)` (`AddBackward1`).
    func adding(scalar: Double) -> Tensor {
        let result = withNoGrad { self + scalar }
        return Tensor.record("AddBackward1", inputs: [self], result: result) { grad, _ in [grad] }
    }
}

/// ATen's `pairwise_distance`: `‖x1 - x2 + eps‖_p` over the last dim.
func pairwiseDistance(_ x1: Tensor, _ x2: Tensor, p: Double, eps: Double) -> Tensor {
    let innermost = max(x1.rank, x2.rank) - 1
    return (x1 - x2).adding(scalar: eps).norm(p: p, dim: [innermost], keepDim: false, node: "NormBackward1")
}

// MARK: Margin losses on embeddings

/// The cosine embedding loss (`F.cosine_embedding_loss`): `1 - cos(x1, x2)` for
/// target 1 and `max(0, cos(x1, x2) - margin)` for target -1.
///
/// The cosine is ATen's: `Σ x1·x2 / sqrt((Σ x1² + ε)(Σ x2² + ε))` with ε = 1e-12.
///
/// - Parameters:
///   - input1: `[N, D]`, or `[D]` with a 0-d target.
///   - input2: The same shape as `input1`.
///   - target: `[N]` (or `[]`) of 1 and -1; other values contribute 0.
///   - margin: Subtracted from the cosine of dissimilar pairs (default 0).
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: The loss: `[N]` for `.none`, else a 0-d tensor.
public func cosineEmbeddingLoss(_ input1: Tensor, _ input2: Tensor, target: Tensor, margin: Double = 0,
                                reduction: Reduction = .mean) -> Tensor {
    let op = "cosine_embedding_loss"
    let targetDim = target.rank
    check(targetDim == 1 || targetDim == 0, op, "0D or 1D target tensor expected, multi-target not supported")
    if targetDim == 1 {
        check(input1.rank == 2 && input2.rank == 2, op,
              "1D target tensor expects 2D input tensors, but found inputs with sizes \(shapeText(input1.shape)) and \(shapeText(input2.shape)).")
    } else {
        check(input1.rank == 1 && input2.rank == 1, op,
              "0D target tensor expects 1D input tensors, but found inputs with sizes \(shapeText(input1.shape)) and \(shapeText(input2.shape)).")
    }
    let epsilon = 1e-12
    let productSum = (input1 * input2).sum(dim: targetDim)
    let magnitude1 = (input1 * input1).sum(dim: targetDim) + epsilon
    let magnitude2 = (input2 * input2).sum(dim: targetDim) + epsilon
    let denominator = (magnitude1 * magnitude2).sqrt()
    let cos = productSum / denominator
    let zeros = Tensor.zeros(like: cos)
    let positive = Tensor.wrapped(1, matching: cos) - cos
    let negative = (cos - margin).clampedMin(0)
    let output = Tensor.where(target .== 1.0, positive, zeros) + Tensor.where(target .== -1.0, negative, zeros)
    return reduction.apply(output)
}

/// The margin ranking loss (`F.margin_ranking_loss`): `max(0, -y (x1 - x2) + margin)`.
///
/// - Parameters:
///   - input1: The first scores.
///   - input2: The second scores, broadcast against `input1`.
///   - target: 1 where `input1` should rank higher, -1 where `input2` should.
///   - margin: The margin (default 0).
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: The loss.
public func marginRankingLoss(_ input1: Tensor, _ input2: Tensor, target: Tensor, margin: Double = 0,
                              reduction: Reduction = .mean) -> Tensor {
    check(input1.rank == input2.rank && input1.rank == target.rank, "margin_ranking_loss",
          "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: \(torchSizeText(input1.shape)), input2: \(torchSizeText(input2.shape)), target: \(torchSizeText(target.shape)) ")
    return reduction.apply((-target * (input1 - input2)).adding(scalar: margin).clampedMin(0))
}

/// The triplet margin loss (`F.triplet_margin_loss`):
/// `max(0, margin + d(a, p) - d(a, n))` with `d(x, y) = ‖x - y + eps‖_p` over the last dim.
///
/// - Parameters:
///   - anchor: `[N, D]` or `[D]`.
///   - positive: Of the anchor's rank.
///   - negative: Of the anchor's rank.
///   - margin: Must be positive (default 1).
///   - p: The norm's order (default 2).
///   - eps: Added to the differences, keeping the norm differentiable (default 1e-6).
///   - swap: Whether the negative's distance is the smaller of `d(a, n)` and `d(p, n)`
///     (Balntas et al.'s distance swap; default false).
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: The loss.
public func tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: Double = 1, p: Double = 2,
                              eps: Double = 1e-6, swap: Bool = false, reduction: Reduction = .mean) -> Tensor {
    let op = "triplet_margin_loss"
    check(margin > 0, op, "margin must be greater than 0, got \(margin)")
    check(anchor.rank == positive.rank && positive.rank == negative.rank, op,
          "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor \(anchor.rank)D, positive \(positive.rank)D, and negative \(negative.rank)D inputs")
    let positiveDistance = pairwiseDistance(anchor, positive, p: p, eps: eps)
    var negativeDistance = pairwiseDistance(anchor, negative, p: p, eps: eps)
    if swap {
        negativeDistance = Tensor.minimum(negativeDistance, pairwiseDistance(positive, negative, p: p, eps: eps))
    }
    return reduction.apply((positiveDistance.adding(scalar: margin) - negativeDistance).clampedMin(0))
}

// MARK: Likelihood losses

/// How ``klDiv(_:_:reduction:logTarget:)`` combines its per-element values.
public enum KLDivReduction: Sendable, Hashable {
    /// The mean over all elements (PyTorch's default, which PyTorch warns about:
    /// it divides by the support size too; `.batchMean` is the divergence).
    case mean
    /// The sum over all elements.
    case sum
    /// The sum divided by the batch size (`input.shape[0]`): the KL divergence per sample.
    case batchMean
    /// No reduction.
    case none
}

/// The Kullback–Leibler divergence loss (`F.kl_div`): `target · (log target - input)`
/// with `input` log-probabilities.
///
/// PyTorch warns that `.mean` divides by every element, not by the batch size;
/// Cotangent gives the same values without the warning: use `.batchMean` for the divergence.
///
/// - Parameters:
///   - input: Log-probabilities.
///   - target: Probabilities, or log-probabilities when `logTarget` is true; broadcast against `input`.
///   - reduction: `.mean` (default), `.batchMean`, `.sum` or `.none`.
///   - logTarget: Whether `target` holds log-probabilities (default false).
/// - Returns: The loss.
public func klDiv(_ input: Tensor, _ target: Tensor, reduction: KLDivReduction = .mean, logTarget: Bool = false) -> Tensor {
    check(input.dtype.isFloatingPoint && target.dtype.isFloatingPoint, "kl_div", "kl_div: Integral inputs not supported.")
    // xlogy(t, t) is 0 where t is 0, as the limit t log t is.
    let output = logTarget ? target.exp() * (target - input) : target.xlogy(target) - target * input
    switch reduction {
    case .none: return output
    case .sum: return output.sum()
    case .mean: return output.mean()
    case .batchMean: return input.rank == 0 ? output.sum() : output.sum() / Double(input.shape[0])
    }
}

/// The Poisson negative log likelihood (`F.poisson_nll_loss`):
/// `exp(input) - target · input` for log rates, or `input - target · log(input + eps)` for rates.
///
/// - Parameters:
///   - input: Log rates (`logInput`) or rates.
///   - target: Counts, broadcast against `input`.
///   - logInput: Whether `input` holds log rates (default true).
///   - full: Whether to add Stirling's approximation of `log(target!)`,
///     `t log t - t + ½ log(2πt)`, where `target > 1` (default false).
///   - eps: Keeps the log finite at rate 0 when `logInput` is false (default 1e-8).
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: The loss.
public func poissonNLLLoss(_ input: Tensor, _ target: Tensor, logInput: Bool = true, full: Bool = false,
                           eps: Double = 1e-8, reduction: Reduction = .mean) -> Tensor {
    var loss = logInput ? input.exp() - target * input : input - target * input.adding(scalar: eps).log()
    if full {
        let stirling = target * target.log() - target + 0.5 * (2 * Double.pi * target).log()
        loss = loss + stirling.maskedFilled(target .<= 1.0, with: 0)
    }
    return reduction.apply(loss)
}

/// The Gaussian negative log likelihood (`F.gaussian_nll_loss`):
/// `½ (log max(var, eps) + (input - target)² / max(var, eps))`, plus `½ log 2π` when `full`.
///
/// `variance` may have the input's shape (heteroscedastic), the input's shape
/// without its last dim (it is unsqueezed), or the input's rank with exactly
/// one dim of size 1 where the input's differs (broadcast). The clamp at `eps`
/// is made without recording, as PyTorch's, so the gradient reaches `variance`
/// as if unclamped.
///
/// - Parameters:
///   - input: The predicted means.
///   - target: The samples, broadcast against `input`.
///   - variance: The predicted variances, not negative.
///   - full: Whether to add the constant `½ log 2π` (default false).
///   - eps: The least variance used (default 1e-6).
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: The loss.
public func gaussianNLLLoss(_ input: Tensor, _ target: Tensor, variance: Tensor, full: Bool = false,
                            eps: Double = 1e-6, reduction: Reduction = .mean) -> Tensor {
    let op = "gaussian_nll_loss"
    check(withNoGrad { (variance .< 0.0).any().item() } == 0, op, "var has negative entry/entries")
    var variance = variance
    if variance.shape != input.shape {
        if input.rank >= 1 && Array(input.shape.dropLast()) == variance.shape {
            variance = variance.unsqueezed(-1)
        } else if input.rank == variance.rank,
                  zip(input.shape, variance.shape).reduce(0, { $0 + ($1.0 != $1.1 ? $1.1 : 0) }) == 1 {
            // One mismatched dim, of size 1 in the variance: broadcast.
        } else {
            fail(op, "var is of incorrect size")
        }
    }
    let clamped = variance.cloned()
    withNoGrad { clamped.copy(from: clamped.clamped(min: eps)) }
    var loss = 0.5 * (clamped.log() + (input - target).pow(2) / clamped)
    if full { loss = loss + 0.5 * Foundation.log(2 * Double.pi) }
    return reduction.apply(loss)
}

/// ``gaussianNLLLoss(_:_:variance:full:eps:reduction:)`` with one variance for every element.
public func gaussianNLLLoss(_ input: Tensor, _ target: Tensor, variance: Double, full: Bool = false,
                            eps: Double = 1e-6, reduction: Reduction = .mean) -> Tensor {
    check(variance >= 0, "gaussian_nll_loss", "var has negative entry/entries")
    return gaussianNLLLoss(input, target, variance: variance * Tensor.ones(like: input), full: full, eps: eps,
                           reduction: reduction)
}

// MARK: Loss modules

/// A loss of pairs `(input1, input2)` labelled `target` (1 or -1), with a
/// margin and a reduction: what ``CosineEmbeddingLoss`` and ``MarginRankingLoss``
/// share, told apart by `Kind`, which names the loss function.
public struct MarginPairLoss<Kind: MarginPairLossKind>: Sendable {
    /// The margin (subtracted from the cosine of dissimilar pairs, or the ranking margin).
    public var margin: Double
    /// How per-pair losses are combined.
    public var reduction: Reduction
    /// Creates the loss.
    public init(margin: Double = 0, reduction: Reduction = .mean) {
        self.margin = margin
        self.reduction = reduction
    }
    /// The loss of the pairs `(input1, input2)` labelled `target`.
    public func callAsFunction(_ input1: Tensor, _ input2: Tensor, _ target: Tensor) -> Tensor {
        Kind.loss(input1, input2, target: target, margin: margin, reduction: reduction)
    }
}

/// The loss function a ``MarginPairLoss`` calls.
public protocol MarginPairLossKind: Sendable {
    /// The loss of the pairs `(input1, input2)` labelled `target`.
    static func loss(_ input1: Tensor, _ input2: Tensor, target: Tensor, margin: Double, reduction: Reduction) -> Tensor
}

/// ``cosineEmbeddingLoss(_:_:target:margin:reduction:)`` as a ``MarginPairLossKind``.
public enum CosineEmbedding: MarginPairLossKind {
    public static func loss(_ input1: Tensor, _ input2: Tensor, target: Tensor, margin: Double,
                            reduction: Reduction) -> Tensor {
        cosineEmbeddingLoss(input1, input2, target: target, margin: margin, reduction: reduction)
    }
}

/// ``marginRankingLoss(_:_:target:margin:reduction:)`` as a ``MarginPairLossKind``.
public enum MarginRanking: MarginPairLossKind {
    public static func loss(_ input1: Tensor, _ input2: Tensor, target: Tensor, margin: Double,
                            reduction: Reduction) -> Tensor {
        marginRankingLoss(input1, input2, target: target, margin: margin, reduction: reduction)
    }
}

/// The cosine embedding loss as a callable (`nn.CosineEmbeddingLoss`); see
/// ``cosineEmbeddingLoss(_:_:target:margin:reduction:)``. `target` is 1 for
/// similar pairs and -1 for dissimilar ones.
public typealias CosineEmbeddingLoss = MarginPairLoss<CosineEmbedding>

/// The margin ranking loss as a callable (`nn.MarginRankingLoss`); see
/// ``marginRankingLoss(_:_:target:margin:reduction:)``. `target` 1 ranks
/// `input1` above `input2`, -1 below.
public typealias MarginRankingLoss = MarginPairLoss<MarginRanking>

/// The triplet margin loss as a callable (`nn.TripletMarginLoss`); see
/// ``tripletMarginLoss(anchor:positive:negative:margin:p:eps:swap:reduction:)``.
public struct TripletMarginLoss: Sendable {
    /// The margin; positive.
    public var margin: Double
    /// The norm's order.
    public var p: Double
    /// Added to the differences.
    public var eps: Double
    /// Whether to use the distance swap.
    public var swap: Bool
    /// How per-triplet losses are combined.
    public var reduction: Reduction
    /// Creates the loss with PyTorch's defaults.
    public init(margin: Double = 1, p: Double = 2, eps: Double = 1e-6, swap: Bool = false, reduction: Reduction = .mean) {
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap
        self.reduction = reduction
    }
    /// The loss of the triplets.
    public func callAsFunction(_ anchor: Tensor, _ positive: Tensor, _ negative: Tensor) -> Tensor {
        tripletMarginLoss(anchor: anchor, positive: positive, negative: negative, margin: margin, p: p, eps: eps,
                          swap: swap, reduction: reduction)
    }
}

/// The KL divergence loss as a callable (`nn.KLDivLoss`); see ``klDiv(_:_:reduction:logTarget:)``.
public struct KLDivLoss: Sendable {
    /// How per-element values are combined.
    public var reduction: KLDivReduction
    /// Whether targets are log-probabilities.
    public var logTarget: Bool
    /// Creates the loss.
    public init(reduction: KLDivReduction = .mean, logTarget: Bool = false) {
        self.reduction = reduction
        self.logTarget = logTarget
    }
    /// The loss of log-probabilities `input` against `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        klDiv(input, target, reduction: reduction, logTarget: logTarget)
    }
}

/// The Poisson negative log likelihood as a callable (`nn.PoissonNLLLoss`); see
/// ``poissonNLLLoss(_:_:logInput:full:eps:reduction:)``.
public struct PoissonNLLLoss: Sendable {
    /// Whether inputs are log rates.
    public var logInput: Bool
    /// Whether to add the Stirling term.
    public var full: Bool
    /// Keeps the log finite for rates.
    public var eps: Double
    /// How per-element losses are combined.
    public var reduction: Reduction
    /// Creates the loss with PyTorch's defaults.
    public init(logInput: Bool = true, full: Bool = false, eps: Double = 1e-8, reduction: Reduction = .mean) {
        self.logInput = logInput
        self.full = full
        self.eps = eps
        self.reduction = reduction
    }
    /// The loss of `input` against counts `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor {
        poissonNLLLoss(input, target, logInput: logInput, full: full, eps: eps, reduction: reduction)
    }
}

/// The Gaussian negative log likelihood as a callable (`nn.GaussianNLLLoss`); see
/// ``gaussianNLLLoss(_:_:variance:full:eps:reduction:)``.
public struct GaussianNLLLoss: Sendable {
    /// Whether to add the constant term.
    public var full: Bool
    /// The least variance used.
    public var eps: Double
    /// How per-element losses are combined.
    public var reduction: Reduction
    /// Creates the loss with PyTorch's defaults.
    public init(full: Bool = false, eps: Double = 1e-6, reduction: Reduction = .mean) {
        self.full = full
        self.eps = eps
        self.reduction = reduction
    }
    /// The loss of means `input` with variances `variance` against samples `target`.
    public func callAsFunction(_ input: Tensor, _ target: Tensor, _ variance: Tensor) -> Tensor {
        gaussianNLLLoss(input, target, variance: variance, full: full, eps: eps, reduction: reduction)
    }
}
