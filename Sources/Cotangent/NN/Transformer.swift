// Multi-head attention and the Transformer layers (PyTorch's
// `nn.MultiheadAttention`, `nn.TransformerEncoderLayer`, ...), written as
// PyTorch's Python modules are: the same sub-modules, parameter names,
// initialisation order and masks, composed from `linear`, `bmm`/`baddbmm`,
// `softmax` and `scaledDotProductAttention`.

/// The output projection of ``MultiheadAttention``: a ``Linear`` that prints
/// under PyTorch's name for it (`NonDynamicallyQuantizableLinear`), so a
/// model's description matches PyTorch's line for line.
public final class NonDynamicallyQuantizableLinear: Linear {
    public override var typeName: String { "NonDynamicallyQuantizableLinear" }
}

/// Python's `repr` of a shape tuple: `(4, 5)`, `(3,)`.
private func tupleText(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

/// Python's `repr` of a `torch.Size`: `torch.Size([4, 5])`.
private func sizeText(_ shape: [Int]) -> String { "torch.Size(\(shapeText(shape)))" }

/// PyTorch's `F._canonical_mask`: a Boolean mask (`true` = blocked) becomes an
/// additive one, `-inf` where blocked and 0 elsewhere, in `dtype`.
private func canonicalMask(_ mask: Tensor?, name: String, dtype: DType) -> Tensor? {
    guard let mask else { return nil }
    check(mask.dtype == .bool || mask.dtype.isFloatingPoint, "MultiheadAttention",
          "only bool and floating types of \(name) are supported")
    if mask.dtype.isFloatingPoint { return mask }
    return withNoGrad { Tensor.zeros(mask.shape, dtype: dtype).maskedFilled(mask, with: -.infinity) }
}

/// Attention over several heads at once, `MultiHead(Q, K, V) = Concat(head₁, …, headₕ) Wᴼ`
/// with `headᵢ = Attention(Q Wᵢ^Q, K Wᵢ^K, V Wᵢ^V)` (PyTorch's `nn.MultiheadAttention`).
///
/// Parameters and their names are PyTorch's: when key and value have the
/// query's size, one packed `in_proj_weight` `[3·embedDim, embedDim]` (the query,
/// key and value projections stacked), otherwise `q_proj_weight`,
/// `k_proj_weight`, `v_proj_weight`; `in_proj_bias` `[3·embedDim]`; `bias_k`,
/// `bias_v` with `addBiasKV`; and `out_proj`, a
/// ``NonDynamicallyQuantizableLinear``. Initialisation follows PyTorch's order
/// from the generator: `out_proj` is built as a ``Linear`` (kaiming-uniform weight,
/// uniform bias), then the input projections get `xavierUniform`, both biases
/// are set to 0 and `bias_k`, `bias_v` get `xavierNormal`, so after the same
/// seed the weights equal PyTorch's bit for bit.
///
/// Masks follow the module's convention, which is the opposite of
/// ``scaledDotProductAttention(query:key:value:attnMask:dropoutP:isCausal:scale:generator:)``'s:
/// a Boolean `attnMask` or `keyPaddingMask` is `true` where attention is
/// **blocked**; a floating mask is added to the scores.
///
/// ```swift
/// let mha = MultiheadAttention(embedDim: 64, numHeads: 8, batchFirst: true)
/// let (out, weights) = mha(x, key: x, value: x)      // x: [batch, tokens, 64]
/// ```
///
/// Call it with ``callAsFunction(_:key:value:keyPaddingMask:needWeights:attnMask:averageAttnWeights:isCausal:)``;
/// `mha(x)` is self-attention without weights (the ``Module`` call, with hooks).
public final class MultiheadAttention: Module {
    /// The model's size (the query's last dimension).
    public let embedDim: Int
    /// The key's last dimension.
    public let kdim: Int
    /// The value's last dimension.
    public let vdim: Int
    /// The number of heads.
    public let numHeads: Int
    /// `embedDim / numHeads`.
    public let headDim: Int
    /// The dropout probability on the attention weights (training only).
    public let dropout: Double
    /// Whether inputs are `[batch, sequence, feature]` rather than `[sequence, batch, feature]`.
    public let batchFirst: Bool
    /// Whether a zero key and value are appended to each sequence.
    public let addZeroAttn: Bool
    /// The packed query, key and value projections, `[3·embedDim, embedDim]`, when `kdim == vdim == embedDim`.
    @Parameter(name: "in_proj_weight") public var inProjWeight: Tensor?
    /// The query projection, `[embedDim, embedDim]`, when `kdim` or `vdim` differ.
    @Parameter(name: "q_proj_weight") public var qProjWeight: Tensor?
    /// The key projection, `[embedDim, kdim]`, when `kdim` or `vdim` differ.
    @Parameter(name: "k_proj_weight") public var kProjWeight: Tensor?
    /// The value projection, `[embedDim, vdim]`, when `kdim` or `vdim` differ.
    @Parameter(name: "v_proj_weight") public var vProjWeight: Tensor?
    /// The packed projection biases, `[3·embedDim]`, or nil without bias.
    @Parameter(name: "in_proj_bias") public var inProjBias: Tensor?
    /// The bias appended to the keys, `[1, 1, embedDim]`, with `addBiasKV`.
    @Parameter(name: "bias_k") public var biasK: Tensor?
    /// The bias appended to the values, `[1, 1, embedDim]`, with `addBiasKV`.
    @Parameter(name: "bias_v") public var biasV: Tensor?
    /// The output projection (`out_proj`).
    public let outProj: NonDynamicallyQuantizableLinear
    public var isTraining = true
    private let generator: Generator

    /// Creates the layer with PyTorch's defaults and initialisation.
    ///
    /// - Parameters:
    ///   - embedDim: The model's size; must be divisible by `numHeads`.
    ///   - numHeads: The number of parallel heads.
    ///   - dropout: Dropout on the attention weights (default 0).
    ///   - bias: Whether the projections have biases (default `true`).
    ///   - addBiasKV: Whether to append learnt biases to the keys and values.
    ///   - addZeroAttn: Whether to append a zero key and value.
    ///   - kdim: The key's size (default `embedDim`).
    ///   - vdim: The value's size (default `embedDim`).
    ///   - batchFirst: Whether inputs are `[batch, sequence, feature]` (default `false`).
    ///   - dtype: The parameters' dtype.
    ///   - generator: The generator the initial values (and dropout) draw from.
    public init(embedDim: Int, numHeads: Int, dropout: Double = 0, bias: Bool = true, addBiasKV: Bool = false,
                addZeroAttn: Bool = false, kdim: Int? = nil, vdim: Int? = nil, batchFirst: Bool = false,
                dtype: DType = .defaultFloat, generator: Generator = .default) {
        check(embedDim > 0 && numHeads > 0, "MultiheadAttention",
              "embed_dim and num_heads must be greater than 0, got embed_dim=\(embedDim) and num_heads=\(numHeads) instead")
        check(embedDim % numHeads == 0, "MultiheadAttention", "embed_dim must be divisible by num_heads")
        self.embedDim = embedDim
        self.kdim = kdim ?? embedDim
        self.vdim = vdim ?? embedDim
        self.numHeads = numHeads
        self.headDim = embedDim / numHeads
        self.dropout = dropout
        self.batchFirst = batchFirst
        self.addZeroAttn = addZeroAttn
        self.generator = generator
        // Drawn before _reset_parameters, as in PyTorch's __init__ (the empty
        // projection tensors made before it there draw nothing).
        outProj = NonDynamicallyQuantizableLinear(embedDim, embedDim, bias: bias, dtype: dtype, generator: generator)
        let packed = self.kdim == embedDim && self.vdim == embedDim
        if packed {
            inProjWeight = Tensor.empty([3 * embedDim, embedDim], dtype: dtype)
        } else {
            qProjWeight = Tensor.empty([embedDim, embedDim], dtype: dtype)
            kProjWeight = Tensor.empty([embedDim, self.kdim], dtype: dtype)
            vProjWeight = Tensor.empty([embedDim, self.vdim], dtype: dtype)
        }
        inProjBias = bias ? Tensor.empty([3 * embedDim], dtype: dtype) : nil
        if addBiasKV {
            biasK = Tensor.empty([1, 1, embedDim], dtype: dtype)
            biasV = Tensor.empty([1, 1, embedDim], dtype: dtype)
        }
        // PyTorch's _reset_parameters.
        if let w = inProjWeight { Init.xavierUniform(w, generator: generator) }
        for w in [qProjWeight, kProjWeight, vProjWeight].compactMap({ $0 }) { Init.xavierUniform(w, generator: generator) }
        if let b = inProjBias {
            Init.zeros(b)
            if let outBias = outProj.bias { Init.zeros(outBias) }
        }
        if let b = biasK { Init.xavierNormal(b, generator: generator) }
        if let b = biasV { Init.xavierNormal(b, generator: generator) }
    }

    public func namedChildren() -> [(name: String, module: any Module)] { [("out_proj", outProj)] }

    /// Self-attention without weights: `self(x, key: x, value: x, needWeights: false).output`.
    public func forward(_ input: Tensor) -> Tensor { self(input, key: input, value: input, needWeights: false).output }

    /// Attends from `query` to `key`/`value` (PyTorch's `MultiheadAttention.forward`).
    ///
    /// - Parameters:
    ///   - query: `[L, N, embedDim]` (`[N, L, embedDim]` with `batchFirst`), or `[L, embedDim]` unbatched.
    ///   - key: `[S, N, kdim]` (or batch first, or `[S, kdim]`).
    ///   - value: `[S, N, vdim]` (or batch first, or `[S, vdim]`).
    ///   - keyPaddingMask: `[N, S]` (`[S]` unbatched): `true` (or `-inf`) marks keys to ignore.
    ///   - needWeights: Whether to return the attention weights (default `true`,
    ///     as PyTorch; `false` takes the ``scaledDotProductAttention(query:key:value:attnMask:dropoutP:isCausal:scale:generator:)`` path).
    ///   - attnMask: `[L, S]` or `[N·numHeads, L, S]`: `true` blocks, a float is added.
    ///   - averageAttnWeights: Whether to average the weights over heads (default `true`).
    ///   - isCausal: A hint that `attnMask` is the causal mask (it must be given).
    /// - Returns: The output `[L, N, embedDim]` (batch first with `batchFirst`), and
    ///   with `needWeights` the weights `[N, L, S]` (`[N, numHeads, L, S]` without averaging).
    public func callAsFunction(_ query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: Tensor? = nil,
                               needWeights: Bool = true, attnMask: Tensor? = nil, averageAttnWeights: Bool = true,
                               isCausal: Bool = false) -> (output: Tensor, weights: Tensor?) {
        let isBatched = query.rank == 3
        let paddingMask = canonicalMask(keyPaddingMask, name: "key_padding_mask", dtype: query.dtype)
        let mask = canonicalMask(attnMask, name: "attn_mask", dtype: query.dtype)
        var (q, k, v) = (query, key, value)
        if batchFirst && isBatched {
            // Transposed once per distinct tensor, so self-attention stays one packed projection.
            if key === value {
                if query === key {
                    q = query.transposed(1, 0); k = q; v = q
                } else {
                    q = query.transposed(1, 0); k = key.transposed(1, 0); v = k
                }
            } else {
                q = query.transposed(1, 0); k = key.transposed(1, 0); v = value.transposed(1, 0)
            }
        }
        let (output, weights) = attend(q, k, v, keyPaddingMask: paddingMask, needWeights: needWeights,
                                       attnMask: mask, averageAttnWeights: averageAttnWeights, isCausal: isCausal)
        if batchFirst && isBatched { return (output.transposed(1, 0), weights) }
        return (output, weights)
    }

    /// PyTorch's `F.multi_head_attention_forward`, on sequence-first inputs.
    private func attend(_ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor?, needWeights: Bool,
                        attnMask: Tensor?, averageAttnWeights: Bool, isCausal: Bool) -> (Tensor, Tensor?) {
        let name = "MultiheadAttention"
        let isBatched = shapeCheck(query, key, value, keyPaddingMask: keyPaddingMask, attnMask: attnMask)
        var (query, key, value) = (query, key, value)
        var keyPaddingMask = keyPaddingMask
        if !isBatched {
            query = query.unsqueezed(1); key = key.unsqueezed(1); value = value.unsqueezed(1)
            keyPaddingMask = keyPaddingMask?.unsqueezed(0)
        }
        let (tgtLen, bsz, embed) = (query.shape[0], query.shape[1], query.shape[2])
        var isCausal = isCausal
        var attnMask = attnMask
        if isCausal && attnMask == nil {
            fail(name, "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method `generate_square_subsequent_mask` to create this mask.")
        }
        if isCausal && keyPaddingMask == nil && !needWeights {
            attnMask = nil   // the hint goes to scaledDotProductAttention as isCausal
        } else if keyPaddingMask != nil {
            isCausal = false
        }
        check(embed == embedDim, name, "was expecting embedding dimension of \(embedDim), but got \(embed)")
        let separate = inProjWeight == nil
        if separate {
            check(Array(key.shape.prefix(2)) == Array(value.shape.prefix(2)), name,
                  "key's sequence and batch dims \(sizeText(Array(key.shape.prefix(2)))) do not match value's \(sizeText(Array(value.shape.prefix(2))))")
        } else {
            check(key.shape == value.shape, name, "key shape \(sizeText(key.shape)) does not match value shape \(sizeText(value.shape))")
        }

        var (q, k, v) = separate ? separateProjection(query, key, value) : packedProjection(query, key, value)

        if var mask = attnMask {
            let srcLen = key.shape[0]
            if mask.rank == 2 {
                check(mask.shape == [tgtLen, srcLen], name,
                      "The shape of the 2D attn_mask is \(sizeText(mask.shape)), but should be \(tupleText([tgtLen, srcLen])).")
                mask = mask.unsqueezed(0)
            } else if mask.rank == 3 {
                check(mask.shape == [bsz * numHeads, tgtLen, srcLen], name,
                      "The shape of the 3D attn_mask is \(sizeText(mask.shape)), but should be \(tupleText([bsz * numHeads, tgtLen, srcLen])).")
            } else {
                fail(name, "attn_mask's dimension \(mask.rank) is not supported")
            }
            attnMask = mask
        }
        if let biasK, let biasV {
            k = Tensor.cat([k, biasK.repeated(1, bsz, 1)])
            v = Tensor.cat([v, biasV.repeated(1, bsz, 1)])
            attnMask = attnMask?.padded([0, 1])
            keyPaddingMask = keyPaddingMask?.padded([0, 1])
        }
        q = q.reshaped(tgtLen, bsz * numHeads, headDim).transposed(0, 1)
        k = k.reshaped(k.shape[0], bsz * numHeads, headDim).transposed(0, 1)
        v = v.reshaped(v.shape[0], bsz * numHeads, headDim).transposed(0, 1)
        if addZeroAttn {
            let zeros = Tensor.zeros([bsz * numHeads, 1, headDim], dtype: k.dtype)
            k = Tensor.cat([k, zeros], dim: 1)
            v = Tensor.cat([v, zeros], dim: 1)
            attnMask = attnMask?.padded([0, 1])
            keyPaddingMask = keyPaddingMask?.padded([0, 1])
        }
        let srcLen = k.shape[1]
        if let padding = keyPaddingMask {
            check(padding.shape[0] == bsz, name, "Expected key_padded_mask.shape[0] to be \(bsz), but got \(padding.shape[0])")
            check(padding.rank > 1 && padding.shape[1] == srcLen, name,
                  "Expected key_padded_mask.shape[1] to be \(srcLen), but got \(padding.rank > 1 ? padding.shape[1] : 0)")
            let expanded = padding.reshaped(bsz, 1, 1, srcLen).expanded(to: [bsz, numHeads, 1, srcLen])
                .reshaped(bsz * numHeads, 1, srcLen)
            attnMask = attnMask.map { $0 + expanded } ?? expanded
        }
        let dropoutP = isTraining ? dropout : 0

        if needWeights {
            let qScaled = q * (1.0 / Double(headDim)).squareRoot()
            var weights = attnMask.map { Tensor.baddbmm($0, qScaled, k.transposed(-2, -1)) }
                ?? qScaled.bmm(k.transposed(-2, -1))
            weights = weights.softmax(dim: -1)
            if dropoutP > 0 { weights = Cotangent.dropout(weights, p: dropoutP, generator: generator) }
            var output = weights.bmm(v).transposed(0, 1).reshaped(tgtLen * bsz, embed)
            output = linear(output, weight: outProj.weight, bias: outProj.bias).reshaped(tgtLen, bsz, embed)
            weights = weights.reshaped(bsz, numHeads, tgtLen, srcLen)
            if averageAttnWeights { weights = weights.mean(dim: 1) }
            if !isBatched { return (output.squeezed(1), weights.squeezed(0)) }
            return (output, weights)
        }
        if let mask = attnMask {
            attnMask = mask.shape[0] == 1 && mask.rank == 3 ? mask.unsqueezed(0) : mask.reshaped(bsz, numHeads, -1, srcLen)
        }
        q = q.reshaped(bsz, numHeads, tgtLen, headDim)
        k = k.reshaped(bsz, numHeads, srcLen, headDim)
        v = v.reshaped(bsz, numHeads, srcLen, headDim)
        let attended = scaledDotProductAttention(query: q, key: k, value: v, attnMask: attnMask, dropoutP: dropoutP,
                                                 isCausal: isCausal, generator: generator)
        var output = attended.permuted(2, 0, 1, 3).reshaped(bsz * tgtLen, embed)
        output = linear(output, weight: outProj.weight, bias: outProj.bias).reshaped(tgtLen, bsz, embed)
        return (isBatched ? output : output.squeezed(1), nil)
    }

    /// PyTorch's `_mha_shape_check`: whether the input is batched.
    private func shapeCheck(_ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor?, attnMask: Tensor?) -> Bool {
        let name = "MultiheadAttention"
        if query.rank == 3 {
            check(key.rank == 3 && value.rank == 3, name,
                  "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found \(key.rank)-D and \(value.rank)-D tensors respectively")
            if let m = keyPaddingMask {
                check(m.rank == 2, name, "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but found \(m.rank)-D tensor instead")
            }
            if let m = attnMask {
                check(m.rank == 2 || m.rank == 3, name, "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found \(m.rank)-D tensor instead")
            }
            return true
        }
        check(query.rank == 2, name, "query should be unbatched 2D or batched 3D tensor but received \(query.rank)-D query tensor")
        check(key.rank == 2 && value.rank == 2, name,
              "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found \(key.rank)-D and \(value.rank)-D tensors respectively")
        if let m = keyPaddingMask {
            check(m.rank == 1, name, "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but found \(m.rank)-D tensor instead")
        }
        if let m = attnMask {
            check(m.rank == 2 || m.rank == 3, name, "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found \(m.rank)-D tensor instead")
            if m.rank == 3 {
                let expected = [numHeads, query.shape[0], key.shape[0]]
                check(m.shape == expected, name, "Expected `attn_mask` shape to be \(tupleText(expected)) but got \(sizeText(m.shape))")
            }
        }
        return false
    }

    /// PyTorch's `_in_projection_packed`: one product for self-attention, two when key is value.
    private func packedProjection(_ q: Tensor, _ k: Tensor, _ v: Tensor) -> (Tensor, Tensor, Tensor) {
        let w = inProjWeight!, b = inProjBias, e = embedDim
        /// `[..., n·E]` → n tensors `[..., E]`, as PyTorch unflattens and transposes.
        func unpacked(_ projection: Tensor, _ n: Int) -> Tensor {
            projection.unflattened(dim: -1, sizes: [n, e]).unsqueezed(0).transposed(0, -2).squeezed(-2).contiguous()
        }
        if k === v {
            if q === k {
                let projection = unpacked(linear(q, weight: w, bias: b), 3)
                return (projection[0], projection[1], projection[2])
            }
            let ws = w.split(sizes: [e, 2 * e]), bs = b?.split(sizes: [e, 2 * e])
            let kv = unpacked(linear(k, weight: ws[1], bias: bs?[1]), 2)
            return (linear(q, weight: ws[0], bias: bs?[0]), kv[0], kv[1])
        }
        let ws = w.chunked(3), bs = b?.chunked(3)
        return (linear(q, weight: ws[0], bias: bs?[0]), linear(k, weight: ws[1], bias: bs?[1]),
                linear(v, weight: ws[2], bias: bs?[2]))
    }

    /// PyTorch's `_in_projection`, for key and value sizes that differ from the query's.
    private func separateProjection(_ q: Tensor, _ k: Tensor, _ v: Tensor) -> (Tensor, Tensor, Tensor) {
        let name = "MultiheadAttention"
        let (wq, wk, wv) = (qProjWeight!, kProjWeight!, vProjWeight!)
        let (eq, ek, ev) = (q.shape[q.rank - 1], k.shape[k.rank - 1], v.shape[v.rank - 1])
        check(wq.shape == [eq, eq], name, "expecting query weights shape of \(tupleText([eq, eq])), but got \(sizeText(wq.shape))")
        check(wk.shape == [eq, ek], name, "expecting key weights shape of \(tupleText([eq, ek])), but got \(sizeText(wk.shape))")
        check(wv.shape == [eq, ev], name, "expecting value weights shape of \(tupleText([eq, ev])), but got \(sizeText(wv.shape))")
        let bs = inProjBias?.chunked(3)
        return (linear(q, weight: wq, bias: bs?[0]), linear(k, weight: wk, bias: bs?[1]), linear(v, weight: wv, bias: bs?[2]))
    }
}

/// The activation between a Transformer layer's two linear layers.
public enum TransformerActivation {
    /// `relu` (PyTorch's default).
    case relu
    /// `gelu`, exact.
    case gelu
    /// Any function of a tensor.
    case custom((Tensor) -> Tensor)

    func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: x.relu()
        case .gelu: Cotangent.gelu(x)
        case .custom(let f): f(x)
        }
    }
}

