// Matrix multiplication.
//
// float32/float64 use a BLIS-style blocked GEMM: for each NC-wide block of B
// columns and KC-deep slice of K, B is packed into NR-column micro-panels
// (shared by all threads); each thread then packs MC-row blocks of its share
// of A into MR-row micro-panels and runs the register micro-kernel over every
// (MR x NR) tile. Packing absorbs arbitrary strides, so transposed operands
// need no copy. The micro-kernels and packing routines come from the kernel
// table (AVX-512, AVX2+FMA or portable). Large products may go to an external
// CBLAS instead (blas.c). Integer dtypes keep the plain loop.
#include "gemm_kernels.h"
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Products with fewer multiply-adds than this stay on one thread.
#define CT_GEMM_PARALLEL_MIN (1LL << 21)
// Single-threaded products with K up to this read row-major B in place
// (ct_gemm_direct): for them packing costs as much as it saves. Callers whose
// B was just written and sits in L2 may raise it (ct_gemm_set_direct_kmax).
#define CT_GEMM_DIRECT_KMAX 512
static CT_TLS int64_t ct_gemm_direct_kmax = CT_GEMM_DIRECT_KMAX;

int64_t ct_gemm_set_direct_kmax(int64_t k) {
    const int64_t previous = ct_gemm_direct_kmax;
    ct_gemm_direct_kmax = k < 0 ? CT_GEMM_DIRECT_KMAX : k;
    return previous;
}

// Chunks per thread in each parallel step: threads claim them as they free up,
// so one thread delayed by the OS (a busy machine) does not stall the other.
#ifndef CT_GEMM_CHUNKS_PER_THREAD
#define CT_GEMM_CHUNKS_PER_THREAD 3
#endif
// Products at least this large (256^3) go to an external BLAS when it is
// preferred (see blas.c). Measured on a 2-core Sapphire Rapids (float32, 2
// threads, OpenBLAS 0.3.21 with its SkylakeX kernels, best of many runs): at
// 32^3 ours 68 GFLOP/s vs 41 (its helper thread spins even for small
// products), at 64^3 93 vs 88, at 256^3 186 vs 187, at 1024^3 280 vs 299, at
// 2048^3 277 vs 298. On one thread OpenBLAS is ahead at every size.
#define CT_GEMM_BLAS_MIN (1LL << 24)

// The threshold in effect on the calling thread: -1 = the default (decided
// at first use). Thread-local, so a test that forces one path cannot change
// the results of work on other threads.
static CT_TLS int64_t ct_gemm_blas_threshold = -1;
// The path the calling thread's latest ct_gemm took (NULL before any).
static CT_TLS const char *ct_gemm_last_backend;

static int64_t ct_gemm_blas_min(void) {
    int64_t t = ct_gemm_blas_threshold;
    if (t >= 0) return t;
    return ct_blas_preferred() ? CT_GEMM_BLAS_MIN : INT64_MAX;
}

int64_t ct_gemm_set_blas_threshold(int64_t macs) {
    int64_t previous = ct_gemm_blas_threshold;
    ct_gemm_blas_threshold = macs < 0 ? -1 : macs;
    return previous;
}

static const char *ct_gemm_own_name(void) {
    switch (ct_simd_level()) {
    case 2: return "cotangent-avx512";
    case 1: return "cotangent-avx2";
    default: return "cotangent-generic";
    }
}

// MARK: Scratch buffers

// Per-thread, 64-byte aligned packing buffers that grow as needed and are
// freed when the thread exits. Slot 0 holds packed A, slot 1 packed B.
static pthread_key_t ct_scratch_key;
static pthread_once_t ct_scratch_once = PTHREAD_ONCE_INIT;

typedef struct { void *ptr[2]; size_t cap[2]; } ct_scratch_set;

static void ct_scratch_free(void *p) {
    ct_scratch_set *s = (ct_scratch_set *)p;
    free(s->ptr[0]);
    free(s->ptr[1]);
    free(s);
}
static void ct_scratch_init(void) { pthread_key_create(&ct_scratch_key, ct_scratch_free); }

