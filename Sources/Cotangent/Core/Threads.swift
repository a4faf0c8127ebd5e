import CCotangentKernels

/// How many threads kernels may use for large tensors (default: the number of
/// CPUs); small tensors always run on the calling thread.
///
/// Write it module-qualified for clarity: `Cotangent.numThreads = 1`.
/// Results are deterministic for a given thread count.
public var numThreads: Int {
    get { Int(ct_get_num_threads()) }
    set { ct_set_num_threads(Int32(clamping: newValue)) }
}
