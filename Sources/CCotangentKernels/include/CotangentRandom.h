// Transforms for Cotangent's random number generator (Sources/Cotangent/Random).
//
// The Swift side runs the MT19937 engine and writes raw 32-bit words, in draw
// order, into the output buffer; these functions turn them into samples in
// place, bit for bit as PyTorch's AVX2 CPU kernels do (see
// shared/notes/pytorch-rng.md). Each entry point picks an AVX2+FMA variant or a
// portable one at run time; both give identical bits. The `_portable` variants
// are exported so tests can compare the two paths.
#ifndef COTANGENT_RANDOM_H
#define COTANGENT_RANDOM_H

#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// True when the AVX2+FMA variants are in use on this CPU.
bool ct_rng_uses_simd(void);

/// Float32 uniforms in [from, to): `buf` holds `n` raw 32-bit words on entry and
/// `n` floats on return. Per element: x = (w & 0xFFFFFF)·2^-24,
/// v = fmaf(x, to − from, from), and v == to becomes from.
void ct_rng_uniform_f32(void *buf, int64_t n, float from, float to);
void ct_rng_uniform_f32_portable(void *buf, int64_t n, float from, float to);

/// Float64 uniforms in [from, to): `buf` holds `2n` raw 32-bit words on entry
/// (each pair is one 64-bit draw, high word first) and `n` doubles on return.
/// Per element: x = (w & (2^53 − 1))·2^-53, v = fma(x, to − from, from), and
/// v == to becomes from.
void ct_rng_uniform_f64(void *buf, int64_t n, double from, double to);
void ct_rng_uniform_f64_portable(void *buf, int64_t n, double from, double to);

/// Box–Muller on `nblocks` consecutive blocks of 16 float32 uniforms in [0, 1),
/// in place: PyTorch's `normal_fill_16_AVX2` (Cephes-style log and sincos, no
/// libm). Lanes j and j+8 of a block become ρ·cos θ and ρ·sin θ, scaled by
/// `std` and shifted by `mean`.
void ct_rng_normal_f32(float *data, int64_t nblocks, float mean, float std);
void ct_rng_normal_f32_portable(float *data, int64_t nblocks, float mean, float std);

/// Box–Muller on `nblocks` consecutive blocks of 16 float64 uniforms in [0, 1),
/// in place, with the platform libm's log, sin and cos (PyTorch's
/// `normal_fill_16<double>`).
void ct_rng_normal_f64(double *data, int64_t nblocks, double mean, double std);

/// Box–Muller on blocks of 16 float32 uniforms with libm's float log, sin and
/// cos: PyTorch's `normal_fill_16` in opmath (float) precision, which its
/// float16 and bfloat16 normal path rounds from.
void ct_rng_normal_f32_libm(float *data, int64_t nblocks, float mean, float std);

#ifdef __cplusplus
}
#endif
#endif
