import CCotangentKernels

// In-place updates (`+=`, `zero()`, `fill`, `copy(from:)`, subscript assignment).
// They write through to every view of the same storage and bump its version
// counter, so autograd can refuse to use values that changed after being saved.

extension Tensor {
    /// Refuses in-place changes that would corrupt gradients, as PyTorch does.
    func checkInPlace(_ op: String) {
        guard GradMode.isEnabled else { return }
        check(!(gradNode == nil && leafRequiresGrad), op,
              "a leaf Variable that requires grad is being used in an in-place operation. Wrap the update in withNoGrad { } (as optimizers do) or work on a detached() copy.")
        if let base = viewBase {
            check(!(base.gradNode == nil && base.leafRequiresGrad), op,
                  "a view of a leaf Variable that requires grad is being used in an in-place operation. Wrap the update in withNoGrad { }.")
        }
    }

    /// Stops an in-place change of an output of `split`/`chunked` (or a view of
    /// one) that would be recorded, with PyTorch's message for how the view was made.
    private func refuseMultiOutputViewWrite(_ info: MultiOutputView, op: String) {
        let rule = "This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one."
        if info.madeWithoutGrad && viewBase?.requiresGrad == true {
            fail(op, "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).")
        }
        guard let node = gradNode else {
            fail(op, "A view was created in no_grad mode and is being modified inplace with grad mode enabled. \(rule)")
        }
        // PyTorch names the op without its node suffix: SplitBackward0 is "Split".
        var stem = Substring(node.name)
        while let last = stem.last, last.isNumber { stem.removeLast() }
        if stem.hasSuffix("Backward") { stem.removeLast("Backward".count) }
        fail(op, "Output \(info.index) of \(stem) is a view and is being modified inplace. \(rule)")
    }

    /// PyTorch's memory-overlap checks for a write into this tensor that reads
    /// `inputs`: the written tensor may not have elements sharing one memory
    /// location (an expanded view), and an input may not overlap it partially
    /// (the same elements in the same layout are fine: `x += x`).
    func checkMemoryOverlap(reading inputs: [Tensor], op: String) {
        // As PyTorch's has_internal_overlap: a dense layout (an empty tensor included) never overlaps itself.
        for (size, stride) in zip(shape, strides) where size > 1 && stride == 0 && !isNonOverlappingAndDense {
            fail(op, "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.")
        }
        for input in inputs where input.storage === storage && Tensor.overlapsPartially(self, input) {
            fail(op, "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location. Please clone() the tensor before performing the operation.")
        }
    }

    /// Whether elements fill a block of memory with no gaps and no element twice,
    /// in some order of the dims (PyTorch's `is_non_overlapping_and_dense`).
    var isNonOverlappingAndDense: Bool {
        if isContiguous { return true }
        var expected = 1
        for d in (0..<rank).filter({ shape[$0] != 1 }).sorted(by: { strides[$0] < strides[$1] }) {
            guard strides[d] == expected else { return false }
            expected *= shape[d]
        }
        return true
    }

    /// PyTorch's `get_overlap_status(a, b) == Partial` for two tensors of one
    /// storage: their memory ranges meet but they are not the same elements in
    /// the same layout. Layouts with gaps are "too hard" and pass, as in PyTorch.
    static func overlapsPartially(_ a: Tensor, _ b: Tensor) -> Bool {
        if a === b || a.count == 0 || b.count == 0 { return false }
        guard a.isNonOverlappingAndDense && b.isNonOverlappingAndDense else { return false }
        let aBegin = a.storageOffset * a.dtype.byteSize, aEnd = aBegin + a.count * a.dtype.byteSize
        let bBegin = b.storageOffset * b.dtype.byteSize, bEnd = bBegin + b.count * b.dtype.byteSize
        if aBegin == bBegin && aEnd == bEnd { return a.strides != b.strides }
        return aBegin < bEnd && bBegin < aEnd
    }

    /// Overwrites this tensor with `compute(old value)` and, when recording,
    /// makes this tensor the output of the recorded computation (PyTorch
    /// "rebases" its history the same way).
    func updateInPlace(_ op: String, involving other: Tensor? = nil, _ compute: (Tensor) -> Tensor) {
        updateInPlace(op, involving: other, direct: false, write: {}, compute)
    }

