// Batch normalisation over contiguous (n, c, hw) data (see CotangentNorm.h).
// Channels are independent, so the pool's threads split them; within a channel
// the n planes of hw elements are visited in order, so the sums (in double,
// with several accumulators for speed) are the same whatever the thread count.
#include "internal.h"
#include "CotangentNorm.h"

typedef struct {
    int64_t n, c, hw;
    const void *x, *dy;
    void *y, *dx;
    double *mean, *var_sum;
    const double *alpha, *beta, *invstd, *weight;
    double *sum_dy, *sum_dy_xmu;
    bool training;
} ct_bn_ctx;

// Four independent accumulators: the loop is bound by additions' latency otherwise.
#define CT_BN_SUM(T, N, EXPR, OUT)                                                         \
    {                                                                                      \
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                             \
        int64_t j = 0;                                                                     \
        for (; j + 4 <= (N); j += 4) {                                                     \
            { const int64_t k = j; s0 += (EXPR); }                                         \
            { const int64_t k = j + 1; s1 += (EXPR); }                                     \
            { const int64_t k = j + 2; s2 += (EXPR); }                                     \
            { const int64_t k = j + 3; s3 += (EXPR); }                                     \
        }                                                                                  \
        for (; j < (N); j++) { const int64_t k = j; s0 += (EXPR); }                        \
        OUT += (s0 + s1) + (s2 + s3);                                                      \
    }

#define CT_DEFINE_BN(T, SFX)                                                               \
    static void ct_bn_stats_##SFX(void *arg, int64_t begin, int64_t end, int32_t chunk) {  \
        (void)chunk;                                                                       \
        const ct_bn_ctx *c = arg;                                                          \
        const double count = (double)(c->n * c->hw);                                       \
        for (int64_t ch = begin; ch < end; ch++) {                                         \
            double sum = 0;                                                                \
            for (int64_t b = 0; b < c->n; b++) {                                           \
                const T *x = (const T *)c->x + (b * c->c + ch) * c->hw;                    \
                CT_BN_SUM(T, c->hw, (double)x[k], sum)                                     \
            }                                                                              \
            const double mean = count > 0 ? sum / count : 0;                               \
            double vs = 0;                                                                 \
            for (int64_t b = 0; b < c->n; b++) {                                           \
                const T *x = (const T *)c->x + (b * c->c + ch) * c->hw;                    \
                CT_BN_SUM(T, c->hw, ((double)x[k] - mean) * ((double)x[k] - mean), vs)     \
            }                                                                              \
            c->mean[ch] = mean;                                                            \
            c->var_sum[ch] = vs;                                                           \
        }                                                                                  \
    }                                                                                      \
    static void ct_bn_apply_##SFX(void *arg, int64_t begin, int64_t end, int32_t chunk) {  \
        (void)chunk;                                                                       \
        const ct_bn_ctx *c = arg;                                                          \
        /* rows are (batch, channel) planes, in memory order */                           \
        for (int64_t row = begin; row < end; row++) {                                      \
            const int64_t ch = row % c->c;                                                 \
            const T a = (T)c->alpha[ch], bb = (T)c->beta[ch];                              \
            const T *x = (const T *)c->x + row * c->hw;                                    \
            T *y = (T *)c->y + row * c->hw;                                                \
            for (int64_t k = 0; k < c->hw; k++) y[k] = x[k] * a + bb;                      \
        }                                                                                  \
    }                                                                                      \
    static void ct_bn_sums_##SFX(void *arg, int64_t begin, int64_t end, int32_t chunk) {   \
        (void)chunk;                                                                       \
        const ct_bn_ctx *c = arg;                                                          \
        for (int64_t ch = begin; ch < end; ch++) {                                         \
            const double mean = c->mean[ch];                                               \
            double sdy = 0, sdx = 0;                                                       \
            for (int64_t b = 0; b < c->n; b++) {                                           \
                const T *x = (const T *)c->x + (b * c->c + ch) * c->hw;                    \
                const T *dy = (const T *)c->dy + (b * c->c + ch) * c->hw;                  \
                CT_BN_SUM(T, c->hw, (double)dy[k], sdy)                                    \
                CT_BN_SUM(T, c->hw, (double)dy[k] * ((double)x[k] - mean), sdx)            \
            }                                                                              \
            c->sum_dy[ch] = sdy;                                                           \
            c->sum_dy_xmu[ch] = sdx;                                                       \
        }                                                                                  \
    }                                                                                      \
    static void ct_bn_dx_##SFX(void *arg, int64_t begin, int64_t end, int32_t chunk) {     \
        (void)chunk;                                                                       \
        const ct_bn_ctx *c = arg;                                                          \
        const double count = (double)(c->n * c->hw);                                       \
        for (int64_t row = begin; row < end; row++) {                                      \
            const int64_t ch = row % c->c;                                                 \
            const double w = c->weight ? c->weight[ch] : 1.0, is = c->invstd[ch];          \
            const T *dy = (const T *)c->dy + row * c->hw;                                  \
            T *dx = (T *)c->dx + row * c->hw;                                              \
            if (!c->training) {                                                            \
                const T a = (T)(is * w);                                                   \
                for (int64_t k = 0; k < c->hw; k++) dx[k] = dy[k] * a;                     \
                continue;                                                                  \
            }                                                                              \
            const T *x = (const T *)c->x + row * c->hw;                                    \
            const T mean = (T)c->mean[ch], mean_dy = (T)(c->sum_dy[ch] / count);           \
            const T k2 = (T)(c->sum_dy_xmu[ch] * is * is / count), a = (T)(is * w);        \
            for (int64_t k = 0; k < c->hw; k++)                                            \
                dx[k] = (dy[k] - mean_dy - (x[k] - mean) * k2) * a;                        \
        }                                                                                  \
    }

