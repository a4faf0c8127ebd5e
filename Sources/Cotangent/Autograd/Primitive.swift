import CCotangentKernels

// How primitives are declared, and the registry that lists them.
//
// An elementwise primitive is one value: its PyTorch node name, its kernel
// (a case of the C lists in CotangentOps.h), the dtypes it takes, its backward
// rule in tensor ops, and beside them a slot for its forward-mode (jvp) rule.
// (Elementwise ops batch trivially, so they need no batching rule.) The values
// of a family are the stored properties of one struct (`UnaryPrimitives`,
// `BinaryPrimitives`), which is what lets the registry list them by reflection
// without a second list to keep in step.

/// The parameters of an elementwise kernel (`leakyRelu`'s slope, `elu`'s
/// alpha, ...), passed to the C kernel and to the rules.
struct KernelParameters: Sendable {
    var p0 = 0.0, p1 = 0.0, p2 = 0.0
    static let none = KernelParameters()
}

/// Which dtypes a unary primitive takes, and the dtype of its result.
enum UnaryDomain: Sendable {
    /// Every dtype; the result keeps it (`abs`, `floor`, `relu`).
    case anyDType
    /// Integers and bool are converted to the default float dtype first (`exp`).
    case promotesIntegers
    /// Floating dtypes only; others stop with PyTorch's "`kernel` not implemented for 'Long'".
    case floatingOnly(kernel: String)
    /// Every dtype but bool, which stops with PyTorch's "`kernel` not implemented for 'Bool'"; the result keeps the dtype.
    case notBool(kernel: String)
    /// Every dtype; the result is bool (`isNaN`).
    case predicate
}

/// A backward rule of a unary primitive, by what it reads besides the gradient.
enum UnaryRule: Sendable {
    /// Reads the input `x`.
    case ofInput(@Sendable (_ grad: Tensor, _ x: Tensor, _ p: KernelParameters) -> Tensor)
    /// Reads the output `result` (saved instead of the input).
    case ofResult(@Sendable (_ grad: Tensor, _ result: Tensor, _ p: KernelParameters) -> Tensor)
    /// Reads only the gradient (nothing is saved, so a second backward works).
    case ofGradient(@Sendable (_ grad: Tensor, _ p: KernelParameters) -> Tensor)
    /// Piecewise constant: the gradient is zero.
    case zero
    /// Not differentiable (bool results): nothing is recorded.
    case none
}

/// A forward-mode rule: the output's tangent from the input's tangent (room
/// for the function transforms; none is declared yet).
typealias UnaryJVP = @Sendable (_ tangent: Tensor, _ x: Tensor, _ result: Tensor, _ p: KernelParameters) -> Tensor

/// One unary elementwise primitive.
struct UnaryPrimitive: Sendable {
    /// PyTorch's node name (`ExpBackward0`), or nil when nothing is recorded.
    let node: String?
    let kernel: ct_unary_op
    let domain: UnaryDomain
    let vjp: UnaryRule
    let jvp: UnaryJVP?
    /// The node's rule for the rules that read a saved value, made once here
    /// (the kernel parameters travel in the saved values), so recording an op
    /// allocates no closure context.
    let savedValueRule: (@Sendable (_ grad: Tensor, _ saved: SavedValues) -> InputGradients)?

    init(_ node: String?, _ kernel: ct_unary_op, _ domain: UnaryDomain = .promotesIntegers,
         vjp: UnaryRule, jvp: UnaryJVP? = nil) {
        self.node = node
        self.kernel = kernel
        self.domain = domain
        self.vjp = vjp
        self.jvp = jvp
        switch vjp {
        case .ofInput(let rule):
            savedValueRule = { grad, saved in
                let g = rule(grad, saved[0], saved.parameters)
                return [g]
            }
        case .ofResult(let rule):
            savedValueRule = { grad, saved in
                let g = rule(grad, saved.result, saved.parameters)
                return [g]
            }
        case .ofGradient, .zero, .none: savedValueRule = nil
        }
    }
}

