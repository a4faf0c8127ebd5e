import Synchronization

/// A backward rule: maps the gradient of a primitive's output to the gradients
/// of its inputs (nil where an input needs none). Rules are written in tensor
/// ops, so with `createGraph: true` they are recorded and differentiable again.
typealias BackwardRule = (_ grad: Tensor, _ saved: SavedValues) -> InputGradients

/// One recorded operation in the autograd graph (PyTorch's `grad_fn`).
///
/// A node belongs to the tensor it produced. It holds edges to the nodes of its
/// inputs, the values its backward rule needs, and the rule itself.
///
/// Everything an op records lives in this one object: the first two inputs
/// and saved values are stored inline (almost every primitive has at most
/// two), so recording an op allocates one object besides its result, not four.
public final class Node: CustomStringConvertible {
    /// PyTorch's name for the node, e.g. `MulBackward0`.
    public let name: String
    let rule: BackwardRule?
    /// The number of inputs (``input(_:)`` reads them).
    let inputCount: Int
    /// The first two inputs inline (unused slots hold ``Input/unused``), the rest in `moreInputs`.
    private let input0: Input, input1: Input
    private let moreInputs: [Input]

    // MARK: Saved values (read through `SavedValues`)

    /// The saved inputs: the first two inline, the rest in `moreSaved`; each
    /// with the storage version it had when saved.
    private var saved0: Tensor?, saved1: Tensor?
    private var moreSaved: [Tensor]
    private let version0: Int, version1: Int
    private let moreVersions: [Int]
    /// The saved output, kept without its `gradFn` to avoid a reference cycle.
    private var resultData: Tensor?
    private let resultVersion: Int
    /// Under `withSavedTensorHooks`: the packed values, which replace the saved
    /// inputs and `resultData`.
    private var packed: PackedValues?
    /// The op's kernel parameters, for rules shared by every call of a primitive.
    let parameters: KernelParameters
    /// Bit i is set when input i needs a gradient, so a rule can skip work for
    /// the others (PyTorch's `needs_input_grad`).
    let needsGradMask: UInt64

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
    /// The number of saved inputs.
    private let savedCount: Int32
    /// Whether the rule reads the saved output.
    private let savesResult: Bool
    /// Whether a backward pass freed the saved values; reading them afterwards is an error.
    private var isReleased = false
    /// Whether the tensor this node produced called `retainGrad()`; its
    /// gradient is then kept here (the node cannot point back at its tensor
    /// without a cycle, and a weak reference would slow every retain/release).
    var retainsGrad = false
    /// Whether a gradient arriving here is wanted (the node is a target, or leads to one).
    var needed = false
    /// Whether the node's rule runs (it leads on to a target; false for a
    /// `grad(of:wrt:)` target with nothing wanted beyond it).
    var executes = false

    private static let counter = Atomic<Int>(0)

    /// Records an op: its inputs (`mask` marks those that need a gradient),
    /// the inputs its rule reads, and whether it reads its output `result`.
    init(name: String, inputs: [Tensor], mask: UInt64, saving: [Tensor], result: Tensor?,
         parameters: KernelParameters, rule: BackwardRule?) {
        self.name = name
        self.rule = rule
        inputCount = inputs.count
        input0 = inputs.count > 0 ? Input(inputs[0]) : .unused
        input1 = inputs.count > 1 ? Input(inputs[1]) : .unused
        moreInputs = inputs.count > 2 ? inputs[2...].map(Input.init) : []
        self.parameters = parameters
        needsGradMask = mask
        savedCount = Int32(saving.count)
        savesResult = result != nil
        version0 = saving.count > 0 ? saving[0].storage.version : 0
        version1 = saving.count > 1 ? saving[1].storage.version : 0
        moreVersions = saving.count > 2 ? saving[2...].map(\.storage.version) : []
        resultVersion = result?.storage.version ?? 0
        variable = nil
        sequenceNumber = Node.counter.add(1, ordering: .relaxed).newValue
        // One relaxed atomic load when no saved-tensor hooks are active.
        if SavedTensorHooks.isAnyActive, !saving.isEmpty || result != nil, let hooks = SavedTensorHooks.current {
            packed = PackedValues(saving, result: result, hooks: hooks)
            moreSaved = []
        } else {
            saved0 = saving.count > 0 ? saving[0] : nil
            saved1 = saving.count > 1 ? saving[1] : nil
            moreSaved = saving.count > 2 ? saving[2...].map { $0 } : []  // a copy, so `saving` does not escape (and can live on the caller's stack)
            resultData = result.map { $0.aliasWithoutHistory() }
        }
    }

