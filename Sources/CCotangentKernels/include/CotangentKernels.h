// Cotangent's CPU kernels: the only place where loops over elements run.
//
// Every kernel takes element strides (not byte strides) and an N-dimensional
// iteration space given as `ndim` sizes plus one stride array per operand.
// Swift coalesces dimensions before the call, so `ndim` is usually 1 or 2; a
// stride of 0 is a broadcast operand. Kernels pick fast paths (contiguous,
// scalar, row/column broadcast), vector instructions and threads themselves.
#ifndef COTANGENT_KERNELS_H
#define COTANGENT_KERNELS_H

#include <stdint.h>
#include <stdbool.h>
#include "CotangentOps.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CT_BOOL = 0,  // uint8_t holding 0 or 1
    CT_I32 = 1,
    CT_I64 = 2,
    CT_F32 = 3,
    CT_F64 = 4,
    CT_I8 = 5,
    CT_U8 = 6,
    CT_I16 = 7,
    CT_F16 = 8,   // IEEE binary16 (_Float16); arithmetic runs in float, rounded once per op
    CT_BF16 = 9,  // bfloat16 (__bf16); likewise
} ct_dtype;

// MARK: Elementwise

/// `out = op(x)` for a unary operation of CotangentOps.h. Transcendental ones
/// take floating dtypes only; NEG, ABS, SIGN, SQUARE, RELU, rounding, NOT and
/// the IS* tests also take integers and bool. `params` holds the parameters of
/// the ops that have them (LEAKY_RELU, ELU, SOFTPLUS, HARDTANH), else NULL.
void ct_unary(ct_unary_op op, ct_dtype dtype, int32_t ndim, const int64_t *shape,
              const void *x, const int64_t *sx, void *out, const int64_t *so, const double *params);

/// `out = op(a, b)` for a binary operation of CotangentOps.h on two operands of
/// the same dtype; comparisons and logical ops write bool. DIV, ATAN2, HYPOT,
/// COPYSIGN, XLOGY and LOGADDEXP are for floats (Swift promotes integers first);
/// FLOORDIV and REM follow Python's sign rules, FMOD C's. `params` holds the
/// parameters of the gradient ops that have them (LEAKY_RELU_BACKWARD, ...), else NULL.
void ct_binary(ct_binary_op op, ct_dtype dtype, int32_t ndim, const int64_t *shape,
               const void *a, const int64_t *sa, const void *b, const int64_t *sb,
               void *out, const int64_t *so, const double *params);

/// Nonzero while Swift holds elementwise work not yet run (Core/Fusion.swift).
/// Every access to a buffer's memory reads it first, so it must be cheap: one load.
extern int ct_fusion_pending_flag;
static inline int ct_fusion_has_pending(void) { return __atomic_load_n(&ct_fusion_pending_flag, __ATOMIC_ACQUIRE); }
static inline void ct_fusion_set_pending(int pending) { __atomic_store_n(&ct_fusion_pending_flag, pending, __ATOMIC_RELEASE); }

/// One operation of a fused elementwise program (see ct_fused_run).
typedef struct {
    int32_t binary;          // 0: a ct_unary_op, 1: a ct_binary_op
    int32_t op;
    int32_t src[2];          // >= 0: the result of that earlier instruction; -1: ext[k]
    const void *ext[2];      // an operand read from memory (src[k] == -1)
    int64_t ext_stride[2];   // its stride: 1 (n elements) or 0 (one element, broadcast)
    void *out;               // where the result is stored (n elements), or NULL to keep it in scratch only
    double params[3];
} ct_fused_instr;

/// Runs `count` unary and binary operations of CotangentOps.h over `n` elements
/// of `dtype` in one pass over memory: the elements are taken in blocks that
/// stay in cache, and each block goes through every instruction, in order,
/// before the next block is read. Each instruction calls the same span
/// function as ct_unary/ct_binary on a contiguous block, so every element gets
/// the bits the unfused ops give it (those functions' results do not depend on
/// where a block starts: tails go through padded vectors).
/// Operations whose output dtype differs from `dtype` (comparisons) are not allowed.
void ct_fused_run(ct_dtype dtype, int64_t n, int32_t count, const ct_fused_instr *prog);
/// Whether ct_fused_run takes this op (its result has its operands' dtype).
bool ct_fused_takes(int32_t binary, int32_t op);
/// For tests: makes the kernels take the last-level cache to be `bytes` big, so
/// that outputs above it are written with non-temporal stores (0: the real size).
void ct_override_llc_bytes(int64_t bytes);

