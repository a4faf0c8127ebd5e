// Portable reduction kernels over a 2-D view (m outputs, each over n elements).
#include "CotangentKernels.h"
#include <math.h>

typedef uint8_t ct_bool;

// Float32 sums accumulate in double, which is at least as accurate as PyTorch's
// cascade summation.
#define CT_REDUCE_LOOP(T, ACC, INIT, STEP, FINISH)                                   \
    for (int64_t i = 0; i < m; i++) {                                                \
        const T *xp = (const T *)x + i * x_outer;                                    \
        ACC acc = (INIT);                                                            \
        for (int64_t j = 0; j < n; j++) { T v = xp[j * x_inner]; STEP; }             \
        ((T *)out)[i * so] = (T)(FINISH);                                            \
    }

#define CT_REDUCE_NUMERIC(T, ACC, IS_FLOAT)                                          \
    switch (op) {                                                                    \
    case CT_SUM: CT_REDUCE_LOOP(T, ACC, 0, acc += v, acc); break;                    \
    case CT_PROD: CT_REDUCE_LOOP(T, ACC, 1, acc *= v, acc); break;                   \
    case CT_MAX:                                                                     \
        CT_REDUCE_LOOP(T, T, xp[0], if (IS_FLOAT && v != v) { acc = v; break; } if (v > acc) acc = v, acc); \
        break;                                                                       \
    case CT_MIN:                                                                     \
        CT_REDUCE_LOOP(T, T, xp[0], if (IS_FLOAT && v != v) { acc = v; break; } if (v < acc) acc = v, acc); \
        break;                                                                       \
    case CT_ALL: CT_REDUCE_LOOP(T, int, 1, if (v == 0) { acc = 0; break; }, acc); break; \
    case CT_ANY: CT_REDUCE_LOOP(T, int, 0, if (v != 0) { acc = 1; break; }, acc); break; \
    }

void ct_reduce(ct_reduce_op op, ct_dtype dtype, int64_t m, int64_t n,
               const void *x, int64_t x_outer, int64_t x_inner, void *out, int64_t so) {
    switch (dtype) {
    case CT_F32: CT_REDUCE_NUMERIC(float, double, 1); break;
    case CT_F64: CT_REDUCE_NUMERIC(double, double, 1); break;
    case CT_I32: CT_REDUCE_NUMERIC(int32_t, int64_t, 0); break;
    case CT_I64: CT_REDUCE_NUMERIC(int64_t, int64_t, 0); break;
    case CT_BOOL: CT_REDUCE_NUMERIC(ct_bool, int64_t, 0); break;
    }
}

#define CT_ARG_LOOP(T, IS_FLOAT)                                                     \
    for (int64_t i = 0; i < m; i++) {                                                \
        const T *xp = (const T *)x + i * x_outer;                                    \
        T best = xp[0];                                                              \
        int64_t bi = 0;                                                              \
        if (!(IS_FLOAT && best != best)) {                                           \
            for (int64_t j = 1; j < n; j++) {                                        \
                T v = xp[j * x_inner];                                               \
                if (IS_FLOAT && v != v) { best = v; bi = j; break; }                 \
                if (is_max ? (v > best) : (v < best)) { best = v; bi = j; }          \
            }                                                                        \
        }                                                                            \
        if (values) ((T *)values)[i * so] = best;                                    \
        indices[i * so] = bi;                                                        \
    }

void ct_argreduce(bool is_max, ct_dtype dtype, int64_t m, int64_t n,
                  const void *x, int64_t x_outer, int64_t x_inner,
                  void *values, int64_t *indices, int64_t so) {
    switch (dtype) {
    case CT_F32: CT_ARG_LOOP(float, 1); break;
    case CT_F64: CT_ARG_LOOP(double, 1); break;
    case CT_I32: CT_ARG_LOOP(int32_t, 0); break;
    case CT_I64: CT_ARG_LOOP(int64_t, 0); break;
    case CT_BOOL: CT_ARG_LOOP(ct_bool, 0); break;
    }
}

// PyTorch's CPU cumsum accumulates float32 in double too.
#define CT_CUMSUM_LOOP(T, ACC)                                                       \
    for (int64_t i = 0; i < m; i++) {                                                \
        const T *xp = (const T *)x + i * x_outer;                                    \
        T *op = (T *)out + i * o_outer;                                              \
        ACC acc = 0;                                                                 \
        for (int64_t j = 0; j < n; j++) { acc += xp[j * x_inner]; op[j * o_inner] = (T)acc; } \
    }

void ct_cumsum(ct_dtype dtype, int64_t m, int64_t n,
               const void *x, int64_t x_outer, int64_t x_inner,
               void *out, int64_t o_outer, int64_t o_inner) {
    switch (dtype) {
    case CT_F32: CT_CUMSUM_LOOP(float, double); break;
    case CT_F64: CT_CUMSUM_LOOP(double, double); break;
    case CT_I32: CT_CUMSUM_LOOP(int32_t, int64_t); break;
    case CT_I64: CT_CUMSUM_LOOP(int64_t, int64_t); break;
    case CT_BOOL: CT_CUMSUM_LOOP(ct_bool, int64_t); break;
    }
}
