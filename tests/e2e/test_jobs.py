"""Training jobs against a real server: custom commands that print metric lines and write output
files, failures with their exit status and log tail, cancel of a whole process group, the time
limit, retries, a server killed with -9 while a job runs (adopted, never started twice), metric
batches and their limit, the run token, and the model registry with its alias events."""
import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, Client, Server, ServerTestCase, World, main  # noqa: E402


def wait_for(fn, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class JobWorld:
    """An engineer and a dataset version of a small text project."""

    def __init__(self, world):
        self.w = world
        self.eng, self.eng_id = world.user("engineer")
        r = world.admin.post(API + "/orgs/%d/members" % world.org["id"],
                             {"user_id": self.eng_id, "role": "engineer"})
        assert r.status == 201, r
        p = world.project()
        self.project = p["id"]
        reviewer, rid = world.user("rev")
        worker, wid = world.user("wrk")
        world.add_member(p["id"], wid, "worker")
        world.add_member(p["id"], rid, "reviewer")
        world.import_texts(p["id"], ["good movie", "bad movie", "fine film"])
        for _ in range(3):
            t = worker.post(API + "/projects/%d/tasks/next" % p["id"]).json()
            worker.post(API + "/tasks/%d/submit" % t["id"], {"annotation": {"labels": ["pos"]}})
            rv = reviewer.post(API + "/projects/%d/reviews/next" % p["id"]).json()
            reviewer.post(API + "/tasks/%d/review" % rv["id"], {"decision": "approve"})
        r = self.eng.post(API + "/projects/%d/datasets" % p["id"], {})
        assert r.status == 201, r
        self.dataset = r.json()["id"]

    def submit(self, command, **kw):
        body = {"dataset_id": self.dataset, "command": command}
        body.update(kw)
        return self.eng.post(API + "/orgs/%d/jobs" % self.w.org["id"], body)

    def job(self, jid):
        return self.eng.get(API + "/jobs/%d" % jid).json()

    def wait_end(self, jid, timeout=30):
        return wait_for(lambda: (lambda j: j if j["state"] not in ("queued", "running")
                                 else None)(self.job(jid)), timeout, "job %d to end" % jid)


SCRIPT_OK = r'''
echo "starting in $PWD"
test -f "$CROWDLOOP_DATASET/project.json" || exit 3
wc -l < "$CROWDLOOP_DATASET/rows.jsonl" > "$CROWDLOOP_OUTPUT/rows.txt"
echo "CROWDLOOP_METRIC loss=0.5 step=1"
echo "CROWDLOOP_METRIC loss=0.25 step=2"
echo '{"key":"acc","value":0.9,"step":2}' > "$CROWDLOOP_OUTPUT/metrics.jsonl"
echo '{"accuracy":0.9}' > "$CROWDLOOP_OUTPUT/evaluation.json"
echo "run $CROWDLOOP_RUN_ID done"
'''


class CustomJobsTest(ServerTestCase):
    server_args = ("--allow-custom-jobs", "--gpus", "2")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.jw = JobWorld(cls.world)

    def test_custom_job_succeeds_with_metrics_artifacts_and_log(self):
        r = self.jw.submit(["sh", "-c", SCRIPT_OK])
        self.assertEqual(r.status, 201, r)
        jid = r.json()["id"]
        self.assertEqual(r.json()["kind"], "custom")
        # A follower of the log reads until the job ends.
        follow = self.jw.eng.get(API + "/jobs/%d/logs?follow=1" % jid)
        self.assertEqual(follow.status, 200, follow)
        self.assertIn(b"run %d done" % jid, follow.body)
        j = self.jw.wait_end(jid)
        self.assertEqual(j["state"], "succeeded", j)
        self.assertEqual(j["exit_status"], 0)
        self.assertEqual(j["evaluation"], {"accuracy": 0.9})
        self.assertEqual(j["final_metrics"], {"loss": 0.25, "acc": 0.9})
        m = self.jw.eng.get(API + "/jobs/%d/metrics?key=loss" % jid).json()
        self.assertEqual([(p["step"], p["value"]) for p in m["series"]["loss"]],
                         [(1, 0.5), (2, 0.25)])
        arts = self.jw.eng.get(API + "/jobs/%d/artifacts" % jid).json()["items"]
        paths = {a["path"]: a for a in arts}
        self.assertEqual(set(paths), {"rows.txt", "metrics.jsonl", "evaluation.json"})
        body = self.jw.eng.get(API + "/jobs/%d/artifacts/%d" % (jid, paths["rows.txt"]["id"]))
        self.assertEqual(body.status, 200)
        self.assertEqual(body.body.strip(), b"3")  # the three approved rows
        tail = self.jw.eng.get(API + "/jobs/%d/logs?tail=1" % jid)
        self.assertEqual(tail.body.count(b"\n"), 1, tail.body)
        # A worker of the org's project, a manager and another org see nothing of it.
        self.assertEqual(self.world.manager.get(API + "/jobs/%d" % jid).status, 403)
        outsider = self.world.user("out")[0]
        self.assertEqual(outsider.get(API + "/jobs/%d" % jid).status, 404)

    def test_failing_job_reports_exit_status_and_tail(self):
        r = self.jw.submit(["sh", "-c", "echo about to fail; echo oops >&2; exit 7"])
        jid = r.json()["id"]
        j = self.jw.wait_end(jid)
        self.assertEqual(j["state"], "failed")
        self.assertEqual(j["exit_status"], 7)
        self.assertEqual(j["end_reason"], "exited")
        tail = self.jw.eng.get(API + "/jobs/%d/logs?tail=5" % jid).body.decode()
        self.assertIn("oops", tail)
        self.assertIn("exit status 7", tail)

    def test_retry_runs_again_until_max_retries(self):
        d = tempfile.mkdtemp()
        marker = os.path.join(d, "starts")
        r = self.jw.submit(["sh", "-c", "echo x >> %s; exit 1" % marker], max_retries=2)
        j = self.jw.wait_end(r.json()["id"])
        self.assertEqual(j["state"], "failed")
        self.assertEqual(j["attempt"], 3)
        with open(marker) as f:
            self.assertEqual(len(f.readlines()), 3)

    def test_cancel_ends_the_whole_process_group(self):
        d = tempfile.mkdtemp()
        pidfile = os.path.join(d, "child")
        r = self.jw.submit(["sh", "-c", "sleep 300 & echo $! > %s; wait" % pidfile])
        jid = r.json()["id"]
        wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), 20, "child")
        child = int(open(pidfile).read())
        self.assertTrue(pid_alive(child))
        r = self.jw.eng.post(API + "/jobs/%d/cancel" % jid)
        self.assertEqual(r.status, 200, r)
        j = self.jw.wait_end(jid)
        self.assertEqual(j["state"], "cancelled")
        wait_for(lambda: not pid_alive(child), 15, "the job's child to end")
        self.assertError(self.jw.eng.post(API + "/jobs/%d/cancel" % jid), 409, "job_ended")

    def test_org_quota_holds_jobs_back(self):
        org = self.world.org["id"]
        self.assertError(self.jw.eng.post(API + "/orgs/%d/quota" % org, {
            "max_cpus": 1, "max_gpus": 0, "weight": 1}), 403)
        r = self.world.admin.post(API + "/orgs/%d/quota" % org,
                                  {"max_cpus": 1, "max_gpus": -1, "weight": 1})
        self.assertEqual(r.json(), {"org_id": org, "max_cpus": 1, "max_gpus": -1,
                                    "max_mem_mb": -1, "weight": 1})
        try:
            self.assertError(self.jw.submit(["true"], cpus=2), 400, "over_quota")
            d = tempfile.mkdtemp()
            go = os.path.join(d, "go")
            first = self.jw.submit(["sh", "-c", "while [ ! -f %s ]; do sleep 0.1; done" % go])
            first = first.json()["id"]
            wait_for(lambda: self.jw.job(first)["state"] == "running", 20, "the first job")
            second = self.jw.submit(["true"]).json()["id"]
            time.sleep(1)  # several of the runner's looks: the quota holds it back
            self.assertEqual(self.jw.job(second)["state"], "queued")
            open(go, "w").close()
            self.assertEqual(self.jw.wait_end(second)["state"], "succeeded")
        finally:
            self.world.admin.post(API + "/orgs/%d/quota" % org,
                                  {"max_cpus": -1, "max_gpus": -1, "weight": 1})

    def test_dataset_in_the_format_asked(self):
        """A custom job asking for csv or labelstudio finds the version in it beside the
        dataset directory; a format that cannot hold the kind, or none known, is 400."""
        script = ('test "$CROWDLOOP_FORMAT" = "$1" && test -f "$CROWDLOOP_DATASET/rows.jsonl"'
                  ' && echo "file=$(basename "$CROWDLOOP_DATASET_FILE")"'
                  ' && echo "lines=$(wc -l < "$CROWDLOOP_DATASET_FILE")"'
                  ' && cat "$CROWDLOOP_DATASET_FILE"')
        for fmt, name in (("csv", "export.csv"), ("labelstudio", "export.json")):
            r = self.jw.submit(["sh", "-c", script, "sh", fmt], format=fmt)
            self.assertEqual(r.status, 201, r)
            jid = r.json()["id"]
            j = self.jw.wait_end(jid)
            log = self.jw.eng.get(API + "/jobs/%d/logs" % jid).body.decode()
            self.assertEqual(j["state"], "succeeded", log)
            self.assertIn("file=" + name, log)
            self.assertIn("good movie", log)
            if fmt == "csv":
                self.assertIn("lines=4", log)  # a header and 3 rows
            else:
                self.assertEqual(log.count('"good movie"') + log.count('"bad movie"') +
                                 log.count('"fine film"'), 3, log)
        self.assertError(self.jw.submit(["true"], format="coco"), 400, "unsupported_format")
        self.assertError(self.jw.submit(["true"], format="nope"), 400, "unknown_format")

    def test_org_memory_quota(self):
        """Memory is part of the quota: a job asking more than it ever allows is refused at
        submission, one within it queues (the scheduler's unit test walks the holding back)."""
        org = self.world.org["id"]
        r = self.world.admin.post(API + "/orgs/%d/quota" % org, {
            "max_cpus": -1, "max_gpus": -1, "weight": 1, "max_mem_mb": 1536})
        self.assertEqual(r.json()["max_mem_mb"], 1536, r)
        self.assertEqual(self.jw.eng.get(API + "/orgs/%d/quota" % org).json()["max_mem_mb"],
                         1536)
        try:
            r = self.jw.submit(["true"], mem_mb=2048)
            self.assertError(r, 400, "over_quota")
            self.assertIn("mem_mb", r.json()["error"]["message"])
            r = self.jw.submit(["true"], mem_mb=1024)
            self.assertEqual(r.status, 201, r)
            self.assertEqual(self.jw.wait_end(r.json()["id"])["state"], "succeeded")
            self.assertError(self.world.admin.post(API + "/orgs/%d/quota" % org, {
                "max_cpus": -1, "max_gpus": -1, "weight": 1, "max_mem_mb": -5}), 400)
        finally:
            self.world.admin.post(API + "/orgs/%d/quota" % org,
                                  {"max_cpus": -1, "max_gpus": -1, "weight": 1})

    def test_a_job_whose_data_is_gone_fails_to_start(self):
        org = self.world.org["id"]
        self.world.admin.post(API + "/orgs/%d/quota" % org,
                              {"max_cpus": 1, "max_gpus": -1, "weight": 1})
        try:
            d = tempfile.mkdtemp()
            go = os.path.join(d, "go")
            blocker = self.jw.submit(["sh", "-c", "while [ ! -f %s ]; do sleep 0.1; done" % go])
            blocker = blocker.json()["id"]
            wait_for(lambda: self.jw.job(blocker)["state"] == "running", 20, "the blocker")
            old = self.jw.eng.post(API + "/projects/%d/datasets" % self.jw.project, {}).json()
            self.jw.eng.post(API + "/projects/%d/datasets" % self.jw.project, {})
            r = self.jw.eng.post(API + "/orgs/%d/jobs" % org,
                                 {"dataset_id": old["id"], "command": ["true"]})
            jid = r.json()["id"]
            r = self.jw.eng.request("DELETE", API + "/datasets/%d" % old["id"])
            self.assertEqual(r.status, 204, r)
            open(go, "w").close()
            j = self.jw.wait_end(jid)
            self.assertEqual((j["state"], j["attempt"]), ("failed", 1))
            self.assertIn(b"cannot start", self.jw.eng.get(API + "/jobs/%d/logs" % jid).body)
        finally:
            self.world.admin.post(API + "/orgs/%d/quota" % org,
                                  {"max_cpus": -1, "max_gpus": -1, "weight": 1})

    def test_time_limit(self):
        r = self.jw.submit(["sleep", "300"], time_limit_s=1)
        j = self.jw.wait_end(r.json()["id"], 30)
        self.assertEqual(j["state"], "failed")
        self.assertEqual(j["end_reason"], "timed_out")

    def test_gpus_are_given_as_cuda_visible_devices(self):
        r = self.jw.submit(["sh", "-c", 'echo "devices=$CUDA_VISIBLE_DEVICES"'], gpus=2)
        jid = r.json()["id"]
        j = self.jw.wait_end(jid)
        self.assertEqual(j["gpu_list"], "0,1")
        self.assertIn(b"devices=0,1", self.jw.eng.get(API + "/jobs/%d/logs" % jid).body)
        self.assertError(self.jw.submit(["true"], gpus=3), 400)

    def test_metric_batches_and_the_run_token(self):
        r = self.jw.submit(["sh", "-c", 'curl -s -o /dev/null -w "%{http_code}" -X POST '
                            '-H "Authorization: Bearer $CROWDLOOP_TOKEN" '
                            '-H "Content-Type: application/json" '
                            '-d \'{"metrics":[{"key":"tok","value":1,"step":3}]}\' '
                            '"$CROWDLOOP_SERVER/api/v1/jobs/$CROWDLOOP_RUN_ID/metrics"; echo; '
                            'curl -s -o /dev/null -w "other=%{http_code}" '
                            '-H "Authorization: Bearer $CROWDLOOP_TOKEN" '
                            '"$CROWDLOOP_SERVER/api/v1/jobs/$CROWDLOOP_RUN_ID"'])
        jid = r.json()["id"]
        j = self.jw.wait_end(jid)
        log = self.jw.eng.get(API + "/jobs/%d/logs" % jid).body.decode()
        self.assertIn("200", log)
        self.assertIn("other=403", log)
        self.assertEqual(j["final_metrics"], {"tok": 1.0})
        pts = [{"key": "k", "value": i, "step": i} for i in range(1000)]
        r = self.jw.eng.post(API + "/jobs/%d/metrics" % jid, {"metrics": pts})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["logged"], 1000)
        r = self.jw.eng.post(API + "/jobs/%d/metrics" % jid,
                             {"metrics": pts + [{"key": "k", "value": 1}]})
        self.assertError(r, 413, "batch_too_big")
        m = self.jw.eng.get(API + "/jobs/%d/metrics?key=k" % jid).json()
        self.assertEqual(len(m["series"]["k"]), 1000)
        # Each series' last point: its highest step, the later logged of two at that step.
        r = self.jw.eng.post(API + "/jobs/%d/metrics" % jid, {"metrics": [
            {"key": "k", "value": 7, "step": 999}, {"key": "a", "value": 2, "step": 5},
            {"key": "a", "value": 3, "step": 4}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.jw.eng.get(API + "/jobs/%d" % jid).json()["final_metrics"],
                         {"a": 2.0, "k": 7.0, "tok": 1.0})
        self.assertError(self.jw.eng.post(API + "/jobs/%d/metrics" % jid,
                                          {"metrics": [{"key": "", "value": 1}]}), 400)

    def test_trainers_list_the_table_jobs_are_checked_against(self):
        r = self.jw.eng.get(API + "/trainers")
        self.assertEqual(r.status, 200, r)
        trainers = {t["name"]: t for t in r.json()["items"]}
        self.assertEqual(set(trainers), {"text-linear", "text-fasttext", "image-hog",
                                         "spans-linear"})
        self.assertEqual(trainers["spans-linear"]["kinds"], ["text_spans"])
        c = {p["name"]: p for p in trainers["text-linear"]["params"]}["C"]
        self.assertEqual((c["min"], c["max"], c["default"], c["integer"]), (1e-4, 1e4, 10, False))
        # The listed range is the one a job is refused outside of.
        body = {"dataset_id": self.jw.dataset, "trainer": "text-linear",
                "params": {"C": c["max"] * 2}}
        r = self.jw.eng.post(API + "/orgs/%d/jobs" % self.world.org["id"], body)
        self.assertError(r, 400, "bad_params")
        self.assertEqual(Client(self.server.port).get(API + "/trainers").status, 401)

    def test_registry_versions_lineage_and_alias_events(self):
        r = self.jw.submit(["sh", "-c", SCRIPT_OK])
        jid = r.json()["id"]
        self.assertEqual(self.jw.wait_end(jid)["state"], "succeeded")
        bad = self.jw.submit(["false"]).json()["id"]
        self.jw.wait_end(bad)
        org = self.world.org["id"]
        r = self.jw.eng.post(API + "/orgs/%d/models" % org, {"name": "sentiment"})
        self.assertEqual(r.status, 201, r)
        mid = r.json()["id"]
        self.assertError(self.jw.eng.post(API + "/orgs/%d/models" % org, {"name": "sentiment"}),
                         409, "model_exists")
        self.assertError(self.jw.eng.post(API + "/models/%d/versions" % mid, {"job_id": bad}),
                         409, "job_not_succeeded")
        r = self.jw.eng.post(API + "/models/%d/versions" % mid, {"job_id": jid})
        self.assertEqual(r.status, 201, r)
        v = r.json()
        self.assertEqual(v["version"], 1)
        self.assertEqual(v["evaluation"], {"accuracy": 0.9})
        lin = v["lineage"]
        self.assertEqual(lin["dataset"]["id"], self.jw.dataset)
        self.assertEqual(lin["project"]["id"], self.jw.project)
        self.assertEqual((lin["approved_annotations"], lin["workers"], lin["reviewers"]),
                         (3, 1, 1))
        r = self.jw.eng.post(API + "/models/%d/aliases" % mid, {"name": "production",
                                                               "version": 1})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["from_version"])
        self.assertEqual(self.jw.eng.post(API + "/models/%d/versions" % mid,
                                          {"job_id": jid}).json()["version"], 2)
        r = self.jw.eng.post(API + "/models/%d/aliases" % mid, {"name": "production",
                                                               "version": 2})
        self.assertEqual(r.json()["from_version"], 1)
        self.assertError(self.jw.eng.post(API + "/models/%d/aliases" % mid,
                                          {"name": "production", "version": 9}), 404)
        a = self.jw.eng.get(API + "/models/%d/aliases" % mid).json()
        self.assertEqual(a["aliases"], {"production": 2})
        # The list carries each model's aliases, as the model itself does.
        listed = self.jw.eng.get(API + "/orgs/%d/models" % org).json()["items"]
        self.assertEqual([m["aliases"] for m in listed if m["id"] == mid], [{"production": 2}])
        self.assertEqual(self.jw.eng.get(API + "/models/%d" % mid).json()["aliases"],
                         {"production": 2})
        self.assertEqual([(e["from_version"], e["to_version"], e["actor_id"])
                          for e in a["events"]],
                         [(None, 1, self.jw.eng_id), (1, 2, self.jw.eng_id)])
        cmp = self.jw.eng.get(API + "/orgs/%d/runs?compare=%d,%d" % (org, jid, bad)).json()
        self.assertEqual([x["id"] for x in cmp["runs"]], [jid, bad])
        self.assertEqual(cmp["runs"][0]["final_metrics"]["loss"], 0.25)


class CliTest(ServerTestCase):
    """train, jobs, logs, models and alias against the server."""
    server_args = ("--allow-custom-jobs",)

    def cli(self, *args):
        import subprocess
        from harness import BIN
        env = dict(os.environ, HOME=tempfile.mkdtemp(), CROWDLOOP_TOKEN=self.jw.eng.token,
                   CROWDLOOP_SERVER="http://127.0.0.1:%d" % self.server.port)
        return subprocess.run([BIN] + list(args), env=env, capture_output=True, text=True,
                              timeout=60)

    def test_commands(self):
        self.jw = JobWorld(self.world)
        r = self.cli("train", "--dataset", str(self.jw.dataset), "--trainer", "text-linear",
                     "--param", "word_ngrams=3", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        job = json.loads(r.stdout)
        self.assertEqual((job["trainer"], job["params"]), ("text-linear", {"word_ngrams": 3}))
        r = self.cli("train", "--dataset", str(self.jw.dataset), "--trainer", "text-linear",
                     "--param", "bogus=1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bogus", r.stderr)
        done = self.jw.submit(["sh", "-c", SCRIPT_OK]).json()["id"]
        self.jw.wait_end(done)
        r = self.cli("jobs")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("text-linear", r.stdout)
        self.assertRegex(r.stdout, r"\n\s*%d\s+succeeded\s+custom: sh" % done)
        r = self.cli("logs", "-f", str(done))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("run %d done" % done, r.stdout)
        mid = self.jw.eng.post(API + "/orgs/%d/models" % self.world.org["id"],
                               {"name": "cli-model"}).json()["id"]
        self.jw.eng.post(API + "/models/%d/versions" % mid, {"job_id": done})
        r = self.cli("alias", str(mid), "1", "production")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("production: v1 (was none", r.stdout)
        r = self.cli("models")
        self.assertIn("cli-model", r.stdout)
        self.assertIn("production=v1", r.stdout)
        r = self.cli("models", str(mid))
        self.assertIn("3 approved annotations by 1 workers, 1 reviewers", r.stdout)
        self.assertIn("accuracy 0.9000", r.stdout)


class BuiltinJobTest(ServerTestCase):
    """text-linear on the UCI sentiment sentences (scripts/demo-data.sh) labeled and reviewed
    through the loop: a dataset version, a built-in job, its evaluation, and a registered
    version whose lineage counts the approved annotations behind it."""
    N = 800

    def sentences(self):
        import subprocess
        from harness import BIN
        out = os.path.join(os.path.dirname(os.path.abspath(BIN)), "demo-data")
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        subprocess.run(["bash", os.path.join(root, "scripts", "demo-data.sh"), out], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(out, "sentences.jsonl")) as f:
            rows = [json.loads(line) for line in f]
        return rows[::len(rows) // self.N][:self.N]

    def label_all(self, p, rows):
        w = self.world
        worker, wid = w.user("wrk")
        reviewer, rid = w.user("rev")
        w.add_member(p, wid, "worker")
        w.add_member(p, rid, "reviewer")
        label = {r["text"]: r["meta"]["original_label"] for r in rows}
        t = worker.post(API + "/projects/%d/tasks/next" % p).json()
        while t and t.get("id"):
            ann = {"labels": [label[t["item"]["text"]]]}
            r = worker.post(API + "/tasks/%d/submit" % t["id"], {"annotation": ann, "next": True})
            self.assertEqual(r.status, 200, r)
            t = r.json().get("next")
        rv = reviewer.post(API + "/projects/%d/reviews/next" % p).json()
        while rv and rv.get("id"):
            r = reviewer.post(API + "/tasks/%d/review" % rv["id"],
                              {"decision": "approve", "next": True})
            self.assertEqual(r.status, 200, r)
            rv = r.json().get("next")

    def test_text_linear_on_sentences(self):
        rows = self.sentences()
        jw = JobWorld(self.world)
        p = self.world.project(labels=["positive", "negative"])["id"]
        body = "".join(json.dumps(r) + "\n" for r in rows)
        r = self.world.manager.post(API + "/projects/%d/items" % p, body,
                                    headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(r.status, 200, r)
        self.label_all(p, rows)
        ds = jw.eng.post(API + "/projects/%d/datasets" % p, {}).json()
        # Duplicate sentences are one item: every imported item was approved once.
        self.assertEqual(ds["rows"], r.json()["accepted"], ds)
        r = jw.eng.post(API + "/orgs/%d/jobs" % self.world.org["id"],
                        {"dataset_id": ds["id"], "trainer": "text-linear", "cpus": 2})
        self.assertEqual(r.status, 201, r)
        jid = r.json()["id"]
        j = jw.wait_end(jid, 120)
        log = jw.eng.get(API + "/jobs/%d/logs?tail=30" % jid).body.decode()
        self.assertEqual(j["state"], "succeeded", log)
        ev = j["evaluation"]
        self.assertEqual(ev["trainer"], "text-linear")
        self.assertGreater(ev["accuracy"], 0.6, ev)
        self.assertLessEqual(ev["accuracy"], 1.0)
        self.assertIn("train_seconds", j["final_metrics"])
        paths = {a["path"] for a in jw.eng.get(API + "/jobs/%d/artifacts" % jid).json()["items"]}
        self.assertIn("model.json", paths)
        mid = jw.eng.post(API + "/orgs/%d/models" % self.world.org["id"],
                          {"name": "sentiment"}).json()["id"]
        v = jw.eng.post(API + "/models/%d/versions" % mid, {"job_id": jid}).json()
        self.assertEqual(v["evaluation"]["accuracy"], ev["accuracy"])
        self.assertEqual(v["lineage"]["approved_annotations"], ds["rows"])
        self.assertEqual((v["lineage"]["workers"], v["lineage"]["reviewers"]), (1, 1))
        self.assertEqual(v["lineage"]["dataset"]["id"], ds["id"])


class NoCustomJobsTest(ServerTestCase):
    def test_custom_command_refused_without_the_flag(self):
        jw = JobWorld(self.world)
        self.assertError(jw.submit(["true"]), 403, "custom_jobs_disabled")
        r = jw.eng.post(API + "/orgs/%d/jobs" % self.world.org["id"],
                        {"dataset_id": jw.dataset, "trainer": "no-such"})
        self.assertError(r, 400, "unknown_trainer")
        r = jw.eng.post(API + "/orgs/%d/jobs" % self.world.org["id"],
                        {"dataset_id": jw.dataset, "trainer": "text-linear",
                         "params": {"bogus": 1}})
        self.assertError(r, 400)
        self.assertIn("bogus", r.json()["error"]["message"])
        r = jw.eng.post(API + "/orgs/%d/jobs" % self.world.org["id"],
                        {"dataset_id": jw.dataset, "trainer": "image-hog"})
        self.assertError(r, 400, "trainer_kind")


class RestartTest(unittest.TestCase):
    """kill -9 of the server while a job runs: the next server adopts it, never starts it
    twice, and records its end; a job whose process died meanwhile is lost."""

    def test_adopted_after_kill9_and_never_started_twice(self):
        s = Server(extra_args=["--allow-custom-jobs"])
        s.create_admin()
        s.start()
        try:
            w = World(s)
            jw = JobWorld(w)
            d = tempfile.mkdtemp()
            starts, go = os.path.join(d, "starts"), os.path.join(d, "go")
            script = ("echo start >> %s; while [ ! -f %s ]; do sleep 0.1; done; "
                      "echo CROWDLOOP_METRIC after=1 step=1" % (starts, go))
            jid = jw.submit(["sh", "-c", script]).json()["id"]
            pidfile = os.path.join(d, "victim")
            victim = jw.submit(["sh", "-c", "echo $$ > %s; exec sleep 300" % pidfile]).json()["id"]
            wait_for(lambda: os.path.exists(starts) and os.path.exists(pidfile)
                     and open(pidfile).read().strip(), 20, "both jobs to start")
            s.kill9()
            # The second job dies while no server watches it.
            os.kill(int(open(pidfile).read()), 9)
            s.start()
            # The engineer's session survives the restart: its token is in the store.
            eng = Client(s.port, jw.eng.token)
            self.assertEqual(self._wait_state(eng, victim), "lost")
            self.assertEqual(eng.get(API + "/jobs/%d" % jid).json()["state"], "running")
            open(go, "w").close()
            self.assertEqual(self._wait_state(eng, jid), "succeeded")
            with open(starts) as f:
                self.assertEqual(f.read().count("start"), 1)
            j = eng.get(API + "/jobs/%d" % jid).json()
            self.assertEqual(j["attempt"], 1)
            self.assertEqual(j["final_metrics"], {"after": 1.0})
        finally:
            s.cleanup()

    def _wait_state(self, c, jid):
        return wait_for(lambda: (lambda st: st if st not in ("queued", "running") else None)(
            c.get(API + "/jobs/%d" % jid).json()["state"]), 30, "job end")


if __name__ == "__main__":
    main()
