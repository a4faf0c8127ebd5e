import CCotangentKernels

// Reductions. Each primitive runs one kernel over an (outputs x reduced) view
// and records its rule in tensor ops beside it.

/// Collapses (size, stride) pairs, outermost first, into one pair if they form
/// a single arithmetic progression; nil otherwise.
private func collapse(_ dims: [(size: Int, stride: Int)]) -> (size: Int, stride: Int)? {
    let dims = dims.filter { $0.size != 1 }
    guard var result = dims.last else { return (1, 0) }
    for d in dims.dropLast().reversed() {
        guard d.stride == result.stride * result.size else { return nil }
        result.size *= d.size
    }
    return result
}

extension Tensor {
    /// Normalises a list of dims (negative allowed; empty means all) and checks for repeats.
    func reductionDims(_ dims: [Int]?, op: String) -> [Int] {
        guard let dims, !dims.isEmpty else { return Array(0..<rank) }
        var seen = Set<Int>()
        let normalized = dims.map { d in
            let n = Shape.normalize(dim: d, rank: rank, op: op)
            check(seen.insert(n).inserted, op, "dim \(n) appears multiple times in the list of dims")
            return n
        }
        // A 0-d tensor accepts dim 0 or -1, as in PyTorch, and has nothing to reduce.
        return rank == 0 ? [] : normalized.sorted()
    }

    /// The shape after reducing `dims`.
    func reducedShape(_ dims: [Int], keepDim: Bool) -> [Int] {
        var out: [Int] = []
        for d in 0..<rank {
            if dims.contains(d) { if keepDim { out.append(1) } } else { out.append(shape[d]) }
        }
        return out
    }

    /// Lays this tensor out as (outputs x reduced) for a reduction kernel, copying
    /// only when the kept or the reduced dims do not form one stride.
    func reductionView(_ dims: [Int]) -> (source: Tensor, m: Int, n: Int, outer: Int, inner: Int) {
        let kept = (0..<rank).filter { !dims.contains($0) }.map { (size: shape[$0], stride: strides[$0]) }
        let reduced = dims.map { (size: shape[$0], stride: strides[$0]) }
        let m = kept.reduce(1) { $0 * $1.size }, n = reduced.reduce(1) { $0 * $1.size }
        if let k = collapse(kept), let r = collapse(reduced) {
            return (self, m, n, k.stride, r.stride)
        }
        let order = (0..<rank).filter { !dims.contains($0) } + dims
        return (permuted(order).contiguous(), m, n, n, 1)
    }

    /// Runs a reduction kernel over `dims`, writing `outDType` (the input is converted first).
    func reduceKernel(_ kernel: ct_reduce_op, dims: [Int], keepDim: Bool, dtype type: DType, op: String) -> Tensor {
        let out = Tensor(uninitializedShape: reducedShape(dims, keepDim: keepDim), dtype: type)
        let (source, m, n, outer, inner) = ensuring(type).reductionView(dims)
        if m > 0 {
            ct_reduce(kernel, type.kernelCode, Int64(m), Int64(n), source.baseAddress, Int64(outer), Int64(inner),
                      out.baseAddress, 1)
        }
        return out
    }

    /// The dtype sums and products accumulate in: integers and bool widen to int64.
    private var accumulationDType: DType { dtype.isFloatingPoint ? dtype : .int64 }

    /// Reshapes a reduced gradient so it broadcasts against the input again.
    func unsqueezedForBroadcast(dims: [Int], keepDim: Bool, inputRank: Int) -> Tensor {
        guard !keepDim, inputRank > 0 else { return self }
        var shape = self.shape
        for d in dims { shape.insert(1, at: d) }
        return reshaped(shape)
    }

    // MARK: Sum, mean, product

    /// The sum of all elements; integers and bool sum to `int64`.
    public func sum() -> Tensor {
        let shape = self.shape
        let result = reduceKernel(CT_SUM, dims: Array(0..<rank), keepDim: false, dtype: accumulationDType, op: "sum")
        return Tensor.record("SumBackward0", inputs: [self], result: result) { grad, _ in
            let g = grad.expanded(to: shape)
            return [g]
        }
    }

