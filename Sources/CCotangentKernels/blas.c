// Optional external CBLAS, loaded with dlopen at first use so that it is never
// needed to build or run. COTANGENT_BLAS: unset or "auto" tries the usual
// sonames, "off" disables, anything else is a path to load.
#include "internal.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CblasRowMajor = 101, CblasColMajor = 102, CblasNoTrans = 111, CblasTrans = 112 };

typedef void (*ct_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                            const float *, int, float, float *, int);
typedef void (*ct_dgemm_fn)(int, int, int, int, int, int, double, const double *, int,
                            const double *, int, double, double *, int);
typedef void (*ct_setthreads_fn)(int);

static pthread_once_t ct_blas_once = PTHREAD_ONCE_INIT;
static ct_sgemm_fn ct_sgemm;
static ct_dgemm_fn ct_dgemm;
static ct_setthreads_fn ct_blas_threads_fn;
static char ct_blas_label[256];
// Whether the library is worth using by default: a path the user named is;
// an auto-detected OpenBLAS only if its kernels use the vector width ours do
// (Debian's OpenBLAS 0.3.21 picks its SSE3 "Prescott" kernels on some
// AVX-512 virtual machines and then runs 5x slower than ours); other auto-
// detected CBLAS libraries (often the unoptimised reference BLAS) never.
static bool ct_blas_good;

// The vector level (as ct_simd_level) of an OpenBLAS core type's kernels.
static int32_t ct_blas_core_level(const char *core) {
    static const char *const avx512[] = {"skylakex", "cooperlake", "sapphirerapids", "zen4", "zen5"};
    static const char *const avx2[] = {"haswell", "zen", "skylake", "broadwell", "excavator", "zen2", "zen3"};
    char lower[64];
    size_t i = 0;
    for (; core[i] && i + 1 < sizeof lower; i++) lower[i] = (char)(core[i] | 0x20);
    lower[i] = 0;
    for (size_t j = 0; j < sizeof avx512 / sizeof *avx512; j++) if (!strcmp(lower, avx512[j])) return 2;
    for (size_t j = 0; j < sizeof avx2 / sizeof *avx2; j++) if (!strcmp(lower, avx2[j])) return 1;
    return 0;
}

static bool ct_blas_try(const char *path) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) return false;
    ct_sgemm_fn s = (ct_sgemm_fn)dlsym(h, "cblas_sgemm");
    ct_dgemm_fn d = (ct_dgemm_fn)dlsym(h, "cblas_dgemm");
    if (!s || !d) { dlclose(h); return false; }
    ct_sgemm = s;
    ct_dgemm = d;
    ct_blas_threads_fn = (ct_setthreads_fn)dlsym(h, "openblas_set_num_threads");
    typedef char *(*ct_corename_fn)(void);
    ct_corename_fn corename = (ct_corename_fn)dlsym(h, "openblas_get_corename");
    const char *core = corename ? corename() : NULL;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (core)
        snprintf(ct_blas_label, sizeof ct_blas_label, "openblas (%s, %s)", base, core);
    else
        snprintf(ct_blas_label, sizeof ct_blas_label, "%s (%s)", strstr(base, "openblas") ? "openblas" : "cblas", base);
    ct_blas_good = core && ct_blas_core_level(core) >= ct_simd_level();
    return true;
}

static void ct_blas_load(void) {
    const char *env = getenv("COTANGENT_BLAS");
    if (env && !strcmp(env, "off")) return;
    if (env && *env && strcmp(env, "auto") != 0) {
        if (ct_blas_try(env)) ct_blas_good = true;  // asked for by name
    } else {
        static const char *const names[] = {"libopenblas.so.0", "libcblas.so.3", "libblas.so.3"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (ct_blas_try(names[i])) break;
    }
    // A library we will not use by default gets one thread, so that its pool
    // does not spin on the cores our own threads need.
    if (ct_blas_threads_fn) ct_blas_threads_fn(ct_blas_good ? ct_get_num_threads() : 1);
}

int32_t ct_blas_active(void) {
    pthread_once(&ct_blas_once, ct_blas_load);
    return ct_sgemm != NULL;
}

const char *ct_blas_name(void) { return ct_blas_active() ? ct_blas_label : NULL; }

bool ct_blas_preferred(void) { return ct_blas_active() && ct_blas_good; }

void ct_blas_set_threads(int32_t n) {
    // Only if already loaded: setting the thread count must not load a library.
    if (ct_blas_threads_fn && ct_blas_good) ct_blas_threads_fn(n);
}

// Operand layout for CBLAS (row-major): unit column stride means "no
// transpose" with leading dimension = row stride; unit row stride means
// "transpose" with leading dimension = column stride.
static bool ct_cblas_operand(int64_t rs, int64_t cs, int64_t rows, int64_t cols, int *trans, int *ld) {
    if (cs == 1 && rs >= (cols > 1 ? cols : 1) && rs <= INT32_MAX) { *trans = CblasNoTrans; *ld = (int)rs; return true; }
    if (rs == 1 && cs >= (rows > 1 ? rows : 1) && cs <= INT32_MAX) { *trans = CblasTrans; *ld = (int)cs; return true; }
    return false;
}

bool ct_blas_gemm(ct_dtype dtype, int64_t M, int64_t N, int64_t K, double alpha,
                  const void *A, int64_t rsa, int64_t csa, const void *B, int64_t rsb, int64_t csb,
                  double beta, void *C, int64_t rsc, int64_t csc) {
    if (!ct_blas_active() || M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) return false;
    // A column-major C is the row-major C^T = B^T A^T: swap the operands.
    if (csc != 1 && rsc == 1) {
        const void *t = A; A = B; B = t;
        int64_t r = rsa; rsa = csb; csb = r;
        r = csa; csa = rsb; rsb = r;
        r = M; M = N; N = r;
        rsc = csc; csc = 1;
    }
    if (csc != 1 || rsc < (N > 1 ? N : 1) || rsc > INT32_MAX) return false;
    int ta, tb, lda, ldb;
    if (!ct_cblas_operand(rsa, csa, M, K, &ta, &lda) || !ct_cblas_operand(rsb, csb, K, N, &tb, &ldb)) return false;
    if (dtype == CT_F32)
        ct_sgemm(CblasRowMajor, ta, tb, (int)M, (int)N, (int)K, (float)alpha, (const float *)A, lda,
                 (const float *)B, ldb, (float)beta, (float *)C, (int)rsc);
    else if (dtype == CT_F64)
        ct_dgemm(CblasRowMajor, ta, tb, (int)M, (int)N, (int)K, alpha, (const double *)A, lda,
                 (const double *)B, ldb, beta, (double *)C, (int)rsc);
    else
        return false;
    return true;
}
