import CCotangentKernels

// Elementwise unary primitives: a kernel and, beside it, the backward rule.
// Transcendental functions promote integer tensors to the default float dtype.

/// The unary elementwise primitives, one declaration each: node name, kernel
/// (CotangentOps.h), dtypes, and the backward rule in tensor ops (`grad`, and
/// the input `x` or the output `result`). The public methods below call them.
struct UnaryPrimitives {
    private static let sqrtPi = Double.pi.squareRoot()

    let neg = UnaryPrimitive("NegBackward0", CT_NEG, .anyDType, vjp: .ofGradient { grad, _ in -grad })
    let exp = UnaryPrimitive("ExpBackward0", CT_EXP, vjp: .ofResult { grad, result, _ in grad * result })
    let exp2 = UnaryPrimitive("Exp2Backward0", CT_EXP2, vjp: .ofResult { grad, result, _ in grad * result * 0.6931471805599453 })
    let expm1 = UnaryPrimitive("Expm1Backward0", CT_EXPM1, vjp: .ofResult { grad, result, _ in grad * (result + 1.0) })
    let log = UnaryPrimitive("LogBackward0", CT_LOG, vjp: .ofInput { grad, x, _ in grad / x })
    let log2 = UnaryPrimitive("Log2Backward0", CT_LOG2, vjp: .ofInput { grad, x, _ in grad / (x * 0.6931471805599453) })
    let log10 = UnaryPrimitive("Log10Backward0", CT_LOG10, vjp: .ofInput { grad, x, _ in grad / (x * 2.302585092994046) })
    let log1p = UnaryPrimitive("Log1PBackward0", CT_LOG1P, vjp: .ofInput { grad, x, _ in grad / (x + 1.0) })
    let sqrt = UnaryPrimitive("SqrtBackward0", CT_SQRT, vjp: .ofResult { grad, result, _ in grad / (2.0 * result) })
    let rsqrt = UnaryPrimitive("RsqrtBackward0", CT_RSQRT, vjp: .ofResult { grad, result, _ in -0.5 * grad * result.pow(3.0) })
    let reciprocal = UnaryPrimitive("ReciprocalBackward0", CT_RECIPROCAL,
                                    vjp: .ofResult { grad, result, _ in -grad * result * result })
    let abs = UnaryPrimitive("AbsBackward0", CT_ABS, .notBool(kernel: "abs_cpu"), vjp: .ofInput { grad, x, _ in grad * x.sign() })
    let sign = UnaryPrimitive("SignBackward0", CT_SIGN, .anyDType, vjp: .zero)
    let sin = UnaryPrimitive("SinBackward0", CT_SIN, vjp: .ofInput { grad, x, _ in grad * x.cos() })
    let cos = UnaryPrimitive("CosBackward0", CT_COS, vjp: .ofInput { grad, x, _ in grad * -x.sin() })
    let tan = UnaryPrimitive("TanBackward0", CT_TAN, vjp: .ofResult { grad, result, _ in grad * (1.0 + result * result) })
    let asin = UnaryPrimitive("AsinBackward0", CT_ASIN, vjp: .ofInput { grad, x, _ in grad * (1.0 - x * x).rsqrt() })
    let acos = UnaryPrimitive("AcosBackward0", CT_ACOS, vjp: .ofInput { grad, x, _ in grad * -(1.0 - x * x).rsqrt() })
    let atan = UnaryPrimitive("AtanBackward0", CT_ATAN, vjp: .ofInput { grad, x, _ in grad / (x * x + 1.0) })
    let sinc = UnaryPrimitive("SincBackward0", CT_SINC, vjp: .ofInput { grad, x, _ in
        let px = Double.pi * x
        return grad * Tensor.where(x .== 0.0, 0.0, (px * px.cos() - px.sin()) / (px * x))
    })
    let sinh = UnaryPrimitive("SinhBackward0", CT_SINH, vjp: .ofInput { grad, x, _ in grad * x.cosh() })
    let cosh = UnaryPrimitive("CoshBackward0", CT_COSH, vjp: .ofInput { grad, x, _ in grad * x.sinh() })
    let tanh = UnaryPrimitive("TanhBackward0", CT_TANH, vjp: .ofResult { grad, result, _ in Tensor.tanhBackward(grad, result: result) })
    let asinh = UnaryPrimitive("AsinhBackward0", CT_ASINH, vjp: .ofInput { grad, x, _ in grad * (x * x + 1.0).rsqrt() })
    let acosh = UnaryPrimitive("AcoshBackward0", CT_ACOSH,
                               vjp: .ofInput { grad, x, _ in grad * ((x - 1.0).rsqrt() * (x + 1.0).rsqrt()) })
    let atanh = UnaryPrimitive("AtanhBackward0", CT_ATANH, vjp: .ofInput { grad, x, _ in grad / (1.0 - x * x) })
    let sigmoid = UnaryPrimitive("SigmoidBackward0", CT_SIGMOID,
                                 vjp: .ofResult { grad, result, _ in Tensor.sigmoidBackward(grad, result: result) })
    // A recorded primitive in the rule (not a bare `where`), so a double backward gives zeros.
    let relu = UnaryPrimitive("ReluBackward0", CT_RELU, .anyDType,
                              vjp: .ofResult { grad, result, _ in Tensor.thresholdBackward(grad, result: result) })
    let erf = UnaryPrimitive("ErfBackward0", CT_ERF,
                             vjp: .ofInput { grad, x, _ in grad * ((-(x * x)).exp() * (2.0 / UnaryPrimitives.sqrtPi)) })
    let erfc = UnaryPrimitive("ErfcBackward0", CT_ERFC,
                              vjp: .ofInput { grad, x, _ in grad * ((-(x * x)).exp() * (-2.0 / UnaryPrimitives.sqrtPi)) })
    let erfinv = UnaryPrimitive("ErfinvBackward0", CT_ERFINV,
                                vjp: .ofResult { grad, result, _ in grad * ((result * result).exp() * (UnaryPrimitives.sqrtPi / 2)) })
    let lgamma = UnaryPrimitive("LgammaBackward0", CT_LGAMMA, vjp: .ofInput { grad, x, _ in grad * x.digamma() })
    let digamma = UnaryPrimitive("DigammaBackward0", CT_DIGAMMA, vjp: .ofInput { grad, x, _ in grad * x.trigamma() })
    let trigamma = UnaryPrimitive("PolygammaBackward0", CT_TRIGAMMA, vjp: .ofInput { _, _, _ in
        fail("backward", "the derivative of polygamma(1, x) (polygamma(2, x)) is not implemented yet")
    })
    let floor = UnaryPrimitive("FloorBackward0", CT_FLOOR, .notBool(kernel: "floor_vml_cpu"), vjp: .zero)
    let ceil = UnaryPrimitive("CeilBackward0", CT_CEIL, .notBool(kernel: "ceil_vml_cpu"), vjp: .zero)
    let round = UnaryPrimitive("RoundBackward0", CT_ROUND, .notBool(kernel: "round_vml_cpu"), vjp: .zero)
    let trunc = UnaryPrimitive("TruncBackward0", CT_TRUNC, .notBool(kernel: "trunc_vml_cpu"), vjp: .zero)
    let frac = UnaryPrimitive("FracBackward0", CT_FRAC, .floatingOnly(kernel: "frac_cpu"), vjp: .ofGradient { grad, _ in grad })
    let logicalNot = UnaryPrimitive(nil, CT_NOT, .predicate, vjp: .none)
    let isNaN = UnaryPrimitive(nil, CT_ISNAN, .predicate, vjp: .none)
    let isInf = UnaryPrimitive(nil, CT_ISINF, .predicate, vjp: .none)
    let isFinite = UnaryPrimitive(nil, CT_ISFINITE, .predicate, vjp: .none)

