#!/usr/bin/env python3
"""PyTorch's (MKL's) single-thread GEMM GFLOP/s measured by the thread's CPU
time, to set beside Benchmarks/gemm_c.sh's "by CPU time" column: on a machine
loaded by other work, CPU time is far steadier than wall time.

    ../shared/tools/torch-ref Benchmarks/gemm_torch_cpu.py [f32|f64] [sizes...]
"""
import sys, time
import torch

torch.set_num_threads(1)  # the product runs on the calling thread, so thread_time covers it
dtype = torch.float64 if len(sys.argv) > 1 and sys.argv[1] == "f64" else torch.float32
sizes = [int(x) for x in sys.argv[2:]] or [64, 256, 512, 1024, 2048]
for n in sizes:
    a, b, out = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype), torch.empty(n, n, dtype=dtype)
    reps = max(1, int(2e8 / n ** 3))
    samples = []
    for _ in range(15):
        t = time.thread_time()
        for _ in range(reps):
            torch.mm(a, b, out=out)
        samples.append((time.thread_time() - t) / reps)
    samples.sort()
    flops = 2 * n ** 3
    print(f"torch.mm {dtype} n={n}: {flops / samples[len(samples) // 2] * 1e-9:.1f} GFLOP/s by CPU time "
          f"(best {flops / samples[0] * 1e-9:.1f})")
