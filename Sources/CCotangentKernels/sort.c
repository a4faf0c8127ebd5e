// Sorting and selection along the last axis of contiguous rows (torch.sort,
// argsort, topk, kthvalue, median). Elements are (value, index) pairs compared
// by value, NaN above everything (as PyTorch orders it), then by index, so
// the order is total: any algorithm gives the stable result, and equal values
// keep their original order both ascending and descending, as PyTorch's
// stable sort does.
#include "internal.h"
#include <stdlib.h>
#include <string.h>

// BEFORE(a, b): whether pair a goes before pair b.
#define CT_ASC(a, b)                                                                   \
    (((a).v == (a).v && (b).v != (b).v) || (a).v < (b).v ||                            \
     ((((a).v == (b).v) || ((a).v != (a).v && (b).v != (b).v)) && (a).i < (b).i))
#define CT_DESC(a, b)                                                                  \
    (((a).v != (a).v && (b).v == (b).v) || (a).v > (b).v ||                            \
     ((((a).v == (b).v) || ((a).v != (a).v && (b).v != (b).v)) && (a).i < (b).i))

#define CT_DEFINE_SORT(SFX, T)                                                         \
    typedef struct { T v; int64_t i; } ct_pair_##SFX;                                  \
    /* Bottom-up merge sort of p[0..n) using tmp; returns the buffer holding the result. */ \
    static ct_pair_##SFX *ct_msort_##SFX(ct_pair_##SFX *p, ct_pair_##SFX *tmp, int64_t n, bool desc) { \
        /* Insertion sort of runs of 16 first. */                                      \
        for (int64_t s = 0; s < n; s += 16) {                                          \
            int64_t e = s + 16 < n ? s + 16 : n;                                       \
            for (int64_t j = s + 1; j < e; j++) {                                      \
                ct_pair_##SFX key = p[j];                                              \
                int64_t k = j - 1;                                                     \
                while (k >= s && (desc ? CT_DESC(key, p[k]) : CT_ASC(key, p[k]))) { p[k + 1] = p[k]; k--; } \
                p[k + 1] = key;                                                        \
            }                                                                          \
        }                                                                              \
        ct_pair_##SFX *src = p, *dst = tmp;                                            \
        for (int64_t w = 16; w < n; w *= 2) {                                          \
            for (int64_t s = 0; s < n; s += 2 * w) {                                   \
                int64_t mid = s + w < n ? s + w : n, e = s + 2 * w < n ? s + 2 * w : n; \
                int64_t a = s, b = mid, o = s;                                         \
                while (a < mid && b < e) {                                             \
                    bool takeB = desc ? CT_DESC(src[b], src[a]) : CT_ASC(src[b], src[a]); \
                    dst[o++] = takeB ? src[b++] : src[a++];                            \
                }                                                                      \
                while (a < mid) dst[o++] = src[a++];                                   \
                while (b < e) dst[o++] = src[b++];                                     \
            }                                                                          \
            ct_pair_##SFX *t = src; src = dst; dst = t;                                \
        }                                                                              \
        return src;                                                                    \
    }                                                                                  \
    /* Puts the k first pairs (in sort order) in p[0..k), in no order (quickselect). */ \
    static void ct_select_##SFX(ct_pair_##SFX *p, int64_t n, int64_t k, bool desc) {   \
        int64_t lo = 0, hi = n - 1;                                                    \
        while (hi > lo) {                                                              \
            /* Median of three as the pivot. */                                        \
            int64_t mid = lo + (hi - lo) / 2;                                          \
            ct_pair_##SFX a = p[lo], b = p[mid], c = p[hi], pivot;                     \
            bool ab = desc ? CT_DESC(a, b) : CT_ASC(a, b);                             \
            bool bc = desc ? CT_DESC(b, c) : CT_ASC(b, c);                             \
            bool ac = desc ? CT_DESC(a, c) : CT_ASC(a, c);                             \
            pivot = ab ? (bc ? b : (ac ? c : a)) : (ac ? a : (bc ? c : b));            \
            int64_t i = lo, j = hi;                                                    \
            while (i <= j) {                                                           \
                while (desc ? CT_DESC(p[i], pivot) : CT_ASC(p[i], pivot)) i++;         \
                while (desc ? CT_DESC(pivot, p[j]) : CT_ASC(pivot, p[j])) j--;         \
                if (i <= j) { ct_pair_##SFX t = p[i]; p[i] = p[j]; p[j] = t; i++; j--; } \
            }                                                                          \
            if (k - 1 <= j) hi = j;                                                    \
            else if (k - 1 >= i) lo = i;                                               \
            else return;                                                               \
        }                                                                              \
    }

