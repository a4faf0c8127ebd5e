import CCotangentKernels

// Convolution (`torch.nn.functional.conv1d/conv2d/conv_transpose1d/conv_transpose2d`).
//
// Three C products (conv.c) do the work: the convolution itself (A), its
// input gradient, which is also a transposed convolution (T), and its weight
// gradient (B). They are bilinear and each one's derivatives are the other
// two (for ⟨A(x, w), g⟩ = ⟨x, T(g, w)⟩ = ⟨w, B(x, g)⟩), so every rule below
// is a call of these products, recorded again: double and triple backward
// work, as PyTorch's `ConvolutionBackwardBackward0` does. A user's
// convolution or transposed convolution records one `ConvolutionBackward0`
// node over input, weight and bias, as PyTorch.

/// A convolution size that is one number for every spatial dim or one per dim
/// (`stride=2` or `stride=(2, 1)` in PyTorch), written as an integer or array
/// literal: `stride: 2`, `stride: [2, 1]`.
public struct ConvSize: Sendable, Hashable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
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
        check(values.count == count, op, "expected \(name) to be a single integer value or a list of \(count) values to match the convolution dimensions, but got \(name)=\(shapeText(values))")
        return values
    }

    public var description: String {
        values.count == 1 ? "\(values[0])" : "(" + values.map(String.init).joined(separator: ", ") + ")"
    }
}

/// The padding of a convolution: explicit sizes (an integer or array
/// literal), `.same` (the output as large as the input; stride 1 only) or
/// `.valid` (no padding), as PyTorch's `padding=` argument.
public enum ConvPadding: Sendable, Hashable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
    /// Zeros added on both sides of each spatial dim: one size for all, or one per dim.
    case explicit(ConvSize)
    /// Pads so that the output has the input's size (PyTorch's `padding='same'`);
    /// an odd total puts the extra element after, as PyTorch does.
    case same
    /// No padding (PyTorch's `padding='valid'`).
    case valid

    public init(integerLiteral value: Int) { self = .explicit(ConvSize(value)) }
    public init(arrayLiteral elements: Int...) { self = .explicit(ConvSize(elements)) }
}

/// Where a convolution's numbers go: the C geometry plus the shapes of the
/// three tensors of the underlying (non-transposed) convolution.
struct ConvGeometry {
    var geometry: ct_conv_geometry
    /// The number of spatial dims (1 or 2).
    let spatialRank: Int

    init(spatialRank: Int, batch: Int, inChannels: Int, outChannels: Int, groups: Int, inSize: [Int], outSize: [Int],
         kernel: [Int], stride: [Int], padding: [Int], dilation: [Int]) {
        self.spatialRank = spatialRank
        // A 1-d convolution is a 2-d one of height 1.
        func two(_ v: [Int], _ one: Int) -> (Int64, Int64) {
            v.count == 1 ? (Int64(one), Int64(v[0])) : (Int64(v[0]), Int64(v[1]))
        }
        geometry = ct_conv_geometry(batch: Int64(batch), in_channels: Int64(inChannels), out_channels: Int64(outChannels),
                                    groups: Int64(groups), in_size: two(inSize, 1), out_size: two(outSize, 1),
                                    kernel: two(kernel, 1), stride: two(stride, 1), padding: two(padding, 0),
                                    dilation: two(dilation, 1))
    }

    private func spatial(_ v: (Int64, Int64)) -> [Int] { spatialRank == 1 ? [Int(v.1)] : [Int(v.0), Int(v.1)] }
    var inputShape: [Int] { [Int(geometry.batch), Int(geometry.in_channels)] + spatial(geometry.in_size) }
    var outputShape: [Int] { [Int(geometry.batch), Int(geometry.out_channels)] + spatial(geometry.out_size) }
    var weightShape: [Int] {
        [Int(geometry.out_channels), Int(geometry.in_channels / max(geometry.groups, 1))] + spatial(geometry.kernel)
    }
    var batch: Int { Int(geometry.batch) }
    var inChannels: Int { Int(geometry.in_channels) }
    var outChannels: Int { Int(geometry.out_channels) }
    var groups: Int { Int(geometry.groups) }
    var inSize: [Int] { spatial(geometry.in_size) }
    var outSize: [Int] { spatial(geometry.out_size) }
    var kernel: [Int] { spatial(geometry.kernel) }
    var stride: [Int] { spatial(geometry.stride) }
    var padding: [Int] { spatial(geometry.padding) }
    var dilation: [Int] { spatial(geometry.dilation) }
    /// The dims a bias gradient sums over: batch and spatial.
    var biasReductionDims: [Int] { [0] + (2..<(2 + spatialRank)) }
}

