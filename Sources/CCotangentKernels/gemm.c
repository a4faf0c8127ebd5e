// Reference GEMM: a plain triple loop over strided operands. Correct for every
// layout; the packed, vectorised kernels replace it for float32 and float64.
#include "CotangentKernels.h"

#define CT_GEMM_LOOP(T, ACC)                                                         \
    do {                                                                             \
        const T *a = (const T *)A, *b = (const T *)B;                                \
        T *c = (T *)C;                                                               \
        for (int64_t i = 0; i < M; i++)                                              \
            for (int64_t j = 0; j < N; j++) {                                        \
                ACC acc = 0;                                                         \
                for (int64_t k = 0; k < K; k++) acc += (ACC)a[i * rsa + k * csa] * (ACC)b[k * rsb + j * csb]; \
                T *cp = &c[i * rsc + j * csc];                                       \
                *cp = (beta == 0) ? (T)(alpha * acc) : (T)(alpha * acc + beta * (*cp)); \
            }                                                                        \
    } while (0)

void ct_gemm(ct_dtype dtype, int64_t M, int64_t N, int64_t K, double alpha,
             const void *A, int64_t rsa, int64_t csa,
             const void *B, int64_t rsb, int64_t csb, double beta,
             void *C, int64_t rsc, int64_t csc) {
    switch (dtype) {
    case CT_F32: CT_GEMM_LOOP(float, float); break;
    case CT_F64: CT_GEMM_LOOP(double, double); break;
    case CT_I32: CT_GEMM_LOOP(int32_t, int64_t); break;
    case CT_I64: CT_GEMM_LOOP(int64_t, int64_t); break;
    case CT_BOOL: break;
    }
}
