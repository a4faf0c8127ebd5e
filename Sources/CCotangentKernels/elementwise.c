// Portable elementwise kernels. Each public entry point switches once on
// (op, dtype) and then runs a tight loop over rows of the iteration space,
// with a unit-stride path the compiler can vectorise.
#include "CotangentKernels.h"
#include "loops.h"
#include <math.h>
#include <string.h>

typedef uint8_t ct_bool;

// Runs BODY for every element; `v` is the input, the result goes to the output.
#define CT_UNARY_LOOP(T, OT, EXPR)                                                   \
    do {                                                                             \
        const int64_t n = shape[ndim - 1], rows = ct_rows(ndim, shape);             \
        const int64_t ix = sx[ndim - 1], io = so[ndim - 1];                          \
        for (int64_t r = 0; r < rows; r++) {                                         \
            const T *xp = (const T *)x + ct_row_offset(r, ndim, shape, sx);          \
            OT *op = (OT *)out + ct_row_offset(r, ndim, shape, so);                  \
            if (ix == 1 && io == 1) {                                                \
                for (int64_t i = 0; i < n; i++) { T v = xp[i]; op[i] = (OT)(EXPR); } \
            } else {                                                                 \
                for (int64_t i = 0; i < n; i++) {                                    \
                    T v = xp[i * ix];                                                \
                    op[i * io] = (OT)(EXPR);                                         \
                }                                                                    \
            }                                                                        \
        }                                                                            \
    } while (0)

#define CT_BINARY_LOOP(T, OT, EXPR)                                                  \
    do {                                                                             \
        const int64_t n = shape[ndim - 1], rows = ct_rows(ndim, shape);             \
        const int64_t ia = sa[ndim - 1], ib = sb[ndim - 1], io = so[ndim - 1];       \
        for (int64_t r = 0; r < rows; r++) {                                         \
            const T *ap = (const T *)a + ct_row_offset(r, ndim, shape, sa);          \
            const T *bp = (const T *)b + ct_row_offset(r, ndim, shape, sb);          \
            OT *op = (OT *)out + ct_row_offset(r, ndim, shape, so);                  \
            if (ia == 1 && ib == 1 && io == 1) {                                     \
                for (int64_t i = 0; i < n; i++) {                                    \
                    T x = ap[i], y = bp[i]; op[i] = (OT)(EXPR);                      \
                }                                                                    \
            } else if (ia == 1 && ib == 0 && io == 1) {                              \
                const T y = bp[0];                                                   \
                for (int64_t i = 0; i < n; i++) { T x = ap[i]; op[i] = (OT)(EXPR); } \
            } else if (ia == 0 && ib == 1 && io == 1) {                              \
                const T x = ap[0];                                                   \
                for (int64_t i = 0; i < n; i++) { T y = bp[i]; op[i] = (OT)(EXPR); } \
            } else {                                                                 \
                for (int64_t i = 0; i < n; i++) {                                    \
                    T x = ap[i * ia], y = bp[i * ib];                                \
                    op[i * io] = (OT)(EXPR);                                         \
                }                                                                    \
            }                                                                        \
        }                                                                            \
    } while (0)

// MARK: Unary

