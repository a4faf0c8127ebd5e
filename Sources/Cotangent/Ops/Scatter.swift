import CCotangentKernels

// gather and scatter along one dimension, and the index ops built on indexing
// plans (indexAdd, indexCopy, indexFill, maskedSelect, maskedScatter, take,
// takeAlongDim). The loops are in C (gather.c, index.c); the backward rules
// are tensor ops, so they can be differentiated again.

/// How ``Tensor/scatterReduce(dim:index:src:reduce:includeSelf:)`` combines values.
public enum ScatterReduction: String, Sendable, Hashable {
    case sum, prod, mean, amax, amin

    var kernel: ct_scatter_reduce {
        switch self {
        case .sum: CT_SCATTER_SUM
        case .prod: CT_SCATTER_PROD
        case .mean: CT_SCATTER_MEAN
        case .amax: CT_SCATTER_AMAX
        case .amin: CT_SCATTER_AMIN
        }
    }
}

extension Tensor {
    /// Checks an index tensor for gather and scatter, and returns it as int64.
    ///
    /// - Parameter srcShape: For scatters, the values' shape (the index as the values of a
    ///   number); nil for gather, whose messages name the "input".
    private func dimIndex(_ index: Tensor, dim: Int, op: String, srcShape: [Int]? = nil) -> (Int, Tensor) {
        check(index.dtype.isInteger, op, "\(op)(): Expected dtype int32/int64 for index")
        let d = Shape.normalize(dim: dim, rank: rank, op: op)
        check(index.rank == rank || (rank == 0 && index.rank <= 1), op,
              "Index tensor must have the same number of dimensions as \(srcShape == nil ? "input" : "self") tensor")
        if let srcShape {
            check(srcShape.count == index.rank || srcShape.isEmpty, op, "Index tensor must have the same number of dimensions as src tensor")
            let fits = index.shape.indices.allSatisfy { k in
                (k == d || rank == 0 || index.shape[k] <= shape[k]) && (srcShape.isEmpty || index.shape[k] <= srcShape[k])
            }
            check(fits, op, "Expected index \(shapeText(index.shape)) to be no larger than self \(shapeText(shape)) apart from dimension \(d) and to be no larger size than src \(shapeText(srcShape))")
        } else {
            for k in 0..<index.rank where k != d {
                check(index.shape[k] <= shape[k], op,
                      "Size does not match at dimension \(k) expected index \(shapeText(index.shape)) to be no larger than self \(shapeText(shape)) apart from dimension \(d)")
            }
        }
        return (d, index.ensuring(.int64))
    }

    /// Picks, along `dim`, the element each entry of `index` names:
    /// `out[i][j] = self[index[i][j]][j]` for `dim` 0 (`torch.gather`).
    ///
    /// - Parameters:
    ///   - dim: The dimension `index` points along.
    ///   - index: An integer tensor of this tensor's rank, no larger than it
    ///     in the other dimensions; its shape is the result's.
    /// - Returns: A tensor of `index`'s shape, recorded as `GatherBackward0`.
    /// - Complexity: O(index.count), split over threads for large indices.
    public func gather(dim: Int, index: Tensor) -> Tensor {
        let (d, idx) = dimIndex(index, dim: dim, op: "gather")
        let out = Tensor(uninitializedShape: idx.shape, dtype: dtype)
        var bad: Int64 = 0
        let size = rank == 0 ? 1 : shape[d]
        let ok = withExtendedLifetime((self, idx)) {
            ct_gather(dtype.kernelCode, Int32(idx.rank), idx.shape.map(Int64.init), Int32(d), Int64(size),
                      baseAddress, strides.map(Int64.init), idx.baseAddress.assumingMemoryBound(to: Int64.self),
                      idx.strides.map(Int64.init), out.baseAddress, out.strides.map(Int64.init), &bad)
        }
        check(ok, "gather", "index \(bad) is out of bounds for dimension \(d) with size \(size)")
        let inputShape = shape
        return Tensor.record("GatherBackward0", inputs: [self], result: out) { grad, _ in
            [Tensor.zeros(inputShape, dtype: grad.dtype).scatterAdd(dim: d, index: idx, src: grad)]
        }
    }