/// The three products of a convolution.
enum ConvProduct {
    /// `y = conv(x, w) + bias`: operands (x, w), bias over output channels.
    case forward
    /// The input gradient / transposed convolution `x = T(gy, w) + bias`:
    /// operands (gy, w), bias over input channels.
    case inputGradient
    /// The weight gradient `gw = B(x, gy)`: operands (x, gy), no bias.
    case weightGradient
}

extension Tensor {
    /// Runs one convolution product and records it as `node`, with a rule made
    /// of the other products (so it is differentiable again).
    /// The value of one of the three products, without recording: `conv.c` for
    /// float32 and float64; float16 and bfloat16 computed in float32 and rounded
    /// once, as PyTorch's CPU kernels do; integers composed from integer products.
    private static func convolutionValue(_ kind: ConvProduct, _ a: Tensor, _ b: Tensor, bias: Tensor?,
                                         _ g: ConvGeometry, resultShape: [Int]) -> Tensor {
        let dtype = a.dtype
        if dtype.isReducedFloat {
            return convolutionValue(kind, a.to(.float32), b.to(.float32), bias: bias?.to(.float32), g,
                                    resultShape: resultShape).to(dtype)
        }
        if !dtype.isFloatingPoint { return integerConvolution(kind, a, b, bias: bias, g) }
        let out = Tensor(uninitializedShape: resultShape, dtype: dtype)
        let ac = a.contiguous(), bc = b.contiguous(), biasc = bias?.contiguous()
        var geometry = g.geometry
        let ok: Bool
        let code = dtype.kernelCode
        switch kind {
        case .forward:
            ok = ct_conv_forward(code, &geometry, ac.baseAddress, bc.baseAddress, biasc?.baseAddress, out.baseAddress)
        case .inputGradient:
            ok = ct_conv_backward_input(code, &geometry, ac.baseAddress, bc.baseAddress, biasc?.baseAddress,
                                        out.baseAddress)
        case .weightGradient:
            ok = ct_conv_backward_weight(code, &geometry, ac.baseAddress, bc.baseAddress, out.baseAddress)
        }
        check(ok, "convolution", "out of memory for the column buffer of a convolution with output \(shapeText(resultShape))")
        return out
    }