extension Tensor {
    /// Runs a unary primitive and records it.
    func apply(_ p: UnaryPrimitive, _ params: KernelParameters = .none, op: StaticString) -> Tensor {
        let computeType: DType, outType: DType
        switch p.domain {
        case .anyDType: (computeType, outType) = (dtype, dtype)
        case .promotesIntegers:
            computeType = dtype.isFloatingPoint ? dtype : .defaultFloat
            outType = computeType
        case .floatingOnly(let kernel):
            check(dtype.isFloatingPoint, "\(op)", "\"\(kernel)\" not implemented for '\(dtype.scalarTypeName)'")
            (computeType, outType) = (dtype, dtype)
        case .notBool(let kernel):
            check(dtype != .bool, "\(op)", "\"\(kernel)\" not implemented for 'Bool'")
            (computeType, outType) = (dtype, dtype)
        case .predicate: (computeType, outType) = (dtype, .bool)
        }
        let input = ensuring(computeType)
        let out: Tensor
        if outType == computeType, let deferred = Fusion.unary(p.kernel, input, shape: shape, dtype: outType, params: params) {
            out = deferred
        } else {
            out = Tensor(uninitializedShape: shape, dtype: outType)
            Kernels.unary(p.kernel, input, into: out, params: params)
        }
        guard let node = p.node, Tensor.isRecording(out, self) else { return out }
        switch p.vjp {
        case .none:
            return out
        case .zero:
            return Tensor.record(node, inputs: [self], result: out) { grad, _ in [Tensor.zeros(like: grad)] }
        case .ofGradient(let rule):
            return Tensor.record(node, inputs: [self], result: out) { grad, _ in [rule(grad, params)] }
        case .ofInput:
            let operand = [self]  // one array for inputs and saved values
            return Tensor.record(node, inputs: operand, result: out, saving: operand, parameters: params,
                                 rule: p.savedValueRule!)
        case .ofResult:
            return Tensor.record(node, inputs: [self], result: out, savingResult: true, parameters: params,
                                 rule: p.savedValueRule!)
        }
    }
}

// MARK: The registry

/// One primitive as the registry lists it.
public struct PrimitiveDescription: Sendable, CustomStringConvertible {
    /// The family (`unary`, `binary`, `reduction`, ...), after the file that declares it.
    public let family: String
    /// The Swift name (`exp`, `leakyRelu`).
    public let name: String
    /// The PyTorch node names it records (empty when it is not differentiable).
    public let nodeNames: [String]
    /// Whether a forward-mode (jvp) rule is declared.
    public let hasJVP: Bool

    public var description: String {
        "\(family).\(name)" + (nodeNames.isEmpty ? "" : " (\(nodeNames.joined(separator: ", ")))")
    }
}

/// Every primitive Cotangent declares: the operations with a kernel or a
/// backward rule of their own. Everything else is composed from them.
public enum Primitives {
    /// All primitives, family by family.
    public static let all: [PrimitiveDescription] = {
        var list: [PrimitiveDescription] = []
        for child in Mirror(reflecting: unary).children {
            guard let name = child.label, let p = child.value as? UnaryPrimitive else { continue }
            list.append(PrimitiveDescription(family: "unary", name: name, nodeNames: p.node.map { [$0] } ?? [],
                                             hasJVP: p.jvp != nil))
        }
        for child in Mirror(reflecting: binary).children {
            guard let name = child.label, let p = child.value as? BinaryPrimitive else { continue }
            list.append(PrimitiveDescription(family: "binary", name: name, nodeNames: p.node.map { [$0] } ?? [],
                                             hasJVP: p.jvp != nil))
        }
        for (family, entries) in recordedInPlace {
            for (name, nodes) in entries {
                list.append(PrimitiveDescription(family: family, name: name, nodeNames: nodes, hasJVP: false))
            }
        }
        return list
    }()

