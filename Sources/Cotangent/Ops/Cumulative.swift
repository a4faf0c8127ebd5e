import CCotangentKernels

// Running reductions beside `cumsum` (cumprod, cummax, cummin, logcumsumexp),
// the NaN-ignoring reductions, aminmax, countNonzero and oneHot. The scans are
// primitives with one C kernel each (`ct_scan`, as PyTorch has a CPU kernel for
// each); nanmean, countNonzero and oneHot compose, as PyTorch composes them.

extension Tensor {
    /// Runs `ct_scan` along `d` (already normalised), into a new contiguous tensor
    /// of `type`; with `indices`, also the int64 positions of the running extreme.
    private func scanKernel(_ op: ct_scan_op, dim d: Int, dtype type: DType, withIndices: Bool) -> (Tensor, Tensor?) {
        let source = ensuring(type)
        let out = Tensor(uninitializedShape: shape, dtype: type)
        let indices = withIndices ? Tensor(uninitializedShape: shape, dtype: .int64) : nil
        guard count > 0 else { return (out, indices) }
        // Move `dim` last so every row is one contiguous run of the kernel.
        let order = rank == 0 ? [] : (0..<rank).filter { $0 != d } + [d]
        let src = source.permuted(order).contiguous()
        let dst = Tensor(uninitializedShape: src.shape, dtype: type)
        let dstIndices = withIndices ? Tensor(uninitializedShape: src.shape, dtype: .int64) : nil
        let n = rank == 0 ? 1 : shape[d], m = count / n
        ct_scan(op, type.kernelCode, Int64(m), Int64(n), src.baseAddress, Int64(n), 1, dst.baseAddress, Int64(n), 1,
                dstIndices?.baseAddress.assumingMemoryBound(to: Int64.self))
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverse[o] = i }
        Kernels.copy(dst.permuted(inverse), into: out)
        if let indices, let dstIndices { Kernels.copy(dstIndices.permuted(inverse), into: indices) }
        return (out, indices)
    }

    /// Running products along `dim` (`torch.cumprod`); integers and bool accumulate in int64.
    ///
    /// The gradient is exact where the input has zeros (PyTorch's
    /// `cumprod_backward`): before a slice's first zero it is the usual
    /// `reverse-cumsum(grad * result) / x`, at the first zero it is the running
    /// product with that zero taken as 1, and after it, zero.
    ///
    /// - Parameter dim: The dimension to scan; negative counts from the end.
    /// - Returns: A tensor of the input's shape, recorded as `CumprodBackward0`.
    public func cumprod(dim: Int) -> Tensor {
        let d = Shape.normalize(dim: dim, rank: rank, op: "cumprod")
        let type: DType = dtype.isFloatingPoint ? dtype : .int64
        let (out, _) = scanKernel(CT_SCAN_PROD, dim: d, dtype: type, withIndices: false)
        return Tensor.record("CumprodBackward0", inputs: [self], result: out, saving: [self], savingResult: true) { grad, saved in
            guard grad.count > 0, grad.rank > 0 else { return [grad] }
            return [Tensor.cumprodGradient(grad, input: saved[0], result: saved.result, dim: d)]
        }
    }

    /// The gradient of `cumprod` along `d`, exact with zeros, in tensor ops.
    static func cumprodGradient(_ grad: Tensor, input x: Tensor, result: Tensor, dim d: Int) -> Tensor {
        let isZero = x .== 0.0
        let zerosSoFar = isZero.cumsum(dim: d)              // zeros at or before each position
        let beforeZero = zerosSoFar .== 0.0                  // k before the slice's first zero
        let firstZero = isZero .&& (zerosSoFar .== 1.0)
        // k before the first zero: sum_{j >= k} g_j out_j / x_k (only j before the zero count).
        let safeX = Tensor.where(beforeZero, x, 1.0)
        let gBefore = Tensor.where(beforeZero, grad * result, 0.0)
        let before = gBefore.reverseCumsum(dim: d) / safeX
        // k at the first zero: sum_{j >= k} g_j prod_{i <= j, i != k} x_i.
        let withoutZero = Tensor.where(firstZero, 1.0, x).cumprod(dim: d)
        let gAfter = Tensor.where(beforeZero, 0.0, grad * withoutZero)
        let atZero = gAfter.reverseCumsum(dim: d)
        return Tensor.where(beforeZero, before, Tensor.where(firstZero, atZero, 0.0))
    }

    /// Sums from each position to the end along `d` (flip, cumsum, flip).
    func reverseCumsum(dim d: Int) -> Tensor {
        reversed(alongDim: d).cumsum(dim: d).reversed(alongDim: d)
    }

    /// The running maximum along `dim` and where it was found (`torch.cummax`).
    ///
    /// Of equal values the later position is reported, and from the first NaN
    /// on the value is NaN (with the index of the latest NaN), as in PyTorch.
    /// The gradient goes to the reported positions (`CummaxBackward0`).
    ///
    /// - Parameter dim: The dimension to scan; negative counts from the end.
    /// - Returns: The running maxima (input dtype) and their int64 indices.
    public func cummax(dim: Int) -> (values: Tensor, indices: Tensor) {
        cumulativeExtreme(CT_SCAN_MAX, dim: dim, name: "CummaxBackward0", op: "cummax")
    }

    /// The running minimum along `dim` and where it was found (`torch.cummin`);
    /// ties and NaN as in ``cummax(dim:)`` (`CumminBackward0`).
    public func cummin(dim: Int) -> (values: Tensor, indices: Tensor) {
        cumulativeExtreme(CT_SCAN_MIN, dim: dim, name: "CumminBackward0", op: "cummin")
    }

    private func cumulativeExtreme(_ op: ct_scan_op, dim: Int, name: String, op opName: String) -> (values: Tensor, indices: Tensor) {
        let d = Shape.normalize(dim: dim, rank: rank, op: opName)
        let (values, maybeIndices) = scanKernel(op, dim: d, dtype: dtype, withIndices: true)
        let indices = maybeIndices!
        let shape = self.shape
        Tensor.record(name, inputs: [self], result: values, saving: [indices]) { grad, saved in
            // PyTorch's cummaxmin_backward: scatter-add the gradient to the chosen positions.
            guard grad.count > 0, grad.rank > 0 else { return [grad] }
            return [Tensor.zeros(shape, dtype: grad.dtype).scatterAdd(dim: d, index: saved[0], src: grad)]
        }
        return (values, indices)
    }

    /// `log(cumsum(exp(x)))` along `dim`, computed stably (`torch.logcumsumexp`);
    /// floating-point tensors only.
    ///
    /// - Parameter dim: The dimension to scan; negative counts from the end.
    /// - Returns: A tensor of the input's shape, recorded as `LogcumsumexpBackward0`.
    public func logcumsumexp(dim: Int) -> Tensor {
        check(dtype.isFloatingPoint, "logcumsumexp", "\"logcumsumexp_out_cpu\" not implemented for '\(dtype.scalarTypeName)'")
        let d = Shape.normalize(dim: dim, rank: rank, op: "logcumsumexp")
        let (out, _) = scanKernel(CT_SCAN_LOGSUMEXP, dim: d, dtype: dtype, withIndices: false)
        return Tensor.record("LogcumsumexpBackward0", inputs: [self], result: out, saving: [self], savingResult: true) { grad, saved in
            guard grad.count > 0, grad.rank > 0 else { return [grad] }
            // PyTorch's logcumsumexp_backward: positive and negative parts of the
            // gradient in log space, each a reverse logcumsumexp, so nothing overflows.
            let x = saved[0], r = saved.result
            let lowest = -grad.dtype.greatestFiniteMagnitude
            let logAbs = grad.abs().log()
            let positive = Tensor.where(grad .> 0.0, logAbs, lowest)
            let negative = Tensor.where(grad .< 0.0, logAbs, lowest)
            func reverseLCSE(_ t: Tensor) -> Tensor {
                t.reversed(alongDim: d).logcumsumexp(dim: d).reversed(alongDim: d)
            }
            return [(reverseLCSE(positive - r) + x).exp() - (reverseLCSE(negative - r) + x).exp()]
        }
    }

    // MARK: NaN-ignoring reductions, aminmax, countNonzero

    /// The sum of all elements, NaN counted as zero (`torch.nansum`); integers
    /// and bool sum to int64.
    public func nansum() -> Tensor { nansum(dim: nil) }

    /// Sums along each of `dim` (nil: all), NaN counted as zero (`torch.nansum`).
    ///
    /// - Parameters:
    ///   - dim: The dims to reduce; nil or empty for all.
    ///   - keepDim: Whether reduced dims stay as size 1.
    /// - Returns: The sums, recorded as `NansumBackward0` (no gradient reaches NaN elements).
    public func nansum(dim: [Int]?, keepDim: Bool = false) -> Tensor {
        let dims = reductionDims(dim, op: "nansum"), rank = self.rank, shape = self.shape
        let result: Tensor = withNoGrad {
            let cleaned = dtype.isFloatingPoint ? Tensor.where(isNaN(), 0.0, self) : self
            return cleaned.sum(dim: dims, keepDim: keepDim)
        }
        return Tensor.record("NansumBackward0", inputs: [self], result: result, saving: [self]) { grad, saved in
            let g = grad.unsqueezedForBroadcast(dims: dims, keepDim: keepDim, inputRank: rank).expanded(to: shape)
            // PyTorch's rule, grad * !isnan(x): an infinite gradient still gives NaN at a NaN.
            return [g * (!saved[0].isNaN()).to(g.dtype)]
        }
    }

    /// `nansum` along one dim.
    public func nansum(dim: Int, keepDim: Bool = false) -> Tensor { nansum(dim: [dim], keepDim: keepDim) }

    /// The mean of the elements that are not NaN (`torch.nanmean`); floating-point only.
    public func nanmean() -> Tensor { nanmean(dim: nil) }

    /// The mean along each of `dim` (nil: all) of the elements that are not NaN,
    /// composed as PyTorch composes it: `nansum / count of non-NaN` (`DivBackward0`).
    /// A slice of NaN only gives NaN (0 / 0).
    public func nanmean(dim: [Int]?, keepDim: Bool = false) -> Tensor {
        check(dtype.isFloatingPoint, "nanmean", "nanmean(): expected input to have floating point or complex dtype but got \(dtype.scalarTypeName)")
        let counted = (!isNaN()).sum(dim: reductionDims(dim, op: "nanmean"), keepDim: keepDim)
        return nansum(dim: dim, keepDim: keepDim) / counted
    }

    /// `nanmean` along one dim.
    public func nanmean(dim: Int, keepDim: Bool = false) -> Tensor { nanmean(dim: [dim], keepDim: keepDim) }

    /// The minimum and the maximum, over all elements (`dim` nil) or along `dim`
    /// (`torch.aminmax`). Ties share the gradient evenly, as in `amin`/`amax`.
    ///
    /// - Parameters:
    ///   - dim: The dimension to reduce; nil for all elements.
    ///   - keepDim: Whether the reduced dim stays as size 1.
    /// - Returns: `(min, max)`, each recorded as `AminmaxBackward0`.
    public func aminmax(dim: Int? = nil, keepDim: Bool = false) -> (min: Tensor, max: Tensor) {
        let dims = dim.map { reductionDims([$0], op: "aminmax") } ?? Array(0..<rank)
        if let dim {
            let d = Shape.normalize(dim: dim, rank: rank, op: "aminmax")
            check(rank == 0 || shape[d] > 0, "aminmax", "aminmax(): Expected reduction dim \(d) to have non-zero size.")
        } else {
            check(count > 0, "aminmax", "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.")
        }
        func one(_ kernel: ct_reduce_op) -> Tensor {
            let result = reduceKernel(kernel, dims: dims, keepDim: keepDim, dtype: dtype, op: "aminmax")
            let keepForRule = keepDim, rank = self.rank
            return Tensor.record("AminmaxBackward0", inputs: [self], result: result, saving: [self], savingResult: true) { grad, saved in
                let x = saved[0]
                let value = saved.result.unsqueezedForBroadcast(dims: dims, keepDim: keepForRule, inputRank: rank)
                let g = grad.unsqueezedForBroadcast(dims: dims, keepDim: keepForRule, inputRank: rank)
                let mask = x .== value
                // scale_grad_by_count, as for amin/amax.
                return [(g / mask.sum(dim: dims, keepDim: true).to(g.dtype)) * mask]
            }
        }
        return (one(CT_MIN), one(CT_MAX))
    }

    /// The number of nonzero elements, over all elements or along `dim`
    /// (`torch.count_nonzero`), as int64; NaN counts as nonzero.
    ///
    /// - Parameter dim: The dims to count over; nil for all.
    /// - Returns: An int64 tensor without a gradient.
    public func countNonzero(dim: [Int]? = nil) -> Tensor {
        let dims = reductionDims(dim, op: "count_nonzero")
        return withNoGrad { (self .!= 0.0).sum(dim: dims) }
    }

    /// `countNonzero` along one dim.
    public func countNonzero(dim: Int) -> Tensor { countNonzero(dim: [dim]) }
}

/// One-hot encodes class indices (`F.one_hot`).
///
/// ```swift
/// oneHot(Tensor([0, 2, 1]))   // [[1, 0, 0], [0, 0, 1], [0, 1, 0]], int64
/// ```
///
/// - Parameters:
///   - tensor: An int64 tensor of class indices, each at least 0.
///   - numClasses: The number of classes; -1 (the default) means one more than
///     the largest index.
/// - Returns: An int64 tensor of shape `tensor.shape + [numClasses]`.
public func oneHot(_ tensor: Tensor, numClasses: Int = -1) -> Tensor {
    check(tensor.dtype == .int64, "one_hot", "one_hot is only applicable to index tensor of type LongTensor.")
    return withNoGrad {
        var classes = numClasses
        if tensor.count == 0 {
            check(classes != -1, "one_hot", "Can not infer total number of classes from empty tensor.")
        } else {
            check(tensor.min().item() >= 0, "one_hot", "Class values must be non-negative.")
            let largest = Int(tensor.max().item())
            if classes == -1 { classes = largest + 1 }
            check(largest < classes, "one_hot", "Class values must be smaller than num_classes.")
        }
        return (tensor.unsqueezed(-1) .== Tensor.arange(classes)).to(.int64)
    }
}
