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
