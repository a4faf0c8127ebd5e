// Pooling layers (PyTorch's `nn.MaxPool2d` and its family): thin modules over
// the functions of Ops/Pooling.swift, with PyTorch's defaults (the stride is
// the kernel size unless given) and its printed form.

/// Max pooling over the last dim of `[C, L]` or `[N, C, L]` (PyTorch's `nn.MaxPool1d`);
/// see ``maxPool1d(_:kernelSize:stride:padding:dilation:ceilMode:)``.
public final class MaxPool1d: Module {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let dilation: Int
    public let ceilMode: Bool
    public var isTraining = true

    /// Creates the layer; `stride` defaults to `kernelSize`.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        self.ceilMode = ceilMode
    }

    public func forward(_ input: Tensor) -> Tensor {
        maxPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    /// The pooled tensor and the index of each maximum (PyTorch's `return_indices=True`).
    public func forwardWithIndices(_ input: Tensor) -> (output: Tensor, indices: Tensor) {
        maxPool1dWithIndices(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                             ceilMode: ceilMode)
    }

    public var extraDescription: String {
        "kernel_size=\(kernelSize), stride=\(stride), padding=\(padding), dilation=\(dilation), ceil_mode=\(ceilMode ? "True" : "False")"
    }
}

/// Max pooling over the last `spatialRank` dims: the options and printed form
/// `MaxPool2d` and `MaxPool3d` share (PyTorch's `_MaxPoolNd`).
public class MaxPoolNd: Module {
    public let kernelSize: PoolSize
    public let stride: PoolSize
    public let padding: PoolSize
    public let dilation: PoolSize
    public let ceilMode: Bool
    public var isTraining = true
    /// 2 or 3: which of ``maxPool2dWithIndices(_:kernelSize:stride:padding:dilation:ceilMode:)`` and
    /// ``maxPool3dWithIndices(_:kernelSize:stride:padding:dilation:ceilMode:)`` runs.
    let spatialRank: Int

    init(spatialRank: Int, kernelSize: PoolSize, stride: PoolSize?, padding: PoolSize, dilation: PoolSize, ceilMode: Bool) {
        self.spatialRank = spatialRank
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        self.ceilMode = ceilMode
    }

    public func forward(_ input: Tensor) -> Tensor { forwardWithIndices(input).output }

    /// The pooled tensor and the flat index of each maximum (PyTorch's `return_indices=True`),
    /// for ``MaxUnpool2d`` after a 2-d pooling.
    public func forwardWithIndices(_ input: Tensor) -> (output: Tensor, indices: Tensor) {
        let pool = spatialRank == 2 ? maxPool2dWithIndices : maxPool3dWithIndices
        return pool(input, kernelSize, stride, padding, dilation, ceilMode)
    }

    public var extraDescription: String {
        "kernel_size=\(kernelSize), stride=\(stride), padding=\(padding), dilation=\(dilation), ceil_mode=\(ceilMode ? "True" : "False")"
    }
}

/// Max pooling over the last two dims (PyTorch's `nn.MaxPool2d`); see
/// ``maxPool2d(_:kernelSize:stride:padding:dilation:ceilMode:)``.
///
/// ```swift
/// let pool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)   // ResNet's stem
/// ```
public final class MaxPool2d: MaxPoolNd {
    /// Creates the layer; `stride` defaults to `kernelSize`.
    public init(kernelSize: PoolSize, stride: PoolSize? = nil, padding: PoolSize = 0, dilation: PoolSize = 1,
                ceilMode: Bool = false) {
        super.init(spatialRank: 2, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                   ceilMode: ceilMode)
    }
}

/// Max pooling over the last three dims (PyTorch's `nn.MaxPool3d`); see
/// ``maxPool3d(_:kernelSize:stride:padding:dilation:ceilMode:)``.
public final class MaxPool3d: MaxPoolNd {
    /// Creates the layer; `stride` defaults to `kernelSize`.
    public init(kernelSize: PoolSize, stride: PoolSize? = nil, padding: PoolSize = 0, dilation: PoolSize = 1,
                ceilMode: Bool = false) {
        super.init(spatialRank: 3, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                   ceilMode: ceilMode)
    }
}

