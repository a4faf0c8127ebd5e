import Cotangent
import CotangentTestSupport
import Testing

/// Pooling and batch norm in the dtypes their C kernels lack, against `Tests/Goldens/pool_dtype_goldens.py`.
@Suite struct PoolDTypeTests {
    /// `(0..<216) * 5 % 7` as `[2, 3, 6, 6]`, the golden script's `x`.
    func ramp(_ dtype: DType) -> Tensor {
        Tensor(shape: [2, 3, 6, 6], scalars: (0..<216).map { Int64($0 * 5 % 7) }).to(dtype)
    }

    func expectGolden(_ t: Tensor, _ golden: (shape: [Int], values: [Double]), dtype: DType,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(t.dtype == dtype, sourceLocation: sourceLocation)
        #expect(t.shape == golden.shape, sourceLocation: sourceLocation)
        #expect(t.scalars(as: Double.self) == golden.values, sourceLocation: sourceLocation)
    }

    /// Within a few units in the last place: PyTorch accumulates some of these
    /// in the 16-bit type itself (the average-pooling gradient) or rounds its
    /// intermediate normalisation steps, where Cotangent rounds once.
    func expectNearGolden(_ t: Tensor, _ golden: (shape: [Int], values: [Double]), dtype: DType,
                          sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(t.dtype == dtype, sourceLocation: sourceLocation)
        let ulp = dtype == .float16 ? 1.0 / 1024 : 1.0 / 128
        // Scaled to the largest value: the batch-norm gradient cancels large terms.
        let scale = golden.values.map { Swift.abs($0) }.max() ?? 1
        expectClose(t, golden.values, shape: golden.shape, rtol: 3 * ulp, atol: 3 * ulp * scale)
    }

    @Test(arguments: [DType.float16, .bfloat16])
    func halfPrecisionPoolsAndNormalisesInFloat(_ dtype: DType) {
        typealias G = PoolDTypeGoldens
        let half = dtype == .float16
        let t = ramp(dtype) / 4
        expectGolden(maxPool2d(t, kernelSize: 3, stride: 2, padding: 1), half ? G.float16Max : G.bfloat16Max, dtype: dtype)
        expectGolden(avgPool2d(t, kernelSize: 2), half ? G.float16Avg : G.bfloat16Avg, dtype: dtype)
        expectGolden(adaptiveAvgPool2d(t, outputSize: [4, 5]), half ? G.float16Adaptive : G.bfloat16Adaptive, dtype: dtype)
        let weight = Tensor([1.0, 0.5, 2.0]).to(dtype), bias = Tensor([0.0, 1.0, -1.0]).to(dtype)
        expectNearGolden(batchNorm(t, runningMean: nil, runningVar: nil, weight: weight, bias: bias, training: true),
                     half ? G.float16BatchNorm : G.bfloat16BatchNorm, dtype: dtype)

        let r = t.detached()
        r.requiresGrad = true
        maxPool2d(r, kernelSize: 2).backward(gradient: Tensor.ones([2, 3, 3, 3], dtype: dtype) / 2)
        expectGolden(r.grad!, half ? G.float16MaxGrad : G.bfloat16MaxGrad, dtype: dtype)
        r.grad = nil
        avgPool2d(r, kernelSize: 3, stride: 1).backward(gradient: Tensor.ones([2, 3, 4, 4], dtype: dtype) / 3)
        expectNearGolden(r.grad!, half ? G.float16AvgGrad : G.bfloat16AvgGrad, dtype: dtype)
        r.grad = nil
        let upstream = Tensor(shape: [2, 3, 6, 6], scalars: (0..<216).map { Int64($0 % 5) }).to(dtype)
        let y = batchNorm(r, runningMean: nil, runningVar: nil, training: true)
        #expect(y.gradFn?.name == "NativeBatchNormBackward0")
        y.backward(gradient: upstream)
        expectNearGolden(r.grad!, half ? G.float16BatchNormGrad : G.bfloat16BatchNormGrad, dtype: dtype)
    }

    @Test func narrowIntegersMaxPool() {
        expectGolden(maxPool2d(ramp(.uint8) * 30, kernelSize: 2), PoolDTypeGoldens.uint8Max, dtype: .uint8)
        expectGolden(maxPool2d(ramp(.int8) * 3 - 4, kernelSize: 2), PoolDTypeGoldens.int8Max, dtype: .int8)
        expectGolden(maxPool2d(ramp(.int16) * 3 - 4, kernelSize: 2), PoolDTypeGoldens.int16Max, dtype: .int16)
    }

    @Test func maxPool1dWithoutIndicesTakesFloatsOnly() async {
        // PyTorch: F.max_pool1d(torch.zeros(1, 2, 6, dtype=torch.int64), 2) and the same with return_indices=True.
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool1d(Tensor.zeros([1, 2, 6], dtype: .int64), kernelSize: 2)
        }
        expectStandardError(result, contains: "\"max_pool1d_impl\" not implemented for 'Long'")
        #expect(maxPool1dWithIndices(Tensor.zeros([1, 2, 6], dtype: .uint8), kernelSize: 2).output.dtype == .uint8)
    }
}
