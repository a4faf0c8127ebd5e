extension Tensor {
    /// Seeds the default generator, so the random tensors that follow are
    /// bit-identical to PyTorch's after `torch.manual_seed(seed)`.
    ///
    /// As in PyTorch, only `seed` modulo 2^32 affects the numbers; negative
    /// seeds wrap modulo 2^64.
    public static func manualSeed(_ seed: Int) {
        Cotangent.Generator.default.manualSeed(UInt64(bitPattern: Int64(seed)))
    }

    /// Seeds the default generator with an unsigned 64-bit seed.
    public static func manualSeed(_ seed: UInt64) {
        Cotangent.Generator.default.manualSeed(seed)
    }

    /// Fills a float tensor in memory order from `fill`, which receives typed buffers.
    ///
    /// float16 and bfloat16 are drawn in float32 (PyTorch's opmath type) by
    /// `reduced`, then rounded; a value that rounds up to `upperBound` becomes
    /// `lowerBound`, as PyTorch's uniform kernel clamps it.
    private static func random(_ shape: [Int], dtype: DType, op: String,
                               float32: (UnsafeMutableBufferPointer<Float>) -> Void,
                               float64: (UnsafeMutableBufferPointer<Double>) -> Void,
                               reduced: (UnsafeMutableBufferPointer<Float>) -> Void,
                               bounds: (lower: Double, upper: Double)? = nil) -> Tensor {
        check(dtype.isFloatingPoint, op, "\"\(op)\" not implemented for '\(dtype)'; use a floating-point dtype")
        let t = empty(shape, dtype: dtype)
        switch dtype {
        case .float32: float32(UnsafeMutableBufferPointer(start: t.baseAddress.assumingMemoryBound(to: Float.self), count: t.count))
        case .float64: float64(UnsafeMutableBufferPointer(start: t.baseAddress.assumingMemoryBound(to: Double.self), count: t.count))
        default:
            let wide = empty(shape, dtype: .float32)
            reduced(UnsafeMutableBufferPointer(start: wide.baseAddress.assumingMemoryBound(to: Float.self), count: wide.count))
            Kernels.copy(wide, into: t)
            if let bounds, t.count > 0 {
                let upper = Tensor.full([], bounds.upper, dtype: dtype), lower = Tensor.full([], bounds.lower, dtype: dtype)
                Kernels.select(t .== upper, lower, t, into: t)
            }
        }
        return t
    }

    /// Uniform random numbers in [0, 1) (`torch.rand`).
    ///
    /// - Parameters:
    ///   - shape: The size of each dimension.
    ///   - dtype: `float32` (default) or `float64`.
    ///   - requiresGrad: Whether the new leaf records operations.
    ///   - generator: The generator to draw from; the seeded default if omitted.
    public static func rand(_ shape: [Int], dtype: DType = .defaultFloat, requiresGrad: Bool = false,
                            generator: Cotangent.Generator = .default) -> Tensor {
        let t = random(shape, dtype: dtype, op: "rand",
                       float32: { generator.fillUniform($0, from: 0, to: 1) },
                       float64: { generator.fillUniform($0, from: 0, to: 1) },
                       reduced: { generator.fillUniform($0, from: 0, to: 1) }, bounds: (0, 1))
        t.requiresGrad = requiresGrad
        return t
    }

    /// Uniform random numbers in [0, 1): `Tensor.rand(2, 3)`.
    public static func rand(_ shape: Int..., dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        rand(shape, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// Standard normal random numbers (`torch.randn`).
    public static func randn(_ shape: [Int], dtype: DType = .defaultFloat, requiresGrad: Bool = false,
                             generator: Cotangent.Generator = .default) -> Tensor {
        normal(mean: 0, std: 1, shape: shape, dtype: dtype, requiresGrad: requiresGrad, generator: generator)
    }

    /// Standard normal random numbers: `Tensor.randn(2, 3)`.
    public static func randn(_ shape: Int..., dtype: DType = .defaultFloat, requiresGrad: Bool = false) -> Tensor {
        randn(shape, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// Normal random numbers with the given mean and standard deviation (`torch.normal`).
    public static func normal(mean: Double, std: Double, shape: [Int], dtype: DType = .defaultFloat,
                              requiresGrad: Bool = false, generator: Cotangent.Generator = .default) -> Tensor {
        check(std >= 0, "normal", "normal expects std >= 0.0, but found std \(std)")
        let t = random(shape, dtype: dtype, op: "normal",
                       float32: { generator.fillNormal($0, mean: mean, std: std) },
                       float64: { generator.fillNormal($0, mean: mean, std: std) },
                       reduced: { generator.fillNormalForReducedFloat($0, mean: mean, std: std) })
        t.requiresGrad = requiresGrad
        return t
    }

    /// Random integers in `low ..< high` as `int64` (`torch.randint`).
    public static func randint(_ low: Int, _ high: Int, shape: [Int], dtype: DType = .int64,
                               generator: Cotangent.Generator = .default) -> Tensor {
        check(low < high, "randint", "random_ expects 'from' to be less than 'to', but got from=\(low) >= to=\(high)")
        let t = empty(shape, dtype: .int64)
        generator.fillRandomInt(UnsafeMutableBufferPointer(start: t.baseAddress.assumingMemoryBound(to: Int64.self), count: t.count),
                                low: Int64(low), high: Int64(high))
        return t.ensuring(dtype)
    }

    /// Random integers in `0 ..< high`.
    public static func randint(_ high: Int, shape: [Int], dtype: DType = .int64, generator: Cotangent.Generator = .default) -> Tensor {
        randint(0, high, shape: shape, dtype: dtype, generator: generator)
    }

    /// A random permutation of `0 ..< n` (`torch.randperm`).
    public static func randperm(_ n: Int, dtype: DType = .int64, generator: Cotangent.Generator = .default) -> Tensor {
        check(n >= 0, "randperm", "n must be non-negative, got\(n)")
        return Tensor(shape: [n], scalars: generator.randperm(n)).ensuring(dtype)
    }

    /// Overwrites this tensor with uniform random numbers in [from, to), in
    /// place, drawing in memory order as PyTorch's `uniform_` does.
    public func fillUniform(from: Double = 0, to: Double = 1, generator: Cotangent.Generator = .default) {
        fillRandom(op: "uniform_", generator: generator,
                   float32: { generator.fillUniform($0, from: from, to: to) },
                   float64: { generator.fillUniform($0, from: from, to: to) },
                   reduced: { generator.fillUniform($0, from: from, to: to) }, bounds: (from, to))
    }

    /// Overwrites this tensor with normal random numbers, in place (`normal_`).
    public func fillNormal(mean: Double = 0, std: Double = 1, generator: Cotangent.Generator = .default) {
        // PyTorch takes the scalar path for non-contiguous targets; mirror it.
        let contiguousTarget = isContiguous
        fillRandom(op: "normal_", generator: generator,
                   float32: { contiguousTarget ? generator.fillNormal($0, mean: mean, std: std) : generator.fillNormalScalarPath($0, mean: mean, std: std) },
                   float64: { contiguousTarget ? generator.fillNormal($0, mean: mean, std: std) : generator.fillNormalScalarPath($0, mean: mean, std: std) },
                   reduced: { generator.fillNormalForReducedFloat($0, mean: mean, std: std, contiguous: contiguousTarget) })
    }

    /// Draws into a buffer in memory order, then writes it through this view.
    private func fillRandom(op: String, generator: Generator,
                            float32: (UnsafeMutableBufferPointer<Float>) -> Void,
                            float64: (UnsafeMutableBufferPointer<Double>) -> Void,
                            reduced: (UnsafeMutableBufferPointer<Float>) -> Void,
                            bounds: (lower: Double, upper: Double)? = nil) {
        check(dtype.isFloatingPoint, op, "\"\(op)\" not implemented for '\(dtype)'")
        // Elements are drawn in increasing memory address, whatever the view's order.
        let order = (0..<rank).sorted { strides[$0] > strides[$1] }
        let memoryOrdered = withNoGrad { permuted(order) }
        let buffer = Tensor.random(memoryOrdered.shape, dtype: dtype, op: op, float32: float32, float64: float64,
                                   reduced: reduced, bounds: bounds)
        updateInPlace(op, direct: true, write: { Kernels.copy(buffer, into: memoryOrdered) }) { _ in
            buffer.permuted(order.indices.map { order.firstIndex(of: $0)! })
        }
    }
}
