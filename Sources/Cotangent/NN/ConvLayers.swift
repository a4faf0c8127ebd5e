/// How a convolution layer pads its input (PyTorch's `padding_mode`).
public enum ConvPaddingMode: String, Sendable, Hashable {
    /// Implicit zeros (the default; the convolution itself pads).
    case zeros
    /// The mirror image without the edge element.
    case reflect
    /// Copies of the edge element.
    case replicate
    /// Wraps around.
    case circular
}

/// The layers of convolution (PyTorch's `_ConvNd`), shared by ``Conv1d``,
/// ``Conv2d``, ``ConvTranspose1d`` and ``ConvTranspose2d``.
///
/// The weight is `[outChannels, inChannels / groups, kernel...]`, or
/// `[inChannels, outChannels / groups, kernel...]` for a transposed
/// convolution, as PyTorch lays it out, so state dicts move between the two.
/// It is initialised as PyTorch's `reset_parameters` does, from the default
/// generator: `kaimingUniform(a: √5)`, then the bias uniform in ±1/√fanIn (fanIn
/// of the weight); after the same seed the values equal PyTorch's.
public class ConvNd: Module {
    /// The number of input channels (0 for a lazy layer before its first call).
    public var inChannels: Int {
        guard let w = $weight.tensor else { return 0 }
        return transposed ? w.shape[0] : w.shape[1] * groups
    }
    /// The number of output channels.
    public let outChannels: Int
    /// The kernel's size in each spatial dim.
    public let kernelSize: [Int]
    /// The stride in each spatial dim.
    public let stride: [Int]
    /// The padding as given (sizes, `.same` or `.valid`).
    public let padding: ConvPadding
    /// The spacing of kernel taps in each spatial dim.
    public let dilation: [Int]
    /// Whether this is a transposed convolution.
    public let transposed: Bool
    /// The extra output size of a transposed convolution in each spatial dim.
    public let outputPadding: [Int]
    /// The number of blocked connections from input to output channels.
    public let groups: Int
    /// How the input is padded.
    public let paddingMode: ConvPaddingMode
    /// The learnable weight (see the type's description for its layout).
    @Parameter public var weight: Tensor
    /// The learnable bias, `[outChannels]`, or nil.
    @Parameter public var bias: Tensor?
    public var isTraining = true

    /// The explicit padding sizes (PyTorch's tuple, or zeros for `.valid`); nil for `.same`.
    var paddingSizes: [Int]? {
        switch padding {
        case .explicit(let s): s.expanded(kernelSize.count, op: typeName, name: "padding")
        case .valid: Array(repeating: 0, count: kernelSize.count)
        case .same: nil
        }
    }

    init(spatialRank k: Int, inChannels: Int?, outChannels: Int, transposed: Bool, _ o: ConvOptions, name: String) {
        let (kernelSize, stride, padding, dilation, outputPadding) = (o.kernelSize, o.stride, o.padding, o.dilation, o.outputPadding)
        let (groups, bias, paddingMode, dtype, generator) = (o.groups, o.bias, o.paddingMode, o.dtype, o.generator)
        check(groups > 0, name, "groups must be a positive integer")
        if let inChannels { check(inChannels % groups == 0, name, "in_channels must be divisible by groups") }
        check(outChannels % groups == 0, name, "out_channels must be divisible by groups")
        self.kernelSize = kernelSize.expanded(k, op: name, name: "kernel_size")
        self.stride = stride.expanded(k, op: name, name: "stride")
        self.dilation = dilation.expanded(k, op: name, name: "dilation")
        self.outputPadding = outputPadding.expanded(k, op: name, name: "output_padding")
        if padding == .same {
            check(self.stride.allSatisfy { $0 == 1 }, name, "padding='same' is not supported for strided convolutions")
        }
        check(!transposed || paddingMode == .zeros, name, "Only \"zeros\" padding mode is supported for \(name)")
        self.outChannels = outChannels
        self.padding = padding
        self.transposed = transposed
        self.groups = groups
        self.paddingMode = paddingMode
        guard let inChannels else {
            _weight = Parameter(uninitialized: dtype)
            _bias = bias ? Parameter(uninitialized: dtype) : Parameter()
            return
        }
        weight = Tensor.empty(weightShape(inChannels: inChannels), dtype: dtype)
        self.bias = bias ? Tensor.empty([outChannels], dtype: dtype) : nil
        Self.resetParameters(weight: weight, bias: self.bias, generator: generator)
    }

