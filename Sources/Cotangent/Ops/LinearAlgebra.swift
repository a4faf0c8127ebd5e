import CCotangentKernels
// Products of vectors and matrices. Every one runs on the GEMM kernel, which
// reads operands through their strides, so transposed inputs are never copied.

extension Tensor {
    /// `c = a @ b` for matrices given as (rows x cols) views of any strides.
    static func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor) {
        gemm(m: a.shape[0], n: b.shape[1], k: a.shape[1], a, (a.strides[0], a.strides[1]),
             b, (b.strides[0], b.strides[1]), into: c, (c.strides[0], c.strides[1]))
    }

    /// `c = a @ b` with the operands' (row, column) strides given explicitly, so
    /// vectors can be read as matrices without building view tensors.
    static func gemm(m: Int, n: Int, k: Int, _ a: Tensor, _ sa: (Int, Int), _ b: Tensor, _ sb: (Int, Int),
                     into c: Tensor, _ sc: (Int, Int)) {
        guard m > 0 && n > 0 else { return }
        if k == 0 { Kernels.fill(c, with: 0); return }
        ct_gemm(a.dtype.kernelCode, Int64(m), Int64(n), Int64(k), 1,
                a.baseAddress, Int64(sa.0), Int64(sa.1), b.baseAddress, Int64(sb.0), Int64(sb.1), 0,
                c.baseAddress, Int64(sc.0), Int64(sc.1))
    }

    /// `c[i] = a[i] @ b[i]` for 3-d operands. Many or small products run one per
    /// thread, each single-threaded (``gemmBatched(m:n:k:_:_:_:_:into:alpha:)``:
    /// no per-product packing split or barrier); a few large ones run in turn,
    /// each over all threads.
    static func batchedGemm(_ a: Tensor, _ b: Tensor, into c: Tensor) {
        let (batch, m, n, k) = (a.shape[0], a.shape[1], b.shape[2], a.shape[2])
        guard c.count > 0 else { return }
        if k == 0 { Kernels.fill(c, with: 0); return }
        guard batch >= 2 * Cotangent.numThreads || m * n * k <= 1 << 21 else {
            for i in 0..<batch {
                withNoGrad { gemm(a.select(dim: 0, index: i), b.select(dim: 0, index: i), into: c.select(dim: 0, index: i)) }
            }
            return
        }
        gemmBatched(m: m, n: n, k: k, a, (a.strides[1], a.strides[2]), b, (b.strides[1], b.strides[2]), into: c)
    }

    /// `c[..] = alpha · a[..] @ b[..]` for each matrix of 3-d or 4-d operands
    /// (their leading one or two dims are the batch), one product per thread.
    /// The matrices are read through the (row, column) strides `sa`, `sb`, so a
    /// transposed operand needs no copy; `c` is written through its own strides.
    static func gemmBatched(m: Int, n: Int, k: Int, _ a: Tensor, _ sa: (Int, Int), _ b: Tensor, _ sb: (Int, Int),
                            into c: Tensor, alpha: Double = 1) {
        // Leading (count, stride) pairs: a 3-d operand is one batch of shape[0].
        func batch(_ t: Tensor) -> (Int64, Int64, Int64, Int64) {
            t.rank == 4 ? (Int64(t.shape[0]), Int64(t.strides[0]), Int64(t.shape[1]), Int64(t.strides[1]))
                        : (1, 0, Int64(t.shape[0]), Int64(t.strides[0]))
        }
        let (b0, sa0, b1, sa1) = batch(a), (_, sb0, _, sb1) = batch(b), (_, sc0, _, sc1) = batch(c)
        let (rsc, csc) = (c.strides[c.rank - 2], c.strides[c.rank - 1])
        withExtendedLifetime((a, b, c)) {
            ct_gemm_batched(a.dtype.kernelCode, b0, b1, Int64(m), Int64(n), Int64(k), alpha,
                            a.baseAddress, sa0, sa1, Int64(sa.0), Int64(sa.1),
                            b.baseAddress, sb0, sb1, Int64(sb.0), Int64(sb.1), 0,
                            c.baseAddress, sc0, sc1, Int64(rsc), Int64(csc))
        }
    }

    /// Stops unless both operands have one dtype, with each op's PyTorch wording.
    ///
    /// As PyTorch's kernels, which never run when an operand is empty, bool
    /// operands are refused only when there is something to multiply.
    private static func checkSameDType(_ a: Tensor, _ b: Tensor, op: String, nothingToMultiply: Bool = false) {
        if a.dtype != b.dtype {
            let (x, y) = (a.dtype.scalarTypeName, b.dtype.scalarTypeName)
            switch op {
            case "dot": fail(op, "dot : expected both vectors to have same dtype, but found \(x) and \(y)")
            case "mm": fail(op, "expected m1 and m2 to have the same dtype, but got: \(a.dtype.cTypeName) != \(b.dtype.cTypeName)")
            case "mv": fail(op, "addmv input tensors must have the same dtype, but got \(y), \(x), and \(y)")
            default: fail(op, "expected scalar type \(x) but found \(y)")
            }
        }
        check(a.dtype != .bool || nothingToMultiply, op, "\"\(op)\" not implemented for 'Bool'")
    }

    /// The inner product of two 1-d tensors of equal length (`torch.dot`).
    public func dot(_ other: Tensor) -> Tensor {
        check(rank == 1 && other.rank == 1, "dot", "1D tensors expected, but got \(rank)D and \(other.rank)D tensors")
        check(count == other.count, "dot", "inconsistent tensor size, expected tensor [\(count)] and src [\(other.count)] to have the same number of elements, but got \(count) and \(other.count) elements respectively")
        Tensor.checkSameDType(self, other, op: "dot")
        let out = Tensor(uninitializedShape: [], dtype: dtype)
        // A 1 x n row times an n x 1 column (with one column, its stride is
        // never used; 1 lets the kernel read it in place as a row-major matrix).
        Tensor.gemm(m: 1, n: 1, k: count, self, (0, strides[0]), other, (other.strides[0], 1), into: out, (1, 1))
        let operands = [self, other]  // one array for inputs and saved values
        return Tensor.record("DotBackward0", inputs: operands, result: out, saving: operands) { grad, saved in
            let ga = saved.needsGrad(0) ? grad * saved[1] : nil, gb = saved.needsGrad(1) ? grad * saved[0] : nil
            return [ga, gb]
        }
    }

    /// The product of two matrices (`torch.mm`).
    ///
    /// - Complexity: O(n·m·p) for an n x m times m x p product.
    public func mm(_ other: Tensor) -> Tensor {
        check(rank == 2, "mm", "self must be a matrix")
        check(other.rank == 2, "mm", "mat2 must be a matrix")
        check(shape[1] == other.shape[0], "mm", "mat1 and mat2 shapes cannot be multiplied (\(shape[0])x\(shape[1]) and \(other.shape[0])x\(other.shape[1]))")
        Tensor.checkSameDType(self, other, op: "mm", nothingToMultiply: count == 0 || other.count == 0)
        let out = Tensor(uninitializedShape: [shape[0], other.shape[1]], dtype: dtype)
        Tensor.gemm(self, other, into: out)
        let operands = [self, other]  // one array for inputs and saved values
        return Tensor.record("MmBackward0", inputs: operands, result: out, saving: operands) { grad, saved in
            let ga = saved.needsGrad(0) ? grad.mm(saved[1].t()) : nil
            let gb = saved.needsGrad(1) ? Tensor.mmMat2Backward(grad, mat1: saved[0], mat2: saved[1]) : nil
            return [ga, gb]
        }
    }

    /// The product of a matrix and a vector (`torch.mv`).
    public func mv(_ vector: Tensor) -> Tensor {
        check(rank == 2 && vector.rank == 1, "mv", "vector + matrix @ vector expected, got \(rank), \(vector.rank)")
        check(shape[1] == vector.count, "mv", "size mismatch, got input (\(shape[0])), mat (\(shape[0])x\(shape[1])), vec (\(vector.count))")
        Tensor.checkSameDType(self, vector, op: "mv", nothingToMultiply: count == 0)
        let out = Tensor(uninitializedShape: [shape[0]], dtype: dtype)
        // The vector read as an n x 1 column (column stride unused, so 1: read in
        // place), the result written as a column.
        Tensor.gemm(m: shape[0], n: 1, k: shape[1], self, (strides[0], strides[1]), vector, (vector.strides[0], 1),
                    into: out, (1, 1))
        let operands = [self, vector]  // one array for inputs and saved values
        return Tensor.record("MvBackward0", inputs: operands, result: out, saving: operands) { grad, saved in
            [saved.needsGrad(0) ? grad.unsqueezed(1) * saved[1] : nil, saved.needsGrad(1) ? saved[0].t().mv(grad) : nil]
        }
    }

    /// The outer product of two vectors (`torch.outer`).
    public func outer(_ other: Tensor) -> Tensor {
        check(rank == 1 && other.rank == 1, "outer", "outer: expected 1D tensors, but got \(rank)D and \(other.rank)D")
        return reshaped(-1, 1) * other
    }

    /// Batched matrix product of two 3-d tensors with equal batch size (`torch.bmm`).
    public func bmm(_ other: Tensor) -> Tensor {
        check(rank == 3, "bmm", "batch1 must be a 3D tensor")
        check(other.rank == 3, "bmm", "batch2 must be a 3D tensor")
        check(shape[0] == other.shape[0], "bmm", "batch1 and batch2 must have same number of batches, got \(shape[0]) and \(other.shape[0])")
        check(shape[2] == other.shape[1], "bmm", "Expected size for first two dimensions of batch2 tensor to be: [\(shape[0]), \(shape[2])] but got: [\(other.shape[0]), \(other.shape[1])].")
        let outShape = [shape[0], shape[1], other.shape[2]]
        // PyTorch checks no dtypes when an operand is empty (nothing to multiply);
        // the result then takes batch2's dtype.
        let nothingToMultiply = count == 0 || other.count == 0
        if !nothingToMultiply { Tensor.checkSameDType(self, other, op: "bmm") }
        let out = Tensor(uninitializedShape: outShape, dtype: nothingToMultiply ? other.dtype : dtype)
        Tensor.batchedGemm(self, other, into: out)
        let operands = [self, other]  // one array for inputs and saved values
        return Tensor.record("BmmBackward0", inputs: operands, result: out, saving: operands) { grad, saved in
            [saved.needsGrad(0) ? grad.bmm(saved[1].transposed(1, 2)) : nil,
             saved.needsGrad(1) ? saved[0].transposed(1, 2).bmm(grad) : nil]
        }
    }

    /// The matrix product with `torch.matmul`'s rules: dot for two vectors,
    /// matrix-vector and vector-matrix products, and batched products whose
    /// batch dimensions broadcast.
    ///
    /// The steps mirror PyTorch's, so the recorded graph (and its `gradFn`
    /// names) is PyTorch's too: a batched operand against a matrix or vector is
    /// folded into one large GEMM when that needs no copy, or when the smaller
    /// operand requires grad (its gradient is then one product, not a sum over
    /// an expanded batch); otherwise the batches are broadcast and multiplied by `bmm`.
    public func matmul(_ other: Tensor) -> Tensor {
        check(rank > 0 && other.rank > 0, "matmul", "both arguments to matmul need to be at least 1D, but they are \(rank)D and \(other.rank)D")
        let (rank1, rank2) = (rank, other.rank)
        switch (rank1, rank2) {
        case (1, 1): return dot(other)
        case (2, 1): return mv(other)
        case (1, 2): return unsqueezed(0).mm(other).squeezedAsInPlace(0)
        case (2, 2): return mm(other)
        default: break
        }
        if Tensor.shouldFold(self, other) {
            // Fold the larger operand's batch into its rows; when the right one is larger, use (B^T A^T)^T.
            let transpose = rank2 > rank1
            let t1 = transpose ? other.transposed(-2, -1) : self
            let t2 = !transpose ? other : (rank1 == 2 ? t() : self)
            var outputShape = Array(t1.shape.dropLast())
            let folded = t1.reshaped([Shape.count(outputShape), t1.shape[t1.rank - 1]])
            if t2.rank == 2 {
                outputShape.append(t2.shape[1])
                let output = folded.mm(t2).unsafeViewed(outputShape)
                return transpose ? output.transposed(-2, -1).contiguous() : output
            }
            return folded.mv(t2).unsafeViewed(outputShape)
        }
        // As PyTorch: a batch of one that requires grad, against a larger batch, is
        // squeezed to a matrix, so its gradient is one product rather than a sum over
        // the broadcast batch (the graph then shows SqueezeBackward1 and MmBackward0).
        if rank1 == 3 && rank2 == 3 && shape[0] != other.shape[0] {
            if shape[0] == 1 && requiresGrad { return squeezed(0).matmul(other) }
            if other.shape[0] == 1 && other.requiresGrad { return matmul(other.squeezed(0)) }
        }
        let n = rank1 > 1 ? shape[rank1 - 2] : 1, m1 = shape[rank1 - 1]
        let m2 = rank2 > 1 ? other.shape[rank2 - 2] : other.shape[0], p = rank2 > 1 ? other.shape[rank2 - 1] : 1
        var outputShape = Shape.broadcast(Array(shape.prefix(Swift.max(rank1 - 2, 0))),
                                          Array(other.shape.prefix(Swift.max(rank2 - 2, 0))), op: "matmul")
        let batch = Shape.count(outputShape)
        let left = expanded(to: outputShape + [n, m1]).reshaped(batch, n, m1)
        let right = rank2 == 1
            ? other.expanded(to: outputShape + [m2]).reshaped(batch, m2).unsqueezed(2)
            : other.expanded(to: outputShape + [m2, p]).reshaped(batch, m2, p)
        if rank1 > 1 { outputShape.append(n) }
        if rank2 > 1 { outputShape.append(p) }
        let product = left.bmm(right)
        return (rank2 == 1 ? product.squeezed(-1) : product).unsafeViewed(outputShape)
    }

    /// PyTorch's `should_fold`: whether `matmul` of a batch (3-d or more) and a
    /// matrix or vector runs as one `mm`/`mv` over the folded batch.
    private static func shouldFold(_ tensor1: Tensor, _ tensor2: Tensor) -> Bool {
        let tensor1Larger = tensor1.rank >= tensor2.rank
        let larger = tensor1Larger ? tensor1 : tensor2
        let smallerRank = tensor1Larger ? tensor2.rank : tensor1.rank
        guard larger.rank >= 3 && smallerRank <= 2 else { return false }
        // Folding keeps the smaller operand's gradient one product instead of a batch sum.
        if (tensor1Larger ? tensor2 : tensor1).requiresGrad { return true }
        // 2-d @ batch would need the folded product transposed and copied.
        if tensor1.rank == 2 { return false }
        if larger.count == 0 { return true }
        // Fold when the batch dims (of the larger one, transposed if it is on the right) view as one.
        var sizes = larger.shape, strides = larger.strides
        if !tensor1Larger {
            sizes.swapAt(sizes.count - 1, sizes.count - 2)
            strides.swapAt(strides.count - 1, strides.count - 2)
        }
        for i in 0..<(sizes.count - 2) where strides[i] != strides[i + 1] * sizes[i + 1] { return false }
        return true
    }

    /// PyTorch's `_unsafe_view` of a fresh contiguous result: a view with a new
    /// shape, recorded as `UnsafeViewBackward0`.
    func unsafeViewed(_ shape: [Int]) -> Tensor {
        let inputShape = self.shape
        let result = withNoGrad { reshaped(shape) }
        return Tensor.record("UnsafeViewBackward0", inputs: [self], result: result) { grad, _ in [grad.reshaped(inputShape)] }
    }

    /// Removes `dim` as PyTorch's in-place `squeeze_(dim)` on a fresh result
    /// does, recorded as `SqueezeBackward4`.
    private func squeezedAsInPlace(_ dim: Int) -> Tensor {
        let result = withNoGrad { squeezed(dim) }
        return Tensor.record("SqueezeBackward4", inputs: [self], result: result) { grad, _ in [grad.unsqueezed(dim)] }
    }
}
