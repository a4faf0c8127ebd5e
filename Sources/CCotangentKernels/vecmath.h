// Vectorised exp, expm1, log, log1p, tanh and sigmoid (needs vec.h and FMA).
//
// float64: range reduction x = n*ln2 + r (|r| <= ln2/2, Cody-Waite constants with
// FMA), a degree-13 Taylor polynomial for expm1(r), and fdlibm's log and tanh
// schemes; about 1 ulp. Scaling by 2^n is split in two factors so that results
// near overflow and in the subnormal range round once and correctly.
//
// float32 expm1, log1p, sigmoid: evaluated in double (a float converts
// exactly, and float subnormals are normal doubles), with shorter polynomials,
// then rounded once to float: nearly correctly rounded (< 0.51 ulp) over the
// whole range, with overflow, underflow and subnormal results handled by the
// final conversion. float32 exp, log and tanh: in float arithmetic (about 1 ulp).
#ifndef COTANGENT_VECMATH_H
#define COTANGENT_VECMATH_H

#define CT_LOG2E 0x1.71547652b82fep0
#define CT_LN2_HI 0x1.62e42fefa39efp-1
#define CT_LN2_LO 0x1.abc9e3b39803fp-56

// 2^n for integral n in [-1022, 1023], held in a double vector.
CT_INLINE vd pow2d(vd n) {
    vd s = n + (0x1.8p52 + 1023.0);  // n + 1023 lands in the low mantissa bits
    return (vd)((vl)s << 52);
}

// (expm1(r) - r) / r^2 for |r| <= ln2/2, double accuracy: 1/2 + r/6 + ... + r^11/13!.
CT_INLINE vd expm1_tail13(vd r) {
    vd q = splatd(0x1.6124613a86d09p-33);
    q = FMAD(q, r, splatd(0x1.1eed8eff8d898p-29));
    q = FMAD(q, r, splatd(0x1.ae64567f544e4p-26));
    q = FMAD(q, r, splatd(0x1.27e4fb7789f5cp-22));
    q = FMAD(q, r, splatd(0x1.71de3a556c734p-19));
    q = FMAD(q, r, splatd(0x1.a01a01a01a01ap-16));
    q = FMAD(q, r, splatd(0x1.a01a01a01a01ap-13));
    q = FMAD(q, r, splatd(0x1.6c16c16c16c17p-10));
    q = FMAD(q, r, splatd(0x1.1111111111111p-7));
    q = FMAD(q, r, splatd(0x1.5555555555555p-5));
    q = FMAD(q, r, splatd(0x1.5555555555555p-3));
    return FMAD(q, r, splatd(0.5));
}

// expm1(r) = r + w as an unevaluated sum p_hi + p_lo (Fast2Sum: |w| <= |r|/5),
// so only w's own rounding (a fraction of an ulp of the sum) remains.
CT_INLINE vd expm1_dd(vd r, vd *p_lo) {
    vd w = (r * r) * expm1_tail13(r);
    vd p_hi = r + w;
    *p_lo = w - (p_hi - r);
    return p_hi;
}

// Same to degree 9: relative error below 2^-36, plenty for float results.
CT_INLINE vd expm1_poly9(vd r) {
    vd q = splatd(0x1.27e4fb7789f5cp-22);
    q = FMAD(q, r, splatd(0x1.71de3a556c734p-19));
    q = FMAD(q, r, splatd(0x1.a01a01a01a01ap-16));
    q = FMAD(q, r, splatd(0x1.a01a01a01a01ap-13));
    q = FMAD(q, r, splatd(0x1.6c16c16c16c17p-10));
    q = FMAD(q, r, splatd(0x1.1111111111111p-7));
    q = FMAD(q, r, splatd(0x1.5555555555555p-5));
    q = FMAD(q, r, splatd(0x1.5555555555555p-3));
    q = FMAD(q, r, splatd(0.5));
    return FMAD(r * r, q, r);
}

// x = n*ln2 + r with n integral (as a double) and |r| <= ln2/2 (+ rounding).
#define CT_REDUCE_LN2(x, n, r)                                   \
    vd n = __builtin_elementwise_roundeven((x) * CT_LOG2E);      \
    vd r = FMAD(n, splatd(-CT_LN2_HI), (x));                     \
    r = FMAD(n, splatd(-CT_LN2_LO), r)

