import Testing
import CotangentTestSupport

@testable import Cotangent

// Gradient hooks against PyTorch: each scenario below is the twin of one in
// Tests/Goldens/hook_goldens.py. Hooks append "name: [values]" (with " rg"
// when the gradient requires grad) to a log; the log, compared line by line
// with PyTorch's, checks both what every hook sees and the order they run in.

/// A hook log, formatted as the golden generator formats PyTorch's.
private final class HookLog {
    var lines: [String] = []

    func add(_ name: String, _ tensors: Tensor?...) { add(name, tensors) }

    func add(_ name: String, _ tensors: [Tensor?]) {
        lines.append(name + ": " + tensors.map(hookText).joined(separator: " "))
    }

    /// A tensor hook that logs the gradient and returns `transform(grad)`, or nil.
    func hook(_ name: String, _ transform: ((Tensor) -> Tensor)? = nil) -> (Tensor) -> Tensor? {
        { grad in
            self.add(name, grad)
            return transform?(grad)
        }
    }
}

private func hookText(_ t: Tensor?) -> String {
    guard let t else { return "nil" }
    let values = "[" + t.scalars(as: Double.self).map { "\($0)" }.joined(separator: ", ") + "]"
    return values + (t.requiresGrad ? " rg" : "")
}

private func leaf(_ values: Double...) -> Tensor { autogradLeaf(values) }
private func constant(_ values: Double...) -> Tensor { autogradConstant(values) }

@Suite("Gradient hooks") struct HookTests {
    /// Runs a scenario and compares its log and results with PyTorch's.
    private func check(_ name: String, sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: (HookLog) -> [(String, Tensor?)]) throws {
        let golden = try #require(HookGoldens.scenarios[name], sourceLocation: sourceLocation)
        let log = HookLog()
        let results = body(log)
        #expect(log.lines == golden.log, sourceLocation: sourceLocation)
        let expected = golden.results.map { "\($0.name) = \($0.value)" }
        #expect(results.map { "\($0.0) = \(hookText($0.1))" } == expected, sourceLocation: sourceLocation)
    }

    /// The scenario both `order` tests run: every hook kind on one node.
    private func orderGraph(_ log: HookLog) -> (x: Tensor, w: Tensor, u: Tensor, loss: Tensor) {
        let x = leaf(1, 2, 3), w = leaf(0.5, -1, 2)
        let u = x * w
        u.registerHook(log.hook("t1") { $0 * 10 })
        u.retainGrad()
        u.registerHook(log.hook("t2") { $0 + 1 })
        u.gradFn!.registerPrehook { gradOutputs in
            log.add("pre", gradOutputs[0])
            return [gradOutputs[0] * 3]
        }
        u.gradFn!.registerHook { gradInputs, gradOutputs in
            log.add("post", gradInputs + gradOutputs.map { $0 })
            return nil
        }
        x.registerHook(log.hook("x"))
        x.registerPostAccumulateGradHook { log.add("x.post", $0.grad) }
        w.registerPostAccumulateGradHook { log.add("w.post", $0.grad) }
        return (x, w, u, (u * u).sum())
    }

    @Test func tensorHooksThenRetainGradThenNodeHooksThenLeaves() throws {
        try check("order") { log in
            let (x, w, u, loss) = orderGraph(log)
            loss.backward()
            return [("u.grad", u.grad), ("x.grad", x.grad), ("w.grad", w.grad)]
        }
    }

    @Test func hooksSeeDifferentiableGradientsWithCreateGraph() throws {
        try check("orderCreateGraph") { log in
            let (x, w, u, loss) = orderGraph(log)
            loss.backward(createGraph: true)
            let gx = x.grad!
            x.grad = nil
            w.grad = nil
            gx.sum().backward()
            return [("u.grad", u.grad), ("gx", gx), ("x.grad2", x.grad), ("w.grad2", w.grad)]
        }
    }