    func weightShape(inChannels: Int) -> [Int] {
        (transposed ? [inChannels, outChannels / groups] : [outChannels, inChannels / groups]) + kernelSize
    }

    /// `_ConvNd.reset_parameters`: the weight, then the bias, from one generator.
    static func resetParameters(weight: Tensor, bias: Tensor?, generator: Generator) {
        Init.kaimingUniform(weight, a: 5.0.squareRoot(), generator: generator)
        if let bias {
            let fanIn = Init.fans(of: weight).fanIn
            if fanIn != 0 { Init.uniform(bias, from: -1 / Double(fanIn).squareRoot(), to: 1 / Double(fanIn).squareRoot(), generator: generator) }
            else { Init.zeros(bias) }
        }
    }

    /// Applies the convolution (after padding the input with `paddingMode`, unless zeros).
    public func forward(_ input: Tensor) -> Tensor {
        let k = kernelSize.count
        if transposed {
            let padding = ConvSize(paddingSizes ?? [])
            return convolution(input, weight: weight, bias: bias, stride: ConvSize(stride), padding: .explicit(padding),
                               dilation: ConvSize(dilation), groups: groups, transposed: true,
                               outputPadding: ConvSize(outputPadding), spatialRank: k,
                               op: k == 1 ? "conv_transpose1d" : "conv_transpose2d")
        }
        let op = k == 1 ? "conv1d" : "conv2d"
        guard paddingMode != .zeros else {
            return convolution(input, weight: weight, bias: bias, stride: ConvSize(stride), padding: padding,
                               dilation: ConvSize(dilation), groups: groups, transposed: false, outputPadding: 0,
                               spatialRank: k, op: op)
        }
        // PyTorch's _reversed_padding_repeated_twice: (left, right) of the last dim first.
        var pad: [Int] = []
        for d in (0..<k).reversed() {
            if let sizes = paddingSizes {
                pad += [sizes[d], sizes[d]]
            } else {
                let total = dilation[d] * (kernelSize[d] - 1)
                pad += [total / 2, total - total / 2]
            }
        }
        let mode: PaddingMode = switch paddingMode {
        case .zeros: .constant
        case .reflect: .reflect
        case .replicate: .replicate
        case .circular: .circular
        }
        return convolution(input.padded(pad, mode: mode), weight: weight, bias: bias, stride: ConvSize(stride),
                           padding: 0, dilation: ConvSize(dilation), groups: groups, transposed: false,
                           outputPadding: 0, spatialRank: k, op: op)
    }

    /// Whether the layer adds a bias (also before a lazy layer's first call).
    public var hasBias: Bool { bias != nil || $bias.isUninitializedParameter }

    public var typeName: String { "ConvNd" }

    /// PyTorch's `_ConvNd.extra_repr`.
    public var extraDescription: String {
        func tuple(_ v: [Int]) -> String { v.count == 1 ? "(\(v[0]),)" : "(" + v.map(String.init).joined(separator: ", ") + ")" }
        let k = kernelSize.count
        var s = "\(inChannels), \(outChannels), kernel_size=\(tuple(kernelSize)), stride=\(tuple(stride))"
        switch padding {
        case .same: s += ", padding=same"
        case .valid: s += ", padding=valid"
        case .explicit:
            if let p = paddingSizes, p != Array(repeating: 0, count: k) { s += ", padding=\(tuple(p))" }
        }
        if dilation != Array(repeating: 1, count: k) { s += ", dilation=\(tuple(dilation))" }
        if outputPadding != Array(repeating: 0, count: k) { s += ", output_padding=\(tuple(outputPadding))" }
        if groups != 1 { s += ", groups=\(groups)" }
        if !hasBias { s += ", bias=False" }
        if paddingMode != .zeros { s += ", padding_mode=\(paddingMode.rawValue)" }
        return s
    }
}

/// The hyperparameters of a convolution layer other than its channels, as its
/// initialisers take them.
struct ConvOptions {
    var kernelSize: ConvSize, stride: ConvSize, padding: ConvPadding, dilation: ConvSize, outputPadding: ConvSize = 0
    var groups: Int, bias: Bool, paddingMode: ConvPaddingMode, dtype: DType, generator: Generator
}

