// Batch-normalisation kernels (norm.c) over contiguous (n, c, hw) data: the
// per-channel statistics, the normalisation itself and its gradient, each a
// pass or two over the data with the channels split over the pool's threads.
#ifndef COTANGENT_NORM_H
#define COTANGENT_NORM_H

#include <stdint.h>
#include <stdbool.h>
#include "CotangentKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Per channel: `mean[c]` and `var_sum[c]`, the sum of squared deviations from
/// the mean (two passes, accumulated in double, as PyTorch's CPU kernel).
/// Float32 and float64.
void ct_batch_norm_stats(ct_dtype dtype, int64_t n, int64_t c, int64_t hw, const void *x, double *mean,
                         double *var_sum);

/// `y = x * alpha[c] + beta[c]` (alpha and beta rounded to the data's type),
/// PyTorch's form of `(x - mean) * invstd * weight + bias`.
void ct_batch_norm_apply(ct_dtype dtype, int64_t n, int64_t c, int64_t hw, const void *x, const double *alpha,
                         const double *beta, void *y);

/// The gradient of batch normalisation. Per channel it sums `dy` into
/// `sum_dy[c]` and `dy * (x - mean)` into `sum_dy_xmu[c]` (in double); then
/// `dx` (if not NULL) is `(dy - sum_dy/M - (x - mean) * invstd² * sum_dy_xmu/M) * invstd * w`
/// with the batch's statistics (`training`), or `dy * invstd * w` with fixed
/// ones; `w` is 1 for a NULL `weight` (a double per channel).
void ct_batch_norm_backward(ct_dtype dtype, int64_t n, int64_t c, int64_t hw, const void *dy, const void *x,
                            const double *mean, const double *invstd, const double *weight, bool training,
                            void *dx, double *sum_dy, double *sum_dy_xmu);

#ifdef __cplusplus
}
#endif
#endif
