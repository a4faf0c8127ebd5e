import CCotangentKernels
import Cotangent
import CotangentTestSupport
import Foundation
import Testing

// Convolution layers against Tests/Goldens/conv_goldens.py: seeded
// initialisation, forward and backward in every padding mode, lazy layers,
// printing, double backward, a state dict saved by PyTorch, and bad input.
// (The functional ops' values and gradients are op-table rows.)

/// The fixture's Net: convolutions of each kind between a ReLU, a Sigmoid and a linear head.
private final class ConvNet: Module {
    let features = Sequential {
        Conv2d(1, 4, kernelSize: 3, padding: 1)
        ReLU()
        Conv2d(4, 4, kernelSize: 3, stride: 2, padding: 1, groups: 2, paddingMode: .reflect)
        Sigmoid()
        ConvTranspose2d(4, 2, kernelSize: 2, stride: 2)
        Flatten()
    }
    let head = Linear(2 * 6 * 6, 3)
    let seq = Conv1d(1, 2, kernelSize: 3, padding: .same, bias: false)
    func forward(_ x: Tensor) -> Tensor { head(features(x)) }
}

private func leaf(_ shape: [Int], _ scale: Double = 0.37, _ shift: Double = 1.3, dtype: DType = .float32) -> Tensor {
    let x = golden(ramp(shape, scale, shift), shape, dtype: dtype)
    x.requiresGrad = true
    return x
}

/// Runs `layer` forward and backward on the goldens' ramp and compares with a PyTorch run.
private func expectRun(_ layer: ConvNd, input shape: [Int], _ expected: ConvGoldens.LayerRun,
                       sourceLocation: SourceLocation = #_sourceLocation) {
    let x = leaf(shape)
    let y = layer(x)
    #expect(y.gradFn?.name == expected.gradFn, sourceLocation: sourceLocation)
    expectClose(y, expected.output, shape: expected.shape, rtol: 1e-5, atol: 1e-5, sourceLocation: sourceLocation)
    (y * upstream(y.shape, dtype: .float32)).sum().backward()
    expectClose(x.grad!, expected.inputGrad, rtol: 1e-5, atol: 1e-4, sourceLocation: sourceLocation)
    expectClose(layer.weight.grad!, expected.weightGrad, rtol: 1e-5, atol: 1e-4, sourceLocation: sourceLocation)
    expectClose(layer.bias!.grad!, expected.biasGrad, rtol: 1e-5, atol: 1e-4, sourceLocation: sourceLocation)
}

extension LearningTests {
    @Suite("Convolution layers") struct ConvLayerTests {
        @Test func initialisationIsPyTorchsBitForBit() {
            Tensor.manualSeed(0)
            let layers: [ConvNd] = [
                Conv2d(3, 4, kernelSize: 3), Conv1d(2, 4, kernelSize: 3, groups: 2, bias: false),
                ConvTranspose2d(4, 2, kernelSize: [3, 2], stride: 2, groups: 2), ConvTranspose1d(3, 2, kernelSize: 4),
            ]
            for (k, layer) in layers.enumerated() {
                #expect(layer.weight.shape == ConvGoldens.initWeightShapes[k])
                #expect(layer.weight.to(.float64).scalars(as: Double.self) == ConvGoldens.initWeights[k], "layer \(k)")
                #expect((layer.bias?.to(.float64).scalars(as: Double.self) ?? []) == ConvGoldens.initBiases[k], "layer \(k)")
                #expect(layer.stateDict().keys == ConvGoldens.initKeys[k])
                #expect(layer.weight.isLeaf && layer.weight.requiresGrad)
            }
        }

