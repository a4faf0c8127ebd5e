import CCotangentKernels

// Binary elementwise primitives declared as table entries: node name, kernel
// (CotangentOps.h), dtype rule and backward rule in tensor ops, with a slot
// for the jvp rule. The engine undoes broadcasting and promotion of the
// gradients. (The arithmetic operators in Binary.swift predate the table and
// write the same parts out in their methods.) Then the ternary ops: `lerp`,
// `addcmul`, `addcdiv`, `clamped` with tensor bounds, and `nanToNum`.

/// Which dtypes a binary primitive computes in.
enum BinaryDomain: Sendable {
    /// The operands' promoted dtype, integers included (`fmod`).
    case promoted
    /// The promoted dtype, integers converted to the default float first (`xlogy`).
    case promotesIntegers
    /// Floating dtypes only; others stop with PyTorch's "`kernel` not implemented for 'Long'".
    case floatingOnly(kernel: String)
}

/// A binary backward rule: both gradients from `grad`, the operands and (when
/// the primitive saves it) the result; `needs` says which inputs want one.
typealias BinaryRule = @Sendable (_ grad: Tensor, _ a: Tensor, _ b: Tensor, _ result: Tensor?,
                                  _ needs: (Bool, Bool)) -> InputGradients
/// A forward-mode rule: the output's tangent from both input tangents (room for the transforms).
typealias BinaryJVP = @Sendable (_ ta: Tensor?, _ tb: Tensor?, _ a: Tensor, _ b: Tensor, _ result: Tensor) -> Tensor

/// One binary elementwise primitive.
struct BinaryPrimitive: Sendable {
    let node: String?
    let kernel: ct_binary_op
    let domain: BinaryDomain
    let savesResult: Bool
    let vjp: BinaryRule
    let jvp: BinaryJVP?

    init(_ node: String?, _ kernel: ct_binary_op, _ domain: BinaryDomain, savesResult: Bool = false,
         vjp: @escaping BinaryRule, jvp: BinaryJVP? = nil) {
        self.node = node
        self.kernel = kernel
        self.domain = domain
        self.savesResult = savesResult
        self.vjp = vjp
        self.jvp = jvp
    }
}

/// The binary elementwise primitives of the table.
struct BinaryPrimitives {
    let xlogy = BinaryPrimitive("XlogyBackward0", CT_XLOGY, .promotesIntegers) { grad, x, y, _, needs in
        [needs.0 ? Tensor.where((x .== 0.0) .&& (y .<= 0.0), 0.0, grad.xlogy(y)) : nil,
         needs.1 ? grad * x / y : nil]
    }
    let hypot = BinaryPrimitive("HypotBackward0", CT_HYPOT, .floatingOnly(kernel: "hypot_cpu"), savesResult: true) {
        grad, a, b, result, needs in
        [needs.0 ? grad * a / result! : nil, needs.1 ? grad * b / result! : nil]
    }
    let fmod = BinaryPrimitive("FmodBackward1", CT_FMOD, .promoted) { grad, a, b, _, needs in
        // The truncated quotient is piecewise constant: a constant for higher derivatives too.
        [needs.0 ? grad : nil, needs.1 ? -grad * withNoGrad { (a / b).trunc() } : nil]
    }
    let copysign = BinaryPrimitive("CopysignBackward0", CT_COPYSIGN, .promotesIntegers, savesResult: true) {
        grad, a, b, result, needs in
        // d/da copysign(a, b) = sign(result) / sign(a), taken as 0 where a is 0.
        [needs.0 ? grad * Tensor.where(a .== 0.0, 0.0, result! / a) : nil, needs.1 ? Tensor.zeros(like: grad) : nil]
    }
    let logaddexp = BinaryPrimitive("LogaddexpBackward0", CT_LOGADDEXP, .floatingOnly(kernel: "logaddexp_cpu")) {
        grad, a, b, _, needs in
        [needs.0 ? grad / ((b - a).exp() + 1.0) : nil, needs.1 ? grad / ((a - b).exp() + 1.0) : nil]
    }
}

extension Tensor {
    /// Runs a binary primitive of the table on broadcast operands and records it.
    static func apply(_ p: BinaryPrimitive, _ a: Tensor, _ b: Tensor, op: StaticString) -> Tensor {
        let promoted = DType.resultType(a, b)
        let type: DType
        switch p.domain {
        case .promoted: type = promoted
        case .promotesIntegers: type = promoted.isFloatingPoint ? promoted : .defaultFloat
        case .floatingOnly(let kernel):
            check(promoted.isFloatingPoint, "\(op)", "\"\(kernel)\" not implemented for '\(promoted.scalarTypeName)'")
            type = promoted
        }
        let result = binaryKernel(p.kernel, a, b, op: "\(op)", computeDType: type)
        guard let node = p.node, isRecording(result, a, b) else { return result }
        let operands = [a, b]  // one array for inputs and saved values
        let rule = p.vjp
        return record(node, inputs: operands, result: result, saving: operands, savingResult: p.savesResult) { grad, saved in
            rule(grad, saved[0], saved[1], p.savesResult ? saved.result : nil, (saved.needsGrad(0), saved.needsGrad(1)))
        }
    }

