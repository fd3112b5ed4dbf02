"""Serving what the registry holds and what ships: a text-linear model trained by a built-in job
on sentences labeled and reviewed through the loop, registered, and deployed by its version id
and by its production alias; it answers a positive sentence on the plain route and as an Open
Inference Protocol BYTES tensor. Another org's version answers 404. The language-id service
answers 400 target_unavailable until lid.176.ftz is in the server's models folder, then names
the language of a Korean and an English sentence. Moving the production alias re-deploys the
endpoint. The loop: with a feedback project, a doubtful prediction and one given negative
feedback become items with tasks (once each, up to each rule's daily cap) whose pre-annotation
is the model's answer, shown to the worker; the project is checked (org, kind, settings)."""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, BIN, Client, ServerTestCase, main  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
GOOD = ["great", "wonderful", "excellent", "lovely", "superb", "delightful"]
BAD = ["terrible", "awful", "boring", "dreadful", "horrible", "dull"]
THINGS = ["movie", "film", "story", "plot", "cast", "ending", "show"]


def sentences():
    rows = []
    for i, thing in enumerate(THINGS):
        for j in range(len(GOOD)):
            rows.append(("a %s and %s %s" % (GOOD[j], GOOD[(j + i) % 6], thing), "positive"))
            rows.append(("a %s and %s %s" % (BAD[j], BAD[(j + i) % 6], thing), "negative"))
    return rows