/// Stops when a layer's state cannot be copied value for value (a programmer error here).
private func copyParameters(from source: any Module, to target: any Module) {
    let (s, t) = (source.parameters(), target.parameters())
    precondition(s.count == t.count && zip(s, t).allSatisfy { $0.shape == $1.shape }, "layer copies disagree")
    withNoGrad { for (from, to) in zip(s, t) { to.copy(from: from) } }
    target.train(source.isTraining)
}

/// PyTorch's `_detect_is_causal_mask`: the hint, or (when absent) whether the mask is the causal mask.
private func detectIsCausal(_ mask: Tensor?, _ isCausal: Bool?, size: Int?) -> Bool {
    if let isCausal { return isCausal }
    guard let mask, mask.rank >= 2 else { return false }
    let n = size ?? mask.shape[mask.rank - 2]
    // PyTorch builds the comparison in the mask's dtype: for a Boolean mask, true above the diagonal.
    let causal = mask.dtype == .bool ? Tensor.ones([n, n], dtype: .bool).triu(diagonal: 1)
        : Transformer.generateSquareSubsequentMask(n, dtype: mask.dtype)
    guard mask.shape == causal.shape else { return false }
    return withNoGrad { (mask .== causal).all().item() != 0 }
}

/// PyTorch's `_get_seq_len`: the sequence length of a layer input.
private func sequenceLength(_ x: Tensor, batchFirst: Bool) -> Int {
    x.rank == 2 ? x.shape[0] : x.shape[batchFirst ? 1 : 0]
}

