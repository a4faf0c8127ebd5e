// Activation functions (PyTorch's `torch.nn.functional`): free functions over
// the unary primitives in Unary.swift, plus the three with rules of their own
// (`glu`, `prelu`, which need more than one input) and the composites
// (`softsign`, `softmin`, `relu6`, `selu`). The modules are in NN/.

/// How ``gelu(_:approximate:)`` evaluates the Gaussian CDF.
public enum GELUApproximation: String, Sendable, Hashable {
    /// The exact form, `x · Φ(x)` with the error function.
    case none
    /// The tanh approximation, `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
    case tanh
}

/// The Gaussian error linear unit, `x · Φ(x)` (`torch.nn.functional.gelu`).
///
/// - Parameters:
///   - input: Any floating-point tensor.
///   - approximate: `.none` (exact, the default) or `.tanh`.
/// - Returns: A tensor of the input's shape, recorded as `GeluBackward0`.
public func gelu(_ input: Tensor, approximate: GELUApproximation = .none) -> Tensor {
    input.apply(approximate == .none ? Primitives.unary.gelu : Primitives.unary.geluTanh, op: "gelu")
}

/// `x · sigmoid(x)`, the sigmoid linear unit, also called swish (`F.silu`).
public func silu(_ input: Tensor) -> Tensor { input.apply(Primitives.unary.silu, op: "silu") }

/// `x · tanh(softplus(x))` (`F.mish`).
public func mish(_ input: Tensor) -> Tensor { input.apply(Primitives.unary.mish, op: "mish") }

/// `log(sigmoid(x))`, computed without overflow (`F.logsigmoid`).
public func logSigmoid(_ input: Tensor) -> Tensor { input.apply(Primitives.unary.logSigmoid, op: "log_sigmoid") }

/// `relu6(x + 3) / 6`, a piecewise-linear sigmoid (`F.hardsigmoid`).
public func hardsigmoid(_ input: Tensor) -> Tensor { input.apply(Primitives.unary.hardsigmoid, op: "hardsigmoid") }

/// `x · relu6(x + 3) / 6` (`F.hardswish`).
public func hardswish(_ input: Tensor) -> Tensor { input.apply(Primitives.unary.hardswish, op: "hardswish") }

/// `x` where positive, `negativeSlope · x` elsewhere (`F.leaky_relu`).
///
/// - Parameters:
///   - input: A floating-point tensor.
///   - negativeSlope: The slope below zero (default 0.01).
public func leakyRelu(_ input: Tensor, negativeSlope: Double = 0.01) -> Tensor {
    input.apply(Primitives.unary.leakyRelu, KernelParameters(p0: negativeSlope), op: "leaky_relu")
}

/// The exponential linear unit: `x` where positive, `alpha · (exp(x) - 1)` elsewhere (`F.elu`).
public func elu(_ input: Tensor, alpha: Double = 1.0) -> Tensor {
    input.apply(Primitives.unary.elu, KernelParameters(p0: alpha, p1: 1, p2: 1), op: "elu")
}

/// The scaled ELU with the self-normalising constants of Klambauer et al. (`F.selu`),
/// recorded as `EluBackward0` as in PyTorch.
public func selu(_ input: Tensor) -> Tensor {
    input.apply(Primitives.unary.elu, KernelParameters(p0: 1.6732632423543772, p1: 1.0507009873554805, p2: 1),
                op: "elu")
}

/// The continuously differentiable ELU: `max(0, x) + min(0, alpha · (exp(x / alpha) - 1))` (`F.celu`).
///
/// - Parameter alpha: Must not be 0.
public func celu(_ input: Tensor, alpha: Double = 1.0) -> Tensor {
    check(alpha != 0, "celu", "ZeroDivisionError: alpha cannot be 0 for CELU")
    return input.apply(Primitives.unary.celu, KernelParameters(p0: alpha, p1: 1, p2: 1 / alpha), op: "elu")
}

/// `log(1 + exp(beta · x)) / beta`, and `x` itself where `beta · x > threshold` (`F.softplus`).
public func softplus(_ input: Tensor, beta: Double = 1.0, threshold: Double = 20.0) -> Tensor {
    input.apply(Primitives.unary.softplus, KernelParameters(p0: beta, p1: threshold), op: "softplus")
}

