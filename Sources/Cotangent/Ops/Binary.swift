import CCotangentKernels

// Elementwise binary primitives. Each declaration holds the forward (a kernel
// over broadcast operands) and, beside it, the backward rule in tensor ops.
// The engine undoes broadcasting and type promotion of the gradients.

extension Tensor {
    /// Runs a binary kernel after promoting both operands to `computeDType`.
    static func binaryKernel(_ kernel: ct_binary_op, _ a: Tensor, _ b: Tensor, op: String,
                             computeDType: DType, outDType: DType? = nil, params: KernelParameters = .none) -> Tensor {
        let shape = Shape.broadcast(a.shape, b.shape, op: op)
        let (ca, cb) = (a.ensuring(computeDType), b.ensuring(computeDType))
        if outDType == nil || outDType == computeDType,
           let deferred = Fusion.binary(kernel, ca, cb, shape: shape, dtype: computeDType, params: params) {
            return deferred
        }
        let out = Tensor(uninitializedShape: shape, dtype: outDType ?? computeDType)
        Kernels.binary(kernel, ca, cb, into: out, params: params)
        return out
    }

    /// Arithmetic in the promoted dtype of the operands.
    static func arithmetic(_ kernel: ct_binary_op, _ a: Tensor, _ b: Tensor, op: String,
                           params: KernelParameters = .none) -> Tensor {
        binaryKernel(kernel, a, b, op: op, computeDType: .resultType(a, b), params: params)
    }

    /// Arithmetic that always produces floating point (true division, pow with a float exponent).
    static func floatArithmetic(_ kernel: ct_binary_op, _ a: Tensor, _ b: Tensor, op: String) -> Tensor {
        let type = DType.resultType(a, b)
        return binaryKernel(kernel, a, b, op: op, computeDType: type.isFloatingPoint ? type : .defaultFloat)
    }

    // MARK: Arithmetic primitives