extension ConvNd {
    /// A transposed convolution's forward with the output padding that gives
    /// `outputSize` (PyTorch's `_ConvTransposeNd._output_padding`): the spatial
    /// sizes, or the full shape.
    func transposedForward(_ input: Tensor, outputSize: [Int]) -> Tensor {
        let k = kernelSize.count, name = "ConvTranspose\(k)D"
        let nonSpatial = input.rank == k + 2 ? 2 : 1
        let sizes = outputSize.count == nonSpatial + k ? Array(outputSize.dropFirst(nonSpatial)) : outputSize
        check(sizes.count == k, name,
              "\(name): for \(input.rank)D input, output_size must have \(k) or \(nonSpatial + k) elements (got \(sizes.count))")
        check(input.rank >= nonSpatial + k, name,
              "Expected \(k + 1)D (unbatched) or \(k + 2)D (batched) input to conv_transpose\(k)d, but got input of size: \(shapeText(input.shape))")
        let padding = paddingSizes ?? Array(repeating: 0, count: k)
        let minimum = (0..<k).map { d in
            (input.shape[nonSpatial + d] - 1) * stride[d] - 2 * padding[d] + dilation[d] * (kernelSize[d] - 1) + 1
        }
        let maximum = (0..<k).map { minimum[$0] + stride[$0] - 1 }
        for d in 0..<k where sizes[d] < minimum[d] || sizes[d] > maximum[d] {
            // PyTorch prints `input.size()[2:]`, which for an unbatched input drops a spatial size too.
            fail(name, "requested an output size of \(sizes), but valid sizes range from \(minimum) to \(maximum) (for an input of torch.Size(\(Array(input.shape.dropFirst(2)))))")
        }
        return convolution(input, weight: weight, bias: bias, stride: ConvSize(stride), padding: .explicit(ConvSize(padding)),
                           dilation: ConvSize(dilation), groups: groups, transposed: true,
                           outputPadding: ConvSize((0..<k).map { sizes[$0] - minimum[$0] }), spatialRank: k,
                           op: "conv_transpose\(k)d")
    }
}

/// A 1-d convolution layer (PyTorch's `nn.Conv1d`): input `[N, inChannels, L]`
/// (or `[inChannels, L]`), weight `[outChannels, inChannels / groups, kernelSize]`.
public class Conv1d: ConvNd {
    /// Creates the layer with PyTorch's defaults and initialisation; the
    /// arguments are those of ``Conv2d``'s initialiser, with one kernel width
    /// (and one stride, padding and dilation).
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: ConvSize, stride: ConvSize = 1,
                padding: ConvPadding = 0, dilation: ConvSize = 1, groups: Int = 1, bias: Bool = true,
                paddingMode: ConvPaddingMode = .zeros, dtype: DType = .defaultFloat, generator: Generator = .default) {
        let o = ConvOptions(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, groups: groups,
                            bias: bias, paddingMode: paddingMode, dtype: dtype, generator: generator)
        super.init(spatialRank: 1, inChannels: inChannels, outChannels: outChannels, transposed: false, o, name: "Conv1d")
    }

    init(lazyOutChannels outChannels: Int, _ o: ConvOptions) {
        super.init(spatialRank: 1, inChannels: nil, outChannels: outChannels, transposed: false, o, name: "LazyConv1d")
    }

    public override var typeName: String { "Conv1d" }
}

/// A 2-d convolution layer (PyTorch's `nn.Conv2d`): input `[N, inChannels, H, W]`
/// (or `[inChannels, H, W]`), weight `[outChannels, inChannels / groups, kH, kW]`.
///
/// ```swift
/// let conv = Conv2d(1, 6, kernelSize: 5, padding: 2)   // LeNet's first layer
/// let y = conv(Tensor.randn(256, 1, 28, 28))            // [256, 6, 28, 28]
/// print(conv)   // Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
/// ```
public class Conv2d: ConvNd {
    /// Creates the layer with PyTorch's defaults and initialisation.
    ///
    /// - Parameters:
    ///   - inChannels: Channels of the input.
    ///   - outChannels: Channels of the output.
    ///   - kernelSize: One size or `[kH, kW]`.
    ///   - stride: The kernel's step (default 1).
    ///   - padding: Sizes, `.same` or `.valid` (default 0).
    ///   - dilation: The spacing of kernel taps (default 1).
    ///   - groups: Blocked connections; `groups == inChannels` is depthwise (default 1).
    ///   - bias: Whether to add a learnable bias (default `true`).
    ///   - paddingMode: `.zeros` (default), `.reflect`, `.replicate` or `.circular`.
    ///   - dtype: The parameters' dtype (default `float32`).
    ///   - generator: The generator the initial values are drawn from.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: ConvSize, stride: ConvSize = 1,
                padding: ConvPadding = 0, dilation: ConvSize = 1, groups: Int = 1, bias: Bool = true,
                paddingMode: ConvPaddingMode = .zeros, dtype: DType = .defaultFloat, generator: Generator = .default) {
        let o = ConvOptions(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, groups: groups,
                            bias: bias, paddingMode: paddingMode, dtype: dtype, generator: generator)
        super.init(spatialRank: 2, inChannels: inChannels, outChannels: outChannels, transposed: false, o, name: "Conv2d")
    }

    init(lazyOutChannels outChannels: Int, _ o: ConvOptions) {
        super.init(spatialRank: 2, inChannels: nil, outChannels: outChannels, transposed: false, o, name: "LazyConv2d")
    }

    public override var typeName: String { "Conv2d" }
}

