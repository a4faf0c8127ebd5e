// `masked_fill` and the scalar-operand nodes PyTorch's C++ composites record
// (`MulBackward1`, `DivBackward1`), so losses built from them show PyTorch's graph.

extension Tensor {
    /// This tensor with `value` wherever `mask` is true (`torch.masked_fill`).
    ///
    /// - Parameters:
    ///   - mask: A bool tensor that broadcasts with this tensor.
    ///   - value: The value written where `mask` is true.
    /// - Returns: A new tensor of the broadcast shape of this tensor and `mask`
    ///   (as PyTorch's out-of-place `masked_fill`), recorded as
    ///   `MaskedFillBackward0`; the gradient is zero where the mask is true.
    public func maskedFilled(_ mask: Tensor, with value: Double) -> Tensor {
        check(mask.dtype == .bool, "masked_fill_", "masked_fill_ only supports boolean masks, but got mask with dtype \(mask.dtype)")
        let broadcast = Shape.broadcast(shape, mask.shape, op: "masked_fill")
        let out = Tensor(uninitializedShape: broadcast, dtype: dtype)
        Kernels.select(mask, Tensor(wrapping: value).ensuring(dtype), self, into: out)
        return Tensor.record("MaskedFillBackward0", inputs: [self], result: out, saving: [mask]) { grad, saved in
            [Tensor.where(saved[0], Tensor.zeros(like: grad), grad)]
        }
    }

    /// `self * scalar` recorded as `MulBackward1`, the node of ATen's `mul(Tensor, Scalar)`.
    func multiplied(byScalar scalar: Double) -> Tensor {
        let result = withNoGrad { self * scalar }
        return Tensor.record("MulBackward1", inputs: [self], result: result) { grad, _ in [grad * scalar] }
    }

    /// `self / scalar` recorded as `DivBackward1`, the node of ATen's `div(Tensor, Scalar)`.
    func divided(byScalar scalar: Double) -> Tensor {
        let result = withNoGrad { self / scalar }
        return Tensor.record("DivBackward1", inputs: [self], result: result) { grad, _ in [grad / scalar] }
    }
}
