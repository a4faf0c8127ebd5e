import CCotangentKernels

// Pooling (`torch.nn.functional.max_pool2d` and its family). The 2-d ops are
// primitives over the C kernels of pool.c, with PyTorch's node names and
// output-size rules; the 1-d ops are PyTorch's compositions (unsqueeze the
// input to a height of 1, pool in 2-d, squeeze), so they record the same
// `SqueezeBackward1` over the 2-d node; the 3-d ops run the 2-d kernels over
// depth slices and then depth windows (adaptive average pooling has a 3-d
// kernel) and record PyTorch's 3-d nodes. Max pooling's backward is a
// scatter-add of the gradient at the saved indices (differentiable through the
// scatter op's rule); average pooling's backward is a primitive of its own
// whose backward is average pooling again (PyTorch's derivatives.yaml).

/// A pooling size that is one number for both spatial dims or one per dim
/// (`kernel_size=3` or `kernel_size=(3, 2)` in PyTorch), written as an
/// integer or array literal: `kernelSize: 3`, `kernelSize: [3, 2]`.
public struct PoolSize: Sendable, Hashable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
    CustomStringConvertible {
    /// The values as given: one, or one per spatial dim.
    public let values: [Int]

    /// One value for every spatial dim.
    public init(_ value: Int) { values = [value] }
    /// One value per spatial dim (or a single value for all).
    public init(_ values: [Int]) { self.values = values }
    public init(integerLiteral value: Int) { self.init(value) }
    public init(arrayLiteral elements: Int...) { self.init(elements) }

    /// The value for each of `count` dims; stops unless one or `count` values were given.
    func expanded(_ count: Int, op: String, name: String) -> [Int] {
        if values.count == 1 { return Array(repeating: values[0], count: count) }
        check(values.count == count, op, "\(op): \(name) must either be a single int, or a tuple of \(count == 2 ? "two" : "\(count)") ints")
        return values
    }

    /// As PyTorch prints the argument it was given: `3` or `(3, 2)`.
    public var description: String {
        values.count == 1 ? "\(values[0])" : "(" + values.map(String.init).joined(separator: ", ") + ")"
    }
}

/// PyTorch's `pooling_output_shape`: the number of windows along one dim, with
/// its checks. In ceil mode the last window must start inside the input or the
/// left padding.
func poolingOutputSize(_ inputSize: Int, kernel: Int, pad: Int, stride: Int, dilation: Int, ceilMode: Bool,
                       op: String) -> Int {
    check(stride != 0, op, "stride should not be zero")
    check(pad >= 0, op, "pad must be non-negative, but got pad: \(pad)")
    check(pad <= ((kernel - 1) * dilation + 1) / 2, op,
          "pad should be at most half of effective kernel size, but got pad=\(pad), kernel_size=\(kernel) and dilation=\(dilation)")
    let numerator = inputSize + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)
    // div_rtn: division rounding toward negative infinity.
    var quotient = numerator / stride
    if numerator % stride != 0 && (numerator < 0) != (stride < 0) { quotient -= 1 }
    var size = quotient + 1
    if ceilMode && (size - 1) * stride >= inputSize + pad { size -= 1 }
    return size
}

/// The validated geometry of a 2-d pooling of `input` (`[C, H, W]` or `[N, C, H, W]`).
struct Pool2dPlan {
    let geometry: ct_pool2d_geometry
    let inputShape: [Int]
    let outputShape: [Int]
    let planes: Int

    /// PyTorch's `pool2d_shape_check` after the output sizes.
    init(_ input: Tensor, kernel k: [Int], stride s: [Int], padding p: [Int], dilation d: [Int], ceilMode: Bool,
         op: String) {
        let rank = input.rank
        let h = input.shape[rank - 2], w = input.shape[rank - 1], channels = input.shape[rank - 3]
        let oh = poolingOutputSize(h, kernel: k[0], pad: p[0], stride: s[0], dilation: d[0], ceilMode: ceilMode, op: op)
        let ow = poolingOutputSize(w, kernel: k[1], pad: p[1], stride: s[1], dilation: d[1], ceilMode: ceilMode, op: op)
        check(k[0] > 0 && k[1] > 0, op, "kernel size should be greater than zero, but got kH: \(k[0]) kW: \(k[1])")
        check(s[0] > 0 && s[1] > 0, op, "stride should be greater than zero, but got dH: \(s[0]) dW: \(s[1])")
        check(d[0] > 0 && d[1] > 0, op, "dilation should be greater than zero, but got dilationH: \(d[0]) dilationW: \(d[1])")
        let validDims = input.shape[rank - 3] != 0 && input.shape[rank - 2] != 0
        check((rank == 3 && input.shape[0] != 0 && validDims) || (rank == 4 && validDims && input.shape[3] != 0), op,
              "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:\(shapeText(input.shape))")
        check(k[1] / 2 >= p[1] && k[0] / 2 >= p[0], op,
              "pad should be smaller than or equal to half of kernel size, but got padW = \(p[1]), padH = \(p[0]), kW = \(k[1]), kH = \(k[0])")
        check(ow >= 1 && oh >= 1, op,
              "Given input size: (\(channels)x\(h)x\(w)). Calculated output size: (\(channels)x\(oh)x\(ow)). Output size is too small")
        inputShape = input.shape
        outputShape = Array(input.shape.dropLast(2)) + [oh, ow]
        planes = input.shape.dropLast(2).reduce(1, *)
        geometry = ct_pool2d_geometry(planes: Int64(planes), ih: Int64(h), iw: Int64(w), oh: Int64(oh), ow: Int64(ow),
                                      kh: Int64(k[0]), kw: Int64(k[1]), sh: Int64(s[0]), sw: Int64(s[1]),
                                      ph: Int64(p[0]), pw: Int64(p[1]), dh: Int64(d[0]), dw: Int64(d[1]))
    }

    /// The geometry of an adaptive pooling from `input` to `outputSize`.
    init(adaptive input: Tensor, outputSize: [Int]) {
        let rank = input.rank
        inputShape = input.shape
        outputShape = Array(input.shape.dropLast(2)) + outputSize
        planes = input.shape.dropLast(2).reduce(1, *)
        geometry = ct_pool2d_geometry(planes: Int64(planes), ih: Int64(input.shape[rank - 2]),
                                      iw: Int64(input.shape[rank - 1]), oh: Int64(outputSize[0]),
                                      ow: Int64(outputSize[1]), kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1)
    }
}

/// The dtype `pool.c` computes `dtype` in: float32 for the 16-bit floats
/// (PyTorch's opmath type, one rounding at the end), int32 for the narrow
/// integers (max pooling is exact in it); the other dtypes have kernels.
private func poolKernelDType(_ dtype: DType) -> DType {
    switch dtype {
    case .float16, .bfloat16: .float32
    case .uint8, .int8, .int16: .int32
    default: dtype
    }
}

