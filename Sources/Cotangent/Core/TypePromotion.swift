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
