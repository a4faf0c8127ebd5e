// Activation checkpointing (PyTorch's non-reentrant
// `torch.utils.checkpoint.checkpoint(fn, use_reentrant=False)`), built on
// saved-tensor hooks: during the forward pass every tensor the function's
// operations save is replaced by a small placeholder, so the intermediate
// values are freed as soon as the forward pass no longer needs them. The first
// time backward asks for one, the function runs again with the random
// generator's state replayed, and the values it saves fill the placeholders in
// the same order.

/// Runs `function` without keeping the values its operations save for
/// backward, and recomputes them when backward needs them (PyTorch's
/// non-reentrant `torch.utils.checkpoint.checkpoint`).
///
/// This trades compute for memory: the forward pass keeps only what the
/// function captures (its inputs) and its result; backward runs the function
/// once more. The default generator's state is replayed for the second run, so
/// dropout masks agree and the gradients are bit-identical to a plain run.
///
/// ```swift
/// var h = x
/// for block in blocks { h = checkpoint { block(h) } }
/// h.sum().backward()
/// ```
///
/// - Parameters:
///   - generators: The generators whose state is replayed for the
///     recomputation (PyTorch's `preserve_rng_state`): by default the default
///     generator, which ``dropout(_:p:training:generator:)`` uses unless told
///     otherwise; pass `[]` for a function that draws no random numbers.
///   - function: The computation to checkpoint. It must perform the same
///     operations when run again.
/// - Returns: What `function` returns.
public func checkpoint(replaying generators: [Generator] = [.default], _ function: @escaping () -> Tensor) -> Tensor {
    guard GradMode.isEnabled else { return function() }
    let frame = CheckpointFrame(function: function, generators: generators)
    return withSavedTensorHooks(pack: { frame.placeholder(for: $0) }, unpack: { frame.value(for: $0) }) {
        function()
    }
}

/// One checkpointed call: its function, its generator state, and, once
/// backward recomputed it, the values its operations saved.
private final class CheckpointFrame {
    let function: () -> Tensor
    let generators: [Generator]
    /// Each generator's state when the forward pass began.
    let rngStates: [GeneratorState]
    /// Shape and dtype of each value saved in the first run, in order.
    private var saved: [(shape: [Int], dtype: DType)] = []
    /// The values saved in the recomputation; each is dropped when its placeholder is.
    var recomputed: [Tensor?]?

    init(function: @escaping () -> Tensor, generators: [Generator]) {
        self.function = function
        self.generators = generators
        rngStates = generators.map { $0.state() }
    }

    func placeholder(for t: Tensor) -> Placeholder {
        saved.append((t.shape, t.dtype))
        return Placeholder(frame: self, index: saved.count - 1)
    }

    func value(for placeholder: Placeholder) -> Tensor {
        if recomputed == nil { recompute() }
        guard let t = recomputed?[placeholder.index] else {
            fail("backward", "checkpoint: the value saved at position \(placeholder.index) was already used and freed; call backward with retainGraph: true to backpropagate through a checkpoint twice")
        }
        return t
    }

    private func recompute() {
        var values: [Tensor] = []
        // Replay the forward pass's random numbers, then put the generators back.
        let outer = generators.map { $0.state() }
        for (g, state) in zip(generators, rngStates) { g.setState(state) }
        // Recording must be on for the operations to save anything.
        withGrad {
            withSavedTensorHooks(pack: { (t: Tensor) -> Int in
                // Without its history: the value is reconnected to the original
                // graph when unpacked, and a recomputed node that kept it (through
                // this closure) would form a cycle.
                values.append(t.aliasWithoutHistory())
                return values.count - 1
            }, unpack: { (_: Int) -> Tensor in
                fail("backward", "checkpoint: a value saved during recomputation was unpacked")
            }) {
                _ = function()
            }
        }
        for (g, state) in zip(generators, outer) { g.setState(state) }
        check(values.count >= saved.count, "backward",
              "checkpoint: the recomputation saved \(values.count) tensors, but the forward pass saved \(saved.count); the checkpointed function must perform the same operations when run again")
        for (i, (shape, dtype)) in saved.enumerated() where values[i].shape != shape || values[i].dtype != dtype {
            fail("backward", "checkpoint: Recomputed values for the following tensors have different metadata than during the forward pass.\ntensor at position \(i):\nsaved metadata: shape \(shapeText(shape)), dtype \(dtype)\nrecomputed metadata: shape \(shapeText(values[i].shape)), dtype \(values[i].dtype)")
        }
        recomputed = Array(values.prefix(saved.count))
        values = []
    }
}

/// What the forward pass keeps in place of a saved tensor; when the node
/// holding it is freed, so is the recomputed value.
private final class Placeholder {
    let frame: CheckpointFrame
    let index: Int

    init(frame: CheckpointFrame, index: Int) {
        self.frame = frame
        self.index = index
    }

    deinit { frame.recomputed?[index] = nil }
}
