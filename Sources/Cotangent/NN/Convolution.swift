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
    static func convolutionProduct(_ kind: ConvProduct, _ a: Tensor, _ b: Tensor, bias: Tensor?, _ g: ConvGeometry,
                                   node: String) -> Tensor {
        let resultShape: [Int]
        switch kind {
        case .forward: resultShape = g.outputShape
        case .inputGradient: resultShape = g.inputShape
        case .weightGradient: resultShape = g.weightShape
        }
        let dtype = a.dtype
        let out = Tensor(uninitializedShape: resultShape, dtype: dtype)
        withNoGrad {
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
        }
        let inputs = bias.map { [a, b, $0] } ?? [a, b]
        let again = "ConvolutionBackwardBackward0"
        let hasBias = bias != nil
        return record(node, inputs: inputs, result: out, saving: [a, b]) { grad, saved in
            let (a, b) = (saved[0], saved[1])
            let biasGrad = hasBias && saved.needsGrad(2) ? grad.sum(dim: g.biasReductionDims) : nil
            switch kind {
            case .forward:  // a = x, b = w
                return [saved.needsGrad(0) ? convolutionProduct(.inputGradient, grad, b, bias: nil, g, node: again) : nil,
                        saved.needsGrad(1) ? convolutionProduct(.weightGradient, a, grad, bias: nil, g, node: again) : nil]
                    + (hasBias ? [biasGrad] : [])
            case .inputGradient:  // a = gy, b = w; grad has the input's shape
                return [saved.needsGrad(0) ? convolutionProduct(.forward, grad, b, bias: nil, g, node: again) : nil,
                        saved.needsGrad(1) ? convolutionProduct(.weightGradient, grad, a, bias: nil, g, node: again) : nil]
                    + (hasBias ? [biasGrad] : [])
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
    check(input.dtype.isFloatingPoint, op, "\"slow_conv2d_cpu\" not implemented for '\(input.dtype.scalarTypeName)' (Cotangent convolves float32 and float64)")
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