/// Runs a pooling kernel: `body` gets `input` contiguous in the kernel's dtype
/// and an uninitialised output of `shape` in that dtype (not called when it is
/// empty); the output comes back in `input`'s dtype.
private func runPoolKernel(_ input: Tensor, shape: [Int], _ body: (_ code: ct_dtype, _ x: Tensor, _ out: Tensor) -> Void) -> Tensor {
    let dtype = poolKernelDType(input.dtype)
    return withNoGrad {
        let x = input.to(dtype).contiguous()
        let out = Tensor(uninitializedShape: shape, dtype: dtype)
        if out.count > 0 { body(dtype.kernelCode, x, out) }
        return out.to(input.dtype)
    }
}

/// The gradient of a max pooling: `grad` added at `indices` into zeros of the
/// input's shape (a fused kernel), recorded as `node` (PyTorch's
/// `MaxPool2DWithIndicesBackwardBackward0`, `AdaptiveMaxPool2DBackwardBackward0`)
/// when the backward pass itself is recorded.
private func maxPoolGradient(_ grad: Tensor, indices: Tensor, plan: Pool2dPlan, op: String, node: String) -> Tensor {
    maxPoolGradient(grad, indices: indices, planes: plan.planes, inputShape: plan.inputShape,
                    outputShape: plan.outputShape, op: op, node: node)
}

/// The same for any number of pooled dims: `indices` are flat within each of `planes` planes.
private func maxPoolGradient(_ grad: Tensor, indices: Tensor, planes: Int, inputShape: [Int], outputShape: [Int],
                             op: String, node: String) -> Tensor {
    let inSize = inputShape.reduce(1, *) / Swift.max(planes, 1), outSize = outputShape.reduce(1, *) / Swift.max(planes, 1)
    let plan = (planes: planes, inputShape: inputShape, outputShape: outputShape)
    let ix = indices.contiguous()
    var ok = true
    let out = runPoolKernel(grad, shape: plan.inputShape) { code, g, out in
        ok = ct_pool_scatter_add(code, Int64(plan.planes), Int64(inSize), Int64(outSize), g.baseAddress,
                                 ix.baseAddress.assumingMemoryBound(to: Int64.self), out.baseAddress)
    }
    check(ok, op, "index out of range in the saved indices of \(op)")
    // PyTorch's max_pool_double_backward: the incoming gradient gathered at the indices.
    return Tensor.record(node, inputs: [grad], result: out, saving: [indices]) { gg, saved in
        [gg.reshaped([plan.planes, inSize]).gather(dim: 1, index: saved[0].reshaped([plan.planes, outSize]))
            .reshaped(plan.outputShape)]
    }
}

/// Runs a max-pooling kernel into a new output and indices.
private func runMaxPool(_ input: Tensor, plan: Pool2dPlan, op: String,
                        kernel: (ct_dtype, UnsafePointer<ct_pool2d_geometry>, UnsafeRawPointer, UnsafeMutableRawPointer,
                                 UnsafeMutablePointer<Int64>) -> Void) -> (Tensor, Tensor) {
    check(input.dtype != .bool, op, "\"\(op)\" not implemented for 'Bool'")
    let indices = Tensor(uninitializedShape: plan.outputShape, dtype: .int64)
    var g = plan.geometry
    let out = runPoolKernel(input, shape: plan.outputShape) { code, x, out in
        kernel(code, &g, x.baseAddress, out.baseAddress, indices.baseAddress.assumingMemoryBound(to: Int64.self))
    }
    return (out, indices)
}

/// `(output, indices)` of `max_pool2d_with_indices`, recorded as `MaxPool2DWithIndicesBackward0`.
func maxPool2dWithIndicesCore(_ input: Tensor, kernel: [Int], stride: [Int], padding: [Int], dilation: [Int],
                              ceilMode: Bool, op: String = "max_pool2d") -> (output: Tensor, indices: Tensor) {
    check(input.rank == 3 || input.rank == 4, op, "non-empty 3D or 4D (batch mode) tensor expected for input")
    let plan = Pool2dPlan(input, kernel: kernel, stride: stride, padding: padding, dilation: dilation,
                          ceilMode: ceilMode, op: op)
    let (out, indices) = runMaxPool(input, plan: plan, op: op) { ct_max_pool2d($0, $1, $2, $3, $4) }
    let result = Tensor.record("MaxPool2DWithIndicesBackward0", inputs: [input], result: out, saving: [indices]) { grad, saved in
        [maxPoolGradient(grad, indices: saved[0], plan: plan, op: op, node: "MaxPool2DWithIndicesBackwardBackward0")]
    }
    return (result, indices)
}

/// The stride of a pooling call: the kernel size when not given (PyTorch's default).
private func poolStride(_ stride: PoolSize?, kernel: [Int], op: String) -> [Int] {
    guard let stride, !stride.values.isEmpty else { return kernel }
    return stride.expanded(kernel.count, op: op, name: "stride")
}

/// Max pooling over the last two dims (`torch.nn.functional.max_pool2d`).
///
/// Each output element is the maximum of a `kernelSize` window of the input,
/// the windows `stride` apart, `dilation` between a window's elements, over
/// the input with `padding` implicit `-inf` elements on each side. The output
/// size along a dim is `floor((size + 2·padding - dilation·(kernel - 1) - 1) / stride) + 1`,
/// rounded up instead in `ceilMode` (as long as the last window starts inside
/// the input or its left padding).
///
/// - Parameters:
///   - input: `[C, H, W]` or `[N, C, H, W]`, floating or integer.
///   - kernelSize: The window size (one value, or `[kH, kW]`).
///   - stride: The step between windows; the kernel size when nil.
///   - padding: Implicit padding on both sides, at most half the kernel size.
///   - dilation: The step between a window's elements.
///   - ceilMode: Whether to round the output size up.
/// - Returns: The pooled tensor, recorded as `MaxPool2DWithIndicesBackward0`.
/// - Complexity: O(output elements · kernel elements), threaded over planes.
public func maxPool2d(_ input: Tensor, kernelSize: PoolSize, stride: PoolSize? = nil, padding: PoolSize = 0,
                      dilation: PoolSize = 1, ceilMode: Bool = false) -> Tensor {
    maxPool2dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                         ceilMode: ceilMode).output
}

/// ``maxPool2d(_:kernelSize:stride:padding:dilation:ceilMode:)`` that also
/// returns where each maximum was (`return_indices=True`): the flat index
/// `h · W + w` within its plane, the first of ties (a NaN wins), as PyTorch's.
///
/// - Returns: The pooled tensor and the `int64` indices of its shape (for ``maxUnpool2d(_:indices:kernelSize:stride:padding:outputSize:)``).
public func maxPool2dWithIndices(_ input: Tensor, kernelSize: PoolSize, stride: PoolSize? = nil, padding: PoolSize = 0,
                                 dilation: PoolSize = 1, ceilMode: Bool = false) -> (output: Tensor, indices: Tensor) {
    let op = "max_pool2d"
    let k = kernelSize.expanded(2, op: op, name: "kernel_size")
    return maxPool2dWithIndicesCore(input, kernel: k, stride: poolStride(stride, kernel: k, op: op),
                                    padding: padding.expanded(2, op: op, name: "padding"),
                                    dilation: dilation.expanded(2, op: op, name: "dilation"), ceilMode: ceilMode)
}

