// Fused elementwise chains (Core/Fusion.swift): the fused program gives every
// op's eager bits, and deferring work changes nothing a program can observe.
// The whole suite also passes with COTANGENT_FUSION_MIN_BYTES=1 (every float
// op deferred); these tests exercise the path at the default threshold.

import CCotangentKernels
import CotangentTestSupport
import Foundation
import Testing
@testable import Cotangent

/// Bit patterns, so NaNs and signed zeros compare exactly.
private func bits(_ t: Tensor) -> [UInt64] {
    t.dtype == .float64 ? t.scalars(as: Double.self).map(\.bitPattern)
        : t.scalars(as: Float.self).map { UInt64($0.bitPattern) }
}

/// Runs `body` with fusion on and off; both must give the same bits.
private func expectSameFusedAndEager(_ body: () -> [Tensor], sourceLocation: SourceLocation = #_sourceLocation) {
    Fusion.isEnabled = false
    let eager = body().map(bits)
    Fusion.isEnabled = true
    let fused = body().map(bits)
    #expect(eager.count == fused.count, sourceLocation: sourceLocation)
    for (i, (e, f)) in zip(eager, fused).enumerated() {
        let mismatches = zip(e, f).filter { $0 != $1 }.count
        #expect(e.count == f.count && mismatches == 0, "result \(i): \(mismatches) elements differ", sourceLocation: sourceLocation)
    }
}

/// Large enough to be deferred (float32 results of at least Fusion.minimumBytes).
private let large = 200_003

@Suite(.serialized) struct FusionTests {
    // MARK: The C program against the eager kernels, op by op

