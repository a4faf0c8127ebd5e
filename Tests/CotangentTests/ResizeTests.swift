import Cotangent
import CotangentTestSupport
import Testing

// Transforms.resize against the interpolate calls torchvision's Resize makes
// (Tests/Goldens/resize_goldens.py): antialiased bilinear by default.

extension LearningTests {
    @Suite("Transforms.resize") struct ResizeTests {
        @Test(arguments: ResizeGoldens.cases.map(\.name))
        func resizeMatchesPyTorch(_ name: String) throws {
            let row = try #require(ResizeGoldens.cases.first { $0.name == name })
            let n = row.shape.reduce(1, *)
            let x = ((Tensor.arange(n, dtype: .float64) * 0.37 + 1.3).sin() * 2).reshaped(row.shape)
            let resize = Transforms.resize(row.size, interpolation: row.nearest ? .nearest : .bilinear, antialias: row.antialias)
            let y = resize(x)
            let expected = Array(row.shape.dropLast(2)) + row.size
            expectClose(y, row.value, shape: expected, rtol: 1e-12, atol: 1e-12)
            // float32 to float precision.
            expectClose(resize(x.to(.float32)), row.value, rtol: 1e-5, atol: 1e-5)
        }

        @Test func oneNumberResizesTheShorterSide() {
            #expect(Transforms.resize(4)(Tensor.zeros(3, 8, 12)).shape == [3, 4, 6])
            #expect(Transforms.resize(5)(Tensor.zeros(1, 9, 7)).shape == [1, 6, 5])   // int(5 * 9 / 7) = 6
            // Composes with the other transforms, as the book's digits-to-LeNet pipeline does.
            let pipeline = Transforms.compose(Transforms.resize([28, 28]), Transforms.normalize(mean: [0.5], std: [0.5]))
            #expect(pipeline(Tensor.ones(1, 8, 8)).shape == [1, 28, 28])
        }
    }
}