    @Test func gradCapturesATargetThatLeadsOnBeforeItsHooks() throws {
        try check("gradCapturesBeforeHooksWhenTheTargetLeadsOn") { log in
            let x = leaf(1, 2)
            let u = x * x
            u.registerHook(log.hook("u") { $0 * 100 })
            x.registerHook(log.hook("x") { $0 + 0.5 })
            x.registerPostAccumulateGradHook { log.add("x.post (must not run)", $0) }
            let grads = grad(of: (u * u).sum(), wrt: [u, x])
            return [("gu", grads[0]), ("gx", grads[1]), ("x.grad", x.grad)]
        }
    }

    @Test func gradCapturesAFinalTargetAfterItsHooks() throws {
        try check("gradCapturesAfterHooksAtTheEnd") { log in
            let x = leaf(1, 2)
            let u = x * x
            u.registerHook(log.hook("u") { $0 * 100 })
            u.retainGrad()
            x.registerHook(log.hook("x (must not run)"))
            let gu = grad(of: (u * u).sum(), wrt: [u])[0]
            return [("gu", gu), ("u.grad", u.grad)]
        }
    }

    @Test func aHookRegisteredBeforeAnInPlaceChangeStaysWithTheOldValue() throws {
        try check("hookBeforeInPlaceStaysWithTheOldValue") { log in
            let x = leaf(1, 2)
            let u = x * x
            u.registerHook(log.hook("before") { $0 * 10 })
            u.retainGrad()
            u *= 3
            u.registerHook(log.hook("after"))
            u.sum().backward()
            return [("u.grad", u.grad), ("x.grad", x.grad)]
        }
    }

    @Test func aLeafHookSeesTheSumOfItsGradients() throws {
        try check("leafHookSeesTheTotal") { log in
            let x = leaf(1, 2)
            x.registerHook(log.hook("x") { $0 * 2 })
            x.registerPostAccumulateGradHook { log.add("x.post", $0.grad) }
            (x * x + x * constant(3, 4)).sum().backward()
            (x * x).sum().backward()
            return [("x.grad", x.grad)]
        }
    }

    @Test func leavesRunAsSoonAsTheirLastGradientArrived() throws {
        try check("leavesRunWhenReady") { log in
            let x = constant(0.5, -1)
            let w1 = leaf(2, 3), w2 = leaf(-1, 0.25)
            let h = x * w1
            h.registerHook(log.hook("h"))
            let a = h * h
            a.registerHook(log.hook("a"))
            let y = (a * w2).sum()
            y.registerHook(log.hook("y"))
            for (name, p) in [("w1", w1), ("w2", w2)] {
                p.registerHook(log.hook(name))
                p.registerPostAccumulateGradHook { log.add(name + ".post", $0.grad) }
            }
            y.backward()
            return [("w1.grad", w1.grad), ("w2.grad", w2.grad)]
        }
    }

    @Test func removedHooksDoNotRun() throws {
        try check("removedHooksDoNotRun") { log in
            let x = leaf(1, 2)
            let h1 = x.registerHook(log.hook("first (removed)") { $0 * 0 })
            x.registerHook(log.hook("second"))
            let u = x * x
            let h2 = u.gradFn!.registerPrehook { log.add("pre (removed)", $0[0]); return nil }
            let h3 = u.gradFn!.registerHook { gradInputs, _ in log.add("post (removed)", gradInputs); return nil }
            for handle in [h1, h2, h3] {
                handle.remove()
                handle.remove()
            }
            u.sum().backward()
            return [("x.grad", x.grad)]
        }
    }

    @Test func aNodeHookReplacesTheGradientsOfItsInputs() throws {
        try check("nodeHookReplacesInputGradients") { log in
            let a = leaf(1, 2), b = leaf(3, 4)
            let u = a * b
            u.gradFn!.registerHook { gradInputs, gradOutputs in
                log.add("post", gradInputs + gradOutputs.map { $0 })
                return [gradInputs[0]! * 0, gradInputs[1]! * 2]
            }
            (u * u).sum().backward()
            return [("a.grad", a.grad), ("b.grad", b.grad)]
        }
    }

