#!/usr/bin/env bash
# Builds this standalone benchmark (plain release profile, its own target/ dir, not the
# workspace's) and runs it once; ~2.5 minutes per round with the default settings. The output
# is also kept in bench/results/ (git-ignored). Settings pass through the environment, e.g.
#   BENCH_DIR=/dev/shm BENCH_ROUNDS=2 bench/sqlite_driver/run.sh
# (see src/main.rs for all of them).
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet
mkdir -p ../results
out="../results/sqlite_driver-$(date -u +%Y%m%dT%H%M%SZ).md"
{
    echo "# $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -srm), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
    ./target/release/sqlite-driver-bench
} 2>&1 | tee "$out"
echo "(saved to bench/results/$(basename "$out"))"