/// out = cond ? a : b, with `cond` bool and a, b, out of `dtype`.
void ct_where(ct_dtype dtype, int32_t ndim, const int64_t *shape,
              const uint8_t *cond, const int64_t *sc, const void *a, const int64_t *sa,
              const void *b, const int64_t *sb, void *out, const int64_t *so);

/// Converts (or, when from == to, copies) between dtypes; float to int truncates.
void ct_cast(ct_dtype from, ct_dtype to, int32_t ndim, const int64_t *shape,
             const void *x, const int64_t *sx, void *out, const int64_t *so);

/// Fills with a value; integers use `ivalue`, floats and bool use `fvalue`.
void ct_fill(ct_dtype dtype, int32_t ndim, const int64_t *shape,
             void *out, const int64_t *so, double fvalue, int64_t ivalue);

/// Clamps floating or integer values to [lo, hi]; a bound is ignored unless its
/// flag is set. NaN stays NaN.
void ct_clamp(ct_dtype dtype, int32_t ndim, const int64_t *shape,
              const void *x, const int64_t *sx, void *out, const int64_t *so,
              double lo, bool has_lo, double hi, bool has_hi);

// MARK: Indexing

/// Gathers rows picked by element offsets: `out`, contiguous with shape
/// [outer..., n, inner...], gets src[outer_offset(o) + offsets[i] + inner_offset(j)],
/// where the outer and inner offsets come from their shapes and strides (in
/// elements). The loops of tensor indexing and indexSelect.
void ct_index_gather(ct_dtype dtype, int32_t outer_ndim, const int64_t *outer_shape, const int64_t *outer_strides,
                     int64_t n, const int64_t *offsets, int32_t inner_ndim, const int64_t *inner_shape,
                     const int64_t *inner_strides, const void *src, void *out);

/// The reverse of ct_index_gather: writes the contiguous `values` to those
/// places in `dst`, or with `accumulate` adds them (repeated offsets add up, in
/// a fixed order, so sums are deterministic).
void ct_index_scatter(ct_dtype dtype, bool accumulate, int32_t outer_ndim, const int64_t *outer_shape,
                      const int64_t *outer_strides, int64_t n, const int64_t *offsets, int32_t inner_ndim,
                      const int64_t *inner_shape, const int64_t *inner_strides, void *dst, const void *values);

/// How ct_scatter combines a value with the destination element.
typedef enum {
    CT_SCATTER_ASSIGN, CT_SCATTER_SUM, CT_SCATTER_PROD, CT_SCATTER_MEAN, CT_SCATTER_AMAX, CT_SCATTER_AMIN,
} ct_scatter_reduce;

/// torch.gather: over the index tensor's shape, out[p] = src[p with p[dim] := index[p]].
/// Strides are in elements; `index` is int64. Returns false, with the offending
/// value in *bad_index, when an index is outside [0, dim_size).
bool ct_gather(ct_dtype dtype, int32_t ndim, const int64_t *shape, int32_t dim, int64_t dim_size,
               const void *src, const int64_t *src_strides, const int64_t *index, const int64_t *index_strides,
               void *out, const int64_t *out_strides, int64_t *bad_index);

/// torch.scatter / scatter_add / scatter_reduce: over the index tensor's shape,
/// dst[p with p[dim] := index[p]] (op)= values[p]. MEAN adds (the caller
/// divides by `counts`, which, when not NULL, counts the values each
/// destination element receives). Repeated indices combine in index order.
bool ct_scatter(ct_dtype dtype, ct_scatter_reduce reduce, int32_t ndim, const int64_t *shape, int32_t dim,
                int64_t dim_size, void *dst, const int64_t *dst_strides, const int64_t *index,
                const int64_t *index_strides, const void *values, const int64_t *value_strides,
                int64_t *counts, const int64_t *count_strides, int64_t *bad_index);

// MARK: Sorting

/// Sorts each of `m` contiguous rows of `n` elements (NaN above every number;
/// equal elements keep their order, ascending and descending), writing the
/// values (if `values` is not NULL) and the original positions, row by row.
void ct_sort(ct_dtype dtype, int64_t m, int64_t n, const void *x, void *values, int64_t *indices, bool descending);

/// The `k` largest (or smallest) elements of each row, in sorted order, as
/// ct_sort would list them first, in O(n + k log k) per row (quickselect).
void ct_topk(ct_dtype dtype, int64_t m, int64_t n, int64_t k, const void *x, void *values, int64_t *indices,
             bool largest);

// MARK: Reductions

typedef enum { CT_SUM, CT_PROD, CT_MAX, CT_MIN, CT_ALL, CT_ANY } ct_reduce_op;