    /// Every op the fused loop takes, in float32 and float64, alone and as the
    /// middle of a chain kept in scratch, over many blocks and a tail. With
    /// `streaming`, the kernels take the cache to be 1 KiB, so eager and fused
    /// outputs alike are written with non-temporal stores (directly, or from
    /// scratch when a later instruction reads them); they must still give the
    /// bits of ordinary stores.
    @Test(arguments: [false, true]) func everyOpGivesTheEagerBitsInAFusedProgram(streaming: Bool) {
        let n = 5003
        var rng = SystemRandomNumberGenerator()
        for dtype in [CT_F32, CT_F64] {
            let es = dtype == CT_F32 ? 4 : 8
            let x = UnsafeMutableRawPointer.allocate(byteCount: n * es, alignment: 64)
            let y = UnsafeMutableRawPointer.allocate(byteCount: n * es, alignment: 64)
            let eager = UnsafeMutableRawPointer.allocate(byteCount: n * es, alignment: 64)
            let fused = UnsafeMutableRawPointer.allocate(byteCount: n * es, alignment: 64)
            let tmp = UnsafeMutableRawPointer.allocate(byteCount: n * es, alignment: 64)
            let fusedTmp = UnsafeMutableRawPointer.allocate(byteCount: n * es, alignment: 64)
            // One element past an aligned address: the streaming kernels' unaligned head.
            let shiftedBuffer = UnsafeMutableRawPointer.allocate(byteCount: (n + 1) * es, alignment: 64)
            let shifted = shiftedBuffer + es
            defer { for p in [x, y, eager, fused, tmp, fusedTmp, shiftedBuffer] { p.deallocate() } }
            for i in 0..<n {
                let (u, v) = (Double.random(in: -3...3, using: &rng), Double.random(in: 0.1...3, using: &rng))
                if dtype == CT_F32 {
                    x.storeBytes(of: Float(u), toByteOffset: i * 4, as: Float.self)
                    y.storeBytes(of: Float(v), toByteOffset: i * 4, as: Float.self)
                } else {
                    x.storeBytes(of: u, toByteOffset: i * 8, as: Double.self)
                    y.storeBytes(of: v, toByteOffset: i * 8, as: Double.self)
                }
            }
            let params = [0.5, 1.5, 0.25]
            var shape = Int64(n), one: Int64 = 1, zero: Int64 = 0
            let name = dtype == CT_F32 ? "float32" : "float64"
            func same(_ what: String, _ result: UnsafeMutableRawPointer = fused) {
                #expect(memcmp(eager, result, n * es) == 0, "\(what) differs (\(name), streaming: \(streaming))")
            }
            /// Runs an eager kernel with ordinary stores into `eager`, and with
            /// `streaming` also with non-temporal ones into a shifted output.
            func eagerReference(_ kernel: (UnsafeMutableRawPointer) -> Void, _ what: String) {
                ct_override_llc_bytes(0)
                kernel(eager)
                if streaming {
                    ct_override_llc_bytes(1024)
                    kernel(shifted)
                    same("\(what), eager with non-temporal stores,", shifted)
                }
            }
            defer { ct_override_llc_bytes(0) }
            for raw in 0..<Int32(CT_UNARY_OP_COUNT.rawValue) where ct_fused_takes(0, raw) {
                let op = ct_unary_op(rawValue: UInt32(raw))
                eagerReference({ ct_unary(op, dtype, 1, &shape, x, &one, $0, &one, params) }, "unary op \(raw)")
                var instruction = ct_fused_instr()
                instruction.binary = 0
                instruction.op = raw
                instruction.src = (-1, -1)
                instruction.ext = (UnsafeRawPointer(x), nil)
                instruction.ext_stride = (1, 0)
                instruction.out = fused
                instruction.params = (0.5, 1.5, 0.25)
                if streaming { ct_override_llc_bytes(1024) }
                ct_fused_run(dtype, Int64(n), 1, [instruction])
                same("unary op \(raw)")
            }
            for raw in 0..<Int32(CT_BINARY_OP_COUNT.rawValue) where ct_fused_takes(1, raw) {
                let op = ct_binary_op(rawValue: UInt32(raw))
                // Eager: t = x + y, then op(t, y) and op(y[0], t) (a broadcast first operand).
                ct_override_llc_bytes(0)
                ct_binary(CT_ADD, dtype, 1, &shape, x, &one, y, &one, tmp, &one, nil)
                eagerReference({ ct_binary(op, dtype, 1, &shape, tmp, &one, y, &one, $0, &one, params) }, "binary op \(raw)")
                var add = ct_fused_instr()
                add.binary = 1
                add.op = Int32(CT_ADD.rawValue)
                add.src = (-1, -1)
                add.ext = (UnsafeRawPointer(x), UnsafeRawPointer(y))
                add.ext_stride = (1, 1)
                var instruction = ct_fused_instr()
                instruction.binary = 1
                instruction.op = raw
                instruction.src = (0, -1)
                instruction.ext = (nil, UnsafeRawPointer(y))
                instruction.ext_stride = (1, 1)
                instruction.out = fused
                instruction.params = (0.5, 1.5, 0.25)
                ct_fused_run(dtype, Int64(n), 2, [add, instruction])
                same("binary op \(raw) on a value in scratch")
                // The first value also written out while the second reads it.
                add.out = fusedTmp
                ct_fused_run(dtype, Int64(n), 2, [add, instruction])
                same("binary op \(raw) on a value written out")
                #expect(memcmp(tmp, fusedTmp, n * es) == 0, "x + y written out differs (\(name), streaming: \(streaming))")
                add.out = nil
                eagerReference({ ct_binary(op, dtype, 1, &shape, y, &zero, tmp, &one, $0, &one, params) }, "binary op \(raw), broadcast")
                instruction.src = (-1, 0)
                instruction.ext = (UnsafeRawPointer(y), nil)
                instruction.ext_stride = (0, 1)
                ct_fused_run(dtype, Int64(n), 2, [add, instruction])
                same("binary op \(raw) with a broadcast operand")
            }
        }
    }

    // MARK: Tensors

    @Test func chainsGiveTheEagerBitsForwardAndBackward() {
        for dtype in [DType.float32, .float64] {
            Tensor.manualSeed(3)
            let (a, b, c) = (Tensor.randn(large, dtype: dtype), Tensor.randn(large, dtype: dtype), Tensor.randn(large, dtype: dtype))
            expectSameFusedAndEager {
                let y = ((a * b + c).tanh() - a.exp() * 0.5).sigmoid() / (b.abs() + 1)
                return [y, a * b + c, (a - 2).relu().sqrt()]
            }
            expectSameFusedAndEager {
                let (x, w) = (a.detached(), b.detached())
                x.requiresGrad = true
                w.requiresGrad = true
                let y = ((x * w + 0.1).tanh() * x).sigmoid()
                y.backward(gradient: c)
                return [y.detached(), x.grad!, w.grad!]
            }
        }
    }

