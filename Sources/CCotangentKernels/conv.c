// Convolution: im2col / col2im and the three products of a convolution.
//
// A convolution of x [N, C, H, W] with w [O, C/G, KH, KW] is, per sample and
// group, the GEMM  y_g (O/G x L) = w_g (O/G x C/G*KH*KW) · cols_g, where
// cols (C*KH*KW x L, L = OH*OW) is im2col of the sample. The input gradient
// (also the forward pass of a transposed convolution) is w_gᵀ · gy_g followed
// by col2im; the weight gradient is the sum over samples of gy_g · cols_gᵀ.
// Every GEMM is the packed ct_gemm. 1-D convolutions are 2-D ones with H = 1.
//
// float32 on AVX-512 has faster paths where those copies dominate: im2col and
// col2im of unit-stride rows use masked vectors; with unit strides the forward
// and the weight gradient read im2col's rows straight from a padded copy of
// the image ("Direct stride-1 convolutions" below; the forward gives the
// GEMM's bits), the input gradient of "same"-padded ones is such a forward of
// gy, and other weight gradients of up to 64K weights are dot products over
// the column tiles (LeNet's: no transposing packs).
//
// Threads: with at least as many samples as threads, each chunk of samples
// runs its own im2col and (nested, so single-threaded) GEMMs with a private
// column buffer; the weight gradient sums per-chunk partials in chunk order,
// so results depend only on the thread count. With fewer samples than threads
// the samples run one after another and each GEMM uses the pool itself.
#include "internal.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// MARK: Column buffers

// One 64-byte aligned column buffer per thread, grown as needed and freed when
// the thread exits (a fresh allocation per call would page-fault megabytes).
static pthread_key_t ct_conv_scratch_key;
static pthread_once_t ct_conv_scratch_once = PTHREAD_ONCE_INIT;

// Slot 0 holds columns (or a padded image), slot 1 the weight gradient's
// vector accumulators (or a padded output), slot 2 a padded output gradient.
typedef struct { void *ptr[3]; size_t cap[3]; } ct_conv_scratch_buf;

static void ct_conv_scratch_free(void *p) {
    for (int i = 0; i < 3; i++) free(((ct_conv_scratch_buf *)p)->ptr[i]);
    free(p);
}
static void ct_conv_scratch_init(void) { pthread_key_create(&ct_conv_scratch_key, ct_conv_scratch_free); }

static void *ct_conv_scratch_slot(int slot, size_t bytes) {
    pthread_once(&ct_conv_scratch_once, ct_conv_scratch_init);
    ct_conv_scratch_buf *s = (ct_conv_scratch_buf *)pthread_getspecific(ct_conv_scratch_key);
    if (!s) {
        s = (ct_conv_scratch_buf *)calloc(1, sizeof *s);
        if (!s) return NULL;
        pthread_setspecific(ct_conv_scratch_key, s);
    }
    if (s->cap[slot] < bytes) {
        free(s->ptr[slot]);
        size_t cap = (bytes + 4095) & ~(size_t)4095;
        s->ptr[slot] = aligned_alloc(64, cap);
        s->cap[slot] = s->ptr[slot] ? cap : 0;
    }
    return s->ptr[slot];
}
static void *ct_conv_scratch(size_t bytes) { return ct_conv_scratch_slot(0, bytes); }

// MARK: im2col / col2im

// The output columns [ow0, ow1) whose input column ow*sw - pw + j*dw lies in [0, W).
static inline void ct_conv_valid_range(int64_t OW, int64_t W, int64_t sw, int64_t off, int64_t *ow0,
                                       int64_t *ow1) {
    // off = j*dw - pw; need 0 <= ow*sw + off < W.
    int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
    int64_t hi = W - off <= 0 ? 0 : (W - off + sw - 1) / sw;
    if (hi > OW) hi = OW;
    if (lo > hi) lo = hi;
    *ow0 = lo;
    *ow1 = hi;
}

#define CT_DEFINE_IM2COL(T, SFX, ATTR, COPY, ADD)                                                         \
    ATTR static void ct_im2col_##SFX(const ct_conv_geometry *g, int64_t channels, const T *x, T *cols, int64_t oh0, int64_t oh1) { \
        const int64_t H = g->in_size[0], W = g->in_size[1], OH = g->out_size[0], OW = g->out_size[1]; \
        const int64_t KH = g->kernel[0], KW = g->kernel[1];                              \
        const int64_t sh = g->stride[0], sw = g->stride[1], ph = g->padding[0], pw = g->padding[1]; \
        const int64_t dh = g->dilation[0], dw = g->dilation[1];                          \
        const int64_t L = (oh1 - oh0) * OW; (void)OH;                                    \
        for (int64_t c = 0; c < channels; c++) {                                         \
            const T *xc = x + c * H * W;                                                 \
            for (int64_t i = 0; i < KH; i++)                                             \
                for (int64_t j = 0; j < KW; j++) {                                       \
                    T *row = cols + ((c * KH + i) * KW + j) * L;                         \
                    int64_t ow0, ow1;                                                    \
                    ct_conv_valid_range(OW, W, sw, j * dw - pw, &ow0, &ow1);             \
                    for (int64_t oh = oh0; oh < oh1; oh++) {                             \
                        T *r = row + (oh - oh0) * OW;                                    \
                        const int64_t ih = oh * sh - ph + i * dh;                        \
                        if (ih < 0 || ih >= H) { memset(r, 0, (size_t)OW * sizeof(T)); continue; } \
                        const T *src = xc + ih * W + j * dw - pw;                        \
                        if (sw == 1) { COPY(r, src, OW, ow0, ow1); continue; }           \
                        for (int64_t ow = 0; ow < ow0; ow++) r[ow] = 0;                  \
                        for (int64_t ow = ow0; ow < ow1; ow++) r[ow] = src[ow * sw];     \
                        for (int64_t ow = ow1; ow < OW; ow++) r[ow] = 0;                 \
                    }                                                                    \
                }                                                                        \
        }                                                                                \
    }                                                                                    \
                                                                                         \
    /* Adds the columns back into the image (which the caller has initialised). */      \
    ATTR static void ct_col2im_##SFX(const ct_conv_geometry *g, int64_t channels, const T *cols, T *x, int64_t oh0, int64_t oh1) { \
        const int64_t H = g->in_size[0], W = g->in_size[1], OH = g->out_size[0], OW = g->out_size[1]; \
        const int64_t KH = g->kernel[0], KW = g->kernel[1];                              \
        const int64_t sh = g->stride[0], sw = g->stride[1], ph = g->padding[0], pw = g->padding[1]; \
        const int64_t dh = g->dilation[0], dw = g->dilation[1];                          \
        const int64_t L = (oh1 - oh0) * OW; (void)OH;                                    \
        for (int64_t c = 0; c < channels; c++) {                                         \
            T *xc = x + c * H * W;                                                       \
            for (int64_t i = 0; i < KH; i++)                                             \
                for (int64_t j = 0; j < KW; j++) {                                       \
                    const T *row = cols + ((c * KH + i) * KW + j) * L;                   \
                    int64_t ow0, ow1;                                                    \
                    ct_conv_valid_range(OW, W, sw, j * dw - pw, &ow0, &ow1);             \
                    for (int64_t oh = oh0; oh < oh1; oh++) {                             \
                        const int64_t ih = oh * sh - ph + i * dh;                        \
                        if (ih < 0 || ih >= H) continue;                                 \
                        const T *r = row + (oh - oh0) * OW;                              \
                        T *dst = xc + ih * W + j * dw - pw;                              \
                        if (sw == 1) ADD(dst, r, ow0, ow1);                              \
                        else for (int64_t ow = ow0; ow < ow1; ow++) dst[ow * sw] += r[ow]; \
                    }                                                                    \
                }                                                                        \
        }                                                                                \
    }

