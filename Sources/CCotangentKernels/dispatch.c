// Chooses the kernel table once, from the CPU's features (overridable with
// COTANGENT_SIMD=generic|avx2|avx512 or ct_set_simd_level, for tests).
#include "internal.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic(const ct_kernel_table *) ct_table = NULL;
// A table forced by ct_set_simd_level for the calling thread (and the pool
// workers running its chunks), or NULL: tests switch instruction sets without
// changing what other threads compute.
static CT_TLS const ct_kernel_table *ct_table_local = NULL;

const ct_kernel_table *ct_kernels_local(void) { return ct_table_local; }
void ct_kernels_set_local(const ct_kernel_table *t) { ct_table_local = t; }

static int32_t ct_cpu_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) return 1;
#endif
    return 0;
}

static const ct_kernel_table *ct_table_for(int32_t level) {
#if defined(__x86_64__)
    if (level >= 2) return &ct_kernels_avx512;
    if (level == 1) return &ct_kernels_avx2;
#endif
    (void)level;
    return &ct_kernels_generic;
}

static int32_t ct_level_of(const ct_kernel_table *t) {
#if defined(__x86_64__)
    if (t == &ct_kernels_avx512) return 2;
    if (t == &ct_kernels_avx2) return 1;
#endif
    (void)t;
    return 0;
}

const ct_kernel_table *ct_kernels(void) {
    if (ct_table_local) return ct_table_local;
    const ct_kernel_table *t = atomic_load_explicit(&ct_table, memory_order_acquire);
    if (t) return t;
    int32_t level = ct_cpu_level();
    const char *env = getenv("COTANGENT_SIMD");
    if (env) {
        int32_t want = !strcmp(env, "generic") ? 0 : !strcmp(env, "avx2") ? 1 : 2;
        if (want < level) level = want;
    }
    t = ct_table_for(level);
    atomic_store_explicit(&ct_table, t, memory_order_release);
    return t;
}

int32_t ct_set_simd_level(int32_t level) {
    if (level < 0) {
        ct_table_local = NULL;
        return ct_level_of(ct_kernels());
    }
    int32_t cpu = ct_cpu_level();
    if (level > cpu) level = cpu;
    ct_table_local = ct_table_for(level);
    return level;
}

int32_t ct_simd_level(void) { return ct_level_of(ct_kernels()); }
const char *ct_simd_name(void) { return ct_kernels()->name; }
