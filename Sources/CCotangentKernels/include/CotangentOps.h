// The elementwise operations, one line each.
//
// These lists are X-macros: every place that needs one fact per operation (the
// enum below, the scalar loops in elementwise.c, the vector kernels in
// simd_template.h, the threading grain) expands the list with a macro of its
// own, so a new operation is one line here. Swift sees only the enums.
//
// CT_UNARY_OPS(X) calls X(NAME, FLOAT, INT, OUT, VEC, COST):
//   NAME   the enum case, CT_<NAME>
//   FLOAT  the result for a floating element `v` of type `T` (float or double; float for
//          float16 and bfloat16, stored back rounded), with <tgmath.h>'s type-generic
//          functions; `p0`, `p1`, `p2` (of type T) are the op's parameters, when it has any (leakyRelu's slope, ...)
//   INT    the result for an integer or bool element `v`, or CT_FLOAT_ONLY
//          when Swift always converts integers to float first
//   OUT    SAME (the input's dtype) or BOOL
//   VEC    the vector variant in simd_template.h (CT_V_<VEC>), or none (a variant may
//          exist for float32 only: simd_template.h's CT_HAS_V_<VEC> says per type)
//   COST   CHEAP (memory-bound: a large threading grain) or MATH
//
// CT_MAX_/CT_MIN_ are std::max/std::min (a NaN first argument is returned, as
// PyTorch's scalar kernels do).
//
// CT_BINARY_OPS(X) calls X(NAME, FLOAT, INT, BOOL, OUT, VEC, COST) with the
// elements `x` and `y`; BOOL is the result for two bool operands (or
// CT_UNSUPPORTED: Swift never asks).
#ifndef COTANGENT_OPS_H
#define COTANGENT_OPS_H

