// Fused attention without a mask, one (batch, head) at a time per pool chunk:
// the forward (scores, softmax, P·V) and the first-order backward (five
// products and the softmax gradient) of one head run back to back on one
// thread, so its L x S probabilities and score gradients stay in L2 between
// steps instead of making full passes over [B, H, L, S] tensors in memory.
// The products are ct_gemm (single-threaded inside a chunk), the softmax is
// softmax.c's row kernel and the elementwise steps the table's kernels, in the
// unfused path's order, so the values are that path's bit for bit (checked
// against the masked path with a zero mask in AttentionTests).
#include "internal.h"

typedef struct {
    ct_dtype dtype;
    int64_t b1, L, S, E;
    double scale;
    const char *q, *k, *v, *o, *go;
    const int64_t *qs, *ks, *vs, *os, *gs;  // [b0, b1, row, col] strides, in elements
    char *p;                                 // [b0, b1, L, S], contiguous
    char *dp;                                // backward: [b0, b1, L, S] scratch for dS
    char *dq, *dk, *dv;                      // contiguous outputs
    size_t size;
    bool wide;  // fewer heads than threads: heads in turn, each product and row pass over the pool
} ct_attention_ctx;

// Rows [begin, end) of one head's row pass (softmax, or dS), for the wide mode's ct_parallel_for.
typedef struct {
    const ct_attention_ctx *c;
    const ct_kernel_table *K;
    char *rows;                          // softmax: P in place; dS: dP in place
    const char *o, *go, *p;              // dS only
} ct_attention_rows_ctx;

// Row chunks of about 32K elements, as the softmax kernel splits its rows.
static int64_t ct_attention_row_grain(int64_t S) { return S >= (1 << 15) ? 1 : (1 << 15) / S; }

static void ct_attention_softmax_rows(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_attention_rows_ctx *r = (const ct_attention_rows_ctx *)arg;
    const int64_t S = r->c->S;
    for (int64_t i = begin; i < end; i++) ct_softmax_row_inplace(r->c->dtype, r->K, S, r->rows + (size_t)(i * S) * r->c->size);
}

static inline const char *ct_att_at(const char *base, const int64_t *s, int64_t i, int64_t j, size_t size) {
    return base + (size_t)(i * s[0] + j * s[1]) * size;
}

static void ct_attention_forward_chunk(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_attention_ctx *c = (const ct_attention_ctx *)arg;
    const ct_kernel_table *K = ct_kernels();
    const int64_t L = c->L, S = c->S, E = c->E;
    for (int64_t t = begin; t < end; t++) {
        const int64_t i = t / c->b1, j = t % c->b1;
        const char *q = ct_att_at(c->q, c->qs, i, j, c->size), *k = ct_att_at(c->k, c->ks, i, j, c->size);
        const char *v = ct_att_at(c->v, c->vs, i, j, c->size);
        char *p = c->p + (size_t)(t * L * S) * c->size, *o = (char *)c->o + (size_t)(t * L * E) * c->size;
        // P = softmax(scale · Q Kᵀ), row by row in place, then O = P V.
        ct_gemm(c->dtype, L, S, E, c->scale, q, c->qs[2], c->qs[3], k, c->ks[3], c->ks[2], 0, p, S, 1);
        ct_attention_rows_ctx rc = {c, K, p, NULL, NULL, NULL};
        if (c->wide) ct_parallel_for(L, ct_attention_row_grain(S), ct_attention_softmax_rows, &rc);
        else ct_attention_softmax_rows(&rc, 0, L, 0);
        ct_gemm(c->dtype, L, E, S, 1, p, S, 1, v, c->vs[2], c->vs[3], 0, o, E, 1);
    }
}

