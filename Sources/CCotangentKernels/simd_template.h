// The vectorised kernels, written once over vec.h's vector types and compiled
// per instruction set by simd_avx512.c, simd_avx2.c and simd_generic.c, which
// define before including this file:
//   CT_VBYTES   vector width in bytes (64, 32, 16)
//   CT_FMA      1 if fused multiply-add is available
//   CT_MATH     1 to vectorise exp/log/tanh/... (else the portable loop calls libm)
//   CT_MR_F32, CT_MR_F64   GEMM register-tile rows (tile columns are 2 vectors)
//   CT_TABLE, CT_TABLE_NAME  the ct_kernel_table to define and its name
#include "internal.h"
#include "vec.h"
#if CT_MATH
#include "vecmath.h"
#endif

// MARK: Elementwise

// Runs VEXPR (over vectors x, y) on full vectors and the tail through a
// zero-padded buffer, for each combination of contiguous / broadcast operands.
#define CT_BIN_KERNEL(T, V, W, LD, ST, SPLAT, VEXPR) CT_BIN_KERNEL_ST(T, V, W, LD, ST, ST, SPLAT, VEXPR)
// STMAIN stores the full vectors (a non-temporal store in the streaming kernels).
#define CT_BIN_KERNEL_ST(T, V, W, LD, ST, STMAIN, SPLAT, VEXPR)                   \
    do {                                                                          \
        int64_t i = 0;                                                            \
        if (ia && ib) {                                                           \
            for (; i + W <= n; i += W) { V x = LD(a + i), y = LD(b + i); STMAIN(out + i, (VEXPR)); } \
        } else if (ia) {                                                          \
            const V y = SPLAT(b[0]);                                              \
            for (; i + W <= n; i += W) { V x = LD(a + i); STMAIN(out + i, (VEXPR)); } \
        } else if (ib) {                                                          \
            const V x = SPLAT(a[0]);                                              \
            for (; i + W <= n; i += W) { V y = LD(b + i); STMAIN(out + i, (VEXPR)); } \
        }                                                                         \
        if (i < n) {                                                              \
            T ta[W], tb[W], to[W];                                                \
            int64_t r = n - i;                                                    \
            for (int64_t j = 0; j < W; j++) {                                     \
                ta[j] = j < r ? a[(i + j) * ia] : (T)1;                           \
                tb[j] = j < r ? b[(i + j) * ib] : (T)1;                           \
            }                                                                     \
            V x = LD(ta), y = LD(tb);                                             \
            ST(to, (VEXPR));                                                      \
            for (int64_t j = 0; j < r; j++) out[i + j] = to[j];                   \
        }                                                                         \
    } while (0)

#define CT_UN_KERNEL(T, V, W, LD, ST, VEXPR) CT_UN_KERNEL_ST(T, V, W, LD, ST, ST, VEXPR)
// STMAIN stores the full vectors (a non-temporal store in the streaming kernels).
#define CT_UN_KERNEL_ST(T, V, W, LD, ST, STMAIN, VEXPR)                           \
    do {                                                                          \
        int64_t i = 0;                                                            \
        for (; i + W <= n; i += W) { V x = LD(xs + i); STMAIN(out + i, (VEXPR)); } \
        if (i < n) {                                                              \
            T tx[W], to[W];                                                       \
            int64_t r = n - i;                                                    \
            for (int64_t j = 0; j < W; j++) tx[j] = j < r ? xs[i + j] : (T)1;     \
            V x = LD(tx);                                                         \
            ST(to, (VEXPR));                                                      \
            for (int64_t j = 0; j < r; j++) out[i + j] = to[j];                   \
        }                                                                         \
    } while (0)

// NaN-propagating maximum/minimum (x + y yields a NaN when either is NaN).
#define CT_VMAX(x, y, SEL) SEL(((x) != (x)) | ((y) != (y)), (x) + (y), SEL((x) > (y), (x), (y)))
#define CT_VMIN(x, y, SEL) SEL(((x) != (x)) | ((y) != (y)), (x) + (y), SEL((x) < (y), (x), (y)))

