// Operations built from primitives. Some carry a named rule of their own
// because PyTorch shows that name in `gradFn` (SoftmaxBackward0) and because
// one fused rule is cheaper and more stable than differentiating the parts.

import CCotangentKernels

extension Tensor {
    /// PyTorch's softmax kernels are for floating point only (its name depends on the dim).
    private func checkSoftmaxInput(dim d: Int, op: String) {
        let kernel = rank == 0 || d == rank - 1 ? "\(op)_lastdim_kernel_impl" : "\(op)_kernel_impl"
        check(dtype.isFloatingPoint, op, "\"\(kernel)\" not implemented for '\(dtype.scalarTypeName)'")
    }

    /// `exp(x) / sum(exp(x))` along `dim`, computed stably (`torch.softmax`).
    public func softmax(dim: Int) -> Tensor {
        let d = Shape.normalize(dim: dim, rank: rank, op: "softmax")
        // PyTorch's kernel never runs on no elements: an empty integer input comes back as it is.
        if count == 0 && !dtype.isFloatingPoint { return Tensor.empty(like: self) }
        checkSoftmaxInput(dim: d, op: "softmax")
        // The 16-bit floats are computed in float32 and rounded once, as PyTorch's kernels do.
        let source = dtype.isReducedFloat ? withNoGrad { self.to(.float32) } : self
        let result: Tensor = withNoGrad {
            if let fused = source.fusedSoftmax(dim: d, log: false) { return fused.ensuring(dtype) }
            let shifted = (source - source.maxForShift(dim: d)).exp()
            return (shifted / shifted.sum(dim: d, keepDim: true)).ensuring(dtype)
        }
        return Tensor.record("SoftmaxBackward0", inputs: [self], result: result, savingResult: true) { grad, saved in
            let y = saved.result
            return [y * (grad - (grad * y).sum(dim: d, keepDim: true))]
        }
    }

    /// `log(softmax(x))` along `dim`, computed stably (`torch.log_softmax`).
    public func logSoftmax(dim: Int) -> Tensor {
        let d = Shape.normalize(dim: dim, rank: rank, op: "log_softmax")
        // PyTorch's kernel never runs on no elements: an empty integer input comes back as it is.
        if count == 0 && !dtype.isFloatingPoint { return Tensor.empty(like: self) }
        checkSoftmaxInput(dim: d, op: "log_softmax")
        let source = dtype.isReducedFloat ? withNoGrad { self.to(.float32) } : self
        let result: Tensor = withNoGrad {
            if let fused = source.fusedSoftmax(dim: d, log: true) { return fused.ensuring(dtype) }
            let shifted = source - source.maxForShift(dim: d)
            return (shifted - shifted.exp().sum(dim: d, keepDim: true).log()).ensuring(dtype)
        }
        return Tensor.record("LogSoftmaxBackward0", inputs: [self], result: result, savingResult: true) { grad, saved in
            [grad - saved.result.exp() * grad.sum(dim: d, keepDim: true)]
        }
    }

    /// Softmax (or log-softmax) along the last dim in one fused kernel pass
    /// (`ct_softmax`: each row read once, the same steps as the composite, but
    /// times 1/sum as PyTorch's kernel); nil where it does not apply.
    private func fusedSoftmax(dim d: Int, log: Bool) -> Tensor? {
        guard d == rank - 1, count > 0, dtype == .float32 || dtype == .float64 else { return nil }
        let (source, m, n, outer, inner) = reductionView([d])
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        ct_softmax(dtype.kernelCode, log, Int64(m), Int64(n), source.baseAddress, Int64(outer), Int64(inner),
                   out.baseAddress, Int64(n), 1)
        return out
    }

    /// The maximum along `dim`, kept, that softmax subtracts for stability;
    /// zeros when there are no elements (an empty softmax is empty).
    private func maxForShift(dim d: Int) -> Tensor {
        count > 0 ? amax(dim: [d], keepDim: true) : Tensor.zeros(reducedShape([d], keepDim: true), dtype: dtype)
    }

    /// Each element squared (`torch.square`, recorded as `pow(2)`).
    public func square() -> Tensor { pow(2) }
}
