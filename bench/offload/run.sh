#!/usr/bin/env bash
# Offload API load benchmark: release build, loopback only, bounded in time (≈ 5 phases × SECONDS
# plus a 2 s warm-up), stops by itself. Figures go to stdout and bench/results/offload-<date>.md.
#
#   bench/offload/run.sh [seconds-per-phase=10] [concurrency=50] [provider-delay-ms=50]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}; conc=${2:-50}; delay=${3:-50}
cargo build --release -q -p offload-api --bin offload-api --example offload_bench
mkdir -p bench/results
out="bench/results/offload-$(date -u +%Y%m%dT%H%M%SZ).md"
export OFFLOAD_BENCH_SERVER_LOG="bench/results/offload-server.log"
timeout $(( secs * 5 + 120 )) target/release/examples/offload_bench \
  target/release/offload-api "$secs" "$conc" "$delay" | tee "$out"
echo "saved to $out"
