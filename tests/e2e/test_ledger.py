"""The pay ledger over HTTP: funding, deposits, pay on approval and fees per review in the same
transaction, the budget check at claim time, payouts, 100 concurrent approvals that pay once,
and the ledger's invariants after a randomized run of thousands of state changes."""
import os
import random
import sqlite3
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, Client, Server, ServerTestCase, World, main, make_users,  # noqa: E402
                     sqlite_query)

POS = {"labels": ["pos"]}
NEG = {"labels": ["neg"]}


def invariants(tc, data_dir):
    """Every transaction sums to zero, no balance below zero (but the external account), every
    balance equals the sum of its entries: checked on the store itself."""
    bad = sqlite_query(data_dir, "SELECT txn_id, sum(amount) FROM ledger_entries GROUP BY txn_id"
                                 " HAVING sum(amount) <> 0 OR count(*) < 2")
    tc.assertEqual(bad, [], "unbalanced transactions")
    bad = sqlite_query(data_dir, "SELECT a.id, a.kind, a.balance, coalesce(sum(e.amount), 0)"
                                 " FROM ledger_accounts a LEFT JOIN ledger_entries e"
                                 " ON e.account_id = a.id GROUP BY a.id"
                                 " HAVING a.balance <> coalesce(sum(e.amount), 0)")
    tc.assertEqual(bad, [], "balances that are not the sum of their entries")
    bad = sqlite_query(data_dir, "SELECT id, kind, balance FROM ledger_accounts"
                                 " WHERE balance < 0 AND kind <> 'external'")
    tc.assertEqual(bad, [], "negative balances")
    bad = sqlite_query(data_dir, "SELECT id FROM ledger_txns t WHERE NOT EXISTS"
                                 " (SELECT 1 FROM ledger_entries e WHERE e.txn_id = t.id)")
    tc.assertEqual(bad, [], "transactions without entries")


class LedgerTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        users = make_users(cls.world, "lg", 6)
        cls.workers = users[:4]
        cls.reviewers = users[4:]

    def project(self, n_items, price=100, fee=10, fund=None, **kw):
        w = self.world
        p = w.project(price=price, reviewer_fee=fee, **kw)
        for c, uid in self.workers:
            w.add_member(p["id"], uid, "worker")
        for c, uid in self.reviewers:
            w.add_member(p["id"], uid, "reviewer")
        if n_items:
            w.import_texts(p["id"], ["ledger %s %d" % (p["name"], i) for i in range(n_items)])
        if fund:
            self.fund(fund)
            r = w.manager.post(API + "/projects/%d/deposits" % p["id"], {"amount": fund})
            self.assertEqual(r.status, 201, r)
        return p

    def fund(self, amount):
        r = self.world.admin.post(API + "/orgs/%d/funds" % self.world.org["id"],
                                  {"amount": amount, "memo": "invoice"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(sum(e["amount"] for e in r.json()["entries"]), 0)

    def cycle(self, worker, reviewer, pid, decision="approve"):
        r = worker.post(API + "/projects/%d/tasks/next" % pid)
        if r.status != 200:
            return r
        tid = r.json()["id"]
        r = worker.post(API + "/tasks/%d/submit" % tid, {"annotation": POS})
        self.assertEqual(r.status, 200, r)
        r = reviewer.post(API + "/projects/%d/reviews/next" % pid)
        self.assertEqual(r.status, 200, r)
        tid = r.json()["id"]
        body = {"decision": decision}
        if decision == "reject":
            body["reason"] = "wrong"
        return reviewer.post(API + "/tasks/%d/review" % tid, body)

    def balance(self, c, currency="KRW"):
        r = c.get(API + "/me/balance")
        self.assertEqual(r.status, 200, r)
        for b in r.json()["balances"]:
            if b["currency"] == currency:
                return b["balance"]
        return 0

    def test_fair_pay_reads_what_the_ledger_paid(self):
        # A funded project's fair pay counts what each worker was paid, at the price of the
        # time: here two approvals at 100 and one at 300 for one worker, one at 300 for the
        # other (approvals x today's price would say 900 and 300).
        p = self.project(4, price=100, fee=10, fund=10000)
        (w1, w1id), (w2, w2id) = self.workers[0], self.workers[1]
        rv = self.reviewers[0][0]
        for _ in range(2):
            self.assertEqual(self.cycle(w1, rv, p["id"]).status, 200)
        r = self.world.manager.patch(API + "/projects/%d" % p["id"], {"price": 300})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.cycle(w1, rv, p["id"]).status, 200)
        self.assertEqual(self.cycle(w2, rv, p["id"]).status, 200)
        fp = self.world.manager.get(API + "/projects/%d/fair-pay" % p["id"]).json()
        got = {x["user_id"]: (x["approved"], x["earned"]) for x in fp["workers"]}
        self.assertEqual(got, {w1id: (3, 500), w2id: (1, 300)})

    def test_my_ledger_pages_across_currencies(self):
        # A worker paid by two orgs in two currencies holds two accounts: the pages of
        # /me/ledger run newest first across both, each entry once, none left out.
        w = self.world
        usd = w.admin.post(API + "/orgs", {"name": "usd org", "currency": "USD"}).json()
        r = w.admin.post(API + "/orgs/%d/members" % usd["id"],
                         {"user_id": w.manager_id, "role": "manager"})
        self.assertEqual(r.status, 201, r)
        r = w.admin.post(API + "/orgs/%d/funds" % usd["id"], {"amount": 1000})
        self.assertEqual(r.status, 201, r)
        krw_project = self.project(4, price=100, fee=10, fund=1000)
        usd_project = self.project(4, price=7, fee=1, org_id=usd["id"])
        r = w.manager.post(API + "/projects/%d/deposits" % usd_project["id"], {"amount": 1000})
        self.assertEqual(r.status, 201, r)
        (worker, wid), rv = self.workers[3], self.reviewers[1][0]
        for p in (krw_project, usd_project, usd_project, krw_project, usd_project):
            self.assertEqual(self.cycle(worker, rv, p["id"]).status, 200)
        seen, cursor = [], None
        while True:
            r = worker.get(API + "/me/ledger?limit=2" + ("&cursor=%s" % cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertLessEqual(len(page["items"]), 2)
            seen += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        want = sqlite_query(self.server.data_dir,
                            "SELECT e.id, a.currency, e.amount FROM ledger_entries e"
                            " JOIN ledger_accounts a ON a.id = e.account_id"
                            " WHERE a.kind = 'worker' AND a.owner_id = %d ORDER BY e.id DESC"
                            % wid)
        self.assertEqual([(x["id"], x["currency"], x["amount"]) for x in seen],
                         [tuple(x) for x in want])
        self.assertEqual([x["amount"] for x in seen if x["currency"] == "USD"], [7, 7, 7])
        self.assertGreaterEqual(len([x for x in seen if x["currency"] == "KRW"]), 2)

    def test_migrations_rebuild_the_worker_counts(self):
        # Migrations 15 to 18 fill the counts that fair pay, the budget, statistics and the
        # quality report read (pay, fees, submissions, time from claim to submit, a held
        # task's claim time, tasks submitted, rejections, decided tasks, a project's items and
        # tasks) from the ledger, the events, the annotations and the rows of a store that had
        # none: after a restart every page answers as before, and the counts match their rows
        # (checked as the server stops).
        s = Server()
        self.addCleanup(s.cleanup)
        s.create_admin()
        s.start()
        w = World(s)
        r = w.admin.post(API + "/orgs/%d/funds" % w.org["id"], {"amount": 5000})
        self.assertEqual(r.status, 201, r)
        p = w.project(price=100, reviewer_fee=10)
        (w1, w1id), (w2, w2id), (rv, rvid) = w.user("mw"), w.user("mw"), w.user("mr")
        for uid, role in ((w1id, "worker"), (w2id, "worker"), (rvid, "reviewer")):
            w.add_member(p["id"], uid, role)
        w.import_texts(p["id"], ["migrate %d" % i for i in range(6)])
        r = w.manager.post(API + "/projects/%d/deposits" % p["id"], {"amount": 5000})
        self.assertEqual(r.status, 201, r)
        # The last task stays rejected, in rework: decided, not approved.
        for worker, decision in ((w1, "approve"), (w1, "reject"), (w2, "approve"),
                                 (w1, "approve"), (w1, "reject")):
            t = worker.post(API + "/projects/%d/tasks/next" % p["id"]).json()
            self.assertEqual(worker.post(API + "/tasks/%d/submit" % t["id"],
                                         {"annotation": POS}).status, 200)
            t = rv.post(API + "/projects/%d/reviews/next" % p["id"]).json()
            body = {"decision": decision}
            if decision == "reject":
                body["reason"] = "wrong"
            self.assertEqual(rv.post(API + "/tasks/%d/review" % t["id"], body).status, 200)
        held = w2.post(API + "/projects/%d/tasks/next" % p["id"]).json()["id"]
        pages = ("/projects/%d/budget" % p["id"], "/projects/%d/fair-pay" % p["id"])
        figures = ("/projects/%d/stats" % p["id"], "/projects/%d/quality" % p["id"])

        def workers():
            stats, quality = [w.manager.get(API + page).json() for page in figures]
            return (stats["workers"], quality["workers"], stats["items"], stats["tasks"],
                    stats["first_pass_approval_rate"])
        before = [w.manager.get(API + page).json() for page in pages]
        workers_before = workers()
        self.assertEqual((workers_before[2], workers_before[3]["open"],
                          workers_before[3]["approved"], workers_before[3]["rework"]),
                         (6, 1, 3, 1))
        mine = [x for x in workers_before[0] if x["user_id"] == w1id][0]
        self.assertEqual((mine["submitted"], mine["approved"], mine["rejected"]), (3, 2, 2))
        self.assertEqual((before[0]["paid_to_workers"], before[0]["paid_to_reviewers"]),
                         (300, 50))
        s.stop()
        db = sqlite3.connect(os.path.join(s.data_dir, "crowdloop.db"))
        db.executescript(
            "DROP INDEX worker_counts_project; DROP INDEX review_counts_project;"
            "ALTER TABLE worker_counts DROP COLUMN submissions;"
            "ALTER TABLE worker_counts DROP COLUMN active_ms;"
            "ALTER TABLE worker_counts DROP COLUMN paid;"
            "ALTER TABLE worker_counts DROP COLUMN last_at;"
            "ALTER TABLE review_counts DROP COLUMN paid;"
            "ALTER TABLE tasks DROP COLUMN claimed_at;"
            "ALTER TABLE worker_counts DROP COLUMN tasks_submitted;"
            "ALTER TABLE worker_counts DROP COLUMN rejected;"
            "ALTER TABLE worker_counts DROP COLUMN decided;"
            "DROP TABLE project_counts;"
            "DELETE FROM schema_migrations WHERE version IN (15, 16, 17, 18);")
        db.close()
        s.start()
        after = [w.manager.get(API + page).json() for page in pages]
        self.assertEqual(after, before)
        self.assertEqual(workers(), workers_before)
        self.assertEqual(w2.post(API + "/tasks/%d/submit" % held,
                                 {"annotation": POS}).status, 200)
        fp = w.manager.get(API + pages[1]).json()
        mine = [x for x in fp["workers"] if x["user_id"] == w2id][0]
        self.assertEqual(mine["submissions"], 2)

    def test_pay_on_approval_and_fees(self):
        p = self.project(3, price=100, fee=10, fund=10000)
        (w, wid), (rv, rid) = self.workers[0], self.reviewers[0]
        w0, r0 = self.balance(w), self.balance(rv)
        self.assertEqual(self.cycle(w, rv, p["id"]).status, 200)
        self.assertEqual(self.balance(w), w0 + 100)
        self.assertEqual(self.balance(rv), r0 + 10)
        # A rejection pays the review fee, not the price.
        self.assertEqual(self.cycle(w, rv, p["id"], "reject").status, 200)
        self.assertEqual(self.balance(w), w0 + 100)
        self.assertEqual(self.balance(rv), r0 + 20)
        b = self.world.manager.get(API + "/projects/%d/budget" % p["id"]).json()
        self.assertTrue(b["funded"])
        self.assertEqual(b["deposited"], 10000)
        self.assertEqual(b["paid_to_workers"], 100)
        self.assertEqual(b["paid_to_reviewers"], 20)
        self.assertEqual(b["balance"], 10000 - 120)
        # Workers may not read a project's budget, nor deposit.
        self.assertIn(w.get(API + "/projects/%d/budget" % p["id"]).status, (403, 404))
        self.assertEqual(w.post(API + "/projects/%d/deposits" % p["id"],
                                {"amount": 5}).status, 403)
        lines = w.get(API + "/me/ledger").json()["items"]
        self.assertTrue(any(l["kind"] == "pay" and l["amount"] == 100 for l in lines), lines)
        # A new price and fee apply from the next approval on (the writer memoizes them).
        r = self.world.manager.patch(API + "/projects/%d" % p["id"],
                                     {"price": 250, "reviewer_fee": 25})
        self.assertEqual(r.status, 200, r)
        w1, r1 = self.balance(w), self.balance(rv)
        self.assertEqual(self.cycle(w, rv, p["id"]).status, 200)
        self.assertEqual(self.balance(w), w1 + 250)
        self.assertEqual(self.balance(rv), r1 + 25)
        invariants(self, self.server.data_dir)

    def test_budget_stops_claims(self):
        # price 100 + fee 10 x 3 rounds = 130 reserved per task in progress.
        p = self.project(5, price=100, fee=10, fund=300)
        (w1, _), (w2, _), (w3, _) = self.workers[:3]
        self.assertEqual(w1.post(API + "/projects/%d/tasks/next" % p["id"]).status, 200)
        self.assertEqual(w2.post(API + "/projects/%d/tasks/next" % p["id"]).status, 200)
        r = w3.post(API + "/projects/%d/tasks/next" % p["id"])
        self.assertError(r, 409, "budget_exhausted")
        # Claiming again returns the live lease, budget or not.
        self.assertEqual(w1.post(API + "/projects/%d/tasks/next" % p["id"]).status, 200)
        # A deposit the org cannot cover is refused whole.
        r = self.world.manager.post(API + "/projects/%d/deposits" % p["id"],
                                    {"amount": 10 ** 12})
        self.assertError(r, 409, "insufficient_funds")
        self.fund(1000)
        r = self.world.manager.post(API + "/projects/%d/deposits" % p["id"], {"amount": 1000})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(w3.post(API + "/projects/%d/tasks/next" % p["id"]).status, 200)
        # An unfunded project with a price is not metered (trials, internal work).
        q = self.project(1, price=100, fee=10)
        self.assertEqual(w1.post(API + "/projects/%d/tasks/next" % q["id"]).status, 200)
        invariants(self, self.server.data_dir)

    def test_bad_amounts(self):
        p = self.project(0, fund=None)
        for amount in (0, -5, 1.5, "10", 10 ** 16, None):
            r = self.world.manager.post(API + "/projects/%d/deposits" % p["id"],
                                        {"amount": amount})
            self.assertError(r, 400)
        r = self.world.manager.post(API + "/orgs/%d/funds" % self.world.org["id"],
                                    {"amount": 5})
        self.assertError(r, 403)

    def test_concurrent_approvals_pay_once(self):
        p = self.project(1, price=700, fee=30, fund=5000)
        (w, wid), (rv, rid) = self.workers[1], self.reviewers[1]
        t = w.post(API + "/projects/%d/tasks/next" % p["id"]).json()
        self.assertEqual(w.post(API + "/tasks/%d/submit" % t["id"],
                                {"annotation": POS}).status, 200)
        self.assertEqual(rv.post(API + "/projects/%d/reviews/next" % p["id"]).status, 200)
        w0, r0 = self.balance(w), self.balance(rv)
        barrier = threading.Barrier(100)

        def approve(_):
            c = Client(self.server.port, rv.token)
            barrier.wait()
            s = c.post(API + "/tasks/%d/review" % t["id"], {"decision": "approve"}).status
            c.close()
            return s

        with ThreadPoolExecutor(100) as ex:
            statuses = list(ex.map(approve, range(100)))
        self.assertEqual(statuses.count(200), 1, statuses)
        self.assertTrue(all(s == 409 for s in statuses if s != 200), statuses)
        self.assertEqual(self.balance(w), w0 + 700)
        self.assertEqual(self.balance(rv), r0 + 30)
        pays = sqlite_query(self.server.data_dir, "SELECT count(*) FROM ledger_txns WHERE"
                                                  " kind = 'pay' AND task_id = %d" % t["id"])
        self.assertEqual(pays[0][0], 1)
        invariants(self, self.server.data_dir)

    def test_payouts(self):
        p = self.project(2, price=500, fee=0, fund=2000)
        (w, wid), (rv, _) = self.workers[2], self.reviewers[0]
        self.assertEqual(self.cycle(w, rv, p["id"]).status, 200)
        have = self.balance(w)
        self.assertGreaterEqual(have, 500)
        self.assertError(w.post(API + "/me/payouts", {"amount": have + 1}), 409,
                         "insufficient_funds")
        r = w.post(API + "/me/payouts", {"amount": 300})
        self.assertEqual(r.status, 201, r)
        po = r.json()
        self.assertEqual(po["status"], "requested")
        self.assertEqual(self.balance(w), have - 300)  # held while requested
        # Only an admin decides, once.
        self.assertEqual(w.post(API + "/payouts/%d/approve" % po["id"]).status, 403)
        r = self.world.admin.post(API + "/payouts/%d/approve" % po["id"], {"note": "sent"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "approved")
        self.assertError(self.world.admin.post(API + "/payouts/%d/reject" % po["id"]), 409,
                         "payout_decided")
        # A rejected payout returns the money.
        r = w.post(API + "/me/payouts", {"amount": 100})
        self.assertEqual(r.status, 201, r)
        r = self.world.admin.post(API + "/payouts/%d/reject" % r.json()["id"])
        self.assertEqual(r.json()["status"], "rejected")
        self.assertEqual(self.balance(w), have - 300)
        mine = w.get(API + "/me/payouts").json()["items"]
        self.assertEqual(sorted(x["status"] for x in mine), ["approved", "rejected"])
        listed = self.world.admin.get(API + "/payouts?status=approved").json()["items"]
        self.assertTrue(any(x["id"] == po["id"] for x in listed))
        invariants(self, self.server.data_dir)

    def test_randomized_invariants(self):
        """Thousands of approvals, rejections, reviews, deposits and payouts from many threads,
        some starved of budget, then the invariants, and the server's own check."""
        rng = random.Random(4)
        n_items = 700
        p = self.project(n_items, price=37, fee=3, fund=6000, max_rounds=2)
        pid = p["id"]
        stop = threading.Event()
        counts = {"approve": 0, "reject": 0, "budget": 0, "deposit": 0, "payout": 0}
        lock = threading.Lock()

        def worker_loop(i):
            c, _ = self.workers[i]
            c = Client(self.server.port, c.token)
            r_rng = random.Random(i)
            while not stop.is_set():
                r = c.post(API + "/projects/%d/tasks/next" % pid)
                if r.status == 204:
                    return
                if r.status == 409:
                    with lock:
                        counts["budget"] += 1
                    stop.wait(0.01)
                    continue
                assert r.status == 200, r
                c.post(API + "/tasks/%d/submit" % r.json()["id"],
                       {"annotation": POS if r_rng.random() < 0.8 else NEG})
                if r_rng.random() < 0.05:
                    r = c.post(API + "/me/payouts", {"amount": r_rng.randint(1, 60)})
                    if r.status == 201:
                        with lock:
                            counts["payout"] += 1

        def reviewer_loop(i):
            c, _ = self.reviewers[i]
            c = Client(self.server.port, c.token)
            r_rng = random.Random(100 + i)
            idle = 0
            while not stop.is_set() and idle < 200:
                r = c.post(API + "/projects/%d/reviews/next" % pid)
                if r.status != 200:
                    idle += 1
                    stop.wait(0.01)
                    continue
                idle = 0
                t = r.json()
                ok = t["annotation"] == POS or r_rng.random() < 0.3
                body = {"decision": "approve"} if ok else {"decision": "reject", "reason": "no"}
                r = c.post(API + "/tasks/%d/review" % t["id"], body)
                if r.status == 200:
                    with lock:
                        counts["approve" if ok else "reject"] += 1

        def money_loop():
            m = Client(self.server.port, self.world.manager.token)
            a = Client(self.server.port, self.world.admin.token)
            while not stop.is_set():
                stop.wait(0.05)
                amount = rng.randint(50, 900)
                a.post(API + "/orgs/%d/funds" % self.world.org["id"], {"amount": amount})
                if m.post(API + "/projects/%d/deposits" % pid,
                          {"amount": amount}).status == 201:
                    with lock:
                        counts["deposit"] += 1
                for po in a.get(API + "/payouts?status=requested").json()["items"][:5]:
                    a.post(API + "/payouts/%d/%s" % (po["id"], rng.choice(["approve",
                                                                           "reject"])))

        with ThreadPoolExecutor(8) as ex:
            money = ex.submit(money_loop)
            futs = [ex.submit(worker_loop, i) for i in range(4)]
            revs = [ex.submit(reviewer_loop, i) for i in range(2)]
            for f in futs:
                f.result()
            for f in revs:
                f.result()
            stop.set()
            money.result()
        self.assertGreater(counts["approve"], 400, counts)
        self.assertGreater(counts["reject"], 20, counts)
        self.assertGreater(counts["deposit"], 5, counts)
        self.assertGreater(counts["payout"], 5, counts)
        invariants(self, self.server.data_dir)
        r = self.world.admin.get(API + "/ledger/check")
        self.assertTrue(r.json()["ok"], r.json())
        self.assertGreater(r.json()["txns"], 1000)
        # Each approved task paid exactly once; each review decision paid once.
        approved = sqlite_query(self.server.data_dir, "SELECT count(*) FROM tasks WHERE"
                                " project_id = %d AND state = 'approved'" % pid)[0][0]
        pays = sqlite_query(self.server.data_dir, "SELECT count(*), count(DISTINCT task_id)"
                            " FROM ledger_txns WHERE kind = 'pay' AND project_id = %d" % pid)[0]
        self.assertEqual(pays[0], approved)
        self.assertEqual(pays[1], approved)
        reviews = sqlite_query(self.server.data_dir, "SELECT count(*) FROM events WHERE"
                               " project_id = %d AND type IN ('approve','reject','fix')"
                               % pid)[0][0]
        fees = sqlite_query(self.server.data_dir, "SELECT count(*) FROM ledger_txns WHERE"
                            " kind = 'fee' AND project_id = %d" % pid)[0][0]
        self.assertEqual(fees, reviews)


if __name__ == "__main__":
    main()