    @Test func aLongChainRunsAsSeveralPrograms() {
        let a = Tensor.rand(large)
        expectSameFusedAndEager {
            var y = a
            for i in 0..<(3 * Fusion.maximumPending + 7) { y = i % 2 == 0 ? y * 1.001 : (y + 0.001).cos() }
            return [y]
        }
    }

    @Test func layoutsTheLoopDoesNotTakeRunEagerly() {
        let m = Tensor.randn(700, 300), row = Tensor.randn(300), column = Tensor.randn(700, 1)
        expectSameFusedAndEager {
            let t = m.transposed(0, 1)
            return [(m * row + column).exp(), (t * 2).tanh(), (m[1...] + 1).log1p(), m.reshaped(1, 210_000) * m.reshaped(210_000)]
        }
    }

    @Test func pendingResultsOfTwoShapesAndDTypesRunTogether() {
        let a = Tensor.randn(large), b = Tensor.randn(large + 5, dtype: .float64)
        expectSameFusedAndEager {
            let x = a * 3, y = b.exp(), z = -(x + 1)
            return [z, y * 2, x]
        }
    }

    // MARK: Semantics

    @Test func aPendingOpReadsItsInputsAsTheyWereWhenCalled() {
        Fusion.isEnabled = true
        let a = Tensor.full([large], 2.0)
        let y = a * 3
        #expect(ct_fusion_has_pending() != 0, "a * 3 was not deferred")
        a += 1  // an in-place write before anything read y
        a[0] = Tensor(100.0)
        #expect(y.sum().item() == 6.0 * Double(large))
        #expect(a[0].item() == 100 && a[1].item() == 3)
    }

    @Test func writingIntoAPendingResultComputesItFirst() {
        Fusion.isEnabled = true
        let a = Tensor.full([large], 2.0)
        let y = a * 3
        y += 1
        #expect(y[5].item() == 7)
        let z = a + 1
        z[0...9].zero()
        #expect(z[9].item() == 0 && z[10].item() == 3)
    }

    @Test func viewsOfPendingResultsReadTheirValues() {
        Fusion.isEnabled = true
        let a = Tensor.arange(Double(large))
        let y = a * 2
        let v = y[10...12]
        #expect(v.scalars(as: Float.self) == [20, 22, 24])
        let t = (a + 1).reshaped(1, large).transposed(0, 1)
        #expect(t[4, 0].item() == 5)
    }

    @Test func savedPendingValuesKeepTheirVersionChecks() {
        Fusion.isEnabled = true
        let x = Tensor.randn(large, requiresGrad: true)
        let y = x.exp()  // ExpBackward0 saves its (pending) result
        #expect(y.gradFn?.name == "ExpBackward0")
        let z = y * 2
        z.sum().backward()
        #expect(x.grad != nil)
        let expected = withNoGrad { x.exp() * 2 }
        #expect(bits(x.grad!) == bits(expected))
    }

    @Test func aResultNobodyHoldsIsNeverWrittenButItsReadersAre() {
        Fusion.isEnabled = true
        let a = Tensor.full([large], 1.5), b = Tensor.full([large], 2.0)
        let y = a * b + a  // a * b is used only inside the chain
        #expect(y.max().item() == 4.5 && y.min().item() == 4.5)
    }

    @Test func aPendingValueIsComputedOnTheThreadThatReadsIt() async {
        Fusion.isEnabled = true
        let a = Tensor.full([large], 0.5)
        nonisolated(unsafe) let y = (a * 4).exp()
        let total = await Task.detached { y.sum().item() }.value
        #expect(abs(total - Double(large) * Double(Float(exp(2.0)))) / Double(large) < 1e-3)
        #expect(ct_fusion_has_pending() == 0)
    }

    @Test func printingShowsPendingValues() {
        Fusion.isEnabled = true
        let y = Tensor.ones(large) * 2
        #expect(y.description.hasPrefix("tensor([2., 2., 2.,  ..., 2., 2., 2.])"))
    }
}
