import Foundation

/// The connectionist temporal classification loss (`F.ctc_loss`): the negative
/// log of the total probability of every alignment of each target with its input.
///
/// The forward pass runs the α recursion over the blank-extended target in log
/// space, the backward pass the β recursion, both as PyTorch's CPU kernel
/// (`LossCTC.cpp`) runs them, and the gradient is PyTorch's
/// `exp(lp) - exp(log Σ αβ + nll - lp)`, scaled by the upstream gradient.
/// Recorded as one node, `CtcLossBackward0`; its gradient is not differentiable
/// again, as in PyTorch.
///
/// - Parameters:
///   - logProbs: Log-probabilities `[T, N, C]` (e.g. `logSoftmax(dim: 2)` of the scores).
///   - targets: `int64`/`int32` labels in `0..<C` other than `blank`: padded `[N, S]`, or
///     concatenated `[Σ targetLengths]`.
///   - inputLengths: Each sequence's length, at most `T`.
///   - targetLengths: Each target's length (at most `S` when padded).
///   - blank: The blank label (default 0).
///   - reduction: `.mean` (default: each loss divided by its target length, then the mean
///     over the batch), `.sum` or `.none` (`[N]`).
///   - zeroInfinity: Whether impossible alignments (infinite losses) give 0 and no gradient (default false).
/// - Returns: The loss.
/// - Complexity: O(N · T · S) for the recursions and O(N · T · C) for the gradient.
public func ctcLoss(_ logProbs: Tensor, targets: Tensor, inputLengths: [Int], targetLengths: [Int], blank: Int = 0,
                    reduction: Reduction = .mean, zeroInfinity: Bool = false) -> Tensor {
    let op = "ctc_loss"
    let context = "(while checking arguments for ctc_loss_allocate_outputs)"
    check(logProbs.rank == 3, op, "log_probs must be 3-D (T, N, C), got \(logProbs.rank)-D")
    check(logProbs.dtype.isFloatingPoint, op, "\"ctc_loss_cpu\" not implemented for '\(logProbs.dtype.scalarTypeName)'")
    check(targets.dtype == .int64 || targets.dtype == .int32, op, "targets must be int64 or int32, got \(targets.dtype)")
    let (maxTime, batch, classes) = (logProbs.shape[0], logProbs.shape[1], logProbs.shape[2])
    check(blank >= 0 && blank < classes, op, "blank must be in label range")
    check(inputLengths.count == batch, op, "input_lengths must be of size batch_size")
    check(targetLengths.count == batch, op, "target_lengths must be of size batch_size")
    for length in inputLengths {
        check(length <= maxTime, op, "Expected input_lengths to have value at most \(maxTime), but got value \(length) \(context)")
    }
    // Where each target starts in the flattened targets.
    let flatTargets = targets.contiguous().to(.int64).scalars(as: Int64.self).map(Int.init)
    var starts = [Int](repeating: 0, count: batch)
    if targets.rank == 1 {
        var position = 0
        for b in 0..<batch { starts[b] = position; position += targetLengths[b] }
        check(targets.shape[0] == position, op,
              "Expected tensor to have size \(position) at dimension 0, but got size \(targets.shape[0]) for argument #2 'targets' \(context)")
    } else {
        check(targets.rank == 2 && targets.shape[0] == batch, op, "targets must be [N, S] or 1-D")
        let width = targets.shape[1]
        for b in 0..<batch {
            starts[b] = b * width
            check(targetLengths[b] <= width, op,
                  "Expected tensor to have size at least \(targetLengths[b]) at dimension 1, but got size \(width) for argument #2 'targets' \(context)")
        }
    }
    for b in 0..<batch {
        for k in 0..<targetLengths[b] {
            let label = flatTargets[starts[b] + k]
            check(label >= 0 && label < classes, op, "target \(label) out of range for \(classes) classes")
        }
    }

    // The blank-extended target of sample b at s: blank at even s, labels at odd s.
    func prime(_ b: Int, _ s: Int) -> Int { s % 2 == 0 ? blank : flatTargets[starts[b] + s / 2] }
    let lp = logProbs.contiguous().scalars(as: Double.self)
    func at(_ t: Int, _ b: Int, _ c: Int) -> Double { lp[(t * batch + b) * classes + c] }
    let negInf = -Double.infinity
    func logAdd3(_ a: Double, _ b: Double, _ c: Double) -> Double {
        var m = max(a, b, c)
        if m == negInf { m = 0 }
        return Foundation.log(Foundation.exp(a - m) + Foundation.exp(b - m) + Foundation.exp(c - m)) + m
    }

    // Forward: α per sample, kept for the backward pass.
    var alphas: [[Double]] = []
    var nll = [Double](repeating: 0, count: batch)
    for b in 0..<batch {
        let (time, length) = (inputLengths[b], targetLengths[b])
        let width = 2 * length + 1
        var alpha = [Double](repeating: negInf, count: max(time, 1) * width)
        if time > 0 {
            alpha[0] = at(0, b, blank)
            if length > 0 { alpha[1] = at(0, b, prime(b, 1)) }
            for t in 1..<max(time, 1) {
                for s in 0..<width {
                    let label = prime(b, s)
                    let a1 = alpha[(t - 1) * width + s]
                    let a2 = s > 0 ? alpha[(t - 1) * width + s - 1] : negInf
                    let a3 = s > 1 && prime(b, s - 2) != label ? alpha[(t - 1) * width + s - 2] : negInf
                    alpha[t * width + s] = logAdd3(a1, a2, a3) + at(t, b, label)
                }
            }
        }
        let last = max(time - 1, 0) * width
        let l1 = time > 0 ? alpha[last + 2 * length] : (length == 0 ? 0 : negInf)
        let l2 = time > 0 && length > 0 ? alpha[last + 2 * length - 1] : negInf
        var m = max(l1, l2)
        if m == negInf { m = 0 }
        nll[b] = -(Foundation.log(Foundation.exp(l1 - m) + Foundation.exp(l2 - m)) + m)
        alphas.append(alpha)
    }
    let losses = Tensor(shape: [batch], scalars: nll).to(logProbs.dtype)
    let (alphaTables, negativeLogLikelihoods) = (alphas, nll)

    var result = Tensor.record("CtcLossBackward0", inputs: [logProbs], result: losses, saving: [logProbs]) { grad, saved in
        // Backward: β per sample, then PyTorch's eq. (16) of Graves et al.
        var kernel = [Double](repeating: 0, count: maxTime * batch * classes)
        for b in 0..<batch {
            let (time, length) = (inputLengths[b], targetLengths[b])
            let nllB = negativeLogLikelihoods[b]
            if time == 0 || (zeroInfinity && nllB == .infinity) { continue }
            let width = 2 * length + 1
            let alpha = alphaTables[b]
            var beta = [Double](repeating: negInf, count: time * width)
            var logAlphaBeta = [Double](repeating: negInf, count: time * classes)
            let last = time - 1
            beta[last * width + 2 * length] = at(last, b, blank)
            logAlphaBeta[last * classes + blank] = alpha[last * width + 2 * length] + beta[last * width + 2 * length]
            if length > 0 {
                let label = prime(b, 2 * length - 1)
                beta[last * width + 2 * length - 1] = at(last, b, label)
                logAlphaBeta[last * classes + label] = alpha[last * width + 2 * length - 1] + beta[last * width + 2 * length - 1]
            }
            for t in stride(from: time - 2, through: 0, by: -1) {
                for s in stride(from: 2 * length, through: 0, by: -1) {
                    let label = prime(b, s)
                    let b1 = beta[(t + 1) * width + s]
                    let b2 = s < 2 * length ? beta[(t + 1) * width + s + 1] : negInf
                    let b3 = s < 2 * length - 1 && prime(b, s + 2) != label ? beta[(t + 1) * width + s + 2] : negInf
                    beta[t * width + s] = logAdd3(b1, b2, b3) + at(t, b, label)
                    let ab = alpha[t * width + s] + beta[t * width + s]
                    let current = logAlphaBeta[t * classes + label]
                    if current == negInf {
                        logAlphaBeta[t * classes + label] = ab
                    } else {
                        let m = max(current, ab)
                        logAlphaBeta[t * classes + label] = Foundation.log(Foundation.exp(current - m) + Foundation.exp(ab - m)) + m
                    }
                }
            }
            for t in 0..<time {
                for c in 0..<classes {
                    let p = at(t, b, c)
                    kernel[(t * batch + b) * classes + c] = Foundation.exp(p) - Foundation.exp(logAlphaBeta[t * classes + c] + nllB - p)
                }
            }
        }
        let k = Tensor(shape: [maxTime, batch, classes], scalars: kernel).to(saved[0].dtype)
        // Under createGraph, a node whose own backward stops, as PyTorch's does.
        let recorded = Tensor.record("NotImplemented", inputs: [saved[0]], result: k) { _, _ in
            fail("backward", "derivative for aten::_ctc_loss_backward is not implemented")
        }
        return [recorded * grad.reshaped(1, batch, 1)]
    }
    if zeroInfinity {
        result = Tensor.where(result .== Double.infinity, Tensor.zeros([], dtype: result.dtype), result)
    }
    switch reduction {
    case .none: return result
    case .sum: return result.sum()
    case .mean:
        let lengths = Tensor(shape: [batch], scalars: targetLengths.map { Double(max($0, 1)) }).to(result.dtype)
        return (result / lengths).mean()
    }
}

