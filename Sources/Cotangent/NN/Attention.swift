// Attention: `scaledDotProductAttention` (PyTorch's
// `F.scaled_dot_product_attention`) and the safe softmax its math path uses.
// `MultiheadAttention` and the Transformer layers are in `Transformer.swift`.

import CCotangentKernels

extension Tensor {
    /// Softmax along `dim` whose rows of only `-inf` give zeros rather than NaN
    /// (PyTorch's `torch._safe_softmax`, which its attention math path uses so a
    /// query that may attend to nothing gets a zero output).
    ///
    /// - Parameter dim: The dimension to normalise over.
    /// - Returns: A tensor of the input's shape, recorded as `SafeSoftmaxBackward0`
    ///   with softmax's backward rule (zero rows pass zero gradient).
    public func safeSoftmax(dim: Int) -> Tensor {
        let d = Shape.normalize(dim: dim, rank: rank, op: "_safe_softmax")
        check(dtype.isFloatingPoint, "_safe_softmax", "\"softmax_kernel_impl\" not implemented for '\(dtype.scalarTypeName)'")
        let source = self
        let result: Tensor = withNoGrad {
            let y = source.softmax(dim: d)
            let rows = (source .== -Double.infinity).all(dim: d, keepDim: true)
            return y.maskedFilled(rows, with: 0)
        }
        return Tensor.record("SafeSoftmaxBackward0", inputs: [self], result: result, savingResult: true) { grad, saved in
            let y = saved.result
            return [y * (grad - (grad * y).sum(dim: d, keepDim: true))]
        }
    }
}

