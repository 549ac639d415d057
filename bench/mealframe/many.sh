#!/usr/bin/env bash
# MealFrame many-user benchmark (issue 16): seeds USERS accounts with a year of history straight
# through the store, then runs phone-like sessions over them (Zipf activity) against one
# `mealframe`, and on PostgreSQL also against two instances behind a round-robin proxy. Release
# build, loopback only, bounded by `timeout`, stops by itself. Figures go to stdout and
# bench/results/mealframe-many-<engine>-<date>.md.
#
#   bench/mealframe/many.sh [seconds-per-phase=10] [users=2000]
#
# MEALFRAME_BENCH_COMPARE=/path/to/other/mealframe runs the one-instance scenario with that binary
# and this build in turn, twice each (other, this, other, this), on the same seeded data.
#
# MEALFRAME_BENCH_KEEP_DATA=1 keeps the SQLite data and the seeded users (users.json);
# MEALFRAME_BENCH_REUSE=<that directory> runs on it again without seeding (profiling, not figures).
#
# PostgreSQL: set MEALFRAME_BENCH_PG=postgres://user:pass@host:port/postgres; the script creates
# (and afterwards drops) an empty database `mealframe_many` on that server.
# MEALFRAME_BENCH_PROFILE=debug uses a debug build instead (for smoke tests, not for figures).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}; users=${2:-2000}
profile=${MEALFRAME_BENCH_PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release -q -p mealframe-server --bin mealframe --example mealframe_many
else
  cargo build -q -p mealframe-server --bin mealframe --example mealframe_many
fi
target=${CARGO_TARGET_DIR:-target}/$profile
mkdir -p bench/results
engine=sqlite
if [ -n "${MEALFRAME_BENCH_PG:-}" ]; then
  engine=postgres
  psql -q "$MEALFRAME_BENCH_PG" -c 'DROP DATABASE IF EXISTS mealframe_many' -c 'CREATE DATABASE mealframe_many'
  trap 'psql -q "$MEALFRAME_BENCH_PG" -c "DROP DATABASE IF EXISTS mealframe_many (FORCE)" || true' EXIT
  export MEALFRAME_BENCH_DATABASE_URL="${MEALFRAME_BENCH_PG%/*}/mealframe_many"
fi
out="bench/results/mealframe-many-$engine-$(date -u +%Y%m%dT%H%M%SZ).md"
export MEALFRAME_BENCH_SERVER_LOG="bench/results/mealframe-many-server.log"
# Bound: seeding (generous: 1 s per user), then per scenario a 2 s warm-up and three phases,
# one scenario on SQLite and two on PostgreSQL. `timeout` signals the bench's whole process
# group, the servers it started included.
bins="$target/mealframe"
if [ -n "${MEALFRAME_BENCH_COMPARE:-}" ]; then
  bins="$MEALFRAME_BENCH_COMPARE,$target/mealframe,$MEALFRAME_BENCH_COMPARE,$target/mealframe"
fi
timeout $(( users + secs * 20 + 300 )) "$target/examples/mealframe_many" \
  "$bins" "$secs" "$users" | tee "$out"
echo "saved to $out"