// The vector variants that CotangentOps.h names in its VEC column, over a
// vector x (and y). CT_HAS_V_<name> says whether this build has one; the list
// entries whose variant is `none`, or absent here, fall back to the scalar loop.
#define CT_HAS_V_none 0
#define CT_V_none(x) (x)
#define CT_HAS_V_neg 1
#define CT_V_neg(x) (-(x))
#define CT_HAS_V_abs 1
#define CT_V_abs(x) CT_VABS(x)
#define CT_HAS_V_square 1
#define CT_V_square(x) ((x) * (x))
#define CT_HAS_V_sqrt 1
#define CT_V_sqrt(x) __builtin_elementwise_sqrt(x)
#define CT_HAS_V_reciprocal 1
#define CT_V_reciprocal(x) (CT_VSPLAT(1) / (x))
#define CT_HAS_V_rsqrt 1
#define CT_V_rsqrt(x) (CT_VSPLAT(1) / __builtin_elementwise_sqrt(x))
#define CT_HAS_V_relu 1
#define CT_V_relu(x) CT_VSEL(((x) > 0) | ((x) != (x)), (x), CT_VSPLAT(0))
#define CT_HAS_V_floor 1
#define CT_V_floor(x) __builtin_elementwise_floor(x)
#define CT_HAS_V_ceil 1
#define CT_V_ceil(x) __builtin_elementwise_ceil(x)
#define CT_HAS_V_trunc 1
#define CT_V_trunc(x) __builtin_elementwise_trunc(x)
#define CT_HAS_V_round 1
#define CT_V_round(x) __builtin_elementwise_roundeven(x)
#define CT_HAS_V_frac 1
#define CT_V_frac(x) ((x) - __builtin_elementwise_trunc(x))
// CotangentOps.h's CT_MAX_/CT_MIN_ (a NaN first operand propagates), for the hard activations.
#define CT_VMAX_(a, b) CT_VSEL((a) < (b), (b), (a))
#define CT_VMIN_(a, b) CT_VSEL((b) < (a), (b), (a))
#define CT_V_hardclip(x) CT_VMIN_(CT_VMAX_((x) + CT_VSPLAT(3), CT_VSPLAT(0)), CT_VSPLAT(6))
#define CT_HAS_V_hardsigmoid 1
#define CT_V_hardsigmoid(x) (CT_V_hardclip(x) / CT_VSPLAT(6))
#define CT_HAS_V_hardswish 1
#define CT_V_hardswish(x) ((x) * CT_V_hardclip(x) / CT_VSPLAT(6))
#define CT_CAT_(a, b) a##b
#define CT_CAT(a, b) CT_CAT_(a, b)
#if CT_MATH
#define CT_HAS_V_exp 1
#define CT_V_exp(x) CT_CAT(exp_, CT_VSFX)(x)
#define CT_HAS_V_expm1 1
#define CT_V_expm1(x) CT_CAT(expm1_, CT_VSFX)(x)
#define CT_HAS_V_log 1
#define CT_V_log(x) CT_CAT(log_, CT_VSFX)(x)
#define CT_HAS_V_log1p 1
#define CT_V_log1p(x) CT_CAT(log1p_, CT_VSFX)(x)
#define CT_HAS_V_tanh 1
#define CT_V_tanh(x) CT_CAT(tanh_, CT_VSFX)(x)
#define CT_HAS_V_sigmoid 1
#define CT_V_sigmoid(x) CT_CAT(sigmoid_, CT_VSFX)(x)
#define CT_HAS_V_sinh 1
#define CT_V_sinh(x) CT_CAT(sinh_, CT_VSFX)(x)
#define CT_HAS_V_cosh 1
#define CT_V_cosh(x) CT_CAT(cosh_, CT_VSFX)(x)
#define CT_HAS_V_exp2 1
#define CT_V_exp2(x) CT_CAT(exp2_, CT_VSFX)(x)
#define CT_HAS_V_log2 1
#define CT_V_log2(x) CT_CAT(log2_, CT_VSFX)(x)
#define CT_HAS_V_log10 1
#define CT_V_log10(x) CT_CAT(log10_, CT_VSFX)(x)
// Mish: float32 only (vecmath.h; in float64 the vector exp/log1p/tanh's and
// libm's errors, about an ulp each, would add up past the scalar loop's).
#define CT_HAS_V_mish CT_CAT(CT_HAS_V_MISH_, CT_VSFX)
#define CT_HAS_V_MISH_f 1
#define CT_HAS_V_MISH_d 0
#define CT_V_mish(x) CT_CAT(CT_V_MISH_, CT_VSFX)(x)
#define CT_V_MISH_f(x) mish_f(x)
#define CT_V_MISH_d(x) (x)
// The activations spelled as their scalar expressions in CotangentOps.h, over
// the vector exp/log1p (within a few ulp of libm's; GELU's tanh form stays
// scalar: 1 + tanh(t) cancels for negative t and magnifies any difference
// from libm's tanh past that).
// ELU/SELU/CELU and softplus with their parameters p0, p1, p2 (rounded to the
// element type, as the scalar loop's; 0 when the caller passes none), spelled
// as CotangentOps.h's expressions.
// Softplus is float32 only: the scalar expression step for step (expf, log1pf,
// each rounded to float as Mish's steps are); in float64 the vector exp and
// log1p's errors and libm's would add up past the scalar loop's.
#define CT_HAS_V_elu 1
#define CT_V_elu(x) CT_VSEL((x) > 0, (x) * CT_VSPLAT(p1), CT_V_expm1((x) * CT_VSPLAT(p2)) * CT_VSPLAT(p0 * p1))
#define CT_HAS_V_softplus CT_CAT(CT_HAS_V_SOFTPLUS_, CT_VSFX)
#define CT_HAS_V_SOFTPLUS_f 1
#define CT_HAS_V_SOFTPLUS_d 0
#define CT_V_softplus(x) CT_CAT(CT_V_SOFTPLUS_, CT_VSFX)(x)
#define CT_V_SOFTPLUS_f(x) CT_VSEL(((x) * CT_VSPLAT(p0) > CT_VSPLAT(p1)) | ((x) != (x)), (x), \
                                 log1p_f(exp_cr_f((x) * CT_VSPLAT(p0))) / CT_VSPLAT(p0))
#define CT_V_SOFTPLUS_d(x) (x)
#define CT_HAS_V_silu 1
#define CT_V_silu(x) ((x) / (CT_VSPLAT(1) + CT_V_exp(-(x))))
#define CT_HAS_V_logsigmoid 1
#define CT_V_logsigmoid(x) (CT_VMIN_((x), CT_VSPLAT(0)) - CT_V_log1p(CT_V_exp(-CT_VABS(x))))
#else
#define CT_HAS_V_elu 0
#define CT_V_elu(x) (x)
#define CT_HAS_V_softplus 0
#define CT_V_softplus(x) (x)
#define CT_HAS_V_silu 0
#define CT_V_silu(x) (x)
#define CT_HAS_V_logsigmoid 0
#define CT_V_logsigmoid(x) (x)
#define CT_HAS_V_exp 0
#define CT_V_exp(x) (x)
#define CT_HAS_V_expm1 0
#define CT_V_expm1(x) (x)
#define CT_HAS_V_log 0
#define CT_V_log(x) (x)
#define CT_HAS_V_log1p 0
#define CT_V_log1p(x) (x)
#define CT_HAS_V_tanh 0
#define CT_V_tanh(x) (x)
#define CT_HAS_V_sigmoid 0
#define CT_V_sigmoid(x) (x)
#define CT_HAS_V_mish 0
#define CT_V_mish(x) (x)
#define CT_HAS_V_sinh 0
#define CT_V_sinh(x) (x)
#define CT_HAS_V_cosh 0
#define CT_V_cosh(x) (x)
#define CT_HAS_V_exp2 0
#define CT_V_exp2(x) (x)
#define CT_HAS_V_log2 0
#define CT_V_log2(x) (x)
#define CT_HAS_V_log10 0
#define CT_V_log10(x) (x)
#endif
#define CT_HAS_V_add 1
#define CT_V_add(x, y) ((x) + (y))
#define CT_HAS_V_sub 1
#define CT_V_sub(x, y) ((x) - (y))
#define CT_HAS_V_mul 1
#define CT_V_mul(x, y) ((x) * (y))
#define CT_HAS_V_div 1
#define CT_V_div(x, y) ((x) / (y))
#define CT_HAS_V_max 1
#define CT_V_max(x, y) CT_VMAX(x, y, CT_VSEL)
#define CT_HAS_V_min 1
#define CT_V_min(x, y) CT_VMIN(x, y, CT_VSEL)
// tanh's and sigmoid's gradients from (grad, result), as special.h's scalar
// forms: tanh's `1 - y·y` always one fused multiply-add, sigmoid's steps each rounded.
// relu's gradient (x = grad, y = result): 0 where y ≤ 0, else grad (NaN passes it).
#define CT_HAS_V_threshold_backward 1
#define CT_V_threshold_backward(x, y) CT_VSEL((y) <= CT_VSPLAT(0), CT_VSPLAT(0), (x))
#define CT_HAS_V_tanh_backward 1
#define CT_V_tanh_backward(x, y) ((x) * __builtin_elementwise_fma(-(y), (y), CT_VSPLAT(1)))
#define CT_HAS_V_sigmoid_backward 1
#define CT_V_sigmoid_backward(x, y) ({ _Pragma("clang fp contract(off)") (x) * (CT_VSPLAT(1) - (y)) * (y); })
// hardswish's gradient (x = grad, y = input): 0 up to -3, grad·(y/3 + 1/2) below 3, then grad.
#define CT_HAS_V_hardswish_backward 1
#define CT_V_hardswish_backward(x, y) ({ _Pragma("clang fp contract(off)")                          \
    CT_VSEL((y) <= CT_VSPLAT(-3), CT_VSPLAT(0),                                                     \
            CT_VSEL((y) < CT_VSPLAT(3), (x) * ((y) / CT_VSPLAT(3) + CT_VSPLAT(0.5)), (x))); })

