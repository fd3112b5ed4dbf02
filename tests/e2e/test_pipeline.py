"""The automated retraining pipeline end to end on real data: the UCI sentiment sentences of
scripts/demo-data.sh, labeled by a worker and approved by a reviewer through the loop. Enough
approvals start a run on the runner's thread: a dataset version, a built-in training job, its
evaluation, a registered version; with no production yet the first version is promoted by the
pipeline (an alias event by "pipeline"). More approvals start a second run whose version keeps
the first version's test items (new items go to train only) and whose promotion is decided by
the figures against production's on those items; an endpoint following `production` follows a
promotion. A run whose training job fails (cancelled) stops at that step and leaves production as it was. In
approve mode a run waits, and a person's approval moves the alias. A production trained on a
version of its own is evaluated on the run's test items, for an image classifier too. A run left
waiting is superseded by the next one. Settings are checked."""
import fcntl
import json
import os
import random
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, BIN, ServerTestCase, main, multipart, sqlite_query,  # noqa: E402
                     wait_for)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
# The build directory of the binary under test holds the demo data, as for the trainer tests.
MODEL_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oip_model_server.py")
BUILD = os.environ.get("CROWDLOOP_BUILD_DIR") or os.path.dirname(os.path.abspath(BIN))
FINAL = ("promoted", "kept", "rejected", "failed", "waiting", "superseded")


def sentences():
    out = os.path.join(BUILD, "demo-data")
    os.makedirs(out, exist_ok=True)
    # Tests run in parallel: one makes the file while the others wait.
    with open(os.path.join(out, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "demo-data.sh"), out],
                       check=True, stdout=subprocess.DEVNULL)
    rows = []
    with open(os.path.join(out, "sentences.jsonl")) as f:
        for line in f:
            s = json.loads(line)
            rows.append((s["text"], s["meta"]["original_label"]))
    # Duplicated texts would be one item: keep the first of each.
    seen, unique = set(), []
    for text, label in rows:
        if text not in seen:
            seen.add(text)
            unique.append((text, label))
    return unique


class PipelineWorld(ServerTestCase):
    """A server with an engineer, a worker and a reviewer, the sentiment sentences, and the
    steps the pipeline's tests take (test_whole_loop.py takes them too)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.eng, eng_id = w.org_user("engineer", "engineer")
        cls.worker, cls.worker_id = w.user("wrk")
        cls.reviewer, cls.reviewer_id = w.user("rev")
        cls.rows = sentences()
        cls.label = dict(cls.rows)

    def new_project(self):
        w = self.world
        p = w.project(labels=["positive", "negative"])["id"]
        w.add_member(p, self.worker_id, "worker")
        w.add_member(p, self.reviewer_id, "reviewer")
        return p

    def label_and_approve(self, p, rows):
        self.world.import_texts(p, [t for t, _ in rows])
        t = self.worker.post(API + "/projects/%d/tasks/next" % p).json()
        while t and t.get("id"):
            r = self.worker.post(API + "/tasks/%d/submit" % t["id"],
                                 {"annotation": {"labels": [self.label[t["item"]["text"]]]},
                                  "next": True})
            self.assertEqual(r.status, 200, r)
            t = r.json().get("next")
        rv = self.reviewer.post(API + "/projects/%d/reviews/next" % p).json()
        while rv and rv.get("id"):
            r = self.reviewer.post(API + "/tasks/%d/review" % rv["id"],
                                   {"decision": "approve", "next": True})
            self.assertEqual(r.status, 200, r)
            rv = r.json().get("next")

    def settings(self, p, **fields):
        """Sets the whole settings: the defaults below, changed by `fields`."""
        body = {"enabled": True, "threshold": 100, "trainer": "text-linear", "model": "sentiment",
                "metric": "accuracy", "margin": 0.0, "mode": "auto"}
        body.update(fields)
        r = self.eng.request("PUT", API + "/projects/%d/pipeline" % p, body)
        self.assertEqual(r.status, 200, r)
        return r.json()["settings"]

    def runs(self, p):
        r = self.eng.get(API + "/projects/%d/pipeline" % p)
        self.assertEqual(r.status, 200, r)
        return r.json()["runs"]

    def wait_run(self, p, n, timeout=180):
        """The project's n-th run once it has ended (or waits for a person)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            runs = self.runs(p)  # newest first
            if len(runs) >= n and runs[len(runs) - n]["state"] in FINAL:
                return runs[len(runs) - n]
            time.sleep(0.3)
        self.fail("run %d of project %d did not end: %s\n%s" % (n, p, self.runs(p),
                                                               self.server.tail()))

    def steps(self, run):
        return [(s["step"], s["state"]) for s in run["steps"]]

    def model(self, name):
        r = self.eng.get(API + "/orgs/%d/models" % self.world.org["id"])
        self.assertEqual(r.status, 200, r)
        return next(m for m in r.json()["items"] if m["name"] == name)

    def production(self, model_id):
        return self.eng.get(API + "/models/%d/aliases" % model_id).json()