/// Clamps to `[minVal, maxVal]` (`F.hardtanh`); the gradient is zero outside, and at, the bounds.
///
/// Integer tensors keep their dtype (the bounds are truncated to integers, as PyTorch does).
public func hardtanh(_ input: Tensor, minVal: Double = -1.0, maxVal: Double = 1.0) -> Tensor {
    check(input.dtype != .bool, "hardtanh", "\"clamp_cpu\" not implemented for 'Bool'")
    return input.apply(Primitives.unary.hardtanh, KernelParameters(p0: minVal, p1: maxVal), op: "hardtanh")
}

/// `min(max(x, 0), 6)` (`F.relu6`), recorded as `HardtanhBackward0` as in PyTorch.
public func relu6(_ input: Tensor) -> Tensor { hardtanh(input, minVal: 0, maxVal: 6) }

/// `x / (1 + |x|)` (`F.softsign`; a composite, so its node is `DivBackward0` as in PyTorch).
public func softsign(_ input: Tensor) -> Tensor { input / (input.abs() + 1) }

/// `softmax(-x)` along `dim` (`F.softmin`; a composite, recorded as `SoftmaxBackward0`).
public func softmin(_ input: Tensor, dim: Int) -> Tensor { (-input).softmax(dim: dim) }

/// The gated linear unit: splits `dim` in halves `a` and `b` and returns `a · sigmoid(b)` (`F.glu`).
///
/// - Parameter dim: The dimension to halve; its size must be even.
public func glu(_ input: Tensor, dim: Int = -1) -> Tensor {
    check(input.rank > 0, "glu", "glu does not support scalars because halving size must be even")
    check(input.dtype.isFloatingPoint, "glu", "\"glu_cpu\" not implemented for '\(input.dtype.scalarTypeName)'")
    let d = Shape.normalize(dim: dim, rank: input.rank, op: "glu")
    let n = input.shape[d]
    check(n % 2 == 0, "glu", "Halving dimension must be even, but dimension \(d) is size \(n)")
    let result = withNoGrad {
        input.narrowed(dim: d, start: 0, length: n / 2) * input.narrowed(dim: d, start: n / 2, length: n / 2).sigmoid()
    }
    return Tensor.record("GluBackward0", inputs: [input], result: result, saving: [input]) { grad, saved in
        let x = saved[0]
        let a = x.narrowed(dim: d, start: 0, length: n / 2), s = x.narrowed(dim: d, start: n / 2, length: n / 2).sigmoid()
        return [Tensor.cat([grad * s, grad * a * s * (1.0 - s)], dim: d)]
    }
}

/// The parametric ReLU: `x` where positive, `weight · x` elsewhere (`F.prelu`),
/// with one weight for all channels or one per channel (dimension 1).
///
/// - Parameters:
///   - input: A floating-point tensor; its channels are dimension 1 (a 1-d input has one channel).
///   - weight: A 0-d or 1-d tensor of 1 or `channels` elements.
public func prelu(_ input: Tensor, weight: Tensor) -> Tensor {
    check(weight.rank <= 1, "prelu", "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = \(weight.rank)")
    let channels = input.rank >= 2 ? input.shape[1] : 1
    if weight.count != 1 {
        check(input.rank > 0, "prelu", "Not allow zero-dim input tensor.")
        check(weight.count == channels, "prelu",
              "Mismatch of parameter numbers and input channel size. Found parameter numbers = \(weight.count) and channel size = \(channels).")
    }
    // One weight per channel, broadcast along dimension 1 (a view, as PyTorch's).
    var viewShape = [Int](repeating: 1, count: input.rank)
    if input.rank >= 2 { viewShape[1] = weight.count }
    let w = weight.reshaped(viewShape)
    let result = withNoGrad { Tensor.where(input .> 0.0, input, w * input) }
    return Tensor.record("PreluKernelBackward0", inputs: [input, w], result: result, saving: [input, w]) { grad, saved in
        let (x, w) = (saved[0], saved[1])
        let positive = x .> 0.0
        return [saved.needsGrad(0) ? Tensor.where(positive, grad, w * grad) : nil,
                saved.needsGrad(1) ? Tensor.where(positive, 0.0, x * grad) : nil]
    }
}
