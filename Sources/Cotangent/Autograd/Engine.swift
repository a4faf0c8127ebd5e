import Synchronization

/// Runs backward passes over the graph that `Node`s form.
///
/// The whole algorithm: collect the nodes reachable from the roots, visit them
/// in decreasing creation order (a node is always created after the nodes of
/// its inputs, so this is a topological order), sum the gradients arriving at
/// each, call its rule, undo broadcasting and type promotion for each input,
/// and pass the results on: to the next node, or into a leaf's `.grad`.
///
/// Around the rule run the hooks, in PyTorch's order (see `Hooks.swift`):
/// tensor hooks, `retainGrad`, node pre-hooks, the rule, node post-hooks; a
/// leaf with hooks is handed its summed gradient once its last contributor
/// ran. In anomaly mode each rule runs with its node on record, so an error
/// names it, and its results are checked for NaN.
enum Engine {
    private static let passCounter = Atomic<Int>(0)

    /// Backpropagates `grads` from `roots`.
    ///
    /// - Parameters:
    ///   - targets: nil to reach every leaf; otherwise only these tensors get gradients.
    ///   - accumulate: Whether gradients go into `.grad` (`backward`) or are
    ///     returned, one per target (`grad(of:wrt:)`).
    /// - Returns: With `accumulate == false`, the gradient of each target (nil where none arrived).
    static func run(roots: [Tensor], grads: [Tensor], targets: [Tensor]?, accumulate: Bool,
                    retainGraph: Bool, createGraph: Bool) -> [Tensor?] {
        let pass = BackwardPass(roots: roots, targets: targets, accumulate: accumulate, retainGraph: retainGraph,
                                createGraph: createGraph, mark: passCounter.add(1, ordering: .relaxed).newValue)
        // Record the backward pass itself only for createGraph.
        if GradMode.isEnabled == createGraph {
            pass.execute(roots: roots, grads: grads)
        } else {
            GradMode.$isEnabled.withValue(createGraph) { pass.execute(roots: roots, grads: grads) }
        }
        return pass.captured
    }

    /// Adds an incoming gradient into a `.grad` slot (PyTorch's AccumulateGrad):
    /// the first gradient is copied, so `.grad` never aliases a tensor the caller
    /// still holds; later ones are added in place, or out of place while recording.
    static func accumulate(_ g: Tensor, into slot: inout Tensor?, createGraph: Bool) {
        if let existing = slot {
            if createGraph || existing.gradNode != nil {
                slot = existing + g
            } else {
                existing.addInPlaceUnchecked(g)
            }
        } else {
            slot = g.contiguous(copy: true)
        }
    }

}

extension Tensor {
    /// Sums a gradient over broadcast dimensions and converts it to an input's
    /// dtype: the one place where broadcasting and type promotion are undone.
    func reduced(toShape target: [Int], dtype targetDType: DType) -> Tensor {
        var g = self
        if g.shape != target { g = g.sumToShape(target) }
        if g.dtype != targetDType { g = g.to(targetDType) }
        return g
    }

    /// Sums over the dimensions that broadcasting from `target` expanded.
    func sumToShape(_ target: [Int]) -> Tensor {
        let lead = rank - target.count
        var dims = Array(0..<lead)
        for i in target.indices where target[i] == 1 && shape[lead + i] != 1 { dims.append(lead + i) }
        let summed = dims.isEmpty ? self : sum(dim: dims, keepDim: true)
        return summed.shape == target ? summed : summed.reshaped(target)
    }
}

/// The state of one backward pass: the nodes to visit, in order, the leaves
/// whose hooks wait for all their gradients, and where gradients are collected
/// for `grad(of:wrt:)`.
private final class BackwardPass {
    let nodes: [Node]
    let retainGraph: Bool, createGraph: Bool
    /// Whether only some tensors get gradients (`grad(of:wrt:)`, `backward(inputs:)`).
    let filtered: Bool
    /// Whether gradients are added into `.grad` rather than returned.
    let accumulate: Bool
    /// Target index by node (non-leaf targets) or by tensor (leaf targets).
    let targetIndex: [ObjectIdentifier: Int]
    var captured: [Tensor?]
    /// Leaves with hooks: their gradient is summed here and handed over once
    /// every node that sends them one has run (PyTorch's AccumulateGrad runs
    /// as soon as it is ready, so its hooks see the total).
    var waitingLeaves: [ObjectIdentifier: WaitingLeaf] = [:]
    /// The waiting leaves in the order they were found, for a deterministic final flush.
    var waitingOrder: [ObjectIdentifier] = []
    /// Whether anomaly mode was on when the pass began.
    let anomaly: Bool

