import CCotangentKernels

/// The element type of a ``Tensor``, chosen at run time as in PyTorch.
///
/// `float32` is the default floating-point type: floating literals and
/// `Tensor.arange(4.0)` produce it, and integer division promotes to it.
public enum DType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case bool
    case uint8
    case int8
    case int16
    case int32
    case int64
    /// IEEE half precision (`torch.float16`, `torch.half`). Arithmetic runs in
    /// `float32` and each result is rounded to nearest even, as PyTorch's CPU kernels do.
    case float16
    /// Brain floating point (`torch.bfloat16`): `float32`'s exponent with 8 bits of
    /// precision; computed like ``float16``.
    case bfloat16
    case float32
    case float64

    /// The default floating-point dtype (PyTorch's `torch.get_default_dtype()`).
    public static let defaultFloat: DType = .float32

    /// The size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8: 1
        case .int16, .float16, .bfloat16: 2
        case .int32, .float32: 4
        case .int64, .float64: 8
        }
    }

    /// Whether this is a floating-point dtype (`float16`, `bfloat16`, `float32`, `float64`).
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: true
        default: false
        }
    }

    /// Whether this is an integer dtype (`uint8`, `int8`, `int16`, `int32`, `int64`).
    public var isInteger: Bool {
        switch self {
        case .uint8, .int8, .int16, .int32, .int64: true
        default: false
        }
    }

    /// Whether this is `float16` or `bfloat16`, which PyTorch computes in `float32`.
    var isReducedFloat: Bool { self == .float16 || self == .bfloat16 }

    /// The largest finite value of a floating-point dtype (PyTorch's `torch.finfo(dtype).max`).
    var greatestFiniteMagnitude: Double {
        switch self {
        case .float16: 65504
        case .bfloat16: 3.3895313892515355e38
        case .float32: Double(Float.greatestFiniteMagnitude)
        default: Double.greatestFiniteMagnitude
        }
    }

    /// The name PyTorch prints, without the `torch.` prefix (`float64`).
    public var description: String {
        switch self {
        case .bool: "bool"
        case .uint8: "uint8"
        case .int8: "int8"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .float16: "float16"
        case .bfloat16: "bfloat16"
        case .float32: "float32"
        case .float64: "float64"
        }
    }

    /// The name of the legacy tensor type, as PyTorch prints it in autograd errors.
    var legacyTypeName: String {
        switch self {
        case .bool: "torch.BoolTensor"
        case .uint8: "torch.ByteTensor"
        case .int8: "torch.CharTensor"
        case .int16: "torch.ShortTensor"
        case .float16: "torch.HalfTensor"
        case .bfloat16: "torch.BFloat16Tensor"
        case .int32: "torch.IntTensor"
        case .int64: "torch.LongTensor"
        case .float32: "torch.FloatTensor"
        case .float64: "torch.DoubleTensor"
        }
    }

    /// The ATen scalar type name PyTorch's messages use (`Float`, `Long`).
    var scalarTypeName: String {
        switch self {
        case .bool: "Bool"
        case .uint8: "Byte"
        case .int8: "Char"
        case .int16: "Short"
        case .float16: "Half"
        case .bfloat16: "BFloat16"
        case .int32: "Int"
        case .int64: "Long"
        case .float32: "Float"
        case .float64: "Double"
        }
    }

    /// The C type name PyTorch's messages use (`float`, `long int`).
    var cTypeName: String {
        switch self {
        case .bool: "bool"
        case .uint8: "unsigned char"
        case .int8: "signed char"
        case .int16: "short int"
        case .float16: "c10::Half"
        case .bfloat16: "c10::BFloat16"
        case .int32: "int"
        case .int64: "long int"
        case .float32: "float"
        case .float64: "double"
        }
    }

    /// The kernel library's code for this dtype.
    var kernelCode: ct_dtype {
        switch self {
        case .bool: CT_BOOL
        case .uint8: CT_U8
        case .int8: CT_I8
        case .int16: CT_I16
        case .float16: CT_F16
        case .bfloat16: CT_BF16
        case .int32: CT_I32
        case .int64: CT_I64
        case .float32: CT_F32
        case .float64: CT_F64
        }
    }

    /// Ordering within PyTorch's promotion lattice: bool < integers < floats.
    var category: Int {
        switch self {
        case .bool: 0
        case .uint8, .int8, .int16, .int32, .int64: 1
        case .float16, .bfloat16, .float32, .float64: 2
        }
    }

    /// The smallest dtype that can hold values of both (`torch.promote_types`):
    /// `uint8` with `int8` is `int16`, `float16` with `bfloat16` is `float32`.
    public static func promoted(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if a.category != b.category { return a.category > b.category ? a : b }
        let (small, large) = a.byteSize <= b.byteSize ? (a, b) : (b, a)
        // Neither 16-bit float holds the other's values; neither 8-bit integer either.
        if small.byteSize == large.byteSize {
            return a.category == 2 ? .float32 : .int16
        }
        return large
    }
}

