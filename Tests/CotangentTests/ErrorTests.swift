import Testing
import CotangentTestSupport

@testable import Cotangent

/// Programmer errors stop the process with PyTorch's message (see `fail` in
/// Core/Errors.swift). Each exit test runs its body in a child process and
/// checks that it stops, and that its standard error carries PyTorch's wording.
@Suite("Programmer errors stop the process")
struct ErrorTests {
    /// Expects the stopped child's standard error to contain `message`.
    private func expectMessage(_ result: ExitTest.Result?, _ message: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        expectStandardError(result, contains: message, sourceLocation: sourceLocation)
    }

    @Test func shapeMismatchInAdd() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(3) + Tensor.zeros(4)
        }
        expectMessage(result, "add: The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0")
    }

    @Test func indexOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.arange(3)[5]
        }
        expectMessage(result, "index 5 is out of bounds for dimension 0 with size 3")
    }

    @Test func impossibleReshape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 3).reshaped(4)
        }
        expectMessage(result, "reshape: shape '[4]' is invalid for input of size 6")
    }

    @Test func dimOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 3).sum(dim: 2)
        }
        expectMessage(result, "sum: Dimension out of range (expected to be in range of [-2, 1], but got 2)")
    }

    @Test func matrixShapesCannotBeMultiplied() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2, 3).mm(Tensor.zeros(2, 3))
        }
        expectMessage(result, "mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)")
    }

    @Test func batchedMatmulShapesCannotBeMultiplied() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones(2, 2, 3).matmul(Tensor.ones(4, 2))
        }
        expectMessage(result, "mm: mat1 and mat2 shapes cannot be multiplied (4x3 and 4x2)")
    }

    @Test func integerTensorCannotRequireGrad() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2])
            x.requiresGrad = true
        }
        expectMessage(result, "only Tensors of floating point dtype can require gradients")
    }

    @Test func backwardOfNonScalarNeedsGradient() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones(3, requiresGrad: true)
            (x * 2).backward()
        }
        expectMessage(result, "grad can be implicitly created only for scalar outputs")
    }

    @Test func backwardTwice() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones(3, requiresGrad: true)
            let y = (x * x).sum()
            y.backward()
            y.backward()
        }
        expectMessage(result, "Trying to backward through the graph a second time")
    }

    @Test func inPlaceOnLeafThatRequiresGrad() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones(3, requiresGrad: true)
            x += 1
        }
        expectMessage(result, "a leaf Variable that requires grad is being used in an in-place operation.")
    }

    @Test func inPlaceChangeOfSavedTensor() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones(3, requiresGrad: true)
            let a = x * 2
            let b = a * a
            a += 1
            b.sum().backward()
        }
        expectMessage(result, "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [3]]")
    }

    /// A third saved tensor lives outside the node's two inline slots; its version is checked all the same.
    @Test func inPlaceChangeOfAThirdSavedTensor() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones(3, requiresGrad: true)
            let (i, a, b) = (x * 1, x * 2, x * 3)
            let y = Tensor.addcmul(i, a, b, value: 0.5)
            b += 1
            y.sum().backward()
        }
        // PyTorch's message (torch 2.15), up to its hint.
        expectMessage(result, "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [3]], which is output 0 of Add, is at version 1; expected version 0 instead.")
    }

    @Test func raggedNestedArray() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([[1, 2], [3]])
        }
        expectMessage(result, "expected sequence of length 2 at dim 1 (got 1)")
    }

    @Test func tooManyIndices() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(2)[0, 0]
        }
        expectMessage(result, "too many indices for tensor of dimension 1")
    }

    @Test func dotOfDifferentDTypes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1.0]).dot(Tensor([1.0], dtype: .float64))
        }
        expectMessage(result, "dot : expected both vectors to have same dtype, but found Float and Double")
    }

    @Test func matrixProductOfDifferentDTypes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([[1]]).mm(Tensor([[1.0]]))
        }
        expectMessage(result, "expected m1 and m2 to have the same dtype, but got: long int != float")
    }

    // MARK: Message building, checked without a child process

    @Test("Shapes print as PyTorch prints sizes", arguments: [
        ([Int](), "[]"), ([3], "[3]"), ([2, 3], "[2, 3]"), ([0, 1, 4], "[0, 1, 4]"),
    ])
    func shapeTexts(_ shape: [Int], _ expected: String) {
        #expect(shapeText(shape) == expected)
    }

    @Test func gradCheckReportNamesTheWorstMismatch() {
        // A deliberately wrong derivative: the report says where and by how much.
        let report = gradCheck({ xs in xs[0].detached() * xs[0] }, inputs: [Tensor([2.0], dtype: .float64)])
        #expect(!report.passed)
        #expect(report.analytic == 2)
        #expect(Swift.abs(report.numerical - 4) < 1e-6)
        #expect(report.description.hasPrefix("gradCheck failed: d output[0] / d input 0[0]: analytic 2.0, numerical 4."))
        let passing = gradCheck({ xs in xs[0] * xs[0] }, inputs: [Tensor([2.0], dtype: .float64)])
        #expect(passing.passed)
        #expect(passing.description.hasPrefix("gradCheck passed (largest difference "))
    }
}
