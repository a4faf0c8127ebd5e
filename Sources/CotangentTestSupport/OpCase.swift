import Cotangent
import Testing

// The machinery of the table-driven op tests: rows (a Swift computation under a
// key), goldens (inputs and PyTorch's results for one case of a row), and the
// cases that pair them. The rows live in the test target's `OpTable.swift`, the
// goldens in its generated `OpGoldens.swift` (see `Tests/Goldens/op_goldens.py`).

/// A tensor recorded by a golden generator: its shape, dtype and row-major values.
public struct GoldenTensor: Sendable {
    /// The size of each dimension.
    public let shape: [Int]
    /// The element type.
    public let dtype: DType
    /// The elements in row-major order (integers and bools exact; NaN and infinities allowed).
    public let values: [Double]
    /// For an input: whether it is a leaf that requires grad. For an output:
    /// whether PyTorch's result requires grad.
    public let requiresGrad: Bool

    /// Creates a golden tensor from generated text.
    ///
    /// - Parameters:
    ///   - shape: The size of each dimension.
    ///   - dtype: The element type.
    ///   - text: The elements, space-separated, as Python's `repr` writes them
    ///     (`1.5`, `-0.0`, `nan`, `inf`, `-inf`); Swift parses them back to the same bits.
    ///   - requiresGrad: Whether the tensor requires grad.
    public init(_ shape: [Int], _ dtype: DType, _ text: String, requiresGrad: Bool = false) {
        self.shape = shape
        self.dtype = dtype
        self.values = text.split(separator: " ").map { token in
            guard let value = Double(token) else { preconditionFailure("bad golden value '\(token)'") }
            return value
        }
        self.requiresGrad = requiresGrad
        precondition(values.count == shape.reduce(1, *), "golden values do not fill shape \(shape)")
    }

    /// A fresh leaf tensor holding these values (requiring grad if recorded so).
    public func makeTensor() -> Tensor {
        let t = Tensor(shape: shape, scalars: values).to(dtype)
        t.requiresGrad = requiresGrad
        return t
    }
}

/// One generated case of an op-table row: the inputs, and what PyTorch computed from them.
public struct OpGolden: Sendable {
    /// The case's name: the row key, then the variant in brackets (`x.exp() [0-d]`).
    public let name: String
    /// The key of the ``OpRow`` that computes this case.
    public let row: String
    /// The inputs, in the order the row's closure takes them.
    public let inputs: [GoldenTensor]
    /// PyTorch's outputs (several for ops such as `split` or `max(dim:)`).
    public let outputs: [GoldenTensor]
    /// Per output, PyTorch's `grad_fn` name (nil for none): one entry when
    /// every layout agrees, else one per ``Layout`` in `allCases` order.
    public let gradFns: [[String?]]
    /// Per output, the upstream gradient backward starts from (nil for outputs
    /// that do not require grad); nil when PyTorch computes no gradients.
    public let upstream: [GoldenTensor?]?
    /// Per input, the gradient backward leaves in it (nil where it gets none).
    public let grads: [GoldenTensor?]?
    /// PyTorch's error, when its backward fails (a derivative it does not implement).
    public let backwardError: String?
    /// Whether PyTorch's own `gradcheck` passes at these inputs; it fails at
    /// kinks, ties and infinities, where finite differences mean nothing.
    public let gradCheck: Bool

    /// Creates a golden (called by generated code).
    public init(name: String, row: String, inputs: [GoldenTensor], outputs: [GoldenTensor], gradFns: [[String?]],
                upstream: [GoldenTensor?]? = nil, grads: [GoldenTensor?]? = nil, backwardError: String? = nil,
                gradCheck: Bool) {
        self.name = name
        self.row = row
        self.inputs = inputs
        self.outputs = outputs
        self.gradFns = gradFns
        self.upstream = upstream
        self.grads = grads
        self.backwardError = backwardError
        self.gradCheck = gradCheck
    }

    /// The bracketed variant of the name (`0-d`), or nil for a row's main case.
    public var variant: String? {
        guard name.count > row.count + 3, name.hasPrefix(row) else { return nil }
        return String(name.dropFirst(row.count + 2).dropLast())
    }