    // Activations (the free functions in Activations.swift).
    // GELU, SiLU, Mish and Hardswish take their gradient from one fused kernel
    // (PyTorch's `gelu_backward`, ...: Ops/BackwardOps.swift). Under createGraph,
    // SiLU and Mish record PyTorch's differentiable composites instead.
    let gelu = UnaryPrimitive("GeluBackward0", CT_GELU, .floatingOnly(kernel: "GeluKernelImpl"), vjp: .ofInput { grad, x, _ in
        Tensor.geluBackward(grad, input: x, approximate: false)
    })
    let geluTanh = UnaryPrimitive("GeluBackward0", CT_GELU_TANH, .floatingOnly(kernel: "GeluKernelImpl"), vjp: .ofInput { grad, x, _ in
        Tensor.geluBackward(grad, input: x, approximate: true)
    })
    let silu = UnaryPrimitive("SiluBackward0", CT_SILU, .floatingOnly(kernel: "silu_cpu"), vjp: .ofInput { grad, x, _ in
        guard GradMode.isEnabled else { return Tensor.arithmetic(CT_SILU_BACKWARD, grad, x, op: "silu_backward") }
        let s = x.sigmoid()
        return grad * s * (1.0 + x * (1.0 - s))
    })
    let mish = UnaryPrimitive("MishBackward0", CT_MISH, .floatingOnly(kernel: "mish_cpu"), vjp: .ofInput { grad, x, _ in
        guard GradMode.isEnabled else { return Tensor.arithmetic(CT_MISH_BACKWARD, grad, x, op: "mish_backward") }
        let t = Cotangent.softplus(x).tanh()
        return grad * (t + x * x.sigmoid() * (1.0 - t * t))
    })
    let logSigmoid = UnaryPrimitive("LogSigmoidBackward0", CT_LOGSIGMOID, .floatingOnly(kernel: "log_sigmoid_cpu"),
                                    vjp: .ofInput { grad, x, _ in grad * (-x).sigmoid() })
    let hardsigmoid = UnaryPrimitive("HardsigmoidBackward0", CT_HARDSIGMOID, .floatingOnly(kernel: "hardsigmoid_cpu"), vjp: .ofInput { grad, x, _ in
        // PyTorch's kernel multiplies by 1/6 rounded to float, in every dtype.
        Tensor.where((x .> -3.0) .&& (x .< 3.0), grad * Double(Float(1) / Float(6)), 0.0)
    })
    let hardswish = UnaryPrimitive("HardswishBackward0", CT_HARDSWISH, .floatingOnly(kernel: "hardswish_cpu"), vjp: .ofInput { grad, x, _ in
        Tensor.hardswishBackward(grad, input: x)
    })
    /// p0: the slope below zero.
    // Their gradients too are one fused kernel each (PyTorch's leaky_relu_backward,
    // elu_backward, softplus_backward, hardtanh_backward: Ops/BackwardOps.swift).
    /// p0: the slope below zero.
    let leakyRelu = UnaryPrimitive("LeakyReluBackward0", CT_LEAKY_RELU, .floatingOnly(kernel: "leaky_relu_cpu"),
                                   vjp: .ofInput { grad, x, p in Tensor.activationBackward(.leakyRelu, grad, x, p) })
    /// p0: alpha, p1: scale, p2: input scale.
    let elu = UnaryPrimitive("EluBackward0", CT_ELU, .floatingOnly(kernel: "elu_cpu"), vjp: .ofInput { grad, x, p in
        Tensor.activationBackward(.elu, grad, x, p)
    })
    let celu = UnaryPrimitive("CeluBackward0", CT_ELU, .floatingOnly(kernel: "elu_cpu"), vjp: .ofInput { grad, x, p in
        Tensor.activationBackward(.elu, grad, x, p)
    })
    /// p0: beta, p1: threshold.
    let softplus = UnaryPrimitive("SoftplusBackward0", CT_SOFTPLUS, .floatingOnly(kernel: "softplus_cpu"), vjp: .ofInput { grad, x, p in
        Tensor.activationBackward(.softplus, grad, x, p)
    })
    /// p0: min, p1: max.
    let hardtanh = UnaryPrimitive("HardtanhBackward0", CT_HARDTANH, .anyDType, vjp: .ofInput { grad, x, p in
        Tensor.activationBackward(.hardtanh, grad, x, p)
    })
}

