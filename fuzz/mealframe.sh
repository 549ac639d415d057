#!/usr/bin/env bash
# Schema fuzzing of the MealFrame API with schemathesis.
#
#   DATABASE_URL=sqlite:///tmp/x.sqlite3|postgres://…  MEALFRAME_BIN=target/…/mealframe  fuzz/mealframe.sh
#
# Starts the server on a free loopback port (AI capture on, against `fake_ai.py`), creates a
# user with a small library and a generated week (so that ids in the document's examples and
# links exist), and runs schemathesis against /openapi.json with that user's bearer token. Checks: not_a_server_error, status_code_conformance
# and response_schema_conformance; FUZZ_CONFORMANCE=0 runs not_a_server_error alone, FUZZ_CHECKS
# any list schemathesis knows (e.g. `all`). Bounded by FUZZ_MAX_EXAMPLES per operation
# (default 25) and FUZZ_TIMEOUT seconds overall (default 240).
# Prints operations covered, requests answered and 5xx; exits non-zero on any failure.
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL (sqlite://PATH or postgres://…)}"
: "${MEALFRAME_BIN:?set MEALFRAME_BIN to a built mealframe binary}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-25}"
TIMEOUT="${FUZZ_TIMEOUT:-240}"
CHECKS="not_a_server_error,status_code_conformance,response_schema_conformance"
if [ "${FUZZ_CONFORMANCE:-1}" = 0 ]; then
    CHECKS="not_a_server_error"
fi
CHECKS="${FUZZ_CHECKS:-$CHECKS}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=fuzz/common.sh
source "$HERE/common.sh"

PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
# AI capture is on, against a fake model server, so that its routes are fuzzed past "not
# configured".
AI_PORT="$(free_port)"
python3 "$HERE/fake_ai.py" "$AI_PORT" &
PIDS+=($!)
# Rate limits are raised so that generated requests reach the handlers instead of a 429.
env MEALFRAME_ADDR="127.0.0.1:$PORT" \
    MEALFRAME_DATA_DIR="$WORK/data" \
    MEALFRAME_DATABASE_URL="$DATABASE_URL" \
    MEALFRAME_LOGIN_RATE_LIMIT=100000/minute \
    MEALFRAME_REGISTER_RATE_LIMIT=100000/minute \
    MEALFRAME_PASSWORD_RESET_RATE_LIMIT=100000/minute \
    MEALFRAME_PAGEVIEW_RATE_LIMIT=100000/minute \
    MEALFRAME_LOCKOUT_ATTEMPTS=1000000 \
    MEALFRAME_OPENAI_BASE_URL="http://127.0.0.1:$AI_PORT/v1" \
    MEALFRAME_AI_CAPTURE_RATE_LIMIT=100000/minute \
    MEALFRAME_CAPTURE_MONTHLY_LIMIT=0 \
    MEALFRAME_LOG_FORMAT=json \
    MEALFRAME_LOG_LEVEL=info \
    "$MEALFRAME_BIN" serve >"$WORK/server.log" 2>&1 &
PIDS+=($!)
wait_for "$BASE/health" 60

api() { # METHOD PATH [JSON]
    curl -fsS -X "$1" "$BASE$2" -H 'content-type: application/json' \
        ${TOKEN:+-H "Authorization: Bearer $TOKEN"} ${3:+-d "$3"}
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)[\"$1\"])"; }

EMAIL="fuzz-$RANDOM@example.org"
TOKEN=""
api POST /api/v1/auth/register "{\"email\":\"$EMAIL\",\"password\":\"fuzz password\"}" >/dev/null
TOKEN="$(api POST /api/v1/auth/login "{\"email\":\"$EMAIL\",\"password\":\"fuzz password\"}" | field access_token)"
TYPE="$(api POST /api/v1/meal-types '{"name":"Lunch"}' | field id)"
api POST /api/v1/meals "{\"name\":\"Soup\",\"portion_description\":\"1 bowl\",\"calories_kcal\":300,\"meal_type_ids\":[\"$TYPE\"]}" >/dev/null
TEMPLATE="$(api POST /api/v1/day-templates "{\"name\":\"Workday\",\"slots\":[{\"position\":1,\"meal_type_id\":\"$TYPE\"}]}" | field id)"
DAYS="$(python3 -c "import json; print(json.dumps([{'weekday': d, 'day_template_id': '$TEMPLATE'} for d in range(7)]))")"
api POST /api/v1/week-plans "{\"name\":\"Default\",\"is_default\":true,\"days\":$DAYS}" >/dev/null
api POST /api/v1/weekly-plans/generate '{}' >/dev/null
BEFORE="$(grep -c '"request complete"' "$WORK/server.log" || true)"

echo "fuzz: schemathesis against $BASE/openapi.json (checks $CHECKS, ≤$MAX_EXAMPLES examples per operation, ≤${TIMEOUT}s)"
# Account-ending operations would sign the fuzzing user out part-way; they are tested in the suite.
set +e
timeout --signal=INT "$TIMEOUT" "${ST[@]}" run "$BASE/openapi.json" \
    --url "$BASE" \
    -H "Authorization: Bearer $TOKEN" \
    --exclude-operation-id logout_all \
    --exclude-operation-id change_password \
    --exclude-operation-id delete_me \
    --checks "$CHECKS" \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" \
    --seed "${FUZZ_SEED:-20261201}" \
    --workers 1 \
    --request-timeout 30 \
    --report junit --report-junit-path "$WORK/junit.xml" \
    --warnings off \
    2>&1 | tee "$WORK/st.log"
ST_STATUS=${PIPESTATUS[0]}
set -e
report_and_exit "$ST_STATUS" "$BEFORE"
