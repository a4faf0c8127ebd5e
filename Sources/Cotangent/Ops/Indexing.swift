import CCotangentKernels

/// One entry of a tensor subscript, as in PyTorch's `x[0, 1:3, ..., None, mask]`.
public enum TensorIndex {
    /// A single position; the dimension is removed (`x[2]`, `x[-1]`).
    case index(Int)
    /// A Python-style slice: clamped bounds, negative ones counting from the end.
    case slice(start: Int?, end: Int?, step: Int)
    /// All remaining dimensions (Python's `...`).
    case ellipsis
    /// A new dimension of size 1 (Python's `None`).
    case newAxis
    /// An `int64`/`int32` tensor of positions, or a `bool` mask.
    case tensor(Tensor)

    /// Every element of one dimension (Python's `:`).
    public static var all: TensorIndex { .slice(start: nil, end: nil, step: 1) }
}

/// A value usable inside a tensor subscript: `Int`, ranges, strides, `Tensor`, ``TensorIndex``.
public protocol TensorIndexConvertible {
    var tensorIndex: TensorIndex { get }
}

extension TensorIndex: TensorIndexConvertible { public var tensorIndex: TensorIndex { self } }
extension Int: TensorIndexConvertible { public var tensorIndex: TensorIndex { .index(self) } }
extension Range<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .slice(start: lowerBound, end: upperBound, step: 1) }
}
extension ClosedRange<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .slice(start: lowerBound, end: upperBound == -1 ? nil : upperBound + 1, step: 1) }
}
extension PartialRangeFrom<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .slice(start: lowerBound, end: nil, step: 1) }
}
extension PartialRangeUpTo<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .slice(start: nil, end: upperBound, step: 1) }
}
extension PartialRangeThrough<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .slice(start: nil, end: upperBound == -1 ? nil : upperBound + 1, step: 1) }
}
extension StrideTo<Int>: TensorIndexConvertible {
    /// `stride(from: 0, to: 10, by: 2)` is the slice `0:10:2`.
    public var tensorIndex: TensorIndex {
        let values = Array(self)
        guard let first = values.first, let last = values.last else { return .slice(start: 0, end: 0, step: 1) }
        return .slice(start: first, end: last + 1, step: values.count > 1 ? values[1] - first : 1)
    }
}
extension Tensor: TensorIndexConvertible { public var tensorIndex: TensorIndex { .tensor(self) } }

extension Tensor {
    /// Indexes like PyTorch: `x[0]`, `x[-1]`, `x[1, 2]`, `x[2..<7]`,
    /// `x[TensorIndex.ellipsis, 0]`, `x[mask]`, `x[indexTensor]`.
    ///
    /// Integers and ranges give views that share storage; tensor indices copy.
    /// Assigning writes into this tensor (and every view of its storage).
    public subscript(_ indices: any TensorIndexConvertible...) -> Tensor {
        get { index(indices.map(\.tensorIndex)) }
        set { assign(newValue, at: indices.map(\.tensorIndex)) }
    }

    /// `x[..., 0]`: Swift's `...` stands for the whole first dimension (Python's `:`).
    public subscript(_ all: UnboundedRange, _ rest: any TensorIndexConvertible...) -> Tensor {
        get { index([TensorIndex.all] + rest.map(\.tensorIndex)) }
        set { assign(newValue, at: [TensorIndex.all] + rest.map(\.tensorIndex)) }
    }

    /// `x[0, ..., 1]`: `...` stands for the whole second dimension.
    public subscript(_ first: any TensorIndexConvertible, _ all: UnboundedRange, _ rest: any TensorIndexConvertible...) -> Tensor {
        get { index([first.tensorIndex, TensorIndex.all] + rest.map(\.tensorIndex)) }
        set { assign(newValue, at: [first.tensorIndex, TensorIndex.all] + rest.map(\.tensorIndex)) }
    }