    /// An integer convolution (PyTorch computes these on the CPU, wrapping
    /// around as integer arithmetic does) as one integer product per kernel tap
    /// and group: `y[n, o, p] += w[o, c, t] · x[n, c, p·stride + t·dilation − padding]`.
    /// Integer tensors never require grad, so only the forward and the
    /// transposed (input-gradient) products are needed.
    private static func integerConvolution(_ kind: ConvProduct, _ a: Tensor, _ b: Tensor, bias: Tensor?,
                                           _ g: ConvGeometry) -> Tensor {
        let k = g.spatialRank, n = g.batch, groups = g.groups
        let inPerGroup = g.inChannels / groups, outPerGroup = g.outChannels / groups
        let taps = g.kernel.reduce(1, *)
        func tap(_ t: Int) -> [Int] {  // the multi-index of a flat kernel tap, last dim fastest
            var rest = t, index = [Int](repeating: 0, count: k)
            for d in stride(from: k - 1, through: 0, by: -1) { index[d] = rest % g.kernel[d]; rest /= g.kernel[d] }
            return index
        }
        /// The positions `start, start + step, ...` (`count` of them) of each spatial dim, as a view.
        func window(_ t: Tensor, starts: [Int], steps: [Int], counts: [Int]) -> Tensor {
            var view = t
            for d in 0..<k {
                let end: Int = starts[d] + (counts[d] - 1) * steps[d] + 1
                view = view.slice(dim: 2 + d, start: starts[d], end: end, step: steps[d])
            }
            return view
        }
        var result: Tensor
        switch kind {
        case .forward:  // a = x [N, C, *in], b = w [O, C/groups, *K]
            let (outSize, stride, dilation, kernel, padding, inSize) = (g.outSize, g.stride, g.dilation, g.kernel, g.padding, g.inSize)
            var after: [Int] = []
            for d in 0..<k {
                let reach: Int = (outSize[d] - 1) * stride[d] + dilation[d] * (kernel[d] - 1) + 1
                after.append(Swift.max(0, reach - padding[d] - inSize[d]))
            }
            let padded = a.padded((0..<k).reversed().flatMap { [g.padding[$0], after[$0]] })
            let outPixels = g.outSize.reduce(1, *)
            result = Tensor.cat((0..<groups).map { gi in
                let x = padded.narrowed(dim: 1, start: gi * inPerGroup, length: inPerGroup)
                let w = b.narrowed(dim: 0, start: gi * outPerGroup, length: outPerGroup).reshaped([outPerGroup, inPerGroup, taps])
                var y = Tensor.zeros([n, outPerGroup, outPixels], dtype: a.dtype)
                for t in 0..<taps {
                    let starts = zip(tap(t), g.dilation).map { $0 * $1 }
                    let columns = window(x, starts: starts, steps: g.stride, counts: g.outSize).reshaped([n, inPerGroup, outPixels])
                    y = y + w.select(dim: 2, index: t).matmul(columns)
                }
                return y
            }, dim: 1).reshaped([n, g.outChannels] + g.outSize)
        case .inputGradient:  // a = x [N, O, *out], b = w [O, C/groups, *K]; the result has the conv's input shape
            let (outSize, stride, dilation, kernel, padding, inSize) = (g.outSize, g.stride, g.dilation, g.kernel, g.padding, g.inSize)
            var full: [Int] = []
            for d in 0..<k {
                let reach: Int = (outSize[d] - 1) * stride[d] + dilation[d] * (kernel[d] - 1) + 1
                full.append(Swift.max(reach, padding[d] + inSize[d]))
            }
            let outPixels = g.outSize.reduce(1, *)
            result = Tensor.cat((0..<groups).map { gi in
                let x = a.narrowed(dim: 1, start: gi * outPerGroup, length: outPerGroup).reshaped([n, outPerGroup, outPixels])
                let w = b.narrowed(dim: 0, start: gi * outPerGroup, length: outPerGroup).reshaped([outPerGroup, inPerGroup, taps])
                let y = Tensor.zeros([n, inPerGroup] + full, dtype: a.dtype)
                for t in 0..<taps {
                    let starts = zip(tap(t), g.dilation).map { $0 * $1 }
                    let target = window(y, starts: starts, steps: g.stride, counts: g.outSize)
                    target += w.select(dim: 2, index: t).t().matmul(x).reshaped([n, inPerGroup] + g.outSize)
                }
                return (0..<k).reduce(y) { v, d in v.narrowed(dim: 2 + d, start: g.padding[d], length: g.inSize[d]) }
            }, dim: 1)
        case .weightGradient:
            fatalError("convolution: integer tensors have no gradient")
        }
        guard let bias else { return result.contiguous() }
        return result + bias.reshaped([1, bias.count] + [Int](repeating: 1, count: k))
    }

    static func convolutionProduct(_ kind: ConvProduct, _ a: Tensor, _ b: Tensor, bias: Tensor?, _ g: ConvGeometry,
                                   node: String) -> Tensor {
        let resultShape: [Int]
        switch kind {
        case .forward: resultShape = g.outputShape
        case .inputGradient: resultShape = g.inputShape
        case .weightGradient: resultShape = g.weightShape
        }
        let out = withNoGrad { convolutionValue(kind, a, b, bias: bias, g, resultShape: resultShape) }
        let inputs = bias.map { [a, b, $0] } ?? [a, b]
        let again = "ConvolutionBackwardBackward0"
        let hasBias = bias != nil
        return record(node, inputs: inputs, result: out, saving: [a, b]) { grad, saved in
            let (a, b) = (saved[0], saved[1])
            let biasGrad = hasBias && saved.needsGrad(2) ? grad.sum(dim: g.biasReductionDims) : nil
            switch kind {
            case .forward:  // a = x, b = w
                return [saved.needsGrad(0) ? convolutionProduct(.inputGradient, grad, b, bias: nil, g, node: again) : nil,
                        saved.needsGrad(1) ? convolutionProduct(.weightGradient, a, grad, bias: nil, g, node: again) : nil,
                        biasGrad]
            case .inputGradient:  // a = gy, b = w; grad has the input's shape
                return [saved.needsGrad(0) ? convolutionProduct(.forward, grad, b, bias: nil, g, node: again) : nil,
                        saved.needsGrad(1) ? convolutionProduct(.weightGradient, grad, a, bias: nil, g, node: again) : nil,
                        biasGrad]
            case .weightGradient:  // a = x, b = gy; grad has the weight's shape
                return [saved.needsGrad(0) ? convolutionProduct(.inputGradient, b, grad, bias: nil, g, node: again) : nil,
                        saved.needsGrad(1) ? convolutionProduct(.forward, a, grad, bias: nil, g, node: again) : nil]
            }
        }
    }
}

