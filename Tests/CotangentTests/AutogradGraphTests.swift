import Cotangent
import CotangentTestSupport
import Testing

// The recorded graph: `gradFn` names and `nextFunctions`, `backward(gradient:)`,
// `retainGraph`, `createGraph` (higher derivatives) and `grad(of:wrt:)`.

extension AutogradTests {
    @Suite("gradFn and nextFunctions") struct GraphStructure {
        /// The inputs of `name_cases()` in the generator.
        struct Inputs {
            let x = Tensor([[0.5, 1.25, 2.0], [0.75, 1.5, 3.0]], requiresGrad: true)
            let x2 = Tensor([[1.5, 0.25, 2.0], [2.5, 1.0, 0.5]], requiresGrad: true)
            let m = Tensor([[1.0, -1.0], [0.5, 2.0], [-0.5, 1.5]], requiresGrad: true)
            let v = Tensor([1.0, -2.0, 0.5], requiresGrad: true)
            let b: Tensor = {
                let b = Tensor.arange(12.0).reshaped(2, 2, 3)
                b.requiresGrad = true
                return b
            }()
            let idx = Tensor([1, 0, 1])
        }

        /// The Swift spelling of each op of `name_cases()`.
        static func op(_ label: String, _ i: Inputs) -> Tensor? {
            let (x, x2, m, v, b) = (i.x, i.x2, i.m, i.v, i.b)
            switch label {
            case "add": return x + x2
            case "addNumber": return x + 2
            case "numberAdd": return 2 + x
            case "sub": return x - x2
            case "subNumber": return x - 2
            case "numberSub": return 2 - x
            case "mul": return x * x2
            case "mulNumber": return x * 2
            case "numberMul": return 2 * x
            case "div": return x / x2
            case "divNumber": return x / 2
            case "numberDiv": return 2 / x
            case "neg": return -x
            case "powNumber": return x.pow(2.5)
            case "powTensor": return x.pow(x2)
            case "numberPow": return Tensor.pow(2.0, x)
            case "square": return x.square()
            case "maximum": return Tensor.maximum(x, x2)
            case "minimum": return Tensor.minimum(x, x2)
            case "atan2": return x.atan2(x2)
            case "remainder": return x.remainder(x2)
            case "exp": return x.exp()
            case "log": return x.log()
            case "log1p": return x.log1p()
            case "expm1": return x.expm1()
            case "sqrt": return x.sqrt()
            case "rsqrt": return x.rsqrt()
            case "reciprocal": return x.reciprocal()
            case "abs": return x.abs()
            case "sign": return x.sign()
            case "sin": return x.sin()
            case "cos": return x.cos()
            case "tan": return x.tan()
            case "tanh": return x.tanh()
            case "sigmoid": return x.sigmoid()
            case "relu": return x.relu()
            case "floor": return x.floor()
            case "ceil": return x.ceil()
            case "round": return x.round()
            case "trunc": return x.trunc()
            case "clamp": return x.clamped(min: 0.6, max: 2.5)
            case "clampMin": return x.clamped(min: 0.6)
            case "where": return Tensor.where(x .> 1.0, x, x2)
            case "sum": return x.sum()
            case "sumDim": return x.sum(dim: 1)
            case "mean": return x.mean()
            case "meanDim": return x.mean(dim: 0, keepDim: true)
            case "prod": return x.prod()
            case "prodDim": return x.prod(dim: 1)
            case "max": return x.max()
            case "maxDim": return x.max(dim: 1).values
            case "min": return x.min()
            case "minDim": return x.min(dim: 0).values
            case "amax": return x.amax(dim: [1])
            case "amin": return x.amin(dim: [1])
            case "norm": return x.norm()
            case "normDim": return x.norm(p: 1, dim: [1])
            case "var": return x.variance()
            case "std": return x.std(dim: [1])
            case "logsumexp": return x.logsumexp(dim: 1)
            case "cumsum": return x.cumsum(dim: 1)
            case "softmax": return x.softmax(dim: 1)
            case "logSoftmax": return x.logSoftmax(dim: 1)
            case "dot": return v.dot(v)
            case "mm": return x.mm(m)
            case "mv": return x.mv(v)
            case "matmulMatrix": return x.matmul(m)
            case "bmm": return b.bmm(b.transposed(1, 2))
            case "outer": return v.outer(v)
            case "reshapeView": return x.reshaped(3, 2)
            case "reshapeCopy": return x.t().reshaped(6)
            case "flatten": return x.flattened()
            case "t": return x.t()
            case "transpose": return x.transposed(0, 1)
            case "permute": return b.permuted(2, 0, 1)
            case "expand": return v.expanded(to: [2, 3])
            case "squeeze": return x.reshaped(1, 6).squeezed()
            case "squeezeDim": return x.unsqueezed(0).squeezed(0)
            case "unsqueeze": return x.unsqueezed(1)
            case "select": return x[0]
            case "slice": return x[..., 1...]
            case "narrow": return x.narrowed(dim: 1, start: 0, length: 2)
            case "indexTensor": return x[i.idx]
            case "indexMask": return x[x .> 1.0]
            case "indexSelect": return x.indexSelect(dim: 1, i.idx)
            case "cat": return Tensor.cat([x, x2])
            case "stack": return Tensor.stack([x, x2])
            case "split": return x.split(size: 2, dim: 1)[0]
            case "chunk": return x.chunked(3, dim: 1)[1]
            case "clone": return x.cloned()
            case "contiguous": return x.t().contiguous()
            case "toFloat64": return x.to(.float64)
            case "mseLoss": return mseLoss(x, x2)
            default: return nil
            }
        }

