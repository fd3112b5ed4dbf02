"""Label error detection against a real server: a manager starts a label check of a dataset
version (or of a new version of the project as it is), the runner cross-validates text-linear over its approved annotations, and the one
label planted wrong comes back as a flag and as a task of an audit with reason
`model_disagrees`, the model's label and its probability; a second check flags nothing new
(deduplicated); bad settings answer 400 naming them and another org's dataset 404."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, ServerTestCase, main  # noqa: E402

GOOD = ["good great lovely film %d" % i for i in range(20)]
BAD = ["bad awful boring film %d" % i for i in range(20)]
PLANTED = "bad awful boring film planted"


def wait_for(fn, timeout=120, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


class LabelCheckTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        p = w.project()
        cls.project = p["id"]
        reviewer, rid = w.user("rev")
        worker, wid = w.user("wrk")
        w.add_member(p["id"], wid, "worker")
        w.add_member(p["id"], rid, "reviewer")
        w.import_texts(p["id"], GOOD + BAD + [PLANTED])
        for _ in range(len(GOOD) + len(BAD) + 1):
            t = worker.post(API + "/projects/%d/tasks/next" % p["id"]).json()
            text = t["item"]["text"]
            label = "pos" if text.startswith("good") or text == PLANTED else "neg"
            r = worker.post(API + "/tasks/%d/submit" % t["id"],
                            {"annotation": {"labels": [label]}})
            assert r.status == 200, r
            rv = reviewer.post(API + "/projects/%d/reviews/next" % p["id"]).json()
            reviewer.post(API + "/tasks/%d/review" % rv["id"], {"decision": "approve"})
            if text == PLANTED:
                cls.planted_task, cls.planted_item = t["id"], t["item"]["id"]
        r = w.manager.post(API + "/projects/%d/datasets" % p["id"], {})
        assert r.status == 201, r
        cls.dataset = r.json()["id"]

    def start(self, **body):
        return self.world.manager.post(API + "/projects/%d/label-checks" % self.project,
                                       dict({"dataset_id": self.dataset}, **body))

    def finished(self, job_id):
        def done():
            r = self.world.manager.get(API + "/projects/%d/label-checks" % self.project)
            self.assertEqual(r.status, 200, r)
            for c in r.json()["items"]:
                if c["job_id"] == job_id and c["state"] not in ("queued", "running"):
                    return c
            return None
        return wait_for(done, what="label check %d" % job_id)

    def test_1_the_planted_label_is_flagged_and_audited(self):
        r = self.start(threshold=0.6, folds=4)
        self.assertEqual(r.status, 202, r)
        check = self.finished(r.json()["job_id"])
        self.assertEqual(check["state"], "succeeded", check)
        self.assertEqual((check["trainer"], check["folds"], check["threshold"], check["rows"]),
                         ("text-linear", 4, 0.6, 41))
        self.assertEqual([f["item_id"] for f in check["flags"]], [self.planted_item], check)
        flag = check["flags"][0]
        self.assertEqual((flag["label"], flag["model_label"]), ("pos", "neg"))
        self.assertGreaterEqual(flag["confidence"], 0.6)
        self.assertEqual(check["audited"], 1)
        audit = self.world.manager.get(API + "/audits/%d" % check["audit_id"]).json()
        self.assertEqual(audit["job_id"], check["job_id"])
        [item] = audit["items"]
        self.assertEqual((item["task_id"], item["reason"], item["model_label"]),
                         (self.planted_task, "model_disagrees", "neg"))
        self.assertAlmostEqual(item["confidence"], flag["confidence"], places=5)

    def test_2_a_second_check_flags_again_but_audits_nothing_new(self):
        r = self.start(threshold=0.6, folds=4)
        self.assertEqual(r.status, 202, r)
        check = self.finished(r.json()["job_id"])
        self.assertEqual(check["flagged"], 1, check)
        self.assertEqual((check["audit_id"], check["audited"]), (None, 0), check)

    def test_3_without_a_version_the_project_as_it_is_now_is_checked(self):
        r = self.world.manager.post(API + "/projects/%d/label-checks" % self.project,
                                    {"threshold": 0.6, "folds": 4})
        self.assertEqual(r.status, 202, r)
        self.assertNotEqual(r.json()["dataset_id"], self.dataset)
        check = self.finished(r.json()["job_id"])
        self.assertEqual((check["state"], check["dataset_id"], check["rows"]),
                         ("succeeded", r.json()["dataset_id"], 41), check)
        self.assertEqual([f["item_id"] for f in check["flags"]], [self.planted_item], check)

    def test_bad_settings_answer_400(self):
        self.assertError(self.start(folds=1), 400, "bad_folds")
        self.assertError(self.start(threshold=0.2), 400, "bad_threshold")
        self.assertError(self.start(trainer="text-fasttext"), 400, "bad_trainer")
        self.assertError(self.start(dataset_id=0), 400)
        self.assertError(self.start(cpus=0), 400)
        spans = self.world.project(kind="text_spans", labels=["A"])
        r = self.world.manager.post(API + "/projects/%d/label-checks" % spans["id"], {})
        self.assertError(r, 400, "bad_kind")
        versions = self.world.manager.get(API + "/projects/%d/datasets" % spans["id"]).json()
        self.assertEqual(versions["items"], [])  # refused before a version was made

    def test_another_projects_dataset_is_not_found(self):
        other = self.world.project()
        r = self.world.manager.post(API + "/projects/%d/label-checks" % other["id"],
                                    {"dataset_id": self.dataset})
        self.assertError(r, 404)


if __name__ == "__main__":
    main()