        @Test func lazyLayersDrawAtTheFirstCall() {
            Tensor.manualSeed(1)
            let lazy = LazyConv2d(5, kernelSize: 3, padding: 1)
            #expect(lazy.description == ConvGoldens.lazyDescriptions[0])
            #expect(lazy.parameters().isEmpty && lazy.hasUninitializedParameters)
            let y = lazy(golden(ramp([2, 3, 4, 4]), [2, 3, 4, 4], dtype: .float32))
            #expect(lazy.inChannels == 3 && lazy.weight.shape == [5, 3, 3, 3])
            #expect(lazy.weight.to(.float64).scalars(as: Double.self) == ConvGoldens.lazyWeight)
            #expect(lazy.bias!.to(.float64).scalars(as: Double.self) == ConvGoldens.lazyBias)
            expectClose(y, ConvGoldens.lazyOutput, shape: [2, 5, 4, 4], rtol: 1e-5, atol: 1e-6)
            #expect(lazy.description == ConvGoldens.lazyDescriptions[1])
            #expect((lazy as Conv2d).parameters().count == 2)

            Tensor.manualSeed(2)
            let lazy1 = LazyConv1d(4, kernelSize: 2, stride: 2)
            let y1 = lazy1(golden(ramp([3, 5]), [3, 5], dtype: .float32))
            #expect(lazy1.weight.to(.float64).scalars(as: Double.self) == ConvGoldens.lazy1dWeight)
            expectClose(y1, ConvGoldens.lazy1dOutput, shape: [4, 2], rtol: 1e-5, atol: 1e-6)
        }

        @Test(arguments: ConvGoldens.paddingModes.indices)
        func forwardAndBackwardInEachPaddingMode(_ k: Int) {
            let run = ConvGoldens.paddingModes[k]
            let mode = ConvPaddingMode(rawValue: run.mode)!
            Tensor.manualSeed(UInt64(3 + k))
            let c2 = Conv2d(2, 3, kernelSize: [3, 2], stride: [1, 2], padding: [1, 2], paddingMode: mode)
            let c1 = Conv1d(2, 3, kernelSize: 4, padding: .same, dilation: 2, paddingMode: mode)
            expectRun(c2, input: [2, 2, 5, 4], run.conv2d)
            expectRun(c1, input: [2, 2, 9], run.conv1d)
        }

        @Test func transposedLayer() {
            Tensor.manualSeed(8)
            let layer = ConvTranspose2d(4, 6, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2)
            #expect(layer.weight.shape == [4, 3, 3, 3])
            expectRun(layer, input: [2, 4, 3, 3], ConvGoldens.transposed)
        }

        @Test func layersPrintAsPyTorchs() {
            let modules: [any Module] = [
                Conv2d(1, 6, kernelSize: 5, padding: 2), Conv2d(1, 6, kernelSize: 5),
                Conv2d(1, 6, kernelSize: [5, 3], stride: 2, padding: [1, 2], dilation: 2, bias: false, paddingMode: .reflect),
                Conv2d(4, 8, kernelSize: 3, padding: .same, groups: 2), Conv1d(4, 8, kernelSize: 3, padding: .valid),
                ConvTranspose2d(4, 8, kernelSize: 3, stride: 2, outputPadding: 1), ConvTranspose1d(4, 8, kernelSize: 3, dilation: 2),
                LazyConv2d(8, kernelSize: 3),
                Sequential { Conv2d(1, 6, kernelSize: 5, padding: 2); Sigmoid(); LazyConv1d(4, kernelSize: 2) },
            ]
            #expect(modules.map(\.description) == ConvGoldens.descriptions)
        }

        @Test func stateDictSavedByPyTorchReproducesItsOutput() throws {
            let net = ConvNet()
            #expect(net.stateDict().keys == ConvGoldens.netKeys)
            let data = try #require(Data(base64Encoded: ConvGoldens.netState.filter { !$0.isWhitespace }))
            try net.loadStateDict(Safetensors.decode(data).tensors)
            let x = golden(ramp([2, 1, 6, 6], 0.5, 0.1), [2, 1, 6, 6], dtype: .float32)
            expectClose(withNoGrad { net(x) }, ConvGoldens.netOutput, shape: [2, 3], rtol: 1e-5, atol: 1e-6)
        }
    }
}