// Unit-stride rows, portable: r[0, n) = src[lo, hi) with zeros around it; dst[lo, hi) += r[lo, hi).
#define CT_ROW_COPY(r, src, n, lo, hi)                                                   \
    do {                                                                                 \
        for (int64_t q = 0; q < (lo); q++) (r)[q] = 0;                                   \
        memcpy((r) + (lo), (src) + (lo), (size_t)((hi) - (lo)) * sizeof(*(r)));           \
        for (int64_t q = (hi); q < (n); q++) (r)[q] = 0;                                 \
    } while (0)
#define CT_ROW_ADD(dst, r, lo, hi)                                                       \
    do { for (int64_t q = (lo); q < (hi); q++) (dst)[q] += (r)[q]; } while (0)

CT_DEFINE_IM2COL(float, f32_generic, , CT_ROW_COPY, CT_ROW_ADD)
CT_DEFINE_IM2COL(double, f64_generic, , CT_ROW_COPY, CT_ROW_ADD)

#if defined(__x86_64__)
// AVX-512: rows of a few dozen elements (LeNet's 28 and 10) as masked vector
// loads and stores instead of a memcpy call and scalar zero fills per row
// (the calls were a quarter of LeNet's time). Lanes outside [lo, hi) are
// masked off, so they are never read. The same values, the same single adds.
#define CT_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
// Lanes [a, b) of a w-lane mask (w <= 16; a, b clamped to [0, w]).
static inline uint32_t ct_lanes(int64_t a, int64_t b, int64_t w) {
    a = a < 0 ? 0 : a > w ? w : a;
    b = b < 0 ? 0 : b > w ? w : b;
    return ((1u << b) - 1) & ~((1u << a) - 1);
}
#define CT_DEFINE_ROWS_AVX512(T, SFX, W, M, V, LOADZ, STOREM, ADDV)                     \
    CT_AVX512 static inline void ct_row_copy_##SFX(T *r, const T *src, int64_t n, int64_t lo, int64_t hi) { \
        for (int64_t o = 0; o < n; o += W) {                                             \
            const V v = LOADZ((M)ct_lanes(lo - o, hi - o, W), src + o);                  \
            STOREM(r + o, (M)ct_lanes(0, n - o, W), v);                                  \
        }                                                                                \
    }                                                                                    \
    CT_AVX512 static inline void ct_row_add_##SFX(T *dst, const T *r, int64_t lo, int64_t hi) { \
        for (int64_t o = lo; o < hi; o += W) {                                           \
            const M m = (M)ct_lanes(0, hi - o, W);                                       \
            STOREM(dst + o, m, ADDV(LOADZ(m, dst + o), LOADZ(m, r + o)));                \
        }                                                                                \
    }
CT_DEFINE_ROWS_AVX512(float, f32, 16, __mmask16, __m512, _mm512_maskz_loadu_ps, _mm512_mask_storeu_ps, _mm512_add_ps)
CT_DEFINE_ROWS_AVX512(double, f64, 8, __mmask8, __m512d, _mm512_maskz_loadu_pd, _mm512_mask_storeu_pd, _mm512_add_pd)
CT_DEFINE_IM2COL(float, f32_avx512_rows, CT_AVX512, ct_row_copy_f32, ct_row_add_f32)
CT_DEFINE_IM2COL(double, f64_avx512_rows, CT_AVX512, ct_row_copy_f64, ct_row_add_f64)

// im2col as above; col2im with unit stride and dilation in the width gathers,
// for each image row, the KW shifted column rows in registers and writes the
// row once: row by row with masked stores, each kernel column's adds read what
// the previous one had just stored at an overlapping offset, which stalls
// store forwarding. An element gets its adds in the same order (kernel row,
// then kernel column) from the same start, so the results are the same bits;
// masked adds leave lanes without a contribution untouched (even -0).
#define CT_IM2COL_VECS 4
#define CT_DEFINE_COL2IM_AVX512(T, SFX, W, M, V, LOADZ, STOREM, MADD)                   \
    /* im2col with unit stride in the width and rows of up to CT_IM2COL_VECS    \
       vectors: the lane masks of a kernel tap are the same for every output    \
       row, so they are made once per tap rather than once per row. */          \
    CT_AVX512 static void ct_im2col_##SFX##_avx512(const ct_conv_geometry *g, int64_t channels, const T *x, T *cols, \
                                                  int64_t oh0, int64_t oh1) {             \
        const int64_t H = g->in_size[0], IW = g->in_size[1], OW = g->out_size[1];        \
        if (g->stride[1] != 1 || OW > CT_IM2COL_VECS * W) {                              \
            ct_im2col_##SFX##_avx512_rows(g, channels, x, cols, oh0, oh1);               \
            return;                                                                      \
        }                                                                                \
        const int64_t KH = g->kernel[0], KW = g->kernel[1];                              \
        const int64_t sh = g->stride[0], ph = g->padding[0], pw = g->padding[1];         \
        const int64_t dh = g->dilation[0], dw = g->dilation[1];                          \
        const int64_t L = (oh1 - oh0) * OW, nv = (OW + W - 1) / W;                       \
        M sm[CT_IM2COL_VECS], lm[CT_IM2COL_VECS];                                        \
        for (int64_t v = 0; v < nv; v++) sm[v] = (M)ct_lanes(0, OW - v * W, W);          \
        const V zero = LOADZ((M)0, x);                                                   \
        for (int64_t c = 0; c < channels; c++) {                                         \
            const T *xc = x + c * H * IW;                                                \
            for (int64_t i = 0; i < KH; i++)                                             \
                for (int64_t j = 0; j < KW; j++) {                                       \
                    T *row = cols + ((c * KH + i) * KW + j) * L;                         \
                    int64_t ow0, ow1;                                                    \
                    ct_conv_valid_range(OW, IW, 1, j * dw - pw, &ow0, &ow1);             \
                    for (int64_t v = 0; v < nv; v++) lm[v] = (M)ct_lanes(ow0 - v * W, ow1 - v * W, W); \
                    for (int64_t oh = oh0; oh < oh1; oh++) {                             \
                        T *r = row + (oh - oh0) * OW;                                    \
                        const int64_t ih = oh * sh - ph + i * dh;                        \
                        if (ih < 0 || ih >= H) {                                         \
                            for (int64_t v = 0; v < nv; v++) STOREM(r + v * W, sm[v], zero); \
                            continue;                                                    \
                        }                                                                \
                        const T *src = xc + ih * IW + j * dw - pw;                       \
                        for (int64_t v = 0; v < nv; v++)                                 \
                            STOREM(r + v * W, sm[v], LOADZ(lm[v], src + v * W));         \
                    }                                                                    \
                }                                                                        \
        }                                                                                \
    }                                                                                    \
    CT_AVX512 static void ct_col2im_##SFX##_avx512(const ct_conv_geometry *g, int64_t channels, const T *cols, T *x, \
                                                  int64_t oh0, int64_t oh1) {             \
        if (g->stride[1] != 1 || g->dilation[1] != 1) {                                  \
            ct_col2im_##SFX##_avx512_rows(g, channels, cols, x, oh0, oh1);               \
            return;                                                                      \
        }                                                                                \
        const int64_t H = g->in_size[0], IW = g->in_size[1], OW = g->out_size[1];        \
        const int64_t KH = g->kernel[0], KW = g->kernel[1];                              \
        const int64_t sh = g->stride[0], ph = g->padding[0], pw = g->padding[1], dh = g->dilation[0]; \
        const int64_t L = (oh1 - oh0) * OW;                                              \
        for (int64_t c = 0; c < channels; c++)                                           \
            for (int64_t i = 0; i < KH; i++)                                             \
                for (int64_t oh = oh0; oh < oh1; oh++) {                                 \
                    const int64_t ih = oh * sh - ph + i * dh;                            \
                    if (ih < 0 || ih >= H) continue;                                     \
                    T *dst = x + (c * H + ih) * IW;                                      \
                    /* Column row (c, i, j) at output row oh. */                         \
                    const T *r0 = cols + (c * KH + i) * KW * L + (oh - oh0) * OW;         \
                    for (int64_t x0 = 0; x0 < IW; x0 += W) {                             \
                        const M mw = (M)ct_lanes(0, IW - x0, W);                         \
                        V acc = LOADZ(mw, dst + x0);                                     \
                        for (int64_t j = 0; j < KW; j++) {                               \
                            /* dst[iw] += r_j[ow], iw = ow + j - pw, 0 <= ow < OW. */     \
                            const int64_t s = j - pw;                                    \
                            const M m = (M)(mw & ct_lanes(s - x0, OW + s - x0, W));       \
                            if (!m) continue;                                            \
                            acc = MADD(acc, m, acc, LOADZ(m, r0 + j * L + x0 - s));       \
                        }                                                                \
                        STOREM(dst + x0, mw, acc);                                       \
                    }                                                                    \
                }                                                                        \
    }
