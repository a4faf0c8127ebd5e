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

#define CT_SCATTER_CASES(T)                                                          \
    {                                                                                \
        T *d = (T *)c->dst + od;                                                     \
        const T *s = (const T *)c->src + os;                                         \
        switch (c->reduce) {                                                         \
        case CT_SCATTER_ASSIGN: d[q * dd] = s[k * sd]; break;                         \
        case CT_SCATTER_SUM: case CT_SCATTER_MEAN: d[q * dd] += s[k * sd]; break;     \
        case CT_SCATTER_PROD: d[q * dd] *= s[k * sd]; break;                          \
        case CT_SCATTER_AMAX: { T v = s[k * sd], *e = &d[q * dd];                     \
            if (v != v || v > *e) *e = v; break; }                                    \
        case CT_SCATTER_AMIN: { T v = s[k * sd], *e = &d[q * dd];                     \
            if (v != v || v < *e) *e = v; break; }                                    \
        }                                                                            \
    }

static void ct_gather_lines(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    ct_gather_ctx *c = (ct_gather_ctx *)arg;
    const int64_t n = c->shape[c->dim], sd = c->ss[c->dim], dd = c->ds[c->dim], id = c->is[c->dim];
    const int64_t cd = c->cs ? c->cs[c->dim] : 0;
    const size_t es = ct_dtype_byte_size(c->dtype);
    for (int64_t line = begin; line < end; line++) {
        int64_t os, od, oi, oc;
        ct_line_offsets(c, line, &os, &od, &oi, &oc);
        for (int64_t k = 0; k < n; k++) {
            const int64_t q = c->index[oi + k * id];
            if (q < 0 || q >= c->dim_size) {
                c->bad = c->index[oi + k * id];
                c->has_bad = 1;
                return;
            }
            if (c->reduce < 0) {  // gather: out[k] = src[q]
                memcpy(c->dst + (od + k * dd) * (int64_t)es, c->src + (os + q * sd) * (int64_t)es, es);
                continue;
            }
            if (c->counts) c->counts[oc + q * cd] += 1;
            switch (c->dtype) {
            case CT_F32: CT_SCATTER_CASES(float) break;
            case CT_F64: CT_SCATTER_CASES(double) break;
            case CT_I32: CT_SCATTER_CASES(int32_t) break;
            case CT_I64: CT_SCATTER_CASES(int64_t) break;
            case CT_BOOL: {
                uint8_t *d = (uint8_t *)c->dst + od;
                const uint8_t *s = (const uint8_t *)c->src + os;
                switch (c->reduce) {
                case CT_SCATTER_ASSIGN: d[q * dd] = s[k * sd]; break;
                case CT_SCATTER_SUM: case CT_SCATTER_MEAN: case CT_SCATTER_AMAX: d[q * dd] |= s[k * sd]; break;
                default: d[q * dd] &= s[k * sd]; break;
                }
                break;
            }
            }
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
    ct_parallel_for(lines, grain, ct_gather_lines, c);
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