        @Test(arguments: AutogradGoldens.gradFnNames.keys.sorted())
        func gradFnNameMatchesPyTorch(label: String) throws {
            let result = try #require(Self.op(label, Inputs()), "no Swift case for \(label)")
            #expect(result.gradFn?.name == AutogradGoldens.gradFnNames[label])
            #expect(result.requiresGrad && !result.isLeaf)
        }

        @Test func twiceTheDotProduct() throws {
            // PyTorch: MulBackward0 -> ((DotBackward0, 0), (None, 0)); the number has no edge.
            let x = Tensor.arange(4.0)
            x.requiresGrad = true
            let y = 2 * x.dot(x)
            let mul = try #require(y.gradFn)
            #expect(mul.name == "MulBackward0")
            #expect(nextNames(mul) == ["DotBackward0", "nil"])
            #expect(mul.nextFunctions.allSatisfy { $0.index == 0 })
            let dot = try #require(mul.nextFunctions[0].node)
            #expect(nextNames(dot) == ["AccumulateGrad", "AccumulateGrad"])
            #expect(dot.nextFunctions.allSatisfy { $0.node?.variable === x })
            #expect(mul.variable == nil && dot.variable == nil)
        }

        @Test func numbersOnEitherSideHaveNoEdge() {
            let x = Tensor.arange(3.0)
            x.requiresGrad = true
            #expect(nextNames((2 + x).gradFn) == ["AccumulateGrad", "nil"])
            #expect(nextNames((x + 2).gradFn) == ["AccumulateGrad", "nil"])
            #expect(nextNames((x * 2).gradFn) == ["AccumulateGrad", "nil"])
            #expect(nextNames((x - 2).gradFn) == ["AccumulateGrad", "nil"])
            #expect(nextNames((x / 2).gradFn) == ["AccumulateGrad", "nil"])
            #expect(nextNames((2 - x).gradFn) == ["AccumulateGrad"])
            #expect(nextNames((2 / x).gradFn) == ["ReciprocalBackward0", "nil"])
            #expect(nextNames(Tensor.pow(2.0, x).gradFn) == ["AccumulateGrad"])
        }

        @Test func productPlusConstantSummed() throws {
            // PyTorch: Sum -> (Add) -> (Mul, None) -> (AccumulateGrad a, AccumulateGrad b).
            let a = Tensor([1.0, 2.0], requiresGrad: true)
            let b = Tensor([3.0, 4.0], requiresGrad: true)
            let c = Tensor([5.0, 6.0])
            let z = (a * b + c).sum()
            let sum = try #require(z.gradFn)
            #expect(sum.name == "SumBackward0" && nextNames(sum) == ["AddBackward0"])
            let add = try #require(sum.nextFunctions[0].node)
            #expect(nextNames(add) == ["MulBackward0", "nil"])
            let mul = try #require(add.nextFunctions[0].node)
            #expect(nextNames(mul) == ["AccumulateGrad", "AccumulateGrad"])
            #expect(mul.nextFunctions[0].node?.variable === a)
            #expect(mul.nextFunctions[1].node?.variable === b)
            #expect(mul.nextFunctions[0].node?.nextFunctions.isEmpty == true)
        }

