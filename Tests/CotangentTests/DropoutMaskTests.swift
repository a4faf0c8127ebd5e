import Cotangent
import CotangentTestSupport
import Testing

extension LearningTests {
/// Dropout masks against PyTorch's reference `bernoulli_` path (see `Tests/Goldens/dropout_goldens.py`);
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
}
}
