// The GEMM building blocks gemm.c runs: the register tile, panel packing and
// micro-kernels, with the kernel table's signatures (internal.h). AVX-512 has
// its own hand-written set (gemm_avx512.c); AVX2 and portable builds use the
// kernel table's.
#ifndef CT_GEMM_KERNELS_H
#define CT_GEMM_KERNELS_H
#include "internal.h"

typedef struct {
    int32_t mr_f32, nr_f32, mr_f64, nr_f64;
    void (*pack_a_f32)(int64_t m, int64_t k, const float *a, int64_t rs, int64_t cs, float *dst);
    void (*pack_b_f32)(int64_t k, int64_t n, const float *b, int64_t rs, int64_t cs, float *dst);
    void (*ukr_f32)(int64_t k, const float *ap, const float *bp, float *c, int64_t rsc, int64_t csc,
                    float alpha, float beta, int32_t m, int32_t n);
    void (*ukr_strided_f32)(int64_t k, const float *a, int64_t ars, int64_t acs, const float *b, int64_t brs,
                            float *c, int64_t rsc, int64_t csc, float alpha, float beta, int32_t m, int32_t n);
    void (*pack_a_f64)(int64_t m, int64_t k, const double *a, int64_t rs, int64_t cs, double *dst);
    void (*pack_b_f64)(int64_t k, int64_t n, const double *b, int64_t rs, int64_t cs, double *dst);
    void (*ukr_f64)(int64_t k, const double *ap, const double *bp, double *c, int64_t rsc, int64_t csc,
                    double alpha, double beta, int32_t m, int32_t n);
    void (*ukr_strided_f64)(int64_t k, const double *a, int64_t ars, int64_t acs, const double *b, int64_t brs,
                            double *c, int64_t rsc, int64_t csc, double alpha, double beta, int32_t m, int32_t n);
} ct_gemm_kernels;

#if defined(__x86_64__)
extern const ct_gemm_kernels ct_gemm_kernels_avx512;
#endif
#endif
