// Portable vector types for the kernel templates, built on Clang/GCC vector
// extensions. The including file sets CT_VBYTES (16, 32 or 64) and the target
// attribute for every function (see simd_avx512.c), so the same source compiles
// to SSE2/NEON, AVX2 or AVX-512 code.
#ifndef COTANGENT_VEC_H
#define COTANGENT_VEC_H
#include <stdint.h>
#include <string.h>

#define WF (CT_VBYTES / 4)  // float lanes
#define WD (CT_VBYTES / 8)  // double lanes

typedef float vf __attribute__((vector_size(CT_VBYTES)));
typedef double vd __attribute__((vector_size(CT_VBYTES)));
typedef int vi __attribute__((vector_size(CT_VBYTES)));
typedef long long vl __attribute__((vector_size(CT_VBYTES)));
typedef unsigned long long vu __attribute__((vector_size(CT_VBYTES)));
typedef float vfh __attribute__((vector_size(CT_VBYTES / 2)));  // WD floats

#define CT_INLINE static inline __attribute__((always_inline))

CT_INLINE vf ldf(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
CT_INLINE vd ldd(const double *p) { vd v; memcpy(&v, p, sizeof v); return v; }
CT_INLINE void stf(float *p, vf v) { memcpy(p, &v, sizeof v); }
CT_INLINE void std_(double *p, vd v) { memcpy(p, &v, sizeof v); }
CT_INLINE vf splatf(float s) { vf v; for (int i = 0; i < WF; i++) v[i] = s; return v; }
CT_INLINE vd splatd(double s) { vd v; for (int i = 0; i < WD; i++) v[i] = s; return v; }

// Bitwise select: m lanes are all-ones or all-zeros (as comparisons produce).
CT_INLINE vf self(vi m, vf a, vf b) { return (vf)((m & (vi)a) | (~m & (vi)b)); }
CT_INLINE vd seld(vl m, vd a, vd b) { return (vd)((m & (vl)a) | (~m & (vl)b)); }

#if CT_FMA
#define FMAF(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#define FMAD(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#else
#define FMAF(a, b, c) ((a) * (b) + (c))
#define FMAD(a, b, c) ((a) * (b) + (c))
#endif

// max/min that return the second operand when either is NaN (x86 semantics;
// callers handle NaN themselves).
CT_INLINE vf maxf_(vf a, vf b) { return self(a > b, a, b); }
CT_INLINE vf minf_(vf a, vf b) { return self(a < b, a, b); }
CT_INLINE vd maxd_(vd a, vd b) { return seld(a > b, a, b); }
CT_INLINE vd mind_(vd a, vd b) { return seld(a < b, a, b); }
CT_INLINE vf absf_(vf x) { return (vf)((vi)x & 0x7fffffff); }
CT_INLINE vd absd_(vd x) { return (vd)((vl)x & 0x7fffffffffffffffLL); }

// Float <-> double halves (for float32 math evaluated in double).
CT_INLINE vd lo_to_d(vf x) {
#if WF == 16
    vfh h = __builtin_shufflevector(x, x, 0, 1, 2, 3, 4, 5, 6, 7);
#elif WF == 8
    vfh h = __builtin_shufflevector(x, x, 0, 1, 2, 3);
#else
    vfh h = __builtin_shufflevector(x, x, 0, 1);
#endif
    return __builtin_convertvector(h, vd);
}
CT_INLINE vd hi_to_d(vf x) {
#if WF == 16
    vfh h = __builtin_shufflevector(x, x, 8, 9, 10, 11, 12, 13, 14, 15);
#elif WF == 8
    vfh h = __builtin_shufflevector(x, x, 4, 5, 6, 7);
#else
    vfh h = __builtin_shufflevector(x, x, 2, 3);
#endif
    return __builtin_convertvector(h, vd);
}
CT_INLINE vf join_to_f(vd lo, vd hi) {
    vfh a = __builtin_convertvector(lo, vfh), b = __builtin_convertvector(hi, vfh);
#if WF == 16
    return __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#elif WF == 8
    return __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7);
#else
    return __builtin_shufflevector(a, b, 0, 1, 2, 3);
#endif
}

CT_INLINE double hsumd(vd v) {
    double s = 0;
    for (int i = 0; i < WD; i++) s += v[i];
    return s;
}
#endif