    /// The number of dims an index list consumes, and a check against the rank.
    private func consumedDims(_ items: [TensorIndex]) -> Int {
        var consumed = 0, ellipses = 0
        for item in items {
            switch item {
            case .index, .slice: consumed += 1
            case .tensor(let t): consumed += t.dtype == .bool ? t.rank : 1
            case .ellipsis: ellipses += 1
            case .newAxis: break
            }
        }
        check(ellipses <= 1, "index", "an index can only have a single ellipsis ('...')")
        check(consumed <= rank, "index", "too many indices for tensor of dimension \(rank)")
        return consumed
    }

    /// Whether a slice covers all of a dim of `size` (after clamping, step 1).
    private static func isFull(start: Int?, end: Int?, step: Int, size: Int) -> Bool {
        func clamped(_ b: Int?, _ fallback: Int) -> Int {
            guard var b else { return fallback }
            if b < 0 { b += size }
            return Swift.min(Swift.max(b, 0), size)
        }
        return step == 1 && clamped(start, 0) == 0 && clamped(end, size) == size
    }

    /// Applies the basic entries (ints, slices, ellipsis, new axes) and returns
    /// the view plus any tensor entries with the dim they apply to.
    ///
    /// As in PyTorch's indexing of a tuple, a slice covering its whole dim is
    /// skipped, unless it is the only entry (`x[...]` is a slice, `x[..., 0..<n]` not).
    private func basicIndex(_ items: [TensorIndex]) -> (view: Tensor, advanced: [(dim: Int, index: Tensor)]) {
        let consumed = consumedDims(items)
        let skipsFullSlices = !(items.count == 1 && { if case .slice = items[0] { true } else { false } }())
        var result = self, dim = 0
        var advanced: [(Int, Tensor)] = []
        for item in items {
            switch item {
            case .index(let i):
                result = result.select(dim: dim, index: i)
            case .slice(let start, let end, let step):
                if !(skipsFullSlices && Tensor.isFull(start: start, end: end, step: step, size: result.shape[dim])) {
                    result = result.slice(dim: dim, start: start, end: end, step: step)
                }
                dim += 1
            case .ellipsis:
                dim += rank - consumed
            case .newAxis:
                result = result.unsqueezed(dim)
                dim += 1
            case .tensor(let t):
                advanced.append((dim, t))
                dim += t.dtype == .bool ? t.rank : 1
            }
        }
        return (result, advanced)
    }

    /// Stops unless a mask of `maskShape` matches `view`'s dims from `d` on.
    private static func checkMask(_ maskShape: [Int], atDim d: Int, of view: Tensor, op: String) {
        for (k, size) in maskShape.enumerated() {
            check(d + k < view.rank && view.shape[d + k] == size, op,
                  "The shape of the mask \(shapeText(maskShape)) at index \(k) does not match the shape of the indexed tensor \(shapeText(view.shape)) at index \(d + k)")
        }
    }

    /// Converts a bool mask over dims `d..<d+mask.rank` into flat positions over those dims.
    private func positions(ofMask mask: Tensor, atDim d: Int, in view: Tensor) -> (flat: Tensor, merged: Tensor) {
        let maskShape = mask.rank == 0 ? [1] : mask.shape
        let m = mask.rank == 0 ? mask.reshaped([1]) : mask
        Tensor.checkMask(maskShape, atDim: d, of: view, op: "index")
        let merged = view.flattened(startDim: d, endDim: d + maskShape.count - 1)
        let flags = m.contiguous().scalars(as: Bool.self)
        let hits = flags.indices.filter { flags[$0] }.map(Int64.init)
        return (Tensor(shape: [hits.count], scalars: hits), merged)
    }

