/// The outcome of ``gradCheck(_:inputs:eps:atol:rtol:)``.
public struct GradCheckReport: CustomStringConvertible, Sendable {
    /// Whether every analytic derivative matched its finite-difference estimate.
    public let passed: Bool
    /// The worst mismatch: which input, which of its elements (row-major), which
    /// output element, the two estimates and how far apart they are.
    public let worstInput: Int, worstElement: Int, worstOutput: Int
    public let analytic: Double, numerical: Double, error: Double

    public var description: String {
        passed ? "gradCheck passed (largest difference \(error))"
            : "gradCheck failed: d output[\(worstOutput)] / d input \(worstInput)[\(worstElement)]: analytic \(analytic), numerical \(numerical) (difference \(error))"
    }
}

/// Compares the gradients autograd computes for `f` with central differences,
/// the seed notebook's derivative-as-a-limit made into a test tool
/// (PyTorch's `torch.autograd.gradcheck`).
///
/// Every input is converted to a `float64` leaf that requires grad, so the
/// difference quotient `(f(x + eps) - f(x - eps)) / 2eps` is accurate; the full
/// Jacobian is compared element by element.
///
/// - Parameters:
///   - f: The function to check; it may return a tensor of any shape.
///   - inputs: The points at which to check (floating-point tensors).
///   - eps: The finite-difference step.
///   - atol: Absolute tolerance.
///   - rtol: Relative tolerance, scaled by the numerical estimate.
/// - Returns: A report naming the worst mismatch.
/// - Complexity: One forward pass per input element (twice), one backward per output element.
public func gradCheck(_ f: ([Tensor]) -> Tensor, inputs: [Tensor], eps: Double = 1e-6,
                      atol: Double = 1e-5, rtol: Double = 1e-3) -> GradCheckReport {
    let points = inputs.map { input -> Tensor in
        let x = withNoGrad { input.to(.float64).cloned() }
        x.requiresGrad = true
        return x
    }
    let output = f(points)
    let outputCount = output.count
    var worst = (input: 0, element: 0, output: 0, analytic: 0.0, numerical: 0.0, error: 0.0, excess: -Double.infinity)

    // Analytic Jacobian, one row per output element.
    var analytic = [[[Double]]](repeating: [], count: points.count)
    for j in 0..<outputCount {
        let seed = Tensor.zeros(output.shape, dtype: output.dtype)
        withNoGrad { seed.reshaped(-1)[j] = Tensor(1.0) }
        let grads: [Tensor?] = output.requiresGrad
            ? grad(of: output, wrt: points, gradient: seed, retainGraph: true, allowUnused: true).map { $0 }
            : [Tensor?](repeating: nil, count: points.count)
        for (i, g) in grads.enumerated() {
            analytic[i].append(g.map { $0.to(.float64).scalars(as: Double.self) } ?? [Double](repeating: 0, count: points[i].count))
        }
    }

    // Central differences, perturbing one element at a time.
    for (i, x) in points.enumerated() {
        let values = x.baseAddress.assumingMemoryBound(to: Double.self)
        for k in 0..<x.count {
            let original = values[k]
            values[k] = original + eps
            let plus = withNoGrad { f(points).to(.float64).scalars(as: Double.self) }
            values[k] = original - eps
            let minus = withNoGrad { f(points).to(.float64).scalars(as: Double.self) }
            values[k] = original
            for j in 0..<outputCount {
                let numerical = (plus[j] - minus[j]) / (2 * eps)
                let a = analytic[i][j][k]
                let error = Swift.abs(a - numerical)
                let excess = error - (atol + rtol * Swift.abs(numerical))
                if excess > worst.excess || (a.isNaN != numerical.isNaN) {
                    worst = (i, k, j, a, numerical, error, a.isNaN != numerical.isNaN ? .infinity : excess)
                }
            }
        }
    }
    return GradCheckReport(passed: worst.excess <= 0, worstInput: worst.input, worstElement: worst.element,
                           worstOutput: worst.output, analytic: worst.analytic, numerical: worst.numerical,
                           error: worst.error)
}
