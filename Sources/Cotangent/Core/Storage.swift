#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import CCotangentKernels

/// A contiguous buffer of elements shared by a tensor and its views.
///
/// The version counter is bumped by every in-place write, through any view, so
/// autograd can tell when a value it saved for backward has changed
/// (PyTorch's `_version`).
final class Storage: @unchecked Sendable {
    /// The memory; nil only while the elements wait for pending elementwise
    /// work (`Fusion`), which allocates it when it runs. Guarded by Fusion's lock
    /// until then.
    var buffer: UnsafeMutableRawPointer?
    let byteCount: Int
    var version: Int = 0
    /// The elementwise op that will compute the elements, while it has not run
    /// (guarded by Fusion's lock).
    var pending: PendingOp?
    /// Whether this storage was made for a pending op, so its end must tell `Fusion`.
    let madePending: Bool

    init(byteCount: Int) {
        self.byteCount = byteCount
        buffer = BufferCache.allocate(byteCount)
        madePending = false
    }

    /// A storage whose elements `Fusion` computes later.
    init(pendingByteCount byteCount: Int) {
        self.byteCount = byteCount
        buffer = nil
        madePending = true
    }

    /// The memory, once every pending elementwise op has run: nothing reads or
    /// writes any buffer while work that may read it is still waiting, which is
    /// what keeps deferred ops' semantics those of eager ones.
    var data: UnsafeMutableRawPointer {
        if ct_fusion_has_pending() != 0 { Fusion.runPending() }
        return buffer.unsafelyUnwrapped
    }

    deinit {
        if madePending { Fusion.storageWillEnd(self) }
        if let buffer { BufferCache.release(buffer, byteCount: byteCount) }
    }
}

/// Keeps recently freed buffers for reuse.
///
/// Large buffers come from fresh pages of the operating system, and touching a
/// fresh page costs more than the arithmetic on it: an elementwise op over 64 MB
/// spends most of its time in page faults. Reusing a buffer of the same size
/// avoids that. The cache holds at most `capacity` bytes of them, evicting the
/// buffers released longest ago to make room. Smaller
/// buffers come from a per-thread cache of power-of-two size classes in C
/// (`buffers.c`), so a training loop that frees and re-makes tensors of the
/// same shapes every step does not call malloc in its steady state.
enum BufferCache {
    static let minimumSize = 1 << 16
    static let capacity = 256 << 20
    private static let perSize = 4

    /// Addresses are kept as integers so the state is `Sendable`; each buffer
    /// carries the sequence number of its release, so the oldest can be evicted.
    private struct State {
        var buffers: [Int: [(address: UInt, sequence: Int)]] = [:]
        var cachedBytes = 0
        var releases = 0

        /// Removes the buffer released longest ago, returning its address and size.
        mutating func evictOldest() -> (UInt, Int)? {
            // Each size's list is in release order, so its first entry is its oldest.
            var oldest: (size: Int, sequence: Int)?
            for (size, list) in buffers {
                if let first = list.first, first.sequence < oldest?.sequence ?? .max { oldest = (size, first.sequence) }
            }
            guard let size = oldest?.size, let evicted = buffers[size]?.removeFirst() else { return nil }
            cachedBytes -= size
            return (evicted.address, size)
        }
    }
    private static let state = Mutex(State())

    static func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        if byteCount >= minimumSize {
            let reused = state.withLock { s -> UInt? in
                guard let p = s.buffers[byteCount]?.popLast() else { return nil }
                s.cachedBytes -= byteCount
                return p.address
            }
            if let reused, let pointer = UnsafeMutableRawPointer(bitPattern: reused) { return pointer }
            var pointer: UnsafeMutableRawPointer?
            // Large buffers start on a cache line, for the vector kernels.
            guard posix_memalign(&pointer, 64, byteCount) == 0, let pointer else {
                fatalError("Cotangent: out of memory allocating \(byteCount) bytes")
            }
            return pointer
        }
        // Small buffers: the calling thread's size-class cache (buffers.c).
        guard let pointer = ct_small_buffer_alloc(Int64(byteCount)) else {
            fatalError("Cotangent: out of memory allocating \(byteCount) bytes")
        }
        return pointer
    }

    static func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        if byteCount >= minimumSize {
            // When full, the buffers released longest ago make room: a workload whose
            // shapes change (a warm-up, a new phase) must not leave the cache holding
            // only sizes nobody asks for any more.
            var evicted: [UInt] = []
            let kept = state.withLock { s -> Bool in
                guard byteCount <= capacity, s.buffers[byteCount, default: []].count < perSize else { return false }
                while s.cachedBytes + byteCount > capacity, let (address, _) = s.evictOldest() { evicted.append(address) }
                s.releases += 1
                s.buffers[byteCount, default: []].append((UInt(bitPattern: pointer), s.releases))
                s.cachedBytes += byteCount
                return true
            }
            for address in evicted { free(UnsafeMutableRawPointer(bitPattern: address)) }
            if kept { return }
            free(pointer)
            return
        }
        ct_small_buffer_free(pointer, Int64(byteCount))
    }
}
