// Private interfaces shared by the kernel files: the thread pool and the table
// of vectorised kernels chosen once at run time for the CPU (AVX-512, AVX2+FMA
// or portable). Nothing here is visible to Swift.
#ifndef COTANGENT_INTERNAL_H
#define COTANGENT_INTERNAL_H
#include "CotangentKernels.h"
#include <stddef.h>

/// Bytes per element.
static inline size_t ct_dtype_byte_size(ct_dtype t) {
    switch (t) {
    case CT_BOOL: case CT_I8: case CT_U8: return 1;
    case CT_I16: case CT_F16: case CT_BF16: return 2;
    case CT_I32: case CT_F32: return 4;
    case CT_I64: case CT_F64: return 8;
    }
    return 8;
}

// The two 16-bit floating types. Clang computes with them in float and rounds
// each result to nearest even, which is what PyTorch's CPU kernels do for Half
// and BFloat16; loops below still load them into float explicitly.
typedef _Float16 ct_f16;
typedef __bf16 ct_bf16;

/// Sets the largest K for which the calling thread's single-threaded
/// products read a row-major B in place instead of packing it (-1: the
/// default, 512); returns the previous value. For callers whose B was just
/// written into L2 (conv.c's column tiles). The sums run in the same order
/// unless the packed path would have split K into slices.
int64_t ct_gemm_set_direct_kmax(int64_t k);

// MARK: Threads

/// Work of one chunk: elements [begin, end) of the range, `chunk` its index.
typedef void (*ct_chunk_fn)(void *ctx, int64_t begin, int64_t end, int32_t chunk);

/// The most chunks ct_parallel_for ever makes (sizes partial-result arrays).
#define CT_MAX_CHUNKS 64

/// The number of chunks ct_parallel_for splits `n` items into: at most the
/// thread count, and none smaller than `grain` items (so small work is 1 chunk).
int32_t ct_chunk_count(int64_t n, int64_t grain);

/// Splits [0, n) into ct_chunk_count(n, grain) contiguous chunks (chunk c is
/// [c*n/k, (c+1)*n/k)) and runs them on the pool. The split depends only on n,
/// grain and the thread count, never on timing, so per-chunk partial results
/// combined in chunk order are deterministic. A single chunk runs inline
/// without touching the pool; calls from inside a chunk run serially.
void ct_parallel_for(int64_t n, int64_t grain, ct_chunk_fn fn, void *ctx);

/// Like ct_parallel_for with exactly `k` chunks (clamped to [1, min(n, CT_MAX_CHUNKS)]),
/// which may exceed the thread count: threads claim chunks as they become free,
/// so a thread that the OS delays (a loaded machine) just runs fewer of them.
/// For work whose chunks write disjoint outputs (the split is still fixed).
void ct_parallel_chunks(int64_t n, int32_t k, ct_chunk_fn fn, void *ctx);

/// ct_parallel_for for work whose chunks write disjoint outputs, split four
/// times finer (never below `grain`) so that on a loaded machine a thread the
/// OS delays takes fewer chunks instead of holding up the others.
static inline void ct_parallel_disjoint(int64_t n, int64_t grain, ct_chunk_fn fn, void *ctx) {
    int64_t k = ct_chunk_count(n, grain);
    if (k > 1) {
        const int64_t finest = n / (grain < 1 ? 1 : grain);
        k = 4 * k < finest ? 4 * k : finest;
    }
    ct_parallel_chunks(n, (int32_t)(k < CT_MAX_CHUNKS ? k : CT_MAX_CHUNKS), fn, ctx);
}

// Thread-local state of the kernels. The initial-exec model reads it with one
// load off the thread pointer instead of a call to __tls_get_addr, which the
// default (general-dynamic) model makes on every access of a PIC build; the
// library is linked into the executable, so its TLS block is static.
#if defined(__ELF__) && !defined(__APPLE__)
#define CT_TLS _Thread_local __attribute__((tls_model("initial-exec")))
#else
#define CT_TLS _Thread_local
#endif

// MARK: Vectorised kernels

