extension Tensor {
    /// Whether gradients are computed for this tensor.
    ///
    /// Set it on leaves (tensors you created) to start recording; results of
    /// operations on such tensors require grad automatically. Only floating-point
    /// tensors can require gradients.
    public var requiresGrad: Bool {
        get { leafRequiresGrad || gradNode != nil }
        set {
            if gradNode != nil {
                // PyTorch's setter refuses both values on a non-leaf, with a hint only when turning it off.
                check(newValue, "requiresGrad", "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use detached().")
                fail("requiresGrad", "you can only change requires_grad flags of leaf variables.")
            }
            check(!newValue || dtype.isFloatingPoint, "requiresGrad",
                  "only Tensors of floating point dtype can require gradients (got \(dtype))")
            leafRequiresGrad = newValue
        }
    }

    /// Whether this tensor is a leaf of the graph: created by the user rather
    /// than by an operation on tensors that require grad.
    public var isLeaf: Bool { gradNode == nil }

    /// The node that created this tensor, or nil for a leaf (PyTorch's `grad_fn`).
    public var gradFn: Node? { gradNode }

    /// The gradient accumulated by backward passes: nil until a backward reaches
    /// this leaf, then summed over passes until you call `grad!.zero()` or set it to nil.
    /// Non-leaves keep a gradient only after ``retainGrad()``.
    public var grad: Tensor? {
        get { retainsGradFlag ? gradNode?.retainedGrad : gradStorage }
        set {
            if let g = newValue {
                check(g.shape == shape, "grad", "attempting to assign a gradient of size '\(shapeText(g.shape))' to a tensor of size '\(shapeText(shape))'. Please ensure that the gradient and the tensor are the same size")
                check(g.dtype == dtype, "grad", "attempting to assign a gradient with dtype '\(g.dtype.cTypeName)' to a tensor with grad_dtype '\(dtype.scalarTypeName)'. The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype).")
            }
            if retainsGradFlag, let node = gradNode { node.retainedGrad = newValue } else { gradStorage = newValue }
        }
    }

    /// Keeps this non-leaf's gradient in ``grad`` during backward passes.
    public func retainGrad() {
        check(requiresGrad, "retainGrad", "can't retain_grad on Tensor that has requires_grad=False")
        if let node = gradNode {
            retainsGradFlag = true
            node.retainsGrad = true
        }
    }

    /// Whether ``retainGrad()`` was called (leaves that require grad always keep theirs).
    public var retainsGrad: Bool { retainsGradFlag }

    /// A tensor that shares this one's storage but is cut from the graph: it is
    /// a leaf that does not require grad (PyTorch's `detach()`).
    ///
    /// Writing to either is seen by both. As in PyTorch, the result is not an
    /// autograd view of this tensor, so it may be changed in place even when
    /// this is a leaf that requires grad (`p.detached() -= lr * g`).
    public func detached() -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: storageOffset, dtype: dtype)
    }

    /// Computes the gradient of this tensor with respect to the graph's leaves
    /// and adds it into their ``grad``.
    ///
    /// The values saved for backward are freed afterwards unless `createGraph`
    /// is set; see ``backward(gradient:retainGraph:createGraph:inputs:)`` to choose.
    ///
    /// - Parameters:
    ///   - gradient: The gradient of some final result with respect to this
    ///     tensor; it may be omitted only when this tensor holds one element.
    ///   - createGraph: Records the backward pass itself, so the gradients
    ///     have a `gradFn` and can be differentiated again.
    ///   - inputs: When given, only these tensors get gradients: leaves in
    ///     ``grad``, non-leaves too (they are made to ``retainGrad()``, as in
    ///     PyTorch); every other leaf's ``grad`` is left alone.
    public func backward(gradient: Tensor? = nil, createGraph: Bool = false, inputs: [Tensor]? = nil) {
        backward(gradient: gradient, retainGraph: createGraph, createGraph: createGraph, inputs: inputs)
    }

    /// Computes the gradient of this tensor with respect to the graph's leaves
    /// and adds it into their ``grad``, choosing whether the graph is kept.
    ///
    /// - Parameters:
    ///   - gradient: The gradient of some final result with respect to this
    ///     tensor; it may be omitted only when this tensor holds one element.
    ///   - retainGraph: Keeps the values saved for backward, so you can call
    ///     backward through this graph again (without it, the default is `createGraph`).
    ///   - createGraph: Records the backward pass itself, so the gradients
    ///     have a `gradFn` and can be differentiated again.
    ///   - inputs: When given, only these tensors get gradients (see
    ///     ``backward(gradient:createGraph:inputs:)``).
    public func backward(gradient: Tensor? = nil, retainGraph: Bool, createGraph: Bool = false, inputs: [Tensor]? = nil) {
        let seed = rootGradient(gradient, op: "backward")
        if let inputs {
            check(!inputs.isEmpty, "backward", "`inputs` argument to `backward()` cannot be empty.")
            for input in inputs {
                check(input.requiresGrad, "backward", "can't retain_grad on Tensor that has requires_grad=False")
                if !input.isLeaf { input.retainGrad() }
            }
        }
        _ = Engine.run(roots: [self], grads: [seed], targets: inputs, accumulate: true,
                       retainGraph: retainGraph, createGraph: createGraph)
    }

    func rootGradient(_ gradient: Tensor?, op: String) -> Tensor {
        check(requiresGrad, op, "element 0 of tensors does not require grad and does not have a grad_fn")
        guard let gradient else {
            check(count == 1, op, "grad can be implicitly created only for scalar outputs")
            return Tensor.ones(like: self)
        }
        check(gradient.shape == shape, op, "Mismatch in shape: grad_output[0] has a shape of \(shapeText(gradient.shape)) and output[0] has a shape of \(shapeText(shape)).")
        return gradient
    }
}

