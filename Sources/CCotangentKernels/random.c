// Sample transforms for the random number generator; see CotangentRandom.h.
//
// Bit-exactness with PyTorch depends on every float operation being rounded
// exactly where PyTorch's AVX2 build rounds it, so the compiler must never fuse
// a multiply and an add on its own: FMAs appear only as explicit fma/fmaf calls
// or _mm256_fmadd_* intrinsics, exactly where shared/notes/pytorch-rng.md
// (§2.1, §2.2.3) places them.
#pragma STDC FP_CONTRACT OFF

#include "CotangentRandom.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CT_RNG_X86 1
#endif

// MARK: Helpers

static inline float ct_f32_from_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline uint32_t ct_bits_from_f32(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

// Buffers hold raw words on entry and floats on return; memcpy keeps the
// reinterpretation free of strict-aliasing problems and compiles to plain moves.
static inline uint32_t ct_load_word(const void *buf, int64_t i) {
    uint32_t w;
    memcpy(&w, (const char *)buf + 4 * i, sizeof w);
    return w;
}

static inline uint64_t ct_load_draw64(const void *buf, int64_t i) {
    // One 64-bit draw is two consecutive 32-bit draws, the first one high.
    return ((uint64_t)ct_load_word(buf, 2 * i) << 32) | ct_load_word(buf, 2 * i + 1);
}

// Float32 constants of the Cephes-style log and sincos (avx_mathfun.h), as the
// bit patterns PyTorch's binary uses.
#define CT_P0 0x3d9021bbu
#define CT_P1 0xbdebd1b8u
#define CT_P2 0x3def251au
#define CT_P3 0xbdfe5d4fu
#define CT_P4 0x3e11e9bfu
#define CT_P5 0xbe2aae50u
#define CT_P6 0x3e4cceacu
#define CT_P7 0xbe7ffffcu
#define CT_P8 0x3eaaaaaau
#define CT_Q1 0xb95e8083u
#define CT_Q2 0x3f318000u
#define CT_SQRTHF 0x3f3504f3u
#define CT_TWO_PI_F 0x40c90fdbu
#define CT_FOPI 0x3fa2f983u
#define CT_DP1 0x3f490000u
#define CT_DP2 0x397da000u
#define CT_DP3 0x33222169u
#define CT_C0 0x37ccf5ceu
#define CT_C1 0xbab6061au
#define CT_C2 0x3d2aaaa5u
#define CT_S0 0xb94ca1f9u
#define CT_S1 0x3c08839eu
#define CT_S2 0xbe2aaaa3u

static const double ct_two_pi_d = 6.283185307179586;  // 0x401921FB54442D18

// MARK: Portable variants (scalar; fma/fmaf are exact, if slow without hardware FMA)

void ct_rng_uniform_f32_portable(void *buf, int64_t n, float from, float to) {
    const float width = to - from;
    for (int64_t i = 0; i < n; i++) {
        const float x = (float)(ct_load_word(buf, i) & 0xFFFFFFu) * 0x1p-24f;
        float v = fmaf(x, width, from);
        if (v == to) v = from;  // rounding may reach the excluded bound
        memcpy((char *)buf + 4 * i, &v, sizeof v);
    }
}

void ct_rng_uniform_f64_portable(void *buf, int64_t n, double from, double to) {
    const double width = to - from;
    // Element i's output (bytes 8i..8i+7) overwrites exactly its own two input
    // words, so a forward pass never clobbers input it still needs.
    for (int64_t i = 0; i < n; i++) {
        const double x = (double)(ct_load_draw64(buf, i) & ((UINT64_C(1) << 53) - 1)) * 0x1p-53;
        double v = fma(x, width, from);
        if (v == to) v = from;
        memcpy((char *)buf + 8 * i, &v, sizeof v);
    }
}

/// Cephes-style natural log of a ∈ [2^-24, 1] (§2.2.3 steps L1–L7).
static inline float ct_log_portable(float a) {
    const uint32_t b = ct_bits_from_f32(a);
    float e = (float)((int32_t)(b >> 23) - 127) + 1.0f;
    const float m = ct_f32_from_bits((b & 0x807FFFFFu) | 0x3F000000u);
    float x = m + (-1.0f);
    if (m < ct_f32_from_bits(CT_SQRTHF)) {
        e = e - 1.0f;
        x = x + m;
    }
    const float z = x * x;
    float y = ct_f32_from_bits(CT_P0);
    y = fmaf(y, x, ct_f32_from_bits(CT_P1));
    y = fmaf(y, x, ct_f32_from_bits(CT_P2));
    y = fmaf(y, x, ct_f32_from_bits(CT_P3));
    y = fmaf(y, x, ct_f32_from_bits(CT_P4));
    y = fmaf(y, x, ct_f32_from_bits(CT_P5));
    y = fmaf(y, x, ct_f32_from_bits(CT_P6));
    y = fmaf(y, x, ct_f32_from_bits(CT_P7));
    y = fmaf(y, x, ct_f32_from_bits(CT_P8));
    y = y * x;
    const float eq1 = e * ct_f32_from_bits(CT_Q1);
    y = fmaf(y, z, eq1);
    y = fmaf(-z, 0.5f, y);
    x = x + y;
    return fmaf(e, ct_f32_from_bits(CT_Q2), x);
}

/// Cephes-style sin and cos of t ≥ 0 (§2.2.3 steps S1–S7).
static inline void ct_sincos_portable(float t, float *sin_out, float *cos_out) {
    int32_t q = (int32_t)(t * ct_f32_from_bits(CT_FOPI));  // truncates, like cvttps2dq
    q = (q + 1) & ~1;
    const float qf = (float)q;
    float x = fmaf(qf, -ct_f32_from_bits(CT_DP1), t);
    x = fmaf(qf, -ct_f32_from_bits(CT_DP2), x);
    x = fmaf(qf, -ct_f32_from_bits(CT_DP3), x);
    const float z = x * x;
    const float h = z * 0.5f;
    float c = fmaf(ct_f32_from_bits(CT_C0), z, ct_f32_from_bits(CT_C1));
    c = fmaf(c, z, ct_f32_from_bits(CT_C2));
    c = c * z;
    c = fmaf(c, z, -h);
    c = c + 1.0f;
    float s = fmaf(ct_f32_from_bits(CT_S0), z, ct_f32_from_bits(CT_S1));
    s = fmaf(s, z, ct_f32_from_bits(CT_S2));
    s = s * z;
    s = fmaf(s, x, x);
    float sin_v = (q & 2) == 0 ? s : c;
    float cos_v = (q & 2) == 0 ? c : s;
    if ((q & 4) != 0) sin_v = -sin_v;
    if (((q - 2) & 4) == 0) cos_v = -cos_v;
    *sin_out = sin_v;
    *cos_out = cos_v;
}

void ct_rng_normal_f32_portable(float *data, int64_t nblocks, float mean, float std) {
    for (int64_t b = 0; b < nblocks; b++) {
        float *d = data + 16 * b;
        for (int j = 0; j < 8; j++) {
            const float rho = sqrtf(-2.0f * ct_log_portable(1.0f - d[j]));
            float sin_t, cos_t;
            ct_sincos_portable(ct_f32_from_bits(CT_TWO_PI_F) * d[j + 8], &sin_t, &cos_t);
            d[j] = fmaf(rho * cos_t, std, mean);
            d[j + 8] = fmaf(rho * sin_t, std, mean);
        }
    }
}

// MARK: AVX2 + FMA variants

#ifdef CT_RNG_X86
#define CT_AVX2 __attribute__((target("avx2,fma")))

CT_AVX2 static inline __m256 ct_splat(uint32_t bits) {
    return _mm256_castsi256_ps(_mm256_set1_epi32((int32_t)bits));
}

CT_AVX2 static void ct_rng_uniform_f32_avx2(void *buf, int64_t n, float from, float to) {
    const float width = to - from;
    const __m256i mask = _mm256_set1_epi32(0xFFFFFF);
    const __m256 scale = _mm256_set1_ps(0x1p-24f);
    const __m256 vfrom = _mm256_set1_ps(from), vto = _mm256_set1_ps(to), vwidth = _mm256_set1_ps(width);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float *p = (float *)buf + i;
        const __m256i k = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)p), mask);
        const __m256 x = _mm256_mul_ps(_mm256_cvtepi32_ps(k), scale);
        const __m256 v = _mm256_fmadd_ps(x, vwidth, vfrom);
        const __m256 hit = _mm256_cmp_ps(v, vto, _CMP_EQ_OQ);
        _mm256_storeu_ps(p, _mm256_blendv_ps(v, vfrom, hit));
    }
    for (; i < n; i++) {
        const float x = (float)(ct_load_word(buf, i) & 0xFFFFFFu) * 0x1p-24f;
        float v = fmaf(x, width, from);  // a single vfmadd here
        if (v == to) v = from;
        memcpy((char *)buf + 4 * i, &v, sizeof v);
    }
}

