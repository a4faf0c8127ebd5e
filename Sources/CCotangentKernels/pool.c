// Pooling over (planes, H, W) contiguous data (see CotangentPool.h). Planes are
// independent, so chunks of planes run on the pool; each plane's loops follow
// PyTorch's CPU kernels, including their summation order.
#include "internal.h"
#include "CotangentPool.h"
#include <math.h>
#include <string.h>

// Chunks of at least this many inner-loop steps go to one thread.
#define CT_POOL_GRAIN 32768

typedef struct {
    ct_dtype dtype;
    const ct_pool2d_geometry *g;
    bool count_include_pad;
    int64_t divisor;
    const void *x;
    void *out;
    int64_t *indices;
    bool ok;
} ct_pool_ctx;

static int64_t ct_pool_grain(int64_t work_per_plane) {
    const int64_t grain = CT_POOL_GRAIN / (work_per_plane > 0 ? work_per_plane : 1);
    return grain < 1 ? 1 : grain;
}

static inline int64_t ct_imin(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t ct_imax(int64_t a, int64_t b) { return a > b ? a : b; }

// MARK: Max pooling

// `v != v` is a NaN test for floats and false for integers. Floats start from
// -inf (so an all -inf window keeps its first position, as PyTorch's);
// integers take their first element, which is the same rule.

// The first maximum (a NaN winning) of in[h * iw + w] over rows [h0, h1) step dh
// and columns [w0, w1) step dw, into `mx` and its flat index `best`.
#define CT_WINDOW_MAX(T, FIRST_WINS, LOW, h0, h1, dh, w0, w1, dw)                          \
    int64_t best = (h0) * g->iw + (w0);                                                    \
    T mx = LOW;                                                                            \
    bool first = true;                                                                     \
    for (int64_t h = (h0); h < (h1); h += (dh)) {                                          \
        const T *row = in + h * g->iw;                                                     \
        for (int64_t w = (w0); w < (w1); w += (dw)) {                                      \
            const T v = row[w];                                                            \
            /* selects, not a branch: random data mispredicts half the time */             \
            const bool take = __builtin_unpredictable((FIRST_WINS & first) | (v > mx) | (v != v)); \
            mx = take ? v : mx;                                                            \
            const int64_t m = -(int64_t)take;                                              \
            best = ((h * g->iw + w) & m) | (best & ~m);                                    \
            first = false;                                                                 \
        }                                                                                  \
    }

// The chunk functions PREFIX_f32 ... PREFIX_i64 of a max-pooling body over planes
// [begin, end): floats start from -inf, integers from their first element.
#define CT_DEFINE_MAX_ENTRIES(PREFIX, BODY)                                                \
    static void PREFIX##_f32(void *arg, int64_t begin, int64_t end, int32_t chunk) {       \
        (void)chunk; const ct_pool_ctx *c = arg; const ct_pool2d_geometry *g = c->g;       \
        BODY(float, false, -INFINITY)                                                      \
    }                                                                                      \
    static void PREFIX##_f64(void *arg, int64_t begin, int64_t end, int32_t chunk) {       \
        (void)chunk; const ct_pool_ctx *c = arg; const ct_pool2d_geometry *g = c->g;       \
        BODY(double, false, -INFINITY)                                                     \
    }                                                                                      \
    static void PREFIX##_i32(void *arg, int64_t begin, int64_t end, int32_t chunk) {       \
        (void)chunk; const ct_pool_ctx *c = arg; const ct_pool2d_geometry *g = c->g;       \
        BODY(int32_t, true, 0)                                                             \
    }                                                                                      \
    static void PREFIX##_i64(void *arg, int64_t begin, int64_t end, int32_t chunk) {       \
        (void)chunk; const ct_pool_ctx *c = arg; const ct_pool2d_geometry *g = c->g;       \
        BODY(int64_t, true, 0)                                                             \
    }