    /// PyTorch's `grad_fn` name for one output when the inputs have `layout`.
    public func gradFn(output: Int, layout: Layout) -> String? {
        let names = gradFns[output]
        return names.count == 1 ? names[0] : names[Layout.allCases.firstIndex(of: layout)!]
    }
}

/// One of the checks the op-table tests make, for marking known issues.
public enum OpCheck: String, Sendable, CaseIterable {
    /// Output values, shape and dtype.
    case values
    /// Whether each output requires grad.
    case requiresGrad
    /// The output's `gradFn` name.
    case gradFn
    /// The gradients backward leaves in the inputs.
    case gradient
    /// The gradients against central differences (``gradCheck(_:inputs:eps:atol:rtol:)``).
    case gradCheck
}

/// A difference from PyTorch that a row knowingly keeps, so the test records it
/// as a known issue instead of a failure (and fails once it is fixed).
public struct KnownIssue: Sendable {
    /// The checks that fail.
    public let checks: Set<OpCheck>
    /// The variants that fail (`""` is the main case); nil for all.
    public let variants: Set<String>?
    /// The layouts under which it fails; nil for all.
    public let layouts: Set<Layout>?
    /// Why, for the test report.
    public let reason: String
}

/// Absolute and relative tolerance for comparing floating-point values.
public struct Tolerance: Sendable, Hashable {
    /// Relative tolerance, scaled by the expected value.
    public var rtol: Double
    /// Absolute tolerance.
    public var atol: Double

    /// Creates a tolerance.
    public init(rtol: Double, atol: Double) {
        self.rtol = rtol
        self.atol = atol
    }

    /// The default for values of `dtype`: exact for integers and bools, a few
    /// ulps for floats (PyTorch itself rounds sums differently by layout).
    public static func standard(for dtype: DType) -> Tolerance {
        switch dtype {
        case .float64: Tolerance(rtol: 1e-10, atol: 1e-12)
        case .float32: Tolerance(rtol: 4e-6, atol: 1e-6)
        default: Tolerance(rtol: 0, atol: 0)
        }
    }
}

/// A row of the op table: a computation over input tensors under a key (the
/// Swift expression it evaluates), matched to generated goldens by that key.
public struct OpRow: Sendable {
    /// The key, written as the Swift expression (`x.sum(dim: [0, 2])`).
    public let key: String
    /// Where the row is written, so failures point at it.
    public let sourceLocation: SourceLocation
    private let body: @Sendable ([Tensor]) -> [Tensor]
    /// Differences from PyTorch this row knowingly keeps.
    public private(set) var knownIssues: [KnownIssue] = []
    /// Float tolerances that replace ``Tolerance/standard(for:)``, by dtype.
    public private(set) var tolerances: [DType: Tolerance] = [:]

    private init(_ key: String, sourceLocation: SourceLocation, body: @escaping @Sendable ([Tensor]) -> [Tensor]) {
        self.key = key
        self.sourceLocation = sourceLocation
        self.body = body
    }

    /// A row of one input and one output.
    public static func unary(_ key: String, sourceLocation: SourceLocation = #_sourceLocation,
                             _ body: @escaping @Sendable (Tensor) -> Tensor) -> OpRow {
        OpRow(key, sourceLocation: sourceLocation) { [body($0[0])] }
    }

    /// A row of two inputs and one output.
    public static func binary(_ key: String, sourceLocation: SourceLocation = #_sourceLocation,
                              _ body: @escaping @Sendable (Tensor, Tensor) -> Tensor) -> OpRow {
        OpRow(key, sourceLocation: sourceLocation) { [body($0[0], $0[1])] }
    }

    /// A row of three inputs and one output.
    public static func ternary(_ key: String, sourceLocation: SourceLocation = #_sourceLocation,
                               _ body: @escaping @Sendable (Tensor, Tensor, Tensor) -> Tensor) -> OpRow {
        OpRow(key, sourceLocation: sourceLocation) { [body($0[0], $0[1], $0[2])] }
    }

