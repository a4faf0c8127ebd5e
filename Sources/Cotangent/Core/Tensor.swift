import CCotangentKernels

/// An n-dimensional array of numbers that records the operations applied to it,
/// so gradients can flow back through them (PyTorch's `torch.Tensor`).
///
/// `Tensor` is a class: assigning one to another variable shares it, as in
/// PyTorch. Views (``reshaped(_:)-(Int...)``, ``transposed(_:_:)``, slicing) share
/// storage with their base, and writing through a view is seen by the base.
///
/// A tensor is not thread-safe: like a PyTorch tensor, use it from one task at
/// a time, and hand results across tasks only once no one mutates them.
public final class Tensor {
    /// The size of each dimension.
    public let shape: [Int]
    /// The distance, in elements, between neighbours along each dimension.
    public let strides: [Int]
    /// The element offset of the first element in ``storage``.
    let storageOffset: Int
    let storage: Storage
    /// The number of elements (PyTorch's `numel()`).
    public let count: Int

    // MARK: Autograd state (see Autograd/)

    /// The node last set as this tensor's history; read it through `gradNode`,
    /// which brings a view's history up to date first (see Autograd/ViewHistory.swift).
    var storedGradNode: Node?
    /// For a view: the storage version at which `storedGradNode` was set
    /// (PyTorch's `attr_version`). A write to the storage since then, through
    /// the base or any view, makes the view's history stale.
    var viewHistoryVersion: Int = 0
    /// The accumulated gradient (leaves, or non-leaves after `retainGrad()`).
    var gradStorage: Tensor?
    /// The tensor this one is a view of, if it was made by a view op.
    let viewBase: Tensor?
    /// Cached AccumulateGrad node, for `gradFn.nextFunctions` (weak: the node holds the leaf).
    weak var accumulatorNode: Node?
    /// Hooks registered on this leaf (`registerHook`, `registerPostAccumulateGradHook`); nil for almost all tensors.
    var leafHooks: LeafHooks?
    /// Set on the outputs of an op that returns several views (`split`,
    /// `chunked`) and on views of them: PyTorch refuses to change those in
    /// place while recording (see `updateInPlace`).
    var multiOutputView: MultiOutputView?

    // MARK: One-byte fields, last, so the object stays within 120 bytes: small
    // enough for malloc's fast bins, which matters when a backward pass frees
    // a whole graph of tensors at once.

    /// The element type.
    public let dtype: DType
    /// Whether elements are laid out row-major with no gaps, so the tensor can
    /// be viewed with any shape of the same count (always true when empty, as in PyTorch).
    public let isContiguous: Bool
    /// Set by the user on leaves only; non-leaves require grad through `gradFn`.
    var leafRequiresGrad: Bool = false
    /// Whether this view was made with grad mode off: PyTorch refuses to bring
    /// such a view's history up to date after a write (see Autograd/ViewHistory.swift).
    var viewMadeWithoutGrad: Bool
    var retainsGradFlag = false
    /// Whether this 0-d tensor stands for a Swift number in an expression like
    /// `2 * x`; such operands never widen a tensor's dtype within its category.
    var isWrappedNumber = false