    /// An `AccumulateGrad` node standing for a leaf in `nextFunctions`.
    init(accumulatorFor leaf: Tensor) {
        name = "AccumulateGrad"
        rule = nil
        inputCount = 0
        input0 = .unused
        input1 = .unused
        moreInputs = []
        moreSaved = []
        version0 = 0
        version1 = 0
        moreVersions = []
        resultVersion = 0
        parameters = .none
        needsGradMask = 0
        savedCount = 0
        savesResult = false
        variable = leaf
        sequenceNumber = Int.max
    }

    /// Input `i`: where its gradient goes, and the shape and dtype it must have.
    @inline(__always)
    func input(_ i: Int) -> Input { i == 0 ? input0 : (i == 1 ? input1 : moreInputs[i - 2]) }

    /// Where input `i`'s gradient goes (nil if it needs none), without copying its shape.
    @inline(__always)
    func edge(_ i: Int) -> Edge? { i == 0 ? input0.edge : (i == 1 ? input1.edge : moreInputs[i - 2].edge) }

    /// The inputs, in order.
    var inputs: [Input] { (0..<inputCount).map(input) }

    /// The nodes this node sends gradients to, one per input, as PyTorch's
    /// `grad_fn.next_functions`: `(node, 0)`, with leaves shown as their
    /// `AccumulateGrad` node and inputs that need no gradient as `(nil, 0)`.
    public var nextFunctions: [(node: Node?, index: Int)] {
        (0..<inputCount).map { i in
            switch edge(i) {
            case .none: (nil, 0)
            case .node(let node): (node, 0)
            case .leaf(let leaf): (leaf.gradAccumulator, 0)
            }
        }
    }

    public var description: String { "<\(name)>" }

    // MARK: Reading saved values

    /// The values the rule reads, checked when read.
    var saved: SavedValues { SavedValues(node: self) }

    /// Whether the op saved anything for its rule.
    var savesValues: Bool { savedCount > 0 || savesResult }

    /// Frees the saved values; reading them afterwards is an error.
    func releaseSaved() {
        guard savesValues else { return }
        isReleased = true
        saved0 = nil
        saved1 = nil
        moreSaved = []
        resultData = nil
        packed = nil
    }

    private func checkNotReleased() {
        if isReleased {
            fail("backward", "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call backward() or grad(of:wrt:). Specify retainGraph: true if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.")
        }
    }

    /// The i-th saved input.
    func savedValue(_ i: Int) -> Tensor {
        checkNotReleased()
        if let packed { return packed.value(i) }
        precondition(i >= 0 && i < Int(savedCount), "Cotangent internal error: saved value \(i) was not saved")
        let value = i == 0 ? saved0.unsafelyUnwrapped : (i == 1 ? saved1.unsafelyUnwrapped : moreSaved[i - 2])
        let version = i == 0 ? version0 : (i == 1 ? version1 : moreVersions[i - 2])
        checkVersion(value, expected: version, outputOf: value.gradNode?.name)
        return value
    }

    /// The saved output; while recording a backward (`createGraph`), it is
    /// connected to this node so the rule stays differentiable.
    var savedResult: Tensor {
        checkNotReleased()
        if let packed {
            let data = packed.result()
            return GradMode.isEnabled ? data.aliasWithoutHistory(gradNode: self) : data
        }
        guard let data = resultData else { fatalError("Cotangent internal error: result was not saved") }
        checkVersion(data, expected: resultVersion, outputOf: name)
        return GradMode.isEnabled ? data.aliasWithoutHistory(gradNode: self) : data
    }

    /// The saved tensors as a picture of the graph shows them (`saved 0`, …,
    /// `result`), without checks; empty once released or when packed by hooks.
    func shownSavedValues() -> [(String, Tensor)] {
        var shown = (0..<Int(savedCount)).compactMap { i in rawSavedValue(i).map { ("saved \(i)", $0) } }
        if let resultData { shown.append(("result", resultData)) }
        return shown
    }

