#!/bin/sh
# Builds and runs the memory-bandwidth microbenchmark (Benchmarks/bandwidth.c);
# the package build does not need it. Usage: Benchmarks/bandwidth.sh [MiB per buffer]
set -e
out=${TMPDIR:-/tmp}/cotangent-bandwidth-$$
cc -O2 -march=native -pthread "$(dirname "$0")/bandwidth.c" -o "$out"
uptime
"$out" "$@"
rm -f "$out"
