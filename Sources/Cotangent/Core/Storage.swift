#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A contiguous, 64-byte-aligned buffer of elements shared by a tensor and its views.
///
/// The version counter is bumped by every in-place write, through any view, so
/// autograd can tell when a value it saved for backward has changed
/// (PyTorch's `_version`).
final class Storage: @unchecked Sendable {
    let data: UnsafeMutableRawPointer
    let byteCount: Int
    var version: Int = 0

    init(byteCount: Int) {
        self.byteCount = byteCount
        var pointer: UnsafeMutableRawPointer?
        // Always allocate at least one cache line so empty tensors have a valid pointer.
        let status = posix_memalign(&pointer, 64, max(byteCount, 64))
        precondition(status == 0 && pointer != nil, "Cotangent: out of memory allocating \(byteCount) bytes")
        data = pointer!
    }

    deinit { free(data) }
}
