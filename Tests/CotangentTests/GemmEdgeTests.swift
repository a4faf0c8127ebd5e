import CCotangentKernels
import CotangentTestSupport
import Testing

/// Edge shapes of the packed GEMM (gemm.c, gemm_avx512.c) against a naive
/// triple loop: sizes around the 14-row tile and the 16/32-column panels,
/// leading dimensions larger than the row (odd), transposed operands and
/// outputs, beta != 0, several K slices, the threaded sizes, float32 and
/// float64, on every instruction set the CPU has and on one and two threads.
@Suite(.serialized) struct GemmEdgeTests {
    /// One product: logical A is m x k, B k x n, C m x n, each stored with a
    /// padded leading dimension (`pad` extra elements per row or column).
    private struct Case {
        let m: Int, n: Int, k: Int, transA: Bool, transB: Bool, transC: Bool, pad: Int, beta: Double
        var rsa: Int { transA ? 1 : k + pad }
        var csa: Int { transA ? m + pad : 1 }
        var rsb: Int { transB ? 1 : n + pad }
        var csb: Int { transB ? k + pad : 1 }
        var rsc: Int { transC ? 1 : n + pad }
        var csc: Int { transC ? m + pad : 1 }
        var label: String { "\(m)x\(n)x\(k) tA=\(transA) tB=\(transB) tC=\(transC) pad=\(pad) beta=\(beta)" }

        /// The operands with the double-precision reference, computed once.
        func prepare<T: BinaryFloatingPoint>(_: T.Type, rng: inout LCG) -> Prepared<T> {
            let sizeA = transA ? (m + pad) * k : (k + pad) * m
            let sizeB = transB ? (k + pad) * n : (n + pad) * k
            let sizeC = transC ? (m + pad) * n : (n + pad) * m
            let a = (0..<sizeA).map { _ in T(rng.uniform(-1, 1)) }
            let b = (0..<sizeB).map { _ in T(rng.uniform(-1, 1)) }
            // beta == 0: C must not be read, so it starts as NaN; padding holds a sentinel.
            var c0 = [T](repeating: Prepared<T>.sentinel, count: sizeC)
            for i in 0..<m { for j in 0..<n { c0[i * rsc + j * csc] = beta == 0 ? T.nan : T(rng.uniform(-1, 1)) } }
            let eps = T.self == Float.self ? 1.2e-7 : 2.3e-16
            let (want, tol) = referenceGemm(m: m, n: n, k: k, alpha: 1.5, a: a, rsa: rsa, csa: csa, b: b, rsb: rsb, csb: csb,
                                            beta: beta, c0: c0, rsc: rsc, csc: csc, eps: eps)
            return Prepared(problem: self, a: a, b: b, c0: c0, want: want, tol: tol)
        }
    }

    private struct Prepared<T: BinaryFloatingPoint> {
        static var sentinel: T { T(12345) }
        let problem: Case
        let a: [T], b: [T], c0: [T]
        let want: [Double], tol: [Double]  // NaN outside C's elements

        /// The worst |got - want| / tolerance over C (> 1 fails), and whether the
        /// padding between C's rows or columns was left alone.
        func run(_ dtype: ct_dtype) -> (Double, Bool) {
            let q = problem
            var c = c0
            a.withUnsafeBytes { a in
                b.withUnsafeBytes { b in
                    c.withUnsafeMutableBytes { c in
                        ct_gemm(dtype, Int64(q.m), Int64(q.n), Int64(q.k), 1.5, a.baseAddress, Int64(q.rsa),
                                Int64(q.csa), b.baseAddress, Int64(q.rsb), Int64(q.csb), q.beta, c.baseAddress,
                                Int64(q.rsc), Int64(q.csc))
                    }
                }
            }
            var worst = 0.0, untouched = true
            for i in 0..<c.count {
                if want[i].isNaN {
                    untouched = untouched && c[i] == Self.sentinel
                } else {
                    let err = abs(Double(c[i]) - want[i]) / tol[i]
                    worst = max(worst, err.isNaN ? .infinity : err)
                }
            }
            return (worst, untouched)
        }
    }

    private func run(_ cases: [Case]) {
        var rng = LCG(state: 42)
        let p32 = cases.map { $0.prepare(Float.self, rng: &rng) }
        let p64 = cases.map { $0.prepare(Double.self, rng: &rng) }
        forEachBackend { backend in
            var failures = [String]()
            for (x, y) in zip(p32, p64) {
                let (e32, u32) = x.run(CT_F32), (e64, u64) = y.run(CT_F64)
                if !(e32 <= 1 && u32) { failures.append("f32 \(x.problem.label): error \(e32) / tol, padding kept \(u32)") }
                if !(e64 <= 1 && u64) { failures.append("f64 \(y.problem.label): error \(e64) / tol, padding kept \(u64)") }
            }
            #expect(failures.isEmpty, "\(backend): \(failures.count) failures, first \(failures.prefix(4))")
        }
    }