/// Max pooling over the last dim of `[C, L]` or `[N, C, L]` (`torch.nn.functional.max_pool1d`);
/// see ``maxPool2d(_:kernelSize:stride:padding:dilation:ceilMode:)``.
///
/// Computed as PyTorch does: a 2-d pooling of the input with a height of 1,
/// so the output records `SqueezeBackward1` over `MaxPool2DWithIndicesBackward0`.
public func maxPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                      ceilMode: Bool = false) -> Tensor {
    // PyTorch's check_max_pool1d, which max_pool1d runs before pooling.
    let op = "max_pool1d"
    check(input.rank == 2 || input.rank == 3, op,
          "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:\(shapeText(input.shape))")
    let s = stride ?? kernelSize
    check(kernelSize > 0, op, "max_pool1d() kernel_size must be greater than zero, but got \(kernelSize)")
    check(s > 0, op, "max_pool1d() stride must be greater than zero, but got \(s)")
    check(padding >= 0, op, "max_pool1d() padding must be non-negative, but got \(padding)")
    check(padding <= kernelSize / 2, op,
          "max_pool1d() padding should be at most half of kernel size, but got padding=\(padding) and kernel_size=\(kernelSize)")
    check(dilation > 0, op, "max_pool1d() dilation must be greater than zero, but got \(dilation)")
    let ow = poolingOutputSize(input.shape[input.rank - 1], kernel: kernelSize, pad: padding, stride: s,
                               dilation: dilation, ceilMode: ceilMode, op: op)
    check(ow > 0, op, "max_pool1d() Invalid computed output size: \(ow)")
    // PyTorch pools without indices in max_pool1d_impl, which takes floats only;
    // maxPool1dWithIndices takes the integers too, as PyTorch's does.
    check(input.dtype.isFloatingPoint, op, "\"max_pool1d_impl\" not implemented for '\(input.dtype.scalarTypeName)'")
    return maxPool1dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                                ceilMode: ceilMode).output
}

/// ``maxPool1d(_:kernelSize:stride:padding:dilation:ceilMode:)`` that also
/// returns the index of each maximum along the last dim (`return_indices=True`).
public func maxPool1dWithIndices(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0,
                                 dilation: Int = 1, ceilMode: Bool = false) -> (output: Tensor, indices: Tensor) {
    check(input.rank == 2 || input.rank == 3, "max_pool1d",
          "Expected 2 to 3 dimensions, but got \(input.rank)-dimensional tensor for argument #1 'self' (while checking arguments for max_pool1d)")
    let (out, indices) = maxPool2dWithIndicesCore(input.unsqueezed(-2), kernel: [1, kernelSize],
                                                  stride: [1, stride ?? kernelSize], padding: [0, padding],
                                                  dilation: [1, dilation], ceilMode: ceilMode)
    return (out.squeezed(-2), indices.squeezed(-2))
}

// MARK: Average pooling

/// The parameters of an average pooling, shared by its forward and backward primitives.
private struct AvgPoolParameters {
    let plan: Pool2dPlan
    let countIncludePad: Bool
    let divisor: Int
}

/// Average pooling of a checked plan, recorded as `AvgPool2DBackward0`.
private func avgPool2dCore(_ input: Tensor, _ p: AvgPoolParameters) -> Tensor {
    var g = p.plan.geometry
    let out = runPoolKernel(input, shape: p.plan.outputShape) { code, x, out in
        ct_avg_pool2d(code, &g, p.countIncludePad, Int64(p.divisor), x.baseAddress, out.baseAddress)
    }
    return Tensor.record("AvgPool2DBackward0", inputs: [input], result: out) { grad, _ in [avgPool2dBackward(grad, p)] }
}

/// The gradient of average pooling (PyTorch's `avg_pool2d_backward`), whose
/// own gradient is average pooling of the incoming gradient.
private func avgPool2dBackward(_ grad: Tensor, _ p: AvgPoolParameters) -> Tensor {
    var geometry = p.plan.geometry
    let out = runPoolKernel(grad, shape: p.plan.inputShape) { code, g, out in
        ct_avg_pool2d_backward(code, &geometry, p.countIncludePad, Int64(p.divisor), g.baseAddress, out.baseAddress)
    }
    return Tensor.record("AvgPool2DBackwardBackward0", inputs: [grad], result: out) { gg, _ in [avgPool2dCore(gg, p)] }
}

/// Average pooling over the last two dims (`torch.nn.functional.avg_pool2d`).
///
/// Each output element is the mean of a `kernelSize` window, with windows and
/// output sizes as in ``maxPool2d(_:kernelSize:stride:padding:dilation:ceilMode:)``
/// (without dilation). The divisor is `divisorOverride` when given, else the
/// window's size counting the zero padding (`countIncludePad`, the default)
/// or only the input elements it covers.
///
/// - Parameters:
///   - input: `[C, H, W]` or `[N, C, H, W]`, floating point or `int64` (whose
///     averages truncate, as PyTorch's integer division).
///   - kernelSize: The window size.
///   - stride: The step between windows; the kernel size when nil.
///   - padding: Implicit zero padding on both sides, at most half the kernel size.
///   - ceilMode: Whether to round the output size up.
///   - countIncludePad: Whether padding elements count in the divisor.
///   - divisorOverride: A fixed divisor (non-zero), or nil.
/// - Returns: The pooled tensor, recorded as `AvgPool2DBackward0`.
/// - Complexity: O(output elements · kernel elements), threaded over planes.
public func avgPool2d(_ input: Tensor, kernelSize: PoolSize, stride: PoolSize? = nil, padding: PoolSize = 0,
                      ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
    let op = "avg_pool2d"
    let k = kernelSize.expanded(2, op: op, name: "kernel_size")
    let s = poolStride(stride, kernel: k, op: op)
    let pad = padding.expanded(2, op: op, name: "padding")
    check(divisorOverride != 0, op, "divisor must be not zero")
    if input.rank < 3 {
        fail(op, "Dimension out of range (expected to be in range of [\(-Swift.max(input.rank, 1)), \(Swift.max(input.rank, 1) - 1)], but got -3)")
    }
    check(input.dtype.isFloatingPoint || input.dtype == .int64, op,
          "\"avg_pool2d\" not implemented for '\(input.dtype.scalarTypeName)'")
    let plan = Pool2dPlan(input, kernel: k, stride: s, padding: pad, dilation: [1, 1], ceilMode: ceilMode, op: op)
    return avgPool2dCore(input, AvgPoolParameters(plan: plan, countIncludePad: countIncludePad, divisor: divisorOverride ?? 0))
}