    /// A row with any number of inputs and outputs (`split`, `max(dim:)`).
    public static func outputs(_ key: String, sourceLocation: SourceLocation = #_sourceLocation,
                               _ body: @escaping @Sendable ([Tensor]) -> [Tensor]) -> OpRow {
        OpRow(key, sourceLocation: sourceLocation, body: body)
    }

    /// Runs the computation.
    public func evaluate(_ inputs: [Tensor]) -> [Tensor] { body(inputs) }

    /// This row with a known difference from PyTorch.
    ///
    /// - Parameters:
    ///   - checks: The checks that fail.
    ///   - variants: The variants that fail (`""` for the main case); nil for all.
    ///   - layouts: The input layouts under which they fail; nil for all.
    ///   - reason: Why, shown in the test report.
    public func knownIssue(_ checks: Set<OpCheck>, variants: Set<String>? = nil, layouts: Set<Layout>? = nil,
                           _ reason: String) -> OpRow {
        var row = self
        row.knownIssues.append(KnownIssue(checks: checks, variants: variants, layouts: layouts, reason: reason))
        return row
    }

    /// This row compared with a looser tolerance for `dtype` (say why at the call).
    public func tolerance(_ dtype: DType, rtol: Double, atol: Double) -> OpRow {
        var row = self
        row.tolerances[dtype] = Tolerance(rtol: rtol, atol: atol)
        return row
    }
}

/// One golden case of one row: what a parameterised test runs.
public struct OpCase: Sendable, CustomTestStringConvertible {
    /// The computation.
    public let row: OpRow
    /// Its inputs and PyTorch's results.
    public let golden: OpGolden

    /// Pairs a row with one of its goldens.
    public init(row: OpRow, golden: OpGolden) {
        self.row = row
        self.golden = golden
    }

    public var testDescription: String { golden.name }

    /// Where failures are reported: the row in the table.
    public var sourceLocation: SourceLocation { row.sourceLocation }

    /// Whether PyTorch computes gradients for this case.
    public var isDifferentiable: Bool { golden.grads != nil }

    /// Fresh leaf tensors for the inputs.
    public func makeInputs() -> [Tensor] { golden.inputs.map { $0.makeTensor() } }

    /// The tolerance for comparing values of `dtype`.
    public func tolerance(for dtype: DType) -> Tolerance {
        row.tolerances[dtype] ?? .standard(for: dtype)
    }

    /// The known issue covering `check` under `layout`, if any.
    public func knownIssue(_ check: OpCheck, layout: Layout) -> KnownIssue? {
        let variant = golden.variant ?? ""
        return row.knownIssues.first { issue in
            issue.checks.contains(check) && (issue.variants?.contains(variant) ?? true)
                && (issue.layouts?.contains(layout) ?? true)
        }
    }

    /// Runs `body`, which makes the expectations of `check`, inside
    /// `withKnownIssue` when the row declares that check a known issue.
    public func expecting(_ check: OpCheck, layout: Layout, _ body: () -> Void) {
        if let issue = knownIssue(check, layout: layout) {
            withKnownIssue(Comment(rawValue: issue.reason), sourceLocation: sourceLocation) { body() }
        } else {
            body()
        }
    }
}

/// Expects `actual` to match a golden tensor: shape, dtype and values within
/// `tolerance` (exact for integers and bools; NaN matches NaN).
public func expectMatches(_ actual: Tensor, _ expected: GoldenTensor, tolerance: Tolerance, _ what: String,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what): shape", sourceLocation: sourceLocation)
    #expect(actual.dtype == expected.dtype, "\(what): dtype", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let values = withNoGrad { actual.scalars(as: Double.self) }
    for (i, (a, e)) in zip(values, expected.values).enumerated() {
        let ok = (a.isNaN && e.isNaN) || a == e || Swift.abs(a - e) <= tolerance.atol + tolerance.rtol * Swift.abs(e)
        if !ok {
            Issue.record("\(what): element \(i) is \(a), expected \(e)", sourceLocation: sourceLocation)
            return
        }
    }
}
