import Cotangent
import Testing

/// Expects `actual` to have `shape` and values within `atol + rtol * |expected|`
/// of `expected` (row-major); NaNs must match NaNs.
public func expectClose(_ actual: Tensor, _ expected: [Double], shape: [Int]? = nil, dtype: DType? = nil,
                        rtol: Double = 1e-5, atol: Double = 1e-6,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    if let shape { #expect(actual.shape == shape, "shape", sourceLocation: sourceLocation) }
    if let dtype { #expect(actual.dtype == dtype, "dtype", sourceLocation: sourceLocation) }
    let values = actual.scalars(as: Double.self)
    guard values.count == expected.count else {
        Issue.record("expected \(expected.count) values, got \(values.count)", sourceLocation: sourceLocation)
        return
    }
    for (i, (a, e)) in zip(values, expected).enumerated() {
        let ok = (a.isNaN && e.isNaN) || a == e || Swift.abs(a - e) <= atol + rtol * Swift.abs(e)
        if !ok {
            Issue.record("element \(i): got \(a), expected \(e)", sourceLocation: sourceLocation)
            return
        }
    }
}

/// Expects two tensors to have the same shape and close values.
public func expectClose(_ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-5, atol: Double = 1e-6,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(actual, expected.scalars(as: Double.self), shape: expected.shape, rtol: rtol, atol: atol,
                sourceLocation: sourceLocation)
}

/// Expects autograd's gradients of `f` to match central differences in Float64.
public func expectGradientsMatch(_ f: ([Tensor]) -> Tensor, inputs: [Tensor], eps: Double = 1e-6,
                                 atol: Double = 1e-5, rtol: Double = 1e-3,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
    let report = gradCheck(f, inputs: inputs, eps: eps, atol: atol, rtol: rtol)
    #expect(report.passed, "\(report)", sourceLocation: sourceLocation)
}

/// Expects an exit test's standard error to contain `text` (programmer errors
/// stop the process with a PyTorch-worded message on standard error).
public func expectStandardError(_ result: ExitTest.Result?, contains text: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
    guard let result else { return }  // The exit test itself already failed.
    let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
    #expect(stderr.contains(text), "standard error:\n\(stderr)\nexpected to contain:\n\(text)",
            sourceLocation: sourceLocation)
}

/// Memory layouts an op must handle identically.
public enum Layout: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Row-major with no gaps.
    case contiguous
    /// Stored with the dims reversed, viewed through a permutation.
    case transposed
    /// Every other element of a buffer twice as long in the last dim.
    case sliced

    public var description: String { rawValue }
}

/// A tensor with the same logical values as `t` but stored with `layout`.
/// The conversion is recorded, so gradients flow back through it.
public func withLayout(_ t: Tensor, _ layout: Layout) -> Tensor {
    switch layout {
    case .contiguous:
        return t.contiguous()
    case .transposed:
        guard t.rank >= 2 else { return withLayout(t, .sliced) }
        let reversed = Array((0..<t.rank).reversed())
        return t.permuted(reversed).contiguous().permuted(reversed)
    case .sliced:
        guard t.rank >= 1 else { return t }
        var wide = t.shape
        wide[wide.count - 1] *= 2
        // Interleave with zeros, then view every other element: a strided view of t.
        let interleaved = Tensor.cat([t.unsqueezed(-1), Tensor.zeros(like: t).unsqueezed(-1)], dim: -1).reshaped(wide)
        return interleaved.slice(dim: -1, start: 0, end: nil, step: 2)
    }
}
