import CotangentTestSupport
import Testing

@testable import Cotangent

/// Views made before an in-place write to their base, or to another view of
/// it, get their history regenerated on their next use, as PyTorch does
/// (issue 9). Goldens in `ViewHistoryGoldens`, from `Tests/Goldens/view_goldens.py`.
@Suite("View history after in-place writes")
struct ViewHistoryTests {
    private func golden(_ key: String) -> [Double] {
        guard let v = ViewHistoryGoldens.values[key] else {
            Issue.record("no golden \(key)")
            return []
        }
        return v
    }

    private func expectName(_ t: Tensor, _ key: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect((t.gradFn?.name ?? "nil") == ViewHistoryGoldens.names[key], "\(key)", sourceLocation: sourceLocation)
    }

    private func leaf(_ values: [Double]) -> Tensor { Tensor(values, dtype: .float64, requiresGrad: true) }
    private func leaf(_ values: [[Double]]) -> Tensor { Tensor(values, dtype: .float64, requiresGrad: true) }

    @Test("A write into the base reaches a view made before it")
    func writeIntoBase() {
        let x = Tensor.ones(3, requiresGrad: true)
        let y = x * 2
        let v = y[0..<2]
        expectName(v, "base.before")
        y *= 3
        expectName(v, "base.after")
        #expect(v.gradFn?.nextFunctions.first?.node?.name == ViewHistoryGoldens.names["base.afterNext"])
        v.sum().backward()
        expectClose(x.grad!, golden("base.xGrad"))
    }

    @Test("A view of a base without grad requires grad once a write records into the base")
    func writeIntoBaseWithoutGrad() {
        let w = Tensor.ones(2, requiresGrad: true)
        let base = Tensor.zeros(2, 2)
        let a = base[0]
        #expect(!a.requiresGrad)
        base[0] = w
        #expect(String(a.requiresGrad) == ViewHistoryGoldens.names["intoBase.requiresGrad"])
        expectName(a, "intoBase.a")
        expectName(base, "intoBase.base")
        a.sum().backward()
        expectClose(w.grad!, golden("intoBase.wGrad"))
    }

