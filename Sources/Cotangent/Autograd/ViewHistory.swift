// A view's history after in-place writes (PyTorch's view + in-place rule).
//
// Every view knows its root base (`viewBase`) and its geometry relative to it
// (its shape, strides and `storageOffset - viewBase.storageOffset`). A write
// into the base or into any view of it bumps the shared storage version; a
// view whose history was set at an older version is stale, and its next
// `gradNode` read replays it from the base's current history as one
// `AsStridedBackward0` node, as PyTorch does on the CPU. The written view and
// the base get their new history at the write itself (`updateViewInPlace`).

extension Tensor {
    /// The node that produced this tensor, or nil for a leaf. For a view whose
    /// storage was written in place since its history was set, a new
    /// `AsStridedBackward0` node from the base's current history.
    ///
    /// A tensor that is not a view pays one load and a nil check; an up-to-date
    /// view one more load and a compare.
    var gradNode: Node? {
        get {
            if let base = viewBase, viewHistoryVersion != storage.version {
                return regeneratedViewNode(base: base)
            }
            return storedGradNode
        }
        set {
            storedGradNode = newValue
            if viewBase != nil { viewHistoryVersion = storage.version }
        }
    }

    /// Replays this stale view from its base's current history (PyTorch's
    /// `VariableHooks::grad_fn`), moving `retainGrad()` to the new node.
    private func regeneratedViewNode(base: Tensor) -> Node? {
        // A view of a base that does not require grad has no history to replay
        // (and stays stale, so a later write that records into the base is seen).
        guard storedGradNode != nil || base.requiresGrad else { return nil }
        refuseAmbiguousRegeneration()
        viewHistoryVersion = storage.version
        guard base.dtype.isFloatingPoint else { return storedGradNode }
        let old = storedGradNode
        let replay = withGrad {
            base.asStrided(shape, strides, offset: storageOffset - base.storageOffset)
        }
        let node = replay.storedGradNode
        if retainsGradFlag, let node {
            // retainGrad() follows the view to its new history, keeping what it has.
            node.retainsGrad = true
            node.retainedGrad = old?.retainedGrad
            old?.retainsGrad = false
        }
        storedGradNode = node
        return node
    }
}

extension Tensor {
    /// Stops where PyTorch refuses to regenerate a view's history: an output
    /// of a multi-output view op (`split`, `chunked`), or a view made with grad
    /// mode off, whose base (or another view of it) was written in place.
    fileprivate func refuseAmbiguousRegeneration() {
        let noGrad = "A view was created in no_grad mode and its base or another view of its base has been modified inplace with grad mode enabled."
        let multiOutput = "This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one."
        if let info = multiOutputView {
            // Made without recording (grad mode off, or a base without grad): PyTorch's no_grad wording.
            guard let node = storedGradNode, !info.madeWithoutGrad else { fail("", "\(noGrad) \(multiOutput)") }
            fail("", "Output \(info.index) of \(operationName(ofNode: node.name)) is a view and its base or another view of its base has been modified inplace. \(multiOutput)")
        }
        if viewMadeWithoutGrad {
            fail("", "\(noGrad) Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).")
        }
    }
}
