// Thread-count setting shared by all kernels.
#include "CotangentKernels.h"

static int32_t ct_num_threads = 1;

void ct_set_num_threads(int32_t n) { ct_num_threads = n < 1 ? 1 : n; }
int32_t ct_get_num_threads(void) { return ct_num_threads; }