CT_DEFINE_COL2IM_AVX512(float, f32, 16, __mmask16, __m512, _mm512_maskz_loadu_ps, _mm512_mask_storeu_ps, _mm512_mask_add_ps)
CT_DEFINE_COL2IM_AVX512(double, f64, 8, __mmask8, __m512d, _mm512_maskz_loadu_pd, _mm512_mask_storeu_pd, _mm512_mask_add_pd)

// MARK: Weight gradient as dot products (float32, small weights)

// gw[o, k] = sum over pixels l of gy[o, l] * cols[k, l]: both operands have l
// contiguous, so as a GEMM both need transposing packs, which for LeNet's
// weights (6 x 25, 16 x 150) cost as much as the products. Here each (o, k)
// keeps a vector of 16 partial sums (accv[(o * K + k) * 16], in L2): a
// block's sums over one image tile start from zero in registers and are then
// added to it (so each lane adds a few dozen products, then one term per
// tile, no longer chains than the GEMM's), and the lanes are summed once at the
// end of the chunk. Blocks of 6 rows of gy by 4 of cols: 24 accumulators,
// 10 loads per 24 fused multiply-adds.
#define CT_WDOT_R 6
#define CT_WDOT_Q 4
CT_AVX512 static inline __attribute__((always_inline)) void
ct_wdot_block_f32(const int R, const int Q, int64_t n, const float *gy, int64_t gys, const float *cols, int64_t cs,
                  float *accv, int64_t K) {
    __m512 acc[CT_WDOT_R][CT_WDOT_Q];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
        _Pragma("clang loop unroll(full)") for (int q = 0; q < Q; q++) acc[r][q] = _mm512_setzero_ps();
    int64_t l = 0;
    for (; l + 16 <= n; l += 16) {
        __m512 gv[CT_WDOT_R];
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) gv[r] = _mm512_loadu_ps(gy + r * gys + l);
        _Pragma("clang loop unroll(full)") for (int q = 0; q < Q; q++) {
            const __m512 cv = _mm512_loadu_ps(cols + q * cs + l);
            _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) acc[r][q] = _mm512_fmadd_ps(gv[r], cv, acc[r][q]);
        }
    }
    if (l < n) {
        const __mmask16 m = (__mmask16)((1u << (n - l)) - 1);
        __m512 gv[CT_WDOT_R];
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) gv[r] = _mm512_maskz_loadu_ps(m, gy + r * gys + l);
        _Pragma("clang loop unroll(full)") for (int q = 0; q < Q; q++) {
            const __m512 cv = _mm512_maskz_loadu_ps(m, cols + q * cs + l);
            _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) acc[r][q] = _mm512_fmadd_ps(gv[r], cv, acc[r][q]);
        }
    }
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
        _Pragma("clang loop unroll(full)") for (int q = 0; q < Q; q++) {
            float *p = accv + (r * K + q) * 16;
            _mm512_store_ps(p, _mm512_add_ps(_mm512_load_ps(p), acc[r][q]));
        }
}

// Adds gy (O rows of n, row stride gys) times colsᵀ (K rows of n, stride cs) into accv.
CT_AVX512 static void ct_wdot_f32_avx512(int64_t O, int64_t K, int64_t n, const float *gy, int64_t gys,
                                         const float *cols, int64_t cs, float *accv) {
    for (int64_t o0 = 0; o0 < O; o0 += CT_WDOT_R) {
        const int R = (int)(O - o0 < CT_WDOT_R ? O - o0 : CT_WDOT_R);
        for (int64_t k0 = 0; k0 < K; k0 += CT_WDOT_Q) {
            const int Q = (int)(K - k0 < CT_WDOT_Q ? K - k0 : CT_WDOT_Q);
            const float *g = gy + o0 * gys, *c = cols + k0 * cs;
            float *a = accv + (o0 * K + k0) * 16;
#define CT_WDOT_CASE(r, q) case r * 8 + q: ct_wdot_block_f32(r, q, n, g, gys, c, cs, a, K); break;
#define CT_WDOT_ROW(r) CT_WDOT_CASE(r, 1) CT_WDOT_CASE(r, 2) CT_WDOT_CASE(r, 3) CT_WDOT_CASE(r, 4)
            switch (R * 8 + Q) {
                CT_WDOT_ROW(1) CT_WDOT_ROW(2) CT_WDOT_ROW(3) CT_WDOT_ROW(4) CT_WDOT_ROW(5) CT_WDOT_ROW(6)
            default: break;
            }
#undef CT_WDOT_ROW
#undef CT_WDOT_CASE
        }
    }
}

// gw[i] = the sum of accv[i]'s 16 lanes.
CT_AVX512 static void ct_wdot_reduce_f32_avx512(int64_t count, const float *accv, float *gw) {
    for (int64_t i = 0; i < count; i++) gw[i] = _mm512_reduce_add_ps(_mm512_load_ps(accv + i * 16));
}
#endif

// Whether the weight gradient runs as dot products (ct_wdot_f32_avx512): float32
// on AVX-512, the accumulators (64 bytes per weight) within 256 KiB, and images
// of at least 64 output pixels (fewer would reload the accumulators per vector).
static bool ct_conv_wdot(const ct_conv_geometry *g, ct_dtype dtype) {
#if defined(__x86_64__)
    const int64_t weights = g->out_channels * (g->in_channels / g->groups) * g->kernel[0] * g->kernel[1];
    return dtype == CT_F32 && ct_simd_level() >= 2 && weights <= 4096 && g->out_size[0] * g->out_size[1] >= 64;
#else
    (void)g; (void)dtype;
    return false;
#endif
}