/// Average pooling over the last dim of `[C, L]` or `[N, C, L]` (`torch.nn.functional.avg_pool1d`);
/// see ``avgPool2d(_:kernelSize:stride:padding:ceilMode:countIncludePad:divisorOverride:)``.
///
/// PyTorch's composition: `SqueezeBackward1` over `AvgPool2DBackward0`.
public func avgPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                      countIncludePad: Bool = true) -> Tensor {
    check(input.rank == 2 || input.rank == 3, "avg_pool1d",
          "Expected 2 to 3 dimensions, but got \(input.rank)-dimensional tensor for argument #1 'self' (while checking arguments for avg_pool1d)")
    return avgPool2d(input.unsqueezed(-2), kernelSize: [1, kernelSize], stride: [1, stride ?? kernelSize],
                     padding: [0, padding], ceilMode: ceilMode, countIncludePad: countIncludePad).squeezed(-2)
}

// MARK: Adaptive pooling

/// Checks an adaptive pooling's input (PyTorch's wording, which differs slightly between the ops).
private func checkAdaptiveInput(_ input: Tensor, outputSize: [Int], op: String, gotSeparator: String) {
    check(outputSize.count == 2, op, "\(op): output_size must be 2")
    check(outputSize[0] >= 0 && outputSize[1] >= 0, op,
          "\(op): elements of output_size must be greater than or equal to 0 but received {\(outputSize[0]), \(outputSize[1])}")
    check(input.rank == 3 || input.rank == 4, op, "\(op)(): Expected 3D or 4D tensor, but got\(gotSeparator) \(shapeText(input.shape))")
    for d in 1..<input.rank {
        check(input.shape[d] > 0, op,
              "\(op)(): Expected input to have non-zero size for non-batch dimensions, but input has sizes \(shapeText(input.shape)) with dimension \(d) being empty")
    }
    check(input.dtype.isFloatingPoint, op, "\"\(op)\" not implemented for '\(input.dtype.scalarTypeName)'")
}

/// Adaptive average pooling of a checked input, recorded as `AdaptiveAvgPool2DBackward0`.
private func adaptiveAvgPool2dCore(_ input: Tensor, _ plan: Pool2dPlan) -> Tensor {
    var g = plan.geometry
    let out = runPoolKernel(input, shape: plan.outputShape) { code, x, out in
        ct_adaptive_avg_pool2d(code, &g, x.baseAddress, out.baseAddress)
    }
    return Tensor.record("AdaptiveAvgPool2DBackward0", inputs: [input], result: out) { grad, _ in
        [adaptiveAvgPool2dBackward(grad, plan)]
    }
}

/// The gradient of adaptive average pooling; its own gradient is the pooling again.
private func adaptiveAvgPool2dBackward(_ grad: Tensor, _ plan: Pool2dPlan) -> Tensor {
    var geometry = plan.geometry
    let out = runPoolKernel(grad, shape: plan.inputShape) { code, g, out in
        ct_adaptive_avg_pool2d_backward(code, &geometry, g.baseAddress, out.baseAddress)
    }
    return Tensor.record("AdaptiveAvgPool2DBackwardBackward0", inputs: [grad], result: out) { gg, _ in
        [adaptiveAvgPool2dCore(gg, plan)]
    }
}

/// Adaptive average pooling to a fixed output size (`torch.nn.functional.adaptive_avg_pool2d`).
///
/// Output cell `(i, j)` averages input rows `floor(i·H/oh) ..< ceil((i+1)·H/oh)`
/// and the columns alike, so any input size pools to `outputSize`. A 1×1
/// output is the mean over the last two dims (`MeanBackward1`), as PyTorch computes it.
///
/// - Parameters:
///   - input: `[C, H, W]` or `[N, C, H, W]`, floating point.
///   - outputSize: `[oh, ow]`, or one value for both; a nil entry keeps the input's size.
/// - Returns: The pooled tensor, recorded as `AdaptiveAvgPool2DBackward0`.
public func adaptiveAvgPool2d(_ input: Tensor, outputSize: [Int?]) -> Tensor {
    let op = "adaptive_avg_pool2d"
    let size = adaptiveSize(outputSize, input: input, op: op)
    check(size.count == 2, op, "\(op): output_size must be 2")
    if size == [1, 1] { return input.mean(dim: [-1, -2], keepDim: true) }
    checkAdaptiveInput(input, outputSize: size, op: op, gotSeparator: "")
    return adaptiveAvgPool2dCore(input, Pool2dPlan(adaptive: input, outputSize: size))
}

/// ``adaptiveAvgPool2d(_:outputSize:)`` with the same size for both dims.
public func adaptiveAvgPool2d(_ input: Tensor, outputSize: Int) -> Tensor {
    adaptiveAvgPool2d(input, outputSize: [outputSize, outputSize])
}

/// The output size with nil entries (PyTorch's `None`) replaced by the input's
/// sizes; one entry stands for all `dims`.
private func adaptiveSize(_ size: [Int?], dims: Int = 2, input: Tensor, op: String) -> [Int] {
    let sizes = size.count == 1 ? Array(repeating: size[0], count: dims) : size
    return sizes.enumerated().map { i, s in
        s ?? (input.rank >= sizes.count ? input.shape[input.rank - sizes.count + i] : 0)
    }
}

/// Adaptive average pooling over the last dim of `[C, L]` or `[N, C, L]`
/// (`torch.nn.functional.adaptive_avg_pool1d`), PyTorch's composition through
/// the 2-d op (`SqueezeBackward1`).
public func adaptiveAvgPool1d(_ input: Tensor, outputSize: Int) -> Tensor {
    check(input.rank == 2 || input.rank == 3, "adaptive_avg_pool1d",
          "Expected 2 to 3 dimensions, but got \(input.rank)-dimensional tensor for argument #1 'self' (while checking arguments for adaptive_avg_pool1d)")
    return adaptiveAvgPool2d(input.unsqueezed(-2), outputSize: [1, outputSize]).squeezed(-2)
}

