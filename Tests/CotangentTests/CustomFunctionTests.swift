import Testing
import CotangentTestSupport

@testable import Cotangent

// Custom functions, the twins of the torch.autograd.Function classes in
// Tests/Goldens/custom_function_goldens.py (same names, so the node names match).

enum Cube: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] {
        ctx.saveForBackward(inputs[0])
        return [inputs[0].pow(3)]
    }

    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] {
        let x = ctx.savedTensors[0]
        return [gradOutputs[0]! * 3 * x * x]
    }
}

/// Saves its output, which must be reconnected to the node for double backward.
enum SavedExp: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] {
        let y = inputs[0].exp()
        ctx.saveForBackward(y)
        return [y]
    }

    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] {
        [gradOutputs[0]! * ctx.savedTensors[0]]
    }
}

enum ScaledMul: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] {
        ctx.saveForBackward(inputs)
        ctx.values["needsInForward"] = ctx.needsInputGrad
        return [inputs[0] * inputs[1] * 2]
    }

    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] {
        let saved = ctx.savedTensors, g = gradOutputs[0]!
        return [ctx.needsInputGrad[0] ? g * saved[1] * 2 : nil, ctx.needsInputGrad[1] ? g * saved[0] * 2 : nil]
    }
}

enum Twice: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] {
        inputs[0] *= 2
        ctx.markDirty(inputs[0])
        return [inputs[0]]
    }

    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] { [gradOutputs[0]! * 2] }
}

enum Once: CustomFunction {
    static let isOnceDifferentiable = true

    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] {
        ctx.saveForBackward(inputs[0])
        return [inputs[0] * inputs[0]]
    }

    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] {
        [2 * gradOutputs[0]! * ctx.savedTensors[0]]
    }
}

enum Wrong: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] { [inputs[0] * inputs[1]] }
    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] { [gradOutputs[0]] }
}

enum BadShape: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] { [inputs[0] * 2] }
    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] { [gradOutputs[0]![..<1]] }
}

enum Rounded: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] {
        let r = inputs[0].round()
        ctx.markNonDifferentiable(r)
        return [r]
    }

    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] { [gradOutputs[0]] }
}

enum Identity: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] { [inputs[0]] }
    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] { [gradOutputs[0]! * 5] }
}

/// Broadcasts a [3] input against a [2, 3] one and returns the gradient in the broadcast shape.
enum BroadcastAdd: CustomFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] { [inputs[0] + inputs[1]] }
    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] { [gradOutputs[0], gradOutputs[0]] }
}

@Suite("Custom functions") struct CustomFunctionTests {
    @Test func gradientsAndSecondDerivativesMatchPyTorch() {
        let x = autogradLeaf([0.5, -1.5, 2])
        let y = Cube.apply(x)
        #expect(y.gradFn?.name == CustomFunctionGoldens.cubeName)
        #expect(y.gradFn?.nextFunctions.first?.node?.name == "AccumulateGrad")
        let g = grad(of: y.sum(), wrt: [x], createGraph: true)[0]
        expectClose(g, CustomFunctionGoldens.cubeGrad, rtol: 1e-12)
        let h = grad(of: g.sum(), wrt: [x])[0]
        expectClose(h, CustomFunctionGoldens.cubeSecond, rtol: 1e-12)
    }

    @Test func gradcheckInFloat64IncludingDoubleBackward() {
        let x = autogradConstant([0.3, -1.2, 0.8, 2.1])
        expectGradientsMatch({ Cube.apply($0[0]) }, inputs: [x])
        expectGradientsMatch({ SavedExp.apply($0[0]) }, inputs: [x])
        expectGradientsMatch({ ScaledMul.apply($0[0], $0[1]) }, inputs: [x, autogradConstant([1, 2, -3, 0.5])])
        // The gradient itself, differentiated again (gradCheck runs f without grad for its differences).
        expectGradientsMatch({ p in withGrad { grad(of: Cube.apply(p[0]).sum(), wrt: [p[0]], createGraph: true)[0] } },
                             inputs: [x])
        expectGradientsMatch({ p in withGrad { grad(of: SavedExp.apply(p[0]).pow(2).sum(), wrt: [p[0]], createGraph: true)[0] } },
                             inputs: [x])
    }

    @Test func aSavedOutputIsReconnectedForDoubleBackward() {
        let x = autogradLeaf([0.5, 1])
        let g = grad(of: SavedExp.apply(x).sum(), wrt: [x], createGraph: true)[0]
        expectClose(g, CustomFunctionGoldens.savedExpGrad, rtol: 1e-12)
        let h = grad(of: (g * g).sum(), wrt: [x])[0]
        expectClose(h, CustomFunctionGoldens.savedExpSecond, rtol: 1e-12)
    }

