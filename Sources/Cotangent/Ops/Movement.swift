// Shape and movement primitives. Views share storage with their input (as in
// PyTorch); their backward rules move the gradient back to the input's layout.

extension Tensor {
    /// A view of this tensor's storage with a new geometry.
    func view(shape: [Int], strides: [Int], offset: Int) -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset, dtype: dtype, viewOf: self)
    }

    /// Strides that view this tensor with `newShape` without copying, or nil
    /// when the layout does not allow it (PyTorch's `computeStride`).
    private func viewStrides(for newShape: [Int]) -> [Int]? {
        if isContiguous { return Shape.contiguousStrides(newShape) }
        if count == 0 { return Shape.contiguousStrides(newShape) }
        var newStrides = [Int](repeating: 0, count: newShape.count)
        var viewD = newShape.count - 1
        var chunkBase = strides.last ?? 1
        var tensorElements = 1, viewElements = 1
        for d in stride(from: rank - 1, through: 0, by: -1) {
            tensorElements *= shape[d]
            if d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorElements * chunkBase) {
                while viewD >= 0 && (viewElements < tensorElements || newShape[viewD] == 1) {
                    newStrides[viewD] = viewElements * chunkBase
                    viewElements *= newShape[viewD]
                    viewD -= 1
                }
                if viewElements != tensorElements { return nil }
                if d > 0 {
                    chunkBase = strides[d - 1]
                    tensorElements = 1
                    viewElements = 1
                }
            }
        }
        return viewD == -1 ? newStrides : nil
    }

    /// Resolves one -1 in a requested shape and checks the element count.
    private func inferShape(_ requested: [Int], op: String) -> [Int] {
        var shape = requested
        let inferred = requested.indices.filter { requested[$0] == -1 }
        check(inferred.count <= 1, op, "only one dimension can be inferred")
        check(requested.allSatisfy { $0 >= -1 }, op, "invalid shape dimension \(requested.first { $0 < -1 }!)")
        let known = requested.filter { $0 != -1 }.reduce(1, *)
        if let i = inferred.first {
            check(known != 0 && count % known == 0, op, "shape '\(shapeText(requested))' is invalid for input of size \(count)")
            shape[i] = count / known
        }
        check(Shape.count(shape) == count, op, "shape '\(shapeText(requested))' is invalid for input of size \(count)")
        return shape
    }

    /// The same elements with a new shape (one dim may be -1): a view when the
    /// layout allows it, a copy otherwise (`torch.reshape`).
    ///
    /// - Complexity: O(1) for a view; O(n) when a copy is needed.
    public func reshaped(_ shape: [Int]) -> Tensor {
        let newShape = inferShape(shape, op: "reshape")
        let inputShape = self.shape
        if let strides = viewStrides(for: newShape) {
            // PyTorch views a contiguous input (`view`) and aliases any other it can (`_reshape_alias`).
            let result = view(shape: newShape, strides: strides, offset: storageOffset)
            let name = isContiguous ? "ViewBackward0" : "ReshapeAliasBackward0"
            return Tensor.record(name, inputs: [self], result: result) { grad, _ in [grad.reshaped(inputShape)] }
        }
        let copy = contiguous()
        let result = copy.view(shape: newShape, strides: Shape.contiguousStrides(newShape), offset: copy.storageOffset)
        return Tensor.record("UnsafeViewBackward0", inputs: [copy], result: result) { grad, _ in
            [grad.reshaped(inputShape)]
        }
    }

    /// A view with a new shape, which the layout must allow (PyTorch's `view`,
    /// as `unflatten` uses it), recorded as `ViewBackward0`.
    func viewed(_ shape: [Int], op: String) -> Tensor {
        let newShape = inferShape(shape, op: op)
        guard let strides = viewStrides(for: newShape) else {
            fail(op, "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        }
        let inputShape = self.shape
        let result = view(shape: newShape, strides: strides, offset: storageOffset)
        return Tensor.record("ViewBackward0", inputs: [self], result: result) { grad, _ in [grad.reshaped(inputShape)] }
    }

    /// The same elements with a new shape: `x.reshaped(2, -1)`.
    public func reshaped(_ shape: Int...) -> Tensor { reshaped(shape) }

    /// The elements as one dimension, or dims `startDim...endDim` merged into one.
    public func flattened(startDim: Int = 0, endDim: Int = -1) -> Tensor {
        guard rank > 0 else { return reshaped([1]) }
        let s = Shape.normalize(dim: startDim, rank: rank, op: "flatten")
        let e = Shape.normalize(dim: endDim, rank: rank, op: "flatten")
        check(s <= e, "flatten", "flatten() has invalid args: start_dim cannot come after end_dim")
        if s == e { return self }  // nothing to merge: PyTorch returns the input itself
        let merged = shape[s...e].reduce(1, *)
        return reshaped(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// This tensor if it is contiguous, else a contiguous copy (recorded as `CloneBackward0`).
    public func contiguous() -> Tensor { isContiguous ? self : contiguous(copy: true) }

    /// A contiguous copy of this tensor, recorded as `CloneBackward0` (`torch.clone`).
    public func cloned() -> Tensor { contiguous(copy: true) }

    func contiguous(copy: Bool) -> Tensor {
        if !copy && isContiguous { return self }
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        Kernels.copy(self, into: out)
        return Tensor.record("CloneBackward0", inputs: [self], result: out) { grad, _ in [grad] }
    }

    /// This tensor's values converted to `dtype`; itself when it already has it.
    /// Float to integer conversion truncates toward zero.
    public func to(_ dtype: DType) -> Tensor {
        guard dtype != self.dtype else { return self }
        let source = self.dtype
        return Tensor.record("ToCopyBackward0", inputs: [self], result: converted(to: dtype)) { grad, _ in
            [grad.to(source)]
        }
    }

    /// Swaps two dimensions, as a view (`torch.transpose`).
    public func transposed(_ dim0: Int, _ dim1: Int) -> Tensor {
        let a = Shape.normalize(dim: dim0, rank: rank, op: "transpose")
        let b = Shape.normalize(dim: dim1, rank: rank, op: "transpose")
        guard rank > 0 else { return Tensor.record("TransposeBackward0", inputs: [self], result: view(shape: shape, strides: strides, offset: storageOffset)) { grad, _ in [grad] } }
        var newShape = shape, newStrides = strides
        newShape.swapAt(a, b)
        newStrides.swapAt(a, b)
        let result = view(shape: newShape, strides: newStrides, offset: storageOffset)
        return Tensor.record("TransposeBackward0", inputs: [self], result: result) { grad, _ in [grad.transposed(a, b)] }
    }

    /// The transpose of a matrix (a 0-d or 1-d tensor is returned as is), as a view.
    public func t() -> Tensor {
        check(rank <= 2, "t", "t() expects a tensor with <= 2 dimensions, but self is \(rank)D")
        let result = rank < 2 ? view(shape: shape, strides: strides, offset: storageOffset)
            : view(shape: shape.reversed(), strides: strides.reversed(), offset: storageOffset)
        return Tensor.record("TBackward0", inputs: [self], result: result) { grad, _ in [grad.t()] }
    }

    /// Reorders the dimensions, as a view (`torch.permute`).
    public func permuted(_ order: [Int]) -> Tensor {
        check(order.count == rank, "permute", "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = \(rank) is not equal to len(dims) = \(order.count)")
        let dims = order.map { Shape.normalize(dim: $0, rank: rank, op: "permute") }
        check(Set(dims).count == dims.count, "permute", "permute(): duplicate dims are not allowed.")
        let result = view(shape: dims.map { shape[$0] }, strides: dims.map { strides[$0] }, offset: storageOffset)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, d) in dims.enumerated() { inverse[d] = i }
        return Tensor.record("PermuteBackward0", inputs: [self], result: result) { grad, _ in [grad.permuted(inverse)] }
    }

    /// Reorders the dimensions: `x.permuted(2, 0, 1)`.
    public func permuted(_ order: Int...) -> Tensor { permuted(order) }

    /// A view repeating size-1 dims (and adding leading ones) to reach `shape`,
    /// without copying; -1 keeps a size (`torch.expand`).
    public func expanded(to shape: [Int]) -> Tensor {
        check(shape.count >= rank, "expand", "the number of sizes provided (\(shape.count)) must be greater or equal to the number of dimensions in the tensor (\(rank))")
        let lead = shape.count - rank
        var newShape = shape, newStrides = [Int](repeating: 0, count: shape.count)
        for i in 0..<shape.count {
            if i < lead {
                check(shape[i] >= 0, "expand", "The expanded size of the tensor (\(shape[i])) isn't allowed in a leading, non-existing dimension \(i)")
                continue
            }
            let own = self.shape[i - lead]
            if shape[i] == -1 { newShape[i] = own }
            if own == newShape[i] {
                newStrides[i] = strides[i - lead]
            } else {
                check(own == 1, "expand", "The expanded size of the tensor (\(newShape[i])) must match the existing size (\(own)) at non-singleton dimension \(i).  Target sizes: \(shapeText(shape)).  Tensor sizes: \(shapeText(self.shape))")
            }
        }
        let inputShape = self.shape
        let result = view(shape: newShape, strides: newStrides, offset: storageOffset)
        return Tensor.record("ExpandBackward0", inputs: [self], result: result) { grad, _ in [grad.sumToShape(inputShape)] }
    }

    /// Expands to another tensor's shape.
    public func expanded(as other: Tensor) -> Tensor { expanded(to: other.shape) }

    /// Removes every dimension of size 1, as a view.
    public func squeezed() -> Tensor {
        let keep = (0..<rank).filter { shape[$0] != 1 }
        let inputShape = shape
        let result = view(shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: storageOffset)
        return Tensor.record("SqueezeBackward0", inputs: [self], result: result) { grad, _ in [grad.reshaped(inputShape)] }
    }

    /// Removes `dim` if its size is 1 (otherwise returns an equal view).
    public func squeezed(_ dim: Int) -> Tensor { squeezed([dim], name: "SqueezeBackward1") }

    /// Removes each of `dims` whose size is 1.
    public func squeezed(_ dims: [Int]) -> Tensor { squeezed(dims, name: "SqueezeBackward2") }

    private func squeezed(_ dims: [Int], name: String) -> Tensor {
        let normalized = dims.map { Shape.normalize(dim: $0, rank: rank, op: "squeeze") }
        var seen = Set<Int>()
        for d in normalized { check(seen.insert(d).inserted, "squeeze", "dim \(d) appears multiple times in the list of dims") }
        let drop = Set(normalized.filter { rank > 0 && shape[$0] == 1 })
        let keep = (0..<rank).filter { !drop.contains($0) }
        let inputShape = shape
        let result = view(shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: storageOffset)
        return Tensor.record(name, inputs: [self], result: result) { grad, _ in [grad.reshaped(inputShape)] }
    }

    /// Inserts a dimension of size 1 at `dim` (which may be `rank`), as a view.
    public func unsqueezed(_ dim: Int) -> Tensor {
        let d = Shape.normalize(dim: dim, rank: rank + 1, op: "unsqueeze")
        var newShape = shape, newStrides = strides
        newShape.insert(1, at: d)
        newStrides.insert(d < rank ? strides[d] * shape[d] : 1, at: d)
        let result = view(shape: newShape, strides: newStrides, offset: storageOffset)
        return Tensor.record("UnsqueezeBackward0", inputs: [self], result: result) { grad, _ in [grad.squeezed(d)] }
    }

    // MARK: Selecting and slicing

    /// The sub-tensor at `index` along `dim`, which is removed (`torch.select`); a view.
    public func select(dim: Int, index: Int) -> Tensor {
        check(rank > 0, "select", "select() cannot be applied to a 0-dim tensor.")
        let d = Shape.normalize(dim: dim, rank: rank, op: "select")
        let size = shape[d]
        check(index >= -size && index < size, "index", "index \(index) is out of bounds for dimension \(d) with size \(size)")
        let i = index < 0 ? index + size : index
        var newShape = shape, newStrides = strides
        newShape.remove(at: d)
        newStrides.remove(at: d)
        let result = view(shape: newShape, strides: newStrides, offset: storageOffset + i * strides[d])
        let inputShape = shape
        return Tensor.record("SelectBackward0", inputs: [self], result: result) { grad, _ in
            [grad.embedded(inShape: inputShape, name: "SelectBackwardBackward0") { $0.select(dim: d, index: i) }]
        }
    }

    /// Elements `start..<end` in steps of `step` along `dim`, as a view; bounds
    /// are clamped and negative ones count from the end, as in Python slicing.
    public func slice(dim: Int, start: Int? = nil, end: Int? = nil, step: Int = 1) -> Tensor {
        check(rank > 0, "slice", "slice() cannot be applied to a 0-dim tensor.")
        check(step > 0, "slice", "slice step must be positive")
        let d = Shape.normalize(dim: dim, rank: rank, op: "slice")
        let size = shape[d]
        func clampBound(_ b: Int?, _ fallback: Int) -> Int {
            guard var b else { return fallback }
            if b < 0 { b += size }
            return Swift.min(Swift.max(b, 0), size)
        }
        let lo = clampBound(start, 0)
        let hi = Swift.max(clampBound(end, size), lo)
        var newShape = shape, newStrides = strides
        newShape[d] = (hi - lo + step - 1) / step
        newStrides[d] = strides[d] * step
        let result = view(shape: newShape, strides: newStrides, offset: storageOffset + lo * strides[d])
        let inputShape = shape
        return Tensor.record("SliceBackward0", inputs: [self], result: result) { grad, _ in
            [grad.embedded(inShape: inputShape, name: "SliceBackwardBackward0") { $0.slice(dim: d, start: lo, end: hi, step: step) }]
        }
    }

    /// `length` elements from `start` along `dim`, as a view (`torch.narrow`).
    public func narrowed(dim: Int, start: Int, length: Int) -> Tensor {
        let d = Shape.normalize(dim: dim, rank: rank, op: "narrow")
        check(start >= 0 && length >= 0 && start + length <= shape[d], "narrow",
              "start (\(start)) + length (\(length)) exceeds dimension size (\(shape[d])).")
        return slice(dim: d, start: start, end: start + length)
    }

    /// A view with explicit geometry (PyTorch's `as_strided`, with `offset`
    /// relative to this tensor's first element and strides in its storage);
    /// used to replay a view on a base whose history changed.
    func asStrided(_ shape: [Int], _ strides: [Int], offset: Int) -> Tensor {
        let inputShape = self.shape, inputStrides = self.strides
        let inputIsEmpty = count == 0, inputIsContiguous = isContiguous
        // The storage elements the input spans from its first element (strides are never negative).
        let inputSpan = 1 + zip(inputShape, inputStrides).map { ($0 - 1) * $1 }.reduce(0, +)
        let result = view(shape: shape, strides: strides, offset: storageOffset + offset)
        // Elements a zero stride repeats (an expanded view) are one input element:
        // their gradients add up before the gradient is placed into the input.
        let repeated = shape.indices.filter { shape[$0] > 1 && strides[$0] == 0 }
        var once = shape
        for d in repeated { once[d] = 1 }
        return Tensor.record("AsStridedBackward0", inputs: [self], result: result) { grad, _ in
            // As PyTorch's as_strided_backward: an empty input gets plain zeros, outside any graph.
            if inputIsEmpty { return [Tensor.zeros(inputShape, dtype: grad.dtype)] }
            let summed = repeated.isEmpty ? grad : grad.sum(dim: repeated, keepDim: true)
            let place: (Tensor) -> Tensor = { $0.contiguous().asStrided(once, strides, offset: offset) }
            if inputIsContiguous {
                return [summed.embedded(inShape: inputShape, name: "AsStridedBackwardBackward0", region: place)]
            }
            // Another layout: place the gradient into the input's span of storage
            // as one buffer, then read that buffer in the input's layout.
            let span = summed.embedded(inShape: [inputSpan], name: "AsStridedBackwardBackward0", region: place)
            return [span.asStrided(inputShape, inputStrides, offset: 0)]
        }
    }

    /// Places this tensor (the gradient of a view) into zeros of `shape` at the
    /// elements `region` selects; its own gradient is that region of the gradient.
    func embedded(inShape shape: [Int], name: String, region: @escaping (Tensor) -> Tensor) -> Tensor {
        let out = Tensor.zeros(shape, dtype: dtype)
        withNoGrad { Kernels.copy(self, into: region(out)) }
        return Tensor.record(name, inputs: [self], result: out) { grad, _ in [region(grad)] }
    }

    // MARK: Joining and splitting

    /// Joins tensors along an existing dimension (`torch.cat`).
    ///
    /// Empty 1-d tensors are skipped, as in PyTorch.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        check(!tensors.isEmpty, "cat", "torch.cat(): expected a non-empty list of Tensors")
        let parts = tensors.filter { !($0.rank == 1 && $0.count == 0) }
        // The skipped empty tensors still take part in type promotion, as in PyTorch.
        let type = DType.resultType(tensors)
        guard let first = parts.first else {
            // Only empty 1-d tensors: an empty result of the promoted dtype, still a CatBackward0.
            return record("CatBackward0", inputs: tensors, result: Tensor(uninitializedShape: [0], dtype: type)) { grad, _ in
                InputGradients(tensors.map { _ in Tensor.zeros([0], dtype: grad.dtype) })
            }
        }
        check(first.rank > 0, "cat", "zero-dimensional tensor (at position 0) cannot be concatenated")
        let d = Shape.normalize(dim: dim, rank: first.rank, op: "cat")
        for (i, t) in parts.enumerated() {
            check(t.rank == first.rank, "cat", "Tensors must have same number of dimensions: got \(first.rank) and \(t.rank)")
            for k in 0..<first.rank where k != d {
                check(t.shape[k] == first.shape[k], "cat", "Sizes of tensors must match except in dimension \(d). Expected size \(first.shape[k]) but got size \(t.shape[k]) for tensor number \(i) in the list.")
            }
        }
        var outShape = first.shape
        outShape[d] = parts.reduce(0) { $0 + $1.shape[d] }
        let out = Tensor(uninitializedShape: outShape, dtype: type)
        var offset = 0
        // Skipped empty 1-d tensors are still inputs: PyTorch gives them an empty gradient.
        let sizes = tensors.map { $0.rank == 1 && $0.count == 0 ? nil : $0.shape[d] }
        for t in parts {
            withNoGrad { Kernels.copy(t, into: out.slice(dim: d, start: offset, end: offset + t.shape[d])) }
            offset += t.shape[d]
        }
        return record("CatBackward0", inputs: tensors, result: out) { grad, _ in
            var start = 0
            return InputGradients(sizes.map { size in
                guard let size else { return Tensor.zeros([0], dtype: grad.dtype) }
                defer { start += size }
                return grad.slice(dim: d, start: start, end: start + size)
            })
        }
    }

    /// Joins tensors of equal shape along a new dimension (`torch.stack`).
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        check(!tensors.isEmpty, "stack", "stack expects a non-empty TensorList")
        for (i, t) in tensors.enumerated() {
            check(t.shape == tensors[0].shape, "stack", "stack expects each tensor to be equal size, but got \(shapeText(tensors[0].shape)) at entry 0 and \(shapeText(t.shape)) at entry \(i)")
        }
        let d = Shape.normalize(dim: dim, rank: tensors[0].rank + 1, op: "stack")
        let joined = withNoGrad { cat(tensors.map { $0.unsqueezed(d) }, dim: d) }
        return record("StackBackward0", inputs: tensors, result: joined) { grad, _ in
            InputGradients((0..<tensors.count).map { grad.select(dim: d, index: $0) })
        }
    }

    /// Splits into pieces of `size` along `dim` (the last may be smaller), as views.
    public func split(size: Int, dim: Int = 0) -> [Tensor] {
        check(size > 0 || shape.isEmpty, "split", "split_size can only be 0 if dimension size is 0, but got dimension size of \(rank > 0 ? shape[Shape.normalize(dim: dim, rank: rank, op: "split")] : 0)")
        let d = Shape.normalize(dim: dim, rank: rank, op: "split")
        let n = shape[d]
        let sizes = n == 0 ? [0] : stride(from: 0, to: n, by: size).map { Swift.min(size, n - $0) }
        return split(sizes: sizes, dim: d, name: "SplitBackward0")
    }

    /// Splits into pieces of the given sizes along `dim`, as views.
    public func split(sizes: [Int], dim: Int = 0) -> [Tensor] {
        split(sizes: sizes, dim: dim, name: "SplitWithSizesBackward0")
    }

    /// Splits into views, recording each piece as `name` (PyTorch names `split` and `split_with_sizes` apart).
    private func split(sizes: [Int], dim: Int, name: String) -> [Tensor] {
        let d = Shape.normalize(dim: dim, rank: rank, op: "split")
        check(sizes.reduce(0, +) == shape[d], "split", "split_with_sizes expects split_sizes to sum exactly to \(shape[d]) (input tensor's size at dimension \(d)), but got split_sizes=\(shapeText(sizes))")
        var start = 0
        let inputShape = shape
        let madeWithoutGrad = !GradMode.isEnabled
        return sizes.enumerated().map { index, size in
            defer { start += size }
            let (lo, hi) = (start, start + size)
            let piece = withNoGrad { slice(dim: d, start: lo, end: hi) }
            // PyTorch refuses in-place changes of these views while recording.
            piece.multiOutputView = MultiOutputView(index: index, madeWithoutGrad: madeWithoutGrad)
            return Tensor.record(name, inputs: [self], result: piece) { grad, _ in
                [grad.embedded(inShape: inputShape, name: "SliceBackwardBackward0") { $0.slice(dim: d, start: lo, end: hi) }]
            }
        }
    }

    /// Splits into `chunks` nearly equal pieces along `dim` (`torch.chunk`).
    public func chunked(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        check(chunks > 0, "chunk", "chunk expects `chunks` to be greater than 0, got: \(chunks)")
        let d = Shape.normalize(dim: dim, rank: rank, op: "chunk")
        let size = (shape[d] + chunks - 1) / chunks
        // An empty dim gives `chunks` empty pieces, as PyTorch's chunk (via split_with_sizes).
        if size == 0 { return split(sizes: [Int](repeating: 0, count: chunks), dim: d) }
        return split(size: size, dim: d)
    }
}