/// Average pooling over the last dim (PyTorch's `nn.AvgPool1d`); see
/// ``avgPool1d(_:kernelSize:stride:padding:ceilMode:countIncludePad:)``.
public final class AvgPool1d: Module {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let ceilMode: Bool
    public let countIncludePad: Bool
    public var isTraining = true

    /// Creates the layer; `stride` defaults to `kernelSize`.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                countIncludePad: Bool = true) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
    }

    public func forward(_ input: Tensor) -> Tensor {
        avgPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                  countIncludePad: countIncludePad)
    }

    // PyTorch stores the 1-d sizes as one-element tuples.
    public var extraDescription: String { "kernel_size=(\(kernelSize),), stride=(\(stride),), padding=(\(padding),)" }
}

/// Average pooling over the last `spatialRank` dims: the options and printed
/// form `AvgPool2d` and `AvgPool3d` share.
public class AvgPoolNd: Module {
    public let kernelSize: PoolSize
    public let stride: PoolSize
    public let padding: PoolSize
    public let ceilMode: Bool
    public let countIncludePad: Bool
    public let divisorOverride: Int?
    public var isTraining = true
    /// 2 or 3: which of ``avgPool2d(_:kernelSize:stride:padding:ceilMode:countIncludePad:divisorOverride:)`` and
    /// ``avgPool3d(_:kernelSize:stride:padding:ceilMode:countIncludePad:divisorOverride:)`` runs.
    let spatialRank: Int

    init(spatialRank: Int, kernelSize: PoolSize, stride: PoolSize?, padding: PoolSize, ceilMode: Bool,
         countIncludePad: Bool, divisorOverride: Int?) {
        self.spatialRank = spatialRank
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.divisorOverride = divisorOverride
    }

    public func forward(_ input: Tensor) -> Tensor {
        let pool = spatialRank == 2 ? avgPool2d : avgPool3d
        return pool(input, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride)
    }

    public var extraDescription: String { "kernel_size=\(kernelSize), stride=\(stride), padding=\(padding)" }
}

/// Average pooling over the last two dims (PyTorch's `nn.AvgPool2d`); see
/// ``avgPool2d(_:kernelSize:stride:padding:ceilMode:countIncludePad:divisorOverride:)``.
public final class AvgPool2d: AvgPoolNd {
    /// Creates the layer; `stride` defaults to `kernelSize`.
    public init(kernelSize: PoolSize, stride: PoolSize? = nil, padding: PoolSize = 0, ceilMode: Bool = false,
                countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        super.init(spatialRank: 2, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                   countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }
}

/// Average pooling over the last three dims (PyTorch's `nn.AvgPool3d`); see
/// ``avgPool3d(_:kernelSize:stride:padding:ceilMode:countIncludePad:divisorOverride:)``.
public final class AvgPool3d: AvgPoolNd {
    /// Creates the layer; `stride` defaults to `kernelSize`.
    public init(kernelSize: PoolSize, stride: PoolSize? = nil, padding: PoolSize = 0, ceilMode: Bool = false,
                countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        super.init(spatialRank: 3, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                   countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }
}

/// PyTorch's printed form of an adaptive output size: `3`, `(3, 2)`, `(None, 2)`.
private func outputSizeText(_ size: [Int?]) -> String {
    if size.count == 1 { return size[0].map(String.init) ?? "None" }
    return "(" + size.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")"
}

/// Adaptive average pooling over the last dim (PyTorch's `nn.AdaptiveAvgPool1d`).
public final class AdaptiveAvgPool1d: Module {
    public let outputSize: Int
    public var isTraining = true

    /// Creates the layer pooling to `outputSize` positions.
    public init(outputSize: Int) { self.outputSize = outputSize }