/// Reduces a 2-D view: `m` outputs, each over `n` elements.
/// Input element (i, j) is at x[i * x_outer + j * x_inner]; output i at out[i * so].
/// SUM, PROD, MAX, MIN keep the dtype (MAX/MIN propagate NaN); ALL/ANY need bool.
/// With n == 0: SUM 0, PROD 1, ALL true, ANY false (MAX/MIN must not be called).
void ct_reduce(ct_reduce_op op, ct_dtype dtype, int64_t m, int64_t n,
               const void *x, int64_t x_outer, int64_t x_inner, void *out, int64_t so);

/// Like ct_reduce for MAX (is_max) or MIN, also writing the index of the first
/// extreme element (the first NaN, if any) to `indices`. `values` may be NULL.
void ct_argreduce(bool is_max, ct_dtype dtype, int64_t m, int64_t n,
                  const void *x, int64_t x_outer, int64_t x_inner,
                  void *values, int64_t *indices, int64_t so);

/// Inclusive prefix sum along the inner axis of a 2-D view.
void ct_cumsum(ct_dtype dtype, int64_t m, int64_t n,
               const void *x, int64_t x_outer, int64_t x_inner,
               void *out, int64_t o_outer, int64_t o_inner);

/// The running operations besides the sum: product, maximum, minimum, log-sum-exp.
typedef enum { CT_SCAN_PROD, CT_SCAN_MAX, CT_SCAN_MIN, CT_SCAN_LOGSUMEXP } ct_scan_op;

/// An inclusive scan along the inner axis of a 2-D view, as PyTorch's CPU
/// kernels compute it: PROD and LOGSUMEXP accumulate float32 in double; MAX and
/// MIN take a later equal element (>= / <=) and stay NaN from the first NaN on,
/// writing the position of the current extreme to `indices` (row-relative, with
/// the output's strides; required for MAX/MIN, ignored otherwise). LOGSUMEXP is
/// for float dtypes only.
void ct_scan(ct_scan_op op, ct_dtype dtype, int64_t m, int64_t n,
             const void *x, int64_t x_outer, int64_t x_inner,
             void *out, int64_t o_outer, int64_t o_inner, int64_t *indices);

/// Softmax (or, with `is_log`, log-softmax) of each of `m` rows of `n` float32 or
/// float64 elements: row i's element j is x[i * x_outer + j * x_inner] and goes
/// to out[i * o_outer + j * o_inner] (out must not overlap x).
/// Fused (one pass over memory) and bit-identical to computing max, x - max,
/// exp, sum and times 1/sum (log: x - max - log(sum)) with the other kernels.
void ct_softmax(ct_dtype dtype, bool is_log, int64_t m, int64_t n, const void *x, int64_t x_outer,
                int64_t x_inner, void *out, int64_t o_outer, int64_t o_inner);

// MARK: Resampling

/// torch.nn.functional.interpolate over contiguous (planes, in_h, in_w) input
/// into contiguous (planes, out_h, out_w) output, each spatial dim given as
/// `taps` taps: output position o reads input position idx[k * out + o] with
/// weight w[k * out + o] for tap k. The width pass runs first, then the
/// height pass; each tap's product and each sum is rounded to the dtype, taps
/// whose weights are all 1 are not multiplied and sums start from tap 0, so
/// values equal those of index-select, multiply and add in tensor ops.
/// `taps_h` = 0 resamples (planes, in_w) rows (in_h, out_h ignored).
/// float32, float64, float16, bfloat16. Returns false (writing nothing) for
/// another dtype, an index outside its dim, or no memory.
bool ct_interpolate(ct_dtype dtype, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w,
                    int32_t taps_h, const int64_t *idx_h, const double *w_h, int32_t taps_w, const int64_t *idx_w,
                    const double *w_w, const void *x, void *out);
/// The adjoint of ct_interpolate: grad_in (planes, in_h, in_w) gets zeros plus
/// each tap's weighted gradient, height first and then width, added in index
/// order (as index_add of the weighted gradient, tap by tap, would add it).
bool ct_interpolate_backward(ct_dtype dtype, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                             int64_t out_w, int32_t taps_h, const int64_t *idx_h, const double *w_h, int32_t taps_w,
                             const int64_t *idx_w, const double *w_w, const void *grad_out, void *grad_in);

// MARK: Matrix multiplication

/// C = alpha * A @ B + beta * C for an M x K matrix A and a K x N matrix B, each
/// given by row and column strides (so transposes need no copy). With beta == 0
/// C is not read. All dtypes except bool.
void ct_gemm(ct_dtype dtype, int64_t M, int64_t N, int64_t K, double alpha,
             const void *A, int64_t rsa, int64_t csa,
             const void *B, int64_t rsb, int64_t csb, double beta,
             void *C, int64_t rsc, int64_t csc);

