"""Authentication and authorization: tokens, logout, tenancy (404 for other tenants), roles,
refused requests change nothing, signup switch, login throttling, `admin create`, cookies and
CSRF."""
import os
import secrets
import subprocess
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API, BIN, Client, ServerTestCase, World, main,  # noqa: E402
                     multipart, png_bytes, sqlite_query, table_counts)


def routes(ids):
    """Every authenticated route of docs/API.md as (method, path, body)."""
    o, p, i, t = ids["org"], ids["project"], ids["item"], ids["task"]
    return [
        ("POST", "/auth/logout", None),
        ("GET", "/me", None),
        ("GET", "/me/projects", None),
        ("POST", "/users", {"username": "nobody_x", "password": "longenough1"}),
        ("GET", "/users", None),
        ("POST", "/orgs", {"name": "no-org"}),
        ("GET", "/orgs", None),
        ("GET", "/orgs/%d" % o, None),
        ("POST", "/orgs/%d/members" % o, {"user_id": 1, "role": "owner"}),
        ("GET", "/orgs/%d/members" % o, None),
        ("POST", "/projects", {"org_id": o, "name": "x", "kind": "text_class",
                               "labels": ["a"]}),
        ("GET", "/projects", None),
        ("GET", "/projects/%d" % p, None),
        ("PATCH", "/projects/%d" % p, {"name": "renamed"}),
        ("POST", "/projects/%d/members" % p, {"user_id": 1, "role": "worker"}),
        ("GET", "/projects/%d/members" % p, None),
        ("POST", "/projects/%d/items" % p, '{"text":"sneaky"}\n'),
        ("GET", "/projects/%d/items" % p, None),
        ("GET", "/items/%d" % i, None),
        ("GET", "/items/%d/asset" % i, None),
        ("POST", "/projects/%d/tasks/next" % p, None),
        ("POST", "/tasks/%d/submit" % t, {"annotation": {"labels": ["pos"]}}),
        ("POST", "/tasks/%d/release" % t, None),
        ("POST", "/projects/%d/reviews/next" % p, None),
        ("POST", "/tasks/%d/review" % t, {"decision": "approve"}),
        ("POST", "/tasks/%d/resolve" % t, {"decision": "discard"}),
        ("GET", "/tasks/%d" % t, None),
        ("GET", "/projects/%d/tasks" % p, None),
        ("GET", "/projects/%d/stats" % p, None),
        ("GET", "/projects/%d/export?format=jsonl" % p, None),
    ]


def send(client, method, path, body, headers=None):
    hdrs = dict(headers or {})
    if isinstance(body, str):
        hdrs.setdefault("Content-Type", "application/x-ndjson")
    return client.request(method, API + path, body, headers=hdrs)


class AuthzTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls._setup()
        except BaseException:
            sys.stderr.write(cls.server.tail())
            cls.server.cleanup()
            raise

    @classmethod
    def _setup(cls):
        w = cls.world
        cls.p = w.project()
        cls.worker, cls.worker_id = w.user("member")
        cls.outsider, cls.outsider_id = w.user("outsider")
        w.add_member(cls.p["id"], cls.worker_id, "worker")
        rep = w.import_texts(cls.p["id"], ["secret one", "secret two", "secret three"])
        cls.item_id = rep["item_ids"][0]
        r = cls.worker.post(API + "/projects/%d/tasks/next" % cls.p["id"])
        assert r.status == 200, r
        cls.task = r.json()
        # an image item, for the asset route
        cls.ip = w.project(kind="image_class", labels=["a", "b"])
        body, ctype = multipart([("file", "img.png", "image/png", png_bytes(8, 8))])
        r = w.manager.post(API + "/projects/%d/items" % cls.ip["id"], body,
                           headers={"Content-Type": ctype})
        assert r.status == 200 and r.json()["accepted"] == 1, r
        cls.image_id = r.json()["item_ids"][0]
        # a second tenant with its own manager
        r = w.admin.post(API + "/orgs", {"name": "other-" + secrets.token_hex(3)})
        assert r.status == 201, r
        cls.org2 = r.json()
        cls.manager2, cls.manager2_id = w.user("mgr2")
        r = w.admin.post(API + "/orgs/%d/members" % cls.org2["id"],
                         {"user_id": cls.manager2_id, "role": "manager"})
        assert r.status == 201, r
        cls.ids = {"org": w.org["id"], "project": cls.p["id"], "item": cls.item_id,
                   "task": cls.task["id"]}

    def snapshot(self):
        d = self.server.data_dir
        snap = table_counts(d)
        self.assertIn("items", snap)
        self.assertIn("tasks", snap)
        self.assertIn("events", snap)
        snap["projects"] = sqlite_query(d, "SELECT * FROM projects ORDER BY id")
        snap["tasks_rows"] = sqlite_query(d, "SELECT * FROM tasks ORDER BY id")
        snap["users"] = sqlite_query(d, "SELECT id, username, is_admin FROM users ORDER BY id")
        snap["orgs"] = sqlite_query(d, "SELECT * FROM orgs ORDER BY id")
        for t in ("org_members", "project_members"):
            snap[t] = sqlite_query(d, "SELECT * FROM %s ORDER BY 1, 2" % t)
        return snap

    # -- authentication ------------------------------------------------------------------

    def test_no_token_is_401(self):
        before = self.snapshot()
        anon = Client(self.server.port)
        for method, path, body in routes(self.ids) + [
                ("GET", "/items/%d/asset" % self.image_id, None)]:
            with self.subTest(route="%s %s" % (method, path)):
                self.assertError(send(anon, method, path, body), 401)
        self.assertEqual(self.snapshot(), before)

    def test_bad_token_is_401(self):
        before = self.snapshot()
        for token in ("nonsense", secrets.token_urlsafe(32), self.world.manager.token + "x"):
            bad = Client(self.server.port, token)
            for method, path, body in routes(self.ids):
                with self.subTest(route="%s %s" % (method, path), token=token[:6]):
                    self.assertError(send(bad, method, path, body), 401)
        c = Client(self.server.port)
        r = c.get(API + "/me", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
        self.assertError(r, 401)
        self.assertEqual(self.snapshot(), before)

    def test_public_routes(self):
        anon = Client(self.server.port)
        r = anon.get("/healthz")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"status": "ok"})
        r = anon.get("/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertIn(b"crowdloop_http_requests_total", r.body)
        r = anon.get(API + "/openapi.json")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["openapi"].startswith("3."), r)
        r = anon.post(API + "/auth/login", {"username": "admin", "password": "wrong-password"})
        self.assertError(r, 401)
        r = anon.post(API + "/auth/login",
                      {"username": "admin", "password": self.server.admin_password})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["token"])
        self.assertTrue(r.json()["user"]["is_admin"])

    def test_signup_disabled(self):
        before = self.snapshot()
        r = Client(self.server.port).post(API + "/auth/signup",
                                          {"username": "newbie", "password": "password123"})
        self.assertError(r, 403)
        self.assertEqual(self.snapshot(), before)

    def test_logout_revokes_token(self):
        name = "leaver_" + secrets.token_hex(3)
        pw = secrets.token_urlsafe(12)
        r = self.world.admin.post(API + "/users", {"username": name, "password": pw})
        self.assertEqual(r.status, 201, r)
        first = self.server.login(name, pw)
        second = self.server.login(name, pw)
        self.assertNotEqual(first.token, second.token)
        r = first.get(API + "/me")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["username"], name)
        r = first.post(API + "/auth/logout")
        self.assertEqual(r.status, 204, r)
        self.assertError(first.get(API + "/me"), 401)
        self.assertError(first.post(API + "/auth/logout"), 401)
        self.assertError(first.get(API + "/projects"), 401)
        # only the token used is revoked
        self.assertEqual(second.get(API + "/me").status, 200)
        # a fresh connection with the revoked token is refused too
        self.assertError(Client(self.server.port, first.token).get(API + "/me"), 401)

    # -- tenancy ----------------------------------------------------------------------------

    def foreign_routes(self):
        p, i, t = self.p["id"], self.item_id, self.task["id"]
        return [
            ("GET", "/projects/%d" % p, None),
            ("GET", "/projects/%d/items" % p, None),
            ("GET", "/items/%d" % i, None),
            ("GET", "/items/%d/asset" % i, None),
            ("GET", "/items/%d/asset" % self.image_id, None),
            ("GET", "/tasks/%d" % t, None),
            ("GET", "/projects/%d/stats" % p, None),
            ("GET", "/projects/%d/export?format=jsonl" % p, None),
            ("POST", "/projects/%d/tasks/next" % p, None),
            ("POST", "/projects/%d/reviews/next" % p, None),
            ("GET", "/projects/%d/tasks" % p, None),
            ("GET", "/projects/%d/members" % p, None),
            ("PATCH", "/projects/%d" % p, {"name": "taken over"}),
            ("POST", "/projects/%d/items" % p, '{"text":"planted"}\n'),
            ("POST", "/projects/%d/members" % p, {"user_id": self.outsider_id,
                                                   "role": "reviewer"}),
            ("POST", "/tasks/%d/submit" % t, {"annotation": {"labels": ["pos"]}}),
            ("POST", "/tasks/%d/release" % t, None),
            ("POST", "/tasks/%d/review" % t, {"decision": "approve"}),
            ("POST", "/tasks/%d/resolve" % t, {"decision": "discard"}),
        ]

    def test_other_tenants_get_404(self):
        before = self.snapshot()
        for who, c in (("outsider worker", self.outsider), ("other org's manager",
                                                              self.manager2)):
            for method, path, body in self.foreign_routes():
                with self.subTest(who=who, route="%s %s" % (method, path)):
                    self.assertError(send(c, method, path, body), 404)
            with self.subTest(who=who, route="GET /projects"):
                r = c.get(API + "/projects")
                self.assertEqual(r.status, 200, r)
                self.assertNotIn(self.p["id"], [x["id"] for x in r.json()["items"]])
        for method, path, body in (("GET", "/orgs/%d" % self.world.org["id"], None),
                                   ("GET", "/orgs/%d/members" % self.world.org["id"], None),
                                   ("POST", "/orgs/%d/members" % self.world.org["id"],
                                    {"user_id": self.manager2_id, "role": "owner"}),
                                   ("POST", "/projects", {"org_id": self.world.org["id"],
                                                          "name": "x", "kind": "text_class",
                                                          "labels": ["a"]})):
            with self.subTest(who="other org's manager", route="%s %s" % (method, path)):
                self.assertError(send(self.manager2, method, path, body), (403, 404))
        # the 404 looks the same as for an id that does not exist
        a = self.outsider.get(API + "/projects/%d" % self.p["id"]).json()
        b = self.outsider.get(API + "/projects/99999999").json()
        self.assertEqual(a["error"]["code"], b["error"]["code"])
        self.assertEqual(self.snapshot(), before)
        # the manager of the other org still manages their own
        r = self.manager2.post(API + "/projects", {"org_id": self.org2["id"], "name": "mine",
                                                   "kind": "text_class", "labels": ["a"]})
        self.assertEqual(r.status, 201, r)

    def test_worker_refused_manager_routes(self):
        before = self.snapshot()
        w, p, o, t = self.worker, self.p["id"], self.world.org["id"], self.task["id"]
        for method, path, body in [
            ("PATCH", "/projects/%d" % p, {"name": "mine now"}),
            ("PATCH", "/projects/%d" % p, {"price": 1000000}),
            ("POST", "/projects/%d/items" % p, '{"text":"planted"}\n'),
            ("POST", "/projects/%d/members" % p, {"user_id": self.outsider_id,
                                                   "role": "reviewer"}),
            ("POST", "/projects/%d/members" % p, {"user_id": self.worker_id,
                                                   "role": "reviewer"}),
            ("GET", "/projects/%d/members" % p, None),
            ("POST", "/projects", {"org_id": o, "name": "x", "kind": "text_class",
                                   "labels": ["a"]}),
            ("POST", "/users", {"username": "escalator", "password": "password123",
                                "is_admin": True}),
            ("GET", "/users", None),
            ("POST", "/orgs", {"name": "worker-org"}),
            ("POST", "/orgs/%d/members" % o, {"user_id": self.worker_id, "role": "owner"}),
            ("POST", "/tasks/%d/resolve" % t, {"decision": "discard"}),
            ("POST", "/projects/%d/reviews/next" % p, None),
            ("GET", "/projects/%d/tasks" % p, None),
            ("GET", "/projects/%d/stats" % p, None),
            ("GET", "/projects/%d/export?format=jsonl" % p, None),
        ]:
            with self.subTest(route="%s %s" % (method, path)):
                self.assertError(send(w, method, path, body), (403, 404))
        self.assertEqual(self.snapshot(), before)
        # the worker still sees what it may see
        r = w.get(API + "/projects/%d" % p)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["my_role"], "worker")
        self.assertEqual(w.get(API + "/tasks/%d" % t).status, 200)
        # its item through the task, never by id (gold items would be told apart by that)
        self.assertEqual(w.get(API + "/tasks/%d/asset" % t).status, 200)
        self.assertEqual(w.get(API + "/items/%d" % self.task["item_id"]).status, 404)

    def test_worker_cannot_touch_others_task(self):
        """A worker of the project may not act on a task leased to someone else."""
        other, other_id = self.world.user("peer")
        self.world.add_member(self.p["id"], other_id, "worker")
        before = self.snapshot()
        t = self.task["id"]
        for method, path, body in (("POST", "/tasks/%d/submit" % t,
                                    {"annotation": {"labels": ["pos"]}}),
                                   ("POST", "/tasks/%d/release" % t, None),
                                   ("POST", "/tasks/%d/review" % t, {"decision": "approve"})):
            with self.subTest(route=path):
                self.assertError(send(other, method, path, body), (403, 404, 409))
        self.assertEqual(self.snapshot(), before)

    # -- admin create ------------------------------------------------------------------------

    def test_admin_create_refuses_bad_passwords(self):
        d = tempfile.mkdtemp(prefix="crowdloop-e2e-admin-")
        try:
            def create(name, password_text=None, stdin=b""):
                args = [BIN, "admin", "create", "--data", d, "--username", name]
                if password_text is not None:
                    pw = os.path.join(d, "pw")
                    with open(pw, "w") as f:
                        f.write(password_text)
                    args += ["--password-file", pw]
                return subprocess.run(args, input=stdin, capture_output=True, timeout=60,
                                      start_new_session=True)
            for name, text in (("empty1", ""), ("empty2", "\n"), ("short1", "short\n")):
                with self.subTest(password=repr(text)):
                    r = create(name, text)
                    self.assertNotEqual(r.returncode, 0, r)
            with self.subTest(password="missing"):
                r = create("missing1", None, stdin=b"")
                self.assertNotEqual(r.returncode, 0, r)
            with self.subTest(password="missing file"):
                r = subprocess.run([BIN, "admin", "create", "--data", d, "--username", "nofile",
                                    "--password-file", os.path.join(d, "does-not-exist")],
                                   capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
                self.assertNotEqual(r.returncode, 0, r)
            if os.path.exists(os.path.join(d, "crowdloop.db")):
                rows = sqlite_query(d, "SELECT username FROM users")
                self.assertEqual(rows, [])
            r = create("goodadmin", "a-good-password\n")
            self.assertEqual(r.returncode, 0, r)
            rows = sqlite_query(d, "SELECT username, is_admin FROM users")
            self.assertEqual(rows, [("goodadmin", 1)])
            # the stored password is a hash, not the text
            h = sqlite_query(d, "SELECT password_hash FROM users")[0][0]
            self.assertNotIn("a-good-password", h)
            self.assertTrue(h.startswith("$argon2id$"), h)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    # -- cookies and CSRF --------------------------------------------------------------------

    def cookie_login(self):
        c = Client(self.server.port)
        r = c.post(API + "/auth/login",
                   {"username": "admin", "password": self.server.admin_password})
        self.assertEqual(r.status, 200, r)
        cookies = [v for k, v in r.headers if k.lower() == "set-cookie"]
        session = [v for v in cookies if v.startswith("cl_session=")]
        self.assertEqual(len(session), 1, cookies)
        return c, session[0], r.json()

    def test_cookie_attributes(self):
        _, cookie, body = self.cookie_login()
        attrs = [a.strip().lower() for a in cookie.split(";")]
        self.assertIn("httponly", attrs, cookie)
        self.assertIn("samesite=strict", attrs, cookie)
        self.assertIn("path=/", attrs, cookie)
        value = cookie.split(";")[0].split("=", 1)[1]
        self.assertTrue(value)
        self.assertTrue(body["csrf_token"])

    def test_cookie_needs_csrf_for_changes(self):
        c, cookie, body = self.cookie_login()
        jar = {"Cookie": cookie.split(";")[0]}
        # reading with the cookie works and hands out the csrf token
        r = c.get(API + "/me", headers=jar)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["is_admin"])
        self.assertEqual(r.json()["csrf_token"], body["csrf_token"])
        before = self.snapshot()
        name = "cookie-org-" + secrets.token_hex(3)
        r = c.post(API + "/orgs", {"name": name}, headers=jar)
        self.assertError(r, 403)
        r = c.post(API + "/orgs", {"name": name}, headers=dict(jar, **{"X-CSRF-Token": "bad"}))
        self.assertError(r, 403)
        r = c.post(API + "/orgs", {"name": name},
                   headers=dict(jar, **{"X-CSRF-Token": self.world.admin.token}))
        self.assertError(r, 403)
        self.assertEqual(self.snapshot(), before)
        r = c.post(API + "/orgs", {"name": name},
                   headers=dict(jar, **{"X-CSRF-Token": body["csrf_token"]}))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["name"], name)
        # logout through the cookie needs the token too, and then the cookie is dead
        self.assertError(c.post(API + "/auth/logout", headers=jar), 403)
        r = c.post(API + "/auth/logout", headers=dict(jar, **{"X-CSRF-Token": body["csrf_token"]}))
        self.assertEqual(r.status, 204, r)
        self.assertError(c.get(API + "/me", headers=jar), 401)

    def test_bearer_needs_no_csrf(self):
        r = self.world.admin.post(API + "/orgs", {"name": "bearer-" + secrets.token_hex(3)})
        self.assertEqual(r.status, 201, r)


