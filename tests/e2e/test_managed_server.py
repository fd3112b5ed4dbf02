"""Custom model servers as managed processes, on a server started with --allow-custom-jobs: an
org engineer deploys a tiny Open Inference Protocol server (tests/e2e/oip_model_server.py) as
an endpoint's target; crowdloop starts it on a port it picks, sends it traffic only once
/v2/health/ready answers 200, forwards predictions to it through its own routes (key, log), and
restarts it when it is killed; a server that never becomes ready answers 503 model_not_ready and
is never sent a request; undeploying stops its process. Without --allow-custom-jobs, or for a
manager, a deployment answers 403."""
import os
import secrets
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, Client, Server, ServerTestCase, main  # noqa: E402

MODEL_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oip_model_server.py")


def server_target(*args, **fields):
    t = {"command": [sys.executable, MODEL_SERVER, "{port}"] + list(args),
         "env": {"MODEL_NAME": "tiny"}, "model_name": "tiny", "ready_timeout_s": 30}
    t.update(fields)
    return t


def pid_running(pid):
    """Whether `pid` is a live process (a zombie is not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def wait_for(what, check, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


class ManagedServerTests(ServerTestCase):
    server_args = ("--allow-custom-jobs",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.world
        cls.engineer, eng_id = w.org_user("engineer", "engineer")

    def deploy(self, name, target):
        r = self.engineer.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                               {"name": name, "targets": [target]})
        self.assertEqual(r.status, 201, r)
        return r.json()

    def server_of(self, endpoint_id):
        r = self.engineer.get(API + "/endpoints/%d" % endpoint_id)
        self.assertEqual(r.status, 200, r)
        servers = r.json().get("servers") or []
        return servers[0] if servers else None

    def wait_state(self, endpoint_id, state, **more):
        def check():
            s = self.server_of(endpoint_id)
            ok = s and s["state"] == state and all(s[k] == v for k, v in more.items())
            return s if ok else None
        return wait_for("the model server to be %s" % state, check)

    def key_for(self, endpoint_id):
        r = self.engineer.post(API + "/endpoints/%d/keys" % endpoint_id,
                               {"name": "k-" + secrets.token_hex(3), "rate_limit": 1000})
        self.assertEqual(r.status, 201, r)
        return Client(self.server.port, token=r.json()["key"])

    def predict(self, caller, name, text):
        return caller.post(API + "/endpoints/%s/predict" % name, {"inputs": [{"text": text}]})

    def test_predicts_through_crowdloop_and_restarts_after_a_crash(self):
        e = self.deploy("custom-tiny", server_target())
        first = e["servers"][0]
        self.assertGreater(first["pid"], 0)
        self.assertEqual(first["restarts"], 0)
        ready = self.wait_state(e["id"], "ready")
        self.assertTrue(pid_running(ready["pid"]))
        caller = self.key_for(e["id"])

        r = self.predict(caller, "custom-tiny", "a good day")
        self.assertEqual(r.status, 200, r)
        out = r.json()["predictions"][0]["output"]
        self.assertEqual(out["label"], "pos")
        self.assertAlmostEqual(out["scores"]["pos"], 0.9, places=5)
        self.assertEqual(self.predict(caller, "custom-tiny", "rain").json()
                         ["predictions"][0]["output"]["label"], "neg")
        # The Open Inference Protocol route reaches it too.
        r = caller.post("/v2/models/custom-tiny/infer", {"id": "req-1", "inputs": [
            {"name": "input", "shape": [1], "datatype": "BYTES", "data": ["good"]}]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["id"], "req-1")
        self.assertIn('"label":"pos"', r.json()["outputs"][0]["data"][0])

        # Killed: crowdloop starts it again, on a new process, and it answers again.
        os.kill(ready["pid"], signal.SIGKILL)
        again = wait_for("a restarted model server", lambda: (
            lambda s: s if s and s["restarts"] >= 1 and s["state"] == "ready" else None)(
                self.server_of(e["id"])))
        self.assertNotEqual(again["pid"], ready["pid"])
        self.assertTrue(pid_running(again["pid"]))
        r = self.predict(caller, "custom-tiny", "good again")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["predictions"][0]["output"]["label"], "pos")

        # Every prediction went to the log, as an in-process model's does.
        r = self.engineer.get(API + "/endpoints/%d/predictions" % e["id"])
        self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(len(r.json()["items"]), 4)

    def test_a_server_never_ready_takes_no_traffic(self):
        e = self.deploy("custom-never", server_target("--never-ready", ready_timeout_s=1))
        s = self.wait_state(e["id"], "not_ready")
        self.assertTrue(pid_running(s["pid"]))
        caller = self.key_for(e["id"])
        for _ in range(3):
            self.assertError(self.predict(caller, "custom-never", "good"), 503, "model_not_ready")
        def read_log():
            with open(s["log"], errors="replace") as f:
                return f.read()
        # It was asked, and said no (a loaded machine may start it after the deadline passed).
        log = wait_for("a readiness probe in the log",
                       lambda: (lambda t: t if "GET /v2/health/ready" in t else None)(read_log()))
        self.assertNotIn("POST", log)                # so it was never sent a request

    def test_undeploy_stops_the_process(self):
        # Its own environment: a target like another endpoint's would share that one's process.
        e = self.deploy("custom-gone", server_target(env={"MODEL_NAME": "tiny", "RUN": "gone"}))
        s = self.wait_state(e["id"], "ready")
        r = self.engineer.request("DELETE", API + "/endpoints/%d" % e["id"])
        self.assertEqual(r.status, 204, r)
        wait_for("the model server's process to end", lambda: not pid_running(s["pid"]))

    def test_a_switch_waits_for_the_new_server_and_drains_the_old(self):
        e = self.deploy("custom-switch", server_target(env={"MODEL_NAME": "tiny", "RUN": "a"}))
        old = self.wait_state(e["id"], "ready")
        key = self.key_for(e["id"]).token
        statuses, stop = [], threading.Event()

        def load():
            c = Client(self.server.port, token=key)
            while not stop.is_set():
                statuses.append(self.predict(c, "custom-switch", "good").status)
            c.close()

        t = threading.Thread(target=load)
        t.start()
        try:
            wait_for("requests before the switch", lambda: len(statuses) >= 5)
            r = self.engineer.patch(API + "/endpoints/%d" % e["id"], {"targets": [
                server_target(env={"MODEL_NAME": "tiny", "RUN": "b"})]})
            self.assertEqual(r.status, 200, r)
            # The answer comes once the new server is ready: it already takes the traffic.
            new = r.json()["servers"][0]
            self.assertEqual(new["state"], "ready")
            self.assertNotEqual(new["pid"], old["pid"])
            n = len(statuses)
            wait_for("requests after the switch", lambda: len(statuses) >= n + 5)
        finally:
            stop.set()
            t.join()
        self.assertEqual(set(statuses), {200}, "a request failed during the switch")
        wait_for("the old model server's process to end", lambda: not pid_running(old["pid"]))

    def test_a_model_directory_is_handed_to_the_server(self):
        d = os.path.join(self.server.data_dir, "models", "yes-no")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "labels.json"), "w") as f:
            f.write('["yes", "no"]')
        e = self.deploy("custom-dir", server_target(model_dir=d))
        self.assertEqual(e["targets"][0]["model_dir"], d)
        self.wait_state(e["id"], "ready")
        r = self.predict(self.key_for(e["id"]), "custom-dir", "good")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["predictions"][0]["output"]["label"], "yes")
        # Outside the server's models folder, a directory is refused.
        r = self.engineer.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                               {"name": "custom-etc", "targets": [server_target(model_dir="/etc")]})
        self.assertIn("model_dir", self.assertError(r, 400)["message"])

    def test_bad_targets_answer_400(self):
        org = self.world.org["id"]
        for target, words in [({"command": "python3 x.py"}, "command"),
                              ({"command": []}, "command"),
                              (server_target(env={"PORT": "1"}), "PORT"),
                              (server_target(model_name="a/b"), "model_name"),
                              (server_target(ready_timeout_s=0), "ready_timeout_s"),
                              (server_target(runtime="text_linear"), "runtime")]:
            r = self.engineer.post(API + "/orgs/%d/endpoints" % org,
                                   {"name": "bad-one", "targets": [target]})
            self.assertIn(words, self.assertError(r, 400)["message"], target)

    def test_a_manager_may_not_deploy_one(self):
        r = self.world.manager.post(API + "/orgs/%d/endpoints" % self.world.org["id"],
                         {"name": "custom-mgr", "targets": [server_target()]})
        self.assertError(r, 403)


class ShutdownTests(ServerTestCase):
    """Stopping crowdloop stops the model servers it runs."""
    server_args = ("--allow-custom-jobs",)

    def test_server_shutdown_stops_model_servers(self):
        w = self.world
        r = w.admin.post(API + "/orgs/%d/members" % w.org["id"],
                         {"user_id": w.manager_id, "role": "owner"})
        self.assertEqual(r.status, 201, r)
        r = w.manager.post(API + "/orgs/%d/endpoints" % w.org["id"],
                           {"name": "custom-stop", "targets": [server_target()]})
        self.assertEqual(r.status, 201, r)
        pid = r.json()["servers"][0]["pid"]
        self.assertTrue(pid_running(pid))
        self.assertEqual(self.server.stop(), 0)
        self.assertFalse(pid_running(pid))


class KilledServerTests(ServerTestCase):
    """A crowdloop killed with SIGKILL cannot stop its model servers: the next one on the same
    data directory ends them and starts its active endpoints' servers anew."""
    server_args = ("--allow-custom-jobs",)

    def test_the_next_server_ends_what_a_killed_one_left(self):
        w = self.world
        r = w.admin.post(API + "/orgs/%d/members" % w.org["id"],
                         {"user_id": w.manager_id, "role": "engineer"})
        self.assertEqual(r.status, 201, r)
        r = w.manager.post(API + "/orgs/%d/endpoints" % w.org["id"],
                           {"name": "custom-left", "targets": [server_target()]})
        self.assertEqual(r.status, 201, r)
        e = r.json()
        r = w.manager.post(API + "/endpoints/%d/keys" % e["id"], {"name": "k", "rate_limit": 100})
        self.assertEqual(r.status, 201, r)
        key = r.json()["key"]
        pid = e["servers"][0]["pid"]
        self.server.kill9()
        self.assertTrue(pid_running(pid))  # its own process group: the kill did not reach it
        s2 = Server(data_dir=self.server.data_dir, admin_password=self.server.admin_password,
                    extra_args=["--allow-custom-jobs"])
        s2.start()
        try:
            wait_for("the leftover model server to end", lambda: not pid_running(pid))
            # The endpoint's server started with crowdloop, before any request.
            r = s2.admin().get(API + "/endpoints/%d" % e["id"])
            self.assertEqual(r.status, 200, r)
            self.assertNotEqual(r.json()["servers"][0]["pid"], pid)
            caller = Client(s2.port, token=key)
            r = wait_for("the endpoint's new model server to answer", lambda: (
                lambda r: r if r.status == 200 else None)(caller.post(
                    API + "/endpoints/custom-left/predict", {"inputs": [{"text": "good"}]})))
            self.assertEqual(r.json()["predictions"][0]["output"]["label"], "pos")
            caller.close()
        finally:
            s2.stop()
        # Started again without --allow-custom-jobs, it runs no model server.
        s3 = Server(data_dir=self.server.data_dir, admin_password=self.server.admin_password)
        s3.start()
        try:
            caller = Client(s3.port, token=key)
            r = caller.post(API + "/endpoints/custom-left/predict", {"inputs": [{"text": "good"}]})
            self.assertError(r, 503, "model_unavailable")
            # A model that does not load is the endpoint's error in /metrics.
            metrics = Client(s3.port).get("/metrics").body.decode()
            self.assertIn('crowdloop_endpoint_errors_total{endpoint="%d"} 1\n' % e["id"], metrics)
            self.assertNotIn("servers", s3.admin().get(API + "/endpoints/%d" % e["id"]).json())
            caller.close()
        finally:
            s3.stop()


class WithoutCustomJobsTests(ServerTestCase):
    """A server started without --allow-custom-jobs runs no engineer's model server."""

    def test_deploying_a_model_server_answers_403(self):
        w = self.world
        engineer, uid = w.user("engineer")
        r = w.admin.post(API + "/orgs/%d/members" % w.org["id"], {"user_id": uid, "role": "engineer"})
        self.assertEqual(r.status, 201, r)
        r = engineer.post(API + "/orgs/%d/endpoints" % w.org["id"],
                          {"name": "custom-off", "targets": [server_target()]})
        self.assertError(r, 403, "custom_jobs_disabled")
        self.assertFalse(os.path.exists(os.path.join(self.server.data_dir, "serving")) and
                         os.listdir(os.path.join(self.server.data_dir, "serving")))


if __name__ == "__main__":
    main()
