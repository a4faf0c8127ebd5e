import Cotangent
import CotangentTestSupport
import Testing

// What the engine does to gradients: undoing broadcasting and type promotion,
// splitting ties, kinks, and ops that have no derivative.

extension AutogradTests {
    @Suite("Broadcasting and type promotion") struct BroadcastingAndPromotion {
        @Test func broadcastOperandsGetGradientsOfTheirOwnShape() {
            // A [2, 3], B [3], C 0-d, D [2, 1], E [1, 3].
            let goldens = [AutogradGoldens.broadcastA, AutogradGoldens.broadcastB, AutogradGoldens.broadcastC,
                           AutogradGoldens.broadcastD, AutogradGoldens.broadcastE]
            let leaves = goldens.map { autogradLeaf($0.x, shape: $0.shape) }
            let (a, b, c, d, e) = (leaves[0], leaves[1], leaves[2], leaves[3], leaves[4])
            ((a * b * c + d * e - b / d).pow(2)).sum().backward()
            for (leaf, golden) in zip(leaves, goldens) {
                expectClose(leaf.grad!, golden.gradient, shape: golden.shape, rtol: 1e-12)
            }
        }

        @Test func sizeOneDimsAndZeroDimTensors() {
            // A [1, 1] and a 0-d operand against [2, 3]: each sums everything.
            let x = Tensor.ones([2, 3], dtype: .float64)
            let one = autogradLeaf([2], shape: [1, 1])
            let scalar = autogradLeaf([3], shape: [])
            (x * one * scalar).sum().backward()
            expectClose(one.grad!, [18], shape: [1, 1])
            expectClose(scalar.grad!, [12], shape: [])
            // Broadcasting through expanded(to:) is undone the same way.
            let v = autogradLeaf([1, 2, 3])
            (v.expanded(to: [4, 3]) * 2).sum().backward()
            expectClose(v.grad!, [8, 8, 8], shape: [3])
        }

        @Test func gradMatchesCentralDifferencesUnderBroadcasting() {
            expectGradientsMatch({ ($0[0] * $0[1] - $0[2]).exp().sum(dim: 0) }, inputs: [
                Tensor.linspace(-1, 1, steps: 6).reshaped(2, 3),
                Tensor.linspace(0.5, 1, steps: 3),
                Tensor(0.25),
            ])
        }

        @Test func float32LeafTimesFloat64Tensor() {
            let a = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
            let b = Tensor([0.1, 0.2, 0.3], dtype: .float64)
            let r = a * b
            #expect(r.dtype.description == AutogradGoldens.promotionResultDType)
            (r * r).sum().backward()
            #expect(a.grad!.dtype.description == AutogradGoldens.promotionGradDType)
            // Computed in float64, converted once: the same float32 values as PyTorch.
            #expect(a.grad!.scalars(as: Float.self) == AutogradGoldens.promotionGradient.map { Float($0) })
        }

        @Test func float32LeafTimesIntegerTensor() {
            let a = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
            let r = a * Tensor([2, 3, 4])
            #expect(r.dtype.description == AutogradGoldens.promotionIntResultDType)
            r.sum().backward()
            expectClose(a.grad!, AutogradGoldens.promotionIntGradient, dtype: .float32)
        }

        @Test func float64LeafThroughAFloat32Conversion() {
            let a = autogradLeaf([1, 2])
            (a.to(.float32) * 3).sum().backward()
            #expect(a.grad!.dtype == .float64)
            expectClose(a.grad!, [3, 3])
        }
    }

    @Suite("Ties and kinks") struct TiesAndKinks {
        static func function(_ label: String) -> ((Tensor) -> Tensor)? {
            switch label {
            case "max": { $0.max() }
            case "min": { $0.min() }
            case "maxDim": { $0.reshaped(2, 3).max(dim: 1).values }
            case "minDim": { $0.reshaped(2, 3).min(dim: 1).values }
            case "amax": { $0.reshaped(2, 3).amax(dim: [1]) }
            case "amin": { $0.reshaped(2, 3).amin(dim: [0]) }
            case "normInfinity": { $0.reshaped(2, 3).norm(p: .infinity) }
            case "clamp": { $0.clamped(min: 0, max: 1) }
            case "clampMin": { $0.clamped(min: 0) }
            case "clampMax": { $0.clamped(max: 1) }
            case "relu": { $0.relu() }
            case "abs": { $0.abs() }
            case "sign": { $0.sign() }
            case "floor": { $0.floor() }
            case "round": { $0.round() }
            case "normAtZero": { $0.norm() }
            case "norm1AtZero": { $0.norm(p: 1) }
            case "norm3AtZero": { $0.norm(p: 3) }
            case "sqrtSumAtZero": { ($0 * $0).sum().sqrt() }
            default: nil
            }
        }

