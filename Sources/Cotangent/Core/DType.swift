import CCotangentKernels

/// The element type of a ``Tensor``, chosen at run time as in PyTorch.
///
/// `float32` is the default floating-point type: floating literals and
/// `Tensor.arange(4.0)` produce it, and integer division promotes to it.
public enum DType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case bool
    case int32
    case int64
    case float32
    case float64

    /// The default floating-point dtype (PyTorch's `torch.get_default_dtype()`).
    public static let defaultFloat: DType = .float32

    /// The size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .bool: 1
        case .int32, .float32: 4
        case .int64, .float64: 8
        }
    }

    /// Whether this is `float32` or `float64`.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// Whether this is `int32` or `int64`.
    public var isInteger: Bool { self == .int32 || self == .int64 }

    /// The name PyTorch prints, without the `torch.` prefix (`float64`).
    public var description: String {
        switch self {
        case .bool: "bool"
        case .int32: "int32"
        case .int64: "int64"
        case .float32: "float32"
        case .float64: "float64"
        }
    }

    /// The name of the legacy tensor type, as PyTorch prints it in autograd errors.
    var legacyTypeName: String {
        switch self {
        case .bool: "torch.BoolTensor"
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
        case .int32, .int64: 1
        case .float32, .float64: 2
        }
    }

    /// The smallest dtype that can hold values of both (`torch.promote_types`).
    public static func promoted(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if a.category != b.category { return a.category > b.category ? a : b }
        return a.byteSize >= b.byteSize ? a : b
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