// The k first pairs by keeping a heap of the k best seen so far (its root the
// worst of them): O(n log k), and one comparison for most elements when k << n.
#define CT_DEFINE_HEAP(SFX, T)                                                         \
    static void ct_heap_select_##SFX(const T *x, int64_t n, int64_t k, bool desc, ct_pair_##SFX *h) { \
        /* h[0] is the pair that would come last among the kept ones. */               \
        for (int64_t j = 0; j < n; j++) {                                              \
            ct_pair_##SFX e = {x[j], j};                                               \
            int64_t pos;                                                               \
            if (j < k) {                                                               \
                pos = j;                                                               \
                while (pos > 0) {  /* sift up: the parent must come after its children */ \
                    int64_t parent = (pos - 1) / 2;                                    \
                    if (!(desc ? CT_DESC(h[parent], e) : CT_ASC(h[parent], e))) break;  \
                    h[pos] = h[parent];                                                \
                    pos = parent;                                                      \
                }                                                                      \
                h[pos] = e;                                                            \
                continue;                                                              \
            }                                                                          \
            if (!(desc ? CT_DESC(e, h[0]) : CT_ASC(e, h[0]))) continue;                \
            pos = 0;                                                                   \
            for (;;) {  /* sift down */                                                \
                int64_t a = 2 * pos + 1, b = a + 1, worst = pos;                       \
                ct_pair_##SFX w = e;                                                   \
                if (a < k && (desc ? CT_DESC(w, h[a]) : CT_ASC(w, h[a]))) { worst = a; w = h[a]; } \
                if (b < k && (desc ? CT_DESC(w, h[b]) : CT_ASC(w, h[b]))) { worst = b; w = h[b]; } \
                if (worst == pos) break;                                               \
                h[pos] = h[worst];                                                     \
                pos = worst;                                                           \
            }                                                                          \
            h[pos] = e;                                                                \
        }                                                                              \
    }

// Radix sort on order-preserving unsigned keys (floats: sign-flipped bits,
// -0 as +0 and every NaN as the largest key, so equal values tie and stay in
// index order: LSD radix sort is stable). Descending inverts the keys.
#define CT_DEFINE_RADIX(SFX, T, U, KEY)                                                \
    static void ct_radix_##SFX(const T *x, int64_t n, bool desc, T *values, int64_t *indices, \
                               U *keys, U *keys2, int64_t *idx2) {                     \
        for (int64_t j = 0; j < n; j++) { U key = KEY(x[j]); keys[j] = desc ? (U)~key : key; indices[j] = j; } \
        U *kin = keys, *kout = keys2;                                                  \
        int64_t *iin = indices, *iout = idx2;                                          \
        for (int shift = 0; shift < (int)(8 * sizeof(U)); shift += 8) {                \
            int64_t count[257] = {0};                                                  \
            for (int64_t j = 0; j < n; j++) count[((kin[j] >> shift) & 0xff) + 1]++;  \
            /* A digit every key shares reorders nothing. */                          \
            bool trivial = false;                                                      \
            for (int b = 1; b <= 256; b++) if (count[b] == n) { trivial = true; break; } \
            if (trivial) continue;                                                     \
            for (int b = 1; b <= 256; b++) count[b] += count[b - 1];                   \
            for (int64_t j = 0; j < n; j++) {                                          \
                int64_t o = count[(kin[j] >> shift) & 0xff]++;                         \
                kout[o] = kin[j];                                                      \
                iout[o] = iin[j];                                                      \
            }                                                                          \
            U *tk = kin; kin = kout; kout = tk;                                        \
            int64_t *ti = iin; iin = iout; iout = ti;                                  \
        }                                                                              \
        if (iin != indices) memcpy(indices, iin, (size_t)n * sizeof(int64_t));         \
        if (values) for (int64_t j = 0; j < n; j++) values[j] = x[indices[j]];         \
    }

