#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCotangentKernels
import Synchronization

// Fused elementwise chains.
//
// An elementwise op on a large float tensor (`a * b + c`, a backward rule's
// `grad * x`) does not run when it is called: it records a `PendingOp` and
// returns a tensor whose storage has no memory yet. The first access to any
// buffer's memory (`Storage.data`: a kernel, printing, `item()`, an in-place
// write) runs everything pending as one program per shape, `ct_fused_run`,
// which takes the elements in cache-sized blocks through every op in turn, so
// a chain reads its inputs and writes its live results once. A value nobody
// holds any more (the `a * b` above) stays in cache and is never written.
//
// Why this keeps eager semantics exactly:
// - Values: each op runs the same span function on each element as the eager
//   kernel, so results are bit for bit the same (CT tests compare both ways).
// - Order: no buffer is read or written while work is pending, because
//   `Storage.data` runs the pending work first. So a pending op's inputs are
//   the values they had when it was called, even if they are overwritten in
//   place right after, and version counters, views and errors are untouched
//   (shapes and dtypes are checked when the op is called; float kernels raise
//   nothing).
// - Threads: pending work is global and guarded by one lock, so a read on any
//   thread runs it.
//
// Small tensors run eagerly: their elements stay in cache between ops anyway,
// so fusing saves no memory traffic, only a kernel call, which recording would cost again.

/// An elementwise op recorded by `Fusion` but not yet run.
final class PendingOp: @unchecked Sendable {
    /// Where an operand's elements come from.
    enum Operand {
        case none
        /// The result of an earlier pending op, of the same count and dtype.
        case pending(PendingOp)
        /// Memory: `stride` 1 for `count` contiguous elements, 0 for one element.
        case memory(Storage, byteOffset: Int, stride: Int64)
    }

    let binary: Bool
    let op: Int32
    let params: KernelParameters
    let dtype: DType
    let count: Int
    let a: Operand, b: Operand
    /// The storage this op fills; nil once every tensor of it is gone, when the
    /// value is needed only by later pending ops, if by any. Unretained, and
    /// never retained while the op runs: the storage may be ending on another
    /// thread, waiting in `storageWillEnd` for the lock.
    var output: Unmanaged<Storage>?
    /// Scratch of a run: whether the value is needed, and its instruction index.
    var needed = false
    var index: Int32 = -1

    init(binary: Bool, op: Int32, params: KernelParameters, dtype: DType, count: Int, a: Operand, b: Operand) {
        (self.binary, self.op, self.params, self.dtype, self.count, self.a, self.b) = (binary, op, params, dtype, count, a, b)
    }
}

/// The queue of pending elementwise work and the rules for what may join it.
enum Fusion {
    /// The smallest result, in bytes, worth deferring: beyond the L1 and L2
    /// caches of one core, where a pass over memory costs more than the call.
    /// `COTANGENT_FUSION_MIN_BYTES` sets it (0 defers every float op: a way to run
    /// the whole test suite through the fused path).
    static let minimumBytes: Int = {
        guard let value = getenv("COTANGENT_FUSION_MIN_BYTES"), let bytes = Int(String(cString: value)) else { return 1 << 19 }
        return max(bytes, 1)
    }()
    /// At most this many ops wait at once (a longer chain runs as several programs).
    static let maximumPending = 128

    /// Whether large elementwise ops are deferred and fused (`COTANGENT_FUSION=0`
    /// turns it off; results are the same either way, so tests may flip it at any time).
    nonisolated(unsafe) static var isEnabled: Bool = {
        guard let value = getenv("COTANGENT_FUSION") else { return true }
        return String(cString: value) != "0"
    }()

    private static let queue = Mutex<[PendingOp]>([])

    /// `op(x)` as a pending op, or nil when it must run now (small, another
    /// dtype, a layout the fused loop does not take, or the queue is full).
    static func unary(_ op: ct_unary_op, _ x: Tensor, shape: [Int], dtype: DType, params: KernelParameters) -> Tensor? {
        let count = x.count
        guard worthDeferring(count: count, dtype: dtype, binary: false, op: Int32(op.rawValue)), x.dtype == dtype
        else { return nil }
        return enqueue(binary: false, op: Int32(op.rawValue), x, nil, shape: shape, count: count, dtype: dtype, params: params)
    }

    /// `op(a, b)` as a pending op, or nil when it must run now.
    static func binary(_ op: ct_binary_op, _ a: Tensor, _ b: Tensor, shape: [Int], dtype: DType,
                       params: KernelParameters) -> Tensor? {
        let count = Shape.count(shape)
        guard worthDeferring(count: count, dtype: dtype, binary: true, op: Int32(op.rawValue)),
              a.dtype == dtype, b.dtype == dtype else { return nil }
        return enqueue(binary: true, op: Int32(op.rawValue), a, b, shape: shape, count: count, dtype: dtype, params: params)
    }

    /// Whether an op with a result of `count` elements of `dtype` may wait (the size first: it rules out most calls).
    private static func worthDeferring(count: Int, dtype: DType, binary: Bool, op: Int32) -> Bool {
        count * dtype.byteSize >= minimumBytes && (dtype == .float32 || dtype == .float64) && isEnabled
            && ct_fused_takes(binary ? 1 : 0, op)
    }