#define CT_VUCASE(NAME, FLOAT, INT, OUT, VEC, COST) \
    case CT_##NAME: if (!CT_HAS_V_##VEC) return false; CT_UN_KERNEL_(CT_V_##VEC(x)); return true;
#define CT_VBCASE(NAME, FLOAT, INT, BOOL, OUT, VEC, COST) \
    case CT_##NAME: if (!CT_HAS_V_##VEC) return false; CT_BIN_KERNEL_(CT_VB_##VEC(x, y)); return true;
#define CT_VBCASE_NT(NAME, FLOAT, INT, BOOL, OUT, VEC, COST) \
    case CT_##NAME: if (!CT_HAS_V_##VEC) return false; CT_BIN_KERNEL_NT_(CT_VB_##VEC(x, y)); return true;
#define CT_VB_none(x, y) (x)
#define CT_VB_add CT_V_add
#define CT_VB_sub CT_V_sub
#define CT_VB_mul CT_V_mul
#define CT_VB_div CT_V_div
#define CT_VB_max CT_V_max
#define CT_VB_min CT_V_min
#define CT_VB_threshold_backward CT_V_threshold_backward
#define CT_VB_tanh_backward CT_V_tanh_backward
#define CT_VB_sigmoid_backward CT_V_sigmoid_backward
#define CT_VB_hardswish_backward CT_V_hardswish_backward

// One instantiation per element type: CT_VSPLAT, CT_VSEL, CT_VABS and CT_VSFX
// are that type's vector helpers.
#define CT_DEFINE_ELEMENTWISE(UNAME, BNAME, T)                                    \
    static bool BNAME(ct_binary_op op, int64_t n, const T *a, int64_t ia,         \
                      const T *b, int64_t ib, T *out) {                           \
        if (!ia && !ib) return false;                                             \
        switch (op) { CT_BINARY_OPS(CT_VBCASE) default: return false; }           \
    }                                                                             \
    static bool UNAME(ct_unary_op op, int64_t n, const T *xs, T *out, const double *params) { \
        const T p0 = params ? (T)params[0] : 0, p1 = params ? (T)params[1] : 0;   \
        const T p2 = params ? (T)params[2] : 0;                                   \
        (void)p0; (void)p1; (void)p2;                                             \
        switch (op) { CT_UNARY_OPS(CT_VUCASE) default: return false; }            \
    }

// The unary kernel with non-temporal stores: the elements up to out's first
// vector-aligned address go through the ordinary kernel, the rest stream
// (aligned stores that bypass the caches). The caller orders them with
// ct_store_fence() before anything reads them: once per span or per chunk,
// since a fence drains the write-combining buffers, and a fence per small
// call stalls the stream. The ops without a vector variant return false.
#define CT_DEFINE_UNARY_NT(NTNAME, UNAME, T, V)                                   \
    CT_INLINE void NTNAME##_st(T *p, V v) { __builtin_nontemporal_store(v, (V *)p); } \
    static bool NTNAME##_body(ct_unary_op op, int64_t n, const T *xs, T *out, const double *params) { \
        const T p0 = params ? (T)params[0] : 0, p1 = params ? (T)params[1] : 0;   \
        const T p2 = params ? (T)params[2] : 0;                                   \
        (void)p0; (void)p1; (void)p2;                                             \
        switch (op) { CT_UNARY_OPS(CT_VUCASE_NT) default: return false; }         \
    }                                                                             \
    static bool NTNAME(ct_unary_op op, int64_t n, const T *xs, T *out, const double *params) { \
        const uintptr_t mis = (uintptr_t)out % CT_VBYTES;                         \
        int64_t head = mis == 0 ? 0 : (int64_t)((CT_VBYTES - mis) / sizeof(T));   \
        if (mis % sizeof(T) != 0 || head > n) head = n;                           \
        if (!UNAME(op, head, xs, out, params)) return false;                      \
        if (head == n) return true;                                               \
        return NTNAME##_body(op, n - head, xs + head, out + head, params);        \
    }
#define CT_VUCASE_NT(NAME, FLOAT, INT, OUT, VEC, COST) \
    case CT_##NAME: if (!CT_HAS_V_##VEC) return false; CT_UN_KERNEL_NT_(CT_V_##VEC(x)); return true;

// The binary kernel with non-temporal stores, in the same way (an operand
// of stride 0 stays where it is).
#define CT_DEFINE_BINARY_NT(NTNAME, BNAME, T, V)                                  \
    CT_INLINE void NTNAME##_st(T *p, V v) { __builtin_nontemporal_store(v, (V *)p); } \
    static bool NTNAME##_body(ct_binary_op op, int64_t n, const T *a, int64_t ia, \
                              const T *b, int64_t ib, T *out) {                   \
        switch (op) { CT_BINARY_OPS(CT_VBCASE_NT) default: return false; }        \
    }                                                                             \
    static bool NTNAME(ct_binary_op op, int64_t n, const T *a, int64_t ia,        \
                       const T *b, int64_t ib, T *out) {                          \
        if (!ia && !ib) return false;                                             \
        const uintptr_t mis = (uintptr_t)out % CT_VBYTES;                         \
        int64_t head = mis == 0 ? 0 : (int64_t)((CT_VBYTES - mis) / sizeof(T));   \
        if (mis % sizeof(T) != 0 || head > n) head = n;                           \
        if (!BNAME(op, head, a, ia, b, ib, out)) return false;                    \
        if (head == n) return true;                                               \
        return NTNAME##_body(op, n - head, a + head * ia, ia, b + head * ib, ib, out + head); \
    }

