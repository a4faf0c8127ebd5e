// Reductions over a 2-D view (m outputs, each over n elements).
//
// float32/float64 SUM, PROD, MAX, MIN use the vectorised kernels when a row is
// contiguous (x_inner == 1) or when outputs are adjacent (x_outer == 1: whole
// blocks of outputs are reduced together with contiguous loads). Work is split
// over outputs, or, for a few very long rows, over each row with per-chunk
// partials combined in chunk order (deterministic for a given thread count).
// Float32 sums and products accumulate in double.
#include "internal.h"
#include <math.h>
#include <stdlib.h>

typedef uint8_t ct_bool;

#define CT_REDUCE_GRAIN (1 << 15)  // elements per chunk

// MARK: Portable loops

#define CT_REDUCE_LOOP(T, ACC, INIT, STEP, FINISH)                                   \
    for (int64_t i = i0; i < i1; i++) {                                              \
        const T *xp = (const T *)x + i * x_outer;                                    \
        ACC acc = (INIT);                                                            \
        for (int64_t j = 0; j < n; j++) { T v = xp[j * x_inner]; STEP; }             \
        ((T *)out)[i * so] = (T)(FINISH);                                            \
    }

#define CT_REDUCE_NUMERIC(T, ACC, IS_FLOAT)                                          \
    switch (op) {                                                                    \
    case CT_SUM: CT_REDUCE_LOOP(T, ACC, 0, acc += v, acc); break;                    \
    case CT_PROD: CT_REDUCE_LOOP(T, ACC, 1, acc *= v, acc); break;                   \
    case CT_MAX:                                                                     \
        CT_REDUCE_LOOP(T, T, xp[0], if (IS_FLOAT && v != v) { acc = v; break; } if (v > acc) acc = v, acc); \
        break;                                                                       \
    case CT_MIN:                                                                     \
        CT_REDUCE_LOOP(T, T, xp[0], if (IS_FLOAT && v != v) { acc = v; break; } if (v < acc) acc = v, acc); \
        break;                                                                       \
    case CT_ALL: CT_REDUCE_LOOP(T, int, 1, if (v == 0) { acc = 0; break; }, acc); break; \
    case CT_ANY: CT_REDUCE_LOOP(T, int, 0, if (v != 0) { acc = 1; break; }, acc); break; \
    }

static void ct_reduce_portable(ct_reduce_op op, ct_dtype dtype, int64_t i0, int64_t i1, int64_t n,
                               const void *x, int64_t x_outer, int64_t x_inner, void *out, int64_t so) {
    switch (dtype) {
    case CT_F32: CT_REDUCE_NUMERIC(float, double, 1); break;
    case CT_F64: CT_REDUCE_NUMERIC(double, double, 1); break;
    case CT_I32: CT_REDUCE_NUMERIC(int32_t, int64_t, 0); break;
    case CT_I64: CT_REDUCE_NUMERIC(int64_t, int64_t, 0); break;
    case CT_I8: CT_REDUCE_NUMERIC(int8_t, int64_t, 0); break;
    case CT_U8: CT_REDUCE_NUMERIC(uint8_t, int64_t, 0); break;
    case CT_I16: CT_REDUCE_NUMERIC(int16_t, int64_t, 0); break;
    // The 16-bit floats accumulate in float, as PyTorch's CPU sum does.
    case CT_F16: CT_REDUCE_NUMERIC(ct_f16, float, 1); break;
    case CT_BF16: CT_REDUCE_NUMERIC(ct_bf16, float, 1); break;
    case CT_BOOL: CT_REDUCE_NUMERIC(ct_bool, int64_t, 0); break;
    }
}

// MARK: Vectorised rows and columns

typedef struct {
    ct_reduce_op op;
    ct_dtype dtype;
    int64_t m, n;
    const void *x;
    int64_t x_outer, x_inner;
    void *out;
    int64_t so;
} ct_red;

static bool ct_is_float(ct_dtype t) { return t == CT_F32 || t == CT_F64; }
static bool ct_is_arith(ct_reduce_op op) { return op == CT_SUM || op == CT_PROD || op == CT_MAX || op == CT_MIN; }

