// Custom differentiable functions (PyTorch's `torch.autograd.Function`): a
// type with a static forward and backward, applied as `MyFunction.apply(x)`.
// `apply` runs forward without recording, then records one node named
// `<TypeName>Backward` whose rule calls the type's backward. Saved tensors go
// through the same `SavedValues` as built-in rules, so they are version-checked
// and freed with the graph, and a saved output is reconnected to the node when
// the backward is differentiated again.

/// A differentiable function defined by its forward and backward passes
/// (PyTorch's `torch.autograd.Function`).
///
/// ```swift
/// enum Cube: CustomFunction {
///     static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor] {
///         ctx.saveForBackward(inputs[0])
///         return [inputs[0].pow(3)]
///     }
///     static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?] {
///         let x = ctx.savedTensors[0]
///         return [gradOutputs[0]! * 3 * x * x]
///     }
/// }
/// let y = Cube.apply(x)          // y.gradFn!.name == "CubeBackward"
/// ```
///
/// `forward` runs without recording; `backward` is written in tensor ops, so
/// with `createGraph: true` it is recorded and can be differentiated again
/// (unless ``isOnceDifferentiable`` is set). A function has one output.
public protocol CustomFunction {
    /// Computes the output from the inputs, saving what backward needs on `ctx`.
    ///
    /// - Parameters:
    ///   - ctx: The context shared with ``backward(_:_:)``.
    ///   - inputs: The tensors passed to `apply`.
    /// - Returns: The output, as a one-element array.
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> [Tensor]

    /// Computes the gradients of the inputs from the gradient of the output.
    ///
    /// - Parameters:
    ///   - ctx: The context ``forward(_:_:)`` filled.
    ///   - gradOutputs: The gradient of each output: never nil while
    ///     ``FunctionContext/setMaterializeGrads(_:)`` is on (the default);
    ///     zeros for a non-differentiable output.
    /// - Returns: One gradient per input, nil for an input that needs none
    ///   (see ``FunctionContext/needsInputGrad``). A gradient may have the
    ///   input's shape or one it broadcasts to.
    static func backward(_ ctx: FunctionContext, _ gradOutputs: [Tensor?]) -> [Tensor?]

    /// Whether backward may be differentiated only once (PyTorch's
    /// `@once_differentiable`): backward then runs without recording, and
    /// differentiating its results again stops with PyTorch's message.
    /// Defaults to `false`.
    static var isOnceDifferentiable: Bool { get }
}

extension CustomFunction {
    public static var isOnceDifferentiable: Bool { false }

    /// Runs the function on `inputs`, recording it for autograd when one of
    /// them requires grad.
    ///
    /// - Parameter inputs: The tensors handed to ``forward(_:_:)``.
    /// - Returns: The output of ``forward(_:_:)``, with a `gradFn` named `<TypeName>Backward`.
    public static func apply(_ inputs: Tensor...) -> Tensor { apply(inputs) }

    /// Runs the function on an array of inputs; see the variadic `apply`.
    public static func apply(_ inputs: [Tensor]) -> Tensor {
        let name = "\(String(describing: Self.self))Backward"
        let ctx = FunctionContext(inputs: inputs)
        let outputs = withNoGrad { forward(ctx, inputs) }
        check(outputs.count == 1, "apply", "\(name): forward returned \(outputs.count) outputs; a CustomFunction has exactly one output")
        var output = outputs[0]
        let isDirty = ctx.dirty.contains { $0 === output }
        check(ctx.dirty.allSatisfy { $0 === output }, "apply",
              "Some elements marked as dirty during the forward method were not returned as output. The inputs that are modified inplace must all be outputs of the Function.")
        if isDirty {
            check(!(output.isLeaf && output.leafRequiresGrad && GradMode.isEnabled), "apply",
                  "a leaf Variable that requires grad has been used in an in-place operation.")
        } else if inputs.contains(where: { $0 === output }) {
            // An input returned as it is: the output is a new tensor sharing its
            // storage (PyTorch returns a view), so the input keeps its own history.
            output = output.aliasWithoutHistory()
        }
        let differentiable = !ctx.nonDifferentiable.contains { $0 === output }
        guard differentiable, ctx.needsInputGrad.contains(true) else {
            if isDirty, GradMode.isEnabled, ctx.needsInputGrad.contains(true) {
                // A non-differentiable in-place output loses its history.
                output.gradNode = nil
            }
            return output
        }
        // Saved tensors: the output is saved without its history (no cycle);
        // the rest as they are.
        var savedInputs: [Tensor] = []
        var slots: [FunctionContext.SavedSlot] = []
        for t in ctx.toSave {
            if t === output {
                slots.append(.output)
            } else {
                slots.append(.value(savedInputs.count))
                savedInputs.append(t)
            }
        }
        ctx.slots = slots
        ctx.toSave = []
        let inputShapes = inputs.map(\.shape)
        let needs = ctx.needsInputGrad
        let onceOnly = isOnceDifferentiable
        let result = Tensor.record(name, inputs: inputs, result: output, saving: savedInputs,
                             savingResult: slots.contains(.output)) { grad, saved in
            // The saved values are readable only while the rule runs (they live in the node).
            ctx.saved = saved
            defer { ctx.saved = nil }
            let gradOutputs: [Tensor?] = [grad]
            var grads: [Tensor?]
            if onceOnly && GradMode.isEnabled {
                grads = withNoGrad { backward(ctx, gradOutputs) }
                // PyTorch's DelayedError: the results carry a node that stops
                // a second differentiation.
                if grad.requiresGrad { grads = grads.map { $0.map(delayedError) } }
            } else {
                grads = backward(ctx, gradOutputs)
            }
            check(grads.count == inputShapes.count, "backward",
                  "function \(name) returned an incorrect number of gradients (expected \(inputShapes.count), got \(grads.count))")
            for (i, g) in grads.enumerated() {
                guard let g else { continue }
                if !needs[i] { grads[i] = nil; continue }
                check(isExpandable(inputShapes[i], to: g.shape), "backward",
                      "Function \(name) returned an invalid gradient at index \(i) - got \(shapeText(g.shape)) but expected shape compatible with \(shapeText(inputShapes[i]))")
            }
            return InputGradients(grads)
        }
        if let node = result.gradNode, node.savesValues {
            // Unowned: the closure lives in the node's extras.
            let saved = SavedValues(node: node)
            let order = slots
            result.gradNode?.extrasOrNew.savedForDisplay = {
                order.compactMap { slot in
                    switch slot {
                    case .value(let i): saved.rawValue(i)
                    case .output: saved.rawResult
                    }
                }
            }
        }
        return result
    }
}

