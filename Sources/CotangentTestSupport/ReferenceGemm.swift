/// `C = alpha · A·B + beta · C0` in `Double`, with a bound on each element's
/// rounding error, for checking GEMM kernels against: element `(i, j)` of a
/// matrix `X` is `x[i * rsx + j * csx]`; A is `m × k`, B `k × n`, C `m × n`.
///
/// - Parameter eps: The unit roundoff of the kernel's element type.
/// - Returns: `want` and `tol` with `c0`'s layout; elements outside C (padding) are NaN.
public func referenceGemm<T: BinaryFloatingPoint>(
    m: Int, n: Int, k: Int, alpha: Double, a: [T], rsa: Int, csa: Int, b: [T], rsb: Int, csb: Int,
    beta: Double, c0: [T], rsc: Int, csc: Int, eps: Double
) -> (want: [Double], tol: [Double]) {
    var want = [Double](repeating: .nan, count: c0.count), tol = want
    for i in 0..<m {
        for j in 0..<n {
            var acc = 0.0, mag = 0.0
            for p in 0..<k {
                let t = Double(a[i * rsa + p * csa]) * Double(b[p * rsb + j * csb])
                acc += t
                mag += abs(t)
            }
            let ci = i * rsc + j * csc
            want[ci] = alpha * acc + (beta == 0 ? 0 : beta * Double(c0[ci]))
            tol[ci] = 4 * eps * (Double(k) * abs(alpha) * mag + 1)
        }
    }
    return (want, tol)
}
