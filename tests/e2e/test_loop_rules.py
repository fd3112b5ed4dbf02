"""The loop's figures: a project's stats tell the manager what the model's suggestions save,
the time per task with and without a pre-annotation, and how often workers changed it."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, ServerTestCase, main  # noqa: E402


class LoopFiguresTest(ServerTestCase):

    def import_rows(self, pid, rows):
        body = "\n".join(json.dumps(r) for r in rows) + "\n"
        r = self.world.manager.post(API + "/projects/%d/items" % pid, body,
                                    headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(r.status, 200, r)

    def test_stats_compare_tasks_with_and_without_a_suggestion(self):
        w = self.world
        pid = w.project(labels=["pos", "neg"])["id"]
        suggested = {"suggested one": "pos", "suggested two": "neg", "suggested three": "pos"}
        self.import_rows(pid, [{"text": t, "meta": {"preannotation": {"labels": [label]}}}
                               for t, label in suggested.items()] +
                         [{"text": "plain one"}, {"text": "plain two"}])
        empty = w.manager.get(API + "/projects/%d/stats" % pid).json()["preannotation"]
        self.assertEqual(empty["with"], {"tasks": 0, "mean_seconds": None,
                                         "median_seconds": None})
        self.assertIsNone(empty["changed_rate"])
        worker, wid = w.user("prew")
        w.add_member(pid, wid, "worker")
        # The worker keeps the first two suggestions and changes the third.
        changes = {"suggested three": "neg"}
        seen = 0
        t = worker.post(API + "/projects/%d/tasks/next" % pid).json()
        while t and t.get("id"):
            text = t["item"]["text"]
            if text in suggested:
                self.assertEqual(t["preannotation"], {"labels": [suggested[text]]})
            label = changes.get(text, suggested.get(text, "pos"))
            r = worker.post(API + "/tasks/%d/submit" % t["id"],
                            {"annotation": {"labels": [label]}, "next": True})
            self.assertEqual(r.status, 200, r)
            seen += 1
            t = r.json().get("next")
        self.assertEqual(seen, 5)
        s = w.manager.get(API + "/projects/%d/stats" % pid).json()["preannotation"]
        self.assertEqual(s["with"]["tasks"], 3, s)
        self.assertEqual(s["without"]["tasks"], 2, s)
        for side in ("with", "without"):
            self.assertGreaterEqual(s[side]["mean_seconds"], 0)
            self.assertGreaterEqual(s[side]["median_seconds"], 0)
        self.assertEqual((s["accepted"], s["changed"]), (2, 1), s)
        self.assertAlmostEqual(s["changed_rate"], 1 / 3)


if __name__ == "__main__":
    main()