#define CT_DEFINE_ATTENTION_DS(T, SFX)                                                    \
    /* dS = P ⊙ (dP − rowsum(dO ⊙ O)) in place in dp, for one head. */                   \
    static void ct_attention_ds_##SFX(const ct_kernel_table *K, int64_t r0, int64_t r1, int64_t S, \
                                      int64_t E, const T *o, const T *go, int64_t grs, int64_t gcs, \
                                      const T *p, T *dp) {                                \
        T prod[256];                                                                      \
        for (int64_t r = r0; r < r1; r++) {                                               \
            double d = 0;                                                                 \
            for (int64_t e0 = 0; e0 < E; e0 += 256) {                                     \
                const int64_t n = E - e0 < 256 ? E - e0 : 256;                            \
                const T *gr = go + r * grs + e0 * gcs, *orow = o + r * E + e0;            \
                if (!(gcs == 1 && K->binary_##SFX && K->binary_##SFX(CT_MUL, n, gr, 1, orow, 1, prod))) \
                    for (int64_t e = 0; e < n; e++) prod[e] = gr[e * gcs] * orow[e];      \
                d += K->sum_##SFX(n, prod);                                               \
            }                                                                             \
            const T dr = (T)d;                                                            \
            const T *pr = p + r * S;                                                      \
            T *row = dp + r * S;                                                          \
            /* The table's sub and mul (the unfused path's kernels), else the same in a loop. */ \
            if (!(K->binary_##SFX && K->binary_##SFX(CT_SUB, S, row, 1, &dr, 0, row)))   \
                for (int64_t s = 0; s < S; s++) row[s] = row[s] - dr;                     \
            if (!(K->binary_##SFX && K->binary_##SFX(CT_MUL, S, row, 1, pr, 1, row)))     \
                for (int64_t s = 0; s < S; s++) row[s] = row[s] * pr[s];                  \
        }                                                                                 \
    }

CT_DEFINE_ATTENTION_DS(float, f32)
CT_DEFINE_ATTENTION_DS(double, f64)

static void ct_attention_ds_rows(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_attention_rows_ctx *r = (const ct_attention_rows_ctx *)arg;
    const ct_attention_ctx *c = r->c;
    if (c->dtype == CT_F32)
        ct_attention_ds_f32(r->K, begin, end, c->S, c->E, (const float *)r->o, (const float *)r->go, c->gs[2],
                            c->gs[3], (const float *)r->p, (float *)r->rows);
    else
        ct_attention_ds_f64(r->K, begin, end, c->S, c->E, (const double *)r->o, (const double *)r->go, c->gs[2],
                            c->gs[3], (const double *)r->p, (double *)r->rows);
}

static void ct_attention_backward_chunk(void *arg, int64_t begin, int64_t end, int32_t chunk) {
    (void)chunk;
    const ct_attention_ctx *c = (const ct_attention_ctx *)arg;
    const ct_kernel_table *K = ct_kernels();
    const int64_t L = c->L, S = c->S, E = c->E;
    const size_t z = c->size;
    for (int64_t t = begin; t < end; t++) {
        const int64_t i = t / c->b1, j = t % c->b1;
        const char *q = ct_att_at(c->q, c->qs, i, j, z), *k = ct_att_at(c->k, c->ks, i, j, z);
        const char *v = ct_att_at(c->v, c->vs, i, j, z), *go = ct_att_at(c->go, c->gs, i, j, z);
        const char *p = c->p + (size_t)(t * L * S) * z, *o = c->o + (size_t)(t * L * E) * z;
        char *dp = c->dp + (size_t)(t * L * S) * z;
        char *dq = c->dq + (size_t)(t * L * E) * z, *dk = c->dk + (size_t)(t * S * E) * z;
        char *dv = c->dv + (size_t)(t * S * E) * z;
        // dV = Pᵀ dO; dP = dO Vᵀ; dS = P ⊙ (dP − rowsum(dO ⊙ O)); dQ = s·dS K; dK = s·dSᵀ Q.
        ct_gemm(c->dtype, S, E, L, 1, p, 1, S, go, c->gs[2], c->gs[3], 0, dv, E, 1);
        ct_gemm(c->dtype, L, S, E, 1, go, c->gs[2], c->gs[3], v, c->vs[3], c->vs[2], 0, dp, S, 1);
        ct_attention_rows_ctx rc = {c, K, dp, o, go, p};
        if (c->wide) ct_parallel_for(L, ct_attention_row_grain(S), ct_attention_ds_rows, &rc);
        else ct_attention_ds_rows(&rc, 0, L, 0);
        ct_gemm(c->dtype, L, E, S, c->scale, dp, S, 1, k, c->ks[2], c->ks[3], 0, dq, E, 1);
        ct_gemm(c->dtype, S, E, L, c->scale, dp, 1, S, q, c->qs[2], c->qs[3], 0, dk, E, 1);
    }
}

// Heads are claimed one at a time by the threads as they free up; tiny work stays on one thread.
static void ct_attention_run(ct_attention_ctx *c, int64_t count, ct_chunk_fn fn) {
    const int64_t work = c->L * c->S * c->E;
    if (count < ct_get_num_threads()) {  // too few heads to share: each head's steps use the pool
        c->wide = true;
        fn(c, 0, count, 0);
        return;
    }
    const int32_t chunks = work * count < (1 << 18) ? 1 : (int32_t)(count < CT_MAX_CHUNKS ? count : CT_MAX_CHUNKS);
    ct_parallel_chunks(count, chunks, fn, c);
}

void ct_attention_forward(ct_dtype dtype, int64_t b0, int64_t b1, int64_t L, int64_t S, int64_t E, double scale,
                          const void *q, const int64_t *qs, const void *k, const int64_t *ks,
                          const void *v, const int64_t *vs, void *p, void *o) {
    if (b0 * b1 <= 0 || L <= 0 || S <= 0 || E <= 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    ct_attention_ctx c = {dtype, b1, L, S, E, scale, (const char *)q, (const char *)k, (const char *)v,
                          (const char *)o, NULL, qs, ks, vs, NULL, NULL, (char *)p, NULL, NULL, NULL, NULL,
                          ct_dtype_byte_size(dtype), false};
    ct_attention_run(&c, b0 * b1, ct_attention_forward_chunk);
}

void ct_attention_backward(ct_dtype dtype, int64_t b0, int64_t b1, int64_t L, int64_t S, int64_t E, double scale,
                           const void *q, const int64_t *qs, const void *k, const int64_t *ks,
                           const void *v, const int64_t *vs, const void *p, const void *o,
                           const void *go, const int64_t *gs, void *ds, void *dq, void *dk, void *dv) {
    if (b0 * b1 <= 0 || L <= 0 || S <= 0 || E <= 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    ct_attention_ctx c = {dtype, b1, L, S, E, scale, (const char *)q, (const char *)k, (const char *)v,
                          (const char *)o, (const char *)go, qs, ks, vs, NULL, gs, (char *)p, (char *)ds,
                          (char *)dq, (char *)dk, (char *)dv, ct_dtype_byte_size(dtype), false};
    ct_attention_run(&c, b0 * b1, ct_attention_backward_chunk);
}
