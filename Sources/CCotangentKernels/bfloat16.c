// Conversions to bfloat16 that clang emits as calls to compiler-runtime
// helpers. libgcc before GCC 13 (Debian 12's) lacks them, so they are defined
// here, weakly, so that a runtime that has them wins. Rounding is to nearest
// even, NaN stays a quiet NaN; double goes through float, as c10::BFloat16 is
// built from a float.
#include "internal.h"
#include <string.h>

static inline uint16_t ct_bf16_bits_from_float(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((b >> 16) | 0x0040u);
    return (uint16_t)((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

__attribute__((weak)) ct_bf16 __truncsfbf2(float f) {
    const uint16_t h = ct_bf16_bits_from_float(f);
    ct_bf16 r;
    memcpy(&r, &h, 2);
    return r;
}

__attribute__((weak)) ct_bf16 __truncdfbf2(double d) { return __truncsfbf2((float)d); }
