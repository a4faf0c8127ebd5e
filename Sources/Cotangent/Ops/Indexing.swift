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

    /// `x[..., 0]`: Swift's `...` is Python's Ellipsis, all the dimensions the
    /// other entries leave (so on a `[2, 3, 4]` tensor the result is `[2, 3]`).
    public subscript(_ all: UnboundedRange, _ rest: any TensorIndexConvertible...) -> Tensor {
        get { index([TensorIndex.ellipsis] + rest.map(\.tensorIndex)) }
        set { assign(newValue, at: [TensorIndex.ellipsis] + rest.map(\.tensorIndex)) }
    }

    /// `x[0, ..., 1]`: `...` is Python's Ellipsis.
    public subscript(_ first: any TensorIndexConvertible, _ all: UnboundedRange, _ rest: any TensorIndexConvertible...) -> Tensor {
        get { index([first.tensorIndex, TensorIndex.ellipsis] + rest.map(\.tensorIndex)) }
        set { assign(newValue, at: [first.tensorIndex, TensorIndex.ellipsis] + rest.map(\.tensorIndex)) }
    }

    /// The number of dims an index list consumes, and a check against the rank.
    private func consumedDims(_ items: [TensorIndex]) -> Int {
        var consumed = 0, ellipses = 0
        for item in items {
            switch item {
            case .index, .slice: consumed += 1
            // A 0-d bool mask adds a dimension instead of consuming one.
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
    /// skipped, unless it is the only entry (`x[TensorIndex.all]` is a slice).
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
            case .tensor(let t) where t.dtype == .bool && t.rank == 0:
                // x[true] adds a dimension of 1, x[false] one of 0: a one-element mask over a new dim.
                result = result.unsqueezed(dim)
                advanced.append((dim, t.reshaped([1])))
                dim += 1
            case .tensor(let t):
                advanced.append((dim, t))
                dim += t.dtype == .bool ? t.rank : 1
            }
        }
        return (result, advanced)
    }

    /// Stops unless a mask of `maskShape` matches `view`'s dims from `d` on.
    fileprivate static func checkMask(_ maskShape: [Int], atDim d: Int, of view: Tensor, op: String) {
        for (k, size) in maskShape.enumerated() {
            check(d + k < view.rank && view.shape[d + k] == size, op,
                  "The shape of the mask \(shapeText(maskShape)) at index \(k) does not match the shape of the indexed tensor \(shapeText(view.shape)) at index \(d + k)")
        }
    }

    func index(_ items: [TensorIndex]) -> Tensor {
        let (view, advanced) = basicIndex(items)
        guard !advanced.isEmpty else {
            // `x[...]` (or an empty subscript) is an alias, as PyTorch's.
            guard view === self else { return view }
            return Tensor.record("AliasBackward0", inputs: [self],
                                 result: self.view(shape: shape, strides: strides, offset: storageOffset)) { grad, _ in [grad] }
        }
        return view.index(IndexPlan(advanced, of: view, op: "index"))
    }

    /// The elements a plan picks (PyTorch's `index`), recorded as `IndexBackward0`.
    func index(_ plan: IndexPlan, name: String = "IndexBackward0", backwardName: String = "IndexPutBackward0") -> Tensor {
        let out = Tensor(uninitializedShape: plan.resultShape, dtype: dtype)
        plan.gather(from: self, into: out)
        let viewShape = shape
        // The index tensors are saved, as PyTorch's node saves its indices: reading them checks
        // that the graph was not freed by an earlier backward, and that they were not changed in place.
        return Tensor.record(name, inputs: [self], result: out, saving: plan.indexTensors) { grad, saved in
            plan.indexTensors.indices.forEach { _ = saved[$0] }
            return [Tensor.indexPut(Tensor.zeros(viewShape, dtype: grad.dtype), plan, grad, accumulate: true, name: backwardName)]
        }
    }

    /// `base` with the elements a plan picks replaced by (or, with `accumulate`,
    /// increased by) `values`, broadcast to the plan's result shape (PyTorch's
    /// `index_put`), recorded as `IndexPutBackward0`.
    static func indexPut(_ base: Tensor, _ plan: IndexPlan, _ values: Tensor, accumulate: Bool,
                         name: String = "IndexPutBackward0") -> Tensor {
        let type = base.dtype
        check(Shape.broadcast(plan.resultShape, values.shape, op: "index_put_") == plan.resultShape, "index_put_",
              "shape mismatch: value tensor of shape \(shapeText(values.shape)) cannot be broadcast to indexing result of shape \(shapeText(plan.resultShape))")
        let out = withNoGrad { base.contiguous(copy: true) }
        let packed = withNoGrad { values.ensuring(type).expanded(to: plan.resultShape).contiguous() }
        plan.scatter(packed, into: out, accumulate: accumulate)
        return record(name, inputs: [base, values], result: out, saving: plan.indexTensors) { grad, saved in
            plan.indexTensors.indices.forEach { _ = saved[$0] }
            return [saved.needsGrad(0) ? (accumulate ? grad : indexPut(grad, plan, Tensor.zeros([], dtype: grad.dtype), accumulate: false))
                : nil,
             saved.needsGrad(1) ? grad.index(plan) : nil]
        }
    }

    /// Picks entries along `dim` by position (`torch.index_select`); the index
    /// is a 0-d or 1-d integer tensor, and negative positions stop as PyTorch's do.
    public func indexSelect(dim: Int, _ index: Tensor) -> Tensor {
        check(index.rank <= 1 && index.dtype.isInteger, "index_select", "index_select(): Index is supposed to be a vector")
        let d = Shape.normalize(dim: dim, rank: rank, op: "index_select")
        if rank == 0 {
            // A 0-d tensor has one element to pick, and keeps its shape.
            let one = self.reshaped([1])
            _ = IndexPlan(dim: 0, positions: index, of: one, op: "index_select", allowsNegative: false)
            let picked = withNoGrad { self.cloned() }
            return Tensor.record("IndexSelectBackward0", inputs: [self], result: picked) { grad, _ in [grad] }
        }
        let plan = IndexPlan(dim: d, positions: index, of: self, op: "index_select", allowsNegative: false)
        return self.index(plan, name: "IndexSelectBackward0", backwardName: "IndexAddBackward0")
    }

    /// Writes `value` (broadcast) into the elements `items` select.
    func assign(_ value: Tensor, at items: [TensorIndex]) {
        let (_, advanced) = withNoGrad { basicIndex(items) }
        if advanced.isEmpty {
            let region = withNoGrad { basicIndex(items).view }
            let broadcast = Shape.broadcast(region.shape, value.shape, op: "index_put_")
            check(broadcast == region.shape, "index_put_", "shape mismatch: value tensor of shape \(shapeText(value.shape)) cannot be broadcast to indexing result of shape \(shapeText(region.shape))")
            updateInPlace("index_put_", involving: value, direct: value.storage !== storage, write: {
                Kernels.copy(value, into: region)
            }) { old in
                Tensor.copySlices(old, value: value, region: { $0.basicIndex(items).view })
            }
            return
        }
        let value = value.storage === storage ? withNoGrad { value.cloned() } : value
        updateInPlace("index_put_", involving: value, direct: true, write: {
            let (view, advanced) = self.basicIndex(items)
            let plan = IndexPlan(advanced, of: view, op: "index_put_")
            check(Shape.broadcast(plan.resultShape, value.shape, op: "index_put_") == plan.resultShape, "index_put_",
                  "shape mismatch: value tensor of shape \(shapeText(value.shape)) cannot be broadcast to indexing result of shape \(shapeText(plan.resultShape))")
            plan.scatter(value.ensuring(self.dtype).expanded(to: plan.resultShape).contiguous(), into: view, accumulate: false)
        }) { old in
            // Basic entries pick a region of `old`; the tensor entries are put into it.
            let (view, advanced) = old.basicIndex(items)
            let plan = IndexPlan(advanced, of: view, op: "index_put_")
            // Full slices (`x[i, :, j] = v`) leave the whole tensor: no region to copy back.
            if view.shape == old.shape && view.strides == old.strides && view.storageOffset == old.storageOffset {
                return Tensor.indexPut(old, plan, value, accumulate: false)
            }
            return Tensor.copySlices(old, value: Tensor.indexPut(view, plan, value, accumulate: false),
                                     region: { $0.basicIndex(items).view })
        }
    }
}

