import Cotangent
import CotangentTestSupport
import Foundation
import Testing

// Pooling and normalisation layers against PyTorch (goldens from
// Tests/Goldens/pool_goldens.py): printed forms, forward and backward through
// the layers, running statistics over training steps, state-dict keys, second
// derivatives, channel-wise dropout and PyTorch's errors.

/// A float64 leaf holding `ramp(shape, scale, shift)`.
private func rampInput(_ shape: [Int], _ scale: Double = 0.37, _ shift: Double = 1.3, grad: Bool = true) -> Tensor {
    let x = Tensor(shape: shape, scalars: ramp(shape, scale, shift))
    x.requiresGrad = grad
    return x
}

@Suite("Pooling and normalisation layers")
struct PoolingLayerTests {
    /// A fresh layer for each key of the goldens' printed forms.
    static func layers() -> [String: any Module] { [
        "MaxPool1d(kernelSize: 3)": MaxPool1d(kernelSize: 3),
        "MaxPool2d(kernelSize: 3, stride: 2, padding: 1)": MaxPool2d(kernelSize: 3, stride: 2, padding: 1),
        "MaxPool2d(kernelSize: [3, 2], stride: 1, padding: 1, dilation: 2, ceilMode: true)":
            MaxPool2d(kernelSize: [3, 2], stride: 1, padding: 1, dilation: 2, ceilMode: true),
        "AvgPool1d(kernelSize: 3)": AvgPool1d(kernelSize: 3),
        "AvgPool2d(kernelSize: 2)": AvgPool2d(kernelSize: 2),
        "AvgPool2d(kernelSize: [3, 2], stride: 1, padding: 1, ceilMode: true, countIncludePad: false, divisorOverride: 2)":
            AvgPool2d(kernelSize: [3, 2], stride: 1, padding: 1, ceilMode: true, countIncludePad: false, divisorOverride: 2),
        "AdaptiveAvgPool1d(outputSize: 3)": AdaptiveAvgPool1d(outputSize: 3),
        "AdaptiveAvgPool2d(outputSize: [3, 2])": AdaptiveAvgPool2d(outputSize: [3, 2]),
        "AdaptiveAvgPool2d(outputSize: 1)": AdaptiveAvgPool2d(outputSize: 1),
        "AdaptiveAvgPool2d(outputSize: [nil, 2])": AdaptiveAvgPool2d(outputSize: [nil, 2]),
        "AdaptiveMaxPool2d(outputSize: 3)": AdaptiveMaxPool2d(outputSize: 3),
        "AdaptiveMaxPool1d(outputSize: 3)": AdaptiveMaxPool1d(outputSize: 3),
        "MaxUnpool2d(kernelSize: 2)": MaxUnpool2d(kernelSize: 2),
        "MaxUnpool2d(kernelSize: [2, 3], stride: 1, padding: 1)": MaxUnpool2d(kernelSize: [2, 3], stride: 1, padding: 1),
        "GroupNorm(2, 4)": GroupNorm(2, 4),
        "GroupNorm(2, 4, affine: false)": GroupNorm(2, 4, affine: false),
        "InstanceNorm1d(3)": InstanceNorm1d(3),
        "InstanceNorm2d(3, affine: true, trackRunningStats: true)": InstanceNorm2d(3, affine: true, trackRunningStats: true),
        "LocalResponseNorm(5)": LocalResponseNorm(5),
        "LocalResponseNorm(2, alpha: 0.5, beta: 1, k: 2)": LocalResponseNorm(2, alpha: 0.5, beta: 1, k: 2),
        "Dropout1d()": Dropout1d(),
        "Dropout2d(p: 0.3)": Dropout2d(p: 0.3),
    ] }

    @Test("Layers print as PyTorch's", arguments: PoolGoldens.reprs.map(\.0))
    func printedForm(key: String) throws {
        let layer = try #require(Self.layers()[key], "no layer for \(key)")
        let expected = PoolGoldens.reprs.first { $0.0 == key }!.1
        #expect(layer.description == expected)
    }