    /// `x · log(y)`, with 0 where x is 0 (unless y is NaN) (`torch.xlogy`); integers give floats.
    public func xlogy(_ other: Tensor) -> Tensor { Tensor.apply(Primitives.binary.xlogy, self, other, op: "xlogy") }
    /// `x · log(y)` with a number for y.
    public func xlogy(_ other: Double) -> Tensor { xlogy(Tensor(wrapping: other)) }

    /// `√(x² + y²)` without overflow or underflow in the squares (`torch.hypot`; floating dtypes only).
    public func hypot(_ other: Tensor) -> Tensor { Tensor.apply(Primitives.binary.hypot, self, other, op: "hypot") }

    /// The remainder of division truncated toward zero, with the dividend's sign, as C's `fmod` (`torch.fmod`).
    ///
    /// Integer tensors stay integer; an integer division by zero stops, as
    /// PyTorch's `ZeroDivisionError`. Compare ``remainder(_:)``, which takes the divisor's sign.
    public func fmod(_ other: Tensor) -> Tensor {
        if DType.resultType(self, other).isInteger || DType.resultType(self, other) == .bool {
            check((other .== 0.0).any().item() == 0, "fmod", "ZeroDivisionError")
        }
        return Tensor.apply(Primitives.binary.fmod, self, other, op: "fmod")
    }
    /// `fmod` by a number.
    public func fmod(_ other: Double) -> Tensor { fmod(Tensor.wrapped(other, matching: self)) }

    /// The magnitude of each element with the sign of `other`'s (`torch.copysign`); integers give floats.
    public func copysign(_ other: Tensor) -> Tensor {
        Tensor.apply(Primitives.binary.copysign, self, other, op: "copysign")
    }

    /// `log(exp(x) + exp(y))`, computed without overflow (`torch.logaddexp`; floating dtypes only).
    public func logaddexp(_ other: Tensor) -> Tensor {
        Tensor.apply(Primitives.binary.logaddexp, self, other, op: "logaddexp")
    }

    // MARK: Ternary ops

    /// Linear interpolation `self + weight · (end - self)` (`torch.lerp`), computed
    /// as PyTorch does: from `end` backwards when `|weight| ≥ 0.5`, so that
    /// `weight = 1` gives `end` exactly.
    ///
    /// - Parameters:
    ///   - end: The value at `weight = 1` (broadcast with `self`).
    ///   - weight: The interpolation weight.
    public func lerp(_ end: Tensor, weight: Double) -> Tensor {
        check(dtype.isFloatingPoint, "lerp", "\"lerp_kernel_scalar\" not implemented for '\(dtype.scalarTypeName)'")
        let result = withNoGrad {
            Swift.abs(weight) < 0.5 ? self + weight * (end - self) : end - (end - self) * (1 - weight)
        }
        return Tensor.record("LerpBackward0", inputs: [self, end], result: result) { grad, _ in
            [grad * (1 - weight), grad * weight]
        }
    }

    /// Linear interpolation with a weight per element (`torch.lerp` with a tensor weight).
    public func lerp(_ end: Tensor, weight: Tensor) -> Tensor {
        check(dtype.isFloatingPoint, "lerp", "\"lerp_kernel_tensor\" not implemented for '\(dtype.scalarTypeName)'")
        let result = withNoGrad {
            Tensor.where(weight.abs() .< 0.5, self + weight * (end - self), end - (end - self) * (1.0 - weight))
        }
        let operands = [self, end, weight]
        return Tensor.record("LerpBackward1", inputs: operands, result: result, saving: operands) { grad, saved in
            let (start, end, weight) = (saved[0], saved[1], saved[2])
            return [grad * (1.0 - weight), grad * weight, grad * (end - start)]
        }
    }