/// Attention `softmax(Q Kᵀ · scale + mask) V` (PyTorch's
/// `torch.nn.functional.scaled_dot_product_attention`).
///
/// Shapes are PyTorch's: `query` is `[..., L, E]`, `key` `[..., S, E]` and
/// `value` `[..., S, Ev]`, with broadcastable leading (batch, head) dims; the
/// result is `[..., L, Ev]`.
///
/// The mask follows PyTorch's function (not ``MultiheadAttention``'s): a
/// Boolean mask is `true` where a query may attend, a floating mask is added to
/// the scores; either broadcasts to `[..., L, S]`. A query that may attend to no
/// key gets a zero row, as PyTorch's safe softmax gives.
///
/// **Which graph is recorded.** PyTorch on a CPU runs one of two paths and the
/// graph shows which: a fused kernel recorded as one node,
/// `ScaledDotProductFlashAttentionForCpuBackward0`, whenever the inputs are
/// 4-d with equal batch and head sizes, equal head dims, a unit last-dim
/// stride, no dropout and a mask that does not require grad; otherwise the "math" path composed from `mul`,
/// `matmul`, `add` and `_safe_softmax`. Cotangent records the same: the fused
/// node is one primitive whose forward and backward rule are written in tensor
/// ops (`dV = Pᵀ dO`, `dS = P ⊙ (dO Vᵀ − rowsum(dO ⊙ O))`, `dQ = s dS K`,
/// `dK = s dSᵀ Q`), so it can be differentiated again; the other cases are
/// composed as PyTorch composes them. Inputs that are all 3-d run as a batch
/// of one (`unsqueezed(0)`), so their graph ends in `SqueezeBackward1` either way.
///
/// Dropout draws its mask from `generator`, as ``dropout(_:p:training:generator:)``
/// does: PyTorch's masks on any CPU (PyTorch 2.7 and later).
///
/// - Parameters:
///   - query: `[..., L, E]`, floating point.
///   - key: `[..., S, E]`, the query's dtype.
///   - value: `[..., S, Ev]`, the query's dtype.
///   - attnMask: A Boolean (`true` = attend) or floating (added) mask
///     broadcastable to `[..., L, S]`, or nil.
///   - dropoutP: The probability of dropping an attention weight (default 0);
///     applied whenever it is positive, as PyTorch's function does.
///   - isCausal: Masks out keys after each query (the upper triangle of an
///     `L × S` mask, aligned to the top left); not with `attnMask`.
///   - scale: The factor for `Q Kᵀ` (default `1 / √E`).
///   - generator: The generator dropout draws from.
/// - Returns: `[..., L, Ev]`.
/// - Complexity: `O(L · S · (E + Ev))` per batch and head, in three products
///   (five more in the backward pass); `L · S` scores are held per head.
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, attnMask: Tensor? = nil,
                                      dropoutP: Double = 0, isCausal: Bool = false, scale: Double? = nil,
                                      generator: Generator = .default) -> Tensor {
    let op = "scaled_dot_product_attention"
    check(query.dtype == key.dtype && query.dtype == value.dtype, op,
          "Expected query, key, and value to have the same dtype, but got query.dtype: \(query.dtype.cTypeName) key.dtype: \(key.dtype.cTypeName) and value.dtype: \(value.dtype.cTypeName) instead.")
    check(query.rank >= 2 && key.rank >= 2 && value.rank >= 2, op,
          "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: \(query.rank) key.dim: \(key.rank) and value.dim: \(value.rank) instead.")
    if let attnMask {
        check(attnMask.dtype == .bool || attnMask.dtype == query.dtype, op,
              "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: \(attnMask.dtype.cTypeName) and  query.dtype: \(query.dtype.cTypeName) instead.")
    }
    check(!(isCausal && attnMask != nil), op, "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    check(query.dtype.isFloatingPoint, op, "expected scalar type Float but found \(query.dtype.scalarTypeName)")
    check(dropoutP >= 0 && dropoutP <= 1, op, "dropout probability has to be between 0 and 1, but got \(dropoutP)")
    let e = query.shape[query.rank - 1]
    // PyTorch's math path reports this from its bmm, over the flattened batch.
    let batch = query.shape.dropLast(2).reduce(1, *)
    check(key.shape[key.rank - 1] == e, op,
          "Expected size for first two dimensions of batch2 tensor to be: [\(batch), \(e)] but got: [\(batch), \(key.shape[key.rank - 1])].")
    let l = query.shape[query.rank - 2], s = key.shape[key.rank - 2]
    check(value.shape[value.rank - 2] == s, op,
          "Expected key and value to have the same sequence length, but got key: \(shapeText(key.shape)) and value: \(shapeText(value.shape))")
    let softmaxScale = scale ?? 1 / Double(e).squareRoot()
    // PyTorch runs 3-d inputs as one batch of heads, whichever path it then takes.
    if query.rank == 3 && key.rank == 3 && value.rank == 3 {
        return scaledDotProductAttention(query: query.unsqueezed(0), key: key.unsqueezed(0), value: value.unsqueezed(0),
                                         attnMask: attnMask, dropoutP: dropoutP, isCausal: isCausal,
                                         scale: softmaxScale, generator: generator).squeezed(0)
    }

    // The additive mask, in the query's dtype (PyTorch's convert_boolean_attn_mask).
    var mask: Tensor? = attnMask
    if isCausal {
        mask = withNoGrad { Tensor.ones([l, s], dtype: .bool).tril() }
    }
    if let m = mask, m.dtype == .bool {
        mask = withNoGrad { Tensor.zeros(m.shape, dtype: query.dtype).maskedFilled(!m, with: -.infinity) }
    }

    let sameBatch = query.rank == key.rank && query.rank == value.rank
        && query.shape.dropLast(2) == key.shape.dropLast(2) && key.shape.dropLast(2) == value.shape.dropLast(2)
    let fused = query.rank == 4 && sameBatch && dropoutP == 0
        && value.shape[value.rank - 1] == e && e > 0 && l > 0 && s > 0 && !(mask?.requiresGrad ?? false)
        && [query, key, value].allSatisfy { $0.strides[$0.rank - 1] == 1 || $0.shape[$0.rank - 1] == 1 }
    if fused { return fusedAttention(query, key, value, mask: mask, scale: softmaxScale) }

    // PyTorch's _scaled_dot_product_attention_math: √scale on each side of the product.
    let factor = Swift.abs(softmaxScale).squareRoot()
    let q = query * factor
    let k = key.transposed(-2, -1) * (softmaxScale < 0 ? -factor : factor)
    var scores = q.matmul(k)
    if let mask { scores = scores + mask }
    var weights = scores.safeSoftmax(dim: -1)
    if dropoutP > 0 { weights = dropout(weights, p: dropoutP, training: true, generator: generator) }
    return weights.matmul(value)
}

/// The attention probabilities `safe_softmax(Q Kᵀ · scale + mask)`, `[..., L, S]`.
private func attentionProbabilities(_ q: Tensor, _ k: Tensor, mask: Tensor?, scale: Double) -> Tensor {
    var scores = q.matmul(k.transposed(-2, -1)) * scale
    if let mask { scores = scores + mask }
    return scores.safeSoftmax(dim: -1)
}

/// `alpha · A @ B` (plus `beta · c`) for each (batch, head) of 4-d operands with
/// equal leading dims; `transposeA`/`transposeB` read an operand's last two dims
/// swapped, through its strides (no copy). Runs the products in parallel, one per thread.
private func batchedProduct(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                            alpha: Double = 1) -> Tensor {
    let (m, k) = transposeA ? (a.shape[3], a.shape[2]) : (a.shape[2], a.shape[3])
    let n = transposeB ? b.shape[2] : b.shape[3]
    let sa = transposeA ? (a.strides[3], a.strides[2]) : (a.strides[2], a.strides[3])
    let sb = transposeB ? (b.strides[3], b.strides[2]) : (b.strides[2], b.strides[3])
    let c = Tensor(uninitializedShape: [a.shape[0], a.shape[1], m, n], dtype: a.dtype)
    Tensor.gemmBatched(m: m, n: n, k: k, a, sa, b, sb, into: c, alpha: alpha)
    return c
}

/// The attention probabilities of the fused path, unrecorded: `safe_softmax(scale · Q Kᵀ + mask)`.
private func fusedProbabilities(_ q: Tensor, _ k: Tensor, mask: Tensor?, scale: Double) -> Tensor {
    var scores = batchedProduct(q, k, transposeB: true, alpha: scale)
    guard let mask else { return scores.softmax(dim: -1) }   // finite scores: no empty row
    if mask.shape == scores.shape { scores += mask } else { scores = scores + mask }
    let p = scores.softmax(dim: -1)
    // A row the mask blocks entirely is -inf throughout: zeros, as the safe softmax gives.
    let blocked = (mask .== -Double.infinity).all(dim: -1, keepDim: true)
    return blocked.any().item() != 0 ? p.maskedFilled(blocked, with: 0) : p
}

/// PyTorch's fused CPU attention as one node (`_scaled_dot_product_flash_attention_for_cpu`).
///
/// Forward and first-order backward run as batched products over the (batch, head)
/// grid; under `createGraph` the rule is the same computation in recorded tensor ops.
private func fusedAttention(_ query: Tensor, _ key: Tensor, _ value: Tensor, mask: Tensor?, scale: Double) -> Tensor {
    // Without a mask, float32/float64 run each head's whole forward (and backward) in C, in L2.
    let inC = mask == nil && (query.dtype == .float32 || query.dtype == .float64)
    let (probabilities, output): (Tensor, Tensor) = inC ? attentionForwardInC(query, key, value, scale: scale) : withNoGrad {
        let p = fusedProbabilities(query, key, mask: mask, scale: scale)
        return (p, batchedProduct(p, value))
    }
    return Tensor.record("ScaledDotProductFlashAttentionForCpuBackward0", inputs: [query, key, value], result: output,
                         saving: [query, key, value, probabilities], savingResult: true) { grad, saved in
        let q = saved[0], k = saved[1], v = saved[2]
        guard !GradMode.isEnabled else {
            // createGraph: recompute the probabilities in recorded ops so this rule can be differentiated.
            let p = attentionProbabilities(q, k, mask: mask, scale: scale)
            let o = p.matmul(v)
            let dS = p * (grad.matmul(v.transposed(-2, -1)) - (grad * o).sum(dim: -1, keepDim: true))
            return [dS.matmul(k) * scale, dS.transposed(-2, -1).matmul(q) * scale, p.transposed(-2, -1).matmul(grad)]
        }
        let p = saved[3]
        if inC { return attentionBackwardInC(q, k, v, p, saved.result.contiguous(), grad, scale: scale) }
        let dV = batchedProduct(p, grad, transposeA: true)
        // dS = P ⊙ (dO Vᵀ − rowsum(dO ⊙ O)), in place in the dO Vᵀ buffer.
        let dS = batchedProduct(grad, v, transposeB: true)
        dS -= (grad * saved.result).sum(dim: -1, keepDim: true)
        dS *= p
        return [batchedProduct(dS, k, alpha: scale), batchedProduct(dS, q, transposeA: true, alpha: scale), dV]
    }
}

/// A 4-d tensor's strides as the C attention kernels read them.
private func strides64(_ t: Tensor) -> [Int64] { t.strides.map(Int64.init) }

/// `(P, O)` of unmasked attention through `ct_attention_forward`: one head per thread, in L2.
private func attentionForwardInC(_ q: Tensor, _ k: Tensor, _ v: Tensor, scale: Double) -> (Tensor, Tensor) {
    let (b0, b1, l, e, s) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3], k.shape[2])
    let p = Tensor(uninitializedShape: [b0, b1, l, s], dtype: q.dtype)
    let o = Tensor(uninitializedShape: [b0, b1, l, e], dtype: q.dtype)
    withExtendedLifetime((q, k, v, p, o)) {
        ct_attention_forward(q.dtype.kernelCode, Int64(b0), Int64(b1), Int64(l), Int64(s), Int64(e), scale,
                             q.baseAddress, strides64(q), k.baseAddress, strides64(k), v.baseAddress, strides64(v),
                             p.baseAddress, o.baseAddress)
    }
    return (p, o)
}

