// A small persistent thread pool. Kernels hand it a range split into fixed
// chunks (ct_parallel_for); workers are created on first use, spin briefly
// after each job (back-to-back kernels are common) and then sleep.
#include "internal.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define CT_MAX_WORKERS (CT_MAX_CHUNKS - 1)
// Spin iterations a worker waits for the next job before sleeping (~50-100 µs).
#define CT_SPIN_LIMIT 20000

static _Atomic int32_t ct_num_threads = 0;  // 0 = not yet initialised

static int32_t ct_default_threads(void) {
    const char *env = getenv("COTANGENT_NUM_THREADS");
    long n = env ? strtol(env, NULL, 10) : 0;
    if (n < 1) n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    return n > CT_MAX_CHUNKS ? CT_MAX_CHUNKS : (int32_t)n;
}

void ct_set_num_threads(int32_t n) {
    if (n < 1) n = 1;
    if (n > CT_MAX_CHUNKS) n = CT_MAX_CHUNKS;
    atomic_store(&ct_num_threads, n);
    ct_blas_set_threads(n);
}

// A thread count for the calling thread only (0: none), for tests.
static CT_TLS int32_t ct_local_threads = 0;

void ct_set_local_num_threads(int32_t n) {
    ct_local_threads = n < 1 ? 0 : (n > CT_MAX_CHUNKS ? CT_MAX_CHUNKS : n);
}

int32_t ct_get_num_threads(void) {
    if (ct_local_threads > 0) return ct_local_threads;
    int32_t n = atomic_load_explicit(&ct_num_threads, memory_order_relaxed);
    if (n == 0) {
        int32_t d = ct_default_threads();
        int32_t expected = 0;
        atomic_compare_exchange_strong(&ct_num_threads, &expected, d);
        n = atomic_load(&ct_num_threads);
    }
    return n;
}

int32_t ct_chunk_count(int64_t n, int64_t grain) {
    if (grain < 1) grain = 1;
    int64_t by_size = n / grain;  // every chunk gets at least `grain` items
    int64_t t = ct_get_num_threads();
    if (by_size < t) t = by_size;
    return t < 1 ? 1 : (int32_t)t;
}

// MARK: Pool

// A job is published by bumping `generation`; chunks are claimed by CAS on
// `claim` = (generation << 32) | (chunk count << 16) | next chunk, so a worker that wakes late can
// never take a chunk of a later job, and the caller never waits for a worker
// that has not started: it claims the remaining chunks itself and only waits
// for chunks already being run.
static struct {
    pthread_mutex_t job_lock;  // one parallel region at a time
    pthread_mutex_t sleep_lock;
    pthread_cond_t wake;
    int32_t nworkers;
    _Atomic uint64_t generation;
    _Atomic uint64_t claim;
    _Atomic int32_t done;  // chunks finished in the current job
    ct_chunk_fn fn;
    void *ctx;
    int64_t n;
    const ct_kernel_table *table;  // the caller's forced kernel table, or NULL
} pool = {
    .job_lock = PTHREAD_MUTEX_INITIALIZER,
    .sleep_lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};

static CT_TLS int ct_inside_chunk = 0;

static inline void ct_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// Claims and runs chunks of job `gen` until none are left. The chunk count is
// read from the claim word, not from the job's fields: a thread that loaded the
// claim of a finished job may read pool.* after the next job began to be set
// up, and must not take (and count as done) a chunk past the finished job's end.
// Only a successful claim keeps the job open, so pool.* are then this job's.
static void ct_run_chunks(uint64_t gen, int worker) {
    for (;;) {
        uint64_t w = atomic_load_explicit(&pool.claim, memory_order_acquire);
        if ((w >> 32) != (gen & 0xffffffffu)) return;
        const int32_t k = (int32_t)((w >> 16) & 0xffffu), c = (int32_t)(w & 0xffffu);
        if (c >= k) return;
        if (!atomic_compare_exchange_weak_explicit(&pool.claim, &w, w + 1, memory_order_acq_rel,
                                                   memory_order_relaxed))
            continue;
        if (worker) ct_kernels_set_local(pool.table);
        int64_t b = pool.n * c / k, e = pool.n * (c + 1) / k;
        pool.fn(pool.ctx, b, e, c);
        atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
    }
}

