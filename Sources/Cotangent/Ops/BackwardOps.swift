import CCotangentKernels

// Primitives that only backward rules use, each with a rule of its own, so
// that a rule built from them stays differentiable (`createGraph`) with
// PyTorch's second-order graph and values.

extension Tensor {
    /// Records the output of a fused gradient kernel, `out = kernel(gradOutput, saved)`,
    /// as PyTorch's `node`: its gradient for `gradOutput` is the same kernel again
    /// (`again(gg, saved)`, the kernel being linear in it), for the saved input or
    /// result `forSaved(gg, gradOutput, saved)`. Outside recording, `out` as it is.
    private static func recordGradientKernel(_ node: String, _ out: Tensor, gradOutput: Tensor, saved value: Tensor,
                                             again: @escaping (Tensor, Tensor) -> Tensor,
                                             forSaved: @escaping (Tensor, Tensor, Tensor) -> Tensor) -> Tensor {
        guard isRecording(out, gradOutput, value) else { return out }
        let operands = [gradOutput, value]  // one array for inputs and saved values
        return record(node, inputs: operands, result: out, saving: operands) { gg, saved in
            let ga = saved.needsGrad(0) ? again(gg, saved[1]) : nil
            let gb = saved.needsGrad(1) ? forSaved(gg, saved[0], saved[1]) : nil
            return [ga, gb]
        }
    }

    /// The gradient of `relu`: `grad` where `result > 0`, zero elsewhere (NaN
    /// passes the gradient), in one kernel pass as PyTorch's `threshold_backward`,
    /// recorded as `ThresholdBackwardBackward0`.
    ///
    /// Its own derivative is itself for `grad` and zero for `result` (the mask
    /// is piecewise constant), so a double backward through `relu` gives zeros
    /// rather than stopping for want of a graph.
    static func thresholdBackward(_ grad: Tensor, result: Tensor) -> Tensor {
        recordGradientKernel("ThresholdBackwardBackward0",
                             arithmetic(CT_THRESHOLD_BACKWARD, grad, result, op: "threshold_backward"),
                             gradOutput: grad, saved: result, again: { thresholdBackward($0, result: $1) },
                             forSaved: { gg, _, _ in Tensor.zeros(like: gg) })
    }

    /// The gradient of `tanh` from its result: `grad · (1 - result²)` in one
    /// kernel pass, rounded as PyTorch's x86 `tanh_backward` (`1 - result²` as one
    /// fused multiply-add; the 16-bit floats computed in float and rounded once),
    /// recorded as `TanhBackwardBackward0`.
    static func tanhBackward(_ grad: Tensor, result: Tensor) -> Tensor {
        // derivatives.yaml: tanh_backward(grad, output) and grad * (-2 * output * grad_output).
        recordGradientKernel("TanhBackwardBackward0", arithmetic(CT_TANH_BACKWARD, grad, result, op: "tanh_backward"),
                             gradOutput: grad, saved: result, again: { tanhBackward($0, result: $1) },
                             forSaved: { gg, gradOutput, result in gg * (-2.0 * result * gradOutput) })
    }

    /// The gradient of `sigmoid` from its result: `grad · (1 - result) · result`
    /// in one kernel pass, rounded as PyTorch's `sigmoid_backward`, recorded as
    /// `SigmoidBackwardBackward0`.
    static func sigmoidBackward(_ grad: Tensor, result: Tensor) -> Tensor {
        // PyTorch's float16 kernel rounds each step to float16 (bfloat16 rounds once).
        let out = DType.resultType(grad, result) == .float16
            ? withNoGrad { grad * (1.0 - result) * result }
            : arithmetic(CT_SIGMOID_BACKWARD, grad, result, op: "sigmoid_backward")
        // derivatives.yaml: sigmoid_backward(grad, output) and grad * grad_output * (-2 * output + 1).
        return recordGradientKernel("SigmoidBackwardBackward0", out, gradOutput: grad, saved: result,
                                    again: { sigmoidBackward($0, result: $1) },
                                    forSaved: { gg, gradOutput, result in gg * gradOutput * (-2.0 * result + 1.0) })
    }

    /// The gradient of `gelu` from its input in one kernel pass (PyTorch's
    /// `gelu_backward`; the 16-bit floats computed in float and rounded once),
    /// recorded as `GeluBackwardBackward0`.
    static func geluBackward(_ grad: Tensor, input: Tensor, approximate: Bool) -> Tensor {
        let out = arithmetic(approximate ? CT_GELU_TANH_BACKWARD : CT_GELU_BACKWARD, grad, input, op: "gelu_backward")
        return recordGradientKernel("GeluBackwardBackward0", out, gradOutput: grad, saved: input,
                                    again: { geluBackward($0, input: $1, approximate: approximate) },
                                    forSaved: { gg, gradOutput, x in
                                        gg * gradOutput * geluSecondDerivative(x, approximate: approximate)
                                    })
    }

