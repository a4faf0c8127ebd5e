import Testing
import CotangentTestSupport
import Cotangent

/// Elementwise ops and activations refuse what PyTorch refuses, with its words.
@Suite("Elementwise errors stop the process")
struct ElementwiseErrorTests {
    @Test func fracOfIntegers() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2]).frac()
        }
        expectStandardError(result, contains: "frac: \"frac_cpu\" not implemented for 'Long'")
    }

    @Test func activationOfIntegers() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = silu(Tensor([1, 2], dtype: .int32))
        }
        expectStandardError(result, contains: "silu: \"silu_cpu\" not implemented for 'Int'")
    }

    @Test func softplusOfIntegers() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = softplus(Tensor([1, 2]))
        }
        expectStandardError(result, contains: "softplus: \"softplus_cpu\" not implemented for 'Long'")
    }

    @Test func hypotOfIntegers() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([3, 4]).hypot(Tensor([4, 3]))
        }
        expectStandardError(result, contains: "hypot: \"hypot_cpu\" not implemented for 'Long'")
    }

    @Test func integerFmodByZero() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2]).fmod(Tensor([0, 1]))
        }
        expectStandardError(result, contains: "fmod: ZeroDivisionError")
    }

    @Test func gluOfAnOddDimension() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = glu(Tensor.ones(4, 3), dim: 1)
        }
        expectStandardError(result, contains: "glu: Halving dimension must be even, but dimension 1 is size 3")
    }

    @Test func gluOfAScalar() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = glu(Tensor(1.0))
        }
        expectStandardError(result, contains: "glu does not support scalars because halving size must be even")
    }

    @Test func preluWeightPerChannelMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = prelu(Tensor.ones(2, 3), weight: Tensor.ones(2))
        }
        expectStandardError(result, contains: "Mismatch of parameter numbers and input channel size. Found parameter numbers = 2 and channel size = 3.")
    }

    @Test func preluWeightOfRankTwo() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = prelu(Tensor.ones(2, 3), weight: Tensor.ones(1, 3))
        }
        expectStandardError(result, contains: "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2")
    }

    @Test func celuWithZeroAlpha() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = celu(Tensor.ones(2), alpha: 0)
        }
        expectStandardError(result, contains: "ZeroDivisionError: alpha cannot be 0 for CELU")
    }

    @Test func addcdivOfIntegers() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.addcdiv(Tensor([1]), Tensor([1]), Tensor([1]))
        }
        expectStandardError(result, contains: "Integer division with addcdiv is no longer supported")
    }

    @Test func lerpOfIntegers() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2]).lerp(Tensor([3, 4]), weight: 0.5)
        }
        expectStandardError(result, contains: "\"lerp_kernel_scalar\" not implemented for 'Long'")
    }

    @Test func clampWithoutBounds() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1.0]).clamped(min: nil as Tensor?, max: nil as Tensor?)
        }
        expectStandardError(result, contains: "At least one of 'min' or 'max' must not be None")
    }
}

/// Indexing, gather and scatter refuse bad indices with PyTorch's words.
@Suite("Index errors stop the process")
struct IndexErrorTests {
    @Test func gatherOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4).gather(dim: 1, index: Tensor([[5]]))
        }
        expectStandardError(result, contains: "gather: index 5 is out of bounds for dimension 1 with size 4")
    }

    @Test func gatherNegativeIndex() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4).gather(dim: 1, index: Tensor([[-1]]))
        }
        expectStandardError(result, contains: "index -1 is out of bounds for dimension 1 with size 4")
    }

    @Test func gatherIndexOfWrongRank() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4).gather(dim: 1, index: Tensor([0, 1]))
        }
        expectStandardError(result, contains: "Index tensor must have the same number of dimensions as input tensor")
    }

    @Test func gatherIndexOfWrongDType() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4).gather(dim: 1, index: Tensor.zeros(3, 1))
        }
        expectStandardError(result, contains: "gather(): Expected dtype int32/int64 for index")
    }

    @Test func gatherIndexTooLarge() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4).gather(dim: 1, index: Tensor.zeros(4, 1, dtype: .int64))
        }
        expectStandardError(result, contains: "Size does not match at dimension 0 expected index [4, 1] to be no larger than self [3, 4] apart from dimension 1")
    }

    @Test func scatterAddIndexLargerThanSource() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4).scatterAdd(dim: 1, index: Tensor([[0, 2], [1, 0], [2, 2]]), src: Tensor.ones(2, 1))
        }
        expectStandardError(result, contains: "Expected index [3, 2] to be no larger than self [3, 4] apart from dimension 1 and to be no larger size than src [2, 1]")
    }

    @Test func scatterOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4).scatterAdd(dim: 1, index: Tensor([[9]]), src: Tensor.ones(3, 2))
        }
        expectStandardError(result, contains: "index 9 is out of bounds for dimension 1 with size 4")
    }

    @Test func takeOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4).take(Tensor([12]))
        }
        expectStandardError(result, contains: "out of range: tried to access index 12 on a tensor of 12 elements.")
    }

    @Test func indexSelectNegative() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4).indexSelect(dim: 0, Tensor([-1]))
        }
        expectStandardError(result, contains: "index_select: index out of range in self")
    }

    @Test func indexAddSourceMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4).indexAdd(dim: 0, index: Tensor([0, 1]), source: Tensor.ones(3, 4))
        }
        expectStandardError(result, contains: "index_add_(): Number of indices (2) should be equal to source.size(dim): (3), for dim: 0")
    }

    @Test func maskedScatterSourceTooSmall() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.arange(12.0).reshaped(3, 4)
            _ = x.maskedScatter(x .> 3, source: Tensor.zeros(2))
        }
        expectStandardError(result, contains: "Number of elements of source < number of ones in mask")
    }

    @Test func indexTensorsThatDoNotBroadcast() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4)[Tensor([0, 1]), Tensor([0, 1, 2])]
        }
        expectStandardError(result, contains: "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]")
    }

    @Test func indexOfWrongDType() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4)[Tensor([0.5])]
        }
        expectStandardError(result, contains: "tensors used as indices must be long, int, byte or bool tensors")
    }

    @Test func advancedIndexOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3, 4)[Tensor([0, 1]), Tensor([0, 4])]
        }
        expectStandardError(result, contains: "index 4 is out of bounds for dimension 1 with size 4")
    }
}