#define CT_MAX_POOL_PLANES(T, FIRST_WINS, LOW)                                             \
    /* Columns whose windows lie inside the input run tap by tap over the row */         \
    /* (independent outputs, so the compiler can vectorise); the rest one by one. */     \
    int64_t ow_lo = 0, ow_hi = 0;                                                          \
    while (ow_lo < g->ow && ow_lo * g->sw - g->pw < 0) ow_lo++;                            \
    ow_hi = ow_lo;                                                                         \
    while (ow_hi < g->ow && ow_hi * g->sw - g->pw + (g->kw - 1) * g->dw < g->iw) ow_hi++;  \
    for (int64_t p = begin; p < end; p++) {                                                \
        const T *in = (const T *)c->x + p * g->ih * g->iw;                                 \
        T *out = (T *)c->out + p * g->oh * g->ow;                                          \
        int64_t *ix = c->indices + p * g->oh * g->ow;                                      \
        for (int64_t oh = 0; oh < g->oh; oh++) {                                           \
            int64_t h0 = oh * g->sh - g->ph;                                               \
            const int64_t h1 = ct_imin(h0 + (g->kh - 1) * g->dh + 1, g->ih);              \
            while (h0 < 0) h0 += g->dh;                                                    \
            T *orow = out + oh * g->ow;                                                    \
            int64_t *irow = ix + oh * g->ow;                                               \
            /* Blocks of 8 interior outputs: the running maxima stay in registers */      \
            /* (plain selects over them, no conditional stores the compiler turns */      \
            /* into branches), taps in the per-output order. */                           \
            const int64_t nblk = (h0 < h1) ? (ow_hi - ow_lo) / 8 : 0;                     \
            const int64_t iw = g->iw, sw = g->sw, dw = g->dw, pw = g->pw, kwn = g->kw, dh = g->dh; \
            for (int64_t blk = 0; blk < nblk; blk++) {                                     \
                const int64_t ob = ow_lo + blk * 8;                                        \
                T bm[8]; int64_t bi[8];                                                    \
                for (int j = 0; j < 8; j++) {                                              \
                    const int64_t q = h0 * iw + (ob + j) * sw - pw;                        \
                    bm[j] = in[q]; bi[j] = q;                                              \
                }                                                                          \
                for (int64_t h = h0; h < h1; h += dh) {                                    \
                    for (int64_t kw = (h == h0 ? 1 : 0); kw < kwn; kw++) {                 \
                        const int64_t off = h * iw + kw * dw - pw + ob * sw;               \
                        const T *src = in + off;                                           \
                        for (int j = 0; j < 8; j++) {                                      \
                            const T v = src[j * sw];                                       \
                            const bool take = (v > bm[j]) | (v != v);                      \
                            bm[j] = take ? v : bm[j];                                      \
                            bi[j] = take ? off + j * sw : bi[j];                           \
                        }                                                                  \
                    }                                                                      \
                }                                                                          \
                for (int j = 0; j < 8; j++) { orow[ob + j] = bm[j]; irow[ob + j] = bi[j]; } \
            }                                                                              \
            const int64_t done_hi = ow_lo + nblk * 8;                                      \
            for (int64_t ow = 0; ow < g->ow; ow++) {                                       \
                if (ow == ow_lo && nblk > 0) { ow = done_hi - 1; continue; }                \
                int64_t w0 = ow * g->sw - g->pw;                                           \
                const int64_t w1 = ct_imin(w0 + (g->kw - 1) * g->dw + 1, g->iw);          \
                while (w0 < 0) w0 += g->dw;                                                \
                CT_WINDOW_MAX(T, FIRST_WINS, LOW, h0, h1, g->dh, w0, w1, g->dw)            \
                orow[ow] = mx;                                                             \
                irow[ow] = best;                                                           \
            }                                                                              \
        }                                                                                  \
    }

CT_DEFINE_MAX_ENTRIES(ct_max_pool, CT_MAX_POOL_PLANES)

