// The elementwise part of an LSTM step in one pass over the gates (PyTorch's
// lstm_cell after its two products): i, f, o = σ(gates), g = tanh(gates),
// c' = f·c + i·g, h' = o·tanh(c'), and the backward of c' and of h'. Each step
// calls the kernel the unfused op would (the table's vector sigmoid, tanh,
// mul, add, sigmoid_backward, tanh_backward, or their scalar loops), on the
// same operands in the same order, so the values are those of the composed
// ops; only the passes over memory and the split gate views go.
#include "internal.h"
#include "special.h"
#include <stdlib.h>

#define CT_DEFINE_LSTM(T, SFX, TG)                                                          \
    static void ct_lstm_unary_##SFX(const ct_kernel_table *K, ct_unary_op op, int64_t n, const T *x, T *out) { \
        if (K->unary_##SFX && K->unary_##SFX(op, n, x, out, NULL)) return;                 \
        for (int64_t j = 0; j < n; j++)                                                     \
            out[j] = op == CT_TANH ? (T)tanh((double)x[j]) : (T)ct_sigmoid_scalar((double)x[j]); \
    }                                                                                       \
    static void ct_lstm_binary_##SFX(const ct_kernel_table *K, ct_binary_op op, int64_t n, const T *a, \
                                     const T *b, T *out) {                                  \
        _Pragma("STDC FP_CONTRACT OFF")                                                     \
        if (K->binary_##SFX && K->binary_##SFX(op, n, a, 1, b, 1, out)) return;            \
        for (int64_t j = 0; j < n; j++) {                                                   \
            switch (op) {                                                                   \
            case CT_ADD: out[j] = a[j] + b[j]; break;                                       \
            case CT_MUL: out[j] = a[j] * b[j]; break;                                       \
            case CT_SIGMOID_BACKWARD: out[j] = ct_sigmoid_backward_##TG(a[j], b[j]); break; \
            default: out[j] = ct_tanh_backward_##TG(a[j], b[j]); break;                     \
            }                                                                               \
        }                                                                                   \
    }                                                                                       \
    /* Row r of a [B, H] operand through its strides, contiguous (gathered into buf if need be). */ \
    static const T *ct_lstm_row_##SFX(const T *x, int64_t rs, int64_t cs, int64_t r, int64_t H, T *buf) { \
        if (cs == 1) return x + r * rs;                                                     \
        for (int64_t j = 0; j < H; j++) buf[j] = x[r * rs + j * cs];                        \
        return buf;                                                                         \
    }

CT_DEFINE_LSTM(float, f32, f)
CT_DEFINE_LSTM(double, f64, d)

typedef struct {
    ct_dtype dtype;
    int64_t H;
    const void *gates, *c0, *grad, *act, *aux;
    int64_t c0_rs, c0_cs, g_rs, g_cs;
    void *act_out, *c1, *tanh_c1, *h1;  // forward outputs
    void *dgates, *dstate;              // backward outputs
} ct_lstm_ctx;

#define CT_LSTM_FORWARD_ROWS(T, SFX)                                                        \
    do {                                                                                    \
        const T *gates = (const T *)c->gates, *c0 = (const T *)c->c0;                       \
        T *act = (T *)c->act_out, *c1 = (T *)c->c1, *th = (T *)c->tanh_c1, *h1 = (T *)c->h1; \
        T *buf = (T *)tmp, *t1 = buf + H, *t2 = t1 + H;                                     \
        for (int64_t r = begin; r < end; r++) {                                             \
            const T *gr = gates + r * 4 * H;                                                \
            T *ar = act + r * 4 * H;                                                        \
            ct_lstm_unary_##SFX(K, CT_SIGMOID, 2 * H, gr, ar);                              \
            ct_lstm_unary_##SFX(K, CT_TANH, H, gr + 2 * H, ar + 2 * H);                     \
            ct_lstm_unary_##SFX(K, CT_SIGMOID, H, gr + 3 * H, ar + 3 * H);                  \
            const T *cr = ct_lstm_row_##SFX(c0, c->c0_rs, c->c0_cs, r, H, buf);             \
            ct_lstm_binary_##SFX(K, CT_MUL, H, ar + H, cr, t1);          /* f·c */          \
            ct_lstm_binary_##SFX(K, CT_MUL, H, ar, ar + 2 * H, t2);      /* i·g */          \
            ct_lstm_binary_##SFX(K, CT_ADD, H, t1, t2, c1 + r * H);                         \
            ct_lstm_unary_##SFX(K, CT_TANH, H, c1 + r * H, th + r * H);                     \
            ct_lstm_binary_##SFX(K, CT_MUL, H, ar + 3 * H, th + r * H, h1 + r * H);         \
        }                                                                                   \
    } while (0)