#define CT_VSPLAT splatf
#define CT_VSEL self
#define CT_VABS absf_
#define CT_VSFX f
#define CT_UN_KERNEL_(E) CT_UN_KERNEL(float, vf, WF, ldf, stf, E)
#define CT_UN_KERNEL_NT_(E) CT_UN_KERNEL_ST(float, vf, WF, ldf, stf, unary_nt_f32_st, E)
#define CT_BIN_KERNEL_(E) CT_BIN_KERNEL(float, vf, WF, ldf, stf, splatf, E)
#define CT_BIN_KERNEL_NT_(E) CT_BIN_KERNEL_ST(float, vf, WF, ldf, stf, binary_nt_f32_st, splatf, E)
CT_DEFINE_ELEMENTWISE(unary_f32, binary_f32, float)
CT_DEFINE_UNARY_NT(unary_nt_f32, unary_f32, float, vf)
CT_DEFINE_BINARY_NT(binary_nt_f32, binary_f32, float, vf)
#undef CT_VSPLAT
#undef CT_VSEL
#undef CT_VABS
#undef CT_VSFX
#undef CT_UN_KERNEL_
#undef CT_UN_KERNEL_NT_
#undef CT_BIN_KERNEL_
#undef CT_BIN_KERNEL_NT_
#define CT_VSPLAT splatd
#define CT_VSEL seld
#define CT_VABS absd_
#define CT_VSFX d
#define CT_UN_KERNEL_(E) CT_UN_KERNEL(double, vd, WD, ldd, std_, E)
#define CT_UN_KERNEL_NT_(E) CT_UN_KERNEL_ST(double, vd, WD, ldd, std_, unary_nt_f64_st, E)
#define CT_BIN_KERNEL_(E) CT_BIN_KERNEL(double, vd, WD, ldd, std_, splatd, E)
#define CT_BIN_KERNEL_NT_(E) CT_BIN_KERNEL_ST(double, vd, WD, ldd, std_, binary_nt_f64_st, splatd, E)
CT_DEFINE_ELEMENTWISE(unary_f64, binary_f64, double)
CT_DEFINE_UNARY_NT(unary_nt_f64, unary_f64, double, vd)
CT_DEFINE_BINARY_NT(binary_nt_f64, binary_f64, double, vd)
#undef CT_VSPLAT
#undef CT_VSEL
#undef CT_VABS
#undef CT_VSFX
#undef CT_UN_KERNEL_
#undef CT_UN_KERNEL_NT_
#undef CT_BIN_KERNEL_
#undef CT_BIN_KERNEL_NT_

// MARK: float16 and bfloat16

// Blocks of 16-bit floats converted to float32 (exactly), run through the
// float32 vector kernel, and rounded back to nearest even, once: what the
// scalar loops do element by element (they compute in float too), so the
// results are the scalar loops' bits. The ops taken are those whose float32
// vector variant gives the scalar loop's bits after that rounding: the ones
// exact in float arithmetic, and the math ops that KernelTests checks on all
// 65536 inputs of each type. bfloat16 converts with integer shifts (as
// bfloat16.c rounds: NaN stays a quiet NaN), float16 with F16C's
// vcvtph2ps/vcvtps2ph (CT_F16C: the AVX2 and AVX-512 builds). The portable
// build has neither (its NaN + NaN may keep the other operand's payload).
typedef unsigned short vh16 __attribute__((vector_size(CT_VBYTES / 2)));  // WF 16-bit lanes
typedef unsigned vui __attribute__((vector_size(CT_VBYTES)));

CT_INLINE vf ld_bf16(const uint16_t *p) {
    vh16 h;
    memcpy(&h, p, sizeof h);
    return (vf)(__builtin_convertvector(h, vui) << 16);
}
CT_INLINE void st_bf16(uint16_t *p, vf v) {
    const vui b = (vui)v;
    const vi nan = (b & 0x7fffffffu) > 0x7f800000u;
    const vui r = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
    const vui q = (b >> 16) | 0x40u;
    const vh16 h = __builtin_convertvector((vui)(((vi)r & ~nan) | ((vi)q & nan)), vh16);
    memcpy(p, &h, sizeof h);
}
CT_INLINE float ld1_bf16(const uint16_t *p) { uint32_t u = (uint32_t)*p << 16; float f; memcpy(&f, &u, 4); return f; }

#if defined(CT_F16C) && defined(__x86_64__) && CT_MATH
#define CT_HAS_F16 1
typedef _Float16 vhf __attribute__((vector_size(CT_VBYTES / 2)));
CT_INLINE vf ld_f16(const uint16_t *p) { vhf h; memcpy(&h, p, sizeof h); return __builtin_convertvector(h, vf); }
CT_INLINE void st_f16(uint16_t *p, vf v) { vhf h = __builtin_convertvector(v, vhf); memcpy(p, &h, sizeof h); }
CT_INLINE float ld1_f16(const uint16_t *p) { _Float16 h; memcpy(&h, p, 2); return (float)h; }
#else
#define CT_HAS_F16 0
#endif

// The math ops whose float32 vector variants round to the scalar loops' bits
// (KernelTests.halfKernelsMatchTheScalarLoopsOnEveryInput): in float16, Mish
// and logsigmoid round differently for a few inputs, so they stay scalar there.
#define CT_HALF_MATH_OPS                                                          \
    case CT_EXP: case CT_LOG: case CT_LOG1P: case CT_EXPM1: case CT_TANH: case CT_SIGMOID: \
    case CT_SILU: case CT_SINH: case CT_COSH: case CT_EXP2: case CT_LOG2: case CT_LOG10: \
        return true;                                                              \
    case CT_LOGSIGMOID: case CT_MISH:                                             \
        return bf16;

#define CT_HBLOCK 512  // elements per block: three float buffers stay in L1

// The unary ops for the 16-bit kernels (see above).
static bool half_unary_ok(ct_unary_op op, bool bf16) {
    (void)bf16;
    switch (op) {
    case CT_NEG: case CT_ABS: case CT_SQUARE: case CT_SQRT: case CT_RSQRT: case CT_RECIPROCAL:
    case CT_RELU: case CT_FLOOR: case CT_CEIL: case CT_ROUND: case CT_TRUNC: case CT_FRAC:
    case CT_HARDSIGMOID: case CT_HARDSWISH:
        return true;
#if CT_MATH
    CT_HALF_MATH_OPS
#endif
    default: return false;
    }
}

// n elements between 16-bit storage and a float buffer: full vectors, then
// the tail through a padded vector.
#define CT_HALF_TO_FLOAT(LD, src, dst, n)                                         \
    do {                                                                          \
        int64_t j_ = 0;                                                           \
        for (; j_ + WF <= (n); j_ += WF) stf((dst) + j_, LD((src) + j_));         \
        if (j_ < (n)) {                                                           \
            uint16_t t_[WF] = {0};                                                \
            memcpy(t_, (src) + j_, (size_t)((n) - j_) * 2);                       \
            float f_[WF];                                                         \
            stf(f_, LD(t_));                                                      \
            memcpy((dst) + j_, f_, (size_t)((n) - j_) * 4);                       \
        }                                                                         \
    } while (0)