/// One encoder layer, self-attention then a feed-forward block, each with a
/// residual connection and layer norm (PyTorch's `nn.TransformerEncoderLayer`).
///
/// With `normFirst: false` (the default, "post-norm"):
/// `x = norm1(x + selfAttn(x))`, `x = norm2(x + ff(x))`; with `normFirst: true`:
/// `x = x + selfAttn(norm1(x))`, `x = x + ff(norm2(x))`, where
/// `ff(x) = linear2(dropout(activation(linear1(x))))`. Sub-modules are named and
/// initialised in PyTorch's order (`self_attn`, `linear1`, `dropout`, `linear2`,
/// `norm1`, `norm2`, `dropout1`, `dropout2`), so the same seed gives the same weights.
public final class TransformerEncoderLayer: Module {
    /// Self-attention (`self_attn`).
    public let selfAttn: MultiheadAttention
    /// The feed-forward block's first layer, `dModel → dimFeedforward`.
    public let linear1: Linear
    /// Dropout inside the feed-forward block.
    public let dropout: Dropout
    /// The feed-forward block's second layer, `dimFeedforward → dModel`.
    public let linear2: Linear
    /// Whether layer norm comes before each block (pre-norm).
    public let normFirst: Bool
    /// The norm around self-attention.
    public let norm1: LayerNorm
    /// The norm around the feed-forward block.
    public let norm2: LayerNorm
    /// Dropout after self-attention.
    public let dropout1: Dropout
    /// Dropout after the feed-forward block.
    public let dropout2: Dropout
    /// The feed-forward activation.
    public let activation: TransformerActivation
    private let configuration: TransformerLayerConfiguration
    public var isTraining = true

