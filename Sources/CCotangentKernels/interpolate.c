// Separable resampling (torch.nn.functional.interpolate) of contiguous
// (planes, H, W) or (planes, W) tensors. Every mode is a list of taps per
// spatial dim: output position o reads input position idx[k][o] with weight
// w[k][o] for each tap k. The forward runs the width pass over the input rows
// an output block needs (into a buffer that stays in cache) and then the
// height pass; the backward runs the two adjoints in the other order.
//
// Values are those of the same computation spelled in tensor ops (index
// select, multiply by the weight, add, tap by tap): every product and sum is
// rounded to the dtype, taps whose weights are all 1 are not multiplied, and
// sums start from the first tap (the backward from zero, adding in index
// order). Vector code changes none of that: there is no contraction into
// fused multiply-adds and no reassociation.
#pragma STDC FP_CONTRACT OFF
#include "internal.h"
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// One spatial dim's taps, converted for a kernel: int32 indices (gathers take
// them), the weights rounded to the dtype (kept as float for the 16-bit floats,
// which compute in float), and whether all of a tap's weights are 1.
typedef struct {
    int32_t taps, n, m;
    int32_t *idx;     // taps * m
    void *w;          // taps * m, float or double
    bool *unit;       // per tap
} ct_interp_dim;

// Everything one call needs; the chunk functions read it.
typedef struct {
    ct_dtype dtype;
    int64_t planes;
    ct_interp_dim h, w;  // h.taps == 0: no height dim (the 1-d case)
    const char *x;
    char *out;
    int32_t level;       // the caller's vector level (pool workers read the same)
} ct_interp_ctx;

#define CT_INLINE_ALWAYS static inline __attribute__((always_inline))

// MARK: Rounding to the storage type

// S is the storage type, T the compute type; R rounds a T to S and back.
#define CT_R_float(v) (v)
#define CT_R_double(v) (v)
#define CT_R_ct_f16(v) ((float)(ct_f16)(v))
#define CT_R_ct_bf16(v) ((float)(ct_bf16)(v))

// MARK: Width pass

// acc[o] (+)= term of tap k for one input row x: the scalar loop, for every dtype.
#define CT_DEFINE_WROW(SFX, S, T)                                                            \
    CT_INLINE_ALWAYS void wrow_##SFX(const S *x, const int32_t *idx, const T *w, bool unit, bool first, \
                                     S *acc, int32_t m) {                                    \
        for (int32_t o = 0; o < m; o++) {                                                    \
            T v = (T)x[idx[o]];                                                              \
            T t = unit ? v : CT_R_##S(v * w[o]);                                             \
            acc[o] = first ? (S)t : (S)((T)acc[o] + t);                                      \
        }                                                                                    \
    }
CT_DEFINE_WROW(f32, float, float)
CT_DEFINE_WROW(f64, double, double)
CT_DEFINE_WROW(f16, ct_f16, float)
CT_DEFINE_WROW(bf16, ct_bf16, float)