// The variant for the kernel table in effect (a pool worker runs its caller's).
#define CT_DEFINE_IM2COL_DISPATCH(T, SFX)                                                \
    static void ct_im2col_##SFX(const ct_conv_geometry *g, int64_t channels, const T *x, T *cols, int64_t oh0, int64_t oh1) { \
        CT_IF_AVX512(if (ct_simd_level() >= 2) { ct_im2col_##SFX##_avx512(g, channels, x, cols, oh0, oh1); return; }) \
        ct_im2col_##SFX##_generic(g, channels, x, cols, oh0, oh1);                      \
    }                                                                                    \
    static void ct_col2im_##SFX(const ct_conv_geometry *g, int64_t channels, const T *cols, T *x, int64_t oh0, int64_t oh1) { \
        CT_IF_AVX512(if (ct_simd_level() >= 2) { ct_col2im_##SFX##_avx512(g, channels, cols, x, oh0, oh1); return; }) \
        ct_col2im_##SFX##_generic(g, channels, cols, x, oh0, oh1);                      \
    }
#if defined(__x86_64__)
#define CT_IF_AVX512(...) __VA_ARGS__
#else
#define CT_IF_AVX512(...)
#endif
CT_DEFINE_IM2COL_DISPATCH(float, f32)
CT_DEFINE_IM2COL_DISPATCH(double, f64)

void ct_im2col(ct_dtype dtype, const ct_conv_geometry *g, int64_t channels, const void *image, void *cols) {
    if (dtype == CT_F32) ct_im2col_f32(g, channels, (const float *)image, (float *)cols, 0, g->out_size[0]);
    else if (dtype == CT_F64) ct_im2col_f64(g, channels, (const double *)image, (double *)cols, 0, g->out_size[0]);
}

void ct_col2im(ct_dtype dtype, const ct_conv_geometry *g, int64_t channels, const void *cols, void *image) {
    if (dtype == CT_F32) ct_col2im_f32(g, channels, (const float *)cols, (float *)image, 0, g->out_size[0]);
    else if (dtype == CT_F64) ct_col2im_f64(g, channels, (const double *)cols, (double *)image, 0, g->out_size[0]);
}

// MARK: The three products

// Whether cols is the image itself (1x1 kernel, stride 1, no padding).
static bool ct_conv_is_pointwise(const ct_conv_geometry *g) {
    return g->kernel[0] == 1 && g->kernel[1] == 1 && g->stride[0] == 1 && g->stride[1] == 1 &&
           g->padding[0] == 0 && g->padding[1] == 0 && g->in_size[0] == g->out_size[0] &&
           g->in_size[1] == g->out_size[1];
}

// Output rows per im2col tile: about this many bytes of columns, so a tile
// stays in L2 between im2col and the GEMM that reads it (and col2im).
#ifndef CT_CONV_TILE_BYTES
#define CT_CONV_TILE_BYTES (1 << 19)
#endif
// Bytes of columns and outputs a GEMM shared by several samples may take, in the
// forward and the input gradient (outputs of fewer than 64 pixels per sample).
// The largest K for which the forward reads its column tiles in place.
#ifndef CT_CONV_DIRECT_KMAX
#define CT_CONV_DIRECT_KMAX 1024
#endif
#ifndef CT_CONV_MULTI_BYTES
#define CT_CONV_MULTI_BYTES (1 << 21)
#endif
// Samples that share one GEMM when each has few output pixels (1 otherwise):
// `rows` rows of `pixels` columns per sample within CT_CONV_MULTI_BYTES, at most `samples`.
static int64_t ct_conv_samples_per_gemm(int64_t rows, int64_t pixels, size_t elem, int64_t samples) {
    if (pixels <= 0 || pixels >= 64) return 1;
    int64_t s = CT_CONV_MULTI_BYTES / (rows * pixels * (int64_t)elem);
    if (s > samples) s = samples;
    return s < 1 ? 1 : s;
}

static int64_t ct_conv_tile_rows(const ct_conv_geometry *g, size_t elem) {
    const int64_t per_row = g->in_channels * g->kernel[0] * g->kernel[1] * g->out_size[1] * (int64_t)elem;
    int64_t rows = per_row > 0 ? CT_CONV_TILE_BYTES / per_row : g->out_size[0];
    if (rows < 1) rows = 1;
    if (rows > g->out_size[0]) rows = g->out_size[0];
    return rows;
}

typedef struct {
    const ct_conv_geometry *g;
    ct_dtype dtype;
    const void *a, *b, *bias;  // forward: x, w, bias; input grad: gy, w; weight grad: x, gy
    void *out;                 // y, gx, or gw
    void *partials;            // weight grad: one gw per chunk
    int32_t chunks;            // decided once per job: the partials are sized by it
    bool failed;
} ct_conv_job;

// MARK: Direct stride-1 convolutions (float32, AVX-512, small channel counts)

// With unit strides, padding the image to Wp = OW + (KW-1)·dw columns (and
// Hp = OH + (KH-1)·dh rows) makes every row of im2col's matrix a contiguous
// slice of the padded image: row (c, i, j), over output pixels laid out
// oh·Wp + ow, starts at c·Hp·Wp + i·dh·Wp + j·dw. So the forward and the weight
// gradient read the small padded image (L1-resident for LeNet) at those
// offsets instead of writing and re-reading a column matrix K times its size,
// which for LeNet's small rows (28 and 10 floats) cost more than the products.
// The Wp - OW extra columns per row are computed and dropped (forward) or
// masked off (weight gradient). The forward's sums run in the GEMM's order
// (over k, from zero, then + bias), so it gives the same bits.
typedef struct {
    int64_t Hp, Wp, Lp, Lpad;  // padded rows and width; Lp = OH·Wp pixels, Lpad rounded up to 16
    int64_t xp_len;            // floats of a padded image (Cg planes, then zeros)
} ct_direct_geom;

#define CT_DIRECT_KMAX 1024     // Cg·KH·KW at most (the offsets live on the stack)
#define CT_DIRECT_LMAX 4096     // OH·Wp at most (so are the weight gradient's masks)
#define CT_DIRECT_WMAX 65536    // weights at most in the weight gradient (64 bytes of accumulators each)

// Whether the direct forward (wgt false) or weight gradient (wgt true) applies.
static bool ct_conv_direct(const ct_conv_geometry *g, ct_dtype dtype, ct_direct_geom *d, bool wgt) {
#if defined(__x86_64__)
    if (dtype != CT_F32 || ct_simd_level() < 2 || g->stride[0] != 1 || g->stride[1] != 1) return false;
    const int64_t Cg = g->in_channels / g->groups, O = g->out_channels;
    const int64_t K = Cg * g->kernel[0] * g->kernel[1], OH = g->out_size[0], OW = g->out_size[1];
    if (K > CT_DIRECT_KMAX || (wgt && O * K > CT_DIRECT_WMAX) || OH * OW == 0) return false;
    d->Hp = OH + (g->kernel[0] - 1) * g->dilation[0];
    d->Wp = OW + (g->kernel[1] - 1) * g->dilation[1];
    d->Lp = OH * d->Wp;
    d->Lpad = (d->Lp + 15) & ~(int64_t)15;
    // Padding may waste at most half again the products; the padded image stays
    // within L2 (ResNet's 64 x 58 x 58 is 861 KB).
    if (d->Lp > CT_DIRECT_LMAX || 2 * d->Wp > 3 * OW || Cg * d->Hp * d->Wp > (1 << 18)) return false;
    // Reads run up to Lpad past the last row's start, plus the kernel's width.
    d->xp_len = Cg * d->Hp * d->Wp + (d->Lpad - d->Lp) + (g->kernel[1] - 1) * g->dilation[1] + 16;
    return true;
#else
    (void)g; (void)dtype; (void)d; (void)wgt;
    return false;
#endif
}

#if defined(__x86_64__)
// xp = the Cg planes of x padded as above (row r is x's row r - ph, column q
// its column q - pw, zero outside), then zeros to xp_len.
CT_AVX512 static void ct_direct_pad_f32(const ct_conv_geometry *g, const ct_direct_geom *d, int64_t Cg,
                                        const float *x, float *xp) {
    const int64_t H = g->in_size[0], W = g->in_size[1], ph = g->padding[0], pw = g->padding[1];
    const int64_t Hp = d->Hp, Wp = d->Wp;
    const int64_t lo = pw < Wp ? pw : Wp, hi = W + pw < Wp ? W + pw : Wp;
    for (int64_t c = 0; c < Cg; c++)
        for (int64_t r = 0; r < Hp; r++) {
            float *row = xp + (c * Hp + r) * Wp;
            const int64_t ih = r - ph;
            if (ih < 0 || ih >= H) memset(row, 0, (size_t)Wp * sizeof(float));
            else ct_row_copy_f32(row, x + (c * H + ih) * W - pw, Wp, lo, hi);
        }
    memset(xp + Cg * Hp * Wp, 0, (size_t)(d->xp_len - Cg * Hp * Wp) * sizeof(float));
}

// yp[r, 16v..] = sum over k of w[r, k] · xp[koff[k] + 16v ..] for R rows, V vectors.
CT_AVX512 static inline __attribute__((always_inline)) void
ct_dfwd_block_f32(const int R, const int V, int64_t K, const float *w, const float *xp, const int64_t *koff,
                  float *yp, int64_t Lpad) {
    __m512 acc[4][6];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
        _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k++) {
        const float *xr = xp + koff[k];
        _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) {
            const __m512 xv = _mm512_loadu_ps(xr + 16 * v);
            _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
                acc[r][v] = _mm512_fmadd_ps(_mm512_set1_ps(w[r * K + k]), xv, acc[r][v]);
        }
    }
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
        _Pragma("clang loop unroll(full)") for (int v = 0; v < V; v++) _mm512_storeu_ps(yp + r * Lpad + 16 * v, acc[r][v]);
}

