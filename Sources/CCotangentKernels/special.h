// Scalar special functions for the elementwise kernels (private to the C
// target), each in a float and a double version, picked by CT_TG1/CT_TG2 from
// the argument's type. They follow the definitions PyTorch's CPU kernels use,
// so edge cases (0, negative integers, infinities, NaN) give the same values.
#ifndef COTANGENT_SPECIAL_H
#define COTANGENT_SPECIAL_H
#include <math.h>

#define CT_TG1(fn, v) _Generic((v), float: fn##_f, default: fn##_d)(v)
#define CT_TG2(fn, x, y) _Generic((x), float: fn##_f, default: fn##_d)(x, y)
#define CT_MAX_(a, b) ((a) < (b) ? (b) : (a))
#define CT_MIN_(a, b) ((b) < (a) ? (b) : (a))

// e^x/(1+e^x) for x < 0 so that tiny results underflow gradually instead of
// 1/(1+inf) = 0; float32 goes through double (one rounding at the end).
static inline double ct_sigmoid_scalar(double v) {
    if (v >= 0) return 1 / (1 + exp(-v));
    double e = exp(v);
    return e / (1 + e);
}

// erfinv: Giles' single-precision approximation as a start ("Approximating
// the erfinv function", GPU Computing Gems, 2011), then two Newton steps on
// erf(x) = y in double, which reach double precision.
static inline double ct_erfinv_d(double y) {
    if (isnan(y) || y < -1 || y > 1) return NAN;
    if (y == 1) return INFINITY;
    if (y == -1) return -INFINITY;
    double w = -log((1 - y) * (1 + y)), p;
    if (w < 5) {
        w -= 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w;
        p = -3.5233877e-06 + p * w;
        p = -4.39150654e-06 + p * w;
        p = 0.00021858087 + p * w;
        p = -0.00125372503 + p * w;
        p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w;
        p = 1.50140941 + p * w;
    } else {
        w = sqrt(w) - 3;
        p = -0.000200214257;
        p = 0.000100950558 + p * w;
        p = 0.00134934322 + p * w;
        p = -0.00367342844 + p * w;
        p = 0.00573950773 + p * w;
        p = -0.0076224613 + p * w;
        p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w;
        p = 2.83297682 + p * w;
    }
    double x = p * y;
    const double two_over_sqrt_pi = 1.1283791670955126;
    for (int i = 0; i < 2; i++) x -= (erf(x) - y) / (two_over_sqrt_pi * exp(-x * x));
    return x;
}
static inline float ct_erfinv_f(float y) { return (float)ct_erfinv_d(y); }

// lgamma without the global `signgam` write of lgamma(3), which would race
// between the kernel threads.
static inline double ct_lgamma_d(double v) { int s; return lgamma_r(v, &s); }
static inline float ct_lgamma_f(float v) { int s; return lgammaf_r(v, &s); }

// digamma: -inf at +0 (+inf at -0), NaN at negative integers, the reflection
// formula below 0, then the recurrence up to 10 and the asymptotic series.
static inline double ct_digamma_d(double x) {
    if (x == 0) return copysign(INFINITY, -x);
    if (x < 0) {
        if (x == trunc(x)) return NAN;
        const double pi = 3.141592653589793;
        return ct_digamma_d(1 - x) - pi / tan(pi * x);
    }
    double shift = 0;
    while (x < 10) { shift -= 1 / x; x += 1; }
    const double z = 1 / (x * x);
    // Bernoulli terms B_2k / (2k x^2k), k = 1...7.
    const double series = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132
                            - z * (691.0 / 32760 - z * (1.0 / 12)))))));
    return shift + log(x) - 0.5 / x - series;
}
static inline float ct_digamma_f(float x) { return (float)ct_digamma_d(x); }

// trigamma (polygamma(1, x)), digamma's derivative: reflection below 1/2,
// recurrence up to x + 6, then the asymptotic series.
static inline double ct_trigamma_d(double x) {
    const double pi = 3.141592653589793;
    double sign = 1, result = 0;
    if (x < 0.5) {
        sign = -1;
        const double s = sin(pi * x);
        result -= (pi * pi) / (s * s);
        x = 1 - x;
    }
    for (int i = 0; i < 6; i++) { result += 1 / (x * x); x += 1; }
    const double z = 1 / (x * x);
    result += (1 + 1 / (2 * x) + z * (1.0 / 6 - z * (1.0 / 30 - z * (1.0 / 42)))) / x;
    return sign * result;
}
static inline float ct_trigamma_f(float x) { return (float)ct_trigamma_d(x); }

// GELU's tanh form with PyTorch's constants: beta = sqrt(2) * (2/sqrt(pi)) / 2.
static inline double ct_gelu_tanh_d(double x) {
    const double beta = 1.4142135623730951 * 1.1283791670955126 * 0.5, kappa = 0.044715;
    return 0.5 * x * (1 + tanh(beta * (x + kappa * x * x * x)));
}
static inline float ct_gelu_tanh_f(float x) {
    const float beta = (float)(1.4142135623730951 * 1.1283791670955126 * 0.5), kappa = 0.044715f;
    return 0.5f * x * (1 + tanhf(beta * (x + kappa * x * x * x)));
}