    func index(_ items: [TensorIndex]) -> Tensor {
        let (view, advanced) = basicIndex(items)
        // An index that selects everything still returns a new view: PyTorch's alias.
        if advanced.isEmpty && view === self { return aliased() }
        guard let (d, index) = advanced.first else { return view }
        check(advanced.count == 1, "index", "indexing with more than one tensor index is not supported yet; index one dimension at a time")
        if index.dtype == .bool {
            // A 0-d mask consumes no dim: it adds one of size 1 and masks it, as in PyTorch
            // (`x[Tensor(true)]` on a 0-d tensor is `[x]`).
            let (maskedView, mask) = index.rank == 0 ? (view.unsqueezed(d), index.reshaped([1])) : (view, index)
            let (flat, merged) = positions(ofMask: mask, atDim: d, in: maskedView)
            return merged.indexSelect(dim: d, flat, name: "IndexBackward0")
        }
        check(index.dtype.isInteger, "index", "tensors used as indices must be long, int, byte or bool tensors")
        if index.rank == 1 { return view.indexSelect(dim: d, index, name: "IndexBackward0") }
        // A 0-d or n-d index: pick along the dim, then shape the result, recorded as
        // one IndexBackward0 (as PyTorch) rather than an index followed by a view.
        let flat = index.reshaped(-1)
        let picked = withNoGrad { view.indexSelect(dim: d, flat, name: "IndexBackward0") }
        let result = picked.reshaped(Array(view.shape[..<d]) + index.shape + Array(view.shape[(d + 1)...]))
        let size = view.rank == 0 ? 1 : view.shape[d]
        let positions = flat.scalars(as: Int.self).map { $0 < 0 ? $0 + size : $0 }
        let (pickedShape, viewShape) = (picked.shape, view.shape)
        // The index is saved, as PyTorch's IndexBackward0 saves its indices: reading it checks
        // that the graph was not freed by an earlier backward, and that it was not changed in place.
        return Tensor.record("IndexBackward0", inputs: [view], result: result, saving: [index]) { grad, saved in
            _ = saved[0]
            return [Tensor.indexAdd(grad.reshaped(pickedShape), dim: d, positions: positions, shape: viewShape)]
        }
    }

    /// A view of all of this tensor, recorded as PyTorch's `AliasBackward0` (`x[...]`).
    private func aliased() -> Tensor {
        let result = view(shape: shape, strides: strides, offset: storageOffset)
        return Tensor.record("AliasBackward0", inputs: [self], result: result) { grad, _ in [grad] }
    }

    /// Picks entries along `dim` by position (`torch.index_select`).
    ///
    /// Positions must lie in `0..<size(dim)`: as in PyTorch, a negative one stops
    /// (a tensor subscript, `x[index]`, accepts them).
    public func indexSelect(dim: Int, _ index: Tensor) -> Tensor {
        indexSelect(dim: dim, index, name: "IndexSelectBackward0", allowsNegative: false)
    }

    func indexSelect(dim: Int, _ index: Tensor, name: String, allowsNegative: Bool = true) -> Tensor {
        check(index.rank <= 1 && index.dtype.isInteger, "index_select", "index_select(): Index is supposed to be a vector of integers")
        let d = Shape.normalize(dim: dim, rank: rank, op: "index_select")
        let size = rank == 0 ? 1 : shape[d]
        let positions = index.scalars(as: Int.self).map { i -> Int in
            if !allowsNegative { check(i >= 0 && i < size, "index_select", "index out of range in self") }
            check(i >= -size && i < size, "index", "index \(i) is out of bounds for dimension \(d) with size \(size)")
            return i < 0 ? i + size : i
        }
        var outShape = shape
        if rank > 0 { outShape[d] = positions.count }
        let out = Tensor(uninitializedShape: outShape, dtype: dtype)
        withNoGrad {
            for (i, p) in positions.enumerated() where rank > 0 {
                Kernels.copy(select(dim: d, index: p), into: out.select(dim: d, index: i))
            }
            if rank == 0 { Kernels.copy(self, into: out) }
        }
        let inputShape = shape
        // Saved and read as PyTorch's IndexSelectBackward0/IndexBackward0 read their index (see `index`).
        return Tensor.record(name, inputs: [self], result: out, saving: [index]) { grad, saved in
            _ = saved[0]
            return [Tensor.indexAdd(grad, dim: d, positions: positions, shape: inputShape)]
        }
    }