    /// Runs `layer` forward and backward on a ramp and compares with the goldens.
    private func check(_ layer: any Module, input shape: [Int], shapeOut: [Int], output: [Double], grad: [Double],
                       gradFn: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let x = rampInput(shape)
        let y = layer(x)
        #expect(y.shape == shapeOut, sourceLocation: sourceLocation)
        #expect(y.gradFn?.name == gradFn, sourceLocation: sourceLocation)
        expectClose(y, output, rtol: 1e-10, atol: 1e-12, sourceLocation: sourceLocation)
        y.backward(gradient: upstream(y.shape))
        expectClose(x.grad!, grad, rtol: 1e-10, atol: 1e-12, sourceLocation: sourceLocation)
    }

    @Test func poolingLayers() {
        typealias G = PoolGoldens
        check(MaxPool2d(kernelSize: 3, stride: 2, padding: 1), input: [2, 2, 7, 6], shapeOut: G.maxPool2dShape,
              output: G.maxPool2dOutput, grad: G.maxPool2dGrad, gradFn: G.maxPool2dGradFn)
        check(MaxPool1d(kernelSize: 2, ceilMode: true), input: [2, 3, 5], shapeOut: G.maxPool1dShape,
              output: G.maxPool1dOutput, grad: G.maxPool1dGrad, gradFn: G.maxPool1dGradFn)
        check(AvgPool2d(kernelSize: 3, stride: 2, padding: 1, countIncludePad: false), input: [2, 2, 7, 6],
              shapeOut: G.avgPool2dShape, output: G.avgPool2dOutput, grad: G.avgPool2dGrad, gradFn: G.avgPool2dGradFn)
        check(AvgPool1d(kernelSize: 3, stride: 2, padding: 1), input: [2, 3, 7], shapeOut: G.avgPool1dShape,
              output: G.avgPool1dOutput, grad: G.avgPool1dGrad, gradFn: G.avgPool1dGradFn)
        check(AdaptiveAvgPool2d(outputSize: [2, 3]), input: [2, 2, 5, 7], shapeOut: G.adaptiveAvgPool2dShape,
              output: G.adaptiveAvgPool2dOutput, grad: G.adaptiveAvgPool2dGrad, gradFn: G.adaptiveAvgPool2dGradFn)
        check(AdaptiveAvgPool2d(outputSize: 1), input: [2, 3, 4, 4], shapeOut: G.globalAvgPoolShape,
              output: G.globalAvgPoolOutput, grad: G.globalAvgPoolGrad, gradFn: G.globalAvgPoolGradFn)
        check(AdaptiveAvgPool1d(outputSize: 4), input: [2, 3, 9], shapeOut: G.adaptiveAvgPool1dShape,
              output: G.adaptiveAvgPool1dOutput, grad: G.adaptiveAvgPool1dGrad, gradFn: G.adaptiveAvgPool1dGradFn)
        check(AdaptiveMaxPool2d(outputSize: [3, 2]), input: [1, 2, 7, 5], shapeOut: G.adaptiveMaxPool2dShape,
              output: G.adaptiveMaxPool2dOutput, grad: G.adaptiveMaxPool2dGrad, gradFn: G.adaptiveMaxPool2dGradFn)
        check(LocalResponseNorm(3), input: [2, 5, 3, 2], shapeOut: G.localResponseNormShape,
              output: G.localResponseNormOutput, grad: G.localResponseNormGrad, gradFn: G.localResponseNormGradFn)
        check(AdaptiveMaxPool1d(outputSize: 3), input: [2, 3, 7], shapeOut: G.adaptiveMaxPool1dShape,
              output: G.adaptiveMaxPool1dOutput, grad: G.adaptiveMaxPool1dGrad, gradFn: G.adaptiveMaxPool1dGradFn)
        let indices = AdaptiveMaxPool1d(outputSize: 3).forwardWithIndices(rampInput([2, 3, 7])).indices
        #expect(indices.dtype == .int64 && indices.shape == G.adaptiveMaxPool1dShape)
        #expect(indices.scalars(as: Int64.self).map(Int.init) == G.adaptiveMaxPool1dIndices)
    }

