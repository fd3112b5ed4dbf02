"""Hostile and malformed input: bad JSON, wrong types, unknown fields, size and depth limits,
query validation, unsafe names in uploads and archives, media types. Every refusal is a JSON
error body."""
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, Client, Server, ServerTestCase, World, assert_error,  # noqa: E402
                     list_all, main, multipart, png_bytes, stream_request, table_counts)

MiB = 1024 * 1024
MLFLOW = "/api/2.0/mlflow/"


def walk_names(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        out.extend(os.path.join(dirpath, n) for n in dirnames + filenames)
    return out


class BadInputTest(ServerTestCase):
    # The data directory sits three levels under a temporary root of its own, so that every
    # place a "../../" name could reach is inside a tree this test owns and can search.

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="crowdloop-e2e-root-")
        data = os.path.join(cls.root, "a", "b", "data")
        os.makedirs(data)
        cls.server = Server(data_dir=data)
        try:
            cls.server.create_admin()
            cls.server.start()
            cls.world = World(cls.server)
            cls.worker, cls.worker_id = cls.world.user("bw")
        except BaseException:
            sys.stderr.write(cls.server.tail())
            cls.server.stop()
            shutil.rmtree(cls.root, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):
        self.m = self.world.manager

    def project_body(self, **kw):
        body = {"org_id": self.world.org["id"], "name": "bad-input", "kind": "text_class",
                "labels": ["pos", "neg"]}
        body.update(kw)
        return body

    def assertNoEvil(self):
        hits = [p for p in walk_names(self.root) if os.path.basename(p).startswith("evil")
                or os.path.basename(p) in ("abs.txt", "abs.png")]
        self.assertEqual(hits, [])
        # nothing was written outside the data directory
        outside = [p for p in walk_names(self.root)
                   if not p.startswith(self.server.data_dir)]
        self.assertEqual(sorted(outside), [os.path.join(self.root, "a"),
                                           os.path.join(self.root, "a", "b")])
        # nor next to the temporary root, nor in the server's working directory
        for d in (os.path.dirname(self.root), os.getcwd()):
            self.assertEqual([n for n in os.listdir(d)
                              if n.startswith("evil") or n in ("abs.txt", "abs.png")], [], d)

    # -- JSON bodies -----------------------------------------------------------------------

    def test_malformed_json(self):
        before = table_counts(self.server.data_dir)
        n = self.project_count()
        for body in ('{"name": ', "{bad json}", "[1, 2", '{"a":1}{"b":2}', "\x00\x01",
                     '{"name":"\xff"}'.encode("latin-1"), "", "null", "[]", '"text"'):
            with self.subTest(body=body):
                r = self.m.post(API + "/projects", body,
                                headers={"Content-Type": "application/json"})
                self.assertError(r, 400)
        self.assertEqual(table_counts(self.server.data_dir), before)
        self.assertEqual(self.project_count(), n)

    def project_count(self):
        return len(list_all(self.world.admin, API + "/projects"))

    def test_wrong_types_name_the_field(self):
        n = self.project_count()
        for field, value in (("labels", "pos"), ("labels", [1, 2]), ("price", "10"),
                             ("price", 1.5), ("overlap", "2"), ("multi_label", "yes"),
                             ("name", 12), ("org_id", "1"), ("max_rounds", None),
                             ("reviewer_fee", -1), ("overlap", 11), ("lease_minutes", 0),
                             ("kind", "video_class"), ("review_policy", "some"),
                             ("labels", []), ("labels", ["a", "a"]), ("labels", [""])):
            with self.subTest(field=field, value=value):
                r = self.m.post(API + "/projects", self.project_body(**{field: value}))
                err = self.assertError(r, 400)
                self.assertIn(field, err["message"])
        for field, value in (("is_admin", "yes"), ("username", 5), ("password", ["x"])):
            with self.subTest(route="users", field=field):
                body = {"username": "typed_user", "password": "password123"}
                body[field] = value
                err = self.assertError(self.world.admin.post(API + "/users", body), 400)
                self.assertIn(field, err["message"])
        p = self.world.project()
        r = self.m.patch(API + "/projects/%d" % p["id"], {"price": "cheap"})
        self.assertIn("price", self.assertError(r, 400)["message"])
        self.assertEqual(self.project_count(), n + 1)

    def test_unknown_fields(self):
        n = self.project_count()
        r = self.m.post(API + "/projects", self.project_body(colour="red"))
        self.assertIn("colour", self.assertError(r, 400)["message"])
        p = self.world.project()
        r = self.m.patch(API + "/projects/%d" % p["id"], {"name": "x", "owner": 1})
        self.assertIn("owner", self.assertError(r, 400)["message"])
        r = self.m.patch(API + "/projects/%d" % p["id"], {"kind": "image_bbox"})
        self.assertError(r, 400)
        r = self.m.patch(API + "/projects/%d" % p["id"], {"org_id": 9})
        self.assertError(r, 400)
        r = self.world.admin.post(API + "/orgs", {"name": "o-unknown", "colour": "red"})
        self.assertError(r, 400)
        r = self.world.admin.post(API + "/users", {"username": "uu_unknown",
                                                   "password": "password123", "role": "x"})
        self.assertError(r, 400)
        self.assertEqual(self.project_count(), n + 1)
        # a task body with an unknown top-level field
        self.world.add_member(p["id"], self.worker_id, "worker")
        self.world.import_texts(p["id"], ["unknown field item"])
        t = self.worker.post(API + "/projects/%d/tasks/next" % p["id"]).json()
        r = self.worker.post(API + "/tasks/%d/submit" % t["id"],
                             {"annotation": {"labels": ["pos"]}, "bonus": 100})
        self.assertError(r, 400)
        self.assertEqual(self.worker.get(API + "/tasks/%d" % t["id"]).json()["state"],
                         "assigned")

    # A value of each declared type that is of none of the others, and a wrong one for each.
    WRONG = {"string": 12345, "integer": "12", "number": "1.5", "boolean": "yes",
             "object": [1], "array": {"a": 1}}
    # JSON-body routes this test cannot reach with a valid caller and object, and why.
    UNREACHED = {
        ("POST", "/api/v1/auth/signup"): "self-signup is off on this server",
        ("POST", "/api/v1/tasks/{id}/review"): "covered by the loop suites' bad reviews",
        ("POST", "/api/v1/tasks/{id}/resolve"): "needs an escalated task",
        ("POST", "/api/v1/audits/{id}/tasks/{id}"): "needs an audit of approved tasks",
        ("POST", "/api/v1/payouts/{id}/approve"): "needs a payout request",
        ("POST", "/api/v1/payouts/{id}/reject"): "needs a payout request",
        ("POST", "/api/v1/courses/{id}/questions"): "needs a course",
        ("POST", "/api/v1/courses/{id}/practice/{id}"): "needs a practice question",
        ("POST", "/api/v1/exams/{id}/submit"): "needs an exam attempt",
        ("POST", "/api/v1/endpoints/{name}/predict"): "needs an endpoint key: test_serving",
        ("POST", "/api/v1/endpoints/{name}/feedback"): "needs an endpoint key: test_serving",
        ("POST", "/api/v1/predictions/{id}/feedback"): "needs an endpoint key: test_serving",
        ("POST", "/v2/models/{name}/infer"): "needs an endpoint key: test_serving",
        ("POST", "/v2/models/{name}/versions/{id}/infer"): "needs an endpoint key: "
                                                           "test_serving",
    }

    def test_every_declared_body_field_is_checked(self):
        """Each JSON body route's fields, as /api/v1/openapi.json declares them: a wrong type,
        a null where none is allowed, a missing required field and an unknown field each answer
        400 naming the field, and nothing is written."""
        doc = self.world.admin.get(API + "/openapi.json").json()
        schemas = {}
        for path, item in doc["paths"].items():
            for method, op in item.items():
                content = op.get("requestBody", {}).get("content", {})
                if "application/json" in content:
                    schemas[(method.upper(), path)] = content["application/json"]["schema"]
        admin, m = self.world.admin, self.m
        p = self.world.project()
        self.world.add_member(p["id"], self.worker_id, "worker")
        self.world.import_texts(p["id"], ["declared fields item"])
        task = self.worker.post(API + "/projects/%d/tasks/next" % p["id"]).json()
        org = self.world.org["id"]
        pid = p["id"]
        endpoint = admin.post(API + "/orgs/%d/endpoints" % org, {
            "name": "declared-ep", "targets": [{"service": "ocr"}]}).json()
        eid = endpoint["id"]
        # A job and a model for the training routes' bodies.
        ds = admin.post(API + "/projects/%d/datasets" % pid, {}).json()["id"]
        job = admin.post(API + "/orgs/%d/jobs" % org,
                         {"dataset_id": ds, "trainer": "text-linear"}).json()["id"]
        model = admin.post(API + "/orgs/%d/models" % org, {"name": "declared"}).json()["id"]
        cases = {
            ("POST", "/api/v1/auth/login"): (Client(self.server.port), "/auth/login",
                                             {"username": "nobody", "password": "secret-pw"}),
            ("POST", "/api/v1/users"): (admin, "/users",
                                        {"username": "declared_u", "password": "password123"}),
            ("POST", "/api/v1/orgs"): (admin, "/orgs", {"name": "declared-org"}),
            ("POST", "/api/v1/orgs/{id}/members"): (admin, "/orgs/%d/members" % org,
                                                    {"user_id": self.worker_id,
                                                     "role": "engineer"}),
            ("POST", "/api/v1/orgs/{id}/funds"): (admin, "/orgs/%d/funds" % org,
                                                  {"amount": 100}),
            ("POST", "/api/v1/projects"): (m, "/projects", self.project_body()),
            ("PATCH", "/api/v1/projects/{id}"): (m, "/projects/%d" % pid, {}),
            ("POST", "/api/v1/projects/{id}/members"): (m, "/projects/%d/members" % pid,
                                                        {"user_id": self.worker_id,
                                                         "role": "reviewer"}),
            ("POST", "/api/v1/projects/{id}/datasets"): (m, "/projects/%d/datasets" % pid, {}),
            ("POST", "/api/v1/projects/{id}/deposits"): (m, "/projects/%d/deposits" % pid,
                                                         {"amount": 1}),
            ("PATCH", "/api/v1/projects/{id}/quality-settings"): (
                m, "/projects/%d/quality-settings" % pid, {}),
            ("POST", "/api/v1/projects/{id}/gold"): (
                m, "/projects/%d/gold" % pid,
                {"items": [{"text": "gold", "answer": {"labels": ["pos"]}}]}),
            ("POST", "/api/v1/projects/{id}/audits"): (m, "/projects/%d/audits" % pid,
                                                       {"size": 1}),
            ("POST", "/api/v1/projects/{id}/invites"): (m, "/projects/%d/invites" % pid,
                                                        {"user_id": self.worker_id}),
            ("POST", "/api/v1/projects/{id}/tasks/bulk"): (
                m, "/projects/%d/tasks/bulk" % pid,
                {"action": "discard", "task_ids": [task["id"]], "reason": "r"}),
            ("POST", "/api/v1/me/payouts"): (self.worker, "/me/payouts", {"amount": 1}),
            ("POST", "/api/v1/courses"): (admin, "/courses",
                                          {"kind": "text_class", "name": "declared course",
                                           "labels": ["a", "b"]}),
            ("POST", "/api/v1/tasks/{id}/submit"): (self.worker, "/tasks/%d/submit" % task["id"],
                                                    {"annotation": {"labels": ["pos"]}}),
            ("POST", "/api/v1/orgs/{id}/endpoints"): (
                admin, "/orgs/%d/endpoints" % org,
                {"name": "declared-ep2", "targets": [{"service": "ocr"}]}),
            ("PATCH", "/api/v1/endpoints/{id}"): (admin, "/endpoints/%d" % eid, {}),
            ("POST", "/api/v1/endpoints/{id}/keys"): (admin, "/endpoints/%d/keys" % eid,
                                                      {"name": "declared key"}),
            ("POST", "/api/v1/orgs/{id}/jobs"): (admin, "/orgs/%d/jobs" % org,
                                                 {"dataset_id": 1, "trainer": "text-linear"}),
            ("POST", "/api/v1/jobs/{id}/metrics"): (admin, "/jobs/%d/metrics" % job,
                                                    {"metrics": []}),
            ("POST", "/api/v1/orgs/{id}/quota"): (admin, "/orgs/%d/quota" % org,
                                                  {"max_cpus": -1, "max_gpus": -1, "weight": 1}),
            ("POST", "/api/v1/orgs/{id}/models"): (admin, "/orgs/%d/models" % org,
                                                   {"name": "declared-model"}),
            ("POST", "/api/v1/models/{id}/versions"): (admin, "/models/%d/versions" % model,
                                                       {"job_id": job}),
            ("POST", "/api/v1/models/{id}/aliases"): (admin, "/models/%d/aliases" % model,
                                                      {"name": "production", "version": 1}),
            ("POST", "/api/v1/projects/{id}/preannotations"): (
                admin, "/projects/%d/preannotations" % pid, {"endpoint": "declared-ep"}),
            ("PUT", "/api/v1/projects/{id}/pipeline"): (
                m, "/projects/%d/pipeline" % pid,
                {"trainer": "text-linear", "model": "declared", "enabled": False}),
            ("POST", "/api/v1/projects/{id}/label-checks"): (
                m, "/projects/%d/label-checks" % pid, {"folds": 5}),
        }
        # MLflow's routes (full paths: they live outside /api/v1), refused in MLflow's shape.
        run = {"run_id": str(job)}
        for name, base in (("experiments/create", {"name": p["name"]}),
                           ("experiments/search", {}),
                           ("runs/create", {"experiment_id": str(pid)}),
                           ("runs/update", dict(run, status="RUNNING")),
                           ("runs/search", {"experiment_ids": [str(pid)]}),
                           ("runs/log-metric", dict(run, key="k", value=1.0)),
                           ("runs/log-parameter", dict(run, key="k", value="v")),
                           ("runs/set-tag", dict(run, key="k", value="v")),
                           ("runs/delete-tag", dict(run, key="k")),
                           ("runs/log-batch", run)):
            cases[("POST", MLFLOW + name)] = (admin, MLFLOW + name, base)
        self.assertEqual(set(schemas), set(cases) | set(self.UNREACHED))
        before = table_counts(self.server.data_dir, ("orgs", "users", "projects", "items",
                                                     "tasks", "events", "annotations",
                                                     "ledger_txns", "project_members",
                                                     "org_members", "gold_items", "audits",
                                                     "courses", "payouts", "dataset_versions"))
        settings = m.get(API + "/projects/%d/quality-settings" % pid).json()
        project = m.get(API + "/projects/%d" % pid).json()

        def refused(route, body, name):
            client, path, _ = cases[route]
            if path.startswith(MLFLOW):
                r = client.request(route[0], path, body)
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.json()["error_code"], "INVALID_PARAMETER_VALUE", r)
                self.assertIn('"%s"' % name, r.json()["message"])
                return {"code": None, "message": r.json()["message"]}
            r = client.request(route[0], API + path, body)
            err = self.assertError(r, 400)
            self.assertIn('"%s"' % name, err["message"])
            return err

        for route, (client, path, base) in cases.items():
            schema = schemas[route]
            self.assertFalse(schema["additionalProperties"], route)
            for name, prop in schema["properties"].items():
                with self.subTest(route=route, field=name):
                    if prop.get("readOnly"):
                        refused(route, dict(base, **{name: 1}), name)
                        continue
                    if "type" not in prop:
                        continue
                    refused(route, dict(base, **{name: self.WRONG[prop["type"]]}), name)
                    if "enum" in prop:
                        err = refused(route, dict(base, **{name: "zz-not-a-choice"}), name)
                        self.assertIn(", ".join(prop["enum"]), err["message"])
                    if not prop.get("nullable"):
                        refused(route, dict(base, **{name: None}), name)
            for name in schema.get("required", []):
                with self.subTest(route=route, missing=name):
                    body = dict(base)
                    body.pop(name, None)
                    refused(route, body, name)
            with self.subTest(route=route, unknown=True):
                err = refused(route, dict(base, zz_undeclared=1), "zz_undeclared")
                if not path.startswith(MLFLOW):  # MLflow's shape carries no crowdloop code
                    self.assertEqual(err["code"], "unknown_field")
        # A PATCH requires nothing: an empty one is a valid change of nothing.
        self.assertNotIn("required", schemas[("PATCH", "/api/v1/projects/{id}")])
        self.assertIn("annotation", schemas[("POST", "/api/v1/tasks/{id}/submit")]["required"])
        self.assertEqual(schemas[("POST", "/api/v1/tasks/{id}/review")]["properties"]
                         ["decision"]["enum"], ["approve", "reject", "fix"])
        self.assertEqual(schemas[("POST", "/api/v1/projects/{id}/members")]["properties"]
                         ["role"]["enum"], ["worker", "reviewer"])
        self.assertEqual(table_counts(self.server.data_dir, tuple(before)), before)
        self.assertEqual(m.get(API + "/projects/%d/quality-settings" % pid).json(), settings)
        self.assertEqual(m.get(API + "/projects/%d" % pid).json(), project)
        self.assertEqual(admin.get(API + "/endpoints/%d" % eid).json(), endpoint)
        self.assertEqual(admin.get(API + "/endpoints/%d/keys" % eid).json()["items"], [])
        self.assertEqual(self.worker.get(API + "/tasks/%d" % task["id"]).json()["state"],
                         "assigned")

    def test_json_body_over_1mib(self):
        n = self.project_count()
        body = json.dumps(self.project_body(instructions="x" * (MiB + 1024))).encode()
        r = stream_request(self.server.port, "POST", API + "/projects",
                           {"Authorization": "Bearer " + self.m.token,
                            "Content-Type": "application/json",
                            "Content-Length": str(len(body))},
                           [body[i:i + 65536] for i in range(0, len(body), 65536)])
        assert_error(self, r, 413)
        # the same without a length, chunked
        chunks = [b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536])
                  for i in range(0, len(body), 65536)] + [b"0\r\n\r\n"]
        r = stream_request(self.server.port, "POST", API + "/projects",
                           {"Authorization": "Bearer " + self.m.token,
                            "Content-Type": "application/json",
                            "Transfer-Encoding": "chunked"}, chunks)
        assert_error(self, r, 413)
        self.assertEqual(self.project_count(), n)
        self.assertEqual(self.m.get("/healthz").status, 200)

    def test_nesting_depth(self):
        p = self.world.project()
        self.world.add_member(p["id"], self.worker_id, "worker")
        self.world.import_texts(p["id"], ["deep"])
        t = self.worker.post(API + "/projects/%d/tasks/next" % p["id"]).json()
        url = API + "/tasks/%d/submit" % t["id"]
        # depth 33 inside an otherwise well-formed body: refused by the parser (400), not by
        # the annotation validator (422)
        deep = "[" * 31 + "1" + "]" * 31
        body = '{"annotation":{"labels":["pos"],"x":%s}}' % deep
        r = self.worker.post(url, body, headers={"Content-Type": "application/json"})
        self.assertError(r, 400)
        for depth in (100, 10000, 100000):
            with self.subTest(depth=depth):
                body = '{"annotation":' + "[" * depth + "]" * depth + "}"
                r = self.worker.post(url, body, headers={"Content-Type": "application/json"})
                self.assertError(r, 400)
                body = '{"a":' * depth + "1" + "}" * depth
                r = self.m.post(API + "/projects", body,
                                headers={"Content-Type": "application/json"})
                self.assertError(r, 400)
        self.assertEqual(self.m.get("/healthz").status, 200)
        self.assertEqual(self.worker.get(API + "/tasks/%d" % t["id"]).json()["state"],
                         "assigned")
        # a shallow body is fine
        r = self.worker.post(url, {"annotation": {"labels": ["pos"]}})
        self.assertEqual(r.status, 200, r)

    # -- query strings -----------------------------------------------------------------------

    def test_unknown_query_params_and_sort_keys(self):
        p = self.world.project()
        pid = p["id"]
        for path in ("/projects?bogus=1", "/projects?sort=name", "/projects?sort=-created",
                     "/projects?status=weird", "/projects?kind=video",
                     "/projects/%d/items?type=video" % pid, "/projects/%d/items?sort=text" % pid,
                     "/projects/%d/items?x=1" % pid,
                     "/projects/%d/tasks?state=bogus" % pid, "/projects/%d/tasks?sort=state" % pid,
                     "/projects/%d/tasks?worker=1" % pid,
                     "/projects/%d/stats?verbose=1" % pid,
                     "/projects/%d/export?format=xml" % pid,
                     "/projects/%d/export?format=jsonl&pretty=1" % pid,
                     "/users?sort=username", "/me?x=1"):
            with self.subTest(path=path):
                self.assertError(self.world.admin.get(API + path), 400)

    def test_repeated_query_params(self):
        """A key given twice is ambiguous: 400 naming it, on every route, before the access
        check of a route that takes no query at all."""
        pid = self.world.project()["id"]
        for path in ("/projects?limit=1&limit=2", "/projects?status=open&status=draft",
                     "/projects/%d/tasks?state=open&state=open" % pid,
                     "/projects/%d/export?format=csv&format=jsonl" % pid):
            with self.subTest(path=path):
                r = self.world.admin.get(API + path)
                self.assertError(r, 400)
                self.assertEqual(r.json()["error"]["code"], "repeated_parameter", r)
        r = self.world.admin.get(API + "/projects?limit=1&sort=-id")
        self.assertEqual(r.status, 200, r)

    def test_list_limits_and_cursor(self):
        for path in ("/projects?limit=0", "/projects?limit=501", "/projects?limit=abc",
                     "/projects?cursor=not-a-cursor"):
            with self.subTest(path=path):
                self.assertError(self.world.admin.get(API + path), 400)
        self.world.project()
        self.world.project()
        r = self.world.admin.get(API + "/projects?limit=1&sort=-id")
        self.assertEqual(r.status, 200, r)
        page = r.json()
        self.assertEqual(len(page["items"]), 1)
        self.assertIsNotNone(page["next_cursor"])
        all_ids = [x["id"] for x in list_all(self.world.admin, API + "/projects?sort=-id", 1)]
        self.assertEqual(all_ids, sorted(all_ids, reverse=True))
        self.assertEqual(len(all_ids), len(set(all_ids)))
        self.assertEqual(all_ids[0], page["items"][0]["id"])
        asc = [x["id"] for x in list_all(self.world.admin, API + "/projects?sort=id", 2)]
        self.assertEqual(asc, sorted(all_ids))

    def test_items_and_tasks_pagination(self):
        p = self.world.project(overlap=2)
        rep = self.world.import_texts(p["id"], ["page %d" % i for i in range(5)])
        ids = rep["item_ids"]
        for limit in (1, 2, 5, 500):
            with self.subTest(route="items", limit=limit):
                got = [x["id"] for x in list_all(self.m, API + "/projects/%d/items" % p["id"],
                                                 limit)]
                self.assertEqual(got, sorted(ids))
            with self.subTest(route="items desc", limit=limit):
                got = [x["id"] for x in list_all(
                    self.m, API + "/projects/%d/items?sort=-id" % p["id"], limit)]
                self.assertEqual(got, sorted(ids, reverse=True))
            with self.subTest(route="tasks", limit=limit):
                got = list_all(self.m, API + "/projects/%d/tasks" % p["id"], limit)
                self.assertEqual(len(got), 10)
                self.assertEqual(len({t["id"] for t in got}), 10)
        r = self.m.get(API + "/projects/%d/items?limit=500" % p["id"])
        self.assertIsNone(r.json()["next_cursor"], r)

    def test_member_lists_and_my_lists_page_in_sql(self):
        # Lists that used to come whole and be cut in memory: each page from the store, in
        # both orders, every row once.
        w = self.world
        p = w.project(visibility="private")
        worker, wid = w.user("pgw")
        members = [w.manager_id]
        for role in ("worker", "reviewer", "worker"):
            _, uid = w.user("pgm")
            w.add_member(p["id"], uid, role)
            members.append(uid)
        w.add_member(p["id"], wid, "worker")
        mine = [p["id"]]
        for _ in range(2):
            q = w.project(visibility="private")
            w.add_member(q["id"], wid, "worker")
            mine.append(q["id"])
        for _ in range(2):
            _, uid = w.user("pgo")
            r = w.admin.post(API + "/orgs/%d/members" % w.org["id"],
                             {"user_id": uid, "role": "engineer"})
            self.assertEqual(r.status, 201, r)
        org_members = [m["user_id"] for m in list_all(
            w.admin, API + "/orgs/%d/members" % w.org["id"])]
        self.assertEqual(len(org_members), 3)
        orgs = [o["id"] for o in list_all(w.admin, API + "/orgs")]
        self.assertIn(w.org["id"], orgs)
        want = {
            "/projects/%d/members" % p["id"]: (w.manager, "user_id", sorted(members[1:] + [wid])),
            "/orgs/%d/members" % w.org["id"]: (w.admin, "user_id", sorted(org_members)),
            "/orgs": (w.admin, "id", sorted(orgs)),
            "/me/projects": (worker, "id", sorted(mine)),
        }
        for path, (client, key, ids) in want.items():
            for limit in (1, 2):
                with self.subTest(path=path, limit=limit):
                    got = [x[key] for x in list_all(client, API + path, limit)]
                    self.assertEqual(got, ids)
                    got = [x[key] for x in list_all(client, API + path + "?sort=-id", limit)]
                    self.assertEqual(got, ids[::-1])
        page = worker.get(API + "/me/projects?limit=2").json()
        self.assertEqual([x["id"] for x in page["items"]], sorted(mine)[:2])
        self.assertIsNotNone(page["next_cursor"])

    # -- unsafe names in uploads and archives ------------------------------------------------

    def import_(self, pid, body, ctype):
        return self.m.post(API + "/projects/%d/items" % pid, body,
                           headers={"Content-Type": ctype})

    def test_multipart_traversal_names(self):
        ip = self.world.project(kind="image_class", labels=["a"])
        tp = self.world.project()
        reports = []
        for i, name in enumerate(("../../evil.png", "/abs.png", "a/../../evil3.png")):
            body, ctype = multipart([("file", name, "image/png", png_bytes(5, 7 + i))])
            r = self.import_(ip["id"], body, ctype)
            reports.append((name, r))
        body, ctype = multipart([("file", "../../evil.txt", "text/plain", b"evil text"),
                                 ("file", "fine.txt", "text/plain", b"fine text")])
        mixed = self.import_(tp["id"], body, ctype)
        # whatever the report says, nothing may land outside the data directory
        self.assertNoEvil()
        for name, r in reports:
            with self.subTest(name=name):
                self.assertEqual(r.status, 200, r)
                rep = r.json()
                self.assertEqual((rep["accepted"], rep["duplicates"], rep["rejected"]),
                                 (0, 0, 1), rep)
                self.assertEqual(rep["rejections"][0]["source"], name, rep)
                self.assertIn("unsafe path", rep["rejections"][0]["reason"])
        self.assertEqual(mixed.status, 200, mixed)
        rep = mixed.json()
        self.assertEqual((rep["accepted"], rep["rejected"]), (1, 1), rep)
        self.assertIn("unsafe path", rep["rejections"][0]["reason"])
        self.assertEqual(self.m.get(API + "/items/%d" % rep["item_ids"][0]).json()["text"],
                         "fine text")
        self.assertEqual(self.first_page(ip["id"]), [])

    def zip_bytes(self):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("good.txt", "a good zipped text")
            z.writestr(zipfile.ZipInfo("../evil.txt"), "evil")
            z.writestr(zipfile.ZipInfo("/abs.txt"), "absolute")
            z.writestr(zipfile.ZipInfo("dir/../../evil_nested.txt"), "evil nested")
            link = zipfile.ZipInfo("evil_link.txt")
            link.create_system = 3
            link.external_attr = (0o120777 << 16)
            z.writestr(link, "/etc/passwd")
        return buf.getvalue()

    def tar_bytes(self, gz=False):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w",
                          format=tarfile.GNU_FORMAT) as t:
            def add(name, data):
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            add("good.txt", b"a good tarred text" + (b" gz" if gz else b""))
            add("../evil.txt", b"evil")
            add("/abs.txt", b"absolute")
            sym = tarfile.TarInfo("evil_symlink.txt")
            sym.type = tarfile.SYMTYPE
            sym.linkname = "/etc/passwd"
            t.addfile(sym)
            hard = tarfile.TarInfo("evil_hardlink.txt")
            hard.type = tarfile.LNKTYPE
            hard.linkname = "good.txt"
            t.addfile(hard)
        return buf.getvalue()

    def check_archive_report(self, rep, good_text):
        self.assertEqual(rep["accepted"], 1, rep)
        reasons = {x["source"]: x["reason"] for x in rep["rejections"]}
        self.assertEqual(rep["rejected"], len(rep["rejections"]), rep)
        by_name = lambda frag: [v for k, v in reasons.items() if frag in k]  # noqa: E731
        self.assertTrue(by_name("../evil.txt"), rep)
        self.assertIn("unsafe path", by_name("../evil.txt")[0])
        self.assertTrue(by_name("abs.txt"), rep)
        self.assertIn("unsafe path", by_name("abs.txt")[0])
        for frag in ("evil_link", "evil_symlink", "evil_hardlink"):
            for reason in by_name(frag):
                self.assertTrue("link in archive" in reason or "unsafe path" in reason, rep)
        item = self.m.get(API + "/items/%d" % rep["item_ids"][0]).json()
        self.assertEqual(item["text"], good_text)

    def test_zip_archive_traversal(self):
        z = self.zip_bytes()
        p = self.world.project()
        r = self.import_(p["id"], z, "application/zip")
        self.assertEqual(r.status, 200, r)
        rep = r.json()
        self.check_archive_report(rep, "a good zipped text")
        self.assertEqual(rep["rejected"], 4, rep)
        p2 = self.world.project()
        body, ctype = multipart([("file", "bundle.zip", "application/zip", z)])
        rep = self.import_(p2["id"], body, ctype).json()
        self.check_archive_report(rep, "a good zipped text")
        self.assertEqual(rep["rejected"], 4, rep)
        self.assertNoEvil()

    def test_tar_archive_traversal(self):
        for gz in (False, True):
            with self.subTest(gz=gz):
                t = self.tar_bytes(gz)
                p = self.world.project()
                ctype = "application/gzip" if gz else "application/x-tar"
                r = self.import_(p["id"], t, ctype)
                self.assertEqual(r.status, 200, r)
                rep = r.json()
                text = "a good tarred text" + (" gz" if gz else "")
                self.check_archive_report(rep, text)
                self.assertEqual(rep["rejected"], 4, rep)
                p2 = self.world.project()
                body, mct = multipart([("file", "bundle.tar.gz" if gz else "bundle.tar",
                                        "application/octet-stream", t)])
                rep = self.import_(p2["id"], body, mct).json()
                self.check_archive_report(rep, text)
                self.assertEqual(rep["rejected"], 4, rep)
        self.assertNoEvil()

    # -- size limits and media types ---------------------------------------------------------

    def big_upload(self, ctype, chunked, total=300 * MiB):
        line = b'{"text":"' + b"y" * (MiB - 12) + b'"}\n'
        assert len(line) == MiB
        n = total // MiB

        def body():
            for _ in range(n):
                if chunked:
                    yield b"%x\r\n" % len(line) + line + b"\r\n"
                else:
                    yield line
            if chunked:
                yield b"0\r\n\r\n"
        hdrs = {"Authorization": "Bearer " + self.m.token, "Content-Type": ctype}
        if chunked:
            hdrs["Transfer-Encoding"] = "chunked"
        else:
            hdrs["Content-Length"] = str(n * MiB)
        return hdrs, body()

    def test_300mib_upload_is_413(self):
        p = self.world.project()
        url = API + "/projects/%d/items" % p["id"]
        for chunked in (False, True):
            with self.subTest(chunked=chunked):
                hdrs, body = self.big_upload("application/x-ndjson", chunked)
                r = stream_request(self.server.port, "POST", url, hdrs, body, timeout=300)
                assert_error(self, r, 413)
        self.assertEqual(self.m.get("/healthz").status, 200)
        # nothing half-imported is left behind
        self.assertEqual(self.first_page(p["id"]), [])

    def first_page(self, pid):
        r = self.m.get(API + "/projects/%d/items?limit=500" % pid)
        self.assertEqual(r.status, 200, r)
        return r.json()["items"]

    def test_unsupported_media_type(self):
        n = self.project_count()
        body = json.dumps(self.project_body())
        for ctype in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
            with self.subTest(ctype=ctype):
                r = self.m.post(API + "/projects", body, headers={"Content-Type": ctype})
                self.assertError(r, 415)
        self.assertEqual(self.project_count(), n)
        r = self.m.post(API + "/projects", body,
                        headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(r.status, 201, r)
        p = r.json()
        for ctype in ("application/pdf", "text/html", "video/mp4"):
            with self.subTest(route="items", ctype=ctype):
                r = self.import_(p["id"], b"%PDF-1.4 not an import", ctype)
                self.assertError(r, 415)
        # application/json is an import of another tool's export (Label Studio, COCO): a body
        # that is no JSON at all is refused or reported, never imported.
        r = self.import_(p["id"], b"%PDF-1.4 not an import", "application/json")
        if r.status == 200:
            self.assertEqual(r.json()["accepted"], 0, r)
            self.assertIn("JSON", r.json()["rejections"][0]["reason"], r)
        else:
            self.assertError(r, (400, 415))
        self.assertEqual(self.first_page(p["id"]), [])

    def test_unknown_routes_and_ids(self):
        for path in ("/api/v1/nope", "/api/v1/projects/abc", "/api/v1/projects/1x",
                     "/api/v1/tasks/-1", "/api/v1/items/99999999999999999999999"):
            with self.subTest(path=path):
                self.assertError(self.m.get(path), (400, 404))
        self.assertError(self.m.get("/api/v1/nope"), 404)
        self.assertError(Client(self.server.port).get("/api/v1/nope"), (401, 404))


if __name__ == "__main__":
    main()