    @Test("A view of a view")
    func viewOfView() {
        let x = leaf([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
        let c = leaf([[2.0, -1.0, 0.5], [3.0, 1.0, -2.0]])
        let y = x * 1.5
        let vv = y[1][0..<2]
        y *= c
        expectName(vv, "viewOfView")
        vv.pow(2).sum().backward()
        expectClose(x.grad!, golden("viewOfView.xGrad"), rtol: 1e-12, atol: 0)
        expectClose(c.grad!, golden("viewOfView.cGrad"), rtol: 1e-12, atol: 0)
    }

    @Test("A write through one view is seen by a sibling view and the base")
    func siblings() {
        let x = leaf([0.5, -1.0, 2.0])
        let c = leaf([3.0, -2.0])
        let y = x * 2
        let v1 = y[0..<2]
        let v2 = y[1..<3]
        v1 *= c
        expectName(v1, "siblings.v1")
        expectName(v2, "siblings.v2")
        expectName(y, "siblings.y")
        (v2 * v2).sum().backward()
        expectClose(x.grad!, golden("siblings.xGrad"), rtol: 1e-12, atol: 0)
        expectClose(c.grad!, golden("siblings.cGrad"), rtol: 1e-12, atol: 0)
    }

    @Test("Several kinds of views of one base", arguments: [
        "t", "select", "diagonal", "unsqueeze", "view", "steps", "expand",
    ])
    func severalViews(kind: String) {
        let make: (Tensor) -> Tensor = switch kind {
        case "t": { $0.t() }
        case "select": { $0[1] }
        case "diagonal": { $0.diagonal() }
        case "unsqueeze": { $0.unsqueezed(0) }
        case "view": { $0.reshaped(4) }
        case "steps": { $0.slice(dim: 1, start: 0, end: 2, step: 2) }
        default: { $0[0].expanded(to: [3, 2]) }
        }
        let x = leaf([[0.5, -1.0], [2.0, 1.5]])
        let c = leaf([[2.0, -1.0], [0.5, 3.0]])
        let y = x * x
        let v = make(y)
        y *= c
        expectName(v, "several.\(kind)")
        let weights = Tensor.arange(1.0, Double(v.count + 1), dtype: .float64).reshaped(v.shape)
        (v * weights).sum().backward()
        expectClose(x.grad!, golden("several.\(kind).xGrad"), rtol: 1e-12, atol: 0)
        expectClose(c.grad!, golden("several.\(kind).cGrad"), rtol: 1e-12, atol: 0)
    }

    @Test("retainGrad on a view follows it to its new history, keeping what it has")
    func retainGradOnView() {
        let x = leaf([0.5, -1.0, 2.0])
        let y = x * 2
        let v = y[0..<2]
        v.retainGrad()
        (v * v).sum().backward(retainGraph: true)
        expectClose(v.grad!, golden("retain.first"), rtol: 1e-12, atol: 0)
        y *= 3
        (v * v).sum().backward()
        expectName(v, "retain.after")
        expectClose(v.grad!, golden("retain.second"), rtol: 1e-12, atol: 0)
        expectClose(x.grad!, golden("retain.xGrad"), rtol: 1e-12, atol: 0)
    }

    @Test("Backward twice through a regenerated view")
    func backwardTwice() {
        let x = leaf([0.5, -1.0, 2.0])
        let y = x * 2
        let v = y[1..<3]
        y *= x
        let s = (v * v).sum()
        s.backward(retainGraph: true)
        expectClose(x.grad!, golden("twice.first"), rtol: 1e-12, atol: 0)
        s.backward()
        expectClose(x.grad!, golden("twice.second"), rtol: 1e-12, atol: 0)
    }

    @Test("createGraph through a regenerated view")
    func createGraph() {
        let x = leaf([0.5, -1.0, 2.0])
        let y = x * x
        let v = y[0..<2]
        y *= x
        let g = grad(of: v.pow(2).sum(), wrt: [x], createGraph: true)[0]
        expectClose(g, golden("create.g"), rtol: 1e-12, atol: 0)
        g.pow(2).sum().backward()
        expectClose(x.grad!, golden("create.xGrad"), rtol: 1e-12, atol: 0)
    }

    @Test("A write with grad mode off regenerates the view too")
    func noGradWrite() {
        let x = leaf([0.5, -1.0, 2.0])
        let y = x * 2
        let v = y[0..<2]
        withNoGrad { y *= 3 }
        expectName(v, "noGradWrite")
        (v * v).sum().backward()
        expectClose(x.grad!, golden("noGradWrite.xGrad"), rtol: 1e-12, atol: 0)
    }

    @Test("reshaped of a non-contiguous view")
    func reshapedView() {
        let x = leaf([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
        let c = leaf([[2.0, -1.0, 0.5], [3.0, 1.0, -2.0]])
        let y = x * 2
        let r = y.slice(dim: 1, start: 0, end: 2).reshaped(2, 1, 2)
        y *= c
        expectName(r, "reshape")
        (r * r).sum().backward()
        expectClose(x.grad!, golden("reshape.xGrad"), rtol: 1e-12, atol: 0)
        expectClose(c.grad!, golden("reshape.cGrad"), rtol: 1e-12, atol: 0)
    }

    @Test("A view of matmul's broadcast result (itself a view inside)")
    func matmulBroadcast() {
        let a = Tensor([[[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], [[1.0, 2.0, 3.0], [-1.0, -2.0, 0.5]]],
                       dtype: .float64, requiresGrad: true)
        let b = leaf([1.0, -2.0, 0.5])
        let c = leaf([[2.0, -1.0], [0.5, 3.0]])
        let m = a.matmul(b)
        let r = m[0]
        m *= c
        expectName(r, "matmul.row")
        (r * r).sum().backward()
        expectClose(a.grad!, golden("matmul.aGrad"), rtol: 1e-12, atol: 0)
        expectClose(b.grad!, golden("matmul.bGrad"), rtol: 1e-12, atol: 0)
        expectClose(c.grad!, golden("matmul.cGrad"), rtol: 1e-12, atol: 0)
    }

    @Test("A write into an empty view: the gradient through it is plain zeros")
    func emptyView() {
        let base = Tensor.zeros([0], dtype: .float64)
        let e = base.unsqueezed(0)
        let s = Tensor(-1.37, dtype: .float64, requiresGrad: true)
        e *= s
        expectName(e, "empty.view")
        let g = grad(of: e.exp().sum(), wrt: [s], createGraph: true)[0]
        #expect(String(g.requiresGrad) == ViewHistoryGoldens.names["empty.gRequiresGrad"])
        expectClose(g, golden("empty.g"), rtol: 0, atol: 0)
    }

    @Test("A view of a base that is not contiguous")
    func transposedBase() {
        let d = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype: .float64).t().detached()
        let v = d[1]
        let w = leaf([[2.0, -1.0], [0.5, 3.0], [1.5, -2.0]])
        d *= w
        expectName(v, "transposedBase.v")
        (v * v).sum().backward()
        expectClose(w.grad!, golden("transposedBase.wGrad"), rtol: 1e-12, atol: 0)
    }

    @Test("An up-to-date view keeps its own node")
    func upToDateViewKeepsNode() {
        let x = leaf([0.5, -1.0, 2.0])
        let v = (x * 2)[0..<2]
        let node = v.gradFn
        #expect(node?.name == "SliceBackward0")
        #expect(v.gradFn === node)
    }

    // MARK: Where PyTorch refuses

    @Test("A view made with grad mode off is not regenerated after a recorded write")
    func noGradViewStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones(3, requiresGrad: true)
            let y = x * 2
            let v = withNoGrad { y[0..<2] }
            y *= 3
            _ = v.gradFn
        }
        expectStandardError(result, contains: ViewHistoryGoldens.messages["noGradView"] ?? "no golden")
    }

    @Test("An output of split is not regenerated after a write into its base")
    func splitOutputStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.ones(4, requiresGrad: true)
            let y = x * 2
            let q = y.split(size: 2)[1]
            y *= 3
            _ = q.gradFn
        }
        expectStandardError(result, contains: ViewHistoryGoldens.messages["splitOutput"] ?? "no golden")
    }

    @Test("An output of split of a base without grad is not regenerated after a recorded write")
    func splitOutputWithoutGradStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let base = Tensor.zeros(4)
            let q = base.split(size: 2)[1]
            base[0..<2] = Tensor.ones(2, requiresGrad: true)
            _ = q.gradFn
        }
        expectStandardError(result, contains: ViewHistoryGoldens.messages["splitOutputWithoutGrad"] ?? "no golden")
    }
}