/// The GEMM kernels of one instruction set: register tile MR x NR, panel
/// packing and the micro-kernel (see gemm.c).
typedef struct {
    int32_t mr_f32, nr_f32, mr_f64, nr_f64;
    void (*pack_a_f32)(int64_t m, int64_t k, const float *a, int64_t rs, int64_t cs, float *dst);
    void (*pack_b_f32)(int64_t k, int64_t n, const float *b, int64_t rs, int64_t cs, float *dst);
    void (*ukr_f32)(int64_t k, const float *ap, const float *bp, float *c, int64_t rsc, int64_t csc,
                    float alpha, float beta, int32_t m, int32_t n);
    // The same kernel reading A(i, p) at a[i*ars + p*acs] and B's row p at b + p*brs.
    void (*ukr_strided_f32)(int64_t k, const float *a, int64_t ars, int64_t acs, const float *b, int64_t brs,
                            float *c, int64_t rsc, int64_t csc, float alpha, float beta, int32_t m, int32_t n);
    void (*pack_a_f64)(int64_t m, int64_t k, const double *a, int64_t rs, int64_t cs, double *dst);
    void (*pack_b_f64)(int64_t k, int64_t n, const double *b, int64_t rs, int64_t cs, double *dst);
    void (*ukr_f64)(int64_t k, const double *ap, const double *bp, double *c, int64_t rsc, int64_t csc,
                    double alpha, double beta, int32_t m, int32_t n);
    void (*ukr_strided_f64)(int64_t k, const double *a, int64_t ars, int64_t acs, const double *b, int64_t brs,
                            double *c, int64_t rsc, int64_t csc, double alpha, double beta, int32_t m, int32_t n);
} ct_gemm_kernels;

/// One instruction-set variant of the vectorised kernels. Elementwise entries
/// return false when they do not handle an op (the caller then runs the
/// portable loop). Pointers may be NULL in the portable table.
typedef struct {
    const char *name;
    // out[i] = op(a[i*ia], b[i*ib]) with ia, ib in {0, 1}; out contiguous.
    bool (*binary_f32)(ct_binary_op op, int64_t n, const float *a, int64_t ia,
                       const float *b, int64_t ib, float *out);
    bool (*binary_f64)(ct_binary_op op, int64_t n, const double *a, int64_t ia,
                       const double *b, int64_t ib, double *out);
    // out[i] = op(x[i]); both contiguous; params: the op's three parameters (p0, p1, p2).
    bool (*unary_f32)(ct_unary_op op, int64_t n, const float *x, float *out, const double *params);
    bool (*unary_f64)(ct_unary_op op, int64_t n, const double *x, double *out, const double *params);

    // Reductions over n contiguous elements. sum/prod accumulate float32 in
    // double. maxmin returns false (writing nothing) if a NaN is present.
    double (*sum_f32)(int64_t n, const float *x);
    double (*sum_f64)(int64_t n, const double *x);
    double (*prod_f32)(int64_t n, const float *x);
    double (*prod_f64)(int64_t n, const double *x);
    bool (*maxmin_f32)(bool is_max, int64_t n, const float *x, float *result);
    bool (*maxmin_f64)(bool is_max, int64_t n, const double *x, double *result);
    // Column reductions: out[i] = op over j of x[i + j*ld] for i < m (outputs
    // adjacent in memory). Handles SUM, PROD, MAX, MIN (NaN propagates).
    void (*cols_f32)(ct_reduce_op op, int64_t m, int64_t n, const float *x, int64_t ld, float *out);
    void (*cols_f64)(ct_reduce_op op, int64_t m, int64_t n, const double *x, int64_t ld, double *out);

    // out = exp(x - mx) over n contiguous elements, returning its sum exactly as
    // sum_f32/sum_f64 would (softmax's fused middle pass). NULL without vector math.
    double (*expsub_sum_f32)(int64_t n, const float *x, float mx, float *out);
    double (*expsub_sum_f64)(int64_t n, const double *x, double mx, double *out);

    // GEMM: register tile MR x NR, panel packing and the micro-kernel (see gemm.c).
    ct_gemm_kernels gemm;

    // unary and binary f32/f64 with non-temporal stores, for outputs larger than the
    // last-level cache (they would be evicted before use anyway, and ordinary
    // stores read every line first). Same values. The caller fences (ct_store_fence).
    bool (*unary_nt_f32)(ct_unary_op op, int64_t n, const float *x, float *out, const double *params);
    bool (*unary_nt_f64)(ct_unary_op op, int64_t n, const double *x, double *out, const double *params);
    bool (*binary_nt_f32)(ct_binary_op op, int64_t n, const float *a, int64_t ia, const float *b, int64_t ib, float *out);
    bool (*binary_nt_f64)(ct_binary_op op, int64_t n, const double *a, int64_t ia, const double *b, int64_t ib, double *out);

    // unary and binary for float16 and bfloat16 (bit patterns; same layouts as
    // the float32 entries), through the float32 kernels on converted blocks,
    // with the scalar loops' results bit for bit; false for the ops they do
    // not take. NULL where the instruction set lacks them.
    bool (*unary_f16)(ct_unary_op op, int64_t n, const uint16_t *x, uint16_t *out);
    bool (*binary_f16)(ct_binary_op op, int64_t n, const uint16_t *a, int64_t ia,
                       const uint16_t *b, int64_t ib, uint16_t *out);
    bool (*unary_bf16)(ct_unary_op op, int64_t n, const uint16_t *x, uint16_t *out);
    bool (*binary_bf16)(ct_binary_op op, int64_t n, const uint16_t *a, int64_t ia,
                        const uint16_t *b, int64_t ib, uint16_t *out);
} ct_kernel_table;

