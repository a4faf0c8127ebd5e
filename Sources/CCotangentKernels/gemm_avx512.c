// AVX-512 GEMM micro-kernels and packing, written with intrinsics for gemm.c.
//
// The register tile is the kernel table's (MR = 14 rows by NR = 2 vectors:
// 14 x 32 float32, 14 x 16 float64): 28 accumulators, two B vectors and one
// broadcast of A fill the 32 zmm registers. What this file adds over the
// generic template (simd_template.h):
//   - one kernel per row count 1..14 and per 1 or 2 B vectors, so a partial
//     tile (M % 14 rows, N <= 16 columns such as a 10-way logits layer) only
//     computes what it stores, and edge columns are stored with masks rather
//     than through a buffer;
//   - prefetch of the A micro-panel ahead of use;
//   - packing of row-major A (and column-major B) with 8 x 8 / 4 x 4 register
//     transposes instead of the compiler's gathers and scatters.
#include "gemm_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"))), apply_to = function)

#define MR 14
#define AINL static inline __attribute__((always_inline))
// Bytes ahead of the current k step that the packed-A stream is prefetched.
#ifndef CT_UKR_PREFETCH_A
#define CT_UKR_PREFETCH_A 512
#endif

// MARK: Micro-kernels

// C[0..R, 0..n) = alpha * sum_p A(i, p) B(p, j) + beta * C, with A(i, p) at
// a[i * ars + p * acs] and B's row p at b + p * brs (packed panels: ars = 1,
// acs = MR, brs = NR). NV = how many of the tile's two B vectors are used
// (n <= NV * W). R and NV are compile-time constants in every instantiation.
#define CT_UKR_STEP(u, V, W, LOAD, SET1, FMA)                                                                           \
    {                                                                                              \
        const V b0 = LOAD(b + (u) * brs);                                                          \
        const V b1 = NV == 2 ? LOAD(b + (u) * brs + W) : b0;                                       \
        _Pragma("clang loop unroll(full)") for (int i = 0; i < R; i++) {                           \
            const V av = SET1(a[i * ars + (u) * acs]);                                             \
            acc0[i] = FMA(av, b0, acc0[i]);                                                        \
            if (NV == 2) acc1[i] = FMA(av, b1, acc1[i]);                                           \
        }                                                                                          \
    }
#define CT_UKR_BODY(T, V, W, MASK, LOAD, SET1, ZERO, FMA, MUL, MLOAD, MSTORE, PREFETCH_A)            \
    V acc0[MR], acc1[MR];                                                                          \
    _Pragma("clang loop unroll(full)") for (int i = 0; i < R; i++) acc0[i] = acc1[i] = ZERO();     \
    if (csc == 1) {                                                                                \
        _Pragma("clang loop unroll(full)") for (int i = 0; i < R; i++) {                           \
            _mm_prefetch((const char *)(c + i * rsc), _MM_HINT_T0);                                \
            if (NV == 2) _mm_prefetch((const char *)(c + i * rsc + 2 * W - 1), _MM_HINT_T0);       \
        }                                                                                          \
    }                                                                                              \
    /* Unrolled by hand: clang's unroll_count here shuffled the accumulators \
       between registers every step. */                                                           \
    int64_t p = 0;                                                                                 \
    _Pragma("clang loop unroll(disable)") for (; p + 4 <= k; p += 4) {                             \
        if (PREFETCH_A && CT_UKR_PREFETCH_A) _mm_prefetch((const char *)a + CT_UKR_PREFETCH_A, _MM_HINT_T0); \
        CT_UKR_STEP(0, V, W, LOAD, SET1, FMA) CT_UKR_STEP(1, V, W, LOAD, SET1, FMA) CT_UKR_STEP(2, V, W, LOAD, SET1, FMA) CT_UKR_STEP(3, V, W, LOAD, SET1, FMA)                               \
        a += 4 * acs;                                                                              \
        b += 4 * brs;                                                                              \
    }                                                                                              \
    _Pragma("clang loop unroll(disable)") for (; p < k; p++) {                                     \
        CT_UKR_STEP(0, V, W, LOAD, SET1, FMA)                                                                             \
        a += acs;                                                                                  \
        b += brs;                                                                                  \
    }                                                                                              \
    const V va = SET1(alpha);                                                                      \
    if (csc == 1) {                                                                                \
        const MASK m0 = (MASK)(n >= W ? (MASK)~(MASK)0 : (MASK)((1u << n) - 1));                   \
        const MASK m1 = (MASK)(n >= 2 * W ? (MASK)~(MASK)0 : n <= W ? 0 : (MASK)((1u << (n - W)) - 1)); \
        _Pragma("clang loop unroll(full)") for (int i = 0; i < R; i++) {                           \
            T *cr = c + i * rsc;                                                                   \
            V r0 = MUL(va, acc0[i]), r1 = MUL(va, acc1[i]);                                        \
            if (beta != 0) {                                                                       \
                const V vb = SET1(beta);                                                           \
                r0 = FMA(vb, MLOAD(m0, cr), r0);                                                   \
                if (NV == 2) r1 = FMA(vb, MLOAD(m1, cr + W), r1);                                  \
            }                                                                                      \
            MSTORE(cr, m0, r0);                                                                    \
            if (NV == 2) MSTORE(cr + W, m1, r1);                                                   \
        }                                                                                          \
        return;                                                                                    \
    }                                                                                              \
    /* Any other C layout (a transposed output): through a buffer. */                              \
    T tile[MR][2 * W];                                                                             \
    _Pragma("clang loop unroll(full)") for (int i = 0; i < R; i++) {                               \
        MSTORE(tile[i], (MASK)~(MASK)0, MUL(va, acc0[i]));                                         \
        MSTORE(tile[i] + W, (MASK)~(MASK)0, MUL(va, acc1[i]));                                     \
    }                                                                                              \
    for (int i = 0; i < R; i++)                                                                    \
        for (int j = 0; j < n; j++) {                                                              \
            T *cp = c + i * rsc + j * csc;                                                         \
            *cp = beta == 0 ? tile[i][j] : tile[i][j] + beta * *cp;                                \
        }

