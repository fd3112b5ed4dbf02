"""The soak run's load and its figures (bench/soak.sh starts this; read that file first).

Starts a real `crowdloop serve` on a fresh data directory (tests/e2e/harness.py), seeds an org, a
text_class project with gold items and a gold rate, workers and reviewers, then runs mixed load
at a fixed rate for a set time: workers claim and submit, reviewers claim and approve or reject,
a manager exports the project and reads its statistics and tasks, and an API key calls the
built-in OCR endpoint. Items are imported as the load needs them, so imports run all along.
Every interval it prints one line: the server's resident memory, open descriptors and threads
(from /proc), the store's size on disk, requests and errors of the interval, and p50/p99
latency of the interval's requests per group. At the end, the first and last figures side by side."""
import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from harness import API, BIN, Client, Server, World, make_users  # noqa: E402

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


class Stats:
    """Latencies and errors per group, taken and reset once an interval."""

    def __init__(self):
        self.lock = threading.Lock()
        self.lat = {}
        self.errors = {}

    def add(self, group, seconds, ok):
        with self.lock:
            self.lat.setdefault(group, []).append(seconds)
            if not ok:
                self.errors[group] = self.errors.get(group, 0) + 1

    def take(self):
        with self.lock:
            lat, err = self.lat, self.errors
            self.lat, self.errors = {}, {}
        return lat, err


class Pacer:
    """Hands out permits at `rate` per second to any number of threads."""

    def __init__(self, rate):
        self.gap = 1.0 / rate
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self, stop):
        with self.lock:
            at = max(self.next, time.monotonic())
            self.next = at + self.gap
        delay = at - time.monotonic()
        if delay > 0:
            stop.wait(delay)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] if values else 0.0


