// Pooling kernels (pool.c): max, average and adaptive pooling over the last two
// dims of contiguous (planes, H, W) data, where planes = batch * channels, and
// 3-d adaptive average pooling over (planes, D, H, W). Each plane is
// independent, so the pool's threads split the planes. The window rules are
// PyTorch's CPU kernels' (MaxPoolKernel.cpp, AvgPoolKernel.cpp,
// AdaptiveAvgPoolKernel.cpp, AdaptiveMaxPoolKernel.cpp), so results agree
// bit for bit in the same summation order.
#ifndef COTANGENT_POOL_H
#define COTANGENT_POOL_H

#include <stdint.h>
#include <stdbool.h>
#include "CotangentKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// The geometry of one 2-d pooling: `planes` planes of `ih x iw` inputs and
/// `oh x ow` outputs; a `kh x kw` window moved by `sh, sw`, with `ph, pw`
/// implicit padding before each dim and dilation `dh, dw` (1 for average pooling).
typedef struct {
    int64_t planes, ih, iw, oh, ow;
    int64_t kh, kw, sh, sw, ph, pw, dh, dw;
} ct_pool2d_geometry;

/// Max pooling: `out` and `indices` are (planes, oh, ow); each index is the
/// flat position `h * iw + w` of the maximum within its plane (the first of
/// ties; a NaN wins, as in PyTorch). Windows are clipped to the input (padding
/// is never the maximum). Float32, float64, int32 and int64.
void ct_max_pool2d(ct_dtype dtype, const ct_pool2d_geometry *g, const void *x, void *out, int64_t *indices);

/// Average pooling. The divisor is `divisor` when non-zero, else the window's
/// size counted with the padding (`count_include_pad`, clipped to input plus
/// padding) or without it; a window entirely in padding gives 0. Float dtypes.
void ct_avg_pool2d(ct_dtype dtype, const ct_pool2d_geometry *g, bool count_include_pad, int64_t divisor,
                   const void *x, void *out);

/// The gradient of ct_avg_pool2d: `grad_in` (planes, ih, iw) is overwritten
/// with each output's gradient divided by its divisor, added over its window.
void ct_avg_pool2d_backward(ct_dtype dtype, const ct_pool2d_geometry *g, bool count_include_pad, int64_t divisor,
                            const void *grad_out, void *grad_in);

/// Adaptive average pooling: output cell (o, p) averages input rows
/// floor(o * ih / oh) ..< ceil((o + 1) * ih / oh) and the same for columns.
/// Only planes, ih, iw, oh, ow of `g` are read. Float dtypes.
void ct_adaptive_avg_pool2d(ct_dtype dtype, const ct_pool2d_geometry *g, const void *x, void *out);

/// The gradient of ct_adaptive_avg_pool2d (overwrites `grad_in`).
void ct_adaptive_avg_pool2d_backward(ct_dtype dtype, const ct_pool2d_geometry *g, const void *grad_out,
                                     void *grad_in);

/// Adaptive max pooling over the windows of ct_adaptive_avg_pool2d, with flat
/// indices as ct_max_pool2d. Float32, float64, int32 and int64.
void ct_adaptive_max_pool2d(ct_dtype dtype, const ct_pool2d_geometry *g, const void *x, void *out,
                            int64_t *indices);

/// The sizes of a 3-d adaptive pooling: `planes` planes of `id x ih x iw`
/// inputs and `od x oh x ow` outputs.
typedef struct {
    int64_t planes, id, ih, iw, od, oh, ow;
} ct_pool3d_geometry;

/// 3-d adaptive average pooling: output cell (a, b, c) averages the box of
/// depths floor(a * id / od) ..< ceil((a + 1) * id / od), rows and columns
/// alike, summed in depth-row-column order and divided by the box's depth,
/// height and width in turn, as PyTorch's kernel. Float32 or float64 data;
/// `rounding` CT_F16 or CT_BF16 (with float32 data) rounds every sum and
/// quotient to that type, which is how PyTorch computes Half and BFloat16 here.
void ct_adaptive_avg_pool3d(ct_dtype dtype, ct_dtype rounding, const ct_pool3d_geometry *g, const void *x, void *out);

/// The gradient of ct_adaptive_avg_pool3d (overwrites `grad_in`): each output
/// gradient divided by kd, kh, kw in turn, added over its box.
void ct_adaptive_avg_pool3d_backward(ct_dtype dtype, ct_dtype rounding, const ct_pool3d_geometry *g,
                                     const void *grad_out, void *grad_in);

/// `grad_in` (planes, ih * iw), overwritten: each plane's zeros plus
/// `grad_out[p, j]` added at `indices[p, j]` (the gradient of max pooling; the
/// same as a scatter-add, fused with the zero fill and split by planes).
/// Returns false (and stops early) if an index is outside [0, ih * iw).
bool ct_pool_scatter_add(ct_dtype dtype, int64_t planes, int64_t in_size, int64_t out_size, const void *grad_out,
                         const int64_t *indices, void *grad_in);

#ifdef __cplusplus
}
#endif
#endif
