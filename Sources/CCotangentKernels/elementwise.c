// Elementwise kernels. Each entry point describes its operands as an N-d
// iteration space (ct_nd) and a "span" function that processes one run of the
// innermost dimension. ct_nd_run splits the flat index space into chunks for
// the thread pool (above a grain size) and walks rows; span functions try the
// vectorised kernel (contiguous or broadcast operands, float32/float64) and
// otherwise run a portable loop the compiler can still vectorise.
#include "internal.h"
#include "loops.h"
#include "special.h"
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <tgmath.h>
#include <unistd.h>

typedef uint8_t ct_bool;

// Elements per chunk below which work stays on the calling thread. Cheap ops
// are memory-bound, so only large arrays gain from a second core.
#define CT_GRAIN_CHEAP (1 << 15)
#define CT_GRAIN_MATH (1 << 13)

// MARK: Cache size

// The highest cache level's size from Linux's sysfs (what lscpu reports; in
// some VMs sysconf's figure is the host's total instead), then sysconf's.
static int64_t ct_sysfs_llc_bytes(void) {
    int64_t best = -1;
    int best_level = 0;
    for (int i = 0; i < 10; i++) {
        char path[96], buf[32];
        int level = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        FILE *f = fopen(path, "r");
        if (!f) break;
        if (fscanf(f, "%d", &level) != 1) level = 0;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        f = fopen(path, "r");
        if (!f) continue;
        long long v = 0;
        char unit = 0;
        if (fgets(buf, sizeof buf, f) && sscanf(buf, "%lld%c", &v, &unit) >= 1 && level > best_level) {
            best_level = level;
            best = unit == 'K' ? v << 10 : unit == 'M' ? v << 20 : unit == 'G' ? v << 30 : v;
        }
        fclose(f);
    }
    return best;
}

static _Atomic int64_t ct_llc_override = 0;

void ct_override_llc_bytes(int64_t bytes) { atomic_store_explicit(&ct_llc_override, bytes, memory_order_relaxed); }

int64_t ct_llc_bytes(void) {
    static _Atomic int64_t cached = 0;
    const int64_t forced = atomic_load_explicit(&ct_llc_override, memory_order_relaxed);
    if (forced > 0) return forced;
    int64_t v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v > 0) return v;
    v = ct_sysfs_llc_bytes();
#if defined(_SC_LEVEL3_CACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE)
    if (v <= 0) v = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (v <= 0) v = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    if (v <= 0) v = 8 << 20;
    atomic_store_explicit(&cached, v, memory_order_relaxed);
    return v;
}

// MARK: N-d driver

#define CT_MAX_OPS 4

typedef void (*ct_span_fn)(const void *ctx, int64_t n, char *const *p, const int64_t *inner);

typedef struct {
    int32_t ndim;
    const int64_t *shape;
    int32_t nops;  // inputs first, output last
    char *base[CT_MAX_OPS];
    const int64_t *strides[CT_MAX_OPS];
    int64_t esize[CT_MAX_OPS];
    ct_span_fn span;
    const void *ctx;
} ct_nd;

static void ct_nd_range(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_nd *it = (const ct_nd *)arg;
    const int32_t nd = it->ndim;
    const int64_t n = it->shape[nd - 1];
    int64_t inner[CT_MAX_OPS];
    for (int32_t k = 0; k < it->nops; k++) inner[k] = it->strides[k][nd - 1];
    int64_t r = begin / n, c = begin % n;
    while (begin < end) {
        int64_t len = n - c < end - begin ? n - c : end - begin;
        char *p[CT_MAX_OPS];
        for (int32_t k = 0; k < it->nops; k++) {
            int64_t off = ct_row_offset(r, nd, it->shape, it->strides[k]) + c * inner[k];
            p[k] = it->base[k] + off * it->esize[k];
        }
        it->span(it->ctx, len, p, inner);
        begin += len;
        r++;
        c = 0;
    }
}

static void ct_nd_run(ct_nd *it, int64_t grain) {
    if (it->ndim <= 0) {  // a 0-d tensor: one element
        static const int64_t one = 1, zero = 0;
        it->ndim = 1;
        it->shape = &one;
        for (int32_t k = 0; k < it->nops; k++) it->strides[k] = &zero;
    }
    if (it->ndim == 1 && it->shape[0] < 2 * grain) {
        // One run on this thread (a small flat tensor, the commonest case):
        // straight to the span function, without the row walk.
        if (it->shape[0] <= 0) return;
        int64_t inner[CT_MAX_OPS];
        for (int32_t k = 0; k < it->nops; k++) inner[k] = it->strides[k][0];
        it->span(it->ctx, it->shape[0], it->base, inner);
        return;
    }
    int64_t total = 1;
    for (int32_t d = 0; d < it->ndim; d++) total *= it->shape[d];
    if (total <= 0) return;
    if (total < 2 * grain) ct_nd_range(it, 0, total, 0);
    else ct_parallel_for(total, grain, ct_nd_range, it);
}

static size_t ct_dtype_size(ct_dtype t) { return ct_dtype_byte_size(t); }

// Loops over one run: `v` is the input element, EXPR the output value.
#define CT_UNARY_SEG(T, OT, EXPR) CT_UNARY_SEG_AS(T, T, OT, EXPR)

