"""Gold cannot be told apart by a worker. Items by id (and their files) are for org staff: a
worker sees an item, gold or real, only through a task of theirs, its image through
GET /tasks/{id}/asset. /me/quality counts a worker's gold answers only in whole batches given
before the current period, so no figure changes at the submit of a gold task. Over many claims,
gold tasks and gold items take ids among the real ones (not after them all), and a gold task's
answer has the same keys and value shapes as a real one's."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, ServerTestCase, main, make_users  # noqa: E402


def nxt(c, pid):
    return c.post(API + "/projects/%d/tasks/next" % pid)


def submit(c, tid, label):
    return c.post(API + "/tasks/%d/submit" % tid, {"annotation": {"labels": [label]}})


def shape(v):
    """The keys and value types of an answer, without its values."""
    if isinstance(v, dict):
        return tuple(sorted((k, shape(x)) for k, x in v.items()))
    if isinstance(v, list):
        return ("list", tuple(sorted({shape(x) for x in v})))
    return type(v).__name__


class GoldHidingBase(ServerTestCase):

    def project(self, workers, texts, gold_texts, rate):
        w = self.world
        p = w.project()
        pid = p["id"]
        for uid in workers:
            w.add_member(pid, uid, "worker")
        r = w.manager.patch(API + "/projects/%d/quality-settings" % pid, {"gold_rate": rate})
        self.assertEqual(r.status, 200, r)
        real = w.import_texts(pid, texts)["item_ids"]
        r = w.manager.post(API + "/projects/%d/gold" % pid, {"items": [
            {"text": t, "answer": {"labels": ["pos"]}} for t in gold_texts]})
        self.assertEqual(r.status, 200, r)
        return pid, real, set(r.json()["item_ids"])

    def gold_answers(self, c, pid, gold, labels):
        """Claims and submits until len(labels) gold tasks were answered with those labels."""
        answered = 0
        while answered < len(labels):
            r = nxt(c, pid)
            self.assertEqual(r.status, 200, r)
            t = r.json()
            is_gold = t["item_id"] in gold
            label = labels[answered] if is_gold else "pos"
            self.assertEqual(submit(c, t["id"], label).status, 200)
            answered += is_gold

    def my_gold(self, c):
        r = c.get(API + "/me/quality")
        self.assertEqual(r.status, 200, r)
        return r.json()["gold_accuracy"].get("text_class")


class ItemsAndQualityTests(GoldHidingBase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = make_users(cls.world, "gh", 3)

    def test_items_by_id_are_staff_only_and_tasks_carry_their_files(self):
        (w, wid), (other, oid) = self.users[0], self.users[1]
        pid, real, gold = self.project([wid, oid], ["real %d" % i for i in range(6)],
                                       ["gold text"], 0.5)
        seen = {}
        while len(seen) < 4:
            t = nxt(w, pid).json()
            seen[t["id"]] = t
            self.assertEqual(submit(w, t["id"], "pos").status, 200)
        self.assertTrue(any(t["item_id"] in gold for t in seen.values()), seen)
        self.assertTrue(any(t["item_id"] not in gold for t in seen.values()), seen)
        for tid, t in seen.items():
            with self.subTest(task=tid, gold=t["item_id"] in gold):
                # The same 404 for a gold item and a real one, both of the worker's own tasks.
                for path in ("/items/%d", "/items/%d/asset"):
                    r = w.get(API + path % t["item_id"])
                    self.assertEqual(r.status, 404, r)
                    self.assertEqual(self.world.manager.get(API + path % t["item_id"]).status,
                                     200)
                r = w.get(API + "/tasks/%d/asset" % tid)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.body.decode(), t["item"]["text"])
                self.assertEqual(other.get(API + "/tasks/%d/asset" % tid).status, 404)
                self.assertEqual(self.world.manager.get(API + "/tasks/%d/asset" % tid).status,
                                 200)

    def test_fresh_gold_answers_are_not_reported_to_the_worker(self):
        (w, wid) = self.users[2]
        pid, _, gold = self.project([wid], ["fresh %d" % i for i in range(10)],
                                    ["fresh gold %d" % i for i in range(3)], 1.0)
        self.gold_answers(w, pid, gold, ["pos", "neg", "pos"])
        # The manager sees the three answers at once; the worker sees nothing of them yet (a
        # batch is 5 answers, and only answers before the current hour count).
        q = self.world.manager.get(API + "/projects/%d/quality" % pid).json()
        me = [x for x in q["workers"] if x["user_id"] == wid][0]
        self.assertEqual((me["gold_accuracy"]["n"], me["gold_accuracy"]["k"]), (3, 2))
        self.assertIsNone(self.my_gold(w))


class BatchedReportTests(GoldHidingBase):
    server_args = ("--gold-report-batch", "2", "--gold-report-period", "1")

    def wait_for_gold(self, c, n):
        deadline = time.time() + 20
        while time.time() < deadline:
            g = self.my_gold(c)
            if g and g["n"] >= n:
                return g
            time.sleep(0.2)
        self.fail("the worker's gold figure never reached %d answers" % n)

    def test_gold_figures_come_in_whole_batches(self):
        [(w, wid)] = make_users(self.world, "gb", 1)
        pid, _, gold = self.project([wid], ["batch %d" % i for i in range(10)],
                                    ["batch gold %d" % i for i in range(3)], 1.0)
        self.gold_answers(w, pid, gold, ["neg"])
        time.sleep(1.2)  # past the period: one answer is still not a batch
        self.assertIsNone(self.my_gold(w))
        self.gold_answers(w, pid, gold, ["pos"])
        g = self.wait_for_gold(w, 2)
        self.assertEqual((g["n"], g["k"]), (2, 1))
        self.gold_answers(w, pid, gold, ["pos"])
        time.sleep(1.2)
        g = self.my_gold(w)
        self.assertEqual((g["n"], g["k"]), (2, 1))


class GoldIdsTests(GoldHidingBase):

    def test_gold_tasks_and_items_take_ids_among_the_real_ones(self):
        users = make_users(self.world, "gi", 3)
        pid, real, gold = self.project([u for _, u in users], ["idle %d" % i for i in range(240)],
                                       ["gold id %d" % i for i in range(10)], 0.2)
        # Gold text items added after the import take ids among the imported ones.
        self.assertLess(max(gold), max(real))
        self.assertGreater(max(gold), min(real))
        seen = {True: [], False: []}
        shapes = {True: set(), False: set()}
        active = list(users)
        while active:
            for u in list(active):
                c = u[0]
                r = nxt(c, pid)
                if r.status == 204:
                    active.remove(u)
                    continue
                self.assertEqual(r.status, 200, r)
                t = r.json()
                g = t["item_id"] in gold
                seen[g].append(t["id"])
                shapes[g].add(shape(t))
                shapes[g].add(shape(c.get(API + "/tasks/%d" % t["id"]).json()))
                self.assertEqual(t["slot"], 0, t)
                self.assertEqual(submit(c, t["id"], "pos").status, 200)
        self.assertGreaterEqual(len(seen[True]), 10, seen)
        # Made at claim time, gold tasks still take ids inside the real tasks' range; before,
        # every one came after the last real task.
        top = max(seen[False])
        self.assertEqual([i for i in seen[True] if i > top], [])
        self.assertLess(min(seen[True]), sorted(seen[False])[len(seen[False]) // 2])
        # The same keys and value shapes in the claim's answer and in GET /tasks/{id}.
        self.assertLessEqual(shapes[True], shapes[False])


if __name__ == "__main__":
    main()
