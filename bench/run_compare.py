#!/usr/bin/env python3
"""The comparison of many runs' final metrics (figures in docs/BENCHMARKS.md, "Run comparison"):
a fresh server (build/crowdloop or $CROWDLOOP_BIN), an engineer and a project; --runs runs (1,000,
the most one comparison takes) made through MLflow's runs/create, each given --keys metric
series of --steps points through one log-batch call (and a param); then GET
/api/v1/orgs/{id}/runs?compare=<every id> --calls times over one keep-alive connection. Prints
the time per comparison (median, p90, max, as the client sees it, and the server's own dur_ms
from its log) and checks that every run came back with each series' last point.

    python3 bench/run_compare.py [--runs 1000] [--keys 5] [--steps 20] [--calls 20]
"""
import argparse
import http.client
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from harness import API, Server, World  # noqa: E402

ML = "/api/2.0/mlflow"


def make_runs(eng, project_id, runs, keys, steps):
    """Creates the runs with their metrics; returns their ids."""
    ids = []
    for r in range(runs):
        res = eng.post(ML + "/runs/create", {"experiment_id": str(project_id)})
        assert res.status == 200, res
        run_id = res.json()["run"]["info"]["run_id"]
        metrics = [{"key": "metric_%d" % k, "value": (r + 1) * (k + 1) / (s + 1),
                    "timestamp": 1700000000000 + s, "step": s}
                   for k in range(keys) for s in range(steps)]
        res = eng.post(ML + "/runs/log-batch", {"run_id": run_id, "metrics": metrics,
                                                "params": [{"key": "lr", "value": str(r)}]})
        assert res.status == 200, res
        ids.append(int(run_id))
    return ids


def compare_durations(log_path):
    """The server's own time (dur_ms) of each comparison call, sorted."""
    durs = []
    with open(log_path) as f:
        for line in f:
            if re.search(r'method=GET path="/api/v1/orgs/\d+/runs" ', line):
                durs.append(float(line.split("dur_ms=")[1].split()[0]))
    return sorted(durs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--keys", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--calls", type=int, default=20)
    args = ap.parse_args()
    server = Server()
    try:
        server.create_admin()
        server.start()
        w = World(server)
        eng, eng_id = w.org_user("engineer", "engineer")
        project = w.project()
        t0 = time.monotonic()
        ids = make_runs(eng, project["id"], args.runs, args.keys, args.steps)
        print("made %d runs of %d series x %d points in %.1f s" %
              (len(ids), args.keys, args.steps, time.monotonic() - t0))
        path = API + "/orgs/%d/runs?compare=%s" % (w.org["id"], ",".join(map(str, ids)))
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        headers = {"Authorization": "Bearer " + eng.token}
        times, size = [], 0
        print("load average before the calls: %.2f %.2f %.2f" % os.getloadavg())
        for _ in range(args.calls):
            start = time.monotonic()
            conn.request("GET", path, headers=headers)
            res = conn.getresponse()
            body = res.read()
            times.append(time.monotonic() - start)
            if res.status != 200:
                raise SystemExit("compare answered %d: %s" % (res.status, body[:200]))
            size = len(body)
        conn.close()
        got = json.loads(body)["runs"]
        last = args.steps - 1
        # Run r's last point of metric_0 is (r + 1) / steps.
        index = {run_id: r for r, run_id in enumerate(ids)}
        bad = [x["id"] for x in got if len(x["final_metrics"]) != args.keys or
               abs(x["final_metrics"]["metric_0"] - (index[x["id"]] + 1) / (last + 1)) > 1e-9]
        if len(got) != len(ids) or bad:
            raise SystemExit("compare answered %d runs of %d; wrong final metrics: %s" %
                             (len(got), len(ids), bad[:10]))
        times.sort()
        ms = [t * 1000 for t in times]
        print("GET /orgs/{id}/runs?compare=<%d ids>: %d calls, %d bytes each; "
              "median %.1f ms, p90 %.1f ms, max %.1f ms (client)" %
              (len(ids), len(ms), size, ms[len(ms) // 2], ms[len(ms) * 9 // 10], ms[-1]))
        durs = compare_durations(server.log_path)
        if durs:
            print("server time per call (dur_ms in its log): median %.2f ms, max %.2f ms" %
                  (durs[len(durs) // 2], durs[-1]))
        print("target < 100 ms (issue 22): %s" % ("met" if ms[len(ms) // 2] < 100 else "NOT met"))
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