// MARK: Convolution

/// The geometry of a 2-D convolution (a 1-D one has in/out/kernel size 1 in
/// the first spatial dim): x [batch, in_channels, in_size...] convolved with
/// w [out_channels, in_channels / groups, kernel...] gives
/// y [batch, out_channels, out_size...]. `padding` is the implicit zero
/// padding before each spatial dim; the padding after it is whatever
/// `out_size` implies (so asymmetric padding and a transposed convolution's
/// output padding need no extra field). All tensors are contiguous.
typedef struct {
    int64_t batch, in_channels, out_channels, groups;
    int64_t in_size[2], out_size[2], kernel[2], stride[2], padding[2], dilation[2];
} ct_conv_geometry;

/// Unfolds `channels` planes of one image [channels, in_size...] into columns
/// [channels * kernel..., out_size...] (row (c, i, j), column (oh, ow) holds
/// the input element under kernel tap (i, j) at output (oh, ow), or 0 in the
/// padding). float32/float64.
void ct_im2col(ct_dtype dtype, const ct_conv_geometry *g, int64_t channels, const void *image, void *cols);
/// The adjoint of ct_im2col: adds every column element to the image element it
/// came from (the image must be initialised).
void ct_col2im(ct_dtype dtype, const ct_conv_geometry *g, int64_t channels, const void *cols, void *image);

/// y = conv(x, w) + bias (bias [out_channels] or NULL): im2col plus ct_gemm per
/// sample and group (float32 with unit strides on AVX-512: a direct kernel over
/// the padded image, same bits), threaded over samples. float32/float64.
/// Returns false if a buffer could not be allocated.
bool ct_conv_forward(ct_dtype dtype, const ct_conv_geometry *g, const void *x, const void *w, const void *bias,
                     void *y);
/// gx = the input gradient of conv for gy (= the transposed convolution of gy
/// with w), plus bias [in_channels] if not NULL: wᵀ·gy per group, then col2im
/// (float32, unit strides, about "same" padding, AVX-512: the direct forward of
/// gy with the flipped kernel).
bool ct_conv_backward_input(ct_dtype dtype, const ct_conv_geometry *g, const void *gy, const void *w,
                            const void *bias, void *gx);
/// gw = the weight gradient of conv for x and gy: the sum over samples of
/// gy·im2col(x)ᵀ per group (per-thread partials added in a fixed order; float32
/// on AVX-512 with up to 64K weights: per-weight vector accumulators).
bool ct_conv_backward_weight(ct_dtype dtype, const ct_conv_geometry *g, const void *x, const void *gy, void *gw);

// MARK: Threads

/// Sets the number of threads kernels may use (1 = no threading).
void ct_set_num_threads(int32_t n);
/// The thread count in effect on the calling thread.
int32_t ct_get_num_threads(void);
/// Overrides the thread count for work started from the calling thread only
/// (0 removes the override), so a test can vary it without changing what
/// other threads compute.
void ct_set_local_num_threads(int32_t n);

// MARK: Small buffers (buffers.c)

/// The size (bytes) below which tensor buffers come from the per-thread cache.
int64_t ct_small_buffer_limit(void);
/// A 64-byte-aligned buffer of at least `bytes` bytes (`bytes` < the limit),
/// reused from the calling thread's cache when one of its size class is there.
void *ct_small_buffer_alloc(int64_t bytes);
/// Returns a buffer from `ct_small_buffer_alloc` (with the same `bytes`) to
/// the calling thread's cache, or to the system when the cache is full.
void ct_small_buffer_free(void *p, int64_t bytes);

// MARK: Backends

/// The vector instruction set in use: 0 portable, 1 AVX2+FMA, 2 AVX-512.
int32_t ct_simd_level(void);
/// Its name: "generic", "avx2" or "avx512".
const char *ct_simd_name(void);
/// Forces an instruction set (for tests and benchmarks) for work started from
/// the calling thread, capped at what the CPU supports; a negative level
/// removes the override. Returns the level in effect.
int32_t ct_set_simd_level(int32_t level);

/// 1 if an external CBLAS is loaded (COTANGENT_BLAS: unset or "auto" tries
/// libopenblas.so.0, libcblas.so.3, libblas.so.3 at first use; "off" never loads
/// one; a path loads that library). Triggers the attempt.
int32_t ct_blas_active(void);

/// The path the calling thread's most recent ct_gemm took: the library's name,
/// e.g. "openblas (libopenblas.so.0, SkylakeX)", "cotangent-avx512" (or -avx2,
/// -generic), or "loop" (integers, K == 0). Before any call on this thread, the
/// path a large float32 GEMM would take.
const char *ct_gemm_backend_name(void);

