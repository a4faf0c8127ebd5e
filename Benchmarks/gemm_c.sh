#!/bin/sh
# Builds the kernels with Benchmarks/gemm_c.c (clang -O2, as SwiftPM builds them: the
# AVX-512 files use clang pragmas; no Swift) and runs it:
#   sh Benchmarks/gemm_c.sh [--threads N] [--f64] [--fresh] [--check] [--min-time S] [sizes...]
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
out=${TMPDIR:-/tmp}/gemm_c.$$
${CC:-clang} -O2 -std=gnu11 -I"$root/Sources/CCotangentKernels/include" "$root"/Sources/CCotangentKernels/*.c \
    "$root/Benchmarks/gemm_c.c" -o "$out" -lm -ldl -lpthread
"$out" "$@"
rm -f "$out"