// log(sigmoid(x)) = min(x, 0) - log1p(e^-|x|): no overflow on either side.
static inline double ct_logsigmoid_d(double x) { return CT_MIN_(x, 0.0) - log1p(exp(-fabs(x))); }
static inline float ct_logsigmoid_f(float x) { return CT_MIN_(x, 0.0f) - log1pf(expf(-fabsf(x))); }

// x * log(y), 0 where x is 0 (unless y is NaN), as torch.xlogy.
static inline double ct_xlogy_d(double x, double y) { return isnan(y) ? NAN : (x == 0 ? 0 : x * log(y)); }
static inline float ct_xlogy_f(float x, float y) { return isnan(y) ? NAN : (x == 0 ? 0 : x * logf(y)); }

// log(e^x + e^y) without overflow; equal infinities give themselves.
static inline double ct_logaddexp_d(double a, double b) {
    if (isinf(a) && a == b) return a;
    const double m = CT_MAX_(a, b);
    return m + log1p(exp(-fabs(a - b)));
}
static inline float ct_logaddexp_f(float a, float b) {
    if (isinf(a) && a == b) return a;
    const float m = CT_MAX_(a, b);
    return m + log1pf(expf(-fabsf(a - b)));
}


// The gradients PyTorch computes with one fused kernel (`tanh_backward`,
// `sigmoid_backward` from the output gradient `g` and the result `r`;
// `gelu_backward`, `silu_backward`, `mish_backward`, `hardswish_backward` and
// `softplus_backward` from `g` and the input `x`), with PyTorch's formulas
// (BinaryOpsKernel.cpp, Activation.cpp). The fused multiply-adds stand where
// PyTorch's x86 builds contract `a + b·c`; every other step rounds. The 16-bit
// floats run the float forms and round once, as PyTorch does. The vector
// variants in simd_template.h agree.
#define CT_DEFINE_ACTIVATION_BACKWARDS(T, SFX, EXP, ERF, TANH, LOG1P, FMA)                        \
    static inline T ct_tanh_backward_##SFX(T g, T r) { return g * FMA(-r, r, (T)1); }            \
    static inline T ct_sigmoid_backward_##SFX(T g, T r) {                                        \
        _Pragma("STDC FP_CONTRACT OFF")                                                          \
        return g * ((T)1 - r) * r;                                                               \
    }                                                                                            \
    /* softplus: grad where x·β > threshold, else grad·z/(z + 1) with z = e^(x·β). */            \
    static inline T ct_softplus_backward_##SFX(T g, T x, T beta, T threshold) {                  \
        _Pragma("STDC FP_CONTRACT OFF")                                                          \
        const T z = EXP(x * beta);                                                               \
        return x * beta > threshold ? g : g * z / (z + (T)1);                                    \
    }                                                                                            \
    static inline T ct_gelu_backward_##SFX(T g, T x) {                                           \
        _Pragma("STDC FP_CONTRACT OFF")                                                          \
        const T alpha = (T)M_SQRT1_2, beta = (T)(M_2_SQRTPI * M_SQRT1_2 * 0.5);                 \
        const T cdf = (T)0.5 * ((T)1 + ERF(x * alpha));                                          \
        const T pdf = beta * EXP(x * x * (T)-0.5);                                               \
        return g * FMA(x, pdf, cdf);                                                             \
    }                                                                                            \
    static inline T ct_gelu_tanh_backward_##SFX(T g, T x) {                                      \
        _Pragma("STDC FP_CONTRACT OFF")                                                          \
        const T beta = (T)(M_SQRT2 * M_2_SQRTPI * 0.5), kappa = (T)0.044715;                    \
        const T x_sq = x * x, x_cube = x_sq * x;                                                 \
        const T t = TANH(beta * FMA(kappa, x_cube, x));                                          \
        const T left = (T)0.5 * x, right = (T)1 + t;                                             \
        const T left_derivative = (T)0.5 * right;                                                \
        const T tanh_derivative = FMA(-t, t, (T)1);                                              \
        const T inner_derivative = beta * FMA((T)3 * kappa, x_sq, (T)1);                         \
        return g * FMA(left * tanh_derivative, inner_derivative, left_derivative);               \
    }                                                                                            \
    static inline T ct_silu_backward_##SFX(T g, T x) {                                           \
        _Pragma("STDC FP_CONTRACT OFF")                                                          \
        const T s = (T)1 / ((T)1 + EXP(-x));                                                     \
        return g * s * FMA(x, (T)1 - s, (T)1);                                                   \
    }                                                                                            \
    static inline T ct_mish_backward_##SFX(T g, T x) {                                           \
        _Pragma("STDC FP_CONTRACT OFF")                                                          \
        const T s = (T)1 / ((T)1 + EXP(-x));                                                     \
        const T ts = TANH(LOG1P(EXP(x)));                                                        \
        return g * FMA(x * s, FMA(-ts, ts, (T)1), ts);                                           \
    }                                                                                            \
    static inline T ct_hardswish_backward_##SFX(T g, T x) {                                      \
        _Pragma("STDC FP_CONTRACT OFF")                                                          \
        return x <= (T)-3 ? (T)0 : (x < (T)3 ? g * (x / (T)3 + (T)0.5) : g);                     \
    }
CT_DEFINE_ACTIVATION_BACKWARDS(double, d, exp, erf, tanh, log1p, fma)
CT_DEFINE_ACTIVATION_BACKWARDS(float, f, expf, erff, tanhf, log1pf, fmaf)

#endif
