import Synchronization

/// A backward rule: maps the gradient of a primitive's output to the gradients
/// of its inputs (nil where an input needs none). Rules are written in tensor
/// ops, so with `createGraph: true` they are recorded and differentiable again.
typealias BackwardRule = (_ grad: Tensor, _ saved: SavedValues) -> [Tensor?]

/// One recorded operation in the autograd graph (PyTorch's `grad_fn`).
///
/// A node belongs to the tensor it produced. It holds edges to the nodes of its
/// inputs, the values its backward rule needs, and the rule itself.
public final class Node: CustomStringConvertible {
    /// PyTorch's name for the node, e.g. `MulBackward0`.
    public let name: String
    /// Each input: where its gradient goes (nil if it needs none), and its
    /// shape and dtype, so the engine can undo broadcasting and type promotion
    /// in one place.
    let inputs: [Input]
    let rule: BackwardRule?
    /// Values saved for backward; nil once released.
    var saved: SavedValues?
    /// The gradient of the tensor this node produced, kept when it called
    /// `retainGrad()` (see `retainsGrad`).
    var retainedGrad: Tensor?
    /// Creation order; a node always comes after the nodes of its inputs.
    let sequenceNumber: Int
    /// The leaf a gradient accumulator writes to (only for `AccumulateGrad`).
    public let variable: Tensor?

    /// Hooks and anomaly-mode information; nil for almost every node.
    var extras: NodeExtras?

    // Scratch state of the engine during one backward pass.
    var pendingGrad: Tensor?
    var visitMark = 0
    /// Whether the tensor this node produced called `retainGrad()`; its
    /// gradient is then kept here (the node cannot point back at its tensor
    /// without a cycle, and a weak reference would slow every retain/release).
    /// (The one-byte fields come last, so the object stays within 120 bytes,
    /// small enough for malloc's fast bins.)
    var retainsGrad = false
    /// Whether a gradient arriving here is wanted (the node is a target, or leads to one).
    var needed = false
    /// Whether the node's rule runs (it leads on to a target; false for a
    /// `grad(of:wrt:)` target with nothing wanted beyond it).
    var executes = false

    private static let counter = Atomic<Int>(0)

    init(name: String, inputs: [Input], saved: SavedValues?, rule: BackwardRule?) {
        self.name = name
        self.inputs = inputs
        self.saved = saved
        self.rule = rule
        self.variable = nil
        self.sequenceNumber = Node.counter.add(1, ordering: .relaxed).newValue
    }

    /// An `AccumulateGrad` node standing for a leaf in `nextFunctions`.
    init(accumulatorFor leaf: Tensor) {
        name = "AccumulateGrad"
        inputs = []
        rule = nil
        variable = leaf
        sequenceNumber = Int.max
    }

    /// The nodes this node sends gradients to, one per input, as PyTorch's
    /// `grad_fn.next_functions`: `(node, 0)`, with leaves shown as their
    /// `AccumulateGrad` node and inputs that need no gradient as `(nil, 0)`.
    public var nextFunctions: [(node: Node?, index: Int)] {
        inputs.map { input in
            switch input.edge {
            case .none: (nil, 0)
            case .node(let node): (node, 0)
            case .leaf(let leaf): (leaf.gradAccumulator, 0)
            }
        }
    }

    public var description: String { "<\(name)>" }
}

/// One input of a node: where its gradient goes, and the shape and dtype the
/// gradient must have when it gets there.
struct Input {
    let edge: Edge?
    let shape: [Int]
    let dtype: DType
}

/// Where a gradient flows: into another node, or into a leaf's `.grad`.
enum Edge {
    case node(Node)
    case leaf(Tensor)
}

extension Tensor {
    /// The `AccumulateGrad` node of a leaf that requires grad, cached weakly.
    var gradAccumulator: Node {
        if let node = accumulatorNode { return node }
        let node = Node(accumulatorFor: self)
        accumulatorNode = node
        return node
    }

    /// The edge a consumer of this tensor records, or nil if it needs no gradient.
    var gradientEdge: Edge? {
        if let node = gradNode { return .node(node) }
        return leafRequiresGrad ? .leaf(self) : nil
    }
}

/// The tensors a primitive saved for its backward rule, checked when read.
///
/// Reading a value that was modified in place since it was saved, or after the
/// graph was freed by a backward pass, stops with PyTorch's message.
final class SavedValues {
    /// The saved tensors (sharing the caller's array: no copy) and the version
    /// each had when saved; the first two versions are stored inline, since
    /// almost every primitive saves at most two tensors.
    private var values: [Tensor]
    private let version0: Int, version1: Int
    private let moreVersions: [Int]
    /// Bit i is set when input i of the node needs a gradient, so a rule can
    /// skip work for the others (PyTorch's `needs_input_grad`).
    var needsGradMask: UInt64 = .max
    /// The op's kernel parameters, for rules shared by every call of a primitive.
    var parameters = KernelParameters.none
    /// The saved output, kept without its `gradFn` to avoid a reference cycle.
    private var resultData: Tensor?
    private let resultVersion: Int
    /// Under `withSavedTensorHooks`: the packed values, which replace
    /// `values` and `resultData`.
    private var packed: PackedValues?
    /// The node that owns these values (set when the node is created). The
    /// node owns this object, so it always outlives it; a weak reference would
    /// give every node a side table and slow its reference counting.
    unowned(unsafe) var node: Node?
    /// Last, so the object stays within 120 bytes (malloc's fast bins).
    private var isReleased = false