static void *ct_scratch(int slot, size_t bytes) {
    pthread_once(&ct_scratch_once, ct_scratch_init);
    ct_scratch_set *s = (ct_scratch_set *)pthread_getspecific(ct_scratch_key);
    if (!s) {
        s = (ct_scratch_set *)calloc(1, sizeof *s);
        if (!s) return NULL;
        pthread_setspecific(ct_scratch_key, s);
    }
    if (s->cap[slot] < bytes) {
        free(s->ptr[slot]);
        size_t cap = (bytes + 4095) & ~(size_t)4095;
        s->ptr[slot] = aligned_alloc(64, cap);
        s->cap[slot] = s->ptr[slot] ? cap : 0;
    }
    return s->ptr[slot];
}

// MARK: Kernels

// The GEMM kernels for the kernel table in effect: AVX-512 has its own set
// (gemm_avx512.c); other tables lend theirs.
static ct_gemm_kernels ct_gemm_kernels_now(void) {
    const ct_kernel_table *kt = ct_kernels();
#if defined(__x86_64__)
    if (kt == &ct_kernels_avx512) return ct_gemm_kernels_avx512;
#endif
    return kt->gemm;
}

// MARK: Blocked GEMM

typedef struct {
    int64_t kc, mc, nc;  // cache blocking
} ct_blocking;

// Data cache sizes in bytes (L1d, L2, L3 per the OS), read once. Virtual
// machines often report the whole host's L3, so it is capped at 32 MiB.
static int64_t ct_cache[3];
static pthread_once_t ct_cache_once = PTHREAD_ONCE_INIT;

static void ct_cache_init(void) {
    const int64_t fallback[3] = {32 << 10, 1 << 20, 8 << 20};
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE) && defined(_SC_LEVEL3_CACHE_SIZE)
    const long got[3] = {sysconf(_SC_LEVEL1_DCACHE_SIZE), sysconf(_SC_LEVEL2_CACHE_SIZE),
                         sysconf(_SC_LEVEL3_CACHE_SIZE)};
#else
    const long got[3] = {0, 0, 0};
#endif
    for (int i = 0; i < 3; i++) ct_cache[i] = got[i] >= (4 << 10) ? got[i] : fallback[i];
    if (ct_cache[2] > (32 << 20)) ct_cache[2] = 32 << 20;
    if (ct_cache[2] < ct_cache[1]) ct_cache[2] = ct_cache[1];
}

// Blocking for a K-deep product. The micro-kernel streams a KC x NR micro-panel
// of B and MR-row micro-panels of A; C is read and written once per KC slice,
// so KC is made as deep as lets a B micro-panel take a quarter of L2 (capped
// at 1024; measured on Zen 5, n = 1024 float32 on one thread: KC 1024 gave
// 207 GFLOP/s, 384 gave 180), split evenly over K. The MC x KC block of A
// is as large as L2 (each B micro-panel is reused over all of it; float64 at
// n = 2048 on Zen 5: 91 GFLOP/s against 78 with half of L2 and 67 with a
// quarter), the KC x NC block of B half of L3 (shared by the threads).
static ct_blocking ct_blocking_for(int64_t K, size_t size, int32_t mr, int32_t nr) {
    pthread_once(&ct_cache_once, ct_cache_init);
    int64_t kc = ct_cache[1] / 4 / (nr * (int64_t)size);
    kc = kc > 1024 ? 1024 : kc < 64 ? 64 : kc;
    const int64_t slices = (K + kc - 1) / kc;
    ct_blocking b;
    b.kc = (K + slices - 1) / slices;
    const int64_t panels = ct_cache[1] / (b.kc * (int64_t)size * mr);
    b.mc = (panels < 1 ? 1 : panels) * mr;
    const int64_t cols = ct_cache[2] / 2 / (b.kc * (int64_t)size) / nr;
    b.nc = (cols < 4 ? 4 : cols) * nr;
    return b;
}

