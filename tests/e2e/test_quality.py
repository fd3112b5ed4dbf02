"""Quality and workforce over HTTP: gold answers never reach a worker, gold scoring, review
honeypots, audits with Wilson intervals, consensus and agreement, promotion and demotion at their
thresholds, fair pay, matching, and a simulated crowd whose spammer and careless reviewer the
figures must find while the audited quality of approved data stays at 99% or more."""
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, ServerTestCase, main, make_users, sqlite_query  # noqa: E402

SECRET = "EXPLAIN-SECRET-7f3a"


def nxt(c, pid):
    return c.post(API + "/projects/%d/tasks/next" % pid)


def submit(c, tid, ann):
    return c.post(API + "/tasks/%d/submit" % tid, {"annotation": ann})


def rnext(c, pid):
    return c.post(API + "/projects/%d/reviews/next" % pid)


def review(c, tid, decision, reason="wrong label"):
    body = {"decision": decision}
    if decision == "reject":
        body["reason"] = reason
    return c.post(API + "/tasks/%d/review" % tid, body)


class QualityTest(ServerTestCase):
    server_args = ("--min-wage", "10320")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = make_users(cls.world, "qw", 12)

    def proj(self, workers=(), reviewers=(), settings=None, texts=(), **kw):
        w = self.world
        p = w.project(**kw)
        for uid in workers:
            w.add_member(p["id"], uid, "worker")
        for uid in reviewers:
            w.add_member(p["id"], uid, "reviewer")
        if settings:
            r = w.manager.patch(API + "/projects/%d/quality-settings" % p["id"], settings)
            self.assertEqual(r.status, 200, r)
        if texts:
            w.import_texts(p["id"], list(texts))
        return p

    def gold(self, pid, entries):
        r = self.world.manager.post(API + "/projects/%d/gold" % pid, {"items": entries})
        self.assertEqual(r.status, 200, r)
        return r.json()["item_ids"]

    # -- gold ---------------------------------------------------------------------------

    def test_items_only_through_own_tasks(self):
        """A worker reads an item, a gold one or any, only through a task of theirs (the task's
        item and GET /tasks/{id}/asset), never by id: looking gold items up by id would tell
        them which tasks are gold."""
        (w, wid) = self.users[2]
        p = self.proj(workers=[wid], texts=["an item to label", "another item"])
        pid = p["id"]
        gold_ids = self.gold(pid, [{"text": "a gold sentence by id", "answer": {"labels": ["pos"]}}])
        t = nxt(w, pid).json()
        mine = t["item_id"]
        self.assertEqual(w.get(API + "/tasks/%d/asset" % t["id"]).body.decode(),
                         t["item"]["text"])
        items = [i["id"] for i in self.world.manager.get(
            API + "/projects/%d/items" % pid).json()["items"]]
        for path in ("/items/%d", "/items/%d/asset"):
            for other in gold_ids + items:
                with self.subTest(path=path, item=other):
                    self.assertError(w.get(API + path % other), 404)
                    self.assertEqual(self.world.manager.get(API + path % other).status, 200)

    def test_gold_never_leaks(self):
        (w, wid), (rv, rid) = self.users[0], self.users[1]
        p = self.proj(workers=[wid], reviewers=[rid], kind="text_spans", labels=["PER", "LOC"],
                      settings={"gold_rate": 1.0}, texts=["plain text one", "plain text two"])
        pid = p["id"]
        answer = {"spans": [{"start": 7, "end": 13, "label": "LOC"}]}
        ids = self.gold(pid, [{"text": "gold sentence number %d here" % i, "answer": answer,
                               "explanation": SECRET} for i in range(3)])
        responses = []

        def grab(r):
            responses.append(r)
            return r

        gold_tasks = []
        for _ in range(3):
            r = grab(nxt(w, pid))
            self.assertEqual(r.status, 200, r)
            t = r.json()
            if t["item_id"] in ids:
                gold_tasks.append(t["id"])
            grab(w.get(API + "/tasks/%d" % t["id"]))
            grab(w.get(API + "/items/%d" % t["item_id"]))
            grab(w.get(API + "/items/%d/asset" % t["item_id"]))
            grab(submit(w, t["id"], {"spans": []}))
            grab(w.get(API + "/tasks/%d" % t["id"]))
        self.assertGreaterEqual(len(gold_tasks), 1)
        for path in ("/me", "/me/projects", "/projects", "/projects/%d" % pid, "/me/quality",
                     "/me/matches", "/me/balance", "/me/ledger", "/courses",
                     "/me/qualifications", "/projects/%d/items" % pid,
                     "/projects/%d/gold" % pid, "/projects/%d/export" % pid,
                     "/projects/%d/quality" % pid, "/projects/%d/consensus" % pid,
                     "/projects/%d/tasks" % pid, "/projects/%d/quality-settings" % pid,
                     "/projects/%d/audits" % pid):
            grab(w.get(API + path))
        for r in responses:
            body = r.body.decode(errors="replace")
            self.assertNotIn(SECRET, body, r)
            self.assertNotRegex(body, r'"start":\s*7,\s*"end":\s*13', r)
        # Workers are refused the gold list itself; managers see it.
        self.assertIn(w.get(API + "/projects/%d/gold" % pid).status, (403, 404))
        g = self.world.manager.get(API + "/projects/%d/gold" % pid).json()["items"]
        self.assertEqual(g[0]["answer"], answer)
        self.assertEqual(g[0]["explanation"], SECRET)
        # The wrong answers were scored.
        q = self.world.manager.get(API + "/projects/%d/quality" % pid).json()
        me = [x for x in q["workers"] if x["user_id"] == wid][0]
        self.assertEqual(me["gold_accuracy"]["n"], len(gold_tasks))
        self.assertEqual(me["gold_accuracy"]["k"], 0)

    def test_gold_answers_validated(self):
        p = self.proj(kind="text_class", labels=["pos", "neg"])
        r = self.world.manager.post(API + "/projects/%d/gold" % p["id"],
                                    {"items": [{"text": "x", "answer": {"labels": ["cat"]}}]})
        self.assertError(r, 422)
        r = self.world.manager.post(API + "/projects/%d/gold" % p["id"],
                                    {"items": [{"text": "x"}]})
        self.assertError(r, 422)
        r = self.world.manager.post(API + "/projects/%d/gold" % p["id"], {"items": []})
        self.assertError(r, 400)

    # -- honeypots, audits, demotion ------------------------------------------------------

    def test_honeypots_and_demotion(self):
        (w, wid), (good, gid), (bad, bid) = self.users[2], self.users[3], self.users[4]
        p = self.proj(workers=[wid], reviewers=[gid, bid], labels=["pos", "neg", "neu"],
                      settings={"honeypot_rate": 1.0, "demote_min_checks": 3,
                                "demote_below": 0.8, "auto_promote": False},
                      texts=["hp %d" % i for i in range(10)])
        pid = p["id"]
        self.gold(pid, [{"text": "hp gold %d" % i, "answer": {"labels": ["pos"]}}
                        for i in range(5)])
        for _ in range(6):
            t = nxt(w, pid).json()
            self.assertEqual(submit(w, t["id"], {"labels": ["pos"]}).status, 200)
        # Every review claim is a honeypot now: a planted error on a gold item.
        seen = 0
        for _ in range(3):
            t = rnext(good, pid).json()
            # It passes for the worker's submission: their id, their claim and submit before
            # the review claim, in the order of their times.
            self.assertEqual(t["worker_id"], wid)
            self.assertNotEqual(t["annotation"], {"labels": ["pos"]})
            full = good.get(API + "/tasks/%d" % t["id"]).json()
            events = [(e["type"], e["actor_id"]) for e in full["events"]]
            self.assertEqual(events[:2], [("claim", wid), ("submit", wid)], events)
            self.assertEqual(events[2], ("review_claim", gid), events)
            times = [e["at"] for e in full["events"]]
            self.assertEqual(times, sorted(times))
            r = review(good, t["id"], "reject")
            self.assertEqual(r.status, 200, r)
            seen += 1
        for i in range(3):
            r = rnext(bad, pid)
            self.assertEqual(r.status, 200, r)
            r = review(bad, r.json()["id"], "approve")
            self.assertEqual(r.status, 200, r)
        # Three misses of three checks: demoted, with an event carrying the figures.
        self.assertEqual(rnext(bad, pid).status, 403)
        changes = self.world.manager.get(API + "/projects/%d/role-changes" % pid).json()["items"]
        self.assertEqual([(c["user_id"], c["change"]) for c in changes], [(bid, "demote")])
        self.assertEqual(changes[0]["figures"]["honeypots"], 3)
        self.assertEqual(changes[0]["figures"]["accuracy"], 0)
        q = self.world.manager.get(API + "/projects/%d/quality" % pid).json()
        revs = {r["user_id"]: r for r in q["reviewers"]}
        self.assertEqual(revs[gid]["honeypots_caught"], 3)
        self.assertEqual(revs[gid]["accuracy"]["p"], 1.0)
        self.assertEqual(revs[bid]["accuracy"]["k"], 0)
        self.assertIn("careless_reviewer", revs[bid]["flags"])
        self.assertEqual(q["honeypots"], {"decided": 6, "caught": 3})
        # The worker's own list of tasks holds their six, never a honeypot.
        mine = self.world.manager.get(API + "/projects/%d/tasks?worker_id=%d&limit=500"
                                      % (pid, wid)).json()["items"]
        self.assertEqual(len(mine), 6)
        # Honeypots never count as the project's approved data.
        tasks = sqlite_query(self.server.data_dir, "SELECT count(*) FROM tasks t JOIN honeypots h"
                             " ON h.task_id = t.id WHERE t.state <> 'discarded'")
        self.assertEqual(tasks[0][0], 0)

    def test_audit_wilson_and_audit_demotion(self):
        (w, wid), (rv, rid) = self.users[5], self.users[6]
        p = self.proj(workers=[wid], reviewers=[rid], texts=["au %d" % i for i in range(12)],
                      settings={"demote_min_checks": 10, "demote_below": 0.9,
                                "auto_promote": False})
        pid = p["id"]
        for _ in range(12):
            t = nxt(w, pid).json()
            submit(w, t["id"], {"labels": ["pos"]})
            t = rnext(rv, pid).json()
            self.assertEqual(review(rv, t["id"], "approve").status, 200)
        r = self.world.manager.post(API + "/projects/%d/audits" % pid, {"size": 10})
        self.assertEqual(r.status, 201, r)
        audit = r.json()
        self.assertEqual(audit["size"], 10)
        self.assertEqual(len(audit["items"]), 10)
        self.assertIn(w.post(API + "/audits/%d/tasks/%d" % (audit["id"],
                                                          audit["items"][0]["task_id"]),
                             {"verdict": "correct"}).status, (403, 404))
        for i, item in enumerate(audit["items"]):
            r = self.world.manager.post(API + "/audits/%d/tasks/%d" % (audit["id"],
                                                                     item["task_id"]),
                                        {"verdict": "incorrect" if i < 2 else "correct"})
            self.assertEqual(r.status, 200, r)
        q = self.world.manager.get(API + "/projects/%d/quality" % pid).json()
        est = q["estimated_quality"]
        self.assertEqual((est["k"], est["n"]), (8, 10))
        # Wilson 95% for 8/10: 0.4902 - 0.9433.
        self.assertAlmostEqual(est["lo"], 0.4902, places=3)
        self.assertAlmostEqual(est["hi"], 0.9433, places=3)
        self.assertEqual(q["summary"], "80.0% (49.0\u201394.3), n=10")
        # 8 of 10 audited approvals correct is under 90%: the reviewer is demoted.
        changes = self.world.manager.get(API + "/projects/%d/role-changes" % pid).json()["items"]
        self.assertEqual([c["change"] for c in changes if c["user_id"] == rid], ["demote"])
        # Another audit samples only what was not audited.
        r = self.world.manager.post(API + "/projects/%d/audits" % pid, {"size": 10})
        self.assertEqual(r.json()["size"], 2)
        second = r.json()["id"]
        r = self.world.manager.post(API + "/projects/%d/audits" % pid, {"size": 10})
        self.assertError(r, 409, "nothing_to_audit")
        # Audits list newest first a page at a time, or oldest first when asked.
        audits = API + "/projects/%d/audits" % pid
        page = self.world.manager.get(audits + "?limit=1").json()
        self.assertEqual([a["id"] for a in page["items"]], [second])
        page = self.world.manager.get(audits + "?limit=1&cursor=" + page["next_cursor"]).json()
        self.assertEqual([a["id"] for a in page["items"]], [audit["id"]])
        self.assertIsNone(page["next_cursor"])
        page = self.world.manager.get(audits + "?sort=id").json()
        self.assertEqual([a["id"] for a in page["items"]], [audit["id"], second])
        self.assertError(self.world.manager.get(audits + "?sort=size"), 400, "unknown_sort")

    # -- promotion -----------------------------------------------------------------------

    def test_promotion_threshold(self):
        (w, wid), (rv, rid) = self.users[7], self.users[8]
        p = self.proj(workers=[wid], reviewers=[rid], texts=["pr %d" % i for i in range(6)],
                      settings={"promote_min_approved": 4, "promote_min_first_pass": 0.75})
        pid = p["id"]

        def one(decision):
            t = nxt(w, pid).json()
            submit(w, t["id"], {"labels": ["pos"]})
            t = rnext(rv, pid).json()
            self.assertEqual(review(rv, t["id"], decision).status, 200)

        one("reject")          # round 1 of a task rejected: it will not be first-pass
        for _ in range(3):
            one("approve")     # 3 approved, all first pass
        self.assertEqual(rnext(w, pid).status, 403)  # not yet a reviewer
        one("approve")         # the reworked task: 4 approved, 3 first pass = 75%
        changes = self.world.manager.get(API + "/projects/%d/role-changes" % pid).json()["items"]
        self.assertEqual([(c["user_id"], c["change"]) for c in changes], [(wid, "promote")])
        f = changes[0]["figures"]
        self.assertEqual((f["approved"], f["first_pass"]), (4, 3))
        self.assertIn(rnext(w, pid).status, (200, 204))
        members = self.world.manager.get(API + "/projects/%d/members" % pid).json()["items"]
        self.assertEqual([m["role"] for m in members if m["user_id"] == wid], ["reviewer"])
        ev = sqlite_query(self.server.data_dir, "SELECT type, from_state, to_state FROM events"
                          " WHERE project_id = %d AND type = 'promote'" % pid)
        self.assertEqual(ev, [("promote", "worker", "reviewer")])

    def test_promotion_counts_gold_answers(self):
        # Two workers label the same mix of gold and real items and have the same approvals;
        # the one who misses a gold answer stays a worker.
        outcome = {}
        for (w, wid), (rv, rid), miss in ((self.users[5], self.users[6], False),
                                          (self.users[7], self.users[8], True)):
            p = self.proj(workers=[wid], reviewers=[rid], texts=["pg %d" % i for i in range(3)],
                          settings={"gold_rate": 1.0, "promote_min_approved": 2,
                                    "promote_min_first_pass": 0.5, "promote_min_gold": 1.0,
                                    "promote_min_gold_answers": 2})
            pid = p["id"]
            gold = set(self.gold(pid, [{"text": "gold pg %d" % i, "answer": {"labels": ["pos"]}}
                                       for i in range(2)]))
            golds = 0
            while True:
                r = nxt(w, pid)
                if r.status == 204 or rnext(w, pid).status != 403:
                    break
                t = r.json()
                wrong = miss and t["item_id"] in gold and golds == 0
                golds += t["item_id"] in gold
                self.assertEqual(submit(w, t["id"], {"labels": ["neg" if wrong else "pos"]})
                                 .status, 200)
                t = rnext(rv, pid)
                if t.status == 200:
                    self.assertEqual(review(rv, t.json()["id"], "approve").status, 200)
            self.assertEqual(golds, 2)
            changes = self.world.manager.get(
                API + "/projects/%d/role-changes" % pid).json()["items"]
            outcome[miss] = [(c["user_id"], c["figures"]) for c in changes]
            counts = sqlite_query(self.server.data_dir, "SELECT gold_answers, gold_correct"
                                  " FROM worker_counts WHERE user_id = %d AND project_id = %d"
                                  % (wid, pid))
            self.assertEqual(counts, [(2, 1 if miss else 2)])
        promoted = outcome[False]
        self.assertEqual(len(promoted), 1, promoted)
        self.assertEqual(promoted[0][0], self.users[5][1])
        self.assertEqual((promoted[0][1]["gold_answers"], promoted[0][1]["gold_correct"]), (2, 2))
        self.assertEqual(outcome[True], [])

    # -- consensus -----------------------------------------------------------------------

    def test_consensus_and_agreement(self):
        ws = self.users[9:12]
        p = self.proj(workers=[u for _, u in ws], texts=["cs one", "cs two"], overlap=3,
                      review_policy="sample", review_rate=0.000001,
                      labels=["pos", "neg"])
        pid = p["id"]
        votes = {0: ["pos", "pos", "neg"], 1: ["neg", "neg", "neg"]}
        order = {}
        for i, (c, uid) in enumerate(ws):
            for _ in range(2):
                t = nxt(c, pid).json()
                item = 0 if t["item"]["text"] == "cs one" else 1
                r = submit(c, t["id"], {"labels": [votes[item][i]]})
                self.assertEqual(r.status, 200, r)
                order.setdefault(item, []).append(uid)
        cons = self.world.manager.get(API + "/projects/%d/consensus" % pid).json()["items"]
        self.assertEqual(len(cons), 2)
        by_item = {c["item_id"]: c for c in cons}
        first, second = sorted(by_item)
        self.assertEqual(by_item[first]["consolidated"], {"labels": ["pos"]})
        self.assertEqual(by_item[first]["text"], "cs one")
        self.assertAlmostEqual(by_item[first]["agreement"], 2 / 3)
        self.assertEqual(by_item[second]["consolidated"], {"labels": ["neg"]})
        self.assertTrue(by_item[first]["complete"])
        # A page at a time: each item once, though each has three approved tasks.
        paged, cursor = [], None
        while True:
            url = API + "/projects/%d/consensus?limit=1" % pid
            page = self.world.manager.get(url + ("&cursor=" + cursor if cursor else "")).json()
            paged += [(c["item_id"], c["annotations"]) for c in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(paged, [(first, 3), (second, 3)])
        ag = self.world.manager.get(API + "/projects/%d/agreement" % pid).json()
        # Units (pos,pos,neg) and (neg,neg,neg): D_o = 2, n = 6, n_pos = 2, n_neg = 4:
        # alpha = 1 - 5 * 2 / (36 - 20) = 0.375.
        self.assertAlmostEqual(ag["alpha"], 0.375)
        self.assertEqual(ag["items_with_overlap"], 2)
        per = {w["user_id"]: w["agreement"] for w in ag["workers"]}
        self.assertEqual(per[ws[2][1]], 0.5)
        self.assertEqual(per[ws[0][1]], 1.0)

    def test_exports_hold_consolidated_answers_and_no_gold(self):
        ws = self.users[9:12]
        p = self.proj(workers=[u for _, u in ws], texts=["cx one", "cx two", "cx three"],
                      overlap=3, review_policy="sample", review_rate=0.000001,
                      labels=["pos", "neg"], settings={"gold_rate": 1.0})
        pid = p["id"]
        self.gold(pid, [{"text": "cx gold", "answer": {"labels": ["neg"]}}])
        votes = {"cx one": ["pos", "pos", "neg"], "cx two": ["neg", "neg", "neg"],
                 "cx three": ["pos", None, None]}
        seen_gold = 0
        for i, (c, uid) in enumerate(ws):
            while True:
                r = nxt(c, pid)
                if r.status == 204:
                    break
                t = r.json()
                text = t["item"]["text"]
                if text == "cx gold":
                    seen_gold += 1
                    label = "neg"
                else:
                    label = votes[text][i]
                if label is None:  # item three stays unfinished
                    r = c.post(API + "/tasks/%d/release" % t["id"])
                    self.assertEqual(r.status, 200, r)
                    continue
                r = submit(c, t["id"], {"labels": [label]})
                self.assertEqual(r.status, 200, r)
        self.assertEqual(seen_gold, 3)
        m = self.world.manager

        def jsonl(path):
            r = m.get(API + path)
            self.assertEqual(r.status, 200, r)
            return [json.loads(line) for line in r.body.decode().splitlines() if line]

        rows = jsonl("/projects/%d/export?format=jsonl" % pid)
        # One row per finished item, holding the majority; gold and the unfinished item absent.
        self.assertEqual(sorted(x["text"] for x in rows), ["cx one", "cx two"])
        by_text = {x["text"]: x for x in rows}
        self.assertEqual(by_text["cx one"]["annotation"], {"labels": ["pos"]})
        self.assertEqual(by_text["cx one"]["annotators"], 3)
        self.assertAlmostEqual(by_text["cx one"]["agreement"], 2 / 3)
        self.assertIsNone(by_text["cx one"]["worker_id"])
        self.assertEqual(by_text["cx two"]["annotation"], {"labels": ["neg"]})
        self.assertAlmostEqual(by_text["cx two"]["agreement"], 1.0)
        # Every annotator's own answer on request: 3 + 3 + 1, still without gold.
        raw = jsonl("/projects/%d/export?format=jsonl&answers=all" % pid)
        self.assertEqual(len(raw), 7)
        self.assertNotIn("cx gold", [x["text"] for x in raw])
        self.assertEqual(sorted(x["annotation"]["labels"][0] for x in raw
                                if x["text"] == "cx one"), ["neg", "pos", "pos"])
        csv_text = m.get(API + "/projects/%d/export?format=csv" % pid).body.decode()
        self.assertEqual(len(csv_text.strip().splitlines()), 3)
        self.assertNotIn("cx gold", csv_text)
        r = m.get(API + "/projects/%d/export?format=jsonl&answers=some" % pid)
        self.assertEqual(r.status, 400, r)
        # A version seals the same consolidated rows.
        r = m.post(API + "/projects/%d/datasets" % pid, {})
        self.assertEqual(r.status, 201, r)
        ds = r.json()
        self.assertEqual((ds["rows"], ds["items"]), (2, 2))
        self.assertEqual(ds["counts"]["labels"], {"pos": 1, "neg": 1})
        vrows = jsonl("/datasets/%d/export?format=jsonl" % ds["id"])
        self.assertEqual({x["text"]: (x["annotation"], x["annotators"]) for x in vrows},
                         {"cx one": ({"labels": ["pos"]}, 3), "cx two": ({"labels": ["neg"]}, 3)})
        r = m.get(API + "/datasets/%d/export?format=jsonl&answers=all" % ds["id"])
        self.assertEqual(r.status, 400, r)

    # -- fair pay and matching -----------------------------------------------------------

    def test_fair_pay_and_matching(self):
        (w, wid), (rv, rid) = self.users[0], self.users[1]
        cheap = self.proj(workers=[wid], reviewers=[rid], price=1, reviewer_fee=2,
                          texts=["fp %d" % i for i in range(3)])
        for _ in range(3):
            t = nxt(w, cheap["id"]).json()
            time.sleep(0.5)
            submit(w, t["id"], {"labels": ["pos"]})
            t = rnext(rv, cheap["id"]).json()
            review(rv, t["id"], "approve")
        fp = self.world.manager.get(API + "/projects/%d/fair-pay" % cheap["id"]).json()
        self.assertEqual(fp["min_wage"], 10320)
        self.assertTrue(fp["below_min_wage"], fp)
        me = [x for x in fp["workers"] if x["user_id"] == wid][0]
        self.assertEqual(me["approved"], 3)
        self.assertGreaterEqual(me["active_seconds"], 0.7)
        # 1 per 0.5 s or more is at most 7200 an hour; the suggested price makes the median
        # worker's pace earn the minimum wage.
        self.assertGreater(fp["suggested_price"], 0)
        self.assertLessEqual(fp["suggested_price"], 10320 * me["active_seconds"] / 3 / 3600 + 1)
        rich = self.proj(workers=[wid], price=10 ** 7, texts=["rich"])
        fp = self.world.manager.get(API + "/projects/%d/fair-pay" % rich["id"]).json()
        self.assertFalse(fp["below_min_wage"])
        # Matching: both projects are listed for the worker with their figures, best first.
        m = w.get(API + "/me/matches").json()["items"]
        ids = [x["project_id"] for x in m]
        self.assertIn(cheap["id"], ids)
        self.assertIn(rich["id"], ids)
        scores = [x["score"] for x in m]
        self.assertEqual(scores, sorted(scores, reverse=True))
        top = [x for x in m if x["project_id"] == cheap["id"]][0]
        self.assertEqual(top["figures"]["approved"] >= 3, True)
        # Open tasks: none left in the cheap project, its one in the rich one.
        self.assertEqual(top["figures"]["open_tasks"], 0)
        self.assertEqual([x for x in m if x["project_id"] == rich["id"]][0]["figures"]
                         ["open_tasks"], 1)
        self.assertIn("approval_rate", top["figures"])
        # Time per task, from each submit back to its claim: three of them took 0.5 s or more.
        self.assertGreater(top["figures"]["avg_seconds_per_task"], 0)
        # The reviewer's three decisions are counted in their earnings at the project's fee.
        mine = [x for x in rv.get(API + "/me/projects").json()["items"]
                if x["id"] == cheap["id"]][0]["my_figures"]
        self.assertEqual((mine["approved"], mine["earnings"]), (0, 3 * 2))
        # For the manager: workers ranked for a project, and an invite.
        ranked = self.world.manager.get(API + "/projects/%d/matches" % rich["id"]).json()
        self.assertIn(wid, [x["user_id"] for x in ranked["items"]])
        (o, oid) = self.users[11]
        r = self.world.manager.post(API + "/projects/%d/invites" % rich["id"], {"user_id": oid})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["role"], "worker")
        self.assertIn(w.get(API + "/projects/%d/matches" % rich["id"]).status, (403, 404))

    # -- the simulation -------------------------------------------------------------------

    def test_simulation(self):
        """Six workers (five 90% accurate, one spammer answering at random), three reviewers
        (two honest, 99.5% right; one who approves everything) on a gold-seeded project with
        honeypots and full review. The figures must name the spammer and the careless reviewer,
        and the audit of all approved data must find at least 99% correct."""
        rng = random.Random(20261122)
        labels = ["a", "b", "c", "d"]
        users = make_users(self.world, "sim", 9)
        workers, reviewers = users[:6], users[6:]
        spammer, careless = workers[5][1], reviewers[2][1]
        p = self.proj(workers=[u for _, u in workers], reviewers=[u for _, u in reviewers],
                      labels=labels, max_rounds=3,
                      settings={"gold_rate": 0.2, "honeypot_rate": 0.4, "auto_promote": False,
                                "demote_min_checks": 3, "demote_below": 0.8})
        pid = p["id"]
        truth = {}
        texts = []
        for i in range(600):
            t = "sim item %d" % i
            truth[t] = rng.choice(labels)
            texts.append(t)
        for i in range(0, 600, 300):
            self.world.import_texts(pid, texts[i:i + 300])
        gold = []
        for i in range(30):
            t = "sim gold %d" % i
            truth[t] = rng.choice(labels)
            gold.append({"text": t, "answer": {"labels": [truth[t]]}})
        self.gold(pid, gold)

        def answer(uid, text):
            if uid == spammer:
                return rng.choice(labels)
            if rng.random() < 0.9:
                return truth[text]
            return rng.choice([l for l in labels if l != truth[text]])

        def judge(uid, task):
            right = task["annotation"]["labels"] == [truth[task["item"]["text"]]]
            if uid == careless:
                return "approve"
            if rng.random() < 0.005:
                right = not right
            return "approve" if right else "reject"

        demoted = set()
        for turn in range(20000):
            progressed = False
            for c, uid in workers:
                r = nxt(c, pid)
                if r.status == 204:
                    continue
                self.assertEqual(r.status, 200, r)
                t = r.json()
                r = submit(c, t["id"], {"labels": [answer(uid, t["item"]["text"])]})
                self.assertEqual(r.status, 200, r)
                progressed = True
            for c, uid in reviewers:
                if uid in demoted:
                    continue
                r = rnext(c, pid)
                if r.status == 403:
                    demoted.add(uid)
                    continue
                if r.status == 204:
                    continue
                t = r.json()
                r = review(c, t["id"], judge(uid, t))
                self.assertEqual(r.status, 200, r)
                progressed = True
            if not progressed:
                break
        # Escalated tasks: the manager decides them with the right answer.
        for t in self.world.manager.get(API + "/projects/%d/tasks?state=escalated&limit=500"
                                        % pid).json()["items"]:
            item = self.world.manager.get(API + "/items/%d" % t["item_id"]).json()
            r = self.world.manager.post(API + "/tasks/%d/resolve" % t["id"],
                                        {"decision": "approve",
                                         "annotation": {"labels": [truth[item["text"]]]}})
            self.assertEqual(r.status, 200, r)
        left = sqlite_query(self.server.data_dir, "SELECT state, count(*) FROM tasks WHERE"
                            " project_id = %d AND state NOT IN ('approved','discarded')"
                            " GROUP BY state" % pid)
        self.assertEqual(left, [])

        q = self.world.manager.get(API + "/projects/%d/quality" % pid).json()
        ws = {w["user_id"]: w for w in q["workers"]}
        accs = {u: w["gold_accuracy"]["p"] for u, w in ws.items() if w["gold_accuracy"]["n"]}
        self.assertEqual(min(accs, key=accs.get), spammer, accs)
        flagged = [u for u, w in ws.items() if "suspected_spammer" in w["flags"]]
        self.assertEqual(flagged, [spammer], ws)
        rs = {r["user_id"]: r for r in q["reviewers"]}
        careless_flagged = [u for u, r in rs.items() if "careless_reviewer" in r["flags"]]
        self.assertEqual(careless_flagged, [careless], rs)
        self.assertIn(careless, demoted)
        changes = self.world.manager.get(API + "/projects/%d/role-changes" % pid).json()["items"]
        self.assertEqual([(c["user_id"], c["change"]) for c in changes], [(careless, "demote")])

        # Audit every approved task against the truth.
        r = self.world.manager.post(API + "/projects/%d/audits" % pid, {"size": 10000})
        self.assertEqual(r.status, 201, r)
        audit = r.json()
        self.assertGreaterEqual(audit["size"], 590)
        for it in audit["items"]:
            ok = it["annotation"]["labels"] == [truth[it["item"]["text"]]]
            r = self.world.manager.post(API + "/audits/%d/tasks/%d" % (audit["id"], it["task_id"]),
                                        {"verdict": "correct" if ok else "incorrect"})
            self.assertEqual(r.status, 200, r)
        est = self.world.manager.get(API + "/projects/%d/quality" % pid).json()
        self.assertGreaterEqual(est["estimated_quality"]["p"], 0.99, est["summary"])
        sys.stderr.write("\nsimulation: %s\n" % est["summary"])


if __name__ == "__main__":
    main()
