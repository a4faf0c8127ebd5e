import Testing
import CotangentTestSupport

@testable import Cotangent

// Saved-tensor hooks and checkpointing. The saved-tensor-hook programs are
// checked against their PyTorch twins in Tests/Goldens/checkpoint_goldens.py
// (torch.autograd.graph.saved_tensors_hooks with the same pack and unpack);
// checkpoint against the same computation without it, bit for bit.

/// A saved tensor packed into plain Swift values, as a user might keep it on disk.
private struct PackedTensor {
    let shape: [Int]
    let values: [Double]
}

@Suite("Saved-tensor hooks and checkpoint") struct CheckpointTests {
    @Test func packAndUnpackSeeEverySavedTensor() {
        let x = autogradLeaf([0.5, -1, 2]), w = autogradLeaf([1.5, 2, -0.5])
        var packedShapes: [[Int]] = [], unpacks = 0
        let y = withSavedTensorHooks(pack: { (t: Tensor) -> PackedTensor in
            packedShapes.append(t.shape)
            return PackedTensor(shape: t.shape, values: t.scalars(as: Double.self))
        }, unpack: { (p: PackedTensor) -> Tensor in
            unpacks += 1
            return Tensor(shape: p.shape, scalars: p.values)
        }) {
            (x.exp() * w).sum()
        }
        #expect(packedShapes == CheckpointGoldens.packedShapes)
        y.backward()
        #expect(unpacks == CheckpointGoldens.unpackCount)
        expectClose(x.grad!, CheckpointGoldens.hookedGradX, rtol: 1e-15)
        expectClose(w.grad!, CheckpointGoldens.hookedGradW, rtol: 1e-15)
    }

    @Test func unpackedValuesStayDifferentiable() {
        let x = autogradLeaf([0.5, -1, 2])
        let z = withSavedTensorHooks(pack: { (t: Tensor) -> [Double] in t.scalars(as: Double.self) },
                                     unpack: { (v: [Double]) -> Tensor in Tensor(shape: [v.count], scalars: v) }) {
            (x.exp() * x).sum()
        }
        let g = grad(of: z, wrt: [x], createGraph: true)[0]
        expectClose(g, CheckpointGoldens.hookedSecondG, rtol: 1e-15)
        let h = grad(of: g.sum(), wrt: [x])[0]
        expectClose(h, CheckpointGoldens.hookedSecondH, rtol: 1e-14)
    }

    @Test func hooksApplyOnlyInsideTheirScope() {
        let x = autogradLeaf([1, 2])
        var packs = 0
        let inside = withSavedTensorHooks(pack: { (t: Tensor) -> Tensor in packs += 1; return t }, unpack: { $0 }) {
            x.exp()
        }
        let outside = x.exp()
        #expect(packs == 1)
        (inside + outside).sum().backward()
        expectClose(x.grad!, withNoGrad { 2 * x.exp() }.scalars(as: Double.self))
    }

    /// A small MLP with dropout, on its own generator (other suites reseed the default one).
    private func mlpGradients(checkpointed: Bool) -> [[Double]] {
        let g = Generator(seed: 7)
        let layers = (0..<4).map { _ in Linear(6, 6, dtype: .float64, generator: g) }
        let x = Tensor.randn([5, 6], dtype: .float64, generator: g)
        var h = x
        for layer in layers {
            let block: () -> Tensor = { [h] in dropout(layer(h).relu(), p: 0.3, generator: g) }
            h = checkpointed ? checkpoint(replaying: [g], block) : block()
        }
        h.pow(2).sum().backward()
        // The generator continues where a plain run leaves it.
        let next = Tensor.rand([3], dtype: .float64, generator: g).scalars(as: Double.self)
        return layers.flatMap { [$0.weight.grad!.scalars(as: Double.self), $0.bias!.grad!.scalars(as: Double.self)] } + [next]
    }

    @Test func checkpointGivesBitIdenticalGradientsWithDropout() {
        let plain = mlpGradients(checkpointed: false)
        let checkpointed = mlpGradients(checkpointed: true)
        #expect(plain == checkpointed)
        #expect(plain.dropLast().contains { $0.contains(0) }, "dropout zeroed some gradients")
    }

    @Test func checkpointKeepsNoIntermediateValues() {
        let x = autogradLeaf([0.5, 1, 1.5])
        weak var intermediate: Tensor?
        let y = checkpoint {
            let h = x.exp()
            intermediate = h
            return h.sin()  // sin saves h: without checkpoint, h stays alive
        }
        #expect(intermediate == nil)
        y.sum().backward()
        expectClose(x.grad!, withNoGrad { x.exp().cos() * x.exp() }.scalars(as: Double.self), rtol: 1e-14)

        weak var kept: Tensor?
        let z: Tensor = {
            let h = x.exp()
            kept = h
            return h.sin()
        }()
        #expect(kept != nil, "the plain run keeps h for sin's backward")
        _ = z
    }

    @Test func recomputedValuesAreFreedByBackward() {
        let x = autogradLeaf([0.5, 1, 1.5])
        weak var latest: Tensor?
        var runs = 0
        let y = checkpoint(replaying: []) {
            runs += 1
            let h = x.exp()
            latest = h
            return h.sin()
        }
        y.sum().backward()
        #expect(runs == 2, "one recomputation")
        #expect(latest == nil, "the recomputed value does not outlive the backward pass")
        expectClose(x.grad!, withNoGrad { x.exp().cos() * x.exp() }.scalars(as: Double.self), rtol: 1e-14)
    }

    @Test func checkpointWithRetainGraphBackpropagatesTwice() {
        let x = autogradLeaf([0.5, 1])
        let y = checkpoint(replaying: []) { (x * x).exp() }.sum()
        y.backward(retainGraph: true)
        let once = x.grad!.cloned()
        y.backward()
        expectClose(x.grad!, (2 * once).scalars(as: Double.self))
    }

    @Test func withoutGradCheckpointJustRuns() {
        let x = autogradLeaf([1, 2])
        let y = withNoGrad { checkpoint { x.exp() } }
        #expect(y.gradFn == nil)
    }

    @Test func aFunctionThatChangesBetweenRunsStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1.0, 2.0], requiresGrad: true)
            var calls = 0
            let y = checkpoint(replaying: []) {
                calls += 1
                return calls == 1 ? x.exp() : x.reshaped(1, 2).exp()
            }
            y.sum().backward()
        }
        expectStandardError(result, contains: "checkpoint: Recomputed values for the following tensors have different metadata than during the forward pass.")
    }
}
