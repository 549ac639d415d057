#!/usr/bin/env bash
# MealFrame load benchmark: release build, loopback only, bounded in time (16 phases × SECONDS
# plus seeding and a 2 s warm-up), stops by itself. Figures go to stdout and
# bench/results/mealframe-<engine>-<date>.md.
#
#   bench/mealframe/run.sh [seconds-per-phase=10] [concurrency=32]
#
# PostgreSQL: set MEALFRAME_BENCH_PG=postgres://user:pass@host:port/postgres; the script creates
# (and afterwards drops) an empty database `mealframe_bench` on that server.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}; conc=${2:-32}
cargo build --release -q -p mealframe-server --bin mealframe --example mealframe_bench
mkdir -p bench/results
engine=sqlite
if [ -n "${MEALFRAME_BENCH_PG:-}" ]; then
  engine=postgres
  psql -q "$MEALFRAME_BENCH_PG" -c 'DROP DATABASE IF EXISTS mealframe_bench' -c 'CREATE DATABASE mealframe_bench'
  export MEALFRAME_BENCH_DATABASE_URL="${MEALFRAME_BENCH_PG%/*}/mealframe_bench"
fi
out="bench/results/mealframe-$engine-$(date -u +%Y%m%dT%H%M%SZ).md"
export MEALFRAME_BENCH_SERVER_LOG="bench/results/mealframe-server.log"
timeout $(( secs * 20 + 300 )) target/release/examples/mealframe_bench \
  target/release/mealframe "$secs" "$conc" | tee "$out"
if [ "$engine" = postgres ]; then
  psql -q "$MEALFRAME_BENCH_PG" -c 'DROP DATABASE IF EXISTS mealframe_bench'
fi
echo "saved to $out"
