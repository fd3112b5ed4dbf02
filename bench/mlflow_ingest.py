#!/usr/bin/env python3
"""Metric ingest through MLflow's log-batch: a fresh server (build/crowdloop or $CROWDLOOP_BIN),
an engineer, a project and one run per client thread; each thread posts log-batch calls of
1,000 points (bodies encoded once, up front, so the client's JSON costs nothing in the loop)
over one keep-alive connection for --seconds. Prints points/s and calls/s, and checks the
count the server stored against the count it answered.

    python3 bench/mlflow_ingest.py [--threads 2] [--seconds 10] [--points 1000] [--sync full]
"""
import argparse
import http.client
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from harness import API, Server, World, sqlite_query  # noqa: E402

ML = "/api/2.0/mlflow"


def batch_bodies(run_id, points, n_bodies=16):
    """A few bodies with distinct steps, so the series grows as a real run's does."""
    bodies = []
    for b in range(n_bodies):
        metrics = [{"key": "loss" if i % 2 else "acc", "value": 1.0 / (i + 1),
                    "timestamp": 1700000000000 + i, "step": b * points + i}
                   for i in range(points)]
        bodies.append(json.dumps({"run_id": run_id, "metrics": metrics}).encode())
    return bodies


def server_durations(log_path):
    """The server's own time (dur_ms) of each log-batch call, sorted."""
    durs = []
    with open(log_path) as f:
        for line in f:
            if "runs/log-batch" in line and "dur_ms=" in line:
                durs.append(float(line.split("dur_ms=")[1].split()[0]))
    return sorted(durs)


def client_loop(port, token, bodies, seconds, out):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.connect()
    # http.client sends the headers and the body apart: without this, Nagle's algorithm and
    # the server's delayed ACK hold each body back by tens of milliseconds.
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    calls, deadline, i = 0, time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        conn.request("POST", ML + "/runs/log-batch", body=bodies[i % len(bodies)],
                     headers=headers)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit("log-batch answered %d" % r.status)
        calls += 1
        i += 1
    conn.close()
    out.append(calls)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--sync", choices=("full", "normal"), default="full",
                    help="the server's --sync: full answers a write once its WAL is on disk")
    args = ap.parse_args()
    server = Server(extra_args=["--sync", args.sync])
    try:
        server.create_admin()
        server.start()
        w = World(server)
        eng, eng_id = w.org_user("engineer", "engineer")
        project = w.project()
        runs = []
        for _ in range(args.threads):
            r = eng.post(ML + "/runs/create", {"experiment_id": str(project["id"])})
            assert r.status == 200, r
            runs.append(r.json()["run"]["info"]["run_id"])
        bodies = [batch_bodies(run, args.points) for run in runs]
        out = []
        threads = [threading.Thread(target=client_loop,
                                    args=(server.port, eng.token, bodies[t], args.seconds, out))
                   for t in range(args.threads)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        calls = sum(out)
        points = calls * args.points
        stored = sqlite_query(server.data_dir, "SELECT count(*) FROM job_metrics")[0][0]
        print("sync=%s threads=%d points_per_call=%d calls=%d seconds=%.2f" %
              (args.sync, args.threads, args.points, calls, elapsed))
        print("points/s=%.0f calls/s=%.1f stored=%d (answered %d)" %
              (points / elapsed, calls / elapsed, stored, points))
        durs = server_durations(server.log_path)
        if durs:
            print("server time per call (dur_ms in its log): median %.2f ms, p90 %.2f ms" %
                  (durs[len(durs) // 2], durs[len(durs) * 9 // 10]))
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