/// Softmax of one contiguous float32/float64 row of n elements, in place (softmax.c's
/// row kernel: every pass reads an element before writing it), for attention.c.
void ct_softmax_row_inplace(ct_dtype dtype, const ct_kernel_table *K, int64_t n, void *row);

/// Orders this thread's non-temporal stores before its later stores (and
/// so before it reports its work done).
static inline void ct_store_fence(void) {
#if defined(__x86_64__)
    __builtin_ia32_sfence();
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/// The size of the last-level cache in bytes (from the OS; 8 MiB if unknown).
int64_t ct_llc_bytes(void);
/// Whether a kernel that reads `in_bytes` and writes `out_bytes` should write
/// with non-temporal stores: when the two do not fit in the last-level cache
/// together, the output is evicted before anyone reads it, and ordinary stores
/// would first read every output line from memory.
static inline bool ct_should_stream(int64_t in_bytes, int64_t out_bytes) {
    return in_bytes + out_bytes > ct_llc_bytes();
}

/// The table in effect (chosen at first use; see ct_set_simd_level).
const ct_kernel_table *ct_kernels(void);
/// The calling thread's forced table (NULL if none), and setting it (the pool
/// hands a caller's table to the workers that run its chunks).
const ct_kernel_table *ct_kernels_local(void);
void ct_kernels_set_local(const ct_kernel_table *t);

extern const ct_kernel_table ct_kernels_generic;
#if defined(__x86_64__)
extern const ct_kernel_table ct_kernels_avx2;
extern const ct_kernel_table ct_kernels_avx512;
#endif

// MARK: BLAS

/// Runs a float32/float64 GEMM through a dlopen'ed CBLAS if one is loaded and
/// the layout is expressible in CBLAS; returns false otherwise.
bool ct_blas_gemm(ct_dtype dtype, int64_t M, int64_t N, int64_t K, double alpha,
                  const void *A, int64_t rsa, int64_t csa, const void *B, int64_t rsb, int64_t csb,
                  double beta, void *C, int64_t rsc, int64_t csc);
/// "openblas (libopenblas.so.0, SkylakeX)"-style name of the loaded library (NULL if none).
const char *ct_blas_name(void);
/// Whether the loaded library should take large GEMMs by default (see blas.c).
bool ct_blas_preferred(void);
/// Tells a loaded BLAS the thread count (no-op if none).
void ct_blas_set_threads(int32_t n);

#endif