// Reduces n contiguous floats (SUM/PROD in double; MAX/MIN exact). Returns the
// first NaN for MAX/MIN if there is one.
static double ct_row_f32(const ct_kernel_table *K, ct_reduce_op op, int64_t n, const float *x) {
    switch (op) {
    case CT_SUM: return K->sum_f32(n, x);
    case CT_PROD: return K->prod_f32(n, x);
    default: {
        float r;
        if (K->maxmin_f32(op == CT_MAX, n, x, &r)) return r;
        for (int64_t j = 0;; j++) if (x[j] != x[j]) return x[j];
    }
    }
}
static double ct_row_f64(const ct_kernel_table *K, ct_reduce_op op, int64_t n, const double *x) {
    switch (op) {
    case CT_SUM: return K->sum_f64(n, x);
    case CT_PROD: return K->prod_f64(n, x);
    default: {
        double r;
        if (K->maxmin_f64(op == CT_MAX, n, x, &r)) return r;
        for (int64_t j = 0;; j++) if (x[j] != x[j]) return x[j];
    }
    }
}

// Outputs [i0, i1).
static void ct_reduce_block(const ct_red *c, int64_t i0, int64_t i1) {
    const ct_kernel_table *K = ct_kernels();
    const bool vec = ct_is_float(c->dtype) && ct_is_arith(c->op) && K->sum_f32 != NULL && c->n > 0;
    if (vec && c->x_inner == 1) {
        for (int64_t i = i0; i < i1; i++) {
            if (c->dtype == CT_F32)
                ((float *)c->out)[i * c->so] = (float)ct_row_f32(K, c->op, c->n, (const float *)c->x + i * c->x_outer);
            else
                ((double *)c->out)[i * c->so] = ct_row_f64(K, c->op, c->n, (const double *)c->x + i * c->x_outer);
        }
        return;
    }
    if (vec && c->x_outer == 1) {
        // Adjacent outputs: reduce blocks of them at once, through a buffer if
        // the output itself is strided.
        enum { B = 256 };
        for (int64_t i = i0; i < i1; i += B) {
            int64_t len = i1 - i < B ? i1 - i : B;
            if (c->dtype == CT_F32) {
                float buf[B], *dst = c->so == 1 ? (float *)c->out + i : buf;
                K->cols_f32(c->op, len, c->n, (const float *)c->x + i, c->x_inner, dst);
                if (dst == buf) for (int64_t k = 0; k < len; k++) ((float *)c->out)[(i + k) * c->so] = buf[k];
            } else {
                double buf[B], *dst = c->so == 1 ? (double *)c->out + i : buf;
                K->cols_f64(c->op, len, c->n, (const double *)c->x + i, c->x_inner, dst);
                if (dst == buf) for (int64_t k = 0; k < len; k++) ((double *)c->out)[(i + k) * c->so] = buf[k];
            }
        }
        return;
    }
    ct_reduce_portable(c->op, c->dtype, i0, i1, c->n, c->x, c->x_outer, c->x_inner, c->out, c->so);
}

static void ct_reduce_chunk(void *ctx, int64_t b, int64_t e, int32_t chunk) {
    (void)chunk;
    ct_reduce_block((const ct_red *)ctx, b, e);
}

// One long contiguous float row split across threads.
typedef struct {
    const ct_red *c;
    const void *row;
    double partial[CT_MAX_CHUNKS];
} ct_split;

static void ct_split_chunk(void *ctx, int64_t b, int64_t e, int32_t chunk) {
    ct_split *s = (ct_split *)ctx;
    const ct_kernel_table *K = ct_kernels();
    if (s->c->dtype == CT_F32)
        s->partial[chunk] = ct_row_f32(K, s->c->op, e - b, (const float *)s->row + b);
    else
        s->partial[chunk] = ct_row_f64(K, s->c->op, e - b, (const double *)s->row + b);
}