    /// Creates the layer with PyTorch's defaults.
    ///
    /// - Parameters:
    ///   - dModel: The model's size.
    ///   - nhead: The number of attention heads.
    ///   - dimFeedforward: The feed-forward block's width (default 2048).
    ///   - dropout: The dropout probability everywhere (default 0.1).
    ///   - activation: `.relu` (default), `.gelu` or a function.
    ///   - layerNormEps: The norms' epsilon (default 1e-5).
    ///   - batchFirst: Whether inputs are `[batch, sequence, feature]` (default `false`).
    ///   - normFirst: Pre-norm rather than post-norm (default `false`).
    ///   - bias: Whether the linear layers and norms have biases (default `true`).
    ///   - dtype: The parameters' dtype.
    ///   - generator: The generator the initial values (and dropout in attention) draw from.
    public init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                activation: TransformerActivation = .relu, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true, dtype: DType = .defaultFloat, generator: Generator = .default) {
        let c = TransformerLayerConfiguration(dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward, dropout: dropout,
                                              layerNormEps: layerNormEps, batchFirst: batchFirst, bias: bias, dtype: dtype)
        selfAttn = c.attention(generator)
        (linear1, self.dropout, linear2) = c.feedForward(generator)
        self.normFirst = normFirst
        (norm1, norm2) = (c.norm(), c.norm())
        (dropout1, dropout2) = (Dropout(p: dropout), Dropout(p: dropout))
        self.activation = activation
        configuration = c
    }

    /// An independent copy with the same weights and mode (PyTorch's `copy.deepcopy`,
    /// which ``TransformerEncoder`` uses to stack layers); draws nothing from the default generator.
    public func copied() -> TransformerEncoderLayer {
        let c = configuration
        return copiedLayer(self, TransformerEncoderLayer(dModel: c.dModel, nhead: c.nhead, dimFeedforward: c.dimFeedforward,
            dropout: c.dropout, activation: activation, layerNormEps: c.layerNormEps, batchFirst: c.batchFirst,
            normFirst: normFirst, bias: c.bias, dtype: c.dtype, generator: Generator()))
    }

    public func namedChildren() -> [(name: String, module: any Module)] {
        [("self_attn", selfAttn), ("linear1", linear1), ("dropout", dropout), ("linear2", linear2),
         ("norm1", norm1), ("norm2", norm2), ("dropout1", dropout1), ("dropout2", dropout2)]
    }

    /// The layer without masks.
    public func forward(_ input: Tensor) -> Tensor { forward(input, srcMask: nil, srcKeyPaddingMask: nil, isCausal: false) }

    /// Runs the layer (PyTorch's `TransformerEncoderLayer.forward`).
    ///
    /// - Parameters:
    ///   - src: `[S, N, dModel]` (`[N, S, dModel]` with `batchFirst`) or `[S, dModel]`.
    ///   - srcMask: An attention mask `[S, S]` or `[N·nhead, S, S]`; `true` blocks.
    ///   - srcKeyPaddingMask: `[N, S]`; `true` marks padding.
    ///   - isCausal: A hint that `srcMask` is causal.
    /// - Returns: A tensor of `src`'s shape.
    public func forward(_ src: Tensor, srcMask: Tensor?, srcKeyPaddingMask: Tensor?, isCausal: Bool) -> Tensor {
        let padding = canonicalMask(srcKeyPaddingMask, name: "src_key_padding_mask", dtype: src.dtype)
        let mask = canonicalMask(srcMask, name: "src_mask", dtype: src.dtype)
        func selfAttention(_ x: Tensor) -> Tensor {
            dropout1(selfAttn(x, key: x, value: x, keyPaddingMask: padding, needWeights: false, attnMask: mask,
                              isCausal: isCausal).output)
        }
        func feedForward(_ x: Tensor) -> Tensor { dropout2(linear2(dropout(activation(linear1(x))))) }
        var x = src
        if normFirst {
            x = x + selfAttention(norm1(x))
            x = x + feedForward(norm2(x))
        } else {
            x = norm1(x + selfAttention(x))
            x = norm2(x + feedForward(x))
        }
        return x
    }

    /// Runs the layer with masks; see ``forward(_:srcMask:srcKeyPaddingMask:isCausal:)``.
    public func callAsFunction(_ src: Tensor, srcMask: Tensor? = nil, srcKeyPaddingMask: Tensor? = nil,
                               isCausal: Bool = false) -> Tensor {
        forward(src, srcMask: srcMask, srcKeyPaddingMask: srcKeyPaddingMask, isCausal: isCausal)
    }
}

