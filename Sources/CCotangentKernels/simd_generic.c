// Portable build of the vectorised kernels: 128-bit vectors (SSE2 on x86-64,
// NEON on arm64) for elementwise arithmetic, reductions and GEMM. No vector
// math here: transcendental functions fall back to libm in elementwise.c.
#define CT_VBYTES 16
#if defined(__FMA__) || defined(__aarch64__)
#define CT_FMA 1
#else
#define CT_FMA 0
#endif
#define CT_MATH 0
#define CT_MR_F32 4
#define CT_MR_F64 4
#define CT_TABLE ct_kernels_generic
#define CT_TABLE_NAME "generic"
#include "simd_template.h"