    /// ``updateInPlace(_:involving:_:)`` with a direct write: when `direct` and no
    /// history needs recording, `write` stores the result in place.
    /// (Non-optional, so the closure is not escaping and needs no allocation.)
    func updateInPlace(_ op: String, involving other: Tensor? = nil, direct: Bool, write: () -> Void,
                       _ compute: (Tensor) -> Tensor) {
        checkInPlace(op)
        let recording = GradMode.isEnabled && (requiresGrad || other?.requiresGrad == true)
        // A view of a base that requires grad counts as recording too (PyTorch's views
        // require grad through their base, even when made with grad mode off).
        if let info = multiOutputView, recording || (GradMode.isEnabled && viewBase?.requiresGrad == true) {
            refuseMultiOutputViewWrite(info, op: op)
        }
        if recording, let base = viewBase {
            updateViewInPlace(op, base: base, compute)
            return
        }
        if recording {
            // A copy of the old value that carries this tensor's history, so the new
            // node links straight to the previous one (as PyTorch's next functions show).
            let old = withNoGrad { cloned() }
            old.gradNode = gradNode
            let result = compute(old)
            check(result.shape == shape, op, "output with shape \(shapeText(shape)) doesn't match the broadcast shape \(shapeText(result.shape))")
            withNoGrad { Kernels.copy(result, into: self) }
            storage.version += 1
            if let node = result.gradNode {
                // retainGrad() follows the tensor to its new history.
                node.retainsGrad = retainsGradFlag
                gradNode = node
            }
            return
        }
        if direct {
            write()
        } else {
            let result = withNoGrad { compute(self) }
            check(result.shape == shape || Shape.count(result.shape) == 1, op,
                  "output with shape \(shapeText(shape)) doesn't match the broadcast shape \(shapeText(result.shape))")
            Kernels.copy(result, into: self)
        }
        storage.version += 1
    }

    /// An in-place update of a view while recording: the base's history is
    /// rebased onto a `CopySlices` node (the base's old value outside the view,
    /// the new values inside), and the view reads the new base, as in PyTorch.
    private func updateViewInPlace(_ op: String, base: Tensor, _ compute: (Tensor) -> Tensor) {
        check(base.isContiguous, op, "in-place operations on a view of a non-contiguous tensor that requires grad are not supported; use an out-of-place op (y = y + x)")
        let (viewShape, viewStrides, viewOffset) = (shape, strides, storageOffset - base.storageOffset)
        let region: (Tensor) -> Tensor = { $0.contiguous().asStrided(viewShape, viewStrides, offset: viewOffset) }
        let old = withNoGrad { cloned() }
        old.gradNode = gradNode
        let result = compute(old)
        check(result.shape == shape, op, "output with shape \(shapeText(shape)) doesn't match the broadcast shape \(shapeText(result.shape))")
        let newBase = Tensor.copySlices(base.aliasWithoutHistory(gradNode: base.gradNode), value: result, region: region)
        withNoGrad { Kernels.copy(result, into: self) }
        storage.version += 1
        base.gradNode = newBase.gradNode
        gradNode = region(base).gradNode
    }

    /// The out-of-place form of writing `value` (broadcast) into `region(old)`:
    /// PyTorch's `CopySlices`. The old value keeps its gradient outside the
    /// region; the region's gradient goes to `value`.
    static func copySlices(_ old: Tensor, value: Tensor, region: @escaping (Tensor) -> Tensor) -> Tensor {
        let mask = Tensor.zeros(old.shape, dtype: .bool)
        let result = withNoGrad { old.cloned() }
        withNoGrad {
            Kernels.fill(region(mask), with: 1)
            Kernels.copy(value, into: region(result))
        }
        return record("CopySlices", inputs: [old, value], result: result) { grad, _ in
            [Tensor.where(mask, Tensor.zeros(like: grad), grad), region(grad)]
        }
    }

    /// An in-place arithmetic update `self = self op other`.
    private func arithmeticInPlace(_ kernel: ct_binary_op, _ other: Tensor, op: String,
                                   trueDivision: Bool = false, _ compute: (Tensor, Tensor) -> Tensor) {
        var type = DType.resultType(self, other)
        if trueDivision && !type.isFloatingPoint { type = .defaultFloat }
        check(type.canCast(to: dtype), op, "result type \(type) can't be cast to the desired output type \(dtype)")
        let broadcast = Shape.broadcast(shape, other.shape, op: op)
        check(broadcast == shape, op, "output with shape \(shapeText(shape)) doesn't match the broadcast shape \(shapeText(broadcast))")
        checkMemoryOverlap(reading: [other], op: op)
        let overlaps = other.storage === storage && (other.strides != strides || other.storageOffset != storageOffset)
        let direct = type == dtype && !overlaps
        updateInPlace(op, involving: other, direct: direct, write: {
            Kernels.binary(kernel, self, other.ensuring(self.dtype), into: self)
        }) { compute($0, other) }
    }