    @Test func needsInputGradSaysWhichInputsWantGradients() {
        let x = autogradLeaf([1, 2])
        let w = autogradConstant([3, -4])
        let y = ScaledMul.apply(x, w)
        y.sum().backward()
        expectClose(x.grad!, CustomFunctionGoldens.scaledMulX)
        #expect(w.grad == nil)
    }

    @Test func markDirtyContinuesTheInputsHistory() {
        let a = autogradLeaf([1, 2])
        let b = a * 1
        let c = Twice.apply(b)
        #expect(c === b)
        #expect("\(b.gradFn!.name) \(b.gradFn!.nextFunctions[0].node!.name)" == CustomFunctionGoldens.twiceName)
        (c * c).sum().backward()
        expectClose(a.grad!, CustomFunctionGoldens.twiceA)
    }

    @Test func nonDifferentiableOutputsDoNotRequireGrad() {
        let r = Rounded.apply(autogradLeaf([1.4]))
        #expect(!r.requiresGrad && r.gradFn == nil)
    }

    @Test func anInputReturnedAsItIsBecomesANewTensor() {
        let x = autogradLeaf([1, 2])
        let y = Identity.apply(x)
        #expect(y !== x && x.isLeaf && y.gradFn?.name == "IdentityBackward")
        y.sum().backward()
        expectClose(x.grad!, [5, 5])
    }

    @Test func gradientsInTheBroadcastShapeAreSummed() {
        let a = autogradLeaf([1, 2, 3])
        let b = autogradLeaf([1, 2, 3, 4, 5, 6], shape: [2, 3])
        BroadcastAdd.apply(a, b).sum().backward()
        expectClose(a.grad!, [2, 2, 2], shape: [3])
        expectClose(b.grad!, [1, 1, 1, 1, 1, 1], shape: [2, 3])
    }

    @Test func withoutGradNothingIsRecorded() {
        let x = autogradLeaf([1, 2])
        let y = withNoGrad { Cube.apply(x) }
        #expect(y.gradFn == nil)
        #expect(Cube.apply(autogradConstant([1])).gradFn == nil)
    }

    @Test func onceDifferentiableGivesItsFirstDerivative() {
        let x = autogradLeaf([1, 2])
        let g = grad(of: (Once.apply(x) * x).sum(), wrt: [x], createGraph: true)[0]
        expectClose(g, CustomFunctionGoldens.onceGrad)
        #expect(g.gradFn?.nextFunctions.contains { $0.node?.name == "Error" } == true)
    }

    @Test func savedTensorsAreFreedWithTheGraph() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1.0, 2.0], requiresGrad: true)
            let y = SavedExp.apply(x)
            y.sum().backward()
            y.sum().backward()
        }
        expectStandardError(result, contains: "Trying to backward through the graph a second time")
    }

    @Test func aSavedInputChangedInPlaceStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
            let u = x * 1
            let y = Cube.apply(u)
            u += 1
            y.sum().backward()
        }
        expectStandardError(result, contains: CustomFunctionGoldens.modified)
        expectStandardError(result, contains: "Hint: enable anomaly detection")
    }

    @Test func differentiatingAOnceDifferentiableFunctionTwiceStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1.0, 2.0], dtype: .float64, requiresGrad: true)
            let g = grad(of: (Once.apply(x) * x).sum(), wrt: [x], createGraph: true)[0]
            g.sum().backward()
        }
        expectStandardError(result, contains: CustomFunctionGoldens.onceTwice)
    }

    @Test func theWrongNumberOfGradientsStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Wrong.apply(Tensor([1.0], dtype: .float64, requiresGrad: true), Tensor([2.0], dtype: .float64)).sum().backward()
        }
        expectStandardError(result, contains: CustomFunctionGoldens.wrongCount)
    }

    @Test func aGradientOfTheWrongShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            BadShape.apply(Tensor([1.0, 2.0, 3.0], requiresGrad: true)).sum().backward()
        }
        expectStandardError(result, contains: CustomFunctionGoldens.badShape)
    }

    @Test func markingALeafDirtyStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Twice.apply(Tensor([1.0, 2.0], requiresGrad: true))
        }
        expectStandardError(result, contains: CustomFunctionGoldens.leafDirty)
    }
}