    @Test func unpoolingInvertsPooling() {
        let x = rampInput([1, 2, 5, 5])
        let (output, indices) = MaxPool2d(kernelSize: 2).forwardWithIndices(x)
        #expect(indices.scalars(as: Int64.self).map(Int.init) == PoolGoldens.unpoolIndices)
        let y = MaxUnpool2d(kernelSize: 2)(output, indices: indices, outputSize: x.shape)
        #expect(y.gradFn?.name == "MaxUnpool2DBackward0")
        expectClose(y, PoolGoldens.unpoolOutput, rtol: 1e-12, atol: 0)
        y.backward(gradient: upstream(y.shape))
        expectClose(x.grad!, PoolGoldens.unpoolGrad, rtol: 1e-12, atol: 0)
    }

    /// Sets the parameters to ramps, trains three steps, evaluates once, and
    /// compares everything with PyTorch's (see `norm_case` in the generator).
    private func checkNorm(_ layer: any Module, input shape: [Int], keys: [String], gradFn: String, output: [Double],
                           inputGrad: [Double], parameterGrads: [[Double]], buffers: [[Double]], evalOutput: [Double],
                           sourceLocation: SourceLocation = #_sourceLocation) {
        withNoGrad {
            for (k, p) in layer.parameters().enumerated() {
                p.copy(from: Tensor(shape: p.shape, scalars: ramp(p.shape, 0.5, 0.2 + Double(k))))
            }
        }
        #expect(layer.stateDict().keys == keys, sourceLocation: sourceLocation)
        var x = rampInput(shape), y = x
        for step in 0..<3 {
            x = rampInput(shape, 0.37, 1.3 + Double(step))
            y = layer(x)
            for p in layer.parameters() { p.grad = nil }
            y.backward(gradient: upstream(y.shape))
        }
        let tolerance = (rtol: 1e-9, atol: 1e-11)
        #expect(y.gradFn?.name == gradFn, sourceLocation: sourceLocation)
        expectClose(y, output, rtol: tolerance.rtol, atol: tolerance.atol, sourceLocation: sourceLocation)
        expectClose(x.grad!, inputGrad, rtol: tolerance.rtol, atol: tolerance.atol, sourceLocation: sourceLocation)
        let params = layer.parameters()
        #expect(params.count == parameterGrads.count, sourceLocation: sourceLocation)
        for (p, g) in zip(params, parameterGrads) {
            expectClose(p.grad!, g, rtol: tolerance.rtol, atol: tolerance.atol, sourceLocation: sourceLocation)
        }
        let bufs = layer.buffers()
        #expect(bufs.count == buffers.count, sourceLocation: sourceLocation)
        for (b, v) in zip(bufs, buffers) {
            expectClose(b, v, rtol: tolerance.rtol, atol: tolerance.atol, sourceLocation: sourceLocation)
        }
        layer.eval()
        expectClose(layer(rampInput(shape, 0.37, 0.4, grad: false)), evalOutput, rtol: tolerance.rtol, atol: tolerance.atol,
                    sourceLocation: sourceLocation)
    }