/// Sets, for the calling thread, the size (M * N * K multiply-adds) from which
/// float GEMMs go to the loaded CBLAS: 0 sends every expressible one there (for tests), a negative
/// value restores the default. By default only an explicitly named library, or
/// an OpenBLAS whose kernels match this CPU's vector width, is used, and only
/// for products where it measured faster than ours. Returns the previous value
/// (-1 for the default).
int64_t ct_gemm_set_blas_threshold(int64_t macs);

// MARK: attention

/// C[i, j] = alpha * A[i, j] @ B[i, j] + beta * C[i, j] for a b0 x b1 grid of
/// matrix products (batch and head), as ct_gemm with each operand's two batch
/// strides (in elements) before its row and column strides. The products run
/// one per thread of the pool, each single-threaded (batched_gemm.c).
void ct_gemm_batched(ct_dtype dtype, int64_t b0, int64_t b1, int64_t M, int64_t N, int64_t K, double alpha,
                     const void *A, int64_t sa0, int64_t sa1, int64_t rsa, int64_t csa,
                     const void *B, int64_t sb0, int64_t sb1, int64_t rsb, int64_t csb, double beta,
                     void *C, int64_t sc0, int64_t sc1, int64_t rsc, int64_t csc);

/// Unmasked attention forward for a b0 x b1 grid of heads (attention.c): per head,
/// P = softmax(scale · Q Kᵀ) ([L, S]) and O = P V ([L, E]). q, k, v are read
/// through their four strides (batch, head, row, column; in elements); p and o
/// are contiguous [b0, b1, L, S] and [b0, b1, L, E]. float32 and float64.
void ct_attention_forward(ct_dtype dtype, int64_t b0, int64_t b1, int64_t L, int64_t S, int64_t E, double scale,
                          const void *q, const int64_t *qs, const void *k, const int64_t *ks,
                          const void *v, const int64_t *vs, void *p, void *o);

/// The backward of ct_attention_forward for the output gradient go (strides gs):
/// dV = Pᵀ dO, dS = P ⊙ (dO Vᵀ − rowsum(dO ⊙ O)) (written into ds, contiguous
/// [b0, b1, L, S]), dQ = scale · dS K, dK = scale · dSᵀ Q; dq [b0, b1, L, E],
/// dk and dv [b0, b1, S, E], contiguous. Each head runs on one thread.
void ct_attention_backward(ct_dtype dtype, int64_t b0, int64_t b1, int64_t L, int64_t S, int64_t E, double scale,
                           const void *q, const int64_t *qs, const void *k, const int64_t *ks,
                           const void *v, const int64_t *vs, const void *p, const void *o,
                           const void *go, const int64_t *gs, void *ds, void *dq, void *dk, void *dv);

// MARK: recurrent

/// The elementwise part of an LSTM step (lstm.c), float32/float64: from the
/// summed gates ([B, 4H] contiguous, stacked i, f, g, o) and the cell state c0
/// (row and column strides), writes the activations act = [σ(i), σ(f), tanh(g),
/// σ(o)] ([B, 4H]), c1 = f·c0 + i·g, tanh(c1) and h1 = o·tanh(c1) ([B, H] each,
/// contiguous), with the kernels (and so the values) of those ops one by one.
void ct_lstm_cell_forward(ct_dtype dtype, int64_t B, int64_t H, const void *gates, const void *c0,
                          int64_t c0_rs, int64_t c0_cs, void *act, void *c1, void *tanh_c1, void *h1);

/// The backward of c1 = f·c0 + i·g for the gradient dc1 (strides g_rs, g_cs):
/// dgates ([B, 4H], zero in the o columns) and, unless NULL, dc0 = dc1·f ([B, H]).
void ct_lstm_cell_backward_c(ct_dtype dtype, int64_t B, int64_t H, const void *dc1, int64_t g_rs, int64_t g_cs,
                             const void *act, const void *c0, int64_t c0_rs, int64_t c0_cs, void *dgates, void *dc0);

/// The backward of h1 = o·tanh(c1) for the gradient dh1 (strides g_rs, g_cs):
/// dgates ([B, 4H], zero outside the o columns) and, unless NULL, dc1 ([B, H]).
void ct_lstm_cell_backward_h(ct_dtype dtype, int64_t B, int64_t H, const void *dh1, int64_t g_rs, int64_t g_cs,
                             const void *act, const void *tanh_c1, void *dgates, void *dc1);

#ifdef __cplusplus
}
#endif
#endif