// MARK: float64

CT_INLINE vd exp_d(vd x) {
    vd xc = mind_(maxd_(x, splatd(-750.0)), splatd(710.0));
    CT_REDUCE_LN2(xc, n, r);
    vd p_lo, p_hi = expm1_dd(r, &p_lo);
    vd e_hi = 1.0 + p_hi, e_lo = ((1.0 - e_hi) + p_hi) + p_lo;  // Fast2Sum: |p_hi| < 1
    vd n1 = __builtin_elementwise_floor(n * 0.5), n2 = n - n1;
    vd y = ((e_hi + e_lo) * pow2d(n1)) * pow2d(n2);
    return seld(x != x, x, y);
}

// expm1 for x in [-45, 700] as an unevaluated sum hi + lo: 2^n * expm1(r) +
// (2^n - 1), where 2^n - 1 is exact for |n| <= 53 (beyond that the -1 is
// negligible) and both the polynomial's leading sum and the final addition
// keep their rounding errors (Fast2Sum / TwoSum), for callers that divide.
CT_INLINE vd expm1_core_d(vd xc, vd *lo) {
    CT_REDUCE_LN2(xc, n, r);
    vd p_lo, p_hi = expm1_dd(r, &p_lo);
    vd t = pow2d(n);
    vd a = t * p_hi, b = t - 1.0;        // both exact
    vd s = a + b, bb = s - a;
    *lo = ((a - (s - bb)) + (b - bb)) + t * p_lo;
    return s;
}

CT_INLINE vd expm1_d(vd x) {
    vd xc = mind_(maxd_(x, splatd(-45.0)), splatd(700.0));
    vd lo;
    vd y = expm1_core_d(xc, &lo);
    y = y + lo;
    y = seld(x > 700.0, exp_d(x), y);  // rare; exp's scaling reaches overflow exactly
    y = seld(x == 0.0, x, y);          // keeps the sign of zero
    return seld(x != x, x, y);
}

// num / (d_hi + d_lo) to about half an ulp: one division, then the FMA residual
// corrects both the quotient's rounding and the part of d lost in d_hi.
CT_INLINE vd div_dd(vd num, vd num_lo, vd d_hi, vd d_lo) {
    vd q = num / d_hi;
    vd res = FMAD(-q, d_hi, num) + num_lo - q * d_lo;
    return q + res / d_hi;
}

// fdlibm's log(1+f) kernel for 1+f in [sqrt(2)/2, sqrt(2)), without the k terms.
#define CT_LG1 6.666666666666735130e-01
#define CT_LG2 3.999999999940941908e-01
#define CT_LG3 2.857142874366239149e-01
#define CT_LG4 2.222219843214978396e-01
#define CT_LG5 1.818357216161805012e-01
#define CT_LG6 1.531383769920937332e-01
#define CT_LG7 1.479819860511658591e-01

// log for finite x > 0 (any other input gives garbage; callers select).
CT_INLINE vd log_pos_d(vd x) {
    vl sub = x < 0x1p-1022;
    vd xs = seld(sub, x * 0x1p54, x);
    vu u = (vu)xs + (0x3ff0000000000000ULL - 0x3fe6a09e667f3bcdULL);
    vl k = (vl)(u >> 52) - 1023 - (sub & 54);
    vd m = (vd)((u & 0x000fffffffffffffULL) + 0x3fe6a09e667f3bcdULL);
    // k -> double without int64 conversion instructions (absent before AVX-512DQ).
    vd dk = (vd)(k + (vl)splatd(0x1.8p52)) - 0x1.8p52;
    vd f = m - 1.0;
    vd hfsq = 0.5 * f * f;
    vd s = f / (2.0 + f);
    vd z = s * s, w = z * z;
    vd t1 = w * FMAD(w, FMAD(w, splatd(CT_LG6), splatd(CT_LG4)), splatd(CT_LG2));
    vd t2 = z * FMAD(w, FMAD(w, FMAD(w, splatd(CT_LG7), splatd(CT_LG5)), splatd(CT_LG3)), splatd(CT_LG1));
    vd R = t2 + t1;
    return dk * CT_LN2_HI - ((hfsq - (s * (hfsq + R) + dk * CT_LN2_LO)) - f);
}

