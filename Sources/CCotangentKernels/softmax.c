// Fused softmax and log-softmax over rows: one read of the input and one write
// of the output (the row stays in L1 between the passes), instead of the five
// full passes of max / subtract / exp / sum / divide. Each step calls the same
// kernels those ops use (the table's vector exp, log, sum, max, or libm where
// the table has none), in the same order, so results are bit-identical to that
// sequence of kernels, except that softmax multiplies by 1/sum (as PyTorch's
// CPU kernel does) instead of dividing: within an ulp, and much cheaper.
#include "internal.h"
#include <math.h>
#include <stdlib.h>

typedef struct {
    ct_dtype dtype;
    bool is_log;
    int64_t n;
    const void *x;
    int64_t x_outer, x_inner;
    void *out;
    int64_t o_outer, o_inner;
} ct_softmax_ctx;

#define CT_DEFINE_SOFTMAX_ROW(T, SFX, EXPF, LOGF)                                    \
    /* out = softmax(x) (or log-softmax) for one contiguous row; out must not be x. */ \
    static void ct_softmax_row_##SFX(const ct_kernel_table *K, bool is_log, int64_t n,\
                                     const T *x, T *out) {                           \
        T mx;                                                                        \
        if (!K->maxmin_##SFX(true, n, x, &mx)) {  /* a NaN: the first one */         \
            int64_t j = 0;                                                           \
            while (x[j] == x[j]) j++;                                                \
            mx = x[j];                                                               \
        }                                                                            \
        /* Subtracting the row maximum keeps exp finite. */                          \
        T s;                                                                         \
        if (K->expsub_sum_##SFX) {                                                   \
            s = (T)K->expsub_sum_##SFX(n, x, mx, out);                               \
        } else {                                                                     \
            if (!(K->binary_##SFX && K->binary_##SFX(CT_SUB, n, x, 1, &mx, 0, out))) \
                for (int64_t j = 0; j < n; j++) out[j] = x[j] - mx;                  \
            if (!(K->unary_##SFX && K->unary_##SFX(CT_EXP, n, out, out, NULL)))      \
                for (int64_t j = 0; j < n; j++) out[j] = EXPF(out[j]);               \
            s = (T)K->sum_##SFX(n, out);                                             \
        }                                                                            \
        if (!is_log) {  /* times 1/sum, as PyTorch's kernel (a division is slow) */ \
            const T r = (T)1 / s;                                                    \
            if (!(K->binary_##SFX && K->binary_##SFX(CT_MUL, n, out, 1, &r, 0, out))) \
                for (int64_t j = 0; j < n; j++) out[j] = out[j] * r;                 \
            return;                                                                  \
        }                                                                            \
        T ls;                                                                        \
        if (!(K->unary_##SFX && K->unary_##SFX(CT_LOG, 1, &s, &ls, NULL))) ls = LOGF(s); \
        for (int64_t j = 0; j < n; j++) {                                            \
            T shifted = x[j] - mx;                                                   \
            out[j] = shifted - ls;                                                   \
        }                                                                            \
    }

CT_DEFINE_SOFTMAX_ROW(float, f32, expf, logf)
CT_DEFINE_SOFTMAX_ROW(double, f64, exp, log)

// Softmax (not log-softmax, whose last pass rereads x) is safe in place.
void ct_softmax_row_inplace(ct_dtype dtype, const ct_kernel_table *K, int64_t n, void *row) {
    if (dtype == CT_F32) ct_softmax_row_f32(K, false, n, (const float *)row, (float *)row);
    else ct_softmax_row_f64(K, false, n, (const double *)row, (double *)row);
}

static void ct_softmax_rows(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_softmax_ctx *c = (const ct_softmax_ctx *)arg;
    const ct_kernel_table *K = ct_kernels();
    const size_t es = c->dtype == CT_F32 ? sizeof(float) : sizeof(double);
    const bool direct = c->x_inner == 1 && c->o_inner == 1;
    // Strided rows are gathered into a buffer, computed into a second one, and scattered.
    void *buf = direct ? NULL : malloc(2 * (size_t)c->n * es);
    if (!direct && !buf) return;
    for (int64_t i = begin; i < end; i++) {
        const char *xr = (const char *)c->x + (size_t)(i * c->x_outer) * es;
        char *orow = (char *)c->out + (size_t)(i * c->o_outer) * es;
        if (c->dtype == CT_F32) {
            const float *xs = (const float *)xr;
            float *os = (float *)orow;
            if (direct) { ct_softmax_row_f32(K, c->is_log, c->n, xs, os); continue; }
            float *b = (float *)buf, *r = b + c->n;
            for (int64_t j = 0; j < c->n; j++) b[j] = xs[j * c->x_inner];
            ct_softmax_row_f32(K, c->is_log, c->n, b, r);
            for (int64_t j = 0; j < c->n; j++) os[j * c->o_inner] = r[j];
        } else {
            const double *xs = (const double *)xr;
            double *os = (double *)orow;
            if (direct) { ct_softmax_row_f64(K, c->is_log, c->n, xs, os); continue; }
            double *b = (double *)buf, *r = b + c->n;
            for (int64_t j = 0; j < c->n; j++) b[j] = xs[j * c->x_inner];
            ct_softmax_row_f64(K, c->is_log, c->n, b, r);
            for (int64_t j = 0; j < c->n; j++) os[j * c->o_inner] = r[j];
        }
    }
    free(buf);
}

void ct_softmax(ct_dtype dtype, bool is_log, int64_t m, int64_t n, const void *x, int64_t x_outer,
                int64_t x_inner, void *out, int64_t o_outer, int64_t o_inner) {
    if (m <= 0 || n <= 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    ct_softmax_ctx c = {dtype, is_log, n, x, x_outer, x_inner, out, o_outer, o_inner};
    // About 32K elements per chunk, as the elementwise math kernels.
    const int64_t grain = n >= (1 << 15) ? 1 : (1 << 15) / n;
    if (m < 2 * grain) ct_softmax_rows(&c, 0, m, 0);
    else ct_parallel_for(m, grain, ct_softmax_rows, &c);
}