/// Shape ops refuse impossible requests with PyTorch's words.
@Suite("Shape errors stop the process")
struct ShapeErrorTests {
    @Test func oddPadList() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 3).padded([1])
        }
        expectStandardError(result, contains: "pad: Padding length must be divisible by 2")
    }

    @Test func padListLongerThanTheDims() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3).padded([1, 1, 1, 1], mode: .reflect)
        }
        expectStandardError(result, contains: "Padding length should be less than or equal to two times the input dimension but got padding length 4 and input of dimension 1")
    }

    @Test func reflectionWiderThanTheInput() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 3, 4).padded([4, 0], mode: .reflect)
        }
        expectStandardError(result, contains: "Padding size should be less than the corresponding input dimension, but got: padding (4, 0) at dimension 2 of input [2, 3, 4]")
    }

    @Test func nonConstantPaddingOfA1dTensor() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3).padded([1, 1], mode: .replicate)
        }
        expectStandardError(result, contains: "Padding size 2 is not supported for 1D input tensor.")
    }

    @Test func tooFewRepeats() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 3).repeated(2)
        }
        expectStandardError(result, contains: "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    }

    @Test func trilOfAVector() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3).tril()
        }
        expectStandardError(result, contains: "tril: input tensor must have at least 2 dimensions")
    }

    @Test func traceOf3d() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 2, 2).trace()
        }
        expectStandardError(result, contains: "trace: expected a matrix, but got tensor with dim 3")
    }

    @Test func diagOf3d() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 2, 2).diag()
        }
        expectStandardError(result, contains: "diag(): Supports 1D or 2D tensors. Got 3D")
    }
}

/// A tensor is a sequence of its rows.
@Suite("Tensor as a sequence")
struct TensorSequenceTests {
    @Test func rowsAreViews() {
        let x = Tensor.arange(6.0).reshaped(3, 2)
        var sums: [Double] = []
        for row in x { sums.append(row.sum().item()) }
        #expect(sums == [1, 5, 9])
        let rows = Array(x)
        #expect(rows.count == 3 && rows[2].shape == [2])
        rows[1][0] = Tensor(-1.0)
        #expect(x[1, 0].item() == -1)
        #expect(Array(Tensor.zeros(0, 4)).isEmpty)
    }
}

/// interpolate refuses what F.interpolate refuses, with its words.
@Suite("Interpolation errors stop the process")
struct InterpolationErrorTests {
    @Test func neitherSizeNorScale() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = interpolate(Tensor.zeros(1, 2, 5))
        }
        expectStandardError(result, contains: "either size or scale_factor should be defined")
    }

    @Test func bothSizeAndScale() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = interpolate(Tensor.zeros(1, 2, 5), size: [8], scaleFactor: 2)
        }
        expectStandardError(result, contains: "only one of size or scale_factor should be defined")
    }

    @Test func linearOf4d() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = interpolate(Tensor.zeros(1, 2, 5, 4), size: [7], mode: .linear)
        }
        expectStandardError(result, contains: "Got 4D input, but linear mode needs 3D input")
    }

    @Test func alignCornersWithNearest() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = interpolate(Tensor.zeros(1, 2, 5), size: [8], alignCorners: true)
        }
        expectStandardError(result, contains: "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
    }

    @Test func sizeOfTheWrongRank() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = interpolate(Tensor.zeros(1, 2, 5, 4), size: [1, 2, 3])
        }
        expectStandardError(result, contains: "Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of [5, 4] and output size of (1, 2, 3).")
    }
}
