// gather and scatter along one dimension (torch.gather, scatter, scatter_add,
// scatter_reduce). The iteration space is the index tensor's shape; a "line"
// is the run along `dim` with the other coordinates fixed. Lines write to
// disjoint lines of the destination, so they run in parallel while each line
// runs in order (repeated indices reduce in a fixed order: deterministic).
#include "internal.h"
#include <math.h>
#include <string.h>

typedef struct {
    ct_dtype dtype;
    int32_t ndim, dim;
    const int64_t *shape;
    char *src; const int64_t *ss;   // gather: the source; scatter: the values
    char *dst; const int64_t *ds;   // gather: the output; scatter: the destination
    const int64_t *index; const int64_t *is;
    int64_t dim_size;               // the size of the dimension the index points into
    int reduce;                     // ct_scatter_reduce, or -1 for gather
    int64_t *counts; const int64_t *cs;  // per destination element: how many values arrived
    int64_t bad;                    // an out-of-range index value, if any
    int has_bad;
} ct_gather_ctx;

static void ct_line_offsets(const ct_gather_ctx *c, int64_t line, int64_t *os, int64_t *od, int64_t *oi, int64_t *oc) {
    *os = *od = *oi = *oc = 0;
    for (int32_t d = c->ndim - 1; d >= 0; d--) {
        if (d == c->dim) continue;
        const int64_t k = line % c->shape[d];
        line /= c->shape[d];
        *os += k * c->ss[d];
        *od += k * c->ds[d];
        *oi += k * c->is[d];
        if (c->cs) *oc += k * c->cs[d];
    }
}

// The inner loop along `dim` for one line, specialised by element type (and,
// for scatters, by the reduction) so the loop body is a load and a store. The
// context's fields are copied into locals (stores through `d` could otherwise
// alias them, so they would be reloaded every element), and lines whose index
// and values are unit-stride get a loop without the stride multiplications.
#define CT_GATHER_LINE(T)                                                            \
    {                                                                                \
        T *restrict d = (T *)c->dst + od;                                            \
        const T *restrict s = (const T *)c->src + os;                                \
        const int64_t *restrict ix = c->index + oi;                                  \
        const uint64_t size = (uint64_t)c->dim_size;                                 \
        for (int64_t k = 0; k < n; k++) {                                            \
            const int64_t q = ix[k * id];                                            \
            if ((uint64_t)q >= size) { c->bad = q; c->has_bad = 1; return; }         \
            d[k * dd] = s[q * sd];                                                   \
        }                                                                            \
    }

#define CT_SCATTER_LOOP(T, COMBINE, COUNT, ID, SD)                                   \
    for (int64_t k = 0; k < n; k++) {                                                \
        const int64_t q = ix[k * (ID)];                                              \
        if ((uint64_t)q >= size) { c->bad = q; c->has_bad = 1; return; }             \
        COUNT;                                                                       \
        T *e = &d[q * dd];                                                           \
        const T v = s[k * (SD)];                                                     \
        COMBINE;                                                                     \
    }

#define CT_SCATTER_LINE(T, COMBINE)                                                  \
    {                                                                                \
        T *restrict d = (T *)c->dst + od;                                            \
        const T *restrict s = (const T *)c->src + os;                                \
        const int64_t *restrict ix = c->index + oi;                                  \
        int64_t *restrict counts = c->counts;                                        \
        const uint64_t size = (uint64_t)c->dim_size;                                 \
        if (counts) CT_SCATTER_LOOP(T, COMBINE, counts[oc + q * cd] += 1, id, sd)    \
        else if (id == 1 && sd == 1) CT_SCATTER_LOOP(T, COMBINE, (void)0, 1, 1)      \
        else CT_SCATTER_LOOP(T, COMBINE, (void)0, id, sd)                            \
    }

#define CT_SCATTER_REDUCTIONS(T)                                                     \
    switch (c->reduce) {                                                             \
    case CT_SCATTER_ASSIGN: CT_SCATTER_LINE(T, *e = v) break;                        \
    case CT_SCATTER_SUM: case CT_SCATTER_MEAN: CT_SCATTER_LINE(T, *e += v) break;    \
    case CT_SCATTER_PROD: CT_SCATTER_LINE(T, *e *= v) break;                         \
    case CT_SCATTER_AMAX: CT_SCATTER_LINE(T, if (v != v || v > *e) *e = v) break;    \
    case CT_SCATTER_AMIN: CT_SCATTER_LINE(T, if (v != v || v < *e) *e = v) break;    \
    }

