// Tests of the C kernels (CCotangentKernels) against straightforward Swift
// references: every instruction-set variant (AVX-512, AVX2, portable) the CPU
// has, 1 and 2 threads, and contiguous / strided / broadcast / transposed /
// empty / odd-sized operands.
import CCotangentKernels
import CotangentTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` once per available SIMD level and thread count, restoring the defaults
/// (also GemmEdgeTests).
func forEachBackend(threads: [Int32] = [1, 2], _ body: (String) throws -> Void) rethrows {
    // Both overrides are the calling thread's own: other tests running at
    // the same time keep their instruction set and thread count.
    defer {
        ct_set_simd_level(-1)
        ct_set_local_num_threads(0)
    }
    let best = ct_set_simd_level(-1)
    for level in stride(from: best, through: 0, by: -1) {
        ct_set_simd_level(level)
        for t in threads {
            ct_set_local_num_threads(t)
            try body("\(String(cString: ct_simd_name())) x\(t)")
        }
    }
}

/// A deterministic generator for kernel test data (also GemmEdgeTests).
struct LCG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 11
    }
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
        lo + (hi - lo) * Double(next()) / Double(1 << 53)
    }
}

private func ulpDistance(_ a: Float, _ b: Float) -> Int64 {
    if a.isNaN && b.isNaN { return 0 }
    if a.isNaN || b.isNaN { return .max }
    if a == b { return 0 }
    func key(_ x: Float) -> Int64 {
        let bits = Int64(x.bitPattern & 0x7fff_ffff)
        return x.sign == .minus ? -bits : bits
    }
    return abs(key(a) - key(b))
}

private func ulpError(_ got: Double, _ want: Float80) -> Double {
    if got.isNaN && want.isNaN { return 0 }
    if got.isNaN || want.isNaN { return .infinity }
    let w = Double(want)
    if got.isInfinite || w.isInfinite { return got == w ? 0 : .infinity }
    let ulp = w.isZero ? Double.leastNonzeroMagnitude : max(w.ulp, Double.leastNonzeroMagnitude)
    return Double(abs(Float80(got) - want) / Float80(ulp))
}

@Suite(.serialized) struct KernelTests {
    // MARK: Threads

    @Test func threadCountSetting() {
        let global = ct_get_num_threads()
        #expect(global >= 1)
        ct_set_local_num_threads(3)
        #expect(ct_get_num_threads() == 3)
        // Another thread still sees the global count.
        final class Seen: @unchecked Sendable { var count: Int32 = 0 }
        let seen = Seen()
        let thread = Thread { seen.count = ct_get_num_threads() }
        thread.start()
        while !thread.isFinished { usleep(1000) }
        #expect(seen.count == global)
        ct_set_local_num_threads(0)
        #expect(ct_get_num_threads() == global)
    }

    // MARK: Elementwise

    @Test(arguments: [CT_F32, CT_F64])
    func binaryFloatLayouts(dtype: ct_dtype) {
        let ops: [(ct_binary_op, (Double, Double) -> Double)] = [
            (CT_ADD, { $0 + $1 }), (CT_SUB, { $0 - $1 }), (CT_MUL, { $0 * $1 }), (CT_DIV, { $0 / $1 }),
            (CT_MAXIMUM, { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }),
            (CT_MINIMUM, { $0.isNaN || $1.isNaN ? .nan : min($0, $1) }),
        ]
        var rng = LCG(state: 1)
        // (rows, cols) and element strides (row, col) of a, b, out.
        let layouts: [(Int, Int, [Int], [Int], [Int])] = [
            (1, 0, [0, 1], [0, 1], [0, 1]),                 // empty
            (1, 1, [0, 1], [0, 1], [0, 1]),
            (1, 37, [0, 1], [0, 1], [0, 1]),                // contiguous, odd
            (3, 33, [33, 1], [0, 0], [33, 1]),              // tensor-scalar
            (3, 17, [0, 0], [17, 1], [17, 1]),              // scalar-tensor
            (5, 31, [31, 1], [0, 1], [31, 1]),              // row broadcast
            (5, 31, [31, 1], [1, 0], [31, 1]),              // column broadcast
            (4, 9, [1, 4], [9, 1], [9, 1]),                 // transposed a
            (6, 7, [14, 2], [7, 1], [1, 6]),                // strided a, transposed out
            (260, 257, [257, 1], [0, 1], [257, 1]),         // large: threaded
            (1, 70_001, [0, 1], [0, 1], [0, 1]),            // one long row: threaded
        ]
        for (rows, cols, sa, sb, so) in layouts {
            func extent(_ s: [Int]) -> Int { max(1, (rows - 1) * s[0] + (cols - 1) * s[1] + 1) }
            var av = (0..<extent(sa)).map { _ in rng.uniform(-3, 3) }
            var bv = (0..<extent(sb)).map { _ in rng.uniform(0.5, 3) }
            if bv.count > 5 { bv[3] = .nan }
            if dtype == CT_F32 { (av, bv) = (av.map { Double(Float($0)) }, bv.map { Double(Float($0)) }) }
            let (a32, b32) = (av.map { Float($0) }, bv.map { Float($0) })
            let shape = [Int64(rows), Int64(cols)]
            let (sa64, sb64, so64) = (sa.map { Int64($0) }, sb.map { Int64($0) }, so.map { Int64($0) })
            // Large layouts exist to reach the threaded split, which does not depend on the
            // op: one arithmetic and one NaN-propagating op suffice there.
            let big = rows * cols > 60_000
            for (op, ref) in ops where !big || op == CT_ADD || op == CT_MAXIMUM {
                // The reference once per layout (output positions never written stay NaN).
                var want = [Double](repeating: .nan, count: extent(so))
                for i in 0..<rows {
                    for j in 0..<cols {
                        let w = ref(av[i * sa[0] + j * sa[1]], bv[i * sb[0] + j * sb[1]])
                        want[i * so[0] + j * so[1]] = dtype == CT_F32 ? Double(Float(w)) : w
                    }
                }
                forEachBackend(threads: big ? [2] : [1, 2]) { backend in
                    var got = [Double](repeating: .nan, count: extent(so))
                    if dtype == CT_F32 {
                        var o = [Float](repeating: .nan, count: extent(so))
                        ct_binary(op, dtype, 2, shape, a32, sa64, b32, sb64, &o, so64, nil)
                        got = o.map { Double($0) }
                    } else {
                        ct_binary(op, dtype, 2, shape, av, sa64, bv, sb64, &got, so64, nil)
                    }
                    let bad = zip(got, want).filter { !($0 == $1 || ($0.isNaN && $1.isNaN)) }.count
                    #expect(bad == 0, "\(backend) op \(op) \(rows)x\(cols)")
                }
            }
        }
    }

    @Test func binaryIntegersAndComparisons() {
        let a: [Int32] = [-7, -3, 0, 5, 9, 12, -1, 100, 3]
        let b: [Int32] = [2, -2, 3, 5, -4, 0, 7, 10, 3]
        let shape: [Int64] = [9], s: [Int64] = [1]
        var o = [Int32](repeating: 0, count: 9)
        ct_binary(CT_FLOORDIV, CT_I32, 1, shape, a, s, b, s, &o, s, nil)
        #expect(o == [-4, 1, 0, 1, -3, 0, -1, 10, 1])
        ct_binary(CT_REM, CT_I32, 1, shape, a, s, b, s, &o, s, nil)
        #expect(o == [1, -1, 0, 0, -3, 0, 6, 0, 0])
        var cmp = [UInt8](repeating: 9, count: 9)
        ct_binary(CT_LT, CT_I32, 1, shape, a, s, b, s, &cmp, s, nil)
        #expect(cmp == [1, 1, 1, 0, 0, 0, 1, 0, 0])
        let big = (0..<100_000).map { Int64($0) }
        var out = [Int64](repeating: 0, count: big.count)
        forEachBackend { _ in
            ct_binary(CT_MUL, CT_I64, 1, [Int64(big.count)], big, [1], [Int64(3)], [0], &out, [1], nil)
            #expect(out == big.map { $0 * 3 })
        }
    }

    @Test(arguments: [CT_F32, CT_F64])
    func unaryExactOps(dtype: ct_dtype) {
        let ops: [(ct_unary_op, (Double) -> Double)] = [
            (CT_NEG, { -$0 }), (CT_ABS, { abs($0) }), (CT_SQUARE, { $0 * $0 }), (CT_SQRT, { $0.squareRoot() }),
            (CT_RECIPROCAL, { 1 / $0 }), (CT_RELU, { $0.isNaN ? $0 : max($0, 0) }),
            (CT_FLOOR, { $0.rounded(.down) }), (CT_CEIL, { $0.rounded(.up) }), (CT_TRUNC, { $0.rounded(.towardZero) }),
            (CT_ROUND, { $0.rounded(.toNearestOrEven) }),
        ]
        var rng = LCG(state: 2)
        var xs = (0..<1031).map { _ in rng.uniform(-50, 50) }
        xs += [0, -0.0, .nan, .infinity, -.infinity, 2.5, -2.5, 0.5, -0.5, Double.leastNormalMagnitude / 4]
        let n = xs.count
        forEachBackend { backend in
            for (op, ref) in ops {
                var got = [Double](repeating: 0, count: n)
                if dtype == CT_F32 {
                    let x = xs.map { Float($0) }
                    var o = [Float](repeating: 0, count: n)
                    ct_unary(op, dtype, 1, [Int64(n)], x, [1], &o, [1], nil)
                    got = o.map { Double($0) }
                } else {
                    ct_unary(op, dtype, 1, [Int64(n)], xs, [1], &got, [1], nil)
                }
                var bad = 0
                for i in 0..<n {
                    let x = dtype == CT_F32 ? Double(Float(xs[i])) : xs[i]
                    var want = ref(x)
                    if dtype == CT_F32 { want = Double(Float(want)) }
                    if !(got[i] == want || (got[i].isNaN && want.isNaN)) && !(op == CT_SQRT && x < 0) { bad += 1 }
                }
                #expect(bad == 0, "\(backend) op \(op)")
            }
        }
    }

    /// Every unary op of CotangentOps.h, on every instruction set: the
    /// contiguous call (which takes the op's vector variant, if it has one)
    /// against the strided call (which always runs the scalar loop).
    @Test(arguments: [CT_F32, CT_F64])
    func everyUnaryOpMatchesItsScalarLoop(dtype: ct_dtype) {
        var rng = LCG(state: 5)
        var xs = (0..<517).map { _ in rng.uniform(-6, 6) }
        xs += [0, -0.0, .nan, .infinity, -.infinity, 1, -1, 0.5, 3, -3, 30, -30]
        let n = xs.count
        let params: [Double] = [0.3, 1.5, 0.7]
        forEachBackend(threads: [1]) { backend in
            for raw in 0..<CT_UNARY_OP_COUNT.rawValue {
                let op = ct_unary_op(rawValue: raw)
                let toBool = [CT_NOT, CT_ISNAN, CT_ISINF, CT_ISFINITE].contains(op)
                func run(_ stride: Int64) -> [Double] {
                    if toBool {
                        var o = [UInt8](repeating: 7, count: n * Int(stride))
                        if dtype == CT_F32 {
                            let x = xs.map { Float($0) }
                            ct_unary(op, dtype, 1, [Int64(n)], x, [1], &o, [stride], params)
                        } else {
                            ct_unary(op, dtype, 1, [Int64(n)], xs, [1], &o, [stride], params)
                        }
                        return (0..<n).map { Double(o[$0 * Int(stride)]) }
                    }
                    if dtype == CT_F32 {
                        let x = xs.map { Float($0) }
                        var o = [Float](repeating: 7, count: n * Int(stride))
                        ct_unary(op, dtype, 1, [Int64(n)], x, [1], &o, [stride], params)
                        return (0..<n).map { Double(o[$0 * Int(stride)]) }
                    }
                    var o = [Double](repeating: 7, count: n * Int(stride))
                    ct_unary(op, dtype, 1, [Int64(n)], xs, [1], &o, [stride], params)
                    return (0..<n).map { o[$0 * Int(stride)] }
                }
                let (vector, scalar) = (run(1), run(2))
                let rtol = dtype == CT_F32 ? 4e-7 : 4e-16
                var bad = 0
                for (v, s) in zip(vector, scalar) where !(v == s || (v.isNaN && s.isNaN) || Swift.abs(v - s) <= rtol * Swift.abs(s)) {
                    bad += 1
                }
                #expect(bad == 0, "\(backend) op \(raw): \(bad) of \(n) elements differ")
            }
        }
    }

    @Test func unaryStridedAndZeroDimensional() {
        // Every other element of a 4x6 view, written transposed.
        let x = (0..<48).map { Double($0) - 20 }
        var o = [Double](repeating: 99, count: 12)
        ct_unary(CT_EXP, CT_F64, 2, [4, 3], x, [12, 2], &o, [1, 4], nil)
        for i in 0..<4 {
            for j in 0..<3 {
                #expect(abs(o[i + 4 * j] - Foundation.exp(x[12 * i + 2 * j])) <= 2 * Foundation.exp(x[12 * i + 2 * j]).ulp)
            }
        }
        var y: [Float] = [7]
        ct_unary(CT_NEG, CT_F32, 0, [], [Float(2)], [], &y, [], nil)
        #expect(y == [-2])
    }

    @Test func whereCastFillClamp() {
        forEachBackend { _ in
            let n = 70_001
            let cond = (0..<n).map { UInt8($0 % 3 == 0 ? 1 : 0) }
            let a = (0..<n).map { Float($0) }
            var o = [Float](repeating: 0, count: n)
            ct_where(CT_F32, 1, [Int64(n)], cond, [1], a, [1], [Float(-1)], [0], &o, [1])
            let expected: [Float] = (0..<n).map { (i: Int) -> Float in i % 3 == 0 ? Float(i) : -1 }
            #expect(o == expected)
            var d = [Double](repeating: 0, count: n)
            ct_cast(CT_F32, CT_F64, 1, [Int64(n)], a, [1], &d, [1])
            #expect(d == (0..<n).map { Double($0) })
            ct_fill(CT_F64, 1, [Int64(n)], &d, [1], 2.5, 0)
            #expect(d.allSatisfy { $0 == 2.5 })
            ct_clamp(CT_F32, 1, [Int64(n)], a, [1], &o, [1], 10, true, 20, true)
            #expect(o == a.map { min(max($0, 10), 20) })
        }
    }

    // MARK: Vector math

    /// The float32 inputs the vector-math sweep visits: every 65537th bit pattern
    /// (65536 values: both signs, every exponent with about 256 values each,
    /// subnormals, inf, NaN), or with COTANGENT_FULL_SWEEP=1 every 4099th (about
    /// a million; slow in debug builds), plus hand-picked boundary values.
    private static let sweepInputs: [Float] = {
        let full = ProcessInfo.processInfo.environment["COTANGENT_FULL_SWEEP"] == "1"
        let step: UInt64 = full ? 4099 : 65537
        var xs = [Float]()
        xs.reserveCapacity(Int((1 << 32) / step) + 64)
        var bits: UInt64 = 0
        while bits <= 0xffff_ffff {
            xs.append(Float(bitPattern: UInt32(bits)))
            bits += step
        }
        // Dense around 1 (log's cancellation-free but busiest range) and tanh's branch point.
        for i in -200...200 {
            xs.append(Float(bitPattern: (1.0 as Float).bitPattern &+ UInt32(bitPattern: Int32(i))))
            xs.append(Float(bitPattern: (0.625 as Float).bitPattern &+ UInt32(bitPattern: Int32(i))))
        }
        return xs
    }()

    private static func sweepFloat(_ op: ct_unary_op, _ ref: (Double) -> Double) -> (Int64, Float) {
        var xs = sweepInputs
        xs += [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
               .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 88.72283, 88.72284, -87.33654, -103.972, -103.973,
               -1, 1e-8, -1e-8, 9.01, -9.01, 0.55, -0.55]
        var out = [Float](repeating: 0, count: xs.count)
        ct_unary(op, CT_F32, 1, [Int64(xs.count)], xs, [1], &out, [1], nil)
        var worst: Int64 = 0, at: Float = 0
        for i in 0..<xs.count {
            let want = Float(ref(Double(xs[i])))
            let d = ulpDistance(out[i], want)
            if d > worst { worst = d; at = xs[i] }
        }
        return (worst, at)
    }

    private static func sigmoidRef(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }

    @Test func floatMathWithinTwoUlpOverWholeRange() {
        let cases: [(String, ct_unary_op, (Double) -> Double)] = [
            ("exp", CT_EXP, { Foundation.exp($0) }), ("log", CT_LOG, { Foundation.log($0) }),
            ("tanh", CT_TANH, { Foundation.tanh($0) }), ("sigmoid", CT_SIGMOID, KernelTests.sigmoidRef),
            ("expm1", CT_EXPM1, { Foundation.expm1($0) }), ("log1p", CT_LOG1P, { Foundation.log1p($0) }),
            ("sinh", CT_SINH, { Foundation.sinh($0) }), ("cosh", CT_COSH, { Foundation.cosh($0) }),
            ("exp2", CT_EXP2, { Foundation.exp2($0) }), ("log2", CT_LOG2, { Foundation.log2($0) }),
            ("log10", CT_LOG10, { Foundation.log10($0) }),
        ]
        forEachBackend(threads: [2]) { backend in
            for (name, op, ref) in cases {
                let (worst, at) = Self.sweepFloat(op, ref)
                #expect(worst <= 2, "\(backend) \(name): \(worst) ulp at \(at)")
            }
        }
    }

    @Test func doubleMathWithinTwoUlp() {
        var rng = LCG(state: 3)
        var xs = [Double]()
        // Random magnitudes over the whole exponent range, plus dense sampling near 0 and the boundaries.
        for _ in 0..<20_000 {
            let e = rng.uniform(-1074, 1023)
            xs.append((rng.next() & 1 == 0 ? 1 : -1) * Foundation.pow(2, e))
            xs.append(rng.uniform(-750, 750))
            xs.append(rng.uniform(-3, 3))
            xs.append(rng.uniform(-1e-3, 1e-3))
        }
        xs += [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
               -.greatestFiniteMagnitude, 709.782712893384, 709.7827128933841, -745.1332191019411, -745.1332191019412,
               -708.3964185322641, -1, 1, 22, -22, 0x1p-28, 0.3465735902799726, -0.3465735902799726,
               710.4758600739439, 710.475860073944, -710.4758600739439, -1074, -1074.5, -1075, 1023.5, 1024, 10, 1000]
        let cases: [(String, ct_unary_op, (Float80) -> Float80)] = [
            ("exp", CT_EXP, { expl($0) }), ("log", CT_LOG, { logl($0) }), ("tanh", CT_TANH, { tanhl($0) }),
            ("sigmoid", CT_SIGMOID, { $0 >= 0 ? 1 / (1 + expl(-$0)) : expl($0) / (1 + expl($0)) }),
            ("expm1", CT_EXPM1, { expm1l($0) }), ("log1p", CT_LOG1P, { log1pl($0) }),
            ("sinh", CT_SINH, { sinhl($0) }), ("cosh", CT_COSH, { coshl($0) }), ("exp2", CT_EXP2, { exp2l($0) }),
            ("log2", CT_LOG2, { log2l($0) }), ("log10", CT_LOG10, { log10l($0) }),
        ]
        forEachBackend(threads: [1]) { backend in
            guard ct_simd_level() > 0 else { return }  // the portable path is libm itself
            var out = [Double](repeating: 0, count: xs.count)
            for (name, op, ref) in cases {
                ct_unary(op, CT_F64, 1, [Int64(xs.count)], xs, [1], &out, [1], nil)
                var worst = 0.0, at = 0.0
                for i in 0..<xs.count {
                    let e = ulpError(out[i], ref(Float80(xs[i])))
                    if e > worst { worst = e; at = xs[i] }
                }
                #expect(worst <= 2, "\(backend) \(name): \(worst) ulp at \(at)")
            }
        }
    }

    @Test func mathSpecialValues() {
        forEachBackend(threads: [1]) { backend in
            let x: [Float] = [-.infinity, .infinity, 0, -0.0, -1, .nan]
            var o = [Float](repeating: 0, count: x.count)
            let n: [Int64] = [Int64(x.count)]
            ct_unary(CT_SIGMOID, CT_F32, 1, n, x, [1], &o, [1], nil)
            #expect(o[0] == 0 && o[1] == 1 && o[2] == 0.5 && o[5].isNaN, "\(backend)")
            ct_unary(CT_TANH, CT_F32, 1, n, x, [1], &o, [1], nil)
            #expect(o[0] == -1 && o[1] == 1 && o[2] == 0 && o[3].sign == .minus && o[5].isNaN, "\(backend)")
            ct_unary(CT_EXP, CT_F32, 1, n, x, [1], &o, [1], nil)
            #expect(o[0] == 0 && o[1] == .infinity && o[2] == 1 && o[5].isNaN, "\(backend)")
            ct_unary(CT_LOG, CT_F32, 1, n, x, [1], &o, [1], nil)
            #expect(o[0].isNaN && o[1] == .infinity && o[2] == -.infinity && o[3] == -.infinity && o[4].isNaN, "\(backend)")
            let xd: [Double] = [-.infinity, .infinity, 0, -0.0, -1, .nan]
            var od = [Double](repeating: 0, count: xd.count)
            ct_unary(CT_SIGMOID, CT_F64, 1, n, xd, [1], &od, [1], nil)
            #expect(od[0] == 0 && od[1] == 1 && od[2] == 0.5 && od[5].isNaN, "\(backend)")
            ct_unary(CT_LOG, CT_F64, 1, n, xd, [1], &od, [1], nil)
            #expect(od[0].isNaN && od[1] == .infinity && od[2] == -.infinity && od[4].isNaN, "\(backend)")
            ct_unary(CT_LOG1P, CT_F64, 1, n, xd, [1], &od, [1], nil)
            #expect(od[1] == .infinity && od[4] == -.infinity && od[5].isNaN && od[3].sign == .minus, "\(backend)")
            ct_unary(CT_EXPM1, CT_F64, 1, n, xd, [1], &od, [1], nil)
            #expect(od[0] == -1 && od[1] == .infinity && od[3].sign == .minus, "\(backend)")
        }
    }

    /// The vector variants added for sinh, cosh, exp2, log2, log10 and (float32
    /// only) Mish against the scalar loop (libm) they replace: within 2 ulp
    /// (4 for Mish, whose scalar loop rounds three float libm results) over the
    /// float sweep and a float64 sample; and on the special inputs (zeros,
    /// infinities, NaN, subnormals, the overflow and underflow thresholds) the
    /// same bits, a NaN's sign included, or within the same few ulp.
    @Test func newVectorMathMatchesTheScalarLoop() {
        let float32: [(ct_unary_op, Int64)] = [(CT_SINH, 2), (CT_COSH, 2), (CT_EXP2, 2), (CT_LOG2, 2), (CT_LOG10, 2), (CT_MISH, 4)]
        let floatSpecials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, -.nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                      .leastNormalMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                      88.72283, 88.72284, 89.41599, 89.416, -89.416, -87.5, -103.973, -149, -150, -151, 127.99, 128, -126,
                                      1, -1, 10, 1000, 1e-8, -1e-8]
        var rng = LCG(state: 8)
        let xs = floatSpecials + Self.sweepInputs + (0..<20_000).map { _ in Float(rng.uniform(-12, 12)) }
        let n = xs.count
        forEachBackend(threads: [1]) { backend in
            for (op, bound) in float32 {
                var vector = [Float](repeating: 0, count: n), scalar = [Float](repeating: 0, count: 2 * n)
                ct_unary(op, CT_F32, 1, [Int64(n)], xs, [1], &vector, [1], nil)
                ct_unary(op, CT_F32, 1, [Int64(n)], xs, [1], &scalar, [2], nil)
                var worst: Int64 = 0, at: Float = 0, specials = 0
                for i in 0..<n {
                    let (v, s) = (vector[i], scalar[2 * i])
                    let d = ulpDistance(v, s)
                    if d > worst { worst = d; at = xs[i] }
                    // Zeros, infinities and NaN: the same bits (a NaN's sign included).
                    if v.isNaN || s.isNaN || v == 0 || s == 0 || v.isInfinite || s.isInfinite,
                       !(v.isNaN ? s.isNaN && v.sign == s.sign : v.bitPattern == s.bitPattern) {
                        specials += 1
                    }
                }
                #expect(worst <= bound && specials == 0, "\(backend) op \(op.rawValue): \(worst) ulp at \(at), \(specials) specials differ")
            }
        }
        var xd = [Double]()
        for _ in 0..<20_000 {
            xd.append((rng.next() & 1 == 0 ? 1 : -1) * Foundation.pow(2, rng.uniform(-1074, 1023)))
            xd.append(rng.uniform(-30, 30))
            xd.append(rng.uniform(-750, 750))
        }
        xd += [0, -0.0, .infinity, -.infinity, .nan, -.nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
               .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 709.782712893384,
               710.4758600739439, 710.475860073944, -710.475860073944, 22, -22, 0x1p-28, -0x1p-28,
               -1074, -1074.5, -1075, 1023.999, 1024, 1, -1, 10, 1000]
        let nd = xd.count
        forEachBackend(threads: [1]) { backend in
            for op in [CT_SINH, CT_COSH, CT_EXP2, CT_LOG2, CT_LOG10] {
                var vector = [Double](repeating: 0, count: nd), scalar = [Double](repeating: 0, count: 2 * nd)
                ct_unary(op, CT_F64, 1, [Int64(nd)], xd, [1], &vector, [1], nil)
                ct_unary(op, CT_F64, 1, [Int64(nd)], xd, [1], &scalar, [2], nil)
                var worst = 0.0, at = 0.0, signs = 0
                for i in 0..<nd {
                    let (v, s) = (vector[i], scalar[2 * i])
                    if v.isNaN || s.isNaN || v == 0 || s == 0 || v.isInfinite || s.isInfinite {
                        if !(v.isNaN ? s.isNaN && v.sign == s.sign : v.bitPattern == s.bitPattern) { signs += 1 }
                        continue
                    }
                    let e = ulpError(v, Float80(s))
                    if e > worst { worst = e; at = xd[i] }
                }
                #expect(worst <= 2 && signs == 0, "\(backend) op \(op.rawValue): \(worst) ulp at \(at), \(signs) specials differ")
            }
        }
    }

    /// ELU (SELU, CELU) and softplus, whose vector variants take the op's
    /// parameters: against the scalar loop within 2 ulp (float32 over the sweep
    /// and random values, float64 over random values; softplus's float64 stays
    /// scalar), zeros, infinities and NaN bit-exact (a NaN's sign included).
    @Test func parametrisedVectorOpsMatchTheScalarLoop() {
        let cases: [(ct_unary_op, [Double])] = [
            (CT_ELU, [1, 1, 1]), (CT_ELU, [1.6732632423543772, 1.0507009873554805, 1]), (CT_ELU, [0.3, 1.5, 0.7]),
            (CT_SOFTPLUS, [1, 20, 0]), (CT_SOFTPLUS, [0.3, 1.5, 0]), (CT_SOFTPLUS, [2, 5, 0]),
        ]
        var rng = LCG(state: 9)
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, -.nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 20, 20.000002, 30, -30, -87, -104, -200]
        let xs = specials + Self.sweepInputs + (0..<20_000).map { _ in Float(rng.uniform(-12, 12)) }
        let xd = xs.map { Double($0) } + (0..<20_000).map { _ in rng.uniform(-40, 40) }
        func sameSpecial<T: BinaryFloatingPoint>(_ v: T, _ s: T) -> Bool {
            guard v.isNaN || s.isNaN || v == 0 || s == 0 || v.isInfinite || s.isInfinite else { return true }
            return v.isNaN ? s.isNaN && v.sign == s.sign : (v == s && v.sign == s.sign)
        }
        forEachBackend(threads: [1]) { backend in
            for (op, params) in cases {
                let n = xs.count
                var vector = [Float](repeating: 0, count: n), scalar = [Float](repeating: 0, count: 2 * n)
                ct_unary(op, CT_F32, 1, [Int64(n)], xs, [1], &vector, [1], params)
                ct_unary(op, CT_F32, 1, [Int64(n)], xs, [1], &scalar, [2], params)
                var worst: Int64 = 0, at: Float = 0, bad = 0
                for i in 0..<n {
                    let d = ulpDistance(vector[i], scalar[2 * i])
                    if d > worst { worst = d; at = xs[i] }
                    if !sameSpecial(vector[i], scalar[2 * i]) { bad += 1 }
                }
                #expect(worst <= 2 && bad == 0, "\(backend) float32 op \(op.rawValue) \(params): \(worst) ulp at \(at), \(bad) specials differ")
                let nd = xd.count
                var vd = [Double](repeating: 0, count: nd), sd = [Double](repeating: 0, count: 2 * nd)
                ct_unary(op, CT_F64, 1, [Int64(nd)], xd, [1], &vd, [1], params)
                ct_unary(op, CT_F64, 1, [Int64(nd)], xd, [1], &sd, [2], params)
                var worstD = 0.0, atD = 0.0, badD = 0
                for i in 0..<nd {
                    if !sameSpecial(vd[i], sd[2 * i]) { badD += 1; continue }
                    if vd[i].isFinite && sd[2 * i].isFinite && sd[2 * i] != 0 {
                        let e = ulpError(vd[i], Float80(sd[2 * i]))
                        if e > worstD { worstD = e; atD = xd[i] }
                    }
                }
                #expect(worstD <= 2 && badD == 0, "\(backend) float64 op \(op.rawValue) \(params): \(worstD) ulp at \(atD), \(badD) specials differ")
            }
        }
    }

    /// float16 and bfloat16 elementwise ops through the float32 vector kernels
    /// (blocks converted, rounded back once) give the scalar loops' bits: every
    /// one of the 65536 inputs of each type for the unary ops the 16-bit kernels
    /// may take, and random pairs for the binary ops, contiguous and broadcast.
    /// A NaN may differ only in its payload (the scalar loops keep a signalling
    /// NaN's bits when the compiler folds the conversions, as in release builds).
    @Test(arguments: [CT_F16, CT_BF16])
    func halfKernelsMatchTheScalarLoopsOnEveryInput(dtype: ct_dtype) {
        func isNaN(_ h: UInt16) -> Bool {
            dtype == CT_F16 ? h & 0x7fff > 0x7c00 : h & 0x7fff > 0x7f80
        }
        func same(_ a: UInt16, _ b: UInt16) -> Bool {
            a == b || (isNaN(a) && isNaN(b) && (a ^ b) & 0x8000 == 0)
        }
        // Every bit pattern, then 37 more so the blocks end in a partial vector.
        let xs = (0..<65536).map { UInt16($0) } + (0..<37).map { UInt16(truncatingIfNeeded: $0 &* 1777) }
        let n = xs.count
        let unary: [ct_unary_op] = [
            CT_NEG, CT_ABS, CT_SQUARE, CT_SQRT, CT_RSQRT, CT_RECIPROCAL, CT_RELU, CT_FLOOR, CT_CEIL, CT_ROUND, CT_TRUNC,
            CT_FRAC, CT_HARDSIGMOID, CT_HARDSWISH, CT_EXP, CT_LOG, CT_LOG1P, CT_EXPM1, CT_TANH, CT_SIGMOID, CT_SILU,
            CT_LOGSIGMOID, CT_SINH, CT_COSH, CT_EXP2, CT_LOG2, CT_LOG10, CT_MISH,
        ]
        var rng = LCG(state: 11)
        let m = 100_003
        let a = (0..<m).map { _ in UInt16(truncatingIfNeeded: rng.next()) }
        let b = (0..<m).map { _ in UInt16(truncatingIfNeeded: rng.next()) }
        forEachBackend(threads: [1]) { backend in
            for op in unary {
                var vector = [UInt16](repeating: 0, count: n), scalar = [UInt16](repeating: 0, count: 2 * n)
                ct_unary(op, dtype, 1, [Int64(n)], xs, [1], &vector, [1], nil)
                ct_unary(op, dtype, 1, [Int64(n)], xs, [1], &scalar, [2], nil)
                let bad = (0..<n).filter { !same(vector[$0], scalar[2 * $0]) }
                #expect(bad.isEmpty, "\(backend) op \(op.rawValue): \(bad.count) inputs differ, first \(bad.first.map { String(xs[$0], radix: 16) } ?? "")")
            }
            for op in [CT_ADD, CT_SUB, CT_MUL, CT_DIV, CT_MAXIMUM, CT_MINIMUM] {
                for (sa, sb) in [(Int64(1), Int64(1)), (0, 1), (1, 0)] {
                    var vector = [UInt16](repeating: 0, count: m), scalar = [UInt16](repeating: 0, count: 2 * m)
                    ct_binary(op, dtype, 1, [Int64(m)], a, [sa], b, [sb], &vector, [1], nil)
                    ct_binary(op, dtype, 1, [Int64(m)], a, [sa], b, [sb], &scalar, [2], nil)
                    let bad = (0..<m).filter { !same(vector[$0], scalar[2 * $0]) }.count
                    #expect(bad == 0, "\(backend) op \(op.rawValue) strides \(sa), \(sb): \(bad) differ")
                }
            }
        }
    }

    // MARK: Gather

    /// ct_gather along a contiguous last dimension (the vector-gather path for
    /// 4- and 8-byte elements, the scalar loop for the others and for strided
    /// lines) against a reference, for line lengths around the 16-element
    /// blocks; an out-of-range index (negative, or the dimension's size) in a
    /// block or in the tail fails with that index.
    @Test func gatherAlongContiguousRows() {
        var rng = LCG(state: 21)
        forEachBackend { backend in
            for (rows, cols, size) in [(3, 1, 1), (5, 15, 40), (4, 16, 16), (7, 17, 300), (6, 2048, 2048), (2, 100, 5)] {
                let src = (0..<rows * size).map { _ in Int64(bitPattern: rng.next()) }
                let index = (0..<rows * cols).map { _ in Int64(rng.next() % UInt64(size)) }
                let want = (0..<rows * cols).map { src[($0 / cols) * size + Int(index[$0])] }
                for (dtype, width) in [(CT_I64, 8), (CT_F64, 8), (CT_F32, 4), (CT_I32, 4), (CT_F16, 2), (CT_U8, 1)] {
                    // Each element's low `width` bytes, so the reference needs no conversions.
                    func low(_ v: [Int64]) -> [UInt8] { v.flatMap { x in (0..<width).map { UInt8(truncatingIfNeeded: x >> (8 * $0)) } } }
                    let s = low(src)
                    var out = [UInt8](repeating: 0, count: rows * cols * width)
                    var bad: Int64 = 0
                    let ok = ct_gather(dtype, 2, [Int64(rows), Int64(cols)], 1, Int64(size), s, [Int64(size), 1],
                                       index, [Int64(cols), 1], &out, [Int64(cols), 1], &bad)
                    #expect(ok && out == low(want), "\(backend) dtype \(dtype.rawValue) \(rows)x\(cols) of \(size)")
                }
                for position in Set([0, cols / 2, cols - 1]) {
                    for wrong in [Int64(-1), Int64(size)] {
                        var index2 = index
                        index2[(rows - 1) * cols + position] = wrong
                        var out = [Float](repeating: 0, count: rows * cols)
                        var bad: Int64 = 0
                        let s = src.map { Float($0 & 0xffff) }
                        let ok = ct_gather(CT_F32, 2, [Int64(rows), Int64(cols)], 1, Int64(size), s, [Int64(size), 1],
                                           index2, [Int64(cols), 1], &out, [Int64(cols), 1], &bad)
                        #expect(!ok && bad == wrong, "\(backend) \(rows)x\(cols) bad \(wrong) at \(position)")
                    }
                }
            }
        }
    }

    // MARK: Reductions

    private static func refReduce(_ op: ct_reduce_op, _ v: [Double]) -> Double {
        switch op {
        case CT_SUM: return v.reduce(0, +)
        case CT_PROD: return v.reduce(1, *)
        case CT_MAX: return v.contains { $0.isNaN } ? .nan : v.max()!
        default: return v.contains { $0.isNaN } ? .nan : v.min()!
        }
    }

    @Test(arguments: [CT_F32, CT_F64])
    func reductionsAllLayouts(dtype: ct_dtype) {
        var rng = LCG(state: 4)
        // (m, n, x_outer, x_inner) over a buffer big enough for each.
        let views: [(Int, Int, Int, Int)] = [
            (1, 1, 1, 1), (3, 7, 7, 1), (5, 33, 40, 1), (2, 100, 100, 1),    // contiguous rows
            (33, 5, 1, 33), (70, 9, 1, 80), (1, 50, 1, 1),                    // adjacent outputs
            (6, 11, 2, 12),                                                   // general strides
            (1, 70_001, 70_001, 1),                                           // one long row (split)
            (300, 230, 230, 1), (600, 120, 1, 600),                           // threaded over outputs
        ]
        for (m, n, xo, xi) in views {
            let size = (m - 1) * xo + (n - 1) * xi + 1
            for op in [CT_SUM, CT_PROD, CT_MAX, CT_MIN] {
                var xs = (0..<size).map { _ in op == CT_PROD ? rng.uniform(0.999, 1.001) : rng.uniform(-1, 1) }
                if dtype == CT_F32 { xs = xs.map { Double(Float($0)) } }
                let x32 = xs.map { Float($0) }
                var want = [Double](), tol = [Double]()
                for i in 0..<m {
                    var acc = op == CT_PROD ? 1.0 : (op == CT_SUM ? 0.0 : xs[i * xo])
                    for j in 0..<n {
                        let v = xs[i * xo + j * xi]
                        switch op {
                        case CT_SUM: acc += v
                        case CT_PROD: acc *= v
                        case CT_MAX: acc = max(acc, v)
                        default: acc = min(acc, v)
                        }
                    }
                    want.append(acc)
                    tol.append(1e-15 * Double(n) * 4 + (dtype == CT_F32 ? abs(acc) * 6e-8 : 0))
                }
                forEachBackend { backend in
                    var got = [Double](repeating: 0, count: m)
                    if dtype == CT_F32 {
                        var o = [Float](repeating: 0, count: m * 2)
                        ct_reduce(op, dtype, Int64(m), Int64(n), x32, Int64(xo), Int64(xi), &o, 2)  // strided output
                        for i in 0..<m { got[i] = Double(o[2 * i]) }
                    } else {
                        ct_reduce(op, dtype, Int64(m), Int64(n), xs, Int64(xo), Int64(xi), &got, 1)
                    }
                    var bad = 0
                    for i in 0..<m where !(abs(got[i] - want[i]) <= tol[i]) { bad += 1 }
                    #expect(bad == 0, "\(backend) \(op) \(m)x\(n) (\(xo),\(xi))")
                }
            }
        }
    }

    @Test func reductionEdgeCases() {
        var o: [Float] = [7, 7]
        ct_reduce(CT_SUM, CT_F32, 2, 0, [Float](), 0, 1, &o, 1)
        #expect(o == [0, 0])
        ct_reduce(CT_PROD, CT_F32, 2, 0, [Float](), 0, 1, &o, 1)
        #expect(o == [1, 1])
        let base = (0..<200_000).map { Float($0 % 1000) }
        let y = (0..<300_003).map { Float(sin(Double($0))) }
        let exact = y.reduce(0.0) { $0 + Double($1) }
        let ints = (0..<100_000).map { Int64($0) }
        forEachBackend { backend in
            var x = base
            x[123_457] = .nan
            var r: [Float] = [0]
            ct_reduce(CT_MAX, CT_F32, 1, Int64(x.count), x, Int64(x.count), 1, &r, 1)
            #expect(r[0].isNaN, "\(backend)")
            x[123_457] = 5000
            ct_reduce(CT_MAX, CT_F32, 1, Int64(x.count), x, Int64(x.count), 1, &r, 1)
            #expect(r[0] == 5000, "\(backend)")
            ct_reduce(CT_MIN, CT_F32, 1, Int64(x.count), x, Int64(x.count), 1, &r, 1)
            #expect(r[0] == 0, "\(backend)")
            // Same thread count, same bits.
            var r1: [Float] = [0], r2: [Float] = [0]
            ct_reduce(CT_SUM, CT_F32, 1, Int64(y.count), y, 0, 1, &r1, 1)
            ct_reduce(CT_SUM, CT_F32, 1, Int64(y.count), y, 0, 1, &r2, 1)
            #expect(r1[0].bitPattern == r2[0].bitPattern)
            #expect(abs(Double(r1[0]) - exact) <= Double(Float(exact).ulp), "\(backend)")
            // Integers and bools keep exact semantics.
            var s: [Int64] = [0]
            ct_reduce(CT_SUM, CT_I64, 1, Int64(ints.count), ints, 0, 1, &s, 1)
            #expect(s[0] == 4_999_950_000)
            var idx: [Int64] = [0]
            ct_argreduce(true, CT_F32, 1, Int64(x.count), x, 0, 1, nil, &idx, 1)
            #expect(idx[0] == 123_457)
        }
    }

    @Test func cumsumMatchesReference() {
        let x = (0..<3 * 50).map { Float($0) * 0.5 }
        var o = [Float](repeating: 0, count: x.count)
        ct_cumsum(CT_F32, 3, 50, x, 50, 1, &o, 50, 1)
        for i in 0..<3 {
            var acc = 0.0
            for j in 0..<50 {
                acc += Double(x[i * 50 + j])
                #expect(o[i * 50 + j] == Float(acc))
            }
        }
    }

    // MARK: Softmax

    /// Softmax the unfused way, through the other kernels.
    private static func softmaxUnfused<T: BinaryFloatingPoint & BitwiseCopyable>(_ x: [T], m: Int, n: Int, log: Bool, dtype: ct_dtype) -> [T] {
        let shape = [Int64(m), Int64(n)], rowStrides: [Int64] = [Int64(n), 1], colStrides: [Int64] = [1, 0]
        var mx = [T](repeating: 0, count: m), sums = [T](repeating: 0, count: m)
        var shifted = [T](repeating: 0, count: m * n), e = shifted, out = shifted
        ct_reduce(CT_MAX, dtype, Int64(m), Int64(n), x, Int64(n), 1, &mx, 1)
        ct_binary(CT_SUB, dtype, 2, shape, x, rowStrides, mx, colStrides, &shifted, rowStrides, nil)
        ct_unary(CT_EXP, dtype, 1, [Int64(m * n)], shifted, [1], &e, [1], nil)
        ct_reduce(CT_SUM, dtype, Int64(m), Int64(n), e, Int64(n), 1, &sums, 1)
        if log {
            var logs = sums
            ct_unary(CT_LOG, dtype, 1, [Int64(m)], sums, [1], &logs, [1], nil)
            ct_binary(CT_SUB, dtype, 2, shape, shifted, rowStrides, logs, colStrides, &out, rowStrides, nil)
        } else {  // times 1/sum, as PyTorch's kernel
            var reciprocals = sums
            ct_unary(CT_RECIPROCAL, dtype, 1, [Int64(m)], sums, [1], &reciprocals, [1], nil)
            ct_binary(CT_MUL, dtype, 2, shape, e, rowStrides, reciprocals, colStrides, &out, rowStrides, nil)
        }
        return out
    }

    private static func softmaxMatchesUnfused<T: BinaryFloatingPoint & BitwiseCopyable>(_: T.Type, dtype: ct_dtype, backend: String) {
        var rng = LCG(state: 10)
        // The large (threaded) shape only where there are threads to split it over.
        let shapes = [(1, 1), (5, 37), (3, 300)] + (ct_get_num_threads() > 1 ? [(300, 230)] : [])
        for (m, n) in shapes {
            var x = (0..<(m * n)).map { _ in T(rng.uniform(-20, 20)) }
            if m > 1 { x[n] = .nan }                                  // row 1 has a NaN
            if m > 2 { for j in 0..<n { x[2 * n + j] = -.infinity } }  // row 2 is all -inf
            if n > 3 { x[3] = .infinity }                             // row 0 has +inf
            for log in [false, true] {
                let want = softmaxUnfused(x, m: m, n: n, log: log, dtype: dtype)
                var got = [T](repeating: 7, count: m * n)
                ct_softmax(dtype, log, Int64(m), Int64(n), x, Int64(n), 1, &got, Int64(n), 1)
                // The transposed layout (rows strided in memory) through the gather path.
                var xt = x, gotT = got
                for i in 0..<m { for j in 0..<n { xt[j * m + i] = x[i * n + j] } }
                ct_softmax(dtype, log, Int64(m), Int64(n), xt, 1, Int64(m), &gotT, 1, Int64(m))
                func same(_ a: T, _ b: T) -> Bool { a == b || (a.isNaN && b.isNaN) }
                let bad = (0..<(m * n)).filter { !same(got[$0], want[$0]) }.count
                let badT = (0..<(m * n)).filter { !same(gotT[($0 % n) * m + $0 / n], want[$0]) }.count
                #expect(bad == 0 && badT == 0, "\(backend) \(m)x\(n) log=\(log): \(bad), \(badT) differ")
            }
        }
    }

    @Test func softmaxIsBitIdenticalToTheUnfusedKernels() {
        forEachBackend { backend in
            Self.softmaxMatchesUnfused(Float.self, dtype: CT_F32, backend: backend)
            Self.softmaxMatchesUnfused(Double.self, dtype: CT_F64, backend: backend)
        }
    }

    // MARK: GEMM

    /// One GEMM problem, C = alpha * op(A) op(B) + beta * C, with its double-precision
    /// reference computed once and checked on every backend.
    private struct GemmCase<T: BinaryFloatingPoint> {
        let m: Int, n: Int, k: Int, alpha: Double, beta: Double
        let rsa: Int, csa: Int, rsb: Int, csb: Int, rsc: Int, csc: Int
        let a: [T], b: [T], c0: [T]
        var want = [Double](), tol = [Double]()

        init(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, colMajorC: Bool,
             alpha: Double, beta: Double, rng: inout LCG) {
            (self.m, self.n, self.k, self.alpha, self.beta) = (m, n, k, alpha, beta)
            // Logical A is m x k: row-major (k, 1) or the transpose of a k x m matrix (1, m).
            (rsa, csa) = transA ? (1, m) : (k, 1)
            (rsb, csb) = transB ? (1, k) : (n, 1)
            (rsc, csc) = colMajorC ? (1, m) : (n, 1)
            a = (0..<(m * k)).map { _ in T(rng.uniform(-1, 1)) }
            b = (0..<(k * n)).map { _ in T(rng.uniform(-1, 1)) }
            c0 = (0..<(m * n)).map { _ in beta == 0 ? T.nan : T(rng.uniform(-1, 1)) }  // beta == 0: C unread
            let eps = T.self == Float.self ? 1.2e-7 : 2.3e-16
            (want, tol) = referenceGemm(m: m, n: n, k: k, alpha: alpha, a: a, rsa: rsa, csa: csa, b: b, rsb: rsb,
                                        csb: csb, beta: beta, c0: c0, rsc: rsc, csc: csc, eps: eps)
        }

        func run(_ dtype: ct_dtype) -> Bool {
            var c = c0
            a.withUnsafeBytes { a in
                b.withUnsafeBytes { b in
                    c.withUnsafeMutableBytes { c in
                        ct_gemm(dtype, Int64(m), Int64(n), Int64(k), alpha, a.baseAddress, Int64(rsa), Int64(csa),
                                b.baseAddress, Int64(rsb), Int64(csb), beta, c.baseAddress, Int64(rsc), Int64(csc))
                    }
                }
            }
            for i in 0..<c.count where !(abs(Double(c[i]) - want[i]) <= tol[i]) { return false }
            return true
        }
    }

    @Test(arguments: [CT_F32, CT_F64])
    func gemmShapesAndLayouts(dtype: ct_dtype) {
        let sizes = [1, 2, 7, 16, 33, 257]
        var rng = LCG(state: 5)
        var cases32 = [(String, GemmCase<Float>)](), cases64 = [(String, GemmCase<Double>)]()
        var count = 0
        for m in sizes {
            for n in sizes {
                for k in sizes {
                    // Keep the reference cheap, but include one product large enough to be threaded.
                    if m * n * k > 257 * 33 * 7 && !(m == 257 && n == 257 && k == 33) { continue }
                    count += 1
                    let layout = count % 8
                    let (ta, tb, cm) = (layout & 1 != 0, layout & 2 != 0, layout & 4 != 0)
                    let beta = count % 3 == 0 ? 0.5 : 0
                    let alpha = count % 5 == 0 ? -1.5 : 1
                    let label = "\(m)x\(n)x\(k) tA=\(ta) tB=\(tb) colC=\(cm) alpha=\(alpha) beta=\(beta)"
                    if dtype == CT_F32 {
                        cases32.append((label, GemmCase(m: m, n: n, k: k, transA: ta, transB: tb, colMajorC: cm,
                                                        alpha: alpha, beta: beta, rng: &rng)))
                    } else {
                        cases64.append((label, GemmCase(m: m, n: n, k: k, transA: ta, transB: tb, colMajorC: cm,
                                                        alpha: alpha, beta: beta, rng: &rng)))
                    }
                }
            }
        }
        forEachBackend { backend in
            // The one threaded-size product only matters where there are threads to split it over.
            let threaded = ct_get_num_threads() > 1
            let failures = cases32.filter { (threaded || $0.1.m < 257) && !$0.1.run(dtype) }.map(\.0)
                + cases64.filter { (threaded || $0.1.m < 257) && !$0.1.run(dtype) }.map(\.0)
            #expect(failures.isEmpty, "\(backend): \(failures.prefix(5))")
        }
    }

    @Test func gemmAllTranspositionsLarger() {
        var rng = LCG(state: 6)
        for layout in 0..<4 {
            let (ta, tb) = (layout & 1 != 0, layout & 2 != 0)
            // Several row tiles and column panels, each with a partial edge.
            let c32 = GemmCase<Float>(m: 45, n: 70, k: 90, transA: ta, transB: tb, colMajorC: false,
                                      alpha: 1, beta: 0.25, rng: &rng)
            let c64 = GemmCase<Double>(m: 60, n: 41, k: 110, transA: ta, transB: tb, colMajorC: layout == 3,
                                       alpha: 2, beta: 0, rng: &rng)
            forEachBackend { backend in
                #expect(c32.run(CT_F32) && c64.run(CT_F64), "\(backend) layout \(layout)")
            }
        }
    }

    /// Shapes that reach the packed (blocked) GEMM paths the small-shape tests
    /// miss: K above the in-place limit on one thread, and few rows split by
    /// columns on two threads (the product must reach the threading size, 2^21).
    private static func blockedPathCases<T: BinaryFloatingPoint>(_: T.Type, rng: inout LCG) -> [(String, GemmCase<T>)] {
        [(9, 20, 530, false, false, true), (9, 20, 530, true, true, false), (14, 600, 250, true, false, false)]
            .map { m, n, k, ta, tb, cm in
                ("\(m)x\(n)x\(k) tA=\(ta) tB=\(tb) colC=\(cm)",
                 GemmCase<T>(m: m, n: n, k: k, transA: ta, transB: tb, colMajorC: cm, alpha: 1, beta: ta ? 0.5 : 0, rng: &rng))
            }
    }

    @Test func gemmBlockedPaths() {
        var rng = LCG(state: 8)
        let c32 = Self.blockedPathCases(Float.self, rng: &rng), c64 = Self.blockedPathCases(Double.self, rng: &rng)
        forEachBackend { backend in
            let failures = c32.filter { !$0.1.run(CT_F32) }.map(\.0) + c64.filter { !$0.1.run(CT_F64) }.map(\.0)
            #expect(failures.isEmpty, "\(backend): \(failures.prefix(5))")
        }
    }

    @Test func gemmBackendNameTellsThePathTaken() {
        var c = [Float](repeating: 0, count: 4)
        ct_gemm(CT_F32, 2, 2, 2, 1, [Float](repeating: 1, count: 4), 2, 1, [Float](repeating: 1, count: 4), 2, 1, 0, &c, 2, 1)
        #expect(String(cString: ct_gemm_backend_name()).hasPrefix("cotangent-"))  // small: never a BLAS
        var ci = [Int32](repeating: 0, count: 1)
        ct_gemm(CT_I32, 1, 1, 1, 1, [Int32(2)], 1, 1, [Int32(3)], 1, 1, 0, &ci, 1, 1)
        #expect(String(cString: ct_gemm_backend_name()) == "loop" && ci == [6])
    }

    /// The external CBLAS path (COTANGENT_BLAS; CI installs OpenBLAS), forced for
    /// every size: operand order and transposition flags, column-major C, alpha
    /// and beta, and the backend name. Skipped where no CBLAS library loads.
    @Test(.enabled(if: ct_blas_active() != 0, "no CBLAS library (e.g. libopenblas0) installed"))
    func gemmThroughExternalBLAS() {
        var rng = LCG(state: 9)
        var c32 = [(String, GemmCase<Float>)](), c64 = [(String, GemmCase<Double>)]()
        for (m, n, k) in [(1, 1, 1), (7, 33, 16), (33, 7, 2), (40, 30, 70)] {
            for layout in 0..<8 {
                let (ta, tb, cm) = (layout & 1 != 0, layout & 2 != 0, layout & 4 != 0)
                c32.append(("\(m)x\(n)x\(k) layout \(layout)", GemmCase<Float>(
                    m: m, n: n, k: k, transA: ta, transB: tb, colMajorC: cm, alpha: 1.5, beta: 0.25, rng: &rng)))
                c64.append(("\(m)x\(n)x\(k) layout \(layout)", GemmCase<Double>(
                    m: m, n: n, k: k, transA: ta, transB: tb, colMajorC: cm, alpha: 1, beta: 0, rng: &rng)))
            }
        }
        let previous = ct_gemm_set_blas_threshold(0)
        defer { ct_gemm_set_blas_threshold(previous) }
        #expect(c32[0].1.run(CT_F32))
        let library = String(cString: ct_gemm_backend_name())
        #expect(library.contains("blas"), "\(library)")
        for threads: Int32 in [1, 2] {
            ct_set_local_num_threads(threads)
            defer { ct_set_local_num_threads(0) }
            let failures = c32.filter { !$0.1.run(CT_F32) }.map(\.0) + c64.filter { !$0.1.run(CT_F64) }.map(\.0)
            #expect(failures.isEmpty, "\(library) x\(threads): \(failures.prefix(5))")
            #expect(String(cString: ct_gemm_backend_name()) == library)
        }
        // Strides CBLAS cannot express (every other column of C) still work, on our kernels.
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [1, 0, 0, 1]
        var c = [Float](repeating: -1, count: 8)
        ct_gemm(CT_F32, 2, 2, 2, 1, a, 2, 1, b, 2, 1, 0, &c, 4, 2)
        #expect(c == [1, -1, 2, -1, 3, -1, 4, -1])
        #expect(String(cString: ct_gemm_backend_name()).hasPrefix("cotangent-"))
    }

    @Test func gemmEdgeCasesAndIntegers() {
        // K == 0: C = beta * C (and beta == 0 must not read NaN garbage).
        var c: [Float] = [.nan, .nan, 2, 2]
        ct_gemm(CT_F32, 1, 2, 0, 1, [Float](), 1, 1, [Float](), 1, 1, 0, &c, 2, 1)
        #expect(c[0] == 0 && c[1] == 0 && c[2] == 2)
        // Strided C (every other column) and a broadcast (stride 0) operand.
        var cs = [Double](repeating: -9, count: 3 * 8)
        let a: [Double] = [1, 2, 3, 4, 5, 6]  // 3 x 2
        ct_gemm(CT_F64, 3, 4, 2, 1, a, 2, 1, [Double(1)], 0, 0, 0, &cs, 8, 2)
        for i in 0..<3 {
            for j in 0..<4 {
                #expect(cs[i * 8 + 2 * j] == a[2 * i] + a[2 * i + 1])
                #expect(cs[i * 8 + 2 * j + 1] == -9)
            }
        }
        let ai: [Int32] = [1, 2, 3, 4], bi: [Int32] = [5, 6, 7, 8]
        var ci = [Int32](repeating: 0, count: 4)
        ct_gemm(CT_I32, 2, 2, 2, 1, ai, 2, 1, bi, 2, 1, 0, &ci, 2, 1)
        #expect(ci == [19, 22, 43, 50])
        #expect(!String(cString: ct_gemm_backend_name()).isEmpty)
        #expect(ct_blas_active() == 0 || ct_blas_active() == 1)
    }
}

/// The sort kernels' paths (radix for long rows, merge sort for short ones,
/// heap and quickselect for topk) against a stable sort in Swift, with ties,
/// signed zeros and NaN.
@Suite struct SortKernelTests {
    /// The stable order PyTorch gives: NaN above everything, equal values (and ±0) in index order.
    static func reference(_ xs: [Double], descending: Bool) -> [Int] {
        xs.indices.sorted { i, j in
            let (a, b) = (xs[i], xs[j])
            if a.isNaN || b.isNaN {
                if a.isNaN && b.isNaN { return i < j }
                return descending ? a.isNaN : b.isNaN
            }
            if a == b { return i < j }
            return descending ? a > b : a < b
        }
    }

    @Test(arguments: [5, 300, 4099], [false, true])
    func sortMatchesStableReference(n: Int, descending: Bool) {
        var rng = LCG(state: UInt64(n))
        let xs: [Double] = (0..<n).map { i in
            switch i % 13 {
            case 0: .nan
            case 1: 0.0
            case 2: -0.0
            default: Double(Int(rng.uniform(-20, 20)))  // many ties
            }
        }
        let want = Self.reference(xs, descending: descending)
        for dtype in [CT_F32, CT_F64] {
            var indices = [Int64](repeating: -1, count: n)
            if dtype == CT_F32 {
                let x = xs.map { Float($0) }
                var v = [Float](repeating: 0, count: n)
                ct_sort(dtype, 1, Int64(n), x, &v, &indices, descending)
            } else {
                var v = [Double](repeating: 0, count: n)
                ct_sort(dtype, 1, Int64(n), xs, &v, &indices, descending)
            }
            #expect(indices.map(Int.init) == want, "dtype \(dtype) n \(n)")
        }
        let ints = xs.map { $0.isNaN ? Int64(99) : Int64($0) }
        var indices = [Int64](repeating: -1, count: n), v = [Int64](repeating: 0, count: n)
        ct_sort(CT_I64, 1, Int64(n), ints, &v, &indices, descending)
        #expect(indices.map(Int.init) == Self.reference(ints.map(Double.init), descending: descending))
    }

    @Test(arguments: [(4099, 7), (4099, 600), (40, 39)], [false, true])
    func topkMatchesStableReference(shape: (Int, Int), largest: Bool) {
        let (n, k) = shape
        var rng = LCG(state: 9)
        let xs: [Double] = (0..<n).map { i in i % 17 == 0 ? .nan : Double(Int(rng.uniform(-50, 50))) }
        var indices = [Int64](repeating: -1, count: k), v = [Double](repeating: 0, count: k)
        ct_topk(CT_F64, 1, Int64(n), Int64(k), xs, &v, &indices, largest)
        #expect(indices.map(Int.init) == Array(Self.reference(xs, descending: largest).prefix(k)))
    }
}
