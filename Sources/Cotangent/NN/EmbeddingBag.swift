/// How ``embeddingBag(_:weight:offsets:mode:perSampleWeights:includeLastOffset:paddingIdx:)`` combines a bag's rows.
public enum EmbeddingBagMode: String, Sendable, Hashable {
    /// The sum of the rows (optionally weighted per sample).
    case sum
    /// The mean of the rows (PyTorch's default).
    case mean
    /// The elementwise maximum of the rows.
    case max
}

/// Sums, averages or takes the maximum of bags of embedding rows without
/// building the per-index embeddings (`F.embedding_bag`).
///
/// Bags come either as the rows of a 2-d `input` `[B, N]` (then `offsets`
/// is nil) or as a 1-d `input` cut at `offsets` (the start of each bag).
/// Indices equal to `paddingIdx` are left out of their bag (and of the mean's
/// count); an empty bag gives zeros. Recorded as one node, PyTorch's `EmbeddingBagBackward0`,
/// whose rule is written in tensor ops (`indexAdd`, `indexSelect`).
///
/// - Parameters:
///   - input: `int64`/`int32` indices, `[B, N]` or `[L]`.
///   - weight: The table, `[numEmbeddings, embeddingDim]`.
///   - offsets: For a 1-d input, the start of each bag (`offsets[0] == 0`), `[B]`, or `[B + 1]` with `includeLastOffset`.
///   - mode: `.mean` (default), `.sum` or `.max`.
///   - perSampleWeights: For `.sum`, a weight per index, of the input's shape; nil for 1.
///   - includeLastOffset: Whether `offsets` ends with the input's length (CSR style).
///   - paddingIdx: An index that contributes nothing, or nil; negative counts from the end.
/// - Returns: `[B, embeddingDim]`.
/// - Complexity: O(L · embeddingDim).
public func embeddingBag(_ input: Tensor, weight: Tensor, offsets: Tensor? = nil, mode: EmbeddingBagMode = .mean,
                         perSampleWeights: Tensor? = nil, includeLastOffset: Bool = false,
                         paddingIdx: Int? = nil) -> Tensor {
    let op = "embedding_bag"
    check(weight.rank == 2, op, "'weight' must be 2-D")
    check(input.dtype == .int64 || input.dtype == .int32, op,
          "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got \(input.dtype.legacyTypeName) instead (while checking arguments for embedding_bag)")
    if let perSampleWeights {
        check(mode == .sum, op, "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='\(mode.rawValue)'). Please open a feature request on GitHub.")
        check(perSampleWeights.shape == input.shape, op,
              "embedding_bag: If per_sample_weights (\(torchSizeText(perSampleWeights.shape))) is not None, then it must have the same shape as the input (\(torchSizeText(input.shape)))")
    }
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    // Bag starts over the flattened input.
    var starts: [Int]
    if input.rank == 2 {
        check(offsets == nil, op, "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences. However, found offsets of type <class 'torch.Tensor'>")
        starts = (0..<input.shape[0]).map { $0 * input.shape[1] }
    } else {
        check(input.rank == 1, op, "input has to be 1D or 2D Tensor, but got Tensor of dimension \(input.rank)")
        guard let offsets else { fail(op, "offsets has to be a 1D Tensor but got None") }
        check(offsets.rank == 1, op, "offsets has to be a 1D Tensor")
        starts = offsets.to(.int64).contiguous().scalars(as: Int64.self).map(Int.init)
        if let first = starts.first {
            check(first == 0, op, "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got \(first)")
        }
        if let last = starts.last {
            check(last <= input.count, op, "offsets[-1] can not be greater than input's length \(input.count) but got offsets[-1] of \(last)")
        }
        if includeLastOffset, !starts.isEmpty { starts.removeLast() }
    }
    let indices = input.reshaped(-1).to(.int64).contiguous().scalars(as: Int64.self).map(Int.init)
    for (k, i) in indices.enumerated() {
        check(i >= 0 && i < rows, op, "Index \(k) of input takes value \(i) which is not in the valid range [0, \(rows))")
    }
    let padding = paddingIdx.map { $0 < 0 ? $0 + rows : $0 }
    let bags = starts.count
    // The entries that count, with their bag and their scale (per-sample weight, or 1 / count for the mean).
    var kept: [Int] = [], bagOf: [Int] = [], scale: [Double] = [], position: [Int] = []
    let sampleWeights = perSampleWeights.map { $0.contiguous().scalars(as: Double.self) }
    for b in 0..<bags {
        let end = b + 1 < bags ? starts[b + 1] : (includeLastOffset && offsets != nil
            ? Int(offsets!.to(.int64).scalars(as: Int64.self).last!) : indices.count)
        let members = (starts[b]..<max(end, starts[b])).filter { indices[$0] != padding }
        for k in members {
            kept.append(indices[k])
            bagOf.append(b)
            position.append(k)
            scale.append(mode == .mean ? 1 / Double(members.count) : (sampleWeights?[k] ?? 1))
        }
    }

    // Forward in Double over the contiguous table, one pass per entry.
    let table = weight.contiguous().scalars(as: Double.self)
    var output = [Double](repeating: mode == .max ? -.infinity : 0, count: bags * columns)
    var argmax = [Int](repeating: -1, count: bags * columns)
    for (e, row) in kept.enumerated() {
        let base = bagOf[e] * columns
        for c in 0..<columns {
            let v = table[row * columns + c]
            switch mode {
            case .sum: output[base + c] += v * scale[e]
            case .mean: output[base + c] += v
            case .max:
                if argmax[base + c] < 0 || v > output[base + c] { (output[base + c], argmax[base + c]) = (v, row) }
            }
        }
    }
    if mode == .mean {
        // Divide the bag's sum by its count, as PyTorch does.
        var counts = [Int](repeating: 0, count: bags)
        for b in bagOf { counts[b] += 1 }
        for b in 0..<bags where counts[b] > 0 { for c in 0..<columns { output[b * columns + c] /= Double(counts[b]) } }
    }
    for k in 0..<output.count where argmax[k] < 0 && mode == .max { output[k] = 0 }
    let result = Tensor(shape: [bags, columns], scalars: output).to(weight.dtype)

    let keptIndex = Tensor(shape: [kept.count], scalars: kept.map(Int64.init))
    let bagIndex = Tensor(shape: [bagOf.count], scalars: bagOf.map(Int64.init))
    let scales = Tensor(shape: [scale.count], scalars: scale).to(weight.dtype)
    var inputs = [weight]
    if let perSampleWeights { inputs.append(perSampleWeights) }
    return Tensor.record("EmbeddingBagBackward0", inputs: inputs, result: result, saving: inputs) { grad, saved in
        let weight = saved[0]
        let zeros = Tensor.zeros([rows, columns], dtype: grad.dtype)
        let weightGrad: Tensor
        if mode == .max {
            // Each output element's gradient goes to the row its maximum came from.
            let valid = argmax.indices.filter { argmax[$0] >= 0 }
            let target = Tensor(shape: [valid.count], scalars: valid.map { Int64(argmax[$0] * columns + $0 % columns) })
            let source = grad.reshaped(-1).indexSelect(dim: 0, Tensor(shape: [valid.count], scalars: valid.map(Int64.init)))
            weightGrad = zeros.reshaped(-1).indexAdd(dim: 0, index: target, source: source).reshaped(rows, columns)
        } else {
            let perEntry = grad.indexSelect(dim: 0, bagIndex)
            // The per-sample weights from the saved tensor, so the rule is differentiable in them too.
            let entryScale = perSampleWeights == nil ? scales
                : saved[1].reshaped(-1).indexSelect(dim: 0, Tensor(shape: [position.count], scalars: position.map(Int64.init)))
            weightGrad = zeros.indexAdd(dim: 0, index: keptIndex, source: perEntry * entryScale.unsqueezed(1))
        }
        guard perSampleWeights != nil else { return [weightGrad] }
        // d/dw_k = ⟨grad of its bag, its row⟩; padding entries get 0.
        let contribution = (grad.indexSelect(dim: 0, bagIndex) * weight.indexSelect(dim: 0, keptIndex)).sum(dim: 1)
        let positions = Tensor(shape: [position.count], scalars: position.map(Int64.init))
        let sampleGrad = Tensor.zeros([indices.count], dtype: grad.dtype).indexAdd(dim: 0, index: positions, source: contribution)
        return [weightGrad, sampleGrad.reshaped(input.shape)]
    }
}