    struct WaitingLeaf {
        let leaf: Tensor
        var remaining: Int
        var grad: Tensor?
    }

    init(roots: [Tensor], targets: [Tensor]?, accumulate: Bool, retainGraph: Bool, createGraph: Bool, mark: Int) {
        self.retainGraph = retainGraph
        self.createGraph = createGraph
        self.accumulate = accumulate
        anomaly = AnomalyMode.isEnabled
        // The array of nodes is its own worklist: a node is marked when it is
        // appended, and the nodes after `next` have not had their inputs read yet.
        var nodes: [Node] = []
        nodes.reserveCapacity(16)  // one allocation for small graphs, not one per doubling
        for root in roots {
            if let node = root.gradNode, node.visitMark != mark {
                node.visitMark = mark
                nodes.append(node)
            }
        }
        var next = 0
        while next < nodes.count {
            // By index, reading only `edge`: copying each input would retain
            // and release its shape as well.
            let node = nodes[next]
            next += 1
            for i in 0..<node.inputCount {
                if case .node(let input)? = node.edge(i), input.visitMark != mark {
                    input.visitMark = mark
                    nodes.append(input)
                }
            }
        }
        // A node is always created after the nodes of its inputs: decreasing
        // creation order is a topological order (and the order in which
        // PyTorch's engine, which runs the newest ready node first, visits them).
        // (A chain is found in that order already; only a branching graph needs the sort.)
        if nodes.count > 1, !Self.isInDecreasingCreationOrder(nodes) { nodes.sort { $0.sequenceNumber > $1.sequenceNumber } }
        self.nodes = nodes

        filtered = targets != nil
        var index: [ObjectIdentifier: Int] = [:]
        for (i, t) in (targets ?? []).enumerated() { index[ObjectIdentifier(t.gradNode ?? t)] = i }
        targetIndex = index
        captured = [Tensor?](repeating: nil, count: accumulate ? 0 : targets?.count ?? 0)
        // With targets, only nodes on a path to a target run. A non-leaf target
        // of grad(of:wrt:) with nothing wanted beyond it only has its gradient
        // taken; with backward(inputs:) its rule runs, as in PyTorch.
        var waiting: [ObjectIdentifier: WaitingLeaf] = [:]
        for node in nodes.reversed() {
            let leadsOn = !filtered || (0..<node.inputCount).contains { i in
                switch node.edge(i) {
                case .node(let next)?: next.needed
                case .leaf(let leaf)?: index[ObjectIdentifier(leaf)] != nil
                case nil: false
                }
            }
            let isTarget = filtered && index[ObjectIdentifier(node)] != nil
            node.needed = leadsOn || isTarget
            node.executes = leadsOn || (isTarget && accumulate)
            guard node.executes else { continue }
            for i in 0..<node.inputCount {
                if case .leaf(let leaf)? = node.edge(i), leaf.leafHooks != nil,
                   !filtered || index[ObjectIdentifier(leaf)] != nil {
                    let id = ObjectIdentifier(leaf)
                    if waiting[id] == nil { waitingOrder.append(id) }
                    waiting[id, default: WaitingLeaf(leaf: leaf, remaining: 0)].remaining += 1
                }
            }
        }
        for root in roots where root.gradNode == nil && root.leafHooks != nil {
            let id = ObjectIdentifier(root)
            if waiting[id] == nil { waitingOrder.append(id) }
            waiting[id, default: WaitingLeaf(leaf: root, remaining: 0)].remaining += 1
        }
        waitingLeaves = waiting
    }

