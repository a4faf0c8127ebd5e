import Testing

@testable import Cotangent

/// A way of deriving one tensor from another, named for test reports.
struct Derivation: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable (Tensor) -> Tensor
    var testDescription: String { name }

    init(_ name: String, _ make: @escaping @Sendable (Tensor) -> Tensor) {
        self.name = name
        self.make = make
    }
}

/// Views share storage with their base: writes through either are seen by the
/// other, as in PyTorch. Ops that must copy (index tensors, non-viewable
/// reshapes, clones) must not alias.
///
/// Every test starts from a base whose elements are their own row-major
/// positions (0, 1, 2, ...), so the values a view reads name the base elements
/// it aliases.
@Suite("View aliasing")
struct ViewAliasingTests {
    /// A 2 x 3 x 4 float64 base holding 0 ..< 24.
    static func base() -> Tensor { Tensor.arange(24.0, dtype: .float64).reshaped(2, 3, 4) }

    /// Views that writes can go through.
    static let views: [Derivation] = [
        Derivation("reshaped(6, 4)") { $0.reshaped(6, 4) },
        Derivation("reshaped(-1)") { $0.reshaped(-1) },
        Derivation("flattened(startDim: 1)") { $0.flattened(startDim: 1) },
        Derivation("transposed(0, 2)") { $0.transposed(0, 2) },
        Derivation("permuted(2, 0, 1)") { $0.permuted(2, 0, 1) },
        Derivation("[0].t()") { $0[0].t() },
        Derivation("transposed(0, 1).reshaped(3, 2, 2, 2)") { $0.transposed(0, 1).reshaped(3, 2, 2, 2) },
        Derivation("select(dim: 1, index: 2)") { $0.select(dim: 1, index: 2) },
        Derivation("slice(dim: 2, start: 1, step: 2)") { $0.slice(dim: 2, start: 1, end: nil, step: 2) },
        Derivation("narrowed(dim: 1, start: 1, length: 2)") { $0.narrowed(dim: 1, start: 1, length: 2) },
        Derivation("x[1]") { $0[1] },
        Derivation("x[-1, 2]") { $0[-1, 2] },
        Derivation("x[..., 1]") { $0[..., 1] },
        Derivation("x[1, 1..<3]") { $0[1, 1..<3] },
        Derivation("x[TensorIndex.ellipsis, 3]") { $0[TensorIndex.ellipsis, 3] },
        Derivation("x[TensorIndex.newAxis]") { $0[TensorIndex.newAxis] },
        Derivation("x[0, stride(from: 0, to: 3, by: 2)]") { $0[0, stride(from: 0, to: 3, by: 2)] },
        Derivation("unsqueezed(1)") { $0.unsqueezed(1) },
        Derivation("unsqueezed(0).squeezed()") { $0.unsqueezed(0).squeezed() },
        Derivation("split(size: 3, dim: 2)[1]") { $0.split(size: 3, dim: 2)[1] },
        Derivation("chunked(2, dim: 1)[1]") { $0.chunked(2, dim: 1)[1] },
        Derivation("detached()") { $0.detached() },
        Derivation("contiguous() of a contiguous tensor") { $0.contiguous() },
        Derivation("to(.float64) of a float64 tensor") { $0.to(.float64) },
    ]

    /// Results that must be copies.
    static let copies: [Derivation] = [
        Derivation("cloned()") { $0.cloned() },
        Derivation("transposed(0, 2).contiguous()") { $0.transposed(0, 2).contiguous() },
        Derivation("transposed(0, 2).reshaped(-1)") { $0.transposed(0, 2).reshaped(-1) },
        Derivation("x[index tensor]") { $0[Tensor([1, 0])] },
        Derivation("x[mask]") { $0[Tensor([true, false])] },
        Derivation("indexSelect(dim: 2, _:)") { $0.indexSelect(dim: 2, Tensor([3, 0])) },
        Derivation("to(.float32)") { $0.to(.float32) },
        Derivation("x + 0") { $0 + 0 },
    ]

    /// The base positions a derived tensor reads, in its row-major order.
    private func positions(_ t: Tensor) -> [Int] { t.scalars(as: Double.self).map { Int($0) } }

    @Test("Writing through a view is seen by the base", arguments: views)
    func writeThroughView(_ derivation: Derivation) {
        let base = Self.base()
        let view = derivation.make(base)
        let aliased = Set(positions(view))
        view += 1000
        let expected = (0..<24).map { Double(aliased.contains($0) ? $0 + 1000 : $0) }
        #expect(base.scalars(as: Double.self) == expected)
    }

    @Test("Writing to the base is seen by a view", arguments: views)
    func writeToBase(_ derivation: Derivation) {
        let base = Self.base()
        let view = derivation.make(base)
        let before = view.scalars(as: Double.self)
        base *= -1
        #expect(view.scalars(as: Double.self) == before.map { -$0 })
    }

    @Test("Assigning through a subscript of a view reaches the base", arguments: views)
    func subscriptAssignmentThroughView(_ derivation: Derivation) {
        let base = Self.base()
        let view = derivation.make(base)
        let value = Tensor(-5.0, dtype: .float64)
        let targets: Set<Int>
        if view.rank == 0 {
            targets = Set(positions(view))
            view[TensorIndex.ellipsis] = value
        } else {
            targets = Set(positions(view[0]))
            view[0] = value
        }
        let expected = (0..<24).map { targets.contains($0) ? -5 : Double($0) }
        #expect(base.scalars(as: Double.self) == expected)
    }