CT_AVX512 static void ct_dfwd_f32_avx512(int64_t Og, int64_t K, const float *w, const float *xp, const int64_t *koff,
                                         float *yp, int64_t Lpad) {
    // Pixels outer: a block of 96 pixels reads K slices of 96 floats, which
    // stay in L1/L2 while every block of output channels uses them.
    const int64_t nvec = Lpad / 16;
    for (int64_t v0 = 0; v0 < nvec; v0 += 6) {
        const int V = (int)(nvec - v0 < 6 ? nvec - v0 : 6);
        for (int64_t o0 = 0; o0 < Og; o0 += 4) {
            const int R = (int)(Og - o0 < 4 ? Og - o0 : 4);
            const float *wr = w + o0 * K, *xv = xp + 16 * v0;
            float *yv = yp + o0 * Lpad + 16 * v0;
#define CT_DFWD_CASE(r, v) case r * 8 + v: ct_dfwd_block_f32(r, v, K, wr, xv, koff, yv, Lpad); break;
#define CT_DFWD_ROW(r) CT_DFWD_CASE(r, 1) CT_DFWD_CASE(r, 2) CT_DFWD_CASE(r, 3) CT_DFWD_CASE(r, 4) CT_DFWD_CASE(r, 5) CT_DFWD_CASE(r, 6)
            switch (R * 8 + V) {
                CT_DFWD_ROW(1) CT_DFWD_ROW(2) CT_DFWD_ROW(3) CT_DFWD_ROW(4)
            default: break;
            }
#undef CT_DFWD_ROW
#undef CT_DFWD_CASE
        }
    }
}

// accv[(r·K + q)·16] += the masked lanes of gyp[r, ·] · xp[koff[q] + ·] for R rows, Q taps.
CT_AVX512 static inline __attribute__((always_inline)) void
ct_dwgt_block_f32(const int R, const int Q, int64_t nvec, const float *gyp, int64_t Lpad, const float *xp,
                  const int64_t *koff, const __mmask16 *mk, float *accv, int64_t K) {
    __m512 acc[CT_WDOT_R][CT_WDOT_Q];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
        _Pragma("clang loop unroll(full)") for (int q = 0; q < Q; q++) acc[r][q] = _mm512_setzero_ps();
    for (int64_t v = 0; v < nvec; v++) {
        __m512 gv[CT_WDOT_R];
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) gv[r] = _mm512_loadu_ps(gyp + r * Lpad + 16 * v);
        const __mmask16 m = mk[v];
        _Pragma("clang loop unroll(full)") for (int q = 0; q < Q; q++) {
            const __m512 xv = _mm512_loadu_ps(xp + koff[q] + 16 * v);
            _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
                acc[r][q] = _mm512_mask3_fmadd_ps(gv[r], xv, acc[r][q], m);
        }
    }
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
        _Pragma("clang loop unroll(full)") for (int q = 0; q < Q; q++) {
            float *p = accv + (r * K + q) * 16;
            _mm512_store_ps(p, _mm512_add_ps(_mm512_load_ps(p), acc[r][q]));
        }
}

CT_AVX512 static void ct_dwgt_f32_avx512(int64_t Og, int64_t K, int64_t nvec, const float *gyp, int64_t Lpad,
                                         const float *xp, const int64_t *koff, const __mmask16 *mk, float *accv) {
    for (int64_t o0 = 0; o0 < Og; o0 += CT_WDOT_R) {
        const int R = (int)(Og - o0 < CT_WDOT_R ? Og - o0 : CT_WDOT_R);
        for (int64_t k0 = 0; k0 < K; k0 += CT_WDOT_Q) {
            const int Q = (int)(K - k0 < CT_WDOT_Q ? K - k0 : CT_WDOT_Q);
            const float *gr = gyp + o0 * Lpad;
            float *a = accv + (o0 * K + k0) * 16;
#define CT_DWGT_CASE(r, q) case r * 8 + q: ct_dwgt_block_f32(r, q, nvec, gr, Lpad, xp, koff + k0, mk, a, K); break;
#define CT_DWGT_ROW(r) CT_DWGT_CASE(r, 1) CT_DWGT_CASE(r, 2) CT_DWGT_CASE(r, 3) CT_DWGT_CASE(r, 4)
            switch (R * 8 + Q) {
                CT_DWGT_ROW(1) CT_DWGT_ROW(2) CT_DWGT_ROW(3) CT_DWGT_ROW(4) CT_DWGT_ROW(5) CT_DWGT_ROW(6)
            default: break;
            }
#undef CT_DWGT_ROW
#undef CT_DWGT_CASE
        }
    }
}

// Row (c, i, j)'s offset in a padded image.
static void ct_direct_offsets(const ct_conv_geometry *g, const ct_direct_geom *d, int64_t Cg, int64_t *koff) {
    const int64_t KH = g->kernel[0], KW = g->kernel[1];
    for (int64_t c = 0; c < Cg; c++)
        for (int64_t i = 0; i < KH; i++)
            for (int64_t j = 0; j < KW; j++)
                koff[(c * KH + i) * KW + j] = c * d->Hp * d->Wp + i * g->dilation[0] * d->Wp + j * g->dilation[1];
}

// The forward for samples [b, e): pad, products into yp, then y = yp's OW
// columns per row (+ bias, one rounding as the GEMM's beta = 1).
CT_AVX512 static bool ct_conv_fwd_direct_f32(const ct_conv_job *job, const ct_direct_geom *d, int64_t b, int64_t e) {
    const ct_conv_geometry *g = job->g;
    const int64_t G = g->groups, C = g->in_channels, O = g->out_channels, Cg = C / G, Og = O / G;
    const int64_t K = Cg * g->kernel[0] * g->kernel[1], HW = g->in_size[0] * g->in_size[1];
    const int64_t OH = g->out_size[0], OW = g->out_size[1], L = OH * OW, Wp = d->Wp, Lpad = d->Lpad;
    float *xp = (float *)ct_conv_scratch_slot(0, (size_t)d->xp_len * sizeof(float));
    float *yp = (float *)ct_conv_scratch_slot(1, (size_t)(Og * Lpad) * sizeof(float));
    if (!xp || !yp) return false;
    int64_t koff[CT_DIRECT_KMAX];
    ct_direct_offsets(g, d, Cg, koff);
    const float *x = (const float *)job->a, *w = (const float *)job->b, *bias = (const float *)job->bias;
    float *y = (float *)job->out;
    for (int64_t n = b; n < e; n++)
        for (int64_t gi = 0; gi < G; gi++) {
            ct_direct_pad_f32(g, d, Cg, x + (n * C + gi * Cg) * HW, xp);
            ct_dfwd_f32_avx512(Og, K, w + gi * Og * K, xp, koff, yp, Lpad);
            for (int64_t o = 0; o < Og; o++) {
                float *yr = y + (n * O + gi * Og + o) * L;
                const float *src = yp + o * Lpad;
                const __m512 bv = _mm512_set1_ps(bias ? bias[gi * Og + o] : 0.0f);
                for (int64_t oh = 0; oh < OH; oh++)
                    for (int64_t ow = 0; ow < OW; ow += 16) {
                        const __mmask16 m = (__mmask16)ct_lanes(0, OW - ow, 16);
                        __m512 v = _mm512_maskz_loadu_ps(m, src + oh * Wp + ow);
                        if (bias) v = _mm512_add_ps(bv, v);
                        _mm512_mask_storeu_ps(yr + oh * OW + ow, m, v);
                    }
            }
        }
    return true;
}