    /// This tensor with `values` combined into the places `index` names along `dim` (no autograd).
    private func scatterKernel(dim d: Int, index idx: Tensor, values: Tensor, reduce: ct_scatter_reduce,
                               counts: Tensor? = nil, op: String) -> Tensor {
        let out = contiguous(copy: true)
        let v = values.ensuring(dtype)
        let valueStrides = v.rank == 0 ? [Int](repeating: 0, count: idx.rank) : v.strides
        var bad: Int64 = 0
        let size = rank == 0 ? 1 : shape[d]
        let ok = withExtendedLifetime((v, idx, counts)) {
            ct_scatter(dtype.kernelCode, reduce, Int32(idx.rank), idx.shape.map(Int64.init), Int32(d), Int64(size),
                       out.baseAddress, out.strides.map(Int64.init), idx.baseAddress.assumingMemoryBound(to: Int64.self),
                       idx.strides.map(Int64.init), v.baseAddress, valueStrides.map(Int64.init),
                       counts?.baseAddress.assumingMemoryBound(to: Int64.self), counts?.strides.map(Int64.init), &bad)
        }
        check(ok, op, "index \(bad) is out of bounds for dimension \(d) with size \(size)")
        return out
    }

    /// This tensor with the elements of `src` written where `index` points
    /// along `dim`: `out[index[i][j]][j] = src[i][j]` for `dim` 0 (`torch.scatter`).
    ///
    /// Where several entries of `index` name one place, the last one wins.
    public func scattered(dim: Int, index: Tensor, src: Tensor) -> Tensor {
        let (d, idx) = dimIndex(index, dim: dim, op: "scatter", srcShape: src.shape)
        let out = withNoGrad { scatterKernel(dim: d, index: idx, values: src, reduce: CT_SCATTER_ASSIGN, op: "scatter") }
        return Tensor.record("ScatterBackward0", inputs: [self, src], result: out) { grad, saved in
            [saved.needsGrad(0) ? grad.scattered(dim: d, index: idx, value: 0) : nil,
             saved.needsGrad(1) ? grad.gather(dim: d, index: idx) : nil]
        }
    }

    /// This tensor with `value` written where `index` points along `dim` (`torch.scatter` with a number).
    public func scattered(dim: Int, index: Tensor, value: Double) -> Tensor {
        let (d, idx) = dimIndex(index, dim: dim, op: "scatter", srcShape: index.shape)
        let out = withNoGrad {
            scatterKernel(dim: d, index: idx, values: Tensor(value, dtype: dtype), reduce: CT_SCATTER_ASSIGN, op: "scatter")
        }
        return Tensor.record("ScatterBackward1", inputs: [self], result: out) { grad, _ in
            [grad.scattered(dim: d, index: idx, value: 0)]
        }
    }

    /// This tensor with the elements of `src` added where `index` points
    /// along `dim` (`torch.scatter_add`); repeated places accumulate.
    public func scatterAdd(dim: Int, index: Tensor, src: Tensor) -> Tensor {
        let (d, idx) = dimIndex(index, dim: dim, op: "scatter_add", srcShape: src.shape)
        let out = withNoGrad { scatterKernel(dim: d, index: idx, values: src, reduce: CT_SCATTER_SUM, op: "scatter_add") }
        return Tensor.record("ScatterAddBackward0", inputs: [self, src], result: out) { grad, saved in
            [saved.needsGrad(0) ? grad : nil, saved.needsGrad(1) ? grad.gather(dim: d, index: idx) : nil]
        }
    }