    /// Public operations composed from primitives (no rule of their own), by Swift name.
    public static let composites: Set<String> = [
        "square", "softsign", "softmin", "relu6", "selu", "outer", "matmul", "flattened", "narrowed", "t",
        "cloned", "chunked", "MSELoss", "takeAlongDim", "tiled", "repeatInterleave", "movedim", "swapaxes",
        "unflattened", "broadcast", "meshgrid", "argsort", "bucketize",
        "nanmean", "countNonzero", "oneHot", "einsum", "tensordot", "kron",
        // MARK: pooling and normalisation
        "maxPool2d", "maxPool3d", "maxPool1d", "maxPool1dWithIndices", "avgPool1d", "adaptiveAvgPool1d", "adaptiveMaxPool2d",
        "localResponseNorm", "instanceNorm",
        // MARK: losses on embeddings and likelihoods (issue 11)
        "klDiv", "KLDivLoss", "cosineEmbeddingLoss", "CosineEmbeddingLoss", "marginRankingLoss", "MarginRankingLoss",
        "tripletMarginLoss", "TripletMarginLoss", "poissonNLLLoss", "PoissonNLLLoss", "gaussianNLLLoss",
        "GaussianNLLLoss", "CTCLoss", "adaptiveMaxPool1d", "adaptiveMaxPool1dWithIndices",
        // MARK: 3-d adaptive pooling (issue 11)
        "adaptiveMaxPool3d",
    ]

    /// The operators of the op table's keys, by the primitive that implements them.
    public static let operatorSpellings: [String: String] = [
        "add": "+", "sub": "-", "mul": "*", "div": "/", "neg": "-", "rsub": "-",
        "eq": ".==", "ne": ".!=", "lt": ".<", "le": ".<=", "gt": ".>", "ge": ".>=",
        "logicalAnd": ".&&", "logicalOr": ".||", "logicalXor": ".^", "logicalNot": "!", "index": "[]",
    ]

    static let unary = UnaryPrimitives()
    static let binary = BinaryPrimitives()