static void ct_reduce_split_row(const ct_red *c, int64_t i) {
    ct_split s = {.c = c};
    const size_t es = c->dtype == CT_F32 ? 4 : 8;
    s.row = (const char *)c->x + (size_t)(i * c->x_outer) * es;
    // One reading of the thread count sizes both the split and the combine: a
    // second reading could see another thread's change and combine partials never written.
    int32_t k = ct_chunk_count(c->n, CT_REDUCE_GRAIN);
    if (k > CT_MAX_CHUNKS) k = CT_MAX_CHUNKS;
    if ((int64_t)k > c->n) k = (int32_t)c->n;
    if (k < 1) k = 1;
    ct_parallel_chunks(c->n, k, ct_split_chunk, &s);
    double r = s.partial[0];
    for (int32_t t = 1; t < k; t++) {
        double v = s.partial[t];
        switch (c->op) {
        case CT_SUM: r += v; break;
        case CT_PROD: r *= v; break;
        case CT_MAX: if (r == r && (v > r || v != v)) r = v; break;
        default: if (r == r && (v < r || v != v)) r = v; break;
        }
    }
    if (c->dtype == CT_F32) ((float *)c->out)[i * c->so] = (float)r;
    else ((double *)c->out)[i * c->so] = r;
}

void ct_reduce(ct_reduce_op op, ct_dtype dtype, int64_t m, int64_t n,
               const void *x, int64_t x_outer, int64_t x_inner, void *out, int64_t so) {
    if (m <= 0) return;
    const ct_red c = {op, dtype, m, n, x, x_outer, x_inner, out, so};
    const int64_t total = m * (n > 0 ? n : 1);
    const int32_t threads = ct_get_num_threads();
    if (total < 2 * CT_REDUCE_GRAIN || threads == 1) {
        ct_reduce_block(&c, 0, m);
        return;
    }
    if (m < threads && x_inner == 1 && ct_is_float(dtype) && ct_is_arith(op) && ct_kernels()->sum_f32) {
        for (int64_t i = 0; i < m; i++) ct_reduce_split_row(&c, i);
        return;
    }
    int64_t grain = CT_REDUCE_GRAIN / (n > 0 ? n : 1);
    ct_parallel_for(m, grain < 1 ? 1 : grain, ct_reduce_chunk, (void *)&c);
}

// MARK: Arg-reductions and cumsum (portable, split over outputs)

typedef struct {
    bool is_max;
    ct_dtype dtype;
    int64_t n;
    const void *x;
    int64_t x_outer, x_inner;
    void *values;
    int64_t *indices;
    int64_t so;
} ct_arg;

#define CT_ARG_LOOP(T, IS_FLOAT)                                                     \
    for (int64_t i = i0; i < i1; i++) {                                              \
        const T *xp = (const T *)a->x + i * a->x_outer;                              \
        T best = xp[0];                                                              \
        int64_t bi = 0;                                                              \
        if (!(IS_FLOAT && best != best)) {                                           \
            for (int64_t j = 1; j < a->n; j++) {                                     \
                T v = xp[j * a->x_inner];                                            \
                if (IS_FLOAT && v != v) { best = v; bi = j; break; }                 \
                if (a->is_max ? (v > best) : (v < best)) { best = v; bi = j; }       \
            }                                                                        \
        }                                                                            \
        if (a->values) ((T *)a->values)[i * a->so] = best;                           \
        a->indices[i * a->so] = bi;                                                  \
    }

static void ct_arg_chunk(void *ctx, int64_t i0, int64_t i1, int32_t chunk) {
    (void)chunk;
    const ct_arg *a = (const ct_arg *)ctx;
    switch (a->dtype) {
    case CT_F32: CT_ARG_LOOP(float, 1); break;
    case CT_F64: CT_ARG_LOOP(double, 1); break;
    case CT_I32: CT_ARG_LOOP(int32_t, 0); break;
    case CT_I64: CT_ARG_LOOP(int64_t, 0); break;
    case CT_I8: CT_ARG_LOOP(int8_t, 0); break;
    case CT_U8: CT_ARG_LOOP(uint8_t, 0); break;
    case CT_I16: CT_ARG_LOOP(int16_t, 0); break;
    case CT_F16: CT_ARG_LOOP(ct_f16, 1); break;
    case CT_BF16: CT_ARG_LOOP(ct_bf16, 1); break;
    case CT_BOOL: CT_ARG_LOOP(ct_bool, 0); break;
    }
}