// The NaN for negative arguments is libm's: glibc's log, log1p and log2
// return the default NaN (sign bit set), its log10 a positive one.
CT_INLINE vd log_specials_nan_d(vd x, vd y, double nan) {
    y = seld(x == 0.0, splatd(-__builtin_inf()), y);
    y = seld(x < 0.0, splatd(nan), y);
    y = seld(x == __builtin_inf(), x, y);
    return seld(x != x, x, y);
}
CT_INLINE vd log_specials_d(vd x, vd y) { return log_specials_nan_d(x, y, -__builtin_nan("")); }

CT_INLINE vd log_d(vd x) { return log_specials_d(x, log_pos_d(x)); }

// log1p(x) = log(u) + c/u with u = 1 + x rounded and c its rounding error.
CT_INLINE vd log1p_d(vd x) {
    vd u = 1.0 + x;
    vd c = seld(x < 1.0, x - (u - 1.0), 1.0 - (u - x));
    vd y = log_pos_d(u) + c / u;
    y = seld(u == 1.0, x, y);  // |x| < 2^-53: log1p(x) = x
    y = seld(x == -1.0, splatd(-__builtin_inf()), y);
    y = seld(x < -1.0, splatd(-__builtin_nan("")), y);
    y = seld(x == __builtin_inf(), x, y);
    return seld(x != x, x, y);
}

// fdlibm: |x| < 1: -t/(t+2) with t = expm1(-2|x|); else 1 - 2/(t+2) with
// t = expm1(2|x|). t is carried as hi + lo and the division corrected, since
// for |x| near 1 an error in t is amplified by up to 1.75.
CT_INLINE vd tanh_d(vd x) {
    vd ax = absd_(x);
    vl small = ax < 1.0;
    vd arg = seld(small, -2.0 * ax, 2.0 * mind_(ax, splatd(22.0)));
    vd t_lo;
    vd t = expm1_core_d(arg, &t_lo);
    vd d = t + 2.0, d_lo = (2.0 - d) + t + t_lo;  // Fast2Sum (|t| < 2 when small) + t_lo
    d_lo = seld(small, d_lo, (t - d) + 2.0 + t_lo);
    vd q = div_dd(seld(small, -t, splatd(2.0)), seld(small, -t_lo, splatd(0.0)), d, d_lo);
    vd z = seld(small, q, 1.0 - q);
    z = seld(ax < 0x1p-28, ax, z);
    z = seld(ax >= 22.0, splatd(1.0), z);
    z = (vd)((vl)z | ((vl)x & (vl)splatd(-0.0)));  // copysign
    return seld(x != x, x, z);
}

// x >= 0: 1/(1+e^-x); x < 0: e^x/(1+e^x), so tiny results underflow gracefully.
CT_INLINE vd sigmoid_d(vd x) {
    vd e = exp_d(-absd_(x));
    vd d = 1.0 + e, d_lo = (1.0 - d) + e;  // Fast2Sum: e <= 1
    vd y = div_dd(seld(x >= 0.0, splatd(1.0), e), splatd(0.0), d, d_lo);
    y = seld(e < 0x1p-60, seld(x >= 0.0, splatd(1.0), e), y);  // avoids subnormal residuals
    return seld(x != x, x, y);
}

// MARK: float32 (evaluated in double)

// exp for x in [-120, 100] (beyond that a float result is 0 or inf anyway).
CT_INLINE vd exp_core_f(vd x) {
    vd xc = mind_(maxd_(x, splatd(-120.0)), splatd(100.0));
    CT_REDUCE_LN2(xc, n, r);
    return (expm1_poly9(r) + 1.0) * pow2d(n);
}

CT_INLINE vd expm1_core_f(vd x) {
    vd xc = mind_(maxd_(x, splatd(-50.0)), splatd(100.0));
    CT_REDUCE_LN2(xc, n, r);
    vd t = pow2d(n);
    return FMAD(t, expm1_poly9(r), t - 1.0);
}

CT_INLINE vd sigmoid_core_f(vd x) {
    vd e = exp_core_f(-absd_(x));
    return seld(x >= 0.0, splatd(1.0), e) / (1.0 + e);
}

