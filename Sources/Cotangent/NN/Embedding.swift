/// Looks up rows of `weight` by index (`torch.nn.functional.embedding`).
///
/// One primitive, recorded as PyTorch's `EmbeddingBackward0`: the weight's
/// gradient is the upstream gradient summed into the rows looked up (an
/// `indexAdd`, so it is differentiable again). Lookups of `paddingIdx` give
/// its row but pass no gradient to it (its gradient stays zero), as in PyTorch.
///
/// - Parameters:
///   - input: Indices (`int64` or `int32`) of any shape, each in `0..<weight.shape[0]`.
///   - weight: The table, `[numEmbeddings, embeddingDim]`.
///   - paddingIdx: A row that receives no gradient, or nil; negative counts from the end.
/// - Returns: `input.shape + [embeddingDim]`.
public func embedding(_ input: Tensor, weight: Tensor, paddingIdx: Int? = nil) -> Tensor {
    check(weight.rank == 2, "embedding", "'weight' must be 2-D")
    check(input.dtype == .int64 || input.dtype == .int32, "embedding",
          "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got \(input.dtype.legacyTypeName) instead (while checking arguments for embedding)")
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    let flat = input.reshaped(-1).to(.int64)
    if flat.count > 0 {
        let (low, high) = (flat.min().item(), flat.max().item())
        check(low >= 0 && high < Double(rows), "embedding", "index out of range in self")
    }
    let looked = withNoGrad { weight.indexSelect(dim: 0, flat).reshaped(input.shape + [columns]) }
    let padding = paddingIdx.map { $0 < 0 ? $0 + rows : $0 }
    return Tensor.record("EmbeddingBackward0", inputs: [weight], result: looked) { grad, _ in
        var rowsOfGrad = grad.reshaped(-1, columns)
        if let padding {
            let isPadding = withNoGrad { (flat .== Tensor(Int64(padding))).unsqueezed(1) }
            rowsOfGrad = rowsOfGrad.maskedFilled(isPadding, with: 0)
        }
        return [Tensor.zeros([rows, columns], dtype: grad.dtype).indexAdd(dim: 0, index: flat, source: rowsOfGrad)]
    }
}

/// A lookup table of vectors, one per index (PyTorch's `nn.Embedding`).
///
/// The weight starts as samples of `N(0, 1)` drawn from the generator, with
/// the `paddingIdx` row then zeroed, as PyTorch initialises it, so the values
/// equal PyTorch's for the same seed.
///
/// ```swift
/// let embed = Embedding(1000, 64, paddingIdx: 0)
/// let vectors = embed(tokens)            // tokens: [batch, steps] int64 -> [batch, steps, 64]
/// ```
public final class Embedding: Module {
    /// The number of rows.
    public let numEmbeddings: Int
    /// The size of each vector.
    public let embeddingDim: Int
    /// The row that receives no gradient, as a non-negative index, or nil.
    public let paddingIdx: Int?
    /// The table, `[numEmbeddings, embeddingDim]`.
    @Parameter public var weight: Tensor
    public var isTraining = true

    /// Creates the table with PyTorch's initialisation.
    ///
    /// - Parameters:
    ///   - numEmbeddings: The number of rows.
    ///   - embeddingDim: The size of each vector.
    ///   - paddingIdx: A row kept at zero at initialisation that receives no
    ///     gradient (negative counts from the end), or nil.
    ///   - dtype: The weight's dtype.
    ///   - generator: The generator the initial values are drawn from.
    public init(_ numEmbeddings: Int, _ embeddingDim: Int, paddingIdx: Int? = nil, dtype: DType = .defaultFloat,
                generator: Generator = .default) {
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.paddingIdx = Self.normalizedPadding(paddingIdx, numEmbeddings)
        weight = Tensor.empty([numEmbeddings, embeddingDim], dtype: dtype)
        Init.normal(weight, generator: generator)
        if let row = self.paddingIdx { withNoGrad { weight.select(dim: 0, index: row).fill(0) } }
    }

    /// Creates the table from given vectors (PyTorch's `Embedding.from_pretrained`).
    ///
    /// - Parameters:
    ///   - embeddings: `[numEmbeddings, embeddingDim]`; the layer uses this tensor's values (copied).
    ///   - freeze: Whether the weight is fixed (does not require grad; default `true`).
    ///   - paddingIdx: A row that receives no gradient, or nil; its values are kept.
    /// - Returns: The layer.
    public static func fromPretrained(_ embeddings: Tensor, freeze: Bool = true, paddingIdx: Int? = nil) -> Embedding {
        check(embeddings.rank == 2, "Embedding.from_pretrained", "Embeddings parameter is expected to be 2-dimensional")
        return Embedding(weight: embeddings.detached().cloned(), freeze: freeze, paddingIdx: paddingIdx)
    }

    private init(weight: Tensor, freeze: Bool, paddingIdx: Int?) {
        numEmbeddings = weight.shape[0]
        embeddingDim = weight.shape[1]
        self.paddingIdx = Self.normalizedPadding(paddingIdx, weight.shape[0])
        self.weight = weight
        if freeze { self.weight.requiresGrad = false }
    }

    private static func normalizedPadding(_ index: Int?, _ rows: Int) -> Int? {
        guard let index else { return nil }
        check(index >= -rows && index < rows, "Embedding", index < 0 ? "Padding_idx must be within num_embeddings" : "Padding_idx must be within num_embeddings")
        return index < 0 ? index + rows : index
    }

    /// The vectors of `input`'s indices: `input.shape + [embeddingDim]`.
    public func forward(_ input: Tensor) -> Tensor { embedding(input, weight: weight, paddingIdx: paddingIdx) }

    public var extraDescription: String {
        "\(numEmbeddings), \(embeddingDim)" + (paddingIdx.map { ", padding_idx=\($0)" } ?? "")
    }
}