/// One decoder layer: masked self-attention, attention over the encoder's
/// output (`memory`), then a feed-forward block, each with a residual
/// connection and layer norm (PyTorch's `nn.TransformerDecoderLayer`).
///
/// Sub-modules are PyTorch's, in its order: `self_attn`, `multihead_attn`,
/// `linear1`, `dropout`, `linear2`, `norm1`, `norm2`, `norm3`, `dropout1`,
/// `dropout2`, `dropout3`.
public final class TransformerDecoderLayer: Module {
    /// Self-attention over the target (`self_attn`).
    public let selfAttn: MultiheadAttention
    /// Attention from the target to the memory (`multihead_attn`).
    public let multiheadAttn: MultiheadAttention
    /// The feed-forward block's first layer.
    public let linear1: Linear
    /// Dropout inside the feed-forward block.
    public let dropout: Dropout
    /// The feed-forward block's second layer.
    public let linear2: Linear
    /// Whether layer norm comes before each block.
    public let normFirst: Bool
    /// The norms around self-attention, cross-attention and the feed-forward block.
    public let norm1: LayerNorm, norm2: LayerNorm, norm3: LayerNorm
    /// The dropouts after each block.
    public let dropout1: Dropout, dropout2: Dropout, dropout3: Dropout
    /// The feed-forward activation.
    public let activation: TransformerActivation
    private let configuration: TransformerLayerConfiguration
    public var isTraining = true