#if defined(__x86_64__)
// The same row for float32/float64 with gathers (16 or 8 lanes per instruction;
// float32 on AVX-512 permutes loaded vectors where it can).
__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
static void wrow_f32_avx512(const float *x, const int32_t *idx, const float *w, bool unit, bool first,
                            float *acc, int32_t m) {
    int32_t o = 0;
    for (; o + 16 <= m; o += 16) {
        const __m512i iv = _mm512_loadu_si512(idx + o);
        const int32_t lo = _mm512_reduce_min_epi32(iv), span = _mm512_reduce_max_epi32(iv) - lo + 1;
        __m512 v;
        if (span <= 32) {
            // The 16 positions lie within 32 consecutive inputs (upsampling, or
            // shrinking up to 2x): two loads and a permute instead of a gather,
            // which is several times slower. The loads stop at the last
            // position needed, so they never read past the row's data.
            const __mmask16 m0 = span >= 16 ? 0xFFFF : (__mmask16)((1u << span) - 1);
            const __mmask16 m1 = span > 16 ? (__mmask16)((1u << (span - 16)) - 1) : 0;
            const __m512 v0 = _mm512_maskz_loadu_ps(m0, x + lo), v1 = _mm512_maskz_loadu_ps(m1, x + lo + 16);
            v = _mm512_permutex2var_ps(v0, _mm512_sub_epi32(iv, _mm512_set1_epi32(lo)), v1);
        } else {
            v = _mm512_i32gather_ps(iv, x, 4);
        }
        if (!unit) v = _mm512_mul_ps(v, _mm512_loadu_ps(w + o));
        if (!first) v = _mm512_add_ps(_mm512_loadu_ps(acc + o), v);
        _mm512_storeu_ps(acc + o, v);
    }
    wrow_f32(x, idx + o, w + o, unit, first, acc + o, m - o);
}
__attribute__((target("avx2,fma")))
static void wrow_f32_avx2(const float *x, const int32_t *idx, const float *w, bool unit, bool first,
                          float *acc, int32_t m) {
    int32_t o = 0;
    for (; o + 8 <= m; o += 8) {
        __m256 v = _mm256_i32gather_ps(x, _mm256_loadu_si256((const __m256i *)(idx + o)), 4);
        if (!unit) v = _mm256_mul_ps(v, _mm256_loadu_ps(w + o));
        if (!first) v = _mm256_add_ps(_mm256_loadu_ps(acc + o), v);
        _mm256_storeu_ps(acc + o, v);
    }
    wrow_f32(x, idx + o, w + o, unit, first, acc + o, m - o);
}
__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
static void wrow_f64_avx512(const double *x, const int32_t *idx, const double *w, bool unit, bool first,
                            double *acc, int32_t m) {
    int32_t o = 0;
    for (; o + 8 <= m; o += 8) {
        __m512d v = _mm512_i32gather_pd(_mm256_loadu_si256((const __m256i *)(idx + o)), x, 8);
        if (!unit) v = _mm512_mul_pd(v, _mm512_loadu_pd(w + o));
        if (!first) v = _mm512_add_pd(_mm512_loadu_pd(acc + o), v);
        _mm512_storeu_pd(acc + o, v);
    }
    wrow_f64(x, idx + o, w + o, unit, first, acc + o, m - o);
}
__attribute__((target("avx2,fma")))
static void wrow_f64_avx2(const double *x, const int32_t *idx, const double *w, bool unit, bool first,
                          double *acc, int32_t m) {
    int32_t o = 0;
    for (; o + 4 <= m; o += 4) {
        __m256d v = _mm256_i32gather_pd(x, _mm_loadu_si128((const __m128i *)(idx + o)), 8);
        if (!unit) v = _mm256_mul_pd(v, _mm256_loadu_pd(w + o));
        if (!first) v = _mm256_add_pd(_mm256_loadu_pd(acc + o), v);
        _mm256_storeu_pd(acc + o, v);
    }
    wrow_f64(x, idx + o, w + o, unit, first, acc + o, m - o);
}
#endif

// MARK: Height pass and the adjoints' row updates

// dst[j] (+)= term(src[j], wk) over a row: contiguous, so the compiler
// vectorises it for each target the wrappers below name.
#define CT_DEFINE_HROW(SFX, S, T)                                                            \
    CT_INLINE_ALWAYS void hrow_body_##SFX(const S *src, T wk, bool unit, bool first, S *dst, int64_t n) { \
        if (first && unit) { memcpy(dst, src, (size_t)n * sizeof(S)); return; }              \
        if (first) { for (int64_t j = 0; j < n; j++) dst[j] = (S)((T)src[j] * wk); return; } \
        if (unit) { for (int64_t j = 0; j < n; j++) dst[j] = (S)((T)dst[j] + (T)src[j]); return; } \
        for (int64_t j = 0; j < n; j++) dst[j] = (S)((T)dst[j] + CT_R_##S((T)src[j] * wk));  \
    }
