"""The API-client subcommands of the `crowdloop` binary against a real server: login (password
from a file and from CROWDLOOP_PASSWORD, a private credentials file), projects, import of JSONL,
CSV and zip files, export to a file, stats and logout, plus their failure paths (bad password,
no terminal, unknown project, broken download stream). Each run uses its own XDG_CONFIG_HOME."""
import json
import os
import pty
import secrets
import select
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import BIN, Server, World  # noqa: E402


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.server.create_admin()
        cls.server.start()
        cls.world = World(cls.server)
        cls.url = "http://127.0.0.1:%d" % cls.server.port
        # A manager whose password the test knows, for logging in with the binary.
        cls.username = "cli_" + secrets.token_hex(3)
        cls.password = secrets.token_urlsafe(12)
        r = cls.world.admin.post("/api/v1/users",
                                 {"username": cls.username, "password": cls.password})
        assert r.status == 201, r
        cls.user_id = r.json()["id"]
        r = cls.world.admin.post("/api/v1/orgs/%d/members" % cls.world.org["id"],
                                 {"user_id": cls.user_id, "role": "manager"})
        assert r.status == 201, r

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="crowdloop-cli-")
        self.config_home = os.path.join(self.tmp, "config")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- helpers ----

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items()
               if k not in ("CROWDLOOP_SERVER", "CROWDLOOP_TOKEN", "CROWDLOOP_PASSWORD")}
        env["XDG_CONFIG_HOME"] = self.config_home
        env["HOME"] = self.tmp
        env.update(extra)
        return env

    def cli(self, *args, env=None, stdin=subprocess.DEVNULL, expect=0):
        p = subprocess.run([BIN] + list(args), env=env or self.env(), stdin=stdin,
                           capture_output=True, timeout=120)
        out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        if expect is not None:
            self.assertEqual(p.returncode, expect,
                             "%s -> %d\nstdout: %s\nstderr: %s" % (args, p.returncode, out, err))
        return p.returncode, out, err

    def cli_on_terminal(self, *args, answer=None, env=None):
        """Runs the binary with stdin and stderr on a pseudo-terminal (stdout a pipe); types
        `answer` and a newline once a prompt appears. Returns (code, stdout, terminal)."""
        master, slave = pty.openpty()
        p = subprocess.Popen([BIN] + list(args), env=env or self.env(), stdin=slave,
                             stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        seen, typed = b"", answer is None
        deadline = time.time() + 60
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if not chunk and p.poll() is not None:
                    break
                seen += chunk
            elif p.poll() is not None:
                break
            if not typed and b"Password for" in seen:
                os.write(master, answer.encode() + b"\n")
                typed = True
        if p.poll() is None:  # stuck past the deadline: fail, never hang the suite
            p.kill()
        out = p.stdout.read().decode(errors="replace")
        p.stdout.close()
        code = p.wait(30)
        os.close(master)
        return code, out, seen.decode(errors="replace")

    def credentials_path(self):
        return os.path.join(self.config_home, "crowdloop", "credentials.json")

    def credentials(self):
        with open(self.credentials_path()) as f:
            return json.load(f)

    def login(self):
        pw = os.path.join(self.tmp, "pw")
        with open(pw, "w") as f:
            f.write(self.password + "\n")
        self.cli("login", "--server", self.url, "--username", self.username,
                 "--password-file", pw)
        return self.credentials()["token"]

    def project(self, **fields):
        body = {"org_id": self.world.org["id"], "name": "cli-" + secrets.token_hex(3),
                "kind": "text_class", "labels": ["pos", "neg"], "status": "open"}
        body.update(fields)
        r = self.world.manager.post("/api/v1/projects", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def items(self, project_id):
        got, cursor = [], None
        while True:
            path = "/api/v1/projects/%d/items?limit=500" % project_id
            if cursor:
                path += "&cursor=" + cursor
            r = self.world.admin.get(path)
            self.assertEqual(r.status, 200, r)
            page = r.json()["items"]
            got += page
            cursor = r.json()["next_cursor"]
            if not cursor or not page:
                return got

    # ---- login ----

    def test_login_with_password_file_keeps_a_private_token(self):
        token = self.login()
        path = self.credentials_path()
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
        creds = self.credentials()
        self.assertEqual(creds["server"], self.url)
        self.assertEqual(creds["username"], self.username)
        # No temporary file is left next to it.
        self.assertEqual(os.listdir(os.path.dirname(path)), ["credentials.json"])
        r = self.server.client(token).get("/api/v1/me")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["username"], self.username)

    def test_login_with_password_from_environment(self):
        _, out, _ = self.cli("login", "--server", self.url, "--username", self.username,
                             env=self.env(CROWDLOOP_PASSWORD=self.password))
        self.assertIn(self.username, out)
        token = self.credentials()["token"]
        self.assertEqual(stat.S_IMODE(os.stat(self.credentials_path()).st_mode), 0o600)
        r = self.server.client(token).get("/api/v1/me")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["username"], self.username)

    def test_login_prompts_on_the_terminal_without_echo(self):
        code, out, term = self.cli_on_terminal(
            "login", "--server", self.url, "--username", self.username, answer=self.password)
        self.assertEqual(code, 0, out + term)
        self.assertIn("Password for %s at %s:" % (self.username, self.url), term)
        self.assertNotIn(self.password, term)  # echo was off
        token = self.credentials()["token"]
        self.assertEqual(self.server.client(token).get("/api/v1/me").status, 200)

    def test_login_server_from_environment(self):
        env = self.env(CROWDLOOP_SERVER=self.url, CROWDLOOP_PASSWORD=self.password)
        self.cli("login", "--username", self.username, env=env)
        self.assertEqual(self.credentials()["server"], self.url)
        # The stored server is used next time without --server.
        _, out, _ = self.cli("projects")
        self.assertIn("ID", out)

    def test_login_wrong_password_fails_and_stores_nothing(self):
        code, _, err = self.cli("login", "--server", self.url, "--username", self.username,
                                env=self.env(CROWDLOOP_PASSWORD="not-the-password"),
                                expect=1)
        self.assertIn("401", err)
        self.assertFalse(os.path.exists(self.credentials_path()))

    def test_login_without_terminal_or_password_is_a_clear_error(self):
        code, _, err = self.cli("login", "--server", self.url, "--username", self.username,
                                expect=1)
        self.assertIn("not a terminal", err)
        self.assertFalse(os.path.exists(self.credentials_path()))

    def test_login_rewrites_a_loose_file_as_private(self):
        os.makedirs(os.path.join(self.config_home, "crowdloop"), mode=0o755)
        with open(self.credentials_path(), "w") as f:
            json.dump({"server": self.url}, f)
        os.chmod(self.credentials_path(), 0o644)
        self.login()
        self.assertEqual(stat.S_IMODE(os.stat(self.credentials_path()).st_mode), 0o600)
        self.assertEqual(
            stat.S_IMODE(os.stat(os.path.dirname(self.credentials_path())).st_mode), 0o700)

    def test_stored_token_is_not_sent_to_another_server(self):
        self.login()
        other = "http://127.0.0.1:%d" % harness.free_port()
        code, _, err = self.cli("projects", "--server", other, expect=1)
        self.assertIn("not logged in", err)

    # ---- usage ----

    def test_every_command_has_help(self):
        for cmd in ("login", "logout", "projects", "import", "export", "stats"):
            _, out, _ = self.cli(cmd, "--help")
            self.assertIn("usage: crowdloop " + cmd, out)

    def test_usage_errors_exit_2(self):
        self.cli("import", "x.jsonl", expect=2)                   # no --project
        self.cli("export", "--project", "abc", expect=2)          # not an id
        self.cli("stats", expect=2)
        self.cli("projects", "--bogus", expect=2)
        self.cli("import", "--project", "1", "data.unknown", expect=2)

    def test_commands_need_a_login(self):
        code, _, err = self.cli("projects", "--server", self.url, expect=1)
        self.assertIn("not logged in", err)

    # ---- projects ----

    def test_projects_lists_the_created_project(self):
        self.login()
        p = self.project(name="cli-list-" + secrets.token_hex(3))
        _, out, _ = self.cli("projects")
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["ID", "NAME", "KIND", "STATUS", "VISIBILITY"])
        row = [l for l in lines if p["name"] in l]
        self.assertEqual(len(row), 1, out)
        self.assertEqual(row[0].split(), [str(p["id"]), p["name"], "text_class", "open",
                                          "private"])
        # Columns are aligned: NAME starts at the same offset on every line.
        col = lines[0].index("NAME")
        self.assertEqual(row[0].index(p["name"]), col)

    def test_projects_follows_cursors_and_prints_json(self):
        self.login()
        made = {self.project()["id"] for _ in range(3)}
        _, out, _ = self.cli("projects", "--json", "--page-size", "1")
        doc = json.loads(out)
        ids = [p["id"] for p in doc["items"]]
        self.assertTrue(made <= set(ids), (made, ids))
        self.assertEqual(len(ids), len(set(ids)))
        r = self.server.client(self.credentials()["token"]).get("/api/v1/projects?limit=500")
        self.assertEqual(sorted(ids), sorted(p["id"] for p in r.json()["items"]))

    def test_server_errors_are_printed_with_code(self):
        self.login()
        code, _, err = self.cli("stats", "--project", "999999", expect=1)
        self.assertIn("404", err)
        self.assertIn("not_found", err)

    # ---- import ----

    def test_import_jsonl_csv_zip(self):
        self.login()
        p = self.project()
        jsonl = os.path.join(self.tmp, "data.jsonl")
        with open(jsonl, "w") as f:
            f.write(json.dumps({"text": "alpha"}) + "\n")
            f.write(json.dumps({"text": "beta", "meta": {"k": 1}}) + "\n")
            f.write(json.dumps({"text": "alpha"}) + "\n")        # duplicate
            f.write("{not json\n")                               # rejected, line 4
        csv = os.path.join(self.tmp, "data.csv")
        with open(csv, "w") as f:
            f.write("text,lang\ngamma,en\ndelta,en\n")
        zpath = os.path.join(self.tmp, "data.zip")
        with zipfile.ZipFile(zpath, "w") as z:
            z.writestr("inner.jsonl", json.dumps({"text": "epsilon"}) + "\n")
            z.writestr("note.txt", "zeta")
            z.writestr("beta.csv", "text\nbeta\n")               # duplicate of the JSONL line

        _, out, err = self.cli("import", "--project", str(p["id"]), jsonl)
        self.assertIn("data.jsonl: accepted 2, duplicates 1, rejected 1", out)
        self.assertRegex(out, r"rejected data\.jsonl line 4: malformed JSON")
        self.assertNotIn("\r", err)  # no progress bar when stderr is not a terminal
        self.assertEqual(len(self.items(p["id"])), 2)

        _, out, _ = self.cli("import", "--project", str(p["id"]), csv, zpath)
        self.assertIn("data.csv: accepted 2, duplicates 0, rejected 0", out)
        self.assertIn("data.zip: accepted 2, duplicates 1, rejected 0", out)
        self.assertIn("total (2 files): accepted 4, duplicates 1, rejected 0", out)

        items = self.items(p["id"])
        self.assertEqual(sorted(i["text"] for i in items),
                         ["alpha", "beta", "delta", "epsilon", "gamma", "zeta"])
        # The CSV's other column went into meta.
        gamma = [i for i in items if i["text"] == "gamma"][0]
        self.assertEqual(gamma["meta"].get("lang"), "en")

    def test_import_and_export_show_progress_on_a_terminal(self):
        self.login()
        p = self.project()
        path = os.path.join(self.tmp, "bar.jsonl")
        with open(path, "w") as f:
            for i in range(2000):
                f.write(json.dumps({"text": "progress %d" % i}) + "\n")
        code, out, term = self.cli_on_terminal("import", "--project", str(p["id"]), path)
        self.assertEqual(code, 0, out + term)
        self.assertIn("bar.jsonl: accepted 2000", out)
        self.assertIn("100%", term)
        self.assertIn("\r", term)
        p, _, _, _ = self.labeled_project()
        dest = os.path.join(self.tmp, "out.jsonl")
        code, out, term = self.cli_on_terminal("export", "--project", str(p["id"]), "-o", dest)
        self.assertEqual(code, 0, out + term)
        self.assertRegex(term, r"\r\x1b\[Kexport +\d+ B")
        self.assertIn("Exported project %d to %s" % (p["id"], dest), term)
        with open(dest) as f:
            self.assertEqual(len(f.readlines()), 2)

    def test_import_json_report_matches_items(self):
        self.login()
        p = self.project()
        path = os.path.join(self.tmp, "more.jsonl")
        with open(path, "w") as f:
            for i in range(5):
                f.write(json.dumps({"text": "line %d" % i}) + "\n")
        _, out, _ = self.cli("import", "--project", str(p["id"]), "--json", path)
        report = json.loads(out)
        self.assertEqual(report["accepted"], 5)
        self.assertEqual(sorted(report["item_ids"]),
                         sorted(i["id"] for i in self.items(p["id"])))

    def test_import_error_answer_exits_non_zero(self):
        self.login()
        path = os.path.join(self.tmp, "x.jsonl")
        with open(path, "w") as f:
            f.write(json.dumps({"text": "x"}) + "\n")
        code, _, err = self.cli("import", "--project", "999999", path, expect=1)
        self.assertIn("404", err)
        code, _, err = self.cli("import", "--project", "1", os.path.join(self.tmp, "no.jsonl"),
                                expect=1)
        self.assertIn("no.jsonl", err)

    # ---- export ----

    def approve(self, project, worker, reviewer, label):
        r = worker.post("/api/v1/projects/%d/tasks/next" % project["id"])
        self.assertEqual(r.status, 200, r)
        task = r.json()
        r = worker.post("/api/v1/tasks/%d/submit" % task["id"],
                        {"annotation": {"labels": [label]}})
        self.assertEqual(r.status, 200, r)
        r = reviewer.post("/api/v1/projects/%d/reviews/next" % project["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["id"], task["id"])
        r = reviewer.post("/api/v1/tasks/%d/review" % task["id"], {"decision": "approve"})
        self.assertEqual(r.status, 200, r)
        return task

    def labeled_project(self):
        """A project with three items, two of them approved: returns (project, approved
        tasks, worker id, reviewer id)."""
        p = self.project()
        self.world.import_texts(p["id"], ["one", "two", "three"])
        worker, worker_id = self.world.user("worker")
        reviewer, reviewer_id = self.world.user("reviewer")
        self.world.add_member(p["id"], worker_id, "worker")
        self.world.add_member(p["id"], reviewer_id, "reviewer")
        tasks = [self.approve(p, worker, reviewer, label) for label in ("pos", "neg")]
        return p, tasks, worker_id, reviewer_id

    def test_export_to_file_holds_the_approved_tasks(self):
        self.login()
        p, tasks, worker_id, reviewer_id = self.labeled_project()
        out = os.path.join(self.tmp, "export.jsonl")
        self.cli("export", "--project", str(p["id"]), "-o", out)
        self.assertFalse(os.path.exists(out + ".part"))
        with open(out) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        got = {l["task_id"]: l for l in lines}
        self.assertEqual(sorted(got), sorted(t["id"] for t in tasks))
        for t, label in zip(tasks, ("pos", "neg")):
            line = got[t["id"]]
            self.assertEqual(line["item_id"], t["item_id"])
            self.assertEqual(line["annotation"], {"labels": [label]})
            self.assertEqual(line["text"], t["item"]["text"])
            self.assertEqual(line["worker_id"], worker_id)
            self.assertEqual(line["reviewer_id"], reviewer_id)
        # Byte for byte what the API streams.
        r = self.server.client(self.credentials()["token"]).get(
            "/api/v1/projects/%d/export?format=jsonl" % p["id"])
        self.assertEqual(r.status, 200, r)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), r.body)
        # Without -o the export goes to stdout.
        _, stdout, _ = self.cli("export", "--project", str(p["id"]))
        self.assertEqual(stdout.encode(), r.body)

    def test_export_error_leaves_no_file(self):
        self.login()
        out = os.path.join(self.tmp, "none.jsonl")
        code, _, err = self.cli("export", "--project", "999999", "-o", out, expect=1)
        self.assertIn("404", err)
        self.assertFalse(os.path.exists(out))
        self.assertFalse(os.path.exists(out + ".part"))

    def test_export_broken_stream_removes_the_part_file(self):
        # A fake server that starts a chunked 200 answer and hangs up in the middle.
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        port = lsock.getsockname()[1]

        def serve():
            conn, _ = lsock.accept()
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n"
                             b"c\r\n{\"task_id\":1\r\n")
        t = threading.Thread(target=serve, daemon=True)
        t.start()
        out = os.path.join(self.tmp, "broken.jsonl")
        env = self.env(CROWDLOOP_TOKEN="test-token")
        code, _, err = self.cli("export", "--server", "http://127.0.0.1:%d" % port,
                                "--project", "1", "-o", out, env=env, expect=1)
        t.join(10)
        lsock.close()
        self.assertIn("broke off", err)
        self.assertFalse(os.path.exists(out))
        self.assertFalse(os.path.exists(out + ".part"))

    # ---- stats ----

    def test_stats(self):
        self.login()
        p, tasks, worker_id, reviewer_id = self.labeled_project()
        r = self.server.client(self.credentials()["token"]).get(
            "/api/v1/projects/%d/stats" % p["id"])
        self.assertEqual(r.status, 200, r)
        st = r.json()
        _, out, _ = self.cli("stats", "--project", str(p["id"]))
        self.assertIn("project %d: 3 items, 3 tasks" % p["id"], out)
        self.assertRegex(out, r"\n  approved\s+2\n")
        self.assertRegex(out, r"\n  open\s+1\n")
        self.assertIn("first-pass approval rate:  100.0%", out)
        self.assertIn("approved in the last hour: 2", out)
        worker_name = [w["username"] for w in st["workers"] if w["user_id"] == worker_id][0]
        row = [l for l in out.splitlines() if l.startswith(worker_name)]
        self.assertEqual(len(row), 1, out)
        self.assertEqual(row[0].split()[1:4], ["2", "2", "0"])  # submitted, approved, rejected

        _, out, _ = self.cli("stats", "--project", str(p["id"]), "--json")
        doc = json.loads(out)
        self.assertEqual(doc["tasks"], st["tasks"])
        self.assertEqual(doc["workers"], st["workers"])

    # ---- logout ----

    def test_logout_revokes_the_token(self):
        token = self.login()
        api = self.server.client(token)
        self.assertEqual(api.get("/api/v1/me").status, 200)
        self.cli("logout")
        self.assertEqual(self.server.client(token).get("/api/v1/me").status, 401)
        creds = self.credentials()
        self.assertNotIn("token", creds)
        self.assertEqual(creds["server"], self.url)
        self.assertEqual(stat.S_IMODE(os.stat(self.credentials_path()).st_mode), 0o600)
        code, _, err = self.cli("projects", expect=1)
        self.assertIn("not logged in", err)

    def test_revoked_token_answers_401_with_a_hint(self):
        token = self.login()
        r = self.server.client(token).post("/api/v1/auth/logout")
        self.assertEqual(r.status, 204, r)
        code, _, err = self.cli("projects", expect=1)
        self.assertIn("401", err)
        self.assertIn("crowdloop login", err)


if __name__ == "__main__":
    harness.main()
