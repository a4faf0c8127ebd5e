import Synchronization
extension DType {
    /// PyTorch's `result_type` for the operands of an op: tensors with dimensions
    /// decide within a category, then 0-d tensors, then Swift numbers, so
    /// `float32 tensor * 2.5` stays `float32` but `int64 tensor * 2.5` is `float32`.
    static func resultType(_ operands: [Tensor]) -> DType {
        var dimResult: DType?, zeroDimResult: DType?, wrappedResult: DType?
        for t in operands {
            if t.isWrappedNumber {
                // A Swift floating-point number counts as the default float dtype.
                let d: DType = t.dtype.isFloatingPoint ? .defaultFloat : t.dtype
                wrappedResult = wrappedResult.map { promoted($0, d) } ?? d
            } else if t.rank == 0 {
                zeroDimResult = zeroDimResult.map { promoted($0, t.dtype) } ?? t.dtype
            } else {
                dimResult = dimResult.map { promoted($0, t.dtype) } ?? t.dtype
            }
        }
        return combine(dimResult, combine(zeroDimResult, wrappedResult)) ?? .defaultFloat
    }

    private static func combine(_ higher: DType?, _ lower: DType?) -> DType? {
        guard let higher else { return lower }
        guard let lower else { return higher }
        if higher.isFloatingPoint { return higher }
        if higher == .bool || lower.isFloatingPoint { return promoted(higher, lower) }
        return higher
    }

    /// Whether a value of this dtype can be written into `target` in place
    /// (PyTorch's `can_cast`: never to a lower category).
    func canCast(to target: DType) -> Bool { category <= target.category }
}

extension Tensor {
    /// A 0-d tensor standing for a Swift number in a mixed expression.
    convenience init(wrapping value: Double) {
        self.init(uninitializedShape: [], dtype: .float64)
        baseAddress.storeBytes(of: value, as: Double.self)
        isWrappedNumber = true
    }

    /// A 0-d tensor standing for a Swift integer in a mixed expression.
    convenience init(wrapping value: Int) {
        self.init(uninitializedShape: [], dtype: .int64)
        baseAddress.storeBytes(of: Int64(value), as: Int64.self)
        isWrappedNumber = true
    }

    /// A 0-d tensor standing for a Swift Bool in a mixed expression.
    convenience init(wrapping value: Bool) {
        self.init(uninitializedShape: [], dtype: .bool)
        baseAddress.storeBytes(of: value ? 1 : 0, as: UInt8.self)
        isWrappedNumber = true
    }
}

extension Tensor {
    /// A wrapped Swift number converted to `dtype` by a direct store (no kernel call).
    convenience init(wrappedValueOf number: Tensor, as dtype: DType) {
        self.init(uninitializedShape: [], dtype: dtype)
        isWrappedNumber = true
        let p = baseAddress
        if number.dtype.isFloatingPoint {
            dtype.store(number.elementAsDouble(0), at: p)
        } else {
            dtype.store(number.elementAsInt64(0), at: p)
        }
    }
}

extension DType {
    /// `resultType` for the common two-operand case, without building an array.
    static func resultType(_ a: Tensor, _ b: Tensor) -> DType {
        if a.dtype == b.dtype { return a.dtype }
        return resultType([a, b])
    }
}

extension Tensor {
    /// A Swift number wrapped for an op with `other`, stored directly in the
    /// dtype promotion will pick when `other` is a floating-point tensor (saves
    /// a conversion on every `x * 2`).
    convenience init(wrapping value: Double, matching other: Tensor) {
        guard other.dtype.isFloatingPoint, !other.isWrappedNumber else {
            self.init(wrapping: value)
            return
        }
        self.init(uninitializedShape: [], dtype: other.dtype)
        isWrappedNumber = true
        switch other.dtype {
        case .float32: baseAddress.storeBytes(of: Float(value), as: Float.self)
        case .float64: baseAddress.storeBytes(of: value, as: Double.self)
        default: other.dtype.store(value, at: baseAddress)
        }
    }

    /// A Swift number wrapped for an op with `other`, as
    /// ``init(wrapping:matching:)-(Double,_)`` makes it, but shared: the recently
    /// wrapped values are kept and handed out again, so `y * 1.01` in a loop
    /// allocates no tensor for the number. A wrapped number is never written,
    /// never requires grad and never gets a history, so sharing it is unseen.
    static func wrapped(_ value: Double, matching other: Tensor) -> Tensor {
        guard other.dtype == .float32 || other.dtype == .float64, !other.isWrappedNumber else {
            return Tensor(wrapping: value, matching: other)
        }
        return WrappedNumbers.tensor(value, matching: other)
    }

    /// A Swift integer wrapped for an op with `other`, shared as ``wrapped(_:matching:)-(Double,_)``.
    static func wrapped(_ value: Int, matching other: Tensor) -> Tensor {
        guard other.dtype.isFloatingPoint, !other.isWrappedNumber else { return Tensor(wrapping: value) }
        return wrapped(Double(value), matching: other)
    }

    /// A Swift integer wrapped for an op with `other` (see the `Double` form).
    convenience init(wrapping value: Int, matching other: Tensor) {
        guard other.dtype.isFloatingPoint, !other.isWrappedNumber else {
            self.init(wrapping: value)
            return
        }
        self.init(wrapping: Double(value), matching: other)
    }
}

/// The wrapped numbers ``Tensor/wrapped(_:matching:)-(Double,_)`` hands out:
/// a small direct-mapped table keyed by the value's bits and the dtype.
private enum WrappedNumbers {
    /// A shared wrapped number (only ever read, so it may cross threads).
    struct Entry: @unchecked Sendable {
        let bits: UInt64
        let dtype: DType
        let tensor: Tensor
    }
    private static let slots = 32
    private static let table = Mutex<[Entry?]>(Array(repeating: nil, count: slots))

    /// `Tensor(wrapping: value, matching: other)`, from the table when it holds one.
    static func tensor(_ value: Double, matching other: Tensor) -> Tensor {
        let bits = value.bitPattern, dtype = other.dtype
        // Fibonacci hashing of the bits: neighbouring values land in different slots.
        let slot = Int(truncatingIfNeeded: (bits &* 0x9E37_79B9_7F4A_7C15) >> 59) ^ (dtype == .float32 ? 1 : 0)
        let hit = table.withLock { t -> Entry? in t[slot] }
        if let hit, hit.bits == bits, hit.dtype == dtype { return hit.tensor }
        let t = Tensor(wrapping: value, matching: other)
        let entry = Entry(bits: bits, dtype: dtype, tensor: t)
        // The evicted entry is released outside the lock.
        let evicted = table.withLock { t -> Entry? in
            let old = t[slot]
            t[slot] = entry
            return old
        }
        _ = evicted
        return t
    }
}