    /// Reduces the elements of `src` into the places `index` names along `dim`
    /// (`torch.scatter_reduce`).
    ///
    /// - Parameters:
    ///   - dim: The dimension `index` points along.
    ///   - index: Integer positions, of `src`'s rank.
    ///   - src: The values to reduce.
    ///   - reduce: `.sum`, `.prod`, `.mean`, `.amax` or `.amin`.
    ///   - includeSelf: Whether this tensor's own values take part at the
    ///     places that receive values (places that receive none keep them either way).
    /// - Returns: A tensor of this tensor's shape, recorded as `ScatterReduceBackward0`;
    ///   ties of `amax`/`amin` share the gradient evenly, as in PyTorch.
    public func scatterReduce(dim: Int, index: Tensor, src: Tensor, reduce: ScatterReduction,
                              includeSelf: Bool = true) -> Tensor {
        let (d, idx) = dimIndex(index, dim: dim, op: "scatter_reduce", srcShape: src.shape)
        check(reduce != .mean || dtype != .bool, "scatter_reduce", "\"scatter_reduce\" not implemented for 'Bool'")
        let (out, received) = withNoGrad { () -> (Tensor, Tensor) in
            let counts = Tensor.zeros(shape, dtype: .int64)
            var start = self
            if !includeSelf {
                // The places that receive values start from the reduction's identity.
                let identity: Double = switch reduce {
                case .sum, .mean: 0
                case .prod: 1
                case .amax: dtype.isFloatingPoint ? -.infinity : Double(Int64.min)
                case .amin: dtype.isFloatingPoint ? .infinity : Double(Int64.max)
                }
                start = scatterKernel(dim: d, index: idx, values: Tensor(identity, dtype: dtype), reduce: CT_SCATTER_ASSIGN,
                                      op: "scatter_reduce")
            }
            var out = start.scatterKernel(dim: d, index: idx, values: src, reduce: reduce.kernel, counts: counts,
                                          op: "scatter_reduce")
            if reduce == .mean {
                let n = includeSelf ? counts + 1 : Tensor.where(counts .== 0.0, Tensor.ones(like: counts), counts)
                out = dtype.isFloatingPoint ? out / n.to(dtype) : out.floorDivide(n.to(dtype))
            }
            return (out, counts .> 0.0)
        }
        let operands = [self, src]
        return Tensor.record("ScatterReduceBackward0", inputs: operands, result: out, saving: operands,
                             savingResult: true) { grad, saved in
            let (x, src, result) = (saved[0], saved[1], saved.result)
            // Places that received values, where this tensor's value does not count without includeSelf.
            let selfCounts = includeSelf ? Tensor.ones(received.shape, dtype: .bool) : !received
            switch reduce {
            case .sum:
                return [Tensor.where(selfCounts, grad, 0.0), grad.gather(dim: d, index: idx)]
            case .mean:
                let n = Tensor.zeros(like: grad).scatterAdd(dim: d, index: idx, src: Tensor.ones(like: src))
                    + selfCounts.to(grad.dtype)
                let share = grad / Tensor.where(n .== 0.0, 1.0, n)
                return [Tensor.where(selfCounts, share, 0.0), share.gather(dim: d, index: idx)]
            case .amax, .amin:
                // As PyTorch: ties count this tensor's equal value even without includeSelf.
                let selfIsResult = x .== result
                let srcIsResult = src .== result.gather(dim: d, index: idx)
                let ties = selfIsResult.to(grad.dtype)
                    .scatterAdd(dim: d, index: idx, src: srcIsResult.to(grad.dtype))
                let share = grad / ties
                return [Tensor.where(selfIsResult .&& selfCounts, share, 0.0),
                        Tensor.where(srcIsResult, share.gather(dim: d, index: idx), 0.0)]
            case .prod:
                // Products without division where a factor is zero: the product of the
                // other factors is the product of the nonzero ones when this is the only zero.
                let selfFactor = Tensor.where(selfCounts, x, 1.0)
                let zeros = (selfFactor .== 0.0).to(grad.dtype)
                    .scatterAdd(dim: d, index: idx, src: (src .== 0.0).to(grad.dtype))
                let nonzero = Tensor.where(selfFactor .== 0.0, 1.0, selfFactor)
                    .scatterReduce(dim: d, index: idx, src: Tensor.where(src .== 0.0, 1.0, src), reduce: .prod)
                func others(_ factor: Tensor, _ zerosHere: Tensor, _ nonzeroHere: Tensor, _ resultHere: Tensor) -> Tensor {
                    Tensor.where(factor .== 0.0, Tensor.where(zerosHere .== 1.0, nonzeroHere, 0.0), resultHere / factor)
                }
                let dSelf = Tensor.where(selfCounts, grad * others(x, zeros, nonzero, result), 0.0)
                let dSrc = grad.gather(dim: d, index: idx) * others(src, zeros.gather(dim: d, index: idx),
                                                                    nonzero.gather(dim: d, index: idx),
                                                                    result.gather(dim: d, index: idx))
                return [dSelf, dSrc]
            }
        }
    }

    // MARK: Index ops on indexing plans