/// The transposed convolution layers (PyTorch's `_ConvTransposeNd`), shared by
/// ``ConvTranspose1d`` and ``ConvTranspose2d``.
public class ConvTransposeNd: ConvNd {
    /// The convolution with the output padding that makes the output
    /// `outputSize` (PyTorch's `forward(input, output_size)`): the spatial sizes
    /// (`[L]`, `[H, W]`) or the full shape, each within a stride of the size
    /// without output padding (the layer's own `outputPadding` is then ignored).
    ///
    /// ```swift
    /// let up = ConvTranspose2d(16, 8, kernelSize: 3, stride: 2, padding: 1)
    /// let y = up(x, outputSize: [28, 28])   // x: [N, 16, 14, 14]; 27 without it
    /// ```
    public func forward(_ input: Tensor, outputSize: [Int]) -> Tensor { transposedForward(input, outputSize: outputSize) }

    /// ``forward(_:outputSize:)`` as a call.
    public func callAsFunction(_ input: Tensor, outputSize: [Int]) -> Tensor { forward(input, outputSize: outputSize) }
}

/// A 1-d transposed convolution layer (PyTorch's `nn.ConvTranspose1d`):
/// weight `[inChannels, outChannels / groups, kernelSize]`.
public final class ConvTranspose1d: ConvTransposeNd {
    /// Creates the layer with PyTorch's defaults and initialisation; see
    /// ``convTranspose1d(_:weight:bias:stride:padding:outputPadding:groups:dilation:)``.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: ConvSize, stride: ConvSize = 1,
                padding: ConvSize = 0, outputPadding: ConvSize = 0, groups: Int = 1, bias: Bool = true,
                dilation: ConvSize = 1, paddingMode: ConvPaddingMode = .zeros, dtype: DType = .defaultFloat,
                generator: Generator = .default) {
        let o = ConvOptions(kernelSize: kernelSize, stride: stride, padding: .explicit(padding), dilation: dilation,
                            outputPadding: outputPadding, groups: groups, bias: bias, paddingMode: paddingMode,
                            dtype: dtype, generator: generator)
        super.init(spatialRank: 1, inChannels: inChannels, outChannels: outChannels, transposed: true, o,
                   name: "ConvTranspose1d")
    }

    public override var typeName: String { "ConvTranspose1d" }
}

/// A 2-d transposed convolution layer (PyTorch's `nn.ConvTranspose2d`):
/// weight `[inChannels, outChannels / groups, kH, kW]`.
public final class ConvTranspose2d: ConvTransposeNd {
    /// Creates the layer with PyTorch's defaults and initialisation; see
    /// ``convTranspose2d(_:weight:bias:stride:padding:outputPadding:groups:dilation:)``.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: ConvSize, stride: ConvSize = 1,
                padding: ConvSize = 0, outputPadding: ConvSize = 0, groups: Int = 1, bias: Bool = true,
                dilation: ConvSize = 1, paddingMode: ConvPaddingMode = .zeros, dtype: DType = .defaultFloat,
                generator: Generator = .default) {
        let o = ConvOptions(kernelSize: kernelSize, stride: stride, padding: .explicit(padding), dilation: dilation,
                            outputPadding: outputPadding, groups: groups, bias: bias, paddingMode: paddingMode,
                            dtype: dtype, generator: generator)
        super.init(spatialRank: 2, inChannels: inChannels, outChannels: outChannels, transposed: true, o,
                   name: "ConvTranspose2d")
    }

    public override var typeName: String { "ConvTranspose2d" }
}

