// Shape ops that copy or rearrange elements: padding, repeating, flipping,
// rolling, rotating, triangles and diagonals, unbinding; and the composites
// over views (movedim, swapaxes, unflattened, broadcast, meshgrid). Each
// primitive computes its forward from other ops under `withNoGrad` and records
// PyTorch's node with a rule in tensor ops.

/// How ``Tensor/padded(_:mode:value:)`` fills the border.
public enum PaddingMode: String, Sendable, Hashable {
    /// A constant value (negative pads crop).
    case constant
    /// The mirror image without the edge element (`[1, 2, 3]` padded by 2 on the left: `[3, 2, 1, 2, 3]`).
    case reflect
    /// Copies of the edge element.
    case replicate
    /// Wraps around (the other end of the dimension).
    case circular
}

/// How ``Tensor/meshgrid(_:indexing:)`` orders the output dimensions.
public enum MeshgridIndexing: String, Sendable, Hashable {
    /// Matrix indexing: output dimension i follows input i.
    case ij
    /// Cartesian indexing: the first two dimensions swapped (NumPy's default).
    case xy
}

extension Tensor {
    // MARK: Padding

    /// Pads (or, with negative amounts, crops) the last dimensions (`torch.nn.functional.pad`).
    ///
    /// - Parameters:
    ///   - pad: Amounts in PyTorch's order: the last dimension's left and
    ///     right first, then the one before it, and so on (`[left, right, top, bottom]`).
    ///   - mode: `.constant` (any number of dims), or `.reflect`, `.replicate`
    ///     and `.circular`, which pad the last 1–3 dims of a tensor with one or
    ///     two more dims (a batch and/or a channel).
    ///   - value: The fill for `.constant`.
    /// - Returns: The padded tensor, recorded as `ConstantPadNdBackward0`,
    ///   `ReflectionPad1DBackward0` (…2D, 3D), `ReplicationPad1DBackward0` (…),
    ///   or, for `.circular`, as PyTorch's slice assignments (`CopySlices`).
    public func padded(_ pad: [Int], mode: PaddingMode = .constant, value: Double = 0) -> Tensor {
        check(pad.count % 2 == 0, "pad", "Padding length must be divisible by 2")
        let k = pad.count / 2
        check(k <= rank, "pad", "Padding length should be less than or equal to two times the input dimension but got padding length \(pad.count) and input of dimension \(rank)")
        // (dim, before, after) for each padded dim.
        let sides = (0..<k).map { (rank - 1 - $0, pad[2 * $0], pad[2 * $0 + 1]) }
        if mode == .constant { return constantPadded(sides, value: value) }
        check(k >= 1 && k <= 3 && (rank == k + 1 || rank == k + 2), "pad", """
            Padding size \(pad.count) is not supported for \(rank)D input tensor.
            Supported combinations for non-constant padding:
              - 2D or 3D input: padding size = 2 (pads last dimension)
              - 3D or 4D input: padding size = 4 (pads last 2 dimensions)
              - 4D or 5D input: padding size = 6 (pads last 3 dimensions)
            """)
        if mode == .circular { return circularPadded(sides) }
        for (d, before, after) in sides {
            if mode == .reflect {
                check(before < shape[d] && after < shape[d], "pad", "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (\(before), \(after)) at dimension \(d) of input \(shapeText(shape))")
            } else {
                check(shape[d] > 0 || (before <= 0 && after <= 0), "pad", "Expected tensor to have non-zero size in dimension \(d) for replicate padding")
            }
        }
        // One gather per padded dim, with the index of the source element for each output position.
        let indices = sides.map { d, before, after -> (Int, Tensor) in
            let n = shape[d]
            let positions = (-before..<(n + after)).map { i -> Int64 in
                mode == .reflect ? Int64(i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i)) : Int64(Swift.min(Swift.max(i, 0), n - 1))
            }
            return (d, Tensor(shape: [positions.count], scalars: positions))
        }
        let result = withNoGrad { indices.reduce(self) { $0.indexSelect(dim: $1.0, $1.1) } }
        let name = (mode == .reflect ? "ReflectionPad" : "ReplicationPad") + "\(k)DBackward0"
        let inputShape = shape
        return Tensor.record(name, inputs: [self], result: result) { grad, _ in
            // Each output element's gradient goes back to its source element.
            var g = grad
            for (d, index) in indices.reversed() {
                var s = g.shape
                s[d] = inputShape[d]
                g = Tensor.zeros(s, dtype: g.dtype).indexAdd(dim: d, index: index, source: g)
            }
            return [g]
        }
    }

    private func constantPadded(_ sides: [(Int, Int, Int)], value: Double) -> Tensor {
        var outShape = shape
        for (d, before, after) in sides {
            outShape[d] += before + after
            check(outShape[d] >= 0, "pad", "The input size \(shape[d]), plus negative padding \(before) and \(after) resulted in a negative output size, which is invalid. Check dimension \(d) of your input.")
        }
        let out = Tensor.full(outShape, value, dtype: dtype)
        withNoGrad {
            // The part of the input that survives cropping, into its place in the output.
            var source = self, target = out
            for (d, before, after) in sides {
                let keep = shape[d] - Swift.max(-before, 0) - Swift.max(-after, 0)
                guard keep > 0 else { return }
                source = source.narrowed(dim: d, start: Swift.max(-before, 0), length: keep)
                target = target.narrowed(dim: d, start: Swift.max(before, 0), length: keep)
            }
            Kernels.copy(source, into: target)
        }
        let pad = sides.flatMap { [-$0.1, -$0.2] }
        return Tensor.record("ConstantPadNdBackward0", inputs: [self], result: out) { grad, _ in
            [grad.padded(pad)]
        }
    }

    /// Circular padding as PyTorch writes it: the input in the middle, then
    /// each border copied from the other end, as slice assignments.
    private func circularPadded(_ sides: [(Int, Int, Int)]) -> Tensor {
        for (d, before, after) in sides {
            check(before <= shape[d] && after <= shape[d], "pad", "Padding value causes wrapping around more than once.")
        }
        var outShape = shape
        for (d, before, after) in sides { outShape[d] += before + after }
        let out = Tensor.zeros(outShape, dtype: dtype)
        var center: [TensorIndex] = Array(repeating: .all, count: rank)
        for (d, before, after) in sides {
            center[d] = .slice(start: Swift.max(before, 0), end: outShape[d] - Swift.max(after, 0), step: 1)
        }
        var source: [TensorIndex] = Array(repeating: .all, count: rank)
        for (d, before, after) in sides {
            source[d] = .slice(start: Swift.max(-before, 0), end: shape[d] - Swift.max(-after, 0), step: 1)
        }
        out.assign(self.index(source), at: center)
        // Border by border, from the dim padded first (the last), copying from the other side.
        for (d, before, after) in sides {
            let n = outShape[d]
            if before > 0 {
                var dst: [TensorIndex] = Array(repeating: .all, count: rank), src = dst
                dst[d] = .slice(start: 0, end: before, step: 1)
                src[d] = .slice(start: n - before - Swift.max(after, 0), end: n - Swift.max(after, 0), step: 1)
                out.assign(out.index(src), at: dst)
            }
            if after > 0 {
                var dst: [TensorIndex] = Array(repeating: .all, count: rank), src = dst
                dst[d] = .slice(start: n - after, end: n, step: 1)
                src[d] = .slice(start: Swift.max(before, 0), end: Swift.max(before, 0) + after, step: 1)
                out.assign(out.index(src), at: dst)
            }
        }
        return out
    }

    // MARK: Repeating

    /// The tensor tiled `repeats[i]` times along dim i (`torch.Tensor.repeat`);
    /// extra leading repeats add dimensions.
    ///
    /// - Parameter repeats: At least as many counts as this tensor has dims.
    public func repeated(_ repeats: [Int]) -> Tensor {
        check(repeats.count >= rank, "repeat", "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
        check(repeats.allSatisfy { $0 >= 0 }, "repeat", "Trying to create tensor with negative dimension \(repeats.first { $0 < 0 }!): \(shapeText(repeats))")
        let padded = [Int](repeating: 1, count: repeats.count - rank) + shape
        // View as [1, s0, 1, s1, ...], expand to [r0, s0, r1, s1, ...], merge pairs.
        let interleaved = padded.flatMap { [1, $0] }
        let expandedShape = zip(repeats, padded).flatMap { [$0, $1] }
        let outShape = zip(repeats, padded).map { $0 * $1 }
        let result = withNoGrad { reshaped(interleaved).expanded(to: expandedShape).contiguous().reshaped(outShape) }
        let inputShape = shape
        return Tensor.record("RepeatBackward0", inputs: [self], result: result) { grad, _ in
            let summed = grad.reshaped(expandedShape).sum(dim: Array(stride(from: 0, to: expandedShape.count, by: 2)))
            return [summed.reshaped(inputShape)]
        }
    }

    /// `repeated(_:)`, variadic: `x.repeated(2, 1, 3)`.
    public func repeated(_ repeats: Int...) -> Tensor { repeated(repeats) }

    /// The tensor tiled like ``repeated(_:)``, with missing leading counts taken as 1 (`torch.tile`).
    public func tiled(_ reps: [Int]) -> Tensor {
        repeated([Int](repeating: 1, count: Swift.max(rank - reps.count, 0)) + reps)
    }

    /// Each element repeated `repeats` times along `dim`, or over the flattened
    /// tensor without a dim (`torch.repeat_interleave`): `[1, 2]` gives `[1, 1, 2, 2]`.
    public func repeatInterleave(_ repeats: Int, dim: Int? = nil) -> Tensor {
        check(repeats >= 0, "repeat_interleave", "repeats can not be negative")
        guard let dim else { return reshaped(-1).repeatInterleave(repeats, dim: 0) }
        let d = Shape.normalize(dim: dim, rank: rank, op: "repeat_interleave")
        var expandedShape = shape
        expandedShape.insert(repeats, at: d + 1)
        var outShape = shape
        outShape[d] *= repeats
        return unsqueezed(d + 1).expanded(to: expandedShape).contiguous().reshaped(outShape)
    }

    /// Element i of `dim` repeated `repeats[i]` times (`torch.repeat_interleave` with a tensor of counts).
    public func repeatInterleave(_ repeats: Tensor, dim: Int? = nil) -> Tensor {
        guard let dim else { return reshaped(-1).repeatInterleave(repeats, dim: 0) }
        let d = Shape.normalize(dim: dim, rank: rank, op: "repeat_interleave")
        let counts = repeats.reshaped(-1).scalars(as: Int.self)
        check(counts.count == shape[d] || counts.count == 1, "repeat_interleave",
              "repeats must have the same size as input along dim, but got repeats.size(0) = \(counts.count) and input.size(\(d)) = \(shape[d])")
        check(counts.allSatisfy { $0 >= 0 }, "repeat_interleave", "repeats can not be negative")
        let all = counts.count == 1 ? [Int](repeating: counts[0], count: shape[d]) : counts
        let positions = all.enumerated().flatMap { i, r in [Int64](repeating: Int64(i), count: r) }
        return indexSelect(dim: d, Tensor(shape: [positions.count], scalars: positions))
    }

    // MARK: Flipping, rolling, rotating

    /// The elements in reverse order along each of `dims` (`torch.flip`).
    public func flipped(_ dims: [Int]) -> Tensor {
        let ds = dims.map { Shape.normalize(dim: $0, rank: rank, op: "flip") }
        check(Set(ds).count == ds.count, "flip", "dims has duplicates, original flip dims size=\(dims.count), but unique flip dims size=\(Set(ds).count)")
        var strides = self.strides, offset = storageOffset
        for d in ds where shape[d] > 0 {
            offset += (shape[d] - 1) * strides[d]
            strides[d] = -strides[d]
        }
        let result = withNoGrad { view(shape: shape, strides: strides, offset: offset).contiguous(copy: true) }
        return Tensor.record("FlipBackward0", inputs: [self], result: result) { grad, _ in [grad.flipped(ds)] }
    }

    /// ``flipped(_:)``, variadic: `x.flipped(0, 2)`.
    public func flipped(_ dims: Int...) -> Tensor { flipped(dims) }

    /// The elements shifted cyclically by `shifts[i]` along `dims[i]`, or over
    /// the flattened tensor without dims (`torch.roll`).
    public func rolled(_ shifts: [Int], dims: [Int] = []) -> Tensor {
        if dims.isEmpty {
            check(shifts.count == 1, "roll", "roll: shifts must have one element when no dims are given, got \(shifts.count)")
            let flat = withNoGrad { reshaped(-1).rolled(shifts, dims: [0]).reshaped(shape) }
            return recordRoll(flat, shifts: shifts, dims: [])
        }
        check(shifts.count == dims.count, "roll", "shifts and dimensions must align. shifts: \(shifts.count), dims:\(dims.count)")
        let result = withNoGrad { () -> Tensor in
            var r = self
            for (shift, dim) in zip(shifts, dims) {
                let d = Shape.normalize(dim: dim, rank: rank, op: "roll")
                let n = shape[d]
                guard n > 0 else { continue }
                let s = ((shift % n) + n) % n
                if s == 0 { continue }
                r = Tensor.cat([r.narrowed(dim: d, start: n - s, length: s), r.narrowed(dim: d, start: 0, length: n - s)], dim: d)
            }
            return r === self ? self.cloned() : r
        }
        return recordRoll(result, shifts: shifts, dims: dims)
    }

    private func recordRoll(_ result: Tensor, shifts: [Int], dims: [Int]) -> Tensor {
        Tensor.record("RollBackward0", inputs: [self], result: result) { grad, _ in
            [grad.rolled(shifts.map { -$0 }, dims: dims)]
        }
    }

    /// Rotates by 90° `k` times in the plane of `dims`, from the first toward the second (`torch.rot90`).
    public func rot90(_ k: Int = 1, dims: [Int] = [0, 1]) -> Tensor {
        check(dims.count == 2, "rot90", "expected total rotation dims == 2, but got dims = \(dims.count)")
        check(rank >= 2, "rot90", "expected total dims >= 2, but got total dims = \(rank)")
        let d0 = Shape.normalize(dim: dims[0], rank: rank, op: "rot90"), d1 = Shape.normalize(dim: dims[1], rank: rank, op: "rot90")
        check(d0 != d1, "rot90", "expected rotation dims to be different, but got dim0 = \(d0) and dim1 = \(d1)")
        let turns = ((k % 4) + 4) % 4
        let result = withNoGrad { () -> Tensor in
            switch turns {
            case 1: return flipped([d1]).transposed(d0, d1).contiguous()
            case 2: return flipped([d0, d1])
            case 3: return flipped([d0]).transposed(d0, d1).contiguous()
            default: return cloned()
            }
        }
        return Tensor.record("Rot90Backward0", inputs: [self], result: result) { grad, _ in [grad.rot90(-k, dims: dims)] }
    }

    // MARK: Triangles and diagonals

    /// A mask over the last two dims: true where `column - row` satisfies `keep`.
    private func triangleMask(_ keep: (Int) -> Bool) -> Tensor {
        let (rows, cols) = (shape[rank - 2], shape[rank - 1])
        var flags = [Bool](repeating: false, count: rows * cols)
        for i in 0..<rows { for j in 0..<cols where keep(j - i) { flags[i * cols + j] = true } }
        return Tensor(shape: [rows, cols], scalars: flags)
    }

    /// The lower triangle of the last two dims: elements with `column - row ≤ diagonal`, zeros elsewhere (`torch.tril`).
    public func tril(diagonal: Int = 0) -> Tensor {
        check(rank >= 2, "tril", "tril: input tensor must have at least 2 dimensions")
        let mask = triangleMask { $0 <= diagonal }
        let result = withNoGrad { Tensor.where(mask, self, Tensor.zeros([], dtype: dtype)) }
        return Tensor.record("TrilBackward0", inputs: [self], result: result) { grad, _ in [grad.tril(diagonal: diagonal)] }
    }

    /// The upper triangle of the last two dims: elements with `column - row ≥ diagonal`, zeros elsewhere (`torch.triu`).
    public func triu(diagonal: Int = 0) -> Tensor {
        check(rank >= 2, "triu", "triu: input tensor must have at least 2 dimensions")
        let mask = triangleMask { $0 >= diagonal }
        let result = withNoGrad { Tensor.where(mask, self, Tensor.zeros([], dtype: dtype)) }
        return Tensor.record("TriuBackward0", inputs: [self], result: result) { grad, _ in [grad.triu(diagonal: diagonal)] }
    }

    /// The geometry of a diagonal view: shape, strides and storage offset.
    private func diagonalGeometry(offset: Int, dim1 d1: Int, dim2 d2: Int) -> ([Int], [Int], Int) {
        let length = offset >= 0 ? Swift.max(Swift.min(shape[d1], shape[d2] - offset), 0)
            : Swift.max(Swift.min(shape[d1] + offset, shape[d2]), 0)
        var start = storageOffset
        if length > 0 { start += offset >= 0 ? offset * strides[d2] : -offset * strides[d1] }
        let kept = (0..<rank).filter { $0 != d1 && $0 != d2 }
        return (kept.map { shape[$0] } + [length], kept.map { strides[$0] } + [strides[d1] + strides[d2]], start)
    }

    /// The diagonal of the `dim1`–`dim2` planes as a view, in a new last dim
    /// (`torch.diagonal`); `offset` > 0 is above the main diagonal.
    public func diagonal(offset: Int = 0, dim1: Int = 0, dim2: Int = 1) -> Tensor {
        let d1 = Shape.normalize(dim: dim1, rank: rank, op: "diagonal"), d2 = Shape.normalize(dim: dim2, rank: rank, op: "diagonal")
        check(d1 != d2, "diagonal", "diagonal dimensions cannot be identical \(dim1), \(dim2)")
        let (s, st, start) = diagonalGeometry(offset: offset, dim1: d1, dim2: d2)
        let inputShape = shape
        return Tensor.record("DiagonalBackward0", inputs: [self], result: view(shape: s, strides: st, offset: start)) { grad, _ in
            [grad.embedded(inShape: inputShape, name: "DiagonalBackwardBackward0") {
                $0.diagonal(offset: offset, dim1: d1, dim2: d2)
            }]
        }
    }

    /// A tensor whose `dim1`–`dim2` planes have this tensor's last dim on
    /// their diagonal (`offset` above it), zeros elsewhere (`torch.diag_embed`).
    public func diagEmbed(offset: Int = 0, dim1: Int = -2, dim2: Int = -1) -> Tensor {
        let outRank = rank + 1
        let d1 = Shape.normalize(dim: dim1, rank: outRank, op: "diag_embed"), d2 = Shape.normalize(dim: dim2, rank: outRank, op: "diag_embed")
        check(d1 != d2, "diag_embed", "diagonal dimensions cannot be identical \(dim1), \(dim2)")
        let n = (rank == 0 ? 1 : shape[rank - 1]) + Swift.abs(offset)
        var outShape = Array(shape.dropLast())
        for d in [d1, d2].sorted() { outShape.insert(n, at: d) }
        let out = Tensor.zeros(outShape, dtype: dtype)
        withNoGrad { Kernels.copy(self, into: out.diagonal(offset: offset, dim1: d1, dim2: d2)) }
        return Tensor.record("DiagEmbedBackward0", inputs: [self], result: out) { grad, _ in
            [grad.diagonal(offset: offset, dim1: d1, dim2: d2)]
        }
    }

    /// A 1-d tensor as the diagonal of a square matrix, or a matrix's diagonal
    /// as a 1-d tensor (`torch.diag`); `diagonal` > 0 is above the main one.
    public func diag(_ diagonal: Int = 0) -> Tensor {
        check(rank == 1 || rank == 2, "diag", "diag(): Supports 1D or 2D tensors. Got \(rank)D")
        if rank == 1 { return diagEmbed(offset: diagonal, dim1: 0, dim2: 1) }
        // PyTorch copies the diagonal (`diagonal_copy`).
        let (s, st, start) = diagonalGeometry(offset: diagonal, dim1: 0, dim2: 1)
        let result = withNoGrad { view(shape: s, strides: st, offset: start).contiguous(copy: true) }
        let inputShape = shape
        return Tensor.record("DiagonalBackward0_copy", inputs: [self], result: result) { grad, _ in
            [grad.embedded(inShape: inputShape, name: "DiagonalBackwardBackward0") {
                $0.diagonal(offset: diagonal, dim1: 0, dim2: 1)
            }]
        }
    }

    /// The sum of a matrix's main diagonal (`torch.trace`).
    public func trace() -> Tensor {
        check(rank == 2, "trace", "trace: expected a matrix, but got tensor with dim \(rank)")
        let result = withNoGrad { diagonal().sum() }
        let (n, m) = (shape[0], shape[1])
        return Tensor.record("TraceBackward0", inputs: [self], result: result) { grad, _ in
            [Tensor.eye(n, m, dtype: grad.dtype) * grad]
        }
    }

    // MARK: Unbinding

    /// The slices along `dim`, each without that dim (`torch.unbind`); views of this tensor.
    public func unbind(dim: Int = 0) -> [Tensor] {
        check(rank > 0, "unbind", "Dimension specified as 0 but tensor has no dimensions")
        let d = Shape.normalize(dim: dim, rank: rank, op: "unbind")
        let inputShape = shape
        return (0..<shape[d]).map { i in
            let slice = withNoGrad { select(dim: d, index: i) }
            return Tensor.record("UnbindBackward0", inputs: [self], result: slice) { grad, _ in
                [grad.embedded(inShape: inputShape, name: "UnbindBackwardBackward0") { $0.select(dim: d, index: i) }]
            }
        }
    }

    // MARK: Composites over views

    /// Moves dims `source` to positions `destination`, keeping the others in order (`torch.movedim`).
    public func movedim(_ source: [Int], _ destination: [Int]) -> Tensor {
        check(source.count == destination.count, "movedim", "movedim: Invalid source or destination dims: source (\(source) dims) should contain the same number of dims as destination (\(destination) dims)")
        let src = source.map { Shape.normalize(dim: $0, rank: rank, op: "movedim") }
        let dst = destination.map { Shape.normalize(dim: $0, rank: rank, op: "movedim") }
        check(Set(src).count == src.count, "movedim", "movedim: repeated dim in `source` (\(source))")
        check(Set(dst).count == dst.count, "movedim", "movedim: repeated dim in `destination` (\(destination))")
        var order = [Int](repeating: -1, count: rank)
        for (s, t) in zip(src, dst) { order[t] = s }
        var rest = (0..<rank).filter { !src.contains($0) }.makeIterator()
        for i in order.indices where order[i] < 0 { order[i] = rest.next()! }
        return permuted(order)
    }

    /// ``movedim(_:_:)`` for one dim.
    public func movedim(_ source: Int, _ destination: Int) -> Tensor { movedim([source], [destination]) }

    /// Swaps two dims (`torch.swapaxes`, the same as ``transposed(_:_:)``).
    public func swapaxes(_ axis0: Int, _ axis1: Int) -> Tensor { transposed(axis0, axis1) }

    /// Splits `dim` into `sizes` (one of which may be -1) (`torch.unflatten`).
    public func unflattened(dim: Int, sizes: [Int]) -> Tensor {
        let d = Shape.normalize(dim: dim, rank: rank, op: "unflatten")
        check(!sizes.isEmpty, "unflatten", "unflatten: sizes must be non-empty")
        var newShape = shape
        newShape.replaceSubrange(d...d, with: sizes)
        let known = sizes.filter { $0 != -1 }.reduce(1, *)
        check(sizes.filter { $0 == -1 }.count > 0 || known == shape[d], "unflatten",
              "unflatten: Provided sizes \(shapeText(sizes)) don't multiply up to the size of dim \(dim) (\(shape[d])) in the input tensor")
        return viewed(newShape, op: "unflatten")
    }

    /// This tensor broadcast to `shape`, as a view (`torch.broadcast_to`).
    public func broadcast(to shape: [Int]) -> Tensor { expanded(to: shape) }

    /// Coordinate grids: for 1-d inputs of sizes n₀, n₁, …, tensors of shape
    /// [n₀, n₁, …] where output i varies along dim i (`torch.meshgrid`); with
    /// `.xy`, the first two dims are swapped.
    public static func meshgrid(_ tensors: [Tensor], indexing: MeshgridIndexing) -> [Tensor] {
        for t in tensors {
            check(t.rank <= 1, "meshgrid", "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: \(t.rank)D")
        }
        let swap = indexing == .xy && tensors.count >= 2
        let sizes = tensors.map { $0.count }
        var shape = sizes
        if swap { shape.swapAt(0, 1) }
        return tensors.enumerated().map { i, t in
            var viewShape = [Int](repeating: 1, count: tensors.count)
            let position = swap && i < 2 ? 1 - i : i
            viewShape[position] = sizes[i]
            return t.reshaped(viewShape).expanded(to: shape)
        }
    }
}

/// A tensor is a sequence of its rows (the slices along dim 0):
/// `for row in x { … }`, as iterating a PyTorch tensor does.
extension Tensor: Sequence {
    public struct Iterator: IteratorProtocol {
        let tensor: Tensor
        var position = 0

        public mutating func next() -> Tensor? {
            check(tensor.rank > 0, "iter", "iteration over a 0-d tensor")
            guard position < tensor.shape[0] else { return nil }
            defer { position += 1 }
            return tensor.select(dim: 0, index: position)
        }
    }

    public func makeIterator() -> Iterator { Iterator(tensor: self) }

    public var underestimatedCount: Int { rank == 0 ? 0 : shape[0] }
}
