import Testing
import CotangentTestSupport
import Cotangent

/// The cumulative and NaN-ignoring reductions, einsum, the fused products,
/// cdist and oneHot refuse what PyTorch refuses, with its words.
@Suite("Reduction and contraction errors stop the process")
struct ReductionErrorTests {
    @Test func logcumsumexpOfIntegers() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2]).logcumsumexp(dim: 0)
        }
        expectStandardError(result, contains: "logcumsumexp: \"logcumsumexp_out_cpu\" not implemented for 'Long'")
    }

    @Test func nanmeanOfIntegers() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2]).nanmean()
        }
        expectStandardError(result, contains: "nanmean(): expected input to have floating point or complex dtype but got Long")
    }

    @Test func cumprodOfABadDim() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones(2, 3).cumprod(dim: 2)
        }
        expectStandardError(result, contains: "Dimension out of range (expected to be in range of [-2, 1], but got 2)")
    }

    @Test func oneHotOfNegativeValues() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = oneHot(Tensor([0, -1]))
        }
        expectStandardError(result, contains: "Class values must be non-negative.")
    }

    @Test func oneHotWithTooFewClasses() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = oneHot(Tensor([0, 3]), numClasses: 2)
        }
        expectStandardError(result, contains: "Class values must be smaller than num_classes.")
    }

    @Test func oneHotOfFloats() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = oneHot(Tensor([0.0, 1.0]))
        }
        expectStandardError(result, contains: "one_hot is only applicable to index tensor of type LongTensor.")
    }

    @Test func oneHotOfAnEmptyTensor() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = oneHot(Tensor.zeros([0], dtype: .int64))
        }
        expectStandardError(result, contains: "Can not infer total number of classes from empty tensor.")
    }

    // einsum equations PyTorch refuses; messages checked with the reference PyTorch.
    @Test func badEinsumEquation0() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("ij,jk", [[2, 3]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): fewer operands were provided than specified in the equation")
    }

    @Test func badEinsumEquation1() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("ij", [[2, 3], [2, 3]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): more operands were provided than specified in the equation")
    }

    @Test func badEinsumEquation2() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("ijk", [[2, 3]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): the number of subscripts in the equation (3) does not match the number of dimensions (2) for operand 0 and no ellipsis was given")
    }

    @Test func badEinsumEquation3() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("...ij", [[2]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): the number of subscripts in the equation (2) is more than the number of dimensions (1) for operand 0")
    }

    @Test func badEinsumEquation4() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("i$j", [[2, 3]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]")
    }

    @Test func badEinsumEquation5() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("ij,jk->ik->", [[2, 3], [3, 4]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): invalid subscript given at index 9 in the equation string, subscripts must be in [a-zA-Z]")
    }

    @Test func badEinsumEquation6() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("ij->k", [[2, 3]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): output subscript k does not appear in the equation for any input operand")
    }

    @Test func badEinsumEquation7() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("ij->ii", [[2, 3]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): output subscript i appears more than once in the output")
    }

    @Test func badEinsumEquation8() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("i,i", [[2], [3]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): subscript i has size 3 for operand 1 which does not broadcast with previously seen size 2")
    }

    @Test func badEinsumEquation9() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("ii", [[2, 3]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): subscript i is repeated for operand 0 but the sizes don't match, 3 != 2")
    }

    @Test func badEinsumEquation10() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("i.j", [[2, 3]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): found '.' for operand 0 that is not part of any ellipsis")
    }

    @Test func badEinsumEquation11() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("i...j...", [[2, 3]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): found '.' for operand 0 for which an ellipsis was already found")
    }

    @Test func badEinsumEquation12() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("ij->..", [[2, 3]].map { Tensor.ones($0) })
        }
        expectStandardError(result, contains: "einsum(): found '.' for output that is not part of any ellipsis (...)")
    }

    @Test func einsumOfEllipsesThatDoNotBroadcast() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("...i,...i", [Tensor.ones(2, 3), Tensor.ones(4, 3)])
        }
        expectStandardError(result, contains: "einsum(): dimension 0 covered by ellipsis in operand 1has size 4 which does not broadcast with previously seen ellipsis with size 2 for the respective dimension")
    }

    @Test func einsumWithoutOperands() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.einsum("i", [])
        }
        expectStandardError(result, contains: "einsum(): must specify the equation string and at least one operand, or at least one operand and its subscripts list")
    }

    @Test func tensordotOfMismatchedDims() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.tensordot(Tensor.ones(2, 3), Tensor.ones(4, 2), dims: 1)
        }
        expectStandardError(result, contains: "contracted dimensions need to match, but first has size 3 in dim -1 and second has size 4 in dim 0")
    }

    @Test func cdistOfMismatchedColumns() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.cdist(Tensor.ones(2, 3), Tensor.ones(4, 2))
        }
        expectStandardError(result, contains: "X1 and X2 must have the same number of columns. X1: 3 X2: 2")
    }

    @Test func cdistOfAVector() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.cdist(Tensor.ones(3), Tensor.ones(4, 3))
        }
        expectStandardError(result, contains: "cdist only supports at least 2D tensors, X1 got: 1D")
    }

    @Test func aminmaxOfAnEmptyTensor() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([0]).aminmax()
        }
        expectStandardError(result, contains: "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.")
    }

    @Test func addrOfAMatrix() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.addr(Tensor.ones(2, 3), Tensor.ones(2, 1), Tensor.ones(3))
        }
        expectStandardError(result, contains: "addr: Expected 1-D argument vec1, but got 2-D")
    }

    @Test func baddbmmOfMatrices() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.baddbmm(Tensor.ones(2, 2), Tensor.ones(2, 3), Tensor.ones(3, 2))
        }
        expectStandardError(result, contains: "Dimension out of range (expected to be in range of [-2, 1], but got 2)")
    }
}
