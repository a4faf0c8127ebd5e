import Cotangent
import CotangentTestSupport
import Testing

// Leaves, `requiresGrad`, `.grad` and its lifecycle, `retainGrad()`,
// `detached()` and how autograd state is printed.

extension AutogradTests {
    @Suite("Leaves and .grad") struct Leaves {
        @Test func requiresGradIsSettableOnLeaves() {
            let x = Tensor.arange(4.0)
            #expect(!x.requiresGrad && x.isLeaf && x.gradFn == nil && x.grad == nil)
            x.requiresGrad = true
            #expect(x.requiresGrad && x.isLeaf && x.gradFn == nil)
            x.requiresGrad = false
            #expect(!x.requiresGrad && x.isLeaf)
            let w = Tensor.zeros([2, 2], dtype: .float64, requiresGrad: true)
            #expect(w.requiresGrad && w.isLeaf)
            // Turning it off is allowed for any dtype, as in PyTorch.
            let i = Tensor.arange(3)
            i.requiresGrad = false
            #expect(!i.requiresGrad)
        }

        @Test func isLeafFollowsPyTorch() {
            let plain = Tensor.ones(3)
            let fromPlain = plain * 2
            #expect(fromPlain.isLeaf && !fromPlain.requiresGrad, "results of ops on tensors without grad are leaves")
            let x = Tensor.ones([3], requiresGrad: true)
            let y = x * 2
            #expect(!y.isLeaf && y.requiresGrad && y.gradFn != nil)
            let view = x.reshaped(3, 1)
            #expect(!view.isLeaf && view.gradFn?.name == "ViewBackward0", "a view of a leaf is not a leaf")
            let detached = y.detached()
            #expect(detached.isLeaf && !detached.requiresGrad && detached.gradFn == nil)
            let untracked = withNoGrad { x * 2 }
            #expect(untracked.isLeaf && !untracked.requiresGrad)
        }

