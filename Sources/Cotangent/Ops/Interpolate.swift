import CCotangentKernels

// Resampling (`torch.nn.functional.interpolate`). Every mode is separable:
// along each spatial dim, output position o is a weighted sum of a few input
// positions ("taps"), computed once from PyTorch's source-index rules. The
// forward and the backward are then index ops: the forward gathers and weighs,
// the backward scatters the weighted gradient back. They are spelled below in
// tensor ops (which a recorded double backward needs) and run, with the same
// values, as one C kernel (`ct_interpolate` in interpolate.c) otherwise.

/// How ``interpolate(_:size:scaleFactor:mode:alignCorners:)`` computes values.
public enum InterpolationMode: String, Sendable, Hashable {
    /// The input element at `floor(o · in / out)` (PyTorch's `nearest`).
    case nearest
    /// The input element at `floor((o + 0.5) · in / out)` (`nearest-exact`, matching scikit-image and PIL).
    case nearestExact = "nearest-exact"
    /// Linear interpolation of a 3-d (N, C, L) input.
    case linear
    /// Linear in both spatial dims of a 4-d (N, C, H, W) input.
    case bilinear
    /// Cubic convolution (A = -0.75) in both spatial dims of a 4-d input.
    case bicubic
    /// The average of each output cell's input window (adaptive average pooling).
    case area
}

/// The taps of one spatial dim: for each of `count` taps, an input position
/// and a weight per output position.
private struct Taps {
    var indices: [[Int64]]
    var weights: [[Double]]

    /// PyTorch's source coordinate of output position `o`.
    static func source(_ o: Int, scale: Double, alignCorners: Bool, cubic: Bool) -> Double {
        if alignCorners { return scale * Double(o) }
        let s = scale * (Double(o) + 0.5) - 0.5
        return !cubic && s < 0 ? 0 : s
    }