        @Test func aLeafHasOneAccumulatorWhileItIsAlive() throws {
            let x = Tensor.ones([2], requiresGrad: true)
            let first = try #require((x * 2).gradFn?.nextFunctions[0].node)
            let second = try #require((x + 1).gradFn?.nextFunctions[0].node)
            #expect(first === second && first.name == "AccumulateGrad")
        }

        @Test func tensorsWithoutGradHaveNoGradFn() {
            let x = Tensor.arange(3.0)
            #expect((x * 2).gradFn == nil && (x.exp() + x).gradFn == nil)
        }
    }

    @Suite("backward(gradient:) and retainGraph") struct Backward {
        @Test func nonScalarOutputsTakeAGradient() {
            let x = autogradLeaf([0, 1, 2, 3])
            let y = x * x
            y.backward(gradient: autogradConstant([1, 0.1, 0.01, 0.001]))
            expectClose(x.grad!, [0, 0.2, 0.04, 0.006], rtol: 1e-12)
            // A 2-d output with a 2-d gradient.
            let w = autogradLeaf([1, 2, 3, 4, 5, 6], shape: [2, 3])
            (w * 3).backward(gradient: Tensor.full([2, 3], 2, dtype: .float64))
            expectClose(w.grad!, [6, 6, 6, 6, 6, 6], shape: [2, 3])
        }

        @Test func oneElementOutputsNeedNoGradient() {
            // PyTorch checks numel() == 1, not the rank.
            let x = autogradLeaf([1, 2, 3])
            (x * x)[0..<1].reshaped(1, 1).backward()
            expectClose(x.grad!, [2, 0, 0])
            x.grad = nil
            (x * x).sum(dim: 0, keepDim: true).backward()
            expectClose(x.grad!, [2, 4, 6])
        }

        @Test func implicitGradientOnlyForOneElement() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                (x * x).backward()
            }
            expectMessage(result, "implicitNonScalar")
        }

        @Test func gradientOfTheWrongShapeStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                (x * x).backward(gradient: Tensor.ones(3))
            }
            expectMessage(result, "gradientShape")
        }

        @Test func backwardOfATensorWithoutGradStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                (Tensor.ones(2) * 2).sum().backward()
            }
            expectMessage(result, "noGradFn")
        }

        @Test func secondBackwardThroughSavedTensorsStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                let y = (x * x).sum()
                y.backward()
                y.backward()
            }
            expectMessage(result, "backwardTwice")
            expectStandardError(result, contains: "Specify retainGraph: true")
        }

        @Test func secondBackwardThroughASavedResultStops() async {
            await #expect(processExitsWith: .failure) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                let y = x.exp().sum()
                y.backward()
                y.backward()
            }
        }

        @Test func retainGraphAllowsASecondBackward() {
            let x = autogradLeaf([0, 1, 2, 3])
            let y = (x * x).exp().sum()
            y.backward(retainGraph: true)
            let once = x.grad!.cloned()
            y.backward(retainGraph: true)
            expectClose(x.grad!, (2 * once).scalars(as: Double.self), rtol: 1e-12)
            y.backward()
            expectClose(x.grad!, (3 * once).scalars(as: Double.self), rtol: 1e-12)
        }

        /// Graphs whose nodes save nothing (PyTorch's add, sub, neg, sum, mean, views,
        /// clone, conversions) can be backpropagated again without retainGraph.
        @Test(arguments: ["x+x", "x-1", "2-x", "-x", "mean", "view", "slice", "clone", "toFloat32"])
        func graphsWithoutSavedTensorsRunTwice(label: String) {
            let x = autogradLeaf([0, 1, 2, 3])
            let y: Tensor = switch label {
            case "x+x": (x + x).sum()
            case "x-1": (x - 1).sum()
            case "2-x": (2 - x).sum()
            case "-x": (-x).sum()
            case "mean": x.mean()
            case "view": x.reshaped(2, 2).t().sum()
            case "slice": x[1...].sum()
            case "clone": x.cloned().sum()
            default: x.to(.float32).sum()
            }
            y.backward()
            let once = x.grad!.cloned()
            y.backward()
            expectClose(x.grad!, (2 * once).scalars(as: Double.self))
        }
    }

    @Suite("Higher derivatives and grad(of:wrt:)") struct HigherOrder {
        static func function(_ label: String) -> ((Tensor) -> Tensor)? {
            switch label {
            case "cube": { $0.pow(3) }
            case "sin": { $0.sin() }
            case "mul": { $0 * ($0 + 1) }
            case "div": { $0 / ($0 * $0 + 1) }
            case "numberDiv": { 2 / $0 }
            case "powNumber": { $0.pow(2.5) }
            case "powTensor": { $0.pow($0) }
            case "exp": { $0.exp() }
            case "log": { $0.log() }
            case "sqrt": { $0.sqrt() }
            case "tanh": { $0.tanh() }
            case "sigmoid": { $0.sigmoid() }
            case "softmax": { $0.reshaped(2, 3).softmax(dim: 1) }
            case "logSoftmax": { $0.reshaped(2, 3).logSoftmax(dim: 0) }
            case "matmul": { $0.reshaped(2, 3).matmul($0.reshaped(3, 2)) }
            case "sum": { $0.sum() * $0.sum() }
            case "mean": { ($0 - $0.mean()).pow(2) }
            case "norm": { $0.norm() }
            case "normDim": { $0.reshaped(2, 3).norm(dim: [1]) }
            case "prod": { $0.prod() }
            case "std": { $0.reshaped(3, 2).std(dim: [0]) }
            case "logsumexp": { $0.reshaped(2, 3).logsumexp(dim: 1) }
            default: nil
            }
        }

        /// g = d sum(f(x) * w) / dx with createGraph, then the Hessian-vector product d sum(g * v) / dx.
        @Test(arguments: AutogradGoldens.higherOrder.keys.sorted())
        func secondDerivative(label: String) throws {
            let golden = try #require(AutogradGoldens.higherOrder[label])
            let f = try #require(Self.function(label), "no Swift case for \(label)")
            let x = autogradLeaf(golden.x)
            let y = f(x)
            let w = Tensor.linspace(-1, 2, steps: y.count, dtype: .float64).reshaped(y.shape)
            let g = grad(of: (y * w).sum(), wrt: [x], createGraph: true)[0]
            #expect(g.requiresGrad && g.gradFn != nil, "createGraph records the backward pass")
            #expect(x.grad == nil, "grad(of:wrt:) leaves .grad alone")
            expectClose(g, golden.gradient, shape: [6], rtol: 1e-10, atol: 1e-12)
            let v = autogradConstant(AutogradGoldens.hessianVector)
            let h = grad(of: (g * v).sum(), wrt: [x])[0]
            expectClose(h, golden.hessianVector, shape: [6], rtol: 1e-9, atol: 1e-12)
            #expect(!h.requiresGrad, "without createGraph the result is a constant")
        }

        @Test func oneStepLinspaceIsItsStart() {
            // The weights above for one-element outputs (PyTorch: torch.linspace(-1, 2, 1) == [-1]).
            #expect(Tensor.linspace(-1, 2, steps: 1, dtype: .float64).scalars(as: Double.self) == [-1])
            #expect(Tensor.linspace(-1, 2, steps: 1).scalars(as: Float.self) == [-1])
        }

        @Test func cubeAndSineInClosedForm() throws {
            let x = autogradLeaf([-1.5, 0.25, 2])
            let g = grad(of: x.pow(3).sum(), wrt: [x], createGraph: true)[0]
            expectClose(g, (3 * x * x).scalars(as: Double.self))
            let h = grad(of: g.sum(), wrt: [x])[0]
            expectClose(h, (6 * x).scalars(as: Double.self))
            let gs = grad(of: x.sin().sum(), wrt: [x], createGraph: true)[0]
            let hs = grad(of: gs.sum(), wrt: [x])[0]
            expectClose(hs, withNoGrad { -x.sin() }.scalars(as: Double.self), rtol: 1e-12)
        }

        @Test func thirdDerivativeOfAPolynomial() throws {
            let x = autogradLeaf(AutogradGoldens.polynomialX)
            let y = (x.pow(4) + 2 * x.pow(3) - x).sum()
            let g1 = grad(of: y, wrt: [x], createGraph: true)[0]
            let g2 = grad(of: g1.sum(), wrt: [x], createGraph: true)[0]
            let g3 = grad(of: g2.sum(), wrt: [x])[0]
            for (g, golden) in zip([g1, g2, g3], AutogradGoldens.polynomialDerivatives) {
                expectClose(g, golden, rtol: 1e-12)
            }
        }

        @Test func backwardWithCreateGraph() throws {
            // The PyTorch pattern: backward(create_graph=True), take .grad, reset, backward again.
            let x = autogradLeaf([0.5, -1, 2])
            x.pow(3).sum().backward(createGraph: true)
            let g = try #require(x.grad)
            #expect(g.requiresGrad && g.gradFn != nil)
            expectClose(g, [0.75, 3, 12])
            x.grad = nil
            g.sum().backward()
            expectClose(x.grad!, AutogradGoldens.backwardCreateGraphSecond)
        }

        @Test func hessianVectorProduct() throws {
            let x = autogradLeaf(AutogradGoldens.hvpX)
            let y = x.pow(3).sum() + x[0] * x[1] * x[2] + x.exp().dot(x)
            let g = grad(of: y, wrt: [x], createGraph: true)[0]
            expectClose(g, AutogradGoldens.hvpGradient, rtol: 1e-12)
            let hv = grad(of: g, wrt: [x], gradient: autogradConstant(AutogradGoldens.hvpV))[0]
            expectClose(hv, AutogradGoldens.hvpProduct, rtol: 1e-12)
            #expect(x.grad == nil)
        }

        @Test func gradWithRespectToANonLeaf() throws {
            let x = autogradLeaf(AutogradGoldens.nonLeafX)
            let u = x * 2
            let y = u.exp().sum()
            let grads = grad(of: y, wrt: [u, x])
            expectClose(grads[0], AutogradGoldens.nonLeafGradU, rtol: 1e-12)
            expectClose(grads[1], AutogradGoldens.nonLeafGradX, rtol: 1e-12)
            #expect(x.grad == nil && u.grad == nil)
        }

        @Test func gradLeavesExistingGradAlone() throws {
            let x = autogradLeaf([1, 2])
            (x * x).sum().backward()
            let g = grad(of: (x * 5).sum(), wrt: [x])[0]
            expectClose(g, [5, 5])
            expectClose(x.grad!, [2, 4])
        }

        @Test func unusedInputsAreZerosWithAllowUnused() {
            // PyTorch's materialize_grads=True: zeros shaped like the unused input.
            let a = Tensor(1.0, requiresGrad: true)
            let b = Tensor([2.0, 3.0], requiresGrad: true)
            let grads = grad(of: a * 3, wrt: [a, b], allowUnused: true)
            #expect(grads.count == 2)
            #expect(grads[0].item() == 3)
            expectClose(grads[1], [0, 0], shape: [2], dtype: .float32)
            #expect(!grads[1].requiresGrad)
        }

        @Test func unusedInputsStopWithoutAllowUnused() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let a = Tensor(1.0, requiresGrad: true)
                let b = Tensor(2.0, requiresGrad: true)
                _ = grad(of: a * 3, wrt: [a, b])
            }
            expectMessage(result, "unused")
            expectStandardError(result, contains: "Set allowUnused: true if this is the desired behavior.")
        }

        @Test func gradWithRespectToATensorWithoutGradStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                _ = grad(of: x.sum(), wrt: [Tensor(1.0)])
            }
            expectMessage(result, "gradOfPlain")
        }

        @Test func gradFreesTheGraphUnlessRetained() async {
            await #expect(processExitsWith: .failure) {
                let x = Tensor.arange(3.0)
                x.requiresGrad = true
                let y = (x * x).sum()
                _ = grad(of: y, wrt: [x])
                _ = grad(of: y, wrt: [x])
            }
            let x = autogradLeaf([1, 2, 3])
            let y = (x * x).sum()
            _ = grad(of: y, wrt: [x], retainGraph: true)
            let again = grad(of: y, wrt: [x])[0]
            expectClose(again, [2, 4, 6])
        }

        @Test func gradientsMatchCentralDifferences() {
            // The same functions through gradCheck (float64, full Jacobian).
            for label in AutogradGoldens.higherOrder.keys.sorted() {
                guard let f = Self.function(label), let golden = AutogradGoldens.higherOrder[label] else { continue }
                expectGradientsMatch({ f($0[0]) }, inputs: [autogradConstant(golden.x)])
            }
        }
    }
}