CT_DEFINE_BN(float, f32)
CT_DEFINE_BN(double, f64)

// Chunks of rows or channels below this many elements run on one thread.
#define CT_BN_GRAIN 65536

static int64_t ct_bn_grain(int64_t per_item) {
    const int64_t g = CT_BN_GRAIN / (per_item > 0 ? per_item : 1);
    return g < 1 ? 1 : g;
}

void ct_batch_norm_stats(ct_dtype dtype, int64_t n, int64_t c, int64_t hw, const void *x, double *mean,
                         double *var_sum) {
    ct_bn_ctx ctx = {.n = n, .c = c, .hw = hw, .x = x, .mean = mean, .var_sum = var_sum};
    if (c == 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    ct_parallel_chunks(c, ct_chunk_count(c, ct_bn_grain(n * hw)), dtype == CT_F32 ? ct_bn_stats_f32 : ct_bn_stats_f64, &ctx);
}

void ct_batch_norm_apply(ct_dtype dtype, int64_t n, int64_t c, int64_t hw, const void *x, const double *alpha,
                         const double *beta, void *y) {
    ct_bn_ctx ctx = {.n = n, .c = c, .hw = hw, .x = x, .y = y, .alpha = alpha, .beta = beta};
    if (n * c == 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    ct_parallel_for(n * c, ct_bn_grain(hw), dtype == CT_F32 ? ct_bn_apply_f32 : ct_bn_apply_f64, &ctx);
}

void ct_batch_norm_backward(ct_dtype dtype, int64_t n, int64_t c, int64_t hw, const void *dy, const void *x,
                            const double *mean, const double *invstd, const double *weight, bool training,
                            void *dx, double *sum_dy, double *sum_dy_xmu) {
    ct_bn_ctx ctx = {.n = n, .c = c, .hw = hw, .x = x, .dy = dy, .dx = dx, .mean = (double *)mean,
                     .invstd = invstd, .weight = weight, .sum_dy = sum_dy, .sum_dy_xmu = sum_dy_xmu,
                     .training = training};
    if (c == 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    ct_parallel_chunks(c, ct_chunk_count(c, ct_bn_grain(2 * n * hw)), dtype == CT_F32 ? ct_bn_sums_f32 : ct_bn_sums_f64, &ctx);
    if (dx && n * c > 0)
        ct_parallel_for(n * c, ct_bn_grain(hw), dtype == CT_F32 ? ct_bn_dx_f32 : ct_bn_dx_f64, &ctx);
}
