// The GEMM building blocks gemm.c runs (`ct_gemm_kernels`, internal.h): the
// register tile, panel packing and micro-kernels. AVX-512 has its own
// hand-written set (gemm_avx512.c); AVX2 and portable builds use the one in
// their kernel table (`ct_kernel_table.gemm`).
#ifndef CT_GEMM_KERNELS_H
#define CT_GEMM_KERNELS_H
#include "internal.h"

#if defined(__x86_64__)
extern const ct_gemm_kernels ct_gemm_kernels_avx512;
#endif
#endif