// Loads elements of storage type S as compute type C (float for the 16-bit floats).
#define CT_UNARY_SEG_AS(S, C, OT, EXPR)                                              \
    do {                                                                             \
        const S *xp = (const S *)p[0];                                               \
        OT *op = (OT *)p[1];                                                         \
        const int64_t ix = inner[0], io = inner[1];                                  \
        if (ix == 1 && io == 1) {                                                    \
            for (int64_t i = 0; i < n; i++) { C v = (C)xp[i]; op[i] = (OT)(EXPR); }  \
        } else {                                                                     \
            for (int64_t i = 0; i < n; i++) { C v = (C)xp[i * ix]; op[i * io] = (OT)(EXPR); } \
        }                                                                            \
    } while (0)

// S is the storage type; T, the compute type, is typedef'd by the enclosing loop.
#define CT_BINARY_SEG(S, OT, EXPR)                                                   \
    do {                                                                             \
        const S *ap = (const S *)p[0], *bp = (const S *)p[1];                        \
        OT *op = (OT *)p[2];                                                         \
        const int64_t ia = inner[0], ib = inner[1], io = inner[2];                   \
        if (ia == 1 && ib == 1 && io == 1) {                                         \
            for (int64_t i = 0; i < n; i++) { T x = (T)ap[i], y = (T)bp[i]; op[i] = (OT)(EXPR); } \
        } else if (ia == 1 && ib == 0 && io == 1) {                                  \
            const T y = (T)bp[0];                                                       \
            for (int64_t i = 0; i < n; i++) { T x = (T)ap[i]; op[i] = (OT)(EXPR); }     \
        } else if (ia == 0 && ib == 1 && io == 1) {                                  \
            const T x = (T)ap[0];                                                       \
            for (int64_t i = 0; i < n; i++) { T y = (T)bp[i]; op[i] = (OT)(EXPR); }     \
        } else {                                                                     \
            for (int64_t i = 0; i < n; i++) {                                        \
                T x = (T)ap[i * ia], y = (T)bp[i * ib];                                    \
                op[i * io] = (OT)(EXPR);                                             \
            }                                                                        \
        }                                                                            \
    } while (0)

// MARK: Unary and binary, expanded from the lists in CotangentOps.h

#define CT_COST_CHEAP CT_GRAIN_CHEAP
#define CT_COST_MATH CT_GRAIN_MATH
#define CT_OUT_SAME S
#define CT_OUT_BOOL ct_bool
#define CT_OUTSIZE_SAME(es) (es)
#define CT_OUTSIZE_BOOL(es) 1

// An integer operand reached an op Swift always runs in float, or two bools an
// op without a bool form: a bug in the caller, never a user's mistake.
__attribute__((noreturn)) static void ct_bad_dtype(void) {
    fprintf(stderr, "Cotangent internal error: elementwise op called with a dtype it does not take\n");
    abort();
}
#define CT_FLOAT_ONLY (ct_bad_dtype(), (T)0)
#define CT_UNSUPPORTED (ct_bad_dtype(), (T)0)

