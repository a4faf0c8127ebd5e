import Cotangent
import CotangentTestSupport
import Testing

/// Convolutions in the integer and 16-bit float dtypes, against `Tests/Goldens/conv_dtype_goldens.py`.
@Suite struct ConvDTypeTests {
    /// `((0..<n) * 7 % mod) - shift` in `shape`, as the golden script's `ramp`.
    func ramp(_ shape: [Int], _ mod: Int, _ shift: Int, _ dtype: DType) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<n).map { Int64($0 * 7 % mod - shift) }).to(dtype)
    }

    func expectGolden(_ t: Tensor, _ golden: (shape: [Int], values: [Double]), dtype: DType,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(t.dtype == dtype, sourceLocation: sourceLocation)
        #expect(t.shape == golden.shape, sourceLocation: sourceLocation)
        #expect(t.scalars(as: Double.self) == golden.values, sourceLocation: sourceLocation)
    }

    @Test func int64Convolutions() {
        let x = ramp([2, 3, 5, 5], 23, 11, .int64), w = ramp([4, 3, 3, 3], 7, 3, .int64)
        expectGolden(conv2d(x, weight: w, bias: Tensor.arange(4), stride: 2, padding: 1), ConvDTypeGoldens.int64Strided, dtype: .int64)
        expectGolden(conv2d(ramp([1, 4, 6, 7], 19, 9, .int64), weight: ramp([6, 2, 3, 2], 5, 2, .int64),
                            padding: [1, 0], dilation: [2, 1], groups: 2),
                     ConvDTypeGoldens.int64DilatedGroups, dtype: .int64)
        expectGolden(convTranspose2d(ramp([2, 3, 3, 4], 13, 6, .int64), weight: ramp([3, 2, 3, 3], 5, 2, .int64),
                                     stride: 2, padding: 1, outputPadding: 1),
                     ConvDTypeGoldens.int64Transposed, dtype: .int64)
        expectGolden(convTranspose1d(ramp([1, 4, 5], 11, 5, .int64), weight: ramp([4, 3, 2], 7, 3, .int64),
                                     bias: Tensor.arange(1, 7), groups: 2, dilation: 3),
                     ConvDTypeGoldens.int64TransposedGroupsDilated, dtype: .int64)
    }

    @Test func narrowIntegersWrapAround() {
        expectGolden(conv1d(ramp([2, 3, 9], 29, 3, .int8), weight: ramp([2, 3, 4], 9, 0, .int8), stride: 2),
                     ConvDTypeGoldens.int8Wrapping, dtype: .int8)
        expectGolden(conv2d(ramp([1, 2, 4, 4], 31, 0, .uint8), weight: ramp([3, 2, 2, 2], 6, 0, .uint8),
                            bias: Tensor([250, 3, 7]).to(.uint8)),
                     ConvDTypeGoldens.uint8Bias, dtype: .uint8)
        expectGolden(conv2d(ramp([1, 2, 4, 5], 17, 8, .int32), weight: ramp([2, 2, 3, 3], 5, 2, .int32), stride: [2, 1], padding: [0, 2]),
                     ConvDTypeGoldens.int32Padded, dtype: .int32)
        expectGolden(conv2d(ramp([2, 5, 5], 41, 20, .int16), weight: ramp([3, 2, 2, 2], 9, 4, .int16)),
                     ConvDTypeGoldens.int16Unbatched, dtype: .int16)
    }

    @Test(arguments: [DType.float16, .bfloat16])
    func halfPrecisionComputesInFloatAndRoundsOnce(_ dtype: DType) {
        let goldens = dtype == .float16
            ? (ConvDTypeGoldens.float16Forward, ConvDTypeGoldens.float16Transposed, ConvDTypeGoldens.float16InputGrad, ConvDTypeGoldens.float16WeightGrad)
            : (ConvDTypeGoldens.bfloat16Forward, ConvDTypeGoldens.bfloat16Transposed, ConvDTypeGoldens.bfloat16InputGrad, ConvDTypeGoldens.bfloat16WeightGrad)
        let x = ramp([2, 3, 6, 6], 23, 11, dtype) / 4, w = ramp([4, 3, 3, 3], 7, 3, dtype) / 8
        expectGolden(conv2d(x, weight: w, bias: Tensor([0.5, -1, 2, 0.25]).to(dtype), padding: 1), goldens.0, dtype: dtype)
        expectGolden(convTranspose2d(ramp([1, 2, 3, 3], 13, 6, dtype) / 2, weight: ramp([2, 3, 2, 2], 5, 2, dtype) / 4, stride: 2),
                     goldens.1, dtype: dtype)
        x.requiresGrad = true
        w.requiresGrad = true
        let y = conv2d(x, weight: w, padding: 1)
        #expect(y.gradFn?.name == "ConvolutionBackward0")
        y.backward(gradient: Tensor.ones(like: y))
        expectGolden(x.grad!, goldens.2, dtype: dtype)
        expectGolden(w.grad!, goldens.3, dtype: dtype)
    }

    @Test func dtypesPyTorchRefuses() async {
        let dilated = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 1, 5, 5], dtype: .int32), weight: Tensor.zeros([1, 1, 2, 2], dtype: .int32), dilation: 2)
        }
        expectStandardError(dilated, contains: "conv2d: " + ConvDTypeGoldens.messages["int32Dilated"]!)
        let transposed = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose2d(Tensor.zeros([1, 1, 3, 3], dtype: .int16), weight: Tensor.zeros([1, 1, 2, 2], dtype: .int16))
        }
        expectStandardError(transposed, contains: ConvDTypeGoldens.messages["int16Transposed"]!)
        let bool = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 1, 3, 3], dtype: .bool), weight: Tensor.zeros([1, 1, 2, 2], dtype: .bool))
        }
        expectStandardError(bool, contains: ConvDTypeGoldens.messages["bool"]!)
    }
}