/// Whether `shape` broadcasts to `target` (a gradient of `target`'s shape can be summed back to it).
private func isExpandable(_ shape: [Int], to target: [Int]) -> Bool {
    guard shape.count <= target.count else { return false }
    let lead = target.count - shape.count
    return shape.indices.allSatisfy { shape[$0] == target[lead + $0] || shape[$0] == 1 }
}

/// A gradient that stops the program if it is differentiated (for once-differentiable functions).
private func delayedError(_ g: Tensor) -> Tensor {
    let stand = g.detached()
    stand.requiresGrad = true
    return Tensor.record("Error", inputs: [stand], result: g.aliasWithoutHistory()) { _, _ in
        fail("backward", "trying to differentiate twice a function that was marked with @once_differentiable")
    }
}

/// What a ``CustomFunction``'s forward pass hands to its backward pass
/// (PyTorch's `ctx`).
///
/// Store any non-tensor value the backward needs in ``values``; store tensors
/// with `saveForBackward(_:)` so they are checked for in-place
/// changes and freed with the graph.
public final class FunctionContext {
    enum SavedSlot: Equatable {
        case value(Int)
        case output
    }

    /// For each input, whether backward must compute its gradient (PyTorch's
    /// `ctx.needs_input_grad`): it requires grad and recording is on.
    public let needsInputGrad: [Bool]
    /// Values of any kind the forward pass keeps for the backward pass, by name.
    public var values: [String: Any] = [:]

    var toSave: [Tensor] = []
    var slots: [SavedSlot] = []
    var saved: SavedValues?
    var dirty: [Tensor] = []
    var nonDifferentiable: [Tensor] = []
    /// Whether a missing output gradient is passed to backward as zeros (the default) or nil.
    public private(set) var materializesGrads = true

    init(inputs: [Tensor]) {
        let recording = GradMode.isEnabled
        needsInputGrad = inputs.map { recording && $0.requiresGrad }
    }

    /// Saves tensors for the backward pass (PyTorch's `ctx.save_for_backward`).
    ///
    /// Save inputs and outputs this way rather than capturing them: reading
    /// them in backward stops with PyTorch's message if they were changed in
    /// place since the forward pass, or after the graph was freed.
    ///
    /// - Parameter tensors: Inputs, the output, or intermediate values.
    public func saveForBackward(_ tensors: Tensor...) { saveForBackward(tensors) }

    /// Saves an array of tensors for the backward pass.
    public func saveForBackward(_ tensors: [Tensor]) { toSave = tensors }

    /// The tensors passed to `saveForBackward(_:)`, in order,
    /// checked for in-place changes (PyTorch's `ctx.saved_tensors`). Only
    /// readable during backward.
    public var savedTensors: [Tensor] {
        guard let saved else { return toSave }
        return slots.map { slot in
            switch slot {
            case .value(let i): saved[i]
            case .output: saved.result
            }
        }
    }

    /// Marks inputs that forward modified in place and returns (PyTorch's
    /// `ctx.mark_dirty`): the tensor's history then continues from this function.
    public func markDirty(_ tensors: Tensor...) { dirty += tensors }

    /// Marks outputs that are not differentiable (PyTorch's
    /// `ctx.mark_non_differentiable`): they do not require grad.
    public func markNonDifferentiable(_ tensors: Tensor...) { nonDifferentiable += tensors }

    /// Chooses whether output gradients that did not arrive are passed to
    /// backward as zeros (`true`, the default) or as nil (PyTorch's
    /// `ctx.set_materialize_grads`).
    ///
    /// A function has one output, and its backward runs only when that
    /// output's gradient arrived, so today the choice shows only in
    /// ``materializesGrads``; it takes effect once functions may have several outputs.
    public func setMaterializeGrads(_ value: Bool) { materializesGrads = value }
}