    /// A 1 x 1 product of up to 16 terms (`dot` of short vectors) skips the
    /// micro-kernel but must give its bits: the same element of a 2 x 2 product
    /// of the same rows and columns, which runs it, on every instruction set.
    @Test func tinyDotGivesTheMicroKernelsBits() {
        var rng = LCG(state: 7)
        func check<T: BinaryFloatingPoint>(_: T.Type, _ dtype: ct_dtype) -> [String] {
            var failures = [String]()
            for k in 1...16 {
                // A's row with column stride 3, B's column with row stride 2 (a 2-row, 2-column layout).
                let a = (0..<(3 * k + 1)).map { _ in T(rng.uniform(-1, 1)) }
                let b = (0..<(2 * k)).map { _ in T(rng.uniform(-1, 1)) }
                var one = [T](repeating: .nan, count: 1), four = [T](repeating: .nan, count: 4)
                a.withUnsafeBytes { a in
                    b.withUnsafeBytes { b in
                        one.withUnsafeMutableBytes { c in
                            ct_gemm(dtype, 1, 1, Int64(k), 1, a.baseAddress, 1, 3, b.baseAddress, 2, 1, 0, c.baseAddress, 1, 1)
                        }
                        // Rows 0 and 1 of A start one element apart; columns 0 and 1 of B likewise.
                        four.withUnsafeMutableBytes { c in
                            ct_gemm(dtype, 2, 2, Int64(k), 1, a.baseAddress, 1, 3, b.baseAddress, 2, 1, 0, c.baseAddress, 2, 1)
                        }
                    }
                }
                if one[0] != four[0] { failures.append("\(T.self) k=\(k): \(one[0]) != \(four[0])") }
            }
            return failures
        }
        forEachBackend { backend in
            let failures = check(Float.self, CT_F32) + check(Double.self, CT_F64)
            #expect(failures.isEmpty, "\(backend): \(failures)")
        }
    }

    @Test func sizesAroundTheTile() {
        let sizes = [1, 13, 14, 15, 17, 31, 33]
        var cases = [Case]()
        var count = 0
        for m in sizes {
            for n in sizes {
                for k in sizes {
                    count += 1
                    let layout = count % 8
                    cases.append(Case(m: m, n: n, k: k, transA: layout & 1 != 0, transB: layout & 2 != 0,
                                      transC: layout & 4 != 0, pad: count % 3 == 0 ? 0 : 2 * (count % 4) + 1,
                                      beta: count % 5 == 0 ? 0.5 : 0))
                }
            }
        }
        run(cases)
    }

    @Test func everyTranspositionWithOddLeadingDimensions() {
        var cases = [Case]()
        for layout in 0..<8 {
            for (m, n, k) in [(29, 47, 19), (14, 32, 16), (15, 33, 17)] {
                cases.append(Case(m: m, n: n, k: k, transA: layout & 1 != 0, transB: layout & 2 != 0,
                                  transC: layout & 4 != 0, pad: 3, beta: layout % 3 == 1 ? -0.75 : 0))
            }
        }
        run(cases)
    }

    /// The packed path (K above the in-place limit), K split into several
    /// slices (beta applied once), the logits-layer shapes (N or M of 10) and
    /// products large enough to be threaded.
    @Test func packedSlicedAndThreadedShapes() {
        run([
            Case(m: 31, n: 17, k: 600, transA: false, transB: false, transC: false, pad: 1, beta: 0),
            Case(m: 15, n: 33, k: 2100, transA: true, transB: false, transC: false, pad: 0, beta: 0.5),
            Case(m: 13, n: 10, k: 1100, transA: false, transB: true, transC: true, pad: 5, beta: 2),
            Case(m: 64, n: 10, k: 128, transA: false, transB: true, transC: false, pad: 0, beta: 0),
            Case(m: 64, n: 128, k: 10, transA: false, transB: false, transC: false, pad: 0, beta: 0),
            Case(m: 10, n: 128, k: 64, transA: true, transB: false, transC: false, pad: 0, beta: 0),
            Case(m: 129, n: 131, k: 257, transA: false, transB: false, transC: false, pad: 3, beta: 0.25),
            Case(m: 9, n: 301, k: 800, transA: false, transB: true, transC: false, pad: 1, beta: 0),
        ])
    }
}