// log1p for float inputs: 1 + x is exact in double once |x| >= 2^-20.
CT_INLINE vd log1p_core_f(vd x) {
    vd u = 1.0 + x;
    vd y = log_specials_d(u, log_pos_d(u));
    vd x2 = x * x;
    vd series = FMAD(x2 * x, splatd(1.0 / 3.0), FMAD(x2, splatd(-0.5), x));
    return seld(absd_(x) < 0x1p-20, series, y);
}

// MARK: float32 (evaluated in float)

// exp, log and tanh run in float arithmetic (twice the lanes of the double
// cores, and no double division): Cephes' expf/logf/tanhf schemes with FMA, at most about
// 1 ulp over the whole range (KernelTests sweeps it against libm in double).

// log: x = 2^e * m with m in [sqrt(1/2), sqrt(2)), f = m - 1 exactly, then
// log(1+f) = f - f^2/2 + f^3 P(f), and e*ln2 added in two parts.
CT_INLINE vf log_f(vf x) {
    vi sub = x < 0x1p-126f;  // subnormals: scale into the normal range
    vf xs = self(sub, x * 0x1p23f, x);
    vi bits = (vi)xs;
    vi e = ((bits >> 23) & 0xff) - 126 - (sub & 23);
    vf m = (vf)((bits & 0x007fffff) | 0x3f000000);  // [0.5, 1)
    vi lo = m < 0.70710678f;
    e -= lo & 1;
    vf f = self(lo, m + m, m) - 1.0f;  // exact
    vf fe = __builtin_convertvector(e, vf);
    vf z = f * f;
    vf p = splatf(7.0376836292e-2f);
    p = FMAF(p, f, splatf(-1.1514610310e-1f));
    p = FMAF(p, f, splatf(1.1676998740e-1f));
    p = FMAF(p, f, splatf(-1.2420140846e-1f));
    p = FMAF(p, f, splatf(1.4249322787e-1f));
    p = FMAF(p, f, splatf(-1.6668057665e-1f));
    p = FMAF(p, f, splatf(2.0000714765e-1f));
    p = FMAF(p, f, splatf(-2.4999993993e-1f));
    p = FMAF(p, f, splatf(3.3333331174e-1f));
    vf y = (p * f) * z;
    y = FMAF(fe, splatf(-2.12194440e-4f), y);
    y = FMAF(z, splatf(-0.5f), y);
    vf r = FMAF(fe, splatf(0.693359375f), f + y);
    r = self(x == 0.0f, splatf(-__builtin_inff()), r);
    r = self(x < 0.0f, splatf(-__builtin_nanf("")), r);  // libm's default NaN
    r = self(x == __builtin_inff(), x, r);
    return self(x != x, x, r);
}

// e^x for x in [-88, 88] (callers clamp): x = n*ln2 + r, Cephes' degree-7 e^r.
CT_INLINE vf exp_fast_f(vf x) {
    vf n = __builtin_elementwise_roundeven(x * 1.44269504088896341f);
    vf r = FMAF(n, splatf(-0.693359375f), x);
    r = FMAF(n, splatf(2.12194440e-4f), r);
    vf p = splatf(1.9875691500e-4f);
    p = FMAF(p, r, splatf(1.3981999507e-3f));
    p = FMAF(p, r, splatf(8.3334519073e-3f));
    p = FMAF(p, r, splatf(4.1665795894e-2f));
    p = FMAF(p, r, splatf(1.6666665459e-1f));
    p = FMAF(p, r, splatf(5.0000001201e-1f));
    p = FMAF(p * r, r, r) + 1.0f;
    vi scale = (__builtin_convertvector(n, vi) + 127) << 23;
    return p * (vf)scale;
}

// exp over the whole float range: the scaling by 2^n is split in two factors
// so that subnormal results round once (and overflow happens exactly).
CT_INLINE vf exp_f(vf x) {
    vf xc = minf_(maxf_(x, splatf(-104.0f)), splatf(89.0f));
    vf n = __builtin_elementwise_roundeven(xc * 1.44269504088896341f);
    vf r = FMAF(n, splatf(-0.693359375f), xc);
    r = FMAF(n, splatf(2.12194440e-4f), r);
    vf p = splatf(1.9875691500e-4f);
    p = FMAF(p, r, splatf(1.3981999507e-3f));
    p = FMAF(p, r, splatf(8.3334519073e-3f));
    p = FMAF(p, r, splatf(4.1665795894e-2f));
    p = FMAF(p, r, splatf(1.6666665459e-1f));
    p = FMAF(p, r, splatf(5.0000001201e-1f));
    p = FMAF(p * r, r, r) + 1.0f;
    vi ni = __builtin_convertvector(n, vi);
    vi n1 = ni >> 1, n2 = ni - n1;
    vf y = (p * (vf)((n1 + 127) << 23)) * (vf)((n2 + 127) << 23);
    return self(x != x, x, y);
}

