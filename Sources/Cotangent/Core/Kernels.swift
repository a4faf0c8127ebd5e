import CCotangentKernels

/// Thin Swift wrappers over the C kernels: they turn tensors into coalesced
/// iteration spaces. Every loop over elements happens in C.
enum Kernels {
    /// `out = op(x)`, with `x` broadcast to `out`'s shape; both already of the kernel's dtype.
    static func unary(_ op: ct_unary_op, _ x: Tensor, into out: Tensor) {
        guard out.count > 0 else { return }
        let layout = KernelLayout(shape: out.shape, strides: [x.strides(broadcastTo: out.shape), out.strides])
        ct_unary(op, x.dtype.kernelCode, layout.ndim, layout.shape,
                 x.baseAddress, layout.strides[0], out.baseAddress, layout.strides[1])
    }

    /// `out = op(a, b)`, with `a` and `b` of one dtype, broadcast to `out`'s shape.
    static func binary(_ op: ct_binary_op, _ a: Tensor, _ b: Tensor, into out: Tensor) {
        guard out.count > 0 else { return }
        let layout = KernelLayout(shape: out.shape, strides: [
            a.strides(broadcastTo: out.shape), b.strides(broadcastTo: out.shape), out.strides,
        ])
        ct_binary(op, a.dtype.kernelCode, layout.ndim, layout.shape,
                  a.baseAddress, layout.strides[0], b.baseAddress, layout.strides[1],
                  out.baseAddress, layout.strides[2])
    }

    /// `out = cond ? a : b`, broadcasting all three.
    static func select(_ cond: Tensor, _ a: Tensor, _ b: Tensor, into out: Tensor) {
        guard out.count > 0 else { return }
        let layout = KernelLayout(shape: out.shape, strides: [
            cond.strides(broadcastTo: out.shape), a.strides(broadcastTo: out.shape),
            b.strides(broadcastTo: out.shape), out.strides,
        ])
        ct_where(a.dtype.kernelCode, layout.ndim, layout.shape,
                 cond.baseAddress.assumingMemoryBound(to: UInt8.self), layout.strides[0],
                 a.baseAddress, layout.strides[1], b.baseAddress, layout.strides[2],
                 out.baseAddress, layout.strides[3])
    }

    /// Copies `x` (broadcast to `out`'s shape) into `out`, converting the dtype.
    static func copy(_ x: Tensor, into out: Tensor) {
        guard out.count > 0 else { return }
        let layout = KernelLayout(shape: out.shape, strides: [x.strides(broadcastTo: out.shape), out.strides])
        ct_cast(x.dtype.kernelCode, out.dtype.kernelCode, layout.ndim, layout.shape,
                x.baseAddress, layout.strides[0], out.baseAddress, layout.strides[1])
    }

    /// Writes one value into every element of `out`.
    static func fill(_ out: Tensor, with value: Double) {
        guard out.count > 0 else { return }
        let layout = KernelLayout(shape: out.shape, strides: [out.strides])
        let intValue = value.isFinite ? Int64(exactly: value.rounded(.towardZero)) ?? 0 : 0
        ct_fill(out.dtype.kernelCode, layout.ndim, layout.shape, out.baseAddress, layout.strides[0], value, intValue)
    }

    /// `out = clamp(x, lo, hi)`.
    static func clamp(_ x: Tensor, min lo: Double?, max hi: Double?, into out: Tensor) {
        guard out.count > 0 else { return }
        let layout = KernelLayout(shape: out.shape, strides: [x.strides(broadcastTo: out.shape), out.strides])
        ct_clamp(x.dtype.kernelCode, layout.ndim, layout.shape, x.baseAddress, layout.strides[0],
                 out.baseAddress, layout.strides[1], lo ?? 0, lo != nil, hi ?? 0, hi != nil)
    }
}

extension Tensor {
    /// This tensor's strides when read as if expanded to `target` (0 on broadcast dims).
    func strides(broadcastTo target: [Int]) -> [Int] {
        Shape.broadcastStrides(shape: shape, strides: strides, to: target)
    }

    /// A new contiguous tensor with this one's values converted to `dtype`.
    func converted(to dtype: DType) -> Tensor {
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        Kernels.copy(self, into: out)
        return out
    }

    /// This tensor if it already has `dtype`, else a converted copy (no autograd).
    func ensuring(_ dtype: DType) -> Tensor {
        self.dtype == dtype ? self : converted(to: dtype)
    }
}
