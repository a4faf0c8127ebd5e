import Synchronization

// Module hooks (PyTorch's `register_forward_pre_hook`, `register_forward_hook`,
// `register_full_backward_pre_hook`, `register_full_backward_hook`). Calling a
// module (`model(x)`) runs, as PyTorch's `Module.__call__` does:
//
//   1. forward pre-hooks, which may replace the input;
//   2. with backward hooks, the input passes through an identity node
//      (`BackwardHookFunctionBackward`) whose backward runs the full backward
//      hooks on the gradient of the input;
//   3. `forward`;
//   4. forward hooks, which may replace the output;
//   5. with backward hooks, the output passes through an identity node whose
//      backward runs the backward pre-hooks on the gradient of the output.
//
// Hooks live in a registry keyed by module identity (a protocol cannot add
// stored properties to its conforming classes); a module without hooks pays one
// atomic load per call.

/// The hooks of one module.
///
/// Unchecked `Sendable`: like the module and its tensors, a module's hooks are
/// used from one task at a time; the registry's lock only guards the table.
final class ModuleHookSet: @unchecked Sendable {
    weak var module: AnyObject?
    let forwardPre = HookList<(any Module, Tensor) -> Tensor?>()
    let forward = HookList<(any Module, Tensor, Tensor) -> Tensor?>()
    let backwardPre = HookList<(any Module, Tensor) -> Tensor?>()
    let backward = HookList<(any Module, Tensor?, Tensor) -> Tensor?>()

    init(module: AnyObject) { self.module = module }

    var isEmpty: Bool { forwardPre.isEmpty && forward.isEmpty && backwardPre.isEmpty && backward.isEmpty }
}

/// The hook sets of every module that has registered one.
private enum ModuleHookRegistry {
    /// Whether any module ever registered a hook (checked before the lookup).
    static let anyRegistered = Atomic<Bool>(false)
    static let sets = Mutex<[ObjectIdentifier: ModuleHookSet]>([:])

    static func set(for module: AnyObject, creating: Bool) -> ModuleHookSet? {
        let key = ObjectIdentifier(module)
        let existing = sets.withLock { $0[key] }
        if let existing, existing.module === module { return existing }
        guard creating else { return nil }
        let set = ModuleHookSet(module: module)
        sets.withLock { sets in
            // Drop the sets of modules that no longer exist.
            sets = sets.filter { $0.value.module != nil }
            sets[key] = set
        }
        anyRegistered.store(true, ordering: .relaxed)
        return set
    }
}

/// What the two identity nodes of one call share: the gradient of the output,
/// kept for the full backward hooks.
private final class BackwardHookState {
    var gradOutput: Tensor?
}

extension Module {
    private var hookSet: ModuleHookSet { ModuleHookRegistry.set(for: self, creating: true)! }

    /// Registers a hook that runs before ``forward(_:)`` each time the module
    /// is called (PyTorch's `register_forward_pre_hook`).
    ///
    /// - Parameter hook: Called with the module and its input; returns a
    ///   replacement input, or nil to keep it.
    /// - Returns: A handle whose `remove()` unregisters the hook.
    @discardableResult
    public func registerForwardPreHook(_ hook: @escaping (_ module: any Module, _ input: Tensor) -> Tensor?)
        -> RemovableHandle {
        hookSet.forwardPre.add(hook)
    }

    /// Registers a hook that runs after ``forward(_:)`` each time the module is
    /// called (PyTorch's `register_forward_hook`).
    ///
    /// - Parameter hook: Called with the module, its input (after the
    ///   pre-hooks) and its output; returns a replacement output, or nil to keep it.
    /// - Returns: A handle whose `remove()` unregisters the hook.
    @discardableResult
    public func registerForwardHook(_ hook: @escaping (_ module: any Module, _ input: Tensor, _ output: Tensor) -> Tensor?)
        -> RemovableHandle {
        hookSet.forward.add(hook)
    }

