"""Every route the running server publishes, called by every role on an object of its own project
or org, of another project of the same org and of another org, answers as the route's declared
access says (the x-access member of /api/v1/openapi.json): where the declaration refuses, exactly
its status (401, 403 or 404); where it allows, anything but 401, 403 or 404 (the request may still
fail on its content or state). Destructive routes get objects made for the call."""
import json
import os
import secrets
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import API, Client, ServerTestCase, main, wait_for  # noqa: E402

ROLES = ("anonymous", "outsider", "worker", "reviewer", "engineer", "manager", "owner", "admin")
RELATIONS = ("own", "same_org", "other_org")
MLFLOW = "/api/2.0/mlflow/"


class RouteAccessTest(ServerTestCase):
    # An upload over 1 KiB is imported in the background, so that a project has imports to read.
    server_args = ("--allow-signup", "--allow-custom-jobs", "--background-import-kb", "1")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls._setup()
        except BaseException:
            sys.stderr.write(cls.server.tail())
            cls.server.cleanup()
            raise

    # -- the world the walk runs in -------------------------------------------------------

    @classmethod
    def user(cls, prefix):
        name = "%s_%s" % (prefix, secrets.token_hex(3))
        pw = secrets.token_urlsafe(12)
        r = cls.world.admin.post(API + "/users", {"username": name, "password": pw})
        assert r.status == 201, r
        cls.passwords[name] = pw
        return cls.server.login(name, pw), r.json()["id"], name

    @classmethod
    def ok(cls, r, *status):
        assert r.status in (status or (200, 201, 204)), r
        return r.json() if r.body else None

    @classmethod
    def filled_project(cls, by, org_id):
        """A project of org_id (made by `by`) with the helpers as its worker and reviewer, three
        approved tasks, a task the helper worker holds, a dataset version and an audit."""
        admin = cls.world.admin
        p = cls.ok(by.post(API + "/projects", {
            "org_id": org_id, "name": "walk-" + secrets.token_hex(3), "kind": "text_class",
            "labels": ["pos", "neg"], "status": "open"}), 201)
        for uid, role in ((cls.hw_id, "worker"), (cls.hr_id, "reviewer")):
            cls.ok(admin.post(API + "/projects/%d/members" % p["id"],
                              {"user_id": uid, "role": role}), 201)
        body = "".join(json.dumps({"text": "walk item %d" % i}) + "\n" for i in range(8))
        rep = cls.ok(admin.post(API + "/projects/%d/items" % p["id"], body,
                                headers={"Content-Type": "application/x-ndjson"}))
        for _ in range(3):
            t = cls.ok(cls.hw.post(API + "/projects/%d/tasks/next" % p["id"]))
            cls.ok(cls.hw.post(API + "/tasks/%d/submit" % t["id"],
                               {"annotation": {"labels": ["pos"]}}))
            rv = cls.ok(cls.hr.post(API + "/projects/%d/reviews/next" % p["id"]))
            cls.ok(cls.hr.post(API + "/tasks/%d/review" % rv["id"], {"decision": "approve"}))
        held = cls.ok(cls.hw.post(API + "/projects/%d/tasks/next" % p["id"]))
        ds = cls.ok(admin.post(API + "/projects/%d/datasets" % p["id"], {}), 201)
        audit = cls.ok(admin.post(API + "/projects/%d/audits" % p["id"], {"size": 1}), 201)
        endpoint = cls.endpoint_in(org_id)
        endpoint_name = cls.ok(admin.get(API + "/endpoints/%d" % endpoint))["name"]
        key = cls.ok(admin.post(API + "/endpoints/%d/keys" % endpoint, {"name": "walk"}), 201)
        job, artifact, model = cls.trained(org_id, ds["id"])
        run = cls.pipeline_run(p["id"])
        return {"project": p["id"], "task": held["id"], "item": rep["item_ids"][0],
                "pipeline_run": run,
                "dataset": ds["id"], "audit": audit["id"],
                "audit_task": audit["items"][0]["task_id"], "org": org_id,
                "endpoint": endpoint, "endpoint_name": endpoint_name, "key": key["id"],
                "job": job,
                "artifact": artifact, "model": model}

    @classmethod
    def pipeline_run(cls, project_id):
        """A run of the project's retraining pipeline (whatever its end), the pipeline then
        switched off."""
        admin, url = cls.world.admin, API + "/projects/%d/pipeline" % project_id
        settings = {"trainer": "text-linear", "model": "walk-pipeline", "threshold": 1}
        cls.ok(admin.request("PUT", url, settings))
        for _ in range(300):
            runs = cls.ok(admin.get(url))["runs"]
            if runs:
                break
            time.sleep(0.1)
        assert runs, "the pipeline started no run"
        cls.ok(admin.request("PUT", url, dict(settings, enabled=False)))
        return runs[0]["id"]

    @classmethod
    def endpoint_in(cls, org_id):
        """A serving endpoint of org_id (the built-in OCR service), made by an admin."""
        return cls.ok(cls.world.admin.post(API + "/orgs/%d/endpoints" % org_id, {
            "name": "walk-" + secrets.token_hex(3), "targets": [{"service": "ocr"}]}), 201)["id"]

    @classmethod
    def trained(cls, org_id, dataset_id):
        """A succeeded job of the org with an output file, and a model with it as version 1.
        Custom commands are the org's owners' and engineers': an engineer of the org runs it."""
        admin = cls.world.admin
        if org_id not in cls.engineers:
            eng, uid, _ = cls.user("org_engineer")
            cls.ok(admin.post(API + "/orgs/%d/members" % org_id,
                              {"user_id": uid, "role": "engineer"}), 201)
            cls.engineers[org_id] = eng
        job = cls.ok(cls.engineers[org_id].post(API + "/orgs/%d/jobs" % org_id, {
            "dataset_id": dataset_id,
            "command": ["sh", "-c", 'echo walked > "$CROWDLOOP_OUTPUT/out.txt"']}), 201)["id"]
        for _ in range(300):
            state = cls.ok(admin.get(API + "/jobs/%d" % job))["state"]
            if state not in ("queued", "running"):
                break
            time.sleep(0.1)
        assert state == "succeeded", state
        artifact = cls.ok(admin.get(API + "/jobs/%d/artifacts" % job))["items"][0]["id"]
        model = cls.ok(admin.post(API + "/orgs/%d/models" % org_id,
                                  {"name": "walk-" + secrets.token_hex(3)}), 201)["id"]
        cls.ok(admin.post(API + "/models/%d/versions" % model, {"job_id": job}), 201)
        return job, artifact, model

    @classmethod
    def _setup(cls):
        w = cls.world
        cls.passwords = {}
        cls.hw, cls.hw_id, _ = cls.user("helper_worker")
        cls.hr, cls.hr_id, _ = cls.user("helper_reviewer")
        cls.dummy_id = cls.user("dummy")[1]
        cls.engineers = {}
        cls.imports = {}  # project id -> an ended background import of it
        org = w.org["id"]
        clients = {"anonymous": Client(cls.server.port), "admin": w.admin,
                   "manager": w.manager}
        cls.names = {"admin": "admin", "manager": None}
        cls.passwords["admin"] = cls.server.admin_password
        for role in ("outsider", "worker", "reviewer", "engineer", "owner"):
            clients[role], uid, cls.names[role] = cls.user(role)
            if role in ("engineer", "owner"):
                cls.ok(w.admin.post(API + "/orgs/%d/members" % org,
                                    {"user_id": uid, "role": role}), 201)
            setattr(cls, role + "_id", uid)
        cls.clients = clients
        # a manager of its own, whose password the walk knows (logout needs fresh sessions)
        clients["manager"], mid, cls.names["manager"] = cls.user("walk_manager")
        cls.ok(w.admin.post(API + "/orgs/%d/members" % org,
                            {"user_id": mid, "role": "manager"}), 201)
        cls.ok(w.admin.post(API + "/orgs/%d/funds" % org, {"amount": 100000}), 201)
        cls.own = cls.filled_project(w.manager, org)
        for uid, role in ((cls.worker_id, "worker"), (cls.reviewer_id, "reviewer")):
            cls.ok(w.manager.post(API + "/projects/%d/members" % cls.own["project"],
                                  {"user_id": uid, "role": role}), 201)
        cls.same = cls.filled_project(w.manager, org)
        org_b = cls.ok(w.admin.post(API + "/orgs", {"name": "walk-b-" + secrets.token_hex(3)}),
                       201)
        cls.other = cls.filled_project(w.admin, org_b["id"])
        # a payout of the helper worker's pay
        p = cls.ok(w.manager.post(API + "/projects", {
            "org_id": org, "name": "paid-" + secrets.token_hex(3), "kind": "text_class",
            "labels": ["pos", "neg"], "status": "open", "price": 100, "reviewer_fee": 10}), 201)
        cls.ok(w.manager.post(API + "/projects/%d/deposits" % p["id"], {"amount": 10000}), 201)
        for uid, role in ((cls.hw_id, "worker"), (cls.hr_id, "reviewer")):
            cls.ok(w.manager.post(API + "/projects/%d/members" % p["id"],
                                  {"user_id": uid, "role": role}), 201)
        w.import_texts(p["id"], ["paid item"])
        t = cls.ok(cls.hw.post(API + "/projects/%d/tasks/next" % p["id"]))
        cls.ok(cls.hw.post(API + "/tasks/%d/submit" % t["id"], {"annotation": {"labels": ["pos"]}}))
        rv = cls.ok(cls.hr.post(API + "/projects/%d/reviews/next" % p["id"]))
        cls.ok(cls.hr.post(API + "/tasks/%d/review" % rv["id"], {"decision": "approve"}))
        cls.payout = cls.ok(cls.hw.post(API + "/me/payouts", {"amount": 10}), 201)["id"]
        # a course (an admin's) with a practice question showing a project item, and exam
        # questions; an exam attempt of someone who is none of the roles
        c = cls.ok(w.admin.post(API + "/courses", {"kind": "text_class", "name": "walk course",
                                                   "labels": ["pos", "neg"], "exam_size": 2}),
                   201)
        cls.course = c["id"]
        q = cls.ok(w.admin.post(API + "/courses/%d/questions" % c["id"], {
            "role": "practice", "item": {"item_id": cls.own["item"]},
            "answer": {"labels": ["pos"]}}), 201)
        cls.question = q["id"]
        for i in range(2):
            cls.ok(w.admin.post(API + "/courses/%d/questions" % c["id"], {
                "role": "exam", "item": {"text": "exam %d" % i}, "answer": {"labels": ["pos"]}}),
                201)
        cls.taker = cls.user("taker")[0]
        cls.exam = cls.ok(cls.taker.post(API + "/courses/%d/exam" % c["id"]),
                          201)["attempt_id"]

    # -- one call ------------------------------------------------------------------------

    def objects(self, relation):
        return {"own": self.own, "same_org": self.same, "other_org": self.other}[relation]

    def fresh_dataset(self, relation):
        r = self.world.admin.post(API + "/projects/%d/datasets" % self.objects(relation)["project"],
                                  {})
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def fresh_member(self, relation):
        r = self.world.admin.post(API + "/projects/%d/members" % self.objects(relation)["project"],
                                  {"user_id": self.dummy_id, "role": "worker"})
        self.assertEqual(r.status, 201, r)
        return self.dummy_id

    def import_in(self, relation):
        """A background import of the relation's project, made by an admin, once it ended."""
        pid = self.objects(relation)["project"]
        if pid in self.imports:
            return self.imports[pid]
        body = "".join('{"text":"walk import %d"}\n' % i for i in range(100))
        r = self.world.admin.post(API + "/projects/%d/items" % pid, body,
                                  headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(r.status, 202, r)
        iid = r.json()["id"]
        path = API + "/projects/%d/imports/%d" % (pid, iid)
        self.assertTrue(wait_for(lambda: self.world.admin.get(path).json()["state"] in
                                 ("done", "failed", "cancelled"), timeout=60))
        self.imports[pid] = iid
        return iid

    def path_for(self, method, path, access, relation):
        """The path with its ids: the object of the relation, then the sub-object."""
        objs = self.objects(relation)
        obj = access["object"]
        first = {"project": objs["project"], "task": objs["task"], "item": objs["item"],
                 "dataset": objs["dataset"], "audit": objs["audit"], "org": objs["org"],
                 "course": self.course, "exam": self.exam, "payout": self.payout,
                 "endpoint": objs["endpoint"], "job": objs["job"],
                 "model": objs["model"]}.get(obj)
        if method == "DELETE" and obj == "dataset":
            first = self.fresh_dataset(relation)
        if method == "DELETE" and path == API + "/endpoints/{id}":
            first = self.endpoint_in(objs["org"])
        second = {"audit": objs["audit_task"], "course": self.question,
                  "endpoint": objs["key"], "job": objs["artifact"]}.get(obj)
        if "/pipeline/runs/" in path:
            second = objs["pipeline_run"]
        if method == "DELETE" and path.endswith("/members/{id}"):
            second = self.fresh_member(relation)
        if path.endswith("/imports/{id}"):
            second = self.import_in(relation)
        if first is not None:
            path = path.replace("{id}", str(first), 1)
        if second is not None:
            path = path.replace("{id}", str(second), 1)
        if access["access"] == "an endpoint's API key":
            # Called with a session, never a key: the path's names matter to no one.
            path = path.replace("{name}", "walk").replace("{id}", "1")
        elif access["access"].startswith("an endpoint's API key"):
            # A member's session names the endpoint of the relation's org; its revision is 1.
            path = path.replace("{name}", objs["endpoint_name"]).replace("{id}", "1")
        self.assertNotIn("{", path, (method, path))
        return path

    def body_for(self, method, path, relation):
        """A body the route takes (None: none), JSON unless a string."""
        objs = self.objects(relation)
        tag = secrets.token_hex(4)
        if path.endswith("/auth/login"):
            return {"username": self.names["outsider"], "password": self.passwords[
                self.names["outsider"]]}
        if path.endswith("/auth/signup"):
            return {"username": "signup_" + tag, "password": "password-" + tag}
        bodies = {
            ("POST", "/users"): {"username": "walk_" + tag, "password": "password-" + tag},
            ("POST", "/orgs"): {"name": "walk-org-" + tag},
            ("POST", "/orgs/{id}/members"): {"user_id": self.dummy_id, "role": "engineer"},
            ("POST", "/projects"): {"org_id": objs["org"], "name": "walk-" + tag,
                                    "kind": "text_class", "labels": ["a"]},
            ("PATCH", "/projects/{id}"): {"instructions": "walked " + tag},
            ("POST", "/projects/{id}/members"): {"user_id": self.dummy_id, "role": "worker"},
            ("POST", "/projects/{id}/items"): '{"text":"walk %s"}\n' % tag,
            ("POST", "/tasks/{id}/submit"): {"annotation": {"labels": ["pos"]}},
            ("POST", "/tasks/{id}/review"): {"decision": "approve"},
            ("POST", "/tasks/{id}/resolve"): {"decision": "discard"},
            ("POST", "/projects/{id}/datasets"): {},
            ("POST", "/orgs/{id}/funds"): {"amount": 1},
            ("POST", "/projects/{id}/deposits"): {"amount": 1},
            ("POST", "/me/payouts"): {"amount": 1},
            ("POST", "/payouts/{id}/approve"): {},
            ("POST", "/payouts/{id}/reject"): {},
            ("PATCH", "/projects/{id}/quality-settings"): {},
            ("POST", "/projects/{id}/gold"): {"items": [{"text": "gold " + tag,
                                                         "answer": {"labels": ["pos"]}}]},
            ("POST", "/projects/{id}/audits"): {"size": 1},
            ("POST", "/projects/{id}/label-checks"): {"dataset_id": objs["dataset"]},
            ("POST", "/audits/{id}/tasks/{id}"): {"verdict": "correct"},
            ("POST", "/courses"): {"kind": "text_class", "name": "c " + tag,
                                   "labels": ["a", "b"]},
            ("POST", "/courses/{id}/questions"): {"role": "practice", "item": {"text": tag},
                                                  "answer": {"labels": ["pos"]}},
            ("POST", "/courses/{id}/practice/{id}"): {"annotation": {"labels": ["pos"]}},
            ("POST", "/exams/{id}/submit"): {"answers": []},
            ("POST", "/projects/{id}/invites"): {"user_id": self.dummy_id},
            ("POST", "/orgs/{id}/endpoints"): {"name": "walk-" + tag,
                                               "targets": [{"service": "ocr"}]},
            ("PATCH", "/endpoints/{id}"): {"log_limit": 100},
            ("POST", "/endpoints/{id}/keys"): {"name": "walk " + tag},
            ("POST", "/projects/{id}/tasks/bulk"): {"action": "priority", "priority": 1,
                                                    "task_ids": [objs["task"]]},
            ("POST", "/orgs/{id}/jobs"): {"dataset_id": objs["dataset"],
                                          "trainer": "text-linear"},
            ("POST", "/jobs/{id}/metrics"): {"metrics": [{"key": "walk", "value": 1}]},
            ("POST", "/orgs/{id}/models"): {"name": "walk-" + tag},
            ("POST", "/orgs/{id}/quota"): {"max_cpus": -1, "max_gpus": -1, "weight": 1},
            ("POST", "/models/{id}/versions"): {"job_id": objs["job"]},
            ("POST", "/models/{id}/aliases"): {"name": "walk", "version": 1},
            ("PUT", "/projects/{id}/pipeline"): {"trainer": "text-linear", "model": "walk-pipeline",
                                                 "enabled": False},
        }
        return bodies.get((method, path[len(API):] if path.startswith(API) else path))

    def client_for(self, role, path):
        if path.endswith("/auth/logout") and role != "anonymous":
            # logging out revokes the token: a session of its own
            name = self.names[role]
            return self.server.login(name, self.passwords[name])
        return self.clients[role]

    # -- the walk ------------------------------------------------------------------------

    def test_every_route_answers_as_declared(self):
        doc = self.world.admin.get(API + "/openapi.json").json()
        walked = 0
        for pattern, item in doc["paths"].items():
            for method, op in item.items():
                method = method.upper()
                access = op.get("x-access")
                with self.subTest(route="%s %s" % (method, pattern)):
                    self.assertIsNotNone(access, "the route publishes no x-access")
                    self.assertNotEqual(access["access"], "nothing declared")
                for relation in RELATIONS:
                    for role in ROLES:
                        want = access["answers"][relation][role]
                        with self.subTest(route="%s %s" % (method, pattern), role=role,
                                          relation=relation):
                            self.call(method, pattern, access, relation, role, want)
                            walked += 1
        self.assertGreaterEqual(walked, 80 * len(RELATIONS) * len(ROLES))

    def call(self, method, pattern, access, relation, role, want):
        path = self.path_for(method, pattern, access, relation)
        body = self.body_for(method, pattern, relation)
        headers = {}
        if isinstance(body, str):
            headers["Content-Type"] = "application/x-ndjson"
        c = self.client_for(role, path)
        r = c.request(method, path, body, headers=headers)
        self.assertLess(r.status, 500, r)
        if want == "allow":
            refused = (401,) if access["body"] else (401, 403, 404)
            self.assertNotIn(r.status, refused, "%s as %s (%s): %r" % (path, role, relation, r))
        else:
            self.assertEqual(r.status, want, "%s as %s (%s): %r" % (path, role, relation, r))
            if path.startswith(MLFLOW):
                # MLflow's routes answer in MLflow's shape; which runs and experiments a
                # caller reaches is the handlers' (tests/e2e/test_mlflow.py walks it).
                self.assertTrue(r.json().get("error_code") and r.json().get("message"), r)
            else:
                self.assertError(r, want)

    def test_owners_pass_where_the_table_says_its_own(self):
        """The walk calls on objects others own; "own" routes let their owner in as well:
        a task's worker reads it, a dataset's creator (an engineer) deletes it, an exam's
        taker hands it in, while the same callers are refused another's."""
        doc = self.world.admin.get(API + "/openapi.json").json()
        own = {(m.upper(), path) for path, item in doc["paths"].items()
               for m, op in item.items() if op["x-access"]["own"]}
        self.assertTrue({("GET", API + "/tasks/{id}"), ("DELETE", API + "/datasets/{id}"),
                         ("POST", API + "/exams/{id}/submit")} <= own, own)
        r = self.hw.get(API + "/tasks/%d" % self.own["task"])
        self.assertEqual(r.status, 200, r)
        self.assertError(self.clients["worker"].get(API + "/tasks/%d" % self.own["task"]), 404)
        eng = self.clients["engineer"]
        r = eng.post(API + "/projects/%d/datasets" % self.own["project"], {})
        self.assertEqual(r.status, 201, r)
        mine = r.json()["id"]
        self.assertError(eng.request("DELETE", API + "/datasets/%d" % self.fresh_dataset("own")),
                         403)
        self.assertEqual(eng.request("DELETE", API + "/datasets/%d" % mine).status, 204)
        r = self.taker.post(API + "/exams/%d/submit" % self.exam, {"answers": []})
        self.assertEqual(r.status, 200, r)

    def test_declared_refusals_change_nothing_on_the_labeling_loop(self):
        """A submit or review the table refuses leaves the held task as it was."""
        before = self.world.admin.get(API + "/tasks/%d" % self.own["task"]).json()
        for role in ("anonymous", "outsider", "engineer"):
            c = self.clients[role]
            c.post(API + "/tasks/%d/submit" % self.own["task"],
                   {"annotation": {"labels": ["neg"]}})
            c.post(API + "/tasks/%d/review" % self.own["task"], {"decision": "reject",
                                                                  "reason": "no"})
        after = self.world.admin.get(API + "/tasks/%d" % self.own["task"]).json()
        self.assertEqual(before, after)


if __name__ == "__main__":
    main()
