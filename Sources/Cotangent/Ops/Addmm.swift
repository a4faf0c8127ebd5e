import CCotangentKernels

// `bias + mat1 @ mat2` as one primitive: the GEMM kernel accumulates into a
// copy of the broadcast bias (beta = 1), so a linear layer is one kernel call
// and one node, `AddmmBackward0`, as in PyTorch.

extension Tensor {
    /// `input + mat1 @ mat2`, with `input` broadcast to the product's shape (`torch.addmm`).
    ///
    /// ```swift
    /// let y = Tensor.addmm(bias, x, weight.t())   // what `Linear` computes
    /// ```
    ///
    /// - Parameters:
    ///   - input: The term added to the product; it must broadcast to `[n, p]`.
    ///   - mat1: An `n` x `m` matrix.
    ///   - mat2: An `m` x `p` matrix.
    /// - Returns: An `n` x `p` matrix, recorded as `AddmmBackward0`.
    /// - Complexity: O(n·m·p).
    public static func addmm(_ input: Tensor, _ mat1: Tensor, _ mat2: Tensor) -> Tensor {
        check(mat1.rank == 2, "addmm", "mat1 must be a matrix, got \(mat1.rank)-D tensor")
        check(mat2.rank == 2, "addmm", "mat2 must be a matrix, got \(mat2.rank)-D tensor")
        let (n, m, p) = (mat1.shape[0], mat1.shape[1], mat2.shape[1])
        check(m == mat2.shape[0], "addmm", "mat1 and mat2 shapes cannot be multiplied (\(n)x\(m) and \(mat2.shape[0])x\(p))")
        check(mat1.dtype == mat2.dtype && mat1.dtype == input.dtype, "addmm",
              "expected m1, m2 and self to have the same dtype, but got: \(mat1.dtype) != \(mat2.dtype) != \(input.dtype)")
        check(mat1.dtype != .bool, "addmm", "\"addmm\" not implemented for 'Bool'")
        let broadcast = Shape.broadcast(input.shape, [n, p], op: "addmm")
        check(broadcast == [n, p], "addmm", "The expanded size of the tensor (\(p)) must match the existing size (\(input.shape.last ?? 1)) at non-singleton dimension 1.  Target sizes: [\(n), \(p)].  Tensor sizes: \(shapeText(input.shape))")
        let out = Tensor(uninitializedShape: [n, p], dtype: mat1.dtype)
        Kernels.copy(input, into: out)
        if n > 0 && p > 0 && m > 0 {
            ct_gemm(mat1.dtype.kernelCode, Int64(n), Int64(p), Int64(m), 1,
                    mat1.baseAddress, Int64(mat1.strides[0]), Int64(mat1.strides[1]),
                    mat2.baseAddress, Int64(mat2.strides[0]), Int64(mat2.strides[1]), 1,
                    out.baseAddress, Int64(out.strides[0]), Int64(out.strides[1]))
        }
        return record("AddmmBackward0", inputs: [input, mat1, mat2], result: out, saving: [mat1, mat2]) { grad, saved in
            // The engine sums the first gradient back to the input's broadcast shape. A product
            // nobody needs is skipped (a first layer's input, an RNN's initial state).
            [saved.needsGrad(0) ? grad : nil, saved.needsGrad(1) ? grad.mm(saved[1].t()) : nil,
             saved.needsGrad(2) ? mmMat2Backward(grad, mat1: saved[0], mat2: saved[1]) : nil]
        }
    }
}

extension Tensor {
    /// The gradient of `mat1 @ mat2` with respect to `mat2`, laid out as `mat2`
    /// is (PyTorch's `mm_mat2_backward`): for a column-major `mat2`, such as the
    /// `weight.t()` that ``linear(_:weight:bias:)`` passes, it computes
    /// `(gradᵀ · mat1)ᵀ`, so the weight's gradient arrives contiguous and its
    /// `.grad` needs no transposing copy (a strided copy of a whole weight).
    static func mmMat2Backward(_ grad: Tensor, mat1: Tensor, mat2: Tensor) -> Tensor {
        let columnMajor = mat2.shape[0] > 1 && mat2.shape[1] > 1 && mat2.strides[0] == 1 && mat2.strides[1] == mat2.shape[0]
        return columnMajor ? grad.t().mm(mat1).t() : mat1.t().mm(grad)
    }
}