    public func forward(_ input: Tensor) -> Tensor { adaptiveAvgPool1d(input, outputSize: outputSize) }
    public var extraDescription: String { "output_size=\(outputSize)" }
}

/// Adaptive average pooling over the last `spatialRank` dims: the options and
/// printed form `AdaptiveAvgPool2d` and `AdaptiveAvgPool3d` share (PyTorch's `_AdaptiveAvgPoolNd`).
public class AdaptiveAvgPoolNd: Module {
    /// One size for every pooled dim, or one per dim (nil keeps the input's size).
    public let outputSize: [Int?]
    public var isTraining = true
    /// 2 or 3: which of ``adaptiveAvgPool2d(_:outputSize:)`` and
    /// ``adaptiveAvgPool3d(_:outputSize:)`` runs.
    let spatialRank: Int

    init(spatialRank: Int, outputSize: [Int?]) {
        self.spatialRank = spatialRank
        self.outputSize = outputSize
    }

    public func forward(_ input: Tensor) -> Tensor {
        spatialRank == 2 ? adaptiveAvgPool2d(input, outputSize: outputSize) : adaptiveAvgPool3d(input, outputSize: outputSize)
    }

    public var extraDescription: String { "output_size=\(outputSizeText(outputSize))" }
}

/// Adaptive average pooling over the last two dims (PyTorch's `nn.AdaptiveAvgPool2d`);
/// `AdaptiveAvgPool2d(outputSize: 1)` is global average pooling.
public final class AdaptiveAvgPool2d: AdaptiveAvgPoolNd {
    /// Creates the layer pooling to `outputSize × outputSize`.
    public init(outputSize: Int) { super.init(spatialRank: 2, outputSize: [outputSize]) }
    /// Creates the layer pooling to `[oh, ow]` (a nil entry keeps the input's size).
    public init(outputSize: [Int?]) { super.init(spatialRank: 2, outputSize: outputSize) }
}

/// Adaptive average pooling over the last three dims (PyTorch's `nn.AdaptiveAvgPool3d`);
/// see ``adaptiveAvgPool3d(_:outputSize:)``.
public final class AdaptiveAvgPool3d: AdaptiveAvgPoolNd {
    /// Creates the layer pooling to `outputSize × outputSize × outputSize`.
    public init(outputSize: Int) { super.init(spatialRank: 3, outputSize: [outputSize]) }
    /// Creates the layer pooling to `[od, oh, ow]` (a nil entry keeps the input's size).
    public init(outputSize: [Int?]) { super.init(spatialRank: 3, outputSize: outputSize) }
}

/// Adaptive max pooling over the last dim (PyTorch's `nn.AdaptiveMaxPool1d`).
public final class AdaptiveMaxPool1d: Module {
    public let outputSize: Int
    public var isTraining = true

    /// Creates the layer pooling to `outputSize` positions.
    public init(outputSize: Int) { self.outputSize = outputSize }

    public func forward(_ input: Tensor) -> Tensor { adaptiveMaxPool1d(input, outputSize: outputSize) }

    /// The pooled tensor and the index of each maximum (PyTorch's `return_indices=True`).
    public func forwardWithIndices(_ input: Tensor) -> (output: Tensor, indices: Tensor) {
        adaptiveMaxPool1dWithIndices(input, outputSize: outputSize)
    }

    public var extraDescription: String { "output_size=\(outputSize)" }
}

/// Adaptive max pooling over the last `spatialRank` dims: the options and
/// printed form `AdaptiveMaxPool2d` and `AdaptiveMaxPool3d` share (PyTorch's `_AdaptiveMaxPoolNd`).
public class AdaptiveMaxPoolNd: Module {
    /// One size for every pooled dim, or one per dim (nil keeps the input's size).
    public let outputSize: [Int?]
    public var isTraining = true
    /// 2 or 3: which of ``adaptiveMaxPool2dWithIndices(_:outputSize:)`` and
    /// ``adaptiveMaxPool3dWithIndices(_:outputSize:)`` runs.
    let spatialRank: Int