    /// Registers a hook that sees the gradient of the module's output during
    /// backward, before the gradient of its input is computed (PyTorch's
    /// `register_full_backward_pre_hook`).
    ///
    /// It applies to calls made after it was registered.
    ///
    /// - Parameter hook: Called with the module and the gradient of its output
    ///   (after any forward hook replaced it); returns a replacement, or nil to keep it.
    /// - Returns: A handle whose `remove()` unregisters the hook.
    @discardableResult
    public func registerFullBackwardPreHook(_ hook: @escaping (_ module: any Module, _ gradOutput: Tensor) -> Tensor?)
        -> RemovableHandle {
        hookSet.backwardPre.add(hook)
    }

    /// Registers a hook that sees the gradients of the module's input and
    /// output once backward has computed the input's (PyTorch's
    /// `register_full_backward_hook`).
    ///
    /// It applies to calls made after it was registered. When the input does
    /// not require grad, the hook runs as soon as the output's gradient is
    /// known, with a nil input gradient, and must return nil.
    ///
    /// - Parameter hook: Called with the module, the gradient of its input (nil
    ///   when the input needs none) and of its output; returns a replacement
    ///   input gradient, or nil to keep it.
    /// - Returns: A handle whose `remove()` unregisters the hook.
    @discardableResult
    public func registerFullBackwardHook(
        _ hook: @escaping (_ module: any Module, _ gradInput: Tensor?, _ gradOutput: Tensor) -> Tensor?
    ) -> RemovableHandle {
        hookSet.backward.add(hook)
    }

    /// ``forward(_:)`` with the module's hooks around it.
    func callWithHooks(_ input: Tensor) -> Tensor {
        guard ModuleHookRegistry.anyRegistered.load(ordering: .relaxed),
              let hooks = ModuleHookRegistry.set(for: self, creating: false), !hooks.isEmpty else {
            return forward(input)
        }
        var x = input
        for (_, hook) in hooks.forwardPre.hooks {
            if let replacement = hook(self, x) { x = replacement }
        }
        // The backward hooks registered at the time of the call, as in PyTorch.
        let backwardList = hooks.backward.hooks.map(\.hook), backwardPreList = hooks.backwardPre.hooks.map(\.hook)
        let backwardHooks = GradMode.isEnabled && !(backwardList.isEmpty && backwardPreList.isEmpty)
        let state = BackwardHookState()
        let inputNeedsGrad = x.requiresGrad
        if backwardHooks && inputNeedsGrad {
            let module: any Module = self
            x = Tensor.record("BackwardHookFunctionBackward", inputs: [x], result: x.aliasWithoutHistory()) { g, _ in
                var gradInput = g
                for hook in backwardList {
                    if let replacement = hook(module, gradInput, state.gradOutput ?? g) {
                        check(replacement.shape == gradInput.shape, "backward",
                              "hook '<closure>' has changed the size of value")
                        gradInput = replacement
                    }
                }
                return [gradInput]
            }
        }
        var output = forward(x)
        for (_, hook) in hooks.forward.hooks {
            if let replacement = hook(self, x, output) { output = replacement }
        }
        if backwardHooks && output.requiresGrad {
            let module: any Module = self
            output = Tensor.record("BackwardHookFunctionBackward", inputs: [output],
                                   result: output.aliasWithoutHistory()) { g, _ in
                var gradOutput = g
                for hook in backwardPreList {
                    if let replacement = hook(module, gradOutput) {
                        check(replacement.shape == gradOutput.shape, "backward",
                              "hook '<closure>' has changed the size of value")
                        gradOutput = replacement
                    }
                }
                state.gradOutput = gradOutput
                if !inputNeedsGrad {
                    for hook in backwardList {
                        check(hook(module, nil, gradOutput) == nil, "backward",
                              "Backward hook for Modules where no input requires gradient should always return None or None for all gradients.")
                    }
                }
                return [gradOutput]
            }
        }
        return output
    }
}