/// Materialises a lazy convolution's parameters for `input` (PyTorch's
/// `_LazyConvXdMixin.initialize_parameters`), drawing them from `generator` then.
private func materializeLazy(_ layer: ConvNd, input: Tensor, spatialRank k: Int, generator: Generator) {
    guard layer.$weight.isUninitializedParameter || layer.$bias.isUninitializedParameter else { return }
    let op = k == 1 ? "conv1d" : "conv2d"
    check(input.rank == k + 1 || input.rank == k + 2, op,
          "Expected \(k + 1)D (unbatched) or \(k + 2)D (batched) input to \(op), but got input of size: \(shapeText(input.shape))")
    let inChannels = input.rank == k + 1 ? input.shape[0] : input.shape[1]
    check(inChannels % layer.groups == 0, k == 1 ? "LazyConv1d" : "LazyConv2d", "in_channels must be divisible by groups")
    withNoGrad {
        if let dtype = layer.$weight.uninitializedDType { layer.weight = Tensor.empty(layer.weightShape(inChannels: inChannels), dtype: dtype) }
        if let dtype = layer.$bias.uninitializedDType { layer.bias = Tensor.empty([layer.outChannels], dtype: dtype) }
    }
    ConvNd.resetParameters(weight: layer.weight, bias: layer.bias, generator: generator)
}

/// A ``Conv1d`` whose input channels are inferred from its first input
/// (PyTorch's `nn.LazyConv1d`); see ``LazyConv2d``.
public final class LazyConv1d: Conv1d {
    private let generator: Generator
    private var hasRun = false

    /// Creates the layer; the arguments are those of ``Conv1d`` without the input channels.
    public init(_ outChannels: Int, kernelSize: ConvSize, stride: ConvSize = 1, padding: ConvPadding = 0,
                dilation: ConvSize = 1, groups: Int = 1, bias: Bool = true, paddingMode: ConvPaddingMode = .zeros,
                dtype: DType = .defaultFloat, generator: Generator = .default) {
        self.generator = generator
        super.init(lazyOutChannels: outChannels, ConvOptions(kernelSize: kernelSize, stride: stride, padding: padding,
                   dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode, dtype: dtype,
                   generator: generator))
    }

    /// Whether the parameters still wait for the first call (or a state dict).
    public var hasUninitializedParameters: Bool { $weight.isUninitializedParameter || $bias.isUninitializedParameter }

    /// Materialises the parameters for `input` at the first call, then applies the layer.
    public override func forward(_ input: Tensor) -> Tensor {
        materializeLazy(self, input: input, spatialRank: 1, generator: generator)
        hasRun = true
        return super.forward(input)
    }

    public override var typeName: String { hasRun ? "Conv1d" : "LazyConv1d" }
}

/// A ``Conv2d`` whose input channels are inferred from its first input
/// (PyTorch's `nn.LazyConv2d`), a subclass of ``Conv2d``.
///
/// Until the first call the weight and bias are uninitialized (absent from
/// ``Module/parameters()`` and the state dict); at the first call they get
/// the input's channel count and are drawn from the generator then, exactly as
/// ``Conv2d`` draws them, so the values equal PyTorch's for the same seed and
/// the same draws before. It prints as `LazyConv2d(0, ...)` before and as
/// `Conv2d(...)` after, as PyTorch's.
///
/// ```swift
/// let net = Sequential { LazyConv2d(6, kernelSize: 5, padding: 2); Sigmoid() }   // D2L 7.6
/// _ = net(Tensor.rand(1, 1, 28, 28))
/// ```
public final class LazyConv2d: Conv2d {
    private let generator: Generator
    private var hasRun = false

    /// Creates the layer; the arguments are those of ``Conv2d`` without the input channels.
    public init(_ outChannels: Int, kernelSize: ConvSize, stride: ConvSize = 1, padding: ConvPadding = 0,
                dilation: ConvSize = 1, groups: Int = 1, bias: Bool = true, paddingMode: ConvPaddingMode = .zeros,
                dtype: DType = .defaultFloat, generator: Generator = .default) {
        self.generator = generator
        super.init(lazyOutChannels: outChannels, ConvOptions(kernelSize: kernelSize, stride: stride, padding: padding,
                   dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode, dtype: dtype,
                   generator: generator))
    }

    /// Whether the parameters still wait for the first call (or a state dict).
    public var hasUninitializedParameters: Bool { $weight.isUninitializedParameter || $bias.isUninitializedParameter }

    /// Materialises the parameters for `input` at the first call, then applies the layer.
    public override func forward(_ input: Tensor) -> Tensor {
        materializeLazy(self, input: input, spatialRank: 2, generator: generator)
        hasRun = true
        return super.forward(input)
    }

    public override var typeName: String { hasRun ? "Conv2d" : "LazyConv2d" }
}