/// Bags of embeddings, summed, averaged or maxed (PyTorch's `nn.EmbeddingBag`).
///
/// The weight starts as samples of `N(0, 1)` with the `paddingIdx` row zeroed,
/// drawn from the generator as PyTorch draws them.
///
/// ```swift
/// let bag = EmbeddingBag(1000, 16, mode: .sum)
/// let vectors = bag(tokens, offsets: Tensor([0, 4] as [Int64]))   // two bags -> [2, 16]
/// ```
public final class EmbeddingBag: Module {
    /// The number of rows.
    public let numEmbeddings: Int
    /// The size of each vector.
    public let embeddingDim: Int
    /// How a bag's rows are combined.
    public let mode: EmbeddingBagMode
    /// Whether offsets end with the input's length.
    public let includeLastOffset: Bool
    /// The index left out of bags, non-negative, or nil.
    public let paddingIdx: Int?
    /// The table, `[numEmbeddings, embeddingDim]`.
    @Parameter public var weight: Tensor
    public var isTraining = true

    /// Creates the table with PyTorch's initialisation.
    ///
    /// - Parameters:
    ///   - numEmbeddings: The number of rows.
    ///   - embeddingDim: The size of each vector.
    ///   - mode: `.mean` (default), `.sum` or `.max`.
    ///   - includeLastOffset: Whether offsets end with the input's length (default false).
    ///   - paddingIdx: An index left out of bags, its row zero at first, or nil.
    ///   - dtype: The weight's dtype.
    ///   - generator: The generator the initial values are drawn from.
    public init(_ numEmbeddings: Int, _ embeddingDim: Int, mode: EmbeddingBagMode = .mean,
                includeLastOffset: Bool = false, paddingIdx: Int? = nil, dtype: DType = .defaultFloat,
                generator: Generator = .default) {
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.mode = mode
        self.includeLastOffset = includeLastOffset
        self.paddingIdx = Self.normalizedPadding(paddingIdx, numEmbeddings)
        weight = Tensor.empty([numEmbeddings, embeddingDim], dtype: dtype)
        Init.normal(weight, generator: generator)
        if let row = self.paddingIdx { withNoGrad { weight.select(dim: 0, index: row).fill(0) } }
    }

