import Cotangent
import CotangentTestSupport
import Testing

/// 3-d max and average pooling against `Tests/Goldens/pool3d_goldens.py`.
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

    @Test func modulesPrintAsPyTorchs() {
        #expect(MaxPool3d(kernelSize: 3, stride: 2, padding: 1).description == Pool3dGoldens.texts["max"])
        #expect(AvgPool3d(kernelSize: [2, 3, 2]).description == Pool3dGoldens.texts["avg"])
        #expect(MaxPool3d(kernelSize: 2)(Tensor.zeros(1, 2, 4, 4, 4)).shape == [1, 2, 2, 2, 2])
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
}
