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

if ! command -v st >/dev/null 2>&1; then
    python3 -m pip install --quiet 'schemathesis==4.32.5'
fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # URL SECONDS
    for _ in $(seq 1 $(($2 * 10))); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "fuzz: $1 did not come up" >&2
    return 1
}

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
mkdir -p "$WORK/data"
wait_for "$BASE/v1/health" 60

INSTALL="6F9619FF-8B86-D011-B42D-00C04FC964FF"
TOKEN="$(curl -fsS "$BASE/v1/sessions/anonymous" -H 'content-type: application/json' \
    -d "{\"install_id\":\"$INSTALL\",\"app_version\":\"1.0\",\"platform\":\"ios\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["session_token"])')"
BEFORE="$(grep -c '"request complete"' "$WORK/server.log" || true)"

echo "fuzz: schemathesis against $BASE/openapi.json (≤$MAX_EXAMPLES examples per operation, ≤${TIMEOUT}s)"
set +e
timeout --signal=INT "$TIMEOUT" st run "$BASE/openapi.json" \
    --url "$BASE" \
    -H "Authorization: Bearer $TOKEN" \
    -H "X-Offload-Cloud-Opt-In: true" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --max-examples "$MAX_EXAMPLES" \
    --seed "${FUZZ_SEED:-20260216}" \
    --workers 2 \
    --request-timeout 30 \
    --report junit --report-junit-path "$WORK/junit.xml" \
    --warnings off \
    2>&1 | tee "$WORK/st.log"
ST_STATUS=${PIPESTATUS[0]}
set -e

OPERATIONS="$(python3 - "$WORK/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
    print(len({c.get("name") for c in cases}))
except Exception:
    print("?")
PY
)"
REQUESTS=$(($(grep -c '"request complete"' "$WORK/server.log" || true) - BEFORE))
SERVER_ERRORS="$(python3 - "$WORK/server.log" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1], errors="replace"):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    fields = rec.get("fields", rec)
    if fields.get("message") == "request complete" and int(fields.get("status", 0)) >= 500:
        n += 1
print(n)
PY
)"
echo "fuzz: operations covered: $OPERATIONS"
echo "fuzz: requests sent: $REQUESTS"
echo "fuzz: 5xx found: $SERVER_ERRORS"
if [ "$ST_STATUS" -ne 0 ] || [ "$SERVER_ERRORS" -ne 0 ]; then
    echo "fuzz: FAILED (schemathesis exit $ST_STATUS, $SERVER_ERRORS server errors)" >&2
    grep -E '"level":"(ERROR|WARN)"' "$WORK/server.log" | tail -20 >&2 || true
    exit 1
fi
echo "fuzz: ok"