    private static func isInDecreasingCreationOrder(_ nodes: [Node]) -> Bool {
        for i in 1..<nodes.count where nodes[i - 1].sequenceNumber < nodes[i].sequenceNumber { return false }
        return true
    }

    func execute(roots: [Tensor], grads: [Tensor]) {
        for (root, grad) in zip(roots, grads) {
            if let edge = root.gradientEdge {
                deliver(grad, to: edge)
                if case .leaf(let leaf) = edge { leafContributorDone(leaf) }
            }
        }
        for node in nodes where node.needed {
            guard var grad = node.pendingGrad else {
                // Nothing arrived: the leaves this node feeds stop waiting for it.
                if node.executes { inputsDone(node) }
                continue
            }
            node.pendingGrad = nil
            let extras = node.extras
            // PyTorch captures the gradient of a target that leads on before the
            // tensor's hooks run, and of one that does not, after them.
            if !accumulate, node.executes, let i = targetIndex[ObjectIdentifier(node)] { captured[i] = grad }
            if let hooks = extras?.tensorHooks, !hooks.isEmpty { grad = runTensorHooks(hooks, on: grad) }
            if node.retainsGrad { Engine.accumulate(grad, into: &node.retainedGrad, createGraph: createGraph) }
            if !accumulate, !node.executes, let i = targetIndex[ObjectIdentifier(node)] { captured[i] = grad }
            guard node.executes else { continue }
            if let hooks = extras?.preHooks, !hooks.isEmpty { grad = runPreHooks(hooks, on: grad) }
            guard let rule = node.rule else { continue }
            if anomaly || extras?.postHooks.isEmpty == false {
                runChecked(node, rule: rule, grad: grad)
            } else {
                var inputGrads = rule(grad, node.saved)
                // Drop the incoming gradient too: a rule's view of it (TBackward0's grad.t())
                // can then be taken by a leaf as its base, without a copy.
                _ = consume grad
                for i in 0..<node.inputCount {
                    // Taken out, so a gradient held nowhere else can become a leaf's .grad without a copy.
                    guard let edge = node.edge(i), i < inputGrads.count, let g = inputGrads.take(i) else { continue }
                    let input = node.input(i)
                    let reduced = g.reduced(toShape: input.shape, dtype: input.dtype)
                    _ = consume g
                    deliver(reduced, to: edge)
                }
            }
            if !retainGraph { node.releaseSaved() }
            inputsDone(node)
        }
        // Leaves still waiting (a contributor sent nothing) get what arrived.
        for id in waitingOrder {
            if let waiting = waitingLeaves.removeValue(forKey: id) { flush(waiting) }
        }
    }

    /// Runs a node's rule with post-hooks and, in anomaly mode, its forward
    /// call site on record for errors and a NaN check of its results.
    private func runChecked(_ node: Node, rule: BackwardRule, grad: Tensor) {
        func body() {
            let raw = rule(grad, node.saved)
            let inputs = node.inputs
            var inputGrads: [Tensor?] = inputs.enumerated().map { i, input in
                guard input.edge != nil, i < raw.count, let g = raw[i] else { return nil }
                return g.reduced(toShape: input.shape, dtype: input.dtype)
            }
            if let hooks = node.extras?.postHooks, !hooks.isEmpty {
                inputGrads = runPostHooks(hooks, gradInputs: inputGrads, gradOutput: grad)
            }
            if self.anomaly && AnomalyMode.checksNaN {
                for (i, g) in inputGrads.enumerated() {
                    guard let g, g.dtype.isFloatingPoint else { continue }
                    let hasNaN = withNoGrad { g.isNaN().any().item() != 0 }
                    check(!hasNaN, "backward", "Function '\(node.name)' returned nan values in its \(i)th output.")
                }
            }
            for (input, g) in zip(inputs, inputGrads) {
                if let edge = input.edge, let g { self.deliver(g, to: edge) }
            }
        }
        if anomaly {
            BackwardContext.$current.withValue(BackwardContext(node: node)) { body() }
        } else {
            body()
        }
    }

