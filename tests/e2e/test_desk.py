"""The manager's desk over HTTP: the task browser's filters and paging, bulk actions (each an
event the state machine allows, one transaction per call), every round of a task with the
reviews between them (a honeypot reads as any submission), a worker's count of tasks left and
taking back a submission before review, and removing a member (their leases end)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import API, ServerTestCase, list_all, main, sqlite_query  # noqa: E402


class DeskTests(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.worker, cls.worker_id = w.user("worker")
        cls.other, cls.other_id = w.user("other")
        cls.reviewer, cls.reviewer_id = w.user("reviewer")

    def project(self, texts, **fields):
        p = self.world.project(**fields)
        for uid, role in ((self.worker_id, "worker"), (self.other_id, "worker"),
                          (self.reviewer_id, "reviewer")):
            self.world.add_member(p["id"], uid, role)
        self.world.import_texts(p["id"], texts)
        return p["id"]

    def claim(self, c, pid):
        r = c.post(API + "/projects/%d/tasks/next" % pid)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def submit(self, c, tid, label):
        r = c.post(API + "/tasks/%d/submit" % tid, {"annotation": {"labels": [label]}})
        self.assertEqual(r.status, 200, r)

    def review(self, tid, decision, reason=None):
        r = self.reviewer.post(API + "/projects/%d/reviews/next" % self.pid_of(tid))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["id"], tid)
        body = {"decision": decision}
        if reason:
            body["reason"] = reason
        r = self.reviewer.post(API + "/tasks/%d/review" % tid, body)
        self.assertEqual(r.status, 200, r)

    def pid_of(self, tid):
        return self.world.manager.get(API + "/tasks/%d" % tid).json()["project_id"]

    def tasks(self, pid, query=""):
        path = API + "/projects/%d/tasks" % pid + ("?" + query if query else "")
        return [t["id"] for t in list_all(self.world.manager, path)]

    def bulk(self, pid, body, c=None):
        return (c or self.world.manager).post(API + "/projects/%d/tasks/bulk" % pid, body)

    # -- the task browser -----------------------------------------------------------------

    def test_filters(self):
        pid = self.project(["the red fox", "a blue whale", "green tea", "red wine"])
        a = self.claim(self.worker, pid)
        self.submit(self.worker, a["id"], "pos")
        b = self.claim(self.other, pid)
        self.submit(self.other, b["id"], "neg")
        self.review(a["id"], "reject", "look again")
        self.review(b["id"], "approve")
        every = self.tasks(pid)
        self.assertEqual(len(every), 4)
        self.assertEqual(self.tasks(pid, "worker_id=%d" % self.worker_id), [a["id"]])
        self.assertEqual(self.tasks(pid, "reviewer_id=%d" % self.reviewer_id),
                         sorted([a["id"], b["id"]]))
        self.assertEqual(self.tasks(pid, "label=neg"), [b["id"]])
        self.assertEqual(self.tasks(pid, "label=pos&state=rework"), [a["id"]])
        self.assertEqual(self.tasks(pid, "round=0"), sorted(set(every) - {a["id"], b["id"]}))
        self.assertEqual(len(self.tasks(pid, "round=1")), 2)
        self.assertEqual(len(self.tasks(pid, "q=RED")), 2)
        self.assertEqual(self.tasks(pid, "gold=true"), [])
        self.assertEqual(self.tasks(pid, "gold=false"), every)
        self.assertEqual(self.tasks(pid, "from=2000-01-01&to=2999-12-31"), every)
        self.assertEqual(self.tasks(pid, "to=2001-01-01"), [])
        # Paged by cursor under a filter, both ways.
        r = self.world.manager.get(API + "/projects/%d/tasks?round=0&limit=1" % pid).json()
        self.assertEqual(len(r["items"]), 1)
        self.assertTrue(r["next_cursor"])
        r2 = self.world.manager.get(API + "/projects/%d/tasks?round=0&limit=1&cursor=%s"
                                    % (pid, r["next_cursor"])).json()
        self.assertGreater(r2["items"][0]["id"], r["items"][0]["id"])
        down = self.tasks(pid, "round=0&sort=-id")
        self.assertEqual(down, sorted(down, reverse=True))
        for bad in ("round=-1", "gold=maybe", "from=yesterday", "from=2026-02-01&to=2026-01-01",
                    "label=", "reviewer_id=x"):
            self.assertError(self.world.manager.get(API + "/projects/%d/tasks?%s" % (pid, bad)),
                             400)

    # -- bulk actions ---------------------------------------------------------------------

    def test_bulk_release_discard_priority(self):
        pid = self.project(["one", "two", "three", "four", "five"])
        held = self.claim(self.worker, pid)
        ids = self.tasks(pid)
        open_ids = [i for i in ids if i != held["id"]]
        # Release: the held task goes back to the queue; the open ones are skipped, named.
        r = self.bulk(pid, {"action": "release", "task_ids": ids, "reason": "shift over"})
        self.assertEqual(r.status, 200, r)
        out = r.json()
        self.assertEqual(out["changed"], 1)
        self.assertEqual(sorted(s["id"] for s in out["skipped"]), open_ids)
        self.assertTrue(all(s["code"] == "conflict" for s in out["skipped"]))
        t = self.world.manager.get(API + "/tasks/%d" % held["id"]).json()
        self.assertEqual(t["state"], "open")
        self.assertIsNone(t["worker_id"])
        self.assertEqual(t["events"][-1]["type"], "revoke")
        self.assertEqual(self.claim(self.other, pid)["id"], held["id"])
        # Priority: the last task is claimed first.
        r = self.bulk(pid, {"action": "priority", "task_ids": [ids[-1]], "priority": 50})
        self.assertEqual(r.json()["changed"], 1, r)
        self.assertEqual(self.claim(self.worker, pid)["id"], ids[-1])
        self.assertError(self.bulk(pid, {"action": "priority", "task_ids": [ids[0]]}), 400)
        self.assertError(self.bulk(pid, {"action": "priority", "task_ids": [ids[0]],
                                         "priority": 10 ** 9}), 400)
        # Discard: open tasks leave the work, a leased one is refused by the state machine.
        open_now = self.tasks(pid, "state=open")
        r = self.bulk(pid, {"action": "discard", "task_ids": open_now + [ids[-1], 99999999]})
        out = r.json()
        self.assertEqual(out["changed"], len(open_now), r)
        codes = {s["id"]: s["code"] for s in out["skipped"]}
        self.assertEqual(codes, {ids[-1]: "conflict", 99999999: "not_found"})
        self.assertEqual(self.tasks(pid, "state=discarded"), open_now)
        # Another project's task is not found here; bad calls answer 400; workers get 403.
        other = self.project(["elsewhere"])
        r = self.bulk(pid, {"action": "discard", "task_ids": self.tasks(other)})
        self.assertEqual(r.json()["skipped"][0]["code"], "not_found")
        self.assertEqual(self.tasks(other, "state=open"), self.tasks(other))
        self.assertError(self.bulk(pid, {"action": "explode", "task_ids": ids}), 400)
        self.assertError(self.bulk(pid, {"action": "discard", "task_ids": []}), 400)
        self.assertError(self.bulk(pid, {"action": "discard", "task_ids": ["x"]}), 400)
        self.assertError(self.bulk(pid, {"action": "discard",
                                         "task_ids": list(range(1, 1002))}), 400)
        self.assertError(self.bulk(pid, {"action": "discard", "task_ids": ids},
                                   c=self.worker), 403)
        # Each change is an event of its own.
        n = sqlite_query(self.server.data_dir, "SELECT count(*) FROM events WHERE type ="
                         " 'withdraw' AND project_id = %d" % pid)[0][0]
        self.assertEqual(n, len(open_now))

    def test_bulk_reassign(self):
        pid = self.project(["r1", "r2"])
        held = self.claim(self.worker, pid)
        r = self.bulk(pid, {"action": "reassign", "task_ids": [held["id"]],
                            "worker_id": self.other_id, "reason": "on leave"})
        self.assertEqual(r.json()["changed"], 1, r)
        got = self.world.manager.get(API + "/tasks/%d" % held["id"]).json()
        self.assertEqual((got["state"], got["worker_id"]), ("assigned", self.other_id))
        self.assertEqual(got["events"][-1]["type"], "reassign")
        # The new holder's claim answers it; the old holder's submit is refused.
        self.assertEqual(self.claim(self.other, pid)["id"], held["id"])
        r = self.worker.post(API + "/tasks/%d/submit" % held["id"],
                             {"annotation": {"labels": ["pos"]}})
        self.assertError(r, 409)
        self.submit(self.other, held["id"], "pos")
        # A rework goes to the new worker's queue; back to one who has the item: has_item.
        self.review(held["id"], "reject", "again")
        r = self.bulk(pid, {"action": "reassign", "task_ids": [held["id"]],
                            "worker_id": self.worker_id})
        self.assertEqual(r.json()["changed"], 1, r)
        self.assertEqual(self.claim(self.worker, pid)["id"], held["id"])
        other = self.claim(self.other, pid)
        r = self.bulk(pid, {"action": "reassign", "task_ids": [other["id"], held["id"]],
                            "worker_id": self.worker_id})
        self.assertEqual({s["id"]: s["code"] for s in r.json()["skipped"]},
                         {held["id"]: "has_item"})
        self.assertError(self.bulk(pid, {"action": "reassign", "task_ids": [other["id"]]}), 400)
        outsider, outsider_id = self.world.user("outsider")
        self.assertError(self.bulk(pid, {"action": "reassign", "task_ids": [other["id"]],
                                         "worker_id": outsider_id}), 400)

    def test_gold_filter_pages_in_order(self):
        pid = self.project(["g%d" % i for i in range(7)])
        every = self.tasks(pid)
        items = {t["id"]: t["item_id"] for t in list_all(self.world.manager,
                                                          API + "/projects/%d/tasks" % pid)}
        gold = [every[i] for i in (0, 2, 3, 5, 6)]
        r = self.world.manager.post(API + "/projects/%d/gold" % pid, {"items": [
            {"item_id": items[t], "answer": {"labels": ["pos"]}} for t in gold]})
        self.assertEqual(r.status, 200, r)
        path = API + "/projects/%d/tasks?gold=true" % pid
        self.assertEqual([t["id"] for t in list_all(self.world.manager, path, limit=2)], gold)
        self.assertEqual([t["id"] for t in list_all(self.world.manager, path + "&sort=-id",
                                                    limit=2)], gold[::-1])
        a = self.claim(self.worker, pid)
        self.assertEqual([t["id"] for t in list_all(
            self.world.manager, path + "&state=assigned", limit=2)],
            [a["id"]] if a["id"] in gold else [])
        self.assertEqual(self.tasks(pid, "gold=false"), [every[1], every[4]])

    def test_text_search_through_the_index(self):
        pid = self.project(["Red fox %d" % i for i in range(5)] + ["빨간 여우", "blue whale",
                                                                   'say "red"'])
        every = self.tasks(pid)
        path = API + "/projects/%d/tasks?q=" % pid
        # Three characters or more through the index, fewer by reading the texts: one answer.
        self.assertEqual([t["id"] for t in list_all(self.world.manager, path + "RED", limit=2)],
                         every[:5] + every[7:])
        self.assertEqual(self.tasks(pid, "q=ox%202"), [every[2]])
        self.assertEqual(self.tasks(pid, "q=%EC%97%AC%EC%9A%B0"), [every[5]])  # 여우
        self.assertEqual(self.tasks(pid, "q=%EB%B9%A8%EA%B0%84%20%EC%97%AC"), [every[5]])
        self.assertEqual(self.tasks(pid, "q=%22red%22"), [every[7]])
        self.assertEqual(self.tasks(pid, "q=red&sort=-id"), (every[:5] + every[7:])[::-1])
        # Items imported later are found in the same way.
        self.world.import_texts(pid, ["late red kite"])
        self.assertEqual(len(self.tasks(pid, "q=red%20kite")), 1)

    def test_bulk_by_filter(self):
        pid = self.project(["apple pie", "apple tart", "banana bread", "cherry cake"])
        # A dry run counts what the filter matches, and changes nothing.
        body = {"action": "priority", "priority": 9, "filter": {"q": "apple"}}
        r = self.bulk(pid, dict(body, dry_run=True))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["matching"], 2)
        self.assertEqual(sqlite_query(self.server.data_dir,
                                      "SELECT count(*) FROM tasks WHERE project_id = %d"
                                      " AND priority = 9" % pid), [(0,)])
        r = self.bulk(pid, body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["matching"], r.json()["changed"]), (2, 2))
        apples = self.tasks(pid, "q=apple")
        self.assertEqual(sorted(sqlite_query(
            self.server.data_dir, "SELECT id FROM tasks WHERE project_id = %d AND priority = 9"
            % pid)), [(i,) for i in apples])
        # The filter's fields are the browser's, checked as its query is.
        r = self.bulk(pid, {"action": "discard", "filter": {"state": "open", "gold": False,
                                                             "round": 0}})
        self.assertEqual(r.json()["changed"], 4, r)
        self.assertError(self.bulk(pid, {"action": "discard", "filter": {"colour": "red"}}), 400)
        self.assertError(self.bulk(pid, {"action": "discard", "filter": {"round": -1}}), 400)
        self.assertError(self.bulk(pid, {"action": "discard", "filter": {"state": "open"},
                                         "task_ids": apples}), 400)
        self.assertError(self.bulk(pid, {"action": "discard", "filter": {"state": "open"}}), 400)

    def test_bulk_by_filter_is_capped(self):
        pid = self.project(["many %d" % i for i in range(1001)])
        e = self.assertError(self.bulk(pid, {"action": "discard", "filter": {"q": "many"},
                                             "dry_run": True}), 400)
        self.assertIn("more than 1000", e["message"])
        self.assertError(self.bulk(pid, {"action": "discard", "filter": {}}), 400)
        self.assertEqual(len(self.tasks(pid, "state=discarded")), 0)
        r = self.bulk(pid, {"action": "discard", "filter": {"q": "many 1"}, "dry_run": True})
        self.assertEqual(r.json()["matching"], 1 + 10 + 100 + 1, r)  # 1, 1x, 1xx, 1000

    def balance(self, c):
        items = c.get(API + "/me/balance").json()["balances"]
        return items[0]["balance"] if items else 0

    def funded_approved_task(self, pid):
        """Funds project pid with 1000, then a task of it submitted by the worker and approved
        by the reviewer, which pays 70; returns the task and the worker's balance before."""
        w = self.world
        r = w.admin.post(API + "/orgs/%d/funds" % w.org["id"], {"amount": 1000})
        self.assertEqual(r.status, 201, r)
        r = w.manager.post(API + "/projects/%d/deposits" % pid, {"amount": 1000})
        self.assertEqual(r.status, 201, r)
        before = self.balance(self.worker)
        a = self.claim(self.worker, pid)
        self.submit(self.worker, a["id"], "pos")
        self.review(a["id"], "approve")
        self.assertEqual(self.balance(self.worker), before + 70)
        return a, before

    def undo_approval(self, pid, action, task_id, reason, to):
        """Bulk `action` with `reason` on approved task_id and another task of pid: the approved
        one goes to state `to` with its pay reversed by a posting of its own, the pay's row kept;
        the other is named and left."""
        w = self.world
        self.assertError(self.bulk(pid, {"action": action, "task_ids": [task_id],
                                         "reason": " "}), 400)
        before = self.balance(self.worker)
        other = [t for t in self.tasks(pid) if t != task_id][0]
        r = self.bulk(pid, {"action": action, "task_ids": [task_id, other], "reason": reason})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["action"], r.json()["changed"]), (action, 1))
        self.assertEqual([s["code"] for s in r.json()["skipped"]], ["conflict"])
        got = w.manager.get(API + "/tasks/%d" % task_id).json()
        self.assertEqual(got["state"], to, got)
        self.assertEqual(self.balance(self.worker), before - 70)
        kinds = [e["kind"] for e in list_all(self.worker, API + "/me/ledger")
                 if e["task_id"] == task_id]
        self.assertEqual(sorted(kinds), ["pay", "pay_reversal"])
        budget = w.manager.get(API + "/projects/%d/budget" % pid).json()
        self.assertEqual(budget["paid_to_workers"], 0)
        self.assertTrue(w.admin.get(API + "/ledger/check").json()["ok"])
        return budget

    def test_bulk_rework_reverses_pay(self):
        w = self.world
        pid = self.project(["rework me", "leave me"], price=70)
        a, before = self.funded_approved_task(pid)
        self.assertError(self.bulk(pid, {"action": "rework", "task_ids": [a["id"]]}), 400)
        # Back to its worker as rejected with the reason.
        budget = self.undo_approval(pid, "rework", a["id"], "the fox is not positive", "rework")
        self.assertEqual(budget["balance"], 1000)
        again = self.claim(self.worker, pid)
        self.assertEqual(again["id"], a["id"])
        self.assertEqual(again["last_rejection"]["reason"], "the fox is not positive")
        self.submit(self.worker, a["id"], "neg")
        self.review(a["id"], "approve")
        self.assertEqual(self.balance(self.worker), before + 70)
        # An approved task whose pay was paid out is named and left as it is.
        r = self.worker.post(API + "/me/payouts", {"amount": self.balance(self.worker)})
        self.assertEqual(r.status, 201, r)
        r = self.bulk(pid, {"action": "rework", "task_ids": [a["id"]], "reason": "again"})
        self.assertEqual([s["code"] for s in r.json()["skipped"]], ["paid_out"])
        self.assertEqual(w.manager.get(API + "/tasks/%d" % a["id"]).json()["state"], "approved")

    def test_bulk_review_again_reverses_pay_for_another_reviewer(self):
        w = self.world
        second, second_id = w.user("reviewer2")
        pid = self.project(["look again", "leave me"], price=70, reviewer_fee=5)
        w.add_member(pid, second_id, "reviewer")
        a, before = self.funded_approved_task(pid)
        # Waiting for review again with its answer as it was, and live work for the budget.
        self.undo_approval(pid, "review_again", a["id"], "the fox may be negative", "submitted")
        rounds = w.manager.get(API + "/tasks/%d/annotations" % a["id"]).json()
        self.assertEqual([(v["decision"], v.get("reason")) for v in rounds["reviews"]][-1],
                         ("review_again", "the fox may be negative"))
        # The reviewer who approved it is passed over for the other one, whose approval pays
        # the worker again and earns them the fee of their own review.
        r = self.reviewer.post(API + "/projects/%d/reviews/next" % pid)
        self.assertEqual(r.status, 204, r)
        r = second.post(API + "/projects/%d/reviews/next" % pid)
        self.assertEqual(r.json()["id"], a["id"], r)
        r = second.post(API + "/tasks/%d/review" % a["id"], {"decision": "approve"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.balance(self.worker), before + 70)
        self.assertEqual(self.balance(second), 5)
        # Again: every reviewer has approved it once, so any of them may decide it now, and a
        # rejection sends it to rework.
        r = self.bulk(pid, {"action": "review_again", "task_ids": [a["id"]], "reason": "once more"})
        self.assertEqual(r.json()["changed"], 1, r)
        self.review(a["id"], "reject", "it is negative")
        self.assertEqual(w.manager.get(API + "/tasks/%d" % a["id"]).json()["state"], "rework")
        self.assertEqual(self.balance(self.worker), before)
        again = self.claim(self.worker, pid)
        self.assertEqual(again["id"], a["id"])
        self.assertEqual(again["last_rejection"]["reason"], "it is negative")
        self.assertTrue(w.admin.get(API + "/ledger/check").json()["ok"])

    def test_bulk_release_of_a_review(self):
        pid = self.project(["reviewed"])
        t = self.claim(self.worker, pid)
        self.submit(self.worker, t["id"], "pos")
        r = self.reviewer.post(API + "/projects/%d/reviews/next" % pid)
        self.assertEqual(r.json()["id"], t["id"])
        r = self.bulk(pid, {"action": "release", "task_ids": [t["id"]]})
        self.assertEqual(r.json()["changed"], 1, r)
        got = self.world.manager.get(API + "/tasks/%d" % t["id"]).json()
        self.assertEqual((got["state"], got["reviewer_id"]), ("submitted", None))
        # The reviewer's lease is gone: their decision is refused.
        r = self.reviewer.post(API + "/tasks/%d/review" % t["id"], {"decision": "approve"})
        self.assertError(r, 409)

    # -- rounds ---------------------------------------------------------------------------

    def test_rounds_with_reasons(self):
        pid = self.project(["round trip"])
        t = self.claim(self.worker, pid)
        self.submit(self.worker, t["id"], "pos")
        self.review(t["id"], "reject", "it is negative")
        self.claim(self.worker, pid)
        self.submit(self.worker, t["id"], "neg")
        r = self.reviewer.get(API + "/tasks/%d/annotations" % t["id"])
        self.assertEqual(r.status, 200, r)
        out = r.json()
        self.assertEqual([(a["round"], a["source"], a["annotation"]) for a in out["annotations"]],
                         [(1, "submit", {"labels": ["pos"]}), (2, "submit", {"labels": ["neg"]})])
        self.assertEqual(out["annotations"][0]["author_id"], self.worker_id)
        rev = out["reviews"]
        self.assertEqual(len(rev), 1)
        self.assertEqual((rev[0]["decision"], rev[0]["reason"], rev[0]["round"],
                          rev[0]["reviewer_id"]),
                         ("reject", "it is negative", 1, self.reviewer_id))
        # Its worker may read it; another worker may not learn it exists.
        self.assertEqual(self.worker.get(API + "/tasks/%d/annotations" % t["id"]).status, 200)
        self.assertError(self.other.get(API + "/tasks/%d/annotations" % t["id"]), 404)
        # Another org's manager: 404.
        outsider, _ = self.world.user("outsider")
        self.assertError(outsider.get(API + "/tasks/%d/annotations" % t["id"]), 404)

    def test_honeypot_reads_as_a_submission(self):
        p = self.world.project(labels=["pos", "neg", "neu"])
        pid = p["id"]
        self.world.add_member(pid, self.worker_id, "worker")
        self.world.add_member(pid, self.reviewer_id, "reviewer")
        self.world.import_texts(pid, ["real one"])
        r = self.world.manager.patch(API + "/projects/%d/quality-settings" % pid,
                                     {"honeypot_rate": 1.0})
        self.assertEqual(r.status, 200, r)
        r = self.world.manager.post(API + "/projects/%d/gold" % pid,
                                    {"items": [{"text": "gold one", "answer": {"labels": ["pos"]}}]})
        self.assertEqual(r.status, 200, r)
        t = self.claim(self.worker, pid)
        self.submit(self.worker, t["id"], "pos")
        r = self.reviewer.post(API + "/projects/%d/reviews/next" % pid)
        self.assertEqual(r.status, 200, r)
        hp = r.json()["id"]
        self.assertNotEqual(hp, t["id"], "the review claim is the honeypot")
        out = self.reviewer.get(API + "/tasks/%d/annotations" % hp).json()
        self.assertEqual(len(out["annotations"]), 1)
        planted = out["annotations"][0]
        real = self.world.manager.get(API + "/tasks/%d/annotations" % t["id"]).json()
        self.assertEqual(set(planted), set(real["annotations"][0]))
        self.assertEqual(planted["source"], "submit")
        self.assertNotIn("honeypot", r.body.decode() + str(out))

    # -- a worker's own --------------------------------------------------------------------

    def test_left_and_reopen(self):
        pid = self.project(["l1", "l2", "l3"])
        left = lambda c: c.get(API + "/projects/%d/tasks/left" % pid).json()["left"]
        self.assertEqual(left(self.worker), 3)
        t = self.claim(self.worker, pid)
        self.assertEqual(left(self.worker), 3, "the live lease is still mine to do")
        self.submit(self.worker, t["id"], "pos")
        self.assertEqual(left(self.worker), 2)
        self.assertEqual(left(self.other), 2)
        outsider, _ = self.world.user("outsider")
        self.assertError(outsider.get(API + "/projects/%d/tasks/left" % pid), 404)
        # Only its worker may take it back.
        self.assertError(self.other.post(API + "/tasks/%d/reopen" % t["id"]), 409, "not_yours")
        r = self.worker.post(API + "/tasks/%d/reopen" % t["id"])
        self.assertEqual(r.status, 200, r)
        got = r.json()
        self.assertEqual((got["state"], got["round"], got["worker_id"]),
                         ("assigned", 0, self.worker_id))
        self.assertEqual(got["annotation"], {"labels": ["pos"]})
        self.assertEqual(self.reviewer.post(API + "/projects/%d/reviews/next" % pid).status, 204)
        self.submit(self.worker, t["id"], "neg")
        rounds = self.world.manager.get(API + "/tasks/%d/annotations" % t["id"]).json()
        self.assertEqual([(a["round"], a["source"]) for a in rounds["annotations"]],
                         [(1, "withdrawn"), (1, "submit")])
        # Once a reviewer holds it, it cannot be taken back.
        self.assertEqual(self.reviewer.post(API + "/projects/%d/reviews/next" % pid).status, 200)
        self.assertError(self.worker.post(API + "/tasks/%d/reopen" % t["id"]), 409, "under_review")
        counts = sqlite_query(self.server.data_dir, "SELECT submissions, tasks_submitted FROM"
                              " worker_counts WHERE user_id = %d AND project_id = %d"
                              % (self.worker_id, pid))
        self.assertEqual(counts, [(2, 1)])

    # -- what an export holds ----------------------------------------------------------------

    def label_all(self, c, pid):
        while True:
            r = c.post(API + "/projects/%d/tasks/next" % pid)
            if r.status == 204:
                return
            self.assertEqual(r.status, 200, r)
            tid = r.json()["id"]
            self.submit(c, tid, "pos")
            self.review(tid, "approve")

    def summary(self, pid, query=""):
        r = self.world.manager.get(API + "/projects/%d/export/summary%s" % (pid, query))
        self.assertEqual(r.status, 200, r)
        out = r.json()
        return out["rows"], {x["reason"]: x["tasks"] for x in out["left_out"]}

    def test_export_summary_names_what_is_left_out(self):
        pid = self.project(["only real item"])
        r = self.world.manager.patch(API + "/projects/%d/quality-settings" % pid,
                                     {"gold_rate": 1.0})
        self.assertEqual(r.status, 200, r)
        r = self.world.manager.post(API + "/projects/%d/gold" % pid,
                                    {"items": [{"text": "gold %d" % i,
                                                "answer": {"labels": ["pos"]}} for i in range(3)]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.summary(pid), (0, {}))
        self.label_all(self.worker, pid)
        gold = len(self.tasks(pid, "gold=true&state=approved"))
        self.assertGreaterEqual(gold, 1)
        self.assertEqual(self.summary(pid), (1, {"gold": gold}))
        self.assertEqual(self.summary(pid, "?for=dataset"), (1, {"gold": gold}))
        # The count is the export's: its lines are the rows.
        r = self.world.manager.get(API + "/projects/%d/export?format=jsonl" % pid)
        self.assertEqual(len(r.body.splitlines()), 1)

        # Overlap: an item counts once all its annotators are done.
        pid = self.project(["overlapped"], overlap=2)
        self.label_all(self.worker, pid)
        self.assertEqual(self.summary(pid), (0, {"unfinished_overlap": 1}))
        self.assertEqual(self.summary(pid, "?answers=all"), (1, {}))
        r = self.world.manager.get(API + "/projects/%d/export?format=jsonl" % pid)
        self.assertEqual(r.body.strip(), b"")
        self.label_all(self.other, pid)
        self.assertEqual(self.summary(pid), (1, {}))
        self.assertEqual(self.summary(pid, "?answers=all"), (2, {}))
        for bad in ("?answers=some", "?for=zip", "?for=dataset&answers=all"):
            self.assertError(self.world.manager.get(
                API + "/projects/%d/export/summary%s" % (pid, bad)), 400)
        self.assertError(self.worker.get(API + "/projects/%d/export/summary" % pid), (403, 404))

    # -- members ----------------------------------------------------------------------------

    def test_remove_member(self):
        pid = self.project(["m1", "m2"])
        t = self.claim(self.other, pid)
        r = self.world.manager.request("DELETE", API + "/projects/%d/members/%d"
                                       % (pid, self.other_id))
        self.assertEqual(r.status, 204, r)
        members = [m["user_id"] for m in
                   self.world.manager.get(API + "/projects/%d/members" % pid).json()["items"]]
        self.assertNotIn(self.other_id, members)
        got = self.world.manager.get(API + "/tasks/%d" % t["id"]).json()
        self.assertEqual((got["state"], got["worker_id"]), ("open", None))
        self.assertIn(self.other.post(API + "/projects/%d/tasks/next" % pid).status, (403, 404))
        self.assertError(self.world.manager.request(
            "DELETE", API + "/projects/%d/members/%d" % (pid, self.other_id)), 404)
        self.assertError(self.worker.request(
            "DELETE", API + "/projects/%d/members/%d" % (pid, self.worker_id)), 403)


if __name__ == "__main__":
    main()