/// Checks the arguments of a convolution and runs it: PyTorch's
/// `_convolution` with its shape checks and their wording.
func convolution(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: ConvSize, padding: ConvPadding,
                 dilation: ConvSize, groups: Int, transposed: Bool, outputPadding: ConvSize, spatialRank k: Int,
                 op: String) -> Tensor {
    check(input.rank == k + 1 || input.rank == k + 2, op,
          "Expected \(k + 1)D (unbatched) or \(k + 2)D (batched) input to \(op), but got input of size: \(shapeText(input.shape))")
    if input.rank == k + 1 {
        // Unbatched: PyTorch's composition, which shows SqueezeBackward1.
        return convolution(input.unsqueezed(0), weight: weight, bias: bias, stride: stride, padding: padding,
                           dilation: dilation, groups: groups, transposed: transposed, outputPadding: outputPadding,
                           spatialRank: k, op: op).squeezed(0)
    }
    check(weight.rank == k + 2, op, "expected stride to be a single integer value or a list of \(max(weight.rank - 2, 0)) values to match the convolution dimensions, but got stride=\(shapeText(stride.expanded(k, op: op, name: "stride")))")
    let stride = stride.expanded(k, op: op, name: "stride")
    let dilation = dilation.expanded(k, op: op, name: "dilation")
    let outputPadding = outputPadding.expanded(k, op: op, name: "output_padding")
    check(input.dtype == weight.dtype, op, "expected scalar type \(input.dtype.scalarTypeName) but found \(weight.dtype.scalarTypeName)")
    // PyTorch's CPU convolution takes every integer dtype but bool; its dilated and
    // transposed kernels take int64 only (and the floats).
    if !input.dtype.isFloatingPoint {
        let kernelName = transposed ? "slow_conv_transpose2d_out_cpu"
            : dilation.contains(where: { $0 != 1 }) ? "slow_conv_dilated<>" : "slow_conv2d_cpu"
        check(input.dtype != .bool && (input.dtype == .int64 || kernelName == "slow_conv2d_cpu"), op,
              "\"\(kernelName)\" not implemented for '\(input.dtype.scalarTypeName)'")
    }
    check(stride.allSatisfy { $0 > 0 }, op, "non-positive stride is not supported")
    check(dilation.allSatisfy { $0 > 0 }, op, "non-positive dilation is not supported")
    check(groups > 0, op, "non-positive groups is not supported")
    let kernel = Array(weight.shape.dropFirst(2))
    let spatial = Array(input.shape.dropFirst(2))
    // The padding before and after each spatial dim.
    var before: [Int], after: [Int]
    switch padding {
    case .explicit(let sizes):
        before = sizes.expanded(k, op: op, name: "padding")
        after = before
    case .valid:
        before = Array(repeating: 0, count: k)
        after = before
    case .same:
        check(!transposed, op, "padding='same' is not supported for transposed convolutions")
        check(stride.allSatisfy { $0 == 1 }, op, "padding='same' is not supported for strided convolutions")
        let total = (0..<k).map { dilation[$0] * (kernel[$0] - 1) }
        before = total.map { $0 / 2 }
        after = (0..<k).map { total[$0] - before[$0] }
    }
    check(before.allSatisfy { $0 >= 0 }, op, "negative padding is not supported")
    check(outputPadding.allSatisfy { $0 >= 0 }, op, "negative output_padding is not supported")
    check(weight.shape[0] % groups == 0, op, "Given groups=\(groups), expected weight to be divisible by \(groups) at dimension 0, but got weight of size [\(shapeText(weight.shape))] instead")
    let channels = transposed ? weight.shape[0] : weight.shape[1] * groups
    check(input.shape[1] == channels, op, "Given \(transposed ? "transposed=1" : "groups=\(groups)"), weight of size \(shapeText(weight.shape)), expected input\(shapeText(input.shape)) to have \(channels) channels, but got \(input.shape[1]) channels instead")
    let outChannels = transposed ? weight.shape[1] * groups : weight.shape[0]
    if let bias {
        check(bias.rank == 1 && bias.shape[0] == outChannels, op, "Given weight of size \(shapeText(weight.shape)), expected bias to be 1-dimensional with \(outChannels) elements, but got bias of size \(shapeText(bias.shape)) instead")
        check(bias.dtype == input.dtype, op, "expected scalar type \(input.dtype.scalarTypeName) but found \(bias.dtype.scalarTypeName)")
    }
    if transposed {
        // PyTorch runs a 1-d transposed convolution as a 2-d one of height 1, and says so.
        let (op2, s2, d2) = k == 1 ? ([0] + outputPadding, [1] + stride, [1] + dilation) : (outputPadding, stride, dilation)
        check((0..<k).allSatisfy { outputPadding[$0] < stride[$0] || outputPadding[$0] < dilation[$0] }, op,
              "output padding must be smaller than either stride or dilation, but got output_padding_height: \(op2[0]) output_padding_width: \(op2[1]) stride_height: \(s2[0]) stride_width: \(s2[1]) dilation_height: \(d2[0]) dilation_width: \(d2[1])")
        // The transposed convolution's output is the input of the convolution it transposes.
        var outSize: [Int] = []
        for d in 0..<k {
            let reach: Int = dilation[d] * (kernel[d] - 1) + outputPadding[d] + 1
            outSize.append((spatial[d] - 1) * stride[d] - before[d] - after[d] + reach)
        }
        check(outSize.allSatisfy { $0 > 0 }, op, "Given input size per channel: (\(spatial.map(String.init).joined(separator: " x "))). Calculated output size per channel: (\(outSize.map(String.init).joined(separator: " x "))). Output size is too small")
        let g = ConvGeometry(spatialRank: k, batch: input.shape[0], inChannels: outChannels, outChannels: weight.shape[0],
                             groups: groups, inSize: outSize, outSize: spatial, kernel: kernel, stride: stride,
                             padding: before, dilation: dilation)
        return Tensor.convolutionProduct(.inputGradient, input, weight, bias: bias, g, node: "ConvolutionBackward0")
    }
    let padded = (0..<k).map { spatial[$0] + before[$0] + after[$0] }
    let dilated = (0..<k).map { dilation[$0] * (kernel[$0] - 1) + 1 }
    check((0..<k).allSatisfy { padded[$0] >= dilated[$0] }, op, "Calculated padded input size per channel: (\(padded.map(String.init).joined(separator: " x "))). Kernel size: (\(dilated.map(String.init).joined(separator: " x "))). Kernel size can't be greater than actual input size")
    let outSize = (0..<k).map { (padded[$0] - dilated[$0]) / stride[$0] + 1 }
    let g = ConvGeometry(spatialRank: k, batch: input.shape[0], inChannels: input.shape[1], outChannels: outChannels,
                         groups: groups, inSize: spatial, outSize: outSize, kernel: kernel, stride: stride,
                         padding: before, dilation: dilation)
    return Tensor.convolutionProduct(.forward, input, weight, bias: bias, g, node: "ConvolutionBackward0")
}