    @Test func nodeHooksSeeGradientsSummedToEachInputsShape() throws {
        try check("broadcastGradientsReachHooksReduced") { log in
            let a = leaf(1, 2, 3), b = leaf(10)
            let u = a * b
            u.gradFn!.registerHook { gradInputs, gradOutputs in
                log.add("post", gradInputs + gradOutputs.map { $0 })
                return nil
            }
            b.registerHook(log.hook("b"))
            u.sum().backward()
            return [("a.grad", a.grad), ("b.grad", b.grad)]
        }
    }

    @Test func backwardWithInputsFillsOnlyThoseTensors() throws {
        try check("backwardInputsOnlyFillsTheGivenTensors") { log in
            let a = leaf(1, 2), b = leaf(3, 4)
            a.registerHook(log.hook("a"))
            b.registerHook(log.hook("b (must not run)"))
            let u = a * b
            (u * u).sum().backward(inputs: [a])
            let first = a.grad!.cloned()
            let v = a * b
            v.registerHook(log.hook("v"))
            (v * v).sum().backward(inputs: [v])
            return [("a.grad first", first), ("b.grad", b.grad), ("v.grad", v.grad), ("a.grad", a.grad),
                    ("v.retains_grad", Tensor([v.retainsGrad ? 1.0 : 0.0], dtype: .float64))]
        }
    }

    @Test func hooksOnTheRoot() throws {
        try check("rootHook") { log in
            let x = leaf(1, 2)
            let y = (x * x).sum()
            y.registerHook(log.hook("y") { $0 * 3 })
            y.backward()
            x.registerHook(log.hook("leaf root"))
            x.backward(gradient: constant(1, 1))
            return [("x.grad", x.grad)]
        }
    }

    @Test func hooksRunForGradientsOfAnIntermediateInGradOf() {
        // The graph of a double backward goes through the hooked node again.
        let x = leaf(1, 2)
        var seen = 0
        let u = x * x
        u.registerHook { _ in seen += 1; return nil }
        let g = grad(of: u.sum(), wrt: [x], createGraph: true)[0]
        #expect(seen == 1)
        #expect(g.requiresGrad)
    }

    @Test func droppingTheHandleKeepsTheHook() {
        let x = leaf(1, 2)
        var calls = 0
        _ = x.registerHook { _ in calls += 1; return nil }
        (x * 2).sum().backward()
        (x * 2).sum().backward()
        #expect(calls == 2)
    }

    @Test func aHandleDoesNotKeepTheGraphAlive() {
        weak var node: Node?
        var handle: RemovableHandle?
        do {
            let x = leaf(1, 2)
            let u = x.exp()
            node = u.gradFn
            handle = u.registerHook { $0 }
        }
        #expect(node == nil)
        handle?.remove()
    }

    // MARK: Module hooks

    /// The twin of the golden generator's `Scale` module.
    private final class Scale: Module {
        let w = autogradLeaf([2, -1])
        var isTraining = true
        func forward(_ input: Tensor) -> Tensor { input * w }
    }

    private func scaleWithAllHooks(_ log: HookLog) -> Scale {
        let m = Scale()
        m.registerForwardPreHook { _, input in log.add("forwardPre", input); return input + 1 }
        m.registerForwardHook { _, input, output in log.add("forward", input, output); return output * 10 }
        m.registerFullBackwardPreHook { _, gradOutput in log.add("backwardPre", gradOutput); return gradOutput * 2 }
        m.registerFullBackwardHook { _, gradInput, gradOutput in log.add("backward", gradInput, gradOutput); return nil }
        return m
    }