// Backward of c' = f·c + i·g: dgates = [σ'(dc'·g, i), σ'(dc'·c, f), tanh'(dc'·i, g), 0], dc = dc'·f.
#define CT_LSTM_BACKWARD_C_ROWS(T, SFX)                                                     \
    do {                                                                                    \
        const T *act = (const T *)c->act, *c0 = (const T *)c->c0, *grad = (const T *)c->grad; \
        T *dg = (T *)c->dgates, *dc0 = (T *)c->dstate;                                      \
        T *buf = (T *)tmp, *gbuf = buf + H, *t = gbuf + H;                                  \
        for (int64_t r = begin; r < end; r++) {                                             \
            const T *ar = act + r * 4 * H;                                                  \
            T *dr = dg + r * 4 * H;                                                         \
            const T *gr = ct_lstm_row_##SFX(grad, c->g_rs, c->g_cs, r, H, gbuf);            \
            const T *cr = ct_lstm_row_##SFX(c0, c->c0_rs, c->c0_cs, r, H, buf);             \
            ct_lstm_binary_##SFX(K, CT_MUL, H, gr, ar + 2 * H, t);                          \
            ct_lstm_binary_##SFX(K, CT_SIGMOID_BACKWARD, H, t, ar, dr);                     \
            ct_lstm_binary_##SFX(K, CT_MUL, H, gr, cr, t);                                  \
            ct_lstm_binary_##SFX(K, CT_SIGMOID_BACKWARD, H, t, ar + H, dr + H);             \
            ct_lstm_binary_##SFX(K, CT_MUL, H, gr, ar, t);                                  \
            ct_lstm_binary_##SFX(K, CT_TANH_BACKWARD, H, t, ar + 2 * H, dr + 2 * H);        \
            for (int64_t j = 0; j < H; j++) dr[3 * H + j] = 0;                              \
            if (dc0) ct_lstm_binary_##SFX(K, CT_MUL, H, gr, ar + H, dc0 + r * H);           \
        }                                                                                   \
    } while (0)

// Backward of h' = o·tanh(c'): dgates = [0, 0, 0, σ'(dh'·tanh c', o)], dc' = tanh'(dh'·o, tanh c').
#define CT_LSTM_BACKWARD_H_ROWS(T, SFX)                                                     \
    do {                                                                                    \
        const T *act = (const T *)c->act, *th = (const T *)c->aux, *grad = (const T *)c->grad; \
        T *dg = (T *)c->dgates, *dc1 = (T *)c->dstate;                                      \
        T *gbuf = (T *)tmp, *t = gbuf + H;                                                  \
        for (int64_t r = begin; r < end; r++) {                                             \
            const T *ar = act + r * 4 * H, *tr = th + r * H;                                \
            T *dr = dg + r * 4 * H;                                                         \
            const T *gr = ct_lstm_row_##SFX(grad, c->g_rs, c->g_cs, r, H, gbuf);            \
            for (int64_t j = 0; j < 3 * H; j++) dr[j] = 0;                                  \
            ct_lstm_binary_##SFX(K, CT_MUL, H, gr, tr, t);                                  \
            ct_lstm_binary_##SFX(K, CT_SIGMOID_BACKWARD, H, t, ar + 3 * H, dr + 3 * H);     \
            if (dc1) {                                                                      \
                ct_lstm_binary_##SFX(K, CT_MUL, H, gr, ar + 3 * H, t);                      \
                ct_lstm_binary_##SFX(K, CT_TANH_BACKWARD, H, t, tr, dc1 + r * H);           \
            }                                                                               \
        }                                                                                   \
    } while (0)