class PipelineTest(PipelineWorld):
    server_args = ("--allow-custom-jobs",)

    def registered(self, rows, name, versions=1):
        """A model `name` of `versions` versions of one text-linear job, trained on a new
        project of `rows` labeled and approved, production at version 1: (its id, the
        project)."""
        p = self.new_project()
        self.label_and_approve(p, rows)
        ds = self.eng.post(API + "/projects/%d/datasets" % p, {}).json()
        r = self.eng.post(API + "/orgs/%d/jobs" % self.world.org["id"],
                          {"dataset_id": ds["id"], "trainer": "text-linear", "cpus": 1})
        self.assertEqual(r.status, 201, r)
        job = wait_for(lambda: (lambda j: j if j["state"] not in ("queued", "running") else None)(
            self.eng.get(API + "/jobs/%d" % r.json()["id"]).json()), timeout=120)
        self.assertEqual(job["state"], "succeeded", job)
        mid = self.eng.post(API + "/orgs/%d/models" % self.world.org["id"],
                            {"name": name}).json()["id"]
        for _ in range(versions):
            self.assertEqual(self.eng.post(API + "/models/%d/versions" % mid,
                                           {"job_id": job["id"]}).status, 201)
        self.assertEqual(self.eng.post(API + "/models/%d/aliases" % mid,
                                       {"name": "production", "version": 1}).status, 200)
        return mid, p

    def test_a_model_server_follows_an_alias_an_admin_moves(self):
        """An endpoint whose model server serves an alias follows it whoever moves it: one of
        the org's owners or engineers approved the server when deploying it."""
        mid, _ = self.registered(self.rows[1020:1100], "served", versions=2)
        target = {"command": [sys.executable, MODEL_SERVER, "{port}"],
                  "env": {"MODEL_NAME": "tiny"}, "model_name": "tiny", "ready_timeout_s": 30,
                  "model": "served", "alias": "production"}
        r = self.eng.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                          {"name": "served-by-a-server", "targets": [target]})
        self.assertEqual(r.status, 201, r)
        endpoint = r.json()
        v1 = endpoint["targets"][0]["model_version_id"]
        # The admin is no member of the org.
        r = self.world.admin.post(API + "/models/%d/aliases" % mid,
                                  {"name": "production", "version": 2})
        self.assertEqual(r.status, 200, r)
        moved = wait_for(lambda: self.eng.get(API + "/endpoints/%d" % endpoint["id"]).json()
                         ["targets"][0]["model_version_id"] != v1, timeout=30)
        self.assertTrue(moved, self.server.tail())

    def test_settings_are_checked(self):
        p = self.new_project()
        r = self.eng.get(API + "/projects/%d/pipeline" % p)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["settings"])
        url = API + "/projects/%d/pipeline" % p
        good = {"trainer": "text-linear", "model": "m"}
        for bad in ({"margin": 2}, {"threshold": 0}, {"metric": "loss"}, {"mode": "often"},
                    {"trainer": "image-hog"}, {"params": {"C": -1}}, {"model": "bad name"}):
            r = self.eng.request("PUT", url, dict(good, **bad))
            self.assertError(r, 400)
        self.assertError(self.eng.request("PUT", url, {"model": "m"}), 400)
        self.assertError(self.worker.request("PUT", url, good), 403)
        other = self.world.user("outsider")[0]
        self.assertError(other.get(url), 404)
        s = self.settings(p, threshold=5, enabled=False)
        self.assertEqual((s["threshold"], s["enabled"], s["mode"]), (5, False, "auto"))
        r = self.eng.post(url + "/runs/999/approve")
        self.assertError(r, 404)

    def test_the_loop_retrains_and_promotes_by_the_figures(self):
        p = self.new_project()
        first, second = self.rows[:300], self.rows[300:900]
        # A first recipe that barely learns: the figure the second run must beat. The
        # pipeline is switched on once the batch is approved, so a run sees all of it.
        self.label_and_approve(p, first)
        self.settings(p, threshold=250, trainer="text-fasttext",
                      params={"epoch": 1, "lr": 0.001, "dim": 2}, margin=0.05)
        run1 = self.wait_run(p, 1)
        self.assertEqual(run1["state"], "promoted", run1)
        self.assertEqual(self.steps(run1),
                         [("trigger", "done"), ("dataset", "done"), ("train", "done"),
                          ("evaluate", "done"), ("register", "done"), ("compare", "done"),
                          ("promote", "done")])
        self.assertEqual(run1["approved"], 300)
        model = self.model("sentiment")
        aliases = self.production(model["id"])
        self.assertEqual(aliases["aliases"]["production"], 1)
        self.assertEqual(aliases["events"][-1]["actor"], "pipeline")
        # An endpoint that follows production.
        r = self.eng.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                          {"name": "pipeline-prod",
                           "targets": [{"model": "sentiment", "alias": "production"}]})
        self.assertEqual(r.status, 201, r)
        endpoint = r.json()
        v1_id = endpoint["targets"][0]["model_version_id"]

        # More approvals: the production recipe now learns.
        self.settings(p, enabled=False)
        self.label_and_approve(p, second)
        self.settings(p, threshold=250, trainer="text-linear", params={}, margin=0.05)
        run2 = self.wait_run(p, 2)
        self.assertEqual(run2["id"], run1["id"] + 1)
        self.assertNotEqual(run2["dataset_id"], run1["dataset_id"])
        # The same test items; every new item in train.
        q = ("SELECT item_hash FROM dataset_rows WHERE dataset_id = %d AND split = '%s'")
        tests1 = set(sqlite_query(self.server.data_dir, q % (run1["dataset_id"], "test")))
        tests2 = set(sqlite_query(self.server.data_dir, q % (run2["dataset_id"], "test")))
        self.assertTrue(tests1)
        self.assertEqual(tests1, tests2)
        new = sqlite_query(self.server.data_dir,
                           "SELECT DISTINCT split FROM dataset_rows WHERE dataset_id = %d AND"
                           " item_hash NOT IN (SELECT item_hash FROM dataset_rows WHERE"
                           " dataset_id = %d)" % (run2["dataset_id"], run1["dataset_id"]))
        self.assertEqual(new, [("train",)])
        self.assertIsNone(self.eng.get(API + "/datasets/%d" % run1["dataset_id"]).json()["test_from"])
        self.assertEqual(self.eng.get(API + "/datasets/%d" % run2["dataset_id"]).json()["test_from"],
                         run1["dataset_id"])
        # The decision follows the figures on those items.
        self.assertEqual(run2["production_version"], 1)
        self.assertAlmostEqual(run2["production_figure"], run1["figure"], places=6)
        better = (run2["figure"] > run2["production_figure"] and
                  run2["figure"] - run2["production_figure"] >= 0.05 - 1e-12)
        self.assertEqual(run2["state"], "promoted" if better else "kept", run2)
        # The under-trained first version is far behind: this run promotes.
        self.assertEqual(run2["state"], "promoted", run2)
        self.assertEqual(self.production(model["id"])["aliases"]["production"], 2)
        # The endpoint follows right after the alias moved.
        moved = wait_for(lambda: self.eng.get(API + "/endpoints/%d" % endpoint["id"]).json()
                         ["targets"][0]["model_version_id"] != v1_id, timeout=30)
        self.assertTrue(moved, self.server.tail())

        # A third run whose training job fails (cancelled while it runs: a long recipe) stops
        # at that step with its reason; production stays.
        self.settings(p, enabled=False)
        self.label_and_approve(p, self.rows[900:960])
        self.settings(p, threshold=50, trainer="text-fasttext",
                      params={"epoch": 200, "dim": 300})
        job = wait_for(lambda: (lambda rs: len(rs) >= 3 and rs[0]["job_id"])(self.runs(p)),
                       timeout=60)
        self.assertTrue(job)
        r = self.eng.post(API + "/jobs/%d/cancel" % job)
        self.assertEqual(r.status, 200, r)
        run3 = self.wait_run(p, 3)
        self.assertEqual(run3["state"], "failed", run3)
        self.assertEqual(self.steps(run3)[-1], ("train", "failed"))
        self.assertIn("cancelled", run3["reason"])
        self.assertIsNone(run3["model_version"])
        self.assertEqual(self.production(model["id"])["aliases"]["production"], 2)

        # Margin 1: nothing beats production by that much; it stays.
        self.settings(p, enabled=False)
        self.label_and_approve(p, self.rows[960:1020])
        self.settings(p, threshold=50, margin=1.0)
        run4 = self.wait_run(p, 4)
        self.assertEqual(run4["state"], "kept", run4)
        self.assertEqual(self.production(model["id"])["aliases"]["production"], 2)

    def test_production_trained_elsewhere_is_evaluated_on_the_runs_test_items(self):
        """Production made by hand from a version of its own is evaluated on the run's test
        items; the same recipe on the same data scores the same there, and equal keeps it."""
        mid, p = self.registered(self.rows[1300:1500], "sentiment-c")
        self.settings(p, threshold=100, model="sentiment-c")
        run = self.wait_run(p, 1)
        compare = next(s for s in run["steps"] if s["step"] == "compare")["figures"]
        self.assertTrue(compare["production_evaluated_here"], compare)
        self.assertTrue(compare["comparable"], compare)
        own = self.eng.get(API + "/models/%d/versions" % mid).json()["items"][0]["evaluation"]
        self.assertAlmostEqual(compare["production"], own["accuracy"], places=6)
        self.assertAlmostEqual(run["figure"], own["accuracy"], places=6)
        self.assertEqual(run["state"], "kept", run)
        self.assertEqual(self.production(mid)["aliases"]["production"], 1)

    def test_approve_mode_waits_for_a_person(self):
        p = self.new_project()
        self.label_and_approve(p, self.rows[1100:1250])
        self.settings(p, threshold=100, model="sentiment-b", mode="approve")
        run = self.wait_run(p, 1)
        self.assertEqual(run["state"], "waiting", run)
        self.assertEqual(self.steps(run)[-1], ("approval", "waiting"))
        model = self.model("sentiment-b")
        self.assertNotIn("production", self.production(model["id"])["aliases"])
        url = API + "/projects/%d/pipeline/runs/%d" % (p, run["id"])
        self.assertError(self.worker.post(url + "/approve"), 403)
        r = self.world.manager.post(url + "/approve")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["state"], "promoted")
        aliases = self.production(model["id"])
        self.assertEqual(aliases["aliases"]["production"], run["model_version"])
        self.assertTrue(aliases["events"][-1]["actor"].startswith("manager"))
        self.assertError(self.world.manager.post(url + "/approve"), 409, "not_waiting")
        self.assertEqual(self.runs(p)[0]["state"], "promoted")

    def test_a_new_run_supersedes_one_waiting_for_a_person(self):
        """A run left waiting does not block the pipeline: the next trigger closes it as
        superseded (its version registered, production untouched) and runs."""
        p = self.new_project()
        self.assertGreaterEqual(len(self.rows), 1760)
        self.label_and_approve(p, self.rows[1500:1650])
        self.settings(p, threshold=100, model="sentiment-d", mode="approve")
        first = self.wait_run(p, 1)
        self.assertEqual(first["state"], "waiting", first)
        self.label_and_approve(p, self.rows[1650:1760])
        second = self.wait_run(p, 2)
        first = next(r for r in self.runs(p) if r["id"] == first["id"])
        self.assertEqual(first["state"], "superseded", first)
        self.assertEqual(self.steps(first)[-1], ("approval", "done"))
        self.assertIn("superseded", first["reason"])
        self.assertIsNotNone(first["ended_at"])
        trigger = next(s for s in second["steps"] if s["step"] == "trigger")
        self.assertEqual(trigger["figures"]["supersedes"], first["id"])
        self.assertEqual(second["state"], "waiting", second)
        url = API + "/projects/%d/pipeline/runs/%d" % (p, first["id"])
        self.assertError(self.world.manager.post(url + "/approve"), 409, "not_waiting")
        model = self.model("sentiment-d")
        versions = self.eng.get(API + "/models/%d/versions" % model["id"]).json()["items"]
        self.assertEqual(sorted(v["version"] for v in versions),
                         [first["model_version"], second["model_version"]])
        self.assertNotIn("production", self.production(model["id"])["aliases"])

    def test_an_image_classifier_in_production_is_evaluated_on_the_runs_test_items(self):
        """As the text case above, with image-hog on stripes: production made by hand is
        evaluated in process on the run's test images, the figure its own evaluation's."""
        w = self.world
        p = w.project(kind="image_class", labels=["h", "v"])["id"]
        w.add_member(p, self.worker_id, "worker")
        w.add_member(p, self.reviewer_id, "reviewer")
        rnd = random.Random(7)
        files = [("file", "s%d.png" % i, "image/png", stripes_png(i % 2 == 0, rnd))
                 for i in range(80)]
        body, ctype = multipart(files)
        r = w.manager.post(API + "/projects/%d/items" % p, body, headers={"Content-Type": ctype})
        self.assertEqual(r.status, 200, r)
        self.label_and_approve_images(p)
        ds = self.eng.post(API + "/projects/%d/datasets" % p, {}).json()
        r = self.eng.post(API + "/orgs/%d/jobs" % w.org["id"],
                          {"dataset_id": ds["id"], "trainer": "image-hog", "cpus": 1})
        self.assertEqual(r.status, 201, r)
        job = wait_for(lambda: (lambda j: j if j["state"] not in ("queued", "running") else None)(
            self.eng.get(API + "/jobs/%d" % r.json()["id"]).json()), timeout=120)
        self.assertEqual(job["state"], "succeeded", job)
        mid = self.eng.post(API + "/orgs/%d/models" % w.org["id"], {"name": "stripes"}).json()["id"]
        self.assertEqual(self.eng.post(API + "/models/%d/versions" % mid,
                                       {"job_id": job["id"]}).status, 201)
        self.assertEqual(self.eng.post(API + "/models/%d/aliases" % mid,
                                       {"name": "production", "version": 1}).status, 200)
        self.settings(p, threshold=50, trainer="image-hog", model="stripes")
        run = self.wait_run(p, 1)
        compare = next(s for s in run["steps"] if s["step"] == "compare")["figures"]
        self.assertTrue(compare["production_evaluated_here"], compare)
        self.assertTrue(compare["comparable"], compare)
        own = self.eng.get(API + "/models/%d/versions" % mid).json()["items"][0]["evaluation"]
        self.assertAlmostEqual(compare["production"], own["accuracy"], places=6)
        self.assertEqual(run["state"], "kept", run)

    def label_and_approve_images(self, p):
        """Labels each stripes image by its width (h: 32, v: 33), then approves them."""
        t = self.worker.post(API + "/projects/%d/tasks/next" % p).json()
        while t and t.get("id"):
            label = "h" if t["item"]["width"] == 32 else "v"
            r = self.worker.post(API + "/tasks/%d/submit" % t["id"],
                                 {"annotation": {"labels": [label]}, "next": True})
            self.assertEqual(r.status, 200, r)
            t = r.json().get("next")
        rv = self.reviewer.post(API + "/projects/%d/reviews/next" % p).json()
        while rv and rv.get("id"):
            r = self.reviewer.post(API + "/tasks/%d/review" % rv["id"],
                                   {"decision": "approve", "next": True})
            self.assertEqual(r.status, 200, r)
            rv = r.json().get("next")


def stripes_png(horizontal, rnd):
    """A grey PNG of stripes with noise: horizontal ones 32 wide, vertical ones 33."""
    import zlib
    width, height = (32, 32) if horizontal else (33, 32)
    rows = b"".join(
        b"\x00" + bytes((200 if ((y if horizontal else x) // 3) % 2 else 50) + rnd.randrange(40)
                        for x in range(width))
        for y in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    main()