CT_DEFINE_HROW(f32, float, float)
CT_DEFINE_HROW(f64, double, double)
CT_DEFINE_HROW(f16, ct_f16, float)
CT_DEFINE_HROW(bf16, ct_bf16, float)

#if defined(__x86_64__)
#define CT_HROW_TARGETS(SFX, S, T)                                                           \
    __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))                  \
    static void hrow_##SFX##_avx512(const S *src, T wk, bool unit, bool first, S *dst, int64_t n) { \
        hrow_body_##SFX(src, wk, unit, first, dst, n);                                       \
    }                                                                                        \
    __attribute__((target("avx2,fma")))                                                      \
    static void hrow_##SFX##_avx2(const S *src, T wk, bool unit, bool first, S *dst, int64_t n) { \
        hrow_body_##SFX(src, wk, unit, first, dst, n);                                       \
    }
CT_HROW_TARGETS(f32, float, float)
CT_HROW_TARGETS(f64, double, double)
#endif
static void hrow_f32_generic(const float *src, float wk, bool unit, bool first, float *dst, int64_t n) {
    hrow_body_f32(src, wk, unit, first, dst, n);
}
static void hrow_f64_generic(const double *src, double wk, bool unit, bool first, double *dst, int64_t n) {
    hrow_body_f64(src, wk, unit, first, dst, n);
}

// MARK: Kernels per dtype