    @Test func normalisationLayers() {
        typealias G = PoolGoldens
        checkNorm(BatchNorm2d(3, dtype: .float64), input: [4, 3, 3, 2], keys: G.batchNorm2dKeys, gradFn: G.batchNorm2dGradFn,
                  output: G.batchNorm2dOutput, inputGrad: G.batchNorm2dInputGrad, parameterGrads: G.batchNorm2dParameterGrads,
                  buffers: G.batchNorm2dBuffers, evalOutput: G.batchNorm2dEvalOutput)
        checkNorm(BatchNorm2d(3, momentum: nil, dtype: .float64), input: [2, 3, 2, 2], keys: G.batchNorm2dCumulativeKeys,
                  gradFn: G.batchNorm2dCumulativeGradFn, output: G.batchNorm2dCumulativeOutput,
                  inputGrad: G.batchNorm2dCumulativeInputGrad, parameterGrads: G.batchNorm2dCumulativeParameterGrads,
                  buffers: G.batchNorm2dCumulativeBuffers, evalOutput: G.batchNorm2dCumulativeEvalOutput)
        checkNorm(GroupNorm(2, 4, dtype: .float64), input: [3, 4, 2, 3], keys: G.groupNormKeys, gradFn: G.groupNormGradFn,
                  output: G.groupNormOutput, inputGrad: G.groupNormInputGrad, parameterGrads: G.groupNormParameterGrads,
                  buffers: G.groupNormBuffers, evalOutput: G.groupNormEvalOutput)
        checkNorm(InstanceNorm2d(3, affine: true, trackRunningStats: true, dtype: .float64), input: [2, 3, 3, 3],
                  keys: G.instanceNorm2dKeys, gradFn: G.instanceNorm2dGradFn, output: G.instanceNorm2dOutput,
                  inputGrad: G.instanceNorm2dInputGrad, parameterGrads: G.instanceNorm2dParameterGrads,
                  buffers: G.instanceNorm2dBuffers, evalOutput: G.instanceNorm2dEvalOutput)
        checkNorm(InstanceNorm1d(3, dtype: .float64), input: [2, 3, 5], keys: G.instanceNorm1dKeys,
                  gradFn: G.instanceNorm1dGradFn, output: G.instanceNorm1dOutput, inputGrad: G.instanceNorm1dInputGrad,
                  parameterGrads: G.instanceNorm1dParameterGrads, buffers: G.instanceNorm1dBuffers,
                  evalOutput: G.instanceNorm1dEvalOutput)
        checkNorm(InstanceNorm1d(3, affine: true, dtype: .float64), input: [3, 5], keys: G.instanceNorm1dUnbatchedKeys,
                  gradFn: G.instanceNorm1dUnbatchedGradFn, output: G.instanceNorm1dUnbatchedOutput,
                  inputGrad: G.instanceNorm1dUnbatchedInputGrad, parameterGrads: G.instanceNorm1dUnbatchedParameterGrads,
                  buffers: G.instanceNorm1dUnbatchedBuffers, evalOutput: G.instanceNorm1dUnbatchedEvalOutput)
    }

