import Synchronization

// Saved-tensor hooks (PyTorch's `torch.autograd.graph.saved_tensors_hooks`):
// inside a `withSavedTensorHooks` scope, every tensor a recorded operation
// saves for backward is handed to `pack`, and only what `pack` returns is
// kept; backward calls `unpack` to get the tensor back. `checkpoint` is built
// on them.

/// A pack/unpack pair, type-erased.
final class SavedTensorHookPair: @unchecked Sendable {
    // Unchecked: used by the task that installed it (and the backward passes it runs).
    let pack: (Tensor) -> Any
    let unpack: (Any) -> Tensor

    init(pack: @escaping (Tensor) -> Any, unpack: @escaping (Any) -> Tensor) {
        self.pack = pack
        self.unpack = unpack
    }
}

enum SavedTensorHooks {
    /// The innermost active pair in this task; nil while packing or unpacking.
    @TaskLocal static var current: SavedTensorHookPair?

    /// How many scopes are active in any task, so recording skips the
    /// task-local lookup while there are none.
    private static let activeScopes = Atomic<Int>(0)

    static var isAnyActive: Bool { activeScopes.load(ordering: .relaxed) > 0 }

    static func with<R>(_ pair: SavedTensorHookPair?, _ body: () throws -> R) rethrows -> R {
        activeScopes.add(1, ordering: .relaxed)
        defer { activeScopes.subtract(1, ordering: .relaxed) }
        return try $current.withValue(pair, operation: body)
    }
}

/// Runs `body` with hooks that decide how tensors saved for backward are
/// stored (PyTorch's `torch.autograd.graph.saved_tensors_hooks`).
///
/// Every tensor an operation inside `body` saves for its backward pass is
/// passed to `pack`, and only the returned value is kept; when backward needs
/// the tensor, `unpack` turns that value back into it. For example, to keep
/// saved values in float32 while computing in float64, or in a file:
///
/// ```swift
/// let loss = withSavedTensorHooks(pack: { $0.to(.float32) }, unpack: { $0.to(.float64) }) {
///     model(x).pow(2).mean()
/// }
/// loss.backward()
/// ```
///
/// The unpacked tensor is reconnected to the graph as the original was, so
/// `createGraph` still works. Hooks do not apply to tensors saved inside
/// `pack` or `unpack`. A packed value is not checked for in-place changes of
/// the original (which it no longer refers to).
///
/// - Parameters:
///   - pack: Turns a tensor being saved into the value kept in its place.
///   - unpack: Turns a kept value back into a tensor of the same shape and dtype.
///   - body: The forward computation whose saved tensors the hooks handle.
/// - Returns: What `body` returns.
public func withSavedTensorHooks<Packed, R>(pack: @escaping (Tensor) -> Packed, unpack: @escaping (Packed) -> Tensor,
                                            _ body: () throws -> R) rethrows -> R {
    let pair = SavedTensorHookPair(pack: { pack($0) }, unpack: { unpack($0 as! Packed) })
    return try SavedTensorHooks.with(pair, body)
}

/// The packed form of a node's saved values, and how each reconnects to the
/// graph when unpacked.
final class PackedValues {
    private enum Origin {
        /// A tensor without history.
        case constant
        /// A non-leaf: the unpacked value gets its node back.
        case node(Node)
        /// A leaf that requires grad: gradients through the unpacked value reach it.
        case leaf(Tensor)
    }

    private let hooks: SavedTensorHookPair
    private var items: [Any]
    private var origins: [Origin]
    private var shapes: [[Int]]
    private var resultItem: Any?

    init(_ values: [Tensor], result: Tensor?, hooks: SavedTensorHookPair) {
        self.hooks = hooks
        // Tensors saved while packing are not packed again.
        (items, resultItem) = SavedTensorHooks.$current.withValue(nil) {
            (values.map { hooks.pack($0) }, result.map { hooks.pack($0.aliasWithoutHistory()) })
        }
        origins = values.map { t in
            if let node = t.gradNode { return .node(node) }
            return t.leafRequiresGrad ? .leaf(t) : .constant
        }
        shapes = values.map(\.shape)
    }

    private func unpacked(_ item: Any, shape: [Int]) -> Tensor {
        let t = SavedTensorHooks.$current.withValue(nil) { hooks.unpack(item) }
        check(t.shape == shape, "backward",
              "the unpack hook returned a tensor of shape \(shapeText(t.shape)) for a saved tensor of shape \(shapeText(shape))")
        return t
    }

    /// The i-th saved input, with its place in the graph.
    func value(_ i: Int) -> Tensor {
        let t = unpacked(items[i], shape: shapes[i])
        guard GradMode.isEnabled else { return t.gradNode == nil ? t : t.aliasWithoutHistory() }
        switch origins[i] {
        case .constant:
            return t.gradNode == nil ? t : t.aliasWithoutHistory()
        case .node(let node):
            return t.aliasWithoutHistory(gradNode: node)
        case .leaf(let leaf):
            if t === leaf { return leaf }
            // An identity step, so a gradient through the unpacked copy reaches the leaf.
            return Tensor.record("AliasBackward0", inputs: [leaf], result: t.aliasWithoutHistory()) { g, _ in [g] }
        }
    }

    /// The saved output, without history (the caller reconnects it to its node).
    func result() -> Tensor {
        guard let item = resultItem else { fatalError("Cotangent internal error: result was not saved") }
        let t = SavedTensorHooks.$current.withValue(nil) { hooks.unpack(item) }
        return t.gradNode == nil ? t : t.aliasWithoutHistory()
    }
}