    init(spatialRank: Int, outputSize: [Int?]) {
        self.spatialRank = spatialRank
        self.outputSize = outputSize
    }

    public func forward(_ input: Tensor) -> Tensor { forwardWithIndices(input).output }

    /// The pooled tensor and the flat index of each maximum (PyTorch's `return_indices=True`).
    public func forwardWithIndices(_ input: Tensor) -> (output: Tensor, indices: Tensor) {
        let pool = spatialRank == 2 ? adaptiveMaxPool2dWithIndices : adaptiveMaxPool3dWithIndices
        return pool(input, outputSize)
    }

    public var extraDescription: String { "output_size=\(outputSizeText(outputSize))" }
}

/// Adaptive max pooling over the last two dims (PyTorch's `nn.AdaptiveMaxPool2d`).
public final class AdaptiveMaxPool2d: AdaptiveMaxPoolNd {
    /// Creates the layer pooling to `outputSize × outputSize`.
    public init(outputSize: Int) { super.init(spatialRank: 2, outputSize: [outputSize]) }
    /// Creates the layer pooling to `[oh, ow]` (a nil entry keeps the input's size).
    public init(outputSize: [Int?]) { super.init(spatialRank: 2, outputSize: outputSize) }
}

/// Adaptive max pooling over the last three dims (PyTorch's `nn.AdaptiveMaxPool3d`);
/// see ``adaptiveMaxPool3dWithIndices(_:outputSize:)``.
public final class AdaptiveMaxPool3d: AdaptiveMaxPoolNd {
    /// Creates the layer pooling to `outputSize × outputSize × outputSize`.
    public init(outputSize: Int) { super.init(spatialRank: 3, outputSize: [outputSize]) }
    /// Creates the layer pooling to `[od, oh, ow]` (a nil entry keeps the input's size).
    public init(outputSize: [Int?]) { super.init(spatialRank: 3, outputSize: outputSize) }
}

/// The inverse of ``MaxPool2d`` (PyTorch's `nn.MaxUnpool2d`): call it with the
/// pooled values and their indices, `unpool(output, indices: indices)`.
public final class MaxUnpool2d: Module {
    public let kernelSize: [Int]
    public let stride: [Int]
    public let padding: [Int]
    public var isTraining = true

    /// Creates the layer; `stride` defaults to `kernelSize`.
    public init(kernelSize: PoolSize, stride: PoolSize? = nil, padding: PoolSize = 0) {
        self.kernelSize = kernelSize.expanded(2, op: "MaxUnpool2d", name: "kernel_size")
        self.stride = (stride ?? kernelSize).expanded(2, op: "MaxUnpool2d", name: "stride")
        self.padding = padding.expanded(2, op: "MaxUnpool2d", name: "padding")
    }

    /// Unpools `input` with the `indices` of the max pooling that produced it;
    /// see ``maxUnpool2d(_:indices:kernelSize:stride:padding:outputSize:)``.
    public func callAsFunction(_ input: Tensor, indices: Tensor, outputSize: [Int]? = nil) -> Tensor {
        maxUnpool2d(input, indices: indices, kernelSize: PoolSize(kernelSize), stride: PoolSize(stride),
                    padding: PoolSize(padding), outputSize: outputSize)
    }

    /// Unpooling needs the indices: call ``callAsFunction(_:indices:outputSize:)``.
    public func forward(_ input: Tensor) -> Tensor {
        fail("MaxUnpool2d", "MaxUnpool2d.forward() missing 1 required positional argument: 'indices'")
    }

    public var extraDescription: String {
        func pair(_ v: [Int]) -> String { "(\(v[0]), \(v[1]))" }
        return "kernel_size=\(pair(kernelSize)), stride=\(pair(stride)), padding=\(pair(padding))"
    }
}
