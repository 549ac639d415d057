#!/usr/bin/env python3
"""Does forgot-password's answer time tell a known address from an unknown one? (issue 10 row 6)

    bench/mealframe/mail_timing.py [path/to/mealframe] [rounds=300]

Starts the given `mealframe` binary on loopback (SQLite in a temporary directory) with its SMTP
relay pointed at a listener that accepts connections and never answers — the slowest relay there
is. Registers one account, then alternates POST /api/v1/auth/forgot-password for that address and
for an unknown one, one request at a time, and prints the median and p90 of each with their ratio.
Before the outbox, the known address waited on the relay (up to the 15 s SMTP timeout); now both
answer without touching it. Stops the server when done; bounded by the rounds asked for.
"""
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/mealframe"
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 300


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def black_hole():
    """A relay that accepts every connection and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held = []

    def accept():
        while True:
            conn, _ = listener.accept()
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


def post(conn, path, body):
    started = time.perf_counter()
    conn.request("POST", path, json.dumps(body), {"content-type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    return resp.status, time.perf_counter() - started


def main():
    relay = black_hole()
    port = free_port()
    work = tempfile.mkdtemp(prefix="mail-timing-")
    env = dict(
        os.environ,
        MEALFRAME_ADDR=f"127.0.0.1:{port}",
        MEALFRAME_DATA_DIR=work,
        MEALFRAME_SMTP_URL=f"smtp://127.0.0.1:{relay}",
        MEALFRAME_PASSWORD_RESET_RATE_LIMIT="1000000/minute",
        MEALFRAME_REGISTER_RATE_LIMIT="1000000/minute",
        MEALFRAME_LOG_LEVEL="error",
    )
    server = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        status, _ = post(conn, "/api/v1/auth/register",
                         {"email": "known@example.org", "password": "timing password"})
        assert status == 201, status
        known, unknown = [], []
        for i in range(ROUNDS + 20):
            for address, sink in (("known@example.org", known), ("nobody@example.org", unknown)):
                status, took = post(conn, "/api/v1/auth/forgot-password", {"email": address})
                assert status == 200, status
                if i >= 20:  # warm-up
                    sink.append(took * 1000)
        for name, xs in (("known", known), ("unknown", unknown)):
            xs.sort()
            print(f"{name:8} n={len(xs)} median={statistics.median(xs):.2f} ms "
                  f"p90={xs[int(len(xs) * 0.9)]:.2f} ms")
        print(f"known/unknown median ratio {statistics.median(known) / statistics.median(unknown):.2f}")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