    /// The i-th saved input without checks, or nil once released or packed.
    func rawSavedValue(_ i: Int) -> Tensor? {
        guard i < Int(savedCount) else { return nil }
        return i == 0 ? saved0 : (i == 1 ? saved1 : (i - 2 < moreSaved.count ? moreSaved[i - 2] : nil))
    }

    /// The saved output without checks, or nil.
    var rawSavedResult: Tensor? { resultData }

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

/// One input of a node: where its gradient goes, and the shape and dtype the
/// gradient must have when it gets there.
struct Input {
    let edge: Edge?
    let shape: [Int]
    let dtype: DType

    init(edge: Edge?, shape: [Int], dtype: DType) {
        self.edge = edge
        self.shape = shape
        self.dtype = dtype
    }

    init(_ t: Tensor) { self.init(edge: t.gradientEdge, shape: t.shape, dtype: t.dtype) }

    /// The filler of a node's unused inline input slots.
    nonisolated(unsafe) static let unused = Input(edge: nil, shape: [], dtype: .float32)
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

/// The tensors a primitive saved for its backward rule, as the rule sees them:
/// `saved[i]` (the i-th saved input), `saved.result`, `saved.needsGrad(i)`,
/// `saved.parameters`. Values are checked when read: one modified in place
/// since it was saved, or read after the graph was freed by a backward pass,
/// stops with PyTorch's message.
///
/// The values live in the node; this is a borrowed view of it, valid while
/// the rule runs (the engine holds the node then).
struct SavedValues {
    unowned(unsafe) let node: Node

    /// The i-th saved input.
    subscript(_ i: Int) -> Tensor { node.savedValue(i) }

    /// The saved output (see ``Node/savedResult``).
    var result: Tensor { node.savedResult }

    /// Whether input `i` of the node needs a gradient.
    func needsGrad(_ i: Int) -> Bool { node.needsGradMask & (1 << UInt64(Swift.min(i, 63))) != 0 }

    /// The op's kernel parameters.
    var parameters: KernelParameters { node.parameters }

    /// The i-th saved input without checks, or nil once released or packed.
    func rawValue(_ i: Int) -> Tensor? { node.rawSavedValue(i) }

    /// The saved output without checks, or nil.
    var rawResult: Tensor? { node.rawSavedResult }
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

/// What a backward rule returns: one gradient per input of its node, nil where
/// an input needs none.
///
/// Rules write it as an array literal (`[grad, -grad]`). The first two are
/// stored inline and the literal's array does not outlive the call, so the
/// compiler can keep it on the stack: returning gradients then allocates
/// nothing. It does so reliably only when the literal's elements are already
/// computed values, so the hottest rules compute them into constants first
/// (`let ga = …, gb = …; return [ga, gb]`).
struct InputGradients: ExpressibleByArrayLiteral {
    private var first: Tensor?, second: Tensor?
    private var rest: [Tensor?]
    /// The number of gradients.
    let count: Int

    @inline(__always)
    init(arrayLiteral elements: Tensor?...) { self.init(elements) }

    @inline(__always)
    init(_ elements: [Tensor?]) {
        count = elements.count
        first = count > 0 ? elements[0] : nil
        second = count > 1 ? elements[1] : nil
        rest = count > 2 ? Array(elements[2...]) : []
    }

    init(_ elements: [Tensor]) { self.init(elements.map { Optional($0) }) }

    subscript(_ i: Int) -> Tensor? {
        i == 0 ? first : (i == 1 ? second : rest[i - 2])
    }

    /// Removes gradient `i` and returns it, so nothing else holds a reference.
    /// (Branch by branch: a subscript setter's code made the spill array
    /// unique, allocating, even for the inline slots.)
    @inline(__always)
    mutating func take(_ i: Int) -> Tensor? {
        if i == 0 {
            let g = first
            first = nil
            return g
        }
        if i == 1 {
            let g = second
            second = nil
            return g
        }
        let g = rest[i - 2]
        rest[i - 2] = nil
        return g
    }

}