static ct_chunk_fn ct_max_fn(ct_dtype dtype, ct_chunk_fn f32, ct_chunk_fn f64, ct_chunk_fn i32, ct_chunk_fn i64) {
    switch (dtype) {
    case CT_F32: return f32;
    case CT_F64: return f64;
    case CT_I32: return i32;
    case CT_I64: return i64;
    default: return NULL;
    }
}

void ct_max_pool2d(ct_dtype dtype, const ct_pool2d_geometry *g, const void *x, void *out, int64_t *indices) {
    ct_pool_ctx c = {dtype, g, false, 0, x, out, indices, true};
    ct_chunk_fn fn = ct_max_fn(dtype, ct_max_pool_f32, ct_max_pool_f64, ct_max_pool_i32, ct_max_pool_i64);
    if (!fn || g->planes == 0) return;
    ct_parallel_for(g->planes, ct_pool_grain(g->oh * g->ow * g->kh * g->kw), fn, &c);
}

// MARK: Average pooling

// The clipped window of output (oh, ow) and its divisor, as PyTorch's cpu_avg_pool.
#define CT_AVG_WINDOW                                                                      \
    int64_t h0 = oh * g->sh - g->ph, w0 = ow * g->sw - g->pw;                              \
    int64_t h1 = ct_imin(h0 + g->kh, g->ih + g->ph), w1 = ct_imin(w0 + g->kw, g->iw + g->pw); \
    const int64_t pool_size = (h1 - h0) * (w1 - w0);                                       \
    h0 = ct_imax(h0, 0); w0 = ct_imax(w0, 0);                                              \
    h1 = ct_imin(h1, g->ih); w1 = ct_imin(w1, g->iw);                                      \
    const int64_t div = c->divisor ? c->divisor                                            \
                      : c->count_include_pad ? pool_size : (h1 - h0) * (w1 - w0);

