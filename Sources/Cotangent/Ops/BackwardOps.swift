import CCotangentKernels

// Primitives that only backward rules use, each with a rule of its own, so
// that a rule built from them stays differentiable (`createGraph`) with
// PyTorch's second-order graph and values.

extension Tensor {
    /// The gradient of `relu`: `grad` where `result > 0`, zero elsewhere (NaN
    /// passes the gradient), recorded as PyTorch's `ThresholdBackwardBackward0`.
    ///
    /// Its own derivative is itself for `grad` and zero for `result` (the mask
    /// is piecewise constant), so a double backward through `relu` gives zeros
    /// rather than stopping for want of a graph.
    static func thresholdBackward(_ grad: Tensor, result: Tensor) -> Tensor {
        let out = withNoGrad { Tensor.where(result .<= 0.0, 0.0, grad) }
        let operands = [grad, result]  // one array for inputs and saved values
        return record("ThresholdBackwardBackward0", inputs: operands, result: out, saving: operands) { gg, saved in
            [saved.needsGrad(0) ? thresholdBackward(gg, result: saved[1]) : nil,
             saved.needsGrad(1) ? Tensor.zeros(like: gg) : nil]
        }
    }

    /// Division rounded toward negative infinity with a zero gradient for both
    /// operands: PyTorch's `div(a, b, rounding_mode="floor")` (`DivBackward2`),
    /// which `remainder`'s rule uses. Unlike ``floorDivide(_:)``, whose backward
    /// stops, it is differentiable, so a second-order gradient through
    /// `remainder` is zero as in PyTorch.
    func flooredQuotient(_ other: Tensor) -> Tensor {
        let result = Tensor.arithmetic(CT_FLOORDIV, self, other, op: "div")
        return Tensor.record("DivBackward2", inputs: [self, other], result: result) { grad, _ in
            [Tensor.zeros(like: grad), Tensor.zeros(like: grad)]
        }
    }

    /// Stops with PyTorch's "ZeroDivisionError" when an integer floor division
    /// or remainder would divide by zero (float division gives inf or NaN instead).
    static func checkIntegerDivisor(_ a: Tensor, _ b: Tensor, op: String) {
        guard !DType.resultType(a, b).isFloatingPoint, b.count > 0 else { return }
        check(withNoGrad { (b .== 0.0).any().item() } == 0, op, "ZeroDivisionError")
    }
}