/// Adaptive max pooling (`torch.nn.functional.adaptive_max_pool2d`) over the
/// windows of ``adaptiveAvgPool2d(_:outputSize:)``, with the flat index of each maximum.
///
/// - Parameters:
///   - input: `[C, H, W]` or `[N, C, H, W]`, floating point.
///   - outputSize: `[oh, ow]`, or one value for both; a nil entry keeps the input's size.
/// - Returns: The pooled tensor (recorded as `AdaptiveMaxPool2DBackward0`) and the `int64` indices.
public func adaptiveMaxPool2dWithIndices(_ input: Tensor, outputSize: [Int?]) -> (output: Tensor, indices: Tensor) {
    let op = "adaptive_max_pool2d"
    let size = adaptiveSize(outputSize, input: input, op: op)
    checkAdaptiveInput(input, outputSize: size, op: op, gotSeparator: ":")
    let plan = Pool2dPlan(adaptive: input, outputSize: size)
    let (out, indices) = runMaxPool(input, plan: plan, op: op) { ct_adaptive_max_pool2d($0, $1, $2, $3, $4) }
    let result = Tensor.record("AdaptiveMaxPool2DBackward0", inputs: [input], result: out, saving: [indices]) { grad, saved in
        [maxPoolGradient(grad, indices: saved[0], plan: plan, op: op, node: "AdaptiveMaxPool2DBackwardBackward0")]
    }
    return (result, indices)
}

/// Adaptive max pooling to `outputSize`; see ``adaptiveMaxPool2dWithIndices(_:outputSize:)``.
public func adaptiveMaxPool2d(_ input: Tensor, outputSize: [Int?]) -> Tensor {
    adaptiveMaxPool2dWithIndices(input, outputSize: outputSize).output
}

/// ``adaptiveMaxPool2d(_:outputSize:)`` with the same size for both dims.
public func adaptiveMaxPool2d(_ input: Tensor, outputSize: Int) -> Tensor {
    adaptiveMaxPool2dWithIndices(input, outputSize: [outputSize, outputSize]).output
}

/// Adaptive max pooling over the last dim of `[C, L]` or `[N, C, L]`
/// (`torch.nn.functional.adaptive_max_pool1d` with `return_indices=True`),
/// PyTorch's composition through the 2-d op (`SqueezeBackward1`).
///
/// - Returns: The pooled tensor and the `int64` index along the last dim of each maximum.
public func adaptiveMaxPool1dWithIndices(_ input: Tensor, outputSize: Int) -> (output: Tensor, indices: Tensor) {
    let op = "adaptive_max_pool1d"
    check(input.rank == 2 || input.rank == 3, op,
          "Expected 2 to 3 dimensions, but got \(input.rank)-dimensional tensor for argument #1 'self' (while checking arguments for adaptive_max_pool1d)")
    for d in 1..<input.rank {
        check(input.shape[d] > 0, op,
              "\(op)(): Expected input to have non-zero size for non-batch dimensions, but input has sizes \(shapeText(input.shape)) with dimension \(d) being empty")
    }
    check(outputSize >= 0, op,
          "Trying to create tensor with negative dimension \(outputSize): \(shapeText(Array(input.shape.dropLast()) + [1, outputSize]))")
    let r = adaptiveMaxPool2dWithIndices(input.unsqueezed(-2), outputSize: [1, outputSize])
    return (r.output.squeezed(-2), r.indices.squeezed(-2))
}

/// Adaptive max pooling over the last dim (`torch.nn.functional.adaptive_max_pool1d`);
/// see ``adaptiveMaxPool1dWithIndices(_:outputSize:)``.
public func adaptiveMaxPool1d(_ input: Tensor, outputSize: Int) -> Tensor {
    adaptiveMaxPool1dWithIndices(input, outputSize: outputSize).output
}

// MARK: Unpooling

/// The inverse of max pooling (`torch.nn.functional.max_unpool2d`): zeros of
/// the unpooled size with each input value written at its index.
///
/// - Parameters:
///   - input: `[C, H, W]` or `[N, C, H, W]`, the pooled values.
///   - indices: The flat indices ``maxPool2dWithIndices(_:kernelSize:stride:padding:dilation:ceilMode:)`` returned.
///   - kernelSize: The pooling's kernel size.
///   - stride: The pooling's stride; the kernel size when nil.
///   - padding: The pooling's padding.
///   - outputSize: The unpooled `[H, W]` (or the full shape), needed when the
///     pooling rounded its size down; by default `(in - 1)·stride - 2·padding + kernel`.
/// - Returns: The unpooled tensor, recorded as `MaxUnpool2DBackward0`.
public func maxUnpool2d(_ input: Tensor, indices: Tensor, kernelSize: PoolSize, stride: PoolSize? = nil,
                        padding: PoolSize = 0, outputSize: [Int]? = nil) -> Tensor {
    let op = "max_unpool2d"
    let k = kernelSize.expanded(2, op: op, name: "kernel_size")
    let s = poolStride(stride, kernel: k, op: op)
    let p = padding.expanded(2, op: op, name: "padding")
    check(input.rank == 3 || input.rank == 4, op,
          "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with \(input.rank) dimensions.")
    let defaults = (0..<2).map { d in (input.shape[input.rank - 2 + d] - 1) * s[d] + k[d] - 2 * p[d] }
    var size = defaults
    if let outputSize {
        // PyTorch's _unpool_output_size: a full shape gives its last two sizes.
        let given = outputSize.count == 4 ? Array(outputSize.suffix(2)) : outputSize
        check(given.count == 2, op,
              "output_size should be a sequence containing 2 or 4 elements, but it has a length of '\(outputSize.count)'")
        for d in 0..<2 {
            let lo = defaults[d] - s[d], hi = defaults[d] + s[d]
            check(given[d] > lo && given[d] < hi, op,
                  "invalid output_size \"(\(given.map(String.init).joined(separator: ", ")))\" (dim \(d) must be between \(lo) and \(hi))")
        }
        size = given
    }
    check(indices.dtype == .int64, op, "elements in indices should be type int64 but got: \(indices.dtype.scalarTypeName)")
    check(indices.shape == input.shape, op,
          "Expected shape of indices to be same as that of the input tensor (\(shapeText(input.shape))) but got indices tensor with shape: \(shapeText(indices.shape))")
    let planes = input.shape.dropLast(2).reduce(1, *), inSize = input.shape.suffix(2).reduce(1, *)
    let outSize = size[0] * size[1]
    let outputShape = Array(input.shape.dropLast(2)) + size
    if indices.count > 0 {
        let (lo, hi) = withNoGrad { (indices.min().item(), indices.max().item()) }
        if lo < 0 || Int(hi) >= outSize {
            // PyTorch names the last invalid index in memory order (its loop does not stop).
            let bad = indices.contiguous().scalars(as: Int64.self).last { $0 < 0 || Int($0) >= outSize }!
            fail(op, "Found an invalid max index: \(bad) (output volumes are of size \(size[0])x\(size[1]))")
        }
    }
    let flatIndices = indices.reshaped([planes, inSize])
    let out: Tensor = withNoGrad {
        Tensor.zeros([planes, outSize], dtype: input.dtype)
            .scattered(dim: 1, index: flatIndices, src: input.reshaped([planes, inSize])).reshaped(outputShape)
    }
    let inputShape = input.shape
    return Tensor.record("MaxUnpool2DBackward0", inputs: [input], result: out) { grad, _ in
        [grad.reshaped([planes, outSize]).gather(dim: 1, index: flatIndices).reshaped(inputShape)]
    }
}

