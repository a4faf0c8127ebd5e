import CCotangentKernels

// Products of vectors and matrices. Every one runs on the GEMM kernel, which
// reads operands through their strides, so transposed inputs are never copied.

extension Tensor {
    /// `c = a @ b` for matrices given as (rows x cols) views of any strides.
    static func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor) {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        guard m > 0 && n > 0 else { return }
        if k == 0 { Kernels.fill(c, with: 0); return }
        ct_gemm(a.dtype.kernelCode, Int64(m), Int64(n), Int64(k), 1,
                a.baseAddress, Int64(a.strides[0]), Int64(a.strides[1]),
                b.baseAddress, Int64(b.strides[0]), Int64(b.strides[1]), 0,
                c.baseAddress, Int64(c.strides[0]), Int64(c.strides[1]))
    }

    private static func checkSameDType(_ a: Tensor, _ b: Tensor, op: String) {
        check(a.dtype == b.dtype, op, "expected both operands to have the same dtype, but got \(a.dtype) and \(b.dtype)")
        check(a.dtype != .bool, op, "\"\(op)\" not implemented for 'Bool'")
    }

    /// The inner product of two 1-d tensors of equal length (`torch.dot`).
    public func dot(_ other: Tensor) -> Tensor {
        check(rank == 1 && other.rank == 1, "dot", "1D tensors expected, but got \(rank)D and \(other.rank)D tensors")
        check(count == other.count, "dot", "inconsistent tensor size, expected tensor [\(count)] and src [\(other.count)] to have the same number of elements, but got \(count) and \(other.count) elements respectively")
        Tensor.checkSameDType(self, other, op: "dot")
        let out = Tensor(uninitializedShape: [], dtype: dtype)
        let row = view(shape: [1, count], strides: [0, strides[0]], offset: storageOffset)
        let column = other.view(shape: [count, 1], strides: [other.strides[0], 0], offset: other.storageOffset)
        Tensor.gemm(row, column, into: out.view(shape: [1, 1], strides: [1, 1], offset: 0))
        return Tensor.record("DotBackward0", inputs: [self, other], result: out, saving: [self, other]) { grad, saved in
            [grad * saved[1], grad * saved[0]]
        }
    }

    /// The product of two matrices (`torch.mm`).
    ///
    /// - Complexity: O(n·m·p) for an n x m times m x p product.
    public func mm(_ other: Tensor) -> Tensor {
        check(rank == 2, "mm", "self must be a matrix")
        check(other.rank == 2, "mm", "mat2 must be a matrix")
        check(shape[1] == other.shape[0], "mm", "mat1 and mat2 shapes cannot be multiplied (\(shape[0])x\(shape[1]) and \(other.shape[0])x\(other.shape[1]))")
        Tensor.checkSameDType(self, other, op: "mm")
        let out = Tensor(uninitializedShape: [shape[0], other.shape[1]], dtype: dtype)
        Tensor.gemm(self, other, into: out)
        return Tensor.record("MmBackward0", inputs: [self, other], result: out, saving: [self, other]) { grad, saved in
            [grad.mm(saved[1].t()), saved[0].t().mm(grad)]
        }
    }

    /// The product of a matrix and a vector (`torch.mv`).
    public func mv(_ vector: Tensor) -> Tensor {
        check(rank == 2 && vector.rank == 1, "mv", "vector + matrix @ vector expected, got \(rank), \(vector.rank)")
        check(shape[1] == vector.count, "mv", "size mismatch, got input (\(shape[0])), mat (\(shape[0])x\(shape[1])), vec (\(vector.count))")
        Tensor.checkSameDType(self, vector, op: "mv")
        let out = Tensor(uninitializedShape: [shape[0]], dtype: dtype)
        let column = vector.view(shape: [vector.count, 1], strides: [vector.strides[0], 0], offset: vector.storageOffset)
        Tensor.gemm(self, column, into: out.view(shape: [shape[0], 1], strides: [1, 1], offset: 0))
        return Tensor.record("MvBackward0", inputs: [self, vector], result: out, saving: [self, vector]) { grad, saved in
            [grad.unsqueezed(1) * saved[1], saved[0].t().mv(grad)]
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
        Tensor.checkSameDType(self, other, op: "bmm")
        let out = Tensor(uninitializedShape: [shape[0], shape[1], other.shape[2]], dtype: dtype)
        for i in 0..<shape[0] {
            withNoGrad { Tensor.gemm(select(dim: 0, index: i), other.select(dim: 0, index: i), into: out.select(dim: 0, index: i)) }
        }
        return Tensor.record("BmmBackward0", inputs: [self, other], result: out, saving: [self, other]) { grad, saved in
            [grad.bmm(saved[1].transposed(1, 2)), saved[0].transposed(1, 2).bmm(grad)]
        }
    }

    /// The matrix product with `torch.matmul`'s rules: dot for two vectors,
    /// matrix-vector and vector-matrix products, and batched products whose
    /// batch dimensions broadcast.
    public func matmul(_ other: Tensor) -> Tensor {
        check(rank > 0 && other.rank > 0, "matmul", "both arguments to matmul need to be at least 1D, but they are \(rank)D and \(other.rank)D")
        switch (rank, other.rank) {
        case (1, 1): return dot(other)
        case (2, 1): return mv(other)
        case (1, 2): return unsqueezed(0).mm(other).squeezed(0)
        case (2, 2): return mm(other)
        case (_, 1): return matmul(other.unsqueezed(1)).squeezed(-1)
        case (1, _): return unsqueezed(0).matmul(other).squeezed(-2)
        case (_, 2):
            // Fold the batch into the rows: one large GEMM instead of many small ones.
            check(shape[rank - 1] == other.shape[0], "matmul", "mat1 and mat2 shapes cannot be multiplied (\(shape.dropLast().reduce(1, *))x\(shape[rank - 1]) and \(other.shape[0])x\(other.shape[1]))")
            let rows = reshaped(-1, shape[rank - 1]).mm(other)
            return rows.reshaped(Array(shape.dropLast()) + [other.shape[1]])
        default:
            let (n, m) = (shape[rank - 2], shape[rank - 1])
            let (m2, p) = (other.shape[other.rank - 2], other.shape[other.rank - 1])
            check(m == m2, "matmul", "Expected size for first two dimensions of batch2 tensor to be: [\(Shape.count(Array(other.shape.dropLast(2)))), \(m)] but got: [\(Shape.count(Array(other.shape.dropLast(2)))), \(m2)].")
            let batch = Shape.broadcast(Array(shape.dropLast(2)), Array(other.shape.dropLast(2)), op: "matmul")
            let b = Shape.count(batch)
            let left = expanded(to: batch + [n, m]).reshaped(b, n, m)
            let right = other.expanded(to: batch + [m, p]).reshaped(b, m, p)
            return left.bmm(right).reshaped(batch + [n, p])
        }
    }
}