#define CT_DEFINE_LSTM_CHUNK(WHICH, MACRO)                                                  \
    static void ct_lstm_chunk_##WHICH(void *arg, int64_t begin, int64_t end, int32_t chunk) { \
        (void)chunk;                                                                        \
        const ct_lstm_ctx *c = (const ct_lstm_ctx *)arg;                                    \
        const ct_kernel_table *K = ct_kernels();                                            \
        const int64_t H = c->H;                                                             \
        void *tmp = malloc(3 * (size_t)H * ct_dtype_byte_size(c->dtype));                   \
        if (!tmp) abort();  /* as interpolate.c and sort.c: never a silently unwritten result */ \
        if (c->dtype == CT_F32) MACRO(float, f32);                                          \
        else MACRO(double, f64);                                                            \
        free(tmp);                                                                          \
    }

CT_DEFINE_LSTM_CHUNK(forward, CT_LSTM_FORWARD_ROWS)
CT_DEFINE_LSTM_CHUNK(backward_c, CT_LSTM_BACKWARD_C_ROWS)
CT_DEFINE_LSTM_CHUNK(backward_h, CT_LSTM_BACKWARD_H_ROWS)

// Rows split over the pool above about 16K elements of state per chunk (the math ops' grain).
static void ct_lstm_run(ct_lstm_ctx *c, int64_t B, ct_chunk_fn fn) {
    const int64_t grain = c->H >= (1 << 14) ? 1 : (1 << 14) / c->H;
    if (B < 2 * grain) fn(c, 0, B, 0);
    else ct_parallel_for(B, grain, fn, c);
}

void ct_lstm_cell_forward(ct_dtype dtype, int64_t B, int64_t H, const void *gates, const void *c0,
                          int64_t c0_rs, int64_t c0_cs, void *act, void *c1, void *tanh_c1, void *h1) {
    if (B <= 0 || H <= 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    ct_lstm_ctx c = {dtype, H, gates, c0, NULL, NULL, NULL, c0_rs, c0_cs, 0, 0, act, c1, tanh_c1, h1, NULL, NULL};
    ct_lstm_run(&c, B, ct_lstm_chunk_forward);
}

void ct_lstm_cell_backward_c(ct_dtype dtype, int64_t B, int64_t H, const void *dc1, int64_t g_rs, int64_t g_cs,
                             const void *act, const void *c0, int64_t c0_rs, int64_t c0_cs, void *dgates, void *dc0) {
    if (B <= 0 || H <= 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    ct_lstm_ctx c = {dtype, H, NULL, c0, dc1, act, NULL, c0_rs, c0_cs, g_rs, g_cs, NULL, NULL, NULL, NULL, dgates, dc0};
    ct_lstm_run(&c, B, ct_lstm_chunk_backward_c);
}

void ct_lstm_cell_backward_h(ct_dtype dtype, int64_t B, int64_t H, const void *dh1, int64_t g_rs, int64_t g_cs,
                             const void *act, const void *tanh_c1, void *dgates, void *dc1) {
    if (B <= 0 || H <= 0 || (dtype != CT_F32 && dtype != CT_F64)) return;
    ct_lstm_ctx c = {dtype, H, NULL, NULL, dh1, act, tanh_c1, 0, 0, g_rs, g_cs, NULL, NULL, NULL, NULL, dgates, dc1};
    ct_lstm_run(&c, B, ct_lstm_chunk_backward_h);
}