def proc_figures(pid):
    figures = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                figures[key] = int(value.split()[0]) // 1024
            elif key == "Threads":
                figures[key] = int(value)
    figures["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return figures


class Soak:
    def __init__(self, args):
        self.args = args
        self.stats = Stats()
        self.stop = threading.Event()
        self.pacer = Pacer(args.rate)
        self.items_lock = threading.Lock()
        self.imported = 0

    def call(self, client, group, method, path, body=None, ok=(200, 201, 204), **kw):
        t0 = time.monotonic()
        try:
            r = client.request(method, path, body, **kw)
        except OSError:
            self.stats.add(group, time.monotonic() - t0, False)
            return None
        self.stats.add(group, time.monotonic() - t0, r.status in ok)
        return r

    # -- seeding -----------------------------------------------------------------------------

    def seed(self):
        self.server = Server(extra_args=self.args.serve_args)
        self.server.create_admin()
        self.server.start()
        w = self.world = World(self.server)
        self.project = w.project()
        pid = self.project["id"]
        r = w.manager.patch(API + "/projects/%d/quality-settings" % pid, {"gold_rate": 0.1})
        assert r.status == 200, r
        r = w.manager.post(API + "/projects/%d/gold" % pid, {"items": [
            {"text": "soak gold sentence %d" % i, "answer": {"labels": ["pos"]}}
            for i in range(40)]})
        assert r.status in (200, 201), r
        users = make_users(w, "soak", self.args.workers + self.args.reviewers)
        self.workers = users[:self.args.workers]
        self.reviewers = users[self.args.workers:]
        for _, uid in self.workers:
            w.add_member(pid, uid, "worker")
        for _, uid in self.reviewers:
            w.add_member(pid, uid, "reviewer")
        self.import_more(self.args.rate * 120)
        self.key = self.ocr_key()

    def import_more(self, n):
        with self.items_lock:
            base = self.imported
            self.imported += n
        body = "".join(json.dumps({"text": "soak item %d %s" % (base + i, secrets.token_hex(4))})
                       + "\n" for i in range(n))
        c = Client(self.server.port, self.world.manager.token)
        self.call(c, "import", "POST", API + "/projects/%d/items" % self.project["id"], body,
                  headers={"Content-Type": "application/x-ndjson"})
        c.close()

    def ocr_key(self):
        """An engineer's OCR endpoint and a key, or None where the image cannot be drawn."""
        render = os.path.join(os.path.dirname(BIN), "crowdloop-render-text")
        if not (os.path.exists(render) and os.path.exists(DEJAVU)):
            print("soak: no crowdloop-render-text or DejaVu font: predictions left out")
            return None
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "page.png")
            subprocess.run([render, DEJAVU, "40", out, "soak"], check=True)
            with open(out, "rb") as f:
                import base64
                self.png = base64.b64encode(f.read()).decode()
        w = self.world
        engineer, eid = w.user("engineer")
        w.admin.post(API + "/orgs/%d/members" % w.org["id"], {"user_id": eid, "role": "engineer"})
        r = engineer.post(API + "/orgs/%d/endpoints" % w.org["id"],
                          {"name": "soak-ocr", "targets": [{"service": "ocr"}]})
        if r.status != 201:
            print("soak: the OCR endpoint could not be deployed (%r): predictions left out" % r)
            return None
        r = engineer.post(API + "/endpoints/%d/keys" % r.json()["id"],
                          {"name": "soak", "rate_limit": 100000})
        assert r.status == 201, r
        return r.json()["key"]

    # -- load --------------------------------------------------------------------------------

    def worker(self, token):
        c = Client(self.server.port, token)
        pid = self.project["id"]
        while not self.stop.is_set():
            self.pacer.wait(self.stop)
            r = self.call(c, "claim", "POST", API + "/projects/%d/tasks/next" % pid)
            if r is None or r.status != 200:
                if r is not None and r.status == 204:
                    self.import_more(self.args.rate * 60)
                continue
            label = "pos" if secrets.randbelow(4) else "neg"
            self.call(c, "submit", "POST", API + "/tasks/%d/submit" % r.json()["id"],
                      {"annotation": {"labels": [label]}})
        c.close()

    def reviewer(self, token):
        c = Client(self.server.port, token)
        pid = self.project["id"]
        while not self.stop.is_set():
            r = self.call(c, "review_claim", "POST", API + "/projects/%d/reviews/next" % pid)
            if r is None or r.status != 200:
                self.stop.wait(0.2)
                continue
            body = {"decision": "approve"}
            if not secrets.randbelow(10):
                body = {"decision": "reject", "reason": "soak: try again"}
            self.call(c, "review", "POST", API + "/tasks/%d/review" % r.json()["id"], body)
        c.close()

    def manager(self):
        c = Client(self.server.port, self.world.manager.token)
        pid = self.project["id"]
        reads = ["/projects/%d/stats" % pid, "/projects/%d/tasks?limit=50" % pid,
                 "/projects/%d/quality" % pid]
        n = 0
        while not self.stop.wait(self.args.export_every):
            # What the workers took since the last round, imported again: imports run all along.
            self.import_more(int(self.args.rate * self.args.export_every))
            self.call(c, "export", "GET", API + "/projects/%d/export?format=%s"
                      % (pid, ("jsonl", "csv")[n % 2]))
            self.call(c, "read", "GET", API + reads[n % len(reads)])
            n += 1
        c.close()

    def predictor(self):
        c = Client(self.server.port, self.key)
        while not self.stop.wait(self.args.predict_every):
            self.call(c, "predict", "POST", API + "/endpoints/soak-ocr/predict",
                      {"inputs": [{"image_bytes_b64": self.png}]})
        c.close()

    # -- figures -----------------------------------------------------------------------------

    def store_mb(self):
        """The store's size (database and WAL): what SQLite's page caches can fill up to."""
        d = self.server.data_dir
        return sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d)
                   if n.startswith("crowdloop.db")) // (1024 * 1024)

    def line(self, minute):
        lat, err = self.stats.take()
        f = proc_figures(self.server.proc.pid)
        parts = ["%5.1f min" % minute, "rss %d MB" % f["VmRSS"], "fds %d" % f["fds"],
                 "threads %d" % f["Threads"], "store %d MB" % self.store_mb()]
        for group in ("claim", "submit", "review_claim", "review", "export", "read", "predict",
                      "import"):
            v = lat.get(group, [])
            if v:
                parts.append("%s n=%d err=%d p50 %.1f p99 %.1f ms" % (
                    group, len(v), err.get(group, 0), 1000 * percentile(v, 0.5),
                    1000 * percentile(v, 0.99)))
        print(" | ".join(parts), flush=True)
        return f

    def run(self):
        self.seed()
        threads = [threading.Thread(target=self.worker, args=(c.token,), daemon=True)
                   for c, _ in self.workers]
        threads += [threading.Thread(target=self.reviewer, args=(c.token,), daemon=True)
                    for c, _ in self.reviewers]
        threads.append(threading.Thread(target=self.manager, daemon=True))
        if self.key:
            threads.append(threading.Thread(target=self.predictor, daemon=True))
        start = time.monotonic()
        for t in threads:
            t.start()
        first = last = None
        end = start + self.args.minutes * 60
        tick = start
        while time.monotonic() < end:
            tick += self.args.interval
            time.sleep(max(0, min(tick, end) - time.monotonic()))
            last = self.line((time.monotonic() - start) / 60)
            first = first or last
        self.stop.set()
        for t in threads:
            t.join(timeout=30)
        self.summary(first, last)
        self.server.check_counts()
        print("soak: the store's counts agree with its rows", flush=True)

    def summary(self, first, last):
        print("first interval: rss %d MB, fds %d, threads %d; last: rss %d MB, fds %d,"
              " threads %d; peak rss %d MB; items imported %d" % (
                  first["VmRSS"], first["fds"], first["Threads"], last["VmRSS"], last["fds"],
                  last["Threads"], last["VmHWM"], self.imported), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--interval", type=float, default=60, help="seconds between figure lines")
    ap.add_argument("--rate", type=int, default=20, help="claims per second, all workers")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--reviewers", type=int, default=4)
    ap.add_argument("--export-every", type=float, default=10.0)
    ap.add_argument("--predict-every", type=float, default=2.0)
    ap.add_argument("--serve-arg", dest="serve_args", action="append", default=[])
    soak = Soak(ap.parse_args())
    try:
        soak.run()
    finally:
        soak.stop.set()
        if getattr(soak, "server", None):
            soak.server.stop()
            soak.server.cleanup()


if __name__ == "__main__":
    main()
