// AVX-512 build of the vectorised kernels (512-bit vectors, 14x32 float tile).
// Every function in the template gets the target attribute, so the rest of the
// program stays baseline x86-64 and this code only runs where the CPU has it.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"))), apply_to = function)
#define CT_VBYTES 64
#define CT_FMA 1
#define CT_MATH 1
#define CT_F16C 1  // implied by AVX-512F
#define CT_MR_F32 14
#define CT_MR_F64 14
#define CT_TABLE ct_kernels_avx512
#define CT_TABLE_NAME "avx512"
#include "simd_template.h"
#pragma clang attribute pop
#endif