/// A Swift type that can be the element of a ``Tensor``.
public protocol TensorScalar: Sendable {
    /// The dtype whose storage holds values of this type.
    static var dtype: DType { get }
    /// Converts from `Double`, truncating toward zero for integers.
    init(fromDouble value: Double)
    /// Widens to `Double`.
    var doubleValue: Double { get }
}

extension Float: TensorScalar {
    public static var dtype: DType { .float32 }
    public init(fromDouble value: Double) { self = Float(value) }
    public var doubleValue: Double { Double(self) }
}

extension Double: TensorScalar {
    public static var dtype: DType { .float64 }
    public init(fromDouble value: Double) { self = value }
    public var doubleValue: Double { self }
}

extension Int64: TensorScalar {
    public static var dtype: DType { .int64 }
    public init(fromDouble value: Double) { self = Int64(value) }
    public var doubleValue: Double { Double(self) }
}

extension Int32: TensorScalar {
    public static var dtype: DType { .int32 }
    public init(fromDouble value: Double) { self = Int32(truncatingIfNeeded: Int64(value)) }
    public var doubleValue: Double { Double(self) }
}

extension Int: TensorScalar {
    public static var dtype: DType { .int64 }
    public init(fromDouble value: Double) { self = Int(value) }
    public var doubleValue: Double { Double(self) }
}

extension Bool: TensorScalar {
    public static var dtype: DType { .bool }
    public init(fromDouble value: Double) { self = value != 0 }
    public var doubleValue: Double { self ? 1 : 0 }
}

extension Int8: TensorScalar {
    public static var dtype: DType { .int8 }
    public init(fromDouble value: Double) { self = Int8(truncatingIfNeeded: Int64(value)) }
    public var doubleValue: Double { Double(self) }
}

extension UInt8: TensorScalar {
    public static var dtype: DType { .uint8 }
    public init(fromDouble value: Double) { self = UInt8(truncatingIfNeeded: Int64(value)) }
    public var doubleValue: Double { Double(self) }
}

extension Int16: TensorScalar {
    public static var dtype: DType { .int16 }
    public init(fromDouble value: Double) { self = Int16(truncatingIfNeeded: Int64(value)) }
    public var doubleValue: Double { Double(self) }
}

#if !(os(macOS) && arch(x86_64))
extension Float16: TensorScalar {
    public static var dtype: DType { .float16 }
    // Through Float, as c10::Half is built from a Scalar.
    public init(fromDouble value: Double) { self = Float16(Float(value)) }
    public var doubleValue: Double { Double(self) }
}
#endif

extension DType {
    /// Stores `value` as one element of this dtype at `pointer`, converting as
    /// `Tensor.to` does (through the cast kernel, so the 16-bit floats round to
    /// nearest even and integers wrap as PyTorch's do).
    func store(_ value: Double, at pointer: UnsafeMutableRawPointer) {
        var v = value, n: Int64 = 1, s: Int64 = 1
        ct_cast(CT_F64, kernelCode, 1, &n, &v, &s, pointer, &s)
    }

    /// Stores an integer exactly (through `Int64`), converting like ``store(_:at:)``.
    func store(_ value: Int64, at pointer: UnsafeMutableRawPointer) {
        var v = value, n: Int64 = 1, s: Int64 = 1
        ct_cast(CT_I64, kernelCode, 1, &n, &v, &s, pointer, &s)
    }
}