    /// Adds elementwise, broadcasting the operands.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let result = arithmetic(CT_ADD, a, b, op: "add")
        guard isRecording(result, a, b) else { return result }
        return record("AddBackward0", inputs: [a, b], result: result) { grad, _ in
            [grad, grad]
        }
    }

    /// Subtracts elementwise, broadcasting the operands.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        checkNotBoolSubtraction(a, b)
        let result = arithmetic(CT_SUB, a, b, op: "sub")
        guard isRecording(result, a, b) else { return result }
        return record("SubBackward0", inputs: [a, b], result: result) { grad, _ in
            let negated = -grad
            return [grad, negated]
        }
    }

    /// PyTorch's refusal of `-` on bool operands, worded by how many are bool.
    private static func checkNotBoolSubtraction(_ a: Tensor, _ b: Tensor) {
        if a.dtype == .bool && b.dtype == .bool {
            fail("sub", "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `.^` operator or `logicalXor` instead.")
        }
        check(a.dtype != .bool && b.dtype != .bool, "sub",
              "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `!` operator instead.")
    }

    /// `number - tensor`, recorded as PyTorch's reverse subtraction.
    static func reverseSubtract(_ a: Tensor, from number: Tensor) -> Tensor {
        checkNotBoolSubtraction(number, a)
        let result = arithmetic(CT_SUB, number, a, op: "rsub")
        guard isRecording(result, a) else { return result }
        return record("RsubBackward1", inputs: [a], result: result) { grad, _ in
            let negated = -grad
            return [negated]
        }
    }

    /// Multiplies elementwise, broadcasting the operands.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let result = arithmetic(CT_MUL, a, b, op: "mul")
        guard isRecording(result, a, b) else { return result }
        let operands = [a, b]  // one array for inputs and saved values
        return record("MulBackward0", inputs: operands, result: result, saving: operands) { grad, saved in
            let ga = saved.needsGrad(0) ? grad * saved[1] : nil, gb = saved.needsGrad(1) ? grad * saved[0] : nil
            return [ga, gb]
        }
    }

    /// Divides elementwise (true division: integers give the default float dtype).
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let result = floatArithmetic(CT_DIV, a, b, op: "div")
        guard isRecording(result, a, b) else { return result }
        let operands = [a, b]  // one array for inputs and saved values
        return record("DivBackward0", inputs: operands, result: result, saving: operands) { grad, saved in
            let b = saved[1]
            // PyTorch's `-grad * ((a / b) / b)`: forming b * b would overflow or underflow
            // where the quotient itself is representable.
            let ga = saved.needsGrad(0) ? grad / b : nil, gb = saved.needsGrad(1) ? -grad * ((saved[0] / b) / b) : nil
            return [ga, gb]
        }
    }

    /// Raises each element to the power of the matching element of `exponent`.
    ///
    /// For float results, the gradient with respect to the exponent is
    /// `result * log(self)`, taken as 0 where `self` is 0 and the exponent is non-negative.
    public func pow(_ exponent: Tensor) -> Tensor {
        let base = self
        check(DType.resultType(base, exponent) != .bool, "pow", "\"pow\" not implemented for 'Bool'")
        let result: Tensor
        if exponent.isWrappedNumber, base.dtype.isFloatingPoint, base.dtype != .float16,
           exponent.item() == 2 || exponent.item() == 3 {
            // PyTorch multiplies for these powers, rounding after each product
            // (float16 alone goes through std::pow).
            result = withNoGrad { exponent.item() == 2 ? base * base : base * base * base }
        } else {
            result = Tensor.arithmetic(CT_POW, base, exponent, op: "pow")
        }
        if exponent.isWrappedNumber {
            let e = exponent.item()
            return Tensor.record("PowBackward0", inputs: [base], result: result, saving: [base]) { grad, saved in
                e == 0 ? [Tensor.zeros(like: grad)] : [grad * (saved[0].pow(e - 1) * e)]
            }
        }
        func exponentGradient(_ grad: Tensor, _ base: Tensor, _ exponent: Tensor, _ result: Tensor) -> Tensor {
            let zeroMask = (base .== 0.0) .&& (exponent .>= 0.0)
            return grad * Tensor.where(zeroMask, Tensor.zeros(like: result), result * base.log())
        }
        if base.isWrappedNumber {
            // `number ** tensor`: the number is no input of the node (one next function, as in PyTorch).
            return Tensor.record("PowBackward2", inputs: [exponent], result: result, saving: [base, exponent], savingResult: true) { grad, saved in
                [exponentGradient(grad, saved[0], saved[1], saved.result)]
            }
        }
        return Tensor.record("PowBackward1", inputs: [base, exponent], result: result, saving: [base, exponent], savingResult: true) { grad, saved in
            let (base, exponent, result) = (saved[0], saved[1], saved.result)
            // Zero where the exponent is 0, as in PyTorch (not 0 * 0^-1 = NaN).
            let dBase = Tensor.where(exponent .== 0.0, Tensor.zeros(like: grad), grad * exponent * base.pow(exponent - 1.0))
            // log(base) in the promoted dtype, as PyTorch (a float32 base with a float64 exponent).
            return [dBase, exponentGradient(grad, base.to(result.dtype), exponent, result)]
        }
    }

    /// Raises each element to a floating-point power (`x.pow(2.5)`, PyTorch's `x ** 2.5`).
    ///
    /// As in PyTorch, a float exponent makes integer and bool tensors float
    /// (`int_tensor ** 2.0` is `float32`); use ``pow(_:)-(Int)`` to keep integers.
    /// - Parameter exponent: The power.
    /// - Returns: The powers, in the promoted floating-point dtype.
    public func pow(_ exponent: Double) -> Tensor {
        pow(Tensor(wrapping: exponent))
    }

    /// Raises each element to an integer power (`x.pow(2)`, PyTorch's `x ** 2`).
    ///
    /// Integer tensors stay integer (bool becomes `int64`), and then a negative
    /// power stops, as in PyTorch.
    /// - Parameter exponent: The power.
    /// - Returns: The powers, in this tensor's dtype (promoted from bool).
    public func pow(_ exponent: Int) -> Tensor {
        if dtype.isInteger || dtype == .bool {
            check(exponent >= 0, "pow", "Integers to negative integer powers are not allowed.")
        }
        return pow(Tensor(wrapping: exponent))
    }

    /// The larger of two elements, propagating NaN (`torch.maximum`); ties share the gradient.
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        let operands = [a, b]  // one array for inputs and saved values
        return record("MaximumBackward0", inputs: operands, result: arithmetic(CT_MAXIMUM, a, b, op: "maximum"), saving: operands) { grad, saved in
            let (a, b) = (saved[0], saved[1])
            let shared = Tensor.where(a .== b, grad / 2.0, grad)
            return [Tensor.where(a .< b, Tensor.zeros(like: shared), shared),
                    Tensor.where(a .> b, Tensor.zeros(like: shared), shared)]
        }
    }

    /// The smaller of two elements, propagating NaN (`torch.minimum`); ties share the gradient.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
        let operands = [a, b]  // one array for inputs and saved values
        return record("MinimumBackward0", inputs: operands, result: arithmetic(CT_MINIMUM, a, b, op: "minimum"), saving: operands) { grad, saved in
            let (a, b) = (saved[0], saved[1])
            let shared = Tensor.where(a .== b, grad / 2.0, grad)
            return [Tensor.where(a .> b, Tensor.zeros(like: shared), shared),
                    Tensor.where(a .< b, Tensor.zeros(like: shared), shared)]
        }
    }

    /// The angle of (other, self) in radians, elementwise (`torch.atan2(self, other)`).
    public func atan2(_ other: Tensor) -> Tensor {
        Tensor.record("Atan2Backward0", inputs: [self, other], result: Tensor.floatArithmetic(CT_ATAN2, self, other, op: "atan2"),
                      saving: [self, other]) { grad, saved in
            let (y, x) = (saved[0], saved[1])
            // PyTorch's rule, with the reciprocal taken as 0 at the origin.
            let denominator = y * y + x * x
            let reciprocal = Tensor.where(denominator .== 0.0, Tensor.zeros(like: denominator), denominator.reciprocal())
            return [grad * x * reciprocal, grad * -y * reciprocal]
        }
    }

    /// Division rounded toward negative infinity, as Python's `//` (not differentiable).
    ///
    /// As in PyTorch, the result of float inputs that require grad is recorded,
    /// but backpropagating through it stops: the op has no derivative.
    public func floorDivide(_ other: Tensor) -> Tensor {
        Tensor.checkIntegerDivisor(self, other, op: "floor_divide")
        let result = Tensor.arithmetic(CT_FLOORDIV, self, other, op: "floor_divide")
        return Tensor.record("NotImplemented", inputs: [self, other], result: result) { _, _ in
            fail("backward", "derivative for aten::floor_divide is not implemented")
        }
    }

    /// The remainder with the sign of the divisor, as Python's `%` (`torch.remainder`).
    public func remainder(_ other: Tensor) -> Tensor {
        Tensor.checkIntegerDivisor(self, other, op: "remainder")
        let result = Tensor.arithmetic(CT_REM, self, other, op: "remainder")
        let operands = [self, other]  // one array for inputs and saved values
        return Tensor.record("RemainderBackward1", inputs: operands, result: result, saving: operands) { grad, saved in
            // The quotient is piecewise constant: recorded with a zero gradient (PyTorch's
            // div with rounding_mode="floor"), so a double backward gives zeros, not a stop.
            [grad, -grad * saved[0].flooredQuotient(saved[1])]
        }
    }

    // MARK: Swift numbers on either side

    public static func + (a: Tensor, b: Double) -> Tensor { a + Tensor.wrapped(b, matching: a) }
    // `number + tensor` and `number * tensor` put the tensor first, as Python's
    // `__radd__`/`__rmul__` do, so `gradFn.nextFunctions` lists it first.
    public static func + (a: Double, b: Tensor) -> Tensor { b + Tensor.wrapped(a, matching: b) }
    public static func + (a: Tensor, b: Int) -> Tensor { a + Tensor.wrapped(b, matching: a) }
    public static func + (a: Int, b: Tensor) -> Tensor { b + Tensor.wrapped(a, matching: b) }
    public static func - (a: Tensor, b: Double) -> Tensor { a - Tensor.wrapped(b, matching: a) }
    public static func - (a: Double, b: Tensor) -> Tensor { reverseSubtract(b, from: Tensor.wrapped(a, matching: b)) }
    public static func - (a: Tensor, b: Int) -> Tensor { a - Tensor.wrapped(b, matching: a) }
    public static func - (a: Int, b: Tensor) -> Tensor { reverseSubtract(b, from: Tensor.wrapped(a, matching: b)) }
    public static func * (a: Tensor, b: Double) -> Tensor { a * Tensor.wrapped(b, matching: a) }
    public static func * (a: Double, b: Tensor) -> Tensor { b * Tensor.wrapped(a, matching: b) }
    public static func * (a: Tensor, b: Int) -> Tensor { a * Tensor.wrapped(b, matching: a) }
    public static func * (a: Int, b: Tensor) -> Tensor { b * Tensor.wrapped(a, matching: b) }
    public static func / (a: Tensor, b: Double) -> Tensor { a / Tensor.wrapped(b, matching: a) }
    public static func / (a: Tensor, b: Int) -> Tensor { a / Tensor.wrapped(b, matching: a) }
    /// `number / tensor`, computed as PyTorch does: `tensor.reciprocal() * number`.
    public static func / (a: Double, b: Tensor) -> Tensor { b.reciprocal() * a }
    public static func / (a: Int, b: Tensor) -> Tensor { b.reciprocal() * a }

    /// `number ** tensor` (`torch.pow(2, x)`).
    public static func pow(_ base: Double, _ exponent: Tensor) -> Tensor { Tensor(wrapping: base).pow(exponent) }
    public static func maximum(_ a: Tensor, _ b: Double) -> Tensor { maximum(a, Tensor(wrapping: b)) }
    public static func minimum(_ a: Tensor, _ b: Double) -> Tensor { minimum(a, Tensor(wrapping: b)) }
}
