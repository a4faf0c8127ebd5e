// FMA-peak microbenchmark: the multiply-add throughput one core (and every
// core together) can sustain, float32 and float64, for the widest vectors the
// CPU has (AVX-512, else AVX2+FMA, else scalar). GEMM GFLOP/s are reported as
// a fraction of this (Benchmarks/fma_peak.sh builds and runs it).
//
//   cc -O2 -pthread Benchmarks/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak [threads...]
//
// Each thread runs 16 independent FMA chains on registers (enough to cover
// FMA latency x FMA ports on current x86 cores) for a fixed number of
// iterations; the best of several repetitions is reported. No memory traffic.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define ITERS 20000000L
#define REPS 5

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// Each returns the flops it performed (2 per lane per FMA); the result is
// stored into *sink so the chains are not optimised away.
#if defined(__x86_64__)
#define CHAINS(V, SET1, FMA, ADD, T, LANES)                                      \
    /* Distinct starting values, and every chain kept live through the empty     \
       asm, so the compiler can neither merge the chains nor drop any. */           \
    V a0 = SET1((T)1.0), a1 = SET1((T)1.1), a2 = SET1((T)1.2), a3 = SET1((T)1.3);  \
    V a4 = SET1((T)1.4), a5 = SET1((T)1.5), a6 = SET1((T)1.6), a7 = SET1((T)1.7);  \
    V a8 = SET1((T)1.8), a9 = SET1((T)1.9), a10 = SET1((T)2.0), a11 = SET1((T)2.1); \
    V a12 = SET1((T)2.2), a13 = SET1((T)2.3), a14 = SET1((T)2.4), a15 = SET1((T)2.5); \
    const V m = SET1((T)0.999999), c = SET1((T)1e-7);                               \
    for (long i = 0; i < ITERS; i++) {                                              \
        a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c); a3 = FMA(a3, m, c); \
        a4 = FMA(a4, m, c); a5 = FMA(a5, m, c); a6 = FMA(a6, m, c); a7 = FMA(a7, m, c); \
        a8 = FMA(a8, m, c); a9 = FMA(a9, m, c); a10 = FMA(a10, m, c); a11 = FMA(a11, m, c); \
        a12 = FMA(a12, m, c); a13 = FMA(a13, m, c); a14 = FMA(a14, m, c); a15 = FMA(a15, m, c); \
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), \
                         "+v"(a6), "+v"(a7));                                        \
        __asm__ volatile("" : "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11), "+v"(a12),   \
                         "+v"(a13), "+v"(a14), "+v"(a15));                           \
    }                                                                               \
    V s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));       \
    s = ADD(s, ADD(ADD(ADD(a8, a9), ADD(a10, a11)), ADD(ADD(a12, a13), ADD(a14, a15)))); \
    T out[LANES];                                                                   \
    __builtin_memcpy(out, &s, sizeof s);                                            \
    *sink = out[0];                                                                 \
    return 2.0 * 16 * LANES * ITERS;

__attribute__((target("avx512f"))) static double run_avx512_f32(double *sink) {
    CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, float, 16)
}
__attribute__((target("avx512f"))) static double run_avx512_f64(double *sink) {
    CHAINS(__m512d, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd, double, 8)
}
__attribute__((target("avx2,fma"))) static double run_avx2_f32(double *sink) {
    CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, float, 8)
}
__attribute__((target("avx2,fma"))) static double run_avx2_f64(double *sink) {
    CHAINS(__m256d, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_add_pd, double, 4)
}
#endif

static double run_scalar_f32(double *sink) {
    float a[16], m = 0.999999f, c = 1e-7f;
    for (int j = 0; j < 16; j++) a[j] = 1;
    for (long i = 0; i < ITERS / 8; i++)
        for (int j = 0; j < 16; j++) a[j] = a[j] * m + c;
    float s = 0;
    for (int j = 0; j < 16; j++) s += a[j];
    *sink = s;
    return 2.0 * 16 * (ITERS / 8);
}
static double run_scalar_f64(double *sink) {
    double a[16], m = 0.999999, c = 1e-7;
    for (int j = 0; j < 16; j++) a[j] = 1;
    for (long i = 0; i < ITERS / 8; i++)
        for (int j = 0; j < 16; j++) a[j] = a[j] * m + c;
    double s = 0;
    for (int j = 0; j < 16; j++) s += a[j];
    *sink = s;
    return 2.0 * 16 * (ITERS / 8);
}

typedef double (*run_fn)(double *);
typedef struct { run_fn fn; double flops, seconds, sink; pthread_barrier_t *start; } job;

static void *worker(void *p) {
    job *j = (job *)p;
    pthread_barrier_wait(j->start);
    double t = now();
    j->flops = j->fn(&j->sink);
    j->seconds = now() - t;
    return NULL;
}

// Best-of-REPS aggregate GFLOP/s with `threads` threads running fn at once.
static double measure(run_fn fn, int threads) {
    double best = 0;
    for (int r = 0; r < REPS; r++) {
        pthread_t tid[64];
        job jobs[64];
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, (unsigned)threads);
        for (int t = 0; t < threads; t++) {
            jobs[t] = (job){fn, 0, 0, 0, &start};
            pthread_create(&tid[t], NULL, worker, &jobs[t]);
        }
        double flops = 0, slowest = 0;
        for (int t = 0; t < threads; t++) {
            pthread_join(tid[t], NULL);
            flops += jobs[t].flops;
            if (jobs[t].seconds > slowest) slowest = jobs[t].seconds;
        }
        pthread_barrier_destroy(&start);
        double g = flops / slowest * 1e-9;
        if (g > best) best = g;
    }
    return best;
}

int main(int argc, char **argv) {
    const char *isa = "scalar";
    run_fn f32 = run_scalar_f32, f64 = run_scalar_f64;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        isa = "avx512"; f32 = run_avx512_f32; f64 = run_avx512_f64;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        isa = "avx2"; f32 = run_avx2_f32; f64 = run_avx2_f64;
    }
#endif
    int counts[16], n = 0;
    for (int i = 1; i < argc && n < 16; i++) counts[n++] = atoi(argv[i]);
    if (n == 0) { counts[0] = 1; counts[1] = 2; n = 2; }
    printf("fma_peak (%s, 16 chains, best of %d)\n", isa, REPS);
    for (int i = 0; i < n; i++) {
        int t = counts[i] < 1 ? 1 : counts[i] > 64 ? 64 : counts[i];
        double g32 = measure(f32, t), g64 = measure(f64, t);
        printf("threads %d: float32 %.1f GFLOP/s, float64 %.1f GFLOP/s\n", t, g32, g64);
    }
    return 0;
}