    /// d²/dx² of `gelu`, in tensor ops (PyTorch's `gelu_double_backward`).
    private static func geluSecondDerivative(_ x: Tensor, approximate: Bool) -> Tensor {
        guard approximate else {
            // d/dx (Φ(x) + x·φ(x)) = φ(x)·(2 - x²)
            let pdf = (-0.5 * x * x).exp() * (1 / (2 * Double.pi).squareRoot())
            return pdf * (2.0 - x * x)
        }
        let beta = 2.0.squareRoot() * (2 / Double.pi.squareRoot()) * 0.5, kappa = 0.044715
        let inner = beta * (x + kappa * x.pow(3.0))
        let t = inner.tanh()
        let f = 0.5 * x, g = 1.0 - t * t, h = beta * (1.0 + 3 * kappa * x * x)
        // (f·g·h)' + (½(1 + t))' with g' = -2·t·g·h and h' = 6κβx
        let gPrime = -2.0 * t * g * h, hPrime = 6 * kappa * beta * x
        return 2.0 * (0.5 * g * h) + f * h * gPrime + f * g * hPrime
    }

    /// The gradient of `hardswish` from its input in one kernel pass (PyTorch's
    /// `hardswish_backward`), recorded as `HardswishBackwardBackward0`.
    static func hardswishBackward(_ grad: Tensor, input: Tensor) -> Tensor {
        // derivatives.yaml: where(-3 < x < 3, grad · grad_output / 3, 0) for the input.
        recordGradientKernel("HardswishBackwardBackward0",
                             arithmetic(CT_HARDSWISH_BACKWARD, grad, input, op: "hardswish_backward"),
                             gradOutput: grad, saved: input, again: { hardswishBackward($0, input: $1) },
                             forSaved: { gg, gradOutput, x in
                                 Tensor.where((x .> -3.0) .&& (x .< 3.0), gg * gradOutput / 3.0, 0.0)
                             })
    }

    /// The activations whose gradient kernels take parameters.
    enum ParameterizedActivation {
        /// p0: the negative slope (`LeakyReluBackwardBackward0`).
        case leakyRelu
        /// p0: alpha, p1: scale, p2: input scale (`EluBackwardBackward0`; CELU and SELU too).
        case elu
        /// p0: beta, p1: threshold (`SoftplusBackwardBackward0`).
        case softplus
        /// p0: min, p1: max (`HardtanhBackwardBackward0`; ReLU6 too).
        case hardtanh

        var kernel: ct_binary_op {
            switch self {
            case .leakyRelu: CT_LEAKY_RELU_BACKWARD
            case .elu: CT_ELU_BACKWARD
            case .softplus: CT_SOFTPLUS_BACKWARD
            case .hardtanh: CT_HARDTANH_BACKWARD
            }
        }

        var node: String {
            switch self {
            case .leakyRelu: "LeakyReluBackwardBackward0"
            case .elu: "EluBackwardBackward0"
            case .softplus: "SoftplusBackwardBackward0"
            case .hardtanh: "HardtanhBackwardBackward0"
            }
        }

        /// The second-order term for the input: derivatives.yaml's rule for
        /// `self` of the activation's `*_backward`.
        func forInput(_ gg: Tensor, _ gradOutput: Tensor, _ x: Tensor, _ p: KernelParameters) -> Tensor {
            switch self {
            case .leakyRelu, .hardtanh:
                return Tensor.zeros(like: gg)
            case .elu:
                // d/dx of grad_output · s·α·σ·e^(σx): one more factor σ, where x < 0
                // (PyTorch's elu_double_backward gives 0 at 0, though the gradient takes that branch).
                return Tensor.where(x .< 0.0, gg * gradOutput * (p.p2 * p.p2 * p.p0 * p.p1) * (x * p.p2).exp(), 0.0)
            case .softplus:
                // softplus_double_backward: sigmoid'(βx)·β where βx < threshold.
                let bx = x * p.p0
                return Tensor.sigmoidBackward(gg * gradOutput, result: bx.sigmoid()) * (bx .< p.p1).to(gg.dtype) * p.p0
            }
        }
    }

    /// The gradient of a parameterized activation from its input in one kernel
    /// pass, as PyTorch's `leaky_relu_backward`, `elu_backward`, `softplus_backward`
    /// and `hardtanh_backward` compute it (the 16-bit floats in float, rounded
    /// once), recorded as PyTorch's double-backward node with derivatives.yaml's rules.
    static func activationBackward(_ kind: ParameterizedActivation, _ grad: Tensor, _ input: Tensor,
                                   _ p: KernelParameters) -> Tensor {
        recordGradientKernel(kind.node, arithmetic(kind.kernel, grad, input, op: "activation_backward", params: p),
                             gradOutput: grad, saved: input, again: { activationBackward(kind, $0, $1, p) },
                             forSaved: { gg, gradOutput, x in kind.forInput(gg, gradOutput, x, p) })
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
