import CCotangentKernels

// Sorting and selection: sorted/argsort, topk, kthvalue, median, mode,
// unique, searchsorted, bucketize. The sort and selection loops are in C
// (sort.c); the values' gradient goes back to the positions they came from,
// through a scatter, so it is differentiable again.

extension Tensor {
    /// This tensor with `dim` moved last, as contiguous rows, and the row geometry.
    private func rowsAlong(_ dim: Int, op: String) -> (rows: Tensor, d: Int, n: Int) {
        let source = rank == 0 ? reshaped([1]) : self
        let d = Shape.normalize(dim: dim, rank: source.rank, op: op)
        let rows = withNoGrad { source.movedim(d, -1).contiguous() }
        return (rows, d, source.shape[d])
    }

    /// Sorts or selects `k` per row of `rows`, returning values and indices with `dim` back in place.
    private func selectRows(_ rows: Tensor, d: Int, n: Int, k: Int, descending: Bool, select: Bool) -> (Tensor, Tensor) {
        var shape = rows.shape
        if !shape.isEmpty { shape[shape.count - 1] = k }
        let values = Tensor(uninitializedShape: shape, dtype: dtype)
        let indices = Tensor(uninitializedShape: shape, dtype: .int64)
        let m = n == 0 ? 0 : rows.count / n
        withExtendedLifetime(rows) {
            let idx = indices.baseAddress.assumingMemoryBound(to: Int64.self)
            if select {
                ct_topk(dtype.kernelCode, Int64(m), Int64(n), Int64(k), rows.baseAddress, values.baseAddress, idx, descending)
            } else {
                ct_sort(dtype.kernelCode, Int64(m), Int64(n), rows.baseAddress, values.baseAddress, idx, descending)
            }
        }
        let restore: (Tensor) -> Tensor = { t in
            let back = t.rank == 0 ? t : t.movedim(-1, d).contiguous()
            return self.rank == 0 ? back.reshaped([]) : back
        }
        return withNoGrad { (restore(values), restore(indices)) }
    }

    /// Records a value-selecting op: the gradient goes back to where each value came from.
    private func recordSelection(_ name: String, values: Tensor, indices: Tensor, dim d: Int, keepDim: Bool = true) -> Tensor {
        let inputShape = shape
        return Tensor.record(name, inputs: [self], result: values) { grad, _ in
            guard !inputShape.isEmpty else { return [grad.reshaped([])] }
            let g = keepDim ? grad : grad.unsqueezed(d), i = keepDim ? indices : indices.unsqueezed(d)
            return [Tensor.zeros(inputShape, dtype: grad.dtype).scattered(dim: d, index: i, src: g)]
        }
    }

    /// The elements sorted along `dim`, and the position each came from (`torch.sort`).
    ///
    /// NaN sorts above every number. Equal elements keep their order (the
    /// sort is always stable, so `stable` only documents intent, as PyTorch's
    /// CPU sort also is).
    /// - Returns: `values`, recorded as `SortBackward0`, and int64 `indices`.
    /// - Complexity: O(n log n) per row, rows split over threads.
    public func sorted(dim: Int = -1, descending: Bool = false, stable: Bool = false) -> (values: Tensor, indices: Tensor) {
        let (rows, d, n) = rowsAlong(dim, op: "sort")
        let (values, indices) = selectRows(rows, d: d, n: n, k: n, descending: descending, select: false)
        // PyTorch's `sort.stable` overload is a node of its own.
        return (recordSelection(stable ? "SortBackward1" : "SortBackward0", values: values, indices: indices, dim: d), indices)
    }

    /// The positions that would sort the elements along `dim` (`torch.argsort`).
    public func argsort(dim: Int = -1, descending: Bool = false, stable: Bool = false) -> Tensor {
        withNoGrad { sorted(dim: dim, descending: descending, stable: stable).indices }
    }

