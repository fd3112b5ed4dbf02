"""MLflow's tracking API against a real server: a run created, logged into (one point, a param,
a tag, a batch) and ended; the run and its metrics seen through crowdloop's own routes; the
errors in MLflow's shape ({"error_code", "message"}); the batch limits, checked before a row is
written; another org's run and experiment answering 404, and a worker refused."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, Client, Server, ServerTestCase, World, main  # noqa: E402
from test_jobs import JobWorld  # noqa: E402

ML = "/api/2.0/mlflow"


class MlflowTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.eng, eng_id = w.org_user("engineer", "engineer")
        cls.project = w.project()

    def mlflow_error(self, r, status, code):
        self.assertEqual(r.status, status, r)
        body = r.json()
        self.assertEqual(body.get("error_code"), code, r)
        self.assertTrue(body.get("message"), r)
        self.assertNotIn("error", body, r)
        return body

    def new_run(self, client=None):
        r = (client or self.eng).post(ML + "/runs/create",
                                      {"experiment_id": str(self.project["id"]),
                                       "start_time": 1700000000000,
                                       "tags": [{"key": "source", "value": "e2e"}]})
        self.assertEqual(r.status, 200, r)
        return r.json()["run"]["info"]["run_id"]

    def test_experiment_is_the_project(self):
        p = self.project
        r = self.eng.get(ML + "/experiments/get-by-name?experiment_name=" + p["name"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["experiment"]["experiment_id"], str(p["id"]))
        r = self.eng.post(ML + "/experiments/create", {"name": p["name"]})
        self.assertEqual(r.json()["experiment_id"], str(p["id"]), r)
        r = self.eng.post(ML + "/experiments/search", {"max_results": 10})
        self.assertIn(str(p["id"]), [e["experiment_id"] for e in r.json()["experiments"]])

    def test_experiment_created(self):
        """create makes a draft project in the engineer's one org; get-by-name finds it; its
        runs are listed under it and not under another experiment."""
        name = "exp-created-%d" % os.getpid()
        r = self.eng.post(ML + "/experiments/create", {"name": name})
        self.assertEqual(r.status, 200, r)
        exp = r.json()["experiment_id"]
        self.assertNotEqual(exp, str(self.project["id"]))
        r = self.eng.get(ML + "/experiments/get-by-name?experiment_name=" + name)
        self.assertEqual(r.json()["experiment"]["experiment_id"], exp, r)
        self.assertEqual(self.eng.post(ML + "/experiments/create", {"name": name}).json()
                         ["experiment_id"], exp)
        r = self.eng.post(ML + "/runs/create", {"experiment_id": exp})
        self.assertEqual(r.status, 200, r)
        rid = r.json()["run"]["info"]["run_id"]
        self.assertEqual(r.json()["run"]["info"]["experiment_id"], exp)
        runs = self.eng.post(ML + "/runs/search", {"experiment_ids": [exp]}).json()["runs"]
        self.assertEqual([x["info"]["run_id"] for x in runs], [rid])
        other = self.eng.post(ML + "/runs/search",
                              {"experiment_ids": [str(self.project["id"])]}).json()
        self.assertNotIn(rid, [x["info"]["run_id"] for x in other.get("runs", [])])
        project = self.world.admin.get(API + "/projects/" + exp).json()
        self.assertEqual((project["name"], project["status"], project["org_id"]),
                         (name, "draft", self.world.org["id"]))
        # A user who runs jobs nowhere creates nothing.
        worker, _ = self.world.user("worker")
        self.mlflow_error(worker.post(ML + "/experiments/create", {"name": name + "-w"}), 400,
                          "INVALID_PARAMETER_VALUE")
        self.mlflow_error(worker.get(ML + "/experiments/get-by-name?experiment_name=" +
                                     name + "-w"), 404, "RESOURCE_DOES_NOT_EXIST")

    def test_search_filter_and_order(self):
        """filter keeps the runs whose latest metric, param, tag and status match; order_by
        sorts by a metric; max_results and page_token walk the order."""
        exp = self.eng.post(ML + "/experiments/create",
                            {"name": "exp-search-%d" % os.getpid()}).json()["experiment_id"]
        runs = {}
        for i, (acc, lr, state) in enumerate([(0.9, "0.1", "FINISHED"), (0.7, "0.1", "FINISHED"),
                                              (0.8, "0.2", "FINISHED"), (0.95, "0.1", "FAILED")]):
            rid = self.eng.post(ML + "/runs/create", {"experiment_id": exp}).json()["run"][
                "info"]["run_id"]
            self.eng.post(ML + "/runs/log-batch", {
                "run_id": rid, "params": [{"key": "lr", "value": lr}],
                "tags": [{"key": "team", "value": "a" if i % 2 else "b"}],
                "metrics": [{"key": "acc", "value": 0.1, "timestamp": 1, "step": 0},
                            {"key": "acc", "value": acc, "timestamp": 2, "step": 1}]})
            self.eng.post(ML + "/runs/update", {"run_id": rid, "status": state})
            runs[acc] = rid

        def search(**body):
            body["experiment_ids"] = [exp]
            r = self.eng.post(ML + "/runs/search", body)
            self.assertEqual(r.status, 200, r)
            return r.json()

        def ids(**body):
            return [x["info"]["run_id"] for x in search(**body).get("runs", [])]

        self.assertEqual(ids(filter="metrics.acc > 0.75 and params.lr = '0.1' and "
                                    "attributes.status = 'FINISHED'",
                             order_by=["metrics.acc DESC"]), [runs[0.9]])
        self.assertEqual(ids(filter="metrics.acc >= 0.8", order_by=["metrics.acc ASC"]),
                         [runs[0.8], runs[0.9], runs[0.95]])
        self.assertEqual(ids(filter="tags.team = 'a'", order_by=["metrics.acc DESC"]),
                         [runs[0.95], runs[0.7]])
        self.assertEqual(ids(filter="params.lr != '0.1'"), [runs[0.8]])
        self.assertEqual(ids(filter="metrics.missing > 0"), [])
        ordered = [runs[a] for a in (0.95, 0.9, 0.8, 0.7)]
        seen, token = [], None
        while True:
            body = {"max_results": 3, "order_by": ["metrics.acc DESC"]}
            if token:
                body["page_token"] = token
            page = search(**body)
            seen += [x["info"]["run_id"] for x in page.get("runs", [])]
            token = page.get("next_page_token")
            if not token:
                break
        self.assertEqual(seen, ordered)

    def test_delete_tag(self):
        rid = self.new_run()
        r = self.eng.post(ML + "/runs/set-tag", {"run_id": rid, "key": "gone", "value": "1"})
        self.assertEqual(r.status, 200, r)
        r = self.eng.post(ML + "/runs/delete-tag", {"run_id": rid, "key": "gone"})
        self.assertEqual(r.status, 200, r)
        tags = self.eng.get(ML + "/runs/get?run_id=" + rid).json()["run"]["data"]["tags"]
        self.assertNotIn("gone", [t["key"] for t in tags])
        self.assertIn("source", [t["key"] for t in tags])
        self.mlflow_error(self.eng.post(ML + "/runs/delete-tag", {"run_id": rid, "key": "gone"}),
                          404, "RESOURCE_DOES_NOT_EXIST")
        other = World(self.server)
        oeng, oid = other.user("engineer")
        other.admin.post(API + "/orgs/%d/members" % other.org["id"],
                         {"user_id": oid, "role": "engineer"})
        self.mlflow_error(oeng.post(ML + "/runs/delete-tag", {"run_id": rid, "key": "source"}),
                          404, "RESOURCE_DOES_NOT_EXIST")

    def test_run_logged_and_seen_by_crowdloop(self):
        rid = self.new_run()
        for step, loss in enumerate([0.9, 0.5, 0.25]):
            r = self.eng.post(ML + "/runs/log-metric", {"run_id": rid, "key": "loss",
                                                          "value": loss, "timestamp": 1700000000001,
                                                          "step": step})
            self.assertEqual(r.status, 200, r)
        r = self.eng.post(ML + "/runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.1"})
        self.assertEqual(r.status, 200, r)
        r = self.eng.post(ML + "/runs/log-batch", {
            "run_id": rid,
            "metrics": [{"key": "acc", "value": 0.5 + i / 100, "timestamp": 1, "step": i}
                        for i in range(10)],
            "params": [{"key": "epochs", "value": "10"}],
            "tags": [{"key": "source", "value": "changed"}]})
        self.assertEqual(r.status, 200, r)
        r = self.eng.post(ML + "/runs/update", {"run_id": rid, "status": "FINISHED",
                                                 "end_time": 1700000009000})
        self.assertEqual(r.json()["run_info"]["status"], "FINISHED", r)
        run = self.eng.get(ML + "/runs/get?run_id=" + rid).json()["run"]
        self.assertEqual(run["info"]["end_time"], 1700000009000)
        latest = {m["key"]: m["value"] for m in run["data"]["metrics"]}
        self.assertEqual(latest, {"loss": 0.25, "acc": 0.59})
        self.assertEqual({p["key"]: p["value"] for p in run["data"]["params"]},
                         {"lr": "0.1", "epochs": "10"})
        self.assertEqual(run["data"]["tags"], [{"key": "source", "value": "changed"}])
        h = self.eng.get(ML + "/metrics/get-history?run_id=%s&metric_key=loss" % rid).json()
        self.assertEqual([(m["step"], m["value"]) for m in h["metrics"]],
                         [(0, 0.9), (1, 0.5), (2, 0.25)])
        # crowdloop's own routes see the same run.
        job = self.eng.get(API + "/jobs/" + rid).json()
        self.assertEqual((job["state"], job["executor"]), ("succeeded", "external"))
        self.assertEqual(job["final_metrics"]["loss"], 0.25)
        series = self.eng.get(API + "/jobs/%s/metrics?key=acc" % rid).json()["series"]
        self.assertEqual(list(series), ["acc"])
        self.assertEqual([p["step"] for p in series["acc"]], list(range(10)))

    def test_param_written_once(self):
        rid = self.new_run()
        body = {"run_id": rid, "key": "lr", "value": "0.1"}
        self.assertEqual(self.eng.post(ML + "/runs/log-parameter", body).status, 200)
        self.assertEqual(self.eng.post(ML + "/runs/log-parameter", body).status, 400)
        self.mlflow_error(self.eng.post(ML + "/runs/log-parameter", dict(body, value="0.2")),
                          400, "INVALID_PARAMETER_VALUE")

    def test_batch_limits_write_nothing(self):
        rid = self.new_run()
        point = {"key": "x", "value": 1.0, "timestamp": 1, "step": 0}
        self.mlflow_error(self.eng.post(ML + "/runs/log-batch",
                                        {"run_id": rid, "metrics": [point] * 1001}),
                          400, "INVALID_PARAMETER_VALUE")
        params = [{"key": "k%d" % i, "value": "v"} for i in range(101)]
        self.mlflow_error(self.eng.post(ML + "/runs/log-batch",
                                        {"run_id": rid, "metrics": [point], "params": params}),
                          400, "INVALID_PARAMETER_VALUE")
        bad = [point, {"key": "x", "value": "nan", "timestamp": 1}]
        self.mlflow_error(self.eng.post(ML + "/runs/log-batch", {"run_id": rid, "metrics": bad}),
                          400, "INVALID_PARAMETER_VALUE")
        run = self.eng.get(ML + "/runs/get?run_id=" + rid).json()["run"]
        self.assertEqual(run["data"]["metrics"], [])
        self.assertEqual(run["data"]["params"], [])
        r = self.eng.post(ML + "/runs/log-batch", {"run_id": rid, "metrics": [point] * 1000})
        self.assertEqual(r.status, 200, r)

    def test_batch_points_stored_each_and_in_order(self):
        # 2 * 64 + 22 points of two interleaved series: the store writes them by statements of
        # 64 rows and the rest one by one; every point comes back, each series in step order.
        rid = self.new_run()
        points = [{"key": "loss" if i % 2 else "acc", "value": i / 8.0, "timestamp": 1000 + i,
                   "step": i // 2} for i in range(150)]
        r = self.eng.post(ML + "/runs/log-batch", {"run_id": rid, "metrics": points})
        self.assertEqual(r.status, 200, r)
        for key in ("acc", "loss"):
            h = self.eng.get(ML + "/metrics/get-history?run_id=%s&metric_key=%s" %
                             (rid, key)).json()["metrics"]
            want = [(p["step"], p["value"], p["timestamp"]) for p in points if p["key"] == key]
            self.assertEqual([(m["step"], m["value"], m["timestamp"]) for m in h], want)
        # A bad point's answer names its index.
        bad = points[:3] + [{"key": "x", "value": "nan", "timestamp": 1}]
        body = self.mlflow_error(self.eng.post(ML + "/runs/log-batch",
                                               {"run_id": rid, "metrics": bad}),
                                 400, "INVALID_PARAMETER_VALUE")
        self.assertIn("metrics[3] must be", body["message"])

    def test_search_pages(self):
        ids = [self.new_run() for _ in range(3)]
        seen, token = [], None
        while True:
            body = {"experiment_ids": [str(self.project["id"])], "max_results": 2,
                    "order_by": ["start_time ASC"]}
            if token:
                body["page_token"] = token
            r = self.eng.post(ML + "/runs/search", body).json()
            seen += [x["info"]["run_id"] for x in r["runs"]]
            token = r.get("next_page_token")
            if not token:
                break
        for i in ids:
            self.assertIn(i, seen)
        self.assertEqual(len(seen), len(set(seen)))
        self.mlflow_error(self.eng.post(ML + "/runs/search", {"experiment_ids": []}), 400,
                          "INVALID_PARAMETER_VALUE")
        for bad in (0, 1001, 2 ** 32 + 1):
            self.mlflow_error(self.eng.post(ML + "/runs/search", {
                "experiment_ids": [str(self.project["id"])], "max_results": bad}), 400,
                "INVALID_PARAMETER_VALUE")
        self.mlflow_error(self.eng.post(ML + "/runs/search", {
            "experiment_ids": [str(self.project["id"])], "page_token": "x"}), 400,
            "INVALID_PARAMETER_VALUE")
        for body in ({"filter": "metrics.x > 'a'"}, {"filter": "metrics.x > 1 or params.y = 'z'"},
                     {"filter": "attributes.status = 'DONE'"}, {"order_by": ["metrics.x up"]}):
            body["experiment_ids"] = [str(self.project["id"])]
            self.mlflow_error(self.eng.post(ML + "/runs/search", body), 400,
                              "INVALID_PARAMETER_VALUE")

    def test_bad_input(self):
        self.mlflow_error(self.eng.get(ML + "/runs/get?run_id=abc"), 400,
                          "INVALID_PARAMETER_VALUE")
        self.mlflow_error(self.eng.get(ML + "/runs/get?run_id=99999999"), 404,
                          "RESOURCE_DOES_NOT_EXIST")
        rid = self.new_run()
        self.mlflow_error(self.eng.post(ML + "/runs/update", {"run_id": rid, "status": "DONE"}),
                          400, "INVALID_PARAMETER_VALUE")
        self.mlflow_error(self.eng.post(ML + "/runs/log-metric", {"run_id": rid, "key": "x"}),
                          400, "INVALID_PARAMETER_VALUE")
        self.mlflow_error(self.eng.get(ML + "/metrics/get-history?run_id=" + rid), 400,
                          "INVALID_PARAMETER_VALUE")

    def test_access(self):
        rid = self.new_run()
        anon = self.server.client()
        self.mlflow_error(anon.get(ML + "/runs/get?run_id=" + rid), 401, "UNAUTHENTICATED")
        # The org's manager and a worker do not run jobs: the run is not theirs to see.
        self.mlflow_error(self.world.manager.get(ML + "/runs/get?run_id=" + rid), 404,
                          "RESOURCE_DOES_NOT_EXIST")
        other = World(self.server)
        oeng, oid = other.user("engineer")
        other.admin.post(API + "/orgs/%d/members" % other.org["id"],
                         {"user_id": oid, "role": "engineer"})
        for r in (oeng.get(ML + "/runs/get?run_id=" + rid),
                  oeng.post(ML + "/runs/log-metric", {"run_id": rid, "key": "x", "value": 1.0,
                                                       "timestamp": 1}),
                  oeng.post(ML + "/runs/update", {"run_id": rid, "status": "KILLED"}),
                  oeng.get(ML + "/experiments/get?experiment_id=%d" % self.project["id"]),
                  oeng.post(ML + "/runs/create", {"experiment_id": str(self.project["id"])})):
            self.mlflow_error(r, 404, "RESOURCE_DOES_NOT_EXIST")
        self.mlflow_error(oeng.get(ML + "/experiments/get-by-name?experiment_name=" +
                                   self.project["name"]), 404, "RESOURCE_DOES_NOT_EXIST")
        self.assertEqual(self.eng.get(ML + "/runs/get?run_id=" + rid).json()["run"]["info"]
                         ["status"], "RUNNING")


# A custom job logging through MLflow's routes with what its environment gives it, as an MLflow
# client would: its run, its token; then the same token tried on another run and an experiment.
JOB_SCRIPT = r'''
set -e
call() { curl -s -o /dev/null -w "$1=%{http_code} " -X POST -H "Content-Type: application/json" \
  -H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN" -d "$3" "$MLFLOW_TRACKING_URI/api/2.0/mlflow/$2"; }
call batch runs/log-batch "{\"run_id\":\"$MLFLOW_RUN_ID\",\"metrics\":[{\"key\":\"loss\",\"value\":0.5,\"timestamp\":1,\"step\":1}],\"params\":[{\"key\":\"via\",\"value\":\"mlflow\"}]}"
call end runs/update "{\"run_id\":\"$MLFLOW_RUN_ID\",\"status\":\"FINISHED\"}"
call other runs/log-metric "{\"run_id\":\"$OTHER_RUN\",\"key\":\"x\",\"value\":1,\"timestamp\":1}"
call create runs/create "{\"experiment_id\":\"$MLFLOW_EXPERIMENT_ID\"}"
echo
'''


class MlflowRunTokenTest(ServerTestCase):
    server_args = ("--allow-custom-jobs",)

    def test_a_job_logs_into_its_own_run_only(self):
        jw = JobWorld(self.world)
        other = jw.eng.post(ML + "/runs/create", {"experiment_id": str(jw.project)})
        other_id = other.json()["run"]["info"]["run_id"]
        r = jw.submit(["env", "OTHER_RUN=" + other_id, "sh", "-c", JOB_SCRIPT])
        self.assertEqual(r.status, 201, r)
        jid = r.json()["id"]
        job = jw.wait_end(jid)
        log = jw.eng.get(API + "/jobs/%d/logs" % jid).body.decode()
        self.assertIn("batch=200 end=200 other=404 create=403", log)
        self.assertEqual(job["state"], "succeeded")
        self.assertEqual(job["final_metrics"], {"loss": 0.5})
        run = jw.eng.get(ML + "/runs/get?run_id=%d" % jid).json()["run"]
        self.assertEqual(run["data"]["params"], [{"key": "via", "value": "mlflow"}])
        self.assertEqual(run["info"]["experiment_id"], str(jw.project))
        self.assertEqual(jw.eng.get(ML + "/metrics/get-history?run_id=%s&metric_key=x" %
                                    other_id).json()["metrics"], [])


class MlflowRestartTest(unittest.TestCase):
    """A run logged from outside has no process: a server killed with -9 and started again
    leaves it running (not lost), and it is logged into and ended as before."""

    def test_external_run_survives_a_restart(self):
        s = Server()
        s.create_admin()
        s.start()
        try:
            w = World(s)
            eng, eng_id = w.user("engineer")
            w.admin.post(API + "/orgs/%d/members" % w.org["id"],
                         {"user_id": eng_id, "role": "engineer"})
            p = w.project()
            rid = eng.post(ML + "/runs/create", {"experiment_id": str(p["id"])}).json()[
                "run"]["info"]["run_id"]
            s.kill9()
            s.start()
            eng = Client(s.port, eng.token)
            # The runner has looked at the store's live jobs by the time a request is answered
            # twice over; the run is still the client's.
            for _ in range(2):
                self.assertEqual(eng.get(API + "/jobs/" + rid).json()["state"], "running")
            r = eng.post(ML + "/runs/log-metric", {"run_id": rid, "key": "x", "value": 2.0,
                                                   "timestamp": 1})
            self.assertEqual(r.status, 200, r)
            r = eng.post(ML + "/runs/update", {"run_id": rid, "status": "KILLED"})
            self.assertEqual(r.json()["run_info"]["status"], "KILLED", r)
            self.assertEqual(eng.get(API + "/jobs/" + rid).json()["state"], "cancelled")
        finally:
            s.cleanup()


if __name__ == "__main__":
    main()