// MARK: 3-d pooling

/// The shape facts of a 3-d pooling input `[C, D, H, W]` or `[N, C, D, H, W]`.
private func pool3dInput(_ input: Tensor, op: String) -> (planes: Int, d: Int, h: Int, w: Int) {
    check(input.rank == 4 || input.rank == 5, op, "non-empty 4D or 5D (batch mode) tensor expected for input")
    let r = input.rank
    return (input.shape.dropLast(3).reduce(1, *), input.shape[r - 3], input.shape[r - 2], input.shape[r - 1])
}

/// The two 2-d passes of a separable 3-d max pooling: `faces` pools each depth
/// slice of `[planes·D, H, W]` to `[planes·D, oh, ow]`, `depths` pools those
/// as `[planes, D, oh·ow]` planes along depth only. Returns the maxima in
/// `input`'s leading shape and their indices, flat within each `D·H·W` plane
/// (the winning slice's depth and face index), computed without recording.
private func maxPool3dPasses(_ input: Tensor, planes: Int, d: Int, h: Int, w: Int,
                             faces: (Tensor) -> (output: Tensor, indices: Tensor),
                             depths: (Tensor) -> (output: Tensor, indices: Tensor)) -> (Tensor, Tensor) {
    withNoGrad { () -> (Tensor, Tensor) in
        let (face, faceIndex) = faces(input.reshaped([planes * d, h, w]))
        let (oh, ow) = (face.shape[1], face.shape[2])
        let (boxes, depthIndex) = depths(face.reshaped([planes, d, oh * ow]))
        let od = boxes.shape[1]
        // depthIndex is flat in [D, oh·ow]: it picks the winning slice's face index and its depth.
        let at = depthIndex.reshaped([planes, od * oh * ow])
        let faceAt = faceIndex.reshaped([planes, d * oh * ow]).gather(dim: 1, index: at)
        let depth = Tensor.arange(d).reshaped([1, d, 1]).expanded(to: [planes, d, oh * ow]).reshaped([planes, d * oh * ow])
            .gather(dim: 1, index: at)
        let shape = Array(input.shape.dropLast(3)) + [od, oh, ow]
        return (boxes.reshaped(shape), (depth * (h * w) + faceAt).reshaped(shape))
    }
}

/// Max pooling over the last three dims with the flat index (within each
/// `D·H·W` plane) of each maximum (`max_pool3d(..., return_indices=True)`),
/// recorded as `MaxPool3DWithIndicesBackward0`.
///
/// The maximum over a box is the maximum over its depth of the maxima over its
/// `H×W` faces, so this runs the 2-d kernel twice: over each depth slice, then
/// over depth windows of the result; ties go to the first maximum in
/// depth-row-column order, as PyTorch's scan.
///
/// - Parameters: as ``maxPool2dWithIndices(_:kernelSize:stride:padding:dilation:ceilMode:)``, one value or three.
/// - Returns: The pooled tensor and the `int64` indices.
public func maxPool3dWithIndices(_ input: Tensor, kernelSize: PoolSize, stride: PoolSize? = nil, padding: PoolSize = 0,
                                 dilation: PoolSize = 1, ceilMode: Bool = false) -> (output: Tensor, indices: Tensor) {
    let op = "max_pool3d"
    let k = kernelSize.expanded(3, op: op, name: "kernel_size")
    let s = poolStride(stride, kernel: k, op: op)
    let p = padding.expanded(3, op: op, name: "padding"), dl = dilation.expanded(3, op: op, name: "dilation")
    let (planes, d, h, w) = pool3dInput(input, op: op)
    let (values, indices) = maxPool3dPasses(input, planes: planes, d: d, h: h, w: w, faces: { slices in
        maxPool2dWithIndicesCore(slices, kernel: [k[1], k[2]], stride: [s[1], s[2]], padding: [p[1], p[2]],
                                 dilation: [dl[1], dl[2]], ceilMode: ceilMode, op: op)
    }, depths: { faces in
        maxPool2dWithIndicesCore(faces, kernel: [k[0], 1], stride: [s[0], 1], padding: [p[0], 0],
                                 dilation: [dl[0], 1], ceilMode: ceilMode, op: op)
    })
    let (inputShape, outputShape) = (input.shape, values.shape)
    let result = Tensor.record("MaxPool3DWithIndicesBackward0", inputs: [input], result: values, saving: [indices]) { grad, saved in
        [maxPoolGradient(grad, indices: saved[0], planes: planes, inputShape: inputShape, outputShape: outputShape,
                         op: op, node: "MaxPool3DWithIndicesBackwardBackward0")]
    }
    return (result, indices)
}

/// Max pooling over the last three dims of `[C, D, H, W]` or `[N, C, D, H, W]`
/// (`torch.nn.functional.max_pool3d`); see ``maxPool3dWithIndices(_:kernelSize:stride:padding:dilation:ceilMode:)``.
public func maxPool3d(_ input: Tensor, kernelSize: PoolSize, stride: PoolSize? = nil, padding: PoolSize = 0,
                      dilation: PoolSize = 1, ceilMode: Bool = false) -> Tensor {
    maxPool3dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                         ceilMode: ceilMode).output
}