    /// The `k` largest (or smallest) elements along `dim`, in order, and their positions (`torch.topk`).
    ///
    /// - Complexity: O(n + k log k) per row (a selection, then a sort of the k).
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true) -> (values: Tensor, indices: Tensor) {
        let (rows, d, n) = rowsAlong(dim, op: "topk")
        check(k >= 0 && k <= n, "topk", "selected index k out of range")
        let (values, indices) = selectRows(rows, d: d, n: n, k: k, descending: largest, select: true)
        return (recordSelection("TopkBackward0", values: values, indices: indices, dim: d), indices)
    }

    /// The `k`-th smallest element along `dim` (counting from 1) and its position (`torch.kthvalue`).
    public func kthvalue(_ k: Int, dim: Int = -1, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let (rows, d, n) = rowsAlong(dim, op: "kthvalue")
        check(k >= 1 && k <= n, "kthvalue", "kthvalue(): selected number k out of range for dimension \(d)")
        let (values, indices) = ranked(k - 1, rows: rows, d: d, n: n, keepDim: keepDim)
        return (recordSelection("KthvalueBackward0", values: values, indices: indices, dim: d, keepDim: keepDim || rank == 0),
                indices)
    }

    /// The element of sorted rank `position` (from 0) along the rows and its
    /// index, with `dim` kept or removed (not recorded: the caller records).
    private func ranked(_ position: Int, rows: Tensor, d: Int, n: Int, keepDim: Bool) -> (values: Tensor, indices: Tensor) {
        var (values, indices) = selectRows(rows, d: d, n: n, k: position + 1, descending: false, select: true)
        guard rank > 0 else { return (values, indices) }  // a 0-d tensor's one element is its own pick
        return withNoGrad {
            values = values.narrowed(dim: d, start: position, length: 1)
            indices = indices.narrowed(dim: d, start: position, length: 1)
            if !keepDim {
                values = values.squeezed(d)
                indices = indices.squeezed(d)
            }
            return (values.contiguous(), indices.contiguous())
        }
    }

    /// The lower median of all elements, NaN if any is NaN (`torch.median`).
    ///
    /// The gradient is shared evenly by the elements equal to the median, as in PyTorch.
    public func median() -> Tensor {
        check(count > 0, "median", "median() input tensor cannot be empty")
        let flat = withNoGrad { reshaped(-1).contiguous() }
        let result = withNoGrad { () -> Tensor in
            if flat.isNaN().any().item() != 0 { return Tensor(Double.nan, dtype: dtype) }
            return flat.ranked((count - 1) / 2, rows: flat, d: 0, n: count, keepDim: false).values
        }
        return Tensor.record("MedianBackward0", inputs: [self], result: result, saving: [self], savingResult: true) { grad, saved in
            let (x, r) = (saved[0], saved.result)
            let hit = (x .== r) .|| (x.isNaN() .&& r.isNaN())
            let share = grad / hit.to(grad.dtype).sum()
            return [Tensor.where(hit, share, 0.0)]
        }
    }

    /// The lower median along `dim` and its position; NaN, at the first NaN, where a row has one (`torch.median`).
    public func median(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let (rows, d, n) = rowsAlong(dim, op: "median")
        check(n > 0, "median", "median(): Expected reduction dim \(d) to have non-zero size.")
        var (values, indices) = ranked((n - 1) / 2, rows: rows, d: d, n: n, keepDim: keepDim)
        let kept = keepDim || rank == 0
        // NaN sorts last, so a row with NaN has it at the end: its median is NaN, at the first NaN.
        if dtype.isFloatingPoint, withNoGrad({ rows.isNaN().any().item() }) != 0 {
            withNoGrad {
                let source = rank == 0 ? reshaped([1]) : self
                let isNaN = source.isNaN()
                let first = isNaN.to(.int64).argmax(dim: d, keepDim: kept)
                let any = isNaN.any(dim: d, keepDim: kept)
                let shaped = { (t: Tensor) in self.rank == 0 ? t.reshaped([]) : t }
                indices = shaped(Tensor.where(any, first, indices))
                values = shaped(Tensor.where(any, Tensor(Double.nan, dtype: dtype), values))
            }
        }
        return (recordSelection("MedianBackward1", values: values, indices: indices, dim: d, keepDim: kept), indices)
    }

    /// The most frequent value along `dim` (the smallest among equally frequent
    /// ones) and the position of its last occurrence (`torch.mode`).
    public func mode(dim: Int = -1, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let (rows, d, n) = rowsAlong(dim, op: "mode")
        check(n > 0, "mode", "mode(): Expected reduction dim \(d) to have non-zero size.")
        let m = rows.count / n
        let (sortedRows, order) = selectRows(rows, d: rows.rank - 1, n: n, k: n, descending: false, select: false)
        let values = sortedRows.to(.float64).scalars(as: Double.self), positions = order.scalars(as: Int64.self)
        var bestValues: [Double] = [], bestPositions: [Int64] = []
        for r in 0..<m {
            var best = 0, bestRun = 0, start = 0
            for j in 1...n where j == n || !(values[r * n + j] == values[r * n + start]
                                              || (values[r * n + j].isNaN && values[r * n + start].isNaN)) {
                if j - start > bestRun { (best, bestRun) = (start, j - start) }
                start = j
            }
            bestValues.append(values[r * n + best])
            // The last occurrence of the value: the largest original position in its run.
            bestPositions.append(positions[(r * n + best)..<(r * n + best + bestRun)].max()!)
        }
        var outShape = Array(rows.shape.dropLast())
        if keepDim && rank > 0 { outShape.insert(1, at: d) }
        let moveBack: (Tensor) -> Tensor = { t in
            guard self.rank > 0 else { return t.reshaped([]) }
            var shapeLast = Array(rows.shape.dropLast()) + [1]
            shapeLast = shapeLast.isEmpty ? [1] : shapeLast
            let back = t.reshaped(shapeLast).movedim(-1, d).contiguous()
            return keepDim ? back : back.squeezed(d)
        }
        let v = withNoGrad { moveBack(Tensor(shape: [m], scalars: bestValues).to(dtype)) }
        let i = withNoGrad { moveBack(Tensor(shape: [m], scalars: bestPositions)) }
        return (recordSelection("ModeBackward0", values: v, indices: i, dim: d, keepDim: keepDim || rank == 0), i)
    }

    /// The distinct elements, sorted, with, when asked, each element's position
    /// among them and how often each occurs (`torch.unique` over the flattened tensor).
    ///
    /// - Parameters:
    ///   - sorted: Ignored: on the CPU the values always come back sorted, as PyTorch's do.
    ///   - returnInverse: Also return, for each element, the index of its value (in this tensor's shape).
    ///   - returnCounts: Also return each value's number of occurrences.
    ///   - dim: Compare whole slices along this dimension instead of elements
    ///     (`torch.unique(x, dim=d)`): the distinct slices in lexicographic
    ///     order, `inverse` of length `shape[dim]`, recorded as `UniqueDimBackward0`.
    /// - Complexity: O(n log n) comparisons of elements (of slices with `dim`).
    public func unique(sorted: Bool = true, returnInverse: Bool = false, returnCounts: Bool = false, dim: Int? = nil)
        -> (values: Tensor, inverse: Tensor?, counts: Tensor?) {
        if let dim { return uniqueSlices(dim: dim, returnInverse: returnInverse, returnCounts: returnCounts) }
        let (values, inverse, counts) = withNoGrad { () -> (Tensor, Tensor?, Tensor?) in
            let flat = reshaped(-1).contiguous()
            let n = flat.count
            let (sortedValues, order) = flat.selectRows(flat, d: 0, n: n, k: n, descending: false, select: false)
            let values = sortedValues.to(.float64).scalars(as: Double.self), positions = order.scalars(as: Int64.self)
            var keep: [Int64] = [], counts: [Int64] = [], inverse = [Int64](repeating: 0, count: n)
            for j in 0..<n {
                // NaN equals nothing, so each NaN is a value of its own (as in PyTorch).
                let isNew = j == 0 || values[j] != values[j - 1]
                if isNew {
                    keep.append(Int64(j))
                    counts.append(0)
                }
                counts[counts.count - 1] += 1
                inverse[Int(positions[j])] = Int64(keep.count - 1)
            }
            let uniqueValues = sortedValues.indexSelect(dim: 0, Tensor(shape: [keep.count], scalars: keep))
            return (uniqueValues,
                    returnInverse ? Tensor(shape: shape, scalars: inverse) : nil,
                    returnCounts ? Tensor(shape: [counts.count], scalars: counts) : nil)
        }
        return (recordUnique(values), inverse, counts)
    }

    /// `unique(dim:)`: the distinct slices along `dim`, sorted lexicographically.
    private func uniqueSlices(dim: Int, returnInverse: Bool, returnCounts: Bool)
        -> (values: Tensor, inverse: Tensor?, counts: Tensor?) {
        let d = Shape.normalize(dim: dim, rank: rank, op: "unique_dim")
        let n = shape[d]
        let (values, inverse, counts) = withNoGrad { () -> (Tensor, Tensor, Tensor) in
            // Rows are the slices: dim moved to the front, the rest flattened.
            let rows = movedim(d, 0).contiguous().reshaped([n, n == 0 ? 0 : count / n])
            let k = rows.shape[1]
            let flat = rows.to(.float64).scalars(as: Double.self)
            func less(_ i: Int, _ j: Int) -> Bool {
                for c in 0..<k where flat[i * k + c] != flat[j * k + c] { return flat[i * k + c] < flat[j * k + c] }
                return false
            }
            func equal(_ i: Int, _ j: Int) -> Bool { (0..<k).allSatisfy { flat[i * k + $0] == flat[j * k + $0] } }
            let order = (0..<n).sorted { less($0, $1) || (!less($1, $0) && $0 < $1) }
            var keep: [Int64] = [], counts: [Int64] = [], inverse = [Int64](repeating: 0, count: n)
            for (j, row) in order.enumerated() {
                if j == 0 || !equal(row, order[j - 1]) {
                    keep.append(Int64(row))
                    counts.append(0)
                }
                counts[counts.count - 1] += 1
                inverse[row] = Int64(keep.count - 1)
            }
            let picked = rows.indexSelect(dim: 0, Tensor(shape: [keep.count], scalars: keep))
            var outShape = shape
            outShape.remove(at: d)
            outShape.insert(keep.count, at: 0)
            return (picked.reshaped(outShape).movedim(0, d).contiguous(),
                    Tensor(shape: [n], scalars: inverse), Tensor(shape: [counts.count], scalars: counts))
        }
        let recorded = Tensor.record("UniqueDimBackward0", inputs: [self], result: values) { _, _ in
            fail("backward", "the derivative for 'unique_dim' is not implemented.")
        }
        return (recorded, returnInverse ? inverse : nil, returnCounts ? counts : nil)
    }

    /// Records `unique`'s output as PyTorch does: a node whose backward is not implemented.
    private func recordUnique(_ values: Tensor) -> Tensor {
        Tensor.record("Unique2Backward0", inputs: [self], result: values) { _, _ in
            fail("backward", "the derivative for '_unique2' is not implemented.")
        }
    }

    /// For each element of `values`, the position in `sortedSequence` where
    /// it would be inserted to keep it sorted: before equal elements, or after
    /// them with `right` (`torch.searchsorted`).
    ///
    /// - Parameters:
    ///   - sortedSequence: Sorted along its last dim: 1-d, or with the same
    ///     leading dims as `values`.
    ///   - values: The elements to place.
    ///   - right: Place after equal elements instead of before.
    /// - Returns: int64 positions of `values`' shape.
    public static func searchsorted(_ sortedSequence: Tensor, _ values: Tensor, right: Bool = false) -> Tensor {
        check(sortedSequence.rank >= 1, "searchsorted", "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor \(shapeText(sortedSequence.shape)) and input value tensor \(shapeText(values.shape))")
        let oneD = sortedSequence.rank == 1
        if !oneD {
            check(Array(sortedSequence.shape.dropLast()) == Array(values.shape.dropLast()), "searchsorted",
                  "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor \(shapeText(sortedSequence.shape)) and input value tensor \(shapeText(values.shape))")
        }
        return withNoGrad {
            let seq = sortedSequence.to(.float64).contiguous().scalars(as: Double.self)
            let xs = values.to(.float64).contiguous().scalars(as: Double.self)
            let n = sortedSequence.shape[sortedSequence.rank - 1]
            let perRow = values.rank == 0 ? 1 : values.shape[values.rank - 1]
            var out = [Int64](repeating: 0, count: xs.count)
            for (k, x) in xs.enumerated() {
                let base = oneD ? 0 : (k / Swift.max(perRow, 1)) * n
                var lo = 0, hi = n
                while lo < hi {
                    let mid = (lo + hi) / 2
                    let s = seq[base + mid]
                    // NaN sorts last, as in the sort.
                    let goesRight = right ? !(x < s || (s.isNaN && !x.isNaN)) : (s < x || (x.isNaN && !s.isNaN))
                    if goesRight { lo = mid + 1 } else { hi = mid }
                }
                out[k] = Int64(lo)
            }
            return Tensor(shape: values.shape, scalars: out)
        }
    }

    /// For each element, the index of the bucket of `boundaries` (1-d, sorted)
    /// it falls in (`torch.bucketize`): the number of boundaries below it (or, with `right`, not above it).
    public func bucketize(_ boundaries: Tensor, right: Bool = false) -> Tensor {
        check(boundaries.rank == 1, "bucketize", "boundaries tensor must be 1 dimension, but got dim(\(boundaries.rank))")
        return Tensor.searchsorted(boundaries, self, right: right)
    }
}
