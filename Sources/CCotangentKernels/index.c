// Gathering and scattering rows picked by precomputed offsets: the loops of
// tensor indexing (x[i], x[i, j], x[mask]), indexSelect and their gradients.
//
// The geometry: an "outer" iteration space (the dims before the indexed ones),
// n picked positions given as element offsets, and an "inner" iteration space
// (the dims after them). The contiguous side has shape [outer..., n, inner...].
#include "internal.h"
#include "loops.h"
#include <string.h>

typedef struct {
    int64_t esize;
    int32_t outer_ndim, inner_ndim;
    const int64_t *outer_shape, *outer_strides, *inner_shape, *inner_strides;
    int64_t n;
    const int64_t *offsets;
    int64_t inner_count;
    bool inner_flat;  // the inner block is contiguous in the strided tensor
    char *strided;
    char *packed;
    ct_dtype dtype;
    int mode;  // 0 gather, 1 put, 2 accumulate
} ct_index_ctx;

static int64_t ct_offset_of(int64_t flat, int32_t ndim, const int64_t *shape, const int64_t *strides) {
    int64_t off = 0;
    for (int32_t d = ndim - 1; d >= 0; d--) {
        off += (flat % shape[d]) * strides[d];
        flat /= shape[d];
    }
    return off;
}

#define CT_ACCUMULATE(T)                                                             \
    for (int64_t j = 0; j < c->inner_count; j++) {                                   \
        int64_t off = c->inner_flat ? j : ct_offset_of(j, c->inner_ndim, c->inner_shape, c->inner_strides); \
        ((T *)s)[off] += ((const T *)p)[j];                                          \
    }

// One (outer, i) row: the inner block between the strided and packed sides.
static void ct_index_row(const ct_index_ctx *c, int64_t row) {
    const int64_t o = row / c->n, i = row % c->n;
    char *s = c->strided + (ct_offset_of(o, c->outer_ndim, c->outer_shape, c->outer_strides) + c->offsets[i]) * c->esize;
    char *p = c->packed + row * c->inner_count * c->esize;
    if (c->mode == 2) {
        switch (c->dtype) {
        case CT_F32: CT_ACCUMULATE(float); break;
        case CT_F64: CT_ACCUMULATE(double); break;
        case CT_I32: CT_ACCUMULATE(int32_t); break;
        case CT_I64: CT_ACCUMULATE(int64_t); break;
        case CT_I8: CT_ACCUMULATE(int8_t); break;
        case CT_U8: CT_ACCUMULATE(uint8_t); break;
        case CT_I16: CT_ACCUMULATE(int16_t); break;
        case CT_F16: CT_ACCUMULATE(ct_f16); break;
        case CT_BF16: CT_ACCUMULATE(ct_bf16); break;
        case CT_BOOL:
            for (int64_t j = 0; j < c->inner_count; j++) {
                int64_t off = c->inner_flat ? j : ct_offset_of(j, c->inner_ndim, c->inner_shape, c->inner_strides);
                s[off] = (char)(s[off] | p[j]);
            }
            break;
        }
        return;
    }
    if (c->inner_flat) {
        if (c->mode == 0) memcpy(p, s, (size_t)(c->inner_count * c->esize));
        else memcpy(s, p, (size_t)(c->inner_count * c->esize));
        return;
    }
    for (int64_t j = 0; j < c->inner_count; j++) {
        char *e = s + ct_offset_of(j, c->inner_ndim, c->inner_shape, c->inner_strides) * c->esize;
        if (c->mode == 0) memcpy(p + j * c->esize, e, (size_t)c->esize);
        else memcpy(e, p + j * c->esize, (size_t)c->esize);
    }
}

static void ct_index_rows_range(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_index_ctx *c = (const ct_index_ctx *)arg;
    for (int64_t r = begin; r < end; r++) ct_index_row(c, r);
}

// Writes run each outer position's rows in order on one thread, so repeated
// offsets add up (or the last one wins) in a fixed order.
static void ct_index_outer_range(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_index_ctx *c = (const ct_index_ctx *)arg;
    for (int64_t o = begin; o < end; o++)
        for (int64_t i = 0; i < c->n; i++) ct_index_row(c, o * c->n + i);
}

static void ct_index_run(ct_index_ctx *c) {
    int64_t outer = 1;
    for (int32_t d = 0; d < c->outer_ndim; d++) outer *= c->outer_shape[d];
    c->inner_count = 1;
    for (int32_t d = 0; d < c->inner_ndim; d++) c->inner_count *= c->inner_shape[d];
    if (outer == 0 || c->n == 0 || c->inner_count == 0) return;
    // Row-major contiguity of the inner block (size-1 dims do not matter).
    c->inner_flat = true;
    int64_t expect = 1;
    for (int32_t d = c->inner_ndim - 1; d >= 0; d--) {
        if (c->inner_shape[d] != 1 && c->inner_strides[d] != expect) c->inner_flat = false;
        expect *= c->inner_shape[d];
    }
    const int64_t rows = outer * c->n;
    // About 32K elements per chunk: row copies are memory-bound.
    int64_t grain = (1 << 15) / c->inner_count;
    if (grain < 1) grain = 1;
    // Writes (put or accumulate) keep each outer position's rows on one thread.
    if (c->mode != 0) ct_parallel_disjoint(outer, grain / c->n + 1, ct_index_outer_range, c);
    else ct_parallel_disjoint(rows, grain, ct_index_rows_range, c);
}

void ct_index_gather(ct_dtype dtype, int32_t outer_ndim, const int64_t *outer_shape, const int64_t *outer_strides,
                     int64_t n, const int64_t *offsets, int32_t inner_ndim, const int64_t *inner_shape,
                     const int64_t *inner_strides, const void *src, void *out) {
    ct_index_ctx c = {
        .esize = (int64_t)ct_dtype_byte_size(dtype), .outer_ndim = outer_ndim, .inner_ndim = inner_ndim,
        .outer_shape = outer_shape, .outer_strides = outer_strides, .inner_shape = inner_shape,
        .inner_strides = inner_strides, .n = n, .offsets = offsets, .strided = (char *)src, .packed = (char *)out,
        .dtype = dtype, .mode = 0,
    };
    ct_index_run(&c);
}

void ct_index_scatter(ct_dtype dtype, bool accumulate, int32_t outer_ndim, const int64_t *outer_shape,
                      const int64_t *outer_strides, int64_t n, const int64_t *offsets, int32_t inner_ndim,
                      const int64_t *inner_shape, const int64_t *inner_strides, void *dst, const void *values) {
    ct_index_ctx c = {
        .esize = (int64_t)ct_dtype_byte_size(dtype), .outer_ndim = outer_ndim, .inner_ndim = inner_ndim,
        .outer_shape = outer_shape, .outer_strides = outer_strides, .inner_shape = inner_shape,
        .inner_strides = inner_strides, .n = n, .offsets = offsets, .strided = (char *)dst,
        .packed = (char *)values, .dtype = dtype, .mode = accumulate ? 2 : 1,
    };
    ct_index_run(&c);
}