@Suite("Convolution: double backward, threads, bad input")
struct ConvTests {
    /// The inputs of a double-backward golden: ramp(shape_i, 0.37 + 0.11 i, 1.3 − 0.2 i) in float64.
    private func inputs(_ shapes: [[Int]]) -> [Tensor] {
        shapes.enumerated().map { i, s in leaf(s, 0.37 + 0.11 * Double(i), 1.3 - 0.2 * Double(i), dtype: .float64) }
    }

    @Test func doubleBackwardMatchesPyTorch() {
        let cases: [(String, [[Int]], ([Tensor]) -> Tensor)] = [
            ("conv2d", [[2, 2, 5, 5], [3, 2, 3, 3], [3]], { conv2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1) }),
            ("conv2d groups", [[1, 4, 5, 4], [2, 2, 2, 2]], { conv2d($0[0], weight: $0[1], padding: 1, dilation: 2, groups: 2) }),
            ("convTranspose2d", [[1, 2, 3, 3], [2, 3, 3, 3], [3]],
             { convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1) }),
            ("conv1d", [[2, 3, 7], [2, 3, 3]], { conv1d($0[0], weight: $0[1], stride: 2) }),
        ]
        for (name, shapes, f) in cases {
            let golden = ConvGoldens.doubleBackward.first { $0.name == name }!
            let xs = inputs(shapes)
            let y = f(xs)
            let firsts = grad(of: (y * y).sum(), wrt: xs, createGraph: true)
            // The input and weight gradients are convolutions again, named as PyTorch's
            // (the bias gradient is a sum: SumBackward1 here, one fused node there).
            #expect(firsts[0].gradFn?.name == golden.firstGradFns[0] && firsts[1].gradFn?.name == golden.firstGradFns[1], "\(name)")
            let z = firsts.map { ($0 * upstream($0.shape)).sum() }.reduce(Tensor(0.0), +)
            let seconds = grad(of: z, wrt: xs)
            for (s, expected) in zip(seconds, golden.second) { expectClose(s, expected, rtol: 1e-9, atol: 1e-9) }
        }
    }

    @Test func secondOrderGradientsMatchFiniteDifferences() {
        // gradgradcheck: differentiate the input gradient of a strided, grouped convolution numerically.
        let x = Tensor.randn(1, 4, 4, 4, dtype: .float64), w = Tensor.randn(2, 2, 3, 3, dtype: .float64)
        let u = Tensor.randn(1, 2, 2, 2, dtype: .float64)
        // The finite differences evaluate under no-grad; the inner gradient needs grad mode.
        let report = gradCheck({ args in
            withGrad {
                let y = conv2d(args[0], weight: args[1], stride: 2, padding: 1, groups: 2)
                let g = grad(of: (y * u).sum() + (y * y).sum(), wrt: [args[0], args[1]], createGraph: true)
                return Tensor.cat([g[0].reshaped(-1), g[1].reshaped(-1)], dim: 0)
            }
        }, inputs: [x, w])
        #expect(report.passed, "\(report)")
    }

    @Test func resultsDoNotDependOnTheThreadCount() {
        let x = Tensor.randn(7, 6, 9, 8), w = Tensor.randn(4, 3, 3, 3), b = Tensor.randn(4)
        func run(_ threads: Int32) -> [Tensor] {
            ct_set_local_num_threads(threads)
            defer { ct_set_local_num_threads(0) }
            let xl = x.detached(), wl = w.detached(), bl = b.detached()
            for t in [xl, wl, bl] { t.requiresGrad = true }
            let y = conv2d(xl, weight: wl, bias: bl, stride: [1, 2], padding: 1, groups: 2)
            (y * y).sum().backward()
            return [y, xl.grad!, wl.grad!, bl.grad!]
        }
        let one = run(1)
        for threads: Int32 in [2, 3, 4] {
            for (a, b) in zip(one, run(threads)) { expectClose(a, b, rtol: 1e-5, atol: 1e-4) }
        }
    }

    /// Float32 convolutions of the shapes the direct AVX-512 kernels take
    /// (unit stride; LeNet's small channel counts, a ResNet-like 3x3 over 64
    /// channels; padding none, "same" and uneven) against the same
    /// convolution in float64, which runs im2col and the GEMM: values and the
    /// three gradients, on every instruction set.
    @Test func directFloat32KernelsMatchTheFloat64Path() {
        let shapes: [(n: Int, c: Int, o: Int, h: Int, w: Int, k: Int, pad: [Int])] = [
            (3, 1, 6, 28, 28, 5, [2, 2]), (3, 6, 16, 14, 14, 5, [0, 0]), (2, 3, 8, 11, 9, 3, [1, 1]),
            (2, 64, 16, 12, 12, 3, [1, 1]), (2, 4, 5, 10, 13, 3, [1, 0]), (1, 2, 3, 7, 7, 5, [2, 1]),
        ]
        forEachBackend(threads: [2]) { backend in
            for (i, s) in shapes.enumerated() {
                // Every random value is drawn once, up front: other tests draw from the
                // global generator at the same time, so reseeding between the runs would not repeat them.
                let x = Tensor.randn(s.n, s.c, s.h, s.w), w = Tensor.randn(s.o, s.c, s.k, s.k), b = Tensor.randn(s.o)
                let u = Tensor.randn(withNoGrad { conv2d(x, weight: w, padding: .explicit(ConvSize(s.pad))) }.shape)
                func run(_ dtype: DType) -> [Tensor] {
                    let (xl, wl, bl) = (x.to(dtype).detached(), w.to(dtype).detached(), b.to(dtype).detached())
                    for t in [xl, wl, bl] { t.requiresGrad = true }
                    let y = conv2d(xl, weight: wl, bias: bl, padding: .explicit(ConvSize(s.pad)))
                    (y * u.to(dtype)).sum().backward()
                    return [y, xl.grad!, wl.grad!, bl.grad!].map { $0.to(.float64) }
                }
                let f32 = run(.float32), f64 = run(.float64)
                for (name, (a, r)) in zip(["y", "dx", "dw", "db"], zip(f32, f64)) {
                    let scale = r.abs().max().item()
                    let err = (a - r).abs().max().item()
                    #expect(err <= 2e-5 * Swift.max(scale, 1) * Double(s.c * s.k * s.k).squareRoot(),
                            "\(backend) shape \(i) \(name): max error \(err), scale \(scale)")
                }
            }
        }
    }

    @Test func largeImagesTiledOverOutputRowsMatchTheDefinition() {
        // 64 channels x 3x3 x 40 columns is 92 KB of columns per output row, so
        // im2col runs in tiles of rows; compare with the convolution written as
        // a sum of shifted channel contractions (einsum), values and gradients.
        let x = Tensor.randn(2, 64, 40, 40, requiresGrad: true), w = Tensor.randn(8, 64, 3, 3, requiresGrad: true)
        let y = conv2d(x, weight: w, padding: 1)
        let xp = x.padded([1, 1, 1, 1])
        var reference = Tensor.zeros(2, 8, 40, 40)
        for i in 0..<3 {
            for j in 0..<3 {
                let window = xp.narrowed(dim: 2, start: i, length: 40).narrowed(dim: 3, start: j, length: 40)
                let tap = w.narrowed(dim: 2, start: i, length: 1).narrowed(dim: 3, start: j, length: 1).reshaped(8, 64)
                reference = reference + Tensor.einsum("oc,nchw->nohw", [tap, window])
            }
        }
        expectClose(y, reference, rtol: 1e-4, atol: 1e-4)
        let u = Tensor.randn(2, 8, 40, 40)
        let g = grad(of: (y * u).sum(), wrt: [x, w])
        let r = grad(of: (reference * u).sum(), wrt: [x, w])
        expectClose(g[0], r[0], rtol: 1e-4, atol: 1e-4)
        expectClose(g[1], r[1], rtol: 1e-4, atol: 1e-3)
    }

    @Test func pointwiseAndDepthwiseMatchTheDefinition() {
        // A 1x1 convolution is a matrix product over channels; a depthwise one a per-channel correlation.
        let x = Tensor.randn(3, 4, 5, 6, dtype: .float64), w = Tensor.randn(2, 4, 1, 1, dtype: .float64)
        let y = conv2d(x, weight: w)
        let expected = w.reshaped(2, 4).matmul(x.permuted(1, 0, 2, 3).reshaped(4, -1)).reshaped(2, 3, 5, 6).permuted(1, 0, 2, 3)
        expectClose(y, expected, rtol: 1e-12, atol: 1e-12)
        let dw = Tensor.randn(4, 1, 3, 3, dtype: .float64)
        let depthwise = conv2d(x, weight: dw, padding: 1, groups: 4)
        for c in 0..<4 {
            let single = conv2d(x.narrowed(dim: 1, start: c, length: 1), weight: dw.narrowed(dim: 0, start: c, length: 1), padding: 1)
            expectClose(depthwise.narrowed(dim: 1, start: c, length: 1), single, rtol: 1e-12, atol: 1e-12)
        }
    }

    // MARK: Bad input, worded as PyTorch's

    @Test func channelMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(2, 3, 28, 28), weight: Tensor.zeros(6, 1, 5, 5))
        }
        expectStandardError(result, contains: "conv2d: " + ConvGoldens.messages["channels"]!)
    }

    @Test func layerInputOfTheWrongRank() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(1, 6, kernelSize: 5)(Tensor.zeros(5, 1, 2, 3, 3))
        }
        expectStandardError(result, contains: ConvGoldens.messages["rank"]!)
        let oneD = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv1d(1, 6, kernelSize: 5)(Tensor.zeros(5))
        }
        expectStandardError(oneD, contains: ConvGoldens.messages["rank1d"]!)
    }

    @Test func kernelLargerThanThePaddedInput() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(1, 1, 4, 4), weight: Tensor.zeros(6, 1, 5, 5))
        }
        expectStandardError(result, contains: ConvGoldens.messages["kernel"]!)
        let dilated = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv1d(Tensor.zeros(1, 1, 6), weight: Tensor.zeros(2, 1, 3), dilation: 3)
        }
        expectStandardError(dilated, contains: ConvGoldens.messages["dilatedKernel"]!)
    }

    @Test func badGroupsBiasStrideAndPadding() async {
        let groups = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(1, 6, 8, 8), weight: Tensor.zeros(4, 2, 3, 3), groups: 3)
        }
        expectStandardError(groups, contains: ConvGoldens.messages["groupsWeight"]!)
        let bias = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(2, 3, 8, 8), weight: Tensor.zeros(6, 3, 5, 5), bias: Tensor.zeros(5))
        }
        expectStandardError(bias, contains: ConvGoldens.messages["bias"]!)
        let stride = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(2, 3, 8, 8), weight: Tensor.zeros(6, 3, 5, 5), stride: 0)
        }
        expectStandardError(stride, contains: ConvGoldens.messages["stride"]!)
        let padding = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(2, 3, 8, 8), weight: Tensor.zeros(6, 3, 5, 5), padding: -1)
        }
        expectStandardError(padding, contains: ConvGoldens.messages["padding"]!)
        let same = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros(2, 3, 8, 8), weight: Tensor.zeros(6, 3, 5, 5), stride: 2, padding: .same)
        }
        expectStandardError(same, contains: ConvGoldens.messages["sameStrided"]!)
    }

    @Test func badTransposedConvolutions() async {
        let channels = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose2d(Tensor.zeros(2, 3, 8, 8), weight: Tensor.zeros(4, 2, 3, 3))
        }
        expectStandardError(channels, contains: ConvGoldens.messages["transposedChannels"]!)
        let outputPadding = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose2d(Tensor.zeros(2, 3, 8, 8), weight: Tensor.zeros(3, 2, 3, 3), outputPadding: 1)
        }
        expectStandardError(outputPadding, contains: ConvGoldens.messages["outputPadding"]!)
        let outputPadding1d = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose1d(Tensor.zeros(2, 3, 8), weight: Tensor.zeros(3, 2, 3), outputPadding: 1)
        }
        expectStandardError(outputPadding1d, contains: ConvGoldens.messages["outputPadding1d"]!)
    }

    /// `forward(_:outputSize:)` picks the output padding, as PyTorch's `output_size`.
    @Test func transposedLayersReachTheRequestedOutputSize() {
        Tensor.manualSeed(3)
        let up = ConvTranspose2d(2, 3, kernelSize: 3, stride: 2, padding: 1, dtype: .float64)
        let x = Tensor.randn([1, 2, 4, 4], dtype: .float64)
        for (size, padding) in [([7, 7], [0, 0]), ([8, 8], [1, 1]), ([7, 8], [0, 1])] {
            let y = up(x, outputSize: size)
            #expect(y.shape == [1, 3] + size)
            let reference = convTranspose2d(x, weight: up.weight, bias: up.bias, stride: 2, padding: 1,
                                            outputPadding: ConvSize(padding))
            #expect(y.equal(reference))
        }
        #expect(up(x, outputSize: [1, 3, 8, 8]).shape == [1, 3, 8, 8])   // the full shape
        let up1 = ConvTranspose1d(2, 3, kernelSize: 3, stride: 3, padding: 1, dtype: .float64)
        #expect(up1(Tensor.randn([2, 2, 5], dtype: .float64), outputSize: [15]).shape == [2, 3, 15])
        #expect(up1(Tensor.randn([2, 5], dtype: .float64), outputSize: [3, 14]).shape == [3, 14])   // unbatched, full shape
        // The gradient flows as through the functional form.
        let xg = x.detached()
        xg.requiresGrad = true
        up(xg, outputSize: [8, 8]).sum().backward()
        #expect(xg.grad?.shape == [1, 2, 4, 4])
    }

    @Test func badOutputSizes() async {
        let range = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConvTranspose2d(2, 3, kernelSize: 3, stride: 2, padding: 1)(Tensor.zeros(1, 2, 4, 4), outputSize: [9, 9])
        }
        expectStandardError(range, contains: ConvGoldens.messages["outputSizeRange"]!)
        let range1d = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConvTranspose1d(2, 3, kernelSize: 3, stride: 3, padding: 1)(Tensor.zeros(2, 5), outputSize: [16])
        }
        expectStandardError(range1d, contains: ConvGoldens.messages["outputSizeRange1d"]!)
        let count = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConvTranspose2d(2, 3, kernelSize: 3, stride: 2, padding: 1)(Tensor.zeros(1, 2, 4, 4), outputSize: [8])
        }
        expectStandardError(count, contains: ConvGoldens.messages["outputSizeCount"]!)
    }

    @Test func badLayerArguments() async {
        let inGroups = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(3, 6, kernelSize: 3, groups: 2)
        }
        expectStandardError(inGroups, contains: "Conv2d: " + ConvGoldens.messages["layerGroups"]!)
        let outGroups = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(4, 6, kernelSize: 3, groups: 4)
        }
        expectStandardError(outGroups, contains: "Conv2d: " + ConvGoldens.messages["layerOutGroups"]!)
        let mode = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConvTranspose2d(3, 6, kernelSize: 3, paddingMode: .reflect)
        }
        expectStandardError(mode, contains: ConvGoldens.messages["transposedMode"]!)
    }
}