static inline double ct_floordiv_f64(double a, double b) {
    if (b == 0) return a / b;
    double m = fmod(a, b), d = (a - m) / b;
    if (m != 0 && ((b < 0) != (m < 0))) d -= 1;
    double f = floor(d);
    if (d - f > 0.5) f += 1;
    return (d == 0) ? copysign(0.0, a / b) : f;
}
static inline double ct_rem_f64(double a, double b) {
    double m = fmod(a, b);
    if (m != 0 && ((b < 0) != (m < 0))) m += b;
    return m;
}
static inline int64_t ct_ipow(int64_t base, int64_t e) {
    if (e < 0) return base == 1 ? 1 : (base == -1 ? ((e & 1) ? -1 : 1) : 0);
    int64_t r = 1;
    while (e) { if (e & 1) r *= base; base *= base; e >>= 1; }
    return r;
}
static inline int64_t ct_ifloordiv(int64_t a, int64_t b) {
    if (b == 0) return 0;
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}
static inline int64_t ct_irem(int64_t a, int64_t b) {
    if (b == 0) return 0;
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

// How a span stores its results: through the caches, or with non-temporal
// stores (ct_should_stream) followed by a fence, or without the fence when the
// caller fences once after many spans (ct_fused_range).
typedef enum { CT_STORE_CACHED, CT_STORE_STREAM, CT_STORE_STREAM_UNFENCED } ct_store_mode;

typedef struct { ct_unary_op op; ct_dtype dtype; double params[3]; ct_store_mode store; } ct_unary_ctx;

#define CT_UCASE_FLOAT(NAME, FLOAT, INT, OUT, VEC, COST) \
    case CT_##NAME: CT_UNARY_SEG_AS(S, T, CT_OUT_##OUT, FLOAT); break;
#define CT_UCASE_INT(NAME, FLOAT, INT, OUT, VEC, COST) \
    case CT_##NAME: CT_UNARY_SEG_AS(S, T, CT_OUT_##OUT, INT); break;

// One scalar loop per dtype: S is the element (storage) type, T the type the
// list's expressions compute in (float for the 16-bit floats, else S).
#define CT_DEFINE_UNARY_LOOP(FN, STORAGE, COMPUTE, CASE)                             \
    static void FN(const ct_unary_ctx *ctx, int64_t n, char *const *p, const int64_t *inner) { \
        typedef STORAGE S;                                                           \
        typedef COMPUTE T;                                                           \
        const T p0 = (T)ctx->params[0], p1 = (T)ctx->params[1], p2 = (T)ctx->params[2]; \
        (void)p0; (void)p1; (void)p2;                                                \
        switch (ctx->op) { CT_UNARY_OPS(CASE) default: break; }                      \
    }
CT_DEFINE_UNARY_LOOP(ct_unary_loop_f32, float, float, CT_UCASE_FLOAT)
CT_DEFINE_UNARY_LOOP(ct_unary_loop_f64, double, double, CT_UCASE_FLOAT)
CT_DEFINE_UNARY_LOOP(ct_unary_loop_f16, ct_f16, float, CT_UCASE_FLOAT)
CT_DEFINE_UNARY_LOOP(ct_unary_loop_bf16, ct_bf16, float, CT_UCASE_FLOAT)
CT_DEFINE_UNARY_LOOP(ct_unary_loop_i8, int8_t, int8_t, CT_UCASE_INT)
CT_DEFINE_UNARY_LOOP(ct_unary_loop_u8, uint8_t, uint8_t, CT_UCASE_INT)
CT_DEFINE_UNARY_LOOP(ct_unary_loop_i16, int16_t, int16_t, CT_UCASE_INT)
CT_DEFINE_UNARY_LOOP(ct_unary_loop_i32, int32_t, int32_t, CT_UCASE_INT)
CT_DEFINE_UNARY_LOOP(ct_unary_loop_i64, int64_t, int64_t, CT_UCASE_INT)
CT_DEFINE_UNARY_LOOP(ct_unary_loop_bool, ct_bool, ct_bool, CT_UCASE_INT)

static void ct_unary_span(const void *vctx, int64_t n, char *const *p, const int64_t *inner) {
    const ct_unary_ctx *ctx = (const ct_unary_ctx *)vctx;
    const bool contiguous = inner[0] == 1 && inner[1] == 1;
    switch (ctx->dtype) {
    case CT_F32: {
        const ct_kernel_table *K = ct_kernels();
        const bool nt = ctx->store != CT_STORE_CACHED && K->unary_nt_f32;
        bool (*f)(ct_unary_op, int64_t, const float *, float *, const double *) = nt ? K->unary_nt_f32 : K->unary_f32;
        if (contiguous && f && f(ctx->op, n, (const float *)p[0], (float *)p[1], ctx->params)) {
            if (nt && ctx->store == CT_STORE_STREAM) ct_store_fence();
            return;
        }
        ct_unary_loop_f32(ctx, n, p, inner);
        break;
    }
    case CT_F64: {
        const ct_kernel_table *K = ct_kernels();
        const bool nt = ctx->store != CT_STORE_CACHED && K->unary_nt_f64;
        bool (*f)(ct_unary_op, int64_t, const double *, double *, const double *) = nt ? K->unary_nt_f64 : K->unary_f64;
        if (contiguous && f && f(ctx->op, n, (const double *)p[0], (double *)p[1], ctx->params)) {
            if (nt && ctx->store == CT_STORE_STREAM) ct_store_fence();
            return;
        }
        ct_unary_loop_f64(ctx, n, p, inner);
        break;
    }
    case CT_F16: case CT_BF16: {
        const ct_kernel_table *K = ct_kernels();
        const bool f16 = ctx->dtype == CT_F16;
        bool (*f)(ct_unary_op, int64_t, const uint16_t *, uint16_t *) = f16 ? K->unary_f16 : K->unary_bf16;
        if (contiguous && f && f(ctx->op, n, (const uint16_t *)p[0], (uint16_t *)p[1])) return;
        if (f16) ct_unary_loop_f16(ctx, n, p, inner);
        else ct_unary_loop_bf16(ctx, n, p, inner);
        break;
    }
    case CT_I8: ct_unary_loop_i8(ctx, n, p, inner); break;
    case CT_U8: ct_unary_loop_u8(ctx, n, p, inner); break;
    case CT_I16: ct_unary_loop_i16(ctx, n, p, inner); break;
    case CT_I32: ct_unary_loop_i32(ctx, n, p, inner); break;
    case CT_I64: ct_unary_loop_i64(ctx, n, p, inner); break;
    case CT_BOOL: ct_unary_loop_bool(ctx, n, p, inner); break;
    }
}

#define CT_UCASE_GRAIN(NAME, FLOAT, INT, OUT, VEC, COST) case CT_##NAME: return CT_COST_##COST;
#define CT_UCASE_OUTSIZE(NAME, FLOAT, INT, OUT, VEC, COST) case CT_##NAME: return CT_OUTSIZE_##OUT(es);
static int64_t ct_unary_grain(ct_unary_op op) {
    switch (op) { CT_UNARY_OPS(CT_UCASE_GRAIN) default: return CT_GRAIN_CHEAP; }
}
static int64_t ct_unary_out_size(ct_unary_op op, int64_t es) {
    switch (op) { CT_UNARY_OPS(CT_UCASE_OUTSIZE) default: return es; }
}

void ct_unary(ct_unary_op op, ct_dtype dtype, int32_t ndim, const int64_t *shape,
              const void *x, const int64_t *sx, void *out, const int64_t *so, const double *params) {
    ct_unary_ctx ctx = {op, dtype, {0, 0, 0}, CT_STORE_CACHED};
    if (params) memcpy(ctx.params, params, sizeof ctx.params);
    const int64_t es = (int64_t)ct_dtype_size(dtype);
    int64_t count = 1;
    for (int32_t d = 0; d < ndim; d++) count *= shape[d];
    if (ct_should_stream(count * es, count * es)) ctx.store = CT_STORE_STREAM;
    ct_nd it = {
        .ndim = ndim, .shape = shape, .nops = 2,
        .base = {(char *)x, (char *)out}, .strides = {sx, so},
        .esize = {es, ct_unary_out_size(op, es)},
        .span = ct_unary_span, .ctx = &ctx,
    };
    ct_nd_run(&it, ct_unary_grain(op));
}

typedef struct { ct_binary_op op; ct_dtype dtype; double params[3]; ct_store_mode store; } ct_binary_ctx;

#define CT_BCASE_FLOAT(NAME, FLOAT, INT, BOOL, OUT, VEC, COST) \
    case CT_##NAME: CT_BINARY_SEG(S, CT_OUT_##OUT, FLOAT); break;
#define CT_BCASE_INT(NAME, FLOAT, INT, BOOL, OUT, VEC, COST) \
    case CT_##NAME: CT_BINARY_SEG(S, CT_OUT_##OUT, INT); break;
#define CT_BCASE_BOOL(NAME, FLOAT, INT, BOOL, OUT, VEC, COST) \
    case CT_##NAME: CT_BINARY_SEG(S, ct_bool, BOOL); break;

#define CT_DEFINE_BINARY_LOOP(FN, STORAGE, COMPUTE, CASE)                            \
    static void FN(const ct_binary_ctx *ctx, int64_t n, char *const *p, const int64_t *inner) { \
        typedef STORAGE S;                                                           \
        typedef COMPUTE T;                                                           \
        const ct_binary_op op = ctx->op;                                             \
        const T p0 = (T)ctx->params[0], p1 = (T)ctx->params[1], p2 = (T)ctx->params[2]; \
        (void)p0; (void)p1; (void)p2;                                                \
        switch (op) { CT_BINARY_OPS(CASE) default: break; }                          \
    }
CT_DEFINE_BINARY_LOOP(ct_binary_loop_f32, float, float, CT_BCASE_FLOAT)
CT_DEFINE_BINARY_LOOP(ct_binary_loop_f64, double, double, CT_BCASE_FLOAT)
CT_DEFINE_BINARY_LOOP(ct_binary_loop_f16, ct_f16, float, CT_BCASE_FLOAT)
CT_DEFINE_BINARY_LOOP(ct_binary_loop_bf16, ct_bf16, float, CT_BCASE_FLOAT)
CT_DEFINE_BINARY_LOOP(ct_binary_loop_i8, int8_t, int8_t, CT_BCASE_INT)
CT_DEFINE_BINARY_LOOP(ct_binary_loop_u8, uint8_t, uint8_t, CT_BCASE_INT)
CT_DEFINE_BINARY_LOOP(ct_binary_loop_i16, int16_t, int16_t, CT_BCASE_INT)
CT_DEFINE_BINARY_LOOP(ct_binary_loop_i32, int32_t, int32_t, CT_BCASE_INT)
CT_DEFINE_BINARY_LOOP(ct_binary_loop_i64, int64_t, int64_t, CT_BCASE_INT)
CT_DEFINE_BINARY_LOOP(ct_binary_loop_bool, ct_bool, ct_bool, CT_BCASE_BOOL)

static void ct_binary_span(const void *vctx, int64_t n, char *const *p, const int64_t *inner) {
    const ct_binary_ctx *ctx = (const ct_binary_ctx *)vctx;
    const ct_binary_op op = ctx->op;
    // The vector kernels take contiguous or broadcast (stride 0) inputs.
    const bool vec = (uint64_t)inner[0] <= 1 && (uint64_t)inner[1] <= 1 && inner[2] == 1;
    switch (ctx->dtype) {
    case CT_F32: {
        const ct_kernel_table *K = ct_kernels();
        const bool nt = ctx->store != CT_STORE_CACHED && K->binary_nt_f32;
        bool (*f)(ct_binary_op, int64_t, const float *, int64_t, const float *, int64_t, float *) =
            nt ? K->binary_nt_f32 : K->binary_f32;
        if (vec && f && f(op, n, (const float *)p[0], inner[0], (const float *)p[1], inner[1], (float *)p[2])) {
            if (nt && ctx->store == CT_STORE_STREAM) ct_store_fence();
            return;
        }
        ct_binary_loop_f32(ctx, n, p, inner);
        break;
    }
    case CT_F64: {
        const ct_kernel_table *K = ct_kernels();
        const bool nt = ctx->store != CT_STORE_CACHED && K->binary_nt_f64;
        bool (*f)(ct_binary_op, int64_t, const double *, int64_t, const double *, int64_t, double *) =
            nt ? K->binary_nt_f64 : K->binary_f64;
        if (vec && f && f(op, n, (const double *)p[0], inner[0], (const double *)p[1], inner[1], (double *)p[2])) {
            if (nt && ctx->store == CT_STORE_STREAM) ct_store_fence();
            return;
        }
        ct_binary_loop_f64(ctx, n, p, inner);
        break;
    }
    case CT_F16: case CT_BF16: {
        const ct_kernel_table *K = ct_kernels();
        const bool f16 = ctx->dtype == CT_F16;
        bool (*f)(ct_binary_op, int64_t, const uint16_t *, int64_t, const uint16_t *, int64_t, uint16_t *) =
            f16 ? K->binary_f16 : K->binary_bf16;
        if (vec && f && f(op, n, (const uint16_t *)p[0], inner[0], (const uint16_t *)p[1], inner[1], (uint16_t *)p[2]))
            return;
        if (f16) ct_binary_loop_f16(ctx, n, p, inner);
        else ct_binary_loop_bf16(ctx, n, p, inner);
        break;
    }
    case CT_I8: ct_binary_loop_i8(ctx, n, p, inner); break;
    case CT_U8: ct_binary_loop_u8(ctx, n, p, inner); break;
    case CT_I16: ct_binary_loop_i16(ctx, n, p, inner); break;
    case CT_I32: ct_binary_loop_i32(ctx, n, p, inner); break;
    case CT_I64: ct_binary_loop_i64(ctx, n, p, inner); break;
    case CT_BOOL: ct_binary_loop_bool(ctx, n, p, inner); break;
    }
}

#define CT_BCASE_GRAIN(NAME, FLOAT, INT, BOOL, OUT, VEC, COST) case CT_##NAME: return CT_COST_##COST;
#define CT_BCASE_OUTSIZE(NAME, FLOAT, INT, BOOL, OUT, VEC, COST) case CT_##NAME: return CT_OUTSIZE_##OUT(es);
static int64_t ct_binary_grain(ct_binary_op op) {
    switch (op) { CT_BINARY_OPS(CT_BCASE_GRAIN) default: return CT_GRAIN_CHEAP; }
}
static int64_t ct_binary_out_size(ct_binary_op op, int64_t es) {
    switch (op) { CT_BINARY_OPS(CT_BCASE_OUTSIZE) default: return es; }
}

void ct_binary(ct_binary_op op, ct_dtype dtype, int32_t ndim, const int64_t *shape,
               const void *a, const int64_t *sa, const void *b, const int64_t *sb,
               void *out, const int64_t *so, const double *params) {
    ct_binary_ctx ctx = {op, dtype, {0, 0, 0}, CT_STORE_CACHED};
    if (params) memcpy(ctx.params, params, sizeof ctx.params);
    const int64_t es = (int64_t)ct_dtype_size(dtype);
    int64_t count = 1;
    for (int32_t d = 0; d < ndim; d++) count *= shape[d];
    if (ct_should_stream(2 * count * es, count * ct_binary_out_size(op, es))) ctx.store = CT_STORE_STREAM;
    ct_nd it = {
        .ndim = ndim, .shape = shape, .nops = 3,
        .base = {(char *)a, (char *)b, (char *)out}, .strides = {sa, sb, so},
        .esize = {es, es, ct_binary_out_size(op, es)},
        .span = ct_binary_span, .ctx = &ctx,
    };
    ct_nd_run(&it, ct_binary_grain(op));
}

// MARK: Fused programs

int ct_fusion_pending_flag = 0;

// Bytes per block of each value. A short program is bound by memory: small
// blocks keep all its streams moving together (reading two inputs for 8 KB,
// then the third, then writing, measured a third below the bandwidth). A
// longer one is bound by the calls per block: 2 KB blocks amortise them and
// keep a block's values in L1.
#define CT_FUSED_SHORT_PROGRAM 4
#define CT_FUSED_SHORT_BLOCK_BYTES 1024
#define CT_FUSED_BLOCK_BYTES 2048

// Copies with non-temporal stores (the destination's lines are not read first).
static void ct_stream_copy(char *dst, const char *src, int64_t bytes) {
    typedef float v4 __attribute__((vector_size(16)));
    int64_t head = (int64_t)((16 - ((uintptr_t)dst & 15)) & 15);
    if (head > bytes) head = bytes;
    memcpy(dst, src, (size_t)head);
    int64_t i = head;
    for (; i + 16 <= bytes; i += 16) {
        v4 v;
        memcpy(&v, src + i, 16);
        __builtin_nontemporal_store(v, (v4 *)(dst + i));
    }
    memcpy(dst + i, src + i, (size_t)(bytes - i));
}

typedef struct {
    ct_dtype dtype;
    int64_t es, block;  // element size, elements per block
    bool stream;  // outputs are written with non-temporal stores (through scratch if read again)
    int32_t count, nslots;
    const ct_fused_instr *prog;
    const int32_t *slot;  // scratch slot of each instruction without an output
} ct_fused_ctx;

static void ct_fused_range(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_fused_ctx *c = (const ct_fused_ctx *)arg;
    const int64_t es = c->es, block = c->block;
    char *scratch = NULL;
    if (c->nslots > 0) {
        scratch = aligned_alloc(64, (size_t)(c->nslots * block * es));
        if (!scratch) abort();
    }
    char *where[c->count];
    for (int64_t b = begin; b < end; b += block) {
        const int64_t len = end - b < block ? end - b : block;
        for (int32_t i = 0; i < c->count; i++) {
            const ct_fused_instr *in = &c->prog[i];
            // Without a slot the instruction writes its output directly (streaming it, if c->stream).
            const bool direct = c->slot[i] < 0;
            where[i] = direct ? (char *)in->out + b * es : scratch + (int64_t)c->slot[i] * block * es;
            const ct_store_mode store = direct && c->stream ? CT_STORE_STREAM_UNFENCED : CT_STORE_CACHED;
            char *p[3];
            int64_t inner[3];
            const int32_t nin = in->binary ? 2 : 1;
            for (int32_t k = 0; k < nin; k++) {
                if (in->src[k] >= 0) {
                    p[k] = where[in->src[k]];
                    inner[k] = 1;
                } else {
                    p[k] = (char *)in->ext[k] + b * in->ext_stride[k] * es;
                    inner[k] = in->ext_stride[k];
                }
            }
            p[nin] = where[i];
            inner[nin] = 1;
            if (in->binary) {
                ct_binary_ctx ctx = {(ct_binary_op)in->op, c->dtype, {in->params[0], in->params[1], in->params[2]},
                                     store};
                ct_binary_span(&ctx, len, p, inner);
            } else {
                ct_unary_ctx ctx = {(ct_unary_op)in->op, c->dtype, {in->params[0], in->params[1], in->params[2]},
                                    store};
                ct_unary_span(&ctx, len, p, inner);
            }
            if (in->out && !direct) ct_stream_copy((char *)in->out + b * es, where[i], len * es);
        }
    }
    if (c->stream) ct_store_fence();
    free(scratch);
}

bool ct_fused_takes(int32_t binary, int32_t op) {
    // Only ops whose result has the operands' dtype (not the comparisons' bool).
    return binary ? ct_binary_out_size((ct_binary_op)op, 8) == 8 : ct_unary_out_size((ct_unary_op)op, 8) == 8;
}

void ct_fused_run(ct_dtype dtype, int64_t n, int32_t count, const ct_fused_instr *prog) {
    if (n <= 0 || count <= 0) return;
    for (int32_t i = 0; i < count; i++)
        if (!ct_fused_takes(prog[i].binary, prog[i].op)) abort();
    // Scratch slots for the instructions kept only in cache, reused once their
    // last reader has run (a slot is freed after the reader's own slot is
    // taken, so no instruction writes over an operand it reads).
    int32_t last[count], slot[count], free_slots[count];
    int32_t nfree = 0, nslots = 0;
    int64_t grain = CT_GRAIN_CHEAP;
    for (int32_t i = 0; i < count; i++) last[i] = -1;
    for (int32_t i = 0; i < count; i++) {
        const ct_fused_instr *in = &prog[i];
        for (int32_t k = 0; k < (in->binary ? 2 : 1); k++)
            if (in->src[k] >= 0) last[in->src[k]] = i;
        const int64_t g = in->binary ? ct_binary_grain((ct_binary_op)in->op) : ct_unary_grain((ct_unary_op)in->op);
        if (g < grain) grain = g;
    }
    // Outputs that will not stay in the last-level cache are written around it.
    const int64_t es = (int64_t)ct_dtype_size(dtype);
    const bool stream = ct_should_stream(n * es, n * es);
    for (int32_t i = 0; i < count; i++) {
        const ct_fused_instr *in = &prog[i];
        slot[i] = -1;
        // A result that a later instruction reads is kept in scratch too (a
        // non-temporal store would send it to memory before that read).
        if (!in->out || (stream && last[i] >= 0)) slot[i] = nfree > 0 ? free_slots[--nfree] : nslots++;
        for (int32_t k = 0; k < (in->binary ? 2 : 1); k++) {
            const int32_t s = in->src[k];
            if (s >= 0 && last[s] == i && slot[s] >= 0 && (k == 0 || in->src[0] != s)) free_slots[nfree++] = slot[s];
        }
    }
    const int64_t block = (count <= CT_FUSED_SHORT_PROGRAM ? CT_FUSED_SHORT_BLOCK_BYTES : CT_FUSED_BLOCK_BYTES) / es;
    ct_fused_ctx ctx = {dtype, es, block, stream, count, nslots, prog, slot};
    // Chunks of whole blocks (for aligned vector loads; the bits do not depend on where blocks start).
    if (grain < block) grain = block;
    grain = (grain + block - 1) / block * block;
    if (n < 2 * grain) ct_fused_range(&ctx, 0, n, 0);
    else ct_parallel_disjoint(n, grain, ct_fused_range, &ctx);
}

// MARK: Where, cast, fill, clamp

// Contiguous operands use a branch-free select on the bit patterns (cond is 0
// or 1, so -cond is an all-ones or all-zeros mask), which the compiler turns
// into vector code; a stride-0 branch (a number, as in relu's gradient) is
// broadcast once.
#define CT_WHERE_SEG(T, U)                                                           \
    do {                                                                             \
        const ct_bool *cp = (const ct_bool *)p[0];                                   \
        const T *ap = (const T *)p[1], *bp = (const T *)p[2];                        \
        T *op = (T *)p[3];                                                           \
        const int64_t ic = inner[0], ia = inner[1], ib = inner[2], io = inner[3];    \
        if (ic == 1 && io == 1 && (ia == 1 || ia == 0) && (ib == 1 || ib == 0)) {    \
            const U *au = (const U *)ap, *bu = (const U *)bp;                        \
            U *ou = (U *)op;                                                         \
            /* One loop per stride pair, so each has unit or no stride and vectorises. */ \
            if (ia == 1 && ib == 1) {                                                \
                for (int64_t i = 0; i < n; i++) {                                    \
                    const U mask = (U)0 - (U)cp[i];                                  \
                    ou[i] = (au[i] & mask) | (bu[i] & ~mask);                        \
                }                                                                    \
            } else if (ia == 1) {                                                    \
                const U bv = bu[0];                                                  \
                for (int64_t i = 0; i < n; i++) {                                    \
                    const U mask = (U)0 - (U)cp[i];                                  \
                    ou[i] = (au[i] & mask) | (bv & ~mask);                           \
                }                                                                    \
            } else if (ib == 1) {                                                    \
                const U av = au[0];                                                  \
                for (int64_t i = 0; i < n; i++) {                                    \
                    const U mask = (U)0 - (U)cp[i];                                  \
                    ou[i] = (av & mask) | (bu[i] & ~mask);                           \
                }                                                                    \
            } else {                                                                 \
                const U av = au[0], bv = bu[0];                                      \
                for (int64_t i = 0; i < n; i++) {                                    \
                    const U mask = (U)0 - (U)cp[i];                                  \
                    ou[i] = (av & mask) | (bv & ~mask);                              \
                }                                                                    \
            }                                                                        \
        } else {                                                                     \
            for (int64_t i = 0; i < n; i++) op[i * io] = cp[i * ic] ? ap[i * ia] : bp[i * ib]; \
        }                                                                            \
    } while (0)

static void ct_where_span(const void *vctx, int64_t n, char *const *p, const int64_t *inner) {
    switch (*(const ct_dtype *)vctx) {
    case CT_F32: CT_WHERE_SEG(float, uint32_t); break;
    case CT_F64: CT_WHERE_SEG(double, uint64_t); break;
    case CT_I32: CT_WHERE_SEG(int32_t, uint32_t); break;
    case CT_I64: CT_WHERE_SEG(int64_t, uint64_t); break;
    case CT_BOOL: case CT_I8: case CT_U8: CT_WHERE_SEG(uint8_t, uint8_t); break;
    case CT_I16: case CT_F16: case CT_BF16: CT_WHERE_SEG(uint16_t, uint16_t); break;
    }
}

void ct_where(ct_dtype dtype, int32_t ndim, const int64_t *shape,
              const uint8_t *cond, const int64_t *sc, const void *a, const int64_t *sa,
              const void *b, const int64_t *sb, void *out, const int64_t *so) {
    const int64_t es = (int64_t)ct_dtype_size(dtype);
    ct_nd it = {
        .ndim = ndim, .shape = shape, .nops = 4,
        .base = {(char *)cond, (char *)a, (char *)b, (char *)out}, .strides = {sc, sa, sb, so},
        .esize = {1, es, es, es}, .span = ct_where_span, .ctx = &dtype,
    };
    ct_nd_run(&it, CT_GRAIN_CHEAP);
}

typedef struct { ct_dtype from, to; } ct_cast_ctx;

// Narrow integers take floats through int64 (so 300.7 -> uint8 wraps to 44, as
// PyTorch's conversion does), and the 16-bit floats take everything through float.

#define CT_CAST_FROM(T)                                                              \
    switch (ctx->to) {                                                               \
    case CT_F32: CT_UNARY_SEG(T, float, v); break;                                   \
    case CT_F64: CT_UNARY_SEG(T, double, v); break;                                  \
    case CT_I32: CT_UNARY_SEG(T, int32_t, v); break;                                 \
    case CT_I64: CT_UNARY_SEG(T, int64_t, v); break;                                 \
    case CT_I8: CT_UNARY_SEG(T, int8_t, (int64_t)v); break;                          \
    case CT_U8: CT_UNARY_SEG(T, uint8_t, (int64_t)v); break;                         \
    case CT_I16: CT_UNARY_SEG(T, int16_t, (int64_t)v); break;                        \
    case CT_F16: CT_UNARY_SEG(T, ct_f16, (float)v); break;                           \
    case CT_BF16: CT_UNARY_SEG(T, ct_bf16, (float)v); break;                         \
    case CT_BOOL: CT_UNARY_SEG(T, ct_bool, v != 0); break;                           \
    }

static void ct_cast_span(const void *vctx, int64_t n, char *const *p, const int64_t *inner) {
    const ct_cast_ctx *ctx = (const ct_cast_ctx *)vctx;
    if (ctx->from == ctx->to && inner[0] == 1 && inner[1] == 1) {
        memcpy(p[1], p[0], (size_t)n * ct_dtype_size(ctx->from));
        return;
    }
    switch (ctx->from) {
    case CT_F32: CT_CAST_FROM(float); break;
    case CT_F64: CT_CAST_FROM(double); break;
    case CT_I32: CT_CAST_FROM(int32_t); break;
    case CT_I64: CT_CAST_FROM(int64_t); break;
    case CT_I8: CT_CAST_FROM(int8_t); break;
    case CT_U8: CT_CAST_FROM(uint8_t); break;
    case CT_I16: CT_CAST_FROM(int16_t); break;
    case CT_F16: CT_CAST_FROM(ct_f16); break;
    case CT_BF16: CT_CAST_FROM(ct_bf16); break;
    case CT_BOOL: CT_CAST_FROM(ct_bool); break;
    }
}

void ct_cast(ct_dtype from, ct_dtype to, int32_t ndim, const int64_t *shape,
             const void *x, const int64_t *sx, void *out, const int64_t *so) {
    const ct_cast_ctx ctx = {from, to};
    ct_nd it = {
        .ndim = ndim, .shape = shape, .nops = 2,
        .base = {(char *)x, (char *)out}, .strides = {sx, so},
        .esize = {(int64_t)ct_dtype_size(from), (int64_t)ct_dtype_size(to)},
        .span = ct_cast_span, .ctx = &ctx,
    };
    ct_nd_run(&it, CT_GRAIN_CHEAP);
}

typedef struct { ct_dtype dtype; double fvalue; int64_t ivalue; } ct_fill_ctx;

#define CT_FILL_SEG(T, V)                                                            \
    do {                                                                             \
        T *op = (T *)p[0];                                                           \
        const T value = (T)(V);                                                      \
        const int64_t io = inner[0];                                                 \
        if (io == 1) { for (int64_t i = 0; i < n; i++) op[i] = value; }              \
        else { for (int64_t i = 0; i < n; i++) op[i * io] = value; }                 \
    } while (0)

static void ct_fill_span(const void *vctx, int64_t n, char *const *p, const int64_t *inner) {
    const ct_fill_ctx *ctx = (const ct_fill_ctx *)vctx;
    switch (ctx->dtype) {
    case CT_F32: CT_FILL_SEG(float, ctx->fvalue); break;
    case CT_F64: CT_FILL_SEG(double, ctx->fvalue); break;
    case CT_I32: CT_FILL_SEG(int32_t, ctx->ivalue); break;
    case CT_I64: CT_FILL_SEG(int64_t, ctx->ivalue); break;
    case CT_I8: CT_FILL_SEG(int8_t, ctx->ivalue); break;
    case CT_U8: CT_FILL_SEG(uint8_t, ctx->ivalue); break;
    case CT_I16: CT_FILL_SEG(int16_t, ctx->ivalue); break;
    // Through float, as c10::Half and c10::BFloat16 are built from a Scalar.
    case CT_F16: CT_FILL_SEG(ct_f16, (float)ctx->fvalue); break;
    case CT_BF16: CT_FILL_SEG(ct_bf16, (float)ctx->fvalue); break;
    case CT_BOOL: CT_FILL_SEG(ct_bool, ctx->fvalue != 0); break;
    }
}

void ct_fill(ct_dtype dtype, int32_t ndim, const int64_t *shape,
             void *out, const int64_t *so, double fvalue, int64_t ivalue) {
    const ct_fill_ctx ctx = {dtype, fvalue, ivalue};
    ct_nd it = {
        .ndim = ndim, .shape = shape, .nops = 1,
        .base = {(char *)out}, .strides = {so}, .esize = {(int64_t)ct_dtype_size(dtype)},
        .span = ct_fill_span, .ctx = &ctx,
    };
    ct_nd_run(&it, CT_GRAIN_CHEAP);
}

// Min then max, as PyTorch applies them, so lo > hi gives hi everywhere; NaN stays.
#define CT_CLAMP_FN(NAME, T)                                                         \
    static inline T NAME(T v, T lo, bool has_lo, T hi, bool has_hi) {                \
        if (v != v) return v;                                                        \
        if (has_lo && v < lo) v = lo;                                                \
        if (has_hi && v > hi) v = hi;                                                \
        return v;                                                                    \
    }
CT_CLAMP_FN(ct_clamp_f32, float)
CT_CLAMP_FN(ct_clamp_f64, double)
CT_CLAMP_FN(ct_clamp_i32, int32_t)
CT_CLAMP_FN(ct_clamp_i64, int64_t)

typedef struct { ct_dtype dtype; double lo, hi; bool has_lo, has_hi; } ct_clamp_ctx;

static void ct_clamp_span(const void *vctx, int64_t n, char *const *p, const int64_t *inner) {
    const ct_clamp_ctx *c = (const ct_clamp_ctx *)vctx;
    const bool has_lo = c->has_lo, has_hi = c->has_hi;
    switch (c->dtype) {
    case CT_F32: {
        const float l = (float)c->lo, h = (float)c->hi;
        CT_UNARY_SEG(float, float, ct_clamp_f32(v, l, has_lo, h, has_hi));
        break;
    }
    case CT_F64: {
        const double l = c->lo, h = c->hi;
        CT_UNARY_SEG(double, double, ct_clamp_f64(v, l, has_lo, h, has_hi));
        break;
    }
    case CT_I32: {
        const int32_t l = (int32_t)c->lo, h = (int32_t)c->hi;
        CT_UNARY_SEG(int32_t, int32_t, ct_clamp_i32(v, l, has_lo, h, has_hi));
        break;
    }
    case CT_I64: {
        const int64_t l = (int64_t)c->lo, h = (int64_t)c->hi;
        CT_UNARY_SEG(int64_t, int64_t, ct_clamp_i64(v, l, has_lo, h, has_hi));
        break;
    }
    case CT_I8: case CT_U8: case CT_I16: {
        const int64_t l = (int64_t)c->lo, h = (int64_t)c->hi;
        if (c->dtype == CT_I8) CT_UNARY_SEG(int8_t, int8_t, ct_clamp_i64(v, l, has_lo, h, has_hi));
        else if (c->dtype == CT_U8) CT_UNARY_SEG(uint8_t, uint8_t, ct_clamp_i64(v, l, has_lo, h, has_hi));
        else CT_UNARY_SEG(int16_t, int16_t, ct_clamp_i64(v, l, has_lo, h, has_hi));
        break;
    }
    case CT_F16: case CT_BF16: {
        // Bounds rounded to the tensor's dtype first, as PyTorch's scalar conversion does.
        const float l = c->dtype == CT_F16 ? (float)(ct_f16)c->lo : (float)(ct_bf16)c->lo;
        const float h = c->dtype == CT_F16 ? (float)(ct_f16)c->hi : (float)(ct_bf16)c->hi;
        if (c->dtype == CT_F16) CT_UNARY_SEG_AS(ct_f16, float, ct_f16, ct_clamp_f32(v, l, has_lo, h, has_hi));
        else CT_UNARY_SEG_AS(ct_bf16, float, ct_bf16, ct_clamp_f32(v, l, has_lo, h, has_hi));
        break;
    }
    case CT_BOOL: CT_UNARY_SEG(ct_bool, ct_bool, v); break;
    }
}

void ct_clamp(ct_dtype dtype, int32_t ndim, const int64_t *shape,
              const void *x, const int64_t *sx, void *out, const int64_t *so,
              double lo, bool has_lo, double hi, bool has_hi) {
    const ct_clamp_ctx ctx = {dtype, lo, hi, has_lo, has_hi};
    const int64_t es = (int64_t)ct_dtype_size(dtype);
    ct_nd it = {
        .ndim = ndim, .shape = shape, .nops = 2,
        .base = {(char *)x, (char *)out}, .strides = {sx, so}, .esize = {es, es},
        .span = ct_clamp_span, .ctx = &ctx,
    };
    ct_nd_run(&it, CT_GRAIN_CHEAP);
}
