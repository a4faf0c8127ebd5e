import CCotangentKernels

/// Thin Swift wrappers over the C kernels: they turn tensors into coalesced
/// iteration spaces. Every loop over elements happens in C.
///
/// Each wrapper first tries the flat fast path (a contiguous output whose
/// operands are contiguous with its shape or single elements), which needs no
/// layout computation at all; small tensors spend most of their time here.
enum Kernels {
    /// An operand's stride on the flat path: 1 if it is contiguous with the
    /// output's shape, 0 if it is one element, nil if the path does not apply.
    @inline(__always)
    private static func flatStride(_ x: Tensor, _ out: Tensor) -> Int64? {
        if x.count == 1 { return 0 }
        if x.isContiguous && x.shape == out.shape { return 1 }
        return nil
    }

    /// `out = op(x)`, with `x` broadcast to `out`'s shape; both already of the kernel's dtype.
    static func unary(_ op: ct_unary_op, _ x: Tensor, into out: Tensor, params: KernelParameters = .none) {
        guard out.count > 0 else { return }
        withUnsafeBytes(of: params) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: Double.self)
            if out.isContiguous, var sx = flatStride(x, out) {
                var n = Int64(out.count), so: Int64 = 1
                ct_unary(op, x.dtype.kernelCode, 1, &n, x.baseAddress, &sx, out.baseAddress, &so, p)
                return
            }
            withKernelLayout(shape: out.shape, strides: [x.strides(broadcastTo: out.shape), out.strides]) { ndim, shape, s in
                ct_unary(op, x.dtype.kernelCode, ndim, shape, x.baseAddress, s[0], out.baseAddress, s[1], p)
            }
        }
    }

    /// `out = op(a, b)`, with `a` and `b` of one dtype, broadcast to `out`'s shape
    /// (`params`: the op's parameters, for the gradient ops that take them).
    static func binary(_ op: ct_binary_op, _ a: Tensor, _ b: Tensor, into out: Tensor, params: KernelParameters = .none) {
        guard out.count > 0 else { return }
        withUnsafeBytes(of: params) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: Double.self)
            if out.isContiguous, var sa = flatStride(a, out), var sb = flatStride(b, out) {
                var n = Int64(out.count), so: Int64 = 1
                ct_binary(op, a.dtype.kernelCode, 1, &n, a.baseAddress, &sa, b.baseAddress, &sb, out.baseAddress, &so, p)
                return
            }
            withKernelLayout(shape: out.shape, strides: [
                a.strides(broadcastTo: out.shape), b.strides(broadcastTo: out.shape), out.strides,
            ]) { ndim, shape, s in
                ct_binary(op, a.dtype.kernelCode, ndim, shape, a.baseAddress, s[0], b.baseAddress, s[1],
                          out.baseAddress, s[2], p)
            }
        }
    }

    /// `out = cond ? a : b`, broadcasting all three.
    static func select(_ cond: Tensor, _ a: Tensor, _ b: Tensor, into out: Tensor) {
        guard out.count > 0 else { return }
        withKernelLayout(shape: out.shape, strides: [
            cond.strides(broadcastTo: out.shape), a.strides(broadcastTo: out.shape),
            b.strides(broadcastTo: out.shape), out.strides,
        ]) { ndim, shape, s in
            ct_where(a.dtype.kernelCode, ndim, shape, cond.baseAddress.assumingMemoryBound(to: UInt8.self), s[0],
                     a.baseAddress, s[1], b.baseAddress, s[2], out.baseAddress, s[3])
        }
    }

    /// Copies `x` (broadcast to `out`'s shape) into `out`, converting the dtype.
    static func copy(_ x: Tensor, into out: Tensor) {
        guard out.count > 0 else { return }
        if out.isContiguous, var sx = flatStride(x, out) {
            var n = Int64(out.count), so: Int64 = 1
            ct_cast(x.dtype.kernelCode, out.dtype.kernelCode, 1, &n, x.baseAddress, &sx, out.baseAddress, &so)
            return
        }
        withKernelLayout(shape: out.shape, strides: [x.strides(broadcastTo: out.shape), out.strides]) { ndim, shape, s in
            ct_cast(x.dtype.kernelCode, out.dtype.kernelCode, ndim, shape, x.baseAddress, s[0], out.baseAddress, s[1])
        }
    }

    /// Writes one value into every element of `out`.
    static func fill(_ out: Tensor, with value: Double) {
        guard out.count > 0 else { return }
        let intValue = value.isFinite ? Int64(exactly: value.rounded(.towardZero)) ?? 0 : 0
        if out.isContiguous {
            var n = Int64(out.count), so: Int64 = 1
            ct_fill(out.dtype.kernelCode, 1, &n, out.baseAddress, &so, value, intValue)
            return
        }
        withKernelLayout(shape: out.shape, strides: [out.strides]) { ndim, shape, s in
            ct_fill(out.dtype.kernelCode, ndim, shape, out.baseAddress, s[0], value, intValue)
        }
    }

    /// `out = clamp(x, lo, hi)`.
    static func clamp(_ x: Tensor, min lo: Double?, max hi: Double?, into out: Tensor) {
        guard out.count > 0 else { return }
        withKernelLayout(shape: out.shape, strides: [x.strides(broadcastTo: out.shape), out.strides]) { ndim, shape, s in
            ct_clamp(x.dtype.kernelCode, ndim, shape, x.baseAddress, s[0], out.baseAddress, s[1],
                     lo ?? 0, lo != nil, hi ?? 0, hi != nil)
        }
    }
}

extension Tensor {
    /// This tensor's strides when read as if expanded to `target` (0 on broadcast dims).
    func strides(broadcastTo target: [Int]) -> [Int] {
        Shape.broadcastStrides(shape: shape, strides: strides, to: target)
    }

    /// A new contiguous tensor with this one's values converted to `dtype`.
    func converted(to dtype: DType) -> Tensor {
        if isWrappedNumber { return Tensor(wrappedValueOf: self, as: dtype) }
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        Kernels.copy(self, into: out)
        return out
    }

    /// This tensor if it already has `dtype`, else a converted copy (no autograd).
    func ensuring(_ dtype: DType) -> Tensor {
        self.dtype == dtype ? self : converted(to: dtype)
    }
}
