#!/usr/bin/env bash
# Schema fuzzing of the Offload API with schemathesis.
#
#   DATABASE_URL=sqlite:///tmp/x.sqlite3|postgres://…  OFFLOAD_BIN=target/…/offload-api  fuzz/offload.sh
#
# Starts a fake OpenAI-compatible provider (fuzz/fake_openai.py) and the server on free loopback
# ports, takes a session token as the app does, and runs schemathesis against /openapi.json with
# the bearer token and the consent header and the checks not_a_server_error,
# status_code_conformance and response_schema_conformance. Bounded by FUZZ_MAX_EXAMPLES per
# operation (default 40) and FUZZ_TIMEOUT seconds overall (default 240). Prints the operations
# covered, the requests the server answered and the 5xx it answered; exits non-zero on any
# schemathesis failure or any 5xx. Everything it started is stopped on exit.
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL (sqlite://PATH or postgres://…)}"
: "${OFFLOAD_BIN:?set OFFLOAD_BIN to a built offload-api binary}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-40}"
TIMEOUT="${FUZZ_TIMEOUT:-240}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# shellcheck source=fuzz/common.sh
source "$HERE/common.sh"

PROVIDER_PORT="$(free_port)"
python3 "$HERE/fake_openai.py" "$PROVIDER_PORT" &
PIDS+=($!)

PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
# Limits and quota are raised so that generated requests reach the provider instead of
# stopping at a 429; the checks themselves are those of a normal configuration.
env OFFLOAD_ADDR="127.0.0.1:$PORT" \
    OFFLOAD_DATA_DIR="$WORK/data" \
    OFFLOAD_DATABASE_URL="$DATABASE_URL" \
    OFFLOAD_OPENAI_BASE_URL="http://127.0.0.1:$PROVIDER_PORT/v1" \
    OFFLOAD_SESSION_TTL_SECONDS=3600 \
    OFFLOAD_SESSION_ISSUE_LIMIT_PER_IP=1000000 \
    OFFLOAD_SESSION_ISSUE_LIMIT_PER_INSTALL=1000000 \
    OFFLOAD_AI_INFERENCE_LIMIT_PER_IP=1000000 \
    OFFLOAD_AI_INFERENCE_LIMIT_PER_INSTALL=1000000 \
    OFFLOAD_RECONCILE_LIMIT_PER_IP=1000000 \
    OFFLOAD_RECONCILE_LIMIT_PER_INSTALL=1000000 \
    OFFLOAD_DEFAULT_FEATURE_QUOTA=1000000 \
    OFFLOAD_LOG_FORMAT=json \
    OFFLOAD_LOG_LEVEL=info \
    "$OFFLOAD_BIN" >"$WORK/server.log" 2>&1 &
PIDS+=($!)
wait_for "$BASE/v1/health" 60

INSTALL="6F9619FF-8B86-D011-B42D-00C04FC964FF"
TOKEN="$(curl -fsS "$BASE/v1/sessions/anonymous" -H 'content-type: application/json' \
    -d "{\"install_id\":\"$INSTALL\",\"app_version\":\"1.0\",\"platform\":\"ios\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["session_token"])')"
BEFORE="$(grep -c '"request complete"' "$WORK/server.log" || true)"

echo "fuzz: schemathesis against $BASE/openapi.json (≤$MAX_EXAMPLES examples per operation, ≤${TIMEOUT}s)"
set +e
timeout --signal=INT "$TIMEOUT" "${ST[@]}" run "$BASE/openapi.json" \
    --url "$BASE" \
    -H "Authorization: Bearer $TOKEN" \
    -H "X-Offload-Cloud-Opt-In: true" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --max-examples "$MAX_EXAMPLES" \
    --seed "${FUZZ_SEED:-20260216}" \
    --workers 1 \
    --request-timeout 30 \
    --report junit --report-junit-path "$WORK/junit.xml" \
    --warnings off \
    2>&1 | tee "$WORK/st.log"
ST_STATUS=${PIPESTATUS[0]}
set -e

report_and_exit "$ST_STATUS" "$BEFORE"
