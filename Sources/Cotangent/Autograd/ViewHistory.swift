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