    init(storage: Storage, shape: [Int], strides: [Int], offset: Int, dtype: DType, viewOf base: Tensor? = nil) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.storageOffset = offset
        self.dtype = dtype
        self.viewBase = base.map { $0.viewBase ?? $0 }
        self.viewHistoryVersion = storage.version
        self.viewMadeWithoutGrad = base != nil && !GradMode.isEnabled
        // A view of one output of a multi-output view op is output 0 of its own view op.
        self.multiOutputView = base?.multiOutputView.map { MultiOutputView(index: 0, madeWithoutGrad: $0.madeWithoutGrad) }
        let count = Shape.count(shape)
        self.count = count
        self.isContiguous = count == 0 || Shape.isRowMajor(shape: shape, strides: strides)
    }

    /// A new contiguous tensor whose elements are not initialised.
    convenience init(uninitializedShape shape: [Int], dtype: DType) {
        let count = Shape.count(shape)
        self.init(wholeStorage: Storage(byteCount: count * dtype.byteSize), shape: shape, count: count, dtype: dtype)
    }

    /// A new contiguous tensor over all of `storage`, of `count` elements of `dtype`
    /// (a fresh buffer, or a pending op's result).
    init(wholeStorage storage: Storage, shape: [Int], count: Int, dtype: DType) {
        self.storage = storage
        self.shape = shape
        self.strides = Shape.contiguousStrides(shape)
        self.storageOffset = 0
        self.dtype = dtype
        self.viewBase = nil
        self.viewMadeWithoutGrad = false
        self.count = count
        self.isContiguous = true
    }

    // MARK: Geometry

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The size of one dimension; negative dims count from the end.
    public func size(_ dim: Int) -> Int { shape[Shape.normalize(dim: dim, rank: rank, op: "size")] }

    /// A pointer to the first element.
    var baseAddress: UnsafeMutableRawPointer { storage.data + storageOffset * dtype.byteSize }

    /// Reads the elements row-major as `T`, which must match ``dtype``.
    func withElements<T, R>(_ type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        let c = contiguous()
        return try withExtendedLifetime(c) {
            try body(UnsafeBufferPointer(start: c.baseAddress.assumingMemoryBound(to: T.self), count: c.count))
        }
    }

    // MARK: Reading values out

    /// The elements in row-major order, converted to `T` as ``to(_:)`` converts.
    public func scalars<T: TensorScalar>(as type: T.Type) -> [T] {
        let converted = T.dtype == dtype ? contiguous() : to(T.dtype)
        return converted.withElements(T.self) { Array($0) }
    }

    /// The value of a one-element tensor as a `Double` (PyTorch's `item()`).
    public func item() -> Double {
        check(count == 1, "item", "a Tensor with \(count) elements cannot be converted to Scalar")
        return elementAsDouble(0)
    }

    /// The value of a one-element tensor as `T`.
    public func item<T: TensorScalar>(as type: T.Type) -> T {
        check(count == 1, "item", "a Tensor with \(count) elements cannot be converted to Scalar")
        return scalars(as: T.self)[0]
    }

    /// The element at a row-major flat index, widened to `Double` (for printing and tests).
    func elementAsDouble(_ flatIndex: Int) -> Double {
        let p = baseAddress + offsetOfFlatIndex(flatIndex) * dtype.byteSize
        switch dtype {
        case .float32: return Double(p.load(as: Float.self))
        case .float64: return p.load(as: Double.self)
        case .int32: return Double(p.load(as: Int32.self))
        case .int64: return Double(p.load(as: Int64.self))
        case .bool: return p.load(as: UInt8.self) != 0 ? 1 : 0
        case .uint8: return Double(p.load(as: UInt8.self))
        case .int8: return Double(p.load(as: Int8.self))
        case .int16: return Double(p.load(as: Int16.self))
        case .float16: return Double(floatFromHalf(p.load(as: UInt16.self)))
        case .bfloat16: return Double(floatFromBFloat16(p.load(as: UInt16.self)))
        }
    }

    /// The element at a row-major flat index as `Int64` (exact for integer dtypes).
    func elementAsInt64(_ flatIndex: Int) -> Int64 {
        let p = baseAddress + offsetOfFlatIndex(flatIndex) * dtype.byteSize
        switch dtype {
        case .int32: return Int64(p.load(as: Int32.self))
        case .int64: return p.load(as: Int64.self)
        case .bool: return Int64(p.load(as: UInt8.self))
        case .float32: return Int64(p.load(as: Float.self))
        case .float64: return Int64(p.load(as: Double.self))
        case .uint8: return Int64(p.load(as: UInt8.self))
        case .int8: return Int64(p.load(as: Int8.self))
        case .int16: return Int64(p.load(as: Int16.self))
        case .float16, .bfloat16: return Int64(elementAsDouble(flatIndex))
        }
    }

    /// The storage offset (relative to ``baseAddress``) of a row-major flat index.
    func offsetOfFlatIndex(_ flatIndex: Int) -> Int {
        var rest = flatIndex, offset = 0
        for d in stride(from: rank - 1, through: 0, by: -1) {
            offset += (rest % shape[d]) * strides[d]
            rest /= shape[d]
        }
        return offset
    }
}
