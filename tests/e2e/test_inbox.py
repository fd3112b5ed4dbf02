"""The feedback inbox as the server filters it: GET /endpoints/{id}/predictions?inbox=1 lists only
the predictions given feedback or that became an item in the feedback project, paged as the log
is (sort=-id: newest first), however many predictions came after them (on a busy endpoint they
leave the log's newest page within seconds); an endpoint with none lists nothing, and a value of
inbox other than 0 or 1 answers 400."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, TINY_WORDS, Client, ServerTestCase, list_all, main,  # noqa: E402
                     train_tiny)

# The predictions logged after the ones with feedback: more than the 500 the inbox used to read.
LATER = 640
TEXTS = ["a %s and %s day" % (a, b) for a in TINY_WORDS["positive"] for b in TINY_WORDS["negative"]]


class FeedbackInboxTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.model = train_tiny(cls.server.data_dir)
        p = w.project(labels=["negative", "positive"])
        cls.feedback_project = p["id"]
        # Threshold 0: no answer is doubtful, so only negative feedback makes an item.
        cls.endpoint, cls.key = cls.deploy("tiny-inbox", {"project_id": p["id"], "threshold": 0})
        cls.quiet, cls.quiet_key = cls.deploy("tiny-quiet", None)

    @classmethod
    def deploy(cls, name, feedback):
        w = cls.world
        body = {"name": name, "targets": [{"model_dir": cls.model, "runtime": "text_linear"}]}
        if feedback:
            body["feedback"] = feedback
        r = w.admin.post(API + "/orgs/%d/endpoints" % w.org["id"], body)
        assert r.status == 201, r
        endpoint = r.json()["id"]
        k = w.admin.post(API + "/endpoints/%d/keys" % endpoint,
                         {"name": "k", "rate_limit": 100000})
        assert k.status == 201, k
        return endpoint, k.json()["key"]

    def predict(self, caller, name, n):
        """n predictions of endpoint `name`, 16 a request; their ids in order."""
        ids = []
        while len(ids) < n:
            texts = [TEXTS[(len(ids) + i) % len(TEXTS)] for i in range(min(16, n - len(ids)))]
            r = caller.post(API + "/endpoints/%s/predict" % name,
                            {"inputs": [{"text": t} for t in texts]})
            self.assertEqual(r.status, 200, r)
            ids.extend(p["id"] for p in r.json()["predictions"])
        return ids

    def feedback(self, caller, pid, body):
        r = caller.post(API + "/predictions/%d/feedback" % pid, body)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_the_inbox_keeps_feedback_after_many_predictions(self):
        caller = Client(self.server.port, token=self.key)
        praised, complained, ignored = self.predict(caller, "tiny-inbox", 3)
        self.feedback(caller, praised, {"correct": True, "comment": "<b>fine</b>"})
        made = self.feedback(caller, complained, {"correct": False})
        self.assertEqual(made["item"]["reason"], "negative_feedback", made)
        later = self.predict(caller, "tiny-inbox", LATER)
        self.assertEqual(len(later), LATER)
        base = API + "/endpoints/%d/predictions" % self.endpoint
        eng = self.world.admin

        # The log's newest 500 no longer hold them: a client-side filter would find nothing.
        page = eng.get(base + "?limit=500&sort=-id").json()["items"]
        self.assertEqual(len(page), 500)
        self.assertFalse({praised, complained} & {p["id"] for p in page})

        r = eng.get(base + "?inbox=1&sort=-id")
        self.assertEqual(r.status, 200, r)
        inbox = r.json()
        self.assertEqual([p["id"] for p in inbox["items"]], [complained, praised], inbox)
        self.assertFalse(inbox.get("next_cursor"), inbox)
        first, second = inbox["items"]
        self.assertFalse(first["feedback"]["correct"])
        self.assertEqual(first["item"], made["item"])
        self.assertEqual(second["feedback"]["comment"], "<b>fine</b>")
        self.assertTrue(second["feedback"]["correct"])
        self.assertIsNone(second["item"])
        self.assertNotIn(ignored, [p["id"] for p in inbox["items"]])

        # Paged with the log's cursor and limit, in either order (oldest first by default).
        self.assertEqual([p["id"] for p in list_all(eng, base + "?inbox=1&sort=-id", limit=1)],
                         [complained, praised])
        self.assertEqual([p["id"] for p in list_all(eng, base + "?inbox=1", limit=1)],
                         [praised, complained])
        # A cursor past both, and one between them.
        r = eng.get(base + "?inbox=1&sort=-id&cursor=%d" % praised).json()
        self.assertEqual(r["items"], [])
        r = eng.get(base + "?inbox=1&sort=-id&cursor=%d" % complained).json()
        self.assertEqual([p["id"] for p in r["items"]], [praised])
        r = eng.get(base + "?inbox=1&cursor=%d" % praised).json()
        self.assertEqual([p["id"] for p in r["items"]], [complained])

        # inbox=0 is the whole log, as without it.
        r = eng.get(base + "?inbox=0&limit=3&sort=-id").json()
        self.assertEqual([p["id"] for p in r["items"]], later[::-1][:3])

        # Feedback on one of the newest joins the inbox at its head.
        self.feedback(caller, later[-2], {"correct": True})
        r = eng.get(base + "?inbox=1&limit=2&sort=-id").json()
        self.assertEqual([p["id"] for p in r["items"]], [later[-2], complained])
        self.assertTrue(r.get("next_cursor"), r)

    def test_an_endpoint_without_feedback_has_an_empty_inbox(self):
        caller = Client(self.server.port, token=self.quiet_key)
        self.predict(caller, "tiny-quiet", 40)
        base = API + "/endpoints/%d/predictions" % self.quiet
        r = self.world.admin.get(base + "?inbox=1")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["items"], [])
        self.assertFalse(r.json().get("next_cursor"))
        self.assertEqual(len(self.world.admin.get(base).json()["items"]), 40)

    def test_a_bad_inbox_value_answers_400(self):
        base = API + "/endpoints/%d/predictions" % self.quiet
        for q in ("inbox=yes", "inbox=2", "inbox=", "inbox=true", "inbox=1&has=feedback"):
            with self.subTest(q=q):
                self.assertError(self.world.admin.get(base + "?" + q), 400)
        # Another tenant's endpoint is not found, whatever the query.
        outsider, _ = self.world.user("inboxout")
        self.assertError(outsider.get(base + "?inbox=1"), (403, 404))


if __name__ == "__main__":
    main()
