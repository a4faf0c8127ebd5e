/// Normalises over the trailing `normalizedShape` dimensions to mean 0 and
/// variance 1, then scales by `weight` and shifts by `bias`
/// (`torch.nn.functional.layer_norm`).
///
/// `y = (x - mean) / sqrt(var + eps) * weight + bias`, with the biased variance.
///
/// - Parameters:
///   - input: `[*, normalizedShape...]`.
///   - normalizedShape: The trailing shape to normalise over.
///   - weight: An elementwise scale of shape `normalizedShape`, or nil.
///   - bias: An elementwise shift of shape `normalizedShape`, or nil.
///   - eps: Added to the variance for numerical stability.
/// - Returns: A tensor of the input's shape, recorded as `NativeLayerNormBackward0`.
public func layerNorm(_ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                      eps: Double = 1e-5) -> Tensor {
    let k = normalizedShape.count
    check(k > 0, "layer_norm", "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []")
    check(input.rank >= k && Array(input.shape.suffix(k)) == normalizedShape, "layer_norm",
          "Given normalized_shape=\(shapeText(normalizedShape)), expected input with shape [*, \(normalizedShape.map(String.init).joined(separator: ", "))], but got input of size\(shapeText(input.shape))")
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let t { check(t.shape == normalizedShape, "layer_norm", "Expected \(name) to be of same shape as normalized_shape, but got \(name) of shape \(shapeText(t.shape)) and normalized_shape = \(shapeText(normalizedShape))") }
    }
    check(input.dtype.isFloatingPoint, "layer_norm", "\"LayerNormKernelImpl\" not implemented for '\(input.dtype)'")
    let dims = Array((input.rank - k)..<input.rank)

    /// `(x - mean) * rstd` in tensor ops, so the backward rule can be differentiated again.
    func normalized(_ x: Tensor) -> (xhat: Tensor, rstd: Tensor) {
        let mean = x.mean(dim: dims, keepDim: true)
        let centered = x - mean
        let variance = (centered * centered).mean(dim: dims, keepDim: true)
        let rstd = (variance + eps).rsqrt()
        return (centered * rstd, rstd)
    }
    let result: Tensor = withNoGrad {
        var y = normalized(input).xhat
        if let weight { y = y * weight }
        if let bias { y = y + bias }
        return y
    }
    let inputs = [input] + [weight, bias].compactMap { $0 }
    let saving = [input] + (weight.map { [$0] } ?? [])
    return Tensor.record("NativeLayerNormBackward0", inputs: inputs, result: result, saving: saving) { grad, saved in
        let (xhat, rstd) = normalized(saved[0])
        let dxhat = weight == nil ? grad : grad * saved[1]
        // dx = rstd · (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)) over the normalised dims.
        let dx = rstd * (dxhat - dxhat.mean(dim: dims, keepDim: true) - xhat * (dxhat * xhat).mean(dim: dims, keepDim: true))
        // The engine sums the weight and bias gradients over the leading dims.
        var grads: [Tensor?] = [dx]
        if weight != nil { grads.append(grad * xhat) }
        if bias != nil { grads.append(grad) }
        return InputGradients(grads)
    }
}

/// Layer normalisation over the trailing dimensions (PyTorch's `nn.LayerNorm`);
/// see ``layerNorm(_:normalizedShape:weight:bias:eps:)``.
///
/// The weight starts at ones and the bias at zeros.
public final class LayerNorm: Module {
    /// The trailing shape normalised over.
    public let normalizedShape: [Int]
    /// Added to the variance for numerical stability.
    public let eps: Double
    /// The learnable scale, or nil without an elementwise affine transform.
    @Parameter public var weight: Tensor?
    /// The learnable shift, or nil.
    @Parameter public var bias: Tensor?
    public var isTraining = true

    /// Creates the layer.
    ///
    /// - Parameters:
    ///   - normalizedShape: The trailing shape to normalise over, e.g. `[hidden]`.
    ///   - eps: Added to the variance (default 1e-5).
    ///   - elementwiseAffine: Whether to learn a scale and shift (default `true`).
    ///   - bias: Whether the affine transform has a shift (default `true`).
    ///   - dtype: The parameters' dtype.
    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
                dtype: DType = .defaultFloat) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Tensor.ones(normalizedShape, dtype: dtype) : nil
        self.bias = elementwiseAffine && bias ? Tensor.zeros(normalizedShape, dtype: dtype) : nil
    }

    /// Creates the layer over the last dimension of size `size`.
    public convenience init(_ size: Int, eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
                            dtype: DType = .defaultFloat) {
        self.init([size], eps: eps, elementwiseAffine: elementwiseAffine, bias: bias, dtype: dtype)
    }

    public func forward(_ input: Tensor) -> Tensor {
        layerNorm(input, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }

    public var extraDescription: String {
        let shape = normalizedShape.count == 1 ? "(\(normalizedShape[0]),)"
            : "(" + normalizedShape.map(String.init).joined(separator: ", ") + ")"
        return "\(shape), eps=\(pythonFloat(eps)), elementwise_affine=\(weight != nil ? "True" : "False"), bias=\(bias != nil ? "True" : "False")"
    }
}

/// A Double as Python's `repr` writes it in module descriptions (`1e-05`, `0.5`):
/// Swift's shortest round-trip form, which spells numbers the same way.
func pythonFloat(_ value: Double) -> String { "\(value)" }