        @Test func turningOffRequiresGradOnANonLeafStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.ones([3], requiresGrad: true)
                let y = x * 2
                y.requiresGrad = false
            }
            expectMessage(result, "nonLeafRequiresGradFalse")
            expectStandardError(result, contains: "use detached().")
        }

        @Test func settingRequiresGradOnANonLeafStops() async {
            // PyTorch's setter refuses `y.requires_grad = True` on a non-leaf too.
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.ones([3], requiresGrad: true)
                let y = x * 2
                y.requiresGrad = true
            }
            expectMessage(result, "nonLeafRequiresGradTrue")
        }

        @Test(arguments: ["int64", "int32", "bool"])
        func onlyFloatingPointTensorsCanRequireGrad(dtypeName: String) async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [dtypeName] in
                let dtype = DType.allCases.first { $0.description == dtypeName }!
                Tensor.zeros([3], dtype: dtype).requiresGrad = true
            }
            expectMessage(result, "integerRequiresGrad")
        }

        @Test func gradIsNilUntilBackwardThenAccumulates() {
            let x = Tensor.arange(4.0)
            x.requiresGrad = true
            #expect(x.grad == nil)
            (2 * x.dot(x)).backward()
            expectClose(x.grad!, [0, 4, 8, 12], shape: [4])
            #expect(x.grad!.gradFn == nil && !x.grad!.requiresGrad)
            // A second backward adds to .grad.
            x.sum().backward()
            expectClose(x.grad!, [1, 5, 9, 13])
            // zero() keeps the tensor, filled with zeros.
            let kept = x.grad!
            x.grad!.zero()
            #expect(x.grad === kept)
            expectClose(x.grad!, [0, 0, 0, 0])
            (x[0] + 2 * x[1]).backward()
            expectClose(x.grad!, [1, 2, 0, 0])
            // Setting it to nil starts afresh.
            x.grad = nil
            #expect(x.grad == nil)
            (x * x).sum().backward()
            expectClose(x.grad!, [0, 2, 4, 6])
        }

        @Test func gradDoesNotAliasTheIncomingGradient() {
            // The first accumulation copies, so changing .grad leaves the seed gradient alone.
            let x = Tensor.arange(3.0)
            x.requiresGrad = true
            let seed = Tensor([1.0, 2.0, 3.0])
            x.backward(gradient: seed)
            x.grad!.zero()
            expectClose(seed, [1, 2, 3])
        }

        @Test func anAssignedGradIsAccumulatedIntoInPlace() {
            // PyTorch: x.grad = g; backward adds into g itself.
            let x = Tensor.arange(4.0)
            x.requiresGrad = true
            let g = Tensor.ones(4)
            x.grad = g
            (x * 2).sum().backward()
            #expect(x.grad === g)
            expectClose(g, [3, 3, 3, 3])
        }

        @Test func assigningAGradOfTheWrongShapeStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                x.grad = Tensor.zeros(3)
            }
            expectMessage(result, "assignGradSize")
        }

        @Test func assigningAGradOfTheWrongDTypeStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let x = Tensor.arange(4.0)
                x.requiresGrad = true
                x.grad = Tensor.zeros([4], dtype: .float64)
            }
            expectMessage(result, "assignGradDType")
        }
    }

    @Suite("retainGrad and detached") struct RetainAndDetach {
        @Test func nonLeafGradIsNilWithoutRetainGrad() {
            let x = autogradLeaf([1, 2, 3])
            let u = x * 2
            (u * u).sum().backward()
            #expect(u.grad == nil && !u.retainsGrad)
            expectClose(x.grad!, [8, 16, 24])
        }

        @Test func retainGradKeepsANonLeafGradient() {
            let x = autogradLeaf([1, 2, 3])
            let u = x * 2
            u.retainGrad()
            #expect(u.retainsGrad)
            let y = (u * u).sum()
            y.retainGrad()
            y.backward(retainGraph: true)
            expectClose(u.grad!, [4, 8, 12], shape: [3])
            expectClose(y.grad!, [1], shape: [])
            // Retained gradients accumulate like a leaf's.
            y.backward()
            expectClose(u.grad!, [8, 16, 24])
            expectClose(x.grad!, [16, 32, 48])
        }

        @Test func retainGradOnALeafChangesNothing() {
            // PyTorch: leaves keep their grad anyway; retains_grad stays False.
            let x = autogradLeaf([1, 2])
            x.retainGrad()
            #expect(!x.retainsGrad)
            (x * x).sum().backward()
            expectClose(x.grad!, [2, 4])
        }

        @Test func retainGradFollowsAnInPlaceUpdate() {
            // The retained gradient is that of the tensor's latest value (PyTorch moves the hook).
            let x = autogradLeaf([1, 2, 3])
            let y = x * 2
            y.retainGrad()
            y += 1
            (y * y).sum().backward()
            expectClose(y.grad!, [6, 10, 14])
            expectClose(x.grad!, [12, 20, 28])
        }

        @Test func retainGradOnATensorWithoutGradStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                Tensor.ones(2).retainGrad()
            }
            expectMessage(result, "retainGradPlain")
        }

        @Test func detachedSharesStorageAndCutsTheGraph() {
            let x = autogradLeaf([1, 2, 3])
            let y = x * x
            let d = y.detached()
            #expect(!d.requiresGrad && d.isLeaf && d.gradFn == nil)
            expectClose(d, [1, 4, 9])
            // Writes through either are seen by both.
            d[0] = Tensor(10.0, dtype: .float64)
            expectClose(y, [10, 4, 9])
            // Used in further ops, it is a constant.
            let z = (d * x).sum()
            #expect(nextNames(z.gradFn.flatMap { $0.nextFunctions[0].node }) == ["nil", "AccumulateGrad"])
            z.backward()
            expectClose(x.grad!, [10, 4, 9])
        }

        @Test func detachedOfALeafIsANewLeaf() {
            let x = autogradLeaf([1, 2])
            let d = x.detached()
            #expect(d !== x && !d.requiresGrad && x.requiresGrad)
            d.requiresGrad = true  // a separate leaf: its flag is its own
            #expect(d.requiresGrad && d.isLeaf)
            (d * 3).sum().backward()
            expectClose(d.grad!, [3, 3])
            #expect(x.grad == nil)
        }
    }

    @Suite("Printing autograd state") struct Printing {
        /// The Swift twin of each case in `description_cases()` of the generator.
        static func tensor(_ label: String) -> Tensor? {
            let x = Tensor.arange(4.0)
            x.requiresGrad = true
            let x64 = Tensor([1.5, -2.0], dtype: .float64, requiresGrad: true)
            switch label {
            case "leaf": return x
            case "leaf2d": return Tensor.ones([2, 3], requiresGrad: true)
            case "leafFloat64": return x64
            case "dot": return 2 * x.dot(x)
            case "mul": return x * x
            case "sumFloat64": return x64.sum()
            case "meanFloat64": return x64.mean()
            case "wrappedFloat64": return Tensor.arange(8.0, dtype: .float64, requiresGrad: true) * 1.5
            case "wrappedFloat32": return Tensor.arange(24.0, requiresGrad: true).reshaped(4, 6) * 1000.5
            case "view": return x.reshaped(2, 2)
            case "rebased":
                let y = x * 2
                y += 1
                return y
            case "gradWithGraph": return grad(of: x.pow(3).sum(), wrt: [x], createGraph: true)[0]
            case "detached": return (x * x).detached()
            case "noGrad": return withNoGrad { x * 2 }
            case "integer": return Tensor.arange(3)
            default: return nil
            }
        }

        @Test(arguments: AutogradGoldens.descriptions.keys.sorted())
        func descriptionShowsRequiresGradAndGradFn(label: String) throws {
            let t = try #require(Self.tensor(label), "no Swift case for \(label)")
            #expect(t.description == AutogradGoldens.descriptions[label])
        }
    }
}
