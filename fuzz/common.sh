# Shared by the fuzz scripts: schemathesis install, a scratch directory, processes stopped on
# exit, free loopback ports, waiting for a server, and the closing report read off the server's
# JSON access log.

# Run through the module, not the `st` script: a fresh pyenv has no shim for a script that pip
# has just installed.
if ! python3 -c 'import schemathesis' >/dev/null 2>&1; then
    python3 -m pip install --quiet 'schemathesis==4.32.5'
fi
ST=(python3 -m schemathesis.cli)
# One worker: on CPython 3.11.7, Hypothesis describing a strategy in two threads at once can
# trip "AST constructor recursion depth mismatch" (CPython issue 106905), a runtime error of the
# fuzzer that fails the run with no finding.

WORK="$(mktemp -d)"
mkdir -p "$WORK/data"
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
    tail -20 "$WORK/server.log" >&2 || true
    return 1
}

# Print operations covered (from schemathesis' JUnit report), requests answered since BEFORE
# access lines and the 5xx among them; exit non-zero on a schemathesis failure or any 5xx.
report_and_exit() { # ST_STATUS BEFORE
    local operations requests server_errors
    operations="$(python3 - "$WORK/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
    print(len({c.get("name") for c in cases}))
except Exception:
    print("?")
PY
)"
    requests=$(($(grep -c '"request complete"' "$WORK/server.log" || true) - $2))
    server_errors="$(python3 - "$WORK/server.log" <<'PY'
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
    echo "fuzz: operations covered: $operations"
    echo "fuzz: requests sent: $requests"
    echo "fuzz: 5xx found: $server_errors"
    if [ "$1" -ne 0 ] || [ "$server_errors" -ne 0 ]; then
        echo "fuzz: FAILED (schemathesis exit $1, $server_errors server errors)" >&2
        grep -E '"level":"(ERROR|WARN)"' "$WORK/server.log" | tail -20 >&2 || true
        exit 1
    fi
    echo "fuzz: ok"
}
