// Batched matrix products for attention: many small GEMMs (one per batch and
// head) run one per pool chunk, each single-threaded, rather than one after
// another with each split across threads.
#include "internal.h"

typedef struct {
    ct_dtype dtype;
    int64_t b1, m, n, k;
    double alpha, beta;
    const char *a; int64_t sa0, sa1, rsa, csa;
    const char *b; int64_t sb0, sb1, rsb, csb;
    char *c; int64_t sc0, sc1, rsc, csc;
    int64_t size;
} ct_batched_gemm_ctx;

static void ct_batched_gemm_chunk(void *ctx, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_batched_gemm_ctx *p = (const ct_batched_gemm_ctx *)ctx;
    for (int64_t t = begin; t < end; t++) {
        const int64_t i = t / p->b1, j = t % p->b1;
        ct_gemm(p->dtype, p->m, p->n, p->k, p->alpha,
                p->a + (i * p->sa0 + j * p->sa1) * p->size, p->rsa, p->csa,
                p->b + (i * p->sb0 + j * p->sb1) * p->size, p->rsb, p->csb, p->beta,
                p->c + (i * p->sc0 + j * p->sc1) * p->size, p->rsc, p->csc);
    }
}

void ct_gemm_batched(ct_dtype dtype, int64_t b0, int64_t b1, int64_t M, int64_t N, int64_t K, double alpha,
                     const void *A, int64_t sa0, int64_t sa1, int64_t rsa, int64_t csa,
                     const void *B, int64_t sb0, int64_t sb1, int64_t rsb, int64_t csb, double beta,
                     void *C, int64_t sc0, int64_t sc1, int64_t rsc, int64_t csc) {
    const int64_t count = b0 * b1;
    if (count <= 0 || M <= 0 || N <= 0) return;
    ct_batched_gemm_ctx p = {dtype, b1, M, N, K, alpha, beta,
                             (const char *)A, sa0, sa1, rsa, csa, (const char *)B, sb0, sb1, rsb, csb,
                             (char *)C, sc0, sc1, rsc, csc, (int64_t)ct_dtype_byte_size(dtype)};
    // Threads claim products as they become free; small products stay on one thread.
    const int64_t work = M * N * (K > 0 ? K : 1);
    const int32_t chunks = work * count < (1 << 18) ? 1 : (int32_t)(count < CT_MAX_CHUNKS ? count : CT_MAX_CHUNKS);
    ct_parallel_chunks(count, chunks, ct_batched_gemm_chunk, &p);
}
