extension Tensor {
    /// A tensor of `shape` filled with `value` (`torch.full`).
    ///
    /// - Parameters:
    ///   - shape: The size of each dimension.
    ///   - value: The value of every element, converted to `dtype`.
    ///   - dtype: The element type (default `float32`).
    ///   - requiresGrad: Whether the new leaf records operations.
    /// - Complexity: O(n) in the number of elements.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        let t = empty(shape, dtype: dtype)
        Kernels.fill(t, with: value)
        t.requiresGrad = requiresGrad
        return t
    }

    /// A tensor of `shape` whose elements are not initialised (`torch.empty`).
    public static func empty(_ shape: [Int], dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        check(shape.allSatisfy { $0 >= 0 }, "empty",
              "Trying to create tensor with negative dimension \(shape.first { $0 < 0 }!): \(shapeText(shape))")
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        t.requiresGrad = requiresGrad
        return t
    }

    /// A tensor of `shape` whose elements are not initialised.
    public static func empty(_ shape: Int..., dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        empty(shape, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// A tensor of zeros (`torch.zeros`).
    public static func zeros(_ shape: [Int], dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        full(shape, 0, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// A tensor of zeros: `Tensor.zeros(2, 3)`.
    public static func zeros(_ shape: Int..., dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        zeros(shape, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// A tensor of ones (`torch.ones`).
    public static func ones(_ shape: [Int], dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// A tensor of ones: `Tensor.ones(4)`.
    public static func ones(_ shape: Int..., dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        ones(shape, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// Zeros with the shape (and, by default, the dtype) of `other`.
    public static func zeros(like other: Tensor, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor {
        zeros(other.shape, dtype: dtype ?? other.dtype, requiresGrad: requiresGrad)
    }

    /// Ones with the shape (and, by default, the dtype) of `other`.
    public static func ones(like other: Tensor, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor {
        ones(other.shape, dtype: dtype ?? other.dtype, requiresGrad: requiresGrad)
    }

    /// `value` everywhere, with the shape (and, by default, the dtype) of `other`.
    public static func full(like other: Tensor, _ value: Double, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor {
        full(other.shape, value, dtype: dtype ?? other.dtype, requiresGrad: requiresGrad)
    }

    /// Uninitialised, with the shape (and, by default, the dtype) of `other`.
    public static func empty(like other: Tensor, dtype: DType? = nil, requiresGrad: Bool = false) -> Tensor {
        empty(other.shape, dtype: dtype ?? other.dtype, requiresGrad: requiresGrad)
    }

    /// The integers `0 ..< end` as `int64` (`torch.arange(4)`).
    public static func arange(_ end: Int, dtype: DType = .int64, requiresGrad: Bool = false) -> Tensor {
        arange(0, end, step: 1, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// The integers from `start` up to (not including) `end` in steps of `step`, as `int64`.
    public static func arange(_ start: Int, _ end: Int, step: Int = 1, dtype: DType = .int64, requiresGrad: Bool = false) -> Tensor {
        if dtype.isFloatingPoint {
            return arange(Double(start), Double(end), step: Double(step), dtype: dtype, requiresGrad: requiresGrad)
        }
        check(step != 0, "arange", "step must be nonzero")
        check((step > 0 && end >= start) || (step < 0 && end <= start), "arange",
              "upper bound and larger bound inconsistent with step sign")
        let n = (end - start + step - (step > 0 ? 1 : -1)) / step
        let values = (0..<Swift.max(n, 0)).map { Int64(start + $0 * step) }
        let t = Tensor(shape: [values.count], scalars: values).ensuring(dtype)
        t.requiresGrad = requiresGrad
        return t
    }

    /// `0, 1, ..., < end` in the default float dtype (`torch.arange(4.)`).
    public static func arange(_ end: Double, dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        arange(0, end, step: 1, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// Values from `start` up to (not including) `end` in steps of `step`, in the
    /// default float dtype; the count is `ceil((end - start) / step)` as in PyTorch.
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        check(step != 0, "arange", "step must be nonzero")
        check(start.isFinite && end.isFinite, "arange", "unsupported range: \(start) -> \(end)")
        check((step > 0 && end >= start) || (step < 0 && end <= start), "arange",
              "upper bound and larger bound inconsistent with step sign")
        let n = Int(((end - start) / step).rounded(.up))
        let t: Tensor
        switch dtype {
        case .float32:
            let values = arangeValues(start: start, step: step, count: n, lanes: 8) { Double(Float($0)) }
            t = Tensor(shape: [n], scalars: values.map { Float($0) })
        case .float64:
            t = Tensor(shape: [n], scalars: arangeValues(start: start, step: step, count: n, lanes: 4) { $0 })
        default:
            // Integers: start + i * step in double, converted to the dtype.
            t = Tensor(shape: [n], scalars: (0..<n).map { start.addingProduct(step, Double($0)) }).ensuring(dtype)
        }
        t.requiresGrad = requiresGrad
        return t
    }

    /// The values of PyTorch's CPU arange kernel, bit for bit (`RangeFactoriesKernel.cpp`).
    ///
    /// The kernel splits the range into one chunk per thread when it exceeds
    /// PyTorch's grain size (32768), and each chunk into blocks of `2 * lanes`
    /// elements (its `Vectorized` width: 8 floats or 4 doubles on x86), with a
    /// scalar loop for the rest. A block's base is `start + step * index` in
    /// double, fused into one rounding (the compiler's FMA), and rounded to the
    /// dtype (`round`); its elements are `base + k * step`, fused, then rounded.
    /// The scalar loop rounds the fused `start + step * index`. Tested against
    /// PyTorch over many ranges in `RegressionTests`.
    private static func arangeValues(start: Double, step: Double, count n: Int, lanes: Int,
                                     round: (Double) -> Double) -> [Double] {
        let grain = 32768
        let chunks = n > grain ? Swift.min(Swift.max(numThreads, 1), (n + grain - 1) / grain) : 1
        let chunk = n == 0 ? 0 : (n + chunks - 1) / chunks
        var values: [Double] = []
        values.reserveCapacity(n)
        var begin = 0
        while begin < n {
            let end = Swift.min(begin + chunk, n)
            var index = begin
            while end - index >= 2 * lanes {
                for _ in 0..<2 {
                    let base = round(start.addingProduct(step, Double(index)))
                    for k in 0..<lanes { values.append(round(base.addingProduct(Double(k), step))) }
                    index += lanes
                }
            }
            while index < end {
                values.append(round(start.addingProduct(step, Double(index))))
                index += 1
            }
            begin = end
        }
        return values
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive (`torch.linspace`).
    ///
    /// Bit for bit as PyTorch's CPU kernel: the step is `(end - start) / (steps - 1)`
    /// in the dtype; the first half is `start + step * i` and the second
    /// `end - step * (steps - 1 - i)`, each fused into one rounding.
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        check(steps >= 0, "linspace", "number of steps must be non-negative")
        let t: Tensor
        let half = steps / 2
        switch dtype {
        case .float32:
            let s = Float(start), e = Float(end)
            let step = steps > 1 ? (e - s) / Float(steps - 1) : 0
            let values = (0..<steps).map { i -> Float in
                steps == 1 ? s : (i < half ? s.addingProduct(step, Float(i)) : e.addingProduct(-step, Float(steps - i - 1)))
            }
            t = Tensor(shape: [steps], scalars: values)
        default:
            let step = steps > 1 ? (end - start) / Double(steps - 1) : 0
            let values = (0..<steps).map { i -> Double in
                steps == 1 ? start : (i < half ? start.addingProduct(step, Double(i)) : end.addingProduct(-step, Double(steps - i - 1)))
            }
            t = Tensor(shape: [steps], scalars: values).ensuring(dtype)
        }
        t.requiresGrad = requiresGrad
        return t
    }

    /// The `n` x `m` identity matrix (`torch.eye`).
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        let cols = m ?? n
        let t = zeros([n, cols], dtype: dtype)
        if n > 0 && cols > 0 {
            let diagonal = Tensor(storage: t.storage, shape: [Swift.min(n, cols)], strides: [cols + 1], offset: 0, dtype: dtype)
            Kernels.fill(diagonal, with: 1)
        }
        t.requiresGrad = requiresGrad
        return t
    }
}