    /// Adds `b` into `a` in place (broadcasting `b`).
    public static func += (a: Tensor, b: Tensor) { a.arithmeticInPlace(CT_ADD, b, op: "add_") { $0 + $1 } }
    /// Subtracts `b` from `a` in place.
    public static func -= (a: Tensor, b: Tensor) { a.arithmeticInPlace(CT_SUB, b, op: "sub_") { $0 - $1 } }
    /// Multiplies `a` by `b` in place.
    public static func *= (a: Tensor, b: Tensor) { a.arithmeticInPlace(CT_MUL, b, op: "mul_") { $0 * $1 } }
    /// Divides `a` by `b` in place (floating-point tensors only).
    public static func /= (a: Tensor, b: Tensor) {
        a.arithmeticInPlace(CT_DIV, b, op: "div_", trueDivision: true) { $0 / $1 }
    }

    public static func += (a: Tensor, b: Double) { a += Tensor.wrapped(b, matching: a) }
    public static func -= (a: Tensor, b: Double) { a -= Tensor.wrapped(b, matching: a) }
    public static func *= (a: Tensor, b: Double) { a *= Tensor.wrapped(b, matching: a) }
    public static func /= (a: Tensor, b: Double) { a /= Tensor.wrapped(b, matching: a) }
    public static func += (a: Tensor, b: Int) { a += Tensor.wrapped(b, matching: a) }
    public static func -= (a: Tensor, b: Int) { a -= Tensor.wrapped(b, matching: a) }
    public static func *= (a: Tensor, b: Int) { a *= Tensor.wrapped(b, matching: a) }
    public static func /= (a: Tensor, b: Int) { a /= Tensor.wrapped(b, matching: a) }

    /// Adds a gradient into this tensor (used by gradient accumulation; no checks).
    func addInPlaceUnchecked(_ other: Tensor) {
        Kernels.binary(CT_ADD, self, other.ensuring(dtype), into: self)
        storage.version += 1
    }

    /// Sets every element to zero, in place (PyTorch's `zero_()`).
    public func zero() { fill(0, op: "zero_", node: "ZeroBackward0") }

    /// Sets every element to `value`, in place (PyTorch's `fill_()`).
    public func fill(_ value: Double) { fill(value, op: "fill_", node: "FillBackward2") }

    private func fill(_ value: Double, op: String, node: String) {
        updateInPlace(op, direct: true, write: { Kernels.fill(self, with: value) }) { old in
            // The old value gets a zero gradient.
            Tensor.record(node, inputs: [old], result: Tensor.full(like: old, value)) { grad, _ in
                [Tensor.zeros(like: grad)]
            }
        }
    }

    /// Copies `source` (broadcast to this shape, converted to this dtype) into
    /// this tensor, in place (PyTorch's `copy_()`).
    public func copy(from source: Tensor) {
        let broadcast = Shape.broadcast(shape, source.shape, op: "copy_")
        check(broadcast == shape, "copy_", "output with shape \(shapeText(shape)) doesn't match the broadcast shape \(shapeText(broadcast))")
        checkMemoryOverlap(reading: [source], op: "copy_")
        let overlaps = source.storage === storage
        updateInPlace("copy_", involving: source, direct: !overlaps, write: { Kernels.copy(source, into: self) }) { old in
            let copied = Tensor.empty(like: old)
            Kernels.copy(source, into: copied)
            // The old value gets a zero gradient, the source all of it (the engine
            // sums it back to the source's shape and dtype).
            return Tensor.record("CopyBackwards", inputs: [old, source], result: copied) { grad, _ in
                [Tensor.zeros(like: grad), grad]
            }
        }
    }
}

/// Which output of a multi-output view op a tensor is (0 for a view of one),
/// and whether it was made with grad mode off.
struct MultiOutputView {
    let index: Int
    let madeWithoutGrad: Bool
}
