/// A Swift value that can become a tensor: `Int`, `Double`, `Float`, `Bool`,
/// and arrays of them nested to any depth.
///
/// As in `torch.tensor`, integers give `int64`, floating-point numbers the
/// default float dtype (`float32`), and booleans `bool`.
public protocol TensorLiteral {
    /// The dtype PyTorch infers for this kind of value.
    static var inferredDType: DType { get }
    /// Appends the sizes of this value's dimensions, outermost first.
    func appendShape(to shape: inout [Int])
    /// Appends this value's scalars in row-major order, checking that nested
    /// arrays are not ragged.
    func appendScalars(to buffer: inout LiteralBuffer, shape: [Int], depth: Int)
}

/// Scalars collected from a ``TensorLiteral``: integers stay exact.
public struct LiteralBuffer {
    var doubles: [Double] = []
    var integers: [Int64] = []
}

extension Int: TensorLiteral {
    public static var inferredDType: DType { .int64 }
    public func appendShape(to shape: inout [Int]) {}
    public func appendScalars(to buffer: inout LiteralBuffer, shape: [Int], depth: Int) {
        buffer.integers.append(Int64(self))
    }
}

extension Int32: TensorLiteral {
    public static var inferredDType: DType { .int32 }
    public func appendShape(to shape: inout [Int]) {}
    public func appendScalars(to buffer: inout LiteralBuffer, shape: [Int], depth: Int) {
        buffer.integers.append(Int64(self))
    }
}

extension Int64: TensorLiteral {
    public static var inferredDType: DType { .int64 }
    public func appendShape(to shape: inout [Int]) {}
    public func appendScalars(to buffer: inout LiteralBuffer, shape: [Int], depth: Int) {
        buffer.integers.append(self)
    }
}

extension Double: TensorLiteral {
    public static var inferredDType: DType { .defaultFloat }
    public func appendShape(to shape: inout [Int]) {}
    public func appendScalars(to buffer: inout LiteralBuffer, shape: [Int], depth: Int) {
        buffer.doubles.append(self)
    }
}

extension Float: TensorLiteral {
    public static var inferredDType: DType { .float32 }
    public func appendShape(to shape: inout [Int]) {}
    public func appendScalars(to buffer: inout LiteralBuffer, shape: [Int], depth: Int) {
        buffer.doubles.append(Double(self))
    }
}

extension Bool: TensorLiteral {
    public static var inferredDType: DType { .bool }
    public func appendShape(to shape: inout [Int]) {}
    public func appendScalars(to buffer: inout LiteralBuffer, shape: [Int], depth: Int) {
        buffer.doubles.append(self ? 1 : 0)
    }
}

extension Array: TensorLiteral where Element: TensorLiteral {
    public static var inferredDType: DType { Element.inferredDType }

    public func appendShape(to shape: inout [Int]) {
        shape.append(count)
        first?.appendShape(to: &shape)
    }

    public func appendScalars(to buffer: inout LiteralBuffer, shape: [Int], depth: Int) {
        check(depth < shape.count && count == shape[depth], "Tensor",
              depth < shape.count
                ? "expected sequence of length \(shape[depth]) at dim \(depth) (got \(count))"
                : "too many dimensions: a nested array is deeper than its first element")
        for element in self { element.appendScalars(to: &buffer, shape: shape, depth: depth + 1) }
    }
}

extension Tensor {
    /// Creates a tensor from a number or a nested array of numbers (`torch.tensor`).
    ///
    /// ```swift
    /// Tensor(3.0, requiresGrad: true)           // tensor(3., requires_grad=True)
    /// Tensor([[1], [2]], dtype: .float32)       // tensor([[1.], [2.]])
    /// Tensor([true, false])                     // tensor([ True, False])
    /// ```
    ///
    /// - Parameters:
    ///   - value: The scalars; nested arrays must not be ragged.
    ///   - dtype: The element type; by default inferred as PyTorch does.
    ///   - requiresGrad: Whether to record operations on the new leaf.
    public convenience init<L: TensorLiteral>(_ value: L, dtype: DType? = nil, requiresGrad: Bool = false) {
        var shape: [Int] = []
        value.appendShape(to: &shape)
        var buffer = LiteralBuffer()
        value.appendScalars(to: &buffer, shape: shape, depth: 0)
        let source: Tensor
        if L.inferredDType.isInteger {
            source = Tensor(shape: shape, scalars: buffer.integers)
        } else {
            source = Tensor(shape: shape, scalars: buffer.doubles)
        }
        let target = dtype ?? L.inferredDType
        self.init(copying: source.ensuring(target))
        self.requiresGrad = requiresGrad
    }

    /// Creates a tensor of the given shape from row-major scalars; the dtype is `T`'s.
    ///
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public convenience init<T: TensorScalar>(shape: [Int], scalars: [T], requiresGrad: Bool = false) {
        check(shape.allSatisfy { $0 >= 0 }, "Tensor", "negative dimension in shape \(shapeText(shape))")
        check(Shape.count(shape) == scalars.count, "Tensor",
              "shape \(shapeText(shape)) is invalid for input of size \(scalars.count)")
        self.init(uninitializedShape: shape, dtype: T.dtype)
        // Every TensorScalar's memory layout is its dtype's (Bool is one byte, 0 or 1).
        scalars.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress { baseAddress.copyMemory(from: source, byteCount: bytes.count) }
        }
        self.requiresGrad = requiresGrad
    }

    /// A new leaf that takes over `other`'s storage (used by convenience initialisers).
    convenience init(copying other: Tensor) {
        self.init(storage: other.storage, shape: other.shape, strides: other.strides,
                  offset: other.storageOffset, dtype: other.dtype)
    }
}
