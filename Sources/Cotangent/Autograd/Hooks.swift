// Gradient hooks, with PyTorch's semantics and order. For a non-leaf, its
// tensor hooks live on the node that produced it (so a hook registered before
// an in-place change stays with the old value's node, as in PyTorch); for a
// leaf, on the leaf. During backward, for each node, in this order:
//
//   1. tensor hooks (`registerHook`), in registration order, each seeing the
//      previous one's result;
//   2. `retainGrad()` stores the gradient;
//   3. node pre-hooks (`gradFn.registerPrehook`);
//   4. the backward rule;
//   5. node hooks (`gradFn.registerHook`), which see and may replace the
//      gradients of the node's inputs;
//
// and a leaf's hooks run once on the sum of everything it receives, right
// after its last contributor ran, followed by `.grad` accumulation and the
// post-accumulate-grad hooks.

/// A handle to a registered hook; ``remove()`` unregisters it (PyTorch's
/// `RemovableHandle`).
///
/// Dropping the handle keeps the hook registered.
public final class RemovableHandle {
    private var removal: (() -> Void)?

    init(_ removal: @escaping () -> Void) { self.removal = removal }

    /// Unregisters the hook; calling it again does nothing.
    public func remove() {
        removal?()
        removal = nil
    }
}

/// Hooks in registration order, each removable by its handle.
final class HookList<Hook> {
    private(set) var hooks: [(id: Int, hook: Hook)] = []
    private var nextID = 0

    var isEmpty: Bool { hooks.isEmpty }

    func add(_ hook: Hook) -> RemovableHandle {
        let id = nextID
        nextID += 1
        hooks.append((id, hook))
        // Weak: a handle kept by the user must not keep a graph alive.
        return RemovableHandle { [weak self] in self?.hooks.removeAll { $0.id == id } }
    }
}

/// A tensor hook: sees a gradient, returns a replacement or nil to keep it.
typealias TensorHook = (Tensor) -> Tensor?

/// What a few nodes carry besides their rule: hooks, and in anomaly mode the
/// call stack of the forward call that created them. Nil on almost every node.
final class NodeExtras {
    /// Hooks of the tensor this node produced (`registerHook` on a non-leaf).
    let tensorHooks = HookList<TensorHook>()
    /// `registerPrehook`: see and may replace the gradient of the node's output.
    let preHooks = HookList<([Tensor]) -> [Tensor]?>()
    /// `registerHook` on the node: see the gradients of its inputs and outputs.
    let postHooks = HookList<([Tensor?], [Tensor]) -> [Tensor?]?>()
    /// Where the forward call that created the node was made (anomaly mode only).
    var forwardTrace: ForwardTrace?
    /// A custom function's saved tensors in the order they were saved, for
    /// pictures of the graph (torchviz shows them for custom functions).
    var savedForDisplay: (() -> [Tensor])?

    var hasHooks: Bool { !tensorHooks.isEmpty || !preHooks.isEmpty || !postHooks.isEmpty }
}

/// The hooks of a leaf that requires grad.
final class LeafHooks {
    let tensorHooks = HookList<TensorHook>()
    let postAccumulateHooks = HookList<(Tensor) -> Void>()

    var isEmpty: Bool { tensorHooks.isEmpty && postAccumulateHooks.isEmpty }
}

extension Node {
    var extrasOrNew: NodeExtras {
        if let extras { return extras }
        let extras = NodeExtras()
        self.extras = extras
        return extras
    }

    /// Registers a hook that runs after this node computed the gradients of
    /// its inputs (PyTorch's `Node.register_hook`).
    ///
    /// ```swift
    /// y.gradFn!.registerHook { gradInputs, gradOutputs in
    ///     print(gradInputs[0]!)
    ///     return nil
    /// }
    /// ```
    ///
    /// - Parameter hook: Called with the gradients of the node's inputs (nil
    ///   where an input needs none), already summed to each input's shape, and
    ///   the gradient of its output. Returns replacements for the input
    ///   gradients, one per input, or nil to keep them.
    /// - Returns: A handle whose `remove()` unregisters the hook.
    @discardableResult
    public func registerHook(_ hook: @escaping (_ gradInputs: [Tensor?], _ gradOutputs: [Tensor]) -> [Tensor?]?)
        -> RemovableHandle {
        check(name != "AccumulateGrad", "registerHook",
              "hooks on an AccumulateGrad node are not supported; register them on the leaf with registerHook or registerPostAccumulateGradHook")
        return extrasOrNew.postHooks.add(hook)
    }

    /// Registers a hook that runs before this node's backward rule (PyTorch's
    /// `Node.register_prehook`), after the tensor hooks and `retainGrad()` of
    /// the tensor the node produced.
    ///
    /// - Parameter hook: Called with the gradient of the node's output (one
    ///   element); returns a replacement, or nil to keep it.
    /// - Returns: A handle whose `remove()` unregisters the hook.
    @discardableResult
    public func registerPrehook(_ hook: @escaping (_ gradOutputs: [Tensor]) -> [Tensor]?) -> RemovableHandle {
        check(name != "AccumulateGrad", "registerPrehook",
              "hooks on an AccumulateGrad node are not supported; register them on the leaf with registerHook")
        return extrasOrNew.preHooks.add(hook)
    }
}