// tanh: |x| < 0.625: x + x^3 P(x^2); else 1 - 2 / (e^(2|x|) + 1), whose
// quotient is below 0.45, so its error is halved in the result.
CT_INLINE vf tanh_f(vf x) {
    vf ax = absf_(x);
    vf z = x * x;
    vf p = splatf(-5.70498872745e-3f);
    p = FMAF(p, z, splatf(2.06390887954e-2f));
    p = FMAF(p, z, splatf(-5.37397155531e-2f));
    p = FMAF(p, z, splatf(1.33314422036e-1f));
    p = FMAF(p, z, splatf(-3.33332819422e-1f));
    vf small = FMAF(p * z, ax, ax);
    vf e = exp_fast_f(minf_(ax, splatf(10.0f)) * 2.0f);
    vf big = 1.0f - 2.0f / (e + 1.0f);
    vf r = self(ax < 0.625f, small, big);
    r = (vf)((vi)r | ((vi)x & (vi)splatf(-0.0f)));  // copysign (tanh(-0) = -0)
    return self(x != x, x, r);
}

// Applies a double core to both halves of a float vector, restoring NaN inputs.
#define CT_VIA_DOUBLE(NAME, CORE)                                        \
    CT_INLINE vf NAME(vf x) {                                            \
        vf y = join_to_f(CORE(lo_to_d(x)), CORE(hi_to_d(x)));            \
        return self(x != x, x, y);                                       \
    }
// expm1 keeps the sign of zero (the polynomial's r + r^2 q gives +0 at -0).
CT_INLINE vd expm1_signed_core_f(vd x) { return seld(x == 0.0, x, expm1_core_f(x)); }
CT_VIA_DOUBLE(expm1_f, expm1_signed_core_f)
CT_VIA_DOUBLE(log1p_f, log1p_core_f)
CT_VIA_DOUBLE(sigmoid_f, sigmoid_core_f)

// MARK: sinh, cosh, exp2, log2, log10

// float64 exp(x) * 2^k (k = 0 or -1) with one rounding: exp_d's scheme with k
// folded into the second scaling factor, for x in [-740, 712] (sinh and cosh
// reach half of e^x past exp's own overflow).
CT_INLINE vd exp_scaled_d(vd xc, double k) {
    CT_REDUCE_LN2(xc, n, r);
    vd p_lo, p_hi = expm1_dd(r, &p_lo);
    vd e_hi = 1.0 + p_hi, e_lo = ((1.0 - e_hi) + p_hi) + p_lo;
    vd n1 = __builtin_elementwise_floor(n * 0.5), n2 = n - n1 + k;
    return ((e_hi + e_lo) * pow2d(n1)) * pow2d(n2);
}

// e^a - 1 for a in [0, 22] as t + t_lo, and e^a = t + 1 as e + e_lo (TwoSum).
#define CT_EXPM1_AND_EXP(a, t, t_lo, e, e_lo)                              \
    vd t_lo, t = expm1_core_d((a), &t_lo);                                 \
    vd e = t + 1.0, e_lo;                                                  \
    { vd bb_ = e - t; e_lo = ((t - (e - bb_)) + (1.0 - bb_)) + t_lo; }