#define CT_FLOAT_TO_HALF(ST, src, dst, n)                                         \
    do {                                                                          \
        int64_t j_ = 0;                                                           \
        for (; j_ + WF <= (n); j_ += WF) ST((dst) + j_, ldf((src) + j_));         \
        if (j_ < (n)) {                                                           \
            float f_[WF] = {0};                                                   \
            memcpy(f_, (src) + j_, (size_t)((n) - j_) * 4);                       \
            uint16_t t_[WF];                                                      \
            ST(t_, ldf(f_));                                                      \
            memcpy((dst) + j_, t_, (size_t)((n) - j_) * 2);                       \
        }                                                                         \
    } while (0)

#define CT_DEFINE_HALF(UNAME, BNAME, LD, ST, LD1, BF16)                           \
    static bool UNAME(ct_unary_op op, int64_t n, const uint16_t *xs, uint16_t *out) { \
        if (!half_unary_ok(op, BF16)) return false;                               \
        float tx[CT_HBLOCK], to[CT_HBLOCK];                                       \
        for (int64_t i = 0; i < n; i += CT_HBLOCK) {                              \
            const int64_t m = n - i < CT_HBLOCK ? n - i : CT_HBLOCK;              \
            CT_HALF_TO_FLOAT(LD, xs + i, tx, m);                                  \
            if (!unary_f32(op, m, tx, to, NULL)) return false;  /* only before any output */ \
            CT_FLOAT_TO_HALF(ST, to, out + i, m);                                 \
        }                                                                         \
        return true;                                                              \
    }                                                                             \
    static bool BNAME(ct_binary_op op, int64_t n, const uint16_t *a, int64_t ia,  \
                      const uint16_t *b, int64_t ib, uint16_t *out) {             \
        switch (op) {  /* exact in float: the scalar loop's bits */               \
        case CT_ADD: case CT_SUB: case CT_MUL: case CT_DIV: case CT_MAXIMUM: case CT_MINIMUM: break; \
        default: return false;                                                    \
        }                                                                         \
        if (!ia && !ib) return false;                                             \
        float ta[CT_HBLOCK], tb[CT_HBLOCK], to[CT_HBLOCK];                        \
        if (!ia) ta[0] = LD1(a);                                                  \
        if (!ib) tb[0] = LD1(b);                                                  \
        for (int64_t i = 0; i < n; i += CT_HBLOCK) {                              \
            const int64_t m = n - i < CT_HBLOCK ? n - i : CT_HBLOCK;              \
            if (ia) CT_HALF_TO_FLOAT(LD, a + i, ta, m);                           \
            if (ib) CT_HALF_TO_FLOAT(LD, b + i, tb, m);                           \
            if (!binary_f32(op, m, ta, ia, tb, ib, to)) return false;             \
            CT_FLOAT_TO_HALF(ST, to, out + i, m);                                 \
        }                                                                         \
        return true;                                                              \
    }

#if CT_MATH
CT_DEFINE_HALF(unary_bf16, binary_bf16, ld_bf16, st_bf16, ld1_bf16, true)
#endif
#if CT_HAS_F16
CT_DEFINE_HALF(unary_f16, binary_f16, ld_f16, st_f16, ld1_f16, false)
#endif

// MARK: Reductions

// Contiguous sums and products: several vector accumulators (in double) hide
// the add latency; they are combined in a fixed order. Sums of at least
// CT_SUM_SPLIT elements read the two halves of the range side by side: two
// sequential streams keep more lines in flight than one, which a sum bound by
// one core's memory bandwidth needs (40 -> 52 GB/s on a 64 MB sum here).
#define CT_SUM_SPLIT (1 << 16)
static double sum_f32(int64_t n, const float *x) {
    vd a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    int64_t i = 0;
    if (n >= CT_SUM_SPLIT) {
        const int64_t h = n / (2 * WF) * WF;
        const float *y = x + h;
        for (; i < h; i += WF) {
            vf u = ldf(x + i), v = ldf(y + i);
            a0 += lo_to_d(u); a1 += hi_to_d(u); a2 += lo_to_d(v); a3 += hi_to_d(v);
        }
        i = 2 * h;
    } else {
        for (; i + 2 * WF <= n; i += 2 * WF) {
            vf u = ldf(x + i), v = ldf(x + i + WF);
            a0 += lo_to_d(u); a1 += hi_to_d(u); a2 += lo_to_d(v); a3 += hi_to_d(v);
        }
    }
    double s = hsumd((a0 + a1) + (a2 + a3));
    for (; i < n; i++) s += x[i];
    return s;
}
static double sum_f64(int64_t n, const double *x) {
    vd a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    int64_t i = 0;
    if (n >= CT_SUM_SPLIT) {
        const int64_t h = n / (4 * WD) * (2 * WD);
        const double *y = x + h;
        for (; i < h; i += 2 * WD) {
            a0 += ldd(x + i); a1 += ldd(x + i + WD); a2 += ldd(y + i); a3 += ldd(y + i + WD);
        }
        i = 2 * h;
    } else {
        for (; i + 4 * WD <= n; i += 4 * WD) {
            a0 += ldd(x + i); a1 += ldd(x + i + WD); a2 += ldd(x + i + 2 * WD); a3 += ldd(x + i + 3 * WD);
        }
    }
    double s = hsumd((a0 + a1) + (a2 + a3));
    for (; i < n; i++) s += x[i];
    return s;
}
static double prod_f32(int64_t n, const float *x) {
    vd a0 = splatd(1), a1 = splatd(1);
    int64_t i = 0;
    for (; i + WF <= n; i += WF) { vf u = ldf(x + i); a0 *= lo_to_d(u); a1 *= hi_to_d(u); }
    vd a = a0 * a1;
    double p = 1;
    for (int j = 0; j < WD; j++) p *= a[j];
    for (; i < n; i++) p *= x[i];
    return p;
}
static double prod_f64(int64_t n, const double *x) {
    vd a0 = splatd(1), a1 = splatd(1);
    int64_t i = 0;
    for (; i + 2 * WD <= n; i += 2 * WD) { a0 *= ldd(x + i); a1 *= ldd(x + i + WD); }
    vd a = a0 * a1;
    double p = 1;
    for (int j = 0; j < WD; j++) p *= a[j];
    for (; i < n; i++) p *= x[i];
    return p;
}