/// `[dQ, dK, dV]` of unmasked attention through `ct_attention_backward`, from the saved `P` and `O`.
private func attentionBackwardInC(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ p: Tensor, _ o: Tensor, _ grad: Tensor,
                                  scale: Double) -> InputGradients {
    let (b0, b1, l, e, s) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3], k.shape[2])
    let dS = Tensor(uninitializedShape: [b0, b1, l, s], dtype: q.dtype)
    let dQ = Tensor(uninitializedShape: [b0, b1, l, e], dtype: q.dtype)
    let dK = Tensor(uninitializedShape: [b0, b1, s, e], dtype: q.dtype)
    let dV = Tensor(uninitializedShape: [b0, b1, s, e], dtype: q.dtype)
    withExtendedLifetime((q, k, v, p, o, grad, dS, dQ, dK, dV)) {
        ct_attention_backward(q.dtype.kernelCode, Int64(b0), Int64(b1), Int64(l), Int64(s), Int64(e), scale,
                              q.baseAddress, strides64(q), k.baseAddress, strides64(k), v.baseAddress, strides64(v),
                              p.baseAddress, o.baseAddress, grad.baseAddress, strides64(grad),
                              dS.baseAddress, dQ.baseAddress, dK.baseAddress, dV.baseAddress)
    }
    return [dQ, dK, dV]
}