extension Tensor {
    private static var unary: UnaryPrimitives { Primitives.unary }

    /// Negates each element.
    public static prefix func - (x: Tensor) -> Tensor {
        check(x.dtype != .bool, "neg", "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `!` operator instead.")
        return x.apply(unary.neg, op: "neg")
    }

    /// e raised to each element.
    public func exp() -> Tensor { apply(Self.unary.exp, op: "exp") }
    /// 2 raised to each element (`torch.exp2`).
    public func exp2() -> Tensor { apply(Self.unary.exp2, op: "exp2") }
    /// `exp(x) - 1`, accurate for small x (`torch.expm1`).
    public func expm1() -> Tensor { apply(Self.unary.expm1, op: "expm1") }
    /// The natural logarithm of each element.
    public func log() -> Tensor { apply(Self.unary.log, op: "log") }
    /// The base-2 logarithm of each element.
    public func log2() -> Tensor { apply(Self.unary.log2, op: "log2") }
    /// The base-10 logarithm of each element.
    public func log10() -> Tensor { apply(Self.unary.log10, op: "log10") }
    /// `log(1 + x)`, accurate for small x (`torch.log1p`).
    public func log1p() -> Tensor { apply(Self.unary.log1p, op: "log1p") }
    /// The square root of each element.
    public func sqrt() -> Tensor { apply(Self.unary.sqrt, op: "sqrt") }
    /// The reciprocal of the square root of each element.
    public func rsqrt() -> Tensor { apply(Self.unary.rsqrt, op: "rsqrt") }
    /// `1 / x` for each element.
    public func reciprocal() -> Tensor { apply(Self.unary.reciprocal, op: "reciprocal") }
    /// The absolute value of each element.
    public func abs() -> Tensor { apply(Self.unary.abs, op: "abs") }
    /// -1, 0 or 1 by the sign of each element (gradient zero).
    public func sign() -> Tensor { apply(Self.unary.sign, op: "sign") }
    /// The sine of each element (radians).
    public func sin() -> Tensor { apply(Self.unary.sin, op: "sin") }
    /// The cosine of each element (radians).
    public func cos() -> Tensor { apply(Self.unary.cos, op: "cos") }
    /// The tangent of each element (radians).
    public func tan() -> Tensor { apply(Self.unary.tan, op: "tan") }
    /// The inverse sine of each element, in radians (NaN outside [-1, 1]).
    public func asin() -> Tensor { apply(Self.unary.asin, op: "asin") }
    /// The inverse cosine of each element, in radians (NaN outside [-1, 1]).
    public func acos() -> Tensor { apply(Self.unary.acos, op: "acos") }
    /// The inverse tangent of each element, in radians.
    public func atan() -> Tensor { apply(Self.unary.atan, op: "atan") }
    /// The normalised sinc function `sin(πx) / (πx)`, 1 at 0 (`torch.sinc`).
    public func sinc() -> Tensor { apply(Self.unary.sinc, op: "sinc") }
    /// The hyperbolic sine of each element.
    public func sinh() -> Tensor { apply(Self.unary.sinh, op: "sinh") }
    /// The hyperbolic cosine of each element.
    public func cosh() -> Tensor { apply(Self.unary.cosh, op: "cosh") }
    /// The hyperbolic tangent of each element.
    public func tanh() -> Tensor { apply(Self.unary.tanh, op: "tanh") }
    /// The inverse hyperbolic sine of each element.
    public func asinh() -> Tensor { apply(Self.unary.asinh, op: "asinh") }
    /// The inverse hyperbolic cosine of each element (NaN below 1).
    public func acosh() -> Tensor { apply(Self.unary.acosh, op: "acosh") }
    /// The inverse hyperbolic tangent of each element (NaN outside [-1, 1]).
    public func atanh() -> Tensor { apply(Self.unary.atanh, op: "atanh") }
    /// The logistic function `1 / (1 + exp(-x))` of each element.
    public func sigmoid() -> Tensor { apply(Self.unary.sigmoid, op: "sigmoid") }
    /// `max(x, 0)` for each element; NaN stays NaN.
    public func relu() -> Tensor { apply(Self.unary.relu, op: "relu") }
    /// The Gauss error function of each element (`torch.erf`),
    /// `erf(x) = 2/√π ∫₀ˣ e^(-t²) dt`.
    public func erf() -> Tensor { apply(Self.unary.erf, op: "erf") }
    /// The complementary error function `1 - erf(x)` of each element, accurate where erf is near 1.
    public func erfc() -> Tensor { apply(Self.unary.erfc, op: "erfc") }
    /// The inverse error function of each element (±inf at ±1, NaN outside [-1, 1]).
    public func erfinv() -> Tensor { apply(Self.unary.erfinv, op: "erfinv") }
    /// The natural logarithm of the absolute value of the gamma function (`torch.lgamma`).
    public func lgamma() -> Tensor { apply(Self.unary.lgamma, op: "lgamma") }
    /// The logarithmic derivative of the gamma function, ψ(x) (`torch.digamma`): -inf at 0, NaN at negative integers.
    public func digamma() -> Tensor { apply(Self.unary.digamma, op: "digamma") }
    /// ψ'(x), the derivative of ``digamma()`` (`torch.polygamma(1, x)`); digamma's backward uses it.
    func trigamma() -> Tensor { apply(Self.unary.trigamma, op: "polygamma") }
    /// The largest integer not above each element.
    public func floor() -> Tensor { apply(Self.unary.floor, op: "floor") }
    /// The smallest integer not below each element.
    public func ceil() -> Tensor { apply(Self.unary.ceil, op: "ceil") }
    /// Each element rounded to the nearest integer, ties to even (`torch.round`).
    public func round() -> Tensor { apply(Self.unary.round, op: "round") }
    /// Each element rounded toward zero.
    public func trunc() -> Tensor { apply(Self.unary.trunc, op: "trunc") }
    /// The fractional part `x - trunc(x)` of each element, with the sign of x (floating dtypes only).
    public func frac() -> Tensor { apply(Self.unary.frac, op: "frac") }
    /// Whether each element is NaN.
    public func isNaN() -> Tensor { apply(Self.unary.isNaN, op: "isnan") }
    /// Whether each element is positive or negative infinity (false for integers).
    public func isInf() -> Tensor { apply(Self.unary.isInf, op: "isinf") }
    /// Whether each element is finite: neither infinite nor NaN (true for integers).
    public func isFinite() -> Tensor { apply(Self.unary.isFinite, op: "isfinite") }