#if CT_MATH
// The middle passes of softmax fused: out = exp(x - mx) and its sum, which is
// accumulated exactly as sum_f32/sum_f64 do (same lanes, same order), so the
// result is bit-identical to subtract, exp and sum as separate kernels.
// The elements from i on, fewer than two vectors, through a padded vector.
static double expsub_tail_f32(int64_t i, int64_t n, const float *x, float mx, float *out, double s) {
    const vf m = splatf(mx);
    for (; i < n; i += WF) {
        float t[WF];
        const int64_t r = n - i < WF ? n - i : WF;
        for (int64_t j = 0; j < WF; j++) t[j] = j < r ? x[i + j] : mx;
        stf(t, exp_f(ldf(t) - m));
        for (int64_t j = 0; j < r; j++) { out[i + j] = t[j]; s += t[j]; }
    }
    return s;
}
// The halves side by side, as sum_f32 reads a long range (kept apart from the
// short-row loop below, whose code it would otherwise slow down).
__attribute__((noinline)) static double expsub_sum_split_f32(int64_t n, const float *x, float mx, float *out) {
    vd a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    const vf m = splatf(mx);
    const int64_t h = n / (2 * WF) * WF;
    for (int64_t i = 0; i < h; i += WF) {
        vf u = exp_f(ldf(x + i) - m), v = exp_f(ldf(x + h + i) - m);
        stf(out + i, u);
        stf(out + h + i, v);
        a0 += lo_to_d(u); a1 += hi_to_d(u); a2 += lo_to_d(v); a3 += hi_to_d(v);
    }
    return expsub_tail_f32(2 * h, n, x, mx, out, hsumd((a0 + a1) + (a2 + a3)));
}
static double expsub_sum_f32(int64_t n, const float *x, float mx, float *out) {
    if (n >= CT_SUM_SPLIT) return expsub_sum_split_f32(n, x, mx, out);
    vd a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    const vf m = splatf(mx);
    int64_t i = 0;
    for (; i + 2 * WF <= n; i += 2 * WF) {
        vf u = exp_f(ldf(x + i) - m), v = exp_f(ldf(x + i + WF) - m);
        stf(out + i, u);
        stf(out + i + WF, v);
        a0 += lo_to_d(u); a1 += hi_to_d(u); a2 += lo_to_d(v); a3 += hi_to_d(v);
    }
    return expsub_tail_f32(i, n, x, mx, out, hsumd((a0 + a1) + (a2 + a3)));
}
static double expsub_sum_f64(int64_t n, const double *x, double mx, double *out) {
    vd a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    const vd m = splatd(mx);
    int64_t i = 0;
    if (n >= CT_SUM_SPLIT) {  // the halves side by side, as sum_f64
        const int64_t h = n / (4 * WD) * (2 * WD);
        for (; i < h; i += 2 * WD) {
            vd u0 = exp_d(ldd(x + i) - m), u1 = exp_d(ldd(x + i + WD) - m);
            vd u2 = exp_d(ldd(x + h + i) - m), u3 = exp_d(ldd(x + h + i + WD) - m);
            std_(out + i, u0); std_(out + i + WD, u1); std_(out + h + i, u2); std_(out + h + i + WD, u3);
            a0 += u0; a1 += u1; a2 += u2; a3 += u3;
        }
        i = 2 * h;
    } else {
        for (; i + 4 * WD <= n; i += 4 * WD) {
            vd u0 = exp_d(ldd(x + i) - m), u1 = exp_d(ldd(x + i + WD) - m);
            vd u2 = exp_d(ldd(x + i + 2 * WD) - m), u3 = exp_d(ldd(x + i + 3 * WD) - m);
            std_(out + i, u0); std_(out + i + WD, u1); std_(out + i + 2 * WD, u2); std_(out + i + 3 * WD, u3);
            a0 += u0; a1 += u1; a2 += u2; a3 += u3;
        }
    }
    double s = hsumd((a0 + a1) + (a2 + a3));
    for (; i < n; i += WD) {
        double t[WD];
        const int64_t r = n - i < WD ? n - i : WD;
        for (int64_t j = 0; j < WD; j++) t[j] = j < r ? x[i + j] : mx;
        std_(t, exp_d(ldd(t) - m));
        for (int64_t j = 0; j < r; j++) { out[i + j] = t[j]; s += t[j]; }
    }
    return s;
}
#endif

// max/min with a NaN flag on the side; the caller rescans for the first NaN.
#define CT_DEFINE_MAXMIN(NAME, T, V, VI, W, LD, SEL)                              \
    static bool NAME(bool is_max, int64_t n, const T *x, T *result) {             \
        if (n < 4 * W) {                                                          \
            T best = x[0];                                                        \
            for (int64_t i = 0; i < n; i++) {                                     \
                T v = x[i];                                                       \
                if (v != v) return false;                                         \
                if (is_max ? v > best : v < best) best = v;                       \
            }                                                                     \
            *result = best;                                                       \
            return true;                                                          \
        }                                                                         \
        V m0 = LD(x), m1 = m0, m2 = m0, m3 = m0;                                  \
        VI nan = {0};                                                             \
        int64_t i = 0;                                                            \
        if (is_max) {                                                             \
            for (; i + 4 * W <= n; i += 4 * W) {                                  \
                V u0 = LD(x + i), u1 = LD(x + i + W), u2 = LD(x + i + 2 * W), u3 = LD(x + i + 3 * W); \
                nan |= (u0 != u0) | (u1 != u1) | (u2 != u2) | (u3 != u3);         \
                m0 = SEL(u0 > m0, u0, m0); m1 = SEL(u1 > m1, u1, m1);             \
                m2 = SEL(u2 > m2, u2, m2); m3 = SEL(u3 > m3, u3, m3);             \
            }                                                                     \
            m0 = SEL(m1 > m0, m1, m0); m2 = SEL(m3 > m2, m3, m2); m0 = SEL(m2 > m0, m2, m0); \
        } else {                                                                  \
            for (; i + 4 * W <= n; i += 4 * W) {                                  \
                V u0 = LD(x + i), u1 = LD(x + i + W), u2 = LD(x + i + 2 * W), u3 = LD(x + i + 3 * W); \
                nan |= (u0 != u0) | (u1 != u1) | (u2 != u2) | (u3 != u3);         \
                m0 = SEL(u0 < m0, u0, m0); m1 = SEL(u1 < m1, u1, m1);             \
                m2 = SEL(u2 < m2, u2, m2); m3 = SEL(u3 < m3, u3, m3);             \
            }                                                                     \
            m0 = SEL(m1 < m0, m1, m0); m2 = SEL(m3 < m2, m3, m2); m0 = SEL(m2 < m0, m2, m0); \
        }                                                                         \
        for (int j = 0; j < W; j++) if (nan[j]) return false;                     \
        T best = m0[0];                                                           \
        for (int j = 1; j < W; j++) if (is_max ? m0[j] > best : m0[j] < best) best = m0[j]; \
        for (; i < n; i++) {                                                      \
            T v = x[i];                                                           \
            if (v != v) return false;                                             \
            if (is_max ? v > best : v < best) best = v;                           \
        }                                                                         \
        *result = best;                                                           \
        return true;                                                              \
    }
CT_DEFINE_MAXMIN(maxmin_f32, float, vf, vi, WF, ldf, self)
CT_DEFINE_MAXMIN(maxmin_f64, double, vd, vl, WD, ldd, seld)

