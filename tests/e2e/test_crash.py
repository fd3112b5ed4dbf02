"""kill -9 in the middle of many submits: every acknowledged submit survives exactly once, the
server comes back on the same data directory, and the store passes an integrity check. Once with
plain submits, once chained, where an acknowledged submit's next claim must survive too."""
import http.client
import os
import sqlite3
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, Client, Server, World, list_all, main, signup_users,  # noqa: E402
                     sqlite_query)

THREADS = 32
ITEMS = 3000


class CrashTest(unittest.TestCase):

    def setUp(self):
        self.server = Server(extra_args=["--allow-signup"])
        self.server.create_admin()
        self.server.start()

    def tearDown(self):
        self.server.cleanup()

    def test_kill9_mid_submits(self):
        self.crash(chained=False)

    def test_kill9_mid_chained_submits(self):
        self.crash(chained=True)

    def crash(self, chained):
        s = self.server
        w = World(s)
        p = w.project()
        pid = p["id"]
        texts = ["crash item %05d" % i for i in range(ITEMS)]
        for i in range(0, ITEMS, 1000):
            w.import_texts(pid, texts[i:i + 1000])
        users = signup_users(s, "kw", THREADS)
        for _, uid in users:
            w.add_member(pid, uid, "worker")

        lock = threading.Lock()
        acked = {}          # task id -> (worker id, round, annotation)
        claimed = {}        # task id -> worker id, claimed by an acknowledged chained submit
        other = []          # statuses that are neither 2xx nor 204 before the kill
        stop = threading.Event()

        def loop(token, uid):
            c = Client(s.port, token, timeout=30)
            t = None
            while not stop.is_set():
                try:
                    if t is None:
                        r = c.post(API + "/projects/%d/tasks/next" % pid)
                        if r.status == 204:
                            return
                        if r.status != 200:
                            with lock:
                                other.append(("next", r.status, r.body[:200]))
                            return
                        t = r.json()
                    ann = {"labels": ["pos" if (t["id"] * 7 + uid) % 3 else "neg"]}
                    body = {"annotation": ann}
                    if chained:
                        body["next"] = True
                    r = c.post(API + "/tasks/%d/submit" % t["id"], body)
                except (OSError, ValueError, http.client.HTTPException):
                    return  # the server is gone
                if 200 <= r.status < 300:
                    body = r.json()
                    nxt = body.get("next") if chained else None
                    with lock:
                        acked[t["id"]] = (uid, body["round"], ann)
                        if nxt:
                            claimed[nxt["id"]] = uid
                    t = nxt
                else:
                    with lock:
                        other.append(("submit", r.status, r.body[:200]))
                    return

        threads = [threading.Thread(target=loop, args=(c.token, uid)) for c, uid in users]
        for t in threads:
            t.start()
        # let a good number of submits land, then pull the plug mid-flight
        deadline = time.time() + 60
        while time.time() < deadline:
            with lock:
                if len(acked) >= 400:
                    break
            time.sleep(0.01)
        s.kill9()
        stop.set()
        for t in threads:
            t.join(60)
        self.assertFalse([t for t in threads if t.is_alive()], "client threads hung")
        sys.stderr.write("\n  %d submits acknowledged before kill -9\n" % len(acked))
        self.assertEqual(other, [])
        self.assertGreater(len(acked), 50, "too few submits before the kill to mean much")
        self.assertLess(len(acked), ITEMS, "the kill came after all the work was done")

        # restart on the same data directory
        s2 = Server(data_dir=s.data_dir, admin_password=s.admin_password,
                    extra_args=["--allow-signup"])
        s2.start()
        try:
            m = s2.admin()
            for tid, (uid, rnd, ann) in acked.items():
                r = m.get(API + "/tasks/%d" % tid)
                self.assertEqual(r.status, 200, r)
                t = r.json()
                self.assertIn(t["state"], ("submitted", "in_review", "approved"), t)
                self.assertEqual(t["worker_id"], uid, t)
                self.assertEqual(t["round"], rnd, t)
                self.assertEqual(t["annotation"], ann, t)
                subs = [e for e in t["events"] if e["type"] == "submit"]
                self.assertEqual(len(subs), 1, t["events"])
            # a claim acknowledged with its submit is there too: still its worker's, leased
            # (or submitted, when that submit reached the store but its answer not the client)
            if chained:
                self.assertGreater(len(claimed), 50)
            for tid, uid in claimed.items():
                if tid in acked:
                    continue
                t = m.get(API + "/tasks/%d" % tid).json()
                self.assertIn(t["state"], ("assigned", "submitted"), t)
                self.assertEqual(t["worker_id"], uid, t)
                types = [e["type"] for e in t["events"]]
                self.assertEqual(types, ["claim"] if t["state"] == "assigned"
                                 else ["claim", "submit"], t["events"])
            # every task (acknowledged or not) has at most one submit a round
            tasks = list_all(m, API + "/projects/%d/tasks" % pid)
            self.assertEqual(len(tasks), ITEMS)
            submitted = {t["id"] for t in tasks if t["state"] == "submitted"}
            self.assertTrue(set(acked) <= submitted)
            # the server still works: a worker carries on
            c, uid = users[0]
            c2 = Client(s2.port, c.token)
            r = c2.post(API + "/projects/%d/tasks/next" % pid)
            self.assertEqual(r.status, 200, r)
            r = c2.post(API + "/tasks/%d/submit" % r.json()["id"],
                        {"annotation": {"labels": ["pos"]}})
            self.assertEqual(r.status, 200, r)
        finally:
            rc = s2.stop()
        self.assertEqual(rc, 0, "server did not stop cleanly: " + s2.tail()[-1000:])

        d = s.data_dir
        per_task = dict(sqlite_query(d, """
            SELECT task_id, COUNT(*) FROM events WHERE project_id = %d AND type = 'submit'
            GROUP BY task_id""" % pid))
        for tid in acked:
            self.assertEqual(per_task.get(tid), 1, tid)
        # nothing was reviewed, so no task may have more than its one round's submit
        self.assertEqual({t: n for t, n in per_task.items() if n != 1}, {})
        ann_rows = dict(sqlite_query(d, """
            SELECT task_id, COUNT(*) FROM annotations WHERE task_id IN (%s) GROUP BY task_id"""
                                     % ",".join(str(t) for t in acked)))
        self.assertEqual({t: ann_rows.get(t) for t in acked}, {t: 1 for t in acked})
        db = sqlite3.connect(os.path.join(d, "crowdloop.db"))
        try:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            self.assertEqual(db.execute("PRAGMA foreign_key_check").fetchall(), [])
        finally:
            db.close()


if __name__ == "__main__":
    main()
