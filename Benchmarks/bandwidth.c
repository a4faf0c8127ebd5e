// Memory bandwidth of this machine, as the memory-bound workloads of
// cotangent-bench see it: streaming read (a float sum, over one sequential
// stream and over two), write (a fill, with
// ordinary and with non-temporal stores), copy (ordinary and non-temporal) and
// first-touch write (a fill of freshly mapped pages: the page faults a new
// output pays; also with 2 MiB pages asked for by madvise), on 1 and 2 threads, over buffers 4x the last-level cache.
//
//   cc -O2 -march=native -pthread Benchmarks/bandwidth.c -o /tmp/bandwidth && /tmp/bandwidth [MiB]
//   (Benchmarks/bandwidth.sh does that.)
//
// GB/s counts the bytes the program asks for: a read or a write of the buffer
// is its size, a copy is twice it. Ordinary stores also read each line first
// (write-allocate), which the figure does not count; that cost is why the
// non-temporal rows are faster. Each figure is the best of several runs.
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef enum { READ, READ2, WRITE, WRITE_NT, COPY, COPY_NT, FIRST_TOUCH, FIRST_TOUCH_HUGE } kind_t;
static const char *names[] = {"read", "read (two streams)", "write", "write (non-temporal)", "copy", "copy (non-temporal)",
                              "write to new pages", "write to new huge pages"};

typedef struct {
    kind_t kind;
    float *src, *dst;
    size_t n;       // floats in this thread's part (a multiple of 64)
    double sink;
    pthread_barrier_t *barrier;
} part_t;

#if defined(__AVX512F__)
typedef __m512 vec;
#define W 16
#define LOAD _mm512_load_ps
#define STORE _mm512_store_ps
#define STREAM _mm512_stream_ps
#define ADD _mm512_add_ps
#define SET1 _mm512_set1_ps
#define ZERO _mm512_setzero_ps
static float hsum(vec v) { return _mm512_reduce_add_ps(v); }
#else
typedef __m256 vec;
#define W 8
#define LOAD _mm256_load_ps
#define STORE _mm256_store_ps
#define STREAM _mm256_stream_ps
#define ADD _mm256_add_ps
#define SET1 _mm256_set1_ps
#define ZERO _mm256_setzero_ps
static float hsum(vec v) {
    float t[8];
    _mm256_storeu_ps(t, v);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#endif

static void run_part(part_t *p) {
    const size_t n = p->n;
    float *s = p->src, *d = p->dst;
    switch (p->kind) {
    case READ: {
        vec a0 = ZERO(), a1 = ZERO(), a2 = ZERO(), a3 = ZERO();
        for (size_t i = 0; i < n; i += 4 * W) {
            a0 = ADD(a0, LOAD(s + i)); a1 = ADD(a1, LOAD(s + i + W));
            a2 = ADD(a2, LOAD(s + i + 2 * W)); a3 = ADD(a3, LOAD(s + i + 3 * W));
        }
        p->sink += hsum(ADD(ADD(a0, a1), ADD(a2, a3)));
        break;
    }
    case READ2: {  // the two halves side by side, as Cotangent's long sums read
        vec a0 = ZERO(), a1 = ZERO(), a2 = ZERO(), a3 = ZERO();
        const float *t = s + n / 2;
        for (size_t i = 0; i < n / 2; i += 2 * W) {
            a0 = ADD(a0, LOAD(s + i)); a1 = ADD(a1, LOAD(s + i + W));
            a2 = ADD(a2, LOAD(t + i)); a3 = ADD(a3, LOAD(t + i + W));
        }
        p->sink += hsum(ADD(ADD(a0, a1), ADD(a2, a3)));
        break;
    }
    case WRITE: case FIRST_TOUCH: case FIRST_TOUCH_HUGE: {
        const vec v = SET1(1.0f);
        for (size_t i = 0; i < n; i += W) STORE(d + i, v);
        break;
    }
    case WRITE_NT: {
        const vec v = SET1(1.0f);
        for (size_t i = 0; i < n; i += W) STREAM(d + i, v);
        _mm_sfence();
        break;
    }
    case COPY:
        for (size_t i = 0; i < n; i += W) STORE(d + i, LOAD(s + i));
        break;
    case COPY_NT:
        for (size_t i = 0; i < n; i += W) STREAM(d + i, LOAD(s + i));
        _mm_sfence();
        break;
    }
}

static void *worker(void *arg) {
    part_t *p = (part_t *)arg;
    pthread_barrier_wait(p->barrier);
    run_part(p);
    pthread_barrier_wait(p->barrier);
    return NULL;
}

// Seconds for one pass of `kind` over n floats split across `threads`.
static double one_pass(kind_t kind, int threads, float *src, float *dst, size_t n) {
    float *fresh = NULL;
    if (kind == FIRST_TOUCH || kind == FIRST_TOUCH_HUGE) {
        fresh = mmap(NULL, n * sizeof(float), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (fresh == MAP_FAILED) { perror("mmap"); exit(1); }
        // 2 MiB pages where transparent huge pages are on "madvise": 512x fewer faults.
        if (kind == FIRST_TOUCH_HUGE) madvise(fresh, n * sizeof(float), MADV_HUGEPAGE);
        dst = fresh;
    }
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, (unsigned)threads);
    part_t parts[2];
    pthread_t tid[2];
    const size_t chunk = n / threads / 64 * 64;
    for (int t = 0; t < threads; t++) {
        parts[t] = (part_t){.kind = kind, .src = src + t * chunk, .dst = dst + t * chunk, .n = chunk,
                            .barrier = &barrier};
        if (t > 0) pthread_create(&tid[t], NULL, worker, &parts[t]);
    }
    pthread_barrier_wait(&barrier);
    const double start = now();
    run_part(&parts[0]);
    pthread_barrier_wait(&barrier);
    const double elapsed = now() - start;
    for (int t = 1; t < threads; t++) pthread_join(tid[t], NULL);
    pthread_barrier_destroy(&barrier);
    if (fresh) munmap(fresh, n * sizeof(float));
    if (parts[0].sink == 12345.0) printf(" ");  // keeps the read loop
    return elapsed;
}

int main(int argc, char **argv) {
    const size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 128;
    const size_t n = mib * 1024 * 1024 / sizeof(float);
    float *src = aligned_alloc(64, n * sizeof(float)), *dst = aligned_alloc(64, n * sizeof(float));
    if (!src || !dst) { fprintf(stderr, "out of memory\n"); return 1; }
    for (size_t i = 0; i < n; i++) { src[i] = (float)(i & 1023); dst[i] = 0; }
    printf("buffers of %zu MiB, %d-lane vectors; GB/s, best of 7\n", mib, W);
    printf("%-24s %10s %10s\n", "", "1 thread", "2 threads");
    for (kind_t k = READ; k <= FIRST_TOUCH_HUGE; k++) {
        printf("%-24s", names[k]);
        for (int threads = 1; threads <= 2; threads++) {
            double best = 1e30;
            for (int r = 0; r < 7; r++) {
                double t = one_pass(k, threads, src, dst, n);
                if (t < best) best = t;
            }
            const double bytes = (double)(n / threads / 64 * 64 * threads) * sizeof(float) * (k == COPY || k == COPY_NT ? 2 : 1);
            printf(" %10.1f", bytes / best / 1e9);
        }
        printf("\n");
    }
    return 0;
}