    /// Counts down the leaves with hooks that `node` feeds.
    private func inputsDone(_ node: Node) {
        guard !waitingLeaves.isEmpty else { return }
        for i in 0..<node.inputCount {
            if case .leaf(let leaf)? = node.edge(i) { leafContributorDone(leaf) }
        }
    }

    private func leafContributorDone(_ leaf: Tensor) {
        let id = ObjectIdentifier(leaf)
        guard var waiting = waitingLeaves[id] else { return }
        waiting.remaining -= 1
        if waiting.remaining > 0 {
            waitingLeaves[id] = waiting
        } else {
            waitingLeaves[id] = nil
            flush(waiting)
        }
    }

    /// Hands a waiting leaf its summed gradient: its tensor hooks, then
    /// `.grad` (or the returned gradients), then its post-accumulate hooks.
    private func flush(_ waiting: WaitingLeaf) {
        guard var grad = waiting.grad, let hooks = waiting.leaf.leafHooks else { return }
        grad = runTensorHooks(hooks.tensorHooks, on: grad)
        if accumulate {
            give(grad, to: waiting.leaf)
            for (_, hook) in hooks.postAccumulateHooks.hooks { hook(waiting.leaf) }
        } else if let i = targetIndex[ObjectIdentifier(waiting.leaf)] {
            captured[i] = grad
        }
    }

    private func deliver(_ grad: consuming Tensor, to edge: Edge) {
        switch edge {
        case .node(let next):
            guard next.needed else { return }
            if let pending = next.pendingGrad { next.pendingGrad = pending + grad } else { next.pendingGrad = grad }
        case .leaf(let leaf):
            // Only wanted leaves with hooks wait (see init).
            if leaf.leafHooks != nil, var waiting = waitingLeaves[ObjectIdentifier(leaf)] {
                if let earlier = waiting.grad { waiting.grad = earlier + grad } else { waiting.grad = grad }
                waitingLeaves[ObjectIdentifier(leaf)] = waiting
                return
            }
            if !filtered {
                give(grad, to: leaf)
                return
            }
            guard let i = targetIndex[ObjectIdentifier(leaf)] else { return }
            if accumulate {
                give(grad, to: leaf)
            } else if let earlier = captured[i] {
                captured[i] = earlier + grad
            } else {
                captured[i] = grad
            }
        }
    }

    /// Accumulates into a leaf's `.grad`; like PyTorch, a first gradient that
    /// nothing else refers to is kept as it is instead of copied.
    private func give(_ grad: consuming Tensor, to leaf: Tensor) {
        if leaf.gradStorage == nil, !createGraph, grad.isOwnedGradient, isKnownUniquelyReferenced(&grad) {
            leaf.gradStorage = grad
        } else if leaf.gradStorage == nil, !createGraph, grad.isWholeViewOfOwnedBase, isKnownUniquelyReferenced(&grad) {
            // A view with its base's own geometry (`(Xᵀ)ᵀ`: a weight used as `w.t()` gets its
            // gradient as `mm(...).t().t()`): once the view is gone, keep the base if nothing else holds it.
            var base = grad.viewBase
            _ = consume grad
            if isKnownUniquelyReferenced(&base) {
                leaf.gradStorage = base
            } else {
                Engine.accumulate(base!, into: &leaf.gradStorage, createGraph: createGraph)
            }
        } else {
            Engine.accumulate(grad, into: &leaf.gradStorage, createGraph: createGraph)
        }
    }
}

private extension Tensor {
    /// Whether this gradient owns its storage outright (a contiguous, non-view
    /// result of a rule, without history), so a leaf may keep it as its `.grad`
    /// when no other reference to the tensor exists.
    var isOwnedGradient: Bool {
        viewBase == nil && isContiguous && gradNode == nil && !isWrappedNumber && storageOffset == 0
            && storage.byteCount == count * dtype.byteSize
    }

    /// Whether this is a view that covers its (owned, history-free) base exactly, element for element.
    var isWholeViewOfOwnedBase: Bool {
        guard let base = viewBase else { return false }
        return shape == base.shape && strides == base.strides && storageOffset == base.storageOffset && base.isOwnedGradient
    }
}