/// Which elements tensor indices pick from a tensor, as PyTorch's advanced
/// indexing does: the index tensors (bool masks as the positions of their
/// true elements) broadcast together to one shape; where the indexed
/// dimensions are adjacent that shape replaces them in place, otherwise it
/// goes first (`x[:, i, :, j]` is `[B..., x0, x2]`).
struct IndexPlan: @unchecked Sendable {
    /// The indexed dims of the tensor, in order, and each one's positions
    /// (normalised, over the broadcast index shape, row-major).
    let dims: [Int]
    let positions: [[Int]]
    /// The broadcast shape of the index tensors.
    let indexShape: [Int]
    /// The shape of the indexed tensor.
    let sourceShape: [Int]
    /// The index tensors the plan was made from (saved by the nodes that use it, as PyTorch's).
    let indexTensors: [Tensor]
    /// Whether the indexed dims are consecutive (the index shape then stays in place).
    let adjacent: Bool

    /// The shape of what the plan picks.
    var resultShape: [Int] {
        let rest = sourceShape.indices.filter { !dims.contains($0) }.map { sourceShape[$0] }
        guard adjacent, let first = dims.first else { return indexShape + rest }
        return Array(sourceShape[..<first]) + indexShape + Array(sourceShape[(dims.last! + 1)...])
    }

    /// A plan for one integer index along `dim` (indexSelect's).
    init(dim: Int, positions index: Tensor, of source: Tensor, op: String, allowsNegative: Bool) {
        let size = source.shape[dim]
        let values = index.reshaped(-1).scalars(as: Int.self)
        positions = [values.map { i in
            check(i < size && (i >= 0 || (allowsNegative && i >= -size)), op,
                  op == "index_select" ? "index out of range in self" : "index \(i) is out of bounds for dimension \(dim) with size \(size)")
            return i < 0 ? i + size : i
        }]
        dims = [dim]
        indexShape = [values.count]
        sourceShape = source.shape
        indexTensors = [index]
        adjacent = true
    }