// Column reductions: a block of adjacent outputs is kept in vector registers
// while walking down the rows, so every load is contiguous.
CT_INLINE vf ct_colstep_f(ct_reduce_op op, vf acc, vf v) {
    switch (op) {
    case CT_MAX: return self((v > acc) | (v != v), v, acc);
    case CT_MIN: return self((v < acc) | (v != v), v, acc);
    default: return acc;
    }
}
CT_INLINE vd ct_colstep_d(ct_reduce_op op, vd acc, vd v) {
    switch (op) {
    case CT_SUM: return acc + v;
    case CT_PROD: return acc * v;
    case CT_MAX: return seld((v > acc) | (v != v), v, acc);
    case CT_MIN: return seld((v < acc) | (v != v), v, acc);
    default: return acc;
    }
}

static void cols_f32(ct_reduce_op op, int64_t m, int64_t n, const float *x, int64_t ld, float *out) {
    int64_t i = 0;
    if (op == CT_SUM || op == CT_PROD) {  // accumulate in double
        const double init = op == CT_SUM ? 0.0 : 1.0;
        for (; i + 2 * WF <= m; i += 2 * WF) {
            vd a0 = splatd(init), a1 = a0, a2 = a0, a3 = a0;
            const float *p = x + i;
            for (int64_t j = 0; j < n; j++, p += ld) {
                vf u = ldf(p), v = ldf(p + WF);
                a0 = ct_colstep_d(op, a0, lo_to_d(u)); a1 = ct_colstep_d(op, a1, hi_to_d(u));
                a2 = ct_colstep_d(op, a2, lo_to_d(v)); a3 = ct_colstep_d(op, a3, hi_to_d(v));
            }
            stf(out + i, join_to_f(a0, a1));
            stf(out + i + WF, join_to_f(a2, a3));
        }
        for (; i < m; i++) {
            double acc = init;
            for (int64_t j = 0; j < n; j++) acc = op == CT_SUM ? acc + x[i + j * ld] : acc * x[i + j * ld];
            out[i] = (float)acc;
        }
    } else {
        for (; i + 4 * WF <= m; i += 4 * WF) {
            const float *p = x + i;
            vf a0 = ldf(p), a1 = ldf(p + WF), a2 = ldf(p + 2 * WF), a3 = ldf(p + 3 * WF);
            for (int64_t j = 1; j < n; j++) {
                p += ld;
                a0 = ct_colstep_f(op, a0, ldf(p)); a1 = ct_colstep_f(op, a1, ldf(p + WF));
                a2 = ct_colstep_f(op, a2, ldf(p + 2 * WF)); a3 = ct_colstep_f(op, a3, ldf(p + 3 * WF));
            }
            stf(out + i, a0); stf(out + i + WF, a1); stf(out + i + 2 * WF, a2); stf(out + i + 3 * WF, a3);
        }
        for (; i < m; i++) {
            float acc = x[i];
            for (int64_t j = 1; j < n; j++) {
                float v = x[i + j * ld];
                if (op == CT_MAX ? (v > acc || v != v) : (v < acc || v != v)) acc = v;
            }
            out[i] = acc;
        }
    }
}

static void cols_f64(ct_reduce_op op, int64_t m, int64_t n, const double *x, int64_t ld, double *out) {
    const bool arith = op == CT_SUM || op == CT_PROD;
    const double init = op == CT_PROD ? 1.0 : 0.0;
    int64_t i = 0;
    for (; i + 4 * WD <= m; i += 4 * WD) {
        const double *p = x + i;
        vd a0, a1, a2, a3;
        int64_t j = 0;
        if (arith) { a0 = a1 = a2 = a3 = splatd(init); }
        else { a0 = ldd(p); a1 = ldd(p + WD); a2 = ldd(p + 2 * WD); a3 = ldd(p + 3 * WD); j = 1; p += ld; }
        for (; j < n; j++, p += ld) {
            a0 = ct_colstep_d(op, a0, ldd(p)); a1 = ct_colstep_d(op, a1, ldd(p + WD));
            a2 = ct_colstep_d(op, a2, ldd(p + 2 * WD)); a3 = ct_colstep_d(op, a3, ldd(p + 3 * WD));
        }
        std_(out + i, a0); std_(out + i + WD, a1); std_(out + i + 2 * WD, a2); std_(out + i + 3 * WD, a3);
    }
    for (; i < m; i++) {
        double acc = arith ? init : x[i];
        for (int64_t j = arith ? 0 : 1; j < n; j++) {
            double v = x[i + j * ld];
            switch (op) {
            case CT_SUM: acc += v; break;
            case CT_PROD: acc *= v; break;
            case CT_MAX: if (v > acc || v != v) acc = v; break;
            default: if (v < acc || v != v) acc = v; break;
            }
        }
        out[i] = acc;
    }
}

// MARK: GEMM

// Packing: A's rows in micro-panels of MR (k-major: MR values per k), B's
// columns in micro-panels of NR, zero-padded at the edges. Arbitrary strides
// are handled here, so the micro-kernel only ever sees unit-stride panels.
#define CT_DEFINE_PACK(T, SFX, MR, NR)                                            \
    static void pack_a_##SFX(int64_t m, int64_t k, const T *a, int64_t rs, int64_t cs, T *dst) { \
        for (int64_t i0 = 0; i0 < m; i0 += MR, dst += MR * k) {                   \
            const int64_t mr = m - i0 < MR ? m - i0 : MR;                         \
            const T *ap = a + i0 * rs;                                            \
            if (mr == MR && cs == 1) {                                            \
                for (int64_t p = 0; p < k; p++)                                   \
                    for (int64_t i = 0; i < MR; i++) dst[p * MR + i] = ap[i * rs + p]; \
            } else if (mr == MR && rs == 1) {                                     \
                for (int64_t p = 0; p < k; p++)                                   \
                    for (int64_t i = 0; i < MR; i++) dst[p * MR + i] = ap[p * cs + i]; \
            } else {                                                              \
                for (int64_t p = 0; p < k; p++)                                   \
                    for (int64_t i = 0; i < MR; i++)                              \
                        dst[p * MR + i] = i < mr ? ap[i * rs + p * cs] : (T)0;    \
            }                                                                     \
        }                                                                         \
    }                                                                             \
    static void pack_b_##SFX(int64_t k, int64_t n, const T *b, int64_t rs, int64_t cs, T *dst) { \
        for (int64_t j0 = 0; j0 < n; j0 += NR, dst += NR * k) {                   \
            const int64_t nr = n - j0 < NR ? n - j0 : NR;                         \
            const T *bp = b + j0 * cs;                                            \
            if (nr == NR && cs == 1) {                                            \
                for (int64_t p = 0; p < k; p++) memcpy(dst + p * NR, bp + p * rs, NR * sizeof(T)); \
            } else if (nr == NR && rs == 1) {                                     \
                for (int64_t p = 0; p < k; p++)                                   \
                    for (int64_t j = 0; j < NR; j++) dst[p * NR + j] = bp[j * cs + p]; \
            } else {                                                              \
                for (int64_t p = 0; p < k; p++)                                   \
                    for (int64_t j = 0; j < NR; j++)                              \
                        dst[p * NR + j] = j < nr ? bp[p * rs + j * cs] : (T)0;    \
            }                                                                     \
        }                                                                         \
    }