    /// Creates the layer with PyTorch's defaults; the parameters are those of
    /// ``TransformerEncoderLayer/init(dModel:nhead:dimFeedforward:dropout:activation:layerNormEps:batchFirst:normFirst:bias:dtype:generator:)``.
    public init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Double = 0.1,
                activation: TransformerActivation = .relu, layerNormEps: Double = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true, dtype: DType = .defaultFloat, generator: Generator = .default) {
        let c = TransformerLayerConfiguration(dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward, dropout: dropout,
                                              layerNormEps: layerNormEps, batchFirst: batchFirst, bias: bias, dtype: dtype)
        selfAttn = c.attention(generator)
        multiheadAttn = c.attention(generator)
        (linear1, self.dropout, linear2) = c.feedForward(generator)
        self.normFirst = normFirst
        (norm1, norm2, norm3) = (c.norm(), c.norm(), c.norm())
        (dropout1, dropout2, dropout3) = (Dropout(p: dropout), Dropout(p: dropout), Dropout(p: dropout))
        self.activation = activation
        configuration = c
    }

    /// An independent copy with the same weights and mode (PyTorch's `copy.deepcopy`).
    public func copied() -> TransformerDecoderLayer {
        let c = configuration
        return copiedLayer(self, TransformerDecoderLayer(dModel: c.dModel, nhead: c.nhead, dimFeedforward: c.dimFeedforward,
            dropout: c.dropout, activation: activation, layerNormEps: c.layerNormEps, batchFirst: c.batchFirst,
            normFirst: normFirst, bias: c.bias, dtype: c.dtype, generator: Generator()))
    }

    public func namedChildren() -> [(name: String, module: any Module)] {
        [("self_attn", selfAttn), ("multihead_attn", multiheadAttn), ("linear1", linear1), ("dropout", dropout),
         ("linear2", linear2), ("norm1", norm1), ("norm2", norm2), ("norm3", norm3),
         ("dropout1", dropout1), ("dropout2", dropout2), ("dropout3", dropout3)]
    }

    /// Stops: a decoder layer needs the memory too (PyTorch raises a `TypeError`).
    public func forward(_ input: Tensor) -> Tensor {
        fail("TransformerDecoderLayer", "forward() missing 1 required positional argument: 'memory'")
    }

    /// Runs the layer (PyTorch's `TransformerDecoderLayer.forward`).
    ///
    /// - Parameters:
    ///   - tgt: `[T, N, dModel]` (`[N, T, dModel]` with `batchFirst`).
    ///   - memory: The encoder's output, `[S, N, dModel]`.
    ///   - tgtMask: `[T, T]`, e.g. ``Transformer/generateSquareSubsequentMask(_:dtype:)``.
    ///   - memoryMask: `[T, S]`.
    ///   - tgtKeyPaddingMask: `[N, T]`; `true` marks padding.
    ///   - memoryKeyPaddingMask: `[N, S]`.
    ///   - tgtIsCausal: A hint that `tgtMask` is causal.
    ///   - memoryIsCausal: A hint that `memoryMask` is causal.
    /// - Returns: A tensor of `tgt`'s shape.
    public func callAsFunction(_ tgt: Tensor, memory: Tensor, tgtMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               tgtIsCausal: Bool = false, memoryIsCausal: Bool = false) -> Tensor {
        func selfAttention(_ x: Tensor) -> Tensor {
            dropout1(selfAttn(x, key: x, value: x, keyPaddingMask: tgtKeyPaddingMask, needWeights: false,
                              attnMask: tgtMask, isCausal: tgtIsCausal).output)
        }
        func crossAttention(_ x: Tensor) -> Tensor {
            dropout2(multiheadAttn(x, key: memory, value: memory, keyPaddingMask: memoryKeyPaddingMask, needWeights: false,
                                   attnMask: memoryMask, isCausal: memoryIsCausal).output)
        }
        func feedForward(_ x: Tensor) -> Tensor { dropout3(linear2(dropout(activation(linear1(x))))) }
        var x = tgt
        if normFirst {
            x = x + selfAttention(norm1(x))
            x = x + crossAttention(norm2(x))
            x = x + feedForward(norm3(x))
        } else {
            x = norm1(x + selfAttention(x))
            x = norm2(x + crossAttention(x))
            x = norm3(x + feedForward(x))
        }
        return x
    }
}

/// The sizes and options of an encoder or decoder layer, kept to copy it, and
/// its sub-modules built from them (drawing from `generator` in PyTorch's order).
struct TransformerLayerConfiguration {
    let dModel: Int, nhead: Int, dimFeedforward: Int, dropout: Double, layerNormEps: Double
    let batchFirst: Bool, bias: Bool, dtype: DType

    func attention(_ generator: Generator) -> MultiheadAttention {
        MultiheadAttention(embedDim: dModel, numHeads: nhead, dropout: dropout, bias: bias, batchFirst: batchFirst,
                           dtype: dtype, generator: generator)
    }

