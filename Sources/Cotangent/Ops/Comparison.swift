import CCotangentKernels

/// Elementwise logical and of two bool tensors.
infix operator .&& : LogicalConjunctionPrecedence
/// Elementwise logical or of two bool tensors.
infix operator .|| : LogicalDisjunctionPrecedence

// Comparisons and logical ops: elementwise, broadcasting, producing `bool`
// tensors that never require grad.
extension Tensor {
    static func compare(_ kernel: ct_binary_op, _ a: Tensor, _ b: Tensor, op: String) -> Tensor {
        binaryKernel(kernel, a, b, op: op, computeDType: .resultType(a, b), outDType: .bool)
    }

    /// Elementwise `==`, giving a bool tensor.
    public static func .== (a: Tensor, b: Tensor) -> Tensor { compare(CT_EQ, a, b, op: "eq") }
    /// Elementwise `!=`, giving a bool tensor.
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { compare(CT_NE, a, b, op: "ne") }
    /// Elementwise `<`, giving a bool tensor.
    public static func .< (a: Tensor, b: Tensor) -> Tensor { compare(CT_LT, a, b, op: "lt") }
    /// Elementwise `<=`, giving a bool tensor.
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { compare(CT_LE, a, b, op: "le") }
    /// Elementwise `>`, giving a bool tensor.
    public static func .> (a: Tensor, b: Tensor) -> Tensor { compare(CT_GT, a, b, op: "gt") }
    /// Elementwise `>=`, giving a bool tensor.
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { compare(CT_GE, a, b, op: "ge") }

    public static func .== (a: Tensor, b: Double) -> Tensor { a .== Tensor.wrapped(b, matching: a) }
    public static func .!= (a: Tensor, b: Double) -> Tensor { a .!= Tensor.wrapped(b, matching: a) }
    public static func .< (a: Tensor, b: Double) -> Tensor { a .< Tensor.wrapped(b, matching: a) }
    public static func .<= (a: Tensor, b: Double) -> Tensor { a .<= Tensor.wrapped(b, matching: a) }
    public static func .> (a: Tensor, b: Double) -> Tensor { a .> Tensor.wrapped(b, matching: a) }
    public static func .>= (a: Tensor, b: Double) -> Tensor { a .>= Tensor.wrapped(b, matching: a) }

    /// Elementwise logical and (`torch.logical_and`).
    public static func .&& (a: Tensor, b: Tensor) -> Tensor { logical(CT_AND, a, b, op: "logical_and") }
    /// Elementwise logical or (`torch.logical_or`).
    public static func .|| (a: Tensor, b: Tensor) -> Tensor { logical(CT_OR, a, b, op: "logical_or") }
    /// Elementwise exclusive or (`torch.logical_xor`).
    public static func .^ (a: Tensor, b: Tensor) -> Tensor { logical(CT_XOR, a, b, op: "logical_xor") }
    /// Elementwise logical not (`torch.logical_not`): true where an element is zero or false.
    public static prefix func ! (a: Tensor) -> Tensor {
        a.apply(Primitives.unary.logicalNot, op: "logical_not")
    }

    private static func logical(_ kernel: ct_binary_op, _ a: Tensor, _ b: Tensor, op: String) -> Tensor {
        let shape = Shape.broadcast(a.shape, b.shape, op: op)
        let out = Tensor(uninitializedShape: shape, dtype: .bool)
        Kernels.binary(kernel, a.ensuring(.bool), b.ensuring(.bool), into: out)
        return out
    }

    /// Plain `==` would compare tensors as objects; it is unavailable on purpose.
    @available(*, unavailable, message: "use .== for an elementwise comparison, or equal(_:) / allClose(_:) for the whole tensor")
    public static func == (a: Tensor, b: Tensor) -> Bool { fatalError() }

    /// Plain `!=` is unavailable on purpose.
    @available(*, unavailable, message: "use .!= for an elementwise comparison, or !equal(_:) for the whole tensor")
    public static func != (a: Tensor, b: Tensor) -> Bool { fatalError() }

    /// Whether both tensors have the same shape and elements (`torch.equal`).
    public func equal(_ other: Tensor) -> Bool {
        shape == other.shape && (self .== other).all().item() != 0
    }

    /// Whether `|self - other| <= atol + rtol * |other|` everywhere, after
    /// broadcasting (`torch.allclose`); NaNs are equal only with `equalNaN`.
    public func allClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNaN: Bool = false) -> Bool {
        withNoGrad {
            let type = DType.resultType(self, other)
            let a = self.ensuring(type.isFloatingPoint ? type : .float64)
            let b = other.ensuring(a.dtype)
            var close = (a - b).abs() .<= (b.abs() * rtol + atol)
            close = close .|| (a .== b)  // equal infinities
            if equalNaN { close = close .|| (a.isNaN() .&& b.isNaN()) }
            return close.all().item() != 0
        }
    }
}