// sinh = (t + t/(t+1)) / 2 with t = expm1(|x|) for |x| < 22 (all terms
// positive: no cancellation), e^|x| / 2 beyond; x itself below 2^-28.
CT_INLINE vd sinh_d(vd x) {
    vd ax = absd_(x);
    CT_EXPM1_AND_EXP(mind_(ax, splatd(22.0)), t, t_lo, e, e_lo);
    // u = t / e as u + u_lo (div_dd's quotient and correction, unsummed), then
    // t + u by TwoSum, so only the final addition rounds.
    vd u = t / e;
    vd u_lo = (FMAD(-u, e, t) + t_lo - u * e_lo) / e;
    vd s = t + u, bb = s - t;
    vd y = 0.5 * (s + ((((t - (s - bb)) + (u - bb)) + u_lo) + t_lo));
    y = seld(ax >= 22.0, exp_scaled_d(mind_(ax, splatd(712.0)), -1.0), y);
    y = seld(ax < 0x1p-28, ax, y);
    y = (vd)((vl)y | ((vl)x & (vl)splatd(-0.0)));  // copysign
    return seld(x != x, x, y);
}

// cosh = 1 + t^2 / (2 (1 + t)) with t = expm1(|x|) below ln2/2, (e + 1/e) / 2
// with e = e^|x| carried as e + e_lo below 22, e^|x| / 2 beyond.
CT_INLINE vd cosh_d(vd x) {
    vd ax = absd_(x);
    CT_EXPM1_AND_EXP(mind_(ax, splatd(22.0)), t, t_lo, e, e_lo);
    vd w = 1.0 + t;
    vd near0 = 1.0 + (t * t) / (w + w);
    vd y = 0.5 * (e + (e_lo + div_dd(splatd(1.0), splatd(0.0), e, e_lo)));
    y = seld(ax < 0.3465735902799726, near0, y);
    y = seld(ax >= 22.0, exp_scaled_d(mind_(ax, splatd(712.0)), -1.0), y);
    return seld(x != x, x, y);
}

// exp2: x = n + t with t = x - n exact, then e^(t ln2) with t*ln2 carried as
// r + r_lo (so the reduction adds no error) and exp_d's scaling.
CT_INLINE vd exp2_d(vd x) {
    vd xc = mind_(maxd_(x, splatd(-1080.0)), splatd(1025.0));
    vd n = __builtin_elementwise_roundeven(xc);
    vd tt = xc - n;
    vd r = tt * CT_LN2_HI;
    vd r_lo = FMAD(tt, splatd(CT_LN2_HI), -r) + tt * CT_LN2_LO;
    vd p_lo, p_hi = expm1_dd(r, &p_lo);
    p_lo = p_lo + r_lo * (1.0 + p_hi);  // expm1(r + r_lo) ~ expm1(r) + r_lo e^r
    vd e_hi = 1.0 + p_hi, e_lo = ((1.0 - e_hi) + p_hi) + p_lo;
    vd n1 = __builtin_elementwise_floor(n * 0.5), n2 = n - n1;
    vd y = ((e_hi + e_lo) * pow2d(n1)) * pow2d(n2);
    return seld(x != x, x, y);
}

// log_pos_d's reduction: x = 2^k (1 + f) with 1 + f in [sqrt(2)/2, sqrt(2)),
// k returned as a double; and fdlibm's k_log1p, log(1+f) - (f - f^2/2).
CT_INLINE vd log_reduce_d(vd x, vd *dk) {
    vl sub = x < 0x1p-1022;
    vd xs = seld(sub, x * 0x1p54, x);
    vu u = (vu)xs + (0x3ff0000000000000ULL - 0x3fe6a09e667f3bcdULL);
    vl k = (vl)(u >> 52) - 1023 - (sub & 54);
    vd m = (vd)((u & 0x000fffffffffffffULL) + 0x3fe6a09e667f3bcdULL);
    *dk = (vd)(k + (vl)splatd(0x1.8p52)) - 0x1.8p52;
    return m - 1.0;
}
CT_INLINE vd k_log1p_d(vd f, vd hfsq) {
    vd s = f / (2.0 + f);
    vd z = s * s, w = z * z;
    vd t1 = w * FMAD(w, FMAD(w, splatd(CT_LG6), splatd(CT_LG4)), splatd(CT_LG2));
    vd t2 = z * FMAD(w, FMAD(w, FMAD(w, splatd(CT_LG7), splatd(CT_LG5)), splatd(CT_LG3)), splatd(CT_LG1));
    return s * (hfsq + (t2 + t1));
}