#define CT_UNARY_OPS(X)                                                                  \
    X(NEG, -v, -v, SAME, neg, CHEAP)                                                     \
    X(ABS, fabs(v), (v < 0 ? -v : v), SAME, abs, CHEAP)                                  \
    X(SIGN, isnan(v) ? (T)0 : (T)((v > 0) - (v < 0)), (T)((v > 0) - (v < 0)), SAME, none, CHEAP) \
    X(SQUARE, v * v, v * v, SAME, square, CHEAP)                                         \
    X(EXP, exp(v), CT_FLOAT_ONLY, SAME, exp, MATH)                                       \
    X(LOG, log(v), CT_FLOAT_ONLY, SAME, log, MATH)                                       \
    X(LOG1P, log1p(v), CT_FLOAT_ONLY, SAME, log1p, MATH)                                 \
    X(EXPM1, expm1(v), CT_FLOAT_ONLY, SAME, expm1, MATH)                                 \
    X(SQRT, sqrt(v), CT_FLOAT_ONLY, SAME, sqrt, CHEAP)                                   \
    X(RSQRT, (T)1 / sqrt(v), CT_FLOAT_ONLY, SAME, rsqrt, CHEAP)                          \
    X(SIN, sin(v), CT_FLOAT_ONLY, SAME, none, MATH)                                      \
    X(COS, cos(v), CT_FLOAT_ONLY, SAME, none, MATH)                                      \
    X(TAN, tan(v), CT_FLOAT_ONLY, SAME, none, MATH)                                      \
    X(TANH, tanh(v), CT_FLOAT_ONLY, SAME, tanh, MATH)                                    \
    X(SIGMOID, (T)ct_sigmoid_scalar(v), CT_FLOAT_ONLY, SAME, sigmoid, MATH)              \
    X(RELU, (v > 0 || isnan(v)) ? v : (T)0, (v > 0 ? v : 0), SAME, relu, CHEAP)          \
    X(FLOOR, floor(v), v, SAME, floor, CHEAP)                                            \
    X(CEIL, ceil(v), v, SAME, ceil, CHEAP)                                               \
    X(ROUND, nearbyint(v), v, SAME, round, CHEAP)                                        \
    X(TRUNC, trunc(v), v, SAME, trunc, CHEAP)                                            \
    X(FRAC, v - trunc(v), CT_FLOAT_ONLY, SAME, frac, CHEAP)                              \
    X(RECIPROCAL, (T)1 / v, CT_FLOAT_ONLY, SAME, reciprocal, CHEAP)                      \
    X(NOT, v == 0, v == 0, BOOL, none, CHEAP)                                            \
    X(ISNAN, isnan(v) != 0, ((void)v, 0), BOOL, none, CHEAP)                                  \
    X(ISINF, isinf(v) != 0, ((void)v, 0), BOOL, none, CHEAP)                                  \
    X(ISFINITE, isfinite(v) != 0, ((void)v, 1), BOOL, none, CHEAP)                            \
    X(SINC, v == 0 ? (T)1 : sin((T)M_PI * v) / ((T)M_PI * v), CT_FLOAT_ONLY, SAME, none, MATH) \
    X(SINH, sinh(v), CT_FLOAT_ONLY, SAME, sinh, MATH)                                    \
    X(COSH, cosh(v), CT_FLOAT_ONLY, SAME, cosh, MATH)                                    \
    X(ASIN, asin(v), CT_FLOAT_ONLY, SAME, none, MATH)                                    \
    X(ACOS, acos(v), CT_FLOAT_ONLY, SAME, none, MATH)                                    \
    X(ATAN, atan(v), CT_FLOAT_ONLY, SAME, none, MATH)                                    \
    X(ASINH, asinh(v), CT_FLOAT_ONLY, SAME, none, MATH)                                  \
    X(ACOSH, acosh(v), CT_FLOAT_ONLY, SAME, none, MATH)                                  \
    X(ATANH, atanh(v), CT_FLOAT_ONLY, SAME, none, MATH)                                  \
    X(LOG2, log2(v), CT_FLOAT_ONLY, SAME, log2, MATH)                                    \
    X(LOG10, log10(v), CT_FLOAT_ONLY, SAME, log10, MATH)                                 \
    X(EXP2, exp2(v), CT_FLOAT_ONLY, SAME, exp2, MATH)                                    \
    X(ERF, erf(v), CT_FLOAT_ONLY, SAME, none, MATH)                                      \
    X(ERFC, erfc(v), CT_FLOAT_ONLY, SAME, none, MATH)                                    \
    X(ERFINV, CT_TG1(ct_erfinv, v), CT_FLOAT_ONLY, SAME, none, MATH)                     \
    X(LGAMMA, CT_TG1(ct_lgamma, v), CT_FLOAT_ONLY, SAME, none, MATH)                     \
    X(DIGAMMA, CT_TG1(ct_digamma, v), CT_FLOAT_ONLY, SAME, none, MATH)                   \
    X(TRIGAMMA, CT_TG1(ct_trigamma, v), CT_FLOAT_ONLY, SAME, none, MATH)                 \
    X(GELU, v * (T)0.5 * ((T)1 + erf(v * (T)M_SQRT1_2)), CT_FLOAT_ONLY, SAME, none, MATH) \
    X(GELU_TANH, CT_TG1(ct_gelu_tanh, v), CT_FLOAT_ONLY, SAME, none, MATH)               \
    X(SILU, v / ((T)1 + exp(-v)), CT_FLOAT_ONLY, SAME, silu, MATH)                       \
    X(MISH, v * tanh(log1p(exp(v))), CT_FLOAT_ONLY, SAME, mish, MATH)                    \
    X(LOGSIGMOID, CT_TG1(ct_logsigmoid, v), CT_FLOAT_ONLY, SAME, logsigmoid, MATH)             \
    X(HARDSIGMOID, CT_MIN_(CT_MAX_(v + (T)3, (T)0), (T)6) / (T)6, CT_FLOAT_ONLY, SAME, hardsigmoid, CHEAP) \
    X(HARDSWISH, v * CT_MIN_(CT_MAX_(v + (T)3, (T)0), (T)6) / (T)6, CT_FLOAT_ONLY, SAME, hardswish, CHEAP) \
    /* p0: the slope for negative inputs */                                              \
    X(LEAKY_RELU, v > 0 ? v : v * p0, CT_FLOAT_ONLY, SAME, none, CHEAP)                  \
    /* p0: alpha, p1: scale, p2: input scale (elu, selu and celu) */                     \
    X(ELU, v > 0 ? v * p1 : expm1(v * p2) * (p0 * p1), CT_FLOAT_ONLY, SAME, elu, MATH)   \
    /* p0: beta, p1: threshold */                                                        \
    X(SOFTPLUS, v * p0 > p1 ? v : log1p(exp(v * p0)) / p0, CT_FLOAT_ONLY, SAME, softplus, MATH) \
    /* p0: min, p1: max; NaN stays NaN */                                                \
    X(HARDTANH, v < p0 ? p0 : (v > p1 ? p1 : v), (v < p0 ? p0 : (v > p1 ? p1 : v)), SAME, none, CHEAP)