/// Computes and returns the gradients of `output` with respect to `inputs`,
/// without touching any ``Tensor/grad`` (PyTorch's `torch.autograd.grad`).
///
/// The values saved for backward are freed afterwards unless `createGraph` is
/// set; see ``grad(of:wrt:gradient:retainGraph:createGraph:allowUnused:)`` to choose.
///
/// ```swift
/// let x = Tensor([1.0, 2.0], requiresGrad: true)
/// let g = grad(of: x.pow(3).sum(), wrt: [x], createGraph: true)[0]   // 3x²
/// let h = grad(of: g.sum(), wrt: [x])[0]                              // 6x
/// ```
///
/// - Parameters:
///   - output: The tensor to differentiate.
///   - inputs: The tensors to differentiate with respect to.
///   - gradient: The gradient with respect to `output`; required unless it has one element.
///   - createGraph: Records the computation, so the results can be differentiated again.
///   - allowUnused: Returns zeros for inputs the output does not depend on
///     (PyTorch's `materialize_grads=True`), instead of stopping.
/// - Returns: One gradient per input, shaped like it.
public func grad(of output: Tensor, wrt inputs: [Tensor], gradient: Tensor? = nil,
                 createGraph: Bool = false, allowUnused: Bool = false) -> [Tensor] {
    grad(of: output, wrt: inputs, gradient: gradient, retainGraph: createGraph, createGraph: createGraph,
         allowUnused: allowUnused)
}

/// Computes and returns the gradients of `output` with respect to `inputs`,
/// choosing whether the graph is kept for another pass.
///
/// - Parameters:
///   - output: The tensor to differentiate.
///   - inputs: The tensors to differentiate with respect to.
///   - gradient: The gradient with respect to `output`; required unless it has one element.
///   - retainGraph: Keeps saved values for another backward pass (without it, the default is `createGraph`).
///   - createGraph: Records the computation, so the results can be differentiated again.
///   - allowUnused: Returns zeros for inputs the output does not depend on, instead of stopping.
/// - Returns: One gradient per input, shaped like it.
public func grad(of output: Tensor, wrt inputs: [Tensor], gradient: Tensor? = nil, retainGraph: Bool,
                 createGraph: Bool = false, allowUnused: Bool = false) -> [Tensor] {
    for input in inputs {
        check(input.requiresGrad, "grad", "One of the differentiated Tensors does not require grad")
    }
    let seed = output.rootGradient(gradient, op: "grad")
    let captured = Engine.run(roots: [output], grads: [seed], targets: inputs, accumulate: false,
                              retainGraph: retainGraph, createGraph: createGraph)
    return zip(inputs, captured).enumerated().map { i, pair in
        if let g = pair.1 { return g }
        check(allowUnused, "grad", "The differentiated Tensor at index \(i) appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.")
        return Tensor.zeros(like: pair.0)
    }
}

// MARK: Recording primitives

extension Tensor {
    /// Makes `result` the output of a differentiable primitive when recording is
    /// on and some input requires grad; otherwise returns it untouched.
    ///
    /// - Parameters:
    ///   - name: PyTorch's node name, e.g. `MulBackward0`.
    ///   - inputs: The primitive's differentiable inputs, in the order `rule` returns gradients.
    ///   - saving: Tensors the rule reads as `saved[i]`, checked for in-place changes.
    ///   - savingResult: Whether the rule reads `saved.result`.
    ///   - parameters: Kernel parameters the rule reads as `saved.parameters`.
    ///   - rule: The backward rule, written in tensor ops.
    /// Whether ``record(_:inputs:result:saving:savingResult:parameters:rule:)``
    /// would record an op of these inputs, so the hottest ops can skip building
    /// their arrays of inputs and saved values when it would not (a backward
    /// pass runs its rules with recording off).
    @inline(__always)
    static func isRecording(_ result: Tensor, _ a: Tensor, _ b: Tensor? = nil) -> Bool {
        // Grad mode first: reading `requiresGrad` may bring a view's history up to date.
        result.dtype.isFloatingPoint && GradMode.isEnabled
            && (a.requiresGradWhenRecording || b?.requiresGradWhenRecording == true)
    }

    /// ``requiresGrad`` for the recording path: a tensor that is no view is
    /// answered from its stored fields, without taking a reference to its node.
    @inline(__always)
    var requiresGradWhenRecording: Bool {
        if leafRequiresGrad { return true }
        return viewBase == nil ? storedGradNode != nil : gradNode != nil
    }

    @discardableResult
    static func record(_ name: String, inputs: [Tensor], result: Tensor, saving: [Tensor] = [],
                       savingResult: Bool = false, parameters: KernelParameters = .none,
                       rule: @escaping BackwardRule) -> Tensor {
        guard result.dtype.isFloatingPoint, GradMode.isEnabled else { return result }
        // An op may compute its result as a view under withNoGrad and record it here:
        // to the user that view was made with grad mode on.
        if result.viewMadeWithoutGrad { result.viewMadeWithoutGrad = false }
        // The edges first: when no input needs a gradient, no array of inputs is made.
        var mask: UInt64 = 0
        for (i, input) in inputs.enumerated() where input.requiresGradWhenRecording { mask |= 1 << UInt64(Swift.min(i, 63)) }
        guard mask != 0 else { return result }
        let node = Node(name: name, inputs: inputs, mask: mask, saving: saving, result: savingResult ? result : nil,
                        parameters: parameters, rule: rule)
        // Anomaly mode: remember the forward call (one relaxed atomic load when off).
        if AnomalyMode.isEnabled { node.extrasOrNew.forwardTrace = ForwardTrace.capture() }
        result.gradNode = node
        return result
    }
}