    /// `linear1`, the dropout between, `linear2`.
    func feedForward(_ generator: Generator) -> (Linear, Dropout, Linear) {
        let linear1 = Linear(dModel, dimFeedforward, bias: bias, dtype: dtype, generator: generator)
        return (linear1, Dropout(p: dropout), Linear(dimFeedforward, dModel, bias: bias, dtype: dtype, generator: generator))
    }

    func norm() -> LayerNorm { LayerNorm(dModel, eps: layerNormEps, bias: bias, dtype: dtype) }
}

/// `fresh` (built with a throwaway generator) given `layer`'s weights and mode.
private func copiedLayer<Layer: Module>(_ layer: Layer, _ fresh: Layer) -> Layer {
    copyParameters(from: layer, to: fresh)
    return fresh
}

/// Copies of one layer and an optional final norm: what ``TransformerEncoder``
/// and ``TransformerDecoder`` hold, and their sub-modules (`layers`, `norm`).
public class TransformerStack<Layer: Module> {
    /// The layers, as PyTorch's `ModuleList`.
    public let layerList: ModuleList
    /// The final norm, or nil.
    public let norm: LayerNorm?
    public var isTraining = true

    /// The layers, typed.
    public var layers: [Layer] { layerList.elements.map { $0 as! Layer } }

    init(copies: [Layer], norm: LayerNorm?) {
        layerList = ModuleList(copies)
        self.norm = norm
    }

    public func namedChildren() -> [(name: String, module: any Module)] {
        [("layers", layerList as any Module)] + (norm.map { [("norm", $0 as any Module)] } ?? [])
    }
}

/// A stack of `numLayers` copies of one encoder layer and an optional final
/// norm (PyTorch's `nn.TransformerEncoder`).
///
/// As in PyTorch the layer given is deep-copied `numLayers` times (it is not
/// itself part of the stack), so every layer starts with the same weights.
/// Its sub-modules are `layers` (a ``ModuleList``: `layers.0.self_attn.in_proj_weight`, …) and `norm`.
public final class TransformerEncoder: TransformerStack<TransformerEncoderLayer>, Module {
    /// Creates the stack.
    ///
    /// - Parameters:
    ///   - encoderLayer: The layer to copy.
    ///   - numLayers: The number of copies.
    ///   - norm: A final norm, or nil (default).
    public init(_ encoderLayer: TransformerEncoderLayer, numLayers: Int, norm: LayerNorm? = nil) {
        super.init(copies: (0..<numLayers).map { _ in encoderLayer.copied() }, norm: norm)
    }

    /// The stack without masks.
    public func forward(_ input: Tensor) -> Tensor { self(input, mask: nil) }

    /// Runs each layer in turn, then the norm (PyTorch's `TransformerEncoder.forward`).
    ///
    /// - Parameters:
    ///   - src: `[S, N, dModel]` (`[N, S, dModel]` with `batchFirst`).
    ///   - mask: An attention mask `[S, S]`; `true` blocks.
    ///   - srcKeyPaddingMask: `[N, S]`; `true` marks padding.
    ///   - isCausal: Whether `mask` is causal; nil detects it by comparing with the causal mask.
    /// - Returns: A tensor of `src`'s shape.
    public func callAsFunction(_ src: Tensor, mask: Tensor? = nil, srcKeyPaddingMask: Tensor? = nil,
                               isCausal: Bool? = nil) -> Tensor {
        let padding = canonicalMask(srcKeyPaddingMask, name: "src_key_padding_mask", dtype: src.dtype)
        let mask = canonicalMask(mask, name: "mask", dtype: src.dtype)
        let layers = self.layers
        let batchFirst = layers.first?.selfAttn.batchFirst ?? false
        let causal = detectIsCausal(mask, isCausal, size: sequenceLength(src, batchFirst: batchFirst))
        var output = src
        for layer in layers {
            output = layer(output, srcMask: mask, srcKeyPaddingMask: padding, isCausal: causal)
        }
        if let norm { output = norm(output) }
        return output
    }
}

/// A stack of `numLayers` copies of one decoder layer and an optional final
/// norm (PyTorch's `nn.TransformerDecoder`); the layer is deep-copied as in
/// ``TransformerEncoder``.
public final class TransformerDecoder: TransformerStack<TransformerDecoderLayer>, Module {
    /// Creates the stack; see ``TransformerEncoder/init(_:numLayers:norm:)``.
    public init(_ decoderLayer: TransformerDecoderLayer, numLayers: Int, norm: LayerNorm? = nil) {
        super.init(copies: (0..<numLayers).map { _ in decoderLayer.copied() }, norm: norm)
    }

    /// Stops: a decoder needs the memory too (PyTorch raises a `TypeError`).
    public func forward(_ input: Tensor) -> Tensor {
        fail("TransformerDecoder", "forward() missing 1 required positional argument: 'memory'")
    }

    /// Runs each layer in turn, then the norm (PyTorch's `TransformerDecoder.forward`);
    /// the arguments are ``TransformerDecoderLayer``'s, with `tgtIsCausal: nil`
    /// detecting a causal `tgtMask`.
    public func callAsFunction(_ tgt: Tensor, memory: Tensor, tgtMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               tgtIsCausal: Bool? = nil, memoryIsCausal: Bool = false) -> Tensor {
        let layers = self.layers
        let batchFirst = layers.first?.selfAttn.batchFirst ?? false
        let causal = detectIsCausal(tgtMask, tgtIsCausal, size: sequenceLength(tgt, batchFirst: batchFirst))
        var output = tgt
        for layer in layers {
            output = layer(output, memory: memory, tgtMask: tgtMask, memoryMask: memoryMask,
                           tgtKeyPaddingMask: tgtKeyPaddingMask, memoryKeyPaddingMask: memoryKeyPaddingMask,
                           tgtIsCausal: causal, memoryIsCausal: memoryIsCausal)
        }
        if let norm { output = norm(output) }
        return output
    }
}

