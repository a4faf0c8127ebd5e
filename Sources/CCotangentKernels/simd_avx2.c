// AVX2+FMA build of the vectorised kernels (256-bit vectors, 6x16 float tile),
// with F16C for the float16 conversions (every AVX2 CPU has it).
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#define CT_VBYTES 32
#define CT_FMA 1
#define CT_MATH 1
#define CT_F16C 1
#define CT_MR_F32 6
#define CT_MR_F64 6
#define CT_TABLE ct_kernels_avx2
#define CT_TABLE_NAME "avx2"
#include "simd_template.h"
#pragma clang attribute pop
#endif