class SignupAndThrottleTest(ServerTestCase):
    server_args = ("--allow-signup",)
    make_world = False

    def test_1_signup(self):
        anon = Client(self.server.port)
        r = anon.post(API + "/auth/signup", {"username": "crowd_one", "password": "password123"})
        self.assertEqual(r.status, 201, r)
        body = r.json()
        self.assertEqual(body["user"]["username"], "crowd_one")
        self.assertFalse(body["user"]["is_admin"])
        self.assertTrue(body["csrf_token"])
        me = Client(self.server.port, body["token"]).get(API + "/me")
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json()["username"], "crowd_one")
        # signing up can never make an admin, and names are unique
        r = anon.post(API + "/auth/signup", {"username": "crowd_two", "password": "password123",
                                             "is_admin": True})
        self.assertError(r, 400)
        r = anon.post(API + "/auth/signup", {"username": "crowd_one", "password": "password456"})
        self.assertError(r, 409)
        r = anon.post(API + "/auth/signup", {"username": "crowd_three", "password": "short"})
        self.assertError(r, (400, 422))
        rows = sqlite_query(self.server.data_dir,
                            "SELECT username, is_admin FROM users ORDER BY id")
        self.assertEqual(rows, [("admin", 1), ("crowd_one", 0)])

    def test_2_failed_logins_throttled(self):
        anon = Client(self.server.port)
        statuses = []
        for _ in range(8):
            r = anon.post(API + "/auth/login", {"username": "admin", "password": "not-it-123"})
            statuses.append(r.status)
            if r.status == 429:
                break
        self.assertEqual(statuses[:4], [401] * 4, statuses)
        self.assertEqual(statuses[-1], 429, statuses)
        self.assertLessEqual(len(statuses), 6, statuses)
        self.assertError(r, 429)
        ra = r.header("Retry-After")
        self.assertIsNotNone(ra, r.headers)
        self.assertGreater(int(ra), 0)
        # even the right password is refused while throttled
        r = anon.post(API + "/auth/login",
                      {"username": "admin", "password": self.server.admin_password})
        self.assertError(r, 429)


if __name__ == "__main__":
    main()