CT_AVX2 static void ct_rng_uniform_f64_avx2(void *buf, int64_t n, double from, double to) {
    // Same code as the portable variant; compiled for FMA, fma() is one instruction.
    const double width = to - from;
    for (int64_t i = 0; i < n; i++) {
        const double x = (double)(ct_load_draw64(buf, i) & ((UINT64_C(1) << 53) - 1)) * 0x1p-53;
        double v = fma(x, width, from);
        if (v == to) v = from;
        memcpy((char *)buf + 8 * i, &v, sizeof v);
    }
}

/// log256_ps of avx_mathfun.h with GCC's FMA contractions (steps L1–L7).
CT_AVX2 static inline __m256 ct_log_avx2(__m256 a) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256i bits = _mm256_castps_si256(a);
    __m256 e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
    e = _mm256_add_ps(e, one);
    const __m256 m = _mm256_castsi256_ps(_mm256_or_si256(
        _mm256_and_si256(bits, _mm256_set1_epi32((int32_t)0x807FFFFFu)), _mm256_set1_epi32(0x3F000000)));
    const __m256 small = _mm256_cmp_ps(m, ct_splat(CT_SQRTHF), _CMP_LT_OQ);
    __m256 x = _mm256_add_ps(m, _mm256_set1_ps(-1.0f));
    e = _mm256_sub_ps(e, _mm256_and_ps(one, small));
    x = _mm256_add_ps(x, _mm256_and_ps(m, small));
    const __m256 z = _mm256_mul_ps(x, x);
    __m256 y = ct_splat(CT_P0);
    y = _mm256_fmadd_ps(y, x, ct_splat(CT_P1));
    y = _mm256_fmadd_ps(y, x, ct_splat(CT_P2));
    y = _mm256_fmadd_ps(y, x, ct_splat(CT_P3));
    y = _mm256_fmadd_ps(y, x, ct_splat(CT_P4));
    y = _mm256_fmadd_ps(y, x, ct_splat(CT_P5));
    y = _mm256_fmadd_ps(y, x, ct_splat(CT_P6));
    y = _mm256_fmadd_ps(y, x, ct_splat(CT_P7));
    y = _mm256_fmadd_ps(y, x, ct_splat(CT_P8));
    y = _mm256_mul_ps(y, x);
    y = _mm256_fmadd_ps(y, z, _mm256_mul_ps(e, ct_splat(CT_Q1)));
    y = _mm256_fnmadd_ps(z, _mm256_set1_ps(0.5f), y);  // -(z·0.5) + y, one rounding
    x = _mm256_add_ps(x, y);
    return _mm256_fmadd_ps(e, ct_splat(CT_Q2), x);
}

