extension Transforms {
    /// Resizes images to `size` (torchvision's `Resize` on tensors, `v2.Resize` and `F.resize`).
    ///
    /// Bilinear by default, with torchvision's default `antialias: true`
    /// (torchvision ≥ 0.17 on tensors): when shrinking, each output pixel
    /// averages the input under a triangle filter stretched by the scale, as
    /// PyTorch's `F.interpolate(…, mode: "bilinear", antialias=True)`; when
    /// enlarging, that is plain bilinear interpolation. With `antialias: false`
    /// it is ``interpolate(_:size:scaleFactor:mode:alignCorners:)`` with
    /// `.bilinear` and `alignCorners: false`. `.nearest` ignores `antialias`, as torchvision does.
    ///
    /// - Parameters:
    ///   - size: `[height, width]`, or one number: the shorter side's new length,
    ///     the longer side scaled to keep the aspect ratio (truncated, as torchvision does).
    ///   - interpolation: `.bilinear` (default) or `.nearest`.
    ///   - antialias: Whether shrinking filters first (default true).
    /// - Returns: A transform of floating-point `[C, H, W]` or `[N, C, H, W]` images.
    /// - Complexity: O(N·C·H·W·(h + w)) per image batch (two small matrix products).
    public static func resize(_ size: [Int], interpolation: InterpolationMode = .bilinear,
                              antialias: Bool = true) -> (Tensor) -> Tensor {
        check(size.count == 1 || size.count == 2, "Resize",
              "Size must be an int or a 1 or 2 element tuple/list, not a \(size.count) element tuple/list")
        check(interpolation == .bilinear || interpolation == .nearest, "Resize",
              "Resize supports .bilinear and .nearest here, got \(interpolation.rawValue)")
        return { image in
            check(image.rank == 3 || image.rank == 4, "Resize",
                  "Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = \(torchSizeText(image.shape))")
            check(image.dtype.isFloatingPoint, "Resize", "expected a floating-point image, got \(image.dtype)")
            let (h, w) = (image.shape[image.rank - 2], image.shape[image.rank - 1])
            var target = size
            if size.count == 1 {
                let (short, long) = h <= w ? (h, w) : (w, h)
                let newLong = Int(Double(size[0]) * Double(long) / Double(short))
                target = h <= w ? [size[0], newLong] : [newLong, size[0]]
            }
            let batched = image.rank == 4 ? image : image.unsqueezed(0)
            let out: Tensor
            if interpolation == .nearest {
                out = interpolate(batched, size: target, mode: .nearest)
            } else if antialias && (target[0] < h || target[1] < w) {
                // Separable: rows of weights per axis, applied as H' x H and W x W' products.
                let rows = antialiasWeights(input: h, output: target[0]).to(batched.dtype)
                let columns = antialiasWeights(input: w, output: target[1]).to(batched.dtype)
                out = rows.matmul(batched.matmul(columns.transposed(0, 1)))
            } else {
                out = interpolate(batched, size: target, mode: .bilinear, alignCorners: false)
            }
            return image.rank == 4 ? out : out.squeezed(0)
        }
    }

    /// ``resize(_:interpolation:antialias:)`` with one number: the shorter side's new length.
    public static func resize(_ size: Int, interpolation: InterpolationMode = .bilinear,
                              antialias: Bool = true) -> (Tensor) -> Tensor {
        resize([size], interpolation: interpolation, antialias: antialias)
    }

    /// The `[output, input]` matrix of PyTorch's antialiased bilinear weights
    /// (`_compute_indices_min_size_weights_aa` with the triangle filter): output
    /// pixel `i` centred at `scale (i + ½)` in input pixels, support `max(scale, 1)`,
    /// weights normalised to sum to 1.
    static func antialiasWeights(input: Int, output: Int) -> Tensor {
        let scale = Double(input) / Double(output)
        let support = scale >= 1 ? scale : 1
        let inverse = scale >= 1 ? 1 / scale : 1
        var matrix = [Double](repeating: 0, count: output * input)
        for i in 0..<output {
            let center = scale * (Double(i) + 0.5)
            let low = max(Int(center - support + 0.5), 0)
            let count = min(Int(center + support + 0.5), input) - low
            var weights = (0..<max(count, 0)).map { j -> Double in
                let x = abs((Double(j + low) - center + 0.5) * inverse)
                return x < 1 ? 1 - x : 0
            }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            for (j, weight) in weights.enumerated() { matrix[i * input + low + j] = weight }
        }
        return Tensor(shape: [output, input], scalars: matrix)
    }
}