#define CT_BINARY_OPS(X)                                                                 \
    X(ADD, x + y, x + y, x | y, SAME, add, CHEAP)                                        \
    X(SUB, x - y, x - y, x ^ y, SAME, sub, CHEAP)                                        \
    X(MUL, x * y, x * y, x & y, SAME, mul, CHEAP)                                        \
    X(DIV, x / y, (y == 0 ? 0 : x / y), CT_UNSUPPORTED, SAME, div, CHEAP)                \
    X(POW, pow(x, y), ct_ipow(x, y), CT_UNSUPPORTED, SAME, none, MATH)                   \
    X(MAXIMUM, (isnan(x) || isnan(y)) ? (x + y) : (x > y ? x : y), (x > y ? x : y), x | y, SAME, max, CHEAP) \
    X(MINIMUM, (isnan(x) || isnan(y)) ? (x + y) : (x < y ? x : y), (x < y ? x : y), x & y, SAME, min, CHEAP) \
    X(FLOORDIV, (T)ct_floordiv_f64(x, y), ct_ifloordiv(x, y), CT_UNSUPPORTED, SAME, none, MATH) \
    X(REM, (T)ct_rem_f64(x, y), ct_irem(x, y), CT_UNSUPPORTED, SAME, none, MATH)         \
    X(FMOD, fmod(x, y), (y == 0 ? 0 : x % y), CT_UNSUPPORTED, SAME, none, MATH)          \
    X(ATAN2, atan2(x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, MATH)               \
    X(HYPOT, hypot(x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, MATH)               \
    X(COPYSIGN, copysign(x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, CHEAP)        \
    X(XLOGY, CT_TG2(ct_xlogy, x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, MATH)    \
    X(LOGADDEXP, CT_TG2(ct_logaddexp, x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, MATH) \
    X(THRESHOLD_BACKWARD, (y <= 0 ? (T)0 : x), (y <= 0 ? 0 : x), CT_UNSUPPORTED, SAME, threshold_backward, CHEAP) \
    X(TANH_BACKWARD, CT_TG2(ct_tanh_backward, x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, tanh_backward, CHEAP) \
    X(SIGMOID_BACKWARD, CT_TG2(ct_sigmoid_backward, x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, sigmoid_backward, CHEAP) \
    X(GELU_BACKWARD, CT_TG2(ct_gelu_backward, x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, MATH) \
    X(GELU_TANH_BACKWARD, CT_TG2(ct_gelu_tanh_backward, x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, MATH) \
    X(SILU_BACKWARD, CT_TG2(ct_silu_backward, x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, MATH) \
    X(MISH_BACKWARD, CT_TG2(ct_mish_backward, x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, MATH) \
    X(LEAKY_RELU_BACKWARD, (y > 0 ? x : x * p0), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, CHEAP) \
    X(HARDTANH_BACKWARD, ((y <= p0 || y >= p1) ? (T)0 : x), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, CHEAP) \
    X(ELU_BACKWARD, (y <= 0 ? x * p2 * (p0 * p1) * exp(y * p2) : x * p1), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, MATH) \
    X(SOFTPLUS_BACKWARD, _Generic((x), float: ct_softplus_backward_f, default: ct_softplus_backward_d)(x, y, p0, p1), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, none, MATH) \
    X(HARDSWISH_BACKWARD, CT_TG2(ct_hardswish_backward, x, y), CT_FLOAT_ONLY, CT_UNSUPPORTED, SAME, hardswish_backward, CHEAP) \
    X(EQ, x == y, x == y, x == y, BOOL, none, CHEAP)                                     \
    X(NE, x != y, x != y, x != y, BOOL, none, CHEAP)                                     \
    X(LT, x < y, x < y, x < y, BOOL, none, CHEAP)                                        \
    X(LE, x <= y, x <= y, x <= y, BOOL, none, CHEAP)                                     \
    X(GT, x > y, x > y, x > y, BOOL, none, CHEAP)                                        \
    X(GE, x >= y, x >= y, x >= y, BOOL, none, CHEAP)                                     \
    X(AND, (x != 0) && (y != 0), (x != 0) && (y != 0), x & y, BOOL, none, CHEAP)         \
    X(OR, (x != 0) || (y != 0), (x != 0) || (y != 0), x | y, BOOL, none, CHEAP)          \
    X(XOR, (x != 0) != (y != 0), (x != 0) != (y != 0), x ^ y, BOOL, none, CHEAP)

#define CT_OP_ENUM_CASE_U(NAME, FLOAT, INT, OUT, VEC, COST) CT_##NAME,
#define CT_OP_ENUM_CASE_B(NAME, FLOAT, INT, BOOL, OUT, VEC, COST) CT_##NAME,

/// Unary elementwise operations (see CT_UNARY_OPS).
typedef enum { CT_UNARY_OPS(CT_OP_ENUM_CASE_U) CT_UNARY_OP_COUNT } ct_unary_op;

/// Binary elementwise operations on two operands of one dtype (see CT_BINARY_OPS).
typedef enum { CT_BINARY_OPS(CT_OP_ENUM_CASE_B) CT_BINARY_OP_COUNT } ct_binary_op;

#endif