    /// `sum(g²)` of the first gradient, differentiated again (createGraph).
    private func checkDoubleBackward(_ f: (Tensor) -> Tensor, input shape: [Int], expected: [Double],
                                     gradFn: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let x = rampInput(shape)
        let y = f(x)
        let g = grad(of: y, wrt: [x], gradient: upstream(y.shape), createGraph: true)[0]
        if let gradFn { #expect(g.gradFn?.name == gradFn, sourceLocation: sourceLocation) }
        (g * g).sum().backward()
        expectClose(x.grad!, expected, rtol: 1e-9, atol: 1e-11, sourceLocation: sourceLocation)
    }

    @Test func secondDerivatives() {
        typealias G = PoolGoldens
        checkDoubleBackward({ batchNorm($0, runningMean: nil, runningVar: nil, training: true) }, input: [3, 2, 4],
                            expected: G.batchNormDoubleGrad)
        checkDoubleBackward({ groupNorm($0, numGroups: 2) }, input: [2, 4, 3], expected: G.groupNormDoubleGrad)
        checkDoubleBackward({ avgPool2d($0, kernelSize: 3, stride: 2, padding: 1).square() }, input: [1, 2, 5, 5],
                            expected: G.avgPoolDoubleGrad, gradFn: G.avgPoolDoubleGradFn)
        checkDoubleBackward({ adaptiveAvgPool2d($0, outputSize: [2, 3]).square() }, input: [1, 2, 5, 5],
                            expected: G.adaptiveAvgPoolDoubleGrad, gradFn: G.adaptiveAvgPoolDoubleGradFn)
        checkDoubleBackward({ maxPool2d($0, kernelSize: 2).square() }, input: [1, 2, 4, 4], expected: G.maxPoolDoubleGrad,
                            gradFn: G.maxPoolDoubleGradFn)
        checkDoubleBackward({ adaptiveMaxPool2d($0, outputSize: [2, 3]).square() }, input: [1, 2, 5, 5],
                            expected: G.adaptiveMaxPoolDoubleGrad, gradFn: G.adaptiveMaxPoolDoubleGradFn)
    }

    /// PyTorch's max-pooling rule written out plainly: the first maximum of each
    /// clipped window, a NaN winning; for inputs wide enough that the kernel's
    /// blocked interior path runs.
    private func naiveMaxPool(_ x: [Double], h: Int, w: Int, k: (Int, Int), s: (Int, Int), p: (Int, Int), d: (Int, Int),
                              oh: Int, ow: Int) -> (values: [Double], indices: [Int]) {
        var values: [Double] = [], indices: [Int] = []
        for i in 0..<oh {
            for j in 0..<ow {
                var best = -Double.infinity, at = -1
                for a in 0..<k.0 {
                    for b in 0..<k.1 {
                        let r = i * s.0 - p.0 + a * d.0, c = j * s.1 - p.1 + b * d.1
                        guard r >= 0, r < h, c >= 0, c < w else { continue }
                        let v = x[r * w + c]
                        if at < 0 { at = r * w + c }
                        if v > best || v.isNaN { best = v; at = r * w + c }
                    }
                }
                values.append(best)
                indices.append(at)
            }
        }
        return (values, indices)
    }

    @Test func wideInputsMatchThePlainRule() {
        let (h, w) = (9, 41)
        // Coarse values make ties; one NaN and a run of -inf test the edge rules.
        var data = (0..<(h * w)).map { Double(($0 * 7919) % 5) - 2 }
        data[50] = .nan
        for q in 100..<110 { data[q] = -.infinity }
        for (k, s, p, d) in [((3, 3), (2, 2), (1, 1), (1, 1)), ((2, 3), (1, 2), (1, 1), (2, 1)), ((3, 2), (2, 1), (0, 1), (1, 2))] {
            for dtype in [DType.float32, .float64, .int64] {
                let values = dtype == .int64 ? data.map { $0.isFinite ? $0 : -3 } : data
                let x = Tensor(shape: [1, 1, h, w], scalars: values).to(dtype)
                let r = maxPool2dWithIndices(x, kernelSize: [k.0, k.1], stride: [s.0, s.1], padding: [p.0, p.1],
                                             dilation: [d.0, d.1])
                let expected = naiveMaxPool(values, h: h, w: w, k: k, s: s, p: p, d: d, oh: r.output.shape[2], ow: r.output.shape[3])
                #expect(r.indices.scalars(as: Int64.self).map(Int.init) == expected.indices, "\(k) \(s) \(p) \(d) \(dtype)")
                let got = r.output.scalars(as: Double.self)
                #expect(zip(got, expected.values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(k) \(s) \(p) \(d) \(dtype)")
            }
        }
    }

    @Test func channelsLastInputsGiveTheSameResults() {
        // A channels-last layout (NHWC memory viewed as NCHW), values and gradients.
        let ops: [(String, (Tensor) -> Tensor)] = [
            ("maxPool2d", { maxPool2d($0, kernelSize: 3, stride: 2, padding: 1) }),
            ("avgPool2d", { avgPool2d($0, kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false) }),
            ("adaptiveAvgPool2d", { adaptiveAvgPool2d($0, outputSize: [3, 2]) }),
            ("adaptiveMaxPool2d", { adaptiveMaxPool2d($0, outputSize: [2, 3]) }),
            ("batchNorm", { batchNorm($0, runningMean: nil, runningVar: nil, training: true) }),
            ("groupNorm", { groupNorm($0, numGroups: 2) }),
            ("localResponseNorm", { localResponseNorm($0, size: 3) }),
        ]
        for (name, f) in ops {
            let values = ramp([2, 4, 7, 6])
            let a = Tensor(shape: [2, 4, 7, 6], scalars: values)
            a.requiresGrad = true
            let nhwc = Tensor(shape: [2, 4, 7, 6], scalars: values).permuted([0, 2, 3, 1]).contiguous().detached()
            let b = nhwc.permuted([0, 3, 1, 2])
            b.requiresGrad = true
            #expect(!b.isContiguous)
            let (ya, yb) = (f(a), f(b))
            expectClose(yb, ya.detached(), rtol: 1e-12, atol: 1e-12)
            ya.backward(gradient: upstream(ya.shape))
            yb.backward(gradient: upstream(yb.shape))
            expectClose(b.grad!, a.grad!, rtol: 1e-12, atol: 1e-12)
            _ = name
        }
    }

    @Test func channelDropoutDropsWholeChannels() {
        Tensor.manualSeed(7)
        let x = Tensor.ones([8, 16, 3, 3])
        let y = dropout2d(x, p: 0.5)
        let planes = y.reshaped([8 * 16, 9]).scalars(as: Double.self)
        var dropped = 0
        for c in 0..<(8 * 16) {
            let row = planes[(c * 9)..<(c * 9 + 9)]
            #expect(Set(row).count == 1, "channel \(c) is not dropped as a whole")
            #expect(row.first! == 0 || row.first! == 2)
            if row.first! == 0 { dropped += 1 }
        }
        #expect(dropped > 30 && dropped < 98)
        #expect(y.shape == x.shape)
        let z = dropout1d(Tensor.ones([4, 5]), p: 0.5)
        let columns = z.scalars(as: Double.self)
        for c in 0..<4 { #expect(Set(columns[(c * 5)..<(c * 5 + 5)]).count == 1) }
        let layer = Dropout2d(p: 0.3)
        layer.eval()
        #expect(layer(x) === x)
        let a = Tensor.ones([2, 3, 4], requiresGrad: true)
        #expect(dropout2d(a, p: 0.4).gradFn?.name == "MulBackward0")
    }

    @Test func batchNormGradientPathsAgree() {
        // The fused kernel (plain backward) and the tensor-op rule (createGraph) give the same gradients.
        for training in [true, false] {
            let x = rampInput([3, 4, 5]), w = rampInput([4], 0.5, 0.2), b = rampInput([4], 0.5, 1.2)
            let m = Tensor(shape: [4], scalars: [0.1, -0.2, 0.3, 0.0]), v = Tensor(shape: [4], scalars: [1.0, 0.5, 2.0, 1.5])
            let y = batchNorm(x, runningMean: training ? nil : m, runningVar: training ? nil : v, weight: w, bias: b,
                              training: training)
            let fused = grad(of: y, wrt: [x, w, b], gradient: upstream(y.shape), retainGraph: true)
            let recorded = grad(of: y, wrt: [x, w, b], gradient: upstream(y.shape), createGraph: true)
            for (a, c) in zip(fused, recorded) { expectClose(a, c.detached(), rtol: 1e-12, atol: 1e-13) }
        }
    }
}

@Suite("Pooling and normalisation errors stop the process")
struct PoolingErrorTests {
    typealias G = PoolGoldens

    @Test func maxPoolPadding() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool2d(Tensor.zeros([2, 3, 5, 5]), kernelSize: 3, stride: 1, padding: 2)
        }
        expectStandardError(result, contains: "max_pool2d: " + G.maxPoolPadError)
    }