void ct_argreduce(bool is_max, ct_dtype dtype, int64_t m, int64_t n,
                  const void *x, int64_t x_outer, int64_t x_inner,
                  void *values, int64_t *indices, int64_t so) {
    ct_arg a = {is_max, dtype, n, x, x_outer, x_inner, values, indices, so};
    int64_t grain = CT_REDUCE_GRAIN / (n > 0 ? n : 1);
    ct_parallel_for(m, grain < 1 ? 1 : grain, ct_arg_chunk, &a);
}

// PyTorch's CPU cumsum accumulates float32 in double too.
typedef struct {
    ct_dtype dtype;
    int64_t n;
    const void *x;
    int64_t x_outer, x_inner;
    void *out;
    int64_t o_outer, o_inner;
} ct_cumsum_args;

#define CT_CUMSUM_LOOP(T, ACC)                                                       \
    for (int64_t i = i0; i < i1; i++) {                                              \
        const T *xp = (const T *)s->x + i * s->x_outer;                              \
        T *op = (T *)s->out + i * s->o_outer;                                        \
        ACC acc = 0;                                                                 \
        for (int64_t j = 0; j < s->n; j++) { acc += xp[j * s->x_inner]; op[j * s->o_inner] = (T)acc; } \
    }

static void ct_cumsum_chunk(void *ctx, int64_t i0, int64_t i1, int32_t chunk) {
    (void)chunk;
    const ct_cumsum_args *s = (const ct_cumsum_args *)ctx;
    switch (s->dtype) {
    case CT_F32: CT_CUMSUM_LOOP(float, double); break;
    case CT_F64: CT_CUMSUM_LOOP(double, double); break;
    case CT_I32: CT_CUMSUM_LOOP(int32_t, int64_t); break;
    case CT_I64: CT_CUMSUM_LOOP(int64_t, int64_t); break;
    case CT_I8: CT_CUMSUM_LOOP(int8_t, int64_t); break;
    case CT_U8: CT_CUMSUM_LOOP(uint8_t, int64_t); break;
    case CT_I16: CT_CUMSUM_LOOP(int16_t, int64_t); break;
    case CT_F16: CT_CUMSUM_LOOP(ct_f16, float); break;
    case CT_BF16: CT_CUMSUM_LOOP(ct_bf16, float); break;
    case CT_BOOL: CT_CUMSUM_LOOP(ct_bool, int64_t); break;
    }
}

void ct_cumsum(ct_dtype dtype, int64_t m, int64_t n,
               const void *x, int64_t x_outer, int64_t x_inner,
               void *out, int64_t o_outer, int64_t o_inner) {
    ct_cumsum_args s = {dtype, n, x, x_outer, x_inner, out, o_outer, o_inner};
    int64_t grain = CT_REDUCE_GRAIN / (n > 0 ? n : 1);
    ct_parallel_for(m, grain < 1 ? 1 : grain, ct_cumsum_chunk, &s);
}

// MARK: Other scans (cumprod, cummax, cummin, logcumsumexp)

typedef struct {
    ct_scan_op op;
    ct_dtype dtype;
    int64_t n;
    const void *x;
    int64_t x_outer, x_inner;
    void *out;
    int64_t o_outer, o_inner;
    int64_t *indices;
} ct_scan2;

#define CT_CUMPROD_LOOP(T, ACC)                                                      \
    for (int64_t i = i0; i < i1; i++) {                                              \
        const T *xp = (const T *)s->x + i * s->x_outer;                              \
        T *op = (T *)s->out + i * s->o_outer;                                        \
        ACC acc = 1;                                                                 \
        for (int64_t j = 0; j < s->n; j++) { acc *= xp[j * s->x_inner]; op[j * s->o_inner] = (T)acc; } \
    }