/// Average pooling over the last three dims of `[C, D, H, W]` or
/// `[N, C, D, H, W]` (`torch.nn.functional.avg_pool3d`), recorded as `AvgPool3DBackward0`.
///
/// A box's sum is the sum over its depth of its `H×W` faces' sums, so the sums
/// come from the 2-d kernel run twice (with divisor 1) and are divided once,
/// by PyTorch's divisor: the box clipped to the padded input with
/// `countIncludePad`, to the input without, or `divisorOverride`. int64 divides
/// truncating toward zero, as PyTorch's integer average does.
///
/// - Parameters: as ``avgPool2d(_:kernelSize:stride:padding:ceilMode:countIncludePad:divisorOverride:)``, one value or three.
/// - Returns: The pooled tensor. Its gradient is recorded (under `createGraph`)
///   as `AvgPool3DBackwardBackward0`, whose gradient is this pooling again.
public func avgPool3d(_ input: Tensor, kernelSize: PoolSize, stride: PoolSize? = nil, padding: PoolSize = 0,
                      ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
    let op = "avg_pool3d"
    let k = kernelSize.expanded(3, op: op, name: "kernel_size")
    let s = poolStride(stride, kernel: k, op: op)
    let p = padding.expanded(3, op: op, name: "padding")
    check(divisorOverride != 0, op, "divisor must be not zero")
    let (planes, d, h, w) = pool3dInput(input, op: op)
    check(input.dtype == .float32 || input.dtype == .float64 || input.dtype == .int64, op,
          "\"avg_pool3d_out_frame\" not implemented for '\(input.dtype.scalarTypeName)'")
    let slices = input.reshaped([planes * d, h, w])
    let facePlan = Pool2dPlan(slices, kernel: [k[1], k[2]], stride: [s[1], s[2]], padding: [p[1], p[2]],
                              dilation: [1, 1], ceilMode: ceilMode, op: op)
    let faceSum = AvgPoolParameters(plan: facePlan, countIncludePad: true, divisor: 1)
    let (oh, ow) = (facePlan.outputShape[1], facePlan.outputShape[2])
    let depthPlan = Pool2dPlan(Tensor(uninitializedShape: [planes, d, oh * ow], dtype: input.dtype), kernel: [k[0], 1],
                               stride: [s[0], 1], padding: [p[0], 0], dilation: [1, 1], ceilMode: ceilMode, op: op)
    let depthSum = AvgPoolParameters(plan: depthPlan, countIncludePad: true, divisor: 1)
    let od = depthPlan.outputShape[1]
    let inSizes = [d, h, w], outSizes = [od, oh, ow]
    // PyTorch's divisor per output cell: the product of each dim's window length.
    func counts(_ dim: Int) -> [Int] {
        (0..<outSizes[dim]).map { o in
            let start = o * s[dim] - p[dim]
            let end = Swift.min(start + k[dim], inSizes[dim] + p[dim])
            return countIncludePad ? end - start : Swift.min(end, inSizes[dim]) - Swift.max(start, 0)
        }
    }
    let divisor: Tensor = withNoGrad {
        if let divisorOverride { return Tensor(Double(divisorOverride), dtype: input.dtype == .int64 ? .float64 : input.dtype) }
        let (cd, ch, cw) = (counts(0), counts(1), counts(2))
        let cells = cd.flatMap { a in ch.flatMap { b in cw.map { Double(a * b * $0) } } }
        return Tensor(shape: outSizes, scalars: cells).to(input.dtype == .int64 ? .float64 : input.dtype)
    }
    return avgPool3dCore(input, AvgPool3dParameters(faceSum: faceSum, depthSum: depthSum, divisor: divisor, planes: planes,
                                                    d: d, outSizes: outSizes, inputShape: input.shape))
}

/// The parameters of a 3-d average pooling, shared by its forward and backward
/// primitives: the two 2-d summing passes and PyTorch's divisor per output cell.
private struct AvgPool3dParameters {
    let faceSum: AvgPoolParameters
    let depthSum: AvgPoolParameters
    let divisor: Tensor
    let planes: Int
    let d: Int
    let outSizes: [Int]
    let inputShape: [Int]
}

/// 3-d average pooling of checked parameters, recorded as `AvgPool3DBackward0`.
private func avgPool3dCore(_ input: Tensor, _ p: AvgPool3dParameters) -> Tensor {
    let (od, oh, ow) = (p.outSizes[0], p.outSizes[1], p.outSizes[2])
    let out: Tensor = withNoGrad {
        let faces = avgPool2dCore(input.reshaped([p.planes * p.d] + p.inputShape.suffix(2)), p.faceSum)
        let sums = avgPool2dCore(faces.reshaped([p.planes, p.d, oh * ow]), p.depthSum)
            .reshaped(Array(p.inputShape.dropLast(3)) + [od, oh, ow])
        if input.dtype == .int64 { return (sums.to(.float64) / p.divisor).trunc().to(.int64) }
        return sums / p.divisor
    }
    return Tensor.record("AvgPool3DBackward0", inputs: [input], result: out) { grad, _ in [avgPool3dBackward(grad, p)] }
}

/// The gradient of 3-d average pooling (PyTorch's `avg_pool3d_backward`),
/// recorded as `AvgPool3DBackwardBackward0`, whose own gradient is the pooling.
private func avgPool3dBackward(_ grad: Tensor, _ p: AvgPool3dParameters) -> Tensor {
    let (od, oh, ow) = (p.outSizes[0], p.outSizes[1], p.outSizes[2])
    let out: Tensor = withNoGrad {
        let g = (grad / p.divisor).reshaped([p.planes, od, oh * ow])
        let faces = avgPool2dBackward(g, p.depthSum).reshaped([p.planes * p.d, oh, ow])
        return avgPool2dBackward(faces, p.faceSum).reshaped(p.inputShape)
    }
    return Tensor.record("AvgPool3DBackwardBackward0", inputs: [grad], result: out) { gg, _ in [avgPool3dCore(gg, p)] }
}

// MARK: 3-d adaptive pooling

/// The output size of a 3-d adaptive pooling. A list of three sizes goes
/// through PyTorch's Python `_list_with_default`, which needs a 4-d input.
private func adaptive3dSize(_ outputSize: [Int?], input: Tensor, op: String) -> [Int] {
    if outputSize.count == 3 { check(input.rank > 3, op, "Input dimension should be at least 4") }
    return adaptiveSize(outputSize, dims: 3, input: input, op: op)
}

/// The sizes of a checked 3-d adaptive pooling of `input` (`[C, D, H, W]` or `[N, C, D, H, W]`).
private struct AdaptivePool3dPlan {
    let geometry: ct_pool3d_geometry
    let inputShape: [Int]
    let outputShape: [Int]

    init(_ input: Tensor, outputSize: [Int]) {
        let r = input.rank
        inputShape = input.shape
        outputShape = Array(input.shape.dropLast(3)) + outputSize
        geometry = ct_pool3d_geometry(planes: Int64(input.shape.dropLast(3).reduce(1, *)), id: Int64(input.shape[r - 3]),
                                      ih: Int64(input.shape[r - 2]), iw: Int64(input.shape[r - 1]),
                                      od: Int64(outputSize[0]), oh: Int64(outputSize[1]), ow: Int64(outputSize[2]))
    }
}

/// The 16-bit type PyTorch's 3-d adaptive average kernel sums and divides in
/// (rounding every step), or float32 for the dtypes it computes exactly.
private func adaptiveAvg3dRounding(_ dtype: DType) -> ct_dtype {
    dtype == .float16 || dtype == .bfloat16 ? dtype.kernelCode : CT_F32
}

/// Adaptive 3-d average pooling of a checked plan (recorded as
/// `AdaptiveAvgPool3DBackward0`) or, with `backward`, its gradient (recorded as
/// `AdaptiveAvgPool3DBackwardBackward0`): each one's gradient is the other.
private func adaptiveAvgPool3dPass(_ input: Tensor, _ plan: AdaptivePool3dPlan, backward: Bool) -> Tensor {
    var g = plan.geometry
    let rounding = adaptiveAvg3dRounding(input.dtype)
    let kernel = backward ? ct_adaptive_avg_pool3d_backward : ct_adaptive_avg_pool3d
    let out = runPoolKernel(input, shape: backward ? plan.inputShape : plan.outputShape) { code, x, out in
        kernel(code, rounding, &g, x.baseAddress, out.baseAddress)
    }
    let node = backward ? "AdaptiveAvgPool3DBackwardBackward0" : "AdaptiveAvgPool3DBackward0"
    return Tensor.record(node, inputs: [input], result: out) { grad, _ in
        [adaptiveAvgPool3dPass(grad, plan, backward: !backward)]
    }
}