static inline uint32_t ct_key_f32(float v) {
    if (v != v) return 0xffffffffu;
    if (v == 0) v = 0;
    uint32_t b;
    memcpy(&b, &v, 4);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
static inline uint64_t ct_key_f64(double v) {
    if (v != v) return ~0ull;
    if (v == 0) v = 0;
    uint64_t b;
    memcpy(&b, &v, 8);
    return (b >> 63) ? ~b : (b | (1ull << 63));
}
static inline uint32_t ct_key_i32(int32_t v) { return (uint32_t)v ^ 0x80000000u; }
static inline uint64_t ct_key_i64(int64_t v) { return (uint64_t)v ^ (1ull << 63); }
static inline uint32_t ct_key_u8(uint8_t v) { return v; }
static inline uint32_t ct_key_i8(int8_t v) { return (uint32_t)(uint8_t)v ^ 0x80u; }
static inline uint32_t ct_key_i16(int16_t v) { return (uint32_t)(uint16_t)v ^ 0x8000u; }
// The 16-bit floats widen exactly to float, so float's key orders them.
static inline uint32_t ct_key_f16(ct_f16 v) { return ct_key_f32((float)v); }
static inline uint32_t ct_key_bf16(ct_bf16 v) { return ct_key_f32((float)v); }

CT_DEFINE_SORT(f32, float)
CT_DEFINE_SORT(f64, double)
CT_DEFINE_SORT(i32, int32_t)
CT_DEFINE_SORT(i64, int64_t)
CT_DEFINE_SORT(u8, uint8_t)
CT_DEFINE_SORT(i8, int8_t)
CT_DEFINE_SORT(i16, int16_t)
CT_DEFINE_SORT(f16, ct_f16)
CT_DEFINE_SORT(bf16, ct_bf16)
CT_DEFINE_HEAP(f32, float)
CT_DEFINE_HEAP(f64, double)
CT_DEFINE_HEAP(i32, int32_t)
CT_DEFINE_HEAP(i64, int64_t)
CT_DEFINE_HEAP(u8, uint8_t)
CT_DEFINE_HEAP(i8, int8_t)
CT_DEFINE_HEAP(i16, int16_t)
CT_DEFINE_HEAP(f16, ct_f16)
CT_DEFINE_HEAP(bf16, ct_bf16)
CT_DEFINE_RADIX(f32, float, uint32_t, ct_key_f32)
CT_DEFINE_RADIX(f64, double, uint64_t, ct_key_f64)
CT_DEFINE_RADIX(i32, int32_t, uint32_t, ct_key_i32)
CT_DEFINE_RADIX(i64, int64_t, uint64_t, ct_key_i64)
CT_DEFINE_RADIX(u8, uint8_t, uint32_t, ct_key_u8)
CT_DEFINE_RADIX(i8, int8_t, uint32_t, ct_key_i8)
CT_DEFINE_RADIX(i16, int16_t, uint32_t, ct_key_i16)
CT_DEFINE_RADIX(f16, ct_f16, uint32_t, ct_key_f16)
CT_DEFINE_RADIX(bf16, ct_bf16, uint32_t, ct_key_bf16)

// Rows at least this long are radix sorted; shorter ones merge sorted.
#define CT_RADIX_MIN 256

typedef struct {
    ct_dtype dtype;
    int64_t n, k;
    const char *x;
    char *values;
    int64_t *indices;
    bool desc, select;
} ct_sort_ctx;

#define CT_SORT_ROW(SFX, T, U)                                                         \
    {                                                                                  \
        const T *xr = (const T *)c->x + r * c->n;                                      \
        T *vr = c->values ? (T *)c->values + r * c->k : NULL;                          \
        int64_t *ir = c->indices + r * c->k;                                           \
        ct_pair_##SFX *p = (ct_pair_##SFX *)buf, *tmp = p + c->n, *sorted;             \
        if (!c->select && c->n >= CT_RADIX_MIN) {                                      \
            U *keys = (U *)buf, *keys2 = keys + c->n;                                  \
            ct_radix_##SFX(xr, c->n, c->desc, vr, ir, keys, keys2, (int64_t *)(keys2 + c->n)); \
            continue;                                                                  \
        }                                                                              \
        if (c->select && c->k <= 1024 && c->k * 16 <= c->n) {                          \
            ct_heap_select_##SFX(xr, c->n, c->k, c->desc, p);                          \
            sorted = ct_msort_##SFX(p, tmp, c->k, c->desc);                            \
        } else {                                                                       \
            for (int64_t j = 0; j < c->n; j++) { p[j].v = xr[j]; p[j].i = j; }         \
            if (c->select) ct_select_##SFX(p, c->n, c->k, c->desc);                    \
            sorted = ct_msort_##SFX(p, tmp, c->select ? c->k : c->n, c->desc);         \
        }                                                                              \
        for (int64_t j = 0; j < c->k; j++) {                                           \
            if (vr) vr[j] = sorted[j].v;                                               \
            ir[j] = sorted[j].i;                                                       \
        }                                                                              \
    }

static void ct_sort_rows(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_sort_ctx *c = (const ct_sort_ctx *)arg;
    // Pairs of at most 16 bytes, twice (the merge buffer); radix keys and indices fit too.
    char *buf = malloc((size_t)(c->n > 0 ? c->n : 1) * 2 * 16 + 64);
    if (!buf) abort();
    for (int64_t r = begin; r < end; r++) {
        switch (c->dtype) {
        case CT_F32: CT_SORT_ROW(f32, float, uint32_t) break;
        case CT_F64: CT_SORT_ROW(f64, double, uint64_t) break;
        case CT_I32: CT_SORT_ROW(i32, int32_t, uint32_t) break;
        case CT_I64: CT_SORT_ROW(i64, int64_t, uint64_t) break;
        case CT_BOOL: case CT_U8: CT_SORT_ROW(u8, uint8_t, uint32_t) break;
        case CT_I8: CT_SORT_ROW(i8, int8_t, uint32_t) break;
        case CT_I16: CT_SORT_ROW(i16, int16_t, uint32_t) break;
        case CT_F16: CT_SORT_ROW(f16, ct_f16, uint32_t) break;
        case CT_BF16: CT_SORT_ROW(bf16, ct_bf16, uint32_t) break;
        }
    }
    free(buf);
}

static void ct_sort_run(ct_sort_ctx *c, int64_t m) {
    if (m == 0 || c->k == 0) return;
    int64_t grain = (1 << 16) / (c->n > 0 ? c->n : 1);
    ct_parallel_for(m, grain < 1 ? 1 : grain, ct_sort_rows, c);
}

void ct_sort(ct_dtype dtype, int64_t m, int64_t n, const void *x, void *values, int64_t *indices, bool descending) {
    ct_sort_ctx c = {dtype, n, n, (const char *)x, (char *)values, indices, descending, false};
    ct_sort_run(&c, m);
}

void ct_topk(ct_dtype dtype, int64_t m, int64_t n, int64_t k, const void *x, void *values, int64_t *indices,
             bool largest) {
    ct_sort_ctx c = {dtype, n, k, (const char *)x, (char *)values, indices, largest, true};
    ct_sort_run(&c, m);
}
