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
///
/// ``LazyLinear`` is a subclass, so `module as? Linear` finds lazy layers too
/// (PyTorch's lazy layer turns into a `Linear` at its first call).
public class Linear: Module {
    /// The size of each input sample (0 for a ``LazyLinear`` before its first call).
    public var inFeatures: Int { $weight.tensor?.shape[1] ?? 0 }
    /// The size of each output sample.
    public let outFeatures: Int
    /// The learnable weight, `[outFeatures, inFeatures]`: a leaf that requires grad.
    @Parameter public var weight: Tensor
    /// The learnable bias, `[outFeatures]`, or nil for a layer without one.
    @Parameter public var bias: Tensor?
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
        self.outFeatures = outFeatures
        weight = Tensor.empty([outFeatures, inFeatures], dtype: dtype)
        self.bias = bias ? Tensor.empty([outFeatures], dtype: dtype) : nil
        Self.resetParameters(weight: weight, bias: self.bias, generator: generator)
    }

    /// A layer whose parameters are uninitialized (``LazyLinear``'s).
    init(lazyOutFeatures outFeatures: Int, bias: Bool, dtype: DType) {
        self.outFeatures = outFeatures
        _weight = Parameter(uninitialized: dtype)
        _bias = bias ? Parameter(uninitialized: dtype) : Parameter()
    }

    /// `nn.Linear.reset_parameters`: the weight first, then the bias, from one generator.
    static func resetParameters(weight: Tensor, bias: Tensor?, generator: Generator) {
        Init.kaimingUniform(weight, a: 5.0.squareRoot(), generator: generator)
        if let bias {
            let inFeatures = weight.shape[1]
            let bound = inFeatures > 0 ? 1 / Double(inFeatures).squareRoot() : 0
            Init.uniform(bias, from: -bound, to: bound, generator: generator)
        }
    }

    /// Applies the layer to the last dimension of `input`.
    ///
    /// - Parameter input: `[..., inFeatures]`.
    /// - Returns: `[..., outFeatures]`; for a matrix input with a bias, one
    ///   `AddmmBackward0` node, as in PyTorch.
    public func forward(_ input: Tensor) -> Tensor { linear(input, weight: weight, bias: bias) }

    /// Whether the layer adds a bias (also before a lazy layer's first call).
    public var hasBias: Bool { bias != nil || $bias.isUninitializedParameter }

    public var typeName: String { "Linear" }

    public var extraDescription: String {
        "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(hasBias ? "True" : "False")"
    }
}

/// `y = x Wᵀ + b` over the last dimension of `input` (`torch.nn.functional.linear`).
///
/// - Parameters:
///   - input: `[..., inFeatures]`.
///   - weight: `[outFeatures, inFeatures]`.
///   - bias: `[outFeatures]`, or nil.
/// - Returns: `[..., outFeatures]`; for a matrix input with a bias, one
///   `AddmmBackward0` node, as in PyTorch.
public func linear(_ input: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    check(input.rank >= 1, "linear", "both arguments to linear need to be at least 1D, but they are \(input.rank)D and \(weight.rank)D")
    if input.rank == 2 {
        guard let bias else { return input.mm(weight.t()) }
        return Tensor.addmm(bias, input, weight.t())
    }
    // Fold leading dims into rows, as PyTorch does, so one GEMM does the work.
    let rows = input.reshaped(-1, input.shape[input.rank - 1])
    let out = bias.map { Tensor.addmm($0, rows, weight.t()) } ?? rows.mm(weight.t())
    return out.reshaped(Array(input.shape.dropLast()) + [weight.shape[0]])
}

/// A fully connected layer whose input size is inferred from its first input
/// (PyTorch's `nn.LazyLinear`); a subclass of ``Linear``.
///
/// Until the first call the weight and bias are uninitialized lazy parameters:
/// absent from ``Module/parameters()`` and the state dict (reading `weight`
/// stops), so build the optimizer after a first (dry) run, as PyTorch's
/// documentation advises. At the first call, `inFeatures` becomes the input's
/// last dimension and the parameters are drawn from the generator then,
/// exactly as ``Linear`` draws them, so the values equal PyTorch's for the same
/// seed and the same draws before. After its first call the layer prints as
/// `Linear(...)`, as PyTorch's turns into one. A state dict loaded before the
/// first call materialises the parameters with the checkpoint's shapes.
///
/// ```swift
/// let net = Sequential { LazyLinear(256); ReLU(); LazyLinear(10) }   // D2L 6.4
/// _ = net(Tensor.rand(2, 20))
/// net[0, as: Linear.self].weight.shape    // [256, 20]
/// ```
public final class LazyLinear: Linear {
    private let generator: Generator
    /// Whether the layer has run once (PyTorch's lazy module turns into a `Linear` then).
    private var hasRun = false

    /// Creates the layer.
    ///
    /// - Parameters:
    ///   - outFeatures: The size of each output sample.
    ///   - bias: Whether the layer adds a learnable bias (default `true`).
    ///   - dtype: The parameters' dtype (default `float32`).
    ///   - generator: The generator the initial values are drawn from at the first call.
    public init(_ outFeatures: Int, bias: Bool = true, dtype: DType = .defaultFloat, generator: Generator = .default) {
        check(outFeatures >= 0, "LazyLinear", "Trying to create tensor with negative dimension: [\(outFeatures), 0]")
        self.generator = generator
        super.init(lazyOutFeatures: outFeatures, bias: bias, dtype: dtype)
    }

    /// Whether the parameters still wait for the first call (or a state dict).
    public var hasUninitializedParameters: Bool { $weight.isUninitializedParameter || $bias.isUninitializedParameter }

    /// Materialises the parameters for `input` at the first call, then applies the layer.
    public override func forward(_ input: Tensor) -> Tensor {
        check(input.rank >= 1, "linear", "both arguments to linear need to be at least 1D, but they are \(input.rank)D and 2D")
        if hasUninitializedParameters {
            // nn.LazyLinear.initialize_parameters, under no-grad.
            let inFeatures = input.shape[input.rank - 1]
            withNoGrad {
                if let dtype = $weight.uninitializedDType { weight = Tensor.empty([outFeatures, inFeatures], dtype: dtype) }
                if let dtype = $bias.uninitializedDType { bias = Tensor.empty([outFeatures], dtype: dtype) }
            }
            Linear.resetParameters(weight: weight, bias: bias, generator: generator)
        }
        hasRun = true
        return super.forward(input)
    }

    public override var typeName: String { hasRun ? "Linear" : "LazyLinear" }
}
