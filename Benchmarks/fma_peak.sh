#!/bin/sh
# Builds and runs the FMA-peak microbenchmark: sh Benchmarks/fma_peak.sh [threads...]
set -e
dir=$(dirname "$0")
out=${TMPDIR:-/tmp}/fma_peak.$$
cc -O2 -pthread "$dir/fma_peak.c" -o "$out"
"$out" "$@"
rm -f "$out"