    /// A plan for the tensor entries of a subscript, each at the view dim where it applies.
    init(_ entries: [(dim: Int, index: Tensor)], of view: Tensor, op: String) {
        var dims: [Int] = [], columns: [[Int]] = [], shapes: [[Int]] = []
        for (d, index) in entries {
            if index.dtype == .bool {
                // A k-dim mask: the positions of its true elements, one column per dim.
                Tensor.checkMask(index.shape, atDim: d, of: view, op: op)
                let flags = index.contiguous().scalars(as: Bool.self)
                let strides = Shape.contiguousStrides(index.shape)
                let hits = flags.indices.filter { flags[$0] }
                for k in index.shape.indices {
                    dims.append(d + k)
                    columns.append(hits.map { ($0 / strides[k]) % index.shape[k] })
                    shapes.append([hits.count])
                }
            } else {
                check(index.dtype.isInteger, op, "tensors used as indices must be long, int, byte or bool tensors")
                let size = view.shape[d]
                dims.append(d)
                columns.append(index.contiguous().scalars(as: Int.self).map { i in
                    check(i >= -size && i < size, op, "index \(i) is out of bounds for dimension \(d) with size \(size)")
                    return i < 0 ? i + size : i
                })
                shapes.append(index.shape)
            }
        }
        // Broadcast every column to the common index shape.
        var shape: [Int] = []
        for s in shapes {
            let ok = Shape.broadcastable(shape, s)
            check(ok, op, "shape mismatch: indexing tensors could not be broadcast together with shapes \(shapes.map { shapeText($0) }.joined(separator: ", "))")
            shape = Shape.broadcast(shape, s, op: op)
        }
        let count = Shape.count(shape)
        positions = zip(columns, shapes).map { column, s in
            if s == shape { return column }
            let strides = Shape.broadcastStrides(shape: s, strides: Shape.contiguousStrides(s), to: shape)
            let target = Shape.contiguousStrides(shape)
            return (0..<count).map { flat in
                var offset = 0
                for d in shape.indices { offset += ((flat / target[d]) % shape[d]) * strides[d] }
                return column[offset]
            }
        }
        self.dims = dims
        indexShape = shape
        sourceShape = view.shape
        // PyTorch saves a mask's positions, not the mask: a stand-in keeps the
        // freed-graph check without tying the node to the user's mask.
        indexTensors = entries.map { $0.index.dtype == .bool ? Tensor.zeros([0], dtype: .int64) : $0.index }
        adjacent = zip(dims, dims.dropFirst()).allSatisfy { $1 == $0 + 1 }
    }

    /// The element offsets, in a tensor with `strides`, of each picked index tuple.
    private func offsets(_ strides: [Int]) -> [Int64] {
        let count = Shape.count(indexShape)
        var result = [Int64](repeating: 0, count: count)
        for (d, column) in zip(dims, positions) {
            let s = strides[d]
            for i in 0..<count { result[i] += Int64(column[i] * s) }
        }
        return result
    }

    /// The outer and inner dims (the ones kept) of `t`, as the C kernels take them.
    private func geometry(_ t: Tensor) -> (outer: [Int], inner: [Int]) {
        let kept = t.shape.indices.filter { !dims.contains($0) }
        guard adjacent, let first = dims.first else { return ([], kept) }
        return (kept.filter { $0 < first }, kept.filter { $0 > first })
    }

    /// Copies what the plan picks from `source` into the contiguous `out`.
    func gather(from source: Tensor, into out: Tensor) {
        let (outer, inner) = geometry(source)
        let offsets = offsets(source.strides)
        let oShape = outer.map { Int64(source.shape[$0]) }, oStrides = outer.map { Int64(source.strides[$0]) }
        let iShape = inner.map { Int64(source.shape[$0]) }, iStrides = inner.map { Int64(source.strides[$0]) }
        withExtendedLifetime((source, out)) {
            ct_index_gather(source.dtype.kernelCode, Int32(outer.count), oShape, oStrides, Int64(offsets.count), offsets,
                            Int32(inner.count), iShape, iStrides, source.baseAddress, out.baseAddress)
        }
    }

    /// Writes (or adds) the contiguous `values`, of the plan's result shape, into `target`.
    func scatter(_ values: Tensor, into target: Tensor, accumulate: Bool) {
        let (outer, inner) = geometry(target)
        let offsets = offsets(target.strides)
        let oShape = outer.map { Int64(target.shape[$0]) }, oStrides = outer.map { Int64(target.strides[$0]) }
        let iShape = inner.map { Int64(target.shape[$0]) }, iStrides = inner.map { Int64(target.strides[$0]) }
        withExtendedLifetime((values, target)) {
            ct_index_scatter(target.dtype.kernelCode, accumulate, Int32(outer.count), oShape, oStrides,
                             Int64(offsets.count), offsets, Int32(inner.count), iShape, iStrides,
                             target.baseAddress, values.baseAddress)
        }
    }
}