    init(mode: InterpolationMode, input n: Int, output m: Int, scaleFactor: Double?, alignCorners: Bool) {
        // PyTorch's scale: from the scale factor when given (and not align_corners), else sizes.
        let scale: Double
        if alignCorners {
            scale = m > 1 ? Double(n - 1) / Double(m - 1) : 0
        } else if let scaleFactor, mode != .area {
            scale = 1 / scaleFactor
        } else {
            scale = Double(n) / Double(m)
        }
        switch mode {
        case .nearest, .nearestExact:
            // In float, as PyTorch's nearest_idx computes it (floorf).
            let offset: Float = mode == .nearestExact ? 0.5 : 0
            indices = [(0..<m).map { o in
                m == n ? Int64(o) : Int64(Swift.min(Int(((Float(o) + offset) * Float(scale)).rounded(.down)), n - 1))
            }]
            weights = [[Double](repeating: 1, count: m)]
        case .linear, .bilinear:
            var i0 = [Int64](), i1 = [Int64](), w0 = [Double](), w1 = [Double]()
            for o in 0..<m {
                let s = Taps.source(o, scale: scale, alignCorners: alignCorners, cubic: false)
                let lo = Swift.min(Int(s), n - 1), hi = Swift.min(lo + 1, n - 1)
                let lambda = Swift.min(Swift.max(s - Double(lo), 0), 1)
                i0.append(Int64(lo)); i1.append(Int64(hi)); w0.append(1 - lambda); w1.append(lambda)
            }
            indices = [i0, i1]
            weights = [w0, w1]
        case .bicubic:
            let a = -0.75
            indices = Array(repeating: [], count: 4)
            weights = Array(repeating: [], count: 4)
            for o in 0..<m {
                let s = Taps.source(o, scale: scale, alignCorners: alignCorners, cubic: true)
                let base = Int(s.rounded(.down)), t = s - Double(base)
                let w = [((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
                         ((a + 2) * t - (a + 3)) * t * t + 1,
                         ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
                         ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a]
                for k in 0..<4 {
                    indices[k].append(Int64(Swift.min(Swift.max(base - 1 + k, 0), n - 1)))
                    weights[k].append(w[k])
                }
            }
        case .area:
            // Adaptive average pooling: window [floor(o n / m), ceil((o + 1) n / m)).
            let windows = (0..<m).map { o in (o * n / m, ((o + 1) * n + m - 1) / m) }
            let width = windows.map { $0.1 - $0.0 }.max() ?? 0
            indices = Array(repeating: [], count: width)
            weights = Array(repeating: [], count: width)
            for (start, end) in windows {
                for k in 0..<width {
                    indices[k].append(Int64(Swift.min(start + k, n - 1)))
                    weights[k].append(start + k < end ? 1 / Double(end - start) : 0)
                }
            }
        }
    }
}

/// The forward (or, with `backward`, the adjoint) of the taps in one C kernel
/// (`ct_interpolate`), with the values of the tensor-op spelling in
/// ``interpolate(_:size:scaleFactor:mode:alignCorners:)``; nil where the kernel
/// does not apply (then the tensor ops run).
private func resampleKernel(_ x: Tensor, taps: [Taps], to shape: [Int], backward: Bool) -> Tensor? {
    guard [.float32, .float64, .float16, .bfloat16].contains(x.dtype), shape.allSatisfy({ $0 > 0 }) else { return nil }
    let input = x.contiguous()
    let inSpatial = Array((backward ? shape : x.shape).dropFirst(2))
    let outSpatial = Array((backward ? x.shape : shape).dropFirst(2))
    let planes = Int64(x.shape[0] * x.shape[1])
    let out = Tensor(uninitializedShape: shape, dtype: x.dtype)
    // Height then width; a 3-d input has no height taps.
    let h = taps.count == 2 ? taps[0] : nil, w = taps[taps.count - 1]
    let hIndices = h?.indices.flatMap { $0 } ?? [], hWeights = h?.weights.flatMap { $0 } ?? []
    let wIndices = w.indices.flatMap { $0 }, wWeights = w.weights.flatMap { $0 }
    let inH = Int64(h == nil ? 1 : inSpatial[0]), outH = Int64(h == nil ? 1 : outSpatial[0])
    let inW = Int64(inSpatial.last!), outW = Int64(outSpatial.last!)
    let kernel = backward ? ct_interpolate_backward : ct_interpolate
    let ok = kernel(x.dtype.kernelCode, planes, inH, inW, outH, outW, Int32(h?.indices.count ?? 0), hIndices,
                    hWeights, Int32(w.indices.count), wIndices, wWeights, input.baseAddress, out.baseAddress)
    return ok ? out : nil
}

/// Resamples the spatial dims of a batch of images or signals (`torch.nn.functional.interpolate`).
///
/// - Parameters:
///   - input: `(N, C, L)` for `.nearest`, `.nearestExact`, `.linear` and
///     `.area`; `(N, C, H, W)` for those and `.bilinear`, `.bicubic`.
///   - size: The output's spatial size (one per spatial dim), or nil.
///   - scaleFactor: The factor to scale each spatial dim by (the output size
///     is its floor), or nil; give exactly one of `size` and `scaleFactor`.
///   - mode: How values are computed (default `.nearest`).
///   - alignCorners: For the interpolating modes: map the corner pixels'
///     centres onto each other (PyTorch's `align_corners`; default false).
/// - Returns: The resampled tensor, recorded as PyTorch's node for the mode
///   (`UpsampleBilinear2DBackward0`, …, `AdaptiveAvgPool2DBackward0` for `.area`).
public func interpolate(_ input: Tensor, size: [Int]? = nil, scaleFactor: Double? = nil,
                        mode: InterpolationMode = .nearest, alignCorners: Bool? = nil) -> Tensor {
    check(size != nil || scaleFactor != nil, "interpolate", "either size or scale_factor should be defined")
    check(size == nil || scaleFactor == nil, "interpolate", "only one of size or scale_factor should be defined")
    let interpolating = [.linear, .bilinear, .bicubic].contains(mode)
    check(alignCorners == nil || interpolating, "interpolate",
          "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
    check(input.rank >= 3 && input.rank <= 4, "interpolate",
          "Input Error: Only 3D and 4D input Tensors supported (got \(input.rank)D) for the modes: nearest | linear | bilinear | bicubic | area | nearest-exact (got \(mode.rawValue))")
    if mode == .linear { check(input.rank == 3, "interpolate", "Got \(input.rank)D input, but linear mode needs 3D input") }
    if mode == .bilinear || mode == .bicubic {
        check(input.rank == 4, "interpolate", "Got \(input.rank)D input, but \(mode.rawValue) mode needs 4D input")
    }
    check(input.dtype.isFloatingPoint, "interpolate", "\"upsample_\(mode.rawValue)\" not implemented for '\(input.dtype.scalarTypeName)'")
    let spatial = Array(input.shape[2...])
    let outSize: [Int]
    if let size {
        check(size.count == spatial.count || size.count == 1, "interpolate",
              "Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of \(shapeText(spatial)) and output size of (\(size.map(String.init).joined(separator: ", "))). Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
        outSize = size.count == 1 ? Array(repeating: size[0], count: spatial.count) : size
    } else {
        outSize = spatial.map { Int((Double($0) * scaleFactor!).rounded(.down)) }
    }
    check(outSize.allSatisfy { $0 > 0 } && spatial.allSatisfy { $0 > 0 }, "interpolate",
          "Input and output sizes should be greater than 0, but got input (\(spatial.map(String.init).joined(separator: ", "))) and output (\(outSize.map(String.init).joined(separator: ", ")))")
    let dims = spatial.indices.map { 2 + $0 }
    let taps = zip(spatial, outSize).map { n, m in
        Taps(mode: mode, input: n, output: m, scaleFactor: size == nil ? scaleFactor : nil, alignCorners: alignCorners ?? false)
    }
    let rank = input.rank
    /// The weights of one tap as a tensor that broadcasts along `dim`.
    func weight(_ w: [Double], dim: Int, like x: Tensor) -> Tensor {
        var shape = [Int](repeating: 1, count: rank)
        shape[dim] = w.count
        return Tensor(shape: shape, scalars: w).to(x.dtype)
    }
    let result = withNoGrad { () -> Tensor in
        if let out = resampleKernel(input, taps: taps, to: Array(input.shape.prefix(2)) + outSize, backward: false) {
            return out
        }
        // The last dim first, as PyTorch's kernels combine W before H.
        var x = input
        for (d, t) in zip(dims, taps).reversed() {
            var sum: Tensor?
            for (idx, w) in zip(t.indices, t.weights) {
                let picked = x.indexSelect(dim: d, Tensor(shape: [idx.count], scalars: idx))
                let term = w.allSatisfy({ $0 == 1 }) ? picked : picked * weight(w, dim: d, like: x)
                sum = sum.map { $0 + term } ?? term
            }
            x = sum!
        }
        return x.contiguous()
    }
    let name: String
    switch mode {
    case .area: name = rank == 3 ? "SqueezeBackward1" : "AdaptiveAvgPool2DBackward0"
    case .nearest: name = "UpsampleNearest\(rank - 2)DBackward0"
    case .nearestExact: name = "UpsampleNearestExact\(rank - 2)DBackward0"
    case .linear: name = "UpsampleLinear1DBackward0"
    case .bilinear: name = "UpsampleBilinear2DBackward0"
    case .bicubic: name = "UpsampleBicubic2DBackward0"
    }
    let inputShape = input.shape
    return Tensor.record(name, inputs: [input], result: result) { grad, _ in
        // Unless the backward is itself recorded, one kernel computes the ops below.
        if !GradMode.isEnabled, let g = resampleKernel(grad, taps: taps, to: inputShape, backward: true) { return [g] }
        // The adjoint, dim by dim in reverse: each tap's weighted gradient added back to its input position.
        var g = grad
        for (d, t) in zip(dims, taps) {
            var shape = g.shape
            shape[d] = inputShape[d]
            var back = Tensor.zeros(shape, dtype: g.dtype)
            for (idx, w) in zip(t.indices, t.weights) {
                let term = w.allSatisfy({ $0 == 1 }) ? g : g * weight(w, dim: d, like: g)
                back = back.indexAdd(dim: d, index: Tensor(shape: [idx.count], scalars: idx), source: term)
            }
            g = back
        }
        return [g]
    }
}
