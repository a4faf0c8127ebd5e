// Shared iteration helpers for the kernels (private to the C target).
#ifndef COTANGENT_LOOPS_H
#define COTANGENT_LOOPS_H
#include <stdint.h>

/// The element offset of row `r` (a flat index over all but the last dimension).
static inline int64_t ct_row_offset(int64_t r, int32_t ndim, const int64_t *shape, const int64_t *s) {
    int64_t off = 0;
    for (int32_t d = ndim - 2; d >= 0; d--) {
        int64_t i = r % shape[d];
        r /= shape[d];
        off += i * s[d];
    }
    return off;
}

/// The number of rows (product of all but the last dimension) of an iteration space.
static inline int64_t ct_rows(int32_t ndim, const int64_t *shape) {
    int64_t rows = 1;
    for (int32_t d = 0; d < ndim - 1; d++) rows *= shape[d];
    return rows;
}
#endif