AINL __m512 ct_mload_ps(__mmask16 m, const float *p) { return _mm512_maskz_loadu_ps(m, p); }
AINL void ct_mstore_ps(float *p, __mmask16 m, __m512 v) { _mm512_mask_storeu_ps(p, m, v); }
AINL __m512d ct_mload_pd(__mmask8 m, const double *p) { return _mm512_maskz_loadu_pd(m, p); }
AINL void ct_mstore_pd(double *p, __mmask8 m, __m512d v) { _mm512_mask_storeu_pd(p, m, v); }
AINL __m512 ct_fma_ps(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
AINL __m512d ct_fma_pd(__m512d a, __m512d b, __m512d c) { return _mm512_fmadd_pd(a, b, c); }

AINL void ct_ukr_f32(const int R, const int NV, const bool PREFETCH_A, int64_t k, const float *a, int64_t ars,
                     int64_t acs, const float *b, int64_t brs, float *c, int64_t rsc, int64_t csc, float alpha,
                     float beta, int32_t n) {
    CT_UKR_BODY(float, __m512, 16, __mmask16, _mm512_loadu_ps, _mm512_set1_ps, _mm512_setzero_ps, ct_fma_ps,
                _mm512_mul_ps, ct_mload_ps, ct_mstore_ps, PREFETCH_A)
}
AINL void ct_ukr_f64(const int R, const int NV, const bool PREFETCH_A, int64_t k, const double *a, int64_t ars,
                     int64_t acs, const double *b, int64_t brs, double *c, int64_t rsc, int64_t csc, double alpha,
                     double beta, int32_t n) {
    CT_UKR_BODY(double, __m512d, 8, __mmask8, _mm512_loadu_pd, _mm512_set1_pd, _mm512_setzero_pd, ct_fma_pd,
                _mm512_mul_pd, ct_mload_pd, ct_mstore_pd, PREFETCH_A)
}

// One packed and one strided function per (rows, vectors); tables indexed by
// rows - 1 and vectors - 1 pick them at run time.
#define CT_UKR_INST(T, SFX, R, NV)                                                                  \
    static void ukr_p_##SFX##_##R##_##NV(int64_t k, const T *ap, const T *bp, T *c, int64_t rsc,     \
                                         int64_t csc, T alpha, T beta, int32_t n) {                  \
        ct_ukr_##SFX(R, NV, true, k, ap, 1, MR, bp, 2 * (64 / (int)sizeof(T)), c, rsc, csc, alpha, beta, n); \
    }                                                                                               \
    static void ukr_s_##SFX##_##R##_##NV(int64_t k, const T *a, int64_t ars, int64_t acs, const T *b, \
                                         int64_t brs, T *c, int64_t rsc, int64_t csc, T alpha, T beta, \
                                         int32_t n) {                                               \
        ct_ukr_##SFX(R, NV, false, k, a, ars, acs, b, brs, c, rsc, csc, alpha, beta, n);             \
    }