    @Test func maxPoolPaddingDilated() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool2d(Tensor.zeros([2, 3, 5, 5]), kernelSize: 3, stride: 1, padding: 2, dilation: 2)
        }
        expectStandardError(result, contains: G.maxPoolPadDilatedError)
    }

    @Test func maxPoolOutputTooSmall() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = MaxPool2d(kernelSize: 7)(Tensor.zeros([2, 3, 5, 5]))
        }
        expectStandardError(result, contains: G.maxPoolTooSmallError)
    }

    @Test func maxPoolRank() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool2d(Tensor.zeros([5, 5]), kernelSize: 2)
        }
        expectStandardError(result, contains: G.maxPoolRankError)
    }

    @Test func maxPoolZeroKernel() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool2d(Tensor.zeros([2, 3, 5, 5]), kernelSize: 0)
        }
        expectStandardError(result, contains: G.maxPoolZeroKernelError)
    }

    @Test func maxPool1dErrors() async {
        let pad = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool1d(Tensor.zeros([3, 5]), kernelSize: 3, stride: 1, padding: 2)
        }
        expectStandardError(pad, contains: G.maxPool1dPadError)
        let small = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool1d(Tensor.zeros([3, 5]), kernelSize: 7)
        }
        expectStandardError(small, contains: G.maxPool1dTooSmallError)
        let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = MaxPool1d(kernelSize: 2)(Tensor.zeros([2, 3, 5, 5]))
        }
        expectStandardError(rank, contains: G.maxPool1dRankError)
    }

    @Test func avgPoolErrors() async {
        let pad = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = avgPool2d(Tensor.zeros([2, 3, 5, 5]), kernelSize: 3, stride: 1, padding: 2)
        }
        expectStandardError(pad, contains: G.avgPoolPadError)
        let small = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = avgPool2d(Tensor.zeros([2, 3, 5, 5]), kernelSize: 7)
        }
        expectStandardError(small, contains: G.avgPoolTooSmallError)
        let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = avgPool2d(Tensor.zeros([5, 5]), kernelSize: 2)
        }
        expectStandardError(rank, contains: G.avgPoolRankError)
        let divisor = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = avgPool2d(Tensor.zeros([2, 3, 5, 5]), kernelSize: 2, divisorOverride: 0)
        }
        expectStandardError(divisor, contains: G.avgPoolDivisorError)
        let rank1 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AvgPool1d(kernelSize: 2)(Tensor.zeros([2, 3, 5, 5]))
        }
        expectStandardError(rank1, contains: G.avgPool1dRankError)
        let small1 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = avgPool1d(Tensor.zeros([3, 5]), kernelSize: 7)
        }
        expectStandardError(small1, contains: G.avgPool1dTooSmallError)
    }

    @Test func adaptivePoolErrors() async {
        let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveAvgPool2d(Tensor.zeros([5, 5]), outputSize: 2)
        }
        expectStandardError(rank, contains: G.adaptiveAvgRankError)
        let empty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveAvgPool2d(Tensor.zeros([1, 2, 0, 5]), outputSize: 2)
        }
        expectStandardError(empty, contains: G.adaptiveAvgEmptyError)
        let maxRank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveMaxPool2d(outputSize: 2)(Tensor.zeros([5, 5]))
        }
        expectStandardError(maxRank, contains: G.adaptiveMaxRankError)
        let max1dRank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveMaxPool1d(outputSize: 2)(Tensor.zeros([2, 3, 4, 5]))
        }
        expectStandardError(max1dRank, contains: G.adaptiveMax1dRankError)
        let max1dEmpty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveMaxPool1d(Tensor.zeros([2, 0, 4]), outputSize: 2)
        }
        expectStandardError(max1dEmpty, contains: G.adaptiveMax1dEmptyError)
        let max1dNegative = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveMaxPool1d(Tensor.zeros([2, 5]), outputSize: -1)
        }
        expectStandardError(max1dNegative, contains: G.adaptiveMax1dNegativeError)
    }

    @Test func unpoolErrors() async {
        let index = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor(shape: [1, 1, 9, 9], scalars: ramp([1, 1, 9, 9]))
            let (o, i) = maxPool2dWithIndices(x, kernelSize: 2)
            _ = maxUnpool2d(o, indices: i, kernelSize: 2)
        }
        expectStandardError(index, contains: G.unpoolIndexError)
        let size = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (o, i) = maxPool2dWithIndices(Tensor.zeros([1, 1, 8, 8]), kernelSize: 2)
            _ = MaxUnpool2d(kernelSize: 2)(o, indices: i, outputSize: [3, 3])
        }
        expectStandardError(size, contains: G.unpoolSizeError)
    }

    @Test func normErrors() async {
        let divisible = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = groupNorm(Tensor.zeros([2, 6, 3]), numGroups: 4)
        }
        expectStandardError(divisible, contains: G.groupNormDivisibleError)
        let layer = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GroupNorm(3, 4)
        }
        expectStandardError(layer, contains: G.groupNormLayerError)
        let weight = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GroupNorm(2, 4)(Tensor.zeros([2, 6, 3]))
        }
        expectStandardError(weight, contains: G.groupNormWeightError)
        let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = InstanceNorm1d(3)(Tensor.zeros([2, 3, 4, 4]))
        }
        expectStandardError(rank, contains: "InstanceNorm1d: " + G.instanceNormRankError)
        let channels = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = InstanceNorm2d(3, affine: true)(Tensor.zeros([2, 5, 4, 4]))
        }
        expectStandardError(channels, contains: G.instanceNormChannelsError)
        let lrn = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LocalResponseNorm(2)(Tensor.zeros([2, 3]))
        }
        expectStandardError(lrn, contains: G.localResponseNormRankError)
        let dropout = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Dropout1d()(Tensor.zeros([2, 3, 4, 5]))
        }
        expectStandardError(dropout, contains: G.dropout1dRankError)
        let bnRank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm2d(3)(Tensor.zeros([2, 3]))
        }
        expectStandardError(bnRank, contains: G.batchNormRankError)
        let single = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = batchNorm(Tensor.zeros([1, 3]), runningMean: nil, runningVar: nil, training: true)
        }
        expectStandardError(single, contains: G.batchNormSingleValueError)
    }
}