/// PyTorch's check that the non-batch dims of an adaptive pooling's input are not empty.
private func checkAdaptiveNonEmpty(_ input: Tensor, op: String) {
    for d in 1..<Swift.max(input.rank, 1) {
        check(input.shape[d] > 0, op,
              "\(op)(): Expected input to have non-zero size for non-batch dimensions, but input has sizes \(shapeText(input.shape)) with dimension \(d) being empty")
    }
}

/// Adaptive average pooling over the last three dims (`torch.nn.functional.adaptive_avg_pool3d`).
///
/// Output cell `(a, b, c)` averages input depths `floor(a·D/od) ..< ceil((a+1)·D/od)`,
/// and the rows and columns alike, so any input size pools to `outputSize`.
/// A 1×1×1 output is the mean over the last three dims (`MeanBackward1`), as
/// PyTorch computes it. float16 and bfloat16 sum and divide in their own type,
/// rounding every step, as PyTorch's kernel does for them.
///
/// - Parameters:
///   - input: `[C, D, H, W]` or `[N, C, D, H, W]`, floating point.
///   - outputSize: `[od, oh, ow]`, or one value for all three; a nil entry keeps the input's size.
/// - Returns: The pooled tensor, recorded as `AdaptiveAvgPool3DBackward0` (its
///   gradient, under `createGraph`, as `AdaptiveAvgPool3DBackwardBackward0`).
/// - Complexity: O(input elements + output elements), threaded over planes.
public func adaptiveAvgPool3d(_ input: Tensor, outputSize: [Int?]) -> Tensor {
    let op = "adaptive_avg_pool3d"
    let size = adaptive3dSize(outputSize, input: input, op: op)
    check(size.count == 3, op, "\(op): output_size must be 3")
    check(size.allSatisfy { $0 >= 0 }, op,
          "\(op): elements of output_size must be greater than or equal to 0 but received {\(size[0]), \(size[1]),\(size[2])}")
    if size == [1, 1, 1] { return input.mean(dim: [-1, -2, -3], keepDim: true) }
    checkAdaptiveNonEmpty(input, op: op)
    check(input.rank == 4 || input.rank == 5, op, "\(op)(): Expected 4D or 5D tensor, but got \(shapeText(input.shape))")
    check(input.dtype.isFloatingPoint, op, "\"adaptive_avg_pool3d_cpu\" not implemented for '\(input.dtype.scalarTypeName)'")
    return adaptiveAvgPool3dPass(input, AdaptivePool3dPlan(input, outputSize: size), backward: false)
}

/// ``adaptiveAvgPool3d(_:outputSize:)`` with the same size for all three dims.
public func adaptiveAvgPool3d(_ input: Tensor, outputSize: Int) -> Tensor {
    adaptiveAvgPool3d(input, outputSize: [outputSize])
}

/// Adaptive max pooling over the last three dims with the flat index (within
/// each `D·H·W` plane) of each maximum
/// (`torch.nn.functional.adaptive_max_pool3d(..., return_indices=True)`), over
/// the boxes of ``adaptiveAvgPool3d(_:outputSize:)``.
///
/// As ``maxPool3dWithIndices(_:kernelSize:stride:padding:dilation:ceilMode:)``,
/// this runs the 2-d adaptive kernel over each depth slice, then over depth
/// windows of the result; ties go to the first maximum in depth-row-column
/// order and a NaN wins, as in PyTorch's scan.
///
/// - Parameters:
///   - input: `[C, D, H, W]` or `[N, C, D, H, W]`, floating point.
///   - outputSize: `[od, oh, ow]`, or one value for all three; a nil entry keeps the input's size.
/// - Returns: The pooled tensor (recorded as `AdaptiveMaxPool3DBackward0`) and the `int64` indices.
public func adaptiveMaxPool3dWithIndices(_ input: Tensor, outputSize: [Int?]) -> (output: Tensor, indices: Tensor) {
    let op = "adaptive_max_pool3d"
    let size = adaptive3dSize(outputSize, input: input, op: op)
    check(input.rank == 4 || input.rank == 5, op, "\(op)(): Expected 4D or 5D tensor, but got: \(shapeText(input.shape))")
    checkAdaptiveNonEmpty(input, op: op)
    check(size.count == 3, op, "\(op)(): internal error: output_size.size() must be 3")
    let outputShape = Array(input.shape.dropLast(3)) + size
    if let negative = size.first(where: { $0 < 0 }) {
        fail(op, "Trying to create tensor with negative dimension \(negative): \(shapeText(outputShape))")
    }
    check(input.dtype.isFloatingPoint, op, "\"adaptive_max_pool3d_cpu\" not implemented for '\(input.dtype.scalarTypeName)'")
    let r = input.rank
    let (planes, d, h, w) = (input.shape.dropLast(3).reduce(1, *), input.shape[r - 3], input.shape[r - 2], input.shape[r - 1])
    func adaptiveMax(_ x: Tensor, _ outSize: [Int]) -> (output: Tensor, indices: Tensor) {
        runMaxPool(x, plan: Pool2dPlan(adaptive: x, outputSize: outSize), op: op) { ct_adaptive_max_pool2d($0, $1, $2, $3, $4) }
    }
    let (values, indices) = maxPool3dPasses(input, planes: planes, d: d, h: h, w: w,
                                            faces: { adaptiveMax($0, [size[1], size[2]]) },
                                            depths: { adaptiveMax($0, [size[0], $0.shape[2]]) })
    let inputShape = input.shape
    let result = Tensor.record("AdaptiveMaxPool3DBackward0", inputs: [input], result: values, saving: [indices]) { grad, saved in
        [maxPoolGradient(grad, indices: saved[0], planes: planes, inputShape: inputShape, outputShape: outputShape,
                         op: op, node: "AdaptiveMaxPool3DBackwardBackward0")]
    }
    return (result, indices)
}

/// Adaptive max pooling over the last three dims (`torch.nn.functional.adaptive_max_pool3d`);
/// see ``adaptiveMaxPool3dWithIndices(_:outputSize:)``.
public func adaptiveMaxPool3d(_ input: Tensor, outputSize: [Int?]) -> Tensor {
    adaptiveMaxPool3dWithIndices(input, outputSize: outputSize).output
}

/// ``adaptiveMaxPool3d(_:outputSize:)`` with the same size for all three dims.
public func adaptiveMaxPool3d(_ input: Tensor, outputSize: Int) -> Tensor {
    adaptiveMaxPool3dWithIndices(input, outputSize: [outputSize]).output
}