    /// Creates the layer from given vectors (PyTorch's `EmbeddingBag.from_pretrained`).
    ///
    /// - Parameters:
    ///   - embeddings: `[numEmbeddings, embeddingDim]`, copied.
    ///   - freeze: Whether the weight is fixed (default `true`).
    ///   - mode: How bags are combined (default `.mean`).
    ///   - includeLastOffset: Whether offsets end with the input's length.
    ///   - paddingIdx: An index left out of bags; its values are kept.
    /// - Returns: The layer.
    public static func fromPretrained(_ embeddings: Tensor, freeze: Bool = true, mode: EmbeddingBagMode = .mean,
                                      includeLastOffset: Bool = false, paddingIdx: Int? = nil) -> EmbeddingBag {
        check(embeddings.rank == 2, "EmbeddingBag.from_pretrained", "Embeddings parameter is expected to be 2-dimensional")
        return EmbeddingBag(weight: embeddings.detached().cloned(), freeze: freeze, mode: mode,
                            includeLastOffset: includeLastOffset, paddingIdx: paddingIdx)
    }

    private init(weight: Tensor, freeze: Bool, mode: EmbeddingBagMode, includeLastOffset: Bool, paddingIdx: Int?) {
        numEmbeddings = weight.shape[0]
        embeddingDim = weight.shape[1]
        self.mode = mode
        self.includeLastOffset = includeLastOffset
        self.paddingIdx = Self.normalizedPadding(paddingIdx, weight.shape[0])
        self.weight = weight
        self.weight.requiresGrad = !freeze
    }

    private static func normalizedPadding(_ index: Int?, _ rows: Int) -> Int? {
        guard let index else { return nil }
        check(index >= -rows && index < rows, "EmbeddingBag", "padding_idx must be within num_embeddings")
        return index < 0 ? index + rows : index
    }

    /// The bags of a 2-d input (one per row): `[B, embeddingDim]`.
    public func forward(_ input: Tensor) -> Tensor { callAsFunction(input, offsets: nil) }

    /// The bags of `input` cut at `offsets` (or of a 2-d input's rows), weighted per sample for `.sum`.
    public func callAsFunction(_ input: Tensor, offsets: Tensor?, perSampleWeights: Tensor? = nil) -> Tensor {
        embeddingBag(input, weight: weight, offsets: offsets, mode: mode, perSampleWeights: perSampleWeights,
                     includeLastOffset: includeLastOffset, paddingIdx: paddingIdx)
    }

    public var extraDescription: String {
        "\(numEmbeddings), \(embeddingDim), mode='\(mode.rawValue)'" + (paddingIdx.map { ", padding_idx=\($0)" } ?? "")
    }
}
