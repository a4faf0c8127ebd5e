// Stress tests for the kernel thread pool (threads.c) through the kernels that use it.
import CCotangentKernels
import Testing

@Suite struct ThreadPoolStressTests {
    /// A job split into many chunks right after one split into few must run each
    /// chunk exactly once and return only when all are done.
    ///
    /// Regression: a worker that loaded the claim word of a finished job could compare
    /// it against the *next* job's chunk count (read from the shared job fields while
    /// the caller was setting them up), take a chunk past the finished job's end and
    /// count it as done, so a chunk ran twice and the caller could return (and free
    /// its buffers) while a chunk was still running: heap corruption in `free` under
    /// load (`cotangent train transformer`). The products accumulate (beta = 1), so a
    /// chunk run twice or not yet finished shows in the sums. The window is small:
    /// this test catches the race only now and then on a loaded machine, and every
    /// time under ThreadSanitizer (a data race on the job's chunk count).
    @Test func manyChunksAfterFewRunEachChunkOnce() {
        // More threads than cores: the OS preempts workers in the middle of a claim.
        ct_set_local_num_threads(4)
        defer { ct_set_local_num_threads(0) }
        let n = 32, count = 16          // 16 products of 32³: 16 chunks
        let fewN = 64, fewCount = 2     // 2 products of 64³: 2 chunks
        let ones = [Float](repeating: 1, count: count * n * n)
        let fewOnes = [Float](repeating: 1, count: fewCount * fewN * fewN)
        var few = [Float](repeating: 0, count: fewCount * fewN * fewN)
        var c = [Float](repeating: 0, count: count * n * n)
        var failures = 0
        for round in 1...200 {
            fewOnes.withUnsafeBufferPointer { a in
                few.withUnsafeMutableBufferPointer { out in
                    let s = Int64(fewN * fewN), r = Int64(fewN)
                    ct_gemm_batched(CT_F32, 1, Int64(fewCount), r, r, r, 1, a.baseAddress, 0, s, r, 1,
                                    a.baseAddress, 0, s, r, 1, 0, out.baseAddress, 0, s, r, 1)
                }
            }
            ones.withUnsafeBufferPointer { a in
                c.withUnsafeMutableBufferPointer { out in
                    let s = Int64(n * n), r = Int64(n)
                    ct_gemm_batched(CT_F32, 1, Int64(count), r, r, r, 1, a.baseAddress, 0, s, r, 1,
                                    a.baseAddress, 0, s, r, 1, 1, out.baseAddress, 0, s, r, 1)
                }
            }
            // After `round` accumulations every entry is 32 · round (exact in Float).
            let want = Float(n * round)
            if c.contains(where: { $0 != want }) || few[0] != Float(fewN) {
                failures += 1
                c = c.map { _ in want }
            }
        }
        #expect(failures == 0, "\(failures) of 200 rounds lost or repeated a chunk")
    }
}
