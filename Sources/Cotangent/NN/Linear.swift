/// A fully connected layer, `y = x Wᵀ + b` (PyTorch's `nn.Linear`).
///
/// The weight has shape `[outFeatures, inFeatures]` and is initialised as
/// PyTorch initialises it, from the default generator: `kaimingUniform` with
/// `a = √5` (uniform in ±1/√inFeatures), then the bias uniform in
/// ±1/√inFeatures. So after `Tensor.manualSeed(s)` a `Linear` holds the same
/// initial values as PyTorch's after `torch.manual_seed(s)`.
///
/// ```swift
/// let layer = Linear(64, 10)
/// let logits = layer(x)            // x: [batch, 64] -> [batch, 10]
/// ```
public final class Linear: Module {
    /// The size of each input sample.
    public let inFeatures: Int
    /// The size of each output sample.
    public let outFeatures: Int
    /// The learnable weight, `[outFeatures, inFeatures]`: a leaf that requires grad.
    public let weight: Tensor
    /// The learnable bias, `[outFeatures]`, or nil for a layer without one.
    public let bias: Tensor?
    public var isTraining = true

    /// Creates a layer with PyTorch's default initialisation.
    ///
    /// - Parameters:
    ///   - inFeatures: The size of each input sample.
    ///   - outFeatures: The size of each output sample.
    ///   - bias: Whether the layer adds a learnable bias (default `true`).
    ///   - dtype: The parameters' dtype (default `float32`).
    ///   - generator: The generator the initial values are drawn from.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .defaultFloat,
                generator: Generator = .default) {
        check(inFeatures >= 0 && outFeatures >= 0, "Linear",
              "Trying to create tensor with negative dimension: [\(outFeatures), \(inFeatures)]")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Tensor.empty([outFeatures, inFeatures], dtype: dtype)
        self.bias = bias ? Tensor.empty([outFeatures], dtype: dtype) : nil
        // nn.Linear.reset_parameters: weight first, then the bias, from one generator.
        Init.kaimingUniform(weight, a: 5.0.squareRoot(), generator: generator)
        if let b = self.bias {
            let bound = inFeatures > 0 ? 1 / Double(inFeatures).squareRoot() : 0
            Init.uniform(b, from: -bound, to: bound, generator: generator)
        }
        weight.requiresGrad = true
        self.bias?.requiresGrad = true
    }

    /// Applies the layer to the last dimension of `input`.
    ///
    /// - Parameter input: `[..., inFeatures]`.
    /// - Returns: `[..., outFeatures]`; for a matrix input with a bias, one
    ///   `AddmmBackward0` node, as in PyTorch.
    public func forward(_ input: Tensor) -> Tensor {
        check(input.rank >= 1, "linear", "both arguments to linear need to be at least 1D, but they are \(input.rank)D and 2D")
        if input.rank == 2 {
            guard let bias else { return input.mm(weight.t()) }
            return Tensor.addmm(bias, input, weight.t())
        }
        // Fold leading dims into rows, as PyTorch does, so one GEMM does the work.
        let rows = input.reshaped(-1, input.shape[input.rank - 1])
        let out = bias.map { Tensor.addmm($0, rows, weight.t()) } ?? rows.mm(weight.t())
        return out.reshaped(Array(input.shape.dropLast()) + [outFeatures])
    }

    public var extraDescription: String {
        "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias == nil ? "False" : "True")"
    }
}