/// A 1-d convolution over an input of several planes (`torch.nn.functional.conv1d`).
///
/// - Parameters:
///   - input: `[batch, inChannels, width]`, or `[inChannels, width]` unbatched.
///   - weight: `[outChannels, inChannels / groups, kernelWidth]`.
///   - bias: `[outChannels]`, or nil.
///   - stride: The step of the kernel (default 1).
///   - padding: Zeros on both sides, `.same` or `.valid` (default 0).
///   - dilation: The spacing of the kernel taps (default 1).
///   - groups: The number of blocked connections from input to output channels;
///     `groups == inChannels` is a depthwise convolution.
/// - Returns: `[batch, outChannels, outWidth]`, one `ConvolutionBackward0` node.
/// - Complexity: O(batch · outChannels · outWidth · inChannels / groups · kernelWidth),
///   as im2col and a packed GEMM per sample and group.
public func conv1d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: ConvSize = 1,
                   padding: ConvPadding = 0, dilation: ConvSize = 1, groups: Int = 1) -> Tensor {
    convolution(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
                transposed: false, outputPadding: 0, spatialRank: 1, op: "conv1d")
}

/// A 2-d convolution over an input of several planes (`torch.nn.functional.conv2d`).
///
/// ```swift
/// let x = Tensor.randn(8, 3, 32, 32)
/// let w = Tensor.randn(16, 3, 3, 3)
/// let y = conv2d(x, weight: w, padding: 1)   // [8, 16, 32, 32]
/// ```
///
/// - Parameters:
///   - input: `[batch, inChannels, height, width]`, or `[inChannels, height, width]` unbatched.
///   - weight: `[outChannels, inChannels / groups, kernelHeight, kernelWidth]`.
///   - bias: `[outChannels]`, or nil.
///   - stride: The step of the kernel, one value or `[h, w]` (default 1).
///   - padding: Zeros on both sides (one value or `[h, w]`), `.same` or `.valid` (default 0).
///   - dilation: The spacing of the kernel taps (default 1).
///   - groups: The number of blocked connections from input to output channels;
///     `groups == inChannels` is a depthwise convolution.
/// - Returns: `[batch, outChannels, outHeight, outWidth]` with
///   `out = (in + 2·padding − dilation·(kernel − 1) − 1) / stride + 1`; one
///   `ConvolutionBackward0` node, whose rule is made of convolutions (so it can
///   be differentiated again).
/// - Complexity: O(batch · outChannels · outHeight · outWidth · inChannels / groups · kernelHeight · kernelWidth).
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: ConvSize = 1,
                   padding: ConvPadding = 0, dilation: ConvSize = 1, groups: Int = 1) -> Tensor {
    convolution(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
                transposed: false, outputPadding: 0, spatialRank: 2, op: "conv2d")
}