// The forward of output rows [begin, end) (flat over planes * out_h) and the
// backward of planes [begin, end), for one storage/compute type pair. WROW
// and HROW are the row functions chosen for the CPU.
#define CT_DEFINE_INTERP(SFX, S, T)                                                          \
    static void fwd_##SFX(const ct_interp_ctx *c, int64_t begin, int64_t end,                \
                          void (*wrow)(const S *, const int32_t *, const T *, bool, bool, S *, int32_t), \
                          void (*hrow)(const S *, T, bool, bool, S *, int64_t)) {            \
        const ct_interp_dim *H = &c->h, *W = &c->w;                                          \
        const S *x = (const S *)c->x;                                                        \
        S *out = (S *)c->out;                                                                \
        const T *ww = (const T *)W->w;                                                       \
        if (H->taps == 0) {  /* 1-d: each item is a row, written by the width pass directly */ \
            for (int64_t r = begin; r < end; r++)                                            \
                for (int32_t k = 0; k < W->taps; k++)                                        \
                    wrow(x + r * W->n, W->idx + (int64_t)k * W->m, ww + (int64_t)k * W->m, W->unit[k], k == 0, \
                         out + r * W->m, W->m);                                              \
            return;                                                                          \
        }                                                                                    \
        const T *wh = (const T *)H->w;                                                       \
        /* Output rows go in blocks whose width-pass rows (~256 KB) stay in L2. */           \
        int64_t block = (int64_t)(65536 / (W->m > 0 ? W->m : 1));                            \
        if (block < 1) block = 1;                                                            \
        S *tmp = NULL;                                                                       \
        int64_t cap = 0;                                                                     \
        for (int64_t r = begin; r < end;) {                                                  \
            const int64_t p = r / H->m, o0 = r % H->m;                                       \
            int64_t o1 = o0 + block;                                                         \
            if (o1 > H->m) o1 = H->m;                                                        \
            if (o1 - o0 > end - r) o1 = o0 + (end - r);                                      \
            int32_t lo = H->n, hi = -1;                                              \
            for (int32_t k = 0; k < H->taps; k++)                                            \
                for (int64_t o = o0; o < o1; o++) {                                          \
                    int32_t i = H->idx[(int64_t)k * H->m + o];                               \
                    if (i < lo) lo = i;                                                      \
                    if (i > hi) hi = i;                                                      \
                }                                                                            \
            const int64_t rows = hi - lo + 1;                                                \
            if (rows * W->m > cap) {                                                         \
                free(tmp);                                                                   \
                cap = rows * W->m;                                                           \
                tmp = (S *)malloc((size_t)cap * sizeof(S));                                  \
                if (!tmp) abort();                                                           \
            }                                                                                \
            const S *xp = x + p * H->n * W->n;                                               \
            for (int64_t i = lo; i <= hi; i++)                                               \
                for (int32_t k = 0; k < W->taps; k++)                                        \
                    wrow(xp + i * W->n, W->idx + (int64_t)k * W->m, ww + (int64_t)k * W->m, W->unit[k], k == 0, \
                         tmp + (i - lo) * W->m, W->m);                                       \
            for (int64_t o = o0; o < o1; o++) {                                              \
                S *dst = out + (p * H->m + o) * W->m;                                        \
                for (int32_t k = 0; k < H->taps; k++) {                                      \
                    const int64_t t = (int64_t)k * H->m + o;                                 \
                    hrow(tmp + (H->idx[t] - lo) * W->m, wh[t], H->unit[k], k == 0, dst, W->m); \
                }                                                                            \
            }                                                                                \
            r += o1 - o0;                                                                    \
        }                                                                                    \
        free(tmp);                                                                           \
    }                                                                                        \
    static void bwd_##SFX(const ct_interp_ctx *c, int64_t begin, int64_t end,                \
                          void (*hrow)(const S *, T, bool, bool, S *, int64_t)) {            \
        const ct_interp_dim *H = &c->h, *W = &c->w;                                          \
        const T *ww = (const T *)W->w, *wh = (const T *)H->w;                                \
        const int64_t in_h = H->taps ? H->n : 1, out_h = H->taps ? H->m : 1;                 \
        S *gh = NULL;                                                                        \
        if (H->taps) {                                                                       \
            gh = (S *)malloc((size_t)(in_h * W->m) * sizeof(S));                             \
            if (!gh) abort();                                                                \
        }                                                                                    \
        for (int64_t p = begin; p < end; p++) {                                              \
            const S *g = (const S *)c->x + p * out_h * W->m;                                 \
            S *gi = (S *)c->out + p * in_h * W->n;                                           \
            const S *rows = g;                                                               \
            if (H->taps) {  /* the height adjoint: zeros, then each tap's rows added in order */ \
                memset(gh, 0, (size_t)(in_h * W->m) * sizeof(S));                            \
                for (int32_t k = 0; k < H->taps; k++)                                        \
                    for (int64_t o = 0; o < H->m; o++) {                                     \
                        const int64_t t = (int64_t)k * H->m + o;                             \
                        hrow(g + o * W->m, wh[t], H->unit[k], false, gh + (int64_t)H->idx[t] * W->m, W->m); \
                    }                                                                        \
                rows = gh;                                                                   \
            }                                                                                \
            memset(gi, 0, (size_t)(in_h * W->n) * sizeof(S));                                \
            for (int64_t i = 0; i < in_h; i++) {  /* the width adjoint, a scatter per row */ \
                const S *src = rows + i * W->m;                                              \
                S *dst = gi + i * W->n;                                                      \
                for (int32_t k = 0; k < W->taps; k++) {                                      \
                    const int32_t *idx = W->idx + (int64_t)k * W->m;                         \
                    const T *w = ww + (int64_t)k * W->m;                                     \
                    if (W->unit[k])                                                          \
                        for (int32_t o = 0; o < W->m; o++) dst[idx[o]] = (S)((T)dst[idx[o]] + (T)src[o]); \
                    else                                                                     \
                        for (int32_t o = 0; o < W->m; o++)                                   \
                            dst[idx[o]] = (S)((T)dst[idx[o]] + CT_R_##S((T)src[o] * w[o]));  \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
        free(gh);                                                                            \
    }
CT_DEFINE_INTERP(f32, float, float)
CT_DEFINE_INTERP(f64, double, double)
CT_DEFINE_INTERP(f16, ct_f16, float)
CT_DEFINE_INTERP(bf16, ct_bf16, float)

static void hrow_f16(const ct_f16 *s, float w, bool u, bool f, ct_f16 *d, int64_t n) { hrow_body_f16(s, w, u, f, d, n); }
static void hrow_bf16(const ct_bf16 *s, float w, bool u, bool f, ct_bf16 *d, int64_t n) { hrow_body_bf16(s, w, u, f, d, n); }
static void wrow_f32_generic(const float *x, const int32_t *i, const float *w, bool u, bool f, float *a, int32_t m) {
    wrow_f32(x, i, w, u, f, a, m);
}
static void wrow_f64_generic(const double *x, const int32_t *i, const double *w, bool u, bool f, double *a, int32_t m) {
    wrow_f64(x, i, w, u, f, a, m);
}
static void wrow_f16_generic(const ct_f16 *x, const int32_t *i, const float *w, bool u, bool f, ct_f16 *a, int32_t m) {
    wrow_f16(x, i, w, u, f, a, m);
}
static void wrow_bf16_generic(const ct_bf16 *x, const int32_t *i, const float *w, bool u, bool f, ct_bf16 *a, int32_t m) {
    wrow_bf16(x, i, w, u, f, a, m);
}

// MARK: Dispatch

static void ct_interp_fwd_chunk(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_interp_ctx *c = (const ct_interp_ctx *)arg;
    const int32_t level = c->level;
    switch (c->dtype) {
    case CT_F32:
#if defined(__x86_64__)
        if (level >= 2) { fwd_f32(c, begin, end, wrow_f32_avx512, hrow_f32_avx512); return; }
        if (level == 1) { fwd_f32(c, begin, end, wrow_f32_avx2, hrow_f32_avx2); return; }
#endif
        fwd_f32(c, begin, end, wrow_f32_generic, hrow_f32_generic);
        return;
    case CT_F64:
#if defined(__x86_64__)
        if (level >= 2) { fwd_f64(c, begin, end, wrow_f64_avx512, hrow_f64_avx512); return; }
        if (level == 1) { fwd_f64(c, begin, end, wrow_f64_avx2, hrow_f64_avx2); return; }
#endif
        fwd_f64(c, begin, end, wrow_f64_generic, hrow_f64_generic);
        return;
    case CT_F16: fwd_f16(c, begin, end, wrow_f16_generic, hrow_f16); return;
    case CT_BF16: fwd_bf16(c, begin, end, wrow_bf16_generic, hrow_bf16); return;
    default: return;
    }
}

static void ct_interp_bwd_chunk(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_interp_ctx *c = (const ct_interp_ctx *)arg;
    const int32_t level = c->level;
    (void)level;
    switch (c->dtype) {
    case CT_F32:
#if defined(__x86_64__)
        if (level >= 2) { bwd_f32(c, begin, end, hrow_f32_avx512); return; }
        if (level == 1) { bwd_f32(c, begin, end, hrow_f32_avx2); return; }
#endif
        bwd_f32(c, begin, end, hrow_f32_generic);
        return;
    case CT_F64:
#if defined(__x86_64__)
        if (level >= 2) { bwd_f64(c, begin, end, hrow_f64_avx512); return; }
        if (level == 1) { bwd_f64(c, begin, end, hrow_f64_avx2); return; }
#endif
        bwd_f64(c, begin, end, hrow_f64_generic);
        return;
    case CT_F16: bwd_f16(c, begin, end, hrow_f16); return;
    case CT_BF16: bwd_bf16(c, begin, end, hrow_bf16); return;
    default: return;
    }
}

// Converts one dim's taps; returns false if they cannot be handled (sizes
// beyond int32, an index out of range) or memory ran out.
static bool ct_interp_dim_init(ct_interp_dim *d, ct_dtype dtype, int32_t taps, int64_t n, int64_t m,
                               const int64_t *idx, const double *w) {
    memset(d, 0, sizeof *d);
    d->taps = taps;
    if (taps == 0) return true;
    if (n < 1 || m < 1 || n > INT32_MAX || m > INT32_MAX) return false;
    d->n = (int32_t)n;
    d->m = (int32_t)m;
    const int64_t count = (int64_t)taps * m;
    const bool f64 = dtype == CT_F64;
    d->idx = (int32_t *)malloc((size_t)count * sizeof(int32_t));
    d->w = malloc((size_t)count * (f64 ? sizeof(double) : sizeof(float)));
    d->unit = (bool *)malloc((size_t)taps * sizeof(bool));
    if (!d->idx || !d->w || !d->unit) return false;
    for (int32_t k = 0; k < taps; k++) {
        bool unit = true;
        for (int64_t o = 0; o < m; o++) {
            const int64_t t = (int64_t)k * m + o;
            if (idx[t] < 0 || idx[t] >= n) return false;
            d->idx[t] = (int32_t)idx[t];
            if (w[t] != 1) unit = false;
            // The weights as the tensor ops see them: converted to the dtype (the
            // 16-bit floats through float, as ct_cast converts them).
            switch (dtype) {
            case CT_F64: ((double *)d->w)[t] = w[t]; break;
            case CT_F16: ((float *)d->w)[t] = (float)(ct_f16)(float)w[t]; break;
            case CT_BF16: ((float *)d->w)[t] = (float)(ct_bf16)(float)w[t]; break;
            default: ((float *)d->w)[t] = (float)w[t]; break;
            }
        }
        d->unit[k] = unit;
    }
    return true;
}

static bool ct_interp_run(bool backward, ct_dtype dtype, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                          int64_t out_w, int32_t taps_h, const int64_t *idx_h, const double *w_h, int32_t taps_w,
                          const int64_t *idx_w, const double *w_w, const void *x, void *out) {
    if (dtype != CT_F32 && dtype != CT_F64 && dtype != CT_F16 && dtype != CT_BF16) return false;
    ct_interp_ctx c = {.dtype = dtype, .planes = planes, .x = (const char *)x, .out = (char *)out,
                       .level = ct_simd_level()};
    bool ok = ct_interp_dim_init(&c.h, dtype, taps_h, in_h, out_h, idx_h, w_h) &&
              ct_interp_dim_init(&c.w, dtype, taps_w, in_w, out_w, idx_w, w_w) && taps_w > 0;
    if (ok && planes > 0) {
        const int64_t oh = taps_h ? out_h : 1, plane_size = oh * out_w;
        if (backward) {
            int64_t grain = (1 << 15) / (plane_size > 0 ? plane_size : 1);
            ct_parallel_disjoint(planes, grain < 1 ? 1 : grain, ct_interp_bwd_chunk, &c);
        } else {
            // Items are output rows, ~32K elements per chunk at least.
            int64_t grain = (1 << 15) / out_w;
            ct_parallel_disjoint(planes * oh, grain < 1 ? 1 : grain, ct_interp_fwd_chunk, &c);
        }
    }
    free(c.h.idx); free(c.h.w); free(c.h.unit); free(c.w.idx); free(c.w.w); free(c.w.unit);
    return ok;
}

bool ct_interpolate(ct_dtype dtype, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w,
                    int32_t taps_h, const int64_t *idx_h, const double *w_h, int32_t taps_w, const int64_t *idx_w,
                    const double *w_w, const void *x, void *out) {
    return ct_interp_run(false, dtype, planes, in_h, in_w, out_h, out_w, taps_h, idx_h, w_h, taps_w, idx_w, w_w, x,
                         out);
}

bool ct_interpolate_backward(ct_dtype dtype, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                             int64_t out_w, int32_t taps_h, const int64_t *idx_h, const double *w_h, int32_t taps_w,
                             const int64_t *idx_w, const double *w_w, const void *grad_out, void *grad_in) {
    return ct_interp_run(true, dtype, planes, in_h, in_w, out_h, out_w, taps_h, idx_h, w_h, taps_w, idx_w, w_w,
                         grad_out, grad_in);
}