static void ct_gather_lines(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    ct_gather_ctx *c = (ct_gather_ctx *)arg;
    const int64_t n = c->shape[c->dim], sd = c->ss[c->dim], dd = c->ds[c->dim], id = c->is[c->dim];
    const int64_t cd = c->cs ? c->cs[c->dim] : 0;
    for (int64_t line = begin; line < end; line++) {
        int64_t os, od, oi, oc;
        ct_line_offsets(c, line, &os, &od, &oi, &oc);
        (void)oc;
        if (c->reduce < 0) {  // gather: out[k] = src[index[k]]
            switch (ct_dtype_byte_size(c->dtype)) {
            case 1: CT_GATHER_LINE(uint8_t) break;
            case 2: CT_GATHER_LINE(uint16_t) break;
            case 4: CT_GATHER_LINE(uint32_t) break;
            default: CT_GATHER_LINE(uint64_t) break;
            }
            continue;
        }
        switch (c->dtype) {
        case CT_F32: CT_SCATTER_REDUCTIONS(float) break;
        case CT_F64: CT_SCATTER_REDUCTIONS(double) break;
        case CT_I32: CT_SCATTER_REDUCTIONS(int32_t) break;
        case CT_I64: CT_SCATTER_REDUCTIONS(int64_t) break;
        case CT_I8: CT_SCATTER_REDUCTIONS(int8_t) break;
        case CT_U8: CT_SCATTER_REDUCTIONS(uint8_t) break;
        case CT_I16: CT_SCATTER_REDUCTIONS(int16_t) break;
        case CT_F16: CT_SCATTER_REDUCTIONS(ct_f16) break;
        case CT_BF16: CT_SCATTER_REDUCTIONS(ct_bf16) break;
        case CT_BOOL:
            switch (c->reduce) {
            case CT_SCATTER_ASSIGN: CT_SCATTER_LINE(uint8_t, *e = v) break;
            case CT_SCATTER_SUM: case CT_SCATTER_MEAN: case CT_SCATTER_AMAX: CT_SCATTER_LINE(uint8_t, *e |= v) break;
            default: CT_SCATTER_LINE(uint8_t, *e &= v) break;
            }
            break;
        }
    }
}

static bool ct_gather_run(ct_gather_ctx *c, int64_t *bad_index) {
    int64_t total = 1;
    for (int32_t d = 0; d < c->ndim; d++) total *= c->shape[d];
    if (total == 0) return true;
    const int64_t n = c->shape[c->dim];
    const int64_t lines = total / n;
    int64_t grain = (1 << 14) / n;
    if (grain < 1) grain = 1;
    ct_parallel_disjoint(lines, grain, ct_gather_lines, c);
    if (c->has_bad && bad_index) *bad_index = c->bad;
    return !c->has_bad;
}

bool ct_gather(ct_dtype dtype, int32_t ndim, const int64_t *shape, int32_t dim, int64_t dim_size,
               const void *src, const int64_t *src_strides, const int64_t *index, const int64_t *index_strides,
               void *out, const int64_t *out_strides, int64_t *bad_index) {
    static const int64_t one = 1, zero = 0;
    if (ndim == 0) { ndim = 1; shape = &one; src_strides = index_strides = out_strides = &zero; }
    ct_gather_ctx c = {
        .dtype = dtype, .ndim = ndim, .dim = dim, .shape = shape, .src = (char *)src, .ss = src_strides,
        .dst = (char *)out, .ds = out_strides, .index = index, .is = index_strides, .dim_size = dim_size,
        .reduce = -1,
    };
    return ct_gather_run(&c, bad_index);
}

bool ct_scatter(ct_dtype dtype, ct_scatter_reduce reduce, int32_t ndim, const int64_t *shape, int32_t dim,
                int64_t dim_size, void *dst, const int64_t *dst_strides, const int64_t *index,
                const int64_t *index_strides, const void *values, const int64_t *value_strides,
                int64_t *counts, const int64_t *count_strides, int64_t *bad_index) {
    static const int64_t one = 1, zero = 0;
    if (ndim == 0) {
        ndim = 1; shape = &one; dst_strides = index_strides = value_strides = &zero;
        if (count_strides) count_strides = &zero;
    }
    ct_gather_ctx c = {
        .dtype = dtype, .ndim = ndim, .dim = dim, .shape = shape, .src = (char *)values, .ss = value_strides,
        .dst = (char *)dst, .ds = dst_strides, .index = index, .is = index_strides, .dim_size = dim_size,
        .reduce = (int)reduce, .counts = counts, .cs = count_strides,
    };
    return ct_gather_run(&c, bad_index);
}