// Window-mean pooling over planes [begin, end): NAME_SFX sums each output's
// window (WINDOW sets h0, h1, w0, w1 of output (oh, ow); an empty one gives 0)
// and scales the sum by SCALE(T, x); NAME_SFX of the backward spreads each
// scaled output gradient over its window.
#define CT_DEFINE_MEAN_POOL(NAME, WINDOW, SCALE, T, SFX)                                   \
    static void NAME##_##SFX(void *arg, int64_t begin, int64_t end, int32_t chunk) {       \
        (void)chunk;                                                                       \
        const ct_pool_ctx *c = arg; const ct_pool2d_geometry *g = c->g;                    \
        for (int64_t p = begin; p < end; p++) {                                            \
            const T *in = (const T *)c->x + p * g->ih * g->iw;                             \
            T *out = (T *)c->out + p * g->oh * g->ow;                                      \
            for (int64_t oh = 0; oh < g->oh; oh++) {                                       \
                for (int64_t ow = 0; ow < g->ow; ow++) {                                   \
                    WINDOW                                                                 \
                    if (h0 >= h1 || w0 >= w1) { out[oh * g->ow + ow] = 0; continue; }      \
                    T sum = 0;                                                             \
                    for (int64_t h = h0; h < h1; h++)                                      \
                        for (int64_t w = w0; w < w1; w++) sum += in[h * g->iw + w];        \
                    out[oh * g->ow + ow] = SCALE(T, sum);                                  \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    }

#define CT_DEFINE_MEAN_POOL_BACKWARD(NAME, WINDOW, SCALE, T, SFX)                          \
    static void NAME##_##SFX(void *arg, int64_t begin, int64_t end, int32_t chunk) {       \
        (void)chunk;                                                                       \
        const ct_pool_ctx *c = arg; const ct_pool2d_geometry *g = c->g;                    \
        for (int64_t p = begin; p < end; p++) {                                            \
            const T *go = (const T *)c->x + p * g->oh * g->ow;                             \
            T *gi = (T *)c->out + p * g->ih * g->iw;                                       \
            memset(gi, 0, (size_t)(g->ih * g->iw) * sizeof(T));                           \
            for (int64_t oh = 0; oh < g->oh; oh++) {                                       \
                for (int64_t ow = 0; ow < g->ow; ow++) {                                   \
                    WINDOW                                                                 \
                    if (h0 >= h1 || w0 >= w1) continue;                                    \
                    const T delta = SCALE(T, go[oh * g->ow + ow]);                         \
                    for (int64_t h = h0; h < h1; h++)                                      \
                        for (int64_t w = w0; w < w1; w++) gi[h * g->iw + w] += delta;      \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    }

#define CT_AVG_SCALE(T, x) ((x) / (T)div)
#define CT_DEFINE_AVG(T, SFX) CT_DEFINE_MEAN_POOL(ct_avg_pool, CT_AVG_WINDOW, CT_AVG_SCALE, T, SFX)
#define CT_DEFINE_AVG_BACKWARD(T, SFX) CT_DEFINE_MEAN_POOL_BACKWARD(ct_avg_pool_bw, CT_AVG_WINDOW, CT_AVG_SCALE, T, SFX)

CT_DEFINE_AVG(float, f32)
CT_DEFINE_AVG(double, f64)
// Integers average with C's integer division, truncating, as PyTorch's kernel does.
CT_DEFINE_AVG(int64_t, i64)
CT_DEFINE_AVG_BACKWARD(float, f32)
CT_DEFINE_AVG_BACKWARD(double, f64)

void ct_avg_pool2d(ct_dtype dtype, const ct_pool2d_geometry *g, bool count_include_pad, int64_t divisor,
                   const void *x, void *out) {
    ct_pool_ctx c = {dtype, g, count_include_pad, divisor, x, out, NULL, true};
    ct_chunk_fn fn = dtype == CT_F32 ? ct_avg_pool_f32 : dtype == CT_F64 ? ct_avg_pool_f64
                   : dtype == CT_I64 ? ct_avg_pool_i64 : NULL;
    if (g->planes == 0 || !fn) return;
    ct_parallel_for(g->planes, ct_pool_grain(g->oh * g->ow * g->kh * g->kw), fn, &c);
}

void ct_avg_pool2d_backward(ct_dtype dtype, const ct_pool2d_geometry *g, bool count_include_pad, int64_t divisor,
                            const void *grad_out, void *grad_in) {
    ct_pool_ctx c = {dtype, g, count_include_pad, divisor, grad_out, grad_in, NULL, true};
    if (g->planes == 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    ct_parallel_for(g->planes, ct_pool_grain(g->oh * g->ow * g->kh * g->kw + g->ih * g->iw),
                    dtype == CT_F32 ? ct_avg_pool_bw_f32 : ct_avg_pool_bw_f64, &c);
}

// MARK: Adaptive pooling

static inline int64_t ct_adaptive_start(int64_t o, int64_t in, int64_t out) { return (o * in) / out; }
static inline int64_t ct_adaptive_end(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }

// An upper bound on the elements of an adaptive window (for the grain).
static inline int64_t ct_adaptive_window(const ct_pool2d_geometry *g) {
    return (g->ih / (g->oh ? g->oh : 1) + 1) * (g->iw / (g->ow ? g->ow : 1) + 1);
}

#define CT_ADAPTIVE_WINDOW                                                                 \
    const int64_t h0 = ct_adaptive_start(oh, g->ih, g->oh), h1 = ct_adaptive_end(oh, g->ih, g->oh); \
    const int64_t w0 = ct_adaptive_start(ow, g->iw, g->ow), w1 = ct_adaptive_end(ow, g->iw, g->ow);

// Two divisions, as PyTorch's kernel.
#define CT_ADAPTIVE_SCALE(T, x) ((x) / (T)(h1 - h0) / (T)(w1 - w0))
#define CT_DEFINE_ADAPTIVE_AVG(T, SFX)                                                     \
    CT_DEFINE_MEAN_POOL(ct_aavg, CT_ADAPTIVE_WINDOW, CT_ADAPTIVE_SCALE, T, SFX)            \
    CT_DEFINE_MEAN_POOL_BACKWARD(ct_aavg_bw, CT_ADAPTIVE_WINDOW, CT_ADAPTIVE_SCALE, T, SFX)

CT_DEFINE_ADAPTIVE_AVG(float, f32)
CT_DEFINE_ADAPTIVE_AVG(double, f64)

void ct_adaptive_avg_pool2d(ct_dtype dtype, const ct_pool2d_geometry *g, const void *x, void *out) {
    ct_pool_ctx c = {dtype, g, false, 0, x, out, NULL, true};
    if (g->planes == 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    const int64_t window = ct_adaptive_window(g);
    ct_parallel_for(g->planes, ct_pool_grain(g->oh * g->ow * window), dtype == CT_F32 ? ct_aavg_f32 : ct_aavg_f64, &c);
}

void ct_adaptive_avg_pool2d_backward(ct_dtype dtype, const ct_pool2d_geometry *g, const void *grad_out,
                                     void *grad_in) {
    ct_pool_ctx c = {dtype, g, false, 0, grad_out, grad_in, NULL, true};
    if (g->planes == 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    const int64_t window = ct_adaptive_window(g);
    ct_parallel_for(g->planes, ct_pool_grain(g->oh * g->ow * window + g->ih * g->iw),
                    dtype == CT_F32 ? ct_aavg_bw_f32 : ct_aavg_bw_f64, &c);
}

// 3-d adaptive average pooling, PyTorch's loop: one running sum over each box
// in depth-row-column order, then three divisions (kd, kh, kw). Data are float
// or double; ROUND rounds each result to the 16-bit type PyTorch computes a
// Half or BFloat16 input in (its kernel sums and divides in that type).
typedef struct {
    const ct_pool3d_geometry *g;
    const void *x;
    void *out;
} ct_pool3d_ctx;

static inline int64_t ct_adaptive3d_window(const ct_pool3d_geometry *g) {
    return (g->id / (g->od ? g->od : 1) + 1) * (g->ih / (g->oh ? g->oh : 1) + 1) * (g->iw / (g->ow ? g->ow : 1) + 1);
}

#define CT_ROUND_NONE(T, x) ((T)(x))
#define CT_ROUND_F16(T, x) ((T)(ct_f16)(x))
#define CT_ROUND_BF16(T, x) ((T)(ct_bf16)(x))

// The box of output (od, oh, ow), with its sizes kd, kh, kw.
#define CT_ADAPTIVE3D_BOX                                                                  \
    const int64_t d0 = ct_adaptive_start(od, g->id, g->od), d1 = ct_adaptive_end(od, g->id, g->od); \
    const int64_t h0 = ct_adaptive_start(oh, g->ih, g->oh), h1 = ct_adaptive_end(oh, g->ih, g->oh); \
    const int64_t w0 = ct_adaptive_start(ow, g->iw, g->ow), w1 = ct_adaptive_end(ow, g->iw, g->ow); \
    const int64_t kd = d1 - d0, kh = h1 - h0, kw = w1 - w0;

#define CT_DEFINE_ADAPTIVE_AVG3D(T, SFX, ROUND)                                            \
    static void ct_aavg3d_##SFX(void *arg, int64_t begin, int64_t end, int32_t chunk) {    \
        (void)chunk;                                                                       \
        const ct_pool3d_ctx *c = arg; const ct_pool3d_geometry *g = c->g;                  \
        const int64_t in_plane = g->id * g->ih * g->iw, out_plane = g->od * g->oh * g->ow; \
        for (int64_t p = begin; p < end; p++) {                                            \
            const T *in = (const T *)c->x + p * in_plane;                                  \
            T *out = (T *)c->out + p * out_plane;                                          \
            for (int64_t od = 0; od < g->od; od++)                                         \
                for (int64_t oh = 0; oh < g->oh; oh++)                                     \
                    for (int64_t ow = 0; ow < g->ow; ow++) {                               \
                        CT_ADAPTIVE3D_BOX                                                  \
                        T sum = 0;                                                         \
                        for (int64_t d = d0; d < d1; d++)                                  \
                            for (int64_t h = h0; h < h1; h++)                              \
                                for (int64_t w = w0; w < w1; w++)                          \
                                    sum = ROUND(T, sum + in[(d * g->ih + h) * g->iw + w]); \
                        out[(od * g->oh + oh) * g->ow + ow] =                              \
                            ROUND(T, ROUND(T, ROUND(T, sum / (T)kd) / (T)kh) / (T)kw);     \
                    }                                                                      \
        }                                                                                  \
    }                                                                                      \
    static void ct_aavg3d_bw_##SFX(void *arg, int64_t begin, int64_t end, int32_t chunk) { \
        (void)chunk;                                                                       \
        const ct_pool3d_ctx *c = arg; const ct_pool3d_geometry *g = c->g;                  \
        const int64_t in_plane = g->id * g->ih * g->iw, out_plane = g->od * g->oh * g->ow; \
        for (int64_t p = begin; p < end; p++) {                                            \
            const T *go = (const T *)c->x + p * out_plane;                                 \
            T *gi = (T *)c->out + p * in_plane;                                            \
            memset(gi, 0, (size_t)in_plane * sizeof(T));                                   \
            for (int64_t od = 0; od < g->od; od++)                                         \
                for (int64_t oh = 0; oh < g->oh; oh++)                                     \
                    for (int64_t ow = 0; ow < g->ow; ow++) {                               \
                        CT_ADAPTIVE3D_BOX                                                  \
                        const T delta = ROUND(T, ROUND(T, ROUND(T,                         \
                            go[(od * g->oh + oh) * g->ow + ow] / (T)kd) / (T)kh) / (T)kw); \
                        for (int64_t d = d0; d < d1; d++)                                  \
                            for (int64_t h = h0; h < h1; h++)                              \
                                for (int64_t w = w0; w < w1; w++) {                        \
                                    T *q = gi + (d * g->ih + h) * g->iw + w;               \
                                    *q = ROUND(T, *q + delta);                             \
                                }                                                          \
                    }                                                                      \
        }                                                                                  \
    }

CT_DEFINE_ADAPTIVE_AVG3D(float, f32, CT_ROUND_NONE)
CT_DEFINE_ADAPTIVE_AVG3D(double, f64, CT_ROUND_NONE)
CT_DEFINE_ADAPTIVE_AVG3D(float, f16, CT_ROUND_F16)
CT_DEFINE_ADAPTIVE_AVG3D(float, bf16, CT_ROUND_BF16)

static void ct_adaptive_avg_pool3d_run(ct_dtype dtype, ct_dtype rounding, const ct_pool3d_geometry *g,
                                       const void *x, void *out, bool backward) {
    if (g->planes == 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    ct_chunk_fn fn;
    if (dtype == CT_F64) fn = backward ? ct_aavg3d_bw_f64 : ct_aavg3d_f64;
    else if (rounding == CT_F16) fn = backward ? ct_aavg3d_bw_f16 : ct_aavg3d_f16;
    else if (rounding == CT_BF16) fn = backward ? ct_aavg3d_bw_bf16 : ct_aavg3d_bf16;
    else fn = backward ? ct_aavg3d_bw_f32 : ct_aavg3d_f32;
    ct_pool3d_ctx c = {g, x, out};
    const int64_t work = g->od * g->oh * g->ow * ct_adaptive3d_window(g) + (backward ? g->id * g->ih * g->iw : 0);
    ct_parallel_for(g->planes, ct_pool_grain(work), fn, &c);
}

void ct_adaptive_avg_pool3d(ct_dtype dtype, ct_dtype rounding, const ct_pool3d_geometry *g, const void *x, void *out) {
    ct_adaptive_avg_pool3d_run(dtype, rounding, g, x, out, false);
}

void ct_adaptive_avg_pool3d_backward(ct_dtype dtype, ct_dtype rounding, const ct_pool3d_geometry *g,
                                     const void *grad_out, void *grad_in) {
    ct_adaptive_avg_pool3d_run(dtype, rounding, g, grad_out, grad_in, true);
}

#define CT_ADAPTIVE_MAX_PLANES(T, FIRST_WINS, LOW)                                         \
    for (int64_t p = begin; p < end; p++) {                                                \
        const T *in = (const T *)c->x + p * g->ih * g->iw;                                 \
        T *out = (T *)c->out + p * g->oh * g->ow;                                          \
        int64_t *ix = c->indices + p * g->oh * g->ow;                                      \
        for (int64_t oh = 0; oh < g->oh; oh++) {                                           \
            for (int64_t ow = 0; ow < g->ow; ow++) {                                       \
                CT_ADAPTIVE_WINDOW                                                         \
                CT_WINDOW_MAX(T, FIRST_WINS, LOW, h0, h1, 1, w0, w1, 1)                   \
                out[oh * g->ow + ow] = mx;                                                 \
                ix[oh * g->ow + ow] = best;                                                \
            }                                                                              \
        }                                                                                  \
    }

CT_DEFINE_MAX_ENTRIES(ct_amax, CT_ADAPTIVE_MAX_PLANES)

void ct_adaptive_max_pool2d(ct_dtype dtype, const ct_pool2d_geometry *g, const void *x, void *out,
                            int64_t *indices) {
    ct_pool_ctx c = {dtype, g, false, 0, x, out, indices, true};
    ct_chunk_fn fn = ct_max_fn(dtype, ct_amax_f32, ct_amax_f64, ct_amax_i32, ct_amax_i64);
    if (!fn || g->planes == 0) return;
    const int64_t window = ct_adaptive_window(g);
    ct_parallel_for(g->planes, ct_pool_grain(g->oh * g->ow * window), fn, &c);
}

// MARK: The gradient of max pooling

typedef struct {
    int64_t in_size, out_size;
    const void *go;
    const int64_t *indices;
    void *gi;
    volatile int bad;
} ct_scatter_pool_ctx;

#define CT_DEFINE_POOL_SCATTER(T, SFX)                                                     \
    static void ct_pool_scatter_##SFX(void *arg, int64_t begin, int64_t end, int32_t chunk) { \
        (void)chunk;                                                                       \
        ct_scatter_pool_ctx *c = arg;                                                      \
        for (int64_t p = begin; p < end; p++) {                                            \
            const T *go = (const T *)c->go + p * c->out_size;                              \
            const int64_t *ix = c->indices + p * c->out_size;                              \
            T *gi = (T *)c->gi + p * c->in_size;                                           \
            memset(gi, 0, (size_t)c->in_size * sizeof(T));                                 \
            for (int64_t j = 0; j < c->out_size; j++) {                                    \
                const int64_t q = ix[j];                                                   \
                if ((uint64_t)q >= (uint64_t)c->in_size) { c->bad = 1; return; }          \
                gi[q] += go[j];                                                            \
            }                                                                              \
        }                                                                                  \
    }

CT_DEFINE_POOL_SCATTER(float, f32)
CT_DEFINE_POOL_SCATTER(double, f64)

bool ct_pool_scatter_add(ct_dtype dtype, int64_t planes, int64_t in_size, int64_t out_size, const void *grad_out,
                         const int64_t *indices, void *grad_in) {
    ct_scatter_pool_ctx c = {in_size, out_size, grad_out, indices, grad_in, 0};
    if (planes == 0 || (dtype != CT_F32 && dtype != CT_F64)) return true;
    ct_parallel_for(planes, ct_pool_grain(in_size + out_size), dtype == CT_F32 ? ct_pool_scatter_f32 : ct_pool_scatter_f64, &c);
    return !c.bad;
}