    /// The values of a node that saved nothing (shared: it is never written).
    nonisolated(unsafe) static let none = SavedValues([], result: nil)

    init(_ values: [Tensor], result: Tensor?) {
        self.values = values
        version0 = values.count > 0 ? values[0].storage.version : 0
        version1 = values.count > 1 ? values[1].storage.version : 0
        moreVersions = values.count > 2 ? values[2...].map(\.storage.version) : []
        self.resultData = result.map { $0.aliasWithoutHistory() }
        self.resultVersion = result?.storage.version ?? 0
        // One relaxed atomic load when no saved-tensor hooks are active.
        if SavedTensorHooks.isAnyActive, let hooks = SavedTensorHooks.current {
            packed = PackedValues(values, result: result, hooks: hooks)
            self.values = []
            resultData = nil
        }
    }

    /// Frees the saved tensors; reading them afterwards is an error.
    func release() {
        isReleased = true
        values = []
        resultData = nil
        packed = nil
    }

    private func checkNotReleased() {
        if isReleased {
            fail("backward", "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call backward() or grad(of:wrt:). Specify retainGraph: true if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.")
        }
    }

    /// The i-th saved input.
    subscript(_ i: Int) -> Tensor {
        checkNotReleased()
        if let packed { return packed.value(i) }
        let value = values[i]
        let version = i == 0 ? version0 : (i == 1 ? version1 : moreVersions[i - 2])
        checkVersion(value, expected: version, outputOf: value.gradNode?.name)
        return value
    }

    /// The saved tensors as a picture of the graph shows them (`saved 0`, …,
    /// `result`), without checks; empty once released or when packed by hooks.
    func shownValues() -> [(String, Tensor)] {
        var shown = values.enumerated().map { ("saved \($0.offset)", $0.element) }
        if let resultData { shown.append(("result", resultData)) }
        return shown
    }

    /// The i-th saved input without checks, or nil once released or packed.
    func rawValue(_ i: Int) -> Tensor? { i < values.count ? values[i] : nil }

    /// The saved output without checks, or nil.
    var rawResult: Tensor? { resultData }

    /// Whether input `i` of the node needs a gradient.
    func needsGrad(_ i: Int) -> Bool { needsGradMask & (1 << UInt64(i)) != 0 }

    /// The saved output; while recording a backward (`createGraph`), it is
    /// connected to this node so the rule stays differentiable.
    var result: Tensor {
        checkNotReleased()
        if let packed {
            let data = packed.result()
            return GradMode.isEnabled && node != nil ? data.aliasWithoutHistory(gradNode: node) : data
        }
        guard let data = resultData else { fatalError("Cotangent internal error: result was not saved") }
        checkVersion(data, expected: resultVersion, outputOf: node?.name)
        if GradMode.isEnabled, let node {
            return data.aliasWithoutHistory(gradNode: node)
        }
        return data
    }

    /// Stops when `t` changed since it was saved; `name` is only read then
    /// (the check runs for every saved value a rule reads).
    @inline(__always)
    private func checkVersion(_ t: Tensor, expected: Int, outputOf name: @autoclosure () -> String?) {
        let version = t.storage.version
        if version != expected { modifiedSinceSaved(t, version: version, expected: expected, outputOf: name()) }
    }

    private func modifiedSinceSaved(_ t: Tensor, version: Int, expected: Int, outputOf name: String?) -> Never {
        // PyTorch names the operation without its node suffix: "output 0 of Exp".
        let which = name.map { ", which is output 0 of \(operationName(ofNode: $0))," } ?? ""
        fail("backward", "one of the variables needed for gradient computation has been modified by an inplace operation: [\(t.dtype.legacyTypeName) \(shapeText(t.shape))]\(which) is at version \(version); expected version \(expected) instead. \(inPlaceErrorHint())")
    }
}

/// A node's name without PyTorch's `Backward<N>` suffix (`ExpBackward0` → `Exp`).
func operationName(ofNode name: String) -> String {
    var stem = Substring(name)
    while let last = stem.last, last.isNumber { stem.removeLast() }
    guard stem.hasSuffix("Backward"), stem.count > "Backward".count else { return name }
    return String(stem.dropLast("Backward".count))
}

extension Tensor {
    /// A tensor sharing this one's storage and geometry, with no autograd history.
    func aliasWithoutHistory(gradNode node: Node? = nil) -> Tensor {
        let t = Tensor(storage: storage, shape: shape, strides: strides, offset: storageOffset, dtype: dtype)
        t.gradNode = node
        return t
    }
}