#define CT_DEFINE_GEMM(T, SFX)                                                       \
    typedef struct {                                                                 \
        int64_t M, N, K;                                                             \
        T alpha, beta;                                                               \
        const T *A; int64_t rsa, csa;                                                \
        const T *B; int64_t rsb, csb;                                                \
        T *C; int64_t rsc, csc;                                                      \
        ct_gemm_kernels kt;                                                          \
        int32_t mr, nr;                                                              \
        ct_blocking blk;                                                             \
        int64_t jc, nc, pc, kc;  /* current B block */                               \
        T beta_now;                                                                  \
        T *bpack;                                                                    \
        const T *apack_shared;   /* split-N mode: all of A's rows, packed */         \
    } ct_gemm_##SFX;                                                                 \
                                                                                     \
    /* Runs the micro-kernel over rows [i0, i0+m) (packed at ap) x panels [p0, p1). */ \
    static void ct_macro_##SFX(const ct_gemm_##SFX *g, const T *ap, int64_t i0, int64_t m, \
                               int64_t p0, int64_t p1) {                             \
        const int32_t mr = g->mr, nr = g->nr;                                        \
        for (int64_t jp = p0; jp < p1; jp++) {                                       \
            const int64_t j = jp * nr;                                               \
            const int32_t nv = (int32_t)(g->nc - j < nr ? g->nc - j : nr);           \
            const T *bp = g->bpack + j * g->kc;                                      \
            for (int64_t i = 0; i < m; i += mr) {                                    \
                const int32_t mv = (int32_t)(m - i < mr ? m - i : mr);               \
                T *c = g->C + (i0 + i) * g->rsc + (g->jc + j) * g->csc;              \
                g->kt.ukr_##SFX(g->kc, ap + i * g->kc, bp, c, g->rsc, g->csc,       \
                                 g->alpha, g->beta_now, mv, nv);                     \
            }                                                                        \
        }                                                                            \
    }                                                                                \
                                                                                     \
    static void ct_packb_chunk_##SFX(void *ctx, int64_t b, int64_t e, int32_t chunk) { \
        (void)chunk;                                                                 \
        const ct_gemm_##SFX *g = (const ct_gemm_##SFX *)ctx;                         \
        const int64_t j0 = b * g->nr, j1 = e * g->nr < g->nc ? e * g->nr : g->nc;    \
        g->kt.pack_b_##SFX(g->kc, j1 - j0, g->B + g->pc * g->rsb + (g->jc + j0) * g->csb, \
                            g->rsb, g->csb, g->bpack + j0 * g->kc);                  \
    }                                                                                \
                                                                                     \
    /* Split-M: a chunk owns micro-rows [b, e) and packs its own A blocks. */        \
    static void ct_rows_chunk_##SFX(void *ctx, int64_t b, int64_t e, int32_t chunk) { \
        (void)chunk;                                                                 \
        const ct_gemm_##SFX *g = (const ct_gemm_##SFX *)ctx;                         \
        const int64_t r0 = b * g->mr, r1 = e * g->mr < g->M ? e * g->mr : g->M;      \
        const int64_t panels = (g->nc + g->nr - 1) / g->nr;                          \
        T *ap = (T *)ct_scratch(0, (size_t)(g->blk.mc * g->kc) * sizeof(T));         \
        if (!ap) return;                                                             \
        for (int64_t ic = r0; ic < r1; ic += g->blk.mc) {                            \
            const int64_t m = r1 - ic < g->blk.mc ? r1 - ic : g->blk.mc;             \
            g->kt.pack_a_##SFX(m, g->kc, g->A + ic * g->rsa + g->pc * g->csa, g->rsa, g->csa, ap); \
            ct_macro_##SFX(g, ap, ic, m, 0, panels);                                 \
        }                                                                            \
    }                                                                                \
                                                                                     \
    /* Split-N: a chunk owns B micro-panels [b, e); A (M <= MC rows) is shared. */   \
    static void ct_cols_chunk_##SFX(void *ctx, int64_t b, int64_t e, int32_t chunk) { \
        (void)chunk;                                                                 \
        const ct_gemm_##SFX *g = (const ct_gemm_##SFX *)ctx;                         \
        ct_macro_##SFX(g, g->apack_shared, 0, g->M, b, e);                           \
    }                                                                                \
                                                                                     \
    /* Products with K up to CT_GEMM_DIRECT_KMAX and row-major B: A and B are    \
       read in place (only a partial row tile of A and the partial column panel  \
       of B are copied, zero-padded), C tile by tile. No packing pass and no     \
       barrier: threads take row tiles, in one parallel step. */                 \
    typedef struct {                                                                 \
        int64_t M, N, K;                                                             \
        T alpha, beta;                                                               \
        const T *A; int64_t rsa, csa;                                                \
        const T *B; int64_t rsb;                                                     \
        T *C; int64_t rsc, csc;                                                      \
        ct_gemm_kernels kt;                                                          \
        const T *bpart;  /* the partial column panel of B, packed */                 \
        bool failed;                                                                 \
    } ct_direct_##SFX;                                                               \
                                                                                     \
    static void ct_direct_chunk_##SFX(void *ctx, int64_t b, int64_t e, int32_t chunk) { \
        (void)chunk;                                                                 \
        ct_direct_##SFX *d = (ct_direct_##SFX *)ctx;                                 \
        const int32_t mr = d->kt.mr_##SFX, nr = d->kt.nr_##SFX;                      \
        const int64_t M = d->M, N = d->N, K = d->K, nfull = N / nr * nr;             \
        T *apart = NULL;                                                             \
        for (int64_t i0 = b * mr; i0 < M && i0 < e * mr; i0 += mr) {                 \
            const int32_t m = (int32_t)(M - i0 < mr ? M - i0 : mr);                  \
            const T *ap = d->A + i0 * d->rsa;                                        \
            int64_t ars = d->rsa, acs = d->csa;                                      \
            if (m < mr) {                                                            \
                if (!apart) apart = (T *)ct_scratch(0, (size_t)(mr * K) * sizeof(T)); \
                if (!apart) { d->failed = true; return; }                            \
                d->kt.pack_a_##SFX(m, K, ap, d->rsa, d->csa, apart);                 \
                ap = apart; ars = 1; acs = mr;                                       \
            }                                                                        \
            for (int64_t j0 = 0; j0 < N; j0 += nr) {                                 \
                const bool full = j0 < nfull;                                        \
                d->kt.ukr_strided_##SFX(K, ap, ars, acs, full ? d->B + j0 : d->bpart, \
                                        full ? d->rsb : nr, d->C + i0 * d->rsc + j0 * d->csc, \
                                        d->rsc, d->csc, d->alpha, d->beta, m,       \
                                        (int32_t)(full ? nr : N - j0));              \
            }                                                                        \
        }                                                                            \
    }                                                                                \
                                                                                     \
    static bool ct_gemm_direct_##SFX(int64_t M, int64_t N, int64_t K, T alpha,       \
                                     const T *A, int64_t rsa, int64_t csa,           \
                                     const T *B, int64_t rsb, T beta,                \
                                     T *C, int64_t rsc, int64_t csc, int32_t chunks) { \
        const ct_gemm_kernels kt = ct_gemm_kernels_now();                           \
        const int32_t mr = kt.mr_##SFX, nr = kt.nr_##SFX;                          \
        const int64_t nfull = N / nr * nr;                                           \
        /* Slot 1: slot 0 of the calling thread holds its own A tiles. */            \
        T *bpart = nfull < N ? (T *)ct_scratch(1, (size_t)(nr * K) * sizeof(T)) : NULL; \
        if (nfull < N && !bpart) return false;                                       \
        if (bpart) kt.pack_b_##SFX(K, N - nfull, B + nfull, rsb, 1, bpart);         \
        ct_direct_##SFX d = {M, N, K, alpha, beta, A, rsa, csa, B, rsb, C, rsc, csc, kt, bpart, false}; \
        ct_parallel_chunks((M + mr - 1) / mr, chunks, ct_direct_chunk_##SFX, &d);    \
        return !d.failed;                                                            \
    }                                                                                \
                                                                                     \
    static void ct_gemm_blocked_##SFX(int64_t M, int64_t N, int64_t K, T alpha,      \
                                      const T *A, int64_t rsa, int64_t csa,          \
                                      const T *B, int64_t rsb, int64_t csb, T beta,  \
                                      T *C, int64_t rsc, int64_t csc) {              \
        const ct_gemm_kernels kt = ct_gemm_kernels_now();                           \
        ct_gemm_##SFX g = {M, N, K, alpha, beta, A, rsa, csa, B, rsb, csb, C, rsc, csc, kt, \
                           kt.mr_##SFX, kt.nr_##SFX, ct_blocking_for(K, sizeof(T), kt.mr_##SFX, kt.nr_##SFX), \
                           0, 0, 0, 0, beta, NULL, NULL};                            \
        const int32_t threads = M * N * K >= CT_GEMM_PARALLEL_MIN ? ct_get_num_threads() : 1; \
        /* In place on several threads too, when there are row tiles enough to share. */ \
        const int64_t row_tiles = (M + g.mr - 1) / g.mr;                             \
        if (csb == 1 && K <= ct_gemm_direct_kmax && (threads == 1 || row_tiles >= 4 * threads) && \
            ct_gemm_direct_##SFX(M, N, K, alpha, A, rsa, csa, B, rsb, beta, C, rsc, csc, \
                                 threads == 1 ? 1 : threads * CT_GEMM_CHUNKS_PER_THREAD)) \
            return;                                                                  \
        /* One thread: one chunk, so the pool is not woken for a small product. */  \
        const int32_t chunks = threads == 1 ? 1 : threads * CT_GEMM_CHUNKS_PER_THREAD; \
        const int64_t micro_rows = (M + g.mr - 1) / g.mr;                            \
        /* Few rows: split the columns instead, sharing one packed A. */             \
        const bool split_n = threads > 1 && M <= g.blk.mc && micro_rows < 4 * threads; \
        const int64_t nc_max = N < g.blk.nc ? N : g.blk.nc;                          \
        const int64_t kc_max = K < g.blk.kc ? K : g.blk.kc;                          \
        const int64_t nc_pad = (nc_max + g.nr - 1) / g.nr * g.nr;                    \
        g.bpack = (T *)ct_scratch(1, (size_t)(nc_pad * kc_max) * sizeof(T));         \
        T *ashared = split_n ? (T *)ct_scratch(0, (size_t)(micro_rows * g.mr * kc_max) * sizeof(T)) : NULL; \
        if (!g.bpack || (split_n && !ashared)) return;                               \
        for (g.jc = 0; g.jc < N; g.jc += g.blk.nc) {                                 \
            g.nc = N - g.jc < g.blk.nc ? N - g.jc : g.blk.nc;                        \
            const int64_t panels = (g.nc + g.nr - 1) / g.nr;                         \
            for (g.pc = 0; g.pc < K; g.pc += g.blk.kc) {                             \
                g.kc = K - g.pc < g.blk.kc ? K - g.pc : g.blk.kc;                    \
                g.beta_now = g.pc == 0 ? beta : (T)1;                                \
                ct_parallel_chunks(panels, chunks, ct_packb_chunk_##SFX, &g); \
                if (split_n) {                                                       \
                    kt.pack_a_##SFX(M, g.kc, A + g.pc * csa, rsa, csa, ashared);    \
                    g.apack_shared = ashared;                                        \
                    ct_parallel_chunks(panels, chunks, ct_cols_chunk_##SFX, &g); \
                } else {                                                             \
                    ct_parallel_chunks(micro_rows, chunks, ct_rows_chunk_##SFX, &g); \
                }                                                                    \
            }                                                                        \
        }                                                                            \
    }

CT_DEFINE_GEMM(float, f32)
CT_DEFINE_GEMM(double, f64)

// Whether C^T = B^T A^T wastes less of the register tile than C = A B: for
// narrow outputs such as a 10-way logits layer (N = 10 fills 10 of a tile's
// 32 float columns; as the transpose, 10 of its 14 rows). Only for N below
// one panel, where the gain is large enough to pay for C's transposed stores.
static bool ct_gemm_transpose_pays(ct_dtype dtype, int64_t M, int64_t N) {
    const ct_gemm_kernels kt = ct_gemm_kernels_now();
    const int64_t mr = dtype == CT_F32 ? kt.mr_f32 : kt.mr_f64, nr = dtype == CT_F32 ? kt.nr_f32 : kt.nr_f64;
    if (N >= nr || M <= N) return false;
    // Tile cells computed for each orientation (fewer is better).
    const int64_t now = (M + mr - 1) / mr * mr * ((N + nr - 1) / nr * nr);
    const int64_t swapped = (N + mr - 1) / mr * mr * ((M + nr - 1) / nr * nr);
    return swapped * 5 < now * 4;
}

// MARK: Portable loop (integers, and K == 0)

#define CT_GEMM_LOOP(T, ACC)                                                         \
    do {                                                                             \
        const T *a = (const T *)A, *b = (const T *)B;                                \
        T *c = (T *)C;                                                               \
        for (int64_t i = 0; i < M; i++)                                              \
            for (int64_t j = 0; j < N; j++) {                                        \
                ACC acc = 0;                                                         \
                for (int64_t k = 0; k < K; k++) acc += (ACC)a[i * rsa + k * csa] * (ACC)b[k * rsb + j * csb]; \
                T *cp = &c[i * rsc + j * csc];                                       \
                *cp = (beta == 0) ? (T)(alpha * acc) : (T)(alpha * acc + beta * (*cp)); \
            }                                                                        \
    } while (0)

// A dot product of a few terms (`dot` of short vectors): the micro-kernels'
// sum in their order (one accumulator, fused multiply-adds in turn where they
// use FMA, separate products and sums where the portable build cannot),
// without packing a partial tile of each operand. Only for C = A B (alpha 1,
// beta 0), whose epilogue is then the accumulator itself.
#define CT_TINY_DOT(T, FMAFN)                                                         \
    do {                                                                              \
        const T *a = (const T *)A, *b = (const T *)B;                                 \
        T acc = 0;                                                                    \
        if (fused) for (int64_t p = 0; p < K; p++) acc = FMAFN(a[p * csa], b[p * rsb], acc); \
        else for (int64_t p = 0; p < K; p++) acc = a[p * csa] * b[p * rsb] + acc;      \
        *(T *)C = acc;                                                                \
    } while (0)
static bool ct_gemm_tiny_dot(ct_dtype dtype, int64_t M, int64_t N, int64_t K, double alpha,
                             const void *A, int64_t csa, const void *B, int64_t rsb, double beta, void *C) {
#pragma STDC FP_CONTRACT OFF
    if (M != 1 || N != 1 || K > 16 || alpha != 1 || beta != 0) return false;
#if defined(__FMA__) || defined(__aarch64__)
    const bool fused = true;  // as simd_generic.c's CT_FMA
#else
    const bool fused = ct_simd_level() >= 1;  // the AVX2 and AVX-512 kernels
#endif
    if (dtype == CT_F32) CT_TINY_DOT(float, fmaf);
    else CT_TINY_DOT(double, fma);
    return true;
}

void ct_gemm(ct_dtype dtype, int64_t M, int64_t N, int64_t K, double alpha,
             const void *A, int64_t rsa, int64_t csa,
             const void *B, int64_t rsb, int64_t csb, double beta,
             void *C, int64_t rsc, int64_t csc) {
    if (M <= 0 || N <= 0) return;
    const bool fp = dtype == CT_F32 || dtype == CT_F64;
    if (fp && K > 0) {
        if (M * N * K >= ct_gemm_blas_min() &&
            ct_blas_gemm(dtype, M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc)) {
            ct_gemm_last_backend = ct_blas_name();
            return;
        }
        ct_gemm_last_backend = ct_gemm_own_name();
        if (ct_gemm_tiny_dot(dtype, M, N, K, alpha, A, csa, B, rsb, beta, C)) return;
        if (ct_gemm_transpose_pays(dtype, M, N)) {
            // C^T = B^T A^T: the same sums in the same order, so the same bits.
            int64_t t;
            const void *p = A;
            A = B; B = p;
            t = M; M = N; N = t;
            t = rsa; rsa = csb; csb = t;
            t = csa; csa = rsb; rsb = t;
            t = rsc; rsc = csc; csc = t;
        }
        if (dtype == CT_F32)
            ct_gemm_blocked_f32(M, N, K, (float)alpha, (const float *)A, rsa, csa,
                                (const float *)B, rsb, csb, (float)beta, (float *)C, rsc, csc);
        else
            ct_gemm_blocked_f64(M, N, K, alpha, (const double *)A, rsa, csa,
                                (const double *)B, rsb, csb, beta, (double *)C, rsc, csc);
        return;
    }
    ct_gemm_last_backend = "loop";
    switch (dtype) {
    case CT_F32: CT_GEMM_LOOP(float, float); break;
    case CT_F64: CT_GEMM_LOOP(double, double); break;
    case CT_I32: CT_GEMM_LOOP(int32_t, int64_t); break;
    case CT_I64: CT_GEMM_LOOP(int64_t, int64_t); break;
    case CT_I8: CT_GEMM_LOOP(int8_t, int64_t); break;
    case CT_U8: CT_GEMM_LOOP(uint8_t, int64_t); break;
    case CT_I16: CT_GEMM_LOOP(int16_t, int64_t); break;
    // The 16-bit floats accumulate in float and round once, as PyTorch's CPU fallback does.
    case CT_F16: CT_GEMM_LOOP(ct_f16, float); break;
    case CT_BF16: CT_GEMM_LOOP(ct_bf16, float); break;
    case CT_BOOL: break;
    }
}

const char *ct_gemm_backend_name(void) {
    if (ct_gemm_last_backend) return ct_gemm_last_backend;
    return ct_gemm_blas_min() < INT64_MAX && ct_blas_active() ? ct_blas_name() : ct_gemm_own_name();
}