/// sincos256_ps of avx_mathfun.h with GCC's FMA contractions, for t ≥ 0 (S1–S7).
CT_AVX2 static inline void ct_sincos_avx2(__m256 t, __m256 *sin_out, __m256 *cos_out) {
    const __m256i two = _mm256_set1_epi32(2), four = _mm256_set1_epi32(4);
    __m256i q = _mm256_cvttps_epi32(_mm256_mul_ps(t, ct_splat(CT_FOPI)));
    q = _mm256_and_si256(_mm256_add_epi32(q, _mm256_set1_epi32(1)), _mm256_set1_epi32(~1));
    const __m256 qf = _mm256_cvtepi32_ps(q);
    __m256 x = _mm256_fnmadd_ps(qf, ct_splat(CT_DP1), t);
    x = _mm256_fnmadd_ps(qf, ct_splat(CT_DP2), x);
    x = _mm256_fnmadd_ps(qf, ct_splat(CT_DP3), x);
    const __m256 z = _mm256_mul_ps(x, x);
    const __m256 h = _mm256_mul_ps(z, _mm256_set1_ps(0.5f));
    __m256 c = _mm256_fmadd_ps(ct_splat(CT_C0), z, ct_splat(CT_C1));
    c = _mm256_fmadd_ps(c, z, ct_splat(CT_C2));
    c = _mm256_mul_ps(c, z);
    c = _mm256_fmsub_ps(c, z, h);
    c = _mm256_add_ps(c, _mm256_set1_ps(1.0f));
    __m256 s = _mm256_fmadd_ps(ct_splat(CT_S0), z, ct_splat(CT_S1));
    s = _mm256_fmadd_ps(s, z, ct_splat(CT_S2));
    s = _mm256_mul_ps(s, z);
    s = _mm256_fmadd_ps(s, x, x);
    const __m256 swap = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(q, two), _mm256_setzero_si256()));
    const __m256 sin_v = _mm256_blendv_ps(c, s, swap);  // (q & 2) == 0 picks s
    const __m256 cos_v = _mm256_blendv_ps(s, c, swap);
    const __m256 sin_sign = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_and_si256(q, four), 29));
    const __m256 cos_sign = _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_andnot_si256(_mm256_sub_epi32(q, two), four), 29));
    *sin_out = _mm256_xor_ps(sin_v, sin_sign);
    *cos_out = _mm256_xor_ps(cos_v, cos_sign);
}