// FreeBSD msun's log2 and log10: f - f^2/2 split into hi (its low 32 bits
// cleared, so hi times the constants' high parts is nearly exact) and lo,
// and the constants 1/ln2, 1/ln10, log10(2) in two parts each.
CT_INLINE vd log2_d(vd x) {
    vd k, f = log_reduce_d(x, &k);
    vd hfsq = 0.5 * f * f;
    vd r = k_log1p_d(f, hfsq);
    vd hi = (vd)((vl)(f - hfsq) & ~0xffffffffLL);
    vd lo = ((f - hi) - hfsq) + r;
    vd val_hi = hi * 0x1.71547652p0;
    vd val_lo = (lo + hi) * 0x1.705fc2eefa2p-33 + lo * 0x1.71547652p0;
    vd w = k + val_hi;
    val_lo += (k - w) + val_hi;
    return log_specials_d(x, val_lo + w);
}

CT_INLINE vd log10_d(vd x) {
    vd k, f = log_reduce_d(x, &k);
    vd hfsq = 0.5 * f * f;
    vd r = k_log1p_d(f, hfsq);
    vd hi = (vd)((vl)(f - hfsq) & ~0xffffffffLL);
    vd lo = ((f - hi) - hfsq) + r;
    vd val_hi = hi * 0x1.bcb7b152p-2;
    vd y2 = k * 0x1.34413509f6p-2;
    vd val_lo = k * 0x1.9fef311f12b36p-42 + (lo + hi) * 0x1.b9438ca9aadd5p-36 + lo * 0x1.bcb7b152p-2;
    vd w = y2 + val_hi;
    val_lo += (y2 - w) + val_hi;
    return log_specials_nan_d(x, val_lo + w, __builtin_nan(""));
}

// float32, evaluated in double and rounded once (see CT_VIA_DOUBLE): the
// double cores' relative error (below 2^-36) leaves the float result nearly
// correctly rounded; out-of-range arguments are clamped where the float
// result is already 0 or inf.
CT_INLINE vd sinh_core_f(vd x) {
    vd ax = absd_(x);
    vd t = expm1_core_f(ax);  // clamped at 100: e^100 overflows float
    vd y = 0.5 * (t + t / (t + 1.0));
    return (vd)((vl)y | ((vl)x & (vl)splatd(-0.0)));
}
CT_INLINE vd cosh_core_f(vd x) {
    vd e = exp_core_f(absd_(x));
    return 0.5 * (e + 1.0 / e);
}
CT_INLINE vd exp2_core_f(vd x) {
    vd xc = mind_(maxd_(x, splatd(-160.0)), splatd(130.0));
    vd n = __builtin_elementwise_roundeven(xc);
    return (expm1_poly9((xc - n) * CT_LN2_HI) + 1.0) * pow2d(n);
}
CT_INLINE vd log2_core_f(vd x) { return log_specials_d(x, log_pos_d(x) * 0x1.71547652b82fep+0); }
CT_INLINE vd log10_core_f(vd x) { return log_specials_nan_d(x, log_pos_d(x) * 0x1.bcb7b1526e50dp-2, __builtin_nan("")); }
CT_VIA_DOUBLE(sinh_f, sinh_core_f)
CT_VIA_DOUBLE(cosh_f, cosh_core_f)
CT_VIA_DOUBLE(exp2_f, exp2_core_f)
CT_VIA_DOUBLE(log2_f, log2_core_f)
CT_VIA_DOUBLE(log10_f, log10_core_f)

// MARK: Mish, float32

// The scalar loop's float expression, v * tanhf(log1pf(expf(v))), with each
// libm call replaced by a double evaluation rounded to float (nearly
// correctly rounded): every step's relative error is at most about an ulp
// and none is amplified, so the results agree with the scalar loop's to a few
// ulp, and exactly where expf underflows to subnormals or 0 or overflows.
// (GELU's tanh form stays scalar: 1 + tanhf(t) cancels for t < -2, so one ulp
// of tanhf there is up to 0.4% of the result.)
CT_INLINE vf exp_cr_f(vf x) { return join_to_f(exp_core_f(lo_to_d(x)), exp_core_f(hi_to_d(x))); }
CT_INLINE vf tanh_cr_f(vf x) { return join_to_f(tanh_d(lo_to_d(x)), tanh_d(hi_to_d(x))); }

CT_INLINE vf mish_f(vf x) {
    vf y = x * tanh_cr_f(log1p_f(exp_cr_f(x)));
    return self(x != x, x, y);
}

#endif
