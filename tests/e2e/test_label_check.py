"""Label error detection against a real server: a manager starts a label check of a dataset
version (or of a new version of the project as it is), the runner cross-validates text-linear over its approved annotations, and the one
label planted wrong comes back as a flag and as a task of an audit with reason
`model_disagrees`, the model's label and its probability; a second check flags nothing new
(deduplicated); bad settings answer 400 naming them and another org's dataset 404. Then one
project per other kind: a multi-label project (the planted label set flagged per label),
fastText asked for as the trainer, and a spans project (the planted span reported as a span
disagreement), each ending in the audit queue."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, ServerTestCase, main  # noqa: E402
import test_server  # noqa: E402

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


def label_all(world, project_id, texts, answer):
    """Imports the texts and has a worker label each (answer(text) -> annotation) and a reviewer
    approve it; {text: (task_id, item_id)}."""
    reviewer, rid = world.user("rev")
    worker, wid = world.user("wrk")
    world.add_member(project_id, wid, "worker")
    world.add_member(project_id, rid, "reviewer")
    world.import_texts(project_id, texts)
    done = {}
    for _ in texts:
        t = worker.post(API + "/projects/%d/tasks/next" % project_id).json()
        r = worker.post(API + "/tasks/%d/submit" % t["id"],
                        {"annotation": answer(t["item"]["text"])})
        assert r.status == 200, r
        rv = reviewer.post(API + "/projects/%d/reviews/next" % project_id).json()
        r = reviewer.post(API + "/tasks/%d/review" % rv["id"], {"decision": "approve"})
        assert r.status == 200, r
        done[t["item"]["text"]] = (t["id"], t["item"]["id"])
    return done


def check_done(manager, project_id, job_id):
    def done():
        r = manager.get(API + "/projects/%d/label-checks" % project_id)
        assert r.status == 200, r
        for c in r.json()["items"]:
            if c["job_id"] == job_id and c["state"] not in ("queued", "running"):
                return c
        return None
    return wait_for(done, what="label check %d" % job_id)


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
        self.assertError(self.start(trainer="no-such-trainer"), 400, "bad_trainer")
        self.assertError(self.start(trainer="spans-linear"), 400, "trainer_kind")
        self.assertError(self.start(dataset_id=0), 400)
        self.assertError(self.start(cpus=0), 400)
        boxes = self.world.project(kind="image_bbox", labels=["A"])
        r = self.world.manager.post(API + "/projects/%d/label-checks" % boxes["id"], {})
        self.assertError(r, 400, "bad_kind")
        versions = self.world.manager.get(API + "/projects/%d/datasets" % boxes["id"]).json()
        self.assertEqual(versions["items"], [])  # refused before a version was made

    def test_another_projects_dataset_is_not_found(self):
        other = self.world.project()
        r = self.world.manager.post(API + "/projects/%d/label-checks" % other["id"],
                                    {"dataset_id": self.dataset})
        self.assertError(r, 404)


SPORTS = ["football goal match team %d" % i for i in range(20)]
POLITICS = ["election vote parliament law %d" % i for i in range(20)]
PLANTED_TOPIC = "football goal match team planted"
NAMES = ["Kim", "Lee", "Park", "Choi", "Jung"]
CITIES = ["Seoul", "Busan", "Daegu", "Incheon", "Ulsan", "Gwangju"]
TRIPS = ["%s went to %s today %d" % (NAMES[i % 5], CITIES[i % 6], i) for i in range(40)]
PLANTED_TRIP = "Choi went to Busan today"  # Busan (13 to 18) labelled PER


def topic(text):
    return "sports" if text.startswith("football") else "politics"


def trip_spans(text):
    name = text.split(" ")[0]
    city = text.split(" ")[3]
    at = text.index(city)
    return {"spans": [{"start": 0, "end": len(name), "label": "PER"},
                      {"start": at, "end": at + len(city),
                       "label": "PER" if text == PLANTED_TRIP else "LOC"}]}


class LabelCheckKindsTest(ServerTestCase):
    """A check of each other kind: its planted error flagged and audited."""
    conforms = test_server.ServerTest.conforms

    def check(self, project_id, **body):
        m = self.world.manager
        r = m.post(API + "/projects/%d/label-checks" % project_id, dict(folds=4, **body))
        self.assertEqual(r.status, 202, r)
        c = check_done(m, project_id, r.json()["job_id"])
        self.assertEqual(c["state"], "succeeded", c)
        # The flags of every kind are what the OpenAPI document declares.
        spec = m.get(API + "/openapi.json").json()
        route = spec["paths"]["/api/v1/projects/{id}/label-checks"]["get"]
        schema = route["responses"]["200"]["content"]["application/json"]["schema"]
        page = m.get(API + "/projects/%d/label-checks" % project_id).json()
        self.conforms(spec, schema, page, "label checks")
        return c

    def audited(self, check):
        audit = self.world.manager.get(API + "/audits/%d" % check["audit_id"]).json()
        self.assertEqual([i["reason"] for i in audit["items"]], ["model_disagrees"])
        return audit["items"][0]

    def test_multi_label_flags_the_labels_the_model_contradicts(self):
        p = self.world.project(labels=["sports", "politics"], multi_label=True)
        done = label_all(self.world, p["id"], SPORTS + POLITICS + [PLANTED_TOPIC],
                         lambda t: {"labels": ["politics" if t == PLANTED_TOPIC
                                               else topic(t)]})
        c = self.check(p["id"], threshold=0.7)
        self.assertEqual(c["trainer"], "text-linear")
        self.assertEqual([f["item_id"] for f in c["flags"]], [done[PLANTED_TOPIC][1]], c)
        flag = c["flags"][0]
        self.assertEqual(flag["label"], "politics")
        self.assertEqual(sorted((x["label"], x["given"]) for x in flag["labels"]),
                         [("politics", True), ("sports", False)])
        item = self.audited(c)
        self.assertEqual(item["task_id"], done[PLANTED_TOPIC][0])
        self.assertIn("not politics", item["model_label"])
        self.assertIn("sports", item["model_label"])

    def test_fasttext_checks_a_text_project_when_asked(self):
        p = self.world.project(labels=["sports", "politics"])
        done = label_all(self.world, p["id"], SPORTS + POLITICS + [PLANTED_TOPIC],
                         lambda t: {"labels": ["politics" if t == PLANTED_TOPIC
                                               else topic(t)]})
        c = self.check(p["id"], threshold=0.7, trainer="text-fasttext",
                       params={"epoch": 50, "dim": 10}, cpus=1)
        self.assertEqual(c["trainer"], "text-fasttext")
        self.assertEqual([f["item_id"] for f in c["flags"]], [done[PLANTED_TOPIC][1]], c)
        self.assertEqual((c["flags"][0]["label"], c["flags"][0]["model_label"]),
                         ("politics", "sports"))
        self.assertEqual(self.audited(c)["model_label"], "sports")

    def test_spans_flags_the_span_the_model_contradicts(self):
        p = self.world.project(kind="text_spans", labels=["PER", "LOC"])
        done = label_all(self.world, p["id"], TRIPS + [PLANTED_TRIP], trip_spans)
        c = self.check(p["id"], threshold=0.7)
        self.assertEqual(c["trainer"], "spans-linear")
        self.assertEqual([f["item_id"] for f in c["flags"]], [done[PLANTED_TRIP][1]], c)
        [span] = c["flags"][0]["spans"]
        self.assertEqual((span["start"], span["end"], span["label"], span["model_label"]),
                         (13, 18, "PER", "LOC"))
        item = self.audited(c)
        self.assertEqual((item["task_id"], item["model_label"]),
                         (done[PLANTED_TRIP][0], "LOC at 13-18"))


if __name__ == "__main__":
    main()