    /// Checks `source` against this tensor with `dim` resized to `count` (index_add/index_copy).
    private func checkIndexSource(_ source: Tensor, dim d: Int, count: Int, op: String) {
        let sourceCount = source.rank == 0 ? 1 : source.shape[Swift.min(d, source.rank - 1)]
        if op == "index_copy_" {
            check(sourceCount == count, op, "index_copy_(): Number of indices (\(count)) should be equal to source.size(dim) (\(sourceCount))")
        } else {
            check(sourceCount == count, op, "index_add_(): Number of indices (\(count)) should be equal to source.size(dim): (\(sourceCount)), for dim: \(d)")
        }
        guard rank > 0 else { return }
        var expected = shape
        expected[d] = count
        check(source.shape == expected, op, "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = \(shapeText(shape)) source.shape = \(shapeText(source.shape))")
    }

    /// This tensor plus `alpha · source` added at `index` along `dim`;
    /// repeated positions accumulate (`torch.index_add`).
    ///
    /// - Parameters:
    ///   - dim: The dimension `index` picks along.
    ///   - index: A 0-d or 1-d integer tensor of positions.
    ///   - source: This tensor's shape with `dim` of `index.count`.
    ///   - alpha: A scale for `source`.
    public func indexAdd(dim: Int, index: Tensor, source: Tensor, alpha: Double = 1) -> Tensor {
        check(index.rank <= 1 && index.dtype.isInteger, "index_add", "index_add_(): Index is supposed to be a vector")
        let d = Shape.normalize(dim: dim, rank: rank, op: "index_add")
        let base = rank == 0 ? reshaped([1]) : self
        let plan = IndexPlan(dim: d, positions: index, of: base, op: "index_add", allowsNegative: false)
        checkIndexSource(source, dim: d, count: index.count, op: "index_add_")
        let out = withNoGrad { () -> Tensor in
            let scaled = alpha == 1 ? source : source * alpha
            return Tensor.indexPut(base, plan, scaled.reshaped(plan.resultShape), accumulate: true).reshaped(shape)
        }
        return Tensor.record("IndexAddBackward0", inputs: [self, source], result: out) { grad, saved in
            [saved.needsGrad(0) ? grad : nil,
             saved.needsGrad(1) ? (alpha == 1 ? grad : grad * alpha).indexSelect(dim: d, index) : nil]
        }
    }

    /// This tensor with the slices of `source` copied to `index` along `dim` (`torch.index_copy`).
    public func indexCopy(dim: Int, index: Tensor, source: Tensor) -> Tensor {
        check(index.rank <= 1 && index.dtype.isInteger, "index_copy", "index_copy_(): Index should have dimension 1 or 0 (got \(index.rank))")
        let d = Shape.normalize(dim: dim, rank: rank, op: "index_copy")
        let base = rank == 0 ? reshaped([1]) : self
        let plan = IndexPlan(dim: d, positions: index, of: base, op: "index_copy", allowsNegative: false)
        checkIndexSource(source, dim: d, count: index.count, op: "index_copy_")
        let out = withNoGrad {
            Tensor.indexPut(base, plan, source.reshaped(plan.resultShape), accumulate: false).reshaped(shape)
        }
        return Tensor.record("IndexCopyBackward0", inputs: [self, source], result: out) { grad, saved in
            [saved.needsGrad(0) ? grad.indexFill(dim: d, index: index, value: 0) : nil,
             saved.needsGrad(1) ? grad.indexSelect(dim: d, index) : nil]
        }
    }

    /// This tensor with `value` written at `index` along `dim` (`torch.index_fill`).
    public func indexFill(dim: Int, index: Tensor, value: Double) -> Tensor {
        check(index.rank <= 1 && index.dtype.isInteger, "index_fill", "index_fill_(): Index is supposed to be a vector")
        let d = Shape.normalize(dim: dim, rank: rank, op: "index_fill")
        let base = rank == 0 ? reshaped([1]) : self
        let plan = IndexPlan(dim: d, positions: index, of: base, op: "index_fill", allowsNegative: false)
        let out = withNoGrad {
            Tensor.indexPut(base, plan, Tensor(value, dtype: dtype), accumulate: false).reshaped(shape)
        }
        return Tensor.record("IndexFillBackward0", inputs: [self], result: out) { grad, _ in
            [grad.indexFill(dim: d, index: index, value: 0)]
        }
    }