// The weight gradient for samples [b, e) into gw (this chunk's partial).
CT_AVX512 static bool ct_conv_wgt_direct_f32(const ct_conv_job *job, const ct_direct_geom *d, int64_t b, int64_t e,
                                             float *gw) {
    const ct_conv_geometry *g = job->g;
    const int64_t G = g->groups, C = g->in_channels, O = g->out_channels, Cg = C / G, Og = O / G;
    const int64_t K = Cg * g->kernel[0] * g->kernel[1], HW = g->in_size[0] * g->in_size[1];
    const int64_t OH = g->out_size[0], OW = g->out_size[1], L = OH * OW, Wp = d->Wp, Lpad = d->Lpad;
    const int64_t nvec = Lpad / 16;
    float *xp = (float *)ct_conv_scratch_slot(0, (size_t)d->xp_len * sizeof(float));
    float *accv = (float *)ct_conv_scratch_slot(1, (size_t)(O * K * 16) * sizeof(float));
    float *gyp = (float *)ct_conv_scratch_slot(2, (size_t)(Og * Lpad) * sizeof(float));
    if (!xp || !accv || !gyp) return false;
    int64_t koff[CT_DIRECT_KMAX];
    ct_direct_offsets(g, d, Cg, koff);
    __mmask16 mk[CT_DIRECT_LMAX / 16];
    for (int64_t v = 0; v < nvec; v++) {
        uint32_t m = 0;
        for (int t = 0; t < 16; t++) {
            const int64_t l = 16 * v + t;
            if (l < d->Lp && l % Wp < OW) m |= 1u << t;
        }
        mk[v] = (__mmask16)m;
    }
    memset(accv, 0, (size_t)(O * K * 16) * sizeof(float));
    const float *x = (const float *)job->a, *gy = (const float *)job->b;
    for (int64_t n = b; n < e; n++)
        for (int64_t gi = 0; gi < G; gi++) {
            ct_direct_pad_f32(g, d, Cg, x + (n * C + gi * Cg) * HW, xp);
            for (int64_t o = 0; o < Og; o++) {
                const float *src = gy + (n * O + gi * Og + o) * L;
                float *dst = gyp + o * Lpad;
                for (int64_t oh = 0; oh < OH; oh++) ct_row_copy_f32(dst + oh * Wp, src + oh * OW, Wp, 0, OW);
                memset(dst + d->Lp, 0, (size_t)(Lpad - d->Lp) * sizeof(float));
            }
            ct_dwgt_f32_avx512(Og, K, nvec, gyp, Lpad, xp, koff, mk, accv + gi * Og * K * 16);
        }
    ct_wdot_reduce_f32_avx512(O * K, accv, gw);
    return true;
}
#endif

