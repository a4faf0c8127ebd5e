import CCotangentKernels

// Elementwise unary primitives: a kernel and, beside it, the backward rule.
// Transcendental functions promote integer tensors to the default float dtype.

extension Tensor {
    /// Runs a unary kernel, promoting integers to float when `promotesIntegers`.
    func unaryKernel(_ kernel: ct_unary_op, promotesIntegers: Bool = true) -> Tensor {
        let type = promotesIntegers && !dtype.isFloatingPoint ? DType.defaultFloat : dtype
        let out = Tensor(uninitializedShape: shape, dtype: type)
        Kernels.unary(kernel, ensuring(type), into: out)
        return out
    }

    /// Records a unary primitive whose rule reads the input as `x`.
    private func unary(_ name: String, _ kernel: ct_unary_op, promotesIntegers: Bool = true,
                       rule: @escaping (_ grad: Tensor, _ x: Tensor) -> Tensor) -> Tensor {
        Tensor.record(name, inputs: [self], result: unaryKernel(kernel, promotesIntegers: promotesIntegers),
                      saving: [self]) { grad, saved in [rule(grad, saved[0])] }
    }

    /// Records a unary primitive whose rule reads the output as `result`.
    ///
    /// A name of its own: with a trailing closure, an overload of `unary` that
    /// differs only in the closure's label would be picked for input rules too.
    private func unaryOfResult(_ name: String, _ kernel: ct_unary_op,
                               ruleOfResult rule: @escaping (_ grad: Tensor, _ result: Tensor) -> Tensor) -> Tensor {
        Tensor.record(name, inputs: [self], result: unaryKernel(kernel), savingResult: true) { grad, saved in
            [rule(grad, saved.result)]
        }
    }

    /// Records a piecewise-constant primitive: its gradient is zero everywhere.
    private func constantPieces(_ name: String, _ kernel: ct_unary_op) -> Tensor {
        Tensor.record(name, inputs: [self], result: unaryKernel(kernel, promotesIntegers: false)) { grad, _ in
            [Tensor.zeros(like: grad)]
        }
    }

    /// Negates each element.
    public static prefix func - (x: Tensor) -> Tensor {
        check(x.dtype != .bool, "neg", "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `!` operator instead.")
        return Tensor.record("NegBackward0", inputs: [x], result: x.unaryKernel(CT_NEG, promotesIntegers: false)) { grad, _ in
            [-grad]
        }
    }

    /// e raised to each element.
    public func exp() -> Tensor { unaryOfResult("ExpBackward0", CT_EXP) { grad, result in grad * result } }
    /// The natural logarithm of each element.
    public func log() -> Tensor { unary("LogBackward0", CT_LOG) { grad, x in grad / x } }
    /// `log(1 + x)`, accurate for small x (`torch.log1p`).
    public func log1p() -> Tensor { unary("Log1PBackward0", CT_LOG1P) { grad, x in grad / (x + 1.0) } }
    /// `exp(x) - 1`, accurate for small x (`torch.expm1`).
    public func expm1() -> Tensor { unaryOfResult("Expm1Backward0", CT_EXPM1) { grad, result in grad * (result + 1.0) } }
    /// The square root of each element.
    public func sqrt() -> Tensor { unaryOfResult("SqrtBackward0", CT_SQRT) { grad, result in grad / (2.0 * result) } }
    /// The reciprocal of the square root of each element.
    public func rsqrt() -> Tensor {
        unaryOfResult("RsqrtBackward0", CT_RSQRT) { grad, result in -0.5 * grad * result.pow(3.0) }
    }
    /// `1 / x` for each element.
    public func reciprocal() -> Tensor {
        unaryOfResult("ReciprocalBackward0", CT_RECIPROCAL) { grad, result in -grad * result * result }
    }
    /// The absolute value of each element.
    public func abs() -> Tensor {
        check(dtype != .bool, "abs", "\"abs_cpu\" not implemented for 'Bool'")
        return unary("AbsBackward0", CT_ABS, promotesIntegers: false) { grad, x in grad * x.sign() }
    }
    /// -1, 0 or 1 by the sign of each element (gradient zero).
    public func sign() -> Tensor { constantPieces("SignBackward0", CT_SIGN) }
    /// The sine of each element (radians).
    public func sin() -> Tensor { unary("SinBackward0", CT_SIN) { grad, x in grad * x.cos() } }
    /// The cosine of each element (radians).
    public func cos() -> Tensor { unary("CosBackward0", CT_COS) { grad, x in grad * -x.sin() } }
    /// The tangent of each element (radians).
    public func tan() -> Tensor { unaryOfResult("TanBackward0", CT_TAN) { grad, result in grad * (1.0 + result * result) } }
    /// The hyperbolic tangent of each element.
    public func tanh() -> Tensor { unaryOfResult("TanhBackward0", CT_TANH) { grad, result in grad * (1.0 - result * result) } }
    /// The logistic function `1 / (1 + exp(-x))` of each element.
    public func sigmoid() -> Tensor {
        unaryOfResult("SigmoidBackward0", CT_SIGMOID) { grad, result in grad * result * (1.0 - result) }
    }
    /// `max(x, 0)` for each element; NaN stays NaN.
    public func relu() -> Tensor {
        Tensor.record("ReluBackward0", inputs: [self], result: unaryKernel(CT_RELU, promotesIntegers: false),
                      savingResult: true) { grad, saved in
            // A recorded primitive (not a bare `where`), so a double backward gives zeros.
            [Tensor.thresholdBackward(grad, result: saved.result)]
        }
    }
    /// The largest integer not above each element.
    public func floor() -> Tensor { rounding("FloorBackward0", CT_FLOOR, op: "floor") }
    /// The smallest integer not below each element.
    public func ceil() -> Tensor { rounding("CeilBackward0", CT_CEIL, op: "ceil") }
    /// Each element rounded to the nearest integer, ties to even (`torch.round`).
    public func round() -> Tensor { rounding("RoundBackward0", CT_ROUND, op: "round") }
    /// Each element rounded toward zero.
    public func trunc() -> Tensor { rounding("TruncBackward0", CT_TRUNC, op: "trunc") }

    /// A rounding primitive: refused on bool tensors, as PyTorch's kernels are.
    private func rounding(_ name: String, _ kernel: ct_unary_op, op: String) -> Tensor {
        check(dtype != .bool, op, "\"\(op)_vml_cpu\" not implemented for 'Bool'")
        return constantPieces(name, kernel)
    }

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