// The micro-kernel: an MR x (2 vectors) tile of C in registers, one broadcast
// of A and two loads of B per k. A(i, p) is read at a[i * ars + p * acs] and
// B(p, 0..NR) at b + p * brs: packed panels are the constant case (1, MR, NR),
// and small products read row-major operands in place (ukr_strided). Full
// tiles with unit column stride are updated in place; edge tiles and other
// layouts go through a small buffer.
#define CT_DEFINE_UKR(T, SFX, V, W, MR, LD, ST, SPLAT, FMA)                       \
    CT_INLINE void ukr_body_##SFX(int64_t k, const T *ap, int64_t ars, int64_t acs, \
                                  const T *bp, int64_t brs, T *c, int64_t rsc, int64_t csc, \
                                  T alpha, T beta, int32_t m, int32_t n) {        \
        V acc[MR][2];                                                             \
        _Pragma("clang loop unroll(full)")                                        \
        for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = SPLAT(0);            \
        if (csc == 1 && m == MR) {  /* C's rows are needed at the end: start fetching them */ \
            _Pragma("clang loop unroll(full)")                                    \
            for (int i = 0; i < MR; i++) {                                        \
                __builtin_prefetch(c + i * rsc, 1);                               \
                __builtin_prefetch(c + i * rsc + 2 * W - 1, 1);                   \
            }                                                                     \
        }                                                                         \
        _Pragma("clang loop unroll_count(4)")  /* ~4% at large sizes */          \
        for (int64_t p = 0; p < k; p++) {                                         \
            const V b0 = LD(bp), b1 = LD(bp + W);                                 \
            _Pragma("clang loop unroll(full)")                                    \
            for (int i = 0; i < MR; i++) {                                        \
                const V av = SPLAT(ap[i * ars]);                                  \
                acc[i][0] = FMA(av, b0, acc[i][0]);                               \
                acc[i][1] = FMA(av, b1, acc[i][1]);                               \
            }                                                                     \
            ap += acs;                                                            \
            bp += brs;                                                            \
        }                                                                         \
        const V va = SPLAT(alpha);                                                \
        if (m == MR && n == 2 * W && csc == 1) {                                  \
            _Pragma("clang loop unroll(full)")                                    \
            for (int i = 0; i < MR; i++) {                                        \
                T *cr = c + i * rsc;                                              \
                V r0 = va * acc[i][0], r1 = va * acc[i][1];                       \
                if (beta != 0) {                                                  \
                    const V vb = SPLAT(beta);                                     \
                    r0 = FMA(vb, LD(cr), r0);                                     \
                    r1 = FMA(vb, LD(cr + W), r1);                                 \
                }                                                                 \
                ST(cr, r0);                                                       \
                ST(cr + W, r1);                                                   \
            }                                                                     \
            return;                                                               \
        }                                                                         \
        T tile[MR][2 * W];                                                        \
        for (int i = 0; i < MR; i++) { ST(tile[i], va * acc[i][0]); ST(tile[i] + W, va * acc[i][1]); } \
        for (int i = 0; i < m; i++)                                               \
            for (int j = 0; j < n; j++) {                                         \
                T *cp = c + i * rsc + j * csc;                                    \
                *cp = beta == 0 ? tile[i][j] : tile[i][j] + beta * *cp;           \
            }                                                                     \
    }                                                                             \
    static void ukr_##SFX(int64_t k, const T *ap, const T *bp, T *c, int64_t rsc, int64_t csc, \
                          T alpha, T beta, int32_t m, int32_t n) {                \
        ukr_body_##SFX(k, ap, 1, MR, bp, 2 * W, c, rsc, csc, alpha, beta, m, n);  \
    }                                                                             \
    static void ukr_strided_##SFX(int64_t k, const T *a, int64_t ars, int64_t acs, \
                                  const T *b, int64_t brs, T *c, int64_t rsc, int64_t csc, \
                                  T alpha, T beta, int32_t m, int32_t n) {        \
        ukr_body_##SFX(k, a, ars, acs, b, brs, c, rsc, csc, alpha, beta, m, n);   \
    }

CT_DEFINE_PACK(float, f32, CT_MR_F32, 2 * WF)
CT_DEFINE_PACK(double, f64, CT_MR_F64, 2 * WD)
CT_DEFINE_UKR(float, f32, vf, WF, CT_MR_F32, ldf, stf, splatf, FMAF)
CT_DEFINE_UKR(double, f64, vd, WD, CT_MR_F64, ldd, std_, splatd, FMAD)

// MARK: Table

const ct_kernel_table CT_TABLE = {
    .name = CT_TABLE_NAME,
    .binary_f32 = binary_f32, .binary_f64 = binary_f64,
    .unary_f32 = unary_f32, .unary_f64 = unary_f64,
    .unary_nt_f32 = unary_nt_f32, .unary_nt_f64 = unary_nt_f64,
    .binary_nt_f32 = binary_nt_f32, .binary_nt_f64 = binary_nt_f64,
#if CT_MATH
    .unary_bf16 = unary_bf16, .binary_bf16 = binary_bf16,
#endif
#if CT_HAS_F16
    .unary_f16 = unary_f16, .binary_f16 = binary_f16,
#endif
    .sum_f32 = sum_f32, .sum_f64 = sum_f64, .prod_f32 = prod_f32, .prod_f64 = prod_f64,
    .maxmin_f32 = maxmin_f32, .maxmin_f64 = maxmin_f64,
    .cols_f32 = cols_f32, .cols_f64 = cols_f64,
#if CT_MATH
    .expsub_sum_f32 = expsub_sum_f32, .expsub_sum_f64 = expsub_sum_f64,
#endif
    .gemm = {
        .mr_f32 = CT_MR_F32, .nr_f32 = 2 * WF, .mr_f64 = CT_MR_F64, .nr_f64 = 2 * WD,
        .pack_a_f32 = pack_a_f32, .pack_b_f32 = pack_b_f32, .ukr_f32 = ukr_f32, .ukr_strided_f32 = ukr_strided_f32,
        .pack_a_f64 = pack_a_f64, .pack_b_f64 = pack_b_f64, .ukr_f64 = ukr_f64, .ukr_strided_f64 = ukr_strided_f64,
    },
};