#define CT_DEFINE_CONV(T, SFX, DT)                                                       \
    /* y[n] = w · im2col(x[n]) (+ bias) for samples [b, e), a tile of output rows at a time. */ \
    static void ct_conv_fwd_chunk_##SFX(void *ctx, int64_t b, int64_t e, int32_t chunk) { \
        (void)chunk;                                                                     \
        ct_conv_job *job = (ct_conv_job *)ctx;                                           \
        const ct_conv_geometry *g = job->g;                                              \
        const int64_t G = g->groups, C = g->in_channels, O = g->out_channels;            \
        const int64_t Cg = C / G, Og = O / G, K = Cg * g->kernel[0] * g->kernel[1];      \
        const int64_t HW = g->in_size[0] * g->in_size[1], L = g->out_size[0] * g->out_size[1]; \
        const int64_t OH = g->out_size[0], OW = g->out_size[1];                          \
        const bool pointwise = ct_conv_is_pointwise(g);                                  \
        CT_IF_AVX512(if (DT == CT_F32 && !pointwise) {                                   \
            ct_direct_geom d;                                                            \
            if (ct_conv_direct(g, DT, &d, false)) {                                      \
                if (!ct_conv_fwd_direct_f32(job, &d, b, e)) job->failed = true;          \
                return;                                                                  \
            }                                                                            \
        })                                                                               \
        const int64_t rows = ct_conv_tile_rows(g, sizeof(T));                            \
        T *cols = pointwise ? NULL : (T *)ct_conv_scratch((size_t)(C * g->kernel[0] * g->kernel[1] * rows * OW) * sizeof(T)); \
        if (!pointwise && !cols) { job->failed = true; return; }                         \
        const T *x = (const T *)job->a, *w = (const T *)job->b, *bias = (const T *)job->bias; \
        T *y = (T *)job->out;                                                            \
        /* Few output pixels (ResNet's last stages): several samples share one GEMM, */   \
        /* so the weights are packed once per block of samples, not once per sample. */   \
        const int64_t KT = C * g->kernel[0] * g->kernel[1];                              \
        const int64_t S = ct_conv_samples_per_gemm(KT + Og, L, sizeof(T), e - b);        \
        if (S > 1) {                                                                     \
            T *mc = (T *)malloc((size_t)(KT * S * L + KT * L + Og * S * L) * sizeof(T)); \
            if (!mc) { job->failed = true; return; }                                     \
            T *one = mc + KT * S * L, *yt = one + KT * L;                                \
            for (int64_t n0 = b; n0 < e; n0 += S) {                                      \
                const int64_t s1 = n0 + S < e ? S : e - n0, SL = s1 * L;                 \
                /* cols[k][s * L + p]: sample s's im2col, side by side. */               \
                for (int64_t s = 0; s < s1; s++) {                                       \
                    const T *src = x + (n0 + s) * C * HW;                                \
                    if (!pointwise) { ct_im2col_##SFX(g, C, src, one, 0, OH); src = one; } \
                    for (int64_t k = 0; k < KT; k++)                                     \
                        memcpy(mc + k * SL + s * L, src + k * L, (size_t)L * sizeof(T)); \
                }                                                                        \
                for (int64_t gi = 0; gi < G; gi++) {                                     \
                    ct_gemm(DT, Og, SL, K, 1, w + gi * Og * K, K, 1, mc + gi * K * SL, SL, 1, \
                            0, yt, SL, 1);                                               \
                    for (int64_t s = 0; s < s1; s++)                                     \
                        for (int64_t o = 0; o < Og; o++) {                               \
                            T *r = y + (n0 + s) * O * L + (gi * Og + o) * L;             \
                            const T *q = yt + o * SL + s * L;                            \
                            const T add = bias ? bias[gi * Og + o] : (T)0;               \
                            for (int64_t l = 0; l < L; l++) r[l] = q[l] + add;           \
                        }                                                                \
                }                                                                        \
            }                                                                            \
            free(mc);                                                                    \
            return;                                                                      \
        }                                                                                \
        for (int64_t n = b; n < e; n++) {                                                \
            const T *xn = x + n * C * HW;                                                \
            T *yn = y + n * O * L;                                                       \
            if (bias)                                                                    \
                for (int64_t o = 0; o < O; o++) {                                        \
                    T *r = yn + o * L;                                                   \
                    for (int64_t l = 0; l < L; l++) r[l] = bias[o];                      \
                }                                                                        \
            if (pointwise) {                                                             \
                for (int64_t gi = 0; gi < G; gi++)                                       \
                    ct_gemm(DT, Og, L, K, 1, w + gi * Og * K, K, 1, xn + gi * K * L, L, 1, \
                            bias ? 1 : 0, yn + gi * Og * L, L, 1);                       \
                continue;                                                                \
            }                                                                            \
            /* The column tile was just written into L2: reading it in place beats   \
               packing it for K up to 1024 too (ResNet's 576: forward 10% faster). */  \
            const int64_t kmax = ct_gemm_set_direct_kmax(CT_CONV_DIRECT_KMAX);           \
            for (int64_t oh0 = 0; oh0 < OH; oh0 += rows) {                               \
                const int64_t oh1 = oh0 + rows < OH ? oh0 + rows : OH, Lt = (oh1 - oh0) * OW; \
                ct_im2col_##SFX(g, C, xn, cols, oh0, oh1);                               \
                for (int64_t gi = 0; gi < G; gi++)                                       \
                    ct_gemm(DT, Og, Lt, K, 1, w + gi * Og * K, K, 1, cols + gi * K * Lt, Lt, 1, \
                            bias ? 1 : 0, yn + gi * Og * L + oh0 * OW, L, 1);            \
            }                                                                            \
            ct_gemm_set_direct_kmax(kmax);                                               \
        }                                                                                \
    }                                                                                    \
                                                                                         \
    /* gx[n] = col2im(wᵀ · gy[n]) (+ bias) for samples [b, e), a tile of rows at a time. */ \
    static void ct_conv_bwd_input_chunk_##SFX(void *ctx, int64_t b, int64_t e, int32_t chunk) { \
        (void)chunk;                                                                     \
        ct_conv_job *job = (ct_conv_job *)ctx;                                           \
        const ct_conv_geometry *g = job->g;                                              \
        const int64_t G = g->groups, C = g->in_channels, O = g->out_channels;            \
        const int64_t Cg = C / G, Og = O / G, K = Cg * g->kernel[0] * g->kernel[1];      \
        const int64_t HW = g->in_size[0] * g->in_size[1], L = g->out_size[0] * g->out_size[1]; \
        const int64_t OH = g->out_size[0], OW = g->out_size[1];                          \
        const bool pointwise = ct_conv_is_pointwise(g);                                  \
        const int64_t rows = ct_conv_tile_rows(g, sizeof(T));                            \
        T *cols = pointwise ? NULL : (T *)ct_conv_scratch((size_t)(C * g->kernel[0] * g->kernel[1] * rows * OW) * sizeof(T)); \
        if (!pointwise && !cols) { job->failed = true; return; }                         \
        const T *gy = (const T *)job->a, *w = (const T *)job->b, *bias = (const T *)job->bias; \
        T *gx = (T *)job->out;                                                           \
        /* Few output pixels: one GEMM for a block of samples, as in the forward. */      \
        const int64_t KT = C * g->kernel[0] * g->kernel[1];                              \
        const int64_t S = ct_conv_samples_per_gemm(KT + O, L, sizeof(T), e - b);         \
        if (S > 1) {                                                                     \
            T *mc = (T *)malloc((size_t)(KT * S * L + KT * L + O * S * L) * sizeof(T));  \
            if (!mc) { job->failed = true; return; }                                     \
            T *one = mc + KT * S * L, *gyb = one + KT * L;                               \
            for (int64_t n0 = b; n0 < e; n0 += S) {                                      \
                const int64_t s1 = n0 + S < e ? S : e - n0, SL = s1 * L;                 \
                for (int64_t s = 0; s < s1; s++)                                         \
                    for (int64_t o = 0; o < O; o++)                                      \
                        memcpy(gyb + o * SL + s * L, gy + (n0 + s) * O * L + o * L, (size_t)L * sizeof(T)); \
                for (int64_t gi = 0; gi < G; gi++)                                       \
                    ct_gemm(DT, K, SL, Og, 1, w + gi * Og * K, 1, K, gyb + gi * Og * SL, SL, 1, \
                            0, mc + gi * K * SL, SL, 1);                                 \
                for (int64_t s = 0; s < s1; s++) {                                       \
                    T *gxn = gx + (n0 + s) * C * HW;                                     \
                    if (pointwise) {                                                     \
                        for (int64_t c = 0; c < C; c++) {                                \
                            const T add = bias ? bias[c] : (T)0;                         \
                            for (int64_t p = 0; p < HW; p++) gxn[c * HW + p] = mc[c * SL + s * L + p] + add; \
                        }                                                                \
                        continue;                                                        \
                    }                                                                    \
                    for (int64_t k = 0; k < KT; k++)                                     \
                        memcpy(one + k * L, mc + k * SL + s * L, (size_t)L * sizeof(T)); \
                    if (bias)                                                            \
                        for (int64_t c = 0; c < C; c++)                                  \
                            for (int64_t p = 0; p < HW; p++) gxn[c * HW + p] = bias[c];  \
                    else memset(gxn, 0, (size_t)(C * HW) * sizeof(T));                   \
                    ct_col2im_##SFX(g, C, one, gxn, 0, OH);                              \
                }                                                                        \
            }                                                                            \
            free(mc);                                                                    \
            return;                                                                      \
        }                                                                                \
        for (int64_t n = b; n < e; n++) {                                                \
            const T *gyn = gy + n * O * L;                                               \
            T *gxn = gx + n * C * HW;                                                    \
            if (pointwise) {                                                             \
                for (int64_t gi = 0; gi < G; gi++)                                       \
                    ct_gemm(DT, K, L, Og, 1, w + gi * Og * K, 1, K, gyn + gi * Og * L, L, 1, \
                            0, gxn + gi * K * L, L, 1);                                  \
                if (bias)                                                                \
                    for (int64_t c = 0; c < C; c++)                                      \
                        for (int64_t p = 0; p < HW; p++) gxn[c * HW + p] += bias[c];     \
                continue;                                                                \
            }                                                                            \
            if (bias)                                                                    \
                for (int64_t c = 0; c < C; c++)                                          \
                    for (int64_t p = 0; p < HW; p++) gxn[c * HW + p] = bias[c];          \
            else memset(gxn, 0, (size_t)(C * HW) * sizeof(T));                           \
            for (int64_t oh0 = 0; oh0 < OH; oh0 += rows) {                               \
                const int64_t oh1 = oh0 + rows < OH ? oh0 + rows : OH, Lt = (oh1 - oh0) * OW; \
                for (int64_t gi = 0; gi < G; gi++)                                       \
                    ct_gemm(DT, K, Lt, Og, 1, w + gi * Og * K, 1, K, gyn + gi * Og * L + oh0 * OW, L, 1, \
                            0, cols + gi * K * Lt, Lt, 1);                               \
                ct_col2im_##SFX(g, C, cols, gxn, oh0, oh1);                              \
            }                                                                            \
        }                                                                                \
    }                                                                                    \
                                                                                         \
    /* Adds gy[n] · im2col(x[n])ᵀ over samples [b, e) into this chunk's partial. */     \
    static void ct_conv_bwd_weight_chunk_##SFX(void *ctx, int64_t b, int64_t e, int32_t chunk) { \
        ct_conv_job *job = (ct_conv_job *)ctx;                                           \
        const ct_conv_geometry *g = job->g;                                              \
        const int64_t G = g->groups, C = g->in_channels, O = g->out_channels;            \
        const int64_t Cg = C / G, Og = O / G, K = Cg * g->kernel[0] * g->kernel[1];      \
        const int64_t HW = g->in_size[0] * g->in_size[1], L = g->out_size[0] * g->out_size[1]; \
        const int64_t OH = g->out_size[0], OW = g->out_size[1];                          \
        const bool pointwise = ct_conv_is_pointwise(g);                                  \
        T *gw = job->partials ? (T *)job->partials + (int64_t)chunk * O * K : (T *)job->out; \
        CT_IF_AVX512(if (DT == CT_F32 && !pointwise) {                                   \
            ct_direct_geom d;                                                            \
            if (ct_conv_direct(g, DT, &d, true)) {                                       \
                if (!ct_conv_wgt_direct_f32(job, &d, b, e, (float *)gw)) job->failed = true; \
                return;                                                                  \
            }                                                                            \
        })                                                                               \
        const int64_t rows = pointwise ? OH : ct_conv_tile_rows(g, sizeof(T));           \
        T *cols = pointwise ? NULL : (T *)ct_conv_scratch((size_t)(C * g->kernel[0] * g->kernel[1] * rows * OW) * sizeof(T)); \
        if (!pointwise && !cols) { job->failed = true; return; }                         \
        const T *x = (const T *)job->a, *gy = (const T *)job->b;                         \
        /* Small float32 weights on AVX-512: per-weight vector accumulators (dot         \
           products over the tiles) instead of the GEMM; reduced into gw at the end. */  \
        float *accv = NULL;                                                              \
        CT_IF_AVX512(if (DT == CT_F32 && ct_conv_wdot(g, DT)) {                          \
            accv = (float *)ct_conv_scratch_slot(1, (size_t)(O * K * 16) * sizeof(float)); \
            if (!accv) { job->failed = true; return; }                                   \
            memset(accv, 0, (size_t)(O * K * 16) * sizeof(float));                       \
        })                                                                               \
        for (int64_t n = b; n < e; n++) {                                                \
            const T *xn = x + n * C * HW;                                                \
            const T *gyn = gy + n * O * L;                                               \
            for (int64_t oh0 = 0; oh0 < OH; oh0 += rows) {                               \
                const int64_t oh1 = oh0 + rows < OH ? oh0 + rows : OH, Lt = (oh1 - oh0) * OW; \
                const T *src = xn;                                                       \
                if (!pointwise) { ct_im2col_##SFX(g, C, xn, cols, oh0, oh1); src = cols; } \
                for (int64_t gi = 0; gi < G; gi++) {                                     \
                    CT_IF_AVX512(if (accv) {                                             \
                        ct_wdot_f32_avx512(Og, K, Lt, (const float *)(gyn + gi * Og * L + oh0 * OW), L, \
                                           (const float *)(src + gi * K * Lt), Lt, accv + gi * Og * K * 16); \
                        continue;                                                        \
                    })                                                                   \
                    ct_gemm(DT, Og, K, Lt, 1, gyn + gi * Og * L + oh0 * OW, L, 1, src + gi * K * Lt, 1, Lt, \
                            n == b && oh0 == 0 ? 0 : 1, gw + gi * Og * K, K, 1);         \
                }                                                                        \
            }                                                                            \
        }                                                                                \
        CT_IF_AVX512(if (accv) ct_wdot_reduce_f32_avx512(O * K, accv, (float *)gw);)     \
        (void)accv;                                                                      \
    }

