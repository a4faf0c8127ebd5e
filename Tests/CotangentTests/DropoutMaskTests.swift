import Cotangent
import CotangentTestSupport
import Testing

extension LearningTests {
/// Dropout masks against PyTorch's `bernoulli_` (see `Tests/Goldens/dropout_goldens.py`, `dropout_mask_goldens.py`);
/// nested in `LearningTests` because they seed the shared default generator.
@Suite struct DropoutMaskTests {
    @Test func elementDropoutDrawsPyTorchsMask() {
        Tensor.manualSeed(0)
        #expect(dropout(Tensor.ones(40), p: 0.3).scalars(as: Double.self) == DropoutGoldens.dropout30)
        Tensor.manualSeed(1)
        let x = Tensor.arange(12.0, dtype: .float64).reshaped([3, 4])
        #expect(dropout(x, p: 0.5).scalars(as: Double.self) == DropoutGoldens.dropout50Float64)
    }

    @Test func channelDropoutDrawsPyTorchsMask() {
        Tensor.manualSeed(2)
        #expect(dropout2d(Tensor.ones(2, 5, 2, 2), p: 0.4).scalars(as: Double.self) == DropoutGoldens.dropout2d40)
        Tensor.manualSeed(3)
        #expect(dropout1d(Tensor.ones(3, 4, 2), p: 0.5).scalars(as: Double.self) == DropoutGoldens.dropout1d50)
    }

    @Test func dropoutModuleDrawsAfterTheInitialWeights() {
        Tensor.manualSeed(4)
        let net = Sequential {
            Linear(3, 6)
            Dropout(p: 0.5)
        }
        let y = net(Tensor.ones(2, 3))
        expectClose(y, Tensor(DropoutGoldens.sequential.map { Float($0) }).reshaped([2, 6]), rtol: 1e-6, atol: 1e-6)
        // The same zeros, not just close values.
        #expect(y.scalars(as: Double.self).map { $0 == 0 } == DropoutGoldens.sequential.map { $0 == 0 })
    }

    /// Masks of 1 to 2401 elements (across PyTorch's 800-element grain) for p in {0, 0.1, 0.5, 0.9999, 1}, and the
    /// generator's next draw after each: one double per element for 0 < p < 1, no draw at p 0 or 1. PyTorch 2.15
    /// made them on an Intel CPU, where it takes the same path as elsewhere (`Tests/Goldens/dropout_mask_goldens.py`).
    @Test(arguments: DropoutMaskGoldens.elementCases.indices)
    func elementMaskAndDrawCount(_ i: Int) {
        let c = DropoutMaskGoldens.elementCases[i]
        let g = Generator(seed: c.seed)
        let y = dropout(Tensor.ones([c.n]), p: c.p, generator: g)
        #expect(keptString(y.scalars(as: Double.self)) == c.keep, "seed \(c.seed), n \(c.n), p \(c.p)")
        #expect(Tensor.rand([1], dtype: .float64, generator: g).scalars(as: Double.self) == [c.next])
    }

    /// Channel masks (one draw per sample and channel, up to 801 channels) and the next draw after each.
    @Test(arguments: DropoutMaskGoldens.channelCases.indices)
    func channelMaskAndDrawCount(_ i: Int) {
        let c = DropoutMaskGoldens.channelCases[i]
        let g = Generator(seed: c.seed)
        let y = dropout2d(Tensor.ones(c.n, c.c, 2, 3), p: c.p, generator: g)
        let perChannel = y.reshaped([c.n * c.c, 6]).scalars(as: Double.self)
        let firsts = stride(from: 0, to: perChannel.count, by: 6).map { perChannel[$0] }
        #expect(keptString(firsts) == c.keep, "seed \(c.seed), [\(c.n), \(c.c)], p \(c.p)")
        #expect(Tensor.rand([1], dtype: .float64, generator: g).scalars(as: Double.self) == [c.next])
    }

    private func keptString(_ values: [Double]) -> String { String(values.map { $0 != 0 ? "1" : "0" }) }
}
}