    @Test("Writes through a view bump the shared version counter", arguments: views)
    func versionCounterIsShared(_ derivation: Derivation) {
        let base = Self.base()
        let view = derivation.make(base)
        let version = base.storage.version
        view.fill(7)
        #expect(base.storage.version == version + 1)
        #expect(view.storage === base.storage)
    }

    @Test("An expanded view reads the base's current values")
    func expandedViewReadsBase() {
        let base = Tensor([1.0, 2.0, 3.0], dtype: .float64)
        let expanded = base.expanded(to: [2, 3])
        #expect(expanded.strides == [0, 1])
        base[1] = Tensor(20.0, dtype: .float64)
        #expect(expanded.scalars(as: Double.self) == [1, 20, 3, 1, 20, 3])
        let column = Tensor([[1.0], [2.0]], dtype: .float64).expanded(to: [2, 3])
        #expect(column.scalars(as: Double.self) == [1, 1, 1, 2, 2, 2])
    }

    @Test("Results that copy do not alias the base", arguments: copies)
    func copiesDoNotAlias(_ derivation: Derivation) {
        let base = Self.base()
        let copy = derivation.make(base)
        let before = copy.scalars(as: Double.self)
        copy += 1000
        #expect(base.scalars(as: Double.self) == (0..<24).map(Double.init))
        base *= -1
        #expect(copy.scalars(as: Double.self) == before.map { $0 + 1000 })
    }

    // MARK: Contiguity

    @Test("isContiguous", arguments: [
        (Derivation("fresh") { $0 }, true),
        (Derivation("transposed(0, 1)") { $0.transposed(0, 1) }, false),
        (Derivation("transposed(0, 1).contiguous()") { $0.transposed(0, 1).contiguous() }, true),
        (Derivation("permuted(0, 2, 1)") { $0.permuted(0, 2, 1) }, false),
        (Derivation("rows x[1]") { $0[1] }, true),
        (Derivation("column x[..., 1]") { $0[..., 1] }, false),
        (Derivation("slice(dim: 2, step: 2)") { $0.slice(dim: 2, start: 0, end: nil, step: 2) }, false),
        (Derivation("narrowed(dim: 0, start: 1, length: 1)") { $0.narrowed(dim: 0, start: 1, length: 1) }, true),
        (Derivation("narrowed(dim: 2, start: 1, length: 2)") { $0.narrowed(dim: 2, start: 1, length: 2) }, false),
        (Derivation("unsqueezed(1)") { $0.unsqueezed(1) }, true),
        (Derivation("x[0, 0, 0] (0-d)") { $0[0, 0, 0] }, true),
        (Derivation("expanded size-1 dim") { $0[TensorIndex.newAxis].expanded(to: [2, 2, 3, 4]) }, false),
        (Derivation("x[..., 1...1]") { $0[..., 1...1] }, false),
        (Derivation("x[0...0]") { $0[0...0] }, true),
        (Derivation("size-1 dim with an odd stride") { $0[0...0].transposed(0, 1) }, true),
        (Derivation("empty slice") { $0.slice(dim: 2, start: 1, end: 1) }, true),
        (Derivation("transposed empty") { _ in Tensor.zeros(0, 3).t() }, true),
    ] as [(Derivation, Bool)])
    func contiguity(_ derivation: Derivation, _ expected: Bool) {
        #expect(derivation.make(Self.base()).isContiguous == expected)
    }

    @Test("contiguous() copies only when needed", arguments: [
        Derivation("fresh") { $0 },
        Derivation("transposed(0, 2)") { $0.transposed(0, 2) },
        Derivation("x[1]") { $0[1] },
        Derivation("x[..., 1]") { $0[..., 1] },
        Derivation("slice(dim: 2, step: 2)") { $0.slice(dim: 2, start: 0, end: nil, step: 2) },
    ])
    func contiguousCopiesOnlyWhenNeeded(_ derivation: Derivation) {
        let t = derivation.make(Self.base())
        let c = t.contiguous()
        #expect(c.isContiguous)
        #expect(c.scalars(as: Double.self) == t.scalars(as: Double.self))
        if t.isContiguous {
            #expect(c === t)
        } else {
            #expect(c.storage !== t.storage)
            c.fill(-1)
            #expect(!t.scalars(as: Double.self).contains(-1))
        }
    }

    // MARK: Detaching

    @Test func detachedSharesStorageAndDropsHistory() {
        let x = Tensor([1.0, 2.0, 3.0], requiresGrad: true)
        let y = x * 2
        let d = y.detached()
        #expect(!d.requiresGrad)
        #expect(d.isLeaf)
        #expect(d.gradFn == nil)
        #expect(d.storage === y.storage)
        d[0] = Tensor(10.0)
        #expect(y.scalars(as: Float.self) == [10, 4, 6])
        withNoGrad { y[2] = Tensor(-1.0) }
        #expect(d.scalars(as: Float.self) == [10, 4, -1])
        // The leaf itself can be detached and written without tripping autograd.
        let leafView = x.detached()
        leafView += 1
        #expect(x.scalars(as: Float.self) == [2, 3, 4])
        #expect(x.requiresGrad && x.isLeaf)
    }
}