/// ``ctcLoss(_:targets:inputLengths:targetLengths:blank:reduction:zeroInfinity:)`` with the lengths as 1-d integer tensors.
public func ctcLoss(_ logProbs: Tensor, targets: Tensor, inputLengths: Tensor, targetLengths: Tensor, blank: Int = 0,
                    reduction: Reduction = .mean, zeroInfinity: Bool = false) -> Tensor {
    func ints(_ t: Tensor) -> [Int] { t.reshaped(-1).to(.int64).contiguous().scalars(as: Int64.self).map(Int.init) }
    return ctcLoss(logProbs, targets: targets, inputLengths: ints(inputLengths), targetLengths: ints(targetLengths),
                   blank: blank, reduction: reduction, zeroInfinity: zeroInfinity)
}

/// The CTC loss as a callable (`nn.CTCLoss`); see
/// ``ctcLoss(_:targets:inputLengths:targetLengths:blank:reduction:zeroInfinity:)``.
public struct CTCLoss: Sendable {
    /// The blank label.
    public var blank: Int
    /// How per-sample losses are combined.
    public var reduction: Reduction
    /// Whether infinite losses and their gradients become 0.
    public var zeroInfinity: Bool
    /// Creates the loss with PyTorch's defaults.
    public init(blank: Int = 0, reduction: Reduction = .mean, zeroInfinity: Bool = false) {
        self.blank = blank
        self.reduction = reduction
        self.zeroInfinity = zeroInfinity
    }
    /// The loss of `logProbs` `[T, N, C]` against `targets`.
    public func callAsFunction(_ logProbs: Tensor, _ targets: Tensor, inputLengths: Tensor, targetLengths: Tensor) -> Tensor {
        ctcLoss(logProbs, targets: targets, inputLengths: inputLengths, targetLengths: targetLengths, blank: blank,
                reduction: reduction, zeroInfinity: zeroInfinity)
    }
}