        @Test(arguments: AutogradGoldens.ties.keys.sorted())
        func gradientAtTiesAndKinks(label: String) throws {
            let golden = try #require(AutogradGoldens.ties[label])
            let f = try #require(Self.function(label), "no Swift case for \(label)")
            let x = autogradLeaf(golden.x)
            f(x).sum().backward()
            // Exact: shares of ties are 1/2, and kinks give 0 (or NaN, as PyTorch).
            expectClose(x.grad!, golden.gradient, rtol: 0, atol: 0)
        }

        @Test func maximumAndMinimumSplitTiesInHalf() {
            let golden = AutogradGoldens.maximumTies
            var x = autogradLeaf(golden.x)
            var y = autogradLeaf(golden.y)
            Tensor.maximum(x, y).sum().backward()
            expectClose(x.grad!, golden.gradX, rtol: 0, atol: 0)
            expectClose(y.grad!, golden.gradY, rtol: 0, atol: 0)
            x = autogradLeaf(golden.x)
            y = autogradLeaf(golden.y)
            Tensor.minimum(x, y).sum().backward()
            expectClose(x.grad!, AutogradGoldens.minimumTies.gradX, rtol: 0, atol: 0)
            expectClose(y.grad!, AutogradGoldens.minimumTies.gradY, rtol: 0, atol: 0)
        }

        @Test func maxAlongADimPicksTheFirstIndex() {
            let x = autogradLeaf(AutogradGoldens.ties["maxDim"]!.x, shape: [2, 3])
            let (values, indices) = x.max(dim: 1)
            #expect(indices.scalars(as: Double.self) == AutogradGoldens.maxDimIndices)
            #expect(!indices.requiresGrad && indices.dtype == .int64)
            #expect(values.requiresGrad)
        }
    }

    @Suite("Non-differentiable ops") struct NonDifferentiable {
        static func op(_ label: String) -> Tensor? {
            let x = Tensor([[0.5, -1.25, 2.0], [0.0, 1.5, -3.0]], requiresGrad: true)
            let x2 = Tensor([[1.5, 0.25, 2.0], [2.5, 1.0, 0.5]], requiresGrad: true)
            switch label {
            case "greater": return x .> 0.0
            case "equal": return x .== x2
            case "logicalNot": return !(x .> 0.0)
            case "isNaN": return x.isNaN()
            case "argmax": return x.argmax()
            case "argmaxDim": return x.argmax(dim: 1)
            case "maxDimIndices": return x.max(dim: 1).indices
            case "countPositive": return (x .> 0.0).sum()
            case "toInt64": return x.to(.int64)
            case "floorDivide": return x.floorDivide(x2)
            case "floor": return x.floor()
            case "sign": return x.sign()
            default: return nil
            }
        }

        @Test(arguments: AutogradGoldens.nonDifferentiable.keys.sorted())
        func requiresGradAndDTypeMatchPyTorch(label: String) throws {
            let golden = try #require(AutogradGoldens.nonDifferentiable[label])
            let result = try #require(Self.op(label), "no Swift case for \(label)")
            #expect(result.requiresGrad == golden.requiresGrad)
            #expect(result.dtype.description == golden.dtype)
            #expect((result.gradFn == nil) == !golden.requiresGrad)
        }

        @Test func piecewiseConstantOpsGiveZeroGradients() {
            // floor, sign, round... are recorded (PyTorch) and pass zeros back.
            let x = autogradLeaf([-1.5, 0.25, 2.75])
            (x.floor() + x.ceil() + x.round() + x.trunc() + x.sign() + x).sum().backward()
            expectClose(x.grad!, [1, 1, 1])
        }

        @Test func floorDivideHasNoDerivative() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor([1.5, -2.0], requiresGrad: true)
                x.floorDivide(Tensor([0.5, 0.75])).sum().backward()
            }
            expectStandardError(result, contains: "derivative for aten::floor_divide is not implemented")
        }

        @Test func remainderStillDifferentiates() {
            // remainder's rule uses the floor quotient as a constant.
            expectGradientsMatch({ $0[0].remainder($0[1]).sum() }, inputs: [
                Tensor([1.3, -2.6, 4.1]), Tensor([0.7, 1.1, -1.5]),
            ])
        }
    }
}
