"""The labeling loop end to end: claim, submit, review, rework, escalation, leases, overlap,
sampled review, export, stats, annotation validation per kind and the import report."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, ServerTestCase, list_all, main, make_users, multipart,  # noqa: E402
                     png_bytes, sqlite_query)


def nxt(c, pid):
    return c.post(API + "/projects/%d/tasks/next" % pid)


def submit(c, tid, ann):
    return c.post(API + "/tasks/%d/submit" % tid, {"annotation": ann})


def rnext(c, pid):
    return c.post(API + "/projects/%d/reviews/next" % pid)


def review(c, tid, body):
    return c.post(API + "/tasks/%d/review" % tid, body)


def resolve(c, tid, body):
    return c.post(API + "/tasks/%d/resolve" % tid, body)


POS = {"labels": ["pos"]}
NEG = {"labels": ["neg"]}


class LoopTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            users = make_users(cls.world, "lw", 5)
        except BaseException:
            cls.server.cleanup()
            raise
        (cls.w1, cls.w1_id), (cls.w2, cls.w2_id), (cls.w3, cls.w3_id), \
            (cls.r1, cls.r1_id), (cls.r2, cls.r2_id) = users

    # -- helpers ---------------------------------------------------------------------------

    def proj(self, texts, workers=(), reviewers=(), **fields):
        w = self.world
        p = w.project(**fields)
        for uid in workers:
            w.add_member(p["id"], uid, "worker")
        for uid in reviewers:
            w.add_member(p["id"], uid, "reviewer")
        rep = w.import_texts(p["id"], texts) if texts else None
        if rep is not None:
            self.assertEqual(rep["accepted"], len(texts), rep)
        return p, (rep["item_ids"] if rep else [])

    def claim(self, c, pid):
        r = nxt(c, pid)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def submit_ok(self, c, tid, ann, state="submitted"):
        r = submit(c, tid, ann)
        self.assertEqual(r.status, 200, r)
        t = r.json()
        if state:
            self.assertEqual(t["state"], state, t)
        return t

    def review_claim(self, c, pid):
        r = rnext(c, pid)
        self.assertEqual(r.status, 200, r)
        t = r.json()
        self.assertEqual(t["state"], "in_review", t)
        return t

    def review_ok(self, c, tid, body, state):
        r = review(c, tid, body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["state"], state, r)
        return r.json()

    def get_task(self, tid, c=None):
        r = (c or self.world.manager).get(API + "/tasks/%d" % tid)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def types(self, task):
        return [e["type"] for e in task["events"]]

    def reject_round(self, worker, reviewer, pid, tid, reason, expect):
        t = self.claim(worker, pid)
        self.assertEqual(t["id"], tid)
        self.submit_ok(worker, tid, POS)
        t = self.review_claim(reviewer, pid)
        self.assertEqual(t["id"], tid)
        return self.review_ok(reviewer, tid, {"decision": "reject", "reason": reason}, expect)

    # -- the loop ----------------------------------------------------------------------------

    def test_labels_in_use_stay(self):
        """Before any task is labeled a label may go; once one is, the label set may only grow."""
        p, _ = self.proj(["labels one", "labels two"], workers=[self.w1_id],
                         labels=["pos", "neg", "odd"])
        mgr, path = self.world.manager, API + "/projects/%d" % p["id"]
        r = mgr.patch(path, {"labels": ["pos", "neg"]})
        self.assertEqual(r.status, 200, r)
        t = self.claim(self.w1, p["id"])
        self.submit_ok(self.w1, t["id"], NEG)
        r = mgr.patch(path, {"labels": ["pos"]})
        self.assertError(r, 409)
        self.assertEqual(r.json()["error"]["code"], "labels_in_use", r)
        self.assertIn('"neg"', r.json()["error"]["message"])
        r = mgr.patch(path, {"labels": ["pos", "neg", "new"]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["labels"], ["pos", "neg", "new"])

    def test_claim_submit_approve(self):
        p, items = self.proj(["loop one", "loop two"], workers=[self.w1_id, self.w2_id],
                             reviewers=[self.r1_id, self.r2_id])
        pid = p["id"]
        t1 = self.claim(self.w1, pid)
        self.assertEqual(t1["state"], "assigned")
        self.assertEqual(t1["worker_id"], self.w1_id)
        self.assertIn(t1["round"], (0, 1), t1)
        self.assertIsNotNone(t1["lease_expires_at"])
        self.assertIn(t1["item_id"], items)
        self.assertEqual(t1["item"]["id"], t1["item_id"])
        self.assertIn(t1["item"]["text"], ("loop one", "loop two"))
        self.assertEqual(t1["project"]["labels"], ["pos", "neg"])
        self.assertEqual(t1["project"]["kind"], "text_class")
        # claiming twice returns the same task
        again = self.claim(self.w1, pid)
        self.assertEqual(again["id"], t1["id"])
        self.assertEqual(again["state"], "assigned")
        # the other worker gets the other item
        t2 = self.claim(self.w2, pid)
        self.assertNotEqual(t2["id"], t1["id"])
        self.assertNotEqual(t2["item_id"], t1["item_id"])
        # nobody else may submit or release the lease
        r = submit(self.w2, t1["id"], POS)
        self.assertIn(r.status, (403, 404, 409), r)
        r = self.w2.post(API + "/tasks/%d/release" % t1["id"])
        self.assertIn(r.status, (403, 404, 409), r)
        # nothing to review yet
        self.assertEqual(rnext(self.r1, pid).status, 204)
        s = self.submit_ok(self.w1, t1["id"], POS)
        self.assertEqual(s["round"], 1)
        self.assertEqual(s["annotation"], POS)
        # a state change answers with the task's new state (TaskState), without item or project
        self.assertEqual((s["id"], s["item_id"], s["worker_id"]),
                         (t1["id"], t1["item_id"], self.w1_id))
        self.assertIsNone(s["lease_expires_at"])
        self.assertNotIn("item", s)
        self.assertNotIn("project", s)
        # submitting again is a state conflict
        self.assertEqual(submit(self.w1, t1["id"], NEG).status, 409)
        rv = self.review_claim(self.r1, pid)
        self.assertEqual(rv["id"], t1["id"])
        self.assertEqual(rv["reviewer_id"], self.r1_id)
        self.assertEqual(rv["annotation"], POS)
        # a review claim carries the item, the project and the history
        self.assertEqual(rv["item"]["text"], t1["item"]["text"])
        self.assertEqual(rv["project"]["labels"], ["pos", "neg"])
        self.assertEqual(self.types(rv), ["claim", "submit", "review_claim"])
        # a second reviewer does not get the task under review
        self.assertEqual(rnext(self.r2, pid).status, 204)
        # a worker cannot claim reviews
        self.assertIn(rnext(self.w1, pid).status, (403, 404))
        a = self.review_ok(self.r1, t1["id"], {"decision": "approve"}, "approved")
        self.assertEqual(a["annotation"], POS)
        # approving twice is a conflict
        self.assertEqual(review(self.r1, t1["id"], {"decision": "approve"}).status, 409)
        self.assertEqual(rnext(self.r1, pid).status, 204)
        # w1 has worked on item 1 and item 2 is leased to w2: nothing left for w1 or w3
        self.assertEqual(nxt(self.w1, pid).status, 204)
        t = self.get_task(t1["id"])
        self.assertEqual(t["state"], "approved")
        self.assertEqual(self.types(t), ["claim", "submit", "review_claim", "approve"])
        ev = t["events"]
        self.assertEqual((ev[0]["from"], ev[0]["to"]), ("open", "assigned"))
        self.assertEqual((ev[1]["from"], ev[1]["to"]), ("assigned", "submitted"))
        self.assertEqual((ev[2]["from"], ev[2]["to"]), ("submitted", "in_review"))
        self.assertEqual((ev[3]["from"], ev[3]["to"]), ("in_review", "approved"))
        self.assertEqual([e["actor_id"] for e in ev],
                         [self.w1_id, self.w1_id, self.r1_id, self.r1_id])
        self.assertEqual(ev, sorted(ev, key=lambda e: (e["at"], e["id"])))

    def test_project_not_open(self):
        p, _ = self.proj(["draft text"], workers=[self.w1_id], status="draft")
        r = nxt(self.w1, p["id"])
        self.assertError(r, 409)
        r = self.world.manager.patch(API + "/projects/%d" % p["id"], {"status": "open"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(nxt(self.w1, p["id"]).status, 200)
        r = self.world.manager.patch(API + "/projects/%d" % p["id"], {"status": "paused"})
        self.assertEqual(r.status, 200, r)
        self.assertError(nxt(self.w1, p["id"]), 409)

    def test_chained_submit_and_review(self):
        p, items = self.proj(["ch a", "ch b", "ch c"], workers=[self.w1_id],
                             reviewers=[self.r1_id])
        pid = p["id"]
        t1 = self.claim(self.w1, pid)
        # Without "next" the answer is the task alone.
        self.assertNotIn("next", self.get_task(t1["id"], self.w1))
        # A "next" that is not a boolean is refused, and nothing is submitted.
        r = self.w1.post(API + "/tasks/%d/submit" % t1["id"], {"annotation": POS, "next": "yes"})
        self.assertError(r, 400)
        self.assertEqual(self.get_task(t1["id"])["state"], "assigned")

        # Submit and claim the next task in one request.
        r = self.w1.post(API + "/tasks/%d/submit" % t1["id"], {"annotation": POS, "next": True})
        self.assertEqual(r.status, 200, r)
        a = r.json()
        self.assertEqual((a["id"], a["state"]), (t1["id"], "submitted"))
        n = a["next"]
        self.assertNotIn("next_error", a)
        self.assertNotEqual(n["id"], t1["id"])
        self.assertEqual((n["state"], n["worker_id"]), ("assigned", self.w1_id))
        self.assertIsNotNone(n["lease_expires_at"])
        self.assertIn(n["item"]["text"], ("ch a", "ch b", "ch c"))
        self.assertEqual(n["project"]["labels"], ["pos", "neg"])
        # It is the worker's lease: tasks/next gives the same task back.
        self.assertEqual(self.claim(self.w1, pid)["id"], n["id"])
        self.assertEqual(self.types(self.get_task(n["id"])), ["claim"])
        t2 = n
        a = self.w1.post(API + "/tasks/%d/submit" % t2["id"],
                         {"annotation": NEG, "next": True}).json()
        t3 = a["next"]
        self.assertNotIn(t3["id"], (t1["id"], t2["id"]))

        # Review and claim the next review in one request.
        self.assertEqual(self.review_claim(self.r1, pid)["id"], t1["id"])
        r = review(self.r1, t1["id"], {"decision": "approve", "next": True})
        self.assertEqual(r.status, 200, r)
        a = r.json()
        self.assertEqual(a["state"], "approved")
        n = a["next"]
        self.assertEqual((n["id"], n["state"], n["reviewer_id"]),
                         (t2["id"], "in_review", self.r1_id))
        self.assertEqual(n["annotation"], NEG)
        self.assertEqual([e["type"] for e in n["events"]], ["claim", "submit", "review_claim"])
        # A rejection chains too; nothing is left to review: "next" is null, and no error.
        a = review(self.r1, t2["id"], {"decision": "reject", "reason": "not negative",
                                       "next": True}).json()
        self.assertEqual(a["state"], "rework")
        self.assertIsNone(a["next"])
        self.assertNotIn("next_error", a)
        # The worker's rework comes first, as tasks/next would give it.
        a = self.w1.post(API + "/tasks/%d/submit" % t3["id"],
                         {"annotation": POS, "next": True}).json()
        self.assertEqual(a["state"], "submitted")
        self.assertEqual(a["next"]["id"], t2["id"])
        self.assertEqual(a["next"]["last_rejection"]["reason"], "not negative")
        # Nothing left to claim: null.
        a = self.w1.post(API + "/tasks/%d/submit" % t2["id"],
                         {"annotation": POS, "next": True}).json()
        self.assertEqual(a["state"], "submitted")
        self.assertIsNone(a["next"])
        self.assertNotIn("next_error", a)

    def test_chained_claim_refused_keeps_the_submit(self):
        p, _ = self.proj(["cr a", "cr b"], workers=[self.w2_id], reviewers=[self.r2_id])
        pid = p["id"]
        t = self.claim(self.w2, pid)
        r = self.world.manager.patch(API + "/projects/%d" % pid, {"status": "paused"})
        self.assertEqual(r.status, 200, r)
        r = self.w2.post(API + "/tasks/%d/submit" % t["id"], {"annotation": POS, "next": True})
        self.assertEqual(r.status, 200, r)
        a = r.json()
        self.assertEqual(a["state"], "submitted")
        self.assertIsNone(a["next"])
        self.assertEqual(a["next_error"]["code"], "project_not_open")
        self.assertTrue(a["next_error"]["message"])
        self.assertEqual(self.get_task(t["id"])["state"], "submitted")
        # The refused claim left nothing behind: no other task is leased, no claim event.
        tasks = list_all(self.world.manager, API + "/projects/%d/tasks" % pid)
        self.assertEqual(sorted(x["state"] for x in tasks), ["open", "submitted"])
        # A closed project refuses the chained review claim; the decision stands.
        r = self.world.manager.patch(API + "/projects/%d" % pid, {"status": "open"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.review_claim(self.r2, pid)["id"], t["id"])
        r = self.world.manager.patch(API + "/projects/%d" % pid, {"status": "closed"})
        self.assertEqual(r.status, 200, r)
        a = review(self.r2, t["id"], {"decision": "approve", "next": True}).json()
        self.assertEqual(a["state"], "approved")
        self.assertIsNone(a["next"])
        self.assertEqual(a["next_error"]["code"], "project_not_open")

    def test_reject_rework_reapprove(self):
        p, items = self.proj(["rw a", "rw b", "rw c"], workers=[self.w1_id, self.w2_id],
                             reviewers=[self.r1_id])
        pid = p["id"]
        t1 = self.claim(self.w1, pid)
        self.submit_ok(self.w1, t1["id"], POS)
        # w1 now holds a live lease on a second task
        t2 = self.claim(self.w1, pid)
        self.assertNotEqual(t2["id"], t1["id"])
        self.review_claim(self.r1, pid)
        # a reject needs a reason
        r = review(self.r1, t1["id"], {"decision": "reject"})
        self.assertError(r, 422)
        r = review(self.r1, t1["id"], {"decision": "reject", "reason": ""})
        self.assertError(r, 422)
        rej = self.review_ok(self.r1, t1["id"], {"decision": "reject", "reason": "wrong label",
                                                 "reason_template": "wrong_label"}, "rework")
        self.assertEqual(rej["worker_id"], self.w1_id)
        # the worker sees why
        seen = self.get_task(t1["id"], self.w1)
        self.assertEqual(seen["state"], "rework")
        lr = seen["last_rejection"]
        self.assertIsNotNone(lr)
        self.assertEqual(lr["reason"], "wrong label")
        self.assertEqual(lr["reason_template"], "wrong_label")
        self.assertEqual(lr["reviewer_id"], self.r1_id)
        self.assertTrue(lr["at"])
        # another worker never gets the rejected task
        t3 = self.claim(self.w2, pid)
        self.assertNotIn(t3["id"], (t1["id"], t2["id"]))
        self.assertEqual(nxt(self.w2, pid).json()["id"], t3["id"])
        # the rejected task comes first, before the live lease
        back = self.claim(self.w1, pid)
        self.assertEqual(back["id"], t1["id"])
        self.assertIn(back["state"], ("rework", "assigned"))
        self.assertEqual(back["last_rejection"]["reason"], "wrong label")
        s = self.submit_ok(self.w1, t1["id"], NEG)
        self.assertEqual(s["round"], 2)
        # then the live lease
        self.assertEqual(self.claim(self.w1, pid)["id"], t2["id"])
        rv = self.review_claim(self.r1, pid)
        self.assertEqual(rv["id"], t1["id"])
        self.assertEqual(rv["annotation"], NEG)
        a = self.review_ok(self.r1, t1["id"], {"decision": "approve"}, "approved")
        self.assertEqual(a["round"], 2)
        self.assertEqual(a["annotation"], NEG)
        t = self.get_task(t1["id"])
        types = self.types(t)
        # claiming a rework task may or may not write a claim event
        i = types.index("reject")
        if types[i + 1] == "claim":
            del types[i + 1]
        self.assertEqual(types, ["claim", "submit", "review_claim", "reject", "submit",
                                 "review_claim", "approve"])
        rej_ev = [e for e in t["events"] if e["type"] == "reject"][0]
        self.assertEqual((rej_ev["from"], rej_ev["to"]), ("in_review", "rework"))

    def test_nobody_decides_their_own_work(self):
        """A manager who labeled a task may not resolve it once escalated, nor audit it once
        approved: another manager does."""
        m, mid = self.world.manager, self.world.manager_id
        other, other_id = self.world.user("manager2")
        r = self.world.admin.post(API + "/orgs/%d/members" % self.world.org["id"],
                                  {"user_id": other_id, "role": "manager"})
        self.assertEqual(r.status, 201, r)
        p, _ = self.proj(["own a", "own b"], reviewers=[self.r1_id], max_rounds=1)
        pid = p["id"]
        t = self.claim(m, pid)
        self.assertEqual(t["worker_id"], mid)
        self.submit_ok(m, t["id"], POS)
        self.assertEqual(self.review_claim(self.r1, pid)["id"], t["id"])
        self.review_ok(self.r1, t["id"], {"decision": "reject", "reason": "no"}, "escalated")
        for body in ({"decision": "approve"}, {"decision": "approve", "annotation": NEG},
                     {"decision": "discard"}):
            r = resolve(m, t["id"], body)
            self.assertError(r, 403)
            self.assertEqual(r.json()["error"]["code"], "own_work", r)
        self.assertEqual(self.get_task(t["id"])["state"], "escalated")
        r = resolve(other, t["id"], {"decision": "approve"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["state"], "approved")
        # The approved task audited: not by the manager who labeled it.
        r = m.post(API + "/projects/%d/audits" % pid, {"size": 5})
        self.assertEqual(r.status, 201, r)
        audit = r.json()
        self.assertIn(t["id"], [e["task_id"] for e in audit["items"]])
        path = API + "/audits/%d/tasks/%d" % (audit["id"], t["id"])
        r = m.post(path, {"verdict": "correct"})
        self.assertError(r, 403)
        self.assertEqual(r.json()["error"]["code"], "own_work", r)
        r = other.post(path, {"verdict": "correct"})
        self.assertEqual(r.status, 200, r)

    def test_escalation_and_resolution(self):
        p, items = self.proj(["esc a", "esc b", "esc c"], workers=[self.w1_id],
                             reviewers=[self.r1_id], max_rounds=2)
        pid = p["id"]
        m = self.world.manager
        ta = self.claim(self.w1, pid)["id"]
        self.assertEqual(self.reject_round(self.w1, self.r1, pid, ta, "no", "rework")["state"],
                         "rework")
        esc = self.reject_round(self.w1, self.r1, pid, ta, "still no", "escalated")
        self.assertEqual(esc["round"], 2)
        tb = self.claim(self.w1, pid)["id"]
        self.assertNotEqual(tb, ta)
        self.reject_round(self.w1, self.r1, pid, tb, "no", "rework")
        self.reject_round(self.w1, self.r1, pid, tb, "no again", "escalated")
        # escalated tasks do not go back to the worker
        tc = self.claim(self.w1, pid)
        self.assertNotIn(tc["id"], (ta, tb))
        self.submit_ok(self.w1, tc["id"], POS)
        self.assertEqual(nxt(self.w1, pid).status, 204)
        # listed for the manager
        esc_ids = {t["id"] for t in list_all(m, API + "/projects/%d/tasks?state=escalated" % pid)}
        self.assertEqual(esc_ids, {ta, tb})
        # only managers resolve; only escalated tasks
        self.assertIn(resolve(self.w1, ta, {"decision": "discard"}).status, (403, 404))
        self.assertError(resolve(self.r1, ta, {"decision": "discard"}), 403)
        self.assertError(resolve(m, tc["id"], {"decision": "approve"}), 409)
        r = resolve(m, ta, {"decision": "approve", "annotation": {"labels": ["bogus"]}})
        self.assertError(r, 422)
        r = resolve(m, ta, {"decision": "approve", "annotation": NEG})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["state"], "approved")
        self.assertEqual(r.json()["annotation"], NEG)
        r = resolve(m, tb, {"decision": "discard", "reason": "ambiguous item"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["state"], "discarded")
        self.assertError(resolve(m, tb, {"decision": "approve"}), 409)
        a = self.get_task(ta)
        self.assertEqual(a["state"], "approved")
        self.assertEqual(a["annotation"], NEG)
        self.assertTrue(any(e["to"] == "escalated" for e in a["events"]), a["events"])
        self.assertEqual(a["events"][-1]["type"], "resolve_approve")
        self.assertEqual(a["events"][-1]["actor_id"], self.world.manager_id)
        b = self.get_task(tb)
        self.assertEqual(b["state"], "discarded")
        self.assertEqual(b["events"][-1]["type"], "discard")
        self.assertEqual(b["events"][-1]["to"], "discarded")
        # export holds the resolved approval only
        lines = self.export(pid)
        self.assertEqual([ln["task_id"] for ln in lines], [ta])
        self.assertEqual(lines[0]["annotation"], NEG)

    def test_fix_and_approve(self):
        p, _ = self.proj(["fix me"], workers=[self.w1_id], reviewers=[self.r1_id])
        pid = p["id"]
        t = self.claim(self.w1, pid)
        self.submit_ok(self.w1, t["id"], POS)
        self.review_claim(self.r1, pid)
        self.assertError(review(self.r1, t["id"], {"decision": "fix",
                                                   "annotation": {"labels": ["maybe"]}}), 422)
        self.assertError(review(self.r1, t["id"], {"decision": "fix"}), (400, 422))
        f = self.review_ok(self.r1, t["id"], {"decision": "fix", "annotation": NEG}, "approved")
        self.assertEqual(f["annotation"], NEG)
        got = self.get_task(t["id"])
        self.assertEqual(got["annotation"], NEG)
        self.assertEqual(got["state"], "approved")
        self.assertEqual(self.types(got), ["claim", "submit", "review_claim", "fix"])
        fix = got["events"][-1]
        self.assertEqual(fix["actor_id"], self.r1_id)
        self.assertEqual((fix["from"], fix["to"]), ("in_review", "approved"))
        lines = self.export(pid)
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0]["annotation"], NEG)
        self.assertEqual(lines[0]["worker_id"], self.w1_id)
        self.assertEqual(lines[0]["reviewer_id"], self.r1_id)
        # the worker's own annotation is kept in the store next to the fix
        rows = sqlite_query(self.server.data_dir,
                            "SELECT data FROM annotations WHERE task_id=%d ORDER BY id" % t["id"])
        self.assertEqual([json.loads(r[0]) for r in rows], [POS, NEG])

    # -- leases ------------------------------------------------------------------------------

    def test_lease_expiry(self):
        p, _ = self.proj(["lease"], workers=[self.w1_id, self.w2_id], lease_seconds=1)
        self.assertEqual(p["lease_seconds"], 1)
        pid = p["id"]
        t = self.claim(self.w1, pid)
        self.assertEqual(nxt(self.w2, pid).status, 204)
        time.sleep(2.5)
        t2 = self.claim(self.w2, pid)
        self.assertEqual(t2["id"], t["id"])
        self.assertEqual(t2["worker_id"], self.w2_id)
        r = submit(self.w1, t["id"], POS)
        self.assertError(r, 409)
        self.submit_ok(self.w2, t["id"], NEG)
        got = self.get_task(t["id"])
        self.assertEqual(got["worker_id"], self.w2_id)
        self.assertEqual(got["annotation"], NEG)
        types = self.types(got)
        self.assertEqual(types, ["claim", "lease_expired", "claim", "submit"])
        self.assertEqual(got["events"][1]["to"], "open")

    def test_review_lease_expiry(self):
        p, _ = self.proj(["review lease"], workers=[self.w1_id],
                         reviewers=[self.r1_id, self.r2_id], lease_seconds=1)
        pid = p["id"]
        t = self.claim(self.w1, pid)
        self.submit_ok(self.w1, t["id"], POS)
        self.review_claim(self.r1, pid)
        self.assertEqual(rnext(self.r2, pid).status, 204)
        time.sleep(2.5)
        rv = self.review_claim(self.r2, pid)
        self.assertEqual(rv["id"], t["id"])
        self.assertEqual(rv["reviewer_id"], self.r2_id)
        self.assertError(review(self.r1, t["id"], {"decision": "approve"}), 409)
        self.review_ok(self.r2, t["id"], {"decision": "approve"}, "approved")
        types = self.types(self.get_task(t["id"]))
        self.assertEqual(types, ["claim", "submit", "review_claim", "review_lease_expired",
                                 "review_claim", "approve"])

    def test_expired_leases_read_back(self):
        """After a lease runs out, GET /tasks/{id} shows the task back in open / submitted."""
        p, _ = self.proj(["expire a", "expire b"], workers=[self.w1_id, self.w2_id],
                         reviewers=[self.r1_id], lease_seconds=1)
        pid = p["id"]
        a = self.claim(self.w1, pid)
        self.submit_ok(self.w1, a["id"], POS)
        b = self.claim(self.w2, pid)
        self.review_claim(self.r1, pid)
        time.sleep(2.5)
        got_b = self.get_task(b["id"])
        self.assertEqual(got_b["state"], "open", got_b)
        self.assertIsNone(got_b["worker_id"], got_b)
        got_a = self.get_task(a["id"])
        self.assertEqual(got_a["state"], "submitted", got_a)
        self.assertIsNone(got_a["reviewer_id"], got_a)
        r = self.world.manager.get(API + "/projects/%d/stats" % pid)
        self.assertEqual(r.status, 200, r)
        counts = {k: v for k, v in r.json()["tasks"].items() if v}
        self.assertEqual(counts, {"open": 1, "submitted": 1})

    def test_release(self):
        p, _ = self.proj(["release me"], workers=[self.w1_id, self.w2_id])
        pid = p["id"]
        t = self.claim(self.w1, pid)
        self.assertEqual(nxt(self.w2, pid).status, 204)
        r = self.w1.post(API + "/tasks/%d/release" % t["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["state"], "open")
        self.assertIsNone(r.json()["worker_id"])
        self.assertError(self.w1.post(API + "/tasks/%d/release" % t["id"]), (403, 404, 409))
        self.assertError(submit(self.w1, t["id"], POS), (403, 404, 409))
        t2 = self.claim(self.w2, pid)
        self.assertEqual(t2["id"], t["id"])
        self.submit_ok(self.w2, t["id"], POS)
        self.assertEqual(self.types(self.get_task(t["id"])),
                         ["claim", "release", "claim", "submit"])

    def test_skip_is_not_offered_back(self):
        p, _ = self.proj(["skip a", "skip b"], workers=[self.w1_id, self.w2_id])
        pid = p["id"]
        a = self.claim(self.w1, pid)
        self.assertEqual(self.w1.post(API + "/tasks/%d/release" % a["id"]).status, 200)
        # The worker who gave it back gets the other task, then nothing; others still get it.
        b = self.claim(self.w1, pid)
        self.assertNotEqual(b["id"], a["id"])
        self.submit_ok(self.w1, b["id"], POS)
        self.assertEqual(nxt(self.w1, pid).status, 204)
        self.assertEqual(self.claim(self.w2, pid)["id"], a["id"])

    # -- overlap and reviewers -----------------------------------------------------------

    def test_overlap_two(self):
        texts = ["ov %d" % i for i in range(3)]
        p, items = self.proj(texts, workers=[self.w1_id, self.w2_id, self.w3_id], overlap=2)
        pid = p["id"]
        seen = {}
        for c, uid in ((self.w1, self.w1_id), (self.w2, self.w2_id)):
            got = []
            for _ in range(10):
                r = nxt(c, pid)
                if r.status == 204:
                    break
                self.assertEqual(r.status, 200, r)
                t = r.json()
                got.append(t["item_id"])
                seen.setdefault(t["item_id"], []).append((t["slot"], t["id"], uid))
                self.submit_ok(c, t["id"], POS)
            self.assertEqual(sorted(got), sorted(items), "each item once per worker")
        self.assertEqual(nxt(self.w3, pid).status, 204)
        for item, slots in seen.items():
            self.assertEqual(len(slots), 2)
            self.assertEqual(len({s[0] for s in slots}), 2, slots)
            self.assertEqual(len({s[1] for s in slots}), 2, slots)
            self.assertEqual({s[2] for s in slots}, {self.w1_id, self.w2_id})
        tasks = list_all(self.world.manager, API + "/projects/%d/tasks" % pid)
        self.assertEqual(len(tasks), 6)
        self.assertEqual({t["state"] for t in tasks}, {"submitted"})

    def test_reviewer_never_reviews_own(self):
        p, _ = self.proj(["own a", "own b"], workers=[self.w1_id], reviewers=[self.r1_id])
        pid = p["id"]
        mine = self.claim(self.r1, pid)
        self.submit_ok(self.r1, mine["id"], POS)
        self.assertEqual(rnext(self.r1, pid).status, 204)
        other = self.claim(self.w1, pid)
        self.submit_ok(self.w1, other["id"], POS)
        rv = self.review_claim(self.r1, pid)
        self.assertEqual(rv["id"], other["id"])
        self.review_ok(self.r1, other["id"], {"decision": "approve"}, "approved")
        self.assertEqual(rnext(self.r1, pid).status, 204)
        mv = self.review_claim(self.world.manager, pid)
        self.assertEqual(mv["id"], mine["id"])

    # -- export and stats ---------------------------------------------------------------------

    def export(self, pid):
        r = self.world.manager.get(API + "/projects/%d/export?format=jsonl" % pid)
        self.assertEqual(r.status, 200, r)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/x-ndjson"), r)
        return [json.loads(ln) for ln in r.body.decode().splitlines() if ln.strip()]

    def test_export_lists_only_approved(self):
        texts = ["ex %d" % i for i in range(5)]
        p, items = self.proj(texts, workers=[self.w1_id, self.w2_id], reviewers=[self.r1_id],
                             max_rounds=2)
        pid = p["id"]
        w, rv = self.w1, self.r1
        by_state = {}
        # approved
        t = self.claim(w, pid)
        self.submit_ok(w, t["id"], POS)
        self.review_claim(rv, pid)
        self.review_ok(rv, t["id"], {"decision": "approve"}, "approved")
        by_state["approved"] = t
        # fixed and approved
        t = self.claim(w, pid)
        self.submit_ok(w, t["id"], POS)
        self.review_claim(rv, pid)
        self.review_ok(rv, t["id"], {"decision": "fix", "annotation": NEG}, "approved")
        by_state["fixed"] = t
        # discarded after escalation
        t = self.claim(w, pid)
        self.reject_round(w, rv, pid, t["id"], "x", "rework")
        self.reject_round(w, rv, pid, t["id"], "y", "escalated")
        r = resolve(self.world.manager, t["id"], {"decision": "discard"})
        self.assertEqual(r.status, 200, r)
        by_state["discarded"] = t
        # rework
        t = self.claim(w, pid)
        self.reject_round(w, rv, pid, t["id"], "z", "rework")
        by_state["rework"] = t
        # submitted, not reviewed (by another worker: w1's next task is its rework)
        t = self.claim(self.w2, pid)
        self.assertNotIn(t["id"], [x["id"] for x in by_state.values()])
        self.submit_ok(self.w2, t["id"], POS)
        by_state["submitted"] = t
        lines = self.export(pid)
        got = {ln["task_id"]: ln for ln in lines}
        self.assertEqual(len(lines), 2, lines)
        self.assertEqual(set(got), {by_state["approved"]["id"], by_state["fixed"]["id"]})
        a = got[by_state["approved"]["id"]]
        self.assertEqual(a["annotation"], POS)
        self.assertEqual(a["item_id"], by_state["approved"]["item_id"])
        self.assertEqual(a["text"], by_state["approved"]["item"]["text"])
        self.assertEqual(a["worker_id"], self.w1_id)
        self.assertEqual(a["reviewer_id"], self.r1_id)
        self.assertEqual(a["round"], 1)
        self.assertTrue(a["approved_at"].endswith("Z"), a)
        self.assertEqual(got[by_state["fixed"]["id"]]["annotation"], NEG)

    def test_events_and_stats(self):
        texts = ["st %d" % i for i in range(4)]
        p, items = self.proj(texts, workers=[self.w1_id, self.w2_id], reviewers=[self.r1_id])
        pid = p["id"]
        w1, w2, rv = self.w1, self.w2, self.r1
        a = self.claim(w1, pid)
        self.submit_ok(w1, a["id"], POS)
        b = self.claim(w2, pid)
        self.submit_ok(w2, b["id"], NEG)
        c = self.claim(w1, pid)
        self.submit_ok(w1, c["id"], POS)
        decisions = {a["id"]: "approve", b["id"]: "approve", c["id"]: "reject"}
        for _ in range(3):
            t = self.review_claim(rv, pid)
            body = {"decision": decisions.pop(t["id"])}
            if body["decision"] == "reject":
                body["reason"] = "look again"
            self.review_ok(rv, t["id"], body,
                           "rework" if body["decision"] == "reject" else "approved")
        self.assertEqual(rnext(rv, pid).status, 204)
        # rework and approve c
        self.assertEqual(self.claim(w1, pid)["id"], c["id"])
        self.submit_ok(w1, c["id"], NEG)
        self.assertEqual(self.review_claim(rv, pid)["id"], c["id"])
        self.review_ok(rv, c["id"], {"decision": "approve"}, "approved")
        # d stays submitted
        d = self.claim(w2, pid)
        self.assertNotIn(d["id"], (a["id"], b["id"], c["id"]))
        self.submit_ok(w2, d["id"], POS)
        r = self.world.manager.get(API + "/projects/%d/stats" % pid)
        self.assertEqual(r.status, 200, r)
        s = r.json()
        self.assertEqual(s["project_id"], pid)
        self.assertEqual(s["items"], 4)
        self.assertEqual(s["total_tasks"], 4)
        counts = {k: v for k, v in s["tasks"].items() if v}
        self.assertEqual(counts, {"approved": 3, "submitted": 1})
        self.assertAlmostEqual(s["first_pass_approval_rate"], 2 / 3, places=3)
        self.assertEqual(s["approved_last_hour"], 3)
        self.assertEqual(sum(h["approved"] for h in s["approved_per_hour"]), 3)
        self.assertEqual(s["reviews"], 4)
        workers = {x["user_id"]: x for x in s["workers"]}
        self.assertEqual(workers[self.w1_id]["approved"], 2)
        self.assertEqual(workers[self.w1_id]["rejected"], 1)
        self.assertEqual(workers[self.w1_id]["first_pass_approved"], 1)
        self.assertEqual(workers[self.w2_id]["approved"], 1)
        self.assertEqual(workers[self.w2_id]["rejected"], 0)
        self.assertEqual(workers[self.w2_id]["first_pass_approved"], 1)
        self.assertEqual(workers[self.w1_id]["username"].split("_")[0], "lw")
        if self.r1_id in workers:
            self.assertEqual(workers[self.r1_id]["reviews_done"], 4)
        # a fresh project has no rate yet
        p2, _ = self.proj(["empty stats"])
        s2 = self.world.manager.get(API + "/projects/%d/stats" % p2["id"]).json()
        self.assertIsNone(s2["first_pass_approval_rate"])
        self.assertEqual(s2["total_tasks"], 1)
        self.assertEqual(s2["tasks"].get("open"), 1)

    def test_task_lists_by_state_both_ways(self):
        """The task list in each state, in either order and a page of one or two at a time,
        holds exactly the project's tasks in that state (each state is walked through an index
        of its own, or from its first task)."""
        p, _ = self.proj(["by state %d" % i for i in range(9)],
                         workers=[self.w1_id, self.w2_id, self.w3_id],
                         reviewers=[self.r1_id, self.r2_id], max_rounds=2)
        pid = p["id"]
        w1, w2, w3, r1, r2 = self.w1, self.w2, self.w3, self.r1, self.r2

        def cycle(worker, decision, expect):
            t = self.claim(worker, pid)
            self.submit_ok(worker, t["id"], POS)
            self.assertEqual(self.review_claim(r1, pid)["id"], t["id"])
            body = {"decision": decision}
            if decision == "reject":
                body["reason"] = "again"
            self.review_ok(r1, t["id"], body, expect)
            return t["id"]
        cycle(w2, "approve", "approved")
        for _ in range(2):  # discarded, then escalated
            tid = cycle(w1, "reject", "rework")
            self.assertEqual(cycle(w1, "reject", "escalated"), tid)
            if _ == 0:
                r = resolve(self.world.manager, tid, {"decision": "discard", "reason": "no"})
                self.assertEqual(r.status, 200, r)
        cycle(w3, "reject", "rework")
        t = self.claim(w2, pid)
        self.submit_ok(w2, t["id"], POS)
        self.assertEqual(self.review_claim(r2, pid)["id"], t["id"])  # in review
        t = self.claim(w2, pid)
        self.submit_ok(w2, t["id"], POS)  # submitted
        self.claim(w2, pid)  # assigned
        states = dict(sqlite_query(self.server.data_dir,
                                   "SELECT state, count(*) FROM tasks WHERE project_id = %d"
                                   " GROUP BY 1" % pid))
        self.assertEqual(states, {"open": 2, "assigned": 1, "submitted": 1, "in_review": 1,
                                  "rework": 1, "approved": 1, "escalated": 1, "discarded": 1})
        for state in [None] + sorted(states):
            for desc in (False, True):
                for worker in (None, self.w2_id):
                    want = [r[0] for r in sqlite_query(
                        self.server.data_dir,
                        "SELECT id FROM tasks WHERE project_id = %d%s%s ORDER BY id%s"
                        % (pid, " AND state = '%s'" % state if state else "",
                           " AND worker_id = %d" % worker if worker else "",
                           " DESC" if desc else ""))]
                    query = "&".join(x for x in (
                        "state=" + state if state else "", "sort=-id" if desc else "",
                        "worker_id=%d" % worker if worker else "") if x)
                    for limit in (1, 2):
                        got = list_all(self.world.manager, API + "/projects/%d/tasks%s"
                                       % (pid, "?" + query if query else ""), limit)
                        self.assertEqual([x["id"] for x in got], want, (query, limit))
                        self.assertTrue(all(x["state"] == state for x in got if state))

    def test_figures_count_each_workers_own_work(self):
        """A reworked task whose lease runs out goes to another worker: the rejection and the
        first decision stay with the worker who was rejected, the approval goes to the one
        whose submission was approved, in statistics, the quality report and /me/projects."""
        p, _ = self.proj(["handed over"], workers=[self.w1_id, self.w2_id],
                         reviewers=[self.r1_id], lease_seconds=1)
        pid = p["id"]

        def in_hand(c):
            mine = [x for x in c.get(API + "/me/projects").json()["items"]
                    if x["id"] == pid][0]["my_figures"]
            return mine["in_progress"], mine["pending_review"]
        self.assertEqual(in_hand(self.w1), (0, 0))
        t = self.claim(self.w1, pid)
        self.assertEqual(in_hand(self.w1), (1, 0))
        self.submit_ok(self.w1, t["id"], POS)
        self.assertEqual(in_hand(self.w1), (0, 1))
        self.review_claim(self.r1, pid)
        self.assertEqual(in_hand(self.w1), (0, 1))
        self.review_ok(self.r1, t["id"], {"decision": "reject", "reason": "no"}, "rework")
        self.assertEqual(in_hand(self.w1), (1, 0))
        self.assertEqual(self.claim(self.w1, pid)["id"], t["id"])
        self.assertEqual(in_hand(self.w1), (1, 0))
        time.sleep(2.5)
        self.assertEqual(self.claim(self.w2, pid)["id"], t["id"])
        self.submit_ok(self.w2, t["id"], NEG)
        self.review_claim(self.r1, pid)
        self.review_ok(self.r1, t["id"], {"decision": "approve"}, "approved")
        m = self.world.manager
        s = m.get(API + "/projects/%d/stats" % pid).json()
        got = {x["user_id"]: (x["submitted"], x["approved"], x["rejected"],
                              x["first_pass_approved"]) for x in s["workers"]
               if x["user_id"] != self.r1_id}
        self.assertEqual(got, {self.w1_id: (1, 0, 1, 0), self.w2_id: (1, 1, 0, 0)})
        self.assertEqual(s["first_pass_approval_rate"], 0)
        q = m.get(API + "/projects/%d/quality" % pid).json()
        got = {x["user_id"]: (x["submitted"], x["approved"], x["rejections"])
               for x in q["workers"]}
        self.assertEqual(got, {self.w1_id: (1, 0, 1), self.w2_id: (1, 1, 0)})
        self.assertEqual((in_hand(self.w1), in_hand(self.w2)), ((0, 0), (0, 0)))
        for c, want in ((self.w1, (0, 1)), (self.w2, (1, 0))):
            mine = [x for x in c.get(API + "/me/projects").json()["items"]
                    if x["id"] == pid][0]["my_figures"]
            self.assertEqual((mine["approved"], mine["rejected"]), want)

    def test_sample_review_policy(self):
        n = 40
        p, _ = self.proj(["sample %d" % i for i in range(n)], workers=[self.w1_id],
                         reviewers=[self.r1_id], review_policy="sample", review_rate=0.05)
        self.assertEqual(p["review_policy"], "sample")
        pid = p["id"]
        auto, queued = [], []
        for _ in range(n):
            t = self.claim(self.w1, pid)
            s = self.submit_ok(self.w1, t["id"], POS, state=None)
            self.assertIn(s["state"], ("approved", "submitted"), s)
            (auto if s["state"] == "approved" else queued).append(t["id"])
        self.assertEqual(nxt(self.w1, pid).status, 204)
        self.assertGreaterEqual(len(auto), 20, "review_rate=0.05 should skip most reviews")
        reviewed = []
        for _ in range(n + 1):
            r = rnext(self.r1, pid)
            if r.status == 204:
                break
            self.assertEqual(r.status, 200, r)
            reviewed.append(r.json()["id"])
            self.review_ok(self.r1, r.json()["id"], {"decision": "approve"}, "approved")
        self.assertEqual(sorted(reviewed), sorted(queued))
        ev = self.get_task(auto[0])
        self.assertEqual(self.types(ev), ["claim", "submit", "auto_approve"])
        self.assertEqual(len(self.export(pid)), n)

    # -- kinds and validation -------------------------------------------------------------

    def test_text_class_validation(self):
        p, _ = self.proj(["validate"], workers=[self.w1_id])
        t = self.claim(self.w1, p["id"])
        for bad in ({"labels": ["maybe"]}, {"labels": ["pos", "neg"]}, {"labels": []},
                    {"labels": ["pos"], "extra": 1}, {}):
            self.assertError(submit(self.w1, t["id"], bad), 422)
        self.assertEqual(self.get_task(t["id"])["state"], "assigned")
        self.submit_ok(self.w1, t["id"], NEG)
        # multi-label
        p, _ = self.proj(["multi"], workers=[self.w1_id], multi_label=True,
                         labels=["a", "b", "c"])
        t = self.claim(self.w1, p["id"])
        self.assertError(submit(self.w1, t["id"], {"labels": ["a", "a"]}), 422)
        self.assertError(submit(self.w1, t["id"], {"labels": ["a", "d"]}), 422)
        self.submit_ok(self.w1, t["id"], {"labels": ["a", "c"]})

    def test_image_bbox(self):
        p, _ = self.proj([], workers=[self.w1_id], kind="image_bbox", labels=["cat", "dog"])
        pid = p["id"]
        big, small = png_bytes(64, 48), png_bytes(32, 32, (0, 90, 200))
        body, ctype = multipart([
            ("file", "big.png", "image/png", big),
            ("file", "small.png", "image/png", small),
            ("file", "broken.png", "image/png", big[:40]),
            ("file", "note.txt", "text/plain", b"a text item"),
        ])
        r = self.world.manager.post(API + "/projects/%d/items" % pid, body,
                                    headers={"Content-Type": ctype})
        self.assertEqual(r.status, 200, r)
        rep = r.json()
        self.assertEqual(rep["accepted"], 2, rep)
        self.assertEqual(rep["rejected"], 2, rep)
        reasons = {x["source"]: x["reason"] for x in rep["rejections"]}
        self.assertIn("undecodable image", reasons.get("broken.png", ""), rep)
        self.assertIn("wrong item type for project", reasons.get("note.txt", ""), rep)
        items = {}
        for iid in rep["item_ids"]:
            r = self.world.manager.get(API + "/items/%d" % iid)
            self.assertEqual(r.status, 200, r)
            it = r.json()
            self.assertEqual(it["type"], "image")
            self.assertEqual(it["mime"], "image/png")
            items[(it["width"], it["height"])] = it
        self.assertEqual(set(items), {(64, 48), (32, 32)})
        r = self.world.manager.get(API + "/items/%d/asset" % items[(64, 48)]["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, big)
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        # the item list's type filter: this project's images, and no text
        m = self.world.manager
        got = list_all(m, API + "/projects/%d/items?type=image" % pid, 1)
        self.assertEqual(sorted(x["id"] for x in got), sorted(rep["item_ids"]))
        self.assertEqual(m.get(API + "/projects/%d/items?type=text" % pid).json(),
                         {"items": [], "next_cursor": None})
        tp, tids = self.proj(["typed a", "typed b", "typed c"])
        got = list_all(m, API + "/projects/%d/items?type=text&sort=-id" % tp["id"], 2)
        self.assertEqual([x["id"] for x in got], sorted(tids, reverse=True))
        self.assertEqual(m.get(API + "/projects/%d/items?type=image" % tp["id"]).json()["items"],
                         [])
        # re-importing the same image is a duplicate
        body, ctype = multipart([("file", "again.png", "image/png", big)])
        rep2 = self.world.manager.post(API + "/projects/%d/items" % pid, body,
                                       headers={"Content-Type": ctype}).json()
        self.assertEqual((rep2["accepted"], rep2["duplicates"]), (0, 1), rep2)
        self.assertEqual(rep2["duplicate_entries"][0]["item_id"], items[(64, 48)]["id"])
        done = 0
        for _ in range(2):
            t = self.claim(self.w1, pid)
            w, h = t["item"]["width"], t["item"]["height"]
            tid = t["id"]
            for bad in (
                {"boxes": [{"x": 0, "y": 0, "w": 10, "h": 10, "label": "bird"}]},
                {"boxes": [{"x": w - 5, "y": 0, "w": 10, "h": 10, "label": "cat"}]},
                {"boxes": [{"x": 0, "y": h - 1, "w": 5, "h": 2, "label": "cat"}]},
                {"boxes": [{"x": -1, "y": 0, "w": 5, "h": 5, "label": "cat"}]},
                {"boxes": [{"x": 0, "y": 0, "w": 0, "h": 5, "label": "cat"}]},
                {"boxes": [{"x": 0, "y": 0, "w": 5, "label": "cat"}]},
                {"labels": ["cat"]},
            ):
                self.assertError(submit(self.w1, tid, bad), 422)
            if (w, h) == (64, 48):
                ann = {"boxes": [{"x": 0, "y": 0, "w": 64, "h": 48, "label": "cat"},
                                 {"x": 10.5, "y": 20, "w": 30, "h": 20, "label": "dog"}]}
            else:
                ann = {"boxes": []}
            s = self.submit_ok(self.w1, tid, ann)
            self.assertEqual(s["annotation"], ann)
            done += 1
        self.assertEqual(done, 2)

    def test_text_spans(self):
        text = "Hello 세계"  # 8 code points, 12 bytes
        p, _ = self.proj([text], workers=[self.w1_id], kind="text_spans", labels=["PER", "LOC"])
        t = self.claim(self.w1, p["id"])
        self.assertEqual(t["item"]["text"], text)
        for bad in ({"spans": [{"start": 6, "end": 9, "label": "LOC"}]},
                    {"spans": [{"start": 3, "end": 3, "label": "LOC"}]},
                    {"spans": [{"start": 4, "end": 2, "label": "LOC"}]},
                    {"spans": [{"start": -1, "end": 2, "label": "LOC"}]},
                    {"spans": [{"start": 0, "end": 5, "label": "ORG"}]},
                    {"spans": [{"start": 0, "end": 5}]}):
            self.assertError(submit(self.w1, t["id"], bad), 422)
        ann = {"spans": [{"start": 0, "end": 5, "label": "PER"},
                         {"start": 6, "end": 8, "label": "LOC"},
                         {"start": 0, "end": 8, "label": "LOC"}]}
        self.assertEqual(self.submit_ok(self.w1, t["id"], ann)["annotation"], ann)

    # -- import report ------------------------------------------------------------------------

    def test_import_report_jsonl(self):
        p = self.world.project()
        body = "\n".join([
            json.dumps({"text": "first", "meta": {"src": "a"}}),   # 1 accepted
            "",                                                   # 2 empty line
            json.dumps({"text": ""}),                             # 3 empty text
            '{"text": "unterminated',                             # 4 malformed JSON
            json.dumps({"text": "first"}),                        # 5 duplicate of 1
            json.dumps({"meta": {"x": 1}}),                       # 6 missing "text"
            json.dumps({"text": "second"}),                       # 7 accepted
        ]) + "\n"
        r = self.world.manager.post(API + "/projects/%d/items" % p["id"], body,
                                    headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(r.status, 200, r)
        rep = r.json()
        self.assertEqual(rep["accepted"], 2, rep)
        self.assertEqual(len(rep["item_ids"]), 2, rep)
        self.assertEqual(rep["duplicates"], 1, rep)
        self.assertEqual(len(rep["duplicate_entries"]), 1, rep)
        dup = rep["duplicate_entries"][0]
        self.assertEqual((dup["source"], dup["line"]), ("body", 5), rep)
        self.assertEqual(dup["item_id"], rep["item_ids"][0])
        rej = {x["line"]: x for x in rep["rejections"]}
        self.assertEqual(rep["rejected"], len(rep["rejections"]))
        self.assertTrue({3, 4, 6} <= set(rej) <= {2, 3, 4, 6}, rep)
        self.assertIn("empty text", rej[3]["reason"])
        self.assertIn("malformed JSON", rej[4]["reason"])
        self.assertIn('missing "text"', rej[6]["reason"])
        self.assertTrue(all(x["source"] == "body" for x in rep["rejections"]), rep)
        got = [self.world.manager.get(API + "/items/%d" % i).json() for i in rep["item_ids"]]
        self.assertEqual([i["text"] for i in got], ["first", "second"])
        self.assertEqual(got[0]["meta"], {"src": "a"})
        self.assertEqual(got[0]["type"], "text")
        self.assertGreaterEqual(len(got[0]["content_hash"]), 64, got[0])
        tasks = list_all(self.world.manager, API + "/projects/%d/tasks" % p["id"])
        self.assertEqual(len(tasks), 2)
        self.assertEqual({t["state"] for t in tasks}, {"open"})
        items = list_all(self.world.manager, API + "/projects/%d/items" % p["id"])
        self.assertEqual(sorted(i["id"] for i in items), sorted(rep["item_ids"]))

    def test_import_csv(self):
        p = self.world.project(overlap=2)
        body = 'text,source\n"hello, world",web\nplain,mail\n,empty\n'
        r = self.world.manager.post(API + "/projects/%d/items" % p["id"], body,
                                    headers={"Content-Type": "text/csv"})
        self.assertEqual(r.status, 200, r)
        rep = r.json()
        self.assertEqual(rep["accepted"], 2, rep)
        self.assertEqual(rep["rejected"], 1, rep)
        self.assertEqual(rep["rejections"][0]["line"], 4, rep)
        items = [self.world.manager.get(API + "/items/%d" % i).json() for i in rep["item_ids"]]
        got = {i["text"]: i["meta"] for i in items}
        self.assertEqual(got, {"hello, world": {"source": "web"}, "plain": {"source": "mail"}})
        # overlap 2: two tasks an item
        tasks = list_all(self.world.manager, API + "/projects/%d/tasks" % p["id"])
        self.assertEqual(len(tasks), 4)
        for it in items:
            slots = [t["slot"] for t in tasks if t["item_id"] == it["id"]]
            self.assertEqual(len(slots), 2)
            self.assertEqual(len(set(slots)), 2, slots)


if __name__ == "__main__":
    main()
