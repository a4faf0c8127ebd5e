// A per-thread cache of small tensor buffers, in power-of-two size classes
// (PyTorch's CPU caching allocator does the same): a steady-state training
// loop frees and re-allocates buffers of the same sizes every step, and most
// of them (1-64 KiB) are above glibc's per-thread cache, so each would
// otherwise take malloc's slow path. A freed buffer is pushed on its class's
// list (the link lives in the buffer), an allocation pops one: no lock, since
// each thread has its own lists; a buffer freed on another thread than the
// one that allocated it simply joins that thread's lists.
#include "CotangentKernels.h"
#include "internal.h"
#include <pthread.h>
#include <stdlib.h>

#define CT_SMALL_MIN_SHIFT 6   // 64 bytes: one cache line, the buffers' alignment
#define CT_SMALL_CLASSES (CT_SMALL_MAX_SHIFT - CT_SMALL_MIN_SHIFT + 1)
#define CT_SMALL_MAX_SHIFT 16  // 64 KiB; larger buffers are cached by the Swift side
// What one thread may keep: bounded in bytes and, per class, in count.
#define CT_SMALL_THREAD_BYTES (8 << 20)
#define CT_SMALL_CLASS_COUNT 1024

typedef struct ct_free_buffer { struct ct_free_buffer *next; } ct_free_buffer;

typedef struct {
    ct_free_buffer *head[CT_SMALL_CLASSES];
    int32_t count[CT_SMALL_CLASSES];
    int64_t bytes;
    int registered;
} ct_buffer_lists;

static CT_TLS ct_buffer_lists ct_lists;
static pthread_key_t ct_lists_key;
static pthread_once_t ct_lists_once = PTHREAD_ONCE_INIT;

// Frees a thread's cached buffers when it exits.
static void ct_lists_destroy(void *arg) {
    ct_buffer_lists *lists = arg;
    for (int c = 0; c < CT_SMALL_CLASSES; c++) {
        ct_free_buffer *b = lists->head[c];
        while (b) { ct_free_buffer *next = b->next; free(b); b = next; }
        lists->head[c] = NULL;
        lists->count[c] = 0;
    }
    lists->bytes = 0;
}

static void ct_lists_make_key(void) { pthread_key_create(&ct_lists_key, ct_lists_destroy); }

static inline int ct_size_class(int64_t bytes) {
    if (bytes <= (1 << CT_SMALL_MIN_SHIFT)) return 0;
    return (64 - __builtin_clzll((uint64_t)(bytes - 1))) - CT_SMALL_MIN_SHIFT;
}

int64_t ct_small_buffer_limit(void) { return (int64_t)1 << CT_SMALL_MAX_SHIFT; }

void *ct_small_buffer_alloc(int64_t bytes) {
    int c = ct_size_class(bytes);
    ct_buffer_lists *lists = &ct_lists;
    ct_free_buffer *b = lists->head[c];
    if (b) {
        lists->head[c] = b->next;
        lists->count[c]--;
        lists->bytes -= (int64_t)1 << (c + CT_SMALL_MIN_SHIFT);
        return b;
    }
    return aligned_alloc((size_t)1 << CT_SMALL_MIN_SHIFT, (size_t)1 << (c + CT_SMALL_MIN_SHIFT));
}

void ct_small_buffer_free(void *p, int64_t bytes) {
    int c = ct_size_class(bytes);
    int64_t size = (int64_t)1 << (c + CT_SMALL_MIN_SHIFT);
    ct_buffer_lists *lists = &ct_lists;
    if (lists->count[c] >= CT_SMALL_CLASS_COUNT || lists->bytes + size > CT_SMALL_THREAD_BYTES) {
        free(p);
        return;
    }
    if (!lists->registered) {
        // Once per thread: hand the lists to the exit destructor.
        pthread_once(&ct_lists_once, ct_lists_make_key);
        pthread_setspecific(ct_lists_key, lists);
        lists->registered = 1;
    }
    ct_free_buffer *b = p;
    b->next = lists->head[c];
    lists->head[c] = b;
    lists->count[c]++;
    lists->bytes += size;
}
