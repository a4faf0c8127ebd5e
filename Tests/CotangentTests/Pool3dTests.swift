import Cotangent
import CotangentTestSupport
import Testing

/// 3-d max, average and adaptive pooling against `Tests/Goldens/pool3d_goldens.py`.
@Suite struct Pool3dTests {
    /// `(0..<n) * 7 % 11` in `shape`, the golden script's `ramp`.
    func ramp(_ shape: [Int], _ dtype: DType = .float64) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Int64($0 * 7 % 11) }).to(dtype)
    }

    /// The golden script's upstream gradient: `(i % 5 + 1) / 4`.
    func upstream(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Double($0 % 5 + 1) / 4 })
    }

    @Test func maxPool3dValuesIndicesAndGradient() {
        let x = ramp([2, 3, 5, 6, 7])
        x.requiresGrad = true
        let (y, i) = maxPool3dWithIndices(x, kernelSize: 3, stride: 2, padding: 1)
        expectClose(y, Pool3dGoldens.maxValues.values, shape: Pool3dGoldens.maxValues.shape)
        #expect(i.scalars(as: Double.self) == Pool3dGoldens.maxIndices.values)
        #expect(y.gradFn?.name == "MaxPool3DWithIndicesBackward0")
        y.backward(gradient: upstream(y.shape))
        expectClose(x.grad!, Pool3dGoldens.maxGrad.values, shape: Pool3dGoldens.maxGrad.shape)
        let (yd, id) = maxPool3dWithIndices(x, kernelSize: [2, 3, 2], stride: [1, 2, 2], padding: [1, 1, 0],
                                            dilation: [2, 1, 1], ceilMode: true)
        expectClose(yd, Pool3dGoldens.maxDilatedValues.values, shape: Pool3dGoldens.maxDilatedValues.shape)
        #expect(id.scalars(as: Double.self) == Pool3dGoldens.maxDilatedIndices.values)
        // The double backward gathers at the saved indices, as PyTorch's node does.
        let g = Tensor.ones(like: y)
        g.requiresGrad = true
        let gx = grad(of: maxPool3d(x, kernelSize: 3, stride: 2, padding: 1), wrt: [x], gradient: g, createGraph: true)[0]
        #expect(gx.gradFn?.name == "MaxPool3DWithIndicesBackwardBackward0")
    }

    @Test func avgPool3dDivisorsAndGradients() {
        let x = ramp([2, 3, 5, 6, 7])
        x.requiresGrad = true
        let y = avgPool3d(x, kernelSize: 3, stride: 2, padding: 1)
        #expect(y.gradFn?.name == "AvgPool3DBackward0")
        expectClose(y, Pool3dGoldens.avgValues.values, shape: Pool3dGoldens.avgValues.shape, rtol: 1e-12)
        y.backward(gradient: upstream(y.shape))
        expectClose(x.grad!, Pool3dGoldens.avgGrad.values, shape: Pool3dGoldens.avgGrad.shape, rtol: 1e-12)
        x.grad = nil
        let e = avgPool3d(x, kernelSize: [2, 3, 3], stride: [2, 2, 3], padding: [1, 1, 1], ceilMode: true, countIncludePad: false)
        expectClose(e, Pool3dGoldens.avgExcludePad.values, shape: Pool3dGoldens.avgExcludePad.shape, rtol: 1e-12)
        e.backward(gradient: upstream(e.shape))
        expectClose(x.grad!, Pool3dGoldens.avgExcludePadGrad.values, shape: Pool3dGoldens.avgExcludePadGrad.shape, rtol: 1e-12)
        expectClose(avgPool3d(x.detached(), kernelSize: 2, divisorOverride: 3), Pool3dGoldens.avgOverride.values,
                    shape: Pool3dGoldens.avgOverride.shape, rtol: 1e-12)
        let ints = avgPool3d(ramp([1, 2, 4, 5, 6], .int64) * 5 - 20, kernelSize: 3, stride: 2, padding: 1)
        #expect(ints.dtype == .int64)
        #expect(ints.scalars(as: Double.self) == Pool3dGoldens.avgInt64.values)
        expectClose(avgPool3d(ramp([3, 4, 4, 4]), kernelSize: 2), Pool3dGoldens.avgUnbatched.values,
                    shape: Pool3dGoldens.avgUnbatched.shape, rtol: 1e-12)
        expectGradientsMatch({ avgPool3d($0[0], kernelSize: 2, stride: 1, padding: 1, countIncludePad: false) },
                             inputs: [ramp([1, 2, 3, 3, 4]) / 3])
        expectGradientsMatch({ maxPool3d($0[0] + 0.01 * Tensor.arange(72.0, dtype: .float64).reshaped([1, 2, 3, 3, 4]), kernelSize: 2, stride: 1) },
                             inputs: [ramp([1, 2, 3, 3, 4]) / 3])
    }

    @Test func adaptivePool3dValuesIndicesAndGradients() {
        typealias G = Pool3dGoldens
        let x = ramp([2, 3, 5, 6, 7])
        x.requiresGrad = true
        // Shrinking boxes, and overlapping ones (an output larger than the input).
        let cases: [(size: [Int?], avg: (shape: [Int], values: [Double]), avgGrad: (shape: [Int], values: [Double]),
                     max: (shape: [Int], values: [Double]), indices: (shape: [Int], values: [Double]),
                     maxGrad: (shape: [Int], values: [Double]))] = [
            ([2, 4, 3], G.adaptiveAvgShrink, G.adaptiveAvgShrinkGrad, G.adaptiveMaxShrink, G.adaptiveMaxShrinkIndices,
             G.adaptiveMaxShrinkGrad),
            ([7, 4, 9], G.adaptiveAvgGrow, G.adaptiveAvgGrowGrad, G.adaptiveMaxGrow, G.adaptiveMaxGrowIndices,
             G.adaptiveMaxGrowGrad),
        ]
        for c in cases {
            let y = adaptiveAvgPool3d(x, outputSize: c.size)
            #expect(y.gradFn?.name == G.nodes["adaptiveAvg"])
            expectClose(y, c.avg.values, shape: c.avg.shape, rtol: 1e-12)
            y.backward(gradient: upstream(y.shape))
            expectClose(x.grad!, c.avgGrad.values, shape: c.avgGrad.shape, rtol: 1e-12)
            x.grad = nil
            let (m, i) = adaptiveMaxPool3dWithIndices(x, outputSize: c.size)
            #expect(m.gradFn?.name == G.nodes["adaptiveMax"])
            expectClose(m, c.max.values, shape: c.max.shape, rtol: 0, atol: 0)
            #expect(i.dtype == .int64 && i.shape == c.indices.shape)
            #expect(i.scalars(as: Double.self) == c.indices.values)
            m.backward(gradient: upstream(m.shape))
            expectClose(x.grad!, c.maxGrad.values, shape: c.maxGrad.shape, rtol: 1e-12)
            x.grad = nil
        }
        // Unbatched input and nil sizes (keep the input's size).
        let u = ramp([3, 5, 6, 7]) - 5
        expectClose(adaptiveAvgPool3d(u, outputSize: [nil, 3, 5]), G.adaptiveAvgNone.values, shape: G.adaptiveAvgNone.shape,
                    rtol: 1e-12)
        let (m, i) = adaptiveMaxPool3dWithIndices(u, outputSize: [3, nil, 2])
        expectClose(m, G.adaptiveMaxNone.values, shape: G.adaptiveMaxNone.shape, rtol: 0, atol: 0)
        #expect(i.scalars(as: Double.self) == G.adaptiveMaxNoneIndices.values)
        // A 1×1×1 output is PyTorch's mean.
        let global = adaptiveAvgPool3d(x, outputSize: 1)
        #expect(global.gradFn?.name == G.nodes["adaptiveAvgGlobal"] && global.shape == [2, 3, 1, 1, 1])
        expectClose(global, x.mean(dim: [2, 3, 4], keepDim: true).detached())
        #expect(adaptiveMaxPool3d(x, outputSize: 2).shape == [2, 3, 2, 2, 2])
        #expect(adaptiveAvgPool3d(x, outputSize: [2, 0, 3]).shape == [2, 3, 2, 0, 3])
        // An empty batch pools to an empty batch, as in PyTorch.
        #expect(adaptiveAvgPool3d(Tensor.zeros(0, 3, 4, 5, 6), outputSize: 2).shape == [0, 3, 2, 2, 2])
        #expect(adaptiveMaxPool3dWithIndices(Tensor.zeros(0, 3, 4, 5, 6), outputSize: [2, 0, 3]).indices.shape == [0, 3, 2, 0, 3])
        expectGradientsMatch({ adaptiveAvgPool3d($0[0], outputSize: [2, 3, 5]) }, inputs: [ramp([1, 2, 3, 4, 3]) / 3])
        expectGradientsMatch({ adaptiveMaxPool3d($0[0] + 0.01 * Tensor.arange(72.0, dtype: .float64).reshaped([1, 2, 3, 3, 4]),
                                                 outputSize: [2, 2, 3]) },
                             inputs: [ramp([1, 2, 3, 3, 4]) / 3])
    }

    /// PyTorch's 3-d adaptive average kernel sums and divides float16 and
    /// bfloat16 in their own type (unlike the 2-d one), rounding every step.
    @Test(arguments: [DType.float16, .bfloat16])
    func adaptivePool3dSixteenBitFloats(_ dtype: DType) {
        typealias G = Pool3dGoldens
        let half = dtype == .float16
        let h = (ramp([2, 3, 9, 7, 8]) / 7 + 100).to(dtype)
        h.requiresGrad = true
        let y = adaptiveAvgPool3d(h, outputSize: [2, 3, 3])
        #expect(y.dtype == dtype)
        let expected = half ? G.adaptiveAvgHalf : G.adaptiveAvgBFloat16
        #expect(y.scalars(as: Double.self) == expected.values)
        y.backward(gradient: (upstream(y.shape) * 1.3).to(dtype))
        #expect(h.grad!.scalars(as: Double.self) == (half ? G.adaptiveAvgHalfGrad : G.adaptiveAvgBFloat16Grad).values)
        let m = adaptiveMaxPool3d(h.detached() - 100, outputSize: [2, 3, 3])
        #expect(m.dtype == dtype && m.scalars(as: Double.self) == (half ? G.adaptiveMaxHalf : G.adaptiveMaxBFloat16).values)
    }

    /// Each 3-d pool's gradient records PyTorch's double-backward node, whose
    /// own gradient (with respect to the upstream gradient) is the pooling again.
    @Test func doubleBackwardNodesAndValues() {
        typealias G = Pool3dGoldens
        let x = ramp([2, 3, 5, 6, 7])
        x.requiresGrad = true
        let cases: [(String, (Tensor) -> Tensor, (shape: [Int], values: [Double]))] = [
            ("avg", { avgPool3d($0, kernelSize: 3, stride: 2, padding: 1) }, G.avgDoubleGrad),
            ("adaptiveAvg", { adaptiveAvgPool3d($0, outputSize: [2, 4, 3]) }, G.adaptiveAvgDoubleGrad),
            ("adaptiveMax", { adaptiveMaxPool3d($0, outputSize: [2, 4, 3]) }, G.adaptiveMaxDoubleGrad),
        ]
        for (name, pool, expected) in cases {
            let y = pool(x)
            #expect(y.gradFn?.name == G.nodes[name])
            let g = upstream(y.shape)
            g.requiresGrad = true
            let gx = grad(of: y, wrt: [x], gradient: g, createGraph: true)[0]
            #expect(gx.gradFn?.name == G.nodes[name + "Backward"], "\(name)")
            let gg = grad(of: gx, wrt: [g], gradient: upstream(gx.shape) - 0.5)[0]
            expectClose(gg, expected.values, shape: expected.shape, rtol: 1e-12)
        }
        // The double-backward rules against finite differences of the (linear) gradient map.
        let small = ramp([1, 2, 4, 5, 3]) / 3
        small.requiresGrad = true
        for pool in cases.map({ $0.1 }) {
            let shape = pool(small).shape
            // (gradCheck evaluates its points without grad; the gradient map needs it.)
            expectGradientsMatch({ g in withGrad { grad(of: pool(small), wrt: [small], gradient: g[0], createGraph: true)[0] } },
                                 inputs: [upstream(shape)])
        }
    }

    @Test func modulesPrintAsPyTorchs() {
        typealias G = Pool3dGoldens
        #expect(MaxPool3d(kernelSize: 3, stride: 2, padding: 1).description == G.texts["max"])
        #expect(AvgPool3d(kernelSize: [2, 3, 2]).description == G.texts["avg"])
        #expect(MaxPool3d(kernelSize: 2)(Tensor.zeros(1, 2, 4, 4, 4)).shape == [1, 2, 2, 2, 2])
        #expect(AdaptiveAvgPool3d(outputSize: [2, 2, 2]).description == G.texts["adaptiveAvg"])
        #expect(AdaptiveAvgPool3d(outputSize: 2).description == G.texts["adaptiveAvgInt"])
        #expect(AdaptiveMaxPool3d(outputSize: [nil, 2, 3]).description == G.texts["adaptiveMax"])
        #expect(AdaptiveMaxPool3d(outputSize: 3).description == G.texts["adaptiveMaxInt"])
        let x = ramp([2, 3, 5, 6, 7])
        expectClose(AdaptiveAvgPool3d(outputSize: [2, 4, 3])(x), G.adaptiveAvgShrink.values, shape: G.adaptiveAvgShrink.shape,
                    rtol: 1e-12)
        let (m, i) = AdaptiveMaxPool3d(outputSize: [2, 4, 3]).forwardWithIndices(x)
        expectClose(m, G.adaptiveMaxShrink.values, shape: G.adaptiveMaxShrink.shape)
        #expect(i.scalars(as: Double.self) == G.adaptiveMaxShrinkIndices.values)
        #expect(AdaptiveMaxPool3d(outputSize: [nil, 2, 3])(Tensor.zeros(3, 4, 5, 6)).shape == [3, 4, 2, 3])
    }

    @Test func badInput() async {
        let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool3d(Tensor.zeros(2, 3, 4), kernelSize: 2)
        }
        expectStandardError(rank, contains: "non-empty 4D or 5D (batch mode) tensor expected for input")
        let half = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = avgPool3d(Tensor.zeros([1, 1, 2, 2, 2], dtype: .float16), kernelSize: 2)
        }
        expectStandardError(half, contains: "\"avg_pool3d_out_frame\" not implemented for 'Half'")
    }

    /// PyTorch's checks and wording, which differ between the two adaptive ops (and their order).
    @Test func adaptiveBadInput() async {
        let avgRank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveAvgPool3d(Tensor.zeros(2, 3, 4), outputSize: 2)
        }
        expectStandardError(avgRank, contains: "adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got [2, 3, 4]")
        let avgEmpty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveAvgPool3d(Tensor.zeros(2, 0, 4), outputSize: 2)
        }
        expectStandardError(avgEmpty, contains: "adaptive_avg_pool3d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes [2, 0, 4] with dimension 1 being empty")
        let avgCount = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveAvgPool3d(Tensor.zeros(2, 3, 4, 5, 6), outputSize: [2, 2])
        }
        expectStandardError(avgCount, contains: "adaptive_avg_pool3d: output_size must be 3")
        let avgNegative = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveAvgPool3d(Tensor.zeros(2, 3, 4, 5, 6), outputSize: [2, -1, 2])
        }
        expectStandardError(avgNegative, contains: "adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but received {2, -1,2}")
        let avgLong = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveAvgPool3d(Tensor.zeros([1, 2, 3, 3, 3], dtype: .int64), outputSize: 2)
        }
        expectStandardError(avgLong, contains: "\"adaptive_avg_pool3d_cpu\" not implemented for 'Long'")
        let listRank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveAvgPool3d(Tensor.zeros(2, 3, 4), outputSize: [2, 2, 2])
        }
        expectStandardError(listRank, contains: "Input dimension should be at least 4")
        let maxRank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveMaxPool3d(Tensor.zeros(2, 0, 4), outputSize: 2)
        }
        expectStandardError(maxRank, contains: "adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: [2, 0, 4]")
        let maxCount = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveMaxPool3d(Tensor.zeros(2, 3, 4, 5, 6), outputSize: [2, 2])
        }
        expectStandardError(maxCount, contains: "adaptive_max_pool3d(): internal error: output_size.size() must be 3")
        let maxNegative = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveMaxPool3d(Tensor.zeros(2, 3, 4, 5, 6), outputSize: [-2, 1, 2])
        }
        expectStandardError(maxNegative, contains: "Trying to create tensor with negative dimension -2: [2, 3, -2, 1, 2]")
        let maxLong = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveMaxPool3d(Tensor.zeros([1, 2, 3, 3, 3], dtype: .int64), outputSize: 2)
        }
        expectStandardError(maxLong, contains: "\"adaptive_max_pool3d_cpu\" not implemented for 'Long'")
    }
}