/// The encoder-decoder Transformer of "Attention Is All You Need" (PyTorch's `nn.Transformer`).
///
/// Built as PyTorch builds it: an encoder of `numEncoderLayers` copies of a
/// ``TransformerEncoderLayer`` with a final ``LayerNorm``, a decoder likewise,
/// then every parameter with more than one dimension re-drawn with
/// `xavierUniform` in ``Module/parameters()`` order, so the same seed gives
/// PyTorch's weights. Sub-modules: `encoder` (`encoder.layers.0...`, `encoder.norm`)
/// and `decoder`.
///
/// ```swift
/// let model = Transformer(dModel: 32, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2,
///                         dimFeedforward: 64, batchFirst: true)
/// let mask = Transformer.generateSquareSubsequentMask(tgt.shape[1])
/// let out = model(src, tgt, tgtMask: mask)           // [batch, T, 32]
/// ```
public final class Transformer: Module {
    /// The encoder stack.
    public let encoder: TransformerEncoder
    /// The decoder stack.
    public let decoder: TransformerDecoder
    /// The model's size.
    public let dModel: Int
    /// The number of heads.
    public let nhead: Int
    /// Whether inputs are `[batch, sequence, feature]`.
    public let batchFirst: Bool
    public var isTraining = true

    /// Creates the model with PyTorch's defaults (`dModel` 512, 8 heads, 6 + 6
    /// layers, feed-forward 2048, dropout 0.1); the parameters are those of
    /// ``TransformerEncoderLayer/init(dModel:nhead:dimFeedforward:dropout:activation:layerNormEps:batchFirst:normFirst:bias:dtype:generator:)``.
    public init(dModel: Int = 512, nhead: Int = 8, numEncoderLayers: Int = 6, numDecoderLayers: Int = 6,
                dimFeedforward: Int = 2048, dropout: Double = 0.1, activation: TransformerActivation = .relu,
                layerNormEps: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true,
                dtype: DType = .defaultFloat, generator: Generator = .default) {
        let encoderLayer = TransformerEncoderLayer(dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward,
                                                   dropout: dropout, activation: activation, layerNormEps: layerNormEps,
                                                   batchFirst: batchFirst, normFirst: normFirst, bias: bias, dtype: dtype,
                                                   generator: generator)
        encoder = TransformerEncoder(encoderLayer, numLayers: numEncoderLayers,
                                     norm: LayerNorm(dModel, eps: layerNormEps, bias: bias, dtype: dtype))
        let decoderLayer = TransformerDecoderLayer(dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward,
                                                   dropout: dropout, activation: activation, layerNormEps: layerNormEps,
                                                   batchFirst: batchFirst, normFirst: normFirst, bias: bias, dtype: dtype,
                                                   generator: generator)
        decoder = TransformerDecoder(decoderLayer, numLayers: numDecoderLayers,
                                     norm: LayerNorm(dModel, eps: layerNormEps, bias: bias, dtype: dtype))
        self.dModel = dModel
        self.nhead = nhead
        self.batchFirst = batchFirst
        // PyTorch's Transformer._reset_parameters.
        for p in parameters() where p.rank > 1 { Init.xavierUniform(p, generator: generator) }
    }

    public func namedChildren() -> [(name: String, module: any Module)] { [("encoder", encoder), ("decoder", decoder)] }

    /// Stops: a Transformer needs a source and a target (PyTorch raises a `TypeError`).
    public func forward(_ input: Tensor) -> Tensor {
        fail("Transformer", "forward() missing 1 required positional argument: 'tgt'")
    }

    /// Encodes `src` and decodes `tgt` against it (PyTorch's `Transformer.forward`).
    ///
    /// - Parameters:
    ///   - src: `[S, N, dModel]` (`[N, S, dModel]` with `batchFirst`).
    ///   - tgt: `[T, N, dModel]` (`[N, T, dModel]` with `batchFirst`).
    ///   - srcMask, tgtMask, memoryMask: Attention masks `[S, S]`, `[T, T]`, `[T, S]`; `true` blocks.
    ///   - srcKeyPaddingMask, tgtKeyPaddingMask, memoryKeyPaddingMask: `[N, S]`, `[N, T]`, `[N, S]`.
    ///   - srcIsCausal, tgtIsCausal: Causal hints (nil detects them from the masks).
    ///   - memoryIsCausal: A hint that `memoryMask` is causal.
    /// - Returns: `[T, N, dModel]` (batch first with `batchFirst`).
    public func callAsFunction(_ src: Tensor, _ tgt: Tensor, srcMask: Tensor? = nil, tgtMask: Tensor? = nil,
                               memoryMask: Tensor? = nil, srcKeyPaddingMask: Tensor? = nil,
                               tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               srcIsCausal: Bool? = nil, tgtIsCausal: Bool? = nil, memoryIsCausal: Bool = false) -> Tensor {
        let isBatched = src.rank == 3
        if isBatched {
            let (a, b) = batchFirst ? (src.shape[0], tgt.shape[0]) : (src.shape[1], tgt.shape[1])
            check(a == b, "Transformer", "the batch number of src and tgt must be equal")
        }
        check(src.shape.last == dModel && tgt.shape.last == dModel, "Transformer",
              "the feature number of src and tgt must be equal to d_model")
        let memory = encoder(src, mask: srcMask, srcKeyPaddingMask: srcKeyPaddingMask, isCausal: srcIsCausal)
        return decoder(tgt, memory: memory, tgtMask: tgtMask, memoryMask: memoryMask, tgtKeyPaddingMask: tgtKeyPaddingMask,
                       memoryKeyPaddingMask: memoryKeyPaddingMask, tgtIsCausal: tgtIsCausal, memoryIsCausal: memoryIsCausal)
    }

    /// The causal mask for a sequence of `size`: `-inf` above the diagonal, 0 elsewhere
    /// (PyTorch's `Transformer.generate_square_subsequent_mask`).
    ///
    /// - Parameters:
    ///   - size: The sequence length.
    ///   - dtype: The mask's dtype (default `float32`).
    /// - Returns: `[size, size]`.
    public static func generateSquareSubsequentMask(_ size: Int, dtype: DType = .defaultFloat) -> Tensor {
        Tensor.full([size, size], -.infinity, dtype: dtype).triu(diagonal: 1)
    }
}
