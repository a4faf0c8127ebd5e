import Cotangent
import CotangentTestSupport
import Testing

// In-place updates and autograd: version counters guard saved values, leaves
// that require grad are refused outside withNoGrad, non-leaves rebase their
// history, and views and copies route gradients as PyTorch does.

extension AutogradTests {
    @Suite("In-place operations") struct InPlace {
        // MARK: Version counters

        @Test func modifyingASavedInputStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                let q = x * 2
                let r = q * q  // saves q
                q += 1
                r.sum().backward()
            }
            expectMessage(result, "savedInput")
        }

        @Test func modifyingASavedOutputStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                let q = x.exp()  // saves its result
                q += 1
                q.sum().backward()
            }
            expectMessage(result, "savedOutput")
        }

        @Test func modifyingASavedTensorWithoutGradStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                let c = Tensor.ones(4)
                let y = x * c
                c += 1
                y.sum().backward()
            }
            expectMessage(result, "savedPlain")
        }

        @Test func modifyingASavedLeafUnderNoGradStops() async {
            // PyTorch prints the same message as for any tensor without history.
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                let y = x * x
                withNoGrad { x *= 1 }
                y.sum().backward()
            }
            expectMessage(result, "savedPlain")
        }

        @Test func modifyingThroughAViewBumpsTheSharedVersion() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                let c = Tensor.ones(4)
                let y = x * c
                let v = c[0..<2]
                v *= 2
                y.sum().backward()
            }
            expectMessage(result, "savedPlain")
        }

        @Test func modifyingThroughADetachedAliasStops() async {
            // detached() shares the storage, hence the version counter.
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                let q = x.exp()
                q.detached().fill(0)
                q.sum().backward()
            }
            expectMessage(result, "savedOutput")
        }

        @Test func modificationsAfterBackwardAreFine() {
            let x = autogradLeaf([1, 2, 3])
            let q = x * 2
            let r = (q * q).sum()
            r.backward()
            q += 1
            expectClose(x.grad!, [8, 16, 24])
        }

        // MARK: Leaves

        @Test func inPlaceOnALeafThatRequiresGradStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                x += 1
            }
            expectMessage(result, "leafInPlace")
        }

        @Test func copyIntoALeafThatRequiresGradStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                x.copy(from: Tensor.zeros(4))
            }
            expectMessage(result, "leafInPlace")
        }

        @Test func inPlaceOnAViewOfALeafStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                let v = x[1...]
                v *= 2
            }
            expectMessage(result, "leafViewInPlace")
        }

        @Test func optimizerStepUnderNoGrad() {
            // SGD on sum((w - 3)^2): the update is in place, the leaf stays a leaf.
            let w = autogradLeaf([0, 1, 5])
            for _ in 0..<50 {
                let loss = ((w - 3) * (w - 3)).sum()
                loss.backward()
                withNoGrad {
                    w -= 0.1 * w.grad!
                    w.grad!.zero()
                }
                #expect(w.isLeaf && w.requiresGrad && w.gradFn == nil)
            }
            expectClose(w, [3, 3, 3], atol: 1e-4)
            // zero(), fill and copy are allowed too, under withNoGrad.
            withNoGrad {
                w.zero()
                w.fill(2)
                w.copy(from: Tensor([1.0, 2.0, 3.0]))
            }
            expectClose(w, [1, 2, 3])
        }

        // MARK: Rebasing a non-leaf's history

        @Test func inPlaceOnANonLeafRebasesItsHistory() throws {
            let x = autogradLeaf([0, 1, 2, 3])
            let y = x * 2
            y += 1
            let node = try #require(y.gradFn)
            #expect(node.name == AutogradGoldens.rebasedName)
            #expect(nextNames(node).joined(separator: ", ") == AutogradGoldens.rebasedNext)
            #expect(!y.isLeaf && y.requiresGrad)
            expectClose(y, [1, 3, 5, 7])
            y.sum().backward()
            expectClose(x.grad!, AutogradGoldens.rebasedGradient)
        }

        @Test func inPlaceWithAnOperandThatRequiresGrad() {
            let golden = AutogradGoldens.mulInPlace
            let x = autogradLeaf(golden.x)
            let w = autogradLeaf(golden.w)
            var y = x * 1
            y *= w
            y = y.exp()
            y.sum().backward()
            expectClose(x.grad!, golden.gradX, rtol: 1e-12)
            expectClose(w.grad!, golden.gradW, rtol: 1e-12)
        }

        @Test func inPlaceMakesATensorWithoutGradRequireIt() {
            // c += x records the update, so c joins the graph (PyTorch: AddBackward0).
            let x = autogradLeaf([1, 2])
            let c = Tensor.zeros([2], dtype: .float64)
            c += x * 3
            #expect(c.requiresGrad && c.gradFn?.name == "AddBackward0")
            #expect(nextNames(c.gradFn) == ["nil", "MulBackward0"])
            c.sum().backward()
            expectClose(x.grad!, [3, 3])
        }

        @Test func fillAndZeroOnANonLeaf() {
            for (op, name, next) in [("fill", AutogradGoldens.fillInPlaceName, AutogradGoldens.fillInPlaceNext),
                                     ("zero", AutogradGoldens.zeroInPlaceName, AutogradGoldens.zeroInPlaceNext)] {
                let x = autogradLeaf([0, 1, 2, 3])
                let q = x * 1
                if op == "fill" { q.fill(2) } else { q.zero() }
                #expect(q.gradFn?.name == name)
                #expect(nextNames(q.gradFn).joined(separator: ", ") == next)
                (q * x).sum().backward()
                // Only the product's own use of x gets a gradient: q no longer depends on x.
                expectClose(x.grad!, op == "fill" ? [2, 2, 2, 2] : [0, 0, 0, 0])
            }
        }

        // MARK: Subscript assignment, copies and views

        @Test func subscriptAssignmentOnANonLeaf() {
            let x = autogradLeaf([0, 1, 2, 3])
            let y = x * 3
            y[1] = Tensor(10.0, dtype: .float64)
            #expect(y.gradFn?.name == AutogradGoldens.subscriptAssignName)
            expectClose(y, [0, 10, 6, 9])
            (y * y).sum().backward()
            expectClose(x.grad!, AutogradGoldens.subscriptAssignGradient)
        }

        @Test func subscriptAssignmentOfAValueThatRequiresGrad() {
            // The assigned value's gradient is the region's, summed over its broadcast.
            let x = autogradLeaf([1, 2, 3, 4], shape: [2, 2])
            let value = autogradLeaf([5])
            let y = x * 1
            y[..., 0] = value
            (y * Tensor([[1.0, 2.0], [3.0, 4.0]], dtype: .float64)).sum().backward()
            expectClose(x.grad!, [0, 2, 0, 4], shape: [2, 2])
            expectClose(value.grad!, [4], shape: [1])
        }

        @Test func copyIntoATensorWithoutGrad() {
            let x = autogradLeaf([0, 1, 2, 3])
            let q = Tensor.zeros([4], dtype: .float64)
            q.copy(from: x * 3)
            #expect(q.requiresGrad && q.gradFn?.name == AutogradGoldens.copyIntoPlainName)
            #expect(nextNames(q.gradFn).joined(separator: ", ") == AutogradGoldens.copyIntoPlainNext)
            q.sum().backward()
            expectClose(x.grad!, AutogradGoldens.copyIntoPlainGradient)
        }

        @Test func copyOverANonLeaf() {
            let x = autogradLeaf([0, 1, 2, 3])
            let q = x * 1
            q.copy(from: Tensor.ones([4], dtype: .float64))
            #expect(q.gradFn?.name == AutogradGoldens.copyOverNonLeafName)
            #expect(q.requiresGrad == AutogradGoldens.copyOverNonLeafRequiresGrad)
            q.sum().backward()
            expectClose(x.grad!, AutogradGoldens.copyOverNonLeafGradient)
        }

        @Test func copyFromABroadcastSourceOfAnotherDType() {
            // The source's gradient is summed to its shape and converted to its dtype.
            let source = autogradLeaf([1, 2, 3], dtype: .float32)
            let q = Tensor.zeros([2, 3], dtype: .float64)
            q.copy(from: source)
            (q * Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype: .float64)).sum().backward()
            expectClose(source.grad!, [5, 7, 9], shape: [3], dtype: .float32)
        }

        @Test func inPlaceThroughAViewOfANonLeaf() {
            // PyTorch rebases the base onto CopySlices: x.grad == [1, 2, 2, 1].
            let x = Tensor([0.0, 1.0, 2.0, 3.0], dtype: .float64, requiresGrad: true)
            let q = x * 1
            let v = q[1..<3]
            v *= 2
            #expect(q.gradFn?.name == AutogradGoldens.viewInPlaceBaseName)
            #expect(q.scalars(as: Double.self) == [0, 2, 4, 3])
            q.sum().backward()
            #expect(x.grad!.equal(Tensor(shape: [4], scalars: AutogradGoldens.viewInPlaceGradient)))
        }

        @Test func inPlaceThroughAViewOfATensorWithoutGrad() {
            // A view of a plain tensor may take a value that requires grad... through its base.
            let x = autogradLeaf([1, 2])
            let base = Tensor.zeros([4], dtype: .float64)
            base[1..<3] = x * 2
            #expect(base.requiresGrad)
            base.sum().backward()
            expectClose(x.grad!, [2, 2])
        }
    }
}
