import Synchronization

/// Runs backward passes over the graph that `Node`s form.
///
/// The whole algorithm: collect the nodes reachable from the roots, visit them
/// in decreasing creation order (a node is always created after the nodes of
/// its inputs, so this is a topological order), sum the gradients arriving at
/// each, call its rule, undo broadcasting and type promotion for each input,
/// and pass the results on: to the next node, or into a leaf's `.grad`.
enum Engine {
    private static let passCounter = Atomic<Int>(0)

    /// Backpropagates `grads` from `roots`. With `targets`, returns the gradients
    /// of those tensors instead of accumulating into `.grad` (autograd.grad).
    static func run(roots: [Tensor], grads: [Tensor], targets: [Tensor]?,
                    retainGraph: Bool, createGraph: Bool, allowUnused: Bool = false) -> [Tensor?] {
        let pass = BackwardPass(roots: roots, targets: targets, retainGraph: retainGraph, createGraph: createGraph,
                                mark: passCounter.add(1, ordering: .relaxed).newValue)
        // Record the backward pass itself only for createGraph.
        if GradMode.isEnabled == createGraph {
            pass.execute(roots: roots, grads: grads)
        } else {
            GradMode.$isEnabled.withValue(createGraph) { pass.execute(roots: roots, grads: grads) }
        }
        if let targets, !allowUnused {
            for (i, t) in targets.enumerated() where pass.captured[i] == nil && !pass.reaches(t) {
                fail("grad", "The differentiated Tensor at index \(i) appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.")
            }
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

/// The state of one backward pass: the nodes to visit, in order, and where
/// gradients are collected for `grad(of:wrt:)`.
private final class BackwardPass {
    let nodes: [Node]
    let retainGraph: Bool, createGraph: Bool
    let collecting: Bool
    /// Target index by node (non-leaf targets) or by tensor (leaf targets).
    let targetIndex: [ObjectIdentifier: Int]
    var captured: [Tensor?]

    init(roots: [Tensor], targets: [Tensor]?, retainGraph: Bool, createGraph: Bool, mark: Int) {
        self.retainGraph = retainGraph
        self.createGraph = createGraph
        var nodes: [Node] = []
        var stack: [Node] = []
        for root in roots { if let node = root.gradNode { stack.append(node) } }
        while let node = stack.popLast() {
            guard node.visitMark != mark else { continue }
            node.visitMark = mark
            nodes.append(node)
            for input in node.inputs { if case .node(let next)? = input.edge, next.visitMark != mark { stack.append(next) } }
        }
        // A node is always created after the nodes of its inputs: decreasing
        // creation order is a topological order.
        if nodes.count > 1 { nodes.sort { $0.sequenceNumber > $1.sequenceNumber } }
        self.nodes = nodes

        collecting = targets != nil
        var index: [ObjectIdentifier: Int] = [:]
        for (i, t) in (targets ?? []).enumerated() { index[ObjectIdentifier(t.gradNode ?? t)] = i }
        targetIndex = index
        captured = [Tensor?](repeating: nil, count: targets?.count ?? 0)
        // With targets, only nodes on a path to a target run.
        for node in nodes.reversed() {
            node.needed = !collecting || index[ObjectIdentifier(node)] != nil || node.inputs.contains { input in
                switch input.edge {
                case .node(let next)?: next.needed
                case .leaf(let leaf)?: index[ObjectIdentifier(leaf)] != nil
                case nil: false
                }
            }
        }
    }

    func execute(roots: [Tensor], grads: [Tensor]) {
        for (root, grad) in zip(roots, grads) {
            if let edge = root.gradientEdge { deliver(grad, to: edge) }
        }
        for node in nodes where node.needed {
            guard let grad = node.pendingGrad else { continue }
            node.pendingGrad = nil
            if node.retainsGrad { Engine.accumulate(grad, into: &node.retainedGrad, createGraph: createGraph) }
            if collecting, let i = targetIndex[ObjectIdentifier(node)] { captured[i] = grad }
            guard let rule = node.rule else { continue }
            var inputGrads = rule(grad, node.saved ?? SavedValues.none)
            for (i, input) in node.inputs.enumerated() {
                guard let edge = input.edge, i < inputGrads.count, let g = inputGrads[i] else { continue }
                // Drop the array's reference, so a gradient held nowhere else can be
                // taken by a leaf's .grad without a copy.
                inputGrads[i] = nil
                let reduced = g.reduced(toShape: input.shape, dtype: input.dtype)
                _ = consume g
                deliver(reduced, to: edge)
            }
            if !retainGraph { node.saved?.release() }
        }
    }

    private func deliver(_ grad: consuming Tensor, to edge: Edge) {
        switch edge {
        case .node(let next):
            guard next.needed else { return }
            if let pending = next.pendingGrad { next.pendingGrad = pending + grad } else { next.pendingGrad = grad }
        case .leaf(let leaf):
            if collecting {
                if let i = targetIndex[ObjectIdentifier(leaf)] {
                    if let earlier = captured[i] { captured[i] = earlier + grad } else { captured[i] = grad }
                }
            } else {
                give(grad, to: leaf)
            }
        }
    }

    /// Accumulates into a leaf's `.grad`; like PyTorch, a first gradient that
    /// nothing else refers to is kept as it is instead of copied.
    private func give(_ grad: consuming Tensor, to leaf: Tensor) {
        if leaf.gradStorage == nil, !createGraph, grad.isOwnedGradient, isKnownUniquelyReferenced(&grad) {
            leaf.gradStorage = grad
        } else {
            Engine.accumulate(grad, into: &leaf.gradStorage, createGraph: createGraph)
        }
    }

    /// Whether `t` takes part in the graph this pass walked.
    func reaches(_ t: Tensor) -> Bool {
        if let node = t.gradNode { return nodes.contains { $0 === node } }
        return nodes.contains { $0.inputs.contains { if case .leaf(let l)? = $0.edge { l === t } else { false } } }
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
}