static void *ct_worker(void *arg) {
    ct_inside_chunk = 1;
    // The generation current when this worker was created (it may be bumped
    // before the thread gets here, and that job must not be missed).
    uint64_t seen = (uint64_t)(uintptr_t)arg;
    for (;;) {
        uint64_t g;
        int spins = 0;
        while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            if (++spins < CT_SPIN_LIMIT) { ct_cpu_relax(); continue; }
            pthread_mutex_lock(&pool.sleep_lock);
            while ((g = atomic_load(&pool.generation)) == seen)
                pthread_cond_wait(&pool.wake, &pool.sleep_lock);
            pthread_mutex_unlock(&pool.sleep_lock);
            break;
        }
        seen = g;
        ct_run_chunks(g, 1);
        ct_kernels_set_local(NULL);
    }
    return NULL;
}

// Called with job_lock held: makes sure `want` workers exist.
static void ct_ensure_workers(int32_t want) {
    if (want > CT_MAX_WORKERS) want = CT_MAX_WORKERS;
    while (pool.nworkers < want) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 1 << 20);
        int err = pthread_create(&t, &attr, ct_worker, (void *)(uintptr_t)atomic_load(&pool.generation));
        pthread_attr_destroy(&attr);
        if (err != 0) break;
        pthread_detach(t);
        pool.nworkers++;
    }
}

static void ct_serial_chunks(int64_t n, int32_t k, ct_chunk_fn fn, void *ctx) {
    for (int32_t c = 0; c < k; c++) fn(ctx, n * c / k, n * (c + 1) / k, c);
}

void ct_parallel_for(int64_t n, int64_t grain, ct_chunk_fn fn, void *ctx) {
    if (n <= 0) return;
    ct_parallel_chunks(n, ct_chunk_count(n, grain), fn, ctx);
}

void ct_parallel_chunks(int64_t n, int32_t k, ct_chunk_fn fn, void *ctx) {
    if (n <= 0) return;
    if (k > n) k = (int32_t)n;
    if (k > CT_MAX_CHUNKS) k = CT_MAX_CHUNKS;
    if (k <= 1 || ct_get_num_threads() == 1) {
        if (k < 1) k = 1;
        ct_serial_chunks(n, k, fn, ctx);
        return;
    }
    // Nested calls, or another thread already using the pool: same chunks, serially.
    if (ct_inside_chunk || pthread_mutex_trylock(&pool.job_lock) != 0) {
        ct_serial_chunks(n, k, fn, ctx);
        return;
    }
    const int32_t threads = ct_get_num_threads();
    ct_ensure_workers((k < threads ? k : threads) - 1);
    if (pool.nworkers == 0) {
        pthread_mutex_unlock(&pool.job_lock);
        ct_serial_chunks(n, k, fn, ctx);
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.table = ct_kernels_local();
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    const uint64_t gen = atomic_load(&pool.generation) + 1;
    atomic_store_explicit(&pool.claim, (gen & 0xffffffffu) << 32 | (uint64_t)k << 16, memory_order_release);
    // Publish under sleep_lock so a worker about to sleep cannot miss the wake-up.
    pthread_mutex_lock(&pool.sleep_lock);
    atomic_store_explicit(&pool.generation, gen, memory_order_release);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.sleep_lock);

    ct_inside_chunk = 1;
    ct_run_chunks(gen, 0);
    ct_inside_chunk = 0;
    // Chunks taken by workers may still be running.
    while (atomic_load_explicit(&pool.done, memory_order_acquire) < k) ct_cpu_relax();
    pthread_mutex_unlock(&pool.job_lock);
}