/// A 1-d transposed convolution, sometimes called deconvolution
/// (`torch.nn.functional.conv_transpose1d`): the gradient of ``conv1d(_:weight:bias:stride:padding:dilation:groups:)``
/// with respect to its input.
///
/// - Parameters:
///   - input: `[batch, inChannels, width]`, or `[inChannels, width]` unbatched.
///   - weight: `[inChannels, outChannels / groups, kernelWidth]`.
///   - bias: `[outChannels]`, or nil.
///   - stride: The stride of the convolution it transposes (default 1).
///   - padding: That convolution's padding, `dilation · (kernel − 1) − padding`
///     zeros on each side of the input (default 0).
///   - outputPadding: Extra size added to one side of the output (default 0);
///     smaller than the stride or the dilation.
///   - groups: The number of blocked connections.
///   - dilation: The spacing of the kernel taps (default 1).
/// - Returns: `[batch, outChannels, (width − 1)·stride − 2·padding + dilation·(kernel − 1) + outputPadding + 1]`,
///   one `ConvolutionBackward0` node.
public func convTranspose1d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: ConvSize = 1,
                            padding: ConvSize = 0, outputPadding: ConvSize = 0, groups: Int = 1,
                            dilation: ConvSize = 1) -> Tensor {
    convolution(input, weight: weight, bias: bias, stride: stride, padding: .explicit(padding), dilation: dilation,
                groups: groups, transposed: true, outputPadding: outputPadding, spatialRank: 1, op: "conv_transpose1d")
}

/// A 2-d transposed convolution (`torch.nn.functional.conv_transpose2d`): the
/// gradient of ``conv2d(_:weight:bias:stride:padding:dilation:groups:)`` with
/// respect to its input.
///
/// - Parameters:
///   - input: `[batch, inChannels, height, width]`, or `[inChannels, height, width]` unbatched.
///   - weight: `[inChannels, outChannels / groups, kernelHeight, kernelWidth]`.
///   - bias: `[outChannels]`, or nil.
///   - stride: The stride of the convolution it transposes (default 1).
///   - padding: That convolution's padding (default 0).
///   - outputPadding: Extra size added to one side of each output dim (default 0).
///   - groups: The number of blocked connections.
///   - dilation: The spacing of the kernel taps (default 1).
/// - Returns: `[batch, outChannels, outHeight, outWidth]` with
///   `out = (in − 1)·stride − 2·padding + dilation·(kernel − 1) + outputPadding + 1`;
///   one `ConvolutionBackward0` node.
public func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: ConvSize = 1,
                            padding: ConvSize = 0, outputPadding: ConvSize = 0, groups: Int = 1,
                            dilation: ConvSize = 1) -> Tensor {
    convolution(input, weight: weight, bias: bias, stride: stride, padding: .explicit(padding), dilation: dilation,
                groups: groups, transposed: true, outputPadding: outputPadding, spatialRank: 2, op: "conv_transpose2d")
}