    /// Sums along `dim` (negative counts from the end), keeping it as size 1 with `keepDim`.
    public func sum(dim: Int, keepDim: Bool = false) -> Tensor { sum(dim: [dim], keepDim: keepDim) }

    /// Sums along each of `dim`.
    public func sum(dim: [Int], keepDim: Bool = false) -> Tensor {
        let dims = reductionDims(dim, op: "sum"), shape = self.shape
        let result = reduceKernel(CT_SUM, dims: dims, keepDim: keepDim, dtype: accumulationDType, op: "sum")
        return Tensor.record("SumBackward1", inputs: [self], result: result) { grad, _ in
            [grad.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: shape.count).expanded(to: shape)]
        }
    }

    /// The mean of all elements; floating-point tensors only.
    public func mean() -> Tensor {
        checkFloatingForMean()
        let shape = self.shape, n = Double(count)
        let result = withNoGrad { sum() / n }
        return Tensor.record("MeanBackward0", inputs: [self], result: result) { grad, _ in
            [(grad / n).expanded(to: shape)]
        }
    }

    /// The mean along `dim`.
    public func mean(dim: Int, keepDim: Bool = false) -> Tensor { mean(dim: [dim], keepDim: keepDim) }

    /// The mean along each of `dim`.
    public func mean(dim: [Int], keepDim: Bool = false) -> Tensor {
        checkFloatingForMean()
        let dims = reductionDims(dim, op: "mean"), shape = self.shape
        let n = Double(dims.reduce(1) { $0 * shape[$1] })
        let result = withNoGrad { sum(dim: dims, keepDim: keepDim) / n }
        return Tensor.record("MeanBackward1", inputs: [self], result: result) { grad, _ in
            [(grad / n).unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: shape.count).expanded(to: shape)]
        }
    }

    private func checkFloatingForMean() {
        check(dtype.isFloatingPoint, "mean", "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: \(dtype.scalarTypeName)")
    }

    /// The product of all elements.
    public func prod() -> Tensor {
        let result = reduceKernel(CT_PROD, dims: Array(0..<rank), keepDim: false, dtype: accumulationDType, op: "prod")
        return Tensor.record("ProdBackward0", inputs: [self], result: result, saving: [self], savingResult: true) { grad, saved in
            [Tensor.productGradient(grad, input: saved[0], result: saved.result, dims: Array(0..<saved[0].rank))]
        }
    }

    /// The product along `dim`.
    public func prod(dim: Int, keepDim: Bool = false) -> Tensor {
        let dims = reductionDims([dim], op: "prod")
        let rank = self.rank
        let result = reduceKernel(CT_PROD, dims: dims, keepDim: keepDim, dtype: accumulationDType, op: "prod")
        return Tensor.record("ProdBackward1", inputs: [self], result: result, saving: [self], savingResult: true) { grad, saved in
            let g = grad.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: rank)
            let r = saved.result.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: rank)
            return [Tensor.productGradient(g, input: saved[0], result: r, dims: dims)]
        }
    }

    /// The gradient of a product: the product of the other elements, exact when
    /// some are zero (one zero: only it gets a gradient; two or more: none do).
    static func productGradient(_ grad: Tensor, input x: Tensor, result: Tensor, dims: [Int]) -> Tensor {
        let isZero = x .== 0.0
        let zeros = isZero.sum(dim: dims, keepDim: true)
        let productOfNonzero = Tensor.where(isZero, Tensor.ones(like: x), x).prod(dims: dims)
        let others = Tensor.where(isZero,
                                  Tensor.where(zeros .== 1.0, productOfNonzero, Tensor.zeros(like: productOfNonzero)),
                                  result / Tensor.where(isZero, Tensor.ones(like: x), x))
        return grad * others
    }

    /// The product over several dims, keeping them (used by the product rule).
    private func prod(dims: [Int]) -> Tensor {
        dims.reduce(self) { $0.prod(dim: $1, keepDim: true) }
    }

    // MARK: Max and min

    /// The largest element; ties share the gradient evenly, as in PyTorch.
    public func max() -> Tensor { extreme(CT_MAX, name: "MaxBackward1", op: "max") }

    /// The smallest element; ties share the gradient evenly.
    public func min() -> Tensor { extreme(CT_MIN, name: "MinBackward1", op: "min") }

    private func extreme(_ kernel: ct_reduce_op, name: String, op: String) -> Tensor {
        check(count > 0, op, "\(op)(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        let result = reduceKernel(kernel, dims: Array(0..<rank), keepDim: false, dtype: dtype, op: op)
        return Tensor.record(name, inputs: [self], result: result, saving: [self], savingResult: true) { grad, saved in
            let x = saved[0], value = saved.result
            let mask = value.isNaN().item() != 0 ? x.isNaN() : (x .== value)
            let share = grad / mask.sum().to(grad.dtype)
            return [Tensor.where(mask, share.expanded(to: x.shape), Tensor.zeros(like: x))]
        }
    }

    /// The largest elements along `dim` and their indices (the first, for ties).
    /// The gradient goes to the chosen index only.
    public func max(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extreme(isMax: true, dim: dim, keepDim: keepDim, name: "MaxBackward0", op: "max")
    }

    /// The smallest elements along `dim` and their indices.
    public func min(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extreme(isMax: false, dim: dim, keepDim: keepDim, name: "MinBackward0", op: "min")
    }

    private func extreme(isMax: Bool, dim: Int, keepDim: Bool, name: String, op: String) -> (values: Tensor, indices: Tensor) {
        let d = Shape.normalize(dim: dim, rank: rank, op: op)
        check(rank == 0 || shape[d] > 0, op, "\(op)(): Expected reduction dim \(d) to have non-zero size.")
        let outShape = reducedShape([d], keepDim: keepDim)
        let values = Tensor(uninitializedShape: outShape, dtype: dtype)
        let indices = Tensor(uninitializedShape: outShape, dtype: .int64)
        let (source, m, n, outer, inner) = reductionView(rank == 0 ? [] : [d])
        if m > 0 {
            ct_argreduce(isMax, dtype.kernelCode, Int64(m), Int64(n), source.baseAddress, Int64(outer), Int64(inner),
                         values.baseAddress, indices.baseAddress.assumingMemoryBound(to: Int64.self), 1)
        }
        let inputShape = shape, rank = self.rank
        Tensor.record(name, inputs: [self], result: values, saving: [indices]) { grad, saved in
            guard rank > 0 else { return [grad] }
            let index = saved[0].unsqueezedForBroadcast(dims: [d], keepDim: keepDim, inputRank: rank)
            var positionShape = [Int](repeating: 1, count: rank)
            positionShape[d] = inputShape[d]
            let chosen = Tensor.arange(inputShape[d]).reshaped(positionShape) .== index
            let g = grad.unsqueezedForBroadcast(dims: [d], keepDim: keepDim, inputRank: rank)
            return [Tensor.where(chosen, g, Tensor.zeros(like: g)).expanded(to: inputShape)]
        }
        return (values, indices)
    }

    /// The largest elements along `dims`; ties share the gradient (`torch.amax`).
    public func amax(dim: [Int], keepDim: Bool = false) -> Tensor {
        evenExtreme(CT_MAX, dims: dim, keepDim: keepDim, name: "AmaxBackward0", op: "amax")
    }

    /// The smallest elements along `dims`; ties share the gradient (`torch.amin`).
    public func amin(dim: [Int], keepDim: Bool = false) -> Tensor {
        evenExtreme(CT_MIN, dims: dim, keepDim: keepDim, name: "AminBackward0", op: "amin")
    }

    private func evenExtreme(_ kernel: ct_reduce_op, dims dim: [Int], keepDim: Bool, name: String, op: String) -> Tensor {
        let dims = reductionDims(dim, op: op), rank = self.rank
        check(dims.allSatisfy { shape[$0] > 0 }, op, "\(op)(): Expected reduction dim to have non-zero size.")
        let result = reduceKernel(kernel, dims: dims, keepDim: keepDim, dtype: dtype, op: op)
        return Tensor.record(name, inputs: [self], result: result, saving: [self], savingResult: true) { grad, saved in
            let x = saved[0]
            let value = saved.result.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: rank)
            let g = grad.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: rank)
            let mask = x .== value
            // PyTorch's scale_grad_by_count: (g / count) * mask. A slice whose
            // extreme is NaN matches nowhere: 0 * (g / 0) puts NaN in its gradient.
            return [(g / mask.sum(dim: dims, keepDim: true).to(g.dtype)) * mask]
        }
    }

    /// The flat index of the largest element (the first, for ties; NaN counts as largest).
    public func argmax() -> Tensor { argExtreme(isMax: true, dim: nil, keepDim: false, op: "argmax") }
    /// The flat index of the smallest element.
    public func argmin() -> Tensor { argExtreme(isMax: false, dim: nil, keepDim: false, op: "argmin") }
    /// The indices of the largest elements along `dim`.
    public func argmax(dim: Int, keepDim: Bool = false) -> Tensor { argExtreme(isMax: true, dim: dim, keepDim: keepDim, op: "argmax") }
    /// The indices of the smallest elements along `dim`.
    public func argmin(dim: Int, keepDim: Bool = false) -> Tensor { argExtreme(isMax: false, dim: dim, keepDim: keepDim, op: "argmin") }

    /// `argmax`/`argmin`, with PyTorch's checks and messages under their own name.
    private func argExtreme(isMax: Bool, dim: Int?, keepDim: Bool, op: String) -> Tensor {
        check(dtype != .bool, op, "\(op)(): does not support bool input")
        return withNoGrad {
            guard let dim else {
                check(count > 0, op, "\(op)(): Expected reduction dim to be specified for input.numel() == 0.")
                return reshaped(-1).extreme(isMax: isMax, dim: 0, keepDim: false, name: "", op: op).indices
            }
            return extreme(isMax: isMax, dim: dim, keepDim: keepDim, name: "", op: op).indices
        }
    }

    // MARK: Logical reductions

    /// Whether every element is nonzero, as a bool tensor.
    public func all() -> Tensor {
        ensuring(.bool).reduceKernel(CT_ALL, dims: Array(0..<rank), keepDim: false, dtype: .bool, op: "all")
    }
    /// Whether every element along `dim` is nonzero.
    public func all(dim: Int, keepDim: Bool = false) -> Tensor {
        ensuring(.bool).reduceKernel(CT_ALL, dims: reductionDims([dim], op: "all"), keepDim: keepDim, dtype: .bool, op: "all")
    }
    /// Whether any element is nonzero, as a bool tensor.
    public func any() -> Tensor {
        ensuring(.bool).reduceKernel(CT_ANY, dims: Array(0..<rank), keepDim: false, dtype: .bool, op: "any")
    }
    /// Whether any element along `dim` is nonzero.
    public func any(dim: Int, keepDim: Bool = false) -> Tensor {
        ensuring(.bool).reduceKernel(CT_ANY, dims: reductionDims([dim], op: "any"), keepDim: keepDim, dtype: .bool, op: "any")
    }

    // MARK: Norms and statistics

    /// The vector p-norm over all elements, or over `dim` (`torch.linalg.vector_norm`).
    ///
    /// - Parameters:
    ///   - p: The order: 2 (Euclidean, the default), 1, any positive number, or `.infinity`.
    ///   - dim: The dims to reduce; nil for all.
    ///   - keepDim: Whether reduced dims stay as size 1.
    public func norm(p: Double = 2, dim: [Int]? = nil, keepDim: Bool = false) -> Tensor {
        norm(p: p, dim: dim, keepDim: keepDim, node: "LinalgVectorNormBackward0")
    }

    /// The norm recorded under `node`: ATen's legacy `norm(x, p, dim)` (which the
    /// losses call, as `pairwise_distance` does) records `NormBackward1` with the same rule.
    func norm(p: Double, dim: [Int]?, keepDim: Bool, node: String) -> Tensor {
        check(dtype.isFloatingPoint, "norm", "linalg.vector_norm: Expected a floating point or complex tensor as input. Got \(dtype)")
        check(p > 0, "norm", "only positive orders p are supported (got \(p))")
        let dims = reductionDims(dim, op: "norm"), rank = self.rank
        let result: Tensor = withNoGrad {
            let a = abs()
            if p == .infinity { return a.amax(dim: dims, keepDim: keepDim) }
            if p == 1 { return a.sum(dim: dims, keepDim: keepDim) }
            if p == 2 { return (self * self).sum(dim: dims, keepDim: keepDim).sqrt() }
            return a.pow(p).sum(dim: dims, keepDim: keepDim).pow(1 / p)
        }
        return Tensor.record(node, inputs: [self], result: result, saving: [self], savingResult: true) { grad, saved in
            let x = saved[0]
            let r = saved.result.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: rank)
            let g = grad.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: rank)
            // PyTorch's norm_backward, step for step, so second-order gradients
            // agree too (at 0, p = 2 gives NaN there: (0 / 0) masked, then 0 / 0 again).
            if p == 1 { return [x.sign() * g] }
            if p == 2 { return [g * (x / r).maskedFilled(r .== 0.0, with: 0)] }
            if p == .infinity {
                let a = x.abs()
                let mask = (a .== r) .|| a.isNaN()
                return [x.sign() * ((g / mask.sum(dim: dims, keepDim: true).to(g.dtype)) * mask)]
            }
            if p < 1 {
                let scaled = x.sign() * x.abs().pow(p - 1).maskedFilled(x .== 0.0, with: 0)
                return [scaled * g * r.pow(1 - p)]
            }
            let scaled = p < 2 ? x.sign() * x.abs().pow(p - 1) : x * x.abs().pow(p - 2)
            return [scaled * (g / r.pow(p - 1)).maskedFilled(r .== 0.0, with: 0)]
        }
    }

    /// The variance over all elements, or over `dim`, with PyTorch's `correction`
    /// (1 by default: Bessel's unbiased estimate).
    public func variance(dim: [Int]? = nil, correction: Int = 1, keepDim: Bool = false) -> Tensor {
        moment(dim: dim, correction: correction, keepDim: keepDim, takeRoot: false)
    }

    /// The standard deviation, the square root of ``variance(dim:correction:keepDim:)``.
    public func std(dim: [Int]? = nil, correction: Int = 1, keepDim: Bool = false) -> Tensor {
        moment(dim: dim, correction: correction, keepDim: keepDim, takeRoot: true)
    }

    private func moment(dim: [Int]?, correction: Int, keepDim: Bool, takeRoot: Bool) -> Tensor {
        let op = takeRoot ? "std" : "var"
        check(dtype.isFloatingPoint, op, "std and var only support floating point and complex dtypes")
        let dims = reductionDims(dim, op: op), rank = self.rank
        let n = dims.reduce(1) { $0 * shape[$1] }
        let divisor = Double(Swift.max(n - correction, 0))
        let result: Tensor = withNoGrad {
            let centered = self - mean(dim: dims, keepDim: true)
            let v = (centered * centered).sum(dim: dims, keepDim: keepDim) / divisor
            return takeRoot ? v.sqrt() : v
        }
        let reducesAll = dim == nil || rank == 0
        return Tensor.record(takeRoot ? "StdBackward0" : "VarBackward0", inputs: [self], result: result,
                             saving: [self], savingResult: takeRoot) { grad, saved in
            let x = saved[0]
            var g = grad.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: rank)
            if takeRoot {
                // PyTorch's std_backward: the variance's gradient g / 2r, zero where r is 0.
                let r = saved.result.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: rank)
                g = (g / (r * 2.0)).maskedFilled(r .== 0.0, with: 0)
            }
            // PyTorch's var_backward. Over all elements with no degrees of freedom
            // left, 2 / dof is infinite: NaN where x is its mean, inf elsewhere.
            // Over given dims, 2 / (n - correction) is used as it is (negative when
            // the correction exceeds the count).
            let dof = Double(n - correction)
            if reducesAll && dof <= 0 {
                return [g * Tensor.where(x .== x.mean(), Double.nan, Tensor.full(like: x, .infinity))]
            }
            return [(2.0 / dof) * g * (x - x.mean(dim: dims, keepDim: true))]
        }
    }

    /// `log(sum(exp(x)))` along `dim`, computed stably (`torch.logsumexp`).
    public func logsumexp(dim: [Int], keepDim: Bool = false) -> Tensor {
        let dims = reductionDims(dim, op: "logsumexp"), rank = self.rank
        let source = dtype.isFloatingPoint ? self : to(.defaultFloat)
        let result: Tensor = withNoGrad {
            // Reducing zero elements gives log(0) = -inf; there is no maximum to subtract.
            let m = dims.allSatisfy({ shape[$0] > 0 }) ? source.amax(dim: dims, keepDim: true)
                : Tensor.zeros(reducedShape(dims, keepDim: true), dtype: source.dtype)
            let finiteMax = Tensor.where(m.abs() .== .infinity, Tensor.zeros(like: m), m)
            let s = (source - finiteMax).exp().sum(dim: dims, keepDim: true).log() + finiteMax
            return keepDim ? s : s.squeezed(dims)
        }
        return Tensor.record("LogsumexpBackward0", inputs: [self], result: result, saving: [source], savingResult: true) { grad, saved in
            let r = saved.result.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: rank)
            let g = grad.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: rank)
            return [g * (saved[0] - r).exp()]
        }
    }

    /// `logsumexp` along one dim.
    public func logsumexp(dim: Int, keepDim: Bool = false) -> Tensor { logsumexp(dim: [dim], keepDim: keepDim) }

    /// Running sums along `dim` (`torch.cumsum`); integers accumulate in int64.
    public func cumsum(dim: Int) -> Tensor {
        let d = Shape.normalize(dim: dim, rank: rank, op: "cumsum")
        let type = accumulationDType
        let source = ensuring(type)
        let out = Tensor(uninitializedShape: shape, dtype: type)
        if count > 0 {
            if rank == 0 {
                Kernels.copy(source, into: out)
            } else {
                // Move `dim` last so every row is one run of the kernel.
                let order = (0..<rank).filter { $0 != d } + [d]
                let src = source.permuted(order).contiguous()
                let dst = Tensor(uninitializedShape: src.shape, dtype: type)
                let n = shape[d], m = count / n
                ct_cumsum(type.kernelCode, Int64(m), Int64(n), src.baseAddress, Int64(n), 1, dst.baseAddress, Int64(n), 1)
                var inverse = [Int](repeating: 0, count: rank)
                for (i, o) in order.enumerated() { inverse[o] = i }
                Kernels.copy(dst.permuted(inverse), into: out)
            }
        }
        return Tensor.record("CumsumBackward0", inputs: [self], result: out) { grad, _ in
            // PyTorch's cumsum_backward: the running sum from the end (flip, cumsum,
            // flip), not total - running + own, which loses small terms to large ones.
            guard grad.count > 1, grad.rank > 0, grad.shape[d] > 1 else { return [grad] }
            return [grad.reversed(alongDim: d).cumsum(dim: d).reversed(alongDim: d)]
        }
    }

    /// The elements in reverse order along `dim` (PyTorch's `flip(dim)`), as a
    /// differentiable copy (its gradient is reversed back).
    func reversed(alongDim d: Int) -> Tensor {
        let n = shape[d]
        let positions = Tensor(shape: [n], scalars: (0..<n).reversed().map(Int64.init))
        return indexSelect(dim: d, positions)
    }
}
