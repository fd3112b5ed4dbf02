"""64 workers and 4 reviewers at once on one project (overlap 2 over 1,000 items): no task is
ever held by two workers, every item ends with exactly two annotations from two different
workers, and the server never answers 5xx or leaks a "database is locked". Once with a request
per step, once chained (each submit and approval claims the next task in the same request)."""
import os
import sys
import threading
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, Client, ServerTestCase, list_all, main, signup_users,  # noqa: E402
                     sqlite_query)

WORKERS = int(os.environ.get("CROWDLOOP_E2E_WORKERS", "64"))
REVIEWERS = 4
ITEMS = int(os.environ.get("CROWDLOOP_E2E_ITEMS", "1000"))
K = 2


class Recorder:
    """Everything the clients saw, checked under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.holder = {}             # task id -> worker id holding its lease (client's view)
        self.done = {}               # task id -> worker id that submitted it
        self.items_of = defaultdict(list)   # worker id -> item ids submitted
        self.violations = []
        self.server_errors = []
        self.locked = []
        self.unexpected = []
        self.requests = 0
        self.reviewed = {}           # task id -> reviewer id

    def check(self, who, method, path, r, ok):
        with self.lock:
            self.requests += 1
            if r.status >= 500:
                self.server_errors.append((who, method, path, r.status, r.body[:200]))
            if b"locked" in r.body.lower():
                self.locked.append((who, method, path, r.status, r.body[:200]))
            if r.status not in ok:
                self.unexpected.append((who, method, path, r.status, r.body[:200]))
                return False
        return True


def took(rec, uid, t):
    """Records that worker `uid` was given task `t`."""
    tid = t["id"]
    with rec.lock:
        h = rec.holder.get(tid)
        if h is not None and h != uid:
            rec.violations.append("task %d given to %d while %d holds it" % (tid, uid, h))
        if tid in rec.done:
            rec.violations.append("task %d given to %d after %d submitted it"
                                  % (tid, uid, rec.done[tid]))
        if t.get("worker_id") != uid:
            rec.violations.append("task %d answered with worker_id %r to %d"
                                  % (tid, t.get("worker_id"), uid))
        rec.holder[tid] = uid


def took_review(rec, uid, t):
    tid = t["id"]
    with rec.lock:
        if tid in rec.reviewed:
            rec.violations.append("task %d reviewed twice (%d, %d)"
                                  % (tid, rec.reviewed[tid], uid))
        rec.reviewed[tid] = uid
        if t.get("worker_id") == uid:
            rec.violations.append("reviewer %d got own task %d" % (uid, tid))


def worker_loop(rec, c, uid, pid, stop, chained):
    path = API + "/projects/%d/tasks/next" % pid
    t = None
    while not stop.is_set():
        if t is None:
            r = c.post(path)
            if not rec.check(uid, "POST", path, r, (200, 204)):
                return "unexpected"
            if r.status == 204:
                return "drained"
            t = r.json()
            took(rec, uid, t)
        tid = t["id"]
        label = "pos" if (tid + uid) % 2 else "neg"
        sp = API + "/tasks/%d/submit" % tid
        body = {"annotation": {"labels": [label]}}
        if chained:
            body["next"] = True
        r = c.post(sp, body)
        if not rec.check(uid, "POST", sp, r, (200,)):
            return "unexpected"
        with rec.lock:
            del rec.holder[tid]
            rec.done[tid] = uid
            rec.items_of[uid].append(t["item_id"])
        t = r.json()["next"] if chained else None
        if t is not None:
            took(rec, uid, t)
    return "stopped"


def reviewer_loop(rec, c, uid, pid, workers_done, stop, chained):
    path = API + "/projects/%d/reviews/next" % pid
    idle_after_done = 0
    t = None
    while not stop.is_set():
        if t is None:
            r = c.post(path)
            if not rec.check(uid, "POST", path, r, (200, 204)):
                return "unexpected"
            if r.status == 204:
                if workers_done.is_set():
                    idle_after_done += 1
                    if idle_after_done >= 2:
                        return "drained"
                time.sleep(0.02)
                continue
            idle_after_done = 0
            t = r.json()
            took_review(rec, uid, t)
        rp = API + "/tasks/%d/review" % t["id"]
        body = {"decision": "approve"}
        if chained:
            body["next"] = True
        r = c.post(rp, body)
        if not rec.check(uid, "POST", rp, r, (200,)):
            return "unexpected"
        t = r.json()["next"] if chained else None
        if t is not None:
            idle_after_done = 0
            took_review(rec, uid, t)
    return "stopped"


class ConcurrencyTest(ServerTestCase):
    server_args = ("--allow-signup",)

    def test_many_workers_and_reviewers(self):
        self.run_loop(chained=False)

    def test_many_workers_and_reviewers_chained(self):
        self.run_loop(chained=True)

    def run_loop(self, chained):
        w = self.world
        p = w.project(overlap=K)
        pid = p["id"]
        texts = ["concurrent item %s %05d" % (chained, i) for i in range(ITEMS)]
        for i in range(0, ITEMS, 500):
            rep = w.import_texts(pid, texts[i:i + 500])
            self.assertEqual(rep["accepted"], len(texts[i:i + 500]), rep)
        t0 = time.time()
        workers = signup_users(self.server, "cw%d" % chained, WORKERS)
        reviewers = signup_users(self.server, "cr%d" % chained, REVIEWERS)
        for _, uid in workers:
            w.add_member(pid, uid, "worker")
        for _, uid in reviewers:
            w.add_member(pid, uid, "reviewer")
        setup_s = time.time() - t0

        rec = Recorder()
        stop = threading.Event()
        workers_done = threading.Event()
        results = {}

        def run(kind, fn, *args):
            try:
                results[(kind, args[2])] = fn(rec, *args)
            except Exception as e:  # a client-side failure is a test failure too
                results[(kind, args[2])] = "error: %r" % (e,)

        # each thread talks over its own keep-alive connection
        wthreads = [threading.Thread(target=run, args=("w", worker_loop,
                                                       Client(self.server.port, c.token),
                                                       uid, pid, stop, chained))
                    for c, uid in workers]
        rthreads = [threading.Thread(target=run, args=("r", reviewer_loop,
                                                       Client(self.server.port, c.token),
                                                       uid, pid, workers_done, stop,
                                                       chained))
                    for c, uid in reviewers]
        t0 = time.time()
        for t in rthreads + wthreads:
            t.start()
        deadline = t0 + 300
        for t in wthreads:
            t.join(max(1, deadline - time.time()))
        workers_done.set()
        for t in rthreads:
            t.join(max(1, deadline - time.time()))
        stop.set()
        for t in wthreads + rthreads:
            t.join(10)
        run_s = time.time() - t0
        sys.stderr.write("\n  setup %.1fs, loop %.1fs, %d requests (%.0f/s)\n"
                         % (setup_s, run_s, rec.requests, rec.requests / max(run_s, 1e-3)))

        self.assertFalse([t for t in wthreads + rthreads if t.is_alive()], "threads hung")
        self.assertEqual(rec.server_errors, [])
        self.assertEqual(rec.locked, [])
        self.assertEqual(rec.unexpected, [])
        self.assertEqual(rec.violations, [])
        bad = {k: v for k, v in results.items() if v != "drained"}
        self.assertEqual(bad, {})
        self.assertEqual(len(rec.done), ITEMS * K)
        self.assertEqual(len(rec.reviewed), ITEMS * K)
        for uid, items in rec.items_of.items():
            self.assertEqual(len(items), len(set(items)), "worker %d got an item twice" % uid)

        # what the API says
        tasks = list_all(w.manager, API + "/projects/%d/tasks" % pid)
        self.assertEqual(len(tasks), ITEMS * K)
        per_item = defaultdict(list)
        for t in tasks:
            per_item[t["item_id"]].append(t)
        self.assertEqual(len(per_item), ITEMS)
        for item_id, ts in per_item.items():
            self.assertEqual(len(ts), K, ts)
            self.assertEqual(len({t["worker_id"] for t in ts}), K, ts)
            self.assertEqual({t["state"] for t in ts}, {"approved"}, ts)
            self.assertEqual(len({t["slot"] for t in ts}), K, ts)
            for t in ts:
                self.assertEqual(rec.done[t["id"]], t["worker_id"], t)
        s = w.manager.get(API + "/projects/%d/stats" % pid).json()
        self.assertEqual({k: v for k, v in s["tasks"].items() if v}, {"approved": ITEMS * K})

        # what the store says: one annotation per task, two distinct authors per item
        d = self.server.data_dir
        rows = sqlite_query(d, """
            SELECT t.item_id, COUNT(a.id), COUNT(DISTINCT a.author_id)
            FROM tasks t JOIN annotations a ON a.task_id = t.id
            WHERE t.project_id = %d GROUP BY t.item_id""" % pid)
        self.assertEqual(len(rows), ITEMS)
        self.assertEqual([r for r in rows if r[1:] != (K, K)], [])
        rows = sqlite_query(d, """
            SELECT task_id, COUNT(*) FROM events
            WHERE project_id = %d AND type = 'claim' GROUP BY task_id HAVING COUNT(*) <> 1"""
                            % pid)
        self.assertEqual(rows, [], "tasks claimed more than once")
        rows = sqlite_query(d, """
            SELECT task_id, COUNT(*) FROM events
            WHERE project_id = %d AND type = 'submit' GROUP BY task_id HAVING COUNT(*) <> 1"""
                            % pid)
        self.assertEqual(rows, [], "tasks submitted more than once")
        for t in tasks[:50]:
            ev = w.manager.get(API + "/tasks/%d" % t["id"]).json()["events"]
            self.assertEqual([e["type"] for e in ev],
                             ["claim", "submit", "review_claim", "approve"], ev)


if __name__ == "__main__":
    main()
