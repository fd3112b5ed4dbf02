"""A prediction's log row is durable before its answer: a text model (answered on the server's
I/O thread, its log handed to the store's writer) is called on many connections at once, over
the plain predict route and the Open Inference Protocol, and the server is killed with SIGKILL
while the calls run. Every prediction id a caller was answered is in the log the store kept.
A text model's shadow, answered off the request's thread, is logged and never returned. The
same with a commit interval, whose commits are spaced by it."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, TINY_WORDS as WORDS, Client, ServerTestCase,  # noqa: E402
                     main, sqlite_query, train_tiny)

CALLERS = 16


class PredictionDurabilityTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.model = train_tiny(cls.server.data_dir)

    def deploy(self, name="tiny", shadow=None):
        w = self.world
        target = {"model_dir": self.model, "runtime": "text_linear"}
        body = {"name": name, "targets": [target]}
        if shadow:
            body["shadow"] = target
        r = w.admin.post(API + "/orgs/%d/endpoints" % w.org["id"], body)
        self.assertEqual(r.status, 201, r)
        key = w.admin.post(API + "/endpoints/%d/keys" % r.json()["id"],
                           {"name": "k", "rate_limit": 100000})
        self.assertEqual(key.status, 201, key)
        return r.json()["id"], key.json()["key"]

    @staticmethod
    def call(c, i):
        """One prediction, over either route: its id, or None when it was not answered."""
        text = "a %s day %d" % (WORDS["positive"][i % 5], i)
        if i % 2:
            r = c.post("/v2/models/tiny/infer",
                       {"id": "req-%d" % i, "inputs": [{"name": "input", "shape": [1],
                                                        "datatype": "BYTES", "data": [text]}]})
            return r.json()["parameters"]["prediction_id"] if r.status == 200 else None
        r = c.post(API + "/endpoints/tiny/predict", {"inputs": [{"text": text}]})
        return r.json()["predictions"][0]["id"] if r.status == 200 else None

    def caller(self, key, start, answered, lock):
        c = Client(self.server.port, token=key, timeout=10)
        i = start
        while True:
            try:
                pid = self.call(c, i)
            except (OSError, ValueError):
                return  # the server is gone
            if pid is not None:
                with lock:
                    answered.append(pid)
            i += CALLERS

    def test_a_text_models_shadow_is_logged_never_returned(self):
        endpoint_id, key = self.deploy("tiny-shadow", shadow=True)
        c = Client(self.server.port, token=key)
        r = c.post(API + "/endpoints/tiny-shadow/predict", {"inputs": [{"text": "a good day"}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json()["predictions"]), 1)
        r = c.post("/v2/models/tiny-shadow/infer",
                   {"id": "shadowed", "inputs": [{"name": "input", "shape": [1],
                                                  "datatype": "BYTES", "data": ["a sad day"]}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["id"], "shadowed")
        sql = ("SELECT shadow, request_id FROM predictions WHERE endpoint_id = %d ORDER BY id"
               % endpoint_id)
        deadline = time.time() + 30
        while len(sqlite_query(self.server.data_dir, sql)) < 4 and time.time() < deadline:
            time.sleep(0.05)
        rows = sqlite_query(self.server.data_dir, sql)
        # The plain call had no id: its two rows share one made for them.
        pair = [r for r in rows if r[1] != "shadowed"]
        self.assertEqual(len(pair), 2, rows)
        self.assertTrue(pair[0][1].startswith("pair-"), rows)
        rows = [(shadow, "pair" if rid == pair[0][1] else rid) for shadow, rid in rows]
        self.assertEqual(sorted(rows, key=repr),
                         sorted([(0, "pair"), (1, "pair"), (0, "shadowed"), (1, "shadowed")],
                                key=repr))

    def test_every_answered_prediction_survives_a_kill(self):
        endpoint_id, key = self.deploy()
        answered, lock = [], threading.Lock()
        threads = [threading.Thread(target=self.caller, args=(key, i, answered, lock))
                   for i in range(CALLERS)]
        for t in threads:
            t.start()
        deadline = time.time() + 60
        while len(answered) < 400 and time.time() < deadline:
            time.sleep(0.01)
        # Killed while calls run: some are answered, some on their way to the log.
        self.server.kill9()
        for t in threads:
            t.join(30)
        with lock:
            ids = set(answered)
        self.assertGreaterEqual(len(ids), 400)
        logged = {row[0] for row in sqlite_query(
            self.server.data_dir,
            "SELECT id FROM predictions WHERE endpoint_id = %d" % endpoint_id)}
        self.assertEqual(ids - logged, set(), "answered predictions missing from the log")
        self.server.start()


def metric(port, name):
    """One counter of /metrics."""
    for line in Client(port).get("/metrics").body.decode().splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError("no %s in /metrics" % name)


class CommitIntervalTest(PredictionDurabilityTest):
    """The same with `serve --commit-interval-us`: the store's commits are spaced by it, and
    an answered prediction is still durable when the server is killed."""
    INTERVAL_US = 20000
    server_args = ("--commit-interval-us", str(INTERVAL_US))

    def test_commits_are_spaced_by_the_interval(self):
        _, key = self.deploy("tiny-spaced")
        c = Client(self.server.port, token=key)
        before = metric(self.server.port, "crowdloop_db_commits_total")
        t0 = time.monotonic()
        for i in range(10):
            r = c.post(API + "/endpoints/tiny-spaced/predict",
                       {"inputs": [{"text": "a good day %d" % i}]})
            self.assertEqual(r.status, 200, r)
        elapsed = time.monotonic() - t0
        commits = metric(self.server.port, "crowdloop_db_commits_total") - before
        # Each prediction waits for its log row's commit; ten in turn take ten commits at
        # least an interval apart (the lease expiry's own commits, once a second, are spaced
        # the same).
        self.assertGreaterEqual(commits, 10)
        self.assertGreaterEqual(elapsed, 9 * self.INTERVAL_US / 1e6)
        self.assertLessEqual(commits, elapsed / (self.INTERVAL_US / 1e6) + 1)


if __name__ == "__main__":
    main()
