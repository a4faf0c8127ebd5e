import Testing
import CotangentTestSupport
import Cotangent

/// einsum contracts through the GEMM (the op table checks its values,
/// gradients and final node against PyTorch; this checks the route).
@Suite("einsum contracts through mm and bmm")
struct ContractionTests {
    /// The node names from `tensor`'s node back to the leaves, depth first.
    private func nodeNames(_ tensor: Tensor) -> Set<String> {
        var names = Set<String>(), stack = [tensor.gradFn].compactMap { $0 }
        while let node = stack.popLast() {
            names.insert(node.name)
            stack += node.nextFunctions.compactMap(\.node)
        }
        return names
    }

    @Test func matrixProductUsesMm() {
        let a = Tensor.ones([4, 5], dtype: .float64, requiresGrad: true), b = Tensor.ones([5, 3], dtype: .float64)
        let names = nodeNames(Tensor.einsum("ij,jk->ki", [a, b]))
        #expect(names.contains("MmBackward0"))
    }

    @Test func batchedProductUsesBmm() {
        let q = Tensor.ones([2, 3, 4, 8], dtype: .float64, requiresGrad: true), k = Tensor.ones([2, 3, 5, 8], dtype: .float64)
        let scores = Tensor.einsum("bhqd,bhkd->bhqk", [q, k])
        #expect(scores.shape == [2, 3, 4, 5])
        #expect(nodeNames(scores).contains("BmmBackward0"))
        #expect(scores.detached().sum().item() == 2 * 3 * 4 * 5 * 8)
    }

    @Test func threeOperandsContractLeftToRight() {
        let a = Tensor.ones([2, 3], dtype: .float64, requiresGrad: true)
        let b = Tensor.ones([3, 4], dtype: .float64), c = Tensor.ones([4, 5], dtype: .float64)
        let r = Tensor.einsum("ij,jk,kl->il", [a, b, c])
        #expect(r.shape == [2, 5])
        #expect(r.detached().max().item() == 12)
    }

    @Test("bmm gives each slice's mm, on the one-product-per-thread path and the threaded one",
          arguments: [(64, 24, 20, 28), (2, 160, 128, 160)])
    func bmmMatchesEachSlicesProduct(batch: Int, m: Int, k: Int, n: Int) {
        Tensor.manualSeed(3)
        let a = Tensor.randn(batch, m, k)
        // A transposed second operand, as q·kᵀ in attention.
        let b = Tensor.randn(batch, n, k).transposed(1, 2)
        let product = a.bmm(b)
        for i in [0, batch / 2, batch - 1] {
            let slice = a.select(dim: 0, index: i).mm(b.select(dim: 0, index: i))
            #expect(product.select(dim: 0, index: i).scalars(as: Float.self) == slice.scalars(as: Float.self))
        }
        #expect(Tensor.zeros(3, 4, 0).bmm(Tensor.zeros(3, 0, 5)).scalars(as: Float.self) == [Float](repeating: 0, count: 60))
    }
}