CT_DEFINE_CONV(float, f32, CT_F32)
CT_DEFINE_CONV(double, f64, CT_F64)

// Chunks over samples: one per thread when there are enough samples, else
// one (so the GEMMs themselves use the pool).
static int32_t ct_conv_chunks(const ct_conv_geometry *g) {
    // A few chunks per thread, claimed as threads free up, so one thread the OS
    // delays (a busy machine) does not hold the others back.
    const int32_t threads = ct_get_num_threads();
    if (threads <= 1 || g->batch < threads) return 1;
    int64_t k = (int64_t)threads * 3;
    if (k > g->batch) k = g->batch;
    if (k > CT_MAX_CHUNKS) k = CT_MAX_CHUNKS;
    return (int32_t)k;
}

static bool ct_conv_run(ct_conv_job *job, ct_chunk_fn f32, ct_chunk_fn f64) {
    ct_parallel_chunks(job->g->batch, job->chunks, job->dtype == CT_F32 ? f32 : f64, job);
    return !job->failed;
}

bool ct_conv_forward(ct_dtype dtype, const ct_conv_geometry *g, const void *x, const void *w, const void *bias,
                     void *y) {
    if (g->batch == 0 || g->out_channels == 0 || g->out_size[0] * g->out_size[1] == 0) return true;
    ct_conv_job job = {g, dtype, x, w, bias, y, NULL, ct_conv_chunks(g), false};
    return ct_conv_run(&job, ct_conv_fwd_chunk_f32, ct_conv_fwd_chunk_f64);
}

bool ct_conv_backward_input(ct_dtype dtype, const ct_conv_geometry *g, const void *gy, const void *w,
                            const void *bias, void *gx) {
    const int64_t HW = g->in_size[0] * g->in_size[1];
    if (g->batch == 0 || g->in_channels == 0 || HW == 0) return true;
    if (g->out_channels == 0 || g->out_size[0] * g->out_size[1] == 0) {
        // Nothing flows back: gx is the bias (or zeros).
        const size_t es = ct_dtype_byte_size(dtype);
        for (int64_t n = 0; n < g->batch; n++)
            for (int64_t c = 0; c < g->in_channels; c++) {
                char *row = (char *)gx + ((n * g->in_channels + c) * HW) * (int64_t)es;
                if (!bias) { memset(row, 0, (size_t)HW * es); continue; }
                for (int64_t p = 0; p < HW; p++) {
                    if (dtype == CT_F32) ((float *)row)[p] = ((const float *)bias)[c];
                    else ((double *)row)[p] = ((const double *)bias)[c];
                }
            }
        return true;
    }
    // With unit strides and about "same" padding (ResNet's 3x3, padding 1) the
    // input gradient is the forward convolution of gy with the kernel flipped
    // and its channel dims swapped, padded by (KH-1)·dh - ph: the direct forward
    // then computes it without col2im (for large paddings, such as LeNet's
    // unpadded 5x5, the padded gy would be mostly zeros and im2col's way wins).
    if (dtype == CT_F32 && !ct_conv_is_pointwise(g) && g->stride[0] == 1 && g->stride[1] == 1 &&
        (g->kernel[0] - 1) * g->dilation[0] <= 2 * g->padding[0] &&
        (g->kernel[1] - 1) * g->dilation[1] <= 2 * g->padding[1]) {
        ct_conv_geometry t = *g;
        t.in_channels = g->out_channels;
        t.out_channels = g->in_channels;
        for (int d = 0; d < 2; d++) {
            t.in_size[d] = g->out_size[d];
            t.out_size[d] = g->in_size[d];
            t.padding[d] = (g->kernel[d] - 1) * g->dilation[d] - g->padding[d];
        }
        ct_direct_geom dg;
        if (ct_conv_direct(&t, dtype, &dg, false)) {
            // wt[g][c][o][i][j] = w[g·Og + o][c][KH-1-i][KW-1-j] (per group: Cg x Og·KH·KW).
            const int64_t G = g->groups, Cg = g->in_channels / G, Og = g->out_channels / G;
            const int64_t KH = g->kernel[0], KW = g->kernel[1], taps = KH * KW;
            float *wt = (float *)malloc((size_t)(g->out_channels * Cg * taps) * sizeof(float));
            if (!wt) return false;
            const float *wf = (const float *)w;
            for (int64_t gi = 0; gi < G; gi++)
                for (int64_t c = 0; c < Cg; c++)
                    for (int64_t o = 0; o < Og; o++)
                        for (int64_t k = 0; k < taps; k++)
                            wt[((gi * Cg + c) * Og + o) * taps + k] = wf[((gi * Og + o) * Cg + c) * taps + (taps - 1 - k)];
            ct_conv_job tj = {&t, dtype, gy, wt, bias, gx, NULL, ct_conv_chunks(&t), false};
            const bool ok = ct_conv_run(&tj, ct_conv_fwd_chunk_f32, ct_conv_fwd_chunk_f64);
            free(wt);
            return ok;
        }
    }
    ct_conv_job job = {g, dtype, gy, w, bias, gx, NULL, ct_conv_chunks(g), false};
    return ct_conv_run(&job, ct_conv_bwd_input_chunk_f32, ct_conv_bwd_input_chunk_f64);
}

bool ct_conv_backward_weight(ct_dtype dtype, const ct_conv_geometry *g, const void *x, const void *gy, void *gw) {
    const int64_t K = g->in_channels / g->groups * g->kernel[0] * g->kernel[1];
    const int64_t total = g->out_channels * K;
    const size_t es = ct_dtype_byte_size(dtype);
    if (total == 0) return true;
    if (g->batch == 0 || g->out_size[0] * g->out_size[1] == 0) {
        memset(gw, 0, (size_t)total * es);
        return true;
    }
    // The thread count is read once: another thread may change it while this runs,
    // and a second reading could split into more chunks than there are partials.
    const int32_t k = ct_conv_chunks(g);
    ct_conv_job job = {g, dtype, x, gy, NULL, gw, NULL, k, false};
    if (k > 1) {
        job.partials = malloc((size_t)(total * k) * es);
        if (!job.partials) return false;
    }
    bool ok = ct_conv_run(&job, ct_conv_bwd_weight_chunk_f32, ct_conv_bwd_weight_chunk_f64);
    if (ok && k > 1) {
        // Sum the partials in chunk order (deterministic for a thread count).
        if (dtype == CT_F32) {
            const float *p = (const float *)job.partials;
            float *out = (float *)gw;
            memcpy(out, p, (size_t)total * es);
            for (int32_t c = 1; c < k; c++)
                for (int64_t i = 0; i < total; i++) out[i] += p[c * total + i];
        } else {
            const double *p = (const double *)job.partials;
            double *out = (double *)gw;
            memcpy(out, p, (size_t)total * es);
            for (int32_t c = 1; c < k; c++)
                for (int64_t i = 0; i < total; i++) out[i] += p[c * total + i];
        }
    }
    free(job.partials);
    return ok;
}