    /// Zeros of `shape` with `source`'s slices added at `positions` along `dim`
    /// (duplicates accumulate); the gradient of ``indexSelect(dim:_:)``.
    static func indexAdd(_ source: Tensor, dim d: Int, positions: [Int], shape: [Int]) -> Tensor {
        let out = Tensor.zeros(shape, dtype: source.dtype)
        withNoGrad {
            if shape.isEmpty {
                out.addInPlaceUnchecked(source.sum())
            } else {
                for (i, p) in positions.enumerated() {
                    let row = out.select(dim: d, index: p)
                    Kernels.binary(CT_ADD, row, source.select(dim: d, index: i).ensuring(out.dtype), into: row)
                }
            }
        }
        let index = Tensor(shape: [positions.count], scalars: positions.map(Int64.init))
        return record("IndexAddBackward0", inputs: [source], result: out, saving: [index]) { grad, saved in
            [grad.indexSelect(dim: d, saved[0], name: "IndexSelectBackward0")]
        }
    }

    /// Writes `value` (broadcast) into the elements `items` select.
    func assign(_ value: Tensor, at items: [TensorIndex]) {
        let (_, advanced) = withNoGrad { basicIndex(items) }
        if advanced.isEmpty {
            let region = withNoGrad { basicIndex(items).view }
            let broadcast = Shape.broadcast(region.shape, value.shape, op: "index_put_")
            check(broadcast == region.shape, "index_put_", "shape mismatch: value tensor of shape \(shapeText(value.shape)) cannot be broadcast to indexing result of shape \(shapeText(region.shape))")
            updateInPlace("index_put_", involving: value, fastPath: value.storage === storage ? nil : {
                Kernels.copy(value, into: region)
            }) { old in
                Tensor.copySlices(old, value: value, region: { $0.basicIndex(items).view })
            }
            return
        }
        check(!(GradMode.isEnabled && (requiresGrad || value.requiresGrad)), "index_put_",
              "assignment through a tensor index to a tensor that requires grad is not supported; build the result with Tensor.where(mask, value, x) instead")
        checkInPlace("index_put_")
        check(advanced.count == 1, "index_put_", "assignment with more than one tensor index is not supported yet")
        let (basicView, _) = withNoGrad { basicIndex(items) }
        let (d, rawIndex) = advanced[0]
        // A 0-d mask masks a new dim of size 1 (see `index`).
        let (view, index) = rawIndex.dtype == .bool && rawIndex.rank == 0
            ? (withNoGrad { basicView.unsqueezed(d) }, rawIndex.reshaped([1])) : (basicView, rawIndex)
        withNoGrad {
            // Each hit is a tuple of positions over the dims the index covers.
            var hits: [[Int]] = []
            if index.dtype == .bool {
                let maskShape = index.rank == 0 ? [1] : index.shape
                Tensor.checkMask(maskShape, atDim: d, of: view, op: "index_put_")
                let flags = index.contiguous().scalars(as: Bool.self)
                let strides = Shape.contiguousStrides(maskShape)
                for (flat, flag) in flags.enumerated() where flag {
                    hits.append(zip(maskShape, strides).map { size, stride in (flat / stride) % size })
                }
            } else {
                check(index.dtype.isInteger, "index_put_", "tensors used as indices must be long, int, byte or bool tensors")
                let size = view.shape[d]
                hits = index.reshaped(-1).scalars(as: Int.self).map { i in
                    check(i >= -size && i < size, "index", "index \(i) is out of bounds for dimension \(d) with size \(size)")
                    return [i < 0 ? i + size : i]
                }
            }
            for (n, hit) in hits.enumerated() {
                let slot = hit.reduce(view) { $0.select(dim: d, index: $1) }
                // One value for all hits, or one row of `value` per hit.
                let piece = value.count == 1 ? value.reshaped([])
                    : (value.rank > slot.rank ? value.select(dim: 0, index: n) : value)
                check(Shape.broadcast(slot.shape, piece.shape, op: "index_put_") == slot.shape, "index_put_",
                      "shape mismatch: value tensor of shape \(shapeText(value.shape)) cannot be broadcast to indexing result of shape \(shapeText([hits.count] + slot.shape))")
                Kernels.copy(piece, into: slot)
            }
        }
        storage.version += 1
    }
}