    @Test func moduleHooksRunAroundForwardAndBackward() throws {
        try check("moduleHooks") { log in
            let m = scaleWithAllHooks(log)
            m.registerFullBackwardHook { _, gradInput, gradOutput in
                log.add("backward2", gradInput, gradOutput)
                return gradInput! + 100
            }
            let x = leaf(1, 3)
            let y = m(x)
            y.registerHook(log.hook("y"))
            log.add("gradFn \(y.gradFn!.name) \(y.gradFn!.nextFunctions[0].node!.name)")
            y.sum().backward()
            return [("x.grad", x.grad), ("w.grad", m.w.grad)]
        }
    }

    @Test func fullBackwardHooksWhenTheInputNeedsNoGradient() throws {
        try check("moduleHooksWithoutInputGrad") { log in
            let m = scaleWithAllHooks(log)
            m(constant(1, 3)).sum().backward()
            return [("w.grad", m.w.grad)]
        }
    }

    @Test func moduleHooksOfNestedModules() throws {
        try check("moduleHooksInASequential") { log in
            let inner = Scale()
            let net = Sequential([inner, ReLU()])
            for (name, module) in [("net", net as any Module), ("inner", inner)] {
                module.registerForwardHook { _, _, output in log.add(name + ".forward", output); return nil }
                module.registerFullBackwardHook { _, gradInput, gradOutput in
                    log.add(name + ".backward", gradInput, gradOutput)
                    return nil
                }
            }
            let x = leaf(1, 3)
            net(x).sum().backward()
            return [("x.grad", x.grad)]
        }
    }

    @Test func removedModuleHooksDoNotRun() {
        let m = Scale()
        var calls = 0
        let handles = [
            m.registerForwardPreHook { _, _ in calls += 1; return nil },
            m.registerForwardHook { _, _, _ in calls += 1; return nil },
            m.registerFullBackwardPreHook { _, _ in calls += 1; return nil },
            m.registerFullBackwardHook { _, _, _ in calls += 1; return nil },
        ]
        handles.forEach { $0.remove() }
        let y = m(leaf(1, 2))
        #expect(y.gradFn?.name == "MulBackward0", "no identity nodes without backward hooks")
        y.sum().backward()
        #expect(calls == 0)
        // Another module of the same type has no hooks of its own.
        let other = Scale()
        m.registerForwardHook { _, _, _ in calls += 1; return nil }
        _ = other(leaf(1, 2))
        #expect(calls == 0)
    }

    @Test func aFullBackwardHookReturningAGradientWithoutInputGradStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let m = Linear(2, 2)
            m.registerFullBackwardHook { _, _, gradOutput in gradOutput }
            m(Tensor.ones(1, 2)).sum().backward()
        }
        expectStandardError(result, contains: "Backward hook for Modules where no input requires gradient should always return None or None for all gradients.")
    }

    // MARK: Errors

    @Test func hookOnATensorWithoutGradStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1.0]).registerHook { $0 }
        }
        expectStandardError(result, contains: "registerHook: " + HookGoldens.errors["noGrad"]!)
    }

    @Test func postAccumulateHookOnANonLeafStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = (Tensor([1.0], requiresGrad: true) * 2).registerPostAccumulateGradHook { _ in }
        }
        expectStandardError(result, contains: HookGoldens.errors["postAccumulateOnNonLeaf"]!)
    }

    @Test func aHookChangingTheShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1.0, 2.0], requiresGrad: true)
            x.registerHook { $0[..<1] }
            (x * 2).sum().backward()
        }
        expectStandardError(result, contains: HookGoldens.errors["changedSize"]!)
    }

    @Test func aPrehookReturningTooManyGradientsStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let y = Tensor([1.0, 2.0], requiresGrad: true).exp()
            y.gradFn!.registerPrehook { [$0[0], $0[0]] }
            y.sum().backward()
        }
        expectStandardError(result, contains: HookGoldens.errors["wrongCount"]!)
    }

    @Test func backwardWithNoInputsStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            (Tensor([1.0], requiresGrad: true) * 2).sum().backward(inputs: [])
        }
        expectStandardError(result, contains: HookGoldens.errors["emptyInputs"]!)
    }
}