extension Tensor {
    /// Registers a hook that sees this tensor's gradient during every backward
    /// pass, and may replace it (PyTorch's `Tensor.register_hook`).
    ///
    /// ```swift
    /// let h = hidden.registerHook { grad in grad.clamped(min: -1, max: 1) }
    /// loss.backward()
    /// h.remove()
    /// ```
    ///
    /// Hooks run in registration order, before ``retainGrad()`` stores the
    /// gradient and before the node's pre-hooks. On a leaf, the hook sees the
    /// sum of all gradients arriving in one pass, before it is added to
    /// ``grad``; it also runs for ``grad(of:wrt:gradient:createGraph:allowUnused:)``.
    /// On a non-leaf, the hook belongs to the node that produced the tensor:
    /// after an in-place change, it sees the gradient of the old value.
    ///
    /// - Parameter hook: Called with the gradient; returns a replacement of the
    ///   same shape and dtype, or nil to keep it.
    /// - Returns: A handle whose `remove()` unregisters the hook.
    @discardableResult
    public func registerHook(_ hook: @escaping (_ grad: Tensor) -> Tensor?) -> RemovableHandle {
        check(requiresGrad, "registerHook", "cannot register a hook on a tensor that doesn't require gradient")
        if let node = gradNode { return node.extrasOrNew.tensorHooks.add(hook) }
        return leafHooksOrNew.tensorHooks.add(hook)
    }

    /// Registers a hook that runs after a backward pass added this leaf's
    /// gradient into ``grad`` (PyTorch's `register_post_accumulate_grad_hook`),
    /// for example to step an optimizer or start reducing gradients across
    /// processes while the rest of backward still runs.
    ///
    /// It does not run for ``grad(of:wrt:gradient:createGraph:allowUnused:)``, which leaves ``grad`` alone.
    ///
    /// - Parameter hook: Called with this tensor, whose ``grad`` is up to date.
    /// - Returns: A handle whose `remove()` unregisters the hook.
    @discardableResult
    public func registerPostAccumulateGradHook(_ hook: @escaping (_ tensor: Tensor) -> Void) -> RemovableHandle {
        check(isLeaf, "registerPostAccumulateGradHook", "post accumulate grad hooks cannot be registered on non-leaf tensors")
        check(requiresGrad, "registerPostAccumulateGradHook", "cannot register a hook on a tensor that doesn't require gradient")
        return leafHooksOrNew.postAccumulateHooks.add(hook)
    }

    private var leafHooksOrNew: LeafHooks {
        if let hooks = leafHooks { return hooks }
        let hooks = LeafHooks()
        leafHooks = hooks
        return hooks
    }
}

// MARK: Running hooks (called by the engine)

/// PyTorch's name for a hook in messages; Swift closures have none.
private let hookName = "'<closure>'"

/// Runs tensor hooks in order, each on the previous result, checking that a
/// replacement keeps the gradient's shape and dtype.
func runTensorHooks(_ hooks: HookList<TensorHook>, on grad: Tensor) -> Tensor {
    var g = grad
    for (_, hook) in hooks.hooks {
        guard let replacement = hook(g) else { continue }
        checkHookResult(replacement, replacing: g)
        g = replacement
    }
    return g
}

private func checkHookResult(_ result: Tensor, replacing original: Tensor) {
    check(result.dtype == original.dtype, "backward",
          "hook \(hookName) has changed the type of value (was \(original.dtype.legacyTypeName) got \(result.dtype.legacyTypeName))")
    check(result.shape == original.shape, "backward", "hook \(hookName) has changed the size of value")
}

/// Runs a node's pre-hooks on the gradient of its output.
func runPreHooks(_ hooks: HookList<([Tensor]) -> [Tensor]?>, on grad: Tensor) -> Tensor {
    var g = grad
    for (_, hook) in hooks.hooks {
        guard let replacement = hook([g]) else { continue }
        check(replacement.count == 1, "backward",
              "hook \(hookName) has returned an incorrect number of values (got \(replacement.count), but expected 1)")
        checkHookResult(replacement[0], replacing: g)
        g = replacement[0]
    }
    return g
}

/// Runs a node's post-hooks on the gradients of its inputs.
func runPostHooks(_ hooks: HookList<([Tensor?], [Tensor]) -> [Tensor?]?>, gradInputs: [Tensor?],
                  gradOutput: Tensor) -> [Tensor?] {
    var grads = gradInputs
    for (_, hook) in hooks.hooks {
        guard let replacement = hook(grads, [gradOutput]) else { continue }
        check(replacement.count == grads.count, "backward",
              "hook \(hookName) has returned an incorrect number of values (got \(replacement.count), but expected \(grads.count))")
        for (old, new) in zip(grads, replacement) {
            switch (old, new) {
            case (nil, .some): fail("backward", "can't replace a nil gradient with a non-nil value")
            case (let old?, let new?): checkHookResult(new, replacing: old)
            default: break
            }
        }
        grads = replacement
    }
    return grads
}