// PyTorch's cummax_cummin_helper: a NaN always takes over (so the index moves
// to each later NaN), otherwise `v CMP best` with >= or <=.
#define CT_CUMEXT_LOOP(T, IS_FLOAT, CMP)                                             \
    for (int64_t i = i0; i < i1; i++) {                                              \
        const T *xp = (const T *)s->x + i * s->x_outer;                              \
        T *op = (T *)s->out + i * s->o_outer;                                        \
        int64_t *ip = s->indices + i * s->o_outer;                                   \
        T best = xp[0];                                                              \
        int64_t bi = 0;                                                              \
        for (int64_t j = 0; j < s->n; j++) {                                         \
            T v = xp[j * s->x_inner];                                                \
            if ((IS_FLOAT && v != v) || (!(IS_FLOAT && best != best) && v CMP best)) { best = v; bi = j; } \
            op[j * s->o_inner] = best;                                               \
            ip[j * s->o_inner] = bi;                                                 \
        }                                                                            \
    }

// PyTorch's _log_add_exp_helper: equal infinities stay as they are.
static inline double ct_log_add_exp(double a, double b) {
    // std::min/std::max semantics: the first argument wins a comparison with NaN.
    double lo = isnan(b) ? b : ((b < a) ? b : a), hi = isnan(b) ? b : ((a < b) ? b : a);
    if (lo != hi || isfinite(lo)) return hi + log1p(exp(lo - hi));
    return a;
}

#define CT_LCSE_LOOP(T)                                                              \
    for (int64_t i = i0; i < i1; i++) {                                              \
        const T *xp = (const T *)s->x + i * s->x_outer;                              \
        T *op = (T *)s->out + i * s->o_outer;                                        \
        double acc = -INFINITY;                                                      \
        for (int64_t j = 0; j < s->n; j++) { acc = ct_log_add_exp((double)xp[j * s->x_inner], acc); op[j * s->o_inner] = (T)acc; } \
    }

#define CT_SCAN_NUMERIC(T, ACC, IS_FLOAT)                                            \
    switch (s->op) {                                                                 \
    case CT_SCAN_PROD: CT_CUMPROD_LOOP(T, ACC); break;                               \
    case CT_SCAN_MAX: CT_CUMEXT_LOOP(T, IS_FLOAT, >=); break;                         \
    case CT_SCAN_MIN: CT_CUMEXT_LOOP(T, IS_FLOAT, <=); break;                         \
    case CT_SCAN_LOGSUMEXP: break;                                                   \
    }

static void ct_scan2_chunk(void *ctx, int64_t i0, int64_t i1, int32_t chunk) {
    (void)chunk;
    const ct_scan2 *s = (const ct_scan2 *)ctx;
    if (s->op == CT_SCAN_LOGSUMEXP) {
        if (s->dtype == CT_F32) { CT_LCSE_LOOP(float); }
        else if (s->dtype == CT_F64) { CT_LCSE_LOOP(double); }
        return;
    }
    switch (s->dtype) {
    case CT_F32: CT_SCAN_NUMERIC(float, double, 1); break;
    case CT_F64: CT_SCAN_NUMERIC(double, double, 1); break;
    case CT_I32: CT_SCAN_NUMERIC(int32_t, int64_t, 0); break;
    case CT_I64: CT_SCAN_NUMERIC(int64_t, int64_t, 0); break;
    case CT_I8: CT_SCAN_NUMERIC(int8_t, int64_t, 0); break;
    case CT_U8: CT_SCAN_NUMERIC(uint8_t, int64_t, 0); break;
    case CT_I16: CT_SCAN_NUMERIC(int16_t, int64_t, 0); break;
    case CT_F16: CT_SCAN_NUMERIC(ct_f16, float, 1); break;
    case CT_BF16: CT_SCAN_NUMERIC(ct_bf16, float, 1); break;
    case CT_BOOL: CT_SCAN_NUMERIC(ct_bool, int64_t, 0); break;
    }
}

void ct_scan(ct_scan_op op, ct_dtype dtype, int64_t m, int64_t n,
             const void *x, int64_t x_outer, int64_t x_inner,
             void *out, int64_t o_outer, int64_t o_inner, int64_t *indices) {
    if (n <= 0) return;
    ct_scan2 s = {op, dtype, n, x, x_outer, x_inner, out, o_outer, o_inner, indices};
    int64_t grain = CT_REDUCE_GRAIN / n;
    ct_parallel_for(m, grain < 1 ? 1 : grain, ct_scan2_chunk, &s);
}