    /// `self + value · tensor1 · tensor2`, broadcasting all three (`torch.addcmul`).
    public static func addcmul(_ input: Tensor, _ tensor1: Tensor, _ tensor2: Tensor, value: Double = 1) -> Tensor {
        // An integral value keeps integer tensors integer, as a Python int does.
        let scale = value == value.rounded() && !tensor1.dtype.isFloatingPoint
            ? Tensor(wrapping: Int(value)) : Tensor.wrapped(value, matching: tensor1)
        let result = withNoGrad { input + scale * tensor1 * tensor2 }
        let operands = [input, tensor1, tensor2]
        return record("AddcmulBackward0", inputs: operands, result: result, saving: operands) { grad, saved in
            [grad, saved.needsGrad(1) ? grad * saved[2] * value : nil, saved.needsGrad(2) ? grad * saved[1] * value : nil]
        }
    }

    /// `self + value · tensor1 / tensor2`, broadcasting all three (`torch.addcdiv`; floating dtypes).
    public static func addcdiv(_ input: Tensor, _ tensor1: Tensor, _ tensor2: Tensor, value: Double = 1) -> Tensor {
        check(tensor1.dtype.isFloatingPoint || tensor2.dtype.isFloatingPoint, "addcdiv",
              "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.")
        let result = withNoGrad { input + value * tensor1 / tensor2 }
        let operands = [input, tensor1, tensor2]
        return record("AddcdivBackward0", inputs: operands, result: result, saving: operands) { grad, saved in
            let (t1, t2) = (saved[1], saved[2])
            return [grad, saved.needsGrad(1) ? grad * value / t2 : nil,
                    saved.needsGrad(2) ? -grad * value * t1 / (t2 * t2) : nil]
        }
    }

    /// Limits each element to `[min, max]` elementwise, with tensor bounds that
    /// broadcast (`torch.clamp` with tensors).
    ///
    /// NaN in `self` or a bound gives NaN, as `Tensor.maximum`/`minimum` do. The
    /// gradient reaches `self` unless `x < min` or `x > max`, `min` where `x < min`
    /// (and `min < max`), and `max` where `x > max` (or `max < min`), as in PyTorch.
    public func clamped(min: Tensor? = nil, max: Tensor? = nil) -> Tensor {
        check(min != nil || max != nil, "clamp", "torch.clamp: At least one of 'min' or 'max' must not be None")
        let type = DType.resultType([self] + [min, max].compactMap { $0 })
        let result = withNoGrad {
            // NaN anywhere propagates, as torch.maximum/minimum do.
            var r = self.ensuring(type)
            if let min { r = Tensor.maximum(r, min.ensuring(type)) }
            if let max { r = Tensor.minimum(r, max.ensuring(type)) }
            return r
        }
        let bounds = [min, max].compactMap { $0 }
        let operands = [self] + bounds
        return Tensor.record("ClampBackward0", inputs: operands, result: result, saving: operands) { grad, saved in
            let x = saved[0]
            let lo = min != nil ? saved[1] : nil, hi = max != nil ? saved[min != nil ? 2 : 1] : nil
            // Zero only where x is outside the bounds: NaN in x or a bound passes the gradient.
            var outside = lo.map { x .< $0 } ?? (x .!= x)
            if let hi { outside = outside .|| (x .> hi) }
            var grads: [Tensor?] = [saved.needsGrad(0) ? Tensor.where(outside, 0.0, grad) : nil]
            if let lo {
                let below = hi.map { (x .< lo) .&& (lo .< $0) } ?? (x .< lo)
                grads.append(saved.needsGrad(1) ? Tensor.where(below, grad, 0.0) : nil)
            }
            if let hi {
                let above = lo.map { (x .> hi) .|| (hi .< $0) } ?? (x .> hi)
                grads.append(saved.needsGrad(grads.count) ? Tensor.where(above, grad, 0.0) : nil)
            }
            return InputGradients(grads)
        }
    }

    /// Replaces NaN, +inf and -inf by finite numbers (`torch.nan_to_num`).
    ///
    /// - Parameters:
    ///   - nan: The value for NaN (default 0).
    ///   - posinf: The value for +inf (default: the dtype's largest finite value).
    ///   - neginf: The value for -inf (default: the dtype's lowest finite value).
    /// - Returns: A tensor of the same dtype; integer and bool tensors come back unchanged (a copy).
    public func nanToNum(nan: Double = 0, posinf: Double? = nil, neginf: Double? = nil) -> Tensor {
        guard dtype.isFloatingPoint else { return cloned() }
        let largest = dtype.greatestFiniteMagnitude
        let result = withNoGrad {
            Tensor.where(isNaN(), nan, Tensor.where(self .== Double.infinity, posinf ?? largest,
                                                    Tensor.where(self .== -Double.infinity, neginf ?? -largest, self)))
        }
        return Tensor.record("NanToNumBackward0", inputs: [self], result: result, saving: [self]) { grad, saved in
            [grad * saved[0].isFinite().to(grad.dtype)]
        }
    }
}