    /// Primitives whose forward and rule are written out in the method that
    /// records them (their shapes and parameters vary too much for a table
    /// row), listed here by family with the node names they record. A test
    /// checks that every node an op-table run records is named here or in
    /// the tables above, so this list cannot fall behind the code.
    static let recordedInPlace: [(String, [(String, [String])])] = [
        ("binary", [
            ("add", ["AddBackward0"]), ("sub", ["SubBackward0"]), ("rsub", ["RsubBackward1"]),
            ("mul", ["MulBackward0"]), ("div", ["DivBackward0"]),
            ("pow", ["PowBackward0", "PowBackward1", "PowBackward2"]),
            ("maximum", ["MaximumBackward0"]), ("minimum", ["MinimumBackward0"]),
            ("atan2", ["Atan2Backward0"]), ("floorDivide", ["NotImplemented"]), ("remainder", ["RemainderBackward1"]),
            ("where", ["WhereBackward0"]), ("clamped", ["ClampBackward1", "ClampBackward0"]),
            ("lerp", ["LerpBackward0", "LerpBackward1"]), ("addcmul", ["AddcmulBackward0"]),
            ("addcdiv", ["AddcdivBackward0"]), ("nanToNum", ["NanToNumBackward0"]),
        ]),
        ("comparison", [
            ("eq", []), ("ne", []), ("lt", []), ("le", []), ("gt", []), ("ge", []),
            ("logicalAnd", []), ("logicalOr", []), ("logicalXor", []), ("logicalNot", []),
        ]),
        ("activation", [
            ("gelu", ["GeluBackward0"]), ("glu", ["GluBackward0"]), ("prelu", ["PreluKernelBackward0"]),
        ]),
        ("reduction", [
            ("sum", ["SumBackward0", "SumBackward1"]), ("mean", ["MeanBackward0", "MeanBackward1"]),
            ("prod", ["ProdBackward0", "ProdBackward1"]), ("max", ["MaxBackward1", "MaxBackward0"]),
            ("min", ["MinBackward1", "MinBackward0"]), ("amax", ["AmaxBackward0"]), ("amin", ["AminBackward0"]),
            ("argmax", []), ("argmin", []), ("all", []), ("any", []), ("cumsum", ["CumsumBackward0"]),
            ("norm", ["LinalgVectorNormBackward0"]), ("variance", ["VarBackward0"]), ("std", ["StdBackward0"]),
            ("logsumexp", ["LogsumexpBackward0"]),
            ("cumprod", ["CumprodBackward0"]), ("cummax", ["CummaxBackward0"]), ("cummin", ["CumminBackward0"]),
            ("logcumsumexp", ["LogcumsumexpBackward0"]), ("aminmax", ["AminmaxBackward0"]), ("nansum", ["NansumBackward0"]),
        ]),
        ("linearAlgebra", [
            ("dot", ["DotBackward0"]), ("mm", ["MmBackward0"]), ("mv", ["MvBackward0"]),
            ("bmm", ["BmmBackward0"]), ("addmm", ["AddmmBackward0"]),
            ("baddbmm", ["BaddbmmBackward0"]), ("addmv", ["AddmvBackward0"]), ("addr", ["AddrBackward0"]),
            ("cdist", ["CdistBackward0"]),
        ]),
        ("movement", [
            ("reshaped", ["ViewBackward0", "UnsafeViewBackward0", "ReshapeAliasBackward0", "CloneBackward0"]),
            ("squeezed", ["SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2", "SqueezeBackward4"]),
            ("unsqueezed", ["UnsqueezeBackward0"]), ("permuted", ["PermuteBackward0"]),
            ("transposed", ["TransposeBackward0", "TBackward0"]), ("expanded", ["ExpandBackward0"]),
            ("contiguous", ["CloneBackward0"]), ("to", ["ToCopyBackward0"]),
            ("select", ["SelectBackward0"]), ("slice", ["SliceBackward0"]), ("alias", ["AliasBackward0"]),
            ("embedded", ["SelectBackwardBackward0", "SliceBackwardBackward0", "AsStridedBackwardBackward0"]),
            ("cat", ["CatBackward0"]), ("stack", ["StackBackward0"]), ("split", ["SplitBackward0", "SplitWithSizesBackward0"]),
        ]),
        ("rearrange", [
            ("padded", ["ConstantPadNdBackward0", "ReflectionPad1DBackward0", "ReflectionPad2DBackward0",
                        "ReflectionPad3DBackward0", "ReplicationPad1DBackward0", "ReplicationPad2DBackward0",
                        "ReplicationPad3DBackward0"]),
            ("repeated", ["RepeatBackward0"]), ("flipped", ["FlipBackward0"]), ("rolled", ["RollBackward0"]),
            ("rot90", ["Rot90Backward0"]), ("tril", ["TrilBackward0"]), ("triu", ["TriuBackward0"]),
            ("diagonal", ["DiagonalBackward0", "DiagonalBackwardBackward0"]), ("diagEmbed", ["DiagEmbedBackward0"]),
            ("diag", ["DiagonalBackward0_copy"]), ("trace", ["TraceBackward0"]),
            ("unbind", ["UnbindBackward0", "UnbindBackwardBackward0"]),
        ]),
        ("resampling", [
            ("interpolate", ["UpsampleNearest1DBackward0", "UpsampleNearest2DBackward0", "UpsampleNearestExact1DBackward0",
                             "UpsampleNearestExact2DBackward0", "UpsampleLinear1DBackward0", "UpsampleBilinear2DBackward0",
                             "UpsampleBicubic2DBackward0", "AdaptiveAvgPool2DBackward0", "SqueezeBackward1"]),
        ]),
        ("sorting", [
            ("sorted", ["SortBackward0", "SortBackward1"]), ("topk", ["TopkBackward0"]), ("kthvalue", ["KthvalueBackward0"]),
            ("median", ["MedianBackward0", "MedianBackward1"]), ("mode", ["ModeBackward0"]),
            ("unique", ["Unique2Backward0", "UniqueDimBackward0"]), ("searchsorted", []),
        ]),
        ("indexing", [
            ("index", ["IndexBackward0"]), ("indexPut", ["IndexPutBackward0"]), ("indexSelect", ["IndexSelectBackward0"]),
            ("indexAdd", ["IndexAddBackward0"]), ("indexCopy", ["IndexCopyBackward0"]), ("indexFill", ["IndexFillBackward0"]),
            ("gather", ["GatherBackward0"]), ("scattered", ["ScatterBackward0", "ScatterBackward1"]),
            ("scatterAdd", ["ScatterAddBackward0"]), ("scatterReduce", ["ScatterReduceBackward0"]),
            ("maskedSelect", ["MaskedSelectBackward0"]), ("maskedScatter", ["MaskedScatterBackward0"]),
            ("take", ["TakeBackward0"]),
            ("maskedFilled", ["MaskedFillBackward0"]), ("copySlices", ["CopySlices"]),
        ]),
        // The ops only backward rules call (Ops/BackwardOps.swift), with rules of their own.
        ("backward", [
            ("thresholdBackward", ["ThresholdBackwardBackward0"]), ("tanhBackward", ["TanhBackwardBackward0"]),
            ("sigmoidBackward", ["SigmoidBackwardBackward0"]), ("geluBackward", ["GeluBackwardBackward0"]),
            ("hardswishBackward", ["HardswishBackwardBackward0"]),
            ("activationBackward", ["LeakyReluBackwardBackward0", "EluBackwardBackward0", "SoftplusBackwardBackward0",
                                    "HardtanhBackwardBackward0"]),
        ]),
        ("composite", [
            ("softmax", ["SoftmaxBackward0"]), ("logSoftmax", ["LogSoftmaxBackward0"]),
        ]),
        ("loss", [
            ("mseLoss", ["MseLossBackward0"]),
            // MARK: losses on embeddings and likelihoods (issue 11): ATen's clamp_min and add(Tensor, Scalar)
            ("ctcLoss", ["CtcLossBackward0"]), ("clampedMin", ["ClampMinBackward0"]), ("adding", ["AddBackward1"]),
        ]),
        // MARK: convolution
        ("convolution", [
            ("conv1d", ["ConvolutionBackward0", "ConvolutionBackwardBackward0"]), ("conv2d", ["ConvolutionBackward0"]),
            ("convTranspose1d", ["ConvolutionBackward0"]), ("convTranspose2d", ["ConvolutionBackward0"]),
        ]),
        // MARK: pooling and normalisation
        ("pooling", [
            ("maxPool2dWithIndices", ["MaxPool2DWithIndicesBackward0", "MaxPool2DWithIndicesBackwardBackward0"]),
            ("avgPool2d", ["AvgPool2DBackward0"]),
            ("maxPool3dWithIndices", ["MaxPool3DWithIndicesBackward0", "MaxPool3DWithIndicesBackwardBackward0"]),
            ("avgPool3d", ["AvgPool3DBackward0", "AvgPool3DBackwardBackward0"]),
            ("adaptiveAvgPool2d", ["AdaptiveAvgPool2DBackward0"]),
            ("adaptiveMaxPool2dWithIndices", ["AdaptiveMaxPool2DBackward0", "AdaptiveMaxPool2DBackwardBackward0"]), ("maxUnpool2d", ["MaxUnpool2DBackward0"]),
            ("adaptiveAvgPool3d", ["AdaptiveAvgPool3DBackward0", "AdaptiveAvgPool3DBackwardBackward0"]),
            ("adaptiveMaxPool3dWithIndices", ["AdaptiveMaxPool3DBackward0", "AdaptiveMaxPool3DBackwardBackward0"]),
        ]),
        ("normalization", [
            ("batchNorm", ["NativeBatchNormBackward0"]), ("groupNorm", ["NativeGroupNormBackward0"]),
        ]),
        // MARK: attention
        ("attention", [
            ("scaledDotProductAttention", ["ScaledDotProductFlashAttentionForCpuBackward0"]),
            ("safeSoftmax", ["SafeSoftmaxBackward0"]),
        ]),
        // MARK: Embeddings (d2l helper)
        ("embedding", [
            ("embedding", ["EmbeddingBackward0"]), ("embeddingBag", ["EmbeddingBagBackward0"]),
        ]),
    ]
}