    /// Limits each element to `[min, max]`; NaN stays NaN (`torch.clamp`).
    ///
    /// The gradient passes where `min < x < max` and is zero elsewhere, at the
    /// bounds included (as PyTorch 2.15 does for number bounds).
    /// - Parameters:
    ///   - min: The lower bound, or nil for none.
    ///   - max: The upper bound, or nil for none.
    public func clamped(min: Double? = nil, max: Double? = nil) -> Tensor {
        check(min != nil || max != nil, "clamp", "At least one of 'min' or 'max' must not be None")
        let promotes = (min.map { $0 != $0.rounded() } ?? false) || (max.map { $0 != $0.rounded() } ?? false)
        // Integer bounds on a bool tensor give int64 (PyTorch's result type of bool and an int).
        let type = promotes && !dtype.isFloatingPoint ? DType.defaultFloat : (dtype == .bool ? .int64 : dtype)
        let out = Tensor(uninitializedShape: shape, dtype: type)
        Kernels.clamp(ensuring(type), min: min, max: max, into: out)
        return Tensor.record("ClampBackward1", inputs: [self], result: out, saving: [self]) { grad, saved in
            let x = saved[0]
            var inside = x .== x
            if let min { inside = inside .&& (x .> min) }
            if let max { inside = inside .&& (x .< max) }
            return [Tensor.where(inside, grad, Tensor.zeros(like: grad))]
        }
    }

    /// Chooses elements from `a` where `condition` is true and from `b`
    /// elsewhere, broadcasting all three (`torch.where`).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        check(condition.dtype == .bool, "where", "where expected condition to be a boolean tensor, but got a tensor with dtype \(condition.dtype)")
        let type = DType.resultType(a, b)
        let shape = Shape.broadcast(Shape.broadcast(condition.shape, a.shape, op: "where"), b.shape, op: "where")
        let out = Tensor(uninitializedShape: shape, dtype: type)
        Kernels.select(condition, a.ensuring(type), b.ensuring(type), into: out)
        return record("WhereBackward0", inputs: [a, b], result: out, saving: [condition]) { grad, saved in
            let zero = Tensor.zeros(like: grad)
            return [Tensor.where(saved[0], grad, zero), Tensor.where(saved[0], zero, grad)]
        }
    }

    /// `where` with a number for the second branch.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Double) -> Tensor {
        `where`(condition, a, Tensor(wrapping: b))
    }

    /// `where` with a number for the first branch.
    public static func `where`(_ condition: Tensor, _ a: Double, _ b: Tensor) -> Tensor {
        `where`(condition, Tensor(wrapping: a), b)
    }
}