CT_AVX2 static void ct_rng_normal_f32_avx2(float *data, int64_t nblocks, float mean, float std) {
    const __m256 vmean = _mm256_set1_ps(mean), vstd = _mm256_set1_ps(std);
    for (int64_t b = 0; b < nblocks; b++) {
        float *d = data + 16 * b;
        const __m256 u1 = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_loadu_ps(d));
        const __m256 u2 = _mm256_loadu_ps(d + 8);
        const __m256 rho = _mm256_sqrt_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), ct_log_avx2(u1)));
        __m256 sin_t, cos_t;
        ct_sincos_avx2(_mm256_mul_ps(ct_splat(CT_TWO_PI_F), u2), &sin_t, &cos_t);
        _mm256_storeu_ps(d, _mm256_fmadd_ps(_mm256_mul_ps(rho, cos_t), vstd, vmean));
        _mm256_storeu_ps(d + 8, _mm256_fmadd_ps(_mm256_mul_ps(rho, sin_t), vstd, vmean));
    }
}
#endif

// MARK: Dispatch

bool ct_rng_uses_simd(void) {
#ifdef CT_RNG_X86
    // Racing first calls all store the same value, so relaxed atomics suffice.
    static int cached = -1;
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v != 0;
#else
    return false;
#endif
}

void ct_rng_uniform_f32(void *buf, int64_t n, float from, float to) {
#ifdef CT_RNG_X86
    if (ct_rng_uses_simd()) {
        ct_rng_uniform_f32_avx2(buf, n, from, to);
        return;
    }
#endif
    ct_rng_uniform_f32_portable(buf, n, from, to);
}

void ct_rng_uniform_f64(void *buf, int64_t n, double from, double to) {
#ifdef CT_RNG_X86
    if (ct_rng_uses_simd()) {
        ct_rng_uniform_f64_avx2(buf, n, from, to);
        return;
    }
#endif
    ct_rng_uniform_f64_portable(buf, n, from, to);
}

void ct_rng_normal_f32(float *data, int64_t nblocks, float mean, float std) {
#ifdef CT_RNG_X86
    if (ct_rng_uses_simd()) {
        ct_rng_normal_f32_avx2(data, nblocks, mean, std);
        return;
    }
#endif
    ct_rng_normal_f32_portable(data, nblocks, mean, std);
}

void ct_rng_normal_f32_libm(float *data, int64_t nblocks, float mean, float std) {
    for (int64_t b = 0; b < nblocks; b++) {
        float *d = data + 16 * b;
        for (int j = 0; j < 8; j++) {
            const float radius = sqrtf(-2.0f * logf(1.0f - d[j]));
            const float theta = (float)(ct_two_pi_d * (double)d[j + 8]);
            d[j] = radius * cosf(theta) * std + mean;
            d[j + 8] = radius * sinf(theta) * std + mean;
        }
    }
}

void ct_rng_normal_f64(double *data, int64_t nblocks, double mean, double std) {
    // libm's log, sin and cos dominate; fma() is exact on every CPU.
    for (int64_t b = 0; b < nblocks; b++) {
        double *d = data + 16 * b;
        for (int j = 0; j < 8; j++) {
            const double rho = sqrt(-2.0 * log(1.0 - d[j]));
            const double theta = ct_two_pi_d * d[j + 8];
            d[j] = fma(rho * cos(theta), std, mean);
            d[j + 8] = fma(rho * sin(theta), std, mean);
        }
    }
}
