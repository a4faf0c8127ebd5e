// The GEMM kernel called directly from C (no Swift, a preallocated output):
// GFLOP/s of ct_gemm for square products, float32 and float64, to set beside
// cotangent-bench's gemm_N / dgemm_N rows and the FMA peak (fma_peak.c).
//
//   sh Benchmarks/gemm_c.sh [--threads N] [--f64] [--fresh] [--check] [sizes...]
//
// --fresh allocates (and frees) the output on every call, as a Swift op must,
// to show what that costs; --check compares every size with a naive loop.
#include "CotangentKernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// CPU time of the calling thread: with one thread, time the OS gave to other
// processes on a loaded machine is not counted.
static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int threads = 1, f64 = 0, fresh = 0, check = 0, nsizes = 0;
    double min_time = 1.0;
    long sizes[32];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--f64")) f64 = 1;
        else if (!strcmp(argv[i], "--fresh")) fresh = 1;
        else if (!strcmp(argv[i], "--check")) check = 1;
        else if (nsizes < 32) sizes[nsizes++] = atol(argv[i]);
    }
    if (nsizes == 0) {
        long d[] = {64, 256, 512, 1024, 2048};
        for (int i = 0; i < 5; i++) sizes[nsizes++] = d[i];
    }
    ct_set_num_threads(threads);
    const size_t es = f64 ? 8 : 4;
    const ct_dtype dt = f64 ? CT_F64 : CT_F32;
    printf("ct_gemm %s, %d thread(s), simd %s%s\n", f64 ? "float64" : "float32", threads, ct_simd_name(),
           fresh ? ", fresh output each call" : "");
    for (int s = 0; s < nsizes; s++) {
        const long n = sizes[s];
        char *a = malloc(n * n * es), *b = malloc(n * n * es), *c = malloc(n * n * es);
        for (long i = 0; i < n * n; i++) {
            double x = (double)rand() / RAND_MAX - 0.5, y = (double)rand() / RAND_MAX - 0.5;
            if (f64) { ((double *)a)[i] = x; ((double *)b)[i] = y; }
            else { ((float *)a)[i] = (float)x; ((float *)b)[i] = (float)y; }
        }
        if (check) {
            ct_gemm(dt, n, n, n, 1, a, n, 1, b, n, 1, 0, c, n, 1);
            double worst = 0;
            for (long i = 0; i < n; i += (n > 64 ? 7 : 1))
                for (long j = 0; j < n; j++) {
                    double ref = 0, got;
                    for (long k = 0; k < n; k++)
                        ref += f64 ? ((double *)a)[i * n + k] * ((double *)b)[k * n + j]
                                   : (double)((float *)a)[i * n + k] * ((float *)b)[k * n + j];
                    got = f64 ? ((double *)c)[i * n + j] : ((float *)c)[i * n + j];
                    if (fabs(got - ref) > worst) worst = fabs(got - ref);
                }
            printf("  check n=%ld max |err| %.3g\n", n, worst);
        }
        // Batches of ~10 ms, repeated for min_time; the median per call.
        long batch = 1;
        for (;;) {
            double t = now();
            for (long r = 0; r < batch; r++) {
                char *out = fresh ? malloc(n * n * es) : c;
                ct_gemm(dt, n, n, n, 1, a, n, 1, b, n, 1, 0, out, n, 1);
                if (fresh) free(out);
            }
            if (now() - t > 0.01) break;
            batch *= 2;
        }
        double samples[4096], cpu[4096];
        int ns = 0;
        const double deadline = now() + min_time;
        while ((now() < deadline || ns < 5) && ns < 4096) {
            double t = now(), tc = cpu_now();
            for (long r = 0; r < batch; r++) {
                char *out = fresh ? malloc(n * n * es) : c;
                ct_gemm(dt, n, n, n, 1, a, n, 1, b, n, 1, 0, out, n, 1);
                if (fresh) free(out);
            }
            cpu[ns] = (cpu_now() - tc) / batch;
            samples[ns++] = (now() - t) / batch;
        }
        qsort(samples, ns, sizeof *samples, cmp);
        qsort(cpu, ns, sizeof *cpu, cmp);
        const double med = samples[ns / 2], flops = 2.0 * n * n * n;
        printf("  n=%-5ld %10.2f us  %7.1f GFLOP/s  (best %.1f", n, med * 1e6, flops / med * 1e-9,
               flops / samples[0] * 1e-9);
        // The calling thread's CPU time only measures the whole product on one thread.
        if (threads == 1) printf("; by CPU time %.1f, best %.1f", flops / cpu[ns / 2] * 1e-9, flops / cpu[0] * 1e-9);
        printf(")\n");
        free(a); free(b); free(c);
    }
    return 0;
}