    private static func enqueue(binary: Bool, op: Int32, _ a: Tensor, _ b: Tensor?, shape: [Int], count: Int,
                                dtype: DType, params: KernelParameters) -> Tensor? {
        let storage = Storage(pendingByteCount: count * dtype.byteSize)
        let queued = queue.withLock { pending -> Bool in
            guard pending.count < maximumPending, let oa = operand(a, count: count, dtype: dtype) else { return false }
            var ob = PendingOp.Operand.none
            if let b {
                guard let operand = operand(b, count: count, dtype: dtype) else { return false }
                ob = operand
            }
            let p = PendingOp(binary: binary, op: op, params: params, dtype: dtype, count: count, a: oa, b: ob)
            p.output = Unmanaged.passUnretained(storage)
            storage.pending = p
            pending.append(p)
            if pending.count == 1 { ct_fusion_set_pending(1) }
            return true
        }
        // Not queued: `storage` ends here, before the caller's eager kernel runs.
        guard queued else { return nil }
        return Tensor(wholeStorage: storage, shape: shape, count: count, dtype: dtype)
    }

    /// How a pending op reads `x`, or nil when it cannot (called under the lock).
    private static func operand(_ x: Tensor, count: Int, dtype: DType) -> PendingOp.Operand? {
        if let p = x.storage.pending {
            // A pending value is read whole, element i for element i.
            guard x.storageOffset == 0, x.count == count, x.isContiguous, p.count == count, p.dtype == dtype
            else { return nil }
            return .pending(p)
        }
        let offset = x.storageOffset * dtype.byteSize
        if x.count == 1 { return .memory(x.storage, byteOffset: offset, stride: 0) }
        // Broadcasting only adds leading 1s here, so a contiguous operand of the
        // result's count lines up with it element for element.
        if x.count == count && x.isContiguous { return .memory(x.storage, byteOffset: offset, stride: 1) }
        return nil
    }

    /// Runs all pending work (from `Storage.data`, on whichever thread first needs memory).
    static func runPending() {
        let finished = queue.withLock { pending -> [PendingOp] in
            guard !pending.isEmpty else { return [] }
            var taken: [PendingOp] = []
            swap(&taken, &pending)
            run(taken)
            ct_fusion_set_pending(0)
            return taken
        }
        // Released outside the lock: ending a pending op can end storages, whose deinit takes it.
        withExtendedLifetime(finished) {}
    }

    /// A pending op's storage is ending: its value is no longer needed for its own sake.
    static func storageWillEnd(_ storage: Storage) {
        // The deinit drops `storage.pending` afterwards, outside the lock.
        queue.withLock { _ in storage.pending?.output = nil }
    }

    /// Runs `ops` (in the order they were queued), as one program per count and dtype.
    private static func run(_ ops: [PendingOp]) {
        // A value is needed if a tensor holds it or a needed later op reads it.
        for p in ops.reversed() {
            if p.output != nil { p.needed = true }
            guard p.needed else { continue }
            if case .pending(let q) = p.a { q.needed = true }
            if case .pending(let q) = p.b { q.needed = true }
        }
        var remaining = ops.filter(\.needed)
        while let first = remaining.first {
            let sameProgram = { (p: PendingOp) in p.count == first.count && p.dtype == first.dtype }
            runProgram(remaining.filter(sameProgram))
            remaining.removeAll(where: sameProgram)
        }
    }

    /// One fused pass over `ops`, which share a count and dtype.
    private static func runProgram(_ ops: [PendingOp]) {
        var program: [ct_fused_instr] = []
        program.reserveCapacity(ops.count)
        for (i, p) in ops.enumerated() {
            p.index = Int32(i)
            var instruction = ct_fused_instr()
            instruction.binary = p.binary ? 1 : 0
            instruction.op = p.op
            instruction.params = (p.params.p0, p.params.p1, p.params.p2)
            func source(_ operand: PendingOp.Operand) -> (Int32, UnsafeRawPointer?, Int64) {
                switch operand {
                case .none: return (-1, nil, 0)
                case .pending(let q):
                    precondition(q.index >= 0, "Fusion: a pending operand ran in another program")
                    return (q.index, nil, 1)
                case .memory(let storage, let offset, let stride):
                    return (-1, UnsafeRawPointer(storage.buffer.unsafelyUnwrapped + offset), stride)
                }
            }
            let (sa, pa, stra) = source(p.a), (sb, pb, strb) = source(p.b)
            instruction.src = (sa, sb)
            instruction.ext = (pa, pb)
            instruction.ext_stride = (stra, strb)
            if let output = p.output {
                instruction.out = output._withUnsafeGuaranteedRef { storage in
                    let buffer = BufferCache.allocate(storage.byteCount)
                    storage.buffer = buffer
                    return buffer
                }
            }
            program.append(instruction)
        }
        program.withUnsafeBufferPointer {
            ct_fused_run(ops[0].dtype.kernelCode, Int64(ops[0].count), Int32($0.count), $0.baseAddress)
        }
        for p in ops {
            // The queue still holds `p`, so this does not end it under the lock.
            p.output?._withUnsafeGuaranteedRef { $0.pending = nil }
            p.index = -1
        }
    }
}

extension Tensor {
    /// Runs any elementwise work that is still pending, so its cost is paid now.
    ///
    /// Chains of elementwise operations on large tensors run lazily, as one
    /// pass over memory, when a value is first needed (a reduction, a matrix
    /// product, printing, ``item()``, an in-place write). Results never depend
    /// on it; call this when timing code.
    ///
    /// - Complexity: the pending work, O(elements × ops).
    public func realize() { Tensor.realizeAll() }

    /// Runs all elementwise work that is still pending, whichever tensors it
    /// computes (as ``realize()`` does for one tensor).
    public static func realizeAll() {
        if ct_fusion_has_pending() != 0 { Fusion.runPending() }
    }
}