def wait_for(fn, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


class RegistryServingTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.eng, eng_id = w.org_user("engineer", "engineer")
        cls.model_id, cls.version = cls.train_and_register()

    @classmethod
    def label_all(cls, p, label):
        w = cls.world
        worker, wid = w.user("wrk")
        reviewer, rid = w.user("rev")
        w.add_member(p, wid, "worker")
        w.add_member(p, rid, "reviewer")
        t = worker.post(API + "/projects/%d/tasks/next" % p).json()
        while t and t.get("id"):
            r = worker.post(API + "/tasks/%d/submit" % t["id"],
                            {"annotation": {"labels": [label[t["item"]["text"]]]}, "next": True})
            assert r.status == 200, r
            t = r.json().get("next")
        rv = reviewer.post(API + "/projects/%d/reviews/next" % p).json()
        while rv and rv.get("id"):
            r = reviewer.post(API + "/tasks/%d/review" % rv["id"],
                              {"decision": "approve", "next": True})
            assert r.status == 200, r
            rv = r.json().get("next")

    @classmethod
    def train_and_register(cls, name="sentiment", flip=False):
        """A text-linear model trained on the sentences (their labels swapped when `flip`),
        registered as version 1 of model `name` with the alias production."""
        w = cls.world
        rows = sentences()
        if flip:
            swap = {"positive": "negative", "negative": "positive"}
            rows = [(t, swap[label]) for t, label in rows]
        p = w.project(labels=["positive", "negative"])["id"]
        if not flip:
            cls.project = p
        w.import_texts(p, [t for t, _ in rows])
        cls.label_all(p, dict(rows))
        ds = cls.eng.post(API + "/projects/%d/datasets" % p, {}).json()
        r = cls.eng.post(API + "/orgs/%d/jobs" % w.org["id"],
                         {"dataset_id": ds["id"], "trainer": "text-linear", "cpus": 1})
        assert r.status == 201, r
        jid = r.json()["id"]
        job = wait_for(lambda: (lambda j: j if j["state"] not in ("queued", "running") else None)(
            cls.eng.get(API + "/jobs/%d" % jid).json()), 120, "the training job")
        assert job["state"] == "succeeded", job
        mid = cls.eng.post(API + "/orgs/%d/models" % w.org["id"], {"name": name}).json()["id"]
        v = cls.eng.post(API + "/models/%d/versions" % mid, {"job_id": jid}).json()
        r = cls.eng.post(API + "/models/%d/aliases" % mid, {"name": "production", "version": 1})
        assert r.status in (200, 201), r
        return mid, v

    def deploy(self, name, targets):
        return self.eng.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                             {"name": name, "targets": targets})

    def key_for(self, endpoint_id):
        r = self.eng.post(API + "/endpoints/%d/keys" % endpoint_id, {"name": "k"})
        self.assertEqual(r.status, 201, r)
        return Client(self.server.port, token=r.json()["key"])

    def test_version_deployed_by_id_answers_text(self):
        self.assertIsInstance(self.version["id"], int)
        r = self.deploy("sentiment-v", [{"model_version_id": self.version["id"]}])
        self.assertEqual(r.status, 201, r)
        t = r.json()["targets"][0]
        self.assertEqual(t["runtime"], "text_linear")
        self.assertEqual(t["model_version_id"], self.version["id"])
        caller = self.key_for(r.json()["id"])
        r = caller.post(API + "/endpoints/sentiment-v/predict",
                        {"inputs": [{"text": "a wonderful and lovely film"},
                                    {"text": "a dull and awful plot"}]})
        self.assertEqual(r.status, 200, r)
        out = [p["output"] for p in r.json()["predictions"]]
        self.assertEqual([o["label"] for o in out], ["positive", "negative"], out)
        # The log names the registry version that answered.
        self.assertTrue(r.json()["predictions"][0]["target"].startswith(
            "model:v%d:" % self.version["id"]), r.json())
        self.assertGreater(out[0]["scores"]["positive"], 0.5)
        body = {"id": "q1", "inputs": [{"name": "input", "shape": [1], "datatype": "BYTES",
                                        "data": ["a superb and excellent story"]}]}
        r = caller.post("/v2/models/sentiment-v/infer", body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["id"], "q1")
        answer = json.loads(r.json()["outputs"][0]["data"][0])
        self.assertEqual(answer["label"], "positive", answer)

    def test_version_deployed_by_alias(self):
        r = self.deploy("sentiment-prod", [{"model": "sentiment", "alias": "production"}])
        self.assertEqual(r.status, 201, r)
        self.prod_endpoint = r.json()["id"]
        t = r.json()["targets"][0]
        self.assertEqual((t["model"], t["alias"], t["model_version_id"]),
                         ("sentiment", "production", self.version["id"]))
        caller = self.key_for(r.json()["id"])
        r = caller.post(API + "/endpoints/sentiment-prod/predict",
                        {"inputs": [{"text": "a delightful and great cast"}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["predictions"][0]["output"]["label"], "positive")
        # Moving the alias re-deploys the endpoint where it points now, and back.
        eid = self.prod_endpoint
        v2 = self.eng.post(API + "/models/%d/versions" % self.model_id,
                           {"job_id": self.version["job_id"]}).json()
        self.assertEqual(v2["version"], 2, v2)
        for version, vid, revision in ((2, v2["id"], 2), (1, self.version["id"], 3)):
            r = self.eng.post(API + "/models/%d/aliases" % self.model_id,
                              {"name": "production", "version": version})
            self.assertEqual(r.status, 200, r)
            e = self.eng.get(API + "/endpoints/%d" % eid).json()
            self.assertEqual((e["targets"][0]["model_version_id"], e["revision"]),
                             (vid, revision), e)
            r = caller.post(API + "/endpoints/sentiment-prod/predict",
                            {"inputs": [{"text": "a delightful and great cast"}]})
            self.assertEqual(r.json()["revision"], revision, r)
        # Another alias of the model moving leaves it where it is.
        self.eng.post(API + "/models/%d/aliases" % self.model_id,
                      {"name": "staging", "version": 2})
        self.assertEqual(self.eng.get(API + "/endpoints/%d" % eid).json()["revision"], 3)

    def test_unknown_or_foreign_versions_are_refused(self):
        self.assertError(self.deploy("nope-1", [{"model_version_id": 999999}]), 404,
                         "model_version_not_found")
        self.assertError(self.deploy("nope-2", [{"model": "sentiment", "alias": "staging"}]),
                         404, "model_version_not_found")
        # Another org's engineer cannot deploy this org's version.
        w = self.world
        other, oid = w.user("other")
        org = w.admin.post(API + "/orgs", {"name": "other-org"}).json()
        r = w.admin.post(API + "/orgs/%d/members" % org["id"], {"user_id": oid, "role": "engineer"})
        self.assertEqual(r.status, 201, r)
        r = other.post(API + "/orgs/%d/endpoints" % org["id"],
                       {"name": "stolen", "targets": [{"model_version_id": self.version["id"]}]})
        self.assertError(r, 404, "model_version_not_found")
        r = other.post(API + "/orgs/%d/endpoints" % org["id"],
                       {"name": "stolen-2", "targets": [{"model": "sentiment"}]})
        self.assertError(r, 404, "model_version_not_found")

    def test_langid_service(self):
        r = self.deploy("langid-early", [{"service": "langid"}])
        self.assertError(r, 400, "target_unavailable")
        self.assertIn("fetch-langid.sh", r.json()["error"]["message"])
        self.assertError(self.deploy("langid-opt", [{"service": "langid", "options": {"x": 1}}]),
                         400)
        folder = os.path.join(self.server.data_dir, "models", "langid")
        cached = os.path.join(os.path.dirname(os.path.abspath(BIN)), "langid")
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "fetch-langid.sh"), cached],
                       check=True, stdout=subprocess.DEVNULL)
        os.makedirs(folder, exist_ok=True)
        for f in ("model.json", "lid.176.ftz"):
            with open(os.path.join(cached, f), "rb") as src, \
                    open(os.path.join(folder, f), "wb") as dst:
                dst.write(src.read())
        r = self.deploy("langid", [{"service": "langid"}])
        self.assertEqual(r.status, 201, r)
        endpoint = r.json()["id"]
        caller = self.key_for(endpoint)
        r = caller.post(API + "/endpoints/langid/predict",
                        {"inputs": [{"text": "안녕하세요, 만나서 반갑습니다"},
                                    {"text": "The weather is lovely today"}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([p["output"]["label"] for p in r.json()["predictions"]], ["ko", "en"])
        # Its doubtful answers feed a text_class project whose labels are languages, the
        # language named the pre-annotation.
        w = self.world
        fp = w.project(labels=["ko", "en"])["id"]
        r = self.eng.patch(API + "/endpoints/%d" % endpoint, {
            "feedback": {"project_id": fp, "threshold": 1}})
        self.assertEqual(r.status, 200, r)
        r = caller.post(API + "/endpoints/langid/predict",
                        {"inputs": [{"text": "오늘은 날씨가 정말 좋네요"}]})
        self.assertEqual(r.status, 200, r)
        items = self.tasks_of(fp)
        self.assertEqual([i["text"] for i in items], ["오늘은 날씨가 정말 좋네요"])
        self.assertEqual(items[0]["meta"]["preannotation"], {"labels": ["ko"]})

    # -- the loop back to the crowd -------------------------------------------------------------

    def feedback_project(self, **fields):
        w = self.world
        p = w.project(labels=["positive", "negative"], **fields)
        worker, wid = w.user("loopwrk")
        w.add_member(p["id"], wid, "worker")
        return p["id"], worker

    def tasks_of(self, project_id):
        items = self.world.manager.get(API + "/projects/%d/items?limit=100" % project_id).json()
        return items["items"]

    def test_doubtful_predictions_and_complaints_become_tasks(self):
        fp, worker = self.feedback_project()
        r = self.eng.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                          {"name": "looped", "targets": [{"model": "sentiment"}],
                           "feedback": {"project_id": fp, "threshold": 0.8}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["feedback"],
                         {"project_id": fp, "threshold": 0.8, "daily_cap": 1000,
                          "canary_share": 0, "image_budget_kb": 262144, "image_days": 7})
        endpoint_id = r.json()["id"]
        caller = self.key_for(r.json()["id"])
        r = caller.post(API + "/endpoints/looped/predict",
                        {"inputs": [{"text": "a superb and wonderful and lovely and great film"},
                                    {"text": "the thing"}]})
        self.assertEqual(r.status, 200, r)
        sure, doubtful = r.json()["predictions"]
        self.assertGreaterEqual(max(sure["output"]["scores"].values()), 0.8, sure)
        self.assertLess(max(doubtful["output"]["scores"].values()), 0.8, doubtful)
        items = self.tasks_of(fp)
        self.assertEqual([i["text"] for i in items], ["the thing"])
        meta = items[0]["meta"]
        self.assertEqual(meta["prediction"], {"endpoint_id": endpoint_id,
                                              "prediction_id": doubtful["id"],
                                              "reason": "low_confidence"})
        self.assertEqual(meta["preannotation"], {"labels": [doubtful["output"]["label"]]})
        # Negative feedback on the confident answer sends it back too, once.
        for _ in range(2):
            r = caller.post(API + "/predictions/%d/feedback" % sure["id"],
                            {"correct": False, "correction": {"label": "negative"}})
            self.assertEqual(r.status, 200, r)
        caller.post(API + "/predictions/%d/feedback" % doubtful["id"], {"correct": False})
        items = self.tasks_of(fp)
        self.assertEqual(sorted(i["text"] for i in items),
                         ["a superb and wonderful and lovely and great film", "the thing"])
        complaint = [i for i in items if i["meta"]["prediction"]["prediction_id"] == sure["id"]]
        self.assertEqual(complaint[0]["meta"]["prediction"]["reason"], "negative_feedback")
        # The log names the item each prediction became (the feedback inbox reads it).
        log = self.eng.get(API + "/endpoints/%d/predictions" % endpoint_id).json()["items"]
        became = {p["id"]: p["item"] for p in log}
        self.assertEqual(became[sure["id"]], {"id": complaint[0]["id"],
                                              "reason": "negative_feedback"})
        self.assertEqual(became[doubtful["id"]]["reason"], "low_confidence")
        # The worker is shown the model's answer as a suggestion.
        t = worker.post(API + "/projects/%d/tasks/next" % fp).json()
        self.assertIn(t["item"]["text"], [i["text"] for i in items])
        self.assertIn(t["preannotation"]["labels"][0], ("positive", "negative"))
        # Positive feedback and confident answers make nothing more.
        r = caller.post(API + "/endpoints/looped/predict",
                        {"inputs": [{"text": "a dull and awful and boring and horrible show"}]})
        pid = r.json()["predictions"][0]["id"]
        caller.post(API + "/predictions/%d/feedback" % pid, {"correct": True})
        self.assertEqual(len(self.tasks_of(fp)), 2)
        # Switched off, nothing more comes.
        r = self.eng.patch(API + "/endpoints/%d" % endpoint_id, {"feedback": None})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["feedback"])
        caller.post(API + "/endpoints/looped/predict", {"inputs": [{"text": "a plot"}]})
        self.assertEqual(len(self.tasks_of(fp)), 2)

    def test_canary_disagreement_becomes_tasks_with_production_answer(self):
        # A canary trained on swapped labels disagrees with production on every sentence.
        _, flipped = self.train_and_register("sentiment-flipped", flip=True)
        fp, worker = self.feedback_project()
        targets = [{"model_version_id": self.version["id"], "weight": 70},
                   {"model_version_id": flipped["id"], "weight": 30}]
        r = self.eng.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                          {"name": "canaried", "targets": targets,
                           "feedback": {"project_id": fp, "threshold": 0, "canary_share": 1}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["feedback"]["canary_share"], 1)
        endpoint_id = r.json()["id"]
        caller = self.key_for(endpoint_id)
        texts = ["a wonderful and lovely film", "a dull and awful plot",
                 "a superb and excellent story", "a boring and horrible cast"]
        want = {texts[0]: "positive", texts[1]: "negative", texts[2]: "positive",
                texts[3]: "negative"}
        r = caller.post(API + "/endpoints/canaried/predict",
                        {"inputs": [{"text": t} for t in texts]})
        self.assertEqual(r.status, 200, r)
        preds = r.json()["predictions"]
        # One answer per input, from the target the split drew.
        self.assertEqual(len(preds), len(texts))
        for p in preds:
            self.assertIn("label", p["output"])
        items = {i["text"]: i for i in self.tasks_of(fp)}
        self.assertEqual(sorted(items), sorted(texts))
        for t, item in items.items():
            self.assertEqual(item["meta"]["prediction"]["reason"], "canary_disagreement")
            # Production's answer is the suggestion, whichever target answered the caller.
            self.assertEqual(item["meta"]["preannotation"], {"labels": [want[t]]}, t)
        # The same texts again make no new items (deduplicated by content).
        caller.post(API + "/endpoints/canaried/predict", {"inputs": [{"text": texts[0]}]})
        self.assertEqual(len(self.tasks_of(fp)), len(texts))
        # With the share at 0 the canary is never asked: nothing new comes.
        r = self.eng.patch(API + "/endpoints/%d" % endpoint_id,
                           {"feedback": {"project_id": fp, "threshold": 0, "canary_share": 0}})
        self.assertEqual(r.status, 200, r)
        caller.post(API + "/endpoints/canaried/predict",
                    {"inputs": [{"text": "a delightful and great show"}]})
        self.assertEqual(len(self.tasks_of(fp)), len(texts))

    def test_batch_preannotation_of_open_items(self):
        w = self.world
        r = self.deploy("batch-sentiment", [{"model_version_id": self.version["id"]}])
        self.assertEqual(r.status, 201, r)
        p = w.project(labels=["positive", "negative"])["id"]
        want = {"a wonderful and lovely film": "positive", "a dull and awful plot": "negative",
                "a superb and excellent story": "positive",
                "a boring and horrible cast": "negative"}
        w.import_texts(p, list(want))
        path = API + "/projects/%d/preannotations" % p
        # Bad starts name the problem.
        r = w.manager.post(path, {"endpoint": "no-such-endpoint"})
        self.assertEqual(r.status, 404, r)
        self.assertIn("no-such-endpoint", r.json()["error"]["message"])
        r = w.manager.post(path, {})
        self.assertEqual(r.status, 400, r)
        boxes = w.project(kind="image_bbox", labels=["a", "b"])["id"]
        r = w.manager.post(API + "/projects/%d/preannotations" % boxes,
                           {"endpoint": "batch-sentiment"})
        self.assertEqual(r.status, 400, r)
        self.assertIn("image_bbox", r.json()["error"]["message"])
        worker, wid = w.user("batchwrk")
        w.add_member(p, wid, "worker")
        self.assertEqual(worker.post(path, {"endpoint": "batch-sentiment"}).status, 403)
        # The run answers at once, queued; the runner's thread does the predictions.
        r = w.manager.post(path, {"endpoint": "batch-sentiment"})
        self.assertEqual(r.status, 201, r)
        run = r.json()
        self.assertEqual((run["total"], run["done"]), (4, 0))
        self.assertIn(run["state"], ("queued", "running", "done"))
        done = wait_for(lambda: (lambda runs: runs[0] if runs[0]["state"] in ("done", "failed")
                                 else None)(w.manager.get(path).json()["items"]),
                        60, "the pre-annotation run")
        self.assertEqual(done["id"], run["id"])
        self.assertEqual((done["state"], done["done"], done["skipped"]), ("done", 4, 0), done)
        items = self.tasks_of(p)
        self.assertEqual({i["text"]: i["meta"]["preannotation"] for i in items},
                         {t: {"labels": [label]} for t, label in want.items()})
        t = worker.post(API + "/projects/%d/tasks/next" % p).json()
        self.assertEqual(t["preannotation"], {"labels": [want[t["item"]["text"]]]})

    def test_batch_preannotation_with_a_model_version(self):
        w = self.world
        p = w.project(labels=["positive", "negative"])["id"]
        want = {"a lovely and superb show": "positive", "a dreadful and dull ending": "negative"}
        w.import_texts(p, list(want))
        path = API + "/projects/%d/preannotations" % p
        r = w.manager.post(path, {"endpoint": "x", "model_version_id": self.version["id"]})
        self.assertEqual(r.status, 400, r)
        r = w.manager.post(path, {"model_version_id": 999999})
        self.assertEqual(r.status, 404, r)
        r = w.manager.post(path, {"model_version_id": self.version["id"]})
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json()["model_version_id"], r.json()["endpoint_id"]),
                         (self.version["id"], None))
        done = wait_for(lambda: (lambda runs: runs[0] if runs[0]["state"] in ("done", "failed")
                                 else None)(w.manager.get(path).json()["items"]),
                        60, "the pre-annotation run")
        self.assertEqual((done["state"], done["done"]), ("done", 2), done)
        items = self.tasks_of(p)
        self.assertEqual({i["text"]: i["meta"]["preannotation"] for i in items},
                         {t: {"labels": [label]} for t, label in want.items()})

    def test_each_rule_stops_at_its_daily_cap(self):
        fp, _ = self.feedback_project()
        r = self.eng.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                          {"name": "capped", "targets": [{"model": "sentiment"}],
                           "feedback": {"project_id": fp, "threshold": 1, "daily_cap": 2}})
        self.assertEqual(r.status, 201, r)
        caller = self.key_for(r.json()["id"])
        texts = ["the plot %d" % i for i in range(5)]
        r = caller.post(API + "/endpoints/capped/predict", {"inputs": [{"text": t} for t in texts]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(sorted(i["text"] for i in self.tasks_of(fp)), texts[:2])
        # A later request finds the rule at its cap (its doubtful answers make nothing).
        r2 = caller.post(API + "/endpoints/capped/predict", {"inputs": [{"text": "the cast"}]})
        self.assertEqual(r2.status, 200, r2)
        self.assertEqual(sorted(i["text"] for i in self.tasks_of(fp)), texts[:2])
        # Negative feedback is another rule with its own cap.
        preds = r.json()["predictions"]
        for p in preds[2:4]:
            r = caller.post(API + "/predictions/%d/feedback" % p["id"], {"correct": False})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["item"]["reason"], "negative_feedback", r.json())
            self.assertNotIn("no_item", r.json())
        self.assertEqual(sorted(i["text"] for i in self.tasks_of(fp)), texts[:4])
        # Past the cap the feedback is recorded and says why no item was made.
        r = caller.post(API + "/predictions/%d/feedback" % preds[4]["id"], {"correct": False})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["item"], r.json())
        self.assertFalse(r.json()["correct"])
        self.assertIn("daily_cap", r.json()["no_item"])
        self.assertEqual(len(self.tasks_of(fp)), 4)

    def test_repeats_count_nothing_against_the_cap(self):
        """A doubtful input the project holds already makes no new work, so it leaves the
        rule's daily cap to new inputs."""
        fp, _ = self.feedback_project()
        r = self.eng.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                          {"name": "capped-repeats", "targets": [{"model": "sentiment"}],
                           "feedback": {"project_id": fp, "threshold": 1, "daily_cap": 2}})
        self.assertEqual(r.status, 201, r)
        endpoint = r.json()["id"]
        caller = self.key_for(endpoint)
        ids = []
        for _ in range(3):
            r = caller.post(API + "/endpoints/capped-repeats/predict",
                            {"inputs": [{"text": "the same plot again"}]})
            self.assertEqual(r.status, 200, r)
            ids.append(r.json()["predictions"][0]["id"])
        items = self.tasks_of(fp)
        self.assertEqual([i["text"] for i in items], ["the same plot again"])
        # The first made the item; the repeats stay untied until negative feedback ties one.
        log = {p["id"]: p for p in self.eng.get(
            API + "/endpoints/%d/predictions" % endpoint).json()["items"]}
        self.assertEqual([log[i]["item"] and log[i]["item"]["id"] for i in ids],
                         [items[0]["id"], None, None])
        r = caller.post(API + "/predictions/%d/feedback" % ids[2], {"correct": False})
        self.assertEqual(r.json()["item"]["id"], items[0]["id"], r.json())
        r = caller.post(API + "/endpoints/capped-repeats/predict",
                        {"inputs": [{"text": "a new plot"}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(sorted(i["text"] for i in self.tasks_of(fp)),
                         ["a new plot", "the same plot again"])

    def test_a_closed_project_takes_no_items(self):
        """Closed, the feedback project takes no new work from the loop: doubtful predictions
        and negative feedback make no item (the feedback says why), and no endpoint may name
        it."""
        fp, _ = self.feedback_project()
        r = self.eng.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                          {"name": "closing-loop", "targets": [{"model": "sentiment"}],
                           "feedback": {"project_id": fp, "threshold": 1}})
        self.assertEqual(r.status, 201, r)
        caller = self.key_for(r.json()["id"])
        path = API + "/endpoints/closing-loop/predict"
        self.assertEqual(caller.post(path, {"inputs": [{"text": "before it closed"}]}).status,
                         200)
        self.assertEqual([i["text"] for i in self.tasks_of(fp)], ["before it closed"])
        r = self.world.manager.patch(API + "/projects/%d" % fp, {"status": "closed"})
        self.assertEqual(r.status, 200, r)
        r = caller.post(path, {"inputs": [{"text": "after it closed"}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([i["text"] for i in self.tasks_of(fp)], ["before it closed"])
        r = caller.post(API + "/predictions/%d/feedback" % r.json()["predictions"][0]["id"],
                        {"correct": False})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["item"], r.json())
        self.assertIn("closed", r.json()["no_item"])
        self.assertEqual(len(self.tasks_of(fp)), 1)
        r = self.eng.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                          {"name": "closed-loop", "targets": [{"model": "sentiment"}],
                           "feedback": {"project_id": fp}})
        self.assertError(r, 409, "project_closed")

    def test_feedback_project_is_checked(self):
        org = self.world.org["id"]
        target = [{"model": "sentiment"}]

        def deploy(name, feedback, targets=target):
            return self.eng.post(API + "/orgs/%d/endpoints" % org,
                                 {"name": name, "targets": targets, "feedback": feedback})
        fp, _ = self.feedback_project()
        self.assertError(deploy("fb-1", {"project_id": 999999}), 404)
        self.assertError(deploy("fb-2", {"project_id": fp, "threshold": 2}), 400)
        self.assertError(deploy("fb-3", {"project_id": fp, "extra": 1}), 400)
        self.assertError(deploy("fb-6", {"project_id": fp, "daily_cap": 0}), 400)
        images = self.world.project(kind="image_class", labels=["a", "b"])["id"]
        r = self.assertError(deploy("fb-4", {"project_id": images}), 400)
        self.assertIn("image_class", r["message"])
        r = self.eng.post(API + "/orgs/%d/endpoints" % org, {"name": "fb-ok", "targets": target})
        self.assertEqual(r.status, 201, r)
        self.assertIsNone(r.json()["feedback"])
        # Targets that change under a kept feedback project are checked against it again.
        r = deploy("fb-kept", {"project_id": fp})
        self.assertEqual(r.status, 201, r)
        path = API + "/endpoints/%d" % r.json()["id"]
        r = self.assertError(self.eng.patch(path, {"targets": [{"service": "ocr"}]}), 400)
        # The OCR service answers transcriptions: not this text_class project's kind.
        self.assertIn("image_transcription", r["message"])
        self.assertEqual(self.eng.get(path).json()["targets"][0]["model"], "sentiment")
        r = self.eng.patch(path, {"targets": [{"service": "ocr"}], "feedback": None})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["feedback"])
        # Another org's project answers 404.
        w = self.world
        other_org = w.admin.post(API + "/orgs", {"name": "loop-other"}).json()["id"]
        mgr, mid = w.user("othermgr")
        w.admin.post(API + "/orgs/%d/members" % other_org, {"user_id": mid, "role": "manager"})
        op = mgr.post(API + "/projects", {"org_id": other_org, "name": "theirs",
                                          "kind": "text_class", "labels": ["positive", "negative"],
                                          "status": "open"})
        self.assertEqual(op.status, 201, op)
        self.assertError(deploy("fb-5", {"project_id": op.json()["id"]}), 404)


if __name__ == "__main__":
    main()
