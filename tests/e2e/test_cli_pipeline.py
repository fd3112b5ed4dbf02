"""`crowdloop pipeline` and `crowdloop label-check` against a real server. An engineer sets a
project's pipeline from the command line (then changes one setting, the others kept), the
approvals start a run that waits for a person in approve mode, the command lists it, prints its
steps and approves it (production moves), and a second decision is refused with the server's
error. A manager starts a label check from the command line, lists it and prints its flags: the
planted wrong label. `crowdloop pipeline trigger` starts a run now. Bad options are usage errors
(exit 2), bad values the server's 400 (exit 1).
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, BIN, ServerTestCase, main  # noqa: E402
from test_label_check import BAD, GOOD, PLANTED, label_all, wait_for  # noqa: E402


def sentiment(text):
    return {"labels": ["pos" if text.startswith("good") or text == PLANTED else "neg"]}


class CliPipelineTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.eng, eng_id = w.org_user("engineer", "engineer")

    def cli(self, user, *args, expect=0):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CROWDLOOP_")}
        env.update({"CROWDLOOP_SERVER": "http://127.0.0.1:%d" % self.server.port,
                    "CROWDLOOP_TOKEN": user.token, "HOME": "/nonexistent",
                    "XDG_CONFIG_HOME": "/nonexistent"})
        p = subprocess.run([BIN] + [str(a) for a in args], env=env, capture_output=True,
                           timeout=120, stdin=subprocess.DEVNULL)
        out, err = p.stdout.decode(), p.stderr.decode()
        self.assertEqual(p.returncode, expect, "%s\nstdout: %s\nstderr: %s" % (args, out, err))
        return out, err

    def labelled_project(self):
        p = self.world.project()["id"]
        done = label_all(self.world, p, GOOD + BAD + [PLANTED], sentiment)
        return p, done

    def test_pipeline_set_show_and_approve_a_waiting_run(self):
        p = self.world.project()["id"]
        out, _ = self.cli(self.eng, "pipeline", "--project", p, "--trainer", "text-linear",
                          "--model", "cli-sentiment", "--threshold", 30, "--mode", "approve")
        self.assertIn("enabled: every 30 approved, text-linear", out)
        out, _ = self.cli(self.eng, "pipeline", "--project", p, "--margin", "0.02", "--json")
        settings = json.loads(out)["settings"]
        self.assertEqual((settings["trainer"], settings["model"], settings["threshold"],
                          settings["mode"], settings["margin"]),
                         ("text-linear", "cli-sentiment", 30, "approve", 0.02))
        label_all(self.world, p, GOOD + BAD + [PLANTED], sentiment)

        def waiting():
            runs = self.eng.get(API + "/projects/%d/pipeline" % p).json()["runs"]
            return runs[0] if runs and runs[0]["state"] in ("waiting", "failed") else None
        run = wait_for(waiting, timeout=180, what="a waiting run")
        self.assertEqual(run["state"], "waiting", run)

        out, _ = self.cli(self.eng, "pipeline", "--project", p)
        self.assertIn("pipeline of project %d enabled" % p, out)
        [row] = [line.split() for line in out.splitlines()[2:]]
        self.assertEqual(row[:3], [str(run["id"]), "waiting", str(run["approved"])])
        out, _ = self.cli(self.eng, "pipeline", "--project", p, "--run", run["id"])
        self.assertIn("run %d: waiting" % run["id"], out)
        steps = [line.split()[:2] for line in out.splitlines()[1:]]
        self.assertEqual(steps[-1], ["approval", "waiting"])
        self.assertIn(["train", "done"], steps)

        out, _ = self.cli(self.eng, "pipeline", "--project", p, "--approve", run["id"])
        self.assertEqual(out, "run %d: promoted\n" % run["id"])
        models = self.eng.get(API + "/orgs/%d/models" % self.world.org["id"]).json()["items"]
        model = next(m for m in models if m["name"] == "cli-sentiment")
        aliases = self.eng.get(API + "/models/%d/aliases" % model["id"]).json()["aliases"]
        self.assertEqual(aliases["production"], run["model_version"])
        _, err = self.cli(self.eng, "pipeline", "--project", p, "--reject", run["id"], expect=1)
        self.assertIn("not_waiting", err)
        _, err = self.cli(self.eng, "pipeline", "--project", p, "--run", 99999, expect=1)
        self.assertIn("no run 99999", err)

    def test_pipeline_trigger_starts_a_run_now(self):
        """`crowdloop pipeline trigger` (POST /projects/{id}/pipeline/runs) starts a run below
        the threshold, by the caller, as `manual`; while it runs another is 409; the runner takes
        it to its end as any run."""
        p = self.world.project()["id"]
        url = API + "/projects/%d/pipeline/runs" % p
        _, err = self.cli(self.eng, "pipeline", "trigger", "--project", p, expect=1)
        self.assertIn("no_pipeline", err)
        self.cli(self.eng, "pipeline", "--project", p, "--trainer", "text-linear",
                 "--model", "cli-trigger", "--threshold", 100000)
        label_all(self.world, p, GOOD + BAD + [PLANTED], sentiment)
        self.assertEqual(self.eng.get(API + "/projects/%d/pipeline" % p).json()["runs"], [])
        worker, wid = self.world.user("trigger-worker")
        self.assertError(worker.post(url), 404)  # not a member: the project is hidden
        self.world.add_member(p, wid, "worker")
        self.assertError(worker.post(url), 403)

        out, _ = self.cli(self.eng, "pipeline", "trigger", "--project", p)
        self.assertRegex(out, r"^run \d+: running \(triggered\)\n$")
        run_id = int(out.split()[1].rstrip(":"))
        # One run at a time: the next trigger waits for this one to end.
        _, err = self.cli(self.eng, "pipeline", "trigger", "--project", p, expect=1)
        self.assertIn("pipeline_running", err)
        self.assertError(self.world.manager.post(url), 409, "pipeline_running")

        def ended():
            runs = self.eng.get(API + "/projects/%d/pipeline" % p).json()["runs"]
            return runs[0] if runs[0]["state"] not in ("running",) else None
        run = wait_for(ended, timeout=180, what="the triggered run")
        self.assertEqual((run["id"], run["state"]), (run_id, "promoted"), run)
        self.assertEqual([s["step"] for s in run["steps"]][:3], ["trigger", "dataset", "train"])
        trigger = run["steps"][0]
        self.assertEqual(trigger["figures"]["trigger"], "manual")
        self.assertEqual(trigger["figures"]["approved"], run["approved"])
        self.assertGreater(run["approved"], 0)
        self.assertTrue(trigger["by"].startswith("engineer"), trigger)
        # Once it ended the API starts another; --json prints the run.
        r = self.world.manager.post(url)
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json()["state"], r.json()["steps"][0]["figures"]["trigger"]),
                         ("running", "manual"))
        self.assertTrue(r.json()["steps"][0]["by"].startswith("manager"), r.json())
        self.cli(self.eng, "pipeline", "trigger", "now", "--project", p, expect=2)

    def test_pipeline_refuses_bad_settings(self):
        p = self.world.project()["id"]
        _, err = self.cli(self.eng, "pipeline", "--project", p, "--model", "m", expect=1)
        self.assertIn("400", err)  # no trainer yet: the server names it
        self.cli(self.eng, "pipeline", "--project", p, "--enable", "--disable", expect=2)
        self.cli(self.eng, "pipeline", "--project", p, "--approve", 1, "--reject", 1, expect=2)
        self.cli(self.eng, "pipeline", "--project", p, "--mode", "sometimes", expect=2)
        _, err = self.cli(self.eng, "pipeline", "--project", p, "--trainer", "text-linear",
                          "--model", "m", "--params", "[1]", expect=1)
        self.assertIn("--params is a JSON object", err)
        out, _ = self.cli(self.eng, "pipeline", "--project", p, "--json")
        self.assertIsNone(json.loads(out)["settings"])  # nothing was set

    def test_label_check_start_list_and_show(self):
        p, done = self.labelled_project()
        m = self.world.manager
        out, _ = self.cli(m, "label-check", "--project", p, "--start", "--folds", 4,
                          "--threshold", "0.6", "--trainer", "text-linear")
        self.assertRegex(out, r"^label check \d+ of dataset \d+: queued\n$")
        job = int(out.split()[2])

        def finished():
            o, _ = self.cli(m, "label-check", "--project", p, "--json")
            checks = [c for c in json.loads(o)["items"] if c["job_id"] == job]
            return checks[0] if checks[0]["state"] not in ("queued", "running") else None
        check = wait_for(finished, timeout=120, what="the label check")
        self.assertEqual(check["state"], "succeeded", check)

        out, _ = self.cli(m, "label-check", "--project", p)
        lines = out.splitlines()
        self.assertEqual(lines[0].split()[:3], ["JOB", "STATE", "DATASET"])
        self.assertEqual(lines[1].split()[:2], [str(job), "succeeded"])
        out, _ = self.cli(m, "label-check", "--project", p, "--show", job)
        self.assertIn("label check %d: succeeded" % job, out)
        self.assertIn("flagged 1, audit %d (1 tasks)" % check["audit_id"], out)
        self.assertRegex(out, r"item %d: pos -> neg \(0\.\d\d\)" % done[PLANTED][1])

        # --wait: the second check of the same version ends, flags the same item, audits nothing.
        out, err = self.cli(m, "label-check", "--project", p, "--start", "--folds", 4,
                            "--threshold", "0.6", "--dataset", check["dataset_id"], "--wait")
        self.assertRegex(err, r"^label check \d+ of dataset %d: queued\n$" % check["dataset_id"])
        self.assertRegex(out, r"^label check \d+: succeeded, dataset %d" % check["dataset_id"])
        self.assertIn("flagged 1, audit - (0 tasks)", out)
        self.assertRegex(out, r"item %d: pos -> neg" % done[PLANTED][1])
        self.cli(m, "label-check", "--project", p, "--wait", expect=2)

        _, err = self.cli(m, "label-check", "--project", p, "--start", "--threshold", "0.2",
                          expect=1)
        self.assertIn("bad_threshold", err)
        self.cli(m, "label-check", "--project", p, "--start", "--folds", 1, expect=2)
        self.cli(m, "label-check", "--project", p, "--trainer", "text-linear", expect=2)
        _, err = self.cli(m, "label-check", "--project", p, "--show", 99999, expect=1)
        self.assertIn("no label check 99999", err)
        _, err = self.cli(self.eng, "label-check", "--project", p, expect=1)
        self.assertIn("403", err)  # an engineer does not manage the project


if __name__ == "__main__":
    main()
