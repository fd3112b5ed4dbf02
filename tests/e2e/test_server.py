"""The server itself: keep-alive, one structured log line per request, Prometheus metrics that
move with the traffic, the OpenAPI document covering every documented route, and a SIGTERM
that lets requests in flight finish and closes the store cleanly."""
import base64
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sqlite3
import sys
import tarfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, BIN, Client, Server, World, main, png_bytes,  # noqa: E402
                     signup_users)

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "API.md")


def metric(text, name, **labels):
    """The value of one sample line of Prometheus text, 0 when absent."""
    want = ",".join('%s="%s"' % kv for kv in labels.items())
    for line in text.splitlines():
        m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if m and m.group(1) == name and (m.group(2) or "") == want:
            return float(m.group(3))
    return 0.0


class ServerTest(unittest.TestCase):

    def setUp(self):
        self.server = Server(extra_args=["--allow-signup", "--allow-custom-jobs",
                                         "--background-import-kb", "1024"])
        self.server.create_admin()
        self.server.start()

    def tearDown(self):
        self.server.cleanup()

    def test_keep_alive_log_lines_and_metrics(self):
        s = self.server
        w = World(s)
        p = w.project()
        w.import_texts(p["id"], ["a", "b", "c"])
        worker, wid = w.user("w")
        w.add_member(p["id"], wid, "worker")
        before = s.client().get("/metrics").body.decode()
        route = "/api/v1/projects/{id}/tasks/next"
        n0 = metric(before, "crowdloop_http_requests_total", route=route, method="POST",
                    status="200")

        r = worker.post(API + "/projects/%d/tasks/next" % p["id"])
        self.assertEqual(r.status, 200, r)
        sock = worker.conn.sock
        r2 = worker.post(API + "/projects/%d/tasks/next" % p["id"])
        self.assertEqual(r2.status, 200)
        # The same connection served both: keep-alive, no "Connection: close".
        self.assertIs(worker.conn.sock, sock)
        self.assertNotEqual((r2.header("Connection") or "").lower(), "close")
        task = r.json()
        r = worker.post(API + "/tasks/%d/submit" % task["id"], {"annotation": {"labels": ["pos"]}})
        self.assertEqual(r.status, 200, r)

        after = s.client().get("/metrics").body.decode()
        self.assertEqual(metric(after, "crowdloop_http_requests_total", route=route,
                                method="POST", status="200"), n0 + 2)
        self.assertGreaterEqual(metric(after, "crowdloop_http_request_duration_seconds_count",
                                       route=route), 2)
        self.assertIn('crowdloop_http_request_duration_seconds_bucket{route="%s",le="+Inf"}'
                      % route, after)
        self.assertEqual(metric(after, "crowdloop_tasks", state="submitted"), 1)
        self.assertEqual(metric(after, "crowdloop_tasks", state="open"), 2)
        # Two claims and a submit went through the store's writer, in one group commit or more.
        jobs = (metric(after, "crowdloop_db_write_jobs_total")
                - metric(before, "crowdloop_db_write_jobs_total"))
        commits = (metric(after, "crowdloop_db_commits_total")
                   - metric(before, "crowdloop_db_commits_total"))
        self.assertGreaterEqual(jobs, 3)
        self.assertTrue(1 <= commits <= jobs, (commits, jobs))
        # The writer's and the flush's clocks moved with them.
        for name in ("crowdloop_db_writer_run_seconds_total",
                     "crowdloop_db_writer_commit_seconds_total",
                     "crowdloop_db_flush_seconds_total"):
            self.assertGreater(metric(after, name), metric(before, name), name)
        # The checkpointer's WAL restarts are counted (none in so small a store).
        self.assertIn("\ncrowdloop_db_wal_restarts_total 0\n", after)
        self.assertIn("\ncrowdloop_db_wal_restart_seconds_total 0.000000\n", after)

        # Request lines are written in batches, at least every 200 ms.
        deadline = time.monotonic() + 5
        while True:
            log = s.tail(100000)
            lines = [l for l in log.splitlines()
                     if 'path="/api/v1/tasks/%d/submit"' % task["id"] in l]
            if lines or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(len(lines), 1, log[-2000:])
        self.assertRegex(lines[0], r"^ts=\S+ level=info method=POST .* status=200 dur_ms=[0-9.]+ "
                                   r"user=%d " % wid)

    def test_a_taken_port_refuses_a_second_server(self):
        # Two servers sharing one port would split the requests between two stores.
        other = Server()
        try:
            other.create_admin()
            done = subprocess.run(
                [BIN, "serve", "--data", other.data_dir, "--listen",
                 "127.0.0.1:%d" % self.server.port], capture_output=True, timeout=30)
        finally:
            other.cleanup()
        self.assertNotEqual(done.returncode, 0)
        err = done.stderr.decode()
        self.assertIn("cannot listen on 127.0.0.1:%d" % self.server.port, err)
        self.assertIn("in use", err)
        self.assertEqual(self.server.client().get("/healthz").status, 200)

    def login_over(self, host, port, password, tries=300):
        """Logs in as admin at host:port, retrying while the server starts: (status, body)."""
        for _ in range(tries):
            try:
                c = http.client.HTTPConnection(host, port, timeout=2)
                c.request("POST", API + "/auth/login", body=json.dumps(
                    {"username": "admin", "password": password}),
                    headers={"Content-Type": "application/json"})
                r = c.getresponse()
                status, body = r.status, json.loads(r.read())
                c.close()
                return status, body
            except OSError:
                time.sleep(0.1)
        return None, None

    def serve_on(self, listen):
        """A second server listening on `listen`, stopped (and checked) at cleanup."""
        other = Server()
        other.create_admin()
        log = open(other.log_path, "ab")
        proc = subprocess.Popen([BIN, "serve", "--data", other.data_dir, "--listen", listen],
                                stdout=log, stderr=log)

        def stop():
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
            other.cleanup()
            self.assertEqual(proc.returncode, 0)
        self.addCleanup(stop)
        return other

    def ipv6_port(self, host):
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                probe.bind((host, 0))
                return probe.getsockname()[1]
        except OSError as e:
            self.skipTest("no IPv6 here: %s" % e)

    def test_listens_on_ipv6_loopback_when_told(self):
        port = self.ipv6_port("::1")
        other = self.serve_on("[::1]:%d" % port)
        status, body = self.login_over("::1", port, other.admin_password)
        self.assertEqual(status, 200)
        self.assertEqual(body["user"]["username"], "admin")
        self.assertIn("listening on http://[::1]:%d" % port, other.tail())
        # Bound to the IPv6 loopback alone: the IPv4 one does not answer on that port.
        with socket.socket() as v4:
            self.assertNotEqual(v4.connect_ex(("127.0.0.1", port)), 0)

    def test_unspecified_ipv6_listens_on_ipv4_too(self):
        # [::] is every address, as for most servers: IPv4 clients are answered too, and
        # logged (and throttled) by their IPv4 address.
        port = self.ipv6_port("::")
        other = self.serve_on("[::]:%d" % port)
        status, body = self.login_over("::1", port, other.admin_password)
        self.assertEqual(status, 200, body)
        status, body = self.login_over("127.0.0.1", port, other.admin_password, tries=1)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["user"]["username"], "admin")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log = other.tail()
            logins = [l for l in log.splitlines() if 'path="/api/v1/auth/login"' in l]
            if len(logins) >= 2:
                break
            time.sleep(0.05)
        self.assertTrue(any("remote=127.0.0.1" in l for l in logins), log[-2000:])
        self.assertTrue(any("remote=::1" in l for l in logins), log[-2000:])

    def test_a_malformed_listen_address_is_refused(self):
        other = Server()
        self.addCleanup(other.cleanup)
        other.create_admin()
        for listen, message in [("::1:8080", 'an IPv6 address goes in brackets: "[::1]:8080"'),
                                ("[::1:8080", "bad IPv6 address"),
                                ("[nope]:8080", "bad IPv6 address"),
                                ("256.0.0.1:8080", "bad IPv4 address"),
                                ("127.0.0.1:", "bad port"),
                                ("127.0.0.1", "wants ADDRESS:PORT")]:
            done = subprocess.run([BIN, "serve", "--data", other.data_dir, "--listen", listen],
                                  capture_output=True, timeout=30)
            self.assertNotEqual(done.returncode, 0, listen)
            self.assertIn(message, done.stderr.decode(), listen)

    def test_threads_run_under_the_batch_policy_unless_told(self):
        SCHED_OTHER, SCHED_BATCH = 0, 3

        def policies(proc):
            """The scheduling policy of each of the process's threads, by thread name."""
            found = {}
            for tid in os.listdir("/proc/%d/task" % proc.pid):
                with open("/proc/%d/task/%s/stat" % (proc.pid, tid)) as f:
                    stat = f.read()
                name = stat[stat.index("(") + 1:stat.rindex(")")]
                # Fields after the name start at the third (state); the policy is the 41st.
                found.setdefault(name, set()).add(int(stat[stat.rindex(")") + 2:].split()[38]))
            return found

        # The writer, the syncer, the checkpointer and the HTTP threads all exist by now. The
        # syncer, which sleeps on the disk, keeps the default policy.
        default = policies(self.server.proc)
        for name in ("cl-writer", "cl-sync", "cl-checkpoint", "MHD-worker"):
            self.assertIn(name, default)
        self.assertEqual(default.pop("cl-sync"), {SCHED_OTHER})
        self.assertEqual(set().union(*default.values()), {SCHED_BATCH}, default)

        normal = Server(extra_args=["--sched", "normal"])
        self.addCleanup(normal.cleanup)
        normal.create_admin()
        normal.start()
        self.assertEqual(set().union(*policies(normal.proc).values()), {SCHED_OTHER})

        done = subprocess.run([BIN, "serve", "--data", normal.data_dir, "--sched", "fifo"],
                              capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 2)
        self.assertIn("--sched batch|normal", done.stderr.decode())

    def test_openapi_covers_every_documented_route(self):
        doc = open(DOCS).read()
        documented = set()
        for method, path in re.findall(r"`(GET|POST|PATCH|PUT|DELETE) (/[^`? ]*)`", doc):
            if not path.startswith(("/api/", "/healthz", "/metrics", "/v2")):
                path = "/api/v1" + path
            documented.add((method.lower(), re.sub(r"\{[^}]+\}", "{id}", path)))
        spec = Client(self.server.port).get(API + "/openapi.json").json()
        served = {(m, re.sub(r"\{[^}]+\}", "{id}", p)) for p, ops in spec["paths"].items()
                  for m in ops}
        self.assertGreater(len(documented), 30)
        self.assertEqual(sorted(documented - served), [], "documented but not served")
        self.assertEqual(sorted(served - documented), [], "served but not documented")

    def test_openapi_lists_the_query_each_route_takes(self):
        # Every declared query parameter is taken (a bad value may still be refused, never the
        # name), and any other is refused by name, on every route of a project or an org.
        w = World(self.server)
        p = w.project()
        spec = w.admin.get(API + "/openapi.json").json()
        ids = {"/api/v1/projects/{id}": p["id"], "/api/v1/orgs/{id}": w.org["id"]}
        taken = 0
        for path, ops in spec["paths"].items():
            if "get" not in ops:
                continue
            url = path
            for prefix, oid in ids.items():
                if path.startswith(prefix):
                    url = path.replace("{id}", str(oid))
            if "{" in url:
                continue
            r = w.admin.get(url + "?bogus=1")
            # MLflow's routes answer in MLflow's shape: {"error_code", "message"}, the Open
            # Inference Protocol's in its own: {"error": "message"}.
            if path.startswith("/v2"):
                self.assertEqual(r.status, 400, path)
                self.assertIn("bogus", r.json()["error"], path)
                continue
            mlflow = path.startswith("/api/2.0/mlflow/")
            err = r.json() if mlflow else r.json()["error"]
            self.assertEqual((r.status, err["error_code" if mlflow else "code"]),
                             (400, "INVALID_PARAMETER_VALUE" if mlflow else "unknown_parameter"),
                             path)
            self.assertIn("bogus", err["message"], path)
            for q in ops["get"]["parameters"]:
                if q["in"] != "query":
                    continue
                r = w.admin.get(url + "?%s=1" % q["name"])
                if r.status == 400:
                    err = r.json() if mlflow else r.json()["error"]
                    self.assertNotIn("unknown query parameter", err["message"],
                                     (path, q["name"]))
                taken += 1
        # limit/cursor/sort and the filters of the lists, the export's options.
        self.assertGreater(taken, 40)
        tasks = spec["paths"]["/api/v1/projects/{id}/tasks"]["get"]["parameters"]
        self.assertEqual({q["name"] for q in tasks if q["in"] == "query"},
                         {"limit", "cursor", "sort", "state", "worker_id", "reviewer_id",
                          "round", "gold", "label", "q", "from", "to"})

    def conforms(self, spec, schema, value, where):
        """Checks `value` against an OpenAPI 3.0 schema: $ref, allOf, type, nullable, enum,
        required, properties and items. Strict: a key the schema does not list fails, so the
        document must name every field an answer carries."""
        if "$ref" in schema:
            node = spec
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            return self.conforms(spec, node, value, where)
        if value is None:
            self.assertTrue(schema.get("nullable") or not schema, "%s: null" % where)
            return
        for sub in schema.get("allOf", []):
            self.conforms(spec, sub, value, where)
        types = {"object": dict, "array": list, "string": str, "boolean": bool,
                 "integer": int, "number": (int, float)}
        if "type" in schema:
            self.assertIsInstance(value, types[schema["type"]], where)
            if schema["type"] in ("integer", "number"):
                self.assertNotIsInstance(value, bool, where)
        if "enum" in schema:
            self.assertIn(value, schema["enum"], where)
        if isinstance(value, dict) and "properties" in schema:
            for key in schema.get("required", []):
                self.assertIn(key, value, "%s: %s missing" % (where, key))
            for key, v in value.items():
                self.assertIn(key, schema["properties"], "%s: %s not in the schema" % (where, key))
                self.conforms(spec, schema["properties"][key], v, "%s.%s" % (where, key))
        if isinstance(value, list) and "items" in schema:
            for i, v in enumerate(value):
                self.conforms(spec, schema["items"], v, "%s[%d]" % (where, i))

    def check_jobs(self, w, dataset, check):
        """Jobs, runs and the registry, as an engineer of the org gets them."""
        eng, eng_id = w.user("oa_e")
        w.admin.post(API + "/orgs/%d/members" % w.org["id"], {"user_id": eng_id, "role": "engineer"})
        org = w.org["id"]
        job = check("POST", "/api/v1/orgs/{id}/jobs", eng.post(API + "/orgs/%d/jobs" % org, {
            "dataset_id": dataset, "command": ["sh", "-c", "echo CROWDLOOP_METRIC m=1 step=1; "
                                               "echo '{}' > \"$CROWDLOOP_OUTPUT/evaluation.json\""]}))
        for _ in range(300):
            if eng.get(API + "/jobs/%d" % job["id"]).json()["state"] == "succeeded":
                break
            time.sleep(0.1)
        j = check("GET", "/api/v1/jobs/{id}", eng.get(API + "/jobs/%d" % job["id"]))
        self.assertEqual(j["state"], "succeeded", j)
        check("GET", "/api/v1/orgs/{id}/jobs", eng.get(API + "/orgs/%d/jobs" % org))
        check("GET", "/api/v1/orgs/{id}/quota", eng.get(API + "/orgs/%d/quota" % org))
        check("POST", "/api/v1/orgs/{id}/quota", w.admin.post(
            API + "/orgs/%d/quota" % org, {"max_cpus": -1, "max_gpus": -1, "weight": 2}))
        sleeper = eng.post(API + "/orgs/%d/jobs" % org, {"dataset_id": dataset,
                                                         "command": ["sleep", "30"]}).json()
        check("POST", "/api/v1/jobs/{id}/cancel", eng.post(API + "/jobs/%d/cancel" % sleeper["id"]))
        check("POST", "/api/v1/jobs/{id}/metrics", eng.post(
            API + "/jobs/%d/metrics" % job["id"], {"metrics": [{"key": "x", "value": 2}]}))
        check("GET", "/api/v1/jobs/{id}/metrics", eng.get(API + "/jobs/%d/metrics" % job["id"]))
        check("GET", "/api/v1/jobs/{id}/artifacts", eng.get(API + "/jobs/%d/artifacts" % job["id"]))
        check("GET", "/api/v1/orgs/{id}/runs",
              eng.get(API + "/orgs/%d/runs?compare=%d" % (org, job["id"])))
        m = check("POST", "/api/v1/orgs/{id}/models",
                  eng.post(API + "/orgs/%d/models" % org, {"name": "oa-model"}))
        check("GET", "/api/v1/orgs/{id}/models", eng.get(API + "/orgs/%d/models" % org))
        check("POST", "/api/v1/models/{id}/versions",
              eng.post(API + "/models/%d/versions" % m["id"], {"job_id": job["id"]}))
        check("GET", "/api/v1/models/{id}/versions", eng.get(API + "/models/%d/versions" % m["id"]))
        check("POST", "/api/v1/models/{id}/aliases",
              eng.post(API + "/models/%d/aliases" % m["id"], {"name": "production", "version": 1}))
        check("GET", "/api/v1/models/{id}/aliases", eng.get(API + "/models/%d/aliases" % m["id"]))
        check("GET", "/api/v1/models/{id}", eng.get(API + "/models/%d" % m["id"]))

    def check_pipeline(self, w, check):
        """The retraining pipeline in approve mode: a run that waits is rejected, the next one
        (no production yet) waits too and is approved."""
        good = ["great", "wonderful", "excellent", "lovely", "superb", "delightful"]
        bad = ["terrible", "awful", "boring", "dreadful", "horrible", "dull"]
        things = ["movie", "film", "story", "plot", "cast", "ending", "show"]
        rows = [("a %s and %s %s" % (words[i], words[j], thing), label)
                for thing in things for i in range(6) for j in range(6) if i != j
                for words, label in ((good, "pos"), (bad, "neg"))]
        label = dict(rows)
        pid = w.project()["id"]
        worker, worker_id = w.user("oa_pw")
        w.add_member(pid, worker_id, "worker")

        def approve_all(texts):
            w.import_texts(pid, texts)
            t = worker.post(API + "/projects/%d/tasks/next" % pid).json()
            while t and t.get("id"):
                t = worker.post(API + "/tasks/%d/submit" % t["id"], {
                    "annotation": {"labels": [label[t["item"]["text"]]]}, "next": True}).json()
                t = t.get("next")
            rv = w.manager.post(API + "/projects/%d/reviews/next" % pid).json()
            while rv and rv.get("id"):
                rv = w.manager.post(API + "/tasks/%d/review" % rv["id"],
                                    {"decision": "approve", "next": True}).json().get("next")

        def waiting(n):
            for _ in range(600):
                runs = w.manager.get(API + "/projects/%d/pipeline" % pid).json()["runs"]
                if len(runs) == n and runs[0]["state"] == "waiting":
                    return runs[0]
                time.sleep(0.1)
            self.fail("no run %d waits: %s" % (n, runs))

        approve_all([t for t, _ in rows[:120]])
        url = API + "/projects/%d/pipeline" % pid
        check("PUT", "/api/v1/projects/{id}/pipeline", w.manager.request("PUT", url, {
            "threshold": 100, "trainer": "text-linear", "model": "oa-pipeline", "mode": "approve"}))
        run = waiting(1)
        check("GET", "/api/v1/projects/{id}/pipeline", w.manager.get(url))
        check("POST", "/api/v1/projects/{id}/pipeline/runs/{id}/reject",
              w.manager.post(url + "/runs/%d/reject" % run["id"]))
        w.manager.request("PUT", url, {"threshold": 50, "trainer": "text-linear",
                                       "model": "oa-pipeline", "mode": "approve"})
        approve_all([t for t, _ in rows[120:180]])
        run = waiting(2)
        check("POST", "/api/v1/projects/{id}/pipeline/runs/{id}/approve",
              w.manager.post(url + "/runs/%d/approve" % run["id"]))
        # A run started by a person, now.
        started = check("POST", "/api/v1/projects/{id}/pipeline/runs", w.manager.post(url + "/runs"))
        self.assertEqual(started["steps"][0]["figures"]["trigger"], "manual")

    def test_answers_match_their_openapi_schemas(self):
        # The loop's answers, as a worker, a reviewer and a manager get them, each checked against
        # the schema and status its route declares.
        s = self.server
        w = World(s)
        spec = Client(s.port).get(API + "/openapi.json").json()
        worker, worker_id = w.user("oa_w")
        reviewer, reviewer_id = w.user("oa_r")
        checked = set()

        def check(method, pattern, r):
            answer = spec["paths"][pattern][method.lower()]["responses"]
            self.assertIn(str(r.status), answer, (pattern, r))
            schema = answer[str(r.status)]["content"]["application/json"]["schema"]
            self.conforms(spec, schema, r.json(), "%s %s" % (method, pattern))
            checked.add((method, pattern))
            return r.json()

        p = check("POST", "/api/v1/projects", w.manager.post(API + "/projects", {
            "org_id": w.org["id"], "name": "openapi", "kind": "text_class",
            "labels": ["pos", "neg"], "status": "open", "max_rounds": 1}))
        pid = p["id"]
        check("GET", "/api/v1/projects/{id}", w.manager.get(API + "/projects/%d" % pid))
        check("PATCH", "/api/v1/projects/{id}",
              w.manager.patch(API + "/projects/%d" % pid, {"instructions": "Say how it feels."}))
        check("GET", "/api/v1/projects", w.manager.get(API + "/projects"))
        w.add_member(pid, worker_id, "worker")
        w.add_member(pid, reviewer_id, "reviewer")
        w.import_texts(pid, ["good", "bad", "so so", "meh"])
        ann = {"annotation": {"labels": ["pos"]}}
        t = check("POST", "/api/v1/projects/{id}/tasks/next",
                  worker.post(API + "/projects/%d/tasks/next" % pid))
        check("POST", "/api/v1/tasks/{id}/release", worker.post(API + "/tasks/%d/release" % t["id"]))
        t = worker.post(API + "/projects/%d/tasks/next" % pid).json()
        done = check("POST", "/api/v1/tasks/{id}/submit",
                     worker.post(API + "/tasks/%d/submit" % t["id"], dict(ann, next=True)))
        self.assertIsNotNone(done["next"])
        check("POST", "/api/v1/tasks/{id}/submit",
              worker.post(API + "/tasks/%d/submit" % done["next"]["id"], ann))
        rv = check("POST", "/api/v1/projects/{id}/reviews/next",
                   reviewer.post(API + "/projects/%d/reviews/next" % pid))
        self.assertTrue(rv["events"])
        check("POST", "/api/v1/tasks/{id}/review",
              reviewer.post(API + "/tasks/%d/review" % rv["id"],
                            {"decision": "approve", "next": True}))
        # The second submission, rejected: with max_rounds 1 its first round was its last.
        rv = reviewer.post(API + "/projects/%d/reviews/next" % pid).json()
        r = check("POST", "/api/v1/tasks/{id}/review",
                  reviewer.post(API + "/tasks/%d/review" % rv["id"],
                                {"decision": "reject", "reason": "not positive"}))
        self.assertEqual(r["state"], "escalated", r)
        check("POST", "/api/v1/tasks/{id}/resolve",
              w.manager.post(API + "/tasks/%d/resolve" % rv["id"],
                             {"decision": "approve", "annotation": {"labels": ["neg"]}}))
        check("GET", "/api/v1/tasks/{id}", w.manager.get(API + "/tasks/%d" % rv["id"]))
        check("GET", "/api/v1/projects/{id}/tasks", w.manager.get(API + "/projects/%d/tasks" % pid))
        # The manager's desk: a task's rounds, a bulk change, what an export will hold, what is
        # left for a worker, and a submission taken back.
        check("GET", "/api/v1/tasks/{id}/annotations",
              w.manager.get(API + "/tasks/%d/annotations" % rv["id"]))
        check("GET", "/api/v1/projects/{id}/export/summary",
              w.manager.get(API + "/projects/%d/export/summary" % pid))
        check("GET", "/api/v1/projects/{id}/tasks/left",
              worker.get(API + "/projects/%d/tasks/left" % pid))
        last = worker.post(API + "/projects/%d/tasks/next" % pid).json()
        check("POST", "/api/v1/projects/{id}/tasks/bulk",
              w.manager.post(API + "/projects/%d/tasks/bulk" % pid,
                             {"action": "priority", "priority": 2, "task_ids": [last["id"]]}))
        self.assertEqual(worker.post(API + "/tasks/%d/submit" % last["id"], ann).status, 200)
        check("POST", "/api/v1/tasks/{id}/reopen", worker.post(API + "/tasks/%d/reopen" % last["id"]))
        stats = check("GET", "/api/v1/projects/{id}/stats",
                      w.manager.get(API + "/projects/%d/stats" % pid))
        self.assertTrue(stats["workers"])
        ds = check("POST", "/api/v1/projects/{id}/datasets",
                   w.manager.post(API + "/projects/%d/datasets" % pid, {"note": "v1"}))
        self.assertEqual(ds["rows"], 2)
        check("GET", "/api/v1/datasets/{id}", w.manager.get(API + "/datasets/%d" % ds["id"]))
        check("GET", "/api/v1/projects/{id}/datasets",
              w.manager.get(API + "/projects/%d/datasets" % pid))
        item_id = t["item_id"]
        check("GET", "/api/v1/items/{id}", w.manager.get(API + "/items/%d" % item_id))
        check("GET", "/api/v1/projects/{id}/items", w.manager.get(API + "/projects/%d/items" % pid))
        body = '{"text": "fine"}\n{"text": "fine"}\n{"text": ""}\n'
        report = check("POST", "/api/v1/projects/{id}/items",
                       w.manager.post(API + "/projects/%d/items" % pid, body,
                                      headers={"Content-Type": "application/x-ndjson"}))
        self.assertEqual((report["accepted"], report["duplicates"], report["rejected"]), (1, 1, 1))
        imports = spec["paths"]["/api/v1/projects/{id}/items"]["post"]["requestBody"]["content"]
        self.assertLessEqual({"application/x-ndjson", "text/csv", "multipart/form-data",
                              "application/zip"}, set(imports))
        check("GET", "/api/v1/projects/{id}/members",
              w.manager.get(API + "/projects/%d/members" % pid))
        check("POST", "/api/v1/users", w.admin.post(API + "/users", {
            "username": "oa_new", "password": "password123"}))
        check("GET", "/api/v1/users", w.admin.get(API + "/users"))
        check("GET", "/api/v1/formats", w.manager.get(API + "/formats"))
        check("GET", "/api/v1/trainers", w.manager.get(API + "/trainers"))
        org = check("POST", "/api/v1/orgs", w.admin.post(API + "/orgs", {"name": "oa-org"}))
        check("GET", "/api/v1/orgs", w.manager.get(API + "/orgs"))
        check("GET", "/api/v1/orgs/{id}", w.admin.get(API + "/orgs/%d" % org["id"]))
        check("GET", "/api/v1/orgs/{id}/members",
              w.manager.get(API + "/orgs/%d/members" % w.org["id"]))
        course = check("POST", "/api/v1/courses", w.manager.post(API + "/courses", {
            "kind": "text_class", "name": "oa course", "labels": ["pos", "neg"],
            "lesson": "Read, then choose.", "exam_size": 1, "pass_score": 0.5}))
        cq = API + "/courses/%d/questions" % course["id"]
        practice = w.manager.post(cq, {"role": "practice", "item": {"text": "x"},
                                       "answer": {"labels": ["pos"]}, "explanation": "why"})
        self.assertEqual(practice.status, 201, practice)
        r = w.manager.post(cq, {"role": "exam", "item": {"text": "y"},
                                "answer": {"labels": ["pos"]}})
        self.assertEqual(r.status, 201, r)
        check("GET", "/api/v1/courses", worker.get(API + "/courses"))
        check("GET", "/api/v1/courses/{id}", worker.get(API + "/courses/%d" % course["id"]))
        check("GET", "/api/v1/courses/{id}/practice",
              worker.get(API + "/courses/%d/practice" % course["id"]))
        check("POST", "/api/v1/courses/{id}/practice/{id}",
              worker.post(API + "/courses/%d/practice/%d" % (course["id"],
                                                             practice.json()["id"]),
                          {"annotation": {"labels": ["neg"]}}))
        exam = check("POST", "/api/v1/courses/{id}/exam",
                     worker.post(API + "/courses/%d/exam" % course["id"]))
        result = check("POST", "/api/v1/exams/{id}/submit",
                       worker.post(API + "/exams/%d/submit" % exam["attempt_id"], {"answers": [
                           {"question_id": q["id"], "annotation": {"labels": ["pos"]}}
                           for q in exam["questions"]]}))
        self.assertTrue(result["qualified"], result)
        quals = check("GET", "/api/v1/me/qualifications", worker.get(API + "/me/qualifications"))
        self.assertEqual([q["course_id"] for q in quals["items"]], [course["id"]])

        # The pay ledger, through one paid approval and two payouts.
        paid = w.project(price=100, reviewer_fee=10)
        w.add_member(paid["id"], worker_id, "worker")
        w.add_member(paid["id"], reviewer_id, "reviewer")
        w.import_texts(paid["id"], ["paid"])
        fund = check("POST", "/api/v1/orgs/{id}/funds",
                     w.admin.post(API + "/orgs/%d/funds" % w.org["id"],
                                  {"amount": 500, "memo": "invoice"}))
        self.assertEqual(sorted(e["account"] for e in fund["entries"]), ["external", "org"])
        check("POST", "/api/v1/projects/{id}/deposits",
              w.manager.post(API + "/projects/%d/deposits" % paid["id"], {"amount": 300}))
        check("GET", "/api/v1/orgs/{id}/budget",
              w.manager.get(API + "/orgs/%d/budget" % w.org["id"]))
        t = worker.post(API + "/projects/%d/tasks/next" % paid["id"]).json()
        worker.post(API + "/tasks/%d/submit" % t["id"], ann)
        rv = reviewer.post(API + "/projects/%d/reviews/next" % paid["id"]).json()
        self.assertEqual(reviewer.post(API + "/tasks/%d/review" % rv["id"],
                                       {"decision": "approve"}).status, 200)
        budget = check("GET", "/api/v1/projects/{id}/budget",
                       w.manager.get(API + "/projects/%d/budget" % paid["id"]))
        self.assertEqual((budget["paid_to_workers"], budget["paid_to_reviewers"]), (100, 10))
        fair = check("GET", "/api/v1/projects/{id}/fair-pay",
                     w.manager.get(API + "/projects/%d/fair-pay" % paid["id"]))
        self.assertEqual([x["user_id"] for x in fair["workers"]], [worker_id])
        check("GET", "/api/v1/me/balance", worker.get(API + "/me/balance"))
        lines = check("GET", "/api/v1/me/ledger", worker.get(API + "/me/ledger"))
        self.assertEqual([x["amount"] for x in lines["items"]], [100])
        po = check("POST", "/api/v1/me/payouts", worker.post(API + "/me/payouts", {"amount": 60}))
        check("GET", "/api/v1/me/payouts", worker.get(API + "/me/payouts"))
        check("GET", "/api/v1/payouts", w.admin.get(API + "/payouts"))
        check("POST", "/api/v1/payouts/{id}/approve",
              w.admin.post(API + "/payouts/%d/approve" % po["id"], {"note": "sent"}))
        po = worker.post(API + "/me/payouts", {"amount": 40}).json()
        check("POST", "/api/v1/payouts/{id}/reject",
              w.admin.post(API + "/payouts/%d/reject" % po["id"]))
        check("GET", "/api/v1/ledger/accounts", w.admin.get(API + "/ledger/accounts"))
        self.assertTrue(check("GET", "/api/v1/ledger/check",
                              w.admin.get(API + "/ledger/check"))["ok"])

        # Quality settings, and an audit of the paid project's one approved task.
        qs = API + "/projects/%d/quality-settings" % paid["id"]
        check("GET", "/api/v1/projects/{id}/quality-settings", w.manager.get(qs))
        settings = check("PATCH", "/api/v1/projects/{id}/quality-settings",
                         w.manager.patch(qs, {"honeypot_rate": 0.25}))
        self.assertEqual(settings["honeypot_rate"], 0.25)
        audit = check("POST", "/api/v1/projects/{id}/audits",
                      w.manager.post(API + "/projects/%d/audits" % paid["id"], {"size": 1}))
        self.assertEqual([x["task_id"] for x in audit["items"]], [rv["id"]])
        check("GET", "/api/v1/audits/{id}", w.manager.get(API + "/audits/%d" % audit["id"]))
        audit = check("POST", "/api/v1/audits/{id}/tasks/{id}",
                      w.manager.post(API + "/audits/%d/tasks/%d" % (audit["id"], rv["id"]),
                                     {"verdict": "correct", "note": "fine"}))
        self.assertEqual(audit["items"][0]["verdict"], "correct")
        check("GET", "/api/v1/projects/{id}/audits",
              w.manager.get(API + "/projects/%d/audits" % paid["id"]))
        # Serving: an OCR endpoint with a shadow, a key, a prediction and its feedback, the log
        # and the usage.
        eng, eng_id = w.user("oa_e")
        w.admin.post(API + "/orgs/%d/members" % w.org["id"], {"user_id": eng_id,
                                                             "role": "engineer"})
        ep = check("POST", "/api/v1/orgs/{id}/endpoints", eng.post(
            API + "/orgs/%d/endpoints" % w.org["id"], {
                "name": "oa-ocr", "targets": [{"service": "ocr"}],
                "shadow": {"service": "ocr", "options": {"languages": "eng"}}}))
        epath = API + "/endpoints/%d" % ep["id"]
        check("GET", "/api/v1/orgs/{id}/endpoints",
              eng.get(API + "/orgs/%d/endpoints" % w.org["id"]))
        check("GET", "/api/v1/endpoints/{id}", eng.get(epath))
        check("PATCH", "/api/v1/endpoints/{id}", eng.patch(epath, {"log_limit": 500}))
        key = check("POST", "/api/v1/endpoints/{id}/keys", eng.post(epath + "/keys",
                                                                     {"name": "oa"}))
        check("GET", "/api/v1/endpoints/{id}/keys", eng.get(epath + "/keys"))
        caller = Client(s.port, token=key["key"])
        image = base64.b64encode(png_bytes(40, 20)).decode()
        pred = check("POST", "/api/v1/endpoints/{name}/predict", caller.post(
            API + "/endpoints/oa-ocr/predict", {"inputs": [{"image_bytes_b64": image}]}))
        check("POST", "/api/v1/predictions/{id}/feedback", caller.post(
            API + "/predictions/%d/feedback" % pred["predictions"][0]["id"],
            {"correct": True, "comment": "fine"}))
        check("POST", "/api/v1/endpoints/{name}/feedback", caller.post(
            API + "/endpoints/oa-ocr/feedback",
            {"prediction_id": pred["predictions"][0]["id"], "correct": False,
             "answer": {"lines": []}}))
        # The prediction and its shadow's, which its queue logs after the answer.
        for _ in range(200):
            log = check("GET", "/api/v1/endpoints/{id}/predictions",
                        eng.get(epath + "/predictions"))
            if len(log["items"]) >= 2:
                break
            time.sleep(0.05)
        self.assertEqual(len(log["items"]), 2)
        run = check("POST", "/api/v1/projects/{id}/preannotations",
                    w.manager.post(API + "/projects/%d/preannotations" % pid,
                                   {"endpoint": "oa-ocr"}))
        runs = check("GET", "/api/v1/projects/{id}/preannotations",
                     w.manager.get(API + "/projects/%d/preannotations" % pid))
        self.assertEqual(runs["items"][0]["id"], run["id"])
        check("GET", "/api/v1/endpoints/{id}/usage", eng.get(epath + "/usage"))
        check("GET", "/api/v1/endpoints/{id}/stats", eng.get(epath + "/stats"))
        # An import over the background size, read and cancelled while it runs.
        big = "".join(json.dumps({"text": "bulk %d" % i}) + "\n" for i in range(1000000))
        r = w.manager.post(API + "/projects/%d/items" % pid, big.encode(),
                           headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(r.status, 202, r)
        ipath = API + "/projects/%d/imports/%d" % (pid, r.json()["id"])
        check("GET", "/api/v1/projects/{id}/imports/{id}", w.manager.get(ipath))
        check("DELETE", "/api/v1/projects/{id}/imports/{id}", w.manager.request("DELETE", ipath))
        # A label check of the project as it is now, and the list of its checks.
        check("POST", "/api/v1/projects/{id}/label-checks",
              w.manager.post(API + "/projects/%d/label-checks" % pid, {"folds": 2}))
        check("GET", "/api/v1/projects/{id}/label-checks",
              w.manager.get(API + "/projects/%d/label-checks" % pid))
        # A code bundle of one file.
        bundle = io.BytesIO()
        with tarfile.open(fileobj=bundle, mode="w:gz") as tar:
            info = tarfile.TarInfo("train.sh")
            info.size = 3
            tar.addfile(info, io.BytesIO(b"ls\n"))
        check("POST", "/api/v1/orgs/{id}/code", eng.post(
            API + "/orgs/%d/code" % w.org["id"], bundle.getvalue(),
            headers={"Content-Type": "application/gzip"}))
        self.check_jobs(w, ds["id"], check)
        self.check_pipeline(w, check)
        declared = {(m.upper(), path) for path, ops in spec["paths"].items()
                    for m, op in ops.items()
                    if any("content" in a for code, a in op["responses"].items()
                           if code != "default")}
        self.assertEqual(checked, declared)

    def test_sigterm_finishes_requests_in_flight(self):
        s = self.server
        w = World(s)
        p = w.project()
        w.import_texts(p["id"], ["t%04d" % i for i in range(2000)])
        users = signup_users(s, "sg", 16)
        for _, uid in users:
            w.add_member(p["id"], uid, "worker")
        acked, failures = [], []
        lock = threading.Lock()
        started = threading.Barrier(len(users) + 1)

        def loop(token):
            c = Client(s.port, token, timeout=30)
            started.wait()
            while True:
                try:
                    r = c.post(API + "/projects/%d/tasks/next" % p["id"])
                    if r.status != 200:
                        return
                    t = r.json()
                    r = c.post(API + "/tasks/%d/submit" % t["id"],
                               {"annotation": {"labels": ["pos"]}})
                except (OSError, Exception) as e:  # the server went away between requests
                    with lock:
                        failures.append(repr(e))
                    return
                with lock:
                    if r.status == 200:
                        acked.append(t["id"])
                    elif r.status != 503:
                        failures.append((r.status, r.body[:200]))

        threads = [threading.Thread(target=loop, args=(c.token,)) for c, _ in users]
        for t in threads:
            t.start()
        started.wait()
        time.sleep(1.0)
        proc = s.proc
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(30)
        for t in threads:
            t.join(60)
        s.proc = proc
        s.stop()
        self.assertEqual(rc, 0)
        self.assertIn('msg="stopped"', s.tail(20000))
        self.assertGreater(len(acked), 20)
        # Nothing answered with an error status: requests either completed or never started.
        self.assertEqual([f for f in failures if isinstance(f, tuple)], [])
        db = sqlite3.connect(os.path.join(s.data_dir, "crowdloop.db"))
        try:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            for tid in acked:
                n = db.execute("SELECT count(*) FROM events WHERE task_id = ? AND type = 'submit'",
                               (tid,)).fetchone()[0]
                self.assertEqual(n, 1, tid)
            # A clean close checkpoints the WAL into the database file.
            self.assertFalse(os.path.exists(os.path.join(s.data_dir, "crowdloop.db-wal")) and
                             os.path.getsize(os.path.join(s.data_dir, "crowdloop.db-wal")) > 0)
        finally:
            db.close()


if __name__ == "__main__":
    main()
