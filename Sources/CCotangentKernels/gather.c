// gather and scatter along one dimension (torch.gather, scatter, scatter_add,
// scatter_reduce). The iteration space is the index tensor's shape; a "line"
// is the run along `dim` with the other coordinates fixed. Lines write to
// disjoint lines of the destination, so they run in parallel while each line
// runs in order (repeated indices reduce in a fixed order: deterministic).
#include "internal.h"
#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// Unit-stride lines of 4- and 8-byte elements (a gather along a contiguous
// last dimension) with the vector gather instructions: a block of indices is
// range-checked with one compare, then 8 (AVX-512) or 4 (AVX2) elements are
// fetched per instruction; a block with an index out of range, and the tail,
// go through the scalar loop, which stops at the first bad index as before.
// (About 1.35x faster than the scalar loop here, on one core, for 2048-long
// rows of float32: 8.7 -> 6.3 ms CPU time for 4M elements.)
#if defined(__x86_64__)
typedef int (*ct_gather_unit_fn)(int64_t n, void *restrict d, const void *restrict s,
                                 const int64_t *restrict ix, uint64_t size, int64_t *bad);
#define CT_GATHER_TAIL(T)                                                            \
    for (; k < n; k++) {                                                             \
        const int64_t q = ix[k];                                                     \
        if ((uint64_t)q >= size) { *bad = q; return 1; }                             \
        ((T *)d)[k] = ((const T *)s)[q];                                             \
    }                                                                                \
    return 0;

__attribute__((target("avx512f"))) static int ct_gather_unit_u32_avx512(
    int64_t n, void *restrict d, const void *restrict s, const int64_t *restrict ix, uint64_t size, int64_t *bad) {
    const __m512i lim = _mm512_set1_epi64((long long)size);
    int64_t k = 0;
    for (; k + 16 <= n; k += 16) {
        const __m512i i0 = _mm512_loadu_si512(ix + k), i1 = _mm512_loadu_si512(ix + k + 8);
        if (_mm512_cmpge_epu64_mask(i0, lim) | _mm512_cmpge_epu64_mask(i1, lim)) break;
        const __m256i g0 = _mm512_i64gather_epi32(i0, s, 4), g1 = _mm512_i64gather_epi32(i1, s, 4);
        _mm256_storeu_si256((__m256i *)((uint32_t *)d + k), g0);
        _mm256_storeu_si256((__m256i *)((uint32_t *)d + k + 8), g1);
    }
    CT_GATHER_TAIL(uint32_t)
}
__attribute__((target("avx512f"))) static int ct_gather_unit_u64_avx512(
    int64_t n, void *restrict d, const void *restrict s, const int64_t *restrict ix, uint64_t size, int64_t *bad) {
    const __m512i lim = _mm512_set1_epi64((long long)size);
    int64_t k = 0;
    for (; k + 16 <= n; k += 16) {
        const __m512i i0 = _mm512_loadu_si512(ix + k), i1 = _mm512_loadu_si512(ix + k + 8);
        if (_mm512_cmpge_epu64_mask(i0, lim) | _mm512_cmpge_epu64_mask(i1, lim)) break;
        const __m512i g0 = _mm512_i64gather_epi64(i0, s, 8), g1 = _mm512_i64gather_epi64(i1, s, 8);
        _mm512_storeu_si512((uint64_t *)d + k, g0);
        _mm512_storeu_si512((uint64_t *)d + k + 8, g1);
    }
    CT_GATHER_TAIL(uint64_t)
}
// AVX2 has no unsigned 64-bit compare: flipping the sign bits makes the signed one unsigned.
#define CT_GATHER_AVX2_BAD(i0, i1)                                                   \
    (!_mm256_testz_si256(                                                            \
        _mm256_or_si256(_mm256_cmpgt_epi64(_mm256_xor_si256(i0, sign), lim),          \
                        _mm256_cmpgt_epi64(_mm256_xor_si256(i1, sign), lim)),         \
        _mm256_set1_epi64x(-1)))
__attribute__((target("avx2"))) static int ct_gather_unit_u32_avx2(
    int64_t n, void *restrict d, const void *restrict s, const int64_t *restrict ix, uint64_t size, int64_t *bad) {
    const __m256i sign = _mm256_set1_epi64x(INT64_MIN);
    const __m256i lim = _mm256_set1_epi64x((int64_t)((size - 1) ^ (uint64_t)INT64_MIN));  // size >= 1
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
        const __m256i i0 = _mm256_loadu_si256((const __m256i *)(ix + k));
        const __m256i i1 = _mm256_loadu_si256((const __m256i *)(ix + k + 4));
        if (CT_GATHER_AVX2_BAD(i0, i1)) break;
        _mm_storeu_si128((__m128i *)((uint32_t *)d + k), _mm256_i64gather_epi32(s, i0, 4));
        _mm_storeu_si128((__m128i *)((uint32_t *)d + k + 4), _mm256_i64gather_epi32(s, i1, 4));
    }
    CT_GATHER_TAIL(uint32_t)
}
__attribute__((target("avx2"))) static int ct_gather_unit_u64_avx2(
    int64_t n, void *restrict d, const void *restrict s, const int64_t *restrict ix, uint64_t size, int64_t *bad) {
    const __m256i sign = _mm256_set1_epi64x(INT64_MIN);
    const __m256i lim = _mm256_set1_epi64x((int64_t)((size - 1) ^ (uint64_t)INT64_MIN));
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
        const __m256i i0 = _mm256_loadu_si256((const __m256i *)(ix + k));
        const __m256i i1 = _mm256_loadu_si256((const __m256i *)(ix + k + 4));
        if (CT_GATHER_AVX2_BAD(i0, i1)) break;
        _mm256_storeu_si256((__m256i *)((uint64_t *)d + k), _mm256_i64gather_epi64((const long long *)s, i0, 8));
        _mm256_storeu_si256((__m256i *)((uint64_t *)d + k + 4), _mm256_i64gather_epi64((const long long *)s, i1, 8));
    }
    CT_GATHER_TAIL(uint64_t)
}

// The function for elements of `esize` bytes at the instruction set in effect, or NULL.
static ct_gather_unit_fn ct_gather_unit_for(size_t esize) {
    if (esize != 4 && esize != 8) return NULL;
    const int32_t level = ct_simd_level();
    if (level >= 2) return esize == 4 ? ct_gather_unit_u32_avx512 : ct_gather_unit_u64_avx512;
    if (level == 1) return esize == 4 ? ct_gather_unit_u32_avx2 : ct_gather_unit_u64_avx2;
    return NULL;
}
#endif

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
    const size_t esize = ct_dtype_byte_size(c->dtype);
#if defined(__x86_64__)
    const ct_gather_unit_fn unit = c->reduce < 0 && sd == 1 && dd == 1 && id == 1 && c->dim_size > 0
        ? ct_gather_unit_for(esize) : NULL;
#endif
    for (int64_t line = begin; line < end; line++) {
        int64_t os, od, oi, oc;
        ct_line_offsets(c, line, &os, &od, &oi, &oc);
        (void)oc;
#if defined(__x86_64__)
        if (unit) {
            int64_t q;
            if (unit(n, c->dst + od * (int64_t)esize, c->src + os * (int64_t)esize, c->index + oi,
                     (uint64_t)c->dim_size, &q)) {
                c->bad = q; c->has_bad = 1;
                return;
            }
            continue;
        }
#endif
        if (c->reduce < 0) {  // gather: out[k] = src[index[k]]
            switch (esize) {
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