#define CT_UKR_ROWS(T, SFX, NV)                                                                      \
    CT_UKR_INST(T, SFX, 1, NV) CT_UKR_INST(T, SFX, 2, NV) CT_UKR_INST(T, SFX, 3, NV)                 \
    CT_UKR_INST(T, SFX, 4, NV) CT_UKR_INST(T, SFX, 5, NV) CT_UKR_INST(T, SFX, 6, NV)                 \
    CT_UKR_INST(T, SFX, 7, NV) CT_UKR_INST(T, SFX, 8, NV) CT_UKR_INST(T, SFX, 9, NV)                 \
    CT_UKR_INST(T, SFX, 10, NV) CT_UKR_INST(T, SFX, 11, NV) CT_UKR_INST(T, SFX, 12, NV)              \
    CT_UKR_INST(T, SFX, 13, NV) CT_UKR_INST(T, SFX, 14, NV)
CT_UKR_ROWS(float, f32, 1)
CT_UKR_ROWS(float, f32, 2)
CT_UKR_ROWS(double, f64, 1)
CT_UKR_ROWS(double, f64, 2)

#define CT_UKR_LIST(P, SFX, NV)                                                                      \
    {P##_##SFX##_1_##NV, P##_##SFX##_2_##NV, P##_##SFX##_3_##NV, P##_##SFX##_4_##NV,                 \
     P##_##SFX##_5_##NV, P##_##SFX##_6_##NV, P##_##SFX##_7_##NV, P##_##SFX##_8_##NV,                 \
     P##_##SFX##_9_##NV, P##_##SFX##_10_##NV, P##_##SFX##_11_##NV, P##_##SFX##_12_##NV,              \
     P##_##SFX##_13_##NV, P##_##SFX##_14_##NV}

typedef void (*ct_ukp_f32)(int64_t, const float *, const float *, float *, int64_t, int64_t, float, float, int32_t);
typedef void (*ct_uks_f32)(int64_t, const float *, int64_t, int64_t, const float *, int64_t, float *, int64_t,
                           int64_t, float, float, int32_t);
typedef void (*ct_ukp_f64)(int64_t, const double *, const double *, double *, int64_t, int64_t, double, double,
                           int32_t);
typedef void (*ct_uks_f64)(int64_t, const double *, int64_t, int64_t, const double *, int64_t, double *, int64_t,
                           int64_t, double, double, int32_t);

static const ct_ukp_f32 ukp_f32[2][MR] = {CT_UKR_LIST(ukr_p, f32, 1), CT_UKR_LIST(ukr_p, f32, 2)};
static const ct_uks_f32 uks_f32[2][MR] = {CT_UKR_LIST(ukr_s, f32, 1), CT_UKR_LIST(ukr_s, f32, 2)};
static const ct_ukp_f64 ukp_f64[2][MR] = {CT_UKR_LIST(ukr_p, f64, 1), CT_UKR_LIST(ukr_p, f64, 2)};
static const ct_uks_f64 uks_f64[2][MR] = {CT_UKR_LIST(ukr_s, f64, 1), CT_UKR_LIST(ukr_s, f64, 2)};

// The kernel-table signatures (m rows valid of the tile, n columns).
static void ukr_f32(int64_t k, const float *ap, const float *bp, float *c, int64_t rsc, int64_t csc, float alpha,
                    float beta, int32_t m, int32_t n) {
    ukp_f32[n > 16][m - 1](k, ap, bp, c, rsc, csc, alpha, beta, n);
}
static void ukr_strided_f32(int64_t k, const float *a, int64_t ars, int64_t acs, const float *b, int64_t brs,
                            float *c, int64_t rsc, int64_t csc, float alpha, float beta, int32_t m, int32_t n) {
    uks_f32[n > 16][m - 1](k, a, ars, acs, b, brs, c, rsc, csc, alpha, beta, n);
}
static void ukr_f64(int64_t k, const double *ap, const double *bp, double *c, int64_t rsc, int64_t csc,
                    double alpha, double beta, int32_t m, int32_t n) {
    ukp_f64[n > 8][m - 1](k, ap, bp, c, rsc, csc, alpha, beta, n);
}
static void ukr_strided_f64(int64_t k, const double *a, int64_t ars, int64_t acs, const double *b, int64_t brs,
                            double *c, int64_t rsc, int64_t csc, double alpha, double beta, int32_t m, int32_t n) {
    uks_f64[n > 8][m - 1](k, a, ars, acs, b, brs, c, rsc, csc, alpha, beta, n);
}

// MARK: Packing

// 8 x 8 float transpose: r[i] holds row i on entry and column i on return.
AINL void ct_transpose8_ps(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// 4 x 4 double transpose, in place as above.
AINL void ct_transpose4_pd(__m256d r[4]) {
    __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

// dst[p * W + j] = src(j, p) for j < rows (zero beyond, up to W), p < k, with
// src(j, p) at s[j * ld + p]: the transposing copy both packings need when the
// packed index runs along the source's rows (row-major A, column-major B).
static void ct_pack_t_f32(int64_t rows, int64_t k, const float *s, int64_t ld, float *dst, int W) {
    for (int j0 = 0; j0 < W; j0 += 8) {
        const int jn = rows - j0 < 8 ? (int)(rows - j0) : 8;
        const __mmask8 store = (__mmask8)(W - j0 >= 8 ? 0xff : (1u << (W - j0)) - 1);
        float *d = dst + j0;
        if (jn <= 0) {
            for (int64_t p = 0; p < k; p++) _mm256_mask_storeu_ps(d + p * W, store, _mm256_setzero_ps());
            continue;
        }
        const float *src = s + j0 * ld;
        int64_t p = 0;
        for (; p + 8 <= k; p += 8) {
            __m256 r[8];
            for (int j = 0; j < 8; j++) r[j] = j < jn ? _mm256_loadu_ps(src + j * ld + p) : _mm256_setzero_ps();
            ct_transpose8_ps(r);
            for (int q = 0; q < 8; q++) _mm256_mask_storeu_ps(d + (p + q) * W, store, r[q]);
        }
        for (; p < k; p++)
            for (int j = 0; j < 8 && j0 + j < W; j++) d[p * W + j] = j < jn ? src[j * ld + p] : 0.0f;
    }
}

static void ct_pack_t_f64(int64_t rows, int64_t k, const double *s, int64_t ld, double *dst, int W) {
    for (int j0 = 0; j0 < W; j0 += 4) {
        const int jn = rows - j0 < 4 ? (int)(rows - j0) : 4;
        const __mmask8 store = (__mmask8)(W - j0 >= 4 ? 0xf : (1u << (W - j0)) - 1);
        double *d = dst + j0;
        if (jn <= 0) {
            for (int64_t p = 0; p < k; p++) _mm256_mask_storeu_pd(d + p * W, store, _mm256_setzero_pd());
            continue;
        }
        const double *src = s + j0 * ld;
        int64_t p = 0;
        for (; p + 4 <= k; p += 4) {
            __m256d r[4];
            for (int j = 0; j < 4; j++) r[j] = j < jn ? _mm256_loadu_pd(src + j * ld + p) : _mm256_setzero_pd();
            ct_transpose4_pd(r);
            for (int q = 0; q < 4; q++) _mm256_mask_storeu_pd(d + (p + q) * W, store, r[q]);
        }
        for (; p < k; p++)
            for (int j = 0; j < 4 && j0 + j < W; j++) d[p * W + j] = j < jn ? src[j * ld + p] : 0.0;
    }
}

// dst[p * W + j] = src(p, j) for j < cols (zero beyond), src(p, j) at
// s[p * ld + j]: a row copy per k (transposed A, row-major B).
#define CT_PACK_ROWS(T, SFX, VEC, MASK, LOADZ, STOREM)                                               \
    static void ct_pack_n_##SFX(int64_t cols, int64_t k, const T *s, int64_t ld, T *dst, int W) {    \
        const int L = 64 / (int)sizeof(T);                                                          \
        for (int j0 = 0; j0 < W; j0 += L) {                                                         \
            const int64_t jn = cols - j0 < L ? cols - j0 : L;                                       \
            const MASK load = (MASK)(jn <= 0 ? 0 : jn >= L ? (MASK)~(MASK)0 : (MASK)((1u << jn) - 1)); \
            const MASK store = (MASK)(W - j0 >= L ? (MASK)~(MASK)0 : (MASK)((1u << (W - j0)) - 1));   \
            for (int64_t p = 0; p < k; p++) STOREM(dst + p * W + j0, store, LOADZ(load, s + p * ld + j0)); \
        }                                                                                           \
    }
CT_PACK_ROWS(float, f32, __m512, __mmask16, ct_mload_ps, ct_mstore_ps)
CT_PACK_ROWS(double, f64, __m512d, __mmask8, ct_mload_pd, ct_mstore_pd)

// The generic fallback for other strides: a plain scalar copy (kept scalar so
// the compiler does not turn it into gathers and scatters).
#define CT_PACK_ANY(T, SFX)                                                                          \
    static void ct_pack_any_##SFX(int64_t len, int64_t k, const T *s, int64_t ls, int64_t ks, T *dst, int W) { \
        for (int64_t p = 0; p < k; p++) {                                                           \
            _Pragma("clang loop vectorize(disable)") for (int j = 0; j < W; j++)                    \
                dst[p * W + j] = j < len ? s[j * ls + p * ks] : (T)0;                                \
        }                                                                                           \
    }
CT_PACK_ANY(float, f32)
CT_PACK_ANY(double, f64)

// Table-compatible packers: A's rows in micro-panels of MR, B's columns in
// micro-panels of NR = 2 vectors (zero-padded), as simd_template.h lays them.
#define CT_PACKERS(T, SFX, NR)                                                                       \
    static void pack_a_##SFX(int64_t m, int64_t k, const T *a, int64_t rs, int64_t cs, T *dst) {    \
        for (int64_t i0 = 0; i0 < m; i0 += MR, dst += MR * k) {                                     \
            const int64_t mr = m - i0 < MR ? m - i0 : MR;                                           \
            const T *ap = a + i0 * rs;                                                              \
            if (cs == 1) ct_pack_t_##SFX(mr, k, ap, rs, dst, MR);                                   \
            else if (rs == 1) ct_pack_n_##SFX(mr, k, ap, cs, dst, MR);                              \
            else ct_pack_any_##SFX(mr, k, ap, rs, cs, dst, MR);                                     \
        }                                                                                           \
    }                                                                                               \
    static void pack_b_##SFX(int64_t k, int64_t n, const T *b, int64_t rs, int64_t cs, T *dst) {    \
        if (cs == 1) {                                                                              \
            /* Row by row across all panels: B is read in order rather than  \
               one panel's strip of every row at a time (a page per row). */ \
            for (int64_t p = 0; p < k; p++)                                                         \
                for (int64_t j0 = 0; j0 < n; j0 += NR)                                              \
                    ct_pack_n_##SFX(n - j0 < NR ? n - j0 : NR, 1, b + p * rs + j0, rs,              \
                                    dst + j0 * k + p * NR, NR);                                     \
            return;                                                                                 \
        }                                                                                           \
        for (int64_t j0 = 0; j0 < n; j0 += NR, dst += NR * k) {                                     \
            const int64_t nr = n - j0 < NR ? n - j0 : NR;                                           \
            const T *bp = b + j0 * cs;                                                              \
            if (cs == 1) ct_pack_n_##SFX(nr, k, bp, rs, dst, NR);                                   \
            else if (rs == 1) ct_pack_t_##SFX(nr, k, bp, cs, dst, NR);                              \
            else ct_pack_any_##SFX(nr, k, bp, cs, rs, dst, NR);                                     \
        }                                                                                           \
    }
CT_PACKERS(float, f32, 32)
CT_PACKERS(double, f64, 16)

#pragma clang attribute pop

const ct_gemm_kernels ct_gemm_kernels_avx512 = {
    .mr_f32 = MR, .nr_f32 = 32, .mr_f64 = MR, .nr_f64 = 16,
    .pack_a_f32 = pack_a_f32, .pack_b_f32 = pack_b_f32, .ukr_f32 = ukr_f32, .ukr_strided_f32 = ukr_strided_f32,
    .pack_a_f64 = pack_a_f64, .pack_b_f64 = pack_b_f64, .ukr_f64 = ukr_f64, .ukr_strided_f64 = ukr_strided_f64,
};
#endif