    /// The elements where `mask` (broadcast with this tensor) is true, as a 1-d tensor (`torch.masked_select`).
    public func maskedSelect(_ mask: Tensor) -> Tensor {
        check(mask.dtype == .bool, "masked_select", "masked_select: expected BoolTensor for mask")
        let shape = Shape.broadcast(self.shape, mask.shape, op: "masked_select")
        let expanded = expanded(to: shape)
        let plan = IndexPlan([(0, mask.expanded(to: shape))], of: expanded, op: "masked_select")
        let out = withNoGrad { expanded.index(plan) }
        return Tensor.record("MaskedSelectBackward0", inputs: [self], result: out) { grad, _ in
            [Tensor.indexPut(Tensor.zeros(shape, dtype: grad.dtype), plan, grad, accumulate: true)]
        }
    }

    /// This tensor with the places where `mask` is true filled, in order, from
    /// the elements of `source` (`torch.masked_scatter`).
    public func maskedScatter(_ mask: Tensor, source: Tensor) -> Tensor {
        check(mask.dtype == .bool, "masked_scatter", "masked_scatter_only supports boolean masks, but got mask with dtype \(mask.dtype)")
        let m = mask.expanded(to: Shape.broadcast(shape, mask.shape, op: "masked_scatter"))
        check(m.shape == shape, "masked_scatter", "masked_scatter: expected mask to be broadcastable to self")
        let plan = IndexPlan([(0, m)], of: self, op: "masked_scatter")
        let n = plan.resultShape[0]
        check(source.count >= n, "masked_scatter", "Number of elements of source < number of ones in mask")
        let sourceShape = source.shape
        let out = withNoGrad {
            Tensor.indexPut(self, plan, source.reshaped(-1).narrowed(dim: 0, start: 0, length: n).ensuring(dtype),
                            accumulate: false)
        }
        return Tensor.record("MaskedScatterBackward0", inputs: [self, source], result: out) { grad, saved in
            [saved.needsGrad(0) ? Tensor.where(m, 0.0, grad) : nil,
             saved.needsGrad(1)
                ? Tensor.cat([grad.index(plan), Tensor.zeros([Shape.count(sourceShape) - n], dtype: grad.dtype)])
                    .reshaped(sourceShape)
                : nil]
        }
    }

    /// The elements at flat (row-major) positions `index`, in `index`'s shape (`torch.take`).
    public func take(_ index: Tensor) -> Tensor {
        check(index.dtype.isInteger, "take", "take(): Expected a long tensor for index, but got \(index.dtype.scalarTypeName)")
        let flat = reshaped(-1)
        let n = count
        for i in index.scalars(as: Int.self) {
            check(i >= -n && i < n, "take", "out of range: tried to access index \(i) on a tensor of \(n) elements.")
        }
        let plan = IndexPlan([(0, index)], of: flat, op: "take")
        let out = withNoGrad { flat.index(plan) }
        let inputShape = shape
        return Tensor.record("TakeBackward0", inputs: [self], result: out) { grad, _ in
            [Tensor.indexPut(Tensor.zeros([n], dtype: grad.dtype), plan, grad, accumulate: true).reshaped(inputShape)]
        }
    }

    /// ``gather(dim:index:)`` with `indices` and this tensor broadcast
    /// together outside `dim` (`torch.take_along_dim`); without a dim, over
    /// the flattened tensor.
    public func takeAlongDim(_ indices: Tensor, dim: Int? = nil) -> Tensor {
        guard let dim else { return reshaped(-1).gather(dim: 0, index: indices.reshaped(-1)) }
        check(rank == indices.rank, "take_along_dim", "torch.take_along_dim(): input and indices should have the same number of dimensions, but got \(rank) dimensions for input, and \(indices.rank) dimensions for indices")
        let d = Shape.normalize(dim: dim, rank: rank, op: "take_along_dim")
        var selfShape = shape, indexShape = indices.shape
        selfShape[d] = 1
        indexShape[d] = 1
        let common = Shape.broadcast(selfShape, indexShape, op: "take_along_dim")
        var selfTarget = common, indexTarget = common
        selfTarget[d] = shape[d]
        indexTarget[d] = indices.shape[d]
        return expanded(to: selfTarget).gather(dim: d, index: indices.expanded(to: indexTarget))
    }
}