#define CT_FLOAT_UNARY(T, F)                                                         \
    switch (op) {                                                                    \
    case CT_NEG: CT_UNARY_LOOP(T, T, -v); break;                                     \
    case CT_ABS: CT_UNARY_LOOP(T, T, fabs##F(v)); break;                             \
    case CT_SIGN: CT_UNARY_LOOP(T, T, isnan(v) ? v : (T)((v > 0) - (v < 0))); break; \
    case CT_SQUARE: CT_UNARY_LOOP(T, T, v * v); break;                               \
    case CT_EXP: CT_UNARY_LOOP(T, T, exp##F(v)); break;                              \
    case CT_LOG: CT_UNARY_LOOP(T, T, log##F(v)); break;                              \
    case CT_LOG1P: CT_UNARY_LOOP(T, T, log1p##F(v)); break;                          \
    case CT_EXPM1: CT_UNARY_LOOP(T, T, expm1##F(v)); break;                          \
    case CT_SQRT: CT_UNARY_LOOP(T, T, sqrt##F(v)); break;                            \
    case CT_RSQRT: CT_UNARY_LOOP(T, T, (T)1 / sqrt##F(v)); break;                    \
    case CT_SIN: CT_UNARY_LOOP(T, T, sin##F(v)); break;                              \
    case CT_COS: CT_UNARY_LOOP(T, T, cos##F(v)); break;                              \
    case CT_TAN: CT_UNARY_LOOP(T, T, tan##F(v)); break;                              \
    case CT_TANH: CT_UNARY_LOOP(T, T, tanh##F(v)); break;                            \
    case CT_SIGMOID: CT_UNARY_LOOP(T, T, (T)1 / ((T)1 + exp##F(-v))); break;         \
    case CT_RELU: CT_UNARY_LOOP(T, T, (v > 0 || isnan(v)) ? v : (T)0); break;        \
    case CT_FLOOR: CT_UNARY_LOOP(T, T, floor##F(v)); break;                          \
    case CT_CEIL: CT_UNARY_LOOP(T, T, ceil##F(v)); break;                            \
    case CT_ROUND: CT_UNARY_LOOP(T, T, nearbyint##F(v)); break;                      \
    case CT_TRUNC: CT_UNARY_LOOP(T, T, trunc##F(v)); break;                          \
    case CT_RECIPROCAL: CT_UNARY_LOOP(T, T, (T)1 / v); break;                        \
    case CT_NOT: CT_UNARY_LOOP(T, ct_bool, v == 0); break;                           \
    case CT_ISNAN: CT_UNARY_LOOP(T, ct_bool, isnan(v)); break;                       \
    }

#define CT_INT_UNARY(T)                                                              \
    switch (op) {                                                                    \
    case CT_NEG: CT_UNARY_LOOP(T, T, -v); break;                                     \
    case CT_ABS: CT_UNARY_LOOP(T, T, v < 0 ? -v : v); break;                         \
    case CT_SIGN: CT_UNARY_LOOP(T, T, (v > 0) - (v < 0)); break;                     \
    case CT_SQUARE: CT_UNARY_LOOP(T, T, v * v); break;                               \
    case CT_RELU: CT_UNARY_LOOP(T, T, v > 0 ? v : 0); break;                         \
    case CT_FLOOR: case CT_CEIL: case CT_ROUND: case CT_TRUNC:                       \
        CT_UNARY_LOOP(T, T, v); break;                                               \
    case CT_NOT: CT_UNARY_LOOP(T, ct_bool, v == 0); break;                           \
    case CT_ISNAN: CT_UNARY_LOOP(T, ct_bool, 0); break;                              \
    default: break;                                                                  \
    }

void ct_unary(ct_unary_op op, ct_dtype dtype, int32_t ndim, const int64_t *shape,
              const void *x, const int64_t *sx, void *out, const int64_t *so) {
    switch (dtype) {
    case CT_F32: CT_FLOAT_UNARY(float, f); break;
    case CT_F64: CT_FLOAT_UNARY(double, ); break;
    case CT_I32: CT_INT_UNARY(int32_t); break;
    case CT_I64: CT_INT_UNARY(int64_t); break;
    case CT_BOOL: CT_INT_UNARY(ct_bool); break;
    }
}

// MARK: Binary

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

#define CT_COMPARISONS(T)                                                            \
    case CT_EQ: CT_BINARY_LOOP(T, ct_bool, x == y); break;                           \
    case CT_NE: CT_BINARY_LOOP(T, ct_bool, x != y); break;                           \
    case CT_LT: CT_BINARY_LOOP(T, ct_bool, x < y); break;                            \
    case CT_LE: CT_BINARY_LOOP(T, ct_bool, x <= y); break;                           \
    case CT_GT: CT_BINARY_LOOP(T, ct_bool, x > y); break;                            \
    case CT_GE: CT_BINARY_LOOP(T, ct_bool, x >= y); break;                           \
    case CT_AND: CT_BINARY_LOOP(T, ct_bool, (x != 0) && (y != 0)); break;            \
    case CT_OR: CT_BINARY_LOOP(T, ct_bool, (x != 0) || (y != 0)); break;             \
    case CT_XOR: CT_BINARY_LOOP(T, ct_bool, (x != 0) != (y != 0)); break;

#define CT_FLOAT_BINARY(T, F)                                                        \
    switch (op) {                                                                    \
    case CT_ADD: CT_BINARY_LOOP(T, T, x + y); break;                                 \
    case CT_SUB: CT_BINARY_LOOP(T, T, x - y); break;                                 \
    case CT_MUL: CT_BINARY_LOOP(T, T, x * y); break;                                 \
    case CT_DIV: CT_BINARY_LOOP(T, T, x / y); break;                                 \
    case CT_POW: CT_BINARY_LOOP(T, T, pow##F(x, y)); break;                          \
    case CT_MAXIMUM: CT_BINARY_LOOP(T, T, (isnan(x) || isnan(y)) ? (x + y) : (x > y ? x : y)); break; \
    case CT_MINIMUM: CT_BINARY_LOOP(T, T, (isnan(x) || isnan(y)) ? (x + y) : (x < y ? x : y)); break; \
    case CT_FLOORDIV: CT_BINARY_LOOP(T, T, (T)ct_floordiv_f64(x, y)); break;         \
    case CT_REM: CT_BINARY_LOOP(T, T, (T)ct_rem_f64(x, y)); break;                   \
    case CT_ATAN2: CT_BINARY_LOOP(T, T, atan2##F(x, y)); break;                      \
    CT_COMPARISONS(T)                                                                \
    }

#define CT_INT_BINARY(T)                                                             \
    switch (op) {                                                                    \
    case CT_ADD: CT_BINARY_LOOP(T, T, x + y); break;                                 \
    case CT_SUB: CT_BINARY_LOOP(T, T, x - y); break;                                 \
    case CT_MUL: CT_BINARY_LOOP(T, T, x * y); break;                                 \
    case CT_DIV: CT_BINARY_LOOP(T, T, y == 0 ? 0 : x / y); break;                    \
    case CT_POW: CT_BINARY_LOOP(T, T, ct_ipow(x, y)); break;                         \
    case CT_MAXIMUM: CT_BINARY_LOOP(T, T, x > y ? x : y); break;                     \
    case CT_MINIMUM: CT_BINARY_LOOP(T, T, x < y ? x : y); break;                     \
    case CT_FLOORDIV: CT_BINARY_LOOP(T, T, ct_ifloordiv(x, y)); break;               \
    case CT_REM: CT_BINARY_LOOP(T, T, ct_irem(x, y)); break;                         \
    case CT_ATAN2: CT_BINARY_LOOP(T, T, atan2((double)x, (double)y)); break;         \
    CT_COMPARISONS(T)                                                                \
    }

void ct_binary(ct_binary_op op, ct_dtype dtype, int32_t ndim, const int64_t *shape,
               const void *a, const int64_t *sa, const void *b, const int64_t *sb,
               void *out, const int64_t *so) {
    switch (dtype) {
    case CT_F32: CT_FLOAT_BINARY(float, f); break;
    case CT_F64: CT_FLOAT_BINARY(double, ); break;
    case CT_I32: CT_INT_BINARY(int32_t); break;
    case CT_I64: CT_INT_BINARY(int64_t); break;
    case CT_BOOL:
        switch (op) {
        case CT_ADD: case CT_OR: case CT_MAXIMUM: CT_BINARY_LOOP(ct_bool, ct_bool, x | y); break;
        case CT_MUL: case CT_AND: case CT_MINIMUM: CT_BINARY_LOOP(ct_bool, ct_bool, x & y); break;
        case CT_SUB: case CT_XOR: case CT_NE: CT_BINARY_LOOP(ct_bool, ct_bool, x ^ y); break;
        case CT_EQ: CT_BINARY_LOOP(ct_bool, ct_bool, x == y); break;
        case CT_LT: CT_BINARY_LOOP(ct_bool, ct_bool, x < y); break;
        case CT_LE: CT_BINARY_LOOP(ct_bool, ct_bool, x <= y); break;
        case CT_GT: CT_BINARY_LOOP(ct_bool, ct_bool, x > y); break;
        case CT_GE: CT_BINARY_LOOP(ct_bool, ct_bool, x >= y); break;
        default: break;
        }
        break;
    }
}

// MARK: Where, cast, fill, clamp

#define CT_WHERE_LOOP(T)                                                             \
    do {                                                                             \
        const int64_t n = shape[ndim - 1], rows = ct_rows(ndim, shape);             \
        const int64_t ic = sc[ndim - 1], ia = sa[ndim - 1], ib = sb[ndim - 1], io = so[ndim - 1]; \
        for (int64_t r = 0; r < rows; r++) {                                         \
            const ct_bool *cp = cond + ct_row_offset(r, ndim, shape, sc);            \
            const T *ap = (const T *)a + ct_row_offset(r, ndim, shape, sa);          \
            const T *bp = (const T *)b + ct_row_offset(r, ndim, shape, sb);          \
            T *op = (T *)out + ct_row_offset(r, ndim, shape, so);                    \
            for (int64_t i = 0; i < n; i++) op[i * io] = cp[i * ic] ? ap[i * ia] : bp[i * ib]; \
        }                                                                            \
    } while (0)

void ct_where(ct_dtype dtype, int32_t ndim, const int64_t *shape,
              const uint8_t *cond, const int64_t *sc, const void *a, const int64_t *sa,
              const void *b, const int64_t *sb, void *out, const int64_t *so) {
    switch (dtype) {
    case CT_F32: CT_WHERE_LOOP(float); break;
    case CT_F64: CT_WHERE_LOOP(double); break;
    case CT_I32: CT_WHERE_LOOP(int32_t); break;
    case CT_I64: CT_WHERE_LOOP(int64_t); break;
    case CT_BOOL: CT_WHERE_LOOP(ct_bool); break;
    }
}

#define CT_CAST_FROM(T)                                                              \
    switch (to) {                                                                    \
    case CT_F32: CT_UNARY_LOOP(T, float, v); break;                                  \
    case CT_F64: CT_UNARY_LOOP(T, double, v); break;                                 \
    case CT_I32: CT_UNARY_LOOP(T, int32_t, v); break;                                \
    case CT_I64: CT_UNARY_LOOP(T, int64_t, v); break;                                \
    case CT_BOOL: CT_UNARY_LOOP(T, ct_bool, v != 0); break;                          \
    }

void ct_cast(ct_dtype from, ct_dtype to, int32_t ndim, const int64_t *shape,
             const void *x, const int64_t *sx, void *out, const int64_t *so) {
    switch (from) {
    case CT_F32: CT_CAST_FROM(float); break;
    case CT_F64: CT_CAST_FROM(double); break;
    case CT_I32: CT_CAST_FROM(int32_t); break;
    case CT_I64: CT_CAST_FROM(int64_t); break;
    case CT_BOOL: CT_CAST_FROM(ct_bool); break;
    }
}

#define CT_FILL_LOOP(T, V)                                                           \
    do {                                                                             \
        const int64_t n = shape[ndim - 1], rows = ct_rows(ndim, shape);             \
        const int64_t io = so[ndim - 1];                                             \
        const T value = (T)(V);                                                      \
        for (int64_t r = 0; r < rows; r++) {                                         \
            T *op = (T *)out + ct_row_offset(r, ndim, shape, so);                    \
            for (int64_t i = 0; i < n; i++) op[i * io] = value;                      \
        }                                                                            \
    } while (0)

void ct_fill(ct_dtype dtype, int32_t ndim, const int64_t *shape,
             void *out, const int64_t *so, double fvalue, int64_t ivalue) {
    switch (dtype) {
    case CT_F32: CT_FILL_LOOP(float, fvalue); break;
    case CT_F64: CT_FILL_LOOP(double, fvalue); break;
    case CT_I32: CT_FILL_LOOP(int32_t, ivalue); break;
    case CT_I64: CT_FILL_LOOP(int64_t, ivalue); break;
    case CT_BOOL: CT_FILL_LOOP(ct_bool, fvalue != 0); break;
    }
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

void ct_clamp(ct_dtype dtype, int32_t ndim, const int64_t *shape,
              const void *x, const int64_t *sx, void *out, const int64_t *so,
              double lo, bool has_lo, double hi, bool has_hi) {
    switch (dtype) {
    case CT_F32: {
        const float l = (float)lo, h = (float)hi;
        CT_UNARY_LOOP(float, float, ct_clamp_f32(v, l, has_lo, h, has_hi));
        break;
    }
    case CT_F64: CT_UNARY_LOOP(double, double, ct_clamp_f64(v, lo, has_lo, hi, has_hi)); break;
    case CT_I32: {
        const int32_t l = (int32_t)lo, h = (int32_t)hi;
        CT_UNARY_LOOP(int32_t, int32_t, ct_clamp_i32(v, l, has_lo, h, has_hi));
        break;
    }
    case CT_I64: {
        const int64_t l = (int64_t)lo, h = (int64_t)hi;
        CT_UNARY_LOOP(int64_t, int64_t, ct_clamp_i64(v, l, has_lo, h, has_hi));
        break;
    }
    case CT_BOOL: CT_UNARY_LOOP(ct_bool, ct_bool, v); break;
    }
}
